//! Major incidents (SPEC INC-7, 应急响应): the response runs through phases —
//! declared → containment (控制) → recovery (恢复) → review (总结) → closed —
//! only ever forward, one step at a time; the commander keeps the stakeholders
//! informed at a fixed interval until the review starts.

use crate::DomainError;
use crate::incident::IncidentState;
use crate::permission::string_enum;
use std::ops::RangeInclusive;

string_enum!(
    /// Where the emergency response stands.
    MajorPhase {
        Declared = "declared",
        Containment = "containment",
        Recovery = "recovery",
        Review = "review",
        Closed = "closed",
    }
);

string_enum!(
    /// Entries of the war-room log (作战室/指挥记录). People write actions and decisions;
    /// stakeholder updates have their own command; phase changes are written by the system.
    WarRoomKind {
        Action = "action",
        Decision = "decision",
        StakeholderUpdate = "stakeholder_update",
        PhaseChange = "phase_change",
    }
);

// A response starts declared.
crate::permission::defaults!(MajorPhase = MajorPhase::Declared);

/// Update intervals an administrator or commander may choose, in minutes.
pub const INTERVAL_MINUTES: RangeInclusive<u32> = 5..=1440;

impl MajorPhase {
    /// The one phase that may follow this one.
    pub fn next(self) -> Option<MajorPhase> {
        use MajorPhase::*;
        match self {
            Declared => Some(Containment),
            Containment => Some(Recovery),
            Recovery => Some(Review),
            Review => Some(Closed),
            Closed => None,
        }
    }

    /// Stakeholders expect regular updates while the response is live; not once it is reviewed.
    pub fn expects_updates(self) -> bool {
        matches!(self, Self::Declared | Self::Containment | Self::Recovery)
    }
}

impl WarRoomKind {
    /// Kinds a person writes directly as a war-room entry.
    pub fn is_manual(self) -> bool {
        matches!(self, Self::Action | Self::Decision)
    }
}

/// Moving to `to` from `from`: only the next phase is legal.
pub fn next_phase(from: MajorPhase, to: MajorPhase) -> Result<MajorPhase, DomainError> {
    if from.next() == Some(to) {
        Ok(to)
    } else {
        Err(DomainError::IllegalTransition { object: "major_incident", from: from.as_str(), action: to.as_str() })
    }
}

/// The review looks back on a finished incident: it needs the incident resolved or closed.
pub fn review_allowed(state: IncidentState) -> bool {
    !state.is_open()
}

/// The next time a reminder is due after one fired at `now` for an update due at `due`:
/// the first point `due + k × interval` after `now`, so a missed interval reminds once.
pub fn next_reminder(due: i64, interval_ms: i64, now: i64) -> i64 {
    let step = interval_ms.max(60_000);
    if due > now { due } else { due + ((now - due) / step + 1) * step }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_only_move_one_step_forward() {
        use MajorPhase::*;
        assert_eq!(next_phase(Declared, Containment), Ok(Containment));
        assert_eq!(next_phase(Recovery, Review), Ok(Review));
        assert_eq!(next_phase(Review, Closed), Ok(Closed));
        for (from, to) in [(Declared, Recovery), (Containment, Declared), (Closed, Declared), (Review, Review), (Declared, Closed)] {
            let e = next_phase(from, to).unwrap_err();
            assert_eq!(
                e,
                DomainError::IllegalTransition { object: "major_incident", from: from.as_str(), action: to.as_str() },
                "{from} → {to}"
            );
        }
    }

    #[test]
    fn updates_stop_at_review() {
        assert!(MajorPhase::Recovery.expects_updates());
        assert!(!MajorPhase::Review.expects_updates());
        assert!(!MajorPhase::Closed.expects_updates());
    }

    #[test]
    fn review_needs_a_finished_incident() {
        assert!(!review_allowed(IncidentState::InProgress));
        assert!(review_allowed(IncidentState::Resolved));
        assert!(review_allowed(IncidentState::Closed));
    }

    #[test]
    fn a_missed_interval_reminds_once() {
        let min = 60_000;
        // Due at 30 min, fired at 31: next at 60.
        assert_eq!(next_reminder(30 * min, 30 * min, 31 * min), 60 * min);
        // Asleep for two hours: one reminder, then the next point on the grid.
        assert_eq!(next_reminder(30 * min, 30 * min, 150 * min), 180 * min);
        assert_eq!(next_reminder(30 * min, 30 * min, 10 * min), 30 * min);
    }
}
