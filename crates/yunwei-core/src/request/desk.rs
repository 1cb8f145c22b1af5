//! Approval steps that wait for the desk: when nobody could be found to approve a step (no
//! line manager, no team lead, no holder of the fallback role), the request files anyway and
//! the step waits. The desk hears of it (`service_request.approver_missing`) and names the
//! step's approver here; the step then goes on as any other.

use super::{Effects, RequestView, event_for, load, save, scope_allows, view};
use crate::notify::Event;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ServiceRequestId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::request::RequestState;
use yunwei_domain::validate::Checker;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::Conn;
use yunwei_store::request::{self as store, ServiceRequest};

/// The approver the desk names for a step that has none.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NameApproverInput {
    /// The step, counting from 1 as the page shows it.
    pub step: i64,
    pub approver_id: UserId,
}

/// The desk: everyone whose roles let them name approvers (`service_request:assign`).
pub(crate) async fn desk_people(conn: &mut Conn) -> Result<Vec<UserId>> {
    Ok(yunwei_store::admin::holders_of_permission(&mut *conn, "service_request:assign").await?)
}

/// The notice to the desk that `step` (from 0) of the request waits for them.
pub(crate) async fn approver_missing(conn: &mut Conn, r: &ServiceRequest, step: i64, name: &str) -> Result<Event> {
    let mut desk = desk_people(conn).await?;
    // The requester names nobody on their own request.
    desk.retain(|u| Some(*u) != r.requester_id);
    Ok(event_for(EventType::ServiceRequestApproverMissing, r, &desk, serde_json::json!({ "step": step + 1, "step_name": name })))
}

/// Names the approver of a step that waits for the desk (it has no approver yet). The desk
/// only: `assign` on the request. The approver is told at once if the step is the current one.
pub async fn name_approver(core: &Core, ctx: &Ctx, id: ServiceRequestId, input: NameApproverInput) -> Result<RequestView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id).await?;
    // The desk only, and not for their own request: whoever names the approver decides who approves.
    if !scope_allows(ctx, Action::Assign, &before) || before.requester_id == Some(ctx.me()?.user_id) {
        return Err(CoreError::Forbidden("service_request:assign".into()));
    }
    let state = before.state;
    let current = before.approval_step.filter(|_| state == RequestState::PendingApproval);
    let Some(current) = current else {
        return Err(DomainError::IllegalTransition { object: "request", from: state.as_str(), action: "name_approver" }.into());
    };
    let def = super::definition_of(&before)?;
    let step = input.step - 1;
    let mut c = Checker::new();
    let approvals = store::approvals(&mut *tx, id).await?;
    if step < current || step as usize >= def.approvals.len() {
        c.push(FieldError::new("step", "not_found"));
    } else if approvals.iter().any(|a| a.step == step) {
        c.push(FieldError::new("step", "approver_named"));
    }
    match yunwei_store::admin::get_user(&mut *tx, input.approver_id).await? {
        Some(u) if u.disabled => c.push(FieldError::new("approver_id", "not_found")),
        None => c.push(FieldError::new("approver_id", "not_found")),
        // Nobody approves their own request.
        Some(u) if Some(u.id) == before.requester_id => c.push(FieldError::new("approver_id", "own_request")),
        Some(_) => {}
    }
    c.finish()?;
    let now = core.now_ms();
    store::add_approval(&mut tx, id, step, input.approver_id, now).await?;
    let mut after = before.clone();
    let mut events = Vec::new();
    if step == current {
        let to = [input.approver_id];
        events.push(event_for(EventType::ServiceRequestApprovalRequested, &after, &to, serde_json::json!({ "step": step + 1 })));
    }
    let data = serde_json::json!({ "step": step + 1, "approver_id": input.approver_id });
    save(core, &mut tx, ctx, &before, &mut after, Effects { action: "name_approver", timeline: Some(("approver_named", data)), events })
        .await?;
    core.commit(tx).await?;
    view(&after)
}
