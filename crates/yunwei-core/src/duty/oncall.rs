//! Who is on call: the schedule's rows made into a [`Roster`] and asked. The escalation
//! engine and the alert process call [`who_is_on_call`]; people and pages call [`on_call`]
//! and [`shifts`], which check `duty:read`.

use super::schedule::names;
use crate::{Core, CoreError, Ctx, Result};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use yunwei_calendar::{Calendar, CalendarSpec};
use yunwei_domain::duty::{self as rules, LayerSpec, Member, Override, Restriction, Roster};
use yunwei_domain::ids::{DutyLayerId, DutyScheduleId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_store::Conn;
use yunwei_store::duty::{self as store, Loaded};

/// A schedule ready to be asked, with the business calendar its working-day layers follow.
pub struct Compiled {
    pub roster: Roster,
    calendar: Option<Calendar>,
}

impl Compiled {
    pub fn working_day(&self, d: Date) -> bool {
        match &self.calendar {
            Some(c) => c.is_working_day(d),
            None => rules::weekdays(d),
        }
    }

    /// Working, weekend or public holiday, by the schedule's calendar (Saturday and Sunday
    /// are the weekend without one).
    pub fn day_type(&self, d: Date) -> rules::report::DayType {
        use rules::report::DayType;
        match &self.calendar {
            Some(c) if c.is_holiday(d) => DayType::Holiday,
            Some(c) if !c.is_working_day(d) => DayType::Weekend,
            Some(_) => DayType::Working,
            None if d.weekday().to_monday_one_offset() >= 6 => DayType::Weekend,
            None => DayType::Working,
        }
    }

    pub fn on_call(&self, at: i64) -> rules::OnCall {
        let t = Timestamp::from_millisecond(at).unwrap_or_default();
        self.roster.on_call(t, &|d| self.working_day(d))
    }

    pub fn shifts(&self, from: i64, to: i64) -> Vec<rules::Shift> {
        let (f, t) = (Timestamp::from_millisecond(from).unwrap_or_default(), Timestamp::from_millisecond(to).unwrap_or_default());
        self.roster.shifts(f, t, &|d| self.working_day(d))
    }
}

fn local(text: &str) -> Option<DateTime> {
    text.parse().ok()
}

fn clock(text: &Option<String>) -> Option<Time> {
    text.as_deref().and_then(|t| t.parse().ok())
}

/// The rows made into a roster. Layers whose stored rule no longer parses are left out
/// (they were checked when written), rather than leaving the whole schedule unanswered.
pub fn compile(loaded: &Loaded, calendar: Option<Calendar>) -> Compiled {
    let tz = TimeZone::get(&loaded.schedule.time_zone).unwrap_or(TimeZone::UTC);
    let ms = |v: i64| Timestamp::from_millisecond(v).unwrap_or_default();
    let specs: Vec<LayerSpec> = loaded
        .layers
        .iter()
        .filter_map(|l| {
            let starts = local(&l.starts_local)?;
            let window = clock(&l.window_from).zip(clock(&l.window_to));
            let members = loaded
                .members
                .iter()
                .filter(|m| m.layer_id == l.id)
                .map(|m| Member { user: m.user_id.0, position: m.turn_order, joined: ms(m.joined_at), left: m.left_at.map(ms) })
                .collect();
            rules::rotation::Rotation::new(l.rotation, l.rotation_length, &l.rrule, starts).ok()?;
            Some(LayerSpec {
                id: l.id.0,
                rank: l.precedence,
                kind: l.rotation,
                length: l.rotation_length,
                rule: l.rrule.clone(),
                starts,
                ends: l.ends_local.as_deref().and_then(local),
                responders: l.responders,
                restriction: Restriction { days: l.restrict_days, window },
                members,
            })
        })
        .collect();
    let overrides = loaded
        .overrides
        .iter()
        .map(|o| Override {
            id: o.id.0,
            user: o.user_id.0,
            replaces: o.replaces_user_id.map(|u| u.0),
            starts: ms(o.starts_at),
            ends: ms(o.ends_at),
        })
        .collect();
    // Every spec was checked above; an empty roster if building ever failed all the same.
    let roster = Roster::new(tz.clone(), &specs, overrides).unwrap_or_else(|_| Roster::empty(tz));
    Compiled { roster, calendar }
}

/// The schedule's business calendar: its own, else the default one, else none (weekdays).
async fn calendar_of(conn: &mut Conn, loaded: &Loaded) -> Result<Option<Calendar>> {
    let row = match loaded.schedule.calendar_id {
        Some(id) => yunwei_store::sla::get_calendar(&mut *conn, id).await?,
        None => yunwei_store::sla::calendars(&mut *conn).await?.into_iter().find(|c| c.is_default),
    };
    let Some(row) = row else { return Ok(None) };
    let spec: CalendarSpec = serde_json::from_str(&row.spec).map_err(|e| CoreError::Internal(format!("calendar {}: {e}", row.id)))?;
    Ok(Calendar::new(&spec).ok())
}

/// Loads and compiles a schedule, with overrides ending after `since`.
pub async fn compiled(conn: &mut Conn, id: DutyScheduleId, since: i64) -> Result<(Loaded, Compiled)> {
    let loaded = store::load(conn, id, since).await?.ok_or(CoreError::NotFound("duty_schedule"))?;
    let calendar = calendar_of(conn, &loaded).await?;
    let c = compile(&loaded, calendar);
    Ok((loaded, c))
}

/// Who is on call on `schedule` at `at` (unix ms): the entry for engines (escalation, alert
/// routing), which act for the system. Not authorised here: it takes no caller.
/// Answered from this node's roster cache (ADR 0029).
pub async fn who_is_on_call(core: &Core, schedule: DutyScheduleId, at: i64) -> Result<Vec<UserId>> {
    let c = super::cache::roster_at(core, schedule, at).await?;
    Ok(c.on_call(at).users.into_iter().map(UserId).collect())
}

/// A schedule's compiled roster with overrides ending after `since`, for engines that ask
/// many times (and the bench). Not authorised here: it takes no caller.
pub async fn roster(core: &Core, schedule: DutyScheduleId, since: i64) -> Result<std::sync::Arc<Compiled>> {
    super::cache::roster_at(core, schedule, since).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OnCallView {
    pub schedule_id: DutyScheduleId,
    pub schedule_name: String,
    pub at: i64,
    pub users: Vec<Person>,
    pub layer_id: Option<DutyLayerId>,
    pub layer_name: Option<String>,
    /// Overrides in force.
    pub overrides: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShiftView {
    pub starts_at: i64,
    pub ends_at: i64,
    pub users: Vec<Person>,
    pub layer_id: Option<DutyLayerId>,
    pub layer_name: Option<String>,
    pub overridden: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    /// Unix ms; default now.
    pub at: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// Unix ms; default now.
    pub from: Option<i64>,
    /// Unix ms; default two weeks after `from`; at most 400 days after it.
    pub to: Option<i64>,
}

fn layer_name(loaded: &Loaded, id: Option<i64>) -> Option<String> {
    id.and_then(|id| loaded.layers.iter().find(|l| l.id.0 == id)).map(|l| l.name.clone())
}

async fn people(conn: &mut Conn, ids: &[i64]) -> Result<Vec<Person>> {
    let names = names(conn, ids.iter().map(|u| UserId(*u)).collect()).await?;
    Ok(ids.iter().map(|u| Person { id: UserId(*u), name: names.get(&UserId(*u)).cloned().unwrap_or_else(|| format!("#{u}")) }).collect())
}

pub async fn on_call(core: &Core, ctx: &Ctx, schedule: DutyScheduleId, q: AtQuery) -> Result<OnCallView> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    let at = q.at.unwrap_or_else(|| core.now_ms());
    let mut conn = core.db.read.acquire().await?;
    let (loaded, c) = compiled(&mut conn, schedule, at).await?;
    let now = c.on_call(at);
    Ok(OnCallView {
        schedule_id: schedule,
        schedule_name: loaded.schedule.name.clone(),
        at,
        users: people(&mut conn, &now.users).await?,
        layer_id: now.layer.map(DutyLayerId),
        layer_name: layer_name(&loaded, now.layer),
        overrides: now.overrides,
    })
}

pub async fn shifts(core: &Core, ctx: &Ctx, schedule: DutyScheduleId, q: RangeQuery) -> Result<Vec<ShiftView>> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    let from = q.from.unwrap_or_else(|| core.now_ms());
    let to = q.to.unwrap_or(from + 14 * 86_400_000);
    if to <= from || to - from > rules::MAX_RANGE_DAYS * 86_400_000 {
        return Err(yunwei_domain::DomainError::Validation(vec![
            yunwei_domain::FieldError::new("to", "out_of_range").with("max_days", rules::MAX_RANGE_DAYS),
        ])
        .into());
    }
    let mut conn = core.db.read.acquire().await?;
    let (loaded, c) = compiled(&mut conn, schedule, from).await?;
    let shifts = c.shifts(from, to);
    let mut ids: Vec<i64> = shifts.iter().flat_map(|s| s.on_call.users.iter().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let all = people(&mut conn, &ids).await?;
    let person = |u: &i64| all.iter().find(|p| p.id.0 == *u).cloned();
    Ok(shifts
        .iter()
        .map(|s| ShiftView {
            starts_at: s.starts.as_millisecond(),
            ends_at: s.ends.as_millisecond(),
            users: s.on_call.users.iter().filter_map(person).collect(),
            layer_id: s.on_call.layer.map(DutyLayerId),
            layer_name: layer_name(&loaded, s.on_call.layer),
            overridden: !s.on_call.overrides.is_empty(),
        })
        .collect())
}
