//! Change management (变更管理, issue 13): the change request as a ticket of the kernel
//! (ADR 0012) — its form (CHG-1), type (CHG-2), risk assessment from a weighted
//! questionnaire and the CMDB's impact analysis (CHG-3), the approvers' votes (CHG-4) and
//! the controlled start of implementation (CHG-5). The rules are `yunwei_domain::change`.
//!
//! Permissions (data, ordinary work duty): create — `change:create`; assess and edit —
//! `change:update`; approve — `change:approve`; implement — `change:transition`; manage
//! (link incidents, name watchers) — `change:assign`.

mod approval;
mod assess;
mod feed;
mod schedule;
mod ticket;
mod workflow;

pub use approval::StageView;
pub use assess::*;
pub use feed::*;
pub use schedule::*;
pub use workflow::*;

use crate::incident::Instant;
use crate::notify::Event;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yunwei_domain::FieldError;
use yunwei_domain::change::{self as rules, ChangeState, ChangeType};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ChangeId, CiId, IncidentId, TeamId, UserId};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::ticket::CHANGE;
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::change::{self as store, Change, ChangeApproval, ChangeFilter};
use yunwei_store::sql::Page;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 20_000;
pub const MAX_STEPS: usize = 100;
pub const MAX_CIS: usize = 100;

/// A change as the API and pages show it: the stored row, its number, its CIs and linked
/// incidents. Field access reaches the row (`v.title`).
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    #[serde(flatten)]
    pub row: Change,
    pub number: String,
    pub ci_ids: Vec<CiId>,
    /// `[{incident_id, number, relation}]`, relation `cause` or `caused_by`.
    pub incidents: Vec<serde_json::Value>,
    pub approvals: Vec<ChangeApproval>,
    /// The approval matrix's stages with their counts (`get` and after commands).
    pub approval: Vec<StageView>,
    /// Oldest first; work notes only for those who may work on the change (`get` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<yunwei_store::ticket::Activity>,
}

impl std::ops::Deref for ChangeView {
    type Target = Change;
    fn deref(&self) -> &Change {
        &self.row
    }
}

/// The row and its number only (what the kernel audits and lists show).
pub fn view(c: &Change) -> Result<ChangeView> {
    Ok(ChangeView {
        number: rules::number(c.id.0),
        row: c.clone(),
        ci_ids: Vec::new(),
        incidents: Vec::new(),
        approvals: Vec::new(),
        approval: Vec::new(),
        timeline: Vec::new(),
    })
}

/// The whole view, with CIs, incidents and votes.
pub(crate) async fn full_view(conn: &mut Conn, c: &Change) -> Result<ChangeView> {
    let mut v = view(c)?;
    v.ci_ids = store::cis(&mut *conn, c.id).await?;
    v.incidents = store::incidents(&mut *conn, c.id)
        .await?
        .into_iter()
        .map(|(i, rel)| serde_json::json!({ "incident_id": i, "number": yunwei_domain::incident::number(i.0), "relation": rel }))
        .collect();
    v.approvals = store::approvals(&mut *conn, c.id).await?;
    let (stages, who, p) = approval::standing(conn, c, &v.approvals).await?;
    v.approval = approval::stage_views(&stages, &who, &v.approvals, p);
    Ok(v)
}

/// Where a change sits for its policy ([`policy::CHANGE`]).
pub(crate) fn holders(c: &Change) -> Holders {
    Holders {
        owners: [c.requester_id, c.implementer_id].into_iter().flatten().collect(),
        team: c.team_id,
        department: c.department_id,
        ..Holders::default()
    }
}

pub(crate) fn scope_allows(ctx: &Ctx, action: Action, c: &Change) -> bool {
    ctx.decide(&policy::CHANGE, action, &holders(c)).is_ok()
}

/// The change, locked for a command, if the caller may do `action` on it; refused before the
/// lookup without the permission at any scope.
pub(crate) async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: ChangeId, action: Action) -> Result<Change> {
    ctx.may_any(&policy::CHANGE, action)?;
    let c = store::get_for_update(conn, &core.db, id).await?.ok_or(CoreError::NotFound("change"))?;
    ctx.decide(&policy::CHANGE, action, &holders(&c))?;
    Ok(c)
}

