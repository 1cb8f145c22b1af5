//! One SQLite database, one server (ADR 0011). The data directory's `yunwei.lock` stops two
//! servers on one data directory, but another data directory with `--database-url` can still
//! reach the same file, by the same path, a symlink, `..` or a hard link. So the server also
//! takes an exclusive `flock` on the database file itself: the lock belongs to the inode,
//! whatever path reached it. SQLite locks with `fcntl`, which on Linux is independent of
//! `flock`, so the two do not interfere.

use crate::AppError;
use crate::config::Config;
use std::fs::File;
use std::path::Path;

/// Takes the lock of `file` (the database as SQLite opened it; `given` is the path in the
/// URL) for the rest of the process. The descriptor is never closed before the process ends:
/// closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
/// included.
pub fn hold_database_file(file: &Path, given: &Path) -> Result<(), AppError> {
    let opened = File::open(file).map_err(|e| AppError::Other(format!("cannot open the database file {}: {e}", file.display())))?;
    lock(opened, file, given).map(std::mem::forget)
}

/// The database file of `config`, locked, or `None` when there is no file (PostgreSQL, an
/// in-memory or not yet created database). For `restore`, which replaces the file.
pub fn lock_database_file(config: &Config) -> Result<Option<File>, AppError> {
    let url = config.database_url();
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let path = crate::backup::sqlite_path(&url);
    match File::open(&path) {
        Ok(f) => lock(f, &path, &path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AppError::Other(format!("cannot open the database file {}: {e}", path.display()))),
    }
}

fn lock(file: File, path: &Path, given: &Path) -> Result<File, AppError> {
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(AppError::Other(in_use(path, given, &file))),
        Err(std::fs::TryLockError::Error(e)) => Err(AppError::Other(format!("cannot lock the database file {}: {e}", path.display()))),
    }
}

/// Names the file (as reached, and where it really is) and, on Linux, the process holding it.
fn in_use(path: &Path, given: &Path, file: &File) -> String {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let shown = if real == given { given.display().to_string() } else { format!("{} (that is {})", given.display(), real.display()) };
    let holder = holder(file).map(|(pid, cmd)| format!(" (pid {pid}: {cmd})")).unwrap_or_default();
    format!(
        "the database file {shown} is already in use by another Yunwei server{holder}: a SQLite database serves one `yunwei serve` \
         (several nodes need PostgreSQL); stop the other server or point this one at its own database"
    )
}

#[cfg(target_os = "linux")]
fn holder(file: &File) -> Option<(u32, String)> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    let dev = meta.dev();
    let (major, minor) = (((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff), (dev & 0xff) | ((dev >> 12) & !0xff));
    let pid = flock_holder(&std::fs::read_to_string("/proc/locks").ok()?, major, minor, meta.ino())?;
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| String::from_utf8_lossy(&raw).split('\0').filter(|a| !a.is_empty()).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    Some((pid, if cmd.is_empty() { "?".into() } else { cmd }))
}

#[cfg(not(target_os = "linux"))]
fn holder(_file: &File) -> Option<(u32, String)> {
    None
}

/// The pid holding a `flock` on the inode, from the text of `/proc/locks`
/// (`1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`; device numbers in hexadecimal).
/// A line of the same inode on another device number is taken if no exact one is found:
/// some file systems report a different device to `stat`.
fn flock_holder(proc_locks: &str, major: u64, minor: u64, ino: u64) -> Option<u32> {
    let mut same_inode = None;
    for line in proc_locks.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // Waiters are listed with "->" after the number.
        if fields.len() < 6 || fields[1] != "FLOCK" {
            continue;
        }
        let (Ok(pid), Some((dev, inode))) = (fields[4].parse::<u32>(), fields[5].rsplit_once(':')) else {
            continue;
        };
        if inode.parse::<u64>().ok() != Some(ino) {
            continue;
        }
        let exact = dev
            .split_once(':')
            .and_then(|(a, b)| Some((u64::from_str_radix(a, 16).ok()?, u64::from_str_radix(b, 16).ok()?)))
            .is_some_and(|d| d == (major, minor));
        if exact {
            return Some(pid);
        }
        same_inode.get_or_insert(pid);
    }
    same_inode
}

#[cfg(test)]
mod tests {
    use super::flock_holder;

    const LOCKS: &str = "1: POSIX  ADVISORY  WRITE 900 08:01:777 1073741824 1073742335\n\
                         2: FLOCK  ADVISORY  WRITE 4242 00:2d:777 0 EOF\n\
                         3: -> FLOCK  ADVISORY  WRITE 5151 08:01:777 0 EOF\n\
                         4: FLOCK  ADVISORY  WRITE 3131 08:01:777 0 EOF\n\
                         5: FLOCK  ADVISORY  WRITE 6000 08:01:778 0 EOF\n";

    #[test]
    fn the_holder_of_a_flock_is_found_by_device_and_inode() {
        assert_eq!(flock_holder(LOCKS, 8, 1, 777), Some(3131), "the exact device, not the waiter or the POSIX lock");
        assert_eq!(flock_holder(LOCKS, 0, 0x2d, 777), Some(4242));
        assert_eq!(flock_holder(LOCKS, 0, 99, 777), Some(4242), "same inode elsewhere, when no exact match");
        assert_eq!(flock_holder(LOCKS, 8, 1, 779), None);
        assert_eq!(flock_holder("", 8, 1, 777), None);
    }
}
