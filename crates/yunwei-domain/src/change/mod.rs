//! Change management (变更管理, SPEC CHG-1 … CHG-7): the rules of a change request as pure
//! functions — its types and states, which transition is allowed from where, what each
//! transition needs on the record, who may vote on its approval and when the votes decide.
//! Core asks these rules and nothing else; every rule here is unit-tested.

pub mod matrix;
pub mod risk;
pub mod schedule;

use crate::FieldError;
use crate::ids::UserId;
use crate::permission::string_enum;

string_enum!(
    /// CHG-2. A standard change comes from a pre-approved template and needs no vote; an
    /// emergency change may be implemented first and approved afterwards (补批).
    ChangeType {
        Standard = "standard",
        Normal = "normal",
        Emergency = "emergency",
    }
);

string_enum!(
    /// draft → pending_approval → approved → implementing → completed | rolled_back → closed;
    /// rejected goes back to draft for rework; cancelled ends a change never implemented.
    ChangeState {
        Draft = "draft",
        PendingApproval = "pending_approval",
        Approved = "approved",
        Rejected = "rejected",
        Implementing = "implementing",
        Completed = "completed",
        RolledBack = "rolled_back",
        Closed = "closed",
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// What a person asks of a change (`POST /changes/{number}/transitions/{transition}`).
    /// Approving and rejecting are votes (`/approvals`), not transitions.
    ChangeTransition {
        Submit = "submit",
        Revise = "revise",
        Start = "start",
        Complete = "complete",
        RollBack = "roll_back",
        Close = "close",
        Cancel = "cancel",
    }
);

string_enum!(
    /// One approver's vote.
    Vote {
        Approve = "approve",
        Reject = "reject",
    }
);

crate::permission::defaults!(ChangeType = ChangeType::Normal, ChangeState = ChangeState::Draft, Vote = Vote::Approve);

impl ChangeState {
    /// Still to be worked on (the calendar and the queue's default).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Cancelled)
    }
}

/// What the transition rules need to know of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub state: ChangeState,
    pub change_type: ChangeType,
    /// The approval is complete (before, or — an emergency change — after implementation).
    pub approved: bool,
}

/// The state `t` leads to from `p`, if it is allowed there.
pub fn next(p: Position, t: ChangeTransition) -> Option<ChangeState> {
    use ChangeState::*;
    use ChangeTransition::*;
    let emergency = p.change_type == ChangeType::Emergency;
    match (p.state, t) {
        // A standard change is pre-approved by its template.
        (Draft, Submit) if p.change_type == ChangeType::Standard => Some(Approved),
        (Draft, Submit) => Some(PendingApproval),
        (Rejected, Revise) => Some(Draft),
        (Approved, Start) => Some(Implementing),
        // Emergency: implement first, approve afterwards within the configured period.
        (PendingApproval, Start) if emergency => Some(Implementing),
        (Implementing, Complete) => Some(Completed),
        (Implementing, RollBack) => Some(RolledBack),
        // Nobody closes a change whose approval is still missing.
        (Completed | RolledBack, Close) if p.approved => Some(Closed),
        (Draft | PendingApproval | Approved | Rejected, Cancel) => Some(Cancelled),
        _ => None,
    }
}

/// The request as the rules check it before it leaves the draft (CHG-1, CHG-5).
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub change_type: Option<ChangeType>,
    pub content: &'a str,
    pub reason: &'a str,
    pub rollback_plan: &'a str,
    pub backup_plan: &'a str,
    pub steps: usize,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
}

/// A window must end after it starts; the error names the end field.
pub fn check_window(start: Option<i64>, end: Option<i64>) -> Vec<FieldError> {
    match (start, end) {
        (Some(s), Some(e)) if e <= s => vec![FieldError::new("window_end", "ends_before_start")],
        (Some(_), None) => vec![FieldError::new("window_end", "required")],
        (None, Some(_)) => vec![FieldError::new("window_start", "required")],
        _ => Vec::new(),
    }
}

/// What `t` needs on the record, field by field (empty: nothing missing).
pub fn requirements(t: ChangeTransition, r: &Request<'_>) -> Vec<FieldError> {
    let mut out = check_window(r.window_start, r.window_end);
    let mut need = |field: &str, present: bool| {
        if !present {
            out.push(FieldError::new(field, "required"));
        }
    };
    match t {
        ChangeTransition::Submit => {
            need("content", !r.content.trim().is_empty());
            need("reason", !r.reason.trim().is_empty());
            need("rollback_plan", !r.rollback_plan.trim().is_empty());
            need("steps", r.steps > 0);
            // An emergency may be scheduled as it happens; the others ask for a window.
            if r.change_type != Some(ChangeType::Emergency) {
                need("window_start", r.window_start.is_some());
            }
        }
        ChangeTransition::Start => {
            need("rollback_plan", !r.rollback_plan.trim().is_empty());
            need("backup_plan", !r.backup_plan.trim().is_empty());
        }
        _ => {}
    }
    out.dedup_by(|a, b| a.field == b.field);
    out
}

