//! How each command opens the database (ADR 0011).
//!
//! - The server ([`Access::Serve`]) migrates and seeds at start, then is SQLite's main writer.
//! - Commands that only read (`audit verify`, `backup`) open it read-only: no migration, no
//!   seeding, no write of any kind, and they refuse a schema that is not this binary's.
//! - Commands that write open it as a tool ([`Access::Tool`]): their SQLite transactions take
//!   the write lock before they read (`BEGIN IMMEDIATE`, waiting up to the busy timeout), and
//!   each step is run again, with backoff, for up to [`BUSY_WAIT`] while the database answers
//!   busy. A busy answer means nothing was written, so running the step again is safe.

use crate::AppError;
use crate::config::Config;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yunwei_core::{Core, SystemClock};
use yunwei_store::{Access, Db, migrate};

/// How long a command keeps trying while the database is busy.
pub const BUSY_WAIT: Duration = Duration::from_secs(30);

/// Whether the error means "the database could not take the work just now".
pub fn is_busy(e: &AppError) -> bool {
    match e {
        AppError::Store(s) | AppError::Core(yunwei_core::CoreError::Store(s)) => s.is_busy(),
        _ => false,
    }
}

/// Runs `step` until it succeeds, fails for another reason, or the database has stayed busy
/// for [`BUSY_WAIT`].
pub async fn retry_busy<T, Fut>(step: impl Fn() -> Fut) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        match step().await {
            Err(e) if is_busy(&e) => {
                if started.elapsed() + pause >= BUSY_WAIT {
                    return Err(AppError::Other(format!(
                        "the database stayed busy for {} s ({e}); nothing was changed: run the command again",
                        BUSY_WAIT.as_secs()
                    )));
                }
                tracing::debug!(error = %e, pause_ms = pause.as_millis(), "database busy: trying again");
                tokio::time::sleep(pause + jitter(pause)).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            other => return other,
        }
    }
}

/// Up to half of `pause`, so that several waiting tools do not come back in step.
fn jitter(pause: Duration) -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let half = u64::try_from(pause.as_millis() / 2).unwrap_or(0).max(1);
    Duration::from_millis(u64::from(nanos) % half)
}

/// The serving node's database: migrated and seeded unless `migrate` is false, in which
/// case the schema must already be current (`serve --no-migrate`).
pub async fn open_serve(config: &Config, migrate: bool) -> Result<Core, AppError> {
    std::fs::create_dir_all(&config.server.data_dir)?;
    let core = connect(config, Access::Serve).await.map_err(|e| name_unwritable_files(config, e))?;
    // Before anything is written: the connection has only made sure the file exists.
    if let Some(file) = yunwei_store::sqlite_file(core.database()).await? {
        crate::lock::hold_database_file(&file, &crate::backup::sqlite_path(&config.database_url()))?;
    }
    let prepared = if migrate {
        core.prepare().await.map_err(AppError::from)
    } else {
        match require_current_schema(config, core.database()).await {
            Ok(()) => yunwei_core::seed::builtin(&core).await.map_err(AppError::from),
            Err(e) => Err(e),
        }
    };
    prepared.map_err(|e| name_unwritable_files(config, e))?;
    Ok(core)
}

/// A start that failed on SQLite because the database file or its `-wal`/`-shm` beside it
/// cannot be written (left behind by a run as another user, made read-only): the error
/// names the file, instead of SQLite's bare "attempt to write a readonly database".
fn name_unwritable_files(config: &Config, e: AppError) -> AppError {
    let url = config.database_url();
    if !url.starts_with("sqlite:") || is_busy(&e) {
        return e;
    }
    let db = crate::backup::sqlite_path(&url);
    let files = [db.clone(), side_file(&db, "-wal"), side_file(&db, "-shm")];
    let refused: Vec<(std::path::PathBuf, std::io::Error)> = files
        .into_iter()
        .filter(|f| f.exists())
        // The process stops on this error: a descriptor closed here cannot drop locks SQLite still needs.
        .filter_map(|f| std::fs::OpenOptions::new().write(true).open(&f).err().map(|err| (f, err)))
        .collect();
    match unwritable_message(&refused) {
        Some(m) => AppError::Other(format!("{m} ({e})")),
        None => e,
    }
}

fn side_file(db: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{}{suffix}", db.display()))
}

/// What to say about database files this process cannot write.
pub fn unwritable_message(refused: &[(std::path::PathBuf, std::io::Error)]) -> Option<String> {
    let first = refused.first()?;
    let list: Vec<String> = refused.iter().map(|(f, err)| format!("{} ({err})", f.display())).collect();
    Some(format!(
        "cannot write {}: the database file and its -wal and -shm files must be writable by the user running yunwei; \
         files left by a run as another user need their owner changed (e.g. `chown yunwei: {}`) or write permission back. \
         Do not delete a -wal file: it may hold committed changes",
        list.join(", "),
        first.0.display()
    ))
}

