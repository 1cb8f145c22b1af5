//! Moving a request on: approval decisions, fulfilment tasks, cancel and close,
//! and the conversation on the request.

use super::{Effects, RequestView, authorize_read, authorize_task, event_for, load, open_tasks, save, scope_allows, view};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{RequestTaskId, ServiceRequestId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::request::{
    ApprovalMode, Decision, RequestAction, RequestState, StepOutcome, TaskAction, TaskState, next_state, next_task_state, step_outcome,
};
use yunwei_domain::validate::Checker;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::request::{self as store, Task};

const MAX_NOTE: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub decision: Verdict,
    /// Required when rejecting: the requester is told why.
    #[serde(default)]
    pub comment: String,
}

/// An approver decides the step now waiting on them.
pub async fn decide(core: &Core, ctx: &Ctx, id: ServiceRequestId, input: DecisionInput) -> Result<RequestView> {
    let me = ctx.me()?.user_id;
    let mut c = Checker::new();
    let comment = c.text("comment", &input.comment, MAX_NOTE).trim().to_string();
    if input.decision == Verdict::Reject && comment.is_empty() {
        c.push(FieldError::new("comment", "required"));
    }
    c.finish()?;
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id).await?;
    let action = match input.decision {
        Verdict::Approve => "approve",
        Verdict::Reject => "reject",
    };
    let state = before.state;
    let approvals = store::approvals(&mut *tx, id).await?;
    let Some(step) = before.approval_step.filter(|_| state == RequestState::PendingApproval) else {
        authorize_read(ctx, &mut tx, &before).await?;
        return Err(DomainError::IllegalTransition { object: "request", from: state.as_str(), action }.into());
    };
    let mine = approvals.iter().find(|a| a.step == step && a.approver_id == me && a.decision == Decision::Pending.as_str());
    let Some(mine) = mine else {
        return Err(CoreError::Forbidden("service_request:approve".into()));
    };
    let decision = if input.decision == Verdict::Approve { Decision::Approved } else { Decision::Rejected };
    let now = core.now_ms();
    store::decide(&mut tx, mine.id, decision.as_str(), &comment, now).await?;
    let def = super::definition_of(&before)?;
    let mode = def.approvals.get(step as usize).map(|s| s.mode).unwrap_or(ApprovalMode::Any);
    let decisions: Vec<Decision> = approvals
        .iter()
        .filter(|a| a.step == step)
        .map(|a| if a.id == mine.id { decision } else { a.decision.parse().unwrap_or(Decision::Pending) })
        .collect();
    let mut after = before.clone();
    let requester: Vec<UserId> = before.requester_id.into_iter().collect();
    let mut events = Vec::new();
    let data = serde_json::json!({ "step": step + 1, "decision": decision.as_str(), "comment": comment });
    match step_outcome(mode, &decisions) {
        StepOutcome::Waiting => {}
        StepOutcome::Rejected => {
            store::skip_pending(&mut tx, id, now).await?;
            after.state = RequestState::Rejected;
            after.approval_step = None;
            after.closed_at = Some(now);
            events.push(event_for(EventType::ServiceRequestRejected, &after, &requester, serde_json::json!({ "comment": comment })));
        }
        StepOutcome::Approved => {
            // The rest of this step's approvers no longer need to decide.
            for a in approvals.iter().filter(|a| a.step == step && a.id != mine.id && a.decision == Decision::Pending.as_str()) {
                store::decide(&mut tx, a.id, Decision::Skipped.as_str(), "", now).await?;
            }
            let next = step + 1;
            let next_approvers: Vec<UserId> = approvals.iter().filter(|a| a.step == next).map(|a| a.approver_id).collect();
            if next_approvers.is_empty() && def.tasks.is_empty() {
                after.state = RequestState::Fulfilled;
                after.approval_step = None;
                after.approved_at = Some(now);
                after.fulfilled_at = Some(now);
                events.push(event_for(EventType::ServiceRequestFulfilled, &after, &requester, serde_json::json!({})));
                crate::survey::on_resolved(core, &mut tx, ctx, &crate::survey::Subject::service_request(&after)).await?;
            } else if next_approvers.is_empty() {
                after.state = RequestState::InFulfilment;
                after.approval_step = None;
                after.approved_at = Some(now);
                let item_team = store::get_item(&mut *tx, before.item_id).await?.and_then(|i| i.team_id);
                let tell = open_tasks(core, &mut tx, &after, item_team).await?;
                events.push(event_for(EventType::ServiceRequestApproved, &after, &requester, serde_json::json!({})));
                events.push(event_for(EventType::ServiceRequestTaskAssigned, &after, &tell, serde_json::json!({})));
            } else {
                after.approval_step = Some(next);
                events.push(event_for(
                    EventType::ServiceRequestApprovalRequested,
                    &after,
                    &next_approvers,
                    serde_json::json!({ "step": next + 1 }),
                ));
            }
        }
    }
    save(core, &mut tx, ctx, &before, &mut after, Effects { action, timeline: Some((decision.as_str(), data)), events }).await?;
    core.commit(tx).await?;
    view(&after)
}

/// Work on one fulfilment task: take it, finish it, or skip it (with a reason), and/or
/// give it to a team member.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub action: Option<TaskAction>,
    pub assignee_id: Option<UserId>,
    #[serde(default)]
    pub note: String,
}

