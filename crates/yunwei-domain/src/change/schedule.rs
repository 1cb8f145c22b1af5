//! The change calendar's rules (CHG-5, ADR 0028): freeze windows (封网期) as data — named
//! periods, the last N working days of each month and quarter, the holidays of a business
//! calendar — the business peak (业务高峰期) as weekly hours, and the overlap of two windows.
//! Days come from a business calendar through [`DayInfo`]; this module knows no store.

use crate::FieldError;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Longest stretch a freeze or peak question looks at, in days: a window longer than this is
/// refused by [`check_settings`]' sibling rule in core; the walk stops here either way.
pub const MAX_SCAN_DAYS: i64 = 430;

/// A named freeze period (年终决算封网, 重大活动保障), as unix milliseconds `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezePeriod {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub start: i64,
    pub end: i64,
}

/// Peak hours on the given weekdays (1 = Monday … 7 = Sunday), local `HH:MM`, working days only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeakHours {
    pub weekdays: Vec<u8>,
    pub start: String,
    pub end: String,
}

/// Freezes and the peak, part of the change settings (editable data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    pub freezes: Vec<FreezePeriod>,
    /// Last N working days of every month are frozen (0: no month-end freeze).
    pub month_end_days: u8,
    /// Last N working days of March, June, September and December (0: none).
    pub quarter_end_days: u8,
    /// The business calendar's holidays are frozen.
    pub holiday_freeze: bool,
    /// The business calendar whose days count (none: the default calendar).
    pub calendar_id: Option<i64>,
    /// Business peak (业务高峰期): a window inside it is warned about (prefer 非高峰期).
    pub peak: Vec<PeakHours>,
}

impl Default for ScheduleSettings {
    /// What a bank's change policy usually says: the last working day of a month and the last
    /// three of a quarter, and public holidays, are frozen; 09:00–17:00 on working days is peak.
    fn default() -> Self {
        Self {
            freezes: Vec::new(),
            month_end_days: 1,
            quarter_end_days: 3,
            holiday_freeze: true,
            calendar_id: None,
            peak: vec![PeakHours { weekdays: vec![1, 2, 3, 4, 5], start: "09:00".into(), end: "17:00".into() }],
        }
    }
}

/// What a business calendar says of a local date.
pub trait DayInfo {
    fn time_zone(&self) -> &TimeZone;
    fn is_working_day(&self, d: Date) -> bool;
    /// The holiday's name if `d` is a public holiday.
    fn holiday(&self, d: Date) -> Option<String>;
}

/// What kind of freeze a period is (`change.freeze_kind.*` words it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreezeKind {
    Named,
    MonthEnd,
    QuarterEnd,
    Holiday,
}

/// One freeze period met, named in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub kind: FreezeKind,
    pub name: String,
    pub name_en: String,
    pub start: i64,
    pub end: i64,
}