/// The change as it is, for a query, if the caller may read it.
pub(crate) async fn load_read(conn: &mut Conn, ctx: &Ctx, id: ChangeId) -> Result<Change> {
    ctx.may_any(&policy::CHANGE, Action::Read)?;
    let c = store::get(&mut *conn, id).await?.ok_or(CoreError::NotFound("change"))?;
    ctx.decide(&policy::CHANGE, Action::Read, &holders(&c))?;
    Ok(c)
}

pub(crate) fn event_for(kind: EventType, c: &Change, recipients: &[UserId], extra: serde_json::Value) -> Event {
    let mut payload = serde_json::json!({
        "number": rules::number(c.id.0),
        "title": c.title,
        "state": c.state,
        "change_type": c.change_type,
        "risk_level": c.risk_level,
        "path": format!("/changes/{}", rules::number(c.id.0)),
        "recipients": recipients,
    });
    if let (Some(p), serde_json::Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    Event::new(kind, CHANGE.object_type, c.id).with(payload)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuery {
    /// Comma-separated states.
    pub state: Option<String>,
    pub change_type: Option<ChangeType>,
    pub ci_id: Option<CiId>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub async fn list(core: &Core, ctx: &Ctx, q: &ChangeQuery) -> Result<Page<ChangeView>> {
    let (actor, scope) = ctx.authorize(ObjectType::Change, Action::Read)?;
    let mut states = Vec::new();
    for s in q.state.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let st: ChangeState = s.parse().map_err(|_| {
            let allowed = ChangeState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            yunwei_domain::DomainError::Validation(vec![FieldError::new("state", "not_allowed_value").with("allowed", allowed)])
        })?;
        states.push(st.as_str().to_string());
    }
    let place = &actor.place;
    let scope = match scope {
        Scope::All => None,
        Scope::Department => Some((place.user, place.teams.clone(), place.department)),
        Scope::Team => Some((place.user, place.teams.clone(), None)),
        Scope::Own => Some((place.user, Vec::new(), None)),
    };
    let filter = ChangeFilter { states, change_type: q.change_type.map(|t| t.as_str().to_string()), ci_id: q.ci_id, scope };
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), true)?;
    let rows = store::list(&core.db.read, &filter, &page).await?;
    let items = rows.items.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: rows.next_cursor })
}

pub async fn get(core: &Core, ctx: &Ctx, id: ChangeId) -> Result<ChangeView> {
    let mut rd = core.db.read.acquire().await?;
    let c = load_read(&mut rd, ctx, id).await?;
    let mut v = full_view(&mut rd, &c).await?;
    v.timeline = yunwei_store::ticket::activities(&mut *rd, &CHANGE, id.0, scope_allows(ctx, Action::Update, &c)).await?;
    Ok(v)
}

/// The form of a change request (变更申请表). On a patch, absent fields are kept.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    pub title: Option<String>,
    pub change_type: Option<ChangeType>,
    pub content: Option<String>,
    pub reason: Option<String>,
    pub expected_effect: Option<String>,
    pub impact_scope: Option<String>,
    /// The implementation plan, one step per entry.
    pub steps: Option<Vec<String>>,
    pub window_start: Option<Instant>,
    pub window_end: Option<Instant>,
    pub risk_mitigation: Option<String>,
    pub backup_plan: Option<String>,
    pub rollback_plan: Option<String>,
    pub test_plan: Option<String>,
    /// The risk questionnaire: question key → 0 (no risk) … 3.
    pub risk_answers: Option<BTreeMap<String, u8>>,
    pub ci_ids: Option<Vec<CiId>>,
    pub team_id: Option<TeamId>,
    pub implementer_id: Option<UserId>,
    /// Incidents that asked for this change.
    pub incident_ids: Option<Vec<IncidentId>>,
    /// The version the caller last saw (patch only).
    pub version: Option<i64>,
}

fn steps_json(steps: &[String]) -> serde_json::Value {
    serde_json::Value::Array(
        steps.iter().map(|t| serde_json::json!({ "title": t, "status": "pending", "started_at": null, "finished_at": null })).collect(),
    )
}

/// Step titles of a stored plan.
pub fn step_titles(c: &Change) -> Vec<String> {
    c.steps.as_array().map(|a| a.iter().filter_map(|s| s["title"].as_str().map(String::from)).collect()).unwrap_or_default()
}

