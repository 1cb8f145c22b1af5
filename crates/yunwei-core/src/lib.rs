//! Yunwei's use cases. Every command: authorise here (never only in the web
//! layer), decide with domain rules, write record + audit entry + outbox event
//! in one transaction. Work that follows a commit runs from the outbox.

/// Spreadsheets in and out (ADR 0018), for the web's downloads.
pub use yunwei_sheet as sheet;
pub mod admin;
pub mod alert;
pub mod asset;
pub mod audit;
pub mod audit_checkpoint;
pub mod auth;
pub mod cache;
pub mod change;
pub mod clock;
pub mod cmdb;
pub mod config;
pub mod context;
pub mod crypto;
pub mod demo;
pub mod directory;
pub mod duty;
pub mod error;
pub mod escalation;
pub mod home;
pub mod idempotency;
pub mod improvement;
pub mod incident;
pub mod knowledge;
pub mod live;
pub mod mail_in;
pub mod notify;
pub mod ops;
pub mod problem;
pub mod request;
pub mod saved_view;
pub mod scheduler;
pub mod search;
pub mod seed;
mod settings;
pub mod sla;
pub mod survey;
pub mod ticket;
pub mod totp;
pub mod webhook;

pub use clock::{Clock, FixedClock, SystemClock};
pub use config::CoreConfig;
pub use context::{Actor, Ctx, RequestMeta};
pub use error::{CoreError, Result};
pub use yunwei_domain as domain;

/// The store's record types that core's functions return or take, under the store's module
/// names. Types only: the store's functions are reachable through core alone, so a use case
/// cannot be skipped (ADR 0014). `yunwei-web` does not depend on `yunwei-store`.
pub mod store {
    pub use yunwei_store::StoreError;
    pub mod admin {
        pub use yunwei_store::admin::{Department, Role, Team, User, UserFilter};
    }
    pub mod attachment {
        pub use yunwei_store::attachment::AttachmentMeta;
    }
    pub mod audit {
        pub use yunwei_store::audit::{AuditFilter, AuditRecord, Verification};
    }
    pub mod auth {
        pub use yunwei_store::auth::ApiToken;
    }
    pub mod incident {
        pub use yunwei_store::incident::Category;
    }
    pub mod cmdb {
        pub use yunwei_store::cmdb::ci::Ci;
        pub use yunwei_store::cmdb::{CiAttribute, CiClass, CiRelation, CiRelationRule, CiRelationType};
    }
    pub mod jobs {
        pub use yunwei_store::jobs::Job;
    }
    pub mod mail_in {
        pub use yunwei_store::mail_in::InboundMail;
    }
    pub mod major {
        pub use yunwei_store::major::WarRoomEntry;
    }
    pub mod notify {
        pub use yunwei_store::notify::{Notification, Template};
    }
    pub mod request {
        pub use yunwei_store::request::Task;
    }
    /// The ticket kernel's timeline entry, shared by every ticket kind.
    pub mod ticket {
        pub use yunwei_store::ticket::Activity;
    }
    pub mod saved_view {
        pub use yunwei_store::saved_view::SavedView;
    }
    pub mod service {
        pub use yunwei_store::service::BusinessService;
    }
    pub mod sql {
        pub use yunwei_store::sql::Page;
    }
    pub mod asset {
        pub use yunwei_store::asset::{Asset, AssetStep};
    }
    pub mod knowledge {
        pub use yunwei_store::knowledge::{Article, ArticleVersion};
    }
    pub mod webhook {
        pub use yunwei_store::webhook::Webhook;
    }
    pub mod duty {
        pub use yunwei_store::duty::{Layer, Member, Override, Schedule};
    }
}

use std::sync::Arc;
use yunwei_store::Db;

/// The application: database, settings, clock and in-memory caches. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    /// Private to core: every read and write goes through a use case that authorises it.
    pub(crate) db: Db,
    pub config: Arc<CoreConfig>,
    pub clock: Arc<dyn Clock>,
    /// Names this process in leases and job runs.
    pub node_id: Arc<str>,
    pub(crate) tokens: Arc<auth::TokenCache>,
    pub(crate) wake_dispatcher: Arc<tokio::sync::Notify>,
    pub(crate) config_cache: Arc<cache::ConfigCache>,
    /// Committed events of this node's outbox poller, for live page updates.
    pub live: Arc<live::Hub>,
    /// The CMDB graph in memory, kept true from `ci_history` (ADR 0016).
    pub(crate) cmdb_graph: Arc<cmdb::graph::GraphCache>,
    /// Compiled on-call rosters, checked against the schedule's version (ADR 0029).
    pub(crate) duty_cache: Arc<duty::cache::RosterCache>,
    /// Words for people (the web layer's), for messages written outside a request.
    wording: Arc<std::sync::OnceLock<Arc<dyn notify::Wording>>>,
}