fn hhmm(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

fn midnight(d: Date, tz: &TimeZone) -> Option<i64> {
    Some(d.to_zoned(tz.clone()).ok()?.timestamp().as_millisecond())
}

fn local_date(ms: i64, tz: &TimeZone) -> Option<Date> {
    Some(jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(tz.clone()).date())
}

/// The last `n` working days of `d`'s month.
fn last_working_days(days: &dyn DayInfo, d: Date, n: u8) -> Vec<Date> {
    let mut out = Vec::new();
    let mut day = d.last_of_month();
    while out.len() < usize::from(n) && day.month() == d.month() {
        if days.is_working_day(day) {
            out.push(day);
        }
        match day.yesterday() {
            Ok(y) => day = y,
            Err(_) => break,
        }
    }
    out
}

fn month_name(d: Date) -> (String, String) {
    const EN: [&str; 12] =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    (format!("{}年{}月", d.year(), d.month()), format!("{} {}", EN[(d.month() - 1) as usize], d.year()))
}

/// The freezes that overlap `[from, to)`, in time order; rule days next to each other with the
/// same name merge into one period.
pub fn freezes_between(s: &ScheduleSettings, days: &dyn DayInfo, from: i64, to: i64) -> Vec<Freeze> {
    let mut out: Vec<Freeze> = s
        .freezes
        .iter()
        .filter(|f| f.start < to && f.end > from)
        .map(|f| Freeze { kind: FreezeKind::Named, name: f.name.clone(), name_en: f.name_en.clone(), start: f.start, end: f.end })
        .collect();
    let tz = days.time_zone().clone();
    let (Some(first), Some(last)) = (local_date(from, &tz), local_date(to.saturating_sub(1).max(from), &tz)) else { return out };
    let mut rules: Vec<Freeze> = Vec::new();
    // Look a fortnight either side, so a holiday week met on one day is reported whole.
    let margin = jiff::Span::new().days(15);
    let (first, last) = (first.checked_sub(margin).unwrap_or(first), last.checked_add(margin).unwrap_or(last));
    let mut d = first;
    let mut month_cache: Option<(i16, i8, Vec<Date>, Vec<Date>)> = None;
    for _ in 0..MAX_SCAN_DAYS {
        if d > last {
            break;
        }
        let (Some(start), Some(end)) = (midnight(d, &tz), d.tomorrow().ok().and_then(|t| midnight(t, &tz))) else { break };
        if month_cache.as_ref().is_none_or(|(y, m, _, _)| (*y, *m) != (d.year(), d.month())) {
            let quarter = if d.month() % 3 == 0 { last_working_days(days, d, s.quarter_end_days) } else { Vec::new() };
            month_cache = Some((d.year(), d.month(), last_working_days(days, d, s.month_end_days), quarter));
        }
        let mut hit = |kind, name: String, name_en: String| match rules.last_mut() {
            Some(p) if p.kind == kind && p.name == name && p.end == start => p.end = end,
            _ => rules.push(Freeze { kind, name, name_en, start, end }),
        };
        if let Some((_, _, month, quarter)) = &month_cache {
            let (m, m_en) = month_name(d);
            if quarter.contains(&d) {
                hit(FreezeKind::QuarterEnd, format!("季末封网（{m}）"), format!("Quarter-end freeze ({m_en})"));
            } else if month.contains(&d) {
                hit(FreezeKind::MonthEnd, format!("月末封网（{m}）"), format!("Month-end freeze ({m_en})"));
            }
        }
        if s.holiday_freeze
            && let Some(h) = days.holiday(d)
        {
            hit(FreezeKind::Holiday, format!("节假日封网（{h}）"), format!("Holiday freeze ({h})"));
        }
        match d.tomorrow() {
            Ok(t) => d = t,
            Err(_) => break,
        }
    }
    out.extend(rules.into_iter().filter(|f| f.start < to && f.end > from));
    out.sort_by_key(|f| (f.start, f.end));
    out
}

/// The peak periods `[start, end)` that overlap `[from, to)` (working days only).
pub fn peaks_between(s: &ScheduleSettings, days: &dyn DayInfo, from: i64, to: i64) -> Vec<(i64, i64)> {
    let tz = days.time_zone().clone();
    let mut out = Vec::new();
    let (Some(first), Some(last)) = (local_date(from, &tz), local_date(to.saturating_sub(1).max(from), &tz)) else { return out };
    let mut d = first;
    for _ in 0..MAX_SCAN_DAYS {
        if d > last {
            break;
        }
        let weekday = d.weekday().to_monday_one_offset() as u8;
        if days.is_working_day(d) {
            for p in s.peak.iter().filter(|p| p.weekdays.contains(&weekday)) {
                let (Some(a), Some(b)) = (hhmm(&p.start), hhmm(&p.end)) else { continue };
                let at = |t: Time| d.to_datetime(t).to_zoned(tz.clone()).ok().map(|z| z.timestamp().as_millisecond());
                if let (Some(a), Some(b)) = (at(a), at(b))
                    && a < to
                    && b > from
                {
                    out.push((a, b));
                }
            }
        }
        match d.tomorrow() {
            Ok(t) => d = t,
            Err(_) => break,
        }
    }
    out
}

/// Whether two windows `[a0, a1)` and `[b0, b1)` overlap.
pub fn overlaps(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Checks the schedule part of the settings, fields named under `schedule.`.
pub fn check_settings(s: &ScheduleSettings, c: &mut crate::validate::Checker) {
    if s.freezes.len() > 200 {
        c.push(FieldError::new("schedule.freezes", "too_long").with("max", 200));
    }
    for (n, f) in s.freezes.iter().enumerate() {
        c.name(&format!("schedule.freezes[{n}].name"), &f.name, 100);
        if !f.name_en.is_empty() {
            c.name(&format!("schedule.freezes[{n}].name_en"), &f.name_en, 100);
        }
        if f.end <= f.start {
            c.push(FieldError::new(format!("schedule.freezes[{n}].end"), "ends_before_start"));
        }
    }
    for (field, v) in [("schedule.month_end_days", s.month_end_days), ("schedule.quarter_end_days", s.quarter_end_days)] {
        if v > 10 {
            c.push(FieldError::new(field, "out_of_range").with("min", 0).with("max", 10));
        }
    }
    for (n, p) in s.peak.iter().enumerate() {
        if p.weekdays.is_empty() || p.weekdays.iter().any(|d| !(1..=7).contains(d)) {
            c.push(FieldError::new(format!("schedule.peak[{n}].weekdays"), "out_of_range").with("min", 1).with("max", 7));
        }
        match (hhmm(&p.start), hhmm(&p.end)) {
            (Some(a), Some(b)) if a < b => {}
            (None, _) => c.push(FieldError::new(format!("schedule.peak[{n}].start"), "invalid_time")),
            _ => c.push(FieldError::new(format!("schedule.peak[{n}].end"), "ends_before_start")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// Monday to Friday, with 2026-10-01 … 10-07 a holiday and Sunday 2026-09-27 a make-up day.
    struct Week(TimeZone);
    impl DayInfo for Week {
        fn time_zone(&self) -> &TimeZone {
            &self.0
        }
        fn is_working_day(&self, d: Date) -> bool {
            d == date(2026, 9, 27) || (self.holiday(d).is_none() && d.weekday().to_monday_one_offset() <= 5)
        }
        fn holiday(&self, d: Date) -> Option<String> {
            (date(2026, 10, 1) <= d && d <= date(2026, 10, 7)).then(|| "国庆节".to_string())
        }
    }

    fn shanghai() -> Week {
        Week(TimeZone::get("Asia/Shanghai").unwrap())
    }

    fn ms(d: Date, h: i8) -> i64 {
        d.at(h, 0, 0, 0).to_zoned(TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp().as_millisecond()
    }

    #[test]
    fn month_and_quarter_ends_count_working_days_backwards() {
        let s = ScheduleSettings { month_end_days: 1, quarter_end_days: 3, holiday_freeze: false, ..Default::default() };
        // November 2026 ends on a Monday: the 30th is its last working day.
        let f = freezes_between(&s, &shanghai(), ms(date(2026, 11, 27), 0), ms(date(2026, 12, 1), 0));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].kind, f[0].name.as_str()), (FreezeKind::MonthEnd, "月末封网（2026年11月）"));
        assert_eq!((f[0].start, f[0].end), (ms(date(2026, 11, 30), 0), ms(date(2026, 12, 1), 0)));
        // September 2026: the 30th (Wed), 29th, and 28th are the last three working days.
        let f = freezes_between(&s, &shanghai(), ms(date(2026, 9, 25), 0), ms(date(2026, 10, 1), 0));
        assert_eq!(f.len(), 1, "one merged period: {f:?}");
        assert_eq!((f[0].kind, f[0].start, f[0].end), (FreezeKind::QuarterEnd, ms(date(2026, 9, 28), 0), ms(date(2026, 10, 1), 0)));
        assert_eq!(f[0].name_en, "Quarter-end freeze (September 2026)");
        // A window before the freeze meets none.
        assert!(freezes_between(&s, &shanghai(), ms(date(2026, 11, 10), 1), ms(date(2026, 11, 10), 3)).is_empty());
    }

    #[test]
    fn holidays_and_named_periods_freeze() {
        let named = FreezePeriod {
            name: "双十一保障".into(),
            name_en: "Singles' Day".into(),
            start: ms(date(2026, 11, 10), 0),
            end: ms(date(2026, 11, 12), 0),
        };
        let s = ScheduleSettings { month_end_days: 0, quarter_end_days: 0, freezes: vec![named], ..Default::default() };
        let f = freezes_between(&s, &shanghai(), ms(date(2026, 10, 3), 1), ms(date(2026, 10, 3), 3));
        assert_eq!((f.len(), f[0].kind, f[0].name.as_str()), (1, FreezeKind::Holiday, "节假日封网（国庆节）"));
        assert_eq!((f[0].start, f[0].end), (ms(date(2026, 10, 1), 0), ms(date(2026, 10, 8), 0)), "the week merges");
        let f = freezes_between(&s, &shanghai(), ms(date(2026, 11, 11), 23), ms(date(2026, 11, 12), 2));
        assert_eq!((f.len(), f[0].name.as_str()), (1, "双十一保障"));
        // Ending exactly when it starts is not inside.
        assert!(freezes_between(&s, &shanghai(), ms(date(2026, 11, 9), 20), ms(date(2026, 11, 10), 0)).is_empty());
    }

    #[test]
    fn the_peak_is_working_hours_on_working_days() {
        let s = ScheduleSettings::default();
        assert!(!peaks_between(&s, &shanghai(), ms(date(2026, 12, 8), 10), ms(date(2026, 12, 8), 11)).is_empty());
        assert!(peaks_between(&s, &shanghai(), ms(date(2026, 12, 8), 1), ms(date(2026, 12, 8), 3)).is_empty(), "night");
        assert!(peaks_between(&s, &shanghai(), ms(date(2026, 12, 12), 10), ms(date(2026, 12, 12), 11)).is_empty(), "Saturday");
        assert!(peaks_between(&s, &shanghai(), ms(date(2026, 10, 2), 10), ms(date(2026, 10, 2), 11)).is_empty(), "holiday");
    }

    #[test]
    fn settings_are_checked_by_the_field() {
        let mut s = ScheduleSettings { month_end_days: 11, ..Default::default() };
        s.peak[0].start = "25:00".into();
        s.freezes.push(FreezePeriod { name: "x".into(), name_en: String::new(), start: 5, end: 5 });
        let mut c = crate::validate::Checker::new();
        check_settings(&s, &mut c);
        let fields: Vec<String> = match c.finish() {
            Err(crate::DomainError::Validation(f)) => f.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fields, ["schedule.freezes[0].end", "schedule.month_end_days", "schedule.peak[0].start"]);
    }

    #[test]
    fn windows_overlap_when_they_share_an_instant() {
        assert!(overlaps((0, 10), (9, 20)));
        assert!(!overlaps((0, 10), (10, 20)));
        assert!(overlaps((5, 6), (0, 100)));
    }
}
