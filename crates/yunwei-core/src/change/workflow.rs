//! Moving a change along (CHG-4, CHG-5): transitions by the requester and the implementer,
//! the approvers' votes, the implementation steps, and the question the alerting asks —
//! which approved changes hold a CI at a time.

use super::{ChangeView, event_for, full_view, load, load_read, view};
use crate::ticket::{Effects, Note};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::DomainError;
use yunwei_domain::change::matrix::{self, Progress};
use yunwei_domain::change::{self as rules, Cast, ChangeState, ChangeTransition, ChangeType, Position, Vote};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ChangeId, CiId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::policy;
use yunwei_store::change::{self as store, Change, ChangeApproval};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeTransitionInput {
    /// Why implementation starts outside the approved window (audited), or a note on the move.
    #[serde(default)]
    pub reason: String,
}

fn position(c: &Change) -> Position {
    Position { state: c.state, change_type: c.change_type, approved: c.approved_at.is_some() }
}

fn request_of(c: &Change) -> rules::Request<'_> {
    rules::Request {
        change_type: Some(c.change_type),
        content: &c.content,
        reason: &c.reason,
        rollback_plan: &c.rollback_plan,
        backup_plan: &c.backup_plan,
        steps: c.steps.as_array().map_or(0, Vec::len),
        window_start: c.window_start,
        window_end: c.window_end,
    }
}

/// The right a transition takes: the requester's side edits, the implementer implements.
fn action_of(t: ChangeTransition) -> Action {
    match t {
        ChangeTransition::Submit | ChangeTransition::Revise | ChangeTransition::Cancel => Action::Update,
        _ => Action::Transition,
    }
}

fn to_requester(c: &Change, ctx: &Ctx) -> Vec<UserId> {
    [c.requester_id, c.implementer_id].into_iter().flatten().filter(|u| Some(u.0) != ctx.actor_id()).collect()
}

pub async fn transition(core: &Core, ctx: &Ctx, id: ChangeId, t: ChangeTransition, input: ChangeTransitionInput) -> Result<ChangeView> {
    let action = action_of(t);
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, action).await?;
    let illegal = || DomainError::IllegalTransition { object: "change", from: before.state.as_str(), action: t.as_str() };
    let to = rules::next(position(&before), t).ok_or_else(illegal)?;
    let mut missing = rules::requirements(t, &request_of(&before));
    // The freezes may have grown since the window was saved: submitting checks again.
    let freezes = match t {
        ChangeTransition::Submit | ChangeTransition::Start => super::schedule::freezes_of(core, &before).await?,
        _ => Vec::new(),
    };
    if t == ChangeTransition::Submit {
        missing.extend(super::schedule::freeze_errors(&before, &freezes));
    }
    if !missing.is_empty() {
        return Err(DomainError::Validation(missing).into());
    }
    let now = core.now_ms();
    let reason = input.reason.trim().chars().take(2000).collect::<String>();
    let mut after = before.clone();
    after.state = to;
    let mut events = Vec::new();
    match t {
        ChangeTransition::Submit if to == ChangeState::Approved => after.approved_at = Some(now),
        ChangeTransition::Submit => {
            // The matrix's stages as they stand now stay with the change until it is decided.
            let settings = super::change_settings(core).await?;
            let stages = super::approval::plan(&settings, &before, &freezes);
            if stages.is_empty() {
                return Err(CoreError::Conflict("change_no_approval_route"));
            }
            after.approvals_needed = yunwei_domain::change::matrix::least_approvals(&stages) as i64;
            after.approval_stages = serde_json::to_value(&stages).map_err(|e| CoreError::Internal(e.to_string()))?;
            let to = super::approval::eligible(&mut tx, &after, &stages[0]).await?;
            events.push(event_for(EventType::ChangeApprovalRequested, &after, &to, serde_json::json!({ "stage": stages[0].name })));
        }
        ChangeTransition::Start => {
            // An emergency inside a freeze starts only once its freeze exception is approved.
            if !freezes.is_empty() && before.approved_at.is_none() {
                let approvals = store::approvals(&mut *tx, id).await?;
                if !approvals.iter().any(|a| a.vote == Vote::Approve) {
                    return Err(CoreError::Conflict("change_freeze_needs_approval"));
                }
            }
            let window = (before.window_start, before.window_end);
            rules::start_allowed(now, window, before.change_type, &reason).map_err(CoreError::Conflict)?;
            let inside = rules::start_allowed(now, window, before.change_type, "").is_ok();
            after.start_override = if inside { String::new() } else { reason.clone() };
            after.started_at = Some(now);
        }
        ChangeTransition::Complete | ChangeTransition::RollBack => after.finished_at = Some(now),
        ChangeTransition::Close | ChangeTransition::Cancel => after.closed_at = Some(now),
        ChangeTransition::Revise => {}
    }
    if to != ChangeState::PendingApproval {
        events.push(event_for(
            EventType::ChangeStateChanged,
            &after,
            &to_requester(&before, ctx),
            serde_json::json!({ "from": before.state }),
        ));
    }
    let data =
        serde_json::json!({ "from": before.state, "to": to, "override": !after.start_override.is_empty() && t == ChangeTransition::Start });
    let notes = vec![Note { kind: t.as_str(), public: true, body: &reason, data }];
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, Effects { action: t.as_str(), notes, events }).await?;
    let v = full_view(&mut tx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    pub vote: Vote,
    #[serde(default)]
    pub comment: String,
}

