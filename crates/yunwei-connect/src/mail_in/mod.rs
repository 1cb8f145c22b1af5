//! Mail in: poll an IMAP mailbox and turn each message into something the
//! service desk can file (new ticket, reply on a ticket, or ignore).
//!
//! The pieces, used in this order by the poller in core:
//!
//! 1. [`ImapClient::connect`] with [`ImapSettings`], then [`ImapClient::fetch_new`]:
//!    the unprocessed messages, oldest first, at most `batch_size` per call. Each
//!    carries the mailbox UIDVALIDITY and its UID; messages over
//!    `max_message_bytes` come back as [`FetchedMail::Oversize`] without a body,
//!    ones the server cannot read as [`FetchedMail::Unreadable`].
//! 2. [`parse_mail`] on the raw bytes: a [`ParsedMail`] (with its [`MailKind`]:
//!    auto-replies and bounces are to be recorded but never answered), or a
//!    [`MalformedMail`] with the reason. Keep the raw bytes in both cases.
//! 3. [`ticket_reference`] on the subject (and [`ticket_reference_in_ids`] on
//!    In-Reply-To/References) decides reply-on-ticket versus new ticket.
//! 4. Store the mail (raw bytes, outcome, `(mailbox, uid_validity, uid)` as a
//!    unique key) and commit, and only then [`ImapClient::mark_processed`].
//!
//! Delivery is at least once: if the process dies or the server drops the
//! connection between the commit and `mark_processed`, the same message is
//! fetched again next poll. The caller must treat an already stored
//! `(mailbox, uid_validity, uid)` (or, across a UIDVALIDITY change, an already
//! stored Message-ID from the same sender) as done and just mark it again.
//! Nothing is ever deleted from the server: processed mail is flagged `\Seen`
//! or moved to `processed_mailbox`, so every message stays recoverable.

mod classify;
mod client;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod parse;
mod proto;
mod syntax;
mod ticket;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use client::ImapClient;
pub use parse::{Attachment, MailAddress, MailKind, MalformedMail, ParsedMail, parse_mail};
pub use ticket::{strip_reply_prefixes, tag_subject, ticket_reference, ticket_reference_in_ids, ticket_tag};

use serde::{Deserialize, Serialize};

/// How the IMAP connection is protected (STARTTLS: port 143; TLS: port 993).
pub type ImapSecurity = crate::TransportSecurity;

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: ImapSecurity,
    pub username: String,
    pub password: String,
    #[serde(default = "default_mailbox")]
    pub mailbox: String,
    /// Move processed mail here (created if missing); without it processed
    /// mail stays in `mailbox` and is only flagged `\Seen`.
    #[serde(default)]
    pub processed_mailbox: Option<String>,
    /// Larger messages are not downloaded; they are reported as oversize.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: u64,
    /// At most this many messages per `fetch_new`, so a flooded mailbox cannot
    /// exhaust memory; the caller simply polls again.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// PEM file with the CA of an internal mail server, trusted in addition to
    /// the public roots.
    #[serde(default)]
    pub tls_ca_file: Option<String>,
    /// Without any data from the server for this long, the operation fails.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_mailbox() -> String {
    "INBOX".into()
}
fn default_max_message_bytes() -> u64 {
    10 * 1024 * 1024
}
fn default_batch_size() -> usize {
    50
}
fn default_timeout() -> u64 {
    30
}

