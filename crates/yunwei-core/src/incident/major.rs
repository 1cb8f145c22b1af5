//! Major incidents (SPEC INC-7, 应急响应): the response's phases, the war-room
//! log, stakeholder updates at a fixed rhythm, and the scheduler's reminder to
//! the commander when an update is late. Every command is one transaction with
//! its audit entry and events, like the rest of the incident service.

use super::{Effects, IncidentView, Note, audience, authorize_on, check_refs, event_for, save, view};
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{IncidentId, UserId};
use yunwei_domain::incident::ActivityKind;
use yunwei_domain::major::{INTERVAL_MINUTES, MajorPhase, WarRoomKind, next_phase, next_reminder, review_allowed};
use yunwei_domain::permission::Action;
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::incident::{self as incidents, Incident};
use yunwei_store::major::{self as store, MajorIncident, NewEntry, WarRoomEntry};

/// Declares a major incident (INC-7) and names its commander.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MajorInput {
    pub commander_id: UserId,
    pub reason: Option<String>,
}

pub async fn declare_major(core: &Core, ctx: &Ctx, id: IncidentId, input: MajorInput) -> Result<IncidentView> {
    let mut c = Checker::new();
    let reason = input.reason.as_deref().map(|r| c.text("reason", r, 2000)).unwrap_or_default();
    let mut tx = core.db.begin().await?;
    let before = super::load(core, &mut tx, ctx, id, Action::Assign).await?;
    check_refs(&mut tx, &mut c, None, None, None, &[("commander_id", Some(input.commander_id))]).await?;
    c.finish()?;
    let mut after = before.clone();
    after.major = true;
    after.commander_id = Some(input.commander_id);
    yunwei_store::ticket::add_watcher(&mut tx, &yunwei_domain::ticket::INCIDENT, id.0, input.commander_id).await?;
    let notes = vec![Note {
        kind: ActivityKind::MajorDeclared,
        public: true,
        body: reason,
        data: serde_json::json!({ "commander_id": input.commander_id }),
    }];
    let mut to_users = audience(core, &mut tx, &after, false).await?;
    to_users.push(input.commander_id);
    to_users.sort();
    to_users.dedup();
    let events =
        vec![event_for(EventType::IncidentMajorDeclared, &after, &to_users, serde_json::json!({ "commander_id": input.commander_id }))];
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: "declare_major", notes, events }).await?;
    open_war_room(core, &mut tx, ctx, &after, Some(input.commander_id)).await?;
    core.commit(tx).await?;
    view(&after)
}

/// War-room entries and stakeholder updates are short messages, not reports.
pub const MAX_ENTRY: usize = 4000;

/// The role whose holders hear every stakeholder update (运维总监).
const DIRECTOR_ROLE: &str = "ops_director";

/// A major incident's response as clients see it (`major_incident` in the incident JSON): the
/// stored row (field access reaches it, `m.phase`) with what is derived from it.
#[derive(Debug, Clone, Serialize)]
pub struct MajorView {
    #[serde(flatten)]
    pub row: MajorIncident,
    /// The phase the commander may move to next, if any.
    pub next_phase: Option<MajorPhase>,
    /// Whether the stakeholders' next update (`next_update_due_at`, absent from the review
    /// on) is late.
    pub update_overdue: bool,
}

impl std::ops::Deref for MajorView {
    type Target = MajorIncident;
    fn deref(&self) -> &MajorIncident {
        &self.row
    }
}

pub fn major_view(m: &MajorIncident, now: i64) -> Result<MajorView> {
    Ok(MajorView { row: m.clone(), next_phase: m.phase.next(), update_overdue: m.next_update_due_at.is_some_and(|d| d < now) })
}

/// Opens the war room of a newly declared major incident, or names a new commander of an existing one.
pub(crate) async fn open_war_room(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    i: &Incident,
    commander: Option<UserId>,
) -> Result<()> {
    if let Some(before) = store::get(&mut **tx, i.id).await? {
        if commander.is_some() && commander != before.commander_id {
            let mut after = before.clone();
            after.commander_id = commander;
            write(core, tx, ctx, &before, &mut after, "name_commander").await?;
        }
        return Ok(());
    }
    start_war_room(core, tx, ctx, i, commander).await?;
    Ok(tx.flush().await?)
}

