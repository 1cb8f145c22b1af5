//! Commands on an existing incident: assign and escalate, move through the
//! lifecycle, reply or note, edit, watch, link, declare major; and the SLA
//! timer's firings. Each is one transaction with its audit entry and events.

use super::{Effects, IncidentView, Note, apply_sla, audience, check_refs, event_for, governing_of, load, save, view};
use crate::notify::Event;
use crate::sla::{self, Firing};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{CategoryId, CiId, IncidentId, ServiceId, TeamId, UserId};
use yunwei_domain::incident::{
    self as rules, ActivityKind, IncidentState, IncidentSummary, Level, PendingReason, Transition, after_assignment, next_state,
};
use yunwei_domain::permission::Action;
use yunwei_domain::validate::Checker;
use yunwei_store::incident as store;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    /// Why (kept on the timeline as a work note).
    pub note: Option<String>,
}

pub async fn assign(core: &Core, ctx: &Ctx, id: IncidentId, input: AssignInput) -> Result<IncidentView> {
    let mut c = Checker::new();
    let note = input.note.as_deref().map(|n| c.text("note", n, super::MAX_TEXT));
    if input.team_id.is_none() && input.assignee_id.is_none() {
        c.push(FieldError::new("team_id", "required"));
    }
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Assign).await?;
    let team = input.team_id.or(before.team_id);
    check_refs(&mut tx, &mut c, None, None, input.team_id, &[("assignee_id", input.assignee_id)]).await?;
    if let (Some(t), Some(a)) = (team, input.assignee_id)
        && !yunwei_store::admin::team_members(&mut *tx, t).await?.contains(&a)
    {
        c.push(FieldError::new("assignee_id", "not_team_member"));
    }
    c.finish()?;
    let mut after = before.clone();
    let team_changed = team != before.team_id;
    after.team_id = team;
    // A new team starts without a person unless one is named.
    after.assignee_id = if team_changed { input.assignee_id } else { input.assignee_id.or(before.assignee_id) };
    let changed = after.assignee_id != before.assignee_id || team_changed;
    let from = before.state;
    let to = after_assignment(from, changed)?;
    after.state = to;
    if to != IncidentState::Pending {
        after.pending_reason = None;
    }
    let g = governing_of(core, &mut tx, &after).await?;
    apply_sla(g.as_ref(), &mut after, core.now_ms())?;
    let data = serde_json::json!({
        "from_team": before.team_id, "to_team": after.team_id,
        "from_assignee": before.assignee_id, "to_assignee": after.assignee_id,
    });
    let mut notes = vec![Note::new(ActivityKind::Assigned, data)];
    if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
        notes.push(Note { kind: ActivityKind::WorkNote, public: false, body: n, data: serde_json::json!({}) });
    }
    let to_users: Vec<UserId> =
        audience(core, &mut tx, &after, false).await?.into_iter().filter(|u| Some(*u) != ctx.actor_id().map(UserId)).collect();
    let events = vec![event_for(EventType::IncidentAssigned, &after, &to_users, serde_json::json!({}))];
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: "assign", notes, events }).await?;
    core.commit(tx).await?;
    view(&after)
}

/// Functional escalation hands the incident to another team (experts, a vendor
/// desk); hierarchical escalation brings in the team's manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationKind {
    Functional,
    Hierarchical,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EscalateInput {
    pub kind: EscalationKind,
    /// Required for functional escalation.
    pub team_id: Option<TeamId>,
    pub reason: String,
}

