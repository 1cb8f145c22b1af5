//! Writing: one [`Sheet`] (columns + text rows) to XLSX or CSV; [`CsvOut`] for streams.

use crate::{SheetError, escape, looks_like_formula};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};

/// How a column's cells are typed in XLSX. Cells that do not parse as their kind stay text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Whole numbers (`123`).
    Integer,
    /// Numbers (`12.5`).
    Decimal,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DD HH:MM[:SS]` (already in the reader's zone).
    DateTime,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub kind: Kind,
    /// Width in characters (Excel's unit); CJK text needs about two per character.
    pub width: f64,
}

impl Column {
    pub fn new(header: impl Into<String>, kind: Kind, width: f64) -> Self {
        Column { header: header.into(), kind, width }
    }

    /// A text column as wide as its heading suggests (at least 10, CJK counted double).
    pub fn text(header: impl Into<String>) -> Self {
        let header = header.into();
        let width = header.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum::<f64>().max(10.0) + 2.0;
        Column { header, kind: Kind::Text, width }
    }
}

/// One sheet of an export: a header row from the columns, then rows of text.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    pub fn new(name: impl Into<String>, columns: Vec<Column>) -> Self {
        Sheet { name: name.into(), columns, rows: Vec::new() }
    }

    /// An XLSX workbook: bold frozen header with an autofilter, column widths, numbers and
    /// dates as typed cells, every other cell a string (never a formula); formula-like strings
    /// are quote-prefixed so that editing the cell in Excel does not turn it into one.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, SheetError> {
        let err = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        let name: String = self.name.chars().filter(|c| !"[]:*?/\\'".contains(*c)).take(31).collect();
        if !name.trim().is_empty() {
            ws.set_name(name).map_err(err)?;
        }
        let bold = Format::new().set_bold().set_align(FormatAlign::Top);
        let quoted = Format::new().set_quote_prefix();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
        let plain = Format::new();
        for (c, col) in self.columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, &col.header, &bold).map_err(err)?;
            ws.set_column_width(c, col.width).map_err(err)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, value) in row.iter().enumerate() {
                if value.is_empty() {
                    continue;
                }
                let kind = self.columns.get(c).map(|k| k.kind).unwrap_or(Kind::Text);
                let c = c as u16;
                let typed = match kind {
                    Kind::Integer => value.parse::<i64>().ok().map(|n| n as f64),
                    Kind::Decimal => value.parse::<f64>().ok().filter(|n| n.is_finite()),
                    _ => None,
                };
                let when = match kind {
                    Kind::Date | Kind::DateTime if plausible_date(value) => ExcelDateTime::parse_from_str(value).ok(),
                    _ => None,
                };
                if let Some(n) = typed {
                    ws.write_number_with_format(r, c, n, &plain).map_err(err)?;
                } else if let Some(t) = when {
                    ws.write_datetime_with_format(r, c, &t, if kind == Kind::Date { &date } else { &datetime }).map_err(err)?;
                } else if looks_like_formula(value) {
                    ws.write_string_with_format(r, c, value, &quoted).map_err(err)?;
                } else {
                    ws.write_string(r, c, value).map_err(err)?;
                }
            }
        }
        if !self.columns.is_empty() {
            ws.set_freeze_panes(1, 0).map_err(err)?;
            ws.autofilter(0, 0, self.rows.len() as u32, self.columns.len() as u16 - 1).map_err(err)?;
        }
        book.save_to_buffer().map_err(err)
    }

    /// CSV for Excel: UTF-8 with a byte-order mark, CRLF, formula-escaped cells.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = CsvOut::new(true);
        out.row(self.columns.iter().map(|c| c.header.as_str()));
        for row in &self.rows {
            out.row(row.iter().map(String::as_str));
        }
        out.into_bytes()
    }
}

/// `YYYY-MM-DD…` with a real month and day: `ExcelDateTime` would otherwise read `2026-13-01`
/// as some other day rather than refuse it.
fn plausible_date(s: &str) -> bool {
    s.get(..10).and_then(|d| d.parse::<jiff::civil::Date>().ok()).is_some()
}

/// A CSV written row by row (for exports streamed from the store), formula-escaped, CRLF.
pub struct CsvOut {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvOut {
    /// With `bom`, the text starts with a UTF-8 byte-order mark (Excel reads UTF-8 only with it).
    pub fn new(bom: bool) -> Self {
        let start = if bom { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        CsvOut { writer: csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(start) }
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        // Writing into a Vec cannot fail.
        let _ = self.writer.write_record(cells.into_iter().map(|c| escape(c).into_owned()));
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner().unwrap_or_else(|e| e.into_inner().get_ref().clone())
    }

    pub fn into_string(self) -> String {
        String::from_utf8(self.into_bytes()).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}
