//! The IMAP session a poller needs: log in, select, list unprocessed mail,
//! download it, and flag or move it once the caller has stored it.

use super::proto::{Arg, Conn, Io, Line, Reply, Status};
use super::syntax;
use super::{FetchedMail, ImapSecurity, ImapSettings, MailInError};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;

pub struct ImapClient {
    conn: Conn,
    settings: ImapSettings,
    uid_validity: u32,
    can_move: bool,
    uidplus: bool,
}

impl std::fmt::Debug for ImapClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapClient").field("settings", &self.settings).field("uid_validity", &self.uid_validity).finish()
    }
}

impl ImapClient {
    /// Connects, upgrades to TLS as configured, logs in, creates the processed
    /// mailbox if one is configured, and selects the mailbox to poll.
    pub async fn connect(settings: &ImapSettings) -> Result<ImapClient, MailInError> {
        settings.validate()?;
        let timeout = Duration::from_secs(settings.timeout_seconds);
        let tcp = match tokio::time::timeout(timeout, TcpStream::connect((settings.host.as_str(), settings.port))).await {
            Ok(r) => r?,
            Err(_) => return Err(MailInError::Timeout(settings.timeout_seconds)),
        };
        // Room for a body of the maximum size plus IMAP framing; a larger
        // literal means the server misreported RFC822.SIZE.
        let max_literal = usize::try_from(settings.max_message_bytes.saturating_mul(2).saturating_add(1 << 20)).unwrap_or(usize::MAX);
        let stream: Box<dyn Io> = match settings.security {
            ImapSecurity::Tls => tls_upgrade(settings, Box::new(tcp), timeout).await?,
            ImapSecurity::None | ImapSecurity::Starttls => Box::new(tcp),
        };
        let mut conn = Conn::new(stream, timeout, max_literal);
        let greeting = conn.read_line().await?;
        let greeting_text = greeting.untagged().map(|g| g.to_ascii_uppercase()).unwrap_or_default();
        if greeting_text.starts_with(b"BYE") {
            return Err(MailInError::Closed(greeting.text_lossy()));
        }
        let preauth = greeting_text.starts_with(b"PREAUTH");
        if !preauth && !greeting_text.starts_with(b"OK") {
            return Err(MailInError::Protocol(format!("unexpected greeting {:?}", greeting.text_lossy())));
        }
        if settings.security == ImapSecurity::Starttls {
            if preauth {
                // RFC 3501 forbids STARTTLS after PREAUTH; going on in clear would leak mail.
                return Err(MailInError::Tls("server sent PREAUTH, STARTTLS impossible".into()));
            }
            conn.command_ok(&[Arg::Raw("STARTTLS")]).await?;
            let tcp = conn.into_stream()?;
            let tls = tls_upgrade(settings, tcp, timeout).await?;
            conn = Conn::new(tls, timeout, max_literal);
        }
        if !preauth {
            let reply =
                conn.command(&[Arg::Raw("LOGIN"), Arg::Str(settings.username.as_bytes()), Arg::Str(settings.password.as_bytes())]).await?;
            if reply.status != Status::Ok {
                return Err(MailInError::Auth(reply.text));
            }
        }
        let caps = syntax::parse_capabilities(&conn.command_ok(&[Arg::Raw("CAPABILITY")]).await?);
        let mut client = ImapClient {
            conn,
            settings: settings.clone(),
            uid_validity: 0,
            can_move: caps.iter().any(|c| c == "MOVE"),
            uidplus: caps.iter().any(|c| c == "UIDPLUS"),
        };
        if let Some(processed) = &settings.processed_mailbox {
            let name = syntax::encode_mailbox(processed);
            // NO here usually means it exists already; a real problem shows at the first move.
            let reply = client.conn.command(&[Arg::Raw("CREATE"), Arg::Str(name.as_bytes())]).await?;
            if reply.status == Status::Bad {
                return Err(MailInError::Refused { command: "CREATE".into(), text: reply.text });
            }
        }
        let name = syntax::encode_mailbox(&settings.mailbox);
        let lines = client.conn.command_ok(&[Arg::Raw("SELECT"), Arg::Str(name.as_bytes())]).await?;
        client.note_uid_validity(&lines);
        if client.uid_validity == 0 {
            return Err(MailInError::Protocol("SELECT gave no UIDVALIDITY".into()));
        }
        Ok(client)
    }

