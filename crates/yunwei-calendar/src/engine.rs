//! The arithmetic behind `Calendar::add` and `between`, made fast enough for a
//! service desk recomputing every open ticket's deadline (issue target: a
//! million deadlines a second on one core).
//!
//! Why it is fast: converting a local time to an instant through the time-zone
//! database for every working period of every day was the cost. Instead the
//! calendar is compiled once into integers: each weekday's periods as seconds
//! after local midnight with their total, the holidays and make-up days as a
//! sorted list of day numbers, and the stretches of days over which the zone's
//! UTC offset is constant. Inside such a stretch a local time is just
//! `day × 86400 + seconds − offset`, whole days and whole weeks are skipped by
//! their totals, and no time-zone lookup happens at all.
//!
//! Why it stays exact: only days at least two days away from any offset change
//! count as inside a stretch, so no local time on them falls in a daylight-saving
//! gap or fold (offsets never differ by more than 26 hours). Every other day, and
//! everything outside 1970–2100 for zones that still change, takes the original
//! per-day path through jiff, whose "compatible" rule therefore still decides
//! every gap and fold. The tests check both paths against the unoptimised
//! algorithm.

use crate::{Calendar, MAX_DAYS, Span};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::BTreeSet;

const DAY: i64 = 86_400;
/// Days this close to an offset change take the exact path.
const MARGIN: i64 = 2 * DAY;
/// Offset stretches are computed from here (1970-01-01T00:00Z) ...
const FAST_FROM: i64 = 0;
/// ... up to the first change after 2100-01-01T00:00Z, so building a calendar
/// stays cheap even for zones with yearly daylight saving.
const FAST_UNTIL: i64 = 4_102_444_800;
/// A zone that never changes again stays fast until shortly before the end of
/// what jiff can represent (year 9999).
const FOREVER: i64 = 253_400_000_000;
const MAKEUP_PLAN: u8 = 7;
const HOLIDAY_PLAN: u8 = 8;

/// One kind of day: its working periods in seconds after local midnight.
#[derive(Debug, Clone, Default)]
struct Plan {
    spans: Vec<(i64, i64)>,
    total: i64,
}

/// Days `first..=last` (days since 1970-01-01, local) all have UTC offset `offset`.
#[derive(Debug, Clone, Copy)]
struct FastRange {
    first: i64,
    last: i64,
    offset: i64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Fast {
    /// Monday..Sunday, then make-up days, then holidays (empty).
    plans: [Plan; 9],
    week_total: i64,
    /// (local day number, plan index), sorted by day; make-up beats holiday.
    specials: Vec<(i64, u8)>,
    ranges: Vec<FastRange>,
}

impl Fast {
    pub(crate) fn build(
        tz: &TimeZone,
        week: &[Vec<Span>; 7],
        makeup_hours: &[Span],
        holidays: &BTreeSet<Date>,
        makeup_days: &BTreeSet<Date>,
    ) -> Fast {
        let plan = |spans: &[Span]| {
            let spans: Vec<(i64, i64)> = spans.iter().map(|s| (i64::from(s.start) * 60, i64::from(s.end) * 60)).collect();
            let total = spans.iter().map(|(a, b)| b - a).sum();
            Plan { spans, total }
        };
        let mut plans: [Plan; 9] = Default::default();
        for (p, day) in plans.iter_mut().zip(week) {
            *p = plan(day);
        }
        plans[MAKEUP_PLAN as usize] = plan(makeup_hours);
        let week_total = plans[..7].iter().map(|p| p.total).sum();
        let mut specials: Vec<(i64, u8)> = holidays.iter().map(|d| (day_number(*d), HOLIDAY_PLAN)).collect();
        for d in makeup_days {
            let n = day_number(*d);
            match specials.binary_search_by_key(&n, |s| s.0) {
                Ok(i) => specials[i].1 = MAKEUP_PLAN,
                Err(i) => specials.insert(i, (n, MAKEUP_PLAN)),
            }
        }
        Fast { plans, week_total, specials, ranges: fast_ranges(tz) }
    }

