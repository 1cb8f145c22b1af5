//! Holidays and make-up days as iCalendar (RFC 5545), so staff can subscribe to
//! a bank's working calendar in Outlook or a phone, and so the published
//! Chinese holiday feeds can be imported instead of typed in.
//!
//! Export writes one all-day event per day with a stable UID
//! (`20261001-holiday@yunwei`), so a re-export updates subscribers' copies
//! instead of duplicating them. Import reads our own files exactly and the
//! common public feeds well enough: multi-day events, DATE or DATE-TIME values
//! (the date part is used), and the kind taken from, in order, `X-YUNWEI-KIND`,
//! `CATEGORIES:HOLIDAY|WORKDAY`, Apple's `X-APPLE-SPECIAL-DAY`, and finally the
//! SUMMARY: one containing 班 (上班, 补班) is a working day, any other a holiday.
//! Recurrence rules are not expanded: holiday feeds list each year's dates.

use crate::CalendarSpec;
use crate::days::{DayKind, ImportError, ImportReason, ImportedDays};
use crate::engine::{date_of, day_number};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Longest event accepted on import, in days: a feed mistake beyond this would
/// otherwise expand into millions of days.
pub const MAX_EVENT_DAYS: i64 = 366;

/// The spec's holidays and make-up days as an iCalendar file (CRLF, folded at 75
/// octets). `dtstamp` is written into every event: pass the time of the last
/// change, not "now", so the same calendar always exports the same bytes.
pub fn export_ics(spec: &CalendarSpec, calendar_name: &str, dtstamp: Timestamp) -> String {
    export_days(&ImportedDays::from_spec(spec), calendar_name, dtstamp)
}

/// Like [`export_ics`], for a list of days.
pub fn export_days(days: &ImportedDays, calendar_name: &str, dtstamp: Timestamp) -> String {
    let stamp = dtstamp.to_zoned(TimeZone::UTC).datetime();
    let stamp =
        format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", stamp.year(), stamp.month(), stamp.day(), stamp.hour(), stamp.minute(), stamp.second());
    let mut out = String::with_capacity(300 * (days.len() + 1));
    for line in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Yunwei//yunwei-calendar//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"] {
        push_line(&mut out, line);
    }
    push_line(&mut out, &format!("X-WR-CALNAME:{}", escape_text(calendar_name)));
    for (date, kind, name) in days.iter() {
        let (day, word) = (compact(date), kind.as_str());
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(&mut out, &format!("UID:{day}-{word}@yunwei"));
        push_line(&mut out, &format!("DTSTAMP:{stamp}"));
        push_line(&mut out, &format!("DTSTART;VALUE=DATE:{day}"));
        // The last representable date has no next day; an event without DTEND lasts one day.
        if let Ok(next) = date.tomorrow() {
            push_line(&mut out, &format!("DTEND;VALUE=DATE:{}", compact(next)));
        }
        push_line(&mut out, &format!("SUMMARY:{}", escape_text(name)));
        push_line(&mut out, &format!("CATEGORIES:{}", word.to_ascii_uppercase()));
        push_line(&mut out, "TRANSP:TRANSPARENT");
        push_line(&mut out, &format!("X-YUNWEI-KIND:{word}"));
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// One timed event of a published calendar (the change calendar's windows and freezes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedEvent {
    /// Stable across exports, so subscribers' copies update instead of duplicating.
    pub uid: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: String,
    pub description: String,
    /// Upper-case category words (`CHANGE`, `FREEZE`).
    pub category: String,
    /// `CONFIRMED`, `TENTATIVE` or `CANCELLED` (RFC 5545 §3.8.1.11).
    pub status: &'static str,
    /// Freezes block nothing in a reader's free/busy; change windows do.
    pub transparent: bool,
}

fn utc(t: Timestamp) -> String {
    let t = t.to_zoned(TimeZone::UTC).datetime();
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second())
}

