//! Holiday lists as CSV (`date,kind,name`), the format banks' admins keep in
//! spreadsheets and the format of the bundled `data/cn-mainland.csv`.
//!
//! ```text
//! # comment lines and blank lines are ignored
//! date,kind,name
//! 2026-10-01,holiday,国庆节
//! 2026-10-10,workday,国庆节调休上班
//! ```
//!
//! Import is lenient about what spreadsheets and editors add (a UTF-8 BOM, CRLF,
//! quoted cells with doubled quotes, surrounding spaces, empty trailing cells)
//! and strict about meaning: every error names its line and a stable reason.
//! Export guards against CSV formula injection, since a day name is free text
//! that will be opened in Excel.

use crate::CalendarSpec;
use crate::days::{DayKind, ImportError, ImportReason, ImportedDays};
use jiff::civil::Date;

/// The header row, required as the first row that is not a comment.
pub const HEADER: &str = "date,kind,name";

/// Prepend this to a CSV download meant for Excel, which otherwise reads UTF-8
/// Chinese names as the local code page. `import_csv` skips it.
pub const UTF8_BOM: &str = "\u{feff}";

/// The spec's holidays and make-up days as CSV (CRLF line ends, RFC 4180), in date order.
pub fn export_csv(spec: &CalendarSpec) -> String {
    export_days(&ImportedDays::from_spec(spec))
}

/// Like [`export_csv`], for a list of days.
pub fn export_days(days: &ImportedDays) -> String {
    let mut out = String::with_capacity(32 * (days.len() + 1));
    out.push_str(HEADER);
    out.push_str("\r\n");
    for (date, kind, name) in days.iter() {
        out.push_str(&format!("{date},{},{}\r\n", kind.as_str(), name_cell(name)));
    }
    out
}

/// Characters that make a spreadsheet treat a cell as a formula. A leading `'`
/// is included so that the escape can be undone exactly on import.
const FORMULA_START: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A name as a CSV cell: formula-escaped with a leading `'`, and quoted when it
/// holds a separator, a quote, a line break or surrounding spaces.
fn name_cell(name: &str) -> String {
    let mut cell = String::with_capacity(name.len() + 3);
    if name.starts_with(FORMULA_START) {
        cell.push('\'');
    }
    cell.push_str(name);
    if cell.contains([',', '"', '\n', '\r']) || cell.trim() != cell {
        cell = format!("\"{}\"", cell.replace('"', "\"\""));
    }
    cell
}

/// Reads `date,kind,name` rows. The name cell may be missing (empty name).
/// Any date listed twice is an error (`duplicate_date`), whatever the kinds,
/// because either reading of such a file could be wrong.
pub fn import_csv(text: &str) -> Result<ImportedDays, ImportError> {
    let mut rows = records(text)?.into_iter();
    let Some(header) = rows.next() else { return Err(ImportError::new(1, ImportReason::BadHeader, "no header row")) };
    let names: Vec<String> = header.cells.iter().map(|c| c.text.trim().to_ascii_lowercase()).collect();
    if names.len() < 3 || names[..3] != ["date", "kind", "name"] || names[3..].iter().any(|c| !c.is_empty()) {
        return Err(ImportError::new(header.line, ImportReason::BadHeader, names.join(",")));
    }
    let mut days = ImportedDays::default();
    for row in rows {
        let line = row.line;
        let cells = row.cells;
        if cells.len() < 2 || cells.iter().skip(3).any(|c| !c.text.trim().is_empty()) {
            return Err(ImportError::new(line, ImportReason::BadColumns, format!("{} cells", cells.len())));
        }
        let date_text = cells[0].text.trim();
        let date = parse_date(date_text).ok_or_else(|| ImportError::new(line, ImportReason::BadDate, date_text))?;
        let kind = DayKind::parse(&cells[1].text).ok_or_else(|| ImportError::new(line, ImportReason::BadKind, cells[1].text.trim()))?;
        let name = cells.get(2).map(Cell::value).unwrap_or_default();
        if !days.insert_new(date, kind, name) {
            return Err(ImportError::new(line, ImportReason::DuplicateDate, date_text));
        }
    }
    Ok(days)
}

