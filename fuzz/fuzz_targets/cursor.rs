//! Paging cursors come from query strings: any text decodes or is refused, and a
//! decoded cursor encodes back to one that decodes to the same position.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yunwei_domain::page::{Cursor, PageRequest};

fuzz_target!(|text: &str| {
    if let Ok(cursor) = Cursor::decode(text) {
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
    }
    let _ = PageRequest::parse(Some(50), Some(text), true);
});
