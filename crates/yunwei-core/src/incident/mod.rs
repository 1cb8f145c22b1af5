//! Incident management (SPEC INC): report, classify, prioritise, assign,
//! work, resolve and close, with SLA clocks kept in step in the same
//! transaction, a timeline of everything, and events for notifications.

mod bulk;
mod config;
mod export;
mod lifecycle;
pub mod major;
mod major_report;
mod offer;
mod query;
mod ticket;

pub use bulk::*;
pub use config::*;
pub use export::*;
pub use lifecycle::*;
pub use major::{EntryInput, IntervalInput, MajorInput, MajorView, PhaseInput, StakeholderUpdateInput, declare_major};
pub use major_report::*;
pub use offer::{linked, may, may_attach};
pub use query::*;

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::sla::{self, Governing, SlaState, TicketNow};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Deserializer, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{CategoryId, IncidentId, ServiceId, TeamId, UserId};
use yunwei_domain::incident::{ActivityKind, Channel, IncidentState, Level, Priority};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::incident::{self as store, Incident};
use yunwei_store::ticket::NewActivity;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 20_000;

/// An instant given as unix milliseconds or as RFC 3339 text (`2026-11-20T09:30:00+08:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Instant(pub i64);

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Ms(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Ms(ms) => Ok(Instant(ms)),
            Raw::Text(t) => t
                .parse::<jiff::Timestamp>()
                .map(|ts| Instant(ts.as_millisecond()))
                .map_err(|_| serde::de::Error::custom("expected unix milliseconds or an RFC 3339 time")),
        }
    }
}

/// A new incident (INC-1). Priority is derived from impact × urgency.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub title: String,
    pub description: String,
    pub impact: Level,
    pub urgency: Level,
    pub category_id: Option<CategoryId>,
    pub service_id: Option<ServiceId>,
    pub ci_ref: Option<String>,
    /// Defaults to `api` (the web form sets `portal` or `phone`).
    pub channel: Option<Channel>,
    /// The user the incident is for; defaults to the reporter.
    pub requester_id: Option<UserId>,
    /// For callers who are not users (a phone call from a branch).
    pub requester_name: Option<String>,
    pub requester_contact: Option<String>,
    pub location: Option<String>,
    pub impact_scope: Option<String>,
    pub occurred_at: Option<Instant>,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub parent_id: Option<IncidentId>,
    #[serde(default)]
    pub watchers: Vec<UserId>,
}

/// SLA figures of a ticket as clients see them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SlaView {
    pub policy_id: Option<i64>,
    pub responded_at: Option<i64>,
    pub response_due_at: Option<i64>,
    pub resolve_due_at: Option<i64>,
    pub response_breached: bool,
    pub resolve_breached: bool,
    /// Business seconds left (negative once breached); absent when there is no clock.
    pub response_remaining_secs: Option<i64>,
    pub resolution_remaining_secs: Option<i64>,
    /// The clocks are stopped (pending on the requester, or finished).
    pub paused: bool,
}

/// One incident as the API and pages show it: the stored row (whose SLA columns it skips),
/// its number, and the SLA figures together. Field access reaches the row (`v.title`).
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    #[serde(flatten)]
    pub row: Incident,
    pub number: String,
    pub sla: SlaView,
}

impl std::ops::Deref for IncidentView {
    type Target = Incident;
    fn deref(&self) -> &Incident {
        &self.row
    }
}

/// The view of a stored row; remaining times need the calendar (see `query::get`).
pub fn view(i: &Incident) -> Result<IncidentView> {
    let state: SlaState = i.sla.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let paused = state.resolution.is_some_and(|c| c.running_since.is_none());
    Ok(IncidentView {
        number: yunwei_domain::incident::number(i.id.0),
        sla: SlaView {
            policy_id: i.sla_policy_id.map(|p| p.0),
            responded_at: i.responded_at,
            response_due_at: i.response_due_at,
            resolve_due_at: i.resolve_due_at,
            response_breached: i.response_breached,
            resolve_breached: i.resolve_breached,
            response_remaining_secs: None,
            resolution_remaining_secs: None,
            paused,
        },
        row: i.clone(),
    })
}

/// May the caller do `action` on this incident? The record belongs to its requester,
/// reporter and assignee (`own`), its team, and the requester's department.
/// A parent the caller may link to: an incident they may update. One they cannot
/// even read is "not found", so that ids outside their scope reveal nothing.
pub(crate) async fn check_parent(conn: &mut Conn, ctx: &Ctx, c: &mut Checker, parent: IncidentId) -> Result<()> {
    match store::get(&mut *conn, parent).await? {
        Some(p) if authorize_on(ctx, Action::Read, &p).is_ok() => authorize_on(ctx, Action::Update, &p),
        _ => {
            c.push(FieldError::new("parent_id", "not_found"));
            Ok(())
        }
    }
}

