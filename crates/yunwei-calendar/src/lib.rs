//! Business time. A calendar says when work happens: working hours per weekday,
//! public holidays (no work) and make-up working days (调休: a weekend day that
//! is worked), all in one time zone. SLA deadlines are `add`; remaining or
//! elapsed business time is `between`. Pure: no IO.
//!
//! Around the core: [`holidays`] ships the State Council's mainland-China
//! holiday arrangement, [`csv`] and [`ics`] move day lists in and out of
//! spreadsheets and calendar apps, and [`sla`] is the pausable SLA clock the
//! service desk runs on tickets.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub mod csv;
mod days;
mod engine;
pub mod holidays;
pub mod ics;
pub mod sla;

pub use days::{DayKind, ImportError, ImportReason, ImportedDays};

/// A working period within one day, minutes after local midnight, `start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: u16,
    pub end: u16,
}

impl Span {
    pub fn hours(start_h: u16, end_h: u16) -> Span {
        Span { start: start_h * 60, end: end_h * 60 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0}")]
    UnknownTimeZone(String),
    #[error("a working period must start before it ends and lie within the day")]
    BadSpan,
    #[error("working periods of one day overlap")]
    Overlap,
    #[error("the calendar has no working time at all")]
    NoWorkingTime,
}

/// What a calendar is made of, as stored and edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpec {
    pub time_zone: String,
    /// Monday first.
    pub week: [Vec<Span>; 7],
    pub holidays: BTreeSet<Date>,
    /// Weekend days that are worked; they take `makeup_hours`.
    pub makeup_days: BTreeSet<Date>,
    pub makeup_hours: Vec<Span>,
    /// What a holiday or make-up day is called ("春节", "国庆节调休上班"), so
    /// people see why a day is off; absent from specs stored before names existed.
    #[serde(default)]
    pub day_names: BTreeMap<Date, String>,
}

impl CalendarSpec {
    /// Of `years`, those whose public holidays are not known to be complete in a calendar
    /// that observes them. Each year's days are published once, in a State Council notice,
    /// and one imported day says nothing about the rest: a year counts as complete only
    /// when an administrator confirmed it (`confirmed`) or the calendar holds every day the
    /// shipped notice lists for it ([`crate::holidays`]). Deadlines in an incomplete year
    /// may ignore holidays and make-up days. A calendar without any holiday (24×7, a plain
    /// office week) has no gaps.
    pub fn years_incomplete(&self, years: impl IntoIterator<Item = i16>, confirmed: &[i16]) -> Vec<i16> {
        if self.holidays.is_empty() {
            return Vec::new();
        }
        let shipped = crate::holidays::china_mainland();
        years.into_iter().filter(|y| !confirmed.contains(y) && !self.holds_notice(shipped, *y)).collect()
    }

    /// Whether the shipped data covers `year` and every one of its days is in this calendar.
    fn holds_notice(&self, data: &crate::holidays::HolidayData, year: i16) -> bool {
        data.covers(year)
            && data.holidays.keys().filter(|d| d.year() == year).all(|d| self.holidays.contains(d))
            && data.makeup_days.keys().filter(|d| d.year() == year).all(|d| self.makeup_days.contains(d))
    }

