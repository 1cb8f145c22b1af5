//! Problem management (问题管理, issue 14): the problem as a ticket of the kernel (ADR 0012) —
//! opened from incidents (PRB-1), assessed by impact × severity (PRB-2), investigated with a
//! root-cause analysis record (PRB-3), recorded as a known error with its workaround and
//! solved through measures with owners and due dates (PRB-4), closed after a review (PRB-6).
//! The rules are `yunwei_domain::problem`; suggestions from recurring incidents are [`suggest`].
//!
//! Permissions (data, ordinary work duty): open — `problem:create`; edit, analyse, measures —
//! `problem:update`; move through the lifecycle — `problem:transition`; link incidents and
//! name watchers — `problem:assign`.

mod suggest;
mod templates;
mod ticket;
mod work;

pub use suggest::*;
pub use templates::TEMPLATES;
pub use work::*;

use crate::notify::Event;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{CiId, IncidentId, ProblemId, TeamId, UserId};
use yunwei_domain::incident::Level;
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::problem::{self as rules, ProblemSettings, ProblemState};
use yunwei_domain::ticket::PROBLEM;
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::problem::{self as store, Measure, Problem, ProblemFilter};
use yunwei_store::sql::Page;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 20_000;
pub const MAX_INCIDENTS: usize = 200;
const SETTINGS_KEY: &str = "problem";

/// A measure with whether it is overdue now.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureView {
    #[serde(flatten)]
    pub row: Measure,
    pub overdue: bool,
}

/// A problem as the API and pages show it: the row, its number, linked incidents, measures and
/// its analysis. Field access reaches the row (`v.title`).
#[derive(Debug, Clone, Serialize)]
pub struct ProblemView {
    #[serde(flatten)]
    pub row: Problem,
    pub number: String,
    pub known_error: bool,
    /// `[{incident_id, number, title}]`: only the incidents the caller may read are named.
    pub incidents: Vec<serde_json::Value>,
    pub measures: Vec<MeasureView>,
    /// Oldest first; work notes only for those who may work on the problem (`get` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<yunwei_store::ticket::Activity>,
}

impl std::ops::Deref for ProblemView {
    type Target = Problem;
    fn deref(&self) -> &Problem {
        &self.row
    }
}

/// The row and its number only (what the kernel audits and lists show).
pub fn view(p: &Problem) -> Result<ProblemView> {
    Ok(ProblemView {
        number: rules::number(p.id.0),
        known_error: p.known_error_at.is_some(),
        row: p.clone(),
        incidents: Vec::new(),
        measures: Vec::new(),
        timeline: Vec::new(),
    })
}

/// The whole view, with incidents (those `ctx` may read) and measures.
pub(crate) async fn full_view(core: &Core, conn: &mut Conn, ctx: &Ctx, p: &Problem) -> Result<ProblemView> {
    let mut v = view(p)?;
    let now = core.now_ms();
    for i in store::incidents(&mut *conn, p.id).await? {
        if let Ok(inc) = crate::incident::load_read(conn, ctx, i, Action::Read).await {
            v.incidents.push(serde_json::json!({ "incident_id": i, "number": yunwei_domain::incident::number(i.0), "title": inc.title, "state": inc.state }));
        }
    }
    v.measures = store::measures(&mut *conn, p.id)
        .await?
        .into_iter()
        .map(|m| MeasureView { overdue: rules::overdue(m.due_at, m.done_at, now), row: m })
        .collect();
    Ok(v)
}

/// Where a problem sits for its policy ([`policy::PROBLEM`]).
pub(crate) fn holders(p: &Problem) -> Holders {
    Holders { owners: [p.owner_id, p.created_by].into_iter().flatten().collect(), team: p.team_id, ..Holders::default() }
}

pub(crate) fn scope_allows(ctx: &Ctx, action: Action, p: &Problem) -> bool {
    ctx.decide(&policy::PROBLEM, action, &holders(p)).is_ok()
}

/// The problem, locked for a command, if the caller may do `action` on it; refused before the
/// lookup without the permission at any scope.
pub(crate) async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: ProblemId, action: Action) -> Result<Problem> {
    ctx.may_any(&policy::PROBLEM, action)?;
    let p = store::get_for_update(conn, &core.db, id).await?.ok_or(CoreError::NotFound("problem"))?;
    ctx.decide(&policy::PROBLEM, action, &holders(&p))?;
    Ok(p)
}

