//! Settings the use cases need. Loaded by the binary (defaults < yunwei.toml <
//! YUNWEI_* < flags); secrets are never printed (see `Debug` of SmtpSettings).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use yunwei_connect::mail::SmtpSettings;
use yunwei_domain::auth::{LockoutPolicy, PasswordPolicy, PasswordProfile, SessionPolicy};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoreConfig {
    pub password_profile: PasswordProfile,
    pub lockout: LockoutPolicy,
    pub session: SessionPolicy,
    /// Audit rows older than this move to an archive file in `data_dir/audit-archive`.
    pub audit_retention_days: u32,
    /// Granting, changing or taking away an administrator duty waits for a second person's
    /// approval (四眼原则). On by default; turn off only where one person holds the security duty alone.
    pub four_eyes: bool,
    /// The key of the audit checkpoints (ADR 0008), created on first start: 32 random bytes,
    /// hex, mode 0600. Default `data_dir/audit.key`; in production a path the database's
    /// administrators cannot read, such as /etc/yunwei/audit.key.
    pub audit_key_file: Option<PathBuf>,
    /// Where checkpoints are appended, one JSON line each. Default: beside the key file.
    pub audit_checkpoint_file: Option<PathBuf>,
    /// How often the serving node writes a checkpoint when the audit chain has grown.
    pub audit_checkpoint_seconds: u64,
    /// Used in links inside notifications.
    pub public_url: String,
    pub data_dir: PathBuf,
    pub smtp: Option<SmtpSettings>,
    /// The service-desk mailbox to turn mail into tickets (`[core.mail_in]`).
    pub mail_in: Option<crate::mail_in::MailInSettings>,
    /// Attempts before a delivery is dead-lettered.
    pub max_delivery_attempts: u32,
    pub node_id: Option<String>,
    pub default_locale: String,
    pub default_time_zone: String,
    /// Outbound webhooks (`[core.webhooks]`): which internal addresses they may reach.
    pub webhooks: WebhookSettings,
}

/// `allow`: CIDR ranges webhooks may reach although they are loopback, private, link-local
/// and the like (refused by default, against SSRF). `hosts`: names answered without DNS.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    pub allow: Vec<String>,
    pub hosts: std::collections::BTreeMap<String, String>,
}

impl WebhookSettings {
    pub fn guard(&self) -> Result<yunwei_connect::webhook::Guard, String> {
        yunwei_connect::webhook::Guard::new(&self.allow, &self.hosts).map_err(|e| format!("core.webhooks: {e}"))
    }
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            password_profile: PasswordProfile::CnMlps,
            lockout: LockoutPolicy::default(),
            session: SessionPolicy::default(),
            audit_retention_days: 365,
            four_eyes: true,
            audit_key_file: None,
            audit_checkpoint_file: None,
            audit_checkpoint_seconds: 60,
            public_url: DEFAULT_PUBLIC_URL.into(),
            data_dir: PathBuf::from("yunwei-data"),
            smtp: None,
            mail_in: None,
            max_delivery_attempts: 8,
            node_id: None,
            default_locale: "zh-CN".into(),
            default_time_zone: "Asia/Shanghai".into(),
            webhooks: WebhookSettings::default(),
        }
    }
}

/// SPEC AUD: the audit log is kept at least this long.
pub const MIN_AUDIT_RETENTION_DAYS: u32 = 180;

impl CoreConfig {
    /// Settings that would break a rule of the platform are refused at start.
    pub fn validate(&self) -> Result<(), String> {
        if self.audit_retention_days < MIN_AUDIT_RETENTION_DAYS {
            return Err(format!(
                "core.audit_retention_days is {}, but the audit log must be kept at least {MIN_AUDIT_RETENTION_DAYS} days",
                self.audit_retention_days
            ));
        }
        self.webhooks.guard()?;
        if !(1..=3600).contains(&self.audit_checkpoint_seconds) {
            return Err(format!("core.audit_checkpoint_seconds is {}; use 1 to 3600", self.audit_checkpoint_seconds));
        }
        if self.max_delivery_attempts == 0 {
            return Err("core.max_delivery_attempts must be at least 1".into());
        }
        Ok(())
    }