/// Where an incident sits for its policy ([`yunwei_domain::policy::INCIDENT`]).
pub(crate) fn holders(i: &Incident) -> Holders {
    Holders {
        owners: [i.requester_id, i.reporter_id, i.assignee_id].into_iter().flatten().collect(),
        team: i.team_id,
        department: i.department_id,
        ..Holders::default()
    }
}

/// May the caller do `action` on this (already loaded) incident? Asks the incident policy.
pub(crate) fn authorize_on(ctx: &Ctx, action: Action, i: &Incident) -> Result<()> {
    ctx.decide(&policy::INCIDENT, action, &holders(i)).map(|_| ())
}

fn ticket_now(i: &Incident) -> Result<TicketNow> {
    Ok(TicketNow {
        state: i.state,
        pending_reason: i.pending_reason,
        priority: i.priority,
        responded: i.responded_at.is_some(),
        response_breached: i.response_breached,
        resolve_breached: i.resolve_breached,
    })
}

/// Brings the SLA clocks and the stored deadlines in line with the ticket as it now is.
pub(crate) fn apply_sla(g: Option<&Governing>, i: &mut Incident, now: i64) -> Result<()> {
    let Some(g) = g else {
        i.sla = None;
        i.response_due_at = None;
        i.resolve_due_at = None;
        i.sla_check_at = None;
        return Ok(());
    };
    let mut state: SlaState = i.sla.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let t = ticket_now(i)?;
    sla::settle(g, &mut state, t, now);
    sla::set_columns(g, &state, t, i);
    Ok(())
}

/// One thing to add to the timeline.
pub(crate) struct Note {
    pub kind: ActivityKind,
    pub public: bool,
    pub body: String,
    pub data: serde_json::Value,
}

impl Note {
    pub fn new(kind: ActivityKind, data: serde_json::Value) -> Self {
        Note { kind, public: true, body: String::new(), data }
    }
}

/// Everyone who hears about an incident: assignee (or, unassigned, the team), requester, watchers.
pub(crate) async fn audience(core: &Core, conn: &mut Conn, i: &Incident, with_requester: bool) -> Result<Vec<UserId>> {
    let mut to = Vec::new();
    match (i.assignee_id, i.team_id) {
        (Some(a), _) => to.push(a),
        (None, Some(t)) => to.extend(crate::admin::team_members_cached(core, conn, t).await?.iter().flat_map(|m| m.iter())),
        (None, None) => {}
    }
    if with_requester {
        to.extend(i.requester_id);
    }
    // A record not yet inserted (id 0) has no watchers to read.
    if i.id.0 != 0 {
        to.extend(yunwei_store::ticket::watchers(&mut *conn, &yunwei_domain::ticket::INCIDENT, i.id.0).await?);
    }
    to.sort();
    to.dedup();
    Ok(to)
}

pub(crate) fn event_for(kind: EventType, i: &Incident, recipients: &[UserId], extra: serde_json::Value) -> Event {
    let mut payload = serde_json::json!({
        "number": yunwei_domain::incident::number(i.id.0),
        "title": i.title,
        "state": i.state,
        "priority": i.priority,
        "recipients": recipients,
    });
    if let (Some(p), serde_json::Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    Event::new(kind, "incident", i.id).with(payload)
}

/// What a command leaves besides the row: the audit action, timeline entries and events.
pub(crate) struct Effects {
    pub action: &'static str,
    pub notes: Vec<Note>,
    pub events: Vec<Event>,
}

/// Writes a changed incident through the kernel's save (version check, timeline, audit, events).
pub(crate) async fn save(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    before: &Incident,
    after: &mut Incident,
    effects: Effects,
) -> Result<()> {
    let Effects { action, notes, events } = effects;
    let notes = notes.iter().map(|n| crate::ticket::Note { kind: n.kind.as_str(), public: n.public, body: &n.body, data: n.data.clone() });
    crate::ticket::save(core, tx, ctx, before, after, crate::ticket::Effects { action, notes: notes.collect(), events }).await
}

/// Loads an incident inside the command's transaction, checking the caller may act on it.
/// The incident, locked for a command, if the caller may do `action` on it. Without the
/// permission at any scope, the answer is 403 whether or not the record exists.
pub(crate) async fn load(core: &Core, tx: &mut Conn, ctx: &Ctx, id: IncidentId, action: Action) -> Result<Incident> {
    ctx.may_any(&policy::INCIDENT, action)?;
    let i = store::get_for_update(tx, &core.db, id).await?.ok_or(CoreError::NotFound("incident"))?;
    authorize_on(ctx, action, &i)?;
    Ok(i)
}

/// The incident as it is, for a query, if the caller may do `action` (usually read) on it;
/// refused before the lookup without the permission at any scope.
pub(crate) async fn load_read(conn: &mut Conn, ctx: &Ctx, id: IncidentId, action: Action) -> Result<Incident> {
    ctx.may_any(&policy::INCIDENT, action)?;
    let i = store::get(&mut *conn, id).await?.ok_or(CoreError::NotFound("incident"))?;
    authorize_on(ctx, action, &i)?;
    Ok(i)
}

pub(crate) async fn governing_of(core: &Core, conn: &mut Conn, i: &Incident) -> Result<Option<Governing>> {
    match i.sla_policy_id {
        Some(p) => sla::governing_by_id(core, conn, p).await,
        None => Ok(None),
    }
}

fn opt_text(c: &mut Checker, field: &str, v: &Option<String>, max: usize) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| {
        if s.chars().count() > max {
            c.push(FieldError::new(field, "too_long").with("max", max));
        }
        s.to_string()
    })
}