impl ImapSettings {
    /// Settings with the defaults for everything but the server and account.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        security: ImapSecurity,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            host: host.into(),
            port,
            security,
            username: username.into(),
            password: password.into(),
            mailbox: default_mailbox(),
            processed_mailbox: None,
            max_message_bytes: default_max_message_bytes(),
            batch_size: default_batch_size(),
            tls_ca_file: None,
            timeout_seconds: default_timeout(),
        }
    }

    pub fn validate(&self) -> Result<(), MailInError> {
        let bad = |m: &str| Err(MailInError::Config(m.into()));
        if self.host.trim().is_empty() {
            return bad("host is empty");
        }
        if self.mailbox.trim().is_empty() {
            return bad("mailbox is empty");
        }
        if let Some(p) = &self.processed_mailbox
            && (p.trim().is_empty() || p == &self.mailbox)
        {
            return bad("processed_mailbox must be a different, non-empty mailbox");
        }
        if self.max_message_bytes == 0 || self.batch_size == 0 || self.timeout_seconds == 0 {
            return bad("max_message_bytes, batch_size and timeout_seconds must be positive");
        }
        let has_control = |s: &str| s.chars().any(|c| c == '\r' || c == '\n' || c == '\0');
        if has_control(&self.username) || has_control(&self.password) || has_control(&self.mailbox) {
            return bad("username, password and mailbox must not contain CR, LF or NUL");
        }
        Ok(())
    }
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"***")
            .field("mailbox", &self.mailbox)
            .field("processed_mailbox", &self.processed_mailbox)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("batch_size", &self.batch_size)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailInError {
    #[error("imap settings: {0}")]
    Config(String),
    #[error("imap connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("imap server did not answer within {0} s")]
    Timeout(u64),
    #[error("imap tls: {0}")]
    Tls(String),
    #[error("imap login refused: {0}")]
    Auth(String),
    /// The server answered NO or BAD to a command.
    #[error("imap {command} refused: {text}")]
    Refused { command: String, text: String },
    #[error("imap protocol: {0}")]
    Protocol(String),
    #[error("imap server closed the connection: {0}")]
    Closed(String),
    /// The mailbox was recreated (or its UIDs reset) since the UIDs were fetched.
    #[error("mailbox UIDVALIDITY is now {current}, the UIDs given belong to {given}")]
    UidValidityChanged { given: u32, current: u32 },
}

impl MailInError {
    /// Worth retrying at the next poll (network, timeout, server trouble), as
    /// opposed to settings or credentials that need a person.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Config(_) | Self::Auth(_) | Self::Tls(_))
    }
}

/// One message found by [`ImapClient::fetch_new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchedMail {
    Message {
        uid_validity: u32,
        uid: u32,
        size: u64,
        /// The message exactly as stored on the server.
        raw: Vec<u8>,
    },
    /// Larger than `max_message_bytes`: left on the server, body not fetched.
    /// Record it with the reason and mark it processed like any other.
    Oversize { uid_validity: u32, uid: u32, size: u64, subject: Option<String>, from: Option<String> },
    /// The server refused to hand it out (damaged on the server). Record it
    /// with the reason and mark it processed; it stays on the server, and one
    /// bad message cannot block the mailbox.
    Unreadable { uid_validity: u32, uid: u32, size: Option<u64>, reason: String },
}

impl FetchedMail {
    pub fn uid(&self) -> u32 {
        match self {
            Self::Message { uid, .. } | Self::Oversize { uid, .. } | Self::Unreadable { uid, .. } => *uid,
        }
    }

    pub fn uid_validity(&self) -> u32 {
        match self {
            Self::Message { uid_validity, .. } | Self::Oversize { uid_validity, .. } | Self::Unreadable { uid_validity, .. } => {
                *uid_validity
            }
        }
    }

    /// RFC822.SIZE as the server reported it, when it did.
    pub fn size(&self) -> Option<u64> {
        match self {
            Self::Message { size, .. } | Self::Oversize { size, .. } => Some(*size),
            Self::Unreadable { size, .. } => *size,
        }
    }

    pub fn raw(&self) -> Option<&[u8]> {
        match self {
            Self::Message { raw, .. } => Some(raw),
            Self::Oversize { .. } | Self::Unreadable { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_defaults_and_hidden_password() {
        let s: ImapSettings = serde_json::from_str(
            r#"{"host":"mail.bank.example","port":993,"security":"tls","username":"servicedesk","password":"hunter2"}"#,
        )
        .unwrap();
        assert_eq!(s.mailbox, "INBOX");
        assert_eq!(s.max_message_bytes, 10 * 1024 * 1024);
        assert_eq!(s.processed_mailbox, None);
        assert_eq!(s.security, ImapSecurity::Tls);
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("servicedesk"));
        s.validate().unwrap();
    }

    #[test]
    fn settings_reject_unknown_fields_and_bad_values() {
        let err = serde_json::from_str::<ImapSettings>(r#"{"host":"h","port":1,"username":"u","password":"p","passwd":"x"}"#);
        assert!(err.is_err());
        let mut s = ImapSettings::new("h", 143, ImapSecurity::None, "u", "p");
        s.processed_mailbox = Some("INBOX".into());
        assert!(matches!(s.validate(), Err(MailInError::Config(_))));
        s.processed_mailbox = None;
        s.password = "a\r\nb".into();
        assert!(matches!(s.validate(), Err(MailInError::Config(_))));
    }
}