/// For a command that writes. With `migrate`, applies missing migrations and seeds (as the
/// server would at start); without, the schema must already be current.
pub async fn open_tool(config: &Config, migrate: bool) -> Result<Core, AppError> {
    std::fs::create_dir_all(&config.server.data_dir)?;
    let core = retry_busy(|| connect(config, Access::Tool)).await?;
    if migrate {
        retry_busy(|| async { Ok(core.prepare().await?) }).await?;
    } else {
        retry_busy(|| require_current_schema(config, core.database())).await?;
    }
    Ok(core)
}

/// For a command that only reads: refuses a missing database or a schema that is not this
/// binary's, and writes nothing.
pub async fn open_read_only(config: &Config) -> Result<Core, AppError> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        let file = crate::backup::sqlite_path(&url);
        if !file.exists() {
            return Err(AppError::Other(format!(
                "there is no database at {}: start the server or run `yunwei migrate` first",
                file.display()
            )));
        }
    }
    let core = retry_busy(|| connect(config, Access::ReadOnly)).await?;
    retry_busy(|| require_current_schema(config, core.database())).await?;
    Ok(core)
}

async fn connect(config: &Config, access: Access) -> Result<Core, AppError> {
    let db = Db::connect_as(&config.database_url(), config.server.max_connections, access).await?;
    Ok(Core::new(db, config.core.clone(), Arc::new(SystemClock)))
}

async fn require_current_schema(config: &Config, db: &Db) -> Result<(), AppError> {
    let latest = migrate::latest_version();
    match migrate::installed_version(db).await? {
        Some(v) if v == latest => Ok(()),
        found => Err(AppError::Other(schema_mismatch(&yunwei_store::redact(&config.database_url()), found, latest))),
    }
}

/// What to say when the schema is not the one this binary needs.
pub fn schema_mismatch(database: &str, found: Option<i64>, latest: i64) -> String {
    match found {
        None | Some(0) => {
            format!("the database {database} has no Yunwei schema: start the server or run `yunwei migrate` first")
        }
        Some(v) if v < latest => format!(
            "the database schema is {v}, older than this binary ({latest}): run `yunwei migrate` (or start the server) first; this command does not migrate"
        ),
        Some(v) => format!("the database schema is {v}, newer than this binary ({latest}): use the newer binary"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_mismatches_say_what_to_do() {
        assert!(schema_mismatch("sqlite://x.db", None, 14).contains("no Yunwei schema"));
        let older = schema_mismatch("sqlite://x.db", Some(12), 14);
        assert!(older.contains("schema is 12, older than this binary (14)") && older.contains("yunwei migrate"), "{older}");
        assert!(schema_mismatch("sqlite://x.db", Some(15), 14).contains("newer than this binary (14)"));
    }

    #[test]
    fn unwritable_files_are_named() {
        assert_eq!(unwritable_message(&[]), None);
        let shm = std::path::PathBuf::from("/var/lib/yunwei/yunwei.db-shm");
        let m = unwritable_message(&[(shm, std::io::Error::from_raw_os_error(13))]).unwrap();
        assert!(m.starts_with("cannot write /var/lib/yunwei/yunwei.db-shm (Permission denied"), "{m}");
        assert!(m.contains("chown yunwei: /var/lib/yunwei/yunwei.db-shm"), "{m}");
    }

    #[test]
    fn only_busy_errors_are_tried_again() {
        assert!(is_busy(&AppError::Store(yunwei_store::StoreError::WriterBusy)));
        assert!(is_busy(&AppError::Core(yunwei_core::CoreError::Store(yunwei_store::StoreError::WriterBusy))));
        assert!(!is_busy(&AppError::Store(yunwei_store::StoreError::Closed)));
        assert!(!is_busy(&AppError::Other("no user x".into())));
    }

    #[tokio::test]
    async fn a_busy_step_is_run_again_until_it_succeeds() {
        let tries = std::sync::atomic::AtomicU32::new(0);
        let out = retry_busy(|| async {
            if tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 3 {
                Err(AppError::Store(yunwei_store::StoreError::WriterBusy))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(out.ok(), Some(7));
        assert_eq!(tries.load(std::sync::atomic::Ordering::SeqCst), 4);
        let other = retry_busy(|| async { Err::<(), _>(AppError::Other("no".into())) }).await;
        assert!(matches!(other, Err(AppError::Other(m)) if m == "no"));
    }
}
