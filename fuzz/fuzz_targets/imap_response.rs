//! Whatever an IMAP server sends (greeting, untagged lines, literals, tagged
//! replies, continuations), the client reads it or fails with an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = yunwei_connect::mail_in::fuzzing::read_server_bytes(bytes);
});
