//! Software licences (软件许可): what kind of entitlement a licence is, how much of it the
//! assignments use against what was bought, and when its expiry reminder is due.

use crate::permission::{defaults, string_enum};
use jiff::civil::Date;
use serde::Serialize;

string_enum!(
    /// Per seat (a user or a device each), per core (the cores of the CIs it runs on), a site
    /// licence (unlimited use at the licensee), or a subscription (seats for a period).
    LicenceKind {
        PerSeat = "per_seat",
        PerCore = "per_core",
        Site = "site",
        Subscription = "subscription",
    }
);

defaults!(LicenceKind = LicenceKind::PerSeat);

/// How a licence stands: seats or cores used against owned. A site licence owns no count
/// (`owned: None`) and is never over-used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub used: i64,
    pub owned: Option<i64>,
    /// Used beyond what is owned (0 when compliant).
    pub over_by: i64,
    pub over_used: bool,
}

pub fn compliance(kind: LicenceKind, owned: i64, used: i64) -> Compliance {
    if kind == LicenceKind::Site {
        return Compliance { used, owned: None, over_by: 0, over_used: false };
    }
    let over_by = (used - owned).max(0);
    Compliance { used, owned: Some(owned), over_by, over_used: over_by > 0 }
}

/// Days from `today` to `end` (negative once past).
pub fn days_left(end: Date, today: Date) -> i64 {
    (end - today).get_days().into()
}

/// Whether a reminder of `end` is due today: within `remind_days` before it, up to the day
/// itself (after that the licence has expired; the list says so, the reminder is not resent).
pub fn reminder_due(end: Date, remind_days: i64, today: Date) -> bool {
    let left = days_left(end, today);
    (0..=remind_days.max(0)).contains(&left)
}

/// The cores or seats one assignment takes: a seat licence one each unless more is said.
pub fn assignment_quantity(kind: LicenceKind, given: Option<i64>) -> i64 {
    match (kind, given) {
        (_, Some(n)) => n,
        (LicenceKind::PerCore, None) => 0,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn over_use_is_used_beyond_owned_and_a_site_is_never_over_used() {
        assert_eq!(compliance(LicenceKind::PerSeat, 10, 12), Compliance { used: 12, owned: Some(10), over_by: 2, over_used: true });
        assert!(!compliance(LicenceKind::PerCore, 64, 64).over_used, "exactly owned is compliant");
        assert_eq!(compliance(LicenceKind::Site, 0, 5000), Compliance { used: 5000, owned: None, over_by: 0, over_used: false });
        assert!(compliance(LicenceKind::Subscription, 0, 1).over_used);
    }

    #[test]
    fn the_reminder_is_due_within_its_days_before_the_end_and_not_after() {
        let end = date(2027, 3, 31);
        assert!(!reminder_due(end, 30, date(2027, 2, 28)), "31 days before");
        assert!(reminder_due(end, 30, date(2027, 3, 1)), "30 days before");
        assert!(reminder_due(end, 30, end), "on the day");
        assert!(!reminder_due(end, 30, date(2027, 4, 1)), "expired: no reminder");
        assert!(reminder_due(end, 0, end) && !reminder_due(end, 0, date(2027, 3, 30)));
        assert_eq!(days_left(end, date(2027, 3, 1)), 30);
    }

    #[test]
    fn a_seat_counts_one_unless_told_and_cores_must_be_counted() {
        assert_eq!(assignment_quantity(LicenceKind::PerSeat, None), 1);
        assert_eq!(assignment_quantity(LicenceKind::PerCore, None), 0);
        assert_eq!(assignment_quantity(LicenceKind::PerCore, Some(16)), 16);
    }
}