/// Timed events as an iCalendar file, written as [`export_days`] writes days (same header,
/// folding and escaping); times in UTC. `dtstamp` as there: the time of the last change.
pub fn export_events(events: &[TimedEvent], calendar_name: &str, dtstamp: Timestamp) -> String {
    let stamp = utc(dtstamp);
    let mut out = String::with_capacity(400 * (events.len() + 1));
    for line in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Yunwei//yunwei-calendar//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"] {
        push_line(&mut out, line);
    }
    push_line(&mut out, &format!("X-WR-CALNAME:{}", escape_text(calendar_name)));
    for e in events {
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(&mut out, &format!("UID:{}", escape_text(&e.uid)));
        push_line(&mut out, &format!("DTSTAMP:{stamp}"));
        push_line(&mut out, &format!("DTSTART:{}", utc(e.start)));
        push_line(&mut out, &format!("DTEND:{}", utc(e.end)));
        push_line(&mut out, &format!("SUMMARY:{}", escape_text(&e.summary)));
        if !e.description.is_empty() {
            push_line(&mut out, &format!("DESCRIPTION:{}", escape_text(&e.description)));
        }
        push_line(&mut out, &format!("CATEGORIES:{}", escape_text(&e.category)));
        push_line(&mut out, &format!("STATUS:{}", e.status));
        push_line(&mut out, if e.transparent { "TRANSP:TRANSPARENT" } else { "TRANSP:OPAQUE" });
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

fn compact(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// Writes a content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character.
fn push_line(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// TEXT escaping (RFC 5545 §3.3.11). Line breaks of any style become `\n`;
/// other control characters, which TEXT cannot carry, are dropped.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c) => out.push(c),
            None => out.push('\\'),
        }
    }
    out
}

/// One content line: upper-cased name and raw value (parameters are not needed:
/// dates are recognised by their shape).
struct Property<'a> {
    name: String,
    value: &'a str,
}

/// Splits `NAME;PARAM=value;P2="quoted:value":VALUE`; None if there is no value part.
fn parse_property(line: &str) -> Option<Property<'_>> {
    let mut in_quotes = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                let name = line[..i].split(';').next()?.trim().to_ascii_uppercase();
                return Some(Property { name, value: &line[i + 1..] });
            }
            _ => {}
        }
    }
    None
}

/// Unfolds lines (a line starting with a space or tab continues the previous
/// one), keeping the 1-based line number where each logical line starts.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.1.push_str(rest);
            continue;
        }
        if !raw.trim().is_empty() {
            lines.push((i + 1, raw.to_string()));
        }
    }
    lines
}

/// A date value (`20261001`, `20261001T090000`, `20261001T010000Z`): its date part,
/// and whether it has a time of day after midnight.
fn parse_date(value: &str) -> Option<(Date, bool)> {
    let v = value.trim();
    let digits = v.get(..8).filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
    let rest = &v[8..];
    let timed = match rest.strip_prefix('T') {
        None if rest.is_empty() => false,
        None => return None,
        Some(t) => {
            let t = t.strip_suffix('Z').unwrap_or(t);
            if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t != "000000"
        }
    };
    let (y, m, d) = (digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..].parse().ok()?);
    Some((Date::new(y, m, d).ok()?, timed))
}

/// Whole days of a `DURATION` such as `P3D`, `P1W` or `P1DT12H` (the time part is ignored).
fn duration_days(value: &str) -> Option<i64> {
    let v = value.trim().strip_prefix('+').unwrap_or(value.trim());
    let v = v.strip_prefix('P')?;
    let date_part = v.split('T').next()?;
    if let Some(w) = date_part.strip_suffix('W') {
        return w.parse::<i64>().ok().map(|w| w * 7);
    }
    match date_part.strip_suffix('D') {
        Some(d) => d.parse().ok(),
        None => Some(0),
    }
}

#[derive(Default)]
struct Event {
    line: usize,
    start: Option<(usize, String)>,
    end: Option<(usize, String)>,
    duration: Option<String>,
    summary: String,
    categories: Vec<String>,
    yunwei_kind: Option<String>,
    apple_kind: Option<String>,
}

