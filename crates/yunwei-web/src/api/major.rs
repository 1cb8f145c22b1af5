//! Major incidents (INC-7): phase changes, the war-room log, stakeholder
//! updates, the update interval, and the emergency report.

use super::incident::incident_id;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use yunwei_core::incident::major::{self, EntryInput, IntervalInput, PhaseInput, StakeholderUpdateInput};
use yunwei_core::incident::{self};
use yunwei_core::store::major::WarRoomEntry;

handlers! {
    /// `POST /incidents/{id}/major/phase`: the next phase, with an optional note.
    change_phase(ApiPath(id: String), ApiJson(body: PhaseInput)) -> json: major::change_phase(incident_id(&id)?, body);
}

#[derive(Serialize)]
pub struct Entries {
    pub items: Vec<WarRoomEntry>,
}

pub async fn war_room(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Entries>> {
    Ok(Json(Entries { items: major::war_room(&state.core, &caller.ctx, incident_id(&id)?).await? }))
}

handlers! {
    post_entry(ApiPath(id: String), ApiJson(body: EntryInput)) -> created: major::post_entry(incident_id(&id)?, body);
    post_stakeholder_update(ApiPath(id: String), ApiJson(body: StakeholderUpdateInput)) -> created: major::post_stakeholder_update(incident_id(&id)?, body);
    put_interval(ApiPath(id: String), ApiJson(body: IntervalInput)) -> json: major::set_interval(incident_id(&id)?, body);
    emergency_report(ApiPath(id: String)) -> json: incident::emergency_report(incident_id(&id)?);
}