/// The response record of an incident that has none yet (a new P1 has none), staged.
pub(crate) async fn start_war_room(
    core: &Core,
    s: &mut impl yunwei_store::Stage,
    ctx: &Ctx,
    i: &Incident,
    commander: Option<UserId>,
) -> Result<()> {
    let now = core.now_ms();
    let interval = i64::from(super::desk_settings(core).await?.major_update_interval_minutes);
    let due = now + interval * 60_000;
    let m = MajorIncident {
        incident_id: i.id,
        phase: MajorPhase::Declared,
        commander_id: commander,
        update_interval_minutes: interval,
        declared_at: now,
        next_update_due_at: Some(due),
        remind_at: Some(due),
        version: 1,
        ..MajorIncident::default()
    };
    store::insert(s, &m).await?;
    let data = serde_json::json!({ "from": null, "to": MajorPhase::Declared, "commander_id": commander });
    let entry = NewEntry {
        incident_id: i.id,
        at: now,
        author_id: ctx.actor_id().map(UserId),
        kind: WarRoomKind::PhaseChange.as_str(),
        body: "",
        data,
    };
    store::stage_entry(s, &entry).await?;
    audit::write(core, s, ctx, Change::new("major_incident", i.id, "declare").after(&m)).await?;
    Ok(())
}

async fn add_entry(
    tx: &mut yunwei_store::Tx,
    incident_id: IncidentId,
    at: i64,
    author_id: Option<UserId>,
    kind: WarRoomKind,
    body: &str,
    data: serde_json::Value,
) -> Result<i64> {
    Ok(store::add_entry(tx, &NewEntry { incident_id, at, author_id, kind: kind.as_str(), body, data }).await?)
}

/// Writes the changed response (optimistic version check) with its audit entry.
async fn write(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    before: &MajorIncident,
    after: &mut MajorIncident,
    action: &str,
) -> Result<()> {
    after.version = before.version + 1;
    if !store::update(tx, after, before.version).await? {
        return Err(CoreError::Conflict("incident_changed"));
    }
    audit::write(core, tx, ctx, Change::new("major_incident", after.incident_id, action).before(before).after(after)).await?;
    Ok(())
}

/// Loads the incident (locked) and its response; the caller must be able to read the incident.
async fn load(core: &Core, tx: &mut Conn, ctx: &Ctx, id: IncidentId) -> Result<(Incident, MajorIncident)> {
    let i = super::load(core, tx, ctx, id, Action::Read).await?;
    let m = store::get(&mut *tx, id).await?.ok_or(CoreError::Conflict("incident_not_major"))?;
    Ok((i, m))
}

/// The commander and whoever may assign the incident lead the response.
fn may_lead(ctx: &Ctx, i: &Incident, m: &MajorIncident) -> Result<()> {
    if m.commander_id.is_some() && m.commander_id == ctx.actor_id().map(UserId) {
        return Ok(());
    }
    authorize_on(ctx, Action::Assign, i)
}

/// The war room is written by the commander, the team working the incident and whoever may assign it.
fn may_write(ctx: &Ctx, i: &Incident, m: &MajorIncident) -> Result<()> {
    let in_team = ctx.actor.as_ref().is_some_and(|a| i.team_id.is_some_and(|t| a.place.teams.contains(&t)));
    if in_team && ctx.actor_id().is_some() {
        // Team members still need incident rights at all (a disabled role set keeps them out).
        return authorize_on(ctx, Action::Read, i);
    }
    may_lead(ctx, i, m).map_err(|_| CoreError::Forbidden("incident:war_room:write".into()))
}

/// What the caller may do in this incident's war room (the page offers only these forms).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct WarRoomRights {
    /// Move the phase and change the interval.
    pub lead: bool,
    /// Record actions and decisions, post stakeholder updates.
    pub write: bool,
}

pub async fn my_rights(core: &Core, ctx: &Ctx, id: IncidentId) -> Result<WarRoomRights> {
    let mut rd = core.db.snapshot().await?;
    let i = super::load_read(&mut rd, ctx, id, Action::Read).await?;
    let Some(m) = store::get(&mut *rd, id).await? else { return Ok(WarRoomRights::default()) };
    Ok(WarRoomRights { lead: may_lead(ctx, &i, &m).is_ok(), write: may_write(ctx, &i, &m).is_ok() })
}

/// Those who may read the whole war-room log and the emergency report: whoever may write
/// to the log, or update the incident.
pub(crate) fn works_the_response(ctx: &Ctx, i: &Incident, m: &MajorIncident) -> bool {
    may_write(ctx, i, m).is_ok() || authorize_on(ctx, Action::Update, i).is_ok()
}

