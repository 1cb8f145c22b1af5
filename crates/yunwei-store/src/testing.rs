//! Fresh databases for tests and benchmarks: a new SQLite file in a temporary
//! directory, or a new database on the PostgreSQL server named by
//! `YUNWEI_TEST_DATABASE_URL`. Dropped again by [`FreshDatabase::drop_now`], or, when a
//! test fails or forgets to call it, when the value is dropped (`Drop` removes the database
//! with `DROP DATABASE … WITH (FORCE)` from a thread of its own, so it works during unwinding
//! and inside a runtime).

use crate::{Result, StoreError};
use sqlx::{AssertSqlSafe, Connection};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug)]
pub struct FreshDatabase {
    pub url: String,
    /// The directory holding the SQLite file, or a scratch directory on PostgreSQL.
    pub dir: PathBuf,
    admin_url: Option<String>,
    name: String,
    removed: AtomicBool,
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("yunwei_t{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos)
}

/// The server to test against: `YUNWEI_TEST_DATABASE_URL` if set, else SQLite.
pub fn test_server_url() -> Option<String> {
    std::env::var("YUNWEI_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

impl FreshDatabase {
    pub async fn create() -> Result<Self> {
        let name = unique_name();
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir)?;
        match test_server_url() {
            Some(server) if server.starts_with("postgres") => {
                sqlx::any::install_default_drivers();
                let mut conn = sqlx::AnyConnection::connect(&server).await?;
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
                conn.close().await?;
                let base = server.rsplit_once('/').map(|(b, _)| b.to_string()).ok_or_else(|| StoreError::UnsupportedUrl(server.clone()))?;
                Ok(Self { url: format!("{base}/{name}"), dir, admin_url: Some(server), name, removed: AtomicBool::new(false) })
            }
            Some(other) => Err(StoreError::UnsupportedUrl(other)),
            None => Ok(Self {
                url: format!("sqlite://{}?mode=rwc", dir.join("yunwei.db").display()),
                dir,
                admin_url: None,
                name,
                removed: AtomicBool::new(false),
            }),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.admin_url.is_some()
    }

    /// The database name on PostgreSQL (for pg_dump in tests).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Removes the database; call after every pool on it is closed.
    pub async fn drop_now(&self) -> Result<()> {
        if let Some(admin) = &self.admin_url {
            drop_database(admin, &self.name).await?;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        self.removed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

async fn drop_database(admin: &str, name: &str) -> Result<()> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin).await?;
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

impl Drop for FreshDatabase {
    /// Cleans up what `drop_now` was not called for (a failed test, a forgotten stop). Runs on
    /// a thread with its own runtime: `Drop` cannot await, and the test's runtime may be the
    /// one unwinding. `WITH (FORCE)` ends connections a leaked pool still holds.
    fn drop(&mut self) {
        if self.removed.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        let Some(admin) = self.admin_url.clone() else { return };
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(drop_database(&admin, &name)).map_err(std::io::Error::other)
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("test database {} was not dropped: {e}", self.name),
            Err(_) => eprintln!("test database {} was not dropped: the cleanup thread panicked", self.name),
        }
    }
}

/// What a database administrator with full rights can do: drop the triggers that keep
/// `audit_log` append-only (migration 14), to tamper with it in tests.
pub async fn drop_audit_guard(db: &crate::Db) -> Result<()> {
    let sql = match db.backend {
        crate::Backend::Sqlite => "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete",
        crate::Backend::Postgres => {
            "DROP TRIGGER IF EXISTS audit_log_guard ON audit_log; DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log"
        }
    };
    let mut conn = db.writer().await?;
    crate::raw_execute(&mut conn, sql).await?;
    Ok(())
}
