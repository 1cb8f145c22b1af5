//! Settings: defaults < yunwei.toml < YUNWEI_* environment < command-line flags.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use yunwei_core::CoreConfig;
use yunwei_web::WebConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: String,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `yunwei.db` in the data directory.
    pub database_url: Option<String>,
    pub max_connections: u32,
    /// `text` or `json`.
    pub log_format: String,
    pub admin_username: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("yunwei-data"),
            database_url: None,
            max_connections: 16,
            log_format: "text".into(),
            admin_username: "admin".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub core: CoreConfig,
    pub web: WebConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Parse(PathBuf, String),
    #[error("environment variable {0}: {1}")]
    Env(&'static str, String),
    #[error("{0}")]
    Invalid(String),
}

/// Flags that override everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

impl Config {
    pub fn load(o: &Overrides) -> Result<Config, ConfigError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let path = o
            .config
            .clone()
            .or_else(|| env("YUNWEI_CONFIG").map(PathBuf::from))
            .or_else(|| Path::new("yunwei.toml").exists().then(|| PathBuf::from("yunwei.toml")));
        let mut c = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Read(p.clone(), e))?;
                toml::from_str::<Config>(&text).map_err(|e| ConfigError::Parse(p.clone(), e.to_string()))?
            }
            None => Config::default(),
        };
        c.apply_env(&env)?;
        if let Some(v) = &o.listen {
            c.server.listen = v.clone();
        }
        if let Some(v) = &o.data_dir {
            c.server.data_dir = v.clone();
        }
        if let Some(v) = &o.database_url {
            c.server.database_url = Some(v.clone());
        }
        c.core.data_dir = c.server.data_dir.clone();
        // Reached over https, cookies must never travel over plain http.
        if c.core.public_url.starts_with("https://") {
            c.web.secure_cookies = true;
        }
        c.core.validate().map_err(ConfigError::Invalid)?;
        Ok(c)
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(key: &'static str, v: String) -> Result<T, ConfigError> {
            v.parse().map_err(|_| ConfigError::Env(key, format!("cannot parse {v:?}")))
        }
        if let Some(v) = env("YUNWEI_LISTEN") {
            self.server.listen = v;
        }
        if let Some(v) = env("YUNWEI_DATA_DIR") {
            self.server.data_dir = v.into();
        }
        if let Some(v) = env("YUNWEI_DATABASE_URL") {
            self.server.database_url = Some(v);
        }
        if let Some(v) = env("YUNWEI_LOG_FORMAT") {
            self.server.log_format = v;
        }
        if let Some(v) = env("YUNWEI_PUBLIC_URL") {
            self.core.public_url = v;
        }
        if let Some(v) = env("YUNWEI_PASSWORD_PROFILE") {
            self.core.password_profile = serde_json::from_value(serde_json::Value::String(v.clone()))
                .map_err(|_| ConfigError::Env("YUNWEI_PASSWORD_PROFILE", format!("{v:?}: use cn-mlps or asvs")))?;
        }
        if let Some(v) = env("YUNWEI_AUDIT_RETENTION_DAYS") {
            self.core.audit_retention_days = parse("YUNWEI_AUDIT_RETENTION_DAYS", v)?;
        }
        if let Some(v) = env("YUNWEI_AUDIT_KEY_FILE") {
            self.core.audit_key_file = Some(v.into());
        }
        if let Some(v) = env("YUNWEI_AUDIT_CHECKPOINT_FILE") {
            self.core.audit_checkpoint_file = Some(v.into());
        }
        if let Some(v) = env("YUNWEI_AUDIT_CHECKPOINT_SECONDS") {
            self.core.audit_checkpoint_seconds = parse("YUNWEI_AUDIT_CHECKPOINT_SECONDS", v)?;
        }
        if let Some(v) = env("YUNWEI_SECURE_COOKIES") {
            self.web.secure_cookies = parse("YUNWEI_SECURE_COOKIES", v)?;
        }
        if let Some(v) = env("YUNWEI_METRICS_TOKEN") {
            self.web.metrics_token = Some(v);
        }
        if let Some(v) = env("YUNWEI_HEADER_READ_TIMEOUT_SECS") {
            self.web.header_read_timeout_secs = parse("YUNWEI_HEADER_READ_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("YUNWEI_BODY_READ_TIMEOUT_SECS") {
            self.web.body_read_timeout_secs = parse("YUNWEI_BODY_READ_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("YUNWEI_NODE_ID") {
            self.core.node_id = Some(v);
        }
        // Comma-separated CIDR ranges, e.g. YUNWEI_WEBHOOKS_ALLOW=10.20.0.0/16,127.0.0.1
        if let Some(v) = env("YUNWEI_WEBHOOKS_ALLOW") {
            self.core.webhooks.allow = v.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
        }
        if let Some(host) = env("YUNWEI_SMTP_HOST") {
            let port = env("YUNWEI_SMTP_PORT").map(|p| parse("YUNWEI_SMTP_PORT", p)).transpose()?.unwrap_or(587);
            let security = match env("YUNWEI_SMTP_SECURITY") {
                Some(s) => serde_json::from_value(serde_json::Value::String(s.clone()))
                    .map_err(|_| ConfigError::Env("YUNWEI_SMTP_SECURITY", format!("{s:?}: use none, starttls or tls")))?,
                None => Default::default(),
            };
            let from = env("YUNWEI_SMTP_FROM").ok_or(ConfigError::Env("YUNWEI_SMTP_FROM", "required with YUNWEI_SMTP_HOST".into()))?;
            self.core.smtp =
                Some(yunwei_connect_settings(host, port, security, env("YUNWEI_SMTP_USERNAME"), env("YUNWEI_SMTP_PASSWORD"), from));
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.server
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.server.data_dir.join("yunwei.db").display()))
    }
}

