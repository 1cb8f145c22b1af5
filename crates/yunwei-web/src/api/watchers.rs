//! Watchers of tickets of every kind (the kernel's watchers). Each handler takes the ticket
//! kind first: the route table binds it (`openapi::op::watcher_ops`).

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, Caller, OptionalJson};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use yunwei_core::ticket;
use yunwei_domain::ids::UserId;
use yunwei_domain::ticket::TicketKind;

#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WatcherBody {
    /// Absent: the caller.
    pub user_id: Option<UserId>,
}

#[derive(Serialize)]
pub struct Watchers {
    pub watchers: Vec<UserId>,
}

fn id_of(kind: &TicketKind, number: &str) -> ApiResult<i64> {
    kind.parse_number(number).ok_or_else(ApiError::not_found)
}

pub async fn list(
    kind: &'static TicketKind,
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
) -> ApiResult<Json<Watchers>> {
    Ok(Json(Watchers { watchers: ticket::watchers(&state.core, &caller.ctx, kind, id_of(kind, &number)?).await? }))
}

pub async fn set(
    kind: &'static TicketKind,
    watch: bool,
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    OptionalJson(body): OptionalJson<WatcherBody>,
) -> ApiResult<Json<Watchers>> {
    let id = id_of(kind, &number)?;
    Ok(Json(Watchers { watchers: ticket::set_watching(&state.core, &caller.ctx, kind, id, body.user_id, watch).await? }))
}
