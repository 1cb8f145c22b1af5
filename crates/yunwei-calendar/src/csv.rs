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
//! Reading and writing go through `yunwei-sheet` (the `csv` crate, ADR 0018). Import is
//! lenient about what spreadsheets and editors add (a UTF-8 BOM, CRLF, quoted cells with
//! doubled quotes, surrounding spaces, empty trailing cells) and strict about meaning: every
//! error names its line and a stable reason. Names are trimmed. Export guards against CSV
//! formula injection, since a day name is free text that will be opened in Excel; the
//! escape is undone on import. (Files from Chinese Excel in GB18030/GBK are decoded by the
//! caller with `yunwei_sheet::decode_text` before they get here.)

use crate::CalendarSpec;
use crate::days::{DayKind, ImportError, ImportReason, ImportedDays};
use jiff::civil::Date;
use yunwei_sheet::{CsvOut, SheetError, read_csv, unescape};

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
    let mut out = CsvOut::new(false);
    out.row(HEADER.split(','));
    for (date, kind, name) in days.iter() {
        out.row([date.to_string().as_str(), kind.as_str(), name]);
    }
    out.into_string()
}

/// Reads `date,kind,name` rows. The name cell may be missing (empty name).
/// Any date listed twice is an error (`duplicate_date`), whatever the kinds,
/// because either reading of such a file could be wrong.
pub fn import_csv(text: &str) -> Result<ImportedDays, ImportError> {
    let rows = read_csv(text, true).map_err(|e| match e {
        SheetError::BadQuote { line } => ImportError::new(line, ImportReason::BadQuote, "unclosed quote"),
        SheetError::Csv { line, message } => ImportError::new(line, ImportReason::BadColumns, message),
        other => ImportError::new(1, ImportReason::BadColumns, other.to_string()),
    })?;
    // A row of spaces is as blank as an empty line.
    let mut rows = rows.into_iter().filter(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
    let Some(header) = rows.next() else { return Err(ImportError::new(1, ImportReason::BadHeader, "no header row")) };
    let names: Vec<String> = header.cells.iter().map(|c| c.trim().to_ascii_lowercase()).collect();
    if names.len() < 3 || names[..3] != ["date", "kind", "name"] || names[3..].iter().any(|c| !c.is_empty()) {
        return Err(ImportError::new(header.line, ImportReason::BadHeader, names.join(",")));
    }
    let mut days = ImportedDays::default();
    for row in rows {
        let (line, cells) = (row.line, row.cells);
        if cells.len() < 2 || cells.iter().skip(3).any(|c| !c.trim().is_empty()) {
            return Err(ImportError::new(line, ImportReason::BadColumns, format!("{} cells", cells.len())));
        }
        let date_text = cells[0].trim();
        let date = parse_date(date_text).ok_or_else(|| ImportError::new(line, ImportReason::BadDate, date_text))?;
        let kind = DayKind::parse(&cells[1]).ok_or_else(|| ImportError::new(line, ImportReason::BadKind, cells[1].trim()))?;
        let name = cells.get(2).map(|c| unescape(c.trim()).to_string()).unwrap_or_default();
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
        // Text after a closing quote is joined to the cell, as Excel and the csv crate read it.
        assert_eq!(import_csv("date,kind,name\n2026-10-01,holiday,\"a\"b\n").unwrap().holidays[&date(2026, 10, 1)], "ab");
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

    #[test]
    fn padded_names_come_back_trimmed_and_gbk_reads() {
        let mut spec = CalendarSpec::office("Asia/Shanghai");
        spec.holidays.insert(date(2026, 10, 1));
        spec.day_names.insert(date(2026, 10, 1), "  国庆节 ".into());
        assert_eq!(import_csv(&export_csv(&spec)).unwrap().holidays[&date(2026, 10, 1)], "国庆节");
        // A holiday list saved as CSV by Excel on a Chinese Windows is GBK, not UTF-8.
        let gbk = include_bytes!("../tests/fixtures/holidays-gbk.csv");
        assert!(String::from_utf8(gbk.to_vec()).is_err(), "the fixture really is GBK");
        let (text, encoding) = yunwei_sheet::decode_text(gbk);
        assert_eq!(encoding, "GB18030");
        let days = import_csv(&text).unwrap();
        assert_eq!(days.makeup_days[&date(2026, 10, 10)], "国庆节调休上班");
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
                // Names as a calendar holds them after an import: trimmed (import trims the padding
                // spreadsheets add; `padded_names_come_back_trimmed` covers that).
                let mut trimmed = ImportedDays::default();
                for (d, kind, name) in days.iter() {
                    trimmed.insert_new(d, kind, name.trim().to_string());
                }
                let days = trimmed;
                let mut spec = CalendarSpec::office("Asia/Shanghai");
                days.apply_to(&mut spec);
    prop_assert_eq!(import_csv(&export_csv(&spec)).unwrap(), days);
            }
        }
}
