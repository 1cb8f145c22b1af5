//! Major incidents (INC-7): phase changes, the war-room log, stakeholder
//! updates, the update interval, and the emergency report.

use super::incident::incident_id;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use yunwei_core::incident::major::{self, EntryInput, IntervalInput, MajorView, PhaseInput, StakeholderUpdateInput};
use yunwei_core::incident::{self, EmergencyReport};
use yunwei_core::store::major::WarRoomEntry;

/// `POST /incidents/{id}/major/phase`: the next phase, with an optional note.
pub async fn change_phase(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PhaseInput>,
) -> ApiResult<Json<MajorView>> {
    Ok(Json(major::change_phase(&state.core, &caller.ctx, incident_id(&id)?, body).await?))
}

#[derive(Serialize)]
pub struct Entries {
    pub items: Vec<WarRoomEntry>,
}

pub async fn war_room(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Entries>> {
    Ok(Json(Entries { items: major::war_room(&state.core, &caller.ctx, incident_id(&id)?).await? }))
}

pub async fn post_entry(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EntryInput>,
) -> ApiResult<(StatusCode, Json<WarRoomEntry>)> {
    Ok((StatusCode::CREATED, Json(major::post_entry(&state.core, &caller.ctx, incident_id(&id)?, body).await?)))
}

pub async fn post_stakeholder_update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<StakeholderUpdateInput>,
) -> ApiResult<(StatusCode, Json<WarRoomEntry>)> {
    Ok((StatusCode::CREATED, Json(major::post_stakeholder_update(&state.core, &caller.ctx, incident_id(&id)?, body).await?)))
}

pub async fn put_interval(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<IntervalInput>,
) -> ApiResult<Json<MajorView>> {
    Ok(Json(major::set_interval(&state.core, &caller.ctx, incident_id(&id)?, body).await?))
}

pub async fn emergency_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<EmergencyReport>> {
    Ok(Json(incident::emergency_report(&state.core, &caller.ctx, incident_id(&id)?).await?))
}