/// One approver's vote (CHG-4). Needs `change:approve` reaching the change; the requester and
/// the implementer never vote on it, nobody votes twice. A normal change is voted on while it
/// waits for approval; an emergency change also after it started (retrospective approval).
/// One rejection rejects; the level's number of approvals (two or more: joint review) approves.
pub async fn vote(core: &Core, ctx: &Ctx, id: ChangeId, input: VoteInput) -> Result<ChangeView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Approve).await?;
    let me = ctx.me()?.user_id;
    let comment = input.comment.trim().chars().take(2000).collect::<String>();
    if input.vote == Vote::Reject && comment.is_empty() {
        return Err(DomainError::field("comment", "required").into());
    }
    let retrospective = before.change_type == ChangeType::Emergency
        && matches!(before.state, ChangeState::Implementing | ChangeState::Completed | ChangeState::RolledBack);
    let open = before.approved_at.is_none() && (before.state == ChangeState::PendingApproval || retrospective);
    if !open {
        return Err(DomainError::IllegalTransition { object: "change", from: before.state.as_str(), action: input.vote.as_str() }.into());
    }
    let approvals = store::approvals(&mut *tx, id).await?;
    let cast: Vec<Cast> = approvals.iter().map(|a| Cast { voter: a.approver_id, vote: a.vote }).collect();
    match rules::may_vote(me, before.requester_id, before.implementer_id, &cast) {
        Err("change_own_approval") => return Err(DomainError::OwnRequest.into()),
        Err(code) => return Err(CoreError::Conflict(code)),
        Ok(()) => {}
    }
    // The approval matrix: the vote counts in the current stage, by one of its approvers.
    let (stages, who, progress) = super::approval::standing(&mut tx, &before, &approvals).await?;
    let Progress::Stage { stage, .. } = progress else {
        return Err(DomainError::IllegalTransition { object: "change", from: before.state.as_str(), action: input.vote.as_str() }.into());
    };
    if !who.get(stage).is_some_and(|w| matrix::in_stage(me, w)) {
        return Err(CoreError::Forbidden(format!("change:approve:stage:{}", stage + 1)));
    }
    let now = core.now_ms();
    let row = ChangeApproval {
        id: 0,
        change_id: id,
        approver_id: me,
        vote: input.vote,
        comment: comment.clone(),
        at_ms: now,
        stage: stage as i64,
    };
    store::insert_approval(&mut tx, &row).await.map_err(CoreError::unique_as("change_already_voted"))?;
    let mut all = approvals.clone();
    all.push(row);
    let counts: Vec<usize> = who.iter().map(Vec::len).collect();
    let mut after = before.clone();
    let mut events = Vec::new();
    let tell = to_requester(&before, ctx);
    let now_standing = matrix::progress(&stages, &super::approval::casts(&all), &counts);
    match now_standing {
        Progress::Approved => {
            after.approved_at = Some(now);
            if before.state == ChangeState::PendingApproval {
                after.state = ChangeState::Approved;
            }
            events.push(event_for(EventType::ChangeApproved, &after, &tell, serde_json::json!({})));
        }
        Progress::Rejected => {
            if before.state == ChangeState::PendingApproval {
                after.state = ChangeState::Rejected;
            }
            events.push(event_for(EventType::ChangeRejected, &after, &tell, serde_json::json!({ "comment": comment })));
        }
        // The next stage's approvers are asked in their turn.
        Progress::Stage { stage: next, .. } if next > stage => {
            let to = who.get(next).cloned().unwrap_or_default();
            events.push(event_for(EventType::ChangeApprovalRequested, &after, &to, serde_json::json!({ "stage": stages[next].name })));
        }
        Progress::Stage { .. } => {}
    }
    let need = after.approvals_needed;
    let have = all.iter().filter(|c| c.vote == Vote::Approve).count();
    let data = serde_json::json!({ "vote": input.vote, "have": have, "need": need, "stage": stage + 1 });
    let notes = vec![Note { kind: "vote", public: true, body: &comment, data }];
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, Effects { action: input.vote.as_str(), notes, events }).await?;
    let v = full_view(&mut tx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// `done`, `failed` or `skipped`; `in_progress` when work on it starts.
    pub status: String,
}

