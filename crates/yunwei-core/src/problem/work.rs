//! Working a problem: its lifecycle moves, the root-cause analysis record, solution measures,
//! the closure review, and the known errors as incidents and searches find them.

use super::{MAX_TEXT, MAX_TITLE, ProblemView, full_view, load, load_read, scope_allows, view};
use crate::incident::Instant;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ImprovementId, IncidentId, ProblemId, ProblemMeasureId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::policy;
use yunwei_domain::problem::{self as rules, ProblemState, ProblemTransition, Rca};
use yunwei_domain::ticket::PROBLEM;
use yunwei_domain::validate::Checker;
use yunwei_store::problem::{self as store, Measure, Problem};

/// What a move may carry: a note for the timeline.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemTransitionInput {
    #[serde(default)]
    pub note: String,
}

/// Moves the problem: illegal moves answer 409, missing fields 422 naming them.
pub async fn transition(core: &Core, ctx: &Ctx, id: ProblemId, t: ProblemTransition, input: ProblemTransitionInput) -> Result<ProblemView> {
    let mut chk = Checker::new();
    let note = chk.text("note", &input.note, MAX_TEXT);
    chk.finish()?;
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Transition).await?;
    let illegal = yunwei_domain::DomainError::IllegalTransition { object: "problem", from: before.state.as_str(), action: t.as_str() };
    let to = rules::next(before.state, t).ok_or(illegal)?;
    let open_measures = store::measures(&mut *tx, id).await?.iter().filter(|m| m.done_at.is_none()).count();
    let facts = rules::Facts {
        symptom: &before.symptom,
        root_cause: &before.root_cause,
        workaround: &before.workaround,
        open_measures,
        review_lessons: &before.review_lessons,
        review_decided: !before.review_improvement.is_empty(),
    };
    let missing = rules::requirements(t, &facts);
    if !missing.is_empty() {
        return Err(yunwei_domain::DomainError::Validation(missing).into());
    }
    let now = core.now_ms();
    let mut after = before.clone();
    after.state = to;
    match to {
        ProblemState::KnownError => after.known_error_at = after.known_error_at.or(Some(now)),
        ProblemState::Resolved => after.resolved_at = Some(now),
        ProblemState::Closed => after.closed_at = Some(now),
        _ => {}
    }
    if t == ProblemTransition::Reopen {
        after.resolved_at = None;
    }
    let data = serde_json::json!({ "from": before.state, "to": to, "transition": t });
    let notes = vec![crate::ticket::Note { kind: "state", public: false, body: &note, data }];
    let mut tell: Vec<UserId> = before.owner_id.into_iter().filter(|u| Some(u.0) != ctx.actor_id()).collect();
    tell.extend(yunwei_store::ticket::watchers(&mut *tx, &PROBLEM, id.0).await?);
    let events = vec![super::event_for(EventType::ProblemStateChanged, &after, &tell, serde_json::json!({ "transition": t }))];
    let fx = crate::ticket::Effects { action: t.as_str(), notes, events };
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, fx).await?;
    let v = full_view(core, &mut tx, ctx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// Saves the root-cause analysis record whole (PRB-3). Not once the problem is closed.
pub async fn put_rca(core: &Core, ctx: &Ctx, id: ProblemId, rca: Rca) -> Result<ProblemView> {
    rca.validate()?;
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update).await?;
    if before.state == ProblemState::Closed {
        return Err(CoreError::Conflict("problem_closed"));
    }
    let mut after = before.clone();
    after.rca = serde_json::to_value(&rca).map_err(|e| CoreError::Internal(e.to_string()))?;
    let fx = crate::ticket::Effects { action: "rca", notes: Vec::new(), events: Vec::new() };
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, fx).await?;
    let v = full_view(core, &mut tx, ctx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// The analysis record as stored (an empty one for a row written before it had one).
pub fn rca_of(p: &Problem) -> Rca {
    serde_json::from_value(p.rca.clone()).unwrap_or_default()
}

/// A solution measure (解决措施): what, who and by when; `done` marks it done (or not).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureInput {
    pub title: Option<String>,
    pub owner_id: Option<UserId>,
    pub due_at: Option<Instant>,
    pub done: Option<bool>,
}

