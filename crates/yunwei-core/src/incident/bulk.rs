//! Bulk work on a queue: assign or move many incidents at once. Each incident is
//! its own command (own transaction, checks and audit entry), so one refusal does
//! not undo the others; the caller gets one result per incident.

use super::{AssignInput, IncidentView, TransitionInput, assign, transition};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::ids::{IncidentId, TeamId, UserId};
use yunwei_domain::incident::{PendingReason, Transition};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;

pub const MAX_BULK: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Assign,
    Transition,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    /// Incident ids (the `id` of each row), at most 200.
    pub incidents: Vec<IncidentId>,
    pub action: BulkAction,
    /// For `assign`.
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    /// For `transition`.
    pub transition: Option<Transition>,
    pub pending_reason: Option<PendingReason>,
    pub resolution_code: Option<String>,
    pub resolution: Option<String>,
    /// A work note (assign) or public reply (transition) added to every incident.
    pub note: Option<String>,
}

pub async fn bulk(core: &Core, ctx: &Ctx, input: BulkInput) -> Result<Vec<(IncidentId, Result<IncidentView>)>> {
    // Whoever may not change any incident is refused as a whole, before any item is tried.
    let action = match input.action {
        BulkAction::Assign => Action::Assign,
        _ => Action::Transition,
    };
    ctx.authorize(ObjectType::Incident, action)?;
    let mut c = Checker::new();
    if input.incidents.is_empty() {
        c.push(FieldError::new("incidents", "required"));
    }
    if input.incidents.len() > MAX_BULK {
        c.push(FieldError::new("incidents", "too_long").with("max", MAX_BULK));
    }
    match input.action {
        BulkAction::Assign if input.team_id.is_none() && input.assignee_id.is_none() => c.push(FieldError::new("team_id", "required")),
        BulkAction::Transition if input.transition.is_none() => c.push(FieldError::new("transition", "required")),
        _ => {}
    }
    // A bad resolution code is the form's mistake, not each incident's: refuse the batch
    // naming the field, instead of one vague refusal per row.
    if input.action == BulkAction::Transition && input.transition == Some(Transition::Resolve) {
        let settings = super::desk_settings(core).await?;
        for e in yunwei_domain::incident::check_resolution(&settings, input.resolution_code.as_deref(), input.resolution.as_deref()) {
            c.push(e);
        }
    }
    c.finish()?;
    let mut ids = input.incidents.clone();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let result = match (input.action, input.transition) {
            (BulkAction::Assign, _) => {
                assign(core, ctx, id, AssignInput { team_id: input.team_id, assignee_id: input.assignee_id, note: input.note.clone() })
                    .await
            }
            (BulkAction::Transition, Some(t)) => {
                let ti = TransitionInput {
                    pending_reason: input.pending_reason,
                    resolution_code: input.resolution_code.clone(),
                    resolution: input.resolution.clone(),
                    comment: input.note.clone(),
                    ..TransitionInput::default()
                };
                transition(core, ctx, id, t, ti).await
            }
            (BulkAction::Transition, None) => Err(CoreError::Internal("transition checked above".into())),
        };
        // A lost session or a broken store ends the batch; refusals are per incident.
        if let Err(e @ (CoreError::Store(_) | CoreError::Internal(_) | CoreError::Unauthenticated)) = result {
            return Err(e);
        }
        out.push((id, result));
    }
    Ok(out)
}