pub async fn escalate(core: &Core, ctx: &Ctx, id: IncidentId, input: EscalateInput) -> Result<IncidentView> {
    let mut c = Checker::new();
    let reason = c.name("reason", &input.reason, 2000);
    if input.kind == EscalationKind::Functional && input.team_id.is_none() {
        c.push(FieldError::new("team_id", "required"));
    }
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Assign).await?;
    check_refs(&mut tx, &mut c, None, None, input.team_id, &[]).await?;
    c.finish()?;
    let state = before.state;
    if !state.is_open() {
        return Err(yunwei_domain::DomainError::IllegalTransition { object: "incident", from: state.as_str(), action: "escalate" }.into());
    }
    let mut after = before.clone();
    let mut to_users = Vec::new();
    match input.kind {
        EscalationKind::Functional => {
            after.team_id = input.team_id;
            after.assignee_id = None;
            after.state = IncidentState::Assigned;
            after.pending_reason = None;
            to_users = audience(core, &mut tx, &after, false).await?;
        }
        EscalationKind::Hierarchical => {
            let manager = match before.team_id {
                Some(t) => yunwei_store::admin::get_team(&mut *tx, t).await?.and_then(|t| t.manager_id),
                None => None,
            };
            let Some(manager) = manager else { return Err(CoreError::Conflict("no_manager_to_escalate_to")) };
            yunwei_store::ticket::add_watcher(&mut tx, &yunwei_domain::ticket::INCIDENT, id.0, manager).await?;
            to_users.push(manager);
        }
    }
    let g = governing_of(core, &mut tx, &after).await?;
    apply_sla(g.as_ref(), &mut after, core.now_ms())?;
    let data = serde_json::json!({ "kind": input.kind, "from_team": before.team_id, "to_team": after.team_id });
    let notes = vec![Note { kind: ActivityKind::Escalated, public: false, body: reason.clone(), data }];
    let events =
        vec![event_for(EventType::IncidentEscalated, &after, &to_users, serde_json::json!({ "kind": input.kind, "reason": reason }))];
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: "escalate", notes, events }).await?;
    core.commit(tx).await?;
    view(&after)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// For `pend`: whom the incident waits for.
    pub pending_reason: Option<PendingReason>,
    /// For `resolve`.
    pub resolution_code: Option<String>,
    pub resolution: Option<String>,
    /// For `resolve`: when service was restored (defaults to now).
    pub restored_at: Option<super::Instant>,
    /// For `close` (required for P1/P2 unless already saved).
    pub summary: Option<IncidentSummary>,
    /// A public reply sent with the change.
    pub comment: Option<String>,
}

pub async fn transition(core: &Core, ctx: &Ctx, id: IncidentId, t: Transition, input: TransitionInput) -> Result<IncidentView> {
    let settings = super::desk_settings(core).await?;
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Transition).await?;
    let from = before.state;
    let to = next_state(from, t)?;
    let now = core.now_ms();
    let mut after = before.clone();
    let mut c = Checker::new();
    let comment = input.comment.as_deref().map(|x| c.text("comment", x, super::MAX_TEXT)).filter(|x| !x.trim().is_empty());
    match t {
        Transition::Pend => match input.pending_reason {
            Some(r) => after.pending_reason = Some(r),
            None => c.push(FieldError::new("pending_reason", "required")),
        },
        Transition::Resolve => {
            for e in rules::check_resolution(&settings, input.resolution_code.as_deref(), input.resolution.as_deref()) {
                c.push(e);
            }
            if let Some(r) = &input.resolution {
                c.text("resolution", r, super::MAX_TEXT);
            }
            after.resolution_code = input.resolution_code.clone();
            after.resolution = input.resolution.clone();
            after.restored_at = Some(input.restored_at.map_or(now, |t| t.0));
            after.resolved_at = Some(now);
            after.responded_at = after.responded_at.or(Some(now));
            if after.assignee_id.is_none() {
                after.assignee_id = ctx.actor_id().map(UserId);
            }
        }
        Transition::Close => {
            if let Some(s) = &input.summary {
                for (field, v) in [
                    ("summary.cause", &s.cause),
                    ("summary.handling", &s.handling),
                    ("summary.lessons", &s.lessons),
                    ("summary.prevention", &s.prevention),
                ] {
                    c.text(field, v, super::MAX_TEXT);
                }
                after.summary = Some(s.clone());
            }
            rules::check_close(&settings, before.priority, after.summary.as_ref())?;
            after.closed_at = Some(now);
        }
        Transition::Reopen => {
            rules::check_reopen(&settings, before.resolved_at, now)?;
            after.resolved_at = None;
            after.closed_at = None;
            after.resolution_code = None;
            after.resolution = None;
            after.restored_at = None;
        }
        Transition::Start => {
            after.responded_at = after.responded_at.or(Some(now));
        }
        Transition::Resume => {}
    }
    c.finish()?;
    if to != IncidentState::Pending {
        after.pending_reason = None;
    }
    after.state = to;
    let g = governing_of(core, &mut tx, &after).await?;
    apply_sla(g.as_ref(), &mut after, now)?;
    let data = serde_json::json!({ "from": from, "to": to, "transition": t, "pending_reason": after.pending_reason, "resolution_code": after.resolution_code });
    let mut notes = vec![Note {
        kind: ActivityKind::StateChanged,
        public: true,
        body: after.resolution.clone().filter(|_| t == Transition::Resolve).unwrap_or_default(),
        data,
    }];
    if let Some(text) = comment {
        notes.push(Note { kind: ActivityKind::Reply, public: true, body: text, data: serde_json::json!({}) });
    }
    let actor = ctx.actor_id().map(UserId);
    let to_users: Vec<UserId> = audience(core, &mut tx, &after, true).await?.into_iter().filter(|u| Some(*u) != actor).collect();
    let events = vec![event_for(EventType::IncidentStateChanged, &after, &to_users, serde_json::json!({ "from": from, "to": to }))];
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: t.as_str(), notes, events }).await?;
    // Resolving asks the requester for a survey, and resolves open children with the same resolution (INC-8).
    if t == Transition::Resolve {
        crate::survey::on_resolved(core, &mut tx, ctx, &crate::survey::Subject::incident(&after)).await?;
        for child in store::children(&mut *tx, id).await? {
            resolve_child(core, &mut tx, ctx, child, &after).await?;
        }
    }
    core.commit(tx).await?;
    view(&after)
}