/// Adds a measure (`measure` None) or changes one of this problem's.
pub async fn put_measure(
    core: &Core,
    ctx: &Ctx,
    id: ProblemId,
    measure: Option<ProblemMeasureId>,
    input: MeasureInput,
) -> Result<ProblemView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update).await?;
    if before.state == ProblemState::Closed {
        return Err(CoreError::Conflict("problem_closed"));
    }
    let now = core.now_ms();
    let mut m = match measure {
        Some(mid) => store::measures(&mut *tx, id).await?.into_iter().find(|m| m.id == mid).ok_or(CoreError::NotFound("measure"))?,
        None => Measure { problem_id: id, created_at: now, ..Measure::default() },
    };
    let mut chk = Checker::new();
    match (&input.title, measure) {
        (Some(t), _) => m.title = chk.name("title", t, MAX_TITLE),
        (None, None) => chk.push(FieldError::new("title", "required")),
        _ => {}
    }
    if let Some(u) = input.owner_id {
        if yunwei_store::admin::get_user(&mut *tx, u).await?.is_none_or(|u| u.disabled) {
            chk.push(FieldError::new("owner_id", "not_found"));
        }
        m.owner_id = Some(u);
    }
    if let Some(d) = input.due_at {
        m.due_at = Some(d.0);
    }
    if let Some(done) = input.done {
        m.done_at = if done { m.done_at.or(Some(now)) } else { None };
    }
    chk.finish()?;
    let action = match measure {
        Some(_) => {
            store::update_measure(&mut tx, &m).await?;
            if input.done == Some(true) { "measure_done" } else { "measure_update" }
        }
        None => {
            m.id = store::insert_measure(&mut tx, &m).await?;
            "measure_add"
        }
    };
    let mut after = before.clone();
    let data = serde_json::json!({ "measure": m.title, "owner_id": m.owner_id, "due_at": m.due_at, "done": m.done_at.is_some() });
    let notes = vec![crate::ticket::Note { kind: action, public: false, body: "", data }];
    let to: Vec<UserId> = m.owner_id.into_iter().filter(|u| Some(u.0) != ctx.actor_id()).collect();
    let events = if to.is_empty() || measure.is_some() {
        Vec::new()
    } else {
        vec![super::event_for(EventType::ProblemUpdated, &after, &to, serde_json::json!({ "measure": m.title }))]
    };
    let fx = crate::ticket::Effects { action, notes, events };
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, fx).await?;
    let v = full_view(core, &mut tx, ctx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// A measure overdue now, with its problem's number and title.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueMeasure {
    #[serde(flatten)]
    pub measure: Measure,
    pub number: String,
    pub problem_title: String,
}

/// Measures past their due date and not done, of problems the caller may read.
pub async fn overdue_measures(core: &Core, ctx: &Ctx) -> Result<Vec<OverdueMeasure>> {
    ctx.authorize(ObjectType::Problem, Action::Read)?;
    let mut rd = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for m in store::overdue_measures(&mut *rd, core.now_ms(), 500).await? {
        if let Ok(p) = load_read(&mut rd, ctx, m.problem_id).await {
            out.push(OverdueMeasure { number: rules::number(p.id.0), problem_title: p.title, measure: m });
        }
    }
    Ok(out)
}

/// The closure review (PRB-6): what was learned, and whether the improvement register needs
/// an entry. Saying yes without naming one opens an item, when the caller may.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub lessons: String,
    pub improvement: bool,
    pub improvement_id: Option<ImprovementId>,
}