/// The problem as it is, for a query, if the caller may read it.
pub(crate) async fn load_read(conn: &mut Conn, ctx: &Ctx, id: ProblemId) -> Result<Problem> {
    ctx.may_any(&policy::PROBLEM, Action::Read)?;
    let p = store::get(&mut *conn, id).await?.ok_or(CoreError::NotFound("problem"))?;
    ctx.decide(&policy::PROBLEM, Action::Read, &holders(&p))?;
    Ok(p)
}

pub(crate) fn event_for(kind: EventType, p: &Problem, recipients: &[UserId], extra: serde_json::Value) -> Event {
    let mut payload = serde_json::json!({
        "number": rules::number(p.id.0),
        "title": p.title,
        "state": p.state,
        "priority": p.priority,
        "path": format!("/problems/{}", rules::number(p.id.0)),
        "recipients": recipients,
    });
    if let (Some(o), serde_json::Value::Object(extra)) = (payload.as_object_mut(), extra) {
        o.extend(extra);
    }
    Event::new(kind, PROBLEM.object_type, p.id).with(payload)
}

/// The problem settings as stored (the defaults until an administrator saves them).
pub async fn problem_settings(core: &Core) -> Result<ProblemSettings> {
    crate::settings::stored(core, SETTINGS_KEY).await
}

pub async fn read_settings(core: &Core, ctx: &Ctx) -> Result<ProblemSettings> {
    ctx.authorize(ObjectType::Problem, Action::Read)?;
    problem_settings(core).await
}

pub async fn put_settings(core: &Core, ctx: &Ctx, input: ProblemSettings) -> Result<ProblemSettings> {
    ctx.authorize(ObjectType::Setting, Action::Update)?;
    input.validate()?;
    let before = problem_settings(core).await?;
    crate::settings::save(core, ctx, SETTINGS_KEY, &before, &input).await?;
    Ok(input)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemQuery {
    /// Comma-separated states; `open` for every state not resolved or closed.
    pub state: Option<String>,
    pub priority: Option<i64>,
    pub team_id: Option<TeamId>,
    pub owner_id: Option<UserId>,
    pub ci_id: Option<CiId>,
    pub known_error: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn states_of(text: Option<&str>) -> Result<Vec<String>> {
    let mut states = Vec::new();
    for s in text.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if s == "open" {
            states.extend(ProblemState::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str().to_string()));
            continue;
        }
        let st: ProblemState = s.parse().map_err(|_| {
            let allowed = ProblemState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            yunwei_domain::DomainError::Validation(vec![FieldError::new("state", "not_allowed_value").with("allowed", allowed)])
        })?;
        states.push(st.as_str().to_string());
    }
    Ok(states)
}

pub async fn list(core: &Core, ctx: &Ctx, q: &ProblemQuery) -> Result<Page<ProblemView>> {
    let (actor, scope) = ctx.authorize(ObjectType::Problem, Action::Read)?;
    let place = &actor.place;
    let scope = match scope {
        Scope::All => None,
        Scope::Department | Scope::Team => Some((place.user, place.teams.clone())),
        Scope::Own => Some((place.user, Vec::new())),
    };
    if q.priority.is_some_and(|p| !(1..=4).contains(&p)) {
        return Err(yunwei_domain::DomainError::Validation(vec![
            FieldError::new("priority", "out_of_range").with("min", 1).with("max", 4),
        ])
        .into());
    }
    let filter = ProblemFilter {
        states: states_of(q.state.as_deref())?,
        priority: q.priority,
        team_id: q.team_id,
        owner_id: q.owner_id,
        ci_id: q.ci_id,
        known_error: q.known_error,
        scope,
    };
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), true)?;
    let rows = store::list(&core.db.read, &filter, &page).await?;
    let items = rows.items.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: rows.next_cursor })
}

pub async fn get(core: &Core, ctx: &Ctx, id: ProblemId) -> Result<ProblemView> {
    let mut rd = core.db.read.acquire().await?;
    let p = load_read(&mut rd, ctx, id).await?;
    let mut v = full_view(core, &mut rd, ctx, &p).await?;
    v.timeline = yunwei_store::ticket::activities(&mut *rd, &PROBLEM, id.0, scope_allows(ctx, Action::Update, &p)).await?;
    Ok(v)
}