async fn resolve_child(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, child: IncidentId, parent: &store::Incident) -> Result<()> {
    let Some(before) = store::get_for_update(tx, &core.db, child).await? else { return Ok(()) };
    let from = before.state;
    if !from.is_open() {
        return Ok(());
    }
    let now = core.now_ms();
    let mut after = before.clone();
    after.state = IncidentState::Resolved;
    after.pending_reason = None;
    after.resolution_code = parent.resolution_code.clone();
    after.resolution = parent.resolution.clone();
    after.restored_at = parent.restored_at;
    after.resolved_at = Some(now);
    after.responded_at = after.responded_at.or(Some(now));
    let g = governing_of(core, tx, &after).await?;
    apply_sla(g.as_ref(), &mut after, now)?;
    let parent_number = rules::number(parent.id.0);
    let data = serde_json::json!({ "from": from, "to": "resolved", "transition": "resolve", "by_parent": parent_number });
    let notes = vec![Note { kind: ActivityKind::StateChanged, public: true, body: after.resolution.clone().unwrap_or_default(), data }];
    let to_users = audience(core, tx, &after, true).await?;
    let events = vec![event_for(EventType::IncidentStateChanged, &after, &to_users, serde_json::json!({ "from": from, "to": "resolved" }))];
    save(core, tx, ctx, &before, &mut after, Effects { action: "resolve", notes, events }).await?;
    crate::survey::on_resolved(core, tx, ctx, &crate::survey::Subject::incident(&after)).await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
    /// Public replies reach the requester; work notes (`false`) stay with the desk.
    #[serde(default)]
    pub public: bool,
}

impl From<CommentInput> for crate::ticket::Comment {
    fn from(c: CommentInput) -> Self {
        Self { body: c.body, public: c.public }
    }
}

/// Edits of the record itself. Absent fields are kept; changing impact or
/// urgency re-derives the priority and moves the SLA deadlines in the same transaction.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub impact: Option<Level>,
    pub urgency: Option<Level>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub category_id: Option<Option<CategoryId>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub service_id: Option<Option<ServiceId>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub ci_ref: Option<Option<String>>,
    /// The configuration item it is about; `null` unlinks (linking needs read on the CI).
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub ci_id: Option<Option<CiId>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub impact_scope: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub parent_id: Option<Option<IncidentId>>,
    pub summary: Option<IncidentSummary>,
    /// The version the caller last saw; a mismatch is refused (409) rather than overwriting.
    pub version: Option<i64>,
}

