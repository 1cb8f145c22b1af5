//! Shift swaps (调班须提前申请并获批准): the requester proposes that the counterpart covers
//! a period of the requester's shifts (and, optionally, that the requester covers one of the
//! counterpart's in return); the counterpart accepts; a supervisor who is neither approves
//! where the schedule asks for it. Approval writes the overrides. Each step checks the least
//! rest the schedule asks for between two shifts of one person, and each is audited.

use super::oncall::{Compiled, compiled};
use super::schedule::{names, schedule_for_swap, touch};
use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use yunwei_domain::duty::Override as Cover;
use yunwei_domain::duty::swap::{self as rules, Part, Refusal, SwapState, SwapStep};
use yunwei_domain::ids::{DutyScheduleId, DutySwapId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::duty::{self as store, Override, Swap};

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SwapInput {
    pub counterpart_id: UserId,
    /// The requester's period the counterpart covers (unix ms).
    pub starts_at: i64,
    pub ends_at: i64,
    /// The counterpart's period the requester covers in return, if any.
    pub return_starts_at: Option<i64>,
    pub return_ends_at: Option<i64>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SwapView {
    #[serde(flatten)]
    pub row: Swap,
    pub requester_name: String,
    pub counterpart_name: String,
    pub decided_by_name: Option<String>,
}

async fn views(conn: &mut yunwei_store::Conn, rows: Vec<Swap>) -> Result<Vec<SwapView>> {
    let ids = rows.iter().flat_map(|s| [Some(s.requester_id), Some(s.counterpart_id), s.decided_by]).flatten().collect();
    let names = names(conn, ids).await?;
    let name = |u: UserId| names.get(&u).cloned().unwrap_or_else(|| format!("#{u}"));
    Ok(rows
        .into_iter()
        .map(|s| SwapView {
            requester_name: name(s.requester_id),
            counterpart_name: name(s.counterpart_id),
            decided_by_name: s.decided_by.map(name),
            row: s,
        })
        .collect())
}

pub async fn list(core: &Core, ctx: &Ctx, schedule: DutyScheduleId) -> Result<Vec<SwapView>> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    let mut conn = core.db.read.acquire().await?;
    let rows = store::swaps(&mut *conn, schedule).await?;
    views(&mut conn, rows).await
}

fn invalid(field: &str, code: &str) -> CoreError {
    DomainError::Validation(vec![FieldError::new(field, code)]).into()
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or_default()
}

/// The covers a swap makes: the counterpart for the requester, and back.
fn covers(s: &Swap) -> Vec<Cover> {
    let mut out =
        vec![Cover { id: 0, user: s.counterpart_id.0, replaces: Some(s.requester_id.0), starts: ts(s.starts_at), ends: ts(s.ends_at) }];
    if let (Some(a), Some(b)) = (s.return_starts_at, s.return_ends_at) {
        out.push(Cover { id: 0, user: s.requester_id.0, replaces: Some(s.counterpart_id.0), starts: ts(a), ends: ts(b) });
    }
    out
}

/// Is `user` on call throughout `[from, to)`?
fn on_call_throughout(c: &Compiled, user: UserId, from: i64, to: i64) -> bool {
    c.shifts(from, to).iter().all(|s| s.on_call.users.contains(&user.0))
}

/// Refuses a swap that would leave either person less rest than the schedule asks.
fn check_rest(c: &Compiled, s: &Swap, min_rest_hours: i64) -> Result<()> {
    let roster = covers(s).into_iter().fold(c.roster.clone(), |r, o| r.with_override(o));
    let (from, to) = (
        s.starts_at.min(s.return_starts_at.unwrap_or(s.starts_at)) - 2 * DAY_MS,
        s.ends_at.max(s.return_ends_at.unwrap_or(0)) + 2 * DAY_MS,
    );
    let shifts = roster.shifts(ts(from), ts(to), &|d| c.working_day(d));
    for person in [s.requester_id, s.counterpart_id] {
        let periods = shifts.iter().filter(|x| x.on_call.users.contains(&person.0)).map(|x| (x.starts, x.ends)).collect();
        if rules::short_rest(periods, min_rest_hours * 3_600_000).is_some() {
            return Err(DomainError::Validation(vec![FieldError::new("starts_at", "rest_too_short").with("hours", min_rest_hours)]).into());
        }
    }
    Ok(())
}

pub async fn propose(core: &Core, ctx: &Ctx, schedule: DutyScheduleId, input: SwapInput) -> Result<SwapView> {
    let (actor, _) = ctx.authorize(ObjectType::Duty, Action::Transition)?;
    let me = actor.user_id;
    let now = core.now_ms();
    let mut c = Checker::new();
    let reason = c.text("reason", &input.reason, 500);
    if input.ends_at <= input.starts_at {
        c.push(FieldError::new("ends_at", "before_start"));
    }
    if input.starts_at < now {
        // 调班须提前申请: a swap is asked for ahead of the shift.
        c.push(FieldError::new("starts_at", "in_the_past"));
    }
    if input.ends_at - input.starts_at > 14 * DAY_MS {
        c.push(FieldError::new("ends_at", "too_long").with("max_days", 14));
    }
    match (input.return_starts_at, input.return_ends_at) {
        (None, None) => {}
        (Some(a), Some(b)) if b > a && a >= now && b - a <= 14 * DAY_MS => {}
        _ => c.push(FieldError::new("return_ends_at", "invalid_window")),
    }
    if input.counterpart_id == me {
        c.push(FieldError::new("counterpart_id", "same_person"));
    }
    c.finish()?;
    let mut tx = core.db.begin().await?;
    let sched = schedule_for_swap(&mut tx, schedule).await?;
    if yunwei_store::admin::get_user(&mut *tx, input.counterpart_id).await?.is_none_or(|u| u.disabled) {
        return Err(invalid("counterpart_id", "not_found"));
    }
    let (_, roster) = compiled(&mut tx, schedule, now).await?;
    if !on_call_throughout(&roster, me, input.starts_at, input.ends_at) {
        return Err(invalid("starts_at", "not_on_call"));
    }
    if let (Some(a), Some(b)) = (input.return_starts_at, input.return_ends_at)
        && !on_call_throughout(&roster, input.counterpart_id, a, b)
    {
        return Err(invalid("return_starts_at", "not_on_call"));
    }
    let mut s = Swap {
        schedule_id: schedule,
        requester_id: me,
        counterpart_id: input.counterpart_id,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        return_starts_at: input.return_starts_at,
        return_ends_at: input.return_ends_at,
        reason,
        state: SwapState::Proposed,
        needs_approval: sched.swap_needs_approval,
        created_at: now,
        updated_at: now,
        version: 1,
        ..Swap::default()
    };
    check_rest(&roster, &s, sched.min_rest_hours)?;
    s.id = store::insert_swap(&mut tx, &s).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_swap", s.id, "request").after(&s)).await?;
    let v = views(&mut tx, vec![s]).await?;
    core.commit(tx).await?;
    v.into_iter().next().ok_or(CoreError::NotFound("duty_swap"))
}

/// Accept, decline (the counterpart), approve, reject (a supervisor who is neither party,
/// with `duty:approve`) or cancel (the requester). Approval writes the overrides.
pub async fn act(core: &Core, ctx: &Ctx, id: DutySwapId, step: SwapStep) -> Result<SwapView> {
    let needed = if matches!(step, SwapStep::Approve | SwapStep::Reject) { Action::Approve } else { Action::Transition };
    let (actor, _) = ctx.authorize(ObjectType::Duty, needed)?;
    let me = actor.user_id;
    let may_approve = actor.permissions.allows(ObjectType::Duty, Action::Approve);
    let mut tx = core.db.begin().await?;
    let before = store::get_swap(&mut *tx, id).await?.ok_or(CoreError::NotFound("duty_swap"))?;
    let part = Part { is_requester: before.requester_id == me, is_counterpart: before.counterpart_id == me, may_approve };
    let to = rules::step(before.state, step, part, before.needs_approval).map_err(|r| match r {
        Refusal::Forbidden(why) => CoreError::Forbidden(why.into()),
        Refusal::Conflict(why) => CoreError::Conflict(why),
    })?;
    let sched = schedule_for_swap(&mut tx, before.schedule_id).await?;
    let now = core.now_ms();
    if to == SwapState::Approved {
        if before.starts_at < now {
            return Err(CoreError::Conflict("duty_swap_too_late"));
        }
        let (_, roster) = compiled(&mut tx, before.schedule_id, now).await?;
        check_rest(&roster, &before, sched.min_rest_hours)?;
        for cover in covers(&before) {
            let o = Override {
                schedule_id: before.schedule_id,
                user_id: UserId(cover.user),
                replaces_user_id: cover.replaces.map(UserId),
                starts_at: cover.starts.as_millisecond(),
                ends_at: cover.ends.as_millisecond(),
                reason: format!("调班 #{}", before.id),
                created_by: Some(me),
                created_at: now,
                ..Override::default()
            };
            store::insert_override(&mut tx, &o).await?;
        }
        touch(core, &mut tx, &sched).await?;
    }
    let decided = matches!(step, SwapStep::Approve | SwapStep::Reject) || to == SwapState::Approved;
    let after = Swap {
        state: to,
        decided_by: if decided { Some(me) } else { before.decided_by },
        updated_at: now,
        version: before.version + 1,
        ..before.clone()
    };
    if !store::update_swap(&mut tx, &after, before.version).await? {
        return Err(CoreError::Conflict("duty_swap_changed"));
    }
    audit::write(core, &mut tx, ctx, Change::new("duty_swap", id, step.as_str()).before(&before).after(&after)).await?;
    let schedule = after.schedule_id;
    let v = views(&mut tx, vec![after]).await?;
    core.commit(tx).await?;
    super::cache::written(core, schedule);
    v.into_iter().next().ok_or(CoreError::NotFound("duty_swap"))
}
