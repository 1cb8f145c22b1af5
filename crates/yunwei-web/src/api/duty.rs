//! On-call duty (值班): schedules, layers, members, overrides; who is on call and the shifts.

use crate::extract::{ApiJson, ApiPath, ApiQuery};
use serde::Deserialize;
use yunwei_core::duty::oncall::{self, AtQuery, RangeQuery};
use yunwei_core::duty::schedule::{self, LayerInput, OverrideInput, ScheduleInput};
use yunwei_core::duty::swap::{self, SwapInput};
use yunwei_domain::duty::swap::SwapStep;
use yunwei_domain::ids::{DutyLayerId, DutyOverrideId, DutyScheduleId, DutySwapId, UserId};

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
}