fn yunwei_connect_settings(
    host: String,
    port: u16,
    security: yunwei_core::mail::SmtpSecurity,
    username: Option<String>,
    password: Option<String>,
    from: String,
) -> yunwei_core::mail::SmtpSettings {
    yunwei_core::mail::SmtpSettings { host, port, security, username, password, from, timeout_seconds: 20 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_then_flags() {
        let dir = std::env::temp_dir().join(format!("yunwei-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("yunwei.toml");
        std::fs::write(&file, "[server]\nlisten = \"0.0.0.0:9000\"\nlog_format = \"json\"\n[core]\npassword_profile = \"asvs\"\naudit_retention_days = 400\n[core.lockout]\nmax_failures = 3\nlock_seconds = 600\n").unwrap();
        let c = Config::load(&Overrides { config: Some(file.clone()), listen: Some("127.0.0.1:1".into()), ..Default::default() }).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:1", "flags win");
        assert_eq!(c.server.log_format, "json");
        assert_eq!(c.core.audit_retention_days, 400);
        assert_eq!(c.core.lockout.max_failures, 3);
        assert_eq!(c.core.password_profile, yunwei_domain::auth::PasswordProfile::Asvs);
        std::fs::write(&file, "[server]\nlisten_typo = 1\n").unwrap();
        let err = Config::load(&Overrides { config: Some(file.clone()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("listen_typo"), "{err}");
        std::fs::write(&file, "[core]\naudit_key_file = \"/etc/yunwei/audit.key\"\n").unwrap();
        let c = Config::load(&Overrides { config: Some(file.clone()), ..Default::default() }).unwrap();
        assert_eq!(c.core.audit_checkpoint_path(), PathBuf::from("/etc/yunwei/audit-checkpoints.jsonl"), "beside the key");
        assert_eq!(c.core.audit_checkpoint_seconds, 60);
        std::fs::write(&file, "[core]\naudit_checkpoint_seconds = 0\n").unwrap();
        let err = Config::load(&Overrides { config: Some(file.clone()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("audit_checkpoint_seconds"), "{err}");
        std::fs::write(&file, "[core]\npublic_url = \"https://ops.bank.example\"\n").unwrap();
        let c = Config::load(&Overrides { config: Some(file.clone()), ..Default::default() }).unwrap();
        assert!(c.web.secure_cookies, "an https public address makes cookies Secure");
        std::fs::write(&file, "[core]\npublic_url = \"http://127.0.0.1:8080\"\n").unwrap();
        assert!(!Config::load(&Overrides { config: Some(file.clone()), ..Default::default() }).unwrap().web.secure_cookies);
        std::fs::write(&file, "[core]\naudit_retention_days = 30\n").unwrap();
        let err = Config::load(&Overrides { config: Some(file), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("at least 180 days"), "{err}");
    }

    #[test]
    fn smtp_password_is_not_printed() {
        let s = yunwei_connect_settings("mail".into(), 25, Default::default(), Some("u".into()), Some("hunter2".into()), "a@b.c".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