pub async fn update(core: &Core, ctx: &Ctx, id: IncidentId, input: IncidentPatch) -> Result<IncidentView> {
    let settings = super::desk_settings(core).await?;
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update).await?;
    if input.version.is_some_and(|v| v != before.version) {
        return Err(CoreError::Conflict("incident_changed"));
    }
    let mut c = Checker::new();
    let mut after = before.clone();
    if let Some(t) = &input.title {
        after.title = c.name("title", t, super::MAX_TITLE);
    }
    if let Some(d) = &input.description {
        after.description = c.text("description", d, super::MAX_TEXT);
        if d.trim().is_empty() {
            c.push(FieldError::new("description", "required"));
        }
    }
    let text = |c: &mut Checker, field: &str, v: &Option<Option<String>>, keep: &Option<String>, max: usize| match v {
        None => keep.clone(),
        Some(v) => v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| c.name(field, s, max)),
    };
    after.ci_ref = text(&mut c, "ci_ref", &input.ci_ref, &before.ci_ref, 200);
    after.location = text(&mut c, "location", &input.location, &before.location, 200);
    after.impact_scope = text(&mut c, "impact_scope", &input.impact_scope, &before.impact_scope, 2000);
    if let Some(ci) = input.ci_id {
        if let Some(id) = ci.filter(|id| Some(*id) != before.ci_id) {
            crate::cmdb::authorize_link(&mut tx, ctx, &mut c, "ci_id", id).await?;
        }
        after.ci_id = ci;
    }
    if let Some(cat) = input.category_id {
        after.category_id = cat;
    }
    if let Some(s) = input.service_id {
        after.service_id = s;
    }
    if let Some(p) = input.parent_id {
        if p == Some(id) {
            c.push(FieldError::new("parent_id", "self_reference"));
        } else if let Some(p) = p {
            super::check_parent(&mut tx, ctx, &mut c, p).await?;
        }
        after.parent_id = p;
    }
    if let Some(s) = &input.summary {
        after.summary = Some(s.clone());
    }
    let cat = input.category_id.flatten();
    let svc = input.service_id.flatten();
    check_refs(&mut tx, &mut c, cat, svc, None, &[]).await?;
    after.impact = input.impact.unwrap_or(before.impact);
    after.urgency = input.urgency.unwrap_or(before.urgency);
    after.priority = settings.matrix.priority(after.impact, after.urgency);
    c.finish()?;
    let now = core.now_ms();
    let g = if after.service_id != before.service_id {
        sla::governing_for(core, &mut tx, after.service_id, after.department_id).await?
    } else {
        governing_of(core, &mut tx, &after).await?
    };
    apply_sla(g.as_ref(), &mut after, now)?;
    let mut notes = Vec::new();
    if after.priority != before.priority {
        notes.push(Note::new(ActivityKind::PriorityChanged, serde_json::json!({ "from": before.priority, "to": after.priority })));
    }
    notes.push(Note { kind: ActivityKind::Updated, public: false, body: String::new(), data: serde_json::json!({}) });
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: "update", notes, events: Vec::new() }).await?;
    core.commit(tx).await?;
    view(&after)
}

/// Adds or removes the caller (or, with assign rights, anyone) as a watcher.
/// Not authorised here: the kernel's `ticket::set_watching` checks, as for every kind.
pub async fn set_watching(core: &Core, ctx: &Ctx, id: IncidentId, user: Option<UserId>, watch: bool) -> Result<Vec<UserId>> {
    crate::ticket::set_watching(core, ctx, &yunwei_domain::ticket::INCIDENT, id.0, user, watch).await
}

/// Relates two incidents (both ways) or undoes it.
pub async fn set_related(core: &Core, ctx: &Ctx, id: IncidentId, other: IncidentId, related: bool) -> Result<Vec<IncidentId>> {
    if id == other {
        return Err(yunwei_domain::DomainError::field("related_id", "self_reference").into());
    }
    let mut tx = core.db.begin().await?;
    load(core, &mut tx, ctx, id, Action::Update).await?;
    // The link is written on both records: the caller must be able to update the other one
    // too. One they cannot even read is "not found", so that ids outside their scope reveal nothing.
    match store::get_for_update(&mut tx, &core.db, other).await? {
        Some(o) if super::authorize_on(ctx, Action::Read, &o).is_ok() => super::authorize_on(ctx, Action::Update, &o)?,
        _ => return Err(yunwei_domain::DomainError::field("related_id", "not_found").into()),
    }
    if related {
        store::link(&mut tx, id, other).await?;
    } else {
        store::unlink(&mut tx, id, other).await?;
    }
    let action = if related { "link" } else { "unlink" };
    crate::audit::write(
        core,
        &mut tx,
        ctx,
        crate::audit::Change::new("incident", id, action).after(&serde_json::json!({ "related_id": other })),
    )
    .await?;
    let out = store::related(&mut *tx, id).await?;
    core.commit(tx).await?;
    Ok(out)
}

