//! Roster reports: coverage gaps (periods nobody is on call) and fairness (shifts and hours
//! per person, weekend and holiday work apart, days classified by the business calendar).

use super::Shift;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::collections::BTreeMap;

/// What kind of day a local date is, by the business calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayType {
    Working,
    /// Not worked, not a public holiday (a weekend; a 调休 make-up Saturday is Working).
    Weekend,
    Holiday,
}

/// A period with nobody on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub starts: Timestamp,
    pub ends: Timestamp,
}

/// The uncovered periods among `shifts` (contiguous, as `Roster::shifts` gives them), at
/// least `min_ms` long, adjacent ones merged.
pub fn gaps(shifts: &[Shift], min_ms: i64) -> Vec<Gap> {
    let mut out: Vec<Gap> = Vec::new();
    for s in shifts.iter().filter(|s| s.on_call.users.is_empty()) {
        match out.last_mut() {
            Some(last) if last.ends == s.starts => last.ends = s.ends,
            _ => out.push(Gap { starts: s.starts, ends: s.ends }),
        }
    }
    out.retain(|g| g.ends.as_millisecond() - g.starts.as_millisecond() >= min_ms);
    out
}

/// One person's load over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Load {
    pub user: i64,
    /// Separate stretches on call (back-to-back shifts count once).
    pub shifts: i64,
    pub hours: f64,
    /// Stretches touching a weekend day, and the hours on such days.
    pub weekend_shifts: i64,
    pub weekend_hours: f64,
    pub holiday_shifts: i64,
    pub holiday_hours: f64,
}

const HOUR_MS: f64 = 3_600_000.0;

/// Milliseconds of [a, b) on each kind of local day.
fn split_by_day(a: Timestamp, b: Timestamp, tz: &TimeZone, day: &dyn Fn(Date) -> DayType) -> [i64; 3] {
    let mut out = [0i64; 3];
    let mut at = a;
    while at < b {
        let date = at.to_zoned(tz.clone()).date();
        let next = date.tomorrow().ok().and_then(|d| d.to_zoned(tz.clone()).ok()).map(|z| z.timestamp()).filter(|n| *n > at).unwrap_or(b);
        let end = next.min(b);
        let slot = match day(date) {
            DayType::Working => 0,
            DayType::Weekend => 1,
            DayType::Holiday => 2,
        };
        out[slot] += end.as_millisecond() - at.as_millisecond();
        at = end;
    }
    out
}

/// Shifts and hours per person over `shifts`, most hours first.
pub fn fairness(shifts: &[Shift], tz: &TimeZone, day: &dyn Fn(Date) -> DayType) -> Vec<Load> {
    // Each person's stretches: back-to-back shifts of theirs merged.
    let mut stretches: BTreeMap<i64, Vec<(Timestamp, Timestamp)>> = BTreeMap::new();
    for s in shifts {
        for u in &s.on_call.users {
            let list = stretches.entry(*u).or_default();
            match list.last_mut() {
                Some(last) if last.1 == s.starts => last.1 = s.ends,
                _ => list.push((s.starts, s.ends)),
            }
        }
    }
    let mut out: Vec<Load> = stretches
        .into_iter()
        .map(|(user, list)| {
            let mut l = Load { user, shifts: list.len() as i64, ..Load::default() };
            for (a, b) in list {
                let [work, weekend, holiday] = split_by_day(a, b, tz, day);
                l.hours += (work + weekend + holiday) as f64 / HOUR_MS;
                l.weekend_hours += weekend as f64 / HOUR_MS;
                l.holiday_hours += holiday as f64 / HOUR_MS;
                l.weekend_shifts += i64::from(weekend > 0);
                l.holiday_shifts += i64::from(holiday > 0);
            }
            l
        })
        .collect();
    out.sort_by(|a, b| b.hours.total_cmp(&a.hours).then(a.user.cmp(&b.user)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duty::OnCall;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn shift(a: &str, b: &str, users: &[i64]) -> Shift {
        Shift { starts: t(a), ends: t(b), on_call: OnCall { users: users.to_vec(), ..OnCall::default() } }
    }

    #[test]
    fn gaps_are_merged_and_short_ones_ignored() {
        let s = [
            shift("2026-01-05T00:00:00Z", "2026-01-05T01:00:00Z", &[]),
            shift("2026-01-05T01:00:00Z", "2026-01-05T09:00:00Z", &[1]),
            shift("2026-01-05T09:00:00Z", "2026-01-05T09:05:00Z", &[]),
            shift("2026-01-05T09:05:00Z", "2026-01-05T10:00:00Z", &[]),
            shift("2026-01-05T10:00:00Z", "2026-01-05T12:00:00Z", &[2]),
        ];
        let g = gaps(&s, 30 * 60_000);
        assert_eq!(
            g,
            vec![
                Gap { starts: t("2026-01-05T00:00:00Z"), ends: t("2026-01-05T01:00:00Z") },
                Gap { starts: t("2026-01-05T09:00:00Z"), ends: t("2026-01-05T10:00:00Z") }
            ]
        );
        assert_eq!(gaps(&s, 90 * 60_000), Vec::new());
    }

    #[test]
    fn weekend_and_holiday_hours_follow_the_calendar_in_local_days() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        // 2026-10-01 (Thu) a holiday; 2026-10-10 (Sat) a 调休 working day; 10-11 a Sunday.
        let day = |d: Date| match (d.month(), d.day()) {
            (10, 1) => DayType::Holiday,
            (10, 10) => DayType::Working,
            _ if d.weekday().to_monday_one_offset() >= 6 => DayType::Weekend,
            _ => DayType::Working,
        };
        let s = [
            // 09-30 20:00 to 10-01 08:00 Beijing: 4 h working, 8 h holiday; back to back with the next.
            shift("2026-09-30T12:00:00Z", "2026-10-01T00:00:00Z", &[1]),
            shift("2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z", &[1, 2]),
            // Saturday 10-10 (worked) and Sunday 10-11.
            shift("2026-10-10T00:00:00Z", "2026-10-10T12:00:00Z", &[2]),
            shift("2026-10-11T00:00:00Z", "2026-10-11T12:00:00Z", &[2]),
        ];
        let f = fairness(&s, &tz, &day);
        let one = f.iter().find(|l| l.user == 1).unwrap();
        assert_eq!((one.shifts, one.hours, one.holiday_hours, one.holiday_shifts, one.weekend_shifts), (1, 13.0, 9.0, 1, 0));
        let two = f.iter().find(|l| l.user == 2).unwrap();
        assert_eq!((two.shifts, two.hours, two.weekend_hours, two.weekend_shifts, two.holiday_hours), (3, 25.0, 12.0, 1, 1.0));
        assert_eq!(f[0].user, 2, "most hours first");
    }
}