    /// UIDVALIDITY of the selected mailbox: store it with each UID.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    fn note_uid_validity(&mut self, lines: &[Line]) {
        if let Some(v) = lines.iter().find_map(|l| syntax::response_code(l, "UIDVALIDITY")).and_then(|v| v.parse().ok()) {
            self.uid_validity = v;
        }
    }

    /// The unprocessed messages, oldest first, at most `batch_size`. Nothing
    /// changes on the server (BODY.PEEK), so a crash loses nothing.
    ///
    /// With `processed_mailbox` every message still in the mailbox counts as
    /// unprocessed, even if a person already read it in webmail; without it,
    /// the unread ones do.
    pub async fn fetch_new(&mut self) -> Result<Vec<FetchedMail>, MailInError> {
        // NOOP lets the server report mail that arrived since the last command.
        let lines = self.conn.command_ok(&[Arg::Raw("NOOP")]).await?;
        self.note_uid_validity(&lines);
        let criteria = if self.settings.processed_mailbox.is_some() { "UID SEARCH UNDELETED" } else { "UID SEARCH UNSEEN UNDELETED" };
        let lines = self.conn.command_ok(&[Arg::Raw(criteria)]).await?;
        let mut uids: Vec<u32> = lines.iter().filter_map(syntax::parse_search).flatten().collect();
        uids.sort_unstable();
        uids.dedup();
        uids.truncate(self.settings.batch_size);
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let uid_validity = self.uid_validity;
        let mut out = Vec::with_capacity(uids.len());
        for (uid, meta) in self.fetch_meta(&uids).await? {
            let (size, header) = match meta {
                Ok(m) => m,
                Err(reason) => {
                    out.push(FetchedMail::Unreadable { uid_validity, uid, size: None, reason });
                    continue;
                }
            };
            if size > self.settings.max_message_bytes {
                let (subject, from) = header.as_deref().map(summary).unwrap_or_default();
                out.push(FetchedMail::Oversize { uid_validity, uid, size, subject, from });
                continue;
            }
            // One message per command bounds what a single response can hold.
            let reply = match self.command_for_message(&format!("UID FETCH {uid} (UID BODY.PEEK[])")).await? {
                Ok(reply) => reply,
                Err(reason) => {
                    out.push(FetchedMail::Unreadable { uid_validity, uid, size: Some(size), reason });
                    continue;
                }
            };
            match refusal(&reply) {
                Some(Refusal::Bad(text)) => return Err(MailInError::Refused { command: "UID FETCH".into(), text }),
                Some(Refusal::Transient) => continue,
                Some(Refusal::Permanent(reason)) => out.push(FetchedMail::Unreadable { uid_validity, uid, size: Some(size), reason }),
                None => {
                    let body = reply.untagged.into_iter().filter_map(syntax::parse_fetch).find(|i| i.uid == Some(uid));
                    // Gone meanwhile (expunged by someone else): nothing to report.
                    if let Some(raw) = body.and_then(|i| i.body) {
                        out.push(FetchedMail::Message { uid_validity, uid, size, raw });
                    }
                }
            }
        }
        Ok(out)
    }

    /// Size and From/Subject of each UID, in one command; if the server
    /// refuses that (one damaged message can do it), one UID at a time so the
    /// damaged message cannot hold up the others.
    async fn fetch_meta(&mut self, uids: &[u32]) -> Result<Vec<(u32, Meta)>, MailInError> {
        const ITEMS: &str = "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])";
        let collect = |lines: Vec<Line>| {
            let mut found: Vec<(u32, Meta)> = lines
                .into_iter()
                .filter_map(syntax::parse_fetch)
                .filter_map(|i| Some((i.uid?, Ok((i.size?, i.header)))))
                .filter(|(uid, _)| uids.binary_search(uid).is_ok())
                .collect();
            found.sort_by_key(|(uid, _)| *uid);
            found.dedup_by_key(|(uid, _)| *uid);
            found
        };
        match self.conn.command(&[Arg::Raw(&format!("UID FETCH {} {ITEMS}", syntax::uid_set(uids)))]).await {
            Ok(reply) => match refusal(&reply) {
                None => return Ok(collect(reply.untagged)),
                Some(Refusal::Bad(text)) => return Err(MailInError::Refused { command: "UID FETCH".into(), text }),
                Some(_) => tracing::warn!(text = %reply.text, "imap: batch FETCH refused, fetching one by one"),
            },
            Err(MailInError::Closed(text)) => {
                tracing::warn!(%text, "imap: server closed the connection on a batch FETCH, fetching one by one");
                self.reconnect().await?;
            }
            Err(e) => return Err(e),
        }
        let mut out = Vec::with_capacity(uids.len());
        for &uid in uids {
            let reply = match self.command_for_message(&format!("UID FETCH {uid} {ITEMS}")).await? {
                Ok(reply) => reply,
                Err(reason) => {
                    out.push((uid, Err(reason)));
                    continue;
                }
            };
            match refusal(&reply) {
                None => out.extend(collect(reply.untagged).into_iter().filter(|(u, _)| *u == uid)),
                Some(Refusal::Bad(text)) => return Err(MailInError::Refused { command: "UID FETCH".into(), text }),
                Some(Refusal::Transient) => {}
                Some(Refusal::Permanent(reason)) => out.push((uid, Err(reason))),
            }
        }
        Ok(out)
    }

    /// A command about one message. Some servers (Dovecot among them) hang
    /// up when a message is damaged; then we reconnect and try once more, and
    /// if it happens again the message is reported unreadable (`Ok(Err)`)
    /// so it cannot block the mailbox for good.
    async fn command_for_message(&mut self, cmd: &str) -> Result<Result<Reply, String>, MailInError> {
        let first = match self.conn.command(&[Arg::Raw(cmd)]).await {
            Err(MailInError::Closed(text)) => text,
            other => return other.map(Ok),
        };
        tracing::warn!(text = %first, cmd, "imap: server closed the connection, reconnecting");
        self.reconnect().await?;
        let second = match self.conn.command(&[Arg::Raw(cmd)]).await {
            Err(MailInError::Closed(text)) => text,
            other => return other.map(Ok),
        };
        self.reconnect().await?;
        Ok(Err(format!("the server hangs up whenever asked for this message: {second}")))
    }

    async fn reconnect(&mut self) -> Result<(), MailInError> {
        let fresh = Box::pin(ImapClient::connect(&self.settings)).await?;
        if fresh.uid_validity != self.uid_validity {
            return Err(MailInError::UidValidityChanged { given: self.uid_validity, current: fresh.uid_validity });
        }
        *self = fresh;
        Ok(())
    }

    /// Flags the messages `\Seen` and, with `processed_mailbox`, moves them
    /// there. Call only after the messages are safely stored. `uid_validity`
    /// is the one they were fetched under: UIDs from an older UIDVALIDITY may
    /// name other messages now, and marking those would hide unread mail.
    pub async fn mark_processed(&mut self, uid_validity: u32, uids: &[u32]) -> Result<(), MailInError> {
        if uid_validity != self.uid_validity {
            return Err(MailInError::UidValidityChanged { given: uid_validity, current: self.uid_validity });
        }
        if uids.is_empty() {
            return Ok(());
        }
        let set = syntax::uid_set(uids);
        self.conn.command_ok(&[Arg::Raw(&format!("UID STORE {set} +FLAGS.SILENT (\\Seen)"))]).await?;
        let Some(processed) = self.settings.processed_mailbox.clone() else {
            return Ok(());
        };
        let target = syntax::encode_mailbox(&processed);
        if self.can_move {
            self.conn.command_ok(&[Arg::Raw(&format!("UID MOVE {set}")), Arg::Str(target.as_bytes())]).await?;
            return Ok(());
        }
        self.conn.command_ok(&[Arg::Raw(&format!("UID COPY {set}")), Arg::Str(target.as_bytes())]).await?;
        self.conn.command_ok(&[Arg::Raw(&format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)"))]).await?;
        // Without UIDPLUS a plain EXPUNGE also removes mail others flagged \Deleted in this mailbox.
        let expunge = if self.uidplus { format!("UID EXPUNGE {set}") } else { "EXPUNGE".into() };
        self.conn.command_ok(&[Arg::Raw(&expunge)]).await?;
        Ok(())
    }

    /// Stores a message in a mailbox (APPEND), unflagged: for the test
    /// fixture and for re-queueing a message by hand.
    pub async fn append(&mut self, mailbox: &str, raw: &[u8]) -> Result<(), MailInError> {
        let name = syntax::encode_mailbox(mailbox);
        self.conn.command_ok(&[Arg::Raw("APPEND"), Arg::Str(name.as_bytes()), Arg::Raw("()"), Arg::Str(raw)]).await?;
        Ok(())
    }

    /// Ends the session politely; dropping the client also works.
    pub async fn logout(mut self) -> Result<(), MailInError> {
        match self.conn.command(&[Arg::Raw("LOGOUT")]).await {
            Ok(_) | Err(MailInError::Closed(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// RFC822.SIZE and the raw From/Subject header fields, or why the server
/// would not give them.
type Meta = Result<(u64, Option<Vec<u8>>), String>;

enum Refusal {
    /// BAD: we sent something wrong; no point going on.
    Bad(String),
    /// NO that may pass (RFC 5530 UNAVAILABLE, INUSE, LIMIT, or the message
    /// being expunged): skip the message this time, it comes back next poll.
    Transient,
    /// Any other NO: the server cannot give us this message.
    Permanent(String),
}

fn refusal(reply: &Reply) -> Option<Refusal> {
    match reply.status {
        Status::Ok => None,
        Status::Bad => Some(Refusal::Bad(reply.text.clone())),
        Status::No => {
            let code = reply.text.strip_prefix('[').and_then(|t| t.split([']', ' ']).next()).unwrap_or_default().to_ascii_uppercase();
            if matches!(code.as_str(), "UNAVAILABLE" | "INUSE" | "LIMIT" | "EXPUNGEISSUED") {
                Some(Refusal::Transient)
            } else {
                Some(Refusal::Permanent(format!("server refused the message: {}", reply.text)))
            }
        }
    }
}

/// Decoded Subject and From of an oversize message, from its header fields.
fn summary(header: &[u8]) -> (Option<String>, Option<String>) {
    let Some(msg) = mail_parser::MessageParser::default().parse_headers(header) else {
        return (None, None);
    };
    let from = msg.from().and_then(|a| a.first()).and_then(|a| match (a.name(), a.address()) {
        (Some(n), Some(addr)) => Some(format!("{n} <{addr}>")),
        (None, Some(addr)) => Some(addr.to_string()),
        (Some(n), None) => Some(n.to_string()),
        (None, None) => None,
    });
    (msg.subject().map(str::to_string), from)
}

async fn tls_upgrade(settings: &ImapSettings, stream: Box<dyn Io>, timeout: Duration) -> Result<Box<dyn Io>, MailInError> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = &settings.tls_ca_file {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let pem = std::fs::read(path).map_err(|e| MailInError::Config(format!("tls_ca_file {path}: {e}")))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| MailInError::Config(format!("tls_ca_file {path}: {e}")))?;
            roots.add(cert).map_err(|e| MailInError::Config(format!("tls_ca_file {path}: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(MailInError::Config(format!("tls_ca_file {path}: no certificate found")));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MailInError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(settings.host.clone()).map_err(|e| MailInError::Config(format!("host: {e}")))?;
    let connector = TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Ok(Ok(tls)) => Ok(Box::new(tls)),
        Ok(Err(e)) => Err(MailInError::Tls(e.to_string())),
        Err(_) => Err(MailInError::Timeout(settings.timeout_seconds)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: Status, text: &str) -> Reply {
        Reply { untagged: Vec::new(), status, text: text.into() }
    }

    #[test]
    fn refusals_are_sorted_by_whether_they_pass() {
        assert!(refusal(&reply(Status::Ok, "done")).is_none());
        assert!(matches!(refusal(&reply(Status::No, "[UNAVAILABLE] try later")), Some(Refusal::Transient)));
        assert!(matches!(refusal(&reply(Status::No, "[inuse] locked")), Some(Refusal::Transient)));
        assert!(matches!(refusal(&reply(Status::No, "[EXPUNGEISSUED] gone")), Some(Refusal::Transient)));
        assert!(matches!(refusal(&reply(Status::No, "[SERVERBUG] broken")), Some(Refusal::Permanent(r)) if r.contains("SERVERBUG")));
        assert!(matches!(refusal(&reply(Status::No, "no reason")), Some(Refusal::Permanent(_))));
        assert!(matches!(refusal(&reply(Status::Bad, "syntax")), Some(Refusal::Bad(_))));
    }

    #[test]
    fn oversize_summary_decodes_headers() {
        let header = b"From: =?GB18030?B?y++wyw==?= <sun.ba@bank.example>\r\nSubject: =?UTF-8?B?5aSn6ZmE5Lu2?=\r\n\r\n";
        assert_eq!(summary(header), (Some("大附件".into()), Some("孙八 <sun.ba@bank.example>".into())));
        assert_eq!(summary(b"Subject: only\r\n\r\n"), (Some("only".into()), None));
        assert_eq!(summary(b""), (None, None));
    }
}
