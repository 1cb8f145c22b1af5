//! Mail out over SMTP (lettre). Plain, STARTTLS or implicit TLS; optional login.

use lettre::message::{Mailbox, Message, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How the SMTP connection is protected (TLS: port 465).
pub type SmtpSecurity = crate::TransportSecurity;

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// `运维平台 <yunwei@bank.example>`
    pub from: String,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_timeout() -> u64 {
    20
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("smtp: {0}")]
    Smtp(String),
    /// The server refused for good (5xx): retrying will not help.
    #[error("smtp permanent failure: {0}")]
    Permanent(String),
}

impl MailError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Address(_) | Self::Build(_) | Self::Permanent(_))
    }
}

/// One message to one recipient. `thread_id` becomes the Message-ID root so a
/// mail client threads replies about the same record together.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub thread_id: Option<String>,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(s: &SmtpSettings) -> Result<Self, MailError> {
        let from: Mailbox = s.from.parse().map_err(|_| MailError::Address(s.from.clone()))?;
        let tls = |host: &str| TlsParameters::new(host.to_string()).map_err(|e| MailError::Smtp(e.to_string()));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
            .port(s.port)
            .timeout(Some(Duration::from_secs(s.timeout_seconds)));
        builder = match s.security {
            SmtpSecurity::None => builder.tls(Tls::None),
            SmtpSecurity::Starttls => builder.tls(Tls::Required(tls(&s.host)?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls(&s.host)?)),
        };
        if let (Some(user), Some(pass)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(Self { transport: builder.build(), from })
    }

    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let to: Mailbox = mail.to.parse().map_err(|_| MailError::Address(mail.to.clone()))?;
        let mut builder = Message::builder().from(self.from.clone()).to(to).subject(mail.subject.clone());
        if let Some(thread) = &mail.thread_id {
            let domain = self.from.email.domain().to_string();
            builder = builder.references(format!("<{thread}@{domain}>")).in_reply_to(format!("<{thread}@{domain}>"));
        }
        let message = builder
            .header(AutoSubmitted)
            .header(SuppressAutoResponse)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Smtp(e.to_string())),
        }
    }
}

type HeaderError = Box<dyn std::error::Error + Send + Sync>;

/// RFC 3834: this mail is machine-generated, so out-of-office replies must not answer it.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, HeaderError> {
        Ok(Self)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// The same request in Microsoft Exchange's words (common in Chinese banks).
#[derive(Clone)]
struct SuppressAutoResponse;

impl lettre::message::header::Header for SuppressAutoResponse {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }
    fn parse(_: &str) -> Result<Self, HeaderError> {
        Ok(Self)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "All".into())
    }
}