/// May implementation start at `now`? Inside the approved window, or with an override reason.
/// An emergency change without a window may start at once.
pub fn start_allowed(
    now: i64,
    window: (Option<i64>, Option<i64>),
    change_type: ChangeType,
    override_reason: &str,
) -> Result<(), &'static str> {
    let inside = match window {
        (Some(s), Some(e)) => (s..e).contains(&now),
        _ => change_type == ChangeType::Emergency,
    };
    if inside || !override_reason.trim().is_empty() { Ok(()) } else { Err("change_outside_window") }
}

/// Whether an emergency change implemented at `started` is overdue for its retrospective
/// approval at `now` (`hours`: the configured period).
pub fn retrospective_overdue(change_type: ChangeType, approved: bool, started: Option<i64>, now: i64, hours: i64) -> bool {
    change_type == ChangeType::Emergency && !approved && started.is_some_and(|s| now - s > hours * 3_600_000)
}

/// A vote already cast on a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cast {
    pub voter: UserId,
    pub vote: Vote,
}

/// Why a person may not vote (a stable error code), or `Ok` when they may.
pub fn may_vote(voter: UserId, requester: Option<UserId>, implementer: Option<UserId>, cast: &[Cast]) -> Result<(), &'static str> {
    if Some(voter) == requester || Some(voter) == implementer {
        return Err("change_own_approval");
    }
    if cast.iter().any(|c| c.voter == voter) {
        return Err("change_already_voted");
    }
    Ok(())
}

/// What the votes so far decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pending { have: usize, need: usize },
    Approved,
    Rejected,
}

/// One rejection rejects; `need` distinct approvals approve (two or more: joint review, 联合评审).
pub fn outcome(cast: &[Cast], need: usize) -> Outcome {
    if cast.iter().any(|c| c.vote == Vote::Reject) {
        return Outcome::Rejected;
    }
    let have = cast.iter().filter(|c| c.vote == Vote::Approve).count();
    if have >= need { Outcome::Approved } else { Outcome::Pending { have, need } }
}

/// `CHG-000012`.
pub fn number(id: i64) -> String {
    crate::ticket::CHANGE.number(id)
}

/// The id in `CHG-000012` (or a bare `12`).
pub fn parse_number(text: &str) -> Option<i64> {
    crate::ticket::CHANGE.parse_number(text)
}

#[cfg(test)]
mod tests;

/// The process's settings (editable data): the risk questionnaire and how long an emergency
/// change may wait for its retrospective approval.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSettings {
    pub questions: Vec<risk::Question>,
    /// Hours after the start of an emergency change within which it must be approved.
    pub retrospective_hours: i64,
    /// Freeze windows and the business peak (CHG-5); absent in settings stored before them.
    #[serde(default)]
    pub schedule: schedule::ScheduleSettings,
    /// Who approves what, in which stages (CHG-4); absent in settings stored before it.
    #[serde(default = "matrix::default_matrix")]
    pub approval_matrix: Vec<matrix::Row>,
}

impl Default for ChangeSettings {
    fn default() -> Self {
        Self {
            questions: risk::default_questions(),
            retrospective_hours: 24,
            schedule: schedule::ScheduleSettings::default(),
            approval_matrix: matrix::default_matrix(),
        }
    }
}

impl ChangeSettings {
    pub fn validate(&self) -> Result<(), crate::DomainError> {
        let mut c = crate::validate::Checker::new();
        if !(1..=24 * 30).contains(&self.retrospective_hours) {
            c.push(FieldError::new("retrospective_hours", "out_of_range").with("min", 1).with("max", 24 * 30));
        }
        if self.questions.len() > 50 {
            c.push(FieldError::new("questions", "too_long").with("max", 50));
        }
        for (n, q) in self.questions.iter().enumerate() {
            if !crate::validate::is_key(&q.key) {
                c.push(FieldError::new(format!("questions[{n}].key"), "invalid_key"));
            }
            if self.questions[..n].iter().any(|p| p.key == q.key) {
                c.push(FieldError::new(format!("questions[{n}].key"), "duplicate"));
            }
            c.name(&format!("questions[{n}].text"), &q.text, 200);
            c.name(&format!("questions[{n}].text_en"), &q.text_en, 200);
            if !(1..=10).contains(&q.weight) {
                c.push(FieldError::new(format!("questions[{n}].weight"), "out_of_range").with("min", 1).with("max", 10));
            }
        }
        schedule::check_settings(&self.schedule, &mut c);
        matrix::check(&self.approval_matrix, &mut c);
        c.finish()
    }
}
