//! The duty log (值班日志) and handover (交接班), after the house rules (值班制度): the officer
//! on duty records the alarms and faults of the shift in detail — a fault report says what
//! was seen, when it happened and what it affects (故障现象、发生时间、影响范围) — and what was
//! done; at the shift's end the outgoing officer hands over and the incoming one
//! acknowledges. Pure: who is on duty is asked of the roster by the core.

use crate::validate::Checker;
use crate::{DomainError, FieldError};

crate::permission::string_enum!(
    /// What a log entry records.
    LogKind {
        Alarm = "alarm",
        FaultReport = "fault_report",
        Action = "action",
        Note = "note",
    }
);

crate::permission::defaults!(LogKind = LogKind::Note);

crate::permission::string_enum!(
    HandoverState {
        Pending = "pending",
        Acknowledged = "acknowledged",
    }
);

crate::permission::defaults!(HandoverState = HandoverState::Pending);

pub const MAX_BODY: usize = 4000;
pub const MAX_IMPACT: usize = 500;
/// An officer may still write the log and hand over this long after the shift ended.
pub const GRACE_MS: i64 = 2 * 3_600_000;

/// A log entry as checked: body trimmed; a fault report must say when and what it affects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: LogKind,
    pub body: String,
    pub occurred_at: Option<i64>,
    pub impact: String,
}

pub fn check_entry(kind: LogKind, body: &str, occurred_at: Option<i64>, impact: &str, now: i64) -> Result<Entry, DomainError> {
    let mut c = Checker::new();
    let body = body.trim();
    if body.is_empty() {
        c.push(FieldError::new("body", "required"));
    }
    let body = c.text("body", body, MAX_BODY);
    let impact = c.text("impact", impact.trim(), MAX_IMPACT);
    if kind == LogKind::FaultReport {
        if occurred_at.is_none() {
            c.push(FieldError::new("occurred_at", "required"));
        }
        if impact.is_empty() {
            c.push(FieldError::new("impact", "required"));
        }
    }
    // A fault cannot be reported from the future (a minute's clock skew allowed).
    if occurred_at.is_some_and(|t| t > now + 60_000) {
        c.push(FieldError::new("occurred_at", "in_future"));
    }
    c.finish()?;
    Ok(Entry { kind, body, occurred_at, impact })
}

/// Who may do what with a handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Only the officer it is handed to (or, if nobody was named, whoever is on duty now).
    NotTheIncoming,
    /// The outgoing officer cannot acknowledge their own handover.
    OwnHandover,
    AlreadyAcknowledged,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotTheIncoming => "duty_handover_not_yours",
            Refusal::OwnHandover => "duty_handover_own",
            Refusal::AlreadyAcknowledged => "duty_handover_acknowledged",
        }
    }
}

/// May `me` acknowledge a handover from `from` to `to`, given who is on duty now?
pub fn may_acknowledge(state: HandoverState, from: i64, to: Option<i64>, me: i64, on_duty_now: &[i64]) -> Result<(), Refusal> {
    if state == HandoverState::Acknowledged {
        return Err(Refusal::AlreadyAcknowledged);
    }
    if me == from {
        return Err(Refusal::OwnHandover);
    }
    match to {
        Some(to) if to == me => Ok(()),
        None if on_duty_now.contains(&me) => Ok(()),
        _ => Err(Refusal::NotTheIncoming),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_report_says_when_and_what_it_affects() {
        let e = check_entry(LogKind::FaultReport, "  核心交换机端口告警 ", None, "", 1_000).unwrap_err();
        let DomainError::Validation(errors) = e else { panic!("validation") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["occurred_at", "impact"]);
        let ok = check_entry(LogKind::FaultReport, " 核心交换机端口告警 ", Some(900), "网银交易", 1_000).unwrap();
        assert_eq!((ok.body.as_str(), ok.impact.as_str()), ("核心交换机端口告警", "网银交易"));
        assert!(check_entry(LogKind::Note, "   ", None, "", 0).is_err());
        assert!(check_entry(LogKind::Note, "x", Some(200_000), "", 0).is_err(), "not from the future");
        assert!(check_entry(LogKind::Action, &"长".repeat(MAX_BODY + 1), None, "", 0).is_err());
    }

    #[test]
    fn only_the_incoming_officer_acknowledges_once() {
        use HandoverState::*;
        assert_eq!(may_acknowledge(Pending, 1, Some(2), 2, &[]), Ok(()));
        assert_eq!(may_acknowledge(Pending, 1, Some(2), 3, &[3]), Err(Refusal::NotTheIncoming));
        assert_eq!(may_acknowledge(Pending, 1, Some(1), 1, &[1]), Err(Refusal::OwnHandover));
        assert_eq!(may_acknowledge(Pending, 1, None, 3, &[3]), Ok(()), "nobody named: whoever is on duty");
        assert_eq!(may_acknowledge(Pending, 1, None, 4, &[3]), Err(Refusal::NotTheIncoming));
        assert_eq!(may_acknowledge(Acknowledged, 1, Some(2), 2, &[2]), Err(Refusal::AlreadyAcknowledged));
    }
}
