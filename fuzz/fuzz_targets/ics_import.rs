//! iCalendar files are uploaded by administrators and fetched from public feeds:
//! any text is days or an error naming a line, and what import accepts exports
//! and imports back to the same days.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yunwei_calendar::ics::{export_days, import_ics};

fuzz_target!(|text: &str| {
    if let Ok(days) = import_ics(text) {
        let again = export_days(&days, "fuzz", jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(import_ics(&again).ok(), Some(days));
    }
});