    /// The stretch holding instant `s`, if `s` lies on one of its days.
    fn range_at_instant(&self, s: i64) -> Option<usize> {
        let i = self.ranges.partition_point(|r| (r.last + 1) * DAY - r.offset <= s);
        let r = self.ranges.get(i)?;
        (r.first * DAY - r.offset <= s).then_some(i)
    }

    /// The stretch holding local day `d`; `hint` (the previous day's) is tried first.
    fn range_at_day(&self, d: i64, hint: Option<usize>) -> Option<usize> {
        if let Some(h) = hint {
            for i in [h, h + 1] {
                if let Some(r) = self.ranges.get(i)
                    && r.first <= d
                    && d <= r.last
                {
                    return Some(i);
                }
            }
        }
        let i = self.ranges.partition_point(|r| r.last < d);
        let r = self.ranges.get(i)?;
        (r.first <= d).then_some(i)
    }

    /// Moves `cursor` to the first special day `>= d`; returns that day (or MAX).
    fn next_special(&self, d: i64, cursor: &mut usize) -> i64 {
        while let Some(&(day, _)) = self.specials.get(*cursor) {
            if day >= d {
                return day;
            }
            *cursor += 1;
        }
        i64::MAX
    }

    fn plan(&self, d: i64, next_special: i64, cursor: usize) -> &Plan {
        let i = if next_special == d { self.specials[cursor].1 as usize } else { (d + 3).rem_euclid(7) as usize };
        &self.plans[i]
    }

