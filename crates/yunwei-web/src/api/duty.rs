//! On-call duty (值班): schedules, layers, members, overrides; who is on call and the shifts.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yunwei_core::duty::console::{self, EntryInput, HandoverInput};
use yunwei_core::duty::feed;
use yunwei_core::duty::oncall::{self, AtQuery, RangeQuery};
use yunwei_core::duty::report::{self, ReportQuery};
use yunwei_core::duty::schedule::{self, LayerInput, OverrideInput, ScheduleInput};
use yunwei_core::duty::swap::{self, SwapInput};
use yunwei_domain::duty::swap::SwapStep;
use yunwei_domain::ids::{DutyLayerId, DutyOverrideId, DutyScheduleId, DutySwapId, UserId};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleQuery {
    pub schedule: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub user_id: UserId,
}

handlers! {
    list_schedules() -> items: schedule::list();
    create_schedule(ApiJson(body: ScheduleInput)) -> created: schedule::create(body);
    get_schedule(ApiPath(id: i64)) -> json: schedule::get(DutyScheduleId(id));
    put_schedule(ApiPath(id: i64), ApiJson(body: ScheduleInput)) -> json: schedule::update(DutyScheduleId(id), body);
    add_layer(ApiPath(id: i64), ApiJson(body: LayerInput)) -> created: schedule::add_layer(DutyScheduleId(id), body);
    put_layer(ApiPath(id: i64), ApiJson(body: LayerInput)) -> json: schedule::update_layer(DutyLayerId(id), body);
    add_member(ApiPath(id: i64), ApiJson(body: MemberInput)) -> created: schedule::add_member(DutyLayerId(id), body.user_id);
    /// `DELETE /duty/layers/{id}/members/{user}`: the member finishes the shift in progress.
    remove_member(ApiPath((id, user): (i64, i64))) -> json: schedule::remove_member(DutyLayerId(id), UserId(user));
    add_override(ApiPath(id: i64), ApiJson(body: OverrideInput)) -> created: schedule::add_override(DutyScheduleId(id), body);
    delete_override(ApiPath(id: i64)) -> json: schedule::delete_override(DutyOverrideId(id));
    on_call(ApiPath(id: i64), ApiQuery(q: AtQuery)) -> json: oncall::on_call(DutyScheduleId(id), q);
    shifts(ApiPath(id: i64), ApiQuery(q: RangeQuery)) -> items: oncall::shifts(DutyScheduleId(id), q);
    list_swaps(ApiPath(id: i64)) -> items: swap::list(DutyScheduleId(id));
    propose_swap(ApiPath(id: i64), ApiJson(body: SwapInput)) -> created: swap::propose(DutyScheduleId(id), body);
    /// `POST /duty/swaps/{id}/{action}`: accept, decline, approve, reject or cancel.
    swap_step(ApiPath((id, step): (i64, SwapStep))) -> json: swap::act(DutySwapId(id), step);
    roster_report(ApiPath(id: i64), ApiQuery(q: ReportQuery)) -> json: report::report(DutyScheduleId(id), q);
    feed_state() -> json: feed::state();
    get_console(ApiQuery(q: ConsoleQuery)) -> json: console::console(q.schedule.map(DutyScheduleId));
    write_log(ApiPath(id: i64), ApiJson(body: EntryInput)) -> created: console::write_entry(DutyScheduleId(id), body);
    hand_over(ApiPath(id: i64), ApiJson(body: HandoverInput)) -> created: console::hand_over(DutyScheduleId(id), body);
    acknowledge_handover(ApiPath(id: i64)) -> json: console::acknowledge(id);
    /// `POST /duty/feed`: a new secret for the caller's feed URLs; the old one stops working.
    new_feed_secret() -> created: feed::new_secret();
}

fn calendar(text: String) -> Response {
    // Calendar applications poll; the secret is in the URL, so no shared cache may keep it.
    ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "private, no-store")], text).into_response()
}

/// `GET /duty/feeds/{secret}/schedules/{id}`: a schedule's shifts as iCalendar (no sign-in: the secret is the capability).
pub async fn schedule_feed(State(state): State<AppState>, ApiPath((secret, id)): ApiPath<(String, i64)>) -> ApiResult<Response> {
    Ok(calendar(feed::schedule_feed(&state.core, &secret, DutyScheduleId(id)).await?))
}

/// `GET /duty/feeds/{secret}/mine`: the secret's owner's own shifts on every schedule.
pub async fn my_feed(State(state): State<AppState>, ApiPath(secret): ApiPath<String>) -> ApiResult<Response> {
    Ok(calendar(feed::my_feed(&state.core, &secret).await?))
}
