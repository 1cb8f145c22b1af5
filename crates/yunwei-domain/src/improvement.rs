//! The improvement register (服务改进汇总表): measures taken after a low
//! satisfaction score or opened by hand. Kept simple here; the KPI process
//! extends it (process reviews, self-audit findings).

use crate::FieldError;
use crate::permission::string_enum;

string_enum!(
    /// open → in progress → done, or rejected; done and rejected items may be reopened.
    ImprovementState {
        Open = "open",
        InProgress = "in_progress",
        Done = "done",
        Rejected = "rejected",
    }
);

string_enum!(
    /// Where an item came from.
    ImprovementSource {
        Survey = "survey",
        Manual = "manual",
    }
);

// What a new item starts as before the core sets its fields.
crate::permission::defaults!(ImprovementState = ImprovementState::Open, ImprovementSource = ImprovementSource::Manual);

impl ImprovementState {
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// Whether an item may move from `from` to `to` (staying put is not a move).
pub fn can_move(from: ImprovementState, to: ImprovementState) -> bool {
    use ImprovementState::*;
    matches!(
        (from, to),
        (Open, InProgress) | (Open | InProgress, Rejected) | (InProgress, Done) | (Done | Rejected, Open) | (InProgress, Open)
    )
}

/// What arriving in `to` needs: done says what was done, rejected says why.
pub fn requirements(to: ImprovementState, measures: &str, outcome: &str) -> Vec<FieldError> {
    match to {
        ImprovementState::Done if measures.trim().is_empty() => vec![FieldError::new("measures", "required")],
        ImprovementState::Rejected if outcome.trim().is_empty() => vec![FieldError::new("outcome", "required")],
        _ => Vec::new(),
    }
}

/// `IMP-000012`: the record id, zero-padded to six digits.
pub fn number(id: i64) -> String {
    format!("IMP-{id:06}")
}

/// The id in `IMP-000012` (or a bare `12`).
pub fn parse_number(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix("IMP-").or_else(|| t.strip_prefix("imp-")).unwrap_or(t);
    (!digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::ImprovementState::*;
    use super::*;

    #[test]
    fn the_register_moves_forward_and_can_be_reopened() {
        assert!(can_move(Open, InProgress) && can_move(InProgress, Done) && can_move(Open, Rejected));
        assert!(can_move(Done, Open) && can_move(Rejected, Open));
        assert!(!can_move(Open, Done), "work starts before it is done");
        assert!(!can_move(Done, Rejected) && !can_move(Open, Open));
        for s in ImprovementState::ALL {
            assert!(ImprovementState::ALL.iter().any(|t| can_move(*s, *t)), "{s} is a dead end");
        }
    }

    #[test]
    fn done_needs_measures_and_rejected_a_reason() {
        assert_eq!(requirements(Done, " ", "")[0].field, "measures");
        assert_eq!(requirements(Rejected, "x", "")[0].field, "outcome");
        assert!(requirements(Done, "更换交换机模块并加入巡检项", "").is_empty());
        assert!(requirements(InProgress, "", "").is_empty());
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(number(12), "IMP-000012");
        assert_eq!(parse_number("IMP-000012"), Some(12));
        assert_eq!(parse_number("12"), Some(12));
        assert_eq!(parse_number("INC-000012"), None);
    }
}