pub async fn review(core: &Core, ctx: &Ctx, id: ProblemId, input: ReviewInput) -> Result<ProblemView> {
    let mut chk = Checker::new();
    let lessons = chk.text("lessons", &input.lessons, MAX_TEXT);
    if lessons.trim().is_empty() {
        chk.push(FieldError::new("lessons", "required"));
    }
    chk.finish()?;
    let (state, number) = {
        let mut rd = core.db.read.acquire().await?;
        let p = load_read(&mut rd, ctx, id).await?;
        if let Some(i) = input.improvement_id {
            crate::improvement::get(core, ctx, i).await.map_err(|_| yunwei_domain::DomainError::field("improvement_id", "not_found"))?;
        }
        (p.state, rules::number(p.id.0))
    };
    if state != ProblemState::Resolved {
        return Err(CoreError::Conflict("problem_not_resolved"));
    }
    let mut improvement_id = input.improvement_id;
    if input.improvement && improvement_id.is_none() && ctx.authorize(ObjectType::Improvement, Action::Create).is_ok() {
        let new = crate::improvement::NewImprovement {
            title: format!("{number} 问题回顾改进"),
            description: lessons.clone(),
            team_id: None,
            owner_id: None,
            due_on: None,
            measures: String::new(),
            subject_ref: Some(number),
        };
        improvement_id = Some(crate::improvement::create(core, ctx, new).await?.id);
    }
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Transition).await?;
    let mut after = before.clone();
    after.review_lessons = lessons;
    after.review_improvement = if input.improvement { "yes" } else { "no" }.into();
    after.improvement_id = if input.improvement { improvement_id } else { None };
    let data = serde_json::json!({ "improvement": input.improvement, "improvement_id": after.improvement_id });
    let body = after.review_lessons.clone();
    let notes = vec![crate::ticket::Note { kind: "review", public: false, body: &body, data }];
    let fx = crate::ticket::Effects { action: "review", notes, events: Vec::new() };
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, fx).await?;
    let v = full_view(core, &mut tx, ctx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// A known error as incidents and searches show it.
#[derive(Debug, Clone, Serialize)]
pub struct KnownError {
    pub problem_id: ProblemId,
    pub number: String,
    pub title: String,
    pub state: ProblemState,
    pub symptom: String,
    pub root_cause: String,
    pub workaround: String,
}

fn known(p: &Problem) -> KnownError {
    KnownError {
        problem_id: p.id,
        number: rules::number(p.id.0),
        title: p.title.clone(),
        state: p.state,
        symptom: p.symptom.clone(),
        root_cause: p.root_cause.clone(),
        workaround: p.workaround.clone(),
    }
}

/// Known errors matching every word of `q` (Chinese read as bigrams, as the search index
/// does), newest first, of problems the caller may read.
pub async fn search_known_errors(core: &Core, ctx: &Ctx, q: &str, limit: i64) -> Result<Vec<KnownError>> {
    ctx.may_any(&policy::PROBLEM, Action::Read)?;
    let q: String = q.trim().chars().take(200).collect();
    if q.is_empty() {
        return Err(yunwei_domain::DomainError::field("q", "required").into());
    }
    let limit = limit.clamp(1, 100);
    let terms = yunwei_domain::search::query_terms(&q);
    // Known errors are a few among the problems: ask for more, keep those that are.
    let ids = yunwei_store::search::matching(&core.db, &PROBLEM, &terms, None, limit * 5).await?;
    let rows = store::by_ids(&core.db.read, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| rows.iter().find(|r| r.id.0 == *id))
        .filter(|p| p.known_error_at.is_some() && scope_allows(ctx, Action::Read, p))
        .take(limit as usize)
        .map(known)
        .collect())
}

/// The known errors an incident is linked to, with their workarounds (the engineer's view of
/// the incident page); nothing for a caller who may not read problems.
pub async fn known_errors_for_incident(core: &Core, ctx: &Ctx, incident: IncidentId) -> Result<Vec<KnownError>> {
    let mut rd = core.db.read.acquire().await?;
    crate::incident::load_read(&mut rd, ctx, incident, Action::Read).await?;
    if ctx.may_any(&policy::PROBLEM, Action::Read).is_err() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for id in store::problems_of_incident(&mut *rd, incident).await? {
        if let Ok(p) = load_read(&mut rd, ctx, id).await
            && p.known_error_at.is_some()
        {
            out.push(known(&p));
        }
    }
    Ok(out)
}

/// Problems an incident is linked to (the incident page), those the caller may read.
pub async fn for_incident(core: &Core, ctx: &Ctx, incident: IncidentId) -> Result<Vec<ProblemView>> {
    let mut rd = core.db.read.acquire().await?;
    crate::incident::load_read(&mut rd, ctx, incident, Action::Read).await?;
    let mut out = Vec::new();
    for id in store::problems_of_incident(&mut *rd, incident).await? {
        if let Ok(p) = load_read(&mut rd, ctx, id).await {
            out.push(view(&p)?);
        }
    }
    Ok(out)
}
