//! The SLA clock of a ticket: a target in business seconds that runs while the
//! ticket waits on the service desk and pauses while it waits on someone else
//! (the customer, a supplier, a change window).
//!
//! Why it is shaped like this: the clock stores what was consumed when it last
//! paused plus when it last started running, nothing more, so each pause,
//! resume or retarget is O(1), is stored as three columns, and never needs the
//! ticket's history replayed. Business time only counts while running, so a
//! pause never counts, and all times are measured on the ticket's calendar.

use crate::Calendar;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A ticket's running SLA target. Business seconds consumed so far are kept
/// when paused, so a pause never counts and each change costs O(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    pub target_secs: i64,
    /// business seconds consumed up to `since` (or up to the pause)
    pub consumed_secs: i64,
    /// Some(t) = running since t; None = paused (or stopped)
    pub running_since: Option<Timestamp>,
}

impl SlaClock {
    /// A clock with nothing consumed, running from `at`.
    pub fn start(target_secs: i64, at: Timestamp) -> SlaClock {
        SlaClock { target_secs, consumed_secs: 0, running_since: Some(at) }
    }

    /// Business seconds consumed by `now` (only running time counts).
    pub fn consumed_at(&self, cal: &Calendar, now: Timestamp) -> i64 {
        self.consumed_secs + self.running_since.map_or(0, |since| cal.between(since, now))
    }

    /// Stops the clock at `now`, banking what the running period consumed. No-op if paused.
    pub fn pause(&mut self, cal: &Calendar, now: Timestamp) {
        if self.running_since.is_some() {
            self.consumed_secs = self.consumed_at(cal, now);
            self.running_since = None;
        }
    }

    /// Starts the clock again from `now`. No-op if running.
    pub fn resume(&mut self, now: Timestamp) {
        if self.running_since.is_none() {
            self.running_since = Some(now);
        }
    }

    /// When the target is reached, if running (None when paused or calendar has no time).
    ///
    /// If the target was already used up before the clock last resumed, the
    /// breach happened in an earlier running period and this is the resume time.
    pub fn deadline(&self, cal: &Calendar) -> Option<Timestamp> {
        self.when_consumed(cal, self.target_secs)
    }

    /// When `fraction` (0.0..=1.0, e.g. 0.75) of the target is used, if running.
    /// Fractions outside the range are clamped; NaN gives None. The instant is
    /// rounded up to whole seconds, so a warning never fires early.
    pub fn due_at_fraction(&self, cal: &Calendar, fraction: f64) -> Option<Timestamp> {
        if fraction.is_nan() {
            return None;
        }
        let goal = if fraction >= 1.0 { self.target_secs } else { (self.target_secs as f64 * fraction.max(0.0)).ceil() as i64 };
        self.when_consumed(cal, goal)
    }

    /// Target minus consumed at `now`; negative once breached.
    pub fn remaining_at(&self, cal: &Calendar, now: Timestamp) -> i64 {
        self.target_secs - self.consumed_at(cal, now)
    }

    /// Change the target (priority changed) keeping what was consumed.
    pub fn retarget(&mut self, target_secs: i64) {
        self.target_secs = target_secs;
    }

    pub fn is_running(&self) -> bool {
        self.running_since.is_some()
    }

