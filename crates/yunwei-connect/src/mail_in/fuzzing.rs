//! The IMAP client's readers over arbitrary server bytes, without a network: for
//! the property tests here and the cargo-fuzz target `imap_response` (feature
//! `fuzzing`). Whatever a server sends, the client must answer with an error,
//! never a panic or an allocation the size of a number the server chose.

use super::proto::{Arg, Conn, Line};
use super::syntax;
use std::time::Duration;

/// Largest literal the fuzzed connection accepts (the real one uses the
/// configured `max_message_bytes`).
const MAX_LITERAL: usize = 64 * 1024;

/// Plays `server_bytes` as a server's side of a session: sends commands (one with
/// a literal argument, so continuations are read too) until the bytes run out or
/// the connection fails, and runs every response reader on every untagged line.
/// Returns how many untagged responses were read.
pub fn read_server_bytes(server_bytes: &[u8]) -> usize {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_time().build() else { return 0 };
    let stream = tokio::io::join(std::io::Cursor::new(server_bytes.to_vec()), tokio::io::sink());
    runtime.block_on(async move {
        let mut conn = Conn::new(Box::new(stream), Duration::from_secs(5), MAX_LITERAL);
        let mut seen = 0;
        if let Ok(greeting) = conn.read_line().await {
            read_everything(greeting);
        }
        let commands: [&[Arg<'_>]; 3] = [
            &[Arg::Raw("CAPABILITY")],
            &[Arg::Raw("LOGIN"), Arg::Str("服务台".as_bytes()), Arg::Str(b"secret")],
            &[Arg::Raw("UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])")],
        ];
        for args in commands.iter().cycle() {
            let Ok(reply) = conn.command(args).await else { break };
            let _ = syntax::parse_capabilities(&reply.untagged);
            for line in reply.untagged {
                seen += 1;
                read_everything(line);
            }
        }
        seen
    })
}

fn read_everything(line: Line) {
    let _ = line.text_lossy();
    let _ = syntax::parse_search(&line);
    let _ = syntax::response_code(&line, "UIDVALIDITY");
    let _ = syntax::parse_capabilities(std::slice::from_ref(&line));
    let _ = syntax::parse_fetch(line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of real responses, so generated input gets past the first token.
    fn server_text() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            "* ",
            "Y1 ",
            "Y2 ",
            "Y3 ",
            "OK",
            "NO",
            "BAD",
            "BYE",
            "+ go\r\n",
            "FETCH",
            "SEARCH",
            "CAPABILITY",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "{5}\r\n",
            "{0}\r\n",
            "{99999999}\r\n",
            "{3+}\r\n",
            "\"",
            "\\",
            " ",
            "\r\n",
            "\n",
            "UID",
            "17",
            "RFC822.SIZE",
            "BODY[]",
            "BODY[HEADER.FIELDS (FROM)]",
            "NIL",
            "UIDVALIDITY",
            "已处理",
            "\u{0}",
            "\u{ff}",
        ]);
        prop::collection::vec(piece, 0..60).prop_map(|v| v.concat().into_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn arbitrary_server_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = read_server_bytes(&bytes);
        }

        #[test]
        fn response_shaped_bytes_never_panic(bytes in server_text()) {
            let _ = read_server_bytes(&bytes);
        }

        #[test]
        fn uid_sets_cover_exactly_the_uids(uids in prop::collection::vec(any::<u32>(), 1..50)) {
            let set = syntax::uid_set(&uids);
            let mut back = Vec::new();
            for part in set.split(',') {
                match part.split_once(':') {
                    Some((a, b)) => {
                        let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
                        prop_assert!(a < b);
                        back.extend(a..=b);
                    }
                    None => back.push(part.parse().unwrap()),
                }
            }
            let mut want = uids.clone();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(back, want);
        }
    }

    #[test]
    fn a_scripted_session_is_read() {
        let script = b"* OK ready\r\nY1 OK done\r\n+ go\r\nY2 OK in\r\n* 1 FETCH (UID 7 BODY[] {3}\r\nabc)\r\nY3 OK fetched\r\n";
        assert_eq!(read_server_bytes(script), 1);
    }
}