    /// Whole weeks from day `d` free of special days and inside stretch `r`, at most up to day `until` (exclusive).
    fn free_weeks(next_special: i64, r: FastRange, d: i64, until: i64) -> i64 {
        (next_special.min(r.last + 1).min(until) - d).max(0) / 7
    }
}

/// UTC offset stretches of a zone, shrunk by the margin and turned into day ranges.
fn fast_ranges(tz: &TimeZone) -> Vec<FastRange> {
    let Ok(from) = Timestamp::from_second(FAST_FROM) else { return Vec::new() };
    let mut stretches = Vec::new();
    let (mut start, mut offset) = (FAST_FROM, i64::from(tz.to_offset(from).seconds()));
    let mut end = FOREVER;
    for t in tz.following(from) {
        let at = t.timestamp().as_second();
        if at >= FAST_UNTIL {
            end = at;
            break;
        }
        let o = i64::from(t.offset().seconds());
        if o != offset {
            stretches.push((start, at, offset));
            (start, offset) = (at, o);
        }
    }
    stretches.push((start, end, offset));
    stretches
        .into_iter()
        .filter_map(|(s, e, off)| {
            // Day d qualifies when [d·DAY − off, (d+1)·DAY − off] ⊆ [s + MARGIN, e − MARGIN].
            let first = (s + MARGIN + off + DAY - 1).div_euclid(DAY);
            let last = (e - MARGIN + off).div_euclid(DAY) - 1;
            (first <= last).then_some(FastRange { first, last, offset: off })
        })
        .collect()
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn day_number(d: Date) -> i64 {
    let (y, m, day) = (i64::from(d.year()), i64::from(d.month()), i64::from(d.day()));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `n` days after 1970-01-01; None outside jiff's range.
pub(crate) fn date_of(n: i64) -> Option<Date> {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Date::new(i16::try_from(y).ok()?, m as i8, day as i8).ok()
}

/// Spends `left` seconds of working time on `spans` (instants, in order), counting from
/// `start`: the instant it runs out, or `None` with `left` reduced by what the spans held.
fn spend(spans: impl IntoIterator<Item = (i64, i64)>, start: i64, left: &mut i64) -> Option<i64> {
    for (a, b) in spans {
        let from = a.max(start);
        if from >= b {
            continue;
        }
        if b - from >= *left {
            return Some(from + *left);
        }
        *left -= b - from;
    }
    None
}

impl Calendar {
    /// The local day to start walking from: exact for a fast instant, otherwise
    /// the day before its local date (a period of the previous day may run past
    /// midnight around a daylight-saving change).
    fn first_day(&self, s: i64) -> Option<(i64, Option<usize>)> {
        match self.fast.range_at_instant(s) {
            Some(i) => Some(((s + self.fast.ranges[i].offset).div_euclid(DAY), Some(i))),
            None => Some((day_number(self.local_date(s)?) - 1, None)),
        }
    }

    /// Working periods of local day `d` as instants, through jiff (the exact path).
    fn slow_periods(&self, d: i64) -> Option<impl Iterator<Item = (i64, i64)> + '_> {
        let date = date_of(d)?;
        Some(self.spans_on(date).iter().filter_map(move |span| self.instants(date, *span)))
    }

    pub(crate) fn add_business(&self, start: i64, seconds: i64) -> Option<Timestamp> {
        let f = &self.fast;
        let mut left = seconds;
        let (mut d, mut ri) = self.first_day(start)?;
        let end_day = d + i64::from(MAX_DAYS);
        let mut cursor = 0;
        while d <= end_day {
            ri = f.range_at_day(d, ri);
            let Some(r) = ri.map(|i| f.ranges[i]) else {
                if let Some(at) = spend(self.slow_periods(d)?, start, &mut left) {
                    return Timestamp::from_second(at).ok();
                }
                d += 1;
                continue;
            };
            let day0 = d * DAY - r.offset;
            let next_special = f.next_special(d, &mut cursor);
            if start <= day0 {
                let weeks = Fast::free_weeks(next_special, r, d, end_day + 1);
                let n = if f.week_total == 0 { weeks } else { weeks.min((left - 1) / f.week_total) };
                if n > 0 {
                    left -= n * f.week_total;
                    d += 7 * n;
                    continue;
                }
            }
            let plan = f.plan(d, next_special, cursor);
            if start <= day0 && plan.total < left {
                left -= plan.total;
                d += 1;
                continue;
            }
            if let Some(at) = spend(plan.spans.iter().map(|&(a, b)| (day0 + a, day0 + b)), start, &mut left) {
                return Timestamp::from_second(at).ok();
            }
            d += 1;
        }
        None
    }

    pub(crate) fn between_business(&self, from: i64, to: i64) -> i64 {
        let f = &self.fast;
        let Some((mut d, mut ri)) = self.first_day(from) else { return 0 };
        let last = match f.range_at_instant(to) {
            Some(i) => (to + f.ranges[i].offset).div_euclid(DAY),
            None => match self.local_date(to) {
                Some(date) => day_number(date),
                None => return 0,
            },
        };
        let clip = |a: i64, b: i64| (b.min(to) - a.max(from)).max(0);
        let (mut total, mut cursor) = (0, 0);
        while d <= last {
            ri = f.range_at_day(d, ri);
            let Some(r) = ri.map(|i| f.ranges[i]) else {
                if let Some(periods) = self.slow_periods(d) {
                    total += periods.map(|(a, b)| clip(a, b)).sum::<i64>();
                }
                d += 1;
                continue;
            };
            let day0 = d * DAY - r.offset;
            let next_special = f.next_special(d, &mut cursor);
            if from <= day0 {
                // Whole days that end by `to`: the days before `to`'s local day.
                let n = Fast::free_weeks(next_special, r, d, (to + r.offset).div_euclid(DAY));
                if n > 0 {
                    total += n * f.week_total;
                    d += 7 * n;
                    continue;
                }
            }
            let plan = f.plan(d, next_special, cursor);
            if from <= day0 && day0 + DAY <= to {
                total += plan.total;
            } else {
                total += plan.spans.iter().map(|&(a, b)| clip(day0 + a, day0 + b)).sum::<i64>();
            }
            d += 1;
        }
        total
    }
}