    /// The instant the consumed total reaches `goal`, if running.
    fn when_consumed(&self, cal: &Calendar, goal: i64) -> Option<Timestamp> {
        let since = self.running_since?;
        cal.add(since, goal.saturating_sub(self.consumed_secs).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CalendarSpec;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    fn sh(s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>().unwrap().to_zoned(TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp()
    }

    #[test]
    fn a_ticket_waiting_on_the_customer() {
        let cal = Calendar::new(&CalendarSpec::china_office("Asia/Shanghai")).unwrap();
        // P3: 8 business hours, opened Monday 9 November 2026 at 10:00.
        let mut clock = SlaClock::start(8 * 3600, sh("2026-11-09T10:00"));
        assert_eq!(clock.deadline(&cal), Some(sh("2026-11-10T10:30")));
        assert_eq!(clock.due_at_fraction(&cal, 0.75), Some(sh("2026-11-09T17:30")));
        // Waiting on the customer from 11:00 to Wednesday 09:00.
        clock.pause(&cal, sh("2026-11-09T11:00"));
        assert_eq!(clock.consumed_secs, 3600);
        assert_eq!(clock.deadline(&cal), None);
        assert_eq!(clock.due_at_fraction(&cal, 0.5), None);
        assert_eq!(clock.remaining_at(&cal, sh("2026-11-10T15:00")), 7 * 3600, "no time passes while paused");
        clock.pause(&cal, sh("2026-11-10T12:00"));
        assert_eq!(clock.consumed_secs, 3600, "a second pause changes nothing");
        clock.resume(sh("2026-11-11T09:00"));
        clock.resume(sh("2026-11-11T10:00"));
        assert_eq!(clock.running_since, Some(sh("2026-11-11T09:00")), "a second resume changes nothing");
        assert_eq!(clock.deadline(&cal), Some(sh("2026-11-11T17:30")));
        // Priority raised to 4 hours: one is used, three remain.
        clock.retarget(4 * 3600);
        assert_eq!(clock.deadline(&cal), Some(sh("2026-11-11T12:00")));
        assert_eq!(clock.remaining_at(&cal, sh("2026-11-11T14:00")), -30 * 60, "breached by half an hour");
        assert_eq!(clock.consumed_at(&cal, sh("2026-11-11T14:00")), 4 * 3600 + 30 * 60);
        assert!(clock.is_running());
    }

    #[test]
    fn fractions_clamp_and_round_up() {
        let cal = Calendar::always();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let clock = SlaClock::start(3, t0);
        let at = |f: f64| clock.due_at_fraction(&cal, f).map(|t| t.as_second() - t0.as_second());
        assert_eq!(at(0.5), Some(2), "1.5 s rounds up");
        assert_eq!(at(0.0), Some(0));
        assert_eq!(at(-1.0), Some(0));
        assert_eq!(at(7.0), Some(3));
        assert_eq!(at(f64::NAN), None);
        // A breached clock that resumes is due at once.
        let mut clock = SlaClock { target_secs: 10, consumed_secs: 20, running_since: None };
        clock.resume(t0);
        assert_eq!(clock.deadline(&cal), Some(t0));
    }

    #[test]
    fn clock_serialises_as_three_plain_fields() {
        fn is_serde<T: Serialize + for<'de> Deserialize<'de>>() {}
        is_serde::<SlaClock>();
    }

    fn cal_and_name() -> impl Strategy<Value = (usize, &'static str)> {
        prop_oneof![Just((0, "Asia/Shanghai")), Just((1, "Europe/Berlin")), Just((2, "America/New_York")), Just((3, "always"))]
    }

    fn calendar(i: usize, tz: &str) -> Calendar {
        match i {
            0 => Calendar::new(&CalendarSpec::china_office(tz)).unwrap(),
            3 => Calendar::always(),
            _ => Calendar::new(&CalendarSpec::office(tz)).unwrap(),
        }
    }

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    /// 2026 and early 2027, across both daylight-saving changes.
    const FROM: i64 = 1_767_225_600;
    const UNTIL: i64 = 1_800_000_000;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Adding business time then measuring it back returns the same duration.
        #[test]
        fn add_then_measure((i, tz) in cal_and_name(), t in FROM..UNTIL, d in 0i64..5 * 86_400) {
            let cal = calendar(i, tz);
            let end = cal.add(ts(t), d).unwrap();
            prop_assert_eq!(cal.between(ts(t), end), d);
        }

        /// A pause never counts: the deadline moves by exactly the business time inside the pause.
        #[test]
        fn pauses_never_count(
            (i, tz) in cal_and_name(), t0 in FROM..UNTIL, target in 1i64..400_000, p in 0i64..1_000_000, len in 0i64..1_000_000,
        ) {
            let cal = calendar(i, tz);
            let (start, paused, resumed) = (ts(t0), ts(t0 + p), ts(t0 + p + len));
            let plain = SlaClock::start(target, start);
            let mut clock = plain;
            clock.pause(&cal, paused);
            prop_assert_eq!(clock.deadline(&cal), None);
            clock.resume(resumed);
            let inside = cal.between(paused, resumed);
            // consumed_at ignores the paused time: at the pause, during it and after it.
            for now in [t0 + p, t0 + p + len / 2, t0 + p + len + 3_600, t0 + p + len + 400_000] {
                let expected = cal.between(start, ts(now)) - cal.between(paused, resumed.min(ts(now)).max(paused));
                prop_assert_eq!(clock.consumed_at(&cal, ts(now)), expected);
            }
            let (d_plain, d_paused) = (plain.deadline(&cal).unwrap(), clock.deadline(&cal).unwrap());
            prop_assert!(d_paused >= d_plain);
            if clock.consumed_secs <= target {
                // Paused before the target was reached: later by exactly the business time paused.
                prop_assert_eq!(cal.between(d_plain, d_paused), inside);
                prop_assert_eq!(cal.between(start, d_paused), target + inside);
            }
        }

        /// Pausing and resuming at the same instant changes nothing, as long as the target was not yet reached.
        #[test]
        fn pause_resume_at_once_changes_nothing(
            (i, tz) in cal_and_name(), t0 in FROM..UNTIL, target in 1i64..400_000, p in 0i64..1_000_000, later in 0i64..1_000_000,
        ) {
            let cal = calendar(i, tz);
            let plain = SlaClock::start(target, ts(t0));
            let mut split = plain;
            split.pause(&cal, ts(t0 + p));
            split.resume(ts(t0 + p));
            prop_assert_eq!(split.consumed_at(&cal, ts(t0 + p + later)), plain.consumed_at(&cal, ts(t0 + p + later)));
            if split.consumed_secs < target {
                prop_assert_eq!(split.deadline(&cal), plain.deadline(&cal));
                prop_assert_eq!(split.due_at_fraction(&cal, 0.75), plain.due_at_fraction(&cal, 0.75).max(Some(ts(t0 + p))));
            }
        }

        /// The whole target and the deadline are the same instant.
        #[test]
        fn full_fraction_is_the_deadline((i, tz) in cal_and_name(), t0 in FROM..UNTIL, target in -10i64..2_000_000, used in 0i64..500_000) {
            let cal = calendar(i, tz);
            let clock = SlaClock { target_secs: target, consumed_secs: used, running_since: Some(ts(t0)) };
            prop_assert_eq!(clock.due_at_fraction(&cal, 1.0), clock.deadline(&cal));
        }
    }
}