    /// Monday to Friday, 09:00–12:00 and 13:30–18:00: a common office day in China.
    pub fn office(time_zone: &str) -> CalendarSpec {
        let day = vec![Span { start: 9 * 60, end: 12 * 60 }, Span { start: 13 * 60 + 30, end: 18 * 60 }];
        let mut week: [Vec<Span>; 7] = Default::default();
        for d in week.iter_mut().take(5) {
            *d = day.clone();
        }
        CalendarSpec {
            time_zone: time_zone.into(),
            week,
            holidays: BTreeSet::new(),
            makeup_days: BTreeSet::new(),
            makeup_hours: day,
            day_names: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    week: [Vec<Span>; 7],
    holidays: BTreeSet<Date>,
    makeup_days: BTreeSet<Date>,
    makeup_hours: Vec<Span>,
    always: bool,
    /// The same rules precompiled for fast arithmetic (see `engine`).
    fast: engine::Fast,
}

fn check_spans(spans: &[Span]) -> Result<Vec<Span>, CalendarError> {
    let mut s = spans.to_vec();
    if s.iter().any(|p| p.start >= p.end || p.end > 1440) {
        return Err(CalendarError::BadSpan);
    }
    s.sort();
    if s.windows(2).any(|w| w[0].end > w[1].start) {
        return Err(CalendarError::Overlap);
    }
    Ok(s)
}

const ALL_DAY: [Span; 1] = [Span { start: 0, end: 1440 }];
/// Searching further than this for working time means there is none (about 11 years).
const MAX_DAYS: i32 = 4000;

impl Calendar {
    pub fn new(spec: &CalendarSpec) -> Result<Calendar, CalendarError> {
        let tz = TimeZone::get(&spec.time_zone).map_err(|_| CalendarError::UnknownTimeZone(spec.time_zone.clone()))?;
        let mut week: [Vec<Span>; 7] = Default::default();
        for (i, d) in spec.week.iter().enumerate() {
            week[i] = check_spans(d)?;
        }
        let makeup_hours = check_spans(&spec.makeup_hours)?;
        let any_week = week.iter().any(|d| !d.is_empty());
        let any_makeup = !spec.makeup_days.is_empty() && !makeup_hours.is_empty();
        if !any_week && !any_makeup {
            return Err(CalendarError::NoWorkingTime);
        }
        let fast = engine::Fast::build(&tz, &week, &makeup_hours, &spec.holidays, &spec.makeup_days);
        Ok(Calendar { tz, week, holidays: spec.holidays.clone(), makeup_days: spec.makeup_days.clone(), makeup_hours, always: false, fast })
    }

    /// 24 × 7: every second counts (for P1 targets that ignore business hours).
    pub fn always() -> Calendar {
        Calendar {
            tz: TimeZone::UTC,
            week: Default::default(),
            holidays: BTreeSet::new(),
            makeup_days: BTreeSet::new(),
            makeup_hours: Vec::new(),
            always: true,
            fast: engine::Fast::default(),
        }
    }

    /// The working periods of a local date.
    pub fn spans_on(&self, date: Date) -> &[Span] {
        if self.always {
            return &ALL_DAY;
        }
        if self.makeup_days.contains(&date) {
            return &self.makeup_hours;
        }
        if self.holidays.contains(&date) {
            return &[];
        }
        &self.week[date.weekday().to_monday_zero_offset() as usize]
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        !self.spans_on(date).is_empty()
    }

    /// A public holiday (not merely a weekend): duty reports count these apart.
    pub fn is_holiday(&self, date: Date) -> bool {
        !self.always && self.holidays.contains(&date) && !self.makeup_days.contains(&date)
    }

    /// The instants a span covers on a date; DST gaps and folds resolve as jiff's
    /// "compatible" rule does, so a period is never counted twice.
    fn instants(&self, date: Date, span: Span) -> Option<(i64, i64)> {
        let at = |minute: u16| -> Option<i64> {
            let (d, m) = if minute == 1440 { (date.tomorrow().ok()?, 0) } else { (date, minute) };
            let dt = d.at((m / 60) as i8, (m % 60) as i8, 0, 0);
            Some(dt.to_zoned(self.tz.clone()).ok()?.timestamp().as_second())
        };
        let (a, b) = (at(span.start)?, at(span.end)?);
        (b > a).then_some((a, b))
    }

    fn local_date(&self, t: i64) -> Option<Date> {
        Some(Timestamp::from_second(t).ok()?.to_zoned(self.tz.clone()).date())
    }

    /// The instant `seconds` of business time after `start` (`start` itself if zero).
    /// None only if the calendar runs out of working time within about eleven years.
    pub fn add(&self, start: Timestamp, seconds: i64) -> Option<Timestamp> {
        if seconds <= 0 {
            return Some(start);
        }
        if self.always {
            return Timestamp::from_second(start.as_second().checked_add(seconds)?).ok();
        }
        self.add_business(start.as_second(), seconds)
    }

    /// Business seconds in `[from, to)`; zero if `to <= from`.
    pub fn between(&self, from: Timestamp, to: Timestamp) -> i64 {
        let (f, t) = (from.as_second(), to.as_second());
        if t <= f {
            return 0;
        }
        if self.always {
            return t - f;
        }
        self.between_business(f, t)
    }
}

/// Deadline throughput probe for `yunwei bench calendar`: `cal.add` for every
/// start with every target (`starts.len() × targets.len()` computations), folded
/// into a checksum so the work cannot be optimised away and runs can be compared.
pub fn bench_deadlines(cal: &Calendar, starts: &[Timestamp], targets: &[i64]) -> u64 {
    let mut sum = 0u64;
    for &start in starts {
        for &target in targets {
            let end = cal.add(start, target).map_or(u64::MAX, |t| t.as_second() as u64);
            sum = sum.wrapping_mul(31).wrapping_add(end);
        }
    }
    sum
}

#[cfg(test)]
mod tests;