fn open_for_writing(m: &MajorIncident) -> Result<MajorPhase> {
    let phase = m.phase;
    if phase == MajorPhase::Closed { Err(CoreError::Conflict("major_incident_closed")) } else { Ok(phase) }
}

/// Everyone kept informed: watchers, the commander, the team's manager and the operations directors.
pub(crate) async fn stakeholders(conn: &mut Conn, i: &Incident, m: &MajorIncident) -> Result<Vec<UserId>> {
    let mut to = yunwei_store::ticket::watchers(&mut *conn, &yunwei_domain::ticket::INCIDENT, i.id.0).await?;
    to.extend(m.commander_id);
    if let Some(t) = i.team_id
        && let Some(manager) = yunwei_store::admin::get_team(&mut *conn, t).await?.and_then(|t| t.manager_id)
    {
        to.push(manager);
    }
    to.extend(yunwei_store::admin::role_holders(&mut *conn, DIRECTOR_ROLE).await?);
    to.sort();
    to.dedup();
    Ok(to)
}

fn event(kind: EventType, i: &Incident, m: &MajorIncident, recipients: &[UserId], extra: serde_json::Value) -> Result<Event> {
    let phase = m.phase;
    let mut extra = extra;
    if let Some(o) = extra.as_object_mut() {
        o.insert("phase".into(), serde_json::json!(phase));
        o.insert("phase_zh".into(), phase_name(phase, true).into());
        o.insert("phase_en".into(), phase_name(phase, false).into());
        o.insert("interval_minutes".into(), m.update_interval_minutes.into());
    }
    Ok(super::event_for(kind, i, recipients, extra))
}