/// Checks that referenced records exist; pushes `not_found` field errors.
pub(crate) async fn check_refs(
    conn: &mut Conn,
    c: &mut Checker,
    category: Option<CategoryId>,
    service: Option<ServiceId>,
    team: Option<TeamId>,
    users: &[(&str, Option<UserId>)],
) -> Result<(Option<yunwei_store::incident::Category>, Option<yunwei_store::service::BusinessService>)> {
    let cat = match category {
        Some(id) => {
            let found = store::get_category(&mut *conn, id).await?.filter(|c| c.active);
            if found.is_none() {
                c.push(FieldError::new("category_id", "not_found"));
            }
            found
        }
        None => None,
    };
    let svc = match service {
        Some(id) => {
            let found = yunwei_store::service::get(&mut *conn, id).await?.filter(|s| s.active);
            if found.is_none() {
                c.push(FieldError::new("service_id", "not_found"));
            }
            found
        }
        None => None,
    };
    if let Some(t) = team
        && yunwei_store::admin::get_team(&mut *conn, t).await?.is_none()
    {
        c.push(FieldError::new("team_id", "not_found"));
    }
    for (field, user) in users {
        if let Some(u) = user
            && yunwei_store::admin::get_user(&mut *conn, *u).await?.is_none_or(|u| u.disabled)
        {
            c.push(FieldError::new(*field, "not_found"));
        }
    }
    Ok((cat, svc))
}

