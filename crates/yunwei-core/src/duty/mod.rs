//! On-call duty (值班, SPEC DUTY): schedules of layered rotations with restrictions and
//! overrides ([`schedule`]), and who is on call at any time ([`oncall`]).
//!
//! Permissions (data, ordinary work — no administrator duty): `duty:read` sees schedules;
//! `duty:update` manages them (at `team` scope: the schedules of one's own teams).

pub mod cache;
pub mod console;
pub mod feed;
pub mod oncall;
pub mod report;
pub mod schedule;
pub mod swap;

pub use oncall::{OnCallView, ShiftView, who_is_on_call};
pub use schedule::{LayerInput, OverrideInput, ScheduleInput, ScheduleView};

use crate::{CoreError, Ctx, Result};
use yunwei_domain::ids::TeamId;
use yunwei_domain::permission::{Action, ObjectType, Scope};

/// May the caller manage a schedule of `team`? `duty:update` at scope `all`, or at a narrower
/// scope for a schedule of one of the caller's teams.
pub(crate) fn authorize_manage(ctx: &Ctx, team: Option<TeamId>) -> Result<()> {
    let (actor, scope) = ctx.authorize(ObjectType::Duty, Action::Update)?;
    if scope == Scope::All || team.is_some_and(|t| actor.place.teams.contains(&t)) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(format!("duty:update:{scope}")))
    }
}

/// Whether the caller may manage a schedule of `team` (for pages offering the forms).
pub fn may_manage(ctx: &Ctx, team: Option<TeamId>) -> bool {
    authorize_manage(ctx, team).is_ok()
}