impl Event {
    fn kind(&self) -> DayKind {
        if let Some(k) = self.yunwei_kind.as_deref().and_then(DayKind::parse) {
            return k;
        }
        for c in &self.categories {
            if let Some(k) = DayKind::parse(c) {
                return k;
            }
        }
        match self.apple_kind.as_deref().map(str::trim) {
            Some(k) if k.eq_ignore_ascii_case("ALTERNATE-WORKDAY") => return DayKind::Workday,
            Some(k) if k.eq_ignore_ascii_case("WORK-HOLIDAY") => return DayKind::Holiday,
            _ => {}
        }
        if self.summary.contains('班') { DayKind::Workday } else { DayKind::Holiday }
    }

    /// The local days `[first, end)` the event covers, as day numbers.
    fn days(&self) -> Result<(i64, i64), ImportError> {
        let Some((line, value)) = &self.start else { return Err(ImportError::new(self.line, ImportReason::MissingDate, "no DTSTART")) };
        let (start, _) = parse_date(value).ok_or_else(|| ImportError::new(*line, ImportReason::BadDate, value))?;
        let first = day_number(start);
        let end = match (&self.end, &self.duration) {
            (Some((line, value)), _) => {
                let (end, timed) = parse_date(value).ok_or_else(|| ImportError::new(*line, ImportReason::BadDate, value))?;
                // An end at midnight is exclusive; an end later in a day includes that day.
                day_number(end) + i64::from(timed)
            }
            (None, Some(d)) => first + duration_days(d).unwrap_or(1),
            (None, None) => first + 1,
        };
        let end = end.max(first + 1);
        if end - first > MAX_EVENT_DAYS {
            return Err(ImportError::new(self.line, ImportReason::BadRange, format!("{} days", end - first)));
        }
        Ok((first, end))
    }
}

/// Reads the all-day events of an iCalendar file as holidays and make-up days,
/// named by their SUMMARY. Events may overlap when they agree on the kind (the
/// first name is kept); a date that is both a holiday and a workday is an error.
pub fn import_ics(text: &str) -> Result<ImportedDays, ImportError> {
    let mut days = ImportedDays::default();
    let mut event: Option<Event> = None;
    let mut nested = 0usize;
    for (line, text) in unfold(text) {
        let Some(p) = parse_property(&text) else { continue };
        let Some(ev) = event.as_mut() else {
            if p.name == "BEGIN" && p.value.trim().eq_ignore_ascii_case("VEVENT") {
                event = Some(Event { line, ..Event::default() });
            }
            continue;
        };
        match p.name.as_str() {
            "BEGIN" => nested += 1,
            "END" if nested > 0 => nested -= 1,
            "END" => {
                if let Some(ev) = event.take() {
                    add_event(&mut days, &ev)?;
                }
            }
            // Properties of a component inside the event (an alarm) are not the event's.
            _ if nested > 0 => {}
            "DTSTART" => ev.start = Some((line, p.value.to_string())),
            "DTEND" => ev.end = Some((line, p.value.to_string())),
            "DURATION" => ev.duration = Some(p.value.to_string()),
            "SUMMARY" => ev.summary = unescape_text(p.value),
            "CATEGORIES" => ev.categories.extend(split_list(p.value)),
            "X-YUNWEI-KIND" => ev.yunwei_kind = Some(p.value.to_string()),
            "X-APPLE-SPECIAL-DAY" => ev.apple_kind = Some(p.value.to_string()),
            _ => {}
        }
    }
    if let Some(ev) = event {
        return Err(ImportError::new(ev.line, ImportReason::UnclosedEvent, "BEGIN:VEVENT without END:VEVENT"));
    }
    Ok(days)
}

fn add_event(days: &mut ImportedDays, ev: &Event) -> Result<(), ImportError> {
    let (first, end) = ev.days()?;
    let kind = ev.kind();
    for n in first..end {
        let Some(date) = date_of(n) else { return Err(ImportError::new(ev.line, ImportReason::BadDate, format!("day {n}"))) };
        match days.get(date) {
            Some((k, _)) if k != kind => {
                return Err(ImportError::new(ev.line, ImportReason::DuplicateDate, format!("{date} is both a holiday and a workday")));
            }
            Some(_) => {}
            None => {
                days.insert_new(date, kind, ev.summary.clone());
            }
        }
    }
    Ok(())
}