/// Applies the form's fields to `c`, checking each; CIs and incidents are returned to be stored.
async fn apply_input(conn: &mut Conn, ctx: &Ctx, c: &mut Change, input: &ChangeInput, chk: &mut Checker) -> Result<()> {
    if let Some(t) = &input.title {
        c.title = chk.name("title", t, MAX_TITLE);
    }
    if let Some(t) = input.change_type {
        c.change_type = t;
    }
    let texts: [(&str, &Option<String>, &mut String); 8] = [
        ("content", &input.content, &mut c.content),
        ("reason", &input.reason, &mut c.reason),
        ("expected_effect", &input.expected_effect, &mut c.expected_effect),
        ("impact_scope", &input.impact_scope, &mut c.impact_scope),
        ("risk_mitigation", &input.risk_mitigation, &mut c.risk_mitigation),
        ("backup_plan", &input.backup_plan, &mut c.backup_plan),
        ("rollback_plan", &input.rollback_plan, &mut c.rollback_plan),
        ("test_plan", &input.test_plan, &mut c.test_plan),
    ];
    for (field, value, slot) in texts {
        if let Some(v) = value {
            *slot = chk.text(field, v, MAX_TEXT);
        }
    }
    if let Some(steps) = &input.steps {
        let steps: Vec<String> = steps.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if steps.len() > MAX_STEPS {
            chk.push(FieldError::new("steps", "too_long").with("max", MAX_STEPS));
        }
        for (n, s) in steps.iter().enumerate() {
            chk.name(&format!("steps[{n}]"), s, MAX_TITLE);
        }
        c.steps = steps_json(&steps);
    }
    if input.window_start.is_some() || input.window_end.is_some() {
        c.window_start = input.window_start.map(|t| t.0).or(c.window_start);
        c.window_end = input.window_end.map(|t| t.0).or(c.window_end);
    }
    for e in rules::check_window(c.window_start, c.window_end) {
        chk.push(e);
    }
    if let Some(t) = input.team_id {
        if yunwei_store::admin::get_team(&mut *conn, t).await?.is_none() {
            chk.push(FieldError::new("team_id", "not_found"));
        }
        c.team_id = Some(t);
    }
    if let Some(u) = input.implementer_id {
        if yunwei_store::admin::get_user(&mut *conn, u).await?.is_none_or(|u| u.disabled) {
            chk.push(FieldError::new("implementer_id", "not_found"));
        }
        c.implementer_id = Some(u);
    }
    if let Some(cis) = &input.ci_ids {
        if cis.len() > MAX_CIS {
            chk.push(FieldError::new("ci_ids", "too_long").with("max", MAX_CIS));
        }
        for (n, ci) in cis.iter().enumerate().take(MAX_CIS) {
            crate::cmdb::authorize_link(conn, ctx, chk, &format!("ci_ids[{n}]"), *ci).await?;
        }
    }
    if let Some(incidents) = &input.incident_ids {
        for (n, i) in incidents.iter().enumerate().take(MAX_CIS) {
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

/// A new change request, in the draft state; its risk is assessed at once.
pub async fn create(core: &Core, ctx: &Ctx, input: ChangeInput) -> Result<ChangeView> {
    let (actor, scope) = ctx.authorize(ObjectType::Change, Action::Create)?;
    let me = actor.place.user;
    let mut chk = Checker::new();
    if input.title.is_none() {
        chk.push(FieldError::new("title", "required"));
    }
    let now = core.now_ms();
    let mut c = Change {
        requester_id: Some(me),
        department_id: actor.place.department,
        team_id: actor.place.teams.first().copied(),
        steps: serde_json::json!([]),
        risk_answers: serde_json::json!({}),
        risk_reasons: serde_json::json!([]),
        approval_stages: serde_json::json!([]),
        approvals_needed: 1,
        created_at: now,
        updated_at: now,
        version: 1,
        ..Change::default()
    };
    let mut rd = core.db.read.acquire().await?;
    apply_input(&mut rd, ctx, &mut c, &input, &mut chk).await?;
    let cis = dedup(input.ci_ids.as_deref().unwrap_or(&[]));
    let answers = input.risk_answers.clone().unwrap_or_default();
    let assessed = assess_into(core, ctx, &mut rd, &mut c, &cis, &answers, &mut chk).await?;
    drop(rd);
    schedule::vet_window(core, &mut c, &mut chk).await?;
    chk.finish()?;
    // A grant narrower than `all` requests changes for the holder's own teams only.
    if scope != Scope::All && c.team_id.is_some_and(|t| !actor.place.teams.contains(&t)) {
        return Err(CoreError::Forbidden(format!("change:create:{scope}")));
    }
    let mut tx = core.db.begin().await?;
    c.id = store::insert(&mut tx, &c).await?;
    store::set_cis(&mut tx, c.id, &cis).await?;
    for i in dedup(input.incident_ids.as_deref().unwrap_or(&[])) {
        store::set_incident(&mut tx, c.id, i, "cause", true).await?;
    }
    let note = crate::ticket::Note { kind: "created", public: true, body: "", data: serde_json::json!({ "risk": assessed.level }) };
    crate::ticket::add_notes::<Change>(&mut tx, ctx, c.id.0, now, &[note]).await?;
    let v = full_view(&mut tx, &c).await?;
    crate::audit::write(core, &mut tx, ctx, crate::audit::Change::new(CHANGE.object_type, c.id, "create").after(&v)).await?;
    let to: Vec<UserId> = c.implementer_id.into_iter().filter(|u| *u != me).collect();
    crate::notify::emit(core, &mut tx, ctx, event_for(EventType::ChangeCreated, &c, &to, serde_json::json!({}))).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// Edits the form. Only drafts (and rejected changes, before they are revised) are edited;
/// an edit re-assesses the risk.
pub async fn update(core: &Core, ctx: &Ctx, id: ChangeId, input: ChangeInput) -> Result<ChangeView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update).await?;
    if input.version.is_some_and(|v| v != before.version) {
        return Err(CoreError::Conflict("change_changed"));
    }
    if before.state != ChangeState::Draft {
        return Err(CoreError::Conflict("change_not_draft"));
    }
    let mut chk = Checker::new();
    let mut after = before.clone();
    apply_input(&mut tx, ctx, &mut after, &input, &mut chk).await?;
    let cis = match &input.ci_ids {
        Some(v) => dedup(v),
        None => store::cis(&mut *tx, id).await?,
    };
    let answers = match &input.risk_answers {
        Some(a) => a.clone(),
        None => serde_json::from_value(before.risk_answers.clone()).unwrap_or_default(),
    };
    assess_into(core, ctx, &mut tx, &mut after, &cis, &answers, &mut chk).await?;
    schedule::vet_window(core, &mut after, &mut chk).await?;
    chk.finish()?;
    if input.ci_ids.is_some() {
        store::set_cis(&mut tx, id, &cis).await?;
    }
    for i in dedup(input.incident_ids.as_deref().unwrap_or(&[])) {
        store::set_incident(&mut tx, id, i, "cause", true).await?;
    }
    let fx = crate::ticket::Effects { action: "update", notes: Vec::new(), events: Vec::new() };
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, fx).await?;
    let v = full_view(&mut tx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// Links an incident as the cause of the change (`cause`) or as caused by it (`caused_by`);
/// `link` false takes the link away. Needs `change:assign` on the change and read on the incident.
pub async fn link_incident(core: &Core, ctx: &Ctx, id: ChangeId, incident: IncidentId, relation: &str, link: bool) -> Result<ChangeView> {
    if !matches!(relation, "cause" | "caused_by") {
        return Err(yunwei_domain::DomainError::field("relation", "not_allowed_value").into());
    }
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Assign).await?;
    crate::incident::load_read(&mut tx, ctx, incident, Action::Read).await?;
    store::set_incident(&mut tx, id, incident, relation, link).await?;
    let mut after = before.clone();
    let data = serde_json::json!({ "incident": yunwei_domain::incident::number(incident.0), "relation": relation, "link": link });
    let notes = vec![crate::ticket::Note { kind: "incident_linked", public: true, body: "", data }];
    let fx = crate::ticket::Effects { action: if link { "link_incident" } else { "unlink_incident" }, notes, events: Vec::new() };
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, fx).await?;
    let v = full_view(&mut tx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// Changes an incident is linked to (the incident page's "caused by change").
pub async fn for_incident(core: &Core, ctx: &Ctx, incident: IncidentId) -> Result<Vec<ChangeView>> {
    let mut rd = core.db.read.acquire().await?;
    crate::incident::load_read(&mut rd, ctx, incident, Action::Read).await?;
    let ids = yunwei_store::change::changes_of_incident(&mut *rd, incident).await?;
    let mut out = Vec::new();
    for id in ids {
        if let Ok(c) = load_read(&mut rd, ctx, id).await {
            out.push(view(&c)?);
        }
    }
    Ok(out)
}