/// Strictly `YYYY-MM-DD`, so that `2026-1-1` or `20260101` is reported, not guessed.
fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    s.parse().ok()
}

struct Cell {
    text: String,
    quoted: bool,
}

impl Cell {
    /// The cell's text: unquoted cells are trimmed, and a formula escape added by export is removed.
    fn value(&self) -> String {
        let text = if self.quoted { self.text.as_str() } else { self.text.trim() };
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some('\''), Some(c)) if FORMULA_START.contains(&c) => text[1..].to_string(),
            _ => text.to_string(),
        }
    }
}

struct Record {
    line: usize,
    cells: Vec<Cell>,
}

/// Splits CSV text into records, skipping comment (`#`) and blank lines. A quoted
/// cell may span lines; `line` is where its record starts.
fn records(text: &str) -> Result<Vec<Record>, ImportError> {
    let text = text.strip_prefix(UTF8_BOM).unwrap_or(text);
    let mut chars = text.chars().peekable();
    let mut line = 1;
    let mut out = Vec::new();
    while let Some(&first) = chars.peek() {
        if first == '#' {
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
            line += 1;
            continue;
        }
        let start = line;
        let mut cells = Vec::new();
        let mut cell = Cell { text: String::new(), quoted: false };
        let mut in_quotes = false;
        let mut closed = false;
        loop {
            let Some(c) = chars.next() else {
                if in_quotes {
                    return Err(ImportError::new(start, ImportReason::BadQuote, "unclosed quote"));
                }
                break;
            };
            if in_quotes {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.text.push('"');
                    }
                    '"' => (in_quotes, closed) = (false, true),
                    _ => {
                        line += usize::from(c == '\n');
                        cell.text.push(c);
                    }
                }
                continue;
            }
            match c {
                '\n' => {
                    line += 1;
                    break;
                }
                ',' => {
                    cells.push(std::mem::replace(&mut cell, Cell { text: String::new(), quoted: false }));
                    closed = false;
                }
                '"' if !cell.quoted && cell.text.trim().is_empty() => {
                    (in_quotes, cell.quoted) = (true, true);
                    cell.text.clear();
                }
                c if c.is_whitespace() => {
                    if !closed {
                        cell.text.push(c);
                    }
                }
                c => {
                    if closed {
                        return Err(ImportError::new(line, ImportReason::BadQuote, format!("text after a closing quote: {c}")));
                    }
                    cell.text.push(c);
                }
            }
        }
        let blank = cells.is_empty() && !cell.quoted && cell.text.trim().is_empty();
        cells.push(cell);
        if !blank {
            out.push(Record { line: start, cells });
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn reads_what_spreadsheets_write() {
        let text = "\u{feff}# 2026 节假日\r\n\r\nDate, Kind ,Name,,\r\n2026-10-01,holiday,国庆节\r\n\r\n# 调休\r\n 2026-10-10 , WORKDAY ,\"国庆节调休上班, 周六\"\r\n2026-10-02,holiday\r\n2026-10-03,holiday,\"他说 \"\"休息\"\"\",\r\n2026-10-04,holiday,\"两行\r\n名字\"\n2026-10-05,holiday,  spaced  ";
        let days = import_csv(text).unwrap();
        assert_eq!(days.holidays[&date(2026, 10, 1)], "国庆节");
        assert_eq!(days.makeup_days[&date(2026, 10, 10)], "国庆节调休上班, 周六");
        assert_eq!(days.holidays[&date(2026, 10, 2)], "");
        assert_eq!(days.holidays[&date(2026, 10, 3)], "他说 \"休息\"");
        assert_eq!(days.holidays[&date(2026, 10, 4)], "两行\r\n名字");
        assert_eq!(days.holidays[&date(2026, 10, 5)], "spaced");
        assert_eq!(days.len(), 6);
    }

    fn err(text: &str) -> (usize, &'static str) {
        let e = import_csv(text).unwrap_err();
        (e.line, e.reason.code())
    }

    #[test]
    fn errors_name_the_line_and_reason() {
        assert_eq!(err(""), (1, "bad_header"));
        assert_eq!(err("# only a comment\n"), (1, "bad_header"));
        assert_eq!(err("# c\n2026-10-01,holiday,国庆节\n"), (2, "bad_header"));
        assert_eq!(err("date,kind,name\n2026-10-01,holiday,a\n2026-02-30,holiday,b\n"), (3, "bad_date"));
        assert_eq!(err("date,kind,name\n2026-1-1,holiday,a\n"), (2, "bad_date"));
        assert_eq!(err("date,kind,name\n\n2026-10-01,vacation,a\n"), (3, "bad_kind"));
        assert_eq!(err("date,kind,name\n2026-10-01,holiday,a\n2026-10-01,workday,b\n"), (3, "duplicate_date"));
        assert_eq!(err("date,kind,name\n2026-10-01,holiday,a\n2026-10-01,holiday,a\n"), (3, "duplicate_date"));
        assert_eq!(err("date,kind,name\n2026-10-01\n"), (2, "bad_columns"));
        assert_eq!(err("date,kind,name\n2026-10-01,holiday,a,extra\n"), (2, "bad_columns"));
        assert_eq!(err("date,kind,name\n2026-10-01,holiday,\"a\nb\n"), (2, "bad_quote"));
        assert_eq!(err("date,kind,name\n2026-10-01,holiday,\"a\"b\n"), (2, "bad_quote"));
        // A quoted line break moves the line count on.
        assert_eq!(err("date,kind,name\n2026-10-01,holiday,\"a\nb\"\nx,holiday,c\n"), (4, "bad_date"));
    }

    #[test]
    fn export_escapes_formulas_and_quotes() {
        let mut spec = CalendarSpec::office("Asia/Shanghai");
        for (d, name) in [(1, "=HYPERLINK(\"x\")"), (2, "+1"), (3, "-1"), (4, "@SUM(A1)"), (5, "\tx"), (6, "'quoted"), (7, "a,b")] {
            spec.holidays.insert(date(2026, 10, d));
            spec.day_names.insert(date(2026, 10, d), name.into());
        }
        spec.makeup_days.insert(date(2026, 10, 10));
        let csv = export_csv(&spec);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(lines[1], "2026-10-01,holiday,\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(lines[2], "2026-10-02,holiday,'+1");
        assert_eq!(lines[3], "2026-10-03,holiday,'-1");
        assert_eq!(lines[4], "2026-10-04,holiday,'@SUM(A1)");
        assert_eq!(lines[5], "2026-10-05,holiday,'\tx");
        assert_eq!(lines[6], "2026-10-06,holiday,''quoted");
        assert_eq!(lines[7], "2026-10-07,holiday,\"a,b\"");
        assert_eq!(lines[8], "2026-10-10,workday,");
        // The escapes are undone on import, so a round trip is exact.
        assert_eq!(import_csv(&csv).unwrap(), ImportedDays::from_spec(&spec));
        // A leading apostrophe a person typed is kept.
        assert_eq!(import_csv("date,kind,name\n2026-10-01,holiday,'hello\n").unwrap().holidays[&date(2026, 10, 1)], "'hello");
    }

    pub(crate) fn names() -> impl Strategy<Value = String> {
        let chars = prop::sample::select(vec![
            'a', 'Z', '0', ' ', '\t', ',', ';', '"', '\'', '=', '+', '-', '@', '\\', '\n', '#', ':', '春', '节', '班', '😀', '€',
        ]);
        prop::collection::vec(chars, 0..24).prop_map(|v| v.into_iter().collect())
    }

    pub(crate) fn day_lists() -> impl Strategy<Value = ImportedDays> {
        prop::collection::btree_map((0i64..4000, any::<bool>()), names(), 0..40).prop_map(|m| {
            let mut days = ImportedDays::default();
            for ((n, workday), name) in m {
                let d = crate::engine::date_of(20_000 + n).unwrap();
                days.insert_new(d, if workday { DayKind::Workday } else { DayKind::Holiday }, name);
            }
            days
        })
    }

    proptest! {
        #[test]
        fn export_then_import_is_exact(days in day_lists()) {
            let mut spec = CalendarSpec::office("Asia/Shanghai");
            days.apply_to(&mut spec);
            prop_assert_eq!(import_csv(&export_csv(&spec)).unwrap(), days);
        }
    }
}