/// Marks implementation step `n` (from 0) while the change is being implemented, with the time.
pub async fn set_step(core: &Core, ctx: &Ctx, id: ChangeId, n: usize, input: StepInput) -> Result<ChangeView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Transition).await?;
    if before.state != ChangeState::Implementing {
        return Err(CoreError::Conflict("change_not_implementing"));
    }
    if !matches!(input.status.as_str(), "in_progress" | "done" | "failed" | "skipped") {
        let allowed = "in_progress, done, failed, skipped";
        return Err(
            DomainError::Validation(vec![yunwei_domain::FieldError::new("status", "not_allowed_value").with("allowed", allowed)]).into()
        );
    }
    let now = core.now_ms();
    let mut after = before.clone();
    let step = after.steps.get_mut(n).and_then(|s| s.as_object_mut()).ok_or(CoreError::NotFound("change_step"))?;
    step.insert("status".into(), serde_json::json!(input.status));
    let stamp = if input.status == "in_progress" { "started_at" } else { "finished_at" };
    step.insert(stamp.into(), serde_json::json!(now));
    let data = serde_json::json!({ "step": n + 1, "status": input.status });
    let notes = vec![Note { kind: "step", public: true, body: "", data }];
    crate::ticket::save(core, &mut tx, ctx, &before, &mut after, Effects { action: "step", notes, events: Vec::new() }).await?;
    let v = full_view(&mut tx, &after).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// An approved change window that holds a CI at a time.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveWindow {
    pub change_id: ChangeId,
    pub number: String,
    pub title: String,
    pub state: ChangeState,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
}

/// "Approved change windows active for CI `ci` at time `at`" (CHG-5): approved or
/// implementing changes touching the CI whose window holds `at`. The alert helper calls it
/// to silence alerts on CIs under an approved change. Needs read on the CI.
pub async fn active_windows(core: &Core, ctx: &Ctx, ci: CiId, at: i64) -> Result<Vec<ActiveWindow>> {
    ctx.may_any(&policy::CONFIGURATION_ITEM, Action::Read)?;
    let mut rd = core.db.read.acquire().await?;
    let schema = crate::cmdb::Schema::load(&mut rd).await?;
    crate::cmdb::load_ci(&mut rd, &schema, ctx, ci, Action::Read).await?;
    let rows = store::active_for_ci(&mut *rd, ci, at).await?;
    Ok(rows
        .iter()
        .map(|c| ActiveWindow {
            change_id: c.id,
            number: rules::number(c.id.0),
            title: c.title.clone(),
            state: c.state,
            window_start: c.window_start,
            window_end: c.window_end,
        })
        .collect())
}

/// Emergency changes started without their retrospective approval within the configured
/// period (the list the process owner works through).
pub async fn overdue_approvals(core: &Core, ctx: &Ctx) -> Result<Vec<ChangeView>> {
    ctx.authorize(ObjectType::Change, Action::Read)?;
    let hours = super::change_settings(core).await?.retrospective_hours;
    let now = core.now_ms();
    let mut rd = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for id in store::unapproved_emergencies(&mut *rd).await? {
        let Ok(c) = load_read(&mut rd, ctx, id).await else { continue };
        if rules::retrospective_overdue(c.change_type, c.approved_at.is_some(), c.started_at, now, hours) {
            out.push(view(&c)?);
        }
    }
    Ok(out)
}
