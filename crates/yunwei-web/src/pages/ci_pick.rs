//! Picking a configuration item in a form without script: a text input with a server-rendered
//! `<datalist>` of CIs the reader may see ("name #id"), and on submit the typed text turned
//! back into the CI's id — "name #id" as offered, a bare id, or a name that matches one CI.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use yunwei_core::CoreError;
use yunwei_core::cmdb::ci::{self, CiQuery};
use yunwei_core::cmdb::pick;
use yunwei_domain::ids::CiId;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::{DomainError, FieldError};

/// CIs offered in the list; more are found by name on submit.
const OFFERED: i64 = 200;

/// Whether the caller may link a CI at all (read on some CI): otherwise no field is offered.
pub fn may_pick(caller: &Caller) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::ConfigurationItem, Action::Read))
}

/// How a CI is written in the input.
pub fn label(name: &str, id: CiId) -> String {
    format!("{name} #{id}")
}

/// The datalist: (value typed, class shown beside it).
pub async fn options(state: &AppState, caller: &Caller) -> Result<Vec<(String, String)>, ApiError> {
    if !may_pick(caller) {
        return Ok(Vec::new());
    }
    let en = !caller.tr.is_zh();
    let page = ci::list(&state.core, &caller.ctx, &CiQuery { limit: Some(OFFERED), ..Default::default() }).await?;
    Ok(page
        .items
        .iter()
        .map(|v| (label(pick(&v.ci.name, &v.ci.name_en, en), v.ci.id), pick(&v.class_name, &v.class_name_en, en).to_string()))
        .collect())
}

/// The value of the input as it is shown for a linked CI (its name, if the reader may see it).
pub async fn shown(state: &AppState, caller: &Caller, id: Option<CiId>) -> String {
    let Some(id) = id else { return String::new() };
    match ci::get(&state.core, &caller.ctx, id).await {
        Ok(v) => label(pick(&v.ci.name, &v.ci.name_en, !caller.tr.is_zh()), id),
        Err(_) => format!("#{id}"),
    }
}

fn not_found(field: &str) -> ApiError {
    CoreError::from(DomainError::Validation(vec![FieldError::new(field, "not_found")])).into()
}

/// The CI id the text names (`None` for empty text); a field error on `field` otherwise.
pub async fn resolve(state: &AppState, caller: &Caller, field: &str, text: &str) -> Result<Option<CiId>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let digits = text.rsplit_once('#').map_or(text, |(_, id)| id.trim());
    if let Ok(id) = digits.parse::<i64>() {
        return Ok(Some(CiId(id)));
    }
    if !may_pick(caller) {
        return Err(not_found(field));
    }
    let q = CiQuery { q: Some(text.chars().take(100).collect()), limit: Some(50), ..Default::default() };
    let page = ci::list(&state.core, &caller.ctx, &q).await?;
    let exact: Vec<CiId> = page.items.iter().filter(|v| v.ci.name == text || v.ci.name_en == text).map(|v| v.ci.id).collect();
    match exact.as_slice() {
        [one] => Ok(Some(*one)),
        _ => Err(not_found(field)),
    }
}

/// Replaces the typed text of `field` in posted pairs with the CI's id.
pub async fn resolve_pairs(state: &AppState, caller: &Caller, pairs: &mut [(String, String)], field: &str) -> Result<(), ApiError> {
    for (_, v) in pairs.iter_mut().filter(|(k, _)| k == field) {
        *v = resolve(state, caller, field, v).await?.map(|id| id.to_string()).unwrap_or_default();
    }
    Ok(())
}