/// Phase names for notification texts (the pages use the locale files).
pub fn phase_name(p: MajorPhase, zh: bool) -> &'static str {
    match (p, zh) {
        (MajorPhase::Declared, true) => "已宣布",
        (MajorPhase::Containment, true) => "控制",
        (MajorPhase::Recovery, true) => "恢复",
        (MajorPhase::Review, true) => "总结复盘",
        (MajorPhase::Closed, true) => "已关闭",
        (MajorPhase::Declared, false) => "declared",
        (MajorPhase::Containment, false) => "containment",
        (MajorPhase::Recovery, false) => "recovery",
        (MajorPhase::Review, false) => "review",
        (MajorPhase::Closed, false) => "closed",
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseInput {
    pub phase: MajorPhase,
    /// What the commander records with the move (kept in the war-room log).
    pub note: Option<String>,
}

pub async fn change_phase(core: &Core, ctx: &Ctx, id: IncidentId, input: PhaseInput) -> Result<MajorView> {
    let mut c = Checker::new();
    let note = input.note.as_deref().map(|n| c.text("note", n, MAX_ENTRY)).unwrap_or_default();
    c.finish()?;
    let mut tx = core.db.begin().await?;
    let (i, before) = load(core, &mut tx, ctx, id).await?;
    may_lead(ctx, &i, &before)?;
    let from = before.phase;
    let to = next_phase(from, input.phase)?;
    let state = i.state;
    if to == MajorPhase::Review && !review_allowed(state) {
        return Err(CoreError::Conflict("major_review_needs_resolution"));
    }
    let now = core.now_ms();
    let mut after = before.clone();
    after.phase = to;
    match to {
        MajorPhase::Containment => after.containment_at = Some(now),
        MajorPhase::Recovery => after.recovery_at = Some(now),
        MajorPhase::Review => after.review_at = Some(now),
        MajorPhase::Closed => after.closed_at = Some(now),
        MajorPhase::Declared => {}
    }
    if !to.expects_updates() {
        after.next_update_due_at = None;
        after.remind_at = None;
    }
    write(core, &mut tx, ctx, &before, &mut after, to.as_str()).await?;
    let actor = ctx.actor_id().map(UserId);
    add_entry(&mut tx, id, now, actor, WarRoomKind::PhaseChange, &note, serde_json::json!({ "from": from, "to": to })).await?;
    let to_users: Vec<UserId> = stakeholders(&mut tx, &i, &after).await?.into_iter().filter(|u| Some(*u) != actor).collect();
    let extra = serde_json::json!({ "from": from, "to": to, "note": note });
    emit(core, &mut tx, ctx, event(EventType::IncidentMajorPhaseChanged, &i, &after, &to_users, extra)?).await?;
    core.commit(tx).await?;
    major_view(&after, now)
}

pub async fn war_room(core: &Core, ctx: &Ctx, id: IncidentId) -> Result<Vec<WarRoomEntry>> {
    // One snapshot: who works the response is judged on the rows the entries belong to.
    let mut rd = core.db.snapshot().await?;
    let i = super::load_read(&mut rd, ctx, id, Action::Read).await?;
    let m = store::get(&mut *rd, id).await?.ok_or(CoreError::Conflict("incident_not_major"))?;
    let entries = store::entries(&mut *rd, id).await?;
    rd.commit().await?;
    // The log is the response's working record, like work notes: a requester or other
    // reader who does not work the response sees only what was sent to stakeholders.
    if works_the_response(ctx, &i, &m) {
        return Ok(entries);
    }
    Ok(entries.into_iter().filter(|e| e.kind == WarRoomKind::StakeholderUpdate.as_str()).collect())
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    /// `action` or `decision` (stakeholder updates and phase changes have their own commands).
    pub kind: WarRoomKind,
    pub body: String,
}

fn entry_text(c: &mut Checker, body: &str) -> String {
    let text = c.text("body", body, MAX_ENTRY);
    if text.trim().is_empty() {
        c.push(FieldError::new("body", "required"));
    }
    text
}

async fn added(tx: &mut Conn, id: IncidentId, entry: i64) -> Result<WarRoomEntry> {
    store::entries(&mut *tx, id).await?.into_iter().find(|e| e.id == entry).ok_or(CoreError::NotFound("war_room_entry"))
}

pub async fn post_entry(core: &Core, ctx: &Ctx, id: IncidentId, input: EntryInput) -> Result<WarRoomEntry> {
    let mut c = Checker::new();
    let body = entry_text(&mut c, &input.body);
    if !input.kind.is_manual() {
        c.push(FieldError::new("kind", "not_allowed_value").with("allowed", "action, decision"));
    }
    c.finish()?;
    let mut tx = core.db.begin().await?;
    let (i, m) = load(core, &mut tx, ctx, id).await?;
    may_write(ctx, &i, &m)?;
    let phase = open_for_writing(&m)?;
    let now = core.now_ms();
    let data = serde_json::json!({ "phase": phase });
    let entry_id = add_entry(&mut tx, id, now, ctx.actor_id().map(UserId), input.kind, &body, data).await?;
    let entry = added(&mut tx, id, entry_id).await?;
    audit::write(core, &mut tx, ctx, Change::new("major_incident", id, "war_room_entry").after(&entry)).await?;
    core.commit(tx).await?;
    Ok(entry)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StakeholderUpdateInput {
    pub body: String,
}

/// Sends an update to the stakeholders and restarts the update interval.
pub async fn post_stakeholder_update(core: &Core, ctx: &Ctx, id: IncidentId, input: StakeholderUpdateInput) -> Result<WarRoomEntry> {
    let mut c = Checker::new();
    let body = entry_text(&mut c, &input.body);
    c.finish()?;
    let mut tx = core.db.begin().await?;
    let (i, before) = load(core, &mut tx, ctx, id).await?;
    may_write(ctx, &i, &before)?;
    let phase = open_for_writing(&before)?;
    let now = core.now_ms();
    let mut after = before.clone();
    after.last_update_at = Some(now);
    if phase.expects_updates() {
        let due = now + before.update_interval_minutes * 60_000;
        after.next_update_due_at = Some(due);
        after.remind_at = Some(due);
    }
    write(core, &mut tx, ctx, &before, &mut after, "stakeholder_update").await?;
    let actor = ctx.actor_id().map(UserId);
    let data = serde_json::json!({ "phase": phase });
    let entry_id = add_entry(&mut tx, id, now, actor, WarRoomKind::StakeholderUpdate, &body, data).await?;
    let entry = added(&mut tx, id, entry_id).await?;
    let to_users: Vec<UserId> = stakeholders(&mut tx, &i, &after).await?.into_iter().filter(|u| Some(*u) != actor).collect();
    let extra = serde_json::json!({ "body": body, "next_update_due_at": after.next_update_due_at });
    emit(core, &mut tx, ctx, event(EventType::IncidentMajorUpdatePosted, &i, &after, &to_users, extra)?).await?;
    core.commit(tx).await?;
    Ok(entry)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalInput {
    pub update_interval_minutes: i64,
}

pub async fn set_interval(core: &Core, ctx: &Ctx, id: IncidentId, input: IntervalInput) -> Result<MajorView> {
    let (min, max) = (i64::from(*INTERVAL_MINUTES.start()), i64::from(*INTERVAL_MINUTES.end()));
    if !(min..=max).contains(&input.update_interval_minutes) {
        return Err(yunwei_domain::DomainError::Validation(vec![
            FieldError::new("update_interval_minutes", "out_of_range").with("min", min).with("max", max),
        ])
        .into());
    }
    let mut tx = core.db.begin().await?;
    let (i, before) = load(core, &mut tx, ctx, id).await?;
    may_lead(ctx, &i, &before)?;
    let phase = open_for_writing(&before)?;
    let mut after = before.clone();
    after.update_interval_minutes = input.update_interval_minutes;
    if phase.expects_updates() {
        // The new rhythm counts from the last update (or the declaration).
        let due = before.last_update_at.unwrap_or(before.declared_at) + input.update_interval_minutes * 60_000;
        after.next_update_due_at = Some(due);
        after.remind_at = Some(due);
    }
    write(core, &mut tx, ctx, &before, &mut after, "update_interval").await?;
    core.commit(tx).await?;
    major_view(&after, core.now_ms())
}

/// The scheduler's round (job `incident.major_updates`): reminds commanders whose update is late,
/// once per missed interval. The next reminder time is stored, so a restart neither repeats nor loses one.
pub async fn remind_late_updates(core: &Core) -> Result<usize> {
    let now = core.now_ms();
    let ctx = Ctx::system();
    let mut tx = core.db.begin().await?;
    let due = store::due_reminders(&mut tx, &core.db, now, 50).await?;
    let n = due.len();
    for before in due {
        let mut after = before.clone();
        let phase = before.phase;
        let (Some(update_due), true) = (before.next_update_due_at, phase.expects_updates()) else {
            after.remind_at = None;
            write(core, &mut tx, &ctx, &before, &mut after, "reminder_stopped").await?;
            continue;
        };
        after.remind_at = Some(next_reminder(update_due, before.update_interval_minutes * 60_000, now));
        write(core, &mut tx, &ctx, &before, &mut after, "update_reminder").await?;
        let Some(i) = incidents::get(&mut *tx, before.incident_id).await? else { continue };
        // No commander yet: the operations directors are asked instead.
        let to_users = match before.commander_id {
            Some(c) => vec![c],
            None => yunwei_store::admin::role_holders(&mut *tx, DIRECTOR_ROLE).await?,
        };
        let late_minutes = (now - update_due) / 60_000;
        let extra = serde_json::json!({ "due_at": update_due, "late_minutes": late_minutes });
        emit(core, &mut tx, &ctx, event(EventType::IncidentMajorUpdateDue, &i, &after, &to_users, extra)?).await?;
    }
    core.commit(tx).await?;
    Ok(n)
}

/// Built-in notification templates of major incidents: (event, locale, subject, body).
pub const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "incident.major_phase_changed",
        "zh-CN",
        "【{{ payload.number }}】重大事件进入{{ payload.phase_zh }}阶段：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 将重大事件 {{ payload.number }} 推进到「{{ payload.phase_zh }}」阶段。\n{{ payload.note }}\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.major_phase_changed",
        "en",
        "[{{ payload.number }}] Major incident now in {{ payload.phase_en }}: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} moved major incident {{ payload.number }} to the {{ payload.phase_en }} phase at {{ time }}.\n{{ payload.note }}\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.major_update_posted",
        "zh-CN",
        "【{{ payload.number }}】重大事件进展通报：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 发布重大事件 {{ payload.number }} 进展通报（当前阶段：{{ payload.phase_zh }}）：\n\n{{ payload.body }}\n\n下次通报间隔 {{ payload.interval_minutes }} 分钟。\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.major_update_posted",
        "en",
        "[{{ payload.number }}] Major incident update: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} posted an update on major incident {{ payload.number }} at {{ time }} (phase: {{ payload.phase_en }}):\n\n{{ payload.body }}\n\nThe next update is due in {{ payload.interval_minutes }} minutes.\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.major_update_due",
        "zh-CN",
        "【{{ payload.number }}】重大事件进展通报已逾期：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n重大事件 {{ payload.number }} 的进展通报已逾期 {{ payload.late_minutes }} 分钟（通报间隔 {{ payload.interval_minutes }} 分钟，当前阶段：{{ payload.phase_zh }}）。请尽快向相关方通报处置进展。\n发布通报：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.major_update_due",
        "en",
        "[{{ payload.number }}] Stakeholder update overdue: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nThe stakeholder update of major incident {{ payload.number }} is {{ payload.late_minutes }} minutes late (interval {{ payload.interval_minutes }} minutes, phase: {{ payload.phase_en }}). Please tell the stakeholders where the response stands.\nPost an update: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
];