/// The timer's round: warnings and breaches that are due, each in its own transaction.
pub async fn fire_due_slas(core: &Core) -> Result<usize> {
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let due = store::due_for_sla_check(&mut tx, &core.db, now, 50).await?;
    let n = due.len();
    let ctx = Ctx::system();
    for before in due {
        let Some(g) = governing_of(core, &mut tx, &before).await? else {
            let mut after = before.clone();
            after.sla_check_at = None;
            save(core, &mut tx, &ctx, &before, &mut after, Effects { action: "sla_check", notes: Vec::new(), events: Vec::new() }).await?;
            continue;
        };
        let mut after = before.clone();
        let mut state: sla::SlaState = before.sla.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        let t = super::ticket_now(&before)?;
        let firings = sla::due_firings(&g, &mut state, t, now);
        after.sla = serde_json::to_string(&state).ok();
        let mut notes = Vec::new();
        let mut events: Vec<Event> = Vec::new();
        let mut to_users = audience(core, &mut tx, &before, false).await?;
        for f in &firings {
            match *f {
                Firing::Warning { target, percent } => {
                    let data = serde_json::json!({ "target": target, "percent": percent });
                    notes.push(Note { kind: ActivityKind::SlaWarning, public: false, body: String::new(), data: data.clone() });
                    events.push(event_for(EventType::IncidentSlaWarning, &after, &to_users, data));
                }
                Firing::Breach { target } => {
                    sla::record_breach(&mut after, target);
                    let actions = &g.rules.on_breach;
                    if actions.raise_priority {
                        after.priority = after.priority.raised();
                    }
                    if let Some(team) = actions.escalate_to_team.map(TeamId)
                        && after.team_id != Some(team)
                    {
                        after.team_id = Some(team);
                        after.assignee_id = None;
                        after.state = IncidentState::Assigned;
                        after.pending_reason = None;
                        to_users.extend(yunwei_store::admin::team_members(&mut *tx, team).await?);
                    }
                    if actions.notify_manager
                        && let Some(t) = before.team_id
                        && let Some(m) = yunwei_store::admin::get_team(&mut *tx, t).await?.and_then(|t| t.manager_id)
                    {
                        to_users.push(m);
                    }
                    to_users.sort();
                    to_users.dedup();
                    let data = serde_json::json!({ "target": target, "priority": after.priority, "team_id": after.team_id });
                    notes.push(Note { kind: ActivityKind::SlaBreached, public: false, body: String::new(), data: data.clone() });
                    events.push(event_for(EventType::IncidentSlaBreached, &after, &to_users, data));
                }
            }
        }
        apply_sla(Some(&g), &mut after, now)?;
        save(core, &mut tx, &ctx, &before, &mut after, Effects { action: "sla_check", notes, events }).await?;
    }
    core.commit(tx).await?;
    Ok(n)
}

/// Recomputes the deadlines of open incidents under a changed policy or calendar (job `sla.rebuild`).
pub async fn rebuild_slas(core: &Core, policy: Option<i64>, calendar: Option<i64>) -> Result<usize> {
    let ids = yunwei_store::sla::open_incidents_under(
        &core.db.read,
        policy.map(yunwei_domain::ids::SlaPolicyId),
        calendar.map(yunwei_domain::ids::CalendarId),
    )
    .await?;
    let ctx = Ctx::system();
    for chunk in ids.chunks(200) {
        let mut tx = core.db.begin().await?;
        for id in chunk {
            let Some(before) = store::get_for_update(&mut tx, &core.db, IncidentId(*id)).await? else { continue };
            let mut after = before.clone();
            let g = governing_of(core, &mut tx, &after).await?;
            apply_sla(g.as_ref(), &mut after, core.now_ms())?;
            if after != before {
                save(core, &mut tx, &ctx, &before, &mut after, Effects { action: "sla_rebuild", notes: Vec::new(), events: Vec::new() })
                    .await?;
            }
        }
        core.commit(tx).await?;
    }
    Ok(ids.len())
}

/// A mail reply from `from` becomes a public reply on the incident (mail in).
pub(crate) async fn reply_from_mail(core: &Core, ctx: &Ctx, id: IncidentId, body: &str, from: &str) -> Result<()> {
    let mut tx = core.db.begin().await?;
    let before = store::get_for_update(&mut tx, &core.db, id).await?.ok_or(CoreError::NotFound("incident"))?;
    let mut after = before.clone();
    let text = if body.trim().is_empty() { "(空回复 / empty reply)".to_string() } else { body.chars().take(super::MAX_TEXT).collect() };
    let notes = vec![crate::mail_in::reply_note(&text, from)];
    let actor = ctx.actor_id().map(UserId);
    let to_users: Vec<UserId> = audience(core, &mut tx, &after, false).await?.into_iter().filter(|u| Some(*u) != actor).collect();
    let excerpt: String = text.chars().take(200).collect();
    let events = vec![event_for(
        EventType::IncidentCommented,
        &after,
        &to_users,
        serde_json::json!({ "public": true, "excerpt": excerpt, "via": "email" }),
    )];
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: "reply", notes, events }).await?;
    core.commit(tx).await
}
