//! Holiday lists as CSV from spreadsheets: any text is days or an error naming a
//! line, and what import accepts exports and imports back to the same days.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yunwei_calendar::csv::{export_days, import_csv};

fuzz_target!(|text: &str| {
    if let Ok(days) = import_csv(text) {
        assert_eq!(import_csv(&export_days(&days)).ok(), Some(days));
    }
});
