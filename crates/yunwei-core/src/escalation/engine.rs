//! The escalation engine. An alert's incident handed to a policy gets one escalation row;
//! each page is a job of the leased scheduler (`escalation.step`, one per step, so two nodes
//! never send the same page) that sends whatever the pure step rules say is due, records each
//! page on the incident's timeline with its event (in-app notice, e-mail, chat robots through
//! the outbox) in one commit, and schedules the next. It stops when someone acknowledges:
//! explicitly, or by taking the incident out of new/assigned.

use crate::incident::{Effects, Note, event_for, load, save};
use crate::{Core, CoreError, Ctx, Result};
use serde::Serialize;
use std::collections::BTreeSet;
use yunwei_domain::escalation::{EscalationState, Page, Plan, TargetKind};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{DutyScheduleId, IncidentId, TeamId, UserId};
use yunwei_domain::incident::{ActivityKind, IncidentState};
use yunwei_domain::permission::Action;
use yunwei_store::escalation::{self as store, Escalation, EscalationPolicy};

pub const JOB_KIND: &str = "escalation.step";

fn plan(p: &EscalationPolicy) -> Plan<'_> {
    Plan { levels: &p.levels, repeat: u32::try_from(p.repeat_count).unwrap_or(0) }
}

/// Schedules the run of step `step` at `at` (once: the key names the step).
async fn schedule(conn: &mut yunwei_store::Conn, id: i64, step: i64, at: i64, now: i64) -> Result<()> {
    let key = format!("escalation:{id}:{step}");
    yunwei_store::jobs::schedule(conn, JOB_KIND, Some(&key), &serde_json::json!({ "id": id }), at, None, now).await?;
    Ok(())
}

/// Starts `policy` on the incident (the alert process calls this); a second call for the same
/// incident does nothing.
pub async fn start(core: &Core, incident: IncidentId, policy: &EscalationPolicy, alert: Option<i64>) -> Result<()> {
    let now = core.now_ms();
    let e = Escalation {
        incident_id: incident.0,
        policy_id: policy.id,
        alert_id: alert,
        state: EscalationState::Active,
        started_at: now,
        next_at: Some(now),
        updated_at: now,
        ..Escalation::default()
    };
    let mut tx = core.db.begin().await?;
    if let Some(id) = store::insert_escalation(&mut tx, &e).await? {
        schedule(&mut tx, id, 0, now, now).await?;
    }
    core.commit(tx).await
}

