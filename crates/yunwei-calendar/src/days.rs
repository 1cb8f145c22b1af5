//! Named holidays and make-up working days as they travel between a calendar
//! and files (CSV, iCalendar): one shape for both formats, so an import can be
//! previewed before it touches a calendar, and one error type whose reason
//! codes the web layer can translate.

use crate::CalendarSpec;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a listed day is off (a public holiday) or worked (a make-up working day, 调休上班).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    Holiday,
    Workday,
}

impl DayKind {
    /// The word used in files: `holiday` or `workday`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// Reads `holiday` / `workday`, ignoring case and surrounding spaces.
    pub fn parse(s: &str) -> Option<DayKind> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("holiday") {
            Some(DayKind::Holiday)
        } else if s.eq_ignore_ascii_case("workday") {
            Some(DayKind::Workday)
        } else {
            None
        }
    }
}

/// Days read from a file, each with its name ("" when the file gave none).
/// A date is in at most one of the two maps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedDays {
    pub holidays: BTreeMap<Date, String>,
    pub makeup_days: BTreeMap<Date, String>,
}

impl ImportedDays {
    /// The days a spec lists, as the calendar sees them: a date that is both a
    /// holiday and a make-up day is worked (make-up wins, as in `Calendar::spans_on`).
    pub fn from_spec(spec: &CalendarSpec) -> ImportedDays {
        let name = |d: &Date| spec.day_names.get(d).cloned().unwrap_or_default();
        ImportedDays {
            holidays: spec.holidays.iter().filter(|d| !spec.makeup_days.contains(d)).map(|d| (*d, name(d))).collect(),
            makeup_days: spec.makeup_days.iter().map(|d| (*d, name(d))).collect(),
        }
    }

    /// Adds these days to a spec: each date takes the kind and name imported
    /// (replacing what the spec said about that date); other dates are kept.
    pub fn apply_to(&self, spec: &mut CalendarSpec) {
        let mut name = |d: Date, n: &String| {
            if n.is_empty() {
                spec.day_names.remove(&d);
            } else {
                spec.day_names.insert(d, n.clone());
            }
        };
        for (d, n) in &self.holidays {
            name(*d, n);
        }
        for (d, n) in &self.makeup_days {
            name(*d, n);
        }
        for d in self.holidays.keys() {
            spec.makeup_days.remove(d);
            spec.holidays.insert(*d);
        }
        for d in self.makeup_days.keys() {
            spec.holidays.remove(d);
            spec.makeup_days.insert(*d);
        }
    }

    pub fn len(&self) -> usize {
        self.holidays.len() + self.makeup_days.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What is known about a date.
    pub fn get(&self, date: Date) -> Option<(DayKind, &str)> {
        if let Some(n) = self.holidays.get(&date) {
            return Some((DayKind::Holiday, n));
        }
        self.makeup_days.get(&date).map(|n| (DayKind::Workday, n.as_str()))
    }

    /// All days in date order.
    pub fn iter(&self) -> impl Iterator<Item = (Date, DayKind, &str)> {
        let mut all: Vec<(Date, DayKind, &str)> = self.holidays.iter().map(|(d, n)| (*d, DayKind::Holiday, n.as_str())).collect();
        all.extend(self.makeup_days.iter().map(|(d, n)| (*d, DayKind::Workday, n.as_str())));
        all.sort_by_key(|x| x.0);
        all.into_iter()
    }

    /// Records a day; returns false (changing nothing) if the date is already listed.
    pub(crate) fn insert_new(&mut self, date: Date, kind: DayKind, name: String) -> bool {
        if self.get(date).is_some() {
            return false;
        }
        match kind {
            DayKind::Holiday => self.holidays.insert(date, name),
            DayKind::Workday => self.makeup_days.insert(date, name),
        };
        true
    }
}

/// Why an import failed; `code()` is stable for APIs and translations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportReason {
    /// CSV: the first row is not `date,kind,name`.
    BadHeader,
    /// CSV: a row has too few or too many cells.
    BadColumns,
    /// CSV: a quoted cell is never closed, or text follows its closing quote.
    BadQuote,
    /// A date is not a real `YYYY-MM-DD` (CSV) or `YYYYMMDD[THHMMSS[Z]]` (iCalendar) date.
    BadDate,
    /// CSV: the kind is neither `holiday` nor `workday`.
    BadKind,
    /// A date is listed twice (CSV), or as both a holiday and a workday (iCalendar).
    DuplicateDate,
    /// iCalendar: an event has no DTSTART.
    MissingDate,
    /// iCalendar: an event spans more than a year (a feed mistake, and a memory hazard).
    BadRange,
    /// iCalendar: BEGIN:VEVENT without END:VEVENT.
    UnclosedEvent,
}

impl ImportReason {
    pub fn code(self) -> &'static str {
        match self {
            ImportReason::BadHeader => "bad_header",
            ImportReason::BadColumns => "bad_columns",
            ImportReason::BadQuote => "bad_quote",
            ImportReason::BadDate => "bad_date",
            ImportReason::BadKind => "bad_kind",
            ImportReason::DuplicateDate => "duplicate_date",
            ImportReason::MissingDate => "missing_date",
            ImportReason::BadRange => "bad_range",
            ImportReason::UnclosedEvent => "unclosed_event",
        }
    }
}

impl std::fmt::Display for ImportReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// An import failure at a 1-based line of the file, with a reason code and a
/// human-readable detail (the offending text, shortened).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}: {detail}")]
pub struct ImportError {
    pub line: usize,
    pub reason: ImportReason,
    pub detail: String,
}

impl ImportError {
    pub(crate) fn new(line: usize, reason: ImportReason, detail: impl AsRef<str>) -> ImportError {
        let detail: String = detail.as_ref().chars().take(80).collect();
        ImportError { line, reason, detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn make_up_wins_and_apply_replaces_kind_and_name() {
        let mut spec = CalendarSpec::office("Asia/Shanghai");
        spec.holidays.insert(date(2026, 10, 10));
        spec.makeup_days.insert(date(2026, 10, 10));
        spec.holidays.insert(date(2026, 10, 1));
        spec.day_names.insert(date(2026, 10, 1), "国庆节".into());
        let days = ImportedDays::from_spec(&spec);
        assert_eq!(days.get(date(2026, 10, 10)), Some((DayKind::Workday, "")));
        assert_eq!(days.get(date(2026, 10, 1)), Some((DayKind::Holiday, "国庆节")));
        assert_eq!(days.len(), 2);

        let mut other = ImportedDays::default();
        other.makeup_days.insert(date(2026, 10, 1), "改为上班".into());
        other.holidays.insert(date(2026, 10, 2), String::new());
        other.apply_to(&mut spec);
        assert!(spec.makeup_days.contains(&date(2026, 10, 1)) && !spec.holidays.contains(&date(2026, 10, 1)));
        assert_eq!(spec.day_names[&date(2026, 10, 1)], "改为上班");
        assert!(spec.holidays.contains(&date(2026, 10, 2)) && !spec.day_names.contains_key(&date(2026, 10, 2)));
        let dates: Vec<Date> = ImportedDays::from_spec(&spec).iter().map(|x| x.0).collect();
        assert_eq!(dates, vec![date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 10)]);
    }

    #[test]
    fn reasons_have_stable_codes() {
        let e = ImportError::new(7, ImportReason::DuplicateDate, "2026-10-01");
        assert_eq!(e.to_string(), "line 7: duplicate_date: 2026-10-01");
        assert_eq!(ImportReason::BadKind.code(), "bad_kind");
    }
}
