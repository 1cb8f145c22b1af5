//! Just enough IMAP4rev1 (RFC 3501) for a poller: tagged commands with
//! literals in both directions and an idle timeout on every read. Reading
//! the responses' contents is in `syntax`.

use super::MailInError;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A text line (without its literals) longer than this is an error: a SEARCH
/// answer with 100 000 UIDs fits comfortably.
const MAX_LINE: usize = 8 * 1024 * 1024;

/// One server response: the text with each literal left as its `{n}` marker,
/// and the literals' bytes in order.
#[derive(Debug, Default)]
pub(crate) struct Line {
    pub text: Vec<u8>,
    pub literals: Vec<Vec<u8>>,
}

impl Line {
    pub fn text_lossy(&self) -> String {
        String::from_utf8_lossy(&self.text).trim_end().to_string()
    }

    /// For `* ...` lines, what follows the star.
    pub fn untagged(&self) -> Option<&[u8]> {
        self.text.strip_prefix(b"* ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
}

/// The untagged lines a command produced and how it ended.
#[derive(Debug)]
pub(crate) struct Reply {
    pub untagged: Vec<Line>,
    pub status: Status,
    pub text: String,
}

/// A piece of a command: raw protocol text, or a string the server must
/// receive verbatim (sent quoted when safe, else as a literal).
pub(crate) enum Arg<'a> {
    Raw(&'a str),
    Str(&'a [u8]),
}

pub(crate) struct Conn {
    stream: BufReader<Box<dyn Io>>,
    next_tag: u32,
    timeout: Duration,
    max_literal: usize,
}

impl Conn {
    pub fn new(stream: Box<dyn Io>, timeout: Duration, max_literal: usize) -> Self {
        Self { stream: BufReader::new(stream), next_tag: 1, timeout, max_literal }
    }

    /// Hands back the raw stream for the TLS upgrade. Bytes already buffered
    /// would have been sent before the handshake and could be an injection
    /// attempt, so they make the upgrade fail.
    pub fn into_stream(self) -> Result<Box<dyn Io>, MailInError> {
        if !self.stream.buffer().is_empty() {
            return Err(MailInError::Protocol("data after STARTTLS response".into()));
        }
        Ok(self.stream.into_inner())
    }

    fn timeout_err(&self) -> MailInError {
        MailInError::Timeout(self.timeout.as_secs())
    }

    async fn fill(&mut self) -> Result<&[u8], MailInError> {
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.stream.fill_buf()).await {
            Ok(Ok([])) => Err(MailInError::Closed("end of stream".into())),
            Ok(Ok(buf)) => Ok(buf),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(MailInError::Timeout(timeout.as_secs())),
        }
    }

    /// Reads up to and including LF.
    async fn read_text_line(&mut self, into: &mut Vec<u8>) -> Result<(), MailInError> {
        loop {
            let buf = self.fill().await?;
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            into.extend_from_slice(&buf[..take]);
            self.stream.consume(take);
            if into.len() > MAX_LINE {
                return Err(MailInError::Protocol("response line too long".into()));
            }
            if done {
                return Ok(());
            }
        }
    }

    async fn read_exact_bytes(&mut self, n: usize) -> Result<Vec<u8>, MailInError> {
        let mut out = Vec::with_capacity(n.min(1 << 20));
        while out.len() < n {
            let buf = self.fill().await?;
            let take = buf.len().min(n - out.len());
            out.extend_from_slice(&buf[..take]);
            self.stream.consume(take);
        }
        Ok(out)
    }

    /// One complete response, literals included.
    pub async fn read_line(&mut self) -> Result<Line, MailInError> {
        let mut line = Line::default();
        loop {
            let start = line.text.len();
            self.read_text_line(&mut line.text).await?;
            match literal_len(&line.text[start..]) {
                Some(n) => {
                    if n > self.max_literal {
                        return Err(MailInError::Protocol(format!("server sent a {n}-byte literal, over the limit")));
                    }
                    let bytes = self.read_exact_bytes(n).await?;
                    line.literals.push(bytes);
                }
                None => return Ok(line),
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), MailInError> {
        let timeout = self.timeout;
        let stream = self.stream.get_mut();
        match tokio::time::timeout(timeout, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await
        {
            Ok(r) => Ok(r?),
            Err(_) => Err(self.timeout_err()),
        }
    }

    /// Sends one command and reads until its tagged response. The verb (first
    /// raw word) is what errors name: arguments may be passwords.
    pub async fn command(&mut self, args: &[Arg<'_>]) -> Result<Reply, MailInError> {
        let tag = format!("Y{}", self.next_tag);
        self.next_tag += 1;
        let verb = match args.first() {
            Some(Arg::Raw(v)) => v.split(' ').take(2).collect::<Vec<_>>().join(" "),
            _ => String::from("command"),
        };
        let mut untagged = Vec::new();
        let mut pending = tag.clone().into_bytes();
        for arg in args {
            pending.push(b' ');
            match arg {
                Arg::Raw(s) => pending.extend_from_slice(s.as_bytes()),
                Arg::Str(s) if is_quotable(s) => {
                    pending.push(b'"');
                    for &b in *s {
                        if b == b'"' || b == b'\\' {
                            pending.push(b'\\');
                        }
                        pending.push(b);
                    }
                    pending.push(b'"');
                }
                Arg::Str(s) => {
                    pending.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
                    self.write(&pending).await?;
                    pending.clear();
                    // The server must ask for the literal with a continuation.
                    loop {
                        let line = self.read_line().await?;
                        if line.text.starts_with(b"+") {
                            break;
                        }
                        if let Some((status, text)) = tagged_status(&line, &tag) {
                            return Ok(Reply { untagged, status, text });
                        }
                        untagged.push(line);
                    }
                    self.write(s).await?;
                }
            }
        }
        pending.extend_from_slice(b"\r\n");
        self.write(&pending).await?;
        loop {
            let line = match self.read_line().await {
                Ok(line) => line,
                Err(MailInError::Closed(_)) => {
                    let bye = untagged.iter().rev().find_map(|l: &Line| l.untagged().filter(|u| starts_with_ci(u, b"BYE")).map(lossy));
                    return Err(MailInError::Closed(bye.unwrap_or_else(|| format!("during {verb}"))));
                }
                Err(e) => return Err(e),
            };
            if let Some((status, text)) = tagged_status(&line, &tag) {
                return Ok(Reply { untagged, status, text });
            }
            untagged.push(line);
        }
    }

    /// Like [`Conn::command`], but NO and BAD become errors.
    pub async fn command_ok(&mut self, args: &[Arg<'_>]) -> Result<Vec<Line>, MailInError> {
        let reply = self.command(args).await?;
        match reply.status {
            Status::Ok => Ok(reply.untagged),
            Status::No | Status::Bad => {
                let command = match args.first() {
                    Some(Arg::Raw(v)) => v.split(' ').take(2).collect::<Vec<_>>().join(" "),
                    _ => String::from("command"),
                };
                Err(MailInError::Refused { command, text: reply.text })
            }
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim_end().to_string()
}

pub(crate) fn starts_with_ci(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn tagged_status(line: &Line, tag: &str) -> Option<(Status, String)> {
    let rest = line.text.strip_prefix(tag.as_bytes())?.strip_prefix(b" ")?;
    let (status, text) = if starts_with_ci(rest, b"OK") {
        (Status::Ok, &rest[2..])
    } else if starts_with_ci(rest, b"NO") {
        (Status::No, &rest[2..])
    } else if starts_with_ci(rest, b"BAD") {
        (Status::Bad, &rest[3..])
    } else {
        return None;
    };
    Some((status, lossy(text).trim().to_string()))
}

/// `{123}\r\n` (or `{123+}`) at the end of a line segment announces a literal.
fn literal_len(segment: &[u8]) -> Option<usize> {
    let s = segment.strip_suffix(b"\n")?;
    let s = s.strip_suffix(b"\r").unwrap_or(s);
    let s = s.strip_suffix(b"}")?;
    let s = s.strip_suffix(b"+").unwrap_or(s);
    let open = s.iter().rposition(|&b| b == b'{')?;
    let digits = &s[open + 1..];
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn is_quotable(s: &[u8]) -> bool {
    s.len() < 1024 && s.iter().all(|&b| (0x20..0x7f).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::super::syntax::parse_capabilities;
    use super::*;

    #[test]
    fn literal_markers() {
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {12}\r\n"), Some(12));
        assert_eq!(literal_len(b"x {0}\r\n"), Some(0));
        assert_eq!(literal_len(b"x {5+}\r\n"), Some(5));
        assert_eq!(literal_len(b"* OK {not}\r\n"), None);
        assert_eq!(literal_len(b"* OK done\r\n"), None);
        assert_eq!(literal_len(b"{99999999999999999999}\r\n"), None);
    }

    use tokio::io::{AsyncReadExt, DuplexStream};

    fn scripted(max_literal: usize) -> (Conn, BufReader<DuplexStream>) {
        let (client, server) = tokio::io::duplex(64 * 1024);
        (Conn::new(Box::new(client), Duration::from_secs(5), max_literal), BufReader::new(server))
    }

    async fn expect_line(server: &mut BufReader<DuplexStream>, want: &str) {
        let mut line = String::new();
        server.read_line(&mut line).await.unwrap();
        assert_eq!(line, want);
    }

    #[tokio::test]
    async fn literal_arguments_wait_for_the_continuation() {
        let (mut conn, mut server) = scripted(1024);
        let script = tokio::spawn(async move {
            expect_line(&mut server, "Y1 LOGIN \"service\\\"desk\" {6}\r\n").await;
            server.get_mut().write_all(b"+ go ahead\r\n").await.unwrap();
            let mut literal = [0u8; 6];
            server.read_exact(&mut literal).await.unwrap();
            assert_eq!(&literal, "密码".as_bytes());
            expect_line(&mut server, "\r\n").await;
            server.get_mut().write_all(b"* CAPABILITY IMAP4rev1 MOVE\r\nY1 OK logged in\r\n").await.unwrap();
        });
        let reply = conn.command(&[Arg::Raw("LOGIN"), Arg::Str(b"service\"desk"), Arg::Str("密码".as_bytes())]).await.unwrap();
        assert_eq!(reply.status, Status::Ok);
        assert_eq!(reply.text, "logged in");
        assert_eq!(parse_capabilities(&reply.untagged), vec!["IMAP4REV1", "MOVE"]);
        script.await.unwrap();
    }

    #[tokio::test]
    async fn refusals_oversized_literals_and_bye() {
        let (mut conn, mut server) = scripted(16);
        server.get_mut().write_all(b"Y1 NO [NONEXISTENT] Unknown mailbox\r\n").await.unwrap();
        let err = conn.command_ok(&[Arg::Raw("SELECT"), Arg::Str(b"nope")]).await.unwrap_err();
        assert!(matches!(&err, MailInError::Refused { command, text } if command == "SELECT" && text.contains("Unknown mailbox")), "{err}");

        server.get_mut().write_all(b"* 1 FETCH (BODY[] {5000}\r\n").await.unwrap();
        let err = conn.command(&[Arg::Raw("UID FETCH 1 (BODY.PEEK[])")]).await.unwrap_err();
        assert!(matches!(err, MailInError::Protocol(_)), "{err}");

        let (mut conn, mut server) = scripted(16);
        tokio::spawn(async move {
            expect_line(&mut server, "Y1 NOOP\r\n").await;
            server.get_mut().write_all(b"* BYE shutting down\r\n").await.unwrap();
        });
        let err = conn.command(&[Arg::Raw("NOOP")]).await.unwrap_err();
        assert!(matches!(&err, MailInError::Closed(t) if t.contains("shutting down")), "{err}");
    }

    #[tokio::test]
    async fn silence_times_out() {
        let (client, _server) = tokio::io::duplex(1024);
        let mut conn = Conn::new(Box::new(client), Duration::from_millis(50), 16);
        assert!(matches!(conn.command(&[Arg::Raw("NOOP")]).await, Err(MailInError::Timeout(_))));
    }

    #[tokio::test]
    async fn data_injected_before_the_tls_handshake_is_refused() {
        let (mut conn, mut server) = scripted(16);
        server.get_mut().write_all(b"Y1 OK Begin TLS\r\n* OK injected\r\n").await.unwrap();
        conn.command_ok(&[Arg::Raw("STARTTLS")]).await.unwrap();
        assert!(matches!(conn.into_stream(), Err(MailInError::Protocol(_))));
    }

    #[test]
    fn quoting() {
        assert!(is_quotable(b"servicedesk"));
        assert!(!is_quotable("张三".as_bytes()));
        assert!(!is_quotable(b"a\r\nb"));
    }
}
