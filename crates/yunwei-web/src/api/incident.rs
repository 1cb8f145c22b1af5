//! Incidents, their categories and business services, and the desk settings.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, OptionalJson};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use yunwei_core::incident::{
    self, AssignInput, CategoryInput, CommentInput, EscalateInput, IncidentPatch, IncidentView, MajorInput, NewIncident, QueueQuery,
    ServiceInput, TransitionInput,
};
use yunwei_core::ticket;
use yunwei_domain::ids::{CategoryId, IncidentId, ServiceId};
use yunwei_domain::incident::{DeskSettings, Transition, parse_number};
use yunwei_domain::ticket::INCIDENT;

/// `/incidents/{id}` takes the number (`INC-000123`) or the bare id.
pub fn incident_id(text: &str) -> Result<IncidentId, ApiError> {
    parse_number(text).map(IncidentId).ok_or_else(ApiError::not_found)
}

handlers! {
    list(ApiQuery(q: QueueQuery)) -> json: incident::list(&q);
    create(ApiJson(body: NewIncident)) -> created: incident::create(body);
    get(ApiPath(id: String)) -> json: incident::get(incident_id(&id)?);
    patch(ApiPath(id: String), ApiJson(body: IncidentPatch)) -> json: incident::update(incident_id(&id)?, body);
    assign(ApiPath(id: String), ApiJson(body: AssignInput)) -> json: incident::assign(incident_id(&id)?, body);
    escalate(ApiPath(id: String), ApiJson(body: EscalateInput)) -> json: incident::escalate(incident_id(&id)?, body);
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

handlers! {
    comment(ApiPath(id: String), ApiJson(body: CommentInput)) -> created: ticket::comment(&INCIDENT, incident_id(&id)?.0, body.into());
    declare_major(ApiPath(id: String), ApiJson(body: MajorInput)) -> json: incident::declare_major(incident_id(&id)?, body);
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

handlers! {
    get_settings() -> json: incident::read_desk_settings();
    put_settings(ApiJson(body: DeskSettings)) -> json: incident::put_desk_settings(body);
}

/// Moved to `api/mod.rs`; the old path stays for code written with it.
pub use super::Items;

handlers! {
    list_categories() -> items: incident::list_categories();
    create_category(ApiJson(body: CategoryInput)) -> created: incident::create_category(body);
    put_category(ApiPath(id: i64), ApiJson(body: CategoryInput)) -> json: incident::update_category(CategoryId(id), body);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceQuery {
    pub q: Option<String>,
}

handlers! {
    list_services(ApiQuery(q: ServiceQuery)) -> items: incident::list_services(q.q.as_deref());
    create_service(ApiJson(body: ServiceInput)) -> created: incident::create_service(body);
    put_service(ApiPath(id: i64), ApiJson(body: ServiceInput)) -> json: incident::update_service(ServiceId(id), body);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: String,
    pub limit: Option<i64>,
}

handlers! {
    /// `GET /api/v1/search?q=`: incidents matching every word (Chinese split into two-character terms).
    search(ApiQuery(q: SearchQuery)) -> json: yunwei_core::search::search(&q.q, q.limit.unwrap_or(50));
}