/// The form of a problem. On a patch, absent fields are kept.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub impact: Option<Level>,
    pub severity: Option<Level>,
    pub owner_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    /// A CI of the CMDB; `ci_ref` is free text where there is none.
    pub ci_id: Option<CiId>,
    pub ci_ref: Option<String>,
    pub symptom: Option<String>,
    pub root_cause: Option<String>,
    pub workaround: Option<String>,
    /// Incidents the problem is opened from (create only; link more with `/incidents`).
    pub incident_ids: Option<Vec<IncidentId>>,
    /// The version the caller last saw (patch only).
    pub version: Option<i64>,
}

/// Applies the form's fields to `p`, checking each.
async fn apply_input(core: &Core, conn: &mut Conn, ctx: &Ctx, p: &mut Problem, input: &ProblemInput, chk: &mut Checker) -> Result<()> {
    if let Some(t) = &input.title {
        p.title = chk.name("title", t, MAX_TITLE);
    }
    let texts: [(&str, &Option<String>, &mut String); 5] = [
        ("description", &input.description, &mut p.description),
        ("ci_ref", &input.ci_ref, &mut p.ci_ref),
        ("symptom", &input.symptom, &mut p.symptom),
        ("root_cause", &input.root_cause, &mut p.root_cause),
        ("workaround", &input.workaround, &mut p.workaround),
    ];
    for (field, value, slot) in texts {
        if let Some(v) = value {
            *slot = chk.text(field, v, MAX_TEXT);
        }
    }
    if let Some(l) = input.impact {
        p.impact = l;
    }
    if let Some(l) = input.severity {
        p.severity = l;
    }
    p.priority = rules::priority(&problem_settings(core).await?.matrix, p.impact, p.severity);
    if let Some(t) = input.team_id {
        if yunwei_store::admin::get_team(&mut *conn, t).await?.is_none() {
            chk.push(FieldError::new("team_id", "not_found"));
        }
        p.team_id = Some(t);
    }
    if let Some(u) = input.owner_id {
        if yunwei_store::admin::get_user(&mut *conn, u).await?.is_none_or(|u| u.disabled) {
            chk.push(FieldError::new("owner_id", "not_found"));
        }
        p.owner_id = Some(u);
    }
    if let Some(ci) = input.ci_id {
        crate::cmdb::authorize_link(conn, ctx, chk, "ci_id", ci).await?;
        p.ci_id = Some(ci);
    }
    if let Some(incidents) = &input.incident_ids {
        if incidents.len() > MAX_INCIDENTS {
            chk.push(FieldError::new("incident_ids", "too_long").with("max", MAX_INCIDENTS));
        }
        for (n, i) in incidents.iter().enumerate().take(MAX_INCIDENTS) {
            if crate::incident::load_read(conn, ctx, *i, Action::Read).await.is_err() {
                chk.push(FieldError::new(format!("incident_ids[{n}]"), "not_found"));
            }
        }
    }
    Ok(())
}

fn dedup<T: Ord + Copy>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// A new problem, in the `new` state, with the incidents it is opened from linked.
/// Not authorised here: [`create_linked`] asks the problem policy first.
pub async fn create(core: &Core, ctx: &Ctx, input: ProblemInput) -> Result<ProblemView> {
    create_linked(core, ctx, input, None).await
}

