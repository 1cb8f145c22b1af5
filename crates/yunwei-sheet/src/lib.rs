//! Spreadsheets in and out, in one place (ADR 0018): XLSX written by `rust_xlsxwriter`
//! (typed columns, widths, frozen header, autofilter), XLSX/XLS read by `calamine`, CSV read
//! and written by `csv`, text from Chinese Excel (GB18030/GBK) detected and decoded by
//! `encoding_rs`. Every writer keeps the formula-injection guard: a cell a spreadsheet would
//! run as a formula is quote-prefixed in XLSX and prefixed with `'` in CSV.

mod read;
mod write;

pub use read::{Row, decode_text, read_csv, read_table};
pub use write::{Column, CsvOut, Kind, Sheet};

/// What can go wrong reading or writing a spreadsheet. `line` is 1-based (a CSV line or a sheet row).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SheetError {
    #[error("line {line}: unclosed quote")]
    BadQuote { line: usize },
    #[error("line {line}: {message}")]
    Csv { line: usize, message: String },
    #[error("the workbook cannot be read: {0}")]
    Workbook(String),
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the workbook cannot be written: {0}")]
    Write(String),
}

impl SheetError {
    /// A stable code for problem documents and translations.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::BadQuote { .. } => "sheet_bad_quote",
            SheetError::Csv { .. } => "sheet_bad_csv",
            SheetError::Workbook(_) | SheetError::NoSheet => "sheet_unreadable",
            SheetError::Write(_) => "sheet_unwritable",
        }
    }
}

/// Would a spreadsheet read this cell as a formula (`=`, `+`, `-`, `@`, tab or CR first)?
pub fn looks_like_formula(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A cell as CSV text: formula-like cells, and cells that already start with `'`, get a
/// leading `'`, so that [`unescape`] restores exactly what was exported.
pub fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(value) || value.starts_with('\'') { format!("'{value}").into() } else { value.into() }
}

/// Undoes [`escape`]: one leading `'` before a formula character or another `'` is dropped.
/// A lone apostrophe a person typed before ordinary text is kept.
pub fn unescape(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) || rest.starts_with('\'') => rest,
        _ => value,
    }
}

#[cfg(test)]
mod tests;
