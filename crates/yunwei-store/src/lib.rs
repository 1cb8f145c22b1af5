//! SQL storage on SQLite (embedded default) or PostgreSQL (scale-out), from one
//! code path over sqlx's `Any` driver. Timestamps are unix milliseconds (UTC),
//! booleans are 0/1 integers, JSON is text: the portable subset of both engines.

// First: the other modules declare their tables with its `table!`.
#[macro_use]
pub mod table;

pub mod admin;
pub mod alert;
pub mod asset;
pub mod attachment;
pub mod audit;
mod audit_archive;
pub mod auth;
pub mod batch;
pub mod bulk_load;
pub mod change;
pub mod cmdb;
pub mod cmdb_graph;
pub mod duty;
pub mod duty_grant;
pub mod duty_log;
pub mod escalation;
pub mod idempotency;
pub mod improvement;
pub mod incident;
pub mod jobs;
pub mod knowledge;
pub mod mail_in;
pub mod major;
pub mod migrate;
pub mod notify;
pub mod problem;
pub mod request;
pub mod saved_view;
pub mod search;
pub mod service;
pub mod settings;
pub mod sla;
pub mod sql;
mod staged;
pub mod survey;
pub mod testing;
pub mod throttle;
pub mod ticket;
pub mod tx;
pub mod webhook;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

pub use sqlx::AnyConnection as Conn;
/// One snapshot of the database for a read of several statements ([`Db::snapshot`]).
pub type Snapshot = sqlx::Transaction<'static, sqlx::Any>;
pub use sqlx::Error as SqlxError;
pub use sqlx::Row;
pub use sqlx::any::AnyRow;