/// As [`create`]; `suggestion` is accepted in the same commit (its incidents linked).
pub(crate) async fn create_linked(
    core: &Core,
    ctx: &Ctx,
    input: ProblemInput,
    suggestion: Option<yunwei_store::problem::Suggestion>,
) -> Result<ProblemView> {
    let (actor, scope) = ctx.authorize(ObjectType::Problem, Action::Create)?;
    let me = actor.place.user;
    let mut chk = Checker::new();
    if input.title.is_none() {
        chk.push(FieldError::new("title", "required"));
    }
    let now = core.now_ms();
    let mut p = Problem {
        created_by: Some(me),
        owner_id: Some(me),
        team_id: actor.place.teams.first().copied(),
        rca: serde_json::json!({}),
        created_at: now,
        updated_at: now,
        version: 1,
        ..Problem::default()
    };
    let mut rd = core.db.read.acquire().await?;
    apply_input(core, &mut rd, ctx, &mut p, &input, &mut chk).await?;
    drop(rd);
    chk.finish()?;
    // A grant narrower than `all` opens problems for the holder's own teams only.
    if scope != Scope::All && p.team_id.is_some_and(|t| !actor.place.teams.contains(&t)) {
        return Err(CoreError::Forbidden(format!("problem:create:{scope}")));
    }
    let mut tx = core.db.begin().await?;
    p.id = store::insert(&mut tx, &p).await?;
    let mut incidents = dedup(input.incident_ids.as_deref().unwrap_or(&[]));
    if let Some(mut s) = suggestion {
        incidents = dedup(&[incidents, suggest::incident_ids(&s)].concat());
        s.state = "accepted".into();
        s.problem_id = Some(p.id);
        s.decided_by = Some(me);
        s.decided_at = Some(now);
        s.updated_at = now;
        if !store::update_suggestion(&mut tx, &s).await? {
            return Err(CoreError::Conflict("suggestion_decided"));
        }
    }
    for i in &incidents {
        store::set_incident(&mut tx, p.id, *i, true).await?;
    }
    let data = serde_json::json!({ "incidents": incidents.iter().map(|i| yunwei_domain::incident::number(i.0)).collect::<Vec<_>>() });
    let note = crate::ticket::Note { kind: "created", public: false, body: "", data };
    crate::ticket::add_notes::<Problem>(&mut tx, ctx, p.id.0, now, &[note]).await?;
    yunwei_store::search::enqueue(&mut tx, &PROBLEM, p.id.0).await?;
    let v = full_view(core, &mut tx, ctx, &p).await?;
    crate::audit::write(core, &mut tx, ctx, crate::audit::Change::new(PROBLEM.object_type, p.id, "create").after(&v)).await?;
    let to: Vec<UserId> = p.owner_id.into_iter().filter(|u| *u != me).collect();
    crate::notify::emit(core, &mut tx, ctx, event_for(EventType::ProblemCreated, &p, &to, serde_json::json!({}))).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// Edits the form (any state but closed); the priority follows impact and severity.
pub async fn update(core: &Core, ctx: &Ctx, id: ProblemId, input: ProblemInput) -> Result<ProblemView> {
    if input.incident_ids.is_some() {
        return Err(yunwei_domain::DomainError::field("incident_ids", "not_allowed_here").into());
    }
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update).await?;
    if input.version.is_some_and(|v| v != before.version) {
        return Err(CoreError::Conflict("problem_changed"));
    }
    if before.state == ProblemState::Closed {
        return Err(CoreError::Conflict("problem_closed"));
    }
    let mut chk = Checker::new();
    let mut after = before.clone();
    apply_input(core, &mut tx, ctx, &mut after, &input, &mut chk).await?;
    chk.finish()?;
    let recipients: Vec<UserId> = after.owner_id.into_iter().filter(|u| before.owner_id != Some(*u)).collect();
    let events = if recipients.is_empty() {
        Vec::new()
    } else {
        vec![event_for(EventType::ProblemUpdated, &after, &recipients, serde_json::json!({}))]
    };
    let fx = crate::ticket::Effects { action: "update", notes: Vec::new(), events };
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, fx).await?;
    let v = full_view(core, &mut tx, ctx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// Links (or, `link` false, unlinks) an incident. Needs `problem:assign` on the problem and
/// read on the incident.
pub async fn link_incident(core: &Core, ctx: &Ctx, id: ProblemId, incident: IncidentId, link: bool) -> Result<ProblemView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Assign).await?;
    crate::incident::load_read(&mut tx, ctx, incident, Action::Read).await?;
    store::set_incident(&mut tx, id, incident, link).await?;
    let mut after = before.clone();
    let data = serde_json::json!({ "incident": yunwei_domain::incident::number(incident.0), "link": link });
    let notes = vec![crate::ticket::Note { kind: "incident_linked", public: false, body: "", data }];
    let fx = crate::ticket::Effects { action: if link { "link_incident" } else { "unlink_incident" }, notes, events: Vec::new() };
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, fx).await?;
    let v = full_view(core, &mut tx, ctx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}
