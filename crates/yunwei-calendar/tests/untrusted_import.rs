//! Calendar files come from administrators' spreadsheets and public feeds:
//! whatever they hold, import answers days or an error naming a line, never a
//! panic, and never more days than the file can describe. (The export → import
//! round trips are next to each format's code.)

use proptest::prelude::*;
use yunwei_calendar::csv::import_csv;
use yunwei_calendar::ics::{MAX_EVENT_DAYS, import_ics};

fn ics_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "BEGIN:VCALENDAR\r\n",
        "BEGIN:VEVENT\r\n",
        "END:VEVENT\r\n",
        "BEGIN:VALARM\r\n",
        "END:VALARM\r\n",
        "END:VCALENDAR\r\n",
        "DTSTART;VALUE=DATE:20261001\r\n",
        "DTSTART:20261001T000000Z\r\n",
        "DTEND;VALUE=DATE:20261008\r\n",
        "DTEND:99991231\r\n",
        "DTSTART:-0001\r\n",
        "DURATION:P7D\r\n",
        "DURATION:P99999999999W\r\n",
        "DURATION:-P1D\r\n",
        "SUMMARY:国庆\\, 节\r\n",
        "SUMMARY:\\",
        "CATEGORIES:HOLIDAY,WORKDAY\r\n",
        "X-YUNWEI-KIND:workday\r\n",
        "X-APPLE-SPECIAL-DAY:ALTERNATE-WORKDAY\r\n",
        "\r\n ",
        "\r\n\t",
        ";",
        ":",
        "=",
        "\"",
        "é",
        "\u{feff}",
        "\r",
        "\n",
        "20261001",
    ]);
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn csv_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "date,kind,name\r\n",
        "\u{feff}",
        "# note\n",
        "2026-10-01",
        "2026-02-30",
        "9999-12-31",
        "-0001-01-01",
        ",",
        "holiday",
        "WORKDAY",
        "\"",
        "\"\"",
        "'=1",
        "国庆节",
        "\r\n",
        "\n",
        "\r",
        " ",
        "é",
    ]);
    prop::collection::vec(piece, 0..50).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn arbitrary_text_is_days_or_an_error_csv(text in any::<String>(), shaped in csv_text()) {
        for t in [&text, &shaped] {
            if let Err(e) = import_csv(t) {
                prop_assert!(e.line >= 1 && e.line <= t.split(['\n', '\r']).count().max(1), "line {} of {:?}", e.line, t);
            }
        }
    }

    #[test]
    fn arbitrary_text_is_days_or_an_error_ics(text in any::<String>(), shaped in ics_text()) {
        for t in [&text, &shaped] {
            match import_ics(t) {
                Ok(days) => {
                    let events = t.matches("BEGIN:VEVENT").count();
                    prop_assert!(days.len() <= events * MAX_EVENT_DAYS as usize, "{} days from {events} events", days.len());
                }
                Err(e) => prop_assert!(e.line >= 1, "{e:?}"),
            }
        }
    }
}
