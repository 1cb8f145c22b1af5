//! A schedule's report: coverage gaps in the coming days (nobody on call) and fairness —
//! shifts and hours per person, weekend and public-holiday work apart, by the schedule's
//! business calendar (调休 make-up days are working days).

use super::cache::roster_at;
use super::oncall::Person;
use super::schedule::names;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::duty::report::{self as rules, Gap, Load};
use yunwei_domain::ids::{DutyScheduleId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::{DomainError, FieldError};

const DAY_MS: i64 = 86_400_000;
pub const MAX_DAYS: i64 = 92;
/// Gaps shorter than this (a handoff a few minutes late in a rule) are not worth a warning.
const MIN_GAP_MS: i64 = 15 * 60_000;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Days ahead for gaps, and each side of now for fairness: 1–92, default 28.
    pub days: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadView {
    pub person: Person,
    #[serde(flatten)]
    pub load: Load,
}

#[derive(Debug, Clone, Serialize)]
pub struct RosterReport {
    pub schedule_id: DutyScheduleId,
    pub days: i64,
    /// Periods from now to `days` ahead with nobody on call.
    pub gaps: Vec<GapView>,
    /// From `days` before now to `days` after, most hours first.
    pub fairness: Vec<LoadView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GapView {
    pub starts_at: i64,
    pub ends_at: i64,
}

impl From<Gap> for GapView {
    fn from(g: Gap) -> Self {
        GapView { starts_at: g.starts.as_millisecond(), ends_at: g.ends.as_millisecond() }
    }
}

pub async fn report(core: &Core, ctx: &Ctx, id: DutyScheduleId, q: ReportQuery) -> Result<RosterReport> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    let days = q.days.unwrap_or(28);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(DomainError::Validation(vec![FieldError::new("days", "out_of_range").with("min", 1).with("max", MAX_DAYS)]).into());
    }
    yunwei_store::duty::get_schedule(&core.db.read, id).await?.ok_or(CoreError::NotFound("duty_schedule"))?;
    let now = core.now_ms();
    let roster = roster_at(core, id, now - days * DAY_MS).await?;
    let gaps = rules::gaps(&roster.shifts(now, now + days * DAY_MS), MIN_GAP_MS).into_iter().map(GapView::from).collect();
    let around = roster.shifts(now - days * DAY_MS, now + days * DAY_MS);
    let loads = rules::fairness(&around, roster.roster.time_zone(), &|d| roster.day_type(d));
    let mut conn = core.db.read.acquire().await?;
    let named = names(&mut conn, loads.iter().map(|l| UserId(l.user)).collect()).await?;
    let fairness = loads
        .into_iter()
        .map(|l| {
            let name = named.get(&UserId(l.user)).cloned().unwrap_or_else(|| format!("#{}", l.user));
            LoadView { person: Person { id: UserId(l.user), name }, load: l }
        })
        .collect();
    Ok(RosterReport { schedule_id: id, days, gaps, fairness })
}