impl Core {
    pub fn new(db: Db, config: CoreConfig, clock: Arc<dyn Clock>) -> Self {
        let node_id: Arc<str> = config.node_id.clone().unwrap_or_else(|| format!("{}-{}", hostname(), std::process::id())).into();
        Core {
            db,
            config: Arc::new(config),
            clock,
            node_id,
            tokens: Arc::default(),
            wake_dispatcher: Arc::default(),
            config_cache: Arc::default(),
            live: Arc::default(),
            cmdb_graph: Arc::default(),
            duty_cache: Arc::default(),
            wording: Arc::default(),
        }
    }

    /// Installs the words chat robots are written in; the first installation stays.
    pub fn install_wording(&self, wording: Arc<dyn notify::Wording>) {
        let _ = self.wording.set(wording);
    }

    pub(crate) fn wording(&self) -> &dyn notify::Wording {
        match self.wording.get() {
            Some(w) => w.as_ref(),
            None => &notify::PlainWording,
        }
    }

    /// The store itself, for the operator's command line and the test kit, which opened the
    /// database and work beside the use cases (file locks, schema checks, fixtures). Only with
    /// the `operator` feature, which `yunwei-web` never enables.
    #[cfg(feature = "operator")]
    pub fn database(&self) -> &Db {
        &self.db
    }

    /// Closes the database's connections (the server's last act).
    pub async fn close(&self) {
        self.db.close().await;
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Applies migrations and seeds what every installation needs (roles, templates).
    pub async fn prepare(&self) -> Result<()> {
        yunwei_store::migrate::run(&self.db, self.now_ms()).await?;
        seed::builtin(self).await
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "node".into())
}

impl Core {
    /// Commits a command's transaction and wakes the dispatcher for the events it wrote.
    pub async fn commit(&self, tx: yunwei_store::Tx) -> Result<()> {
        self.commit_or(tx, CoreError::Store).await
    }

    /// Commits a command prepared without the writer (see `yunwei_store::batch`).
    pub async fn commit_batch(&self, batch: yunwei_store::Batch) -> Result<()> {
        let done = batch.commit().await;
        self.db.storage().note(&done);
        done?;
        self.wake_dispatcher.notify_one();
        Ok(())
    }

    /// As [`Core::commit`], with `error` saying what a failed commit means: on SQLite staged
    /// inserts meet their constraints only now (see `yunwei_store::tx`).
    pub async fn commit_or(&self, tx: yunwei_store::Tx, error: impl FnOnce(yunwei_store::StoreError) -> CoreError) -> Result<()> {
        let done = tx.commit().await;
        self.db.storage().note(&done);
        done.map_err(error)?;
        self.wake_dispatcher.notify_one();
        Ok(())
    }
}

/// A UTC instant shown in a user's zone, `YYYY-MM-DD HH:MM`.
pub fn format_time(ms: i64, zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let tz = jiff::tz::TimeZone::get(zone).or_else(|_| jiff::tz::TimeZone::get("Asia/Shanghai")).unwrap_or(jiff::tz::TimeZone::UTC);
    ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()
}

/// Whether a time zone name is known to this machine's zone database.
pub fn is_known_time_zone(zone: &str) -> bool {
    yunwei_domain::validate::looks_like_time_zone(zone) && jiff::tz::TimeZone::get(zone).is_ok()
}

/// Mail settings, as the configuration names them.
pub mod mail {
    pub use yunwei_connect::mail::{SmtpSecurity, SmtpSettings};
}

/// A moment for an export read by a person: to the second, in their zone, with the offset so
/// the cell is unambiguous wherever the file is opened.
pub fn format_time_exact(ms: i64, zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let tz = jiff::tz::TimeZone::get(zone).or_else(|_| jiff::tz::TimeZone::get("Asia/Shanghai")).unwrap_or(jiff::tz::TimeZone::UTC);
    ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M:%S %:z").to_string()
}
