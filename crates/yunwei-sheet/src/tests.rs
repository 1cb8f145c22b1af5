use super::*;

fn sheet() -> Sheet {
    let mut s = Sheet::new(
        "事件",
        vec![
            Column::text("编号"),
            Column::text("标题"),
            Column::new("数量", Kind::Integer, 8.0),
            Column::new("登记时间", Kind::DateTime, 18.0),
            Column::new("日期", Kind::Date, 12.0),
        ],
    );
    s.rows.push(vec!["INC-000001".into(), "=cmd|' /C calc'!A0".into(), "42".into(), "2026-10-01 08:30".into(), "2026-10-02".into()]);
    s.rows.push(vec!["INC-000002".into(), "网络,丢包 \"核心\"".into(), "n/a".into(), "".into(), "2026-13-40".into()]);
    s
}

#[test]
fn formulas_are_escaped_and_unescaped_exactly() {
    for (value, escaped) in
        [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-2", "'-2"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("'x", "''x")]
    {
        assert_eq!(escape(value), escaped);
        assert_eq!(unescape(escaped), value);
    }
    assert_eq!(escape("网络组"), "网络组");
    assert_eq!(unescape("'hello"), "'hello", "an apostrophe a person typed stays");
}

#[test]
fn csv_has_bom_crlf_quotes_and_the_guard() {
    let bytes = sheet().to_csv();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("\u{feff}编号,标题,数量"));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert_eq!(lines[1], "INC-000001,'=cmd|' /C calc'!A0,42,2026-10-01 08:30,2026-10-02");
    assert_eq!(lines[2], "INC-000002,\"网络,丢包 \"\"核心\"\"\",n/a,,2026-13-40");
    let rows = read_csv(&text, false).unwrap();
    assert_eq!(rows[2].cells[1], "网络,丢包 \"核心\"");
    assert_eq!(rows[2].line, 3);
}

#[test]
fn xlsx_round_trips_through_calamine_with_types_and_guard() {
    let book = sheet().to_xlsx().unwrap();
    assert_eq!(&book[..4], b"PK\x03\x04");
    let rows = read_table(&book).unwrap();
    assert_eq!(rows[0].cells, ["编号", "标题", "数量", "登记时间", "日期"]);
    assert_eq!(rows[1].cells, ["INC-000001", "=cmd|' /C calc'!A0", "42", "2026-10-01 08:30", "2026-10-02"]);
    // Cells that are not their column's kind stay text; empty cells stay empty.
    assert_eq!(rows[2].cells, ["INC-000002", "网络,丢包 \"核心\"", "n/a", "", "2026-13-40"]);
}

#[test]
fn xlsx_structure_has_frozen_header_filter_widths_and_quote_prefix() {
    let book = sheet().to_xlsx().unwrap();
    // Deflated parts: look inside with calamine's own zip reader is not public, so read the
    // workbook's sheet XML through the zip crate calamine already brings.
    let mut zip = zip_archive(&book);
    let sheet = part(&mut zip, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<pane ySplit=\"1\" topLeftCell=\"A2\""), "{sheet}");
    assert!(sheet.contains("<autoFilter ref=\"A1:E3\""), "{sheet}");
    assert!(sheet.contains("<col min=\"3\" max=\"3\" width=\"8.7"), "{sheet}");
    assert!(part(&mut zip, "xl/styles.xml").contains("quotePrefix=\"1\""));
    assert!(part(&mut zip, "xl/workbook.xml").contains("name=\"事件\""));
}

fn zip_archive(book: &[u8]) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
    zip::ZipArchive::new(std::io::Cursor::new(book.to_vec())).unwrap()
}

fn part(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
    use std::io::Read;
    let mut text = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

#[test]
fn gbk_csv_from_chinese_excel_is_decoded() {
    let (gbk, _, _) = encoding_rs::GBK.encode("日期,类型,名称\r\n2026-10-01,holiday,国庆节\r\n");
    assert!(std::str::from_utf8(&gbk).is_err(), "the fixture really is GBK");
    let (text, encoding) = decode_text(&gbk);
    assert_eq!(encoding, "GB18030");
    assert!(text.contains("国庆节"));
    let rows = read_table(&gbk).unwrap();
    assert_eq!(rows[1].cells, ["2026-10-01", "holiday", "国庆节"]);
    assert_eq!(decode_text("\u{feff}名称".as_bytes()), ("名称".into(), "UTF-8"));
}

#[test]
fn csv_errors_and_comments() {
    assert_eq!(read_csv("a,b\n1,\"x\n2,y\n", false), Err(SheetError::BadQuote { line: 2 }));
    let rows = read_csv("# note \"q\n\na,b\r\n\r\n# c\n1,2\n", true).unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.line, r.cells.clone())).collect::<Vec<_>>(),
        [(3, vec!["a".to_string(), "b".into()]), (6, vec!["1".into(), "2".into()])]
    );
    assert!(matches!(read_table(b"PK\x03\x04garbage"), Err(SheetError::Workbook(_))));
}
