//! `/api/v1/cmdb`: classes and attributes, CIs, relations and history.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use serde::Deserialize;
use yunwei_core::cmdb::Channel;
use yunwei_core::cmdb::bulk::BulkCiInput;
use yunwei_core::cmdb::ci::{self, CiInput, CiPatch, CiQuery, CiView};
use yunwei_core::cmdb::model::{self, ClassInput, ClassPatch, RuleInput};
use yunwei_core::cmdb::relation::{self, RelationInput};
use yunwei_core::store::sql::Page;
use yunwei_domain::cmdb::attr::AttrInput;
use yunwei_domain::ids::{CiAttributeId, CiClassId, CiId, CiRelationId};

// ---- the model ----

handlers! {
    classes() -> items: model::classes();
    class(ApiPath(id: i64)) -> json: model::class(CiClassId(id));
    create_class(ApiJson(body: ClassInput)) -> created: model::create_class(body);
    update_class(ApiPath(id: i64), ApiJson(body: ClassPatch)) -> json: model::update_class(CiClassId(id), body);
}

/// `?confirm=true` goes ahead although the class or attribute holds data (or a CI has dependants).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    #[serde(default)]
    pub confirm: bool,
}

handlers! {
    delete_class(ApiPath(id: i64), ApiQuery(q: Confirm)) -> no_content: model::delete_class(CiClassId(id), q.confirm, Channel::Api);
    create_attribute(ApiPath(id: i64), ApiJson(body: AttrInput)) -> created: model::create_attribute(CiClassId(id), body);
    update_attribute(ApiPath(id: i64), ApiJson(body: AttrInput)) -> json: model::update_attribute(CiAttributeId(id), body);
    delete_attribute(ApiPath(id: i64), ApiQuery(q: Confirm)) -> no_content: model::delete_attribute(CiAttributeId(id), q.confirm, Channel::Api);
    relation_types() -> items: model::relation_types();
    add_rule(ApiJson(body: RuleInput)) -> created: model::add_rule(body);
    delete_rule(ApiPath(id: i64)) -> no_content: model::delete_rule(id);
}

// ---- CIs ----

/// The list's query: `class`, `status`, `team`, `q`, `limit`, `cursor` and any number of
/// `attr.<code>=<value>`.
pub fn ci_query(query: &str) -> Result<CiQuery, ApiError> {
    let pairs = crate::form::decode(query.as_bytes());
    let (attrs, rest): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| k.starts_with("attr."));
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Plain {
        class: Option<String>,
        status: Option<String>,
        team: Option<i64>,
        q: Option<String>,
        limit: Option<i64>,
        cursor: Option<String>,
    }
    let p: Plain = crate::form::bind(&rest).map_err(|e| {
        let mut out = ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").detail(e.to_string());
        if e.field.is_some() {
            out.fields.push(e.field_error());
        }
        out
    })?;
    Ok(CiQuery {
        class: p.class,
        status: p.status,
        team: p.team.map(yunwei_domain::ids::TeamId),
        q: p.q,
        attrs: attrs.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k["attr.".len()..].to_string(), v)).collect(),
        limit: p.limit,
        cursor: p.cursor,
    })
}

pub async fn list_cis(State(state): State<AppState>, caller: Caller, uri: Uri) -> ApiResult<Json<Page<CiView>>> {
    let q = ci_query(uri.query().unwrap_or(""))?;
    Ok(Json(ci::list(&state.core, &caller.ctx, &q).await?))
}

handlers! {
    get_ci(ApiPath(id: i64)) -> json: ci::get(CiId(id));
    create_ci(ApiJson(body: CiInput)) -> created: ci::create(body, Channel::Api);
    update_ci(ApiPath(id: i64), ApiJson(body: CiPatch)) -> json: ci::update(CiId(id), body, Channel::Api);
    delete_ci(ApiPath(id: i64), ApiQuery(q: Confirm)) -> no_content: ci::delete(CiId(id), q.confirm, Channel::Api);
}

// ---- relations and history ----

handlers! {
    relations(ApiPath(id: i64)) -> items: relation::list(CiId(id));
    create_relation(ApiJson(body: RelationInput)) -> created: relation::create(body, Channel::Api);
    delete_relation(ApiPath(id: i64)) -> no_content: relation::delete(CiRelationId(id), Channel::Api);
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

handlers! {
    history(ApiPath(id: i64), ApiQuery(q: HistoryQuery)) -> items: relation::history(CiId(id), q.before, q.limit);
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    // Optional here so a caller without rights hears 403 before a missing field (core says `required`).
    pub from: Option<i64>,
    pub to: Option<i64>,
}

handlers! {
    diff(ApiPath(id: i64), ApiQuery(q: DiffQuery)) -> items: relation::diff(CiId(id), q.from, q.to);
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    /// Unix milliseconds; now when left out.
    pub at: Option<i64>,
}

handlers! {
    as_of(ApiPath(id: i64), ApiQuery(q: AsOfQuery)) -> json: relation::as_of(CiId(id), q.at);
}

/// One CI's outcome in a bulk edit.
#[derive(serde::Serialize)]
pub struct CiBulkItem {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(serde::Serialize)]
pub struct CiBulkResult {
    pub succeeded: usize,
    pub failed: usize,
    pub results: Vec<CiBulkItem>,
}

/// Runs a bulk edit and words each refusal in the caller's language (API and page alike).
pub async fn bulk_result(state: &AppState, caller: &Caller, input: BulkCiInput, channel: Channel) -> Result<CiBulkResult, ApiError> {
    let done = yunwei_core::cmdb::bulk::bulk_update(&state.core, &caller.ctx, input, channel).await?;
    let results: Vec<CiBulkItem> = done
        .into_iter()
        .map(|(id, r)| match r {
            Ok(v) => CiBulkItem { id: id.0, name: Some(v.ci.name), ok: true, version: Some(v.ci.version), code: None, message: None },
            Err(e) => {
                let e = ApiError::from(e);
                let message = crate::middleware::error_title(&e, caller.tr);
                CiBulkItem { id: id.0, name: None, ok: false, version: None, code: Some(e.code), message: Some(message) }
            }
        })
        .collect();
    let succeeded = results.iter().filter(|r| r.ok).count();
    Ok(CiBulkResult { failed: results.len() - succeeded, succeeded, results })
}

pub async fn bulk_cis(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<BulkCiInput>) -> ApiResult<Json<CiBulkResult>> {
    Ok(Json(bulk_result(&state, &caller, body, Channel::Api).await?))
}