pub use batch::{Batch, Stage};
pub use tx::{Tx, WriteConn};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("unsupported database url (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the database writer stayed busy for 30 s")]
    WriterBusy,
    #[error("the database is closed")]
    Closed,
    /// Another process inserted a row with an id this node had reserved; run the command again.
    #[error("a reserved id was taken by another process")]
    StaleId,
    /// Another request with the same idempotency key committed first; this one's work was undone.
    #[error("another request with this idempotency key committed first")]
    IdempotencyKeyTaken,
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// A unique or primary-key constraint said no: the caller maps it to a 409.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Sql(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }

    /// The database could not take the work just now: the writer stayed busy, another
    /// process held SQLite's lock past the busy timeout or committed under this
    /// transaction's snapshot, or PostgreSQL reported a serialization failure, a deadlock
    /// or a lock not available. Nothing was written; the same request may succeed again.
    pub fn is_busy(&self) -> bool {
        // SQLite's extended codes of SQLITE_BUSY and SQLITE_LOCKED; PostgreSQL's SQLSTATEs.
        const BUSY: [&str; 9] = ["5", "6", "261", "262", "517", "773", "40001", "40P01", "55P03"];
        match self {
            Self::WriterBusy | Self::Sql(sqlx::Error::PoolTimedOut) => true,
            Self::Sql(sqlx::Error::Database(e)) => e.code().is_some_and(|c| BUSY.contains(&c.as_ref())),
            _ => false,
        }
    }

    /// The disk (or the account's quota) is full: SQLite's `SQLITE_FULL` (13), PostgreSQL's
    /// `disk_full` (53100), or `ENOSPC`/`EDQUOT` from a file this store writes. Nothing was
    /// written; the same request succeeds once there is space again.
    pub fn is_storage_full(&self) -> bool {
        match self {
            Self::Sql(sqlx::Error::Database(e)) => e.code().is_some_and(|c| c == "13" || c == "53100"),
            Self::Sql(sqlx::Error::Io(e)) | Self::Io(e) => matches!(e.raw_os_error(), Some(28 | 122)),
            _ => false,
        }
    }

    pub fn is_foreign_key_violation(&self) -> bool {
        match self {
            Self::Sql(sqlx::Error::Database(e)) => e.is_foreign_key_violation(),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether writes are failing for want of space, for readiness (ADR 0011): set by a write
/// that failed so, cleared only by [`Db::probe_storage`]. A write that succeeds does not
/// clear it: on a full disk SQLite still commits small writes into WAL pages it can reuse.
#[derive(Debug, Default)]
pub struct StorageHealth {
    full_since_ms: AtomicI64,
    probed_ms: AtomicI64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl StorageHealth {
    /// Records the outcome of a write.
    pub fn note<T>(&self, outcome: &Result<T>) {
        if let Err(e) = outcome
            && e.is_storage_full()
        {
            self.mark_full();
        }
    }

    pub fn mark_full(&self) {
        let _ = self.full_since_ms.compare_exchange(0, now_ms(), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Since when writes have been failing for want of space.
    pub fn full_since_ms(&self) -> Option<i64> {
        Some(self.full_since_ms.load(Ordering::Relaxed)).filter(|t| *t != 0)
    }
}

/// How this process uses the database (ADR 0011).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// The serving node, SQLite's main writer: its write connection rests in an empty
    /// deferred transaction between commands (ADR 0006).
    #[default]
    Serve,
    /// A command-line tool beside a running server: on SQLite every write transaction starts
    /// with `BEGIN IMMEDIATE`, so it waits for the write lock (busy timeout) before it reads
    /// anything, and never upgrades a read to a write (which SQLite answers at once with
    /// `SQLITE_BUSY` or `SQLITE_BUSY_SNAPSHOT`). Nothing rests in a transaction.
    Tool,
    /// Reads only: SQLite connections are `query_only` and leave the journal mode alone;
    /// PostgreSQL sessions default to read-only transactions. Any write fails.
    ReadOnly,
}

/// The database. On SQLite, writes go through one connection so that transactions
/// never fight over the write lock; reads use a pool (WAL). On PostgreSQL reads and
/// writes share one pool.
#[derive(Clone, Debug)]
pub struct Db {
    pub read: AnyPool,
    writer: tx::Writer,
    pub backend: Backend,
    pub access: Access,
    storage: Arc<StorageHealth>,
    url_redacted: String,
}

impl Db {
    /// The serving node's database ([`Access::Serve`]).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        Self::connect_as(url, max_connections, Access::Serve).await
    }

    pub async fn connect_as(url: &str, max_connections: u32, access: Access) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .min_connections(if max > 1 { 1 } else { 0 })
                .acquire_timeout(Duration::from_secs(30))
                // A file needs no liveness ping: on SQLite each would be one more hand-off to
                // the connection's worker thread per acquire (ADR 0006).
                .test_before_acquire(backend == Backend::Postgres)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        match backend {
                            Backend::Sqlite => configure_sqlite(conn, access).await?,
                            Backend::Postgres if access == Access::ReadOnly => {
                                conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY").await?;
                            }
                            Backend::Postgres => {}
                        }
                        Ok(())
                    })
                })
                .connect_with(options.clone())
        };
        let (read, writer) = match backend {
            Backend::Sqlite => {
                let mut conn = AnyConnection::connect_with(&options).await?;
                configure_sqlite(&mut conn, access).await?;
                let immediate = access != Access::Serve;
                (pool(max_connections.max(2)).await?, tx::Writer::Sqlite(tx::SqliteWriter::new(conn, immediate)))
            }
            Backend::Postgres => {
                let p = pool(max_connections.max(2)).await?;
                (p.clone(), tx::Writer::Postgres(p))
            }
        };
        Ok(Db { read, writer, backend, access, storage: Arc::default(), url_redacted: redact(url) })
    }

    /// One transaction per command.
    pub async fn begin(&self) -> Result<Tx> {
        self.writer.begin().await
    }

    /// A command's staged writes, prepared without the writer (see [`batch`]).
    pub fn batch(&self) -> Batch {
        Batch::new(self.writer.clone(), self.read.clone(), self.backend)
    }

    /// Group commit on SQLite: (batches waiting, size of the last group sent); `None` on PostgreSQL.
    pub fn group_commit_state(&self) -> Option<(usize, usize)> {
        batch::group_commit_state(&self.writer)
    }

    /// A read transaction, so that a record and its timeline or children, read in several
    /// statements, come from one snapshot: `REPEATABLE READ READ ONLY` on PostgreSQL (where
    /// each statement outside a transaction sees its own); a deferred transaction on
    /// SQLite, whose first read fixes the WAL snapshot until it ends. Dereferences to a
    /// connection; end it with [`Snapshot::commit`] (dropping it rolls back, also fine).
    pub async fn snapshot(&self) -> Result<Snapshot> {
        Ok(match self.backend {
            Backend::Sqlite => self.read.begin().await?,
            Backend::Postgres => self.read.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
        })
    }

    /// The write connection for a statement outside a transaction.
    pub async fn writer(&self) -> Result<WriteConn> {
        self.writer.conn().await
    }

    /// Open write connections (for metrics).
    pub fn write_connections(&self) -> u32 {
        self.writer.size()
    }

    /// Whether writes are failing for want of space.
    pub fn storage(&self) -> &StorageHealth {
        &self.storage
    }

    /// While writes are failing for want of space: one small real write (at most once a
    /// second), so that readiness comes back by itself when space does. Returns whether the
    /// storage is still full.
    pub async fn probe_storage(&self) -> bool {
        let Some(_) = self.storage.full_since_ms() else { return false };
        let now = now_ms();
        let last = self.storage.probed_ms.load(Ordering::Relaxed);
        if now - last >= 1000 && self.storage.probed_ms.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            let probe = match self.backend {
                // Room for the WAL to grow: 1 MiB written beside the database and removed.
                Backend::Sqlite => match sqlite_file(self).await {
                    Ok(Some(file)) => space_probe(&file),
                    other => other.map(|_| ()),
                },
                // A new version of one row, which needs space as any write does (best effort:
                // PostgreSQL may fit it in the page it has).
                Backend::Postgres => {
                    async {
                        let mut conn = self.writer().await?;
                        sqlx::query(
                        "UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)",
                    )
                    .execute(&mut *conn)
                    .await?;
                        Ok(())
                    }
                    .await
                }
            };
            match probe {
                Ok(()) => self.storage.full_since_ms.store(0, Ordering::Relaxed),
                Err(e) if !e.is_storage_full() => tracing::warn!(error = %e, "storage probe failed"),
                Err(_) => {}
            }
        }
        self.storage.full_since_ms().is_some()
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub fn url_redacted(&self) -> &str {
        &self.url_redacted
    }

    /// `FOR UPDATE` on PostgreSQL; nothing on SQLite, where the single writer already serialises.
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    pub fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.read.close().await;
    }
}

