//! Suggestions (PRB-1): the scan that turns recurring incidents into suggestions on a review
//! list, run by the leased scheduler (`problem.suggest`) or on demand; accepting opens the
//! problem with the incidents linked, dismissing records who and why. How candidates are
//! computed and deduplicated is `yunwei_domain::problem::suggest` and ADR 0025.

use super::{ProblemInput, ProblemView, create_linked};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{IncidentId, ProblemSuggestionId};
use yunwei_domain::incident::Level;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::problem::suggest::{self as rules, Basis};
use yunwei_store::problem::{self as store, Suggestion};

pub(crate) fn incident_ids(s: &Suggestion) -> Vec<IncidentId> {
    s.incident_ids.as_array().map(|a| a.iter().filter_map(|v| v.as_i64()).map(IncidentId).collect()).unwrap_or_default()
}

/// What one scan did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanOutcome {
    pub raised: usize,
    pub refreshed: usize,
}

/// Evaluates the rules over recent incidents not linked to a problem, raises new suggestions
/// and lets new matches join pending ones. Safe to run on several nodes: the scheduler's
/// lease runs it on one at a time.
pub async fn scan(core: &Core) -> Result<ScanOutcome> {
    let settings = super::problem_settings(core).await?;
    let now = core.now_ms();
    let since = now - rules::lookback(&settings.rules);
    let mut rd = core.db.read.acquire().await?;
    let facts = store::recent_unlinked(&mut *rd, since).await?;
    let known = store::suggestions_since(&mut *rd, since).await?;
    drop(rd);
    let mut covered: BTreeMap<rules::Key, i64> = BTreeMap::new();
    let mut pending: BTreeMap<rules::Key, Suggestion> = BTreeMap::new();
    for s in known {
        let key = (s.basis, s.subject_id);
        if s.state == "pending" {
            pending.insert(key, s);
        } else {
            let c = covered.entry(key).or_insert(s.last_at);
            *c = (*c).max(s.last_at);
        }
    }
    let candidates = rules::evaluate(&settings.rules, &facts, &covered, now);
    let mut out = ScanOutcome::default();
    if candidates.is_empty() {
        return Ok(out);
    }
    let mut tx = core.db.begin().await?;
    let ctx = Ctx::system();
    for c in candidates {
        let ids = serde_json::json!(c.incidents);
        match pending.get(&(c.basis, c.subject)) {
            Some(s) if s.incident_ids == ids => {}
            Some(s) => {
                let mut s = s.clone();
                let mut all = incident_ids(&s);
                all.extend(c.incidents.iter().map(|i| IncidentId(*i)));
                all.sort();
                all.dedup();
                s.incident_ids = serde_json::json!(all.iter().map(|i| i.0).collect::<Vec<_>>());
                s.last_at = s.last_at.max(c.last_at);
                s.updated_at = now;
                store::update_suggestion(&mut tx, &s).await?;
                out.refreshed += 1;
            }
            None => {
                let mut s = Suggestion {
                    basis: c.basis,
                    subject_id: c.subject,
                    threshold: i64::from(c.threshold),
                    window_days: i64::from(c.window_days),
                    incident_ids: ids,
                    last_at: c.last_at,
                    state: "pending".into(),
                    created_at: now,
                    updated_at: now,
                    ..Suggestion::default()
                };
                s.id = store::insert_suggestion(&mut tx, &s).await?;
                let change = crate::audit::Change::new("problem_suggestion", s.id.0, "create").after(&s);
                crate::audit::write(core, &mut tx, &ctx, change).await?;
                let e = crate::notify::Event::new(EventType::ProblemSuggested, "problem_suggestion", s.id).with(
                    serde_json::json!({ "basis": s.basis, "subject_id": s.subject_id, "incidents": s.incident_ids, "recipients": [] }),
                );
                crate::notify::emit(core, &mut tx, &ctx, e).await?;
                out.raised += 1;
            }
        }
    }
    core.commit(tx).await?;
    Ok(out)
}

/// The scan on demand (`POST /problems/suggestions/scan`), for whoever may open problems.
pub async fn scan_now(core: &Core, ctx: &Ctx) -> Result<ScanOutcome> {
    ctx.authorize(ObjectType::Problem, Action::Create)?;
    scan(core).await
}

/// A suggestion on the review list: what recurs, and the incidents the caller may read.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionView {
    #[serde(flatten)]
    pub row: Suggestion,
    /// The CI, category, service or major incident by name, in the caller's language.
    pub subject: String,
    /// `[{incident_id, number, title, created_at}]`.
    pub incidents: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionQuery {
    /// `pending` (default), `accepted` or `dismissed`.
    pub state: Option<String>,
}