/// Who a page reaches: the people on call on a schedule, the user, the team's members.
async fn people(core: &Core, policy: &EscalationPolicy, page: &Page, at: i64) -> Result<Vec<UserId>> {
    let mut out = BTreeSet::new();
    let mut conn = core.db.read.acquire().await?;
    for t in &policy.levels[page.level].targets {
        match t.kind {
            TargetKind::User => {
                out.insert(UserId(t.id));
            }
            TargetKind::Schedule => match crate::duty::who_is_on_call(core, DutyScheduleId(t.id), at).await {
                Ok(users) => out.extend(users),
                // A schedule removed since: the level's other targets are still paged.
                Err(CoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            },
            TargetKind::Team => {
                if let Some(m) = crate::admin::team_members_cached(core, &mut conn, TeamId(t.id)).await? {
                    out.extend(m.iter().copied());
                }
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Runs the escalation's due pages (the scheduler's `escalation.step` job).
pub async fn run(core: &Core, id: i64) -> Result<()> {
    let Some(e) = store::escalation(&core.db.read, id).await? else { return Ok(()) };
    if e.state != EscalationState::Active {
        return Ok(());
    }
    let now = core.now_ms();
    let policy = store::policy(&core.db.read, e.policy_id).await?.unwrap_or_default();
    let plan = plan(&policy);
    let step = u32::try_from(e.next_step).unwrap_or(u32::MAX);
    let due = plan.due(e.started_at, step, now);
    let mut pages = Vec::new();
    for p in &due {
        pages.push((p, people(core, &policy, p, now).await?));
    }
    let ctx = Ctx::system();
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, &ctx, IncidentId(e.incident_id), Action::Read).await?;
    let mut next = Escalation { updated_at: now, ..e.clone() };
    if !matches!(before.state, IncidentState::New | IncidentState::Assigned) {
        // Someone took the incident on (or it was resolved): that is the acknowledgement.
        next.state = EscalationState::Acknowledged;
        next.acknowledged_at = Some(now);
        next.acknowledged_by = before.assignee_id.map(|u| u.0);
        next.next_at = None;
        if store::advance(&mut tx, &next, e.next_step).await? {
            core.commit(tx).await?;
        }
        return Ok(());
    }
    let names = crate::duty::schedule::names(&mut tx, pages.iter().flat_map(|(_, u)| u.iter().copied()).collect()).await?;
    let mut notes = Vec::new();
    let mut events = Vec::new();
    for (p, users) in &pages {
        let who: Vec<String> = users.iter().map(|u| names.get(u).cloned().unwrap_or_else(|| format!("#{}", u.0))).collect();
        let data = serde_json::json!({
            "policy": policy.name, "level": p.level + 1, "round": p.round + 1, "users": users, "names": who,
        });
        notes.push(Note { kind: ActivityKind::Paged, public: false, body: String::new(), data: data.clone() });
        // Nobody to page (an empty roster): the timeline says so, and the next level follows.
        if !users.is_empty() {
            events.push(event_for(EventType::IncidentPaged, &before, users, data));
        }
    }
    next.next_step = e.next_step + i64::try_from(due.len()).unwrap_or(0);
    match plan.page(e.started_at, u32::try_from(next.next_step).unwrap_or(u32::MAX)) {
        Some(p) => next.next_at = Some(p.due_at),
        None => {
            next.state = EscalationState::Exhausted;
            next.next_at = None;
        }
    }
    if !store::advance(&mut tx, &next, e.next_step).await? {
        return Ok(()); // another run sent these pages
    }
    if let Some(at) = next.next_at {
        schedule(&mut tx, id, next.next_step, at, now).await?;
    }
    if !notes.is_empty() {
        let mut after = before.clone();
        save(core, &mut tx, &ctx, &before, &mut after, Effects { action: "page", notes, events }).await?;
    }
    core.commit(tx).await
}

/// An incident's escalation as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct EscalationView {
    pub id: i64,
    pub incident_id: i64,
    pub policy_id: i64,
    pub policy_name: String,
    pub state: EscalationState,
    pub started_at: i64,
    /// Pages sent so far.
    pub pages_sent: i64,
    pub pages_total: i64,
    pub next_at: Option<i64>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

async fn view(core: &Core, e: &Escalation) -> Result<EscalationView> {
    let policy = store::policy(&core.db.read, e.policy_id).await?.unwrap_or_default();
    Ok(EscalationView {
        id: e.id,
        incident_id: e.incident_id,
        policy_id: e.policy_id,
        policy_name: policy.name.clone(),
        state: e.state,
        started_at: e.started_at,
        pages_sent: e.next_step,
        pages_total: i64::from(plan(&policy).steps()),
        next_at: e.next_at,
        acknowledged_by: e.acknowledged_by,
        acknowledged_at: e.acknowledged_at,
    })
}

/// The incident's escalation, for whoever may read the incident.
pub async fn escalation_of(core: &Core, ctx: &Ctx, incident: IncidentId) -> Result<EscalationView> {
    let mut conn = core.db.read.acquire().await?;
    crate::incident::load_read(&mut conn, ctx, incident, Action::Read).await?;
    let e = store::escalation_of_incident(&mut *conn, incident.0).await?.ok_or(CoreError::NotFound("escalation"))?;
    drop(conn);
    view(core, &e).await
}

/// Acknowledges the incident's page: its escalation stops. Whoever may work the incident.
pub async fn acknowledge(core: &Core, ctx: &Ctx, incident: IncidentId) -> Result<EscalationView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, incident, Action::Transition).await?;
    let e = store::escalation_of_incident(&mut *tx, incident.0).await?.ok_or(CoreError::NotFound("escalation"))?;
    if e.state != EscalationState::Active {
        return Err(CoreError::Conflict("escalation_not_active"));
    }
    let now = core.now_ms();
    let next = Escalation {
        state: EscalationState::Acknowledged,
        acknowledged_by: ctx.actor_id(),
        acknowledged_at: Some(now),
        next_at: None,
        updated_at: now,
        ..e.clone()
    };
    if !store::advance(&mut tx, &next, e.next_step).await? {
        return Err(CoreError::Conflict("escalation_not_active"));
    }
    let data = serde_json::json!({ "pages_sent": e.next_step });
    let notes = vec![Note { kind: ActivityKind::Acknowledged, public: false, body: String::new(), data }];
    let events = Vec::new();
    let mut after = before.clone();
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: "acknowledge", notes, events }).await?;
    core.commit(tx).await?;
    view(core, &next).await
}
