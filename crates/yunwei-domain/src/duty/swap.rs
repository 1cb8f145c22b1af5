//! Shift swaps (调班须提前申请并获批准): who may do what to a swap, and the rest check.
//!
//! The requester proposes; only the counterpart accepts or declines; then, where the
//! schedule asks for it, a supervisor who is neither of the two approves or rejects. The
//! requester may cancel until it is decided.

use jiff::Timestamp;

crate::permission::string_enum!(
    SwapState {
        Proposed = "proposed",
        Accepted = "accepted",
        Approved = "approved",
        Declined = "declined",
        Rejected = "rejected",
        Cancelled = "cancelled",
    }
);

crate::permission::defaults!(SwapState = SwapState::Proposed);

crate::permission::string_enum!(
    /// What someone does to a swap.
    SwapStep {
        Accept = "accept",
        Decline = "decline",
        Approve = "approve",
        Reject = "reject",
        Cancel = "cancel",
    }
);

/// The caller's part in a swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub is_requester: bool,
    pub is_counterpart: bool,
    /// Holds `duty:approve`.
    pub may_approve: bool,
}

/// Why a step is refused: `Forbidden` (not the caller's to take) or `Conflict` (not now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Forbidden(&'static str),
    Conflict(&'static str),
}

/// The state a step leads to, or why not. `needs_approval`: accepting waits for a supervisor.
pub fn step(state: SwapState, step: SwapStep, part: Part, needs_approval: bool) -> Result<SwapState, Refusal> {
    use SwapState::*;
    use SwapStep::*;
    let party = part.is_requester || part.is_counterpart;
    match (step, state) {
        (Accept | Decline, Proposed) if !part.is_counterpart => Err(Refusal::Forbidden("duty_swap_not_counterpart")),
        (Accept, Proposed) => Ok(if needs_approval { Accepted } else { Approved }),
        (Decline, Proposed) => Ok(Declined),
        (Approve | Reject, Accepted) if party => Err(Refusal::Forbidden("duty_swap_own")),
        (Approve | Reject, Accepted) if !part.may_approve => Err(Refusal::Forbidden("duty:approve")),
        (Approve, Accepted) => Ok(Approved),
        (Reject, Accepted) => Ok(Rejected),
        (Cancel, Proposed | Accepted) if !part.is_requester => Err(Refusal::Forbidden("duty_swap_not_requester")),
        (Cancel, Proposed | Accepted) => Ok(Cancelled),
        _ => Err(Refusal::Conflict("duty_swap_illegal_step")),
    }
}

/// The shortest rest between two of a person's shifts when it is below `min_rest_ms`:
/// periods on call are merged where they touch, and the gaps between them are the rests.
pub fn short_rest(mut periods: Vec<(Timestamp, Timestamp)>, min_rest_ms: i64) -> Option<i64> {
    periods.sort();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (s, e) in periods {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged.windows(2).map(|w| w[1].0.as_millisecond() - w[0].1.as_millisecond()).filter(|gap| *gap < min_rest_ms).min()
}

#[cfg(test)]
mod tests {
    use super::SwapState::*;
    use super::SwapStep::*;
    use super::*;

    const REQUESTER: Part = Part { is_requester: true, is_counterpart: false, may_approve: false };
    const COUNTERPART: Part = Part { is_requester: false, is_counterpart: true, may_approve: false };
    const SUPERVISOR: Part = Part { is_requester: false, is_counterpart: false, may_approve: true };
    const THIRD: Part = Part { is_requester: false, is_counterpart: false, may_approve: false };

    #[test]
    fn only_the_counterpart_accepts_and_only_a_third_supervisor_approves() {
        assert_eq!(step(Proposed, Accept, COUNTERPART, true), Ok(Accepted));
        assert_eq!(step(Proposed, Accept, COUNTERPART, false), Ok(Approved), "no approval asked: accepted is done");
        assert_eq!(step(Proposed, Accept, THIRD, true), Err(Refusal::Forbidden("duty_swap_not_counterpart")));
        assert_eq!(step(Proposed, Accept, SUPERVISOR, true), Err(Refusal::Forbidden("duty_swap_not_counterpart")));
        assert_eq!(step(Proposed, Accept, REQUESTER, true), Err(Refusal::Forbidden("duty_swap_not_counterpart")));
        assert_eq!(step(Accepted, Approve, SUPERVISOR, true), Ok(Approved));
        let supervising_requester = Part { may_approve: true, ..REQUESTER };
        assert_eq!(step(Accepted, Approve, supervising_requester, true), Err(Refusal::Forbidden("duty_swap_own")));
        let supervising_counterpart = Part { may_approve: true, ..COUNTERPART };
        assert_eq!(step(Accepted, Approve, supervising_counterpart, true), Err(Refusal::Forbidden("duty_swap_own")));
        assert_eq!(step(Accepted, Approve, THIRD, true), Err(Refusal::Forbidden("duty:approve")));
        assert_eq!(step(Proposed, Approve, SUPERVISOR, true), Err(Refusal::Conflict("duty_swap_illegal_step")), "not before acceptance");
        assert_eq!(step(Approved, Cancel, REQUESTER, true), Err(Refusal::Conflict("duty_swap_illegal_step")), "decided is decided");
        assert_eq!(step(Accepted, Cancel, COUNTERPART, true), Err(Refusal::Forbidden("duty_swap_not_requester")));
        assert_eq!(step(Accepted, Reject, SUPERVISOR, true), Ok(Rejected));
        assert_eq!(step(Proposed, Decline, COUNTERPART, true), Ok(Declined));
    }

    #[test]
    fn rest_is_the_gap_between_merged_periods() {
        let h = |n: i64| Timestamp::from_second(n * 3600).unwrap();
        let hour = 3_600_000;
        assert_eq!(short_rest(vec![(h(0), h(8)), (h(20), h(32))], 8 * hour), None);
        assert_eq!(short_rest(vec![(h(20), h(32)), (h(0), h(8)), (h(36), h(40))], 8 * hour), Some(4 * hour), "unsorted in");
        assert_eq!(short_rest(vec![(h(0), h(8)), (h(8), h(16)), (h(20), h(24))], 8 * hour), Some(4 * hour), "touching periods are one");
        assert_eq!(short_rest(vec![(h(0), h(8))], 8 * hour), None);
    }
}