pub async fn work_task(core: &Core, ctx: &Ctx, id: ServiceRequestId, task_id: RequestTaskId, input: TaskInput) -> Result<Task> {
    let me = UserId(ctx.me()?.user_id.0);
    let mut c = Checker::new();
    let note = c.text("note", &input.note, MAX_NOTE).trim().to_string();
    if input.action.is_none() && input.assignee_id.is_none() {
        c.push(FieldError::new("action", "required"));
    }
    if input.action == Some(TaskAction::Skip) && note.is_empty() {
        c.push(FieldError::new("note", "required"));
    }
    c.finish()?;
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id).await?;
    let tasks = store::tasks(&mut *tx, id).await?;
    let mut task = tasks.iter().find(|t| t.id == task_id).cloned().ok_or(CoreError::NotFound("request_task"))?;
    authorize_task(ctx, &before, &task)?;
    let state = before.state;
    if state != RequestState::InFulfilment {
        let action = input.action.map_or("assign", TaskAction::as_str);
        return Err(DomainError::IllegalTransition { object: "request", from: state.as_str(), action }.into());
    }
    let now = core.now_ms();
    let mut data = serde_json::json!({ "task": task.seq, "title": task.title, "title_en": task.title_en });
    if let Some(a) = input.assignee_id {
        let members = match task.team_id {
            Some(t) => yunwei_store::admin::team_members(&mut *tx, t).await?,
            None => Vec::new(),
        };
        if task.team_id.is_some() && !members.contains(&a) {
            return Err(DomainError::field("assignee_id", "not_team_member").into());
        }
        if yunwei_store::admin::get_user(&mut *tx, a).await?.is_none_or(|u| u.disabled) {
            return Err(DomainError::field("assignee_id", "not_found").into());
        }
        task.assignee_id = Some(a);
        data["assignee_id"] = serde_json::json!(a);
    }
    let from: TaskState = task.state.parse().map_err(|_| super::corrupt("task state"))?;
    if let Some(action) = input.action {
        let to = next_task_state(from, action)?;
        task.state = to.as_str().into();
        // Whoever takes or finishes an unassigned task is its handler (处理人), so the record says who did it.
        if (to == TaskState::InProgress || to.is_finished()) && task.assignee_id.is_none() {
            task.assignee_id = Some(me);
        }
        if to.is_finished() {
            task.finished_at = Some(now);
        }
        data["state"] = serde_json::json!(to.as_str());
    }
    if !note.is_empty() {
        task.note = note.clone();
        data["note"] = serde_json::json!(note);
    }
    task.updated_at = now;
    store::update_task(&mut tx, &task).await?;
    let mut after = before.clone();
    let mut events = Vec::new();
    let all_done = tasks.iter().map(|t| if t.id == task.id { &task } else { t }).all(|t| t.state.parse().is_ok_and(TaskState::is_finished));
    if all_done {
        after.state = RequestState::Fulfilled;
        after.fulfilled_at = Some(now);
        let requester: Vec<UserId> = before.requester_id.into_iter().collect();
        events.push(event_for(EventType::ServiceRequestFulfilled, &after, &requester, serde_json::json!({})));
        crate::survey::on_resolved(core, &mut tx, ctx, &crate::survey::Subject::service_request(&after)).await?;
    }
    if let Some(a) = input.assignee_id.filter(|a| *a != me) {
        events.push(event_for(EventType::ServiceRequestTaskAssigned, &after, &[a], serde_json::json!({ "task": task.title })));
    }
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: "task", timeline: Some(("task", data)), events }).await?;
    core.commit(tx).await?;
    Ok(task)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestTransitionInput {
    #[serde(default)]
    pub comment: String,
}

/// Cancel (the requester, or the desk) or close a fulfilled request.
pub async fn act(
    core: &Core,
    ctx: &Ctx,
    id: ServiceRequestId,
    action: RequestAction,
    input: RequestTransitionInput,
) -> Result<RequestView> {
    let me = ctx.me()?.user_id;
    let mut c = Checker::new();
    let comment = c.text("comment", &input.comment, MAX_NOTE).trim().to_string();
    c.finish()?;
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id).await?;
    let own = before.requester_id == Some(me) || before.reporter_id == Some(me);
    if own {
        authorize_read(ctx, &mut tx, &before).await?;
    } else if !scope_allows(ctx, Action::Transition, &before) {
        return Err(CoreError::Forbidden("service_request:transition".into()));
    }
    let to = next_state(before.state, action)?;
    let now = core.now_ms();
    let mut after = before.clone();
    after.state = to;
    after.approval_step = None;
    after.closed_at = Some(now);
    if to == RequestState::Cancelled {
        store::skip_pending(&mut tx, id, now).await?;
        store::skip_open_tasks(&mut tx, id, now).await?;
    }
    let mut tell: Vec<UserId> = before.requester_id.into_iter().filter(|r| *r != me).collect();
    if let Some(t) = before.team_id {
        tell.extend(yunwei_store::admin::team_members(&mut *tx, t).await?.into_iter().filter(|u| *u != me));
    }
    tell.sort();
    tell.dedup();
    let data = serde_json::json!({ "from": before.state, "to": to.as_str(), "comment": comment });
    let events = vec![event_for(EventType::ServiceRequestStateChanged, &after, &tell, serde_json::json!({ "from": before.state }))];
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: action.as_str(), timeline: Some(("state_changed", data)), events })
        .await?;
    core.commit(tx).await?;
    view(&after)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestCommentInput {
    pub body: String,
    /// Work notes (`false`) are for the desk only; the requester sees public replies.
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

impl From<RequestCommentInput> for crate::ticket::Comment {
    fn from(c: RequestCommentInput) -> Self {
        Self { body: c.body, public: c.public }
    }
}
