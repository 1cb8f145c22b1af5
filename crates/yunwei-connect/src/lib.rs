//! The outside world. Each module speaks one protocol and knows nothing of the
//! database; core decides what to send and records the outcome.

pub mod chat;
pub mod mail;
pub mod mail_in;
#[cfg(any(test, feature = "testing"))]
pub mod test_setup;
pub mod webhook;

use serde::{Deserialize, Serialize};

/// How a mail connection is protected, outgoing (SMTP: STARTTLS on 25/587, TLS on 465) and
/// incoming (IMAP: STARTTLS on 143, TLS on 993) alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransportSecurity {
    /// No TLS: only for a server on the same host or a trusted segment.
    None,
    /// STARTTLS, required.
    #[default]
    Starttls,
    /// TLS from the first byte.
    Tls,
}
