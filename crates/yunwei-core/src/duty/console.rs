//! The duty officer's console (值班台): per schedule the reader is on, who is on call now and
//! next; the reader's open incidents; firing alerts nobody acknowledged; the duty log
//! (值班日志) and handovers (交接班). Writing the log and handing over are for the officer
//! on duty (or within [`rules::GRACE_MS`] of their shift's end) and the schedule's managers.

use super::cache::roster_at;
use super::oncall::Person;
use super::schedule::names;
use crate::audit::{self, Change};
use crate::incident::{self, IncidentView, Queue, QueueQuery};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::duty::log::{self as rules, HandoverState, LogKind};
use yunwei_domain::ids::{DutyScheduleId, IncidentId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_store::alert::Alert;
use yunwei_store::duty as store;
use yunwei_store::duty_log::{self as log_store, Handover, LogEntry};

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    #[serde(default)]
    pub kind: LogKind,
    pub body: String,
    /// A fault report: when it happened (unix ms).
    pub occurred_at: Option<i64>,
    #[serde(default)]
    pub impact: String,
    pub incident_id: Option<IncidentId>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverInput {
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    #[serde(flatten)]
    pub row: LogEntry,
    pub author_name: String,
}

/// What was open when the officer handed over.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Snapshot {
    pub incidents: Vec<SnapItem>,
    pub alerts: Vec<SnapItem>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SnapItem {
    pub id: i64,
    /// `INC-000123` for incidents; the severity for alerts.
    pub label: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandoverView {
    #[serde(flatten)]
    pub row: Handover,
    pub from_name: String,
    pub to_name: Option<String>,
    pub acknowledged_by_name: Option<String>,
    pub open: Snapshot,
    /// The reader may acknowledge it now.
    pub may_acknowledge: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsoleSchedule {
    pub id: DutyScheduleId,
    pub name: String,
    pub now: Vec<Person>,
    pub next: Vec<Person>,
    /// When the next people take over; none within two weeks.
    pub next_at: Option<i64>,
    /// The reader may write the log and hand over.
    pub may_write: bool,
    pub log: Vec<EntryView>,
    pub handovers: Vec<HandoverView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Console {
    pub schedules: Vec<ConsoleSchedule>,
    pub my_incidents: Vec<IncidentView>,
    /// Firing and unacknowledged (empty for readers without `alert:read`).
    pub alerts: Vec<Alert>,
}

/// On duty now, or at some instant of the last [`rules::GRACE_MS`] (a shift just ended).
async fn on_duty(core: &Core, id: DutyScheduleId, user: UserId) -> Result<bool> {
    let now = core.now_ms();
    let roster = roster_at(core, id, now - rules::GRACE_MS).await?;
    Ok(roster.shifts(now - rules::GRACE_MS, now + 1).iter().any(|s| s.on_call.users.contains(&user.0)))
}

async fn may_write(core: &Core, ctx: &Ctx, id: DutyScheduleId, team: Option<yunwei_domain::ids::TeamId>) -> Result<bool> {
    let me = ctx.me()?.user_id;
    Ok(super::may_manage(ctx, team) || on_duty(core, id, me).await?)
}

async fn people(core: &Core, ids: &[i64]) -> Result<Vec<Person>> {
    let mut conn = core.db.read.acquire().await?;
    let named = names(&mut conn, ids.iter().map(|u| UserId(*u)).collect()).await?;
    Ok(ids.iter().map(|u| Person { id: UserId(*u), name: named.get(&UserId(*u)).cloned().unwrap_or_else(|| format!("#{u}")) }).collect())
}

async fn open_now(core: &Core, ctx: &Ctx) -> Result<(Vec<IncidentView>, Vec<Alert>)> {
    let perms = &ctx.me()?.permissions;
    let incidents = if perms.allows(ObjectType::Incident, Action::Read) {
        let q = QueueQuery { queue: Queue::Mine, limit: Some(50), ..QueueQuery::default() };
        incident::list(core, ctx, &q).await?.items
    } else {
        Vec::new()
    };
    let alerts = if perms.allows(ObjectType::Alert, Action::Read) {
        let q = crate::alert::AlertQuery { status: Some("firing".into()), limit: Some(200), ..Default::default() };
        crate::alert::list(core, ctx, q).await?.into_iter().filter(|a| a.acknowledged_at.is_none()).collect()
    } else {
        Vec::new()
    };
    Ok((incidents, alerts))
}

async fn handover_views(core: &Core, ctx: &Ctx, rows: Vec<Handover>, on_duty_now: &[i64]) -> Result<Vec<HandoverView>> {
    let me = ctx.me()?.user_id.0;
    let ids = rows.iter().flat_map(|h| [Some(h.from_user_id), h.to_user_id, h.acknowledged_by]).flatten().collect();
    let mut conn = core.db.read.acquire().await?;
    let named = names(&mut conn, ids).await?;
    let name = |u: UserId| named.get(&u).cloned().unwrap_or_else(|| format!("#{u}"));
    Ok(rows
        .into_iter()
        .map(|h| HandoverView {
            from_name: name(h.from_user_id),
            to_name: h.to_user_id.map(name),
            acknowledged_by_name: h.acknowledged_by.map(name),
            open: serde_json::from_str(&h.snapshot).unwrap_or_default(),
            may_acknowledge: rules::may_acknowledge(h.state, h.from_user_id.0, h.to_user_id.map(|u| u.0), me, on_duty_now).is_ok(),
            row: h,
        })
        .collect())
}

async fn console_schedule(core: &Core, ctx: &Ctx, id: DutyScheduleId) -> Result<ConsoleSchedule> {
    let s = store::get_schedule(&core.db.read, id).await?.ok_or(CoreError::NotFound("duty_schedule"))?;
    let now = core.now_ms();
    let roster = roster_at(core, id, now).await?;
    let current = roster.on_call(now).users;
    let coming = roster.shifts(now, now + 14 * DAY_MS);
    let next = coming.iter().skip(1).find(|sh| !sh.on_call.users.is_empty() && sh.on_call.users != current);
    let entries = log_store::entries(&core.db.read, id, now - 3 * DAY_MS).await?;
    let mut conn = core.db.read.acquire().await?;
    let named = names(&mut conn, entries.iter().map(|e| e.author_id).collect()).await?;
    drop(conn);
    let log = entries
        .into_iter()
        .map(|e| EntryView { author_name: named.get(&e.author_id).cloned().unwrap_or_else(|| format!("#{}", e.author_id)), row: e })
        .collect();
    let handovers = handover_views(core, ctx, log_store::handovers(&core.db.read, id).await?, &current).await?;
    Ok(ConsoleSchedule {
        id,
        name: s.name.clone(),
        now: people(core, &current).await?,
        next: people(core, next.map(|n| n.on_call.users.as_slice()).unwrap_or_default()).await?,
        next_at: next.map(|n| n.starts.as_millisecond()),
        may_write: may_write(core, ctx, id, s.team_id).await?,
        log,
        handovers,
    })
}

/// The console: the given schedule, else every schedule the reader is on.
pub async fn console(core: &Core, ctx: &Ctx, schedule: Option<DutyScheduleId>) -> Result<Console> {
    let (me, _) = ctx.authorize(ObjectType::Duty, Action::Read)?;
    let ids = match schedule {
        Some(id) => vec![id],
        None => store::schedules_of(&core.db.read, me.user_id, core.now_ms()).await?,
    };
    let mut schedules = Vec::new();
    for id in ids {
        schedules.push(console_schedule(core, ctx, id).await?);
    }
    let (my_incidents, alerts) = open_now(core, ctx).await?;
    Ok(Console { schedules, my_incidents, alerts })
}

async fn writable(core: &Core, ctx: &Ctx, id: DutyScheduleId) -> Result<()> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    let s = store::get_schedule(&core.db.read, id).await?.ok_or(CoreError::NotFound("duty_schedule"))?;
    if !may_write(core, ctx, id, s.team_id).await? {
        return Err(CoreError::Forbidden("duty_not_on_duty".into()));
    }
    Ok(())
}

/// Adds an entry to the schedule's duty log. Entries are never edited.
pub async fn write_entry(core: &Core, ctx: &Ctx, id: DutyScheduleId, input: EntryInput) -> Result<EntryView> {
    writable(core, ctx, id).await?;
    let me = ctx.me()?;
    let now = core.now_ms();
    let checked = rules::check_entry(input.kind, &input.body, input.occurred_at, &input.impact, now)?;
    if let Some(inc) = input.incident_id {
        // Only an incident the writer may read can be named (no probing by id).
        incident::get(core, ctx, inc).await?;
    }
    let mut e = LogEntry {
        id: 0,
        schedule_id: id,
        author_id: me.user_id,
        kind: checked.kind,
        body: checked.body,
        occurred_at: checked.occurred_at,
        impact: checked.impact,
        incident_id: input.incident_id,
        created_at: now,
    };
    let mut tx = core.db.begin().await?;
    e.id = log_store::insert_entry(&mut tx, &e).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_log", e.id, "create").after(&e)).await?;
    core.commit(tx).await?;
    Ok(EntryView { author_name: me.display_name.clone(), row: e })
}

/// Hands the shift over: what is open now, the notes, to whoever is on call when the
/// writer's shift ends.
pub async fn hand_over(core: &Core, ctx: &Ctx, id: DutyScheduleId, input: HandoverInput) -> Result<HandoverView> {
    writable(core, ctx, id).await?;
    let me = ctx.me()?.user_id;
    let notes = {
        let mut c = yunwei_domain::validate::Checker::new();
        let n = c.text("notes", input.notes.trim(), rules::MAX_BODY);
        c.finish()?;
        n
    };
    let now = core.now_ms();
    let roster = roster_at(core, id, now - rules::GRACE_MS).await?;
    let shifts = roster.shifts(now - rules::GRACE_MS, now + 14 * DAY_MS);
    // The end of the writer's current (or just ended) shift, run on through back-to-back
    // shifts of theirs; a manager off the roster hands over as of now.
    let mut mine_ends: Option<jiff::Timestamp> = None;
    for sh in shifts.iter().filter(|sh| sh.on_call.users.contains(&me.0)) {
        match mine_ends {
            None => mine_ends = Some(sh.ends),
            Some(end) if end == sh.starts => mine_ends = Some(sh.ends),
            Some(_) => break,
        }
    }
    let ends = mine_ends.map(|t| t.as_millisecond()).unwrap_or(now);
    let to = roster.on_call(ends).users.into_iter().find(|u| *u != me.0).map(UserId);
    let (incidents, alerts) = open_now(core, ctx).await?;
    let snapshot = Snapshot {
        incidents: incidents.iter().map(|i| SnapItem { id: i.row.id.0, label: i.number.clone(), title: i.row.title.clone() }).collect(),
        alerts: alerts.iter().map(|a| SnapItem { id: a.id, label: a.severity.as_str().to_string(), title: a.title.clone() }).collect(),
    };
    let mut h = Handover {
        id: 0,
        schedule_id: id,
        from_user_id: me,
        to_user_id: to,
        shift_ends_at: ends,
        snapshot: serde_json::to_string(&snapshot).map_err(|e| CoreError::Internal(e.to_string()))?,
        notes,
        state: HandoverState::Pending,
        acknowledged_by: None,
        acknowledged_at: None,
        created_at: now,
        version: 1,
    };
    let mut tx = core.db.begin().await?;
    h.id = log_store::insert_handover(&mut tx, &h).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_handover", h.id, "create").after(&h)).await?;
    core.commit(tx).await?;
    let on_now = roster.on_call(now).users;
    one(handover_views(core, ctx, vec![h], &on_now).await?)
}

/// The incoming officer acknowledges a handover (接班确认).
pub async fn acknowledge(core: &Core, ctx: &Ctx, handover: i64) -> Result<HandoverView> {
    let (me, _) = ctx.authorize(ObjectType::Duty, Action::Read)?;
    let me = me.user_id;
    let before = log_store::get_handover(&core.db.read, handover).await?.ok_or(CoreError::NotFound("duty_handover"))?;
    let now = core.now_ms();
    let on_now = roster_at(core, before.schedule_id, now).await?.on_call(now).users;
    if let Err(r) = rules::may_acknowledge(before.state, before.from_user_id.0, before.to_user_id.map(|u| u.0), me.0, &on_now) {
        return Err(match r {
            rules::Refusal::AlreadyAcknowledged => CoreError::Conflict(r.code()),
            _ => CoreError::Forbidden(r.code().into()),
        });
    }
    let after = Handover {
        state: HandoverState::Acknowledged,
        acknowledged_by: Some(me),
        acknowledged_at: Some(now),
        version: before.version + 1,
        ..before.clone()
    };
    let mut tx = core.db.begin().await?;
    if !log_store::update_handover(&mut tx, &after, before.version).await? {
        return Err(CoreError::Conflict("duty_handover_acknowledged"));
    }
    audit::write(core, &mut tx, ctx, Change::new("duty_handover", handover, "acknowledge").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    one(handover_views(core, ctx, vec![after], &on_now).await?)
}

fn one(views: Vec<HandoverView>) -> Result<HandoverView> {
    views.into_iter().next().ok_or(CoreError::NotFound("duty_handover"))
}