async fn configure_sqlite(conn: &mut AnyConnection, access: Access) -> std::result::Result<(), sqlx::Error> {
    // Setting the journal mode writes the file's header when the mode changes: a reader leaves it.
    let sql = if access == Access::ReadOnly {
        "PRAGMA query_only=ON; PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;"
    } else {
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; \
         PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;"
    };
    conn.execute(sql).await?;
    Ok(())
}

/// The URL with any password replaced, for logs and status pages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{}:***@{}", &url[..scheme], user, &url[at + 1..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn b(v: bool) -> i64 {
    i64::from(v)
}

/// SQLite only: a consistent copy of the live database (`VACUUM INTO`), safe while others write.
pub async fn backup_sqlite_to(db: &Db, path: &std::path::Path) -> Result<()> {
    if db.backend != Backend::Sqlite {
        return Err(StoreError::UnsupportedUrl("backup works on SQLite; use pg_dump for PostgreSQL".into()));
    }
    sqlx::query("VACUUM INTO $1").bind(path.display().to_string()).execute(&db.read).await?;
    Ok(())
}

/// SQLite only: folds the WAL back into the main file.
pub async fn checkpoint_sqlite(db: &Db) -> Result<()> {
    sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *db.writer().await?).await?;
    Ok(())
}

/// SQLite only: copies what the WAL holds into the database file as far as readers allow,
/// without waiting for the writer or readers.
pub async fn checkpoint_passive(db: &Db) -> Result<()> {
    sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)").execute(&db.read).await?;
    Ok(())
}

/// SQLite only: the database file as SQLite itself resolved the URL's path (it removes `..`
/// without asking the file system, so the kernel may not reach the same file by that path);
/// `None` on PostgreSQL or for an in-memory database.
pub async fn sqlite_file(db: &Db) -> Result<Option<std::path::PathBuf>> {
    if db.backend != Backend::Sqlite {
        return Ok(None);
    }
    let rows = sqlx::query("PRAGMA database_list").fetch_all(&db.read).await?;
    for r in &rows {
        if r.try_get::<String, _>(1)? == "main" {
            let file: String = r.try_get(2)?;
            return Ok((!file.is_empty()).then(|| std::path::PathBuf::from(file)));
        }
    }
    Ok(None)
}

/// Writes 1 MiB beside `file` and removes it: `ENOSPC` if the file system has no room.
fn space_probe(file: &std::path::Path) -> Result<()> {
    let probe = std::path::PathBuf::from(format!("{}-space-probe", file.display()));
    let written = std::fs::write(&probe, vec![0u8; 1 << 20]);
    let _ = std::fs::remove_file(&probe);
    Ok(written?)
}

/// SQLite only: `PRAGMA integrity_check` answers `ok`.
pub async fn sqlite_integrity_ok(db: &Db) -> Result<bool> {
    let row = sqlx::query("PRAGMA integrity_check").fetch_one(&db.read).await?;
    Ok(row.try_get::<String, _>(0)? == "ok")
}

/// After rows were inserted with explicit ids: moves PostgreSQL's identity sequence
/// past them (SQLite's AUTOINCREMENT follows by itself). `table` is trusted.
pub async fn sync_id_sequence(conn: &mut AnyConnection, backend: Backend, table: &str) -> Result<()> {
    if backend == Backend::Postgres {
        let sql =
            format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))");
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(conn).await?;
    }
    Ok(())
}

/// Runs trusted SQL text as is: for operators' tooling and for tests that tamper on purpose.
pub async fn raw_execute(conn: &mut AnyConnection, sql: &str) -> Result<u64> {
    Ok(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(conn).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_full_disk_is_told_from_other_errors_and_remembered() {
        use super::{StorageHealth, StoreError};
        let enospc = StoreError::Io(std::io::Error::from_raw_os_error(28));
        assert!(enospc.is_storage_full() && !enospc.is_busy());
        assert!(!StoreError::Io(std::io::Error::from_raw_os_error(13)).is_storage_full(), "EACCES is not a full disk");
        assert!(!StoreError::WriterBusy.is_storage_full());
        let health = StorageHealth::default();
        health.note(&Ok::<(), StoreError>(()));
        assert_eq!(health.full_since_ms(), None);
        health.note(&Err::<(), _>(enospc));
        let since = health.full_since_ms().expect("marked");
        health.note(&Ok::<(), StoreError>(()));
        assert_eq!(health.full_since_ms(), Some(since), "a small write that fits does not clear it; the probe does");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redact("postgres://app:s3cret@db:5432/yw"), "postgres://app:***@db:5432/yw");
        assert_eq!(super::redact("postgres://postgres@127.0.0.1/test"), "postgres://postgres@127.0.0.1/test");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
