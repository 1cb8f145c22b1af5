//! Spreadsheet-safe export: a cell that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed with `'`.

/// One CSV cell: formula-escaped, quoted when needed (RFC 4180).
pub fn csv_cell(value: &str) -> String {
    let escaped = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    if escaped.contains([',', '"', '\n', '\r']) || escaped != escaped.trim() {
        format!("\"{}\"", escaped.replace('"', "\"\""))
    } else {
        escaped
    }
}

/// One CSV line with CRLF, as spreadsheet programs expect.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells.iter().map(|c| csv_cell(c.as_ref())).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("网络组"), "网络组");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_line(&["a", "b"]), "a,b\r\n");
    }
}