    /// The audit checkpoint key file (see `audit_key_file`).
    pub fn audit_key_path(&self) -> PathBuf {
        self.audit_key_file.clone().unwrap_or_else(|| self.data_dir.join("audit.key"))
    }

    /// The audit checkpoint file (see `audit_checkpoint_file`): by default beside the key.
    pub fn audit_checkpoint_path(&self) -> PathBuf {
        self.audit_checkpoint_file.clone().unwrap_or_else(|| {
            let key = self.audit_key_path();
            key.parent().map_or_else(|| PathBuf::from("audit-checkpoints.jsonl"), |d| d.join("audit-checkpoints.jsonl"))
        })
    }

    pub fn password_policy(&self) -> PasswordPolicy {
        PasswordPolicy::of(self.password_profile)
    }
}

/// The address that built-in settings give `public_url` (links in e-mail lead here).
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// Why links in e-mail may not reach the server (issue 15: they used the default whatever
/// `--listen` said).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicUrlIssue {
    /// `public_url` was left at the built-in default.
    Unset { listen: String },
    /// `public_url` names an address and port the server does not listen on.
    Mismatch { public_url: String, listen: String },
}

/// Checks `public_url` against the address the server listens on. A host name (a reverse
/// proxy, DNS) cannot be checked from here and passes; an IP address or `localhost` must be
/// one the server answers on, with the same port.
pub fn check_public_url(public_url: &str, listen: std::net::SocketAddr) -> Option<PublicUrlIssue> {
    use std::net::IpAddr;
    if public_url.trim_end_matches('/') == DEFAULT_PUBLIC_URL {
        return Some(PublicUrlIssue::Unset { listen: listen.to_string() });
    }
    let mismatch = || Some(PublicUrlIssue::Mismatch { public_url: public_url.to_string(), listen: listen.to_string() });
    let Some((scheme, rest)) = public_url.split_once("://") else { return mismatch() };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return mismatch(),
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) => match p.parse::<u16>() {
            Ok(p) => p,
            Err(_) => return mismatch(),
        },
        None if scheme == "https" => 443,
        None => 80,
    };
    let ip: IpAddr = match host {
        "localhost" => IpAddr::from([127, 0, 0, 1]),
        h => match h.parse() {
            Ok(ip) => ip,
            Err(_) => return None,
        },
    };
    let listen_ip = listen.ip();
    let reachable =
        if listen_ip.is_unspecified() { !ip.is_loopback() } else { ip == listen_ip || (ip.is_loopback() && listen_ip.is_loopback()) };
    if port != listen.port() || !reachable { mismatch() } else { None }
}

#[cfg(test)]
mod public_url_tests {
    use super::*;

    #[test]
    fn public_url_is_checked_against_the_listening_address() {
        let at = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        assert!(matches!(check_public_url(DEFAULT_PUBLIC_URL, at("127.0.0.1:8080")), Some(PublicUrlIssue::Unset { .. })));
        assert_eq!(check_public_url("http://127.0.0.1:9000/", at("127.0.0.1:9000")), None);
        assert_eq!(check_public_url("http://localhost:9000", at("127.0.0.1:9000")), None);
        assert_eq!(check_public_url("https://ops.bank.example", at("0.0.0.0:8080")), None, "a proxy's name cannot be checked");
        assert_eq!(check_public_url("http://10.20.1.5:8080", at("0.0.0.0:8080")), None);
        assert_eq!(check_public_url("http://[::1]:8080", at("[::1]:8080")), None);
        for (url, listen) in [
            ("http://127.0.0.1:9000", "127.0.0.1:8080"),
            ("http://127.0.0.1:8080", "0.0.0.0:8080"),
            ("http://10.20.1.5:8080", "10.20.1.6:8080"),
            ("http://10.20.1.5", "10.20.1.5:8080"),
            ("no scheme", "127.0.0.1:8080"),
        ] {
            assert!(matches!(check_public_url(url, at(listen)), Some(PublicUrlIssue::Mismatch { .. })), "{url} on {listen}");
        }
    }
}
