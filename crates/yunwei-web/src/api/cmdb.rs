//! `/api/v1/cmdb`: classes and attributes, CIs, relations and history.

use crate::AppState;
use crate::api::incident::Items;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use serde::Deserialize;
use yunwei_core::cmdb::bulk::BulkCiInput;
use yunwei_core::cmdb::ci::{self, CiInput, CiPatch, CiQuery, CiView};
use yunwei_core::cmdb::model::{self, ClassDetail, ClassInput, ClassPatch, RelationTypeView, RuleInput};
use yunwei_core::cmdb::relation::{self, AsOf, HistoryEntry, RelationInput, RelationView};
use yunwei_core::cmdb::{Channel, ClassView};
use yunwei_core::store::cmdb::CiRelationRule;
use yunwei_core::store::sql::Page;
use yunwei_domain::cmdb::AttrDef;
use yunwei_domain::cmdb::attr::AttrInput;
use yunwei_domain::cmdb::history::FieldChange;
use yunwei_domain::ids::{CiAttributeId, CiClassId, CiId, CiRelationId};

// ---- the model ----

pub async fn classes(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Items<ClassView>>> {
    Ok(Json(Items { items: model::classes(&state.core, &caller.ctx).await? }))
}

pub async fn class(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ClassDetail>> {
    Ok(Json(model::class(&state.core, &caller.ctx, CiClassId(id)).await?))
}

pub async fn create_class(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ClassInput>,
) -> ApiResult<(StatusCode, Json<ClassView>)> {
    Ok((StatusCode::CREATED, Json(model::create_class(&state.core, &caller.ctx, body).await?)))
}

pub async fn update_class(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ClassPatch>,
) -> ApiResult<Json<ClassView>> {
    Ok(Json(model::update_class(&state.core, &caller.ctx, CiClassId(id), body).await?))
}

/// `?confirm=true` goes ahead although the class or attribute holds data (or a CI has dependants).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    #[serde(default)]
    pub confirm: bool,
}

pub async fn delete_class(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Confirm>,
) -> ApiResult<StatusCode> {
    model::delete_class(&state.core, &caller.ctx, CiClassId(id), q.confirm, Channel::Api).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn create_attribute(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AttrInput>,
) -> ApiResult<(StatusCode, Json<AttrDef>)> {
    Ok((StatusCode::CREATED, Json(model::create_attribute(&state.core, &caller.ctx, CiClassId(id), body).await?)))
}

pub async fn update_attribute(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AttrInput>,
) -> ApiResult<Json<AttrDef>> {
    Ok(Json(model::update_attribute(&state.core, &caller.ctx, CiAttributeId(id), body).await?))
}

pub async fn delete_attribute(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Confirm>,
) -> ApiResult<StatusCode> {
    model::delete_attribute(&state.core, &caller.ctx, CiAttributeId(id), q.confirm, Channel::Api).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn relation_types(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Items<RelationTypeView>>> {
    Ok(Json(Items { items: model::relation_types(&state.core, &caller.ctx).await? }))
}

pub async fn add_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RuleInput>,
) -> ApiResult<(StatusCode, Json<CiRelationRule>)> {
    Ok((StatusCode::CREATED, Json(model::add_rule(&state.core, &caller.ctx, body).await?)))
}

pub async fn delete_rule(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    model::delete_rule(&state.core, &caller.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
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

pub async fn get_ci(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<CiView>> {
    Ok(Json(ci::get(&state.core, &caller.ctx, CiId(id)).await?))
}

pub async fn create_ci(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CiInput>,
) -> ApiResult<(StatusCode, Json<CiView>)> {
    Ok((StatusCode::CREATED, Json(ci::create(&state.core, &caller.ctx, body, Channel::Api).await?)))
}

pub async fn update_ci(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CiPatch>,
) -> ApiResult<Json<CiView>> {
    Ok(Json(ci::update(&state.core, &caller.ctx, CiId(id), body, Channel::Api).await?))
}

pub async fn delete_ci(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Confirm>,
) -> ApiResult<StatusCode> {
    ci::delete(&state.core, &caller.ctx, CiId(id), q.confirm, Channel::Api).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- relations and history ----

pub async fn relations(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Items<RelationView>>> {
    Ok(Json(Items { items: relation::list(&state.core, &caller.ctx, CiId(id)).await? }))
}

pub async fn create_relation(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RelationInput>,
) -> ApiResult<(StatusCode, Json<RelationView>)> {
    Ok((StatusCode::CREATED, Json(relation::create(&state.core, &caller.ctx, body, Channel::Api).await?)))
}

pub async fn delete_relation(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    relation::delete(&state.core, &caller.ctx, CiRelationId(id), Channel::Api).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<Items<HistoryEntry>>> {
    Ok(Json(Items { items: relation::history(&state.core, &caller.ctx, CiId(id), q.before, q.limit).await? }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    // Optional here so a caller without rights hears 403 before a missing field (core says `required`).
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<Items<FieldChange>>> {
    Ok(Json(Items { items: relation::diff(&state.core, &caller.ctx, CiId(id), q.from, q.to).await? }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    /// Unix milliseconds; now when left out.
    pub at: Option<i64>,
}

pub async fn as_of(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> ApiResult<Json<AsOf>> {
    Ok(Json(relation::as_of(&state.core, &caller.ctx, CiId(id), q.at).await?))
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