/// A comma-separated TEXT list, honouring `\,` escapes.
fn split_list(value: &str) -> Vec<String> {
    let (mut items, mut cur, mut escaped) = (Vec::new(), String::new(), false);
    for c in value.chars() {
        if escaped {
            cur.push('\\');
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            items.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    items.push(cur);
    items.iter().map(|s| unescape_text(s).trim().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::tests::day_lists;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn stamp() -> Timestamp {
        "2026-11-04T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn exports_one_stable_all_day_event_per_day() {
        let mut spec = CalendarSpec::office("Asia/Shanghai");
        spec.holidays.insert(date(2026, 10, 1));
        spec.day_names.insert(date(2026, 10, 1), "国庆节".into());
        spec.makeup_days.insert(date(2026, 10, 10));
        spec.day_names.insert(date(2026, 10, 10), "国庆节调休上班; 周六, \\ 注意\n带电脑".into());
        let ics = export_ics(&spec, "工作日历, 总行", stamp());
        assert!(!ics.replace("\r\n", "").contains('\n'), "CRLF only");
        let expected = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Yunwei//yunwei-calendar//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:工作日历\\, 总行",
            "BEGIN:VEVENT",
            "UID:20261001-holiday@yunwei",
            "DTSTAMP:20261104T120000Z",
            "DTSTART;VALUE=DATE:20261001",
            "DTEND;VALUE=DATE:20261002",
            "SUMMARY:国庆节",
            "CATEGORIES:HOLIDAY",
            "TRANSP:TRANSPARENT",
            "X-YUNWEI-KIND:holiday",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:20261010-workday@yunwei",
            "DTSTAMP:20261104T120000Z",
            "DTSTART;VALUE=DATE:20261010",
            "DTEND;VALUE=DATE:20261011",
            "SUMMARY:国庆节调休上班\\; 周六\\, \\\\ 注意\\n带电脑",
            "CATEGORIES:WORKDAY",
            "TRANSP:TRANSPARENT",
            "X-YUNWEI-KIND:workday",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ];
        assert_eq!(ics.split("\r\n").collect::<Vec<_>>(), expected);
        assert_eq!(export_ics(&spec, "工作日历, 总行", stamp()), ics, "deterministic");
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut spec = CalendarSpec::office("Asia/Shanghai");
        spec.holidays.insert(date(2026, 10, 1));
        let name = "国庆节😀".repeat(30);
        spec.day_names.insert(date(2026, 10, 1), name.clone());
        let ics = export_ics(&spec, "x", stamp());
        let lines: Vec<&str> = ics.split("\r\n").collect();
        assert!(lines.iter().all(|l| l.len() <= 75), "{lines:?}");
        let folded = lines.iter().filter(|l| l.starts_with(' ')).count();
        assert!(folded >= 5);
        assert_eq!(import_ics(&ics).unwrap().holidays[&date(2026, 10, 1)], name);
    }

    /// The shape of the widely used Chinese holiday feeds (chinese-days, holiday-cn, Apple):
    /// a time-zone block with its own DTSTART, multi-day events, kinds only in the summary.
    #[test]
    fn reads_public_chinese_holiday_feeds() {
        let feed = "BEGIN:VCALENDAR\nVERSION:2.0\nX-WR-CALNAME:中国节假日\nBEGIN:VTIMEZONE\nTZID:Asia/Shanghai\nBEGIN:STANDARD\n\
            DTSTART:19700101T000000\nTZOFFSETFROM:+0800\nTZOFFSETTO:+0800\nEND:STANDARD\nEND:VTIMEZONE\n\
            BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20261001\nDTEND;VALUE=DATE:20261008\nSUMMARY:国庆节(休)\nCATEGORIES:节假日\n\
            X-APPLE-SPECIAL-DAY:WORK-HOLIDAY\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:b\nDTSTART;VALUE=DATE:20261010\nDTEND;VALUE=DATE:20261011\nSUMMARY:国庆节(班)\nCATEGORIES:节假日\nEND:VEVENT\n\
            BEGIN:VEVENT\nSUMMARY:上班(补国庆节、中秋节假\n 期)\nDTSTART;VALUE=DATE:20260920\nDTSTAMP;VALUE=DATE:20260920\nEND:VEVENT\n\
            BEGIN:VEVENT\nSUMMARY:春节假期\nDTSTART;TZID=Asia/Shanghai:20260215T000000\nDTEND;TZID=Asia/Shanghai:20260217T090000\n\
            BEGIN:VALARM\nACTION:DISPLAY\nSUMMARY:补班提醒\nTRIGGER:-PT1H\nEND:VALARM\nEND:VEVENT\n\
            BEGIN:VEVENT\nSUMMARY:元旦\nDTSTART:20260101T080000Z\nDURATION:P3D\nEND:VEVENT\n\
            BEGIN:VEVENT\nSUMMARY:Alternate workday\nX-APPLE-SPECIAL-DAY:ALTERNATE-WORKDAY\nDTSTART;VALUE=DATE:20260104\nEND:VEVENT\n\
            END:VCALENDAR\n";
        let days = import_ics(feed).unwrap();
        let holidays: Vec<String> = days.holidays.keys().map(|d| d.to_string()).collect();
        assert_eq!(
            holidays,
            [
                "2026-01-01",
                "2026-01-02",
                "2026-01-03",
                "2026-02-15",
                "2026-02-16",
                "2026-02-17",
                "2026-10-01",
                "2026-10-02",
                "2026-10-03",
                "2026-10-04",
                "2026-10-05",
                "2026-10-06",
                "2026-10-07"
            ]
        );
        assert_eq!(days.holidays[&date(2026, 10, 7)], "国庆节(休)");
        assert_eq!(days.holidays[&date(2026, 2, 17)], "春节假期", "an alarm's summary is not the event's");
        let workdays: Vec<(String, &str)> = days.makeup_days.iter().map(|(d, n)| (d.to_string(), n.as_str())).collect();
        assert_eq!(
            workdays,
            [
                ("2026-01-04".into(), "Alternate workday"),
                ("2026-09-20".into(), "上班(补国庆节、中秋节假期)"),
                ("2026-10-10".into(), "国庆节(班)")
            ]
        );
    }

    #[test]
    fn explicit_kinds_beat_the_summary() {
        let ev = |extra: &str, summary: &str| {
            let text = format!("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261010\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\n");
            import_ics(&text).unwrap().get(date(2026, 10, 10)).map(|(k, _)| k)
        };
        assert_eq!(ev("", "值班"), Some(DayKind::Workday));
        assert_eq!(ev("X-YUNWEI-KIND:holiday\r\n", "值班"), Some(DayKind::Holiday));
        assert_eq!(ev("CATEGORIES:Bank,HOLIDAY\r\n", "补班"), Some(DayKind::Holiday));
        assert_eq!(ev("CATEGORIES:workday\r\n", "国庆"), Some(DayKind::Workday));
        assert_eq!(ev("X-APPLE-SPECIAL-DAY:WORK-HOLIDAY\r\n", "上班"), Some(DayKind::Holiday));
    }

    fn err(text: &str) -> (usize, &'static str) {
        let e = import_ics(text).unwrap_err();
        (e.line, e.reason.code())
    }

    #[test]
    fn errors_name_the_line_and_reason() {
        assert_eq!(err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n"), (2, "missing_date"));
        assert_eq!(err("BEGIN:VEVENT\nSUMMARY:x\n\nDTSTART;VALUE=DATE:20260230\nEND:VEVENT\n"), (4, "bad_date"));
        assert_eq!(err("BEGIN:VEVENT\nDTSTART:20260101\nDTEND:2026-01-02\nEND:VEVENT\n"), (3, "bad_date"));
        assert_eq!(err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\n"), (2, "unclosed_event"));
        assert_eq!(err("BEGIN:VEVENT\nDTSTART:20260101\nDTEND:20280101\nEND:VEVENT\n"), (1, "bad_range"));
        let clash = "BEGIN:VEVENT\nDTSTART:20261001\nDTEND:20261008\nSUMMARY:国庆\nEND:VEVENT\n\
                     BEGIN:VEVENT\nDTSTART:20261007\nSUMMARY:上班\nEND:VEVENT\n";
        assert_eq!(err(clash), (6, "duplicate_date"));
        // Overlapping events of one kind are fine; the first name stays.
        let overlap = "BEGIN:VEVENT\nDTSTART:20261001\nDTEND:20261004\nSUMMARY:国庆\nEND:VEVENT\n\
                       BEGIN:VEVENT\nDTSTART:20261003\nDTEND:20261005\nSUMMARY:中秋\nEND:VEVENT\n";
        let days = import_ics(overlap).unwrap();
        assert_eq!((days.holidays.len(), days.holidays[&date(2026, 10, 3)].as_str()), (4, "国庆"));
    }

    #[test]
    fn timed_events_are_utc_with_stable_uids() {
        let ev = TimedEvent {
            uid: "chg-12@yunwei".into(),
            start: "2026-12-12T01:00:00+08:00[Asia/Shanghai]".parse::<jiff::Zoned>().unwrap().timestamp(),
            end: "2026-12-11T19:00:00Z".parse().unwrap(),
            summary: "CHG-000012 核心交换机升级, 第一批".into(),
            description: "已批准".into(),
            category: "CHANGE".into(),
            status: "CONFIRMED",
            transparent: false,
        };
        let ics = export_events(std::slice::from_ref(&ev), "变更日历", stamp());
        let lines: Vec<&str> = ics.split("\r\n").collect();
        for want in [
            "UID:chg-12@yunwei",
            "DTSTAMP:20261104T120000Z",
            "DTSTART:20261211T170000Z",
            "DTEND:20261211T190000Z",
            "SUMMARY:CHG-000012 核心交换机升级\\, 第一批",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
        ] {
            assert!(lines.contains(&want), "{want} in {lines:?}");
        }
        assert_eq!(export_events(&[ev], "变更日历", stamp()), ics, "deterministic");
    }

    #[test]
    fn duty_shifts_are_utc_escaped_and_folded() {
        let e = TimedEvent {
            uid: "duty-3-1767574800000@yunwei".into(),
            start: "2026-01-05T01:00:00Z".parse().unwrap(),
            end: "2026-01-06T01:00:00Z".parse().unwrap(),
            summary: "值班：张伟, 李娜; 夜班".into(),
            description: "第一行\n第二行".repeat(8),
            category: "DUTY".into(),
            status: "CONFIRMED",
            transparent: false,
        };
        let text = export_events(std::slice::from_ref(&e), "核心系统值班", stamp());
        assert!(text.contains("\r\nDTSTART:20260105T010000Z\r\nDTEND:20260106T010000Z\r\n"), "{text}");
        assert!(text.contains("SUMMARY:值班：张伟\\, 李娜\\; 夜班\r\n"), "{text}");
        assert!(text.contains("UID:duty-3-1767574800000@yunwei\r\n"));
        assert!(text.contains("TRANSP:OPAQUE\r\n"), "a shift blocks the officer's free/busy");
        assert!(text.split("\r\n").all(|l| l.len() <= 75), "folded at 75 octets");
        assert_eq!(text, export_events(&[e], "核心系统值班", stamp()), "the same input, the same bytes");
    }

    proptest! {
        /// Export then import gives back exactly the same days, kinds and names.
        #[test]
        fn export_then_import_is_exact(days in day_lists(), cal_name in crate::csv::tests::names()) {
            let mut spec = CalendarSpec::office("Asia/Shanghai");
            days.apply_to(&mut spec);
            let ics = export_ics(&spec, &cal_name, stamp());
            prop_assert!(ics.split("\r\n").all(|l| l.len() <= 75));
            prop_assert_eq!(import_ics(&ics).unwrap(), days);
        }
    }
}
