//! Backup and restore of the embedded SQLite database. PostgreSQL is backed up
//! with its own tools (pg_dump / pg_restore; see docs/admin-guide).

use crate::AppError;
use crate::config::Config;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use yunwei_store::{Access, Db};

/// Holds an exclusive lock on `data_dir/yunwei.lock` while the server runs, so
/// that `restore` cannot replace the database under it.
pub fn lock_data_dir(config: &Config) -> Result<File, AppError> {
    std::fs::create_dir_all(&config.server.data_dir)?;
    let file = File::create(config.server.data_dir.join("yunwei.lock"))?;
    file.try_lock().map_err(|_| AppError::Other(format!("another yunwei process uses {}", config.server.data_dir.display())))?;
    Ok(file)
}

fn require_sqlite(config: &Config) -> Result<(), AppError> {
    if config.database_url().starts_with("sqlite:") {
        Ok(())
    } else {
        Err(AppError::Other("backup and restore here are for the embedded SQLite database; for PostgreSQL use pg_dump -Fc and pg_restore (docs/admin-guide.en.md)".into()))
    }
}

pub async fn backup(config: &Config, to: &Path) -> Result<ExitCode, AppError> {
    require_sqlite(config)?;
    if to.exists() {
        return Err(AppError::Other(format!("{} exists; choose a new file", to.display())));
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // Reads only, but SQLite counts `VACUUM INTO` as a write on a `query_only` connection: a
    // tool's connection, which neither migrates nor seeds (ADR 0011).
    let url = config.database_url();
    if !sqlite_path(&url).exists() {
        return Err(AppError::Other(format!("there is no database at {}", sqlite_path(&url).display())));
    }
    let db = crate::open::retry_busy(|| async { Ok(Db::connect_as(&url, 2, Access::Tool).await?) }).await?;
    let copied = crate::open::retry_busy(|| async {
        let copied = yunwei_store::backup_sqlite_to(&db, to).await;
        if copied.is_err() {
            // A failed copy leaves an empty or partial file: the next try needs the name free.
            let _ = std::fs::remove_file(to);
        }
        Ok(copied?)
    })
    .await;
    db.close().await;
    copied?;
    let size = std::fs::metadata(to)?.len();
    println!("backup written to {} ({size} bytes)", to.display());
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(config: &Config, from: &Path, force: bool) -> Result<ExitCode, AppError> {
    require_sqlite(config)?;
    let _lock = lock_data_dir(config)?;
    // A server of another data directory may serve this file through --database-url.
    let _file_lock = crate::lock::lock_database_file(config)?;
    let target = sqlite_path(&config.database_url());
    if target.exists() && !force {
        return Err(AppError::Other(format!("{} exists; pass --force to replace it", target.display())));
    }
    // Check a staged copy (exactly what will be installed) before touching the live file.
    let staging = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(from, &staging)?;
    let checked = check_backup(&staging).await;
    let version = match checked {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", staging.display()));
            }
            return Err(AppError::Other(format!("{} is not a usable Yunwei backup: {e}", from.display())));
        }
    };
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(side)?;
        }
    }
    std::fs::rename(&staging, &target)?;
    println!("restored {} into {} (schema {version}); start the server to apply any newer migrations", from.display(), target.display());
    // The checkpoints describe the chain that was just replaced (a backup's chain usually ends
    // before them): keep them aside, and let the next start checkpoint the restored chain.
    let checkpoints = config.core.audit_checkpoint_path();
    if checkpoints.exists() {
        let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let aside = PathBuf::from(format!("{}.before-restore-{millis}", checkpoints.display()));
        std::fs::rename(&checkpoints, &aside)?;
        println!("audit checkpoints of the replaced database kept in {}", aside.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The file behind a `sqlite://PATH?options` URL.
pub(crate) fn sqlite_path(url: &str) -> PathBuf {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// The schema version of a backup file that passes SQLite's integrity check.
async fn check_backup(path: &Path) -> Result<i64, AppError> {
    let probe = yunwei_store::Db::connect(&format!("sqlite://{}", path.display()), 1).await?;
    let result = async {
        if !yunwei_store::sqlite_integrity_ok(&probe).await? {
            return Err(AppError::Other("integrity check failed".into()));
        }
        let version = yunwei_store::migrate::current_version(&probe).await?;
        if version == 0 || version > yunwei_store::migrate::latest_version() {
            return Err(AppError::Other(format!("schema {version} is not one this binary can use")));
        }
        // Leave a single file behind: no WAL beside the staged copy.
        yunwei_store::checkpoint_sqlite(&probe).await?;
        Ok(version)
    }
    .await;
    probe.close().await;
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            super::sqlite_path("sqlite:///var/lib/yunwei/yunwei.db?mode=rwc"),
            std::path::PathBuf::from("/var/lib/yunwei/yunwei.db")
        );
        assert_eq!(super::sqlite_path("sqlite://yunwei-data/yunwei.db"), std::path::PathBuf::from("yunwei-data/yunwei.db"));
    }
}