pub async fn create(core: &Core, ctx: &Ctx, input: NewIncident) -> Result<IncidentView> {
    let (actor, _) = ctx.authorize(ObjectType::Incident, Action::Create)?;
    let reporter = ctx.actor_id().map(UserId);
    let settings = desk_settings(core).await?;
    let mut c = Checker::new();
    let title = c.name("title", &input.title, MAX_TITLE);
    let description = c.text("description", &input.description, MAX_TEXT);
    if description.trim().is_empty() {
        c.push(FieldError::new("description", "required"));
    }
    let ci_ref = opt_text(&mut c, "ci_ref", &input.ci_ref, 200);
    let requester_name = opt_text(&mut c, "requester_name", &input.requester_name, 100);
    let requester_contact = opt_text(&mut c, "requester_contact", &input.requester_contact, 200);
    let location = opt_text(&mut c, "location", &input.location, 200);
    let impact_scope = opt_text(&mut c, "impact_scope", &input.impact_scope, 2000);
    if input.watchers.len() > 50 {
        c.push(FieldError::new("watchers", "too_long").with("max", 50));
    }
    // Reporting for someone else, naming the team or person, or linking to a parent is triage work.
    let triage = input.requester_id.is_some_and(|r| Some(r) != reporter) || input.team_id.is_some() || input.assignee_id.is_some();
    if triage {
        ctx.authorize(ObjectType::Incident, Action::Assign)?;
    }
    // Reads go through the read pool: the command needs the writer only to commit (see `yunwei_store::batch`).
    let mut rd = core.db.read.acquire().await?;
    let requester_id = input.requester_id.or(reporter);
    let (category, service) = check_refs(
        &mut rd,
        &mut c,
        input.category_id,
        input.service_id,
        None,
        &[("requester_id", input.requester_id), ("assignee_id", input.assignee_id)],
    )
    .await?;
    if let Some(t) = input.team_id {
        match crate::admin::team_members_cached(core, &mut rd, t).await? {
            None => c.push(FieldError::new("team_id", "not_found")),
            Some(members) => {
                if input.assignee_id.is_some_and(|a| !members.contains(&a)) {
                    c.push(FieldError::new("assignee_id", "not_team_member"));
                }
            }
        }
    }
    if let Some(p) = input.parent_id {
        check_parent(&mut rd, ctx, &mut c, p).await?;
    }
    // Putting someone else on the watch list (they will be notified) is work on the record.
    if input.watchers.iter().any(|w| Some(*w) != reporter) {
        ctx.authorize(ObjectType::Incident, Action::Update)?;
    }
    for (n, w) in input.watchers.iter().enumerate() {
        if yunwei_store::admin::get_user(&mut *rd, *w).await?.is_none() {
            c.push(FieldError::new(format!("watchers[{n}]"), "not_found"));
        }
    }
    c.finish()?;
    let department_id = match requester_id {
        Some(r) if Some(r) == reporter => actor.place.department,
        Some(r) => yunwei_store::admin::get_user(&mut *rd, r).await?.and_then(|u| u.department_id),
        None => None,
    };
    // Automatic assignment: the category's team, else the service's.
    let team_id = input.team_id.or(category.as_ref().and_then(|c| c.team_id)).or(service.as_ref().and_then(|s| s.team_id));
    let priority = settings.matrix.priority(input.impact, input.urgency);
    let now = core.now_ms();
    let state = if team_id.is_some() || input.assignee_id.is_some() { IncidentState::Assigned } else { IncidentState::New };
    let mut i = Incident {
        title,
        description,
        state,
        impact: input.impact,
        urgency: input.urgency,
        priority,
        category_id: input.category_id,
        service_id: input.service_id,
        ci_ref,
        channel: input.channel.unwrap_or(Channel::Api),
        reporter_id: reporter,
        requester_id,
        requester_name,
        requester_contact,
        department_id,
        location,
        impact_scope,
        occurred_at: input.occurred_at.map(|t| t.0),
        team_id,
        assignee_id: input.assignee_id,
        parent_id: input.parent_id,
        created_at: now,
        updated_at: now,
        version: 1,
        ..Incident::default()
    };
    let governing = sla::governing_for(core, &mut rd, i.service_id, i.department_id).await?;
    apply_sla(governing.as_ref(), &mut i, now)?;
    i.major = settings.auto_major_for_p1 && priority == Priority::P1;
    let mut to = audience(core, &mut rd, &i, false).await?;
    drop(rd);
    to.extend(input.watchers.iter().copied());
    to.retain(|u| Some(*u) != reporter);
    to.sort();
    to.dedup();
    let mut watchers = input.watchers.clone();
    watchers.sort();
    watchers.dedup();
    match create_once(core, ctx, &mut i, &watchers, &to).await {
        // Another process took the reserved id (SQLite): once more with a fresh one.
        Err(CoreError::Store(yunwei_store::StoreError::StaleId)) => create_once(core, ctx, &mut i, &watchers, &to).await,
        done => done,
    }
}

/// Writes the new incident `i` (its id is set here) with everything that goes with it,
/// all staged and committed with other commands' (see `yunwei_store::batch`).
async fn create_once(core: &Core, ctx: &Ctx, i: &mut Incident, watchers: &[UserId], to: &[UserId]) -> Result<IncidentView> {
    let mut batch = core.db.batch();
    i.id = IncidentId(batch.reserve_id("incidents").await?);
    store::insert(&mut batch, i).await?;
    yunwei_store::search::enqueue(&mut batch, &yunwei_domain::ticket::INCIDENT, i.id.0).await?;
    yunwei_store::ticket::add_watchers(&mut batch, &yunwei_domain::ticket::INCIDENT, i.id.0, watchers).await?;
    if i.major {
        major::start_war_room(core, &mut batch, ctx, i, None).await?;
    }
    let mut notes = vec![Note::new(ActivityKind::Created, serde_json::json!({ "priority": i.priority, "channel": i.channel }))];
    if i.major {
        notes.push(Note::new(ActivityKind::MajorDeclared, serde_json::json!({ "automatic": true })));
    }
    for n in &notes {
        let a = NewActivity {
            ticket_id: i.id.0,
            at: i.created_at,
            actor_id: i.reporter_id,
            kind: n.kind.as_str(),
            public: true,
            body: "",
            data: n.data.clone(),
        };
        yunwei_store::ticket::add_activity(&mut batch, &yunwei_domain::ticket::INCIDENT, &a).await?;
    }
    let v = view(i)?;
    audit::write(core, &mut batch, ctx, Change::new("incident", i.id, "create").after(&v)).await?;
    emit(core, &mut batch, ctx, event_for(EventType::IncidentCreated, i, to, serde_json::json!({}))).await?;
    if i.major {
        emit(core, &mut batch, ctx, event_for(EventType::IncidentMajorDeclared, i, to, serde_json::json!({ "automatic": true }))).await?;
    }
    core.commit_batch(batch).await?;
    Ok(v)
}
