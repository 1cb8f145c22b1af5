//! Incidents, their categories and business services, and the desk settings.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, OptionalJson};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use yunwei_core::incident::{
    self, AssignInput, CategoryInput, CommentInput, EscalateInput, IncidentDetail, IncidentPatch, IncidentView, MajorInput, NewIncident,
    QueueQuery, ServiceInput, TransitionInput,
};
use yunwei_core::store::incident::Category;
use yunwei_core::store::service::BusinessService;
use yunwei_core::store::sql::Page;
use yunwei_core::store::ticket::Activity;
use yunwei_core::ticket;
use yunwei_domain::ids::{CategoryId, IncidentId, ServiceId};
use yunwei_domain::incident::{DeskSettings, Transition, parse_number};
use yunwei_domain::ticket::INCIDENT;

/// `/incidents/{id}` takes the number (`INC-000123`) or the bare id.
pub fn incident_id(text: &str) -> Result<IncidentId, ApiError> {
    parse_number(text).map(IncidentId).ok_or_else(ApiError::not_found)
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<QueueQuery>) -> ApiResult<Json<Page<IncidentView>>> {
    Ok(Json(incident::list(&state.core, &caller.ctx, &q).await?))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewIncident>,
) -> ApiResult<(StatusCode, Json<IncidentView>)> {
    Ok((StatusCode::CREATED, Json(incident::create(&state.core, &caller.ctx, body).await?)))
}

pub async fn get(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Json<IncidentDetail>> {
    Ok(Json(incident::get(&state.core, &caller.ctx, incident_id(&id)?).await?))
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<IncidentPatch>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(incident::update(&state.core, &caller.ctx, incident_id(&id)?, body).await?))
}

pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AssignInput>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(incident::assign(&state.core, &caller.ctx, incident_id(&id)?, body).await?))
}

pub async fn escalate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EscalateInput>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(incident::escalate(&state.core, &caller.ctx, incident_id(&id)?, body).await?))
}

/// `POST /incidents/{id}/transitions/{transition}`: start, pend, resume, resolve, close, reopen.
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, t)): ApiPath<(String, String)>,
    OptionalJson(input): OptionalJson<TransitionInput>,
) -> ApiResult<Json<IncidentView>> {
    let t: Transition = t.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(incident::transition(&state.core, &caller.ctx, incident_id(&id)?, t, input).await?))
}

pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CommentInput>,
) -> ApiResult<(StatusCode, Json<Activity>)> {
    Ok((StatusCode::CREATED, Json(ticket::comment(&state.core, &caller.ctx, &INCIDENT, incident_id(&id)?.0, body.into()).await?)))
}

pub async fn declare_major(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<MajorInput>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(incident::declare_major(&state.core, &caller.ctx, incident_id(&id)?, body).await?))
}

#[derive(Serialize)]
pub struct Related {
    pub related: Vec<IncidentId>,
}

pub async fn link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, other)): ApiPath<(String, String)>,
) -> ApiResult<Json<Related>> {
    let related = incident::set_related(&state.core, &caller.ctx, incident_id(&id)?, incident_id(&other)?, true).await?;
    Ok(Json(Related { related }))
}

pub async fn unlink(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, other)): ApiPath<(String, String)>,
) -> ApiResult<Json<Related>> {
    let related = incident::set_related(&state.core, &caller.ctx, incident_id(&id)?, incident_id(&other)?, false).await?;
    Ok(Json(Related { related }))
}

// ---- configuration ----

pub async fn get_settings(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<DeskSettings>> {
    Ok(Json(incident::read_desk_settings(&state.core, &caller.ctx).await?))
}

pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DeskSettings>,
) -> ApiResult<Json<DeskSettings>> {
    Ok(Json(incident::put_desk_settings(&state.core, &caller.ctx, body).await?))
}

#[derive(Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

pub async fn list_categories(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Items<Category>>> {
    Ok(Json(Items { items: incident::list_categories(&state.core, &caller.ctx).await? }))
}

pub async fn create_category(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CategoryInput>,
) -> ApiResult<(StatusCode, Json<Category>)> {
    Ok((StatusCode::CREATED, Json(incident::create_category(&state.core, &caller.ctx, body).await?)))
}

pub async fn put_category(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CategoryInput>,
) -> ApiResult<Json<Category>> {
    Ok(Json(incident::update_category(&state.core, &caller.ctx, CategoryId(id), body).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceQuery {
    pub q: Option<String>,
}

pub async fn list_services(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ServiceQuery>,
) -> ApiResult<Json<Items<BusinessService>>> {
    Ok(Json(Items { items: incident::list_services(&state.core, &caller.ctx, q.q.as_deref()).await? }))
}

pub async fn create_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ServiceInput>,
) -> ApiResult<(StatusCode, Json<BusinessService>)> {
    Ok((StatusCode::CREATED, Json(incident::create_service(&state.core, &caller.ctx, body).await?)))
}

pub async fn put_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ServiceInput>,
) -> ApiResult<Json<BusinessService>> {
    Ok(Json(incident::update_service(&state.core, &caller.ctx, ServiceId(id), body).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: String,
    pub limit: Option<i64>,
}

/// `GET /api/v1/search?q=`: incidents matching every word (Chinese split into two-character terms).
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<yunwei_core::search::SearchResults>> {
    Ok(Json(yunwei_core::search::search(&state.core, &caller.ctx, &q.q, q.limit.unwrap_or(50)).await?))
}
