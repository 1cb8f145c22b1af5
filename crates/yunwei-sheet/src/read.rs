//! Reading: bytes → rows of text, whatever the file is (XLSX/XLS by calamine, else CSV).

use crate::SheetError;
use calamine::{Data, Reader};
use std::io::Cursor;

/// One row of a read sheet: its line in the file (CSV) or row number (workbook), 1-based.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

/// The text of a CSV file: UTF-8 (with or without a byte-order mark) when it is valid UTF-8,
/// otherwise GB18030 (a superset of GBK and GB2312), which is what Excel on a Chinese Windows
/// writes for "CSV". Returns the text and the encoding's name.
pub fn decode_text(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), "UTF-8");
    }
    let (text, _, _) = encoding_rs::GB18030.decode(bytes);
    (text.into_owned(), "GB18030")
}

/// CSV text to rows. Blank lines are skipped; with `comments`, so are lines starting with `#`.
/// Rows may have different lengths. An unclosed quote is an error naming its line.
pub fn read_csv(text: &str, comments: bool) -> Result<Vec<Row>, SheetError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(if comments { Some(b'#') } else { None })
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut starts = Vec::new();
    let mut record = csv::StringRecord::new();
    // Lines are counted here from byte offsets: the crate's own line count skips comments.
    let (mut counted, mut line) = (0usize, 1usize);
    let mut line_at = |byte: usize| {
        let byte = byte.min(text.len());
        line += text.as_bytes()[counted.min(byte)..byte].iter().filter(|b| **b == b'\n').count();
        counted = counted.max(byte);
        line
    };
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(true) => {
                let mut byte = record.position().map(|p| p.byte() as usize).unwrap_or(start);
                // The position is where the reader started looking: skip the blank and comment lines before the record.
                while let Some(rest) = text.get(byte..) {
                    let skip = if rest.starts_with(['\r', '\n']) {
                        1
                    } else if comments && rest.starts_with('#') {
                        rest.find('\n').map(|n| n + 1).unwrap_or(rest.len())
                    } else {
                        break;
                    };
                    byte += skip;
                }
                starts.push((byte, reader.position().byte() as usize));
                rows.push(Row { line: line_at(byte), cells: record.iter().map(str::to_string).collect() });
            }
            Ok(false) => break,
            Err(e) => {
                let byte = e.position().map(|p| p.byte() as usize).unwrap_or(start);
                return Err(SheetError::Csv { line: line_at(byte), message: e.to_string() });
            }
        }
    }
    // The csv crate reads an unclosed quote to the end of the file; a record whose raw
    // text holds an odd number of quotes is where that happened.
    for (row, (start, end)) in rows.iter().zip(starts) {
        let raw = text.get(start..end.max(start)).unwrap_or("");
        if raw.bytes().filter(|b| *b == b'"').count() % 2 == 1 {
            return Err(SheetError::BadQuote { line: row.line });
        }
    }
    Ok(rows)
}

/// Any spreadsheet file to rows: XLSX, XLS (and XLSB/ODS) through calamine's first sheet,
/// anything else as CSV text (UTF-8 or GB18030). Workbook rows that are wholly empty are skipped.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Row>, SheetError> {
    let zip_or_ole = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if !zip_or_ole {
        return read_csv(&decode_text(bytes).0, false);
    }
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| SheetError::Workbook(e.to_string()))?;
    let range = book.worksheet_range_at(0).ok_or(SheetError::NoSheet)?.map_err(|e| SheetError::Workbook(e.to_string()))?;
    let first = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let left = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut rows = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        let mut cells: Vec<String> = std::iter::repeat_n(String::new(), left).chain(cells.iter().map(cell_text)).collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if !cells.is_empty() {
            rows.push(Row { line: first + i + 1, cells });
        }
    }
    Ok(rows)
}

/// A workbook cell as the text a person sees: whole numbers without `.0`, dates as ISO text.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) if d.is_datetime() => excel_serial_text(d.as_f64()),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// An Excel serial date (days since 1899-12-30, the 1900 system) as `YYYY-MM-DD[ HH:MM[:SS]]`.
fn excel_serial_text(serial: f64) -> String {
    let days = serial.floor() as i64;
    let Ok(date) = jiff::civil::date(1899, 12, 30).checked_add(jiff::Span::new().days(days)) else { return serial.to_string() };
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    if secs == 0 {
        return date.to_string();
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if s == 0 { format!("{date} {h:02}:{m:02}") } else { format!("{date} {h:02}:{m:02}:{s:02}") }
}