async fn subject_name(conn: &mut yunwei_store::Conn, ctx: &Ctx, basis: Basis, id: i64) -> Result<String> {
    let en = ctx.me().map(|a| a.locale.starts_with("en")).unwrap_or(false);
    let name = match basis {
        Basis::Ci => yunwei_store::cmdb::ci::get_many(&mut *conn, &[yunwei_domain::ids::CiId(id)])
            .await?
            .first()
            .map(|c| if en && !c.name_en.is_empty() { c.name_en.clone() } else { c.name.clone() }),
        Basis::Category => yunwei_store::incident::get_category(&mut *conn, yunwei_domain::ids::CategoryId(id))
            .await?
            .map(|c| if en && !c.name_en.is_empty() { c.name_en } else { c.name }),
        Basis::Service => yunwei_store::service::get(&mut *conn, yunwei_domain::ids::ServiceId(id))
            .await?
            .map(|s| if en && !s.name_en.is_empty() { s.name_en } else { s.name }),
        Basis::Major => Some(yunwei_domain::incident::number(id)),
    };
    Ok(name.unwrap_or_else(|| format!("#{id}")))
}

async fn suggestion_view(conn: &mut yunwei_store::Conn, ctx: &Ctx, s: Suggestion) -> Result<SuggestionView> {
    let mut incidents = Vec::new();
    for i in incident_ids(&s) {
        if let Ok(inc) = crate::incident::load_read(conn, ctx, i, Action::Read).await {
            incidents.push(serde_json::json!({
                "incident_id": i, "number": yunwei_domain::incident::number(i.0), "title": inc.title, "created_at": inc.created_at
            }));
        }
    }
    Ok(SuggestionView { subject: subject_name(conn, ctx, s.basis, s.subject_id).await?, row: s, incidents })
}

/// The review list, newest first (`problem:create`: whoever may open a problem reviews them).
pub async fn suggestions(core: &Core, ctx: &Ctx, q: &SuggestionQuery) -> Result<Vec<SuggestionView>> {
    ctx.authorize(ObjectType::Problem, Action::Create)?;
    let state = q.state.as_deref().unwrap_or("pending");
    if !matches!(state, "pending" | "accepted" | "dismissed") {
        return Err(yunwei_domain::DomainError::Validation(vec![
            yunwei_domain::FieldError::new("state", "not_allowed_value").with("allowed", "pending, accepted, dismissed"),
        ])
        .into());
    }
    let mut rd = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for s in store::suggestions(&mut *rd, state, 200).await? {
        out.push(suggestion_view(&mut rd, ctx, s).await?);
    }
    Ok(out)
}

async fn authorize_pending(core: &Core, ctx: &Ctx, id: ProblemSuggestionId) -> Result<Suggestion> {
    ctx.authorize(ObjectType::Problem, Action::Create)?;
    let s = store::get_suggestion(&core.db.read, id).await?.ok_or(CoreError::NotFound("suggestion"))?;
    if s.state != "pending" {
        return Err(CoreError::Conflict("suggestion_decided"));
    }
    Ok(s)
}

/// Accepting opens the problem with the suggestion's incidents linked; `title` and the rest
/// of the form may be given, else the title names what recurs.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub impact: Option<Level>,
    pub severity: Option<Level>,
}

pub async fn accept(core: &Core, ctx: &Ctx, id: ProblemSuggestionId, input: AcceptInput) -> Result<ProblemView> {
    let s = authorize_pending(core, ctx, id).await?;
    let title = match input.title {
        Some(t) => t,
        None => {
            let mut rd = core.db.read.acquire().await?;
            let name = subject_name(&mut rd, ctx, s.basis, s.subject_id).await?;
            match s.basis {
                Basis::Major => format!("重大事件 {name} 的根因"),
                _ => format!("{name}：{} 天内 {} 次事件", s.window_days, incident_ids(&s).len()),
            }
        }
    };
    let ci_id = (s.basis == Basis::Ci).then_some(yunwei_domain::ids::CiId(s.subject_id));
    let form = ProblemInput {
        title: Some(title),
        description: input.description,
        impact: input.impact.or((s.basis == Basis::Major).then_some(Level::High)),
        severity: input.severity,
        ci_id,
        ..ProblemInput::default()
    };
    create_linked(core, ctx, form, Some(s)).await
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DismissInput {
    #[serde(default)]
    pub reason: String,
}

/// Dismissing is recorded (who, when, why) and covers the subject up to the newest incident
/// the suggestion held: that window is not suggested again.
pub async fn dismiss(core: &Core, ctx: &Ctx, id: ProblemSuggestionId, input: DismissInput) -> Result<SuggestionView> {
    let mut s = authorize_pending(core, ctx, id).await?;
    let mut chk = yunwei_domain::validate::Checker::new();
    let reason = chk.text("reason", &input.reason, 2000);
    chk.finish()?;
    let before = s.clone();
    let now = core.now_ms();
    s.state = "dismissed".into();
    s.reason = reason;
    s.decided_by = ctx.actor_id().map(yunwei_domain::ids::UserId);
    s.decided_at = Some(now);
    s.updated_at = now;
    let mut tx = core.db.begin().await?;
    if !store::update_suggestion(&mut tx, &s).await? {
        return Err(CoreError::Conflict("suggestion_decided"));
    }
    let change = crate::audit::Change::new("problem_suggestion", s.id.0, "dismiss").before(&before).after(&s);
    crate::audit::write(core, &mut tx, ctx, change).await?;
    let v = suggestion_view(&mut tx, ctx, s).await?;
    core.commit(tx).await?;
    Ok(v)
}
