//! Keyed checkpoints of the audit chain (ADR 0008). The serving node appends, at most every
//! `audit_checkpoint_seconds` and at every graceful stop, one JSON line to a file outside the
//! database: the chain's newest entry (seq, hash), the time, and an HMAC-SHA256 over them
//! with a key that is not in the database either. Someone who can write the database can
//! recompute the plain SHA-256 chain and move its head, but cannot make a checkpoint, so
//! `audit verify` finds a chain that was cut short or rewritten behind a checkpoint.

use crate::{Core, CoreConfig, CoreError, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use yunwei_domain::audit::{ChainBreak, ChainBreakReason, Checkpoint, CheckpointExpectations};
use yunwei_store::audit::{self as store, Verification, hex};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the audit key file {0}: {1}")]
    Unreadable(PathBuf, std::io::Error),
    #[error("the audit key file {0} is malformed: {1} (expected 64 hexadecimal characters or 32 bytes)")]
    Malformed(PathBuf, &'static str),
    #[error("cannot create the audit key file {0}: {1}")]
    Create(PathBuf, std::io::Error),
    #[error("the audit checkpoint file {0} exists, but the key file {1} does not: cannot check the checkpoints")]
    Missing(PathBuf, PathBuf),
    #[error("cannot use the audit checkpoint file {0}: {1}")]
    CheckpointFile(PathBuf, std::io::Error),
}

impl From<KeyError> for CoreError {
    fn from(e: KeyError) -> Self {
        CoreError::Internal(e.to_string())
    }
}

/// The checkpoint key. Never printed.
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(***)")
    }
}

impl AuditKey {
    /// The key at `path`, or `None` if there is no such file.
    pub fn load(path: &Path) -> std::result::Result<Option<Self>, KeyError> {
        match std::fs::read(path) {
            Ok(bytes) => Self::parse(path, &bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(KeyError::Unreadable(path.to_path_buf(), e)),
        }
    }

    /// The key at `path`, made on first use (32 random bytes as hex, mode 0600). A file that
    /// exists but cannot be read or holds something else is an error: the server does not start.
    pub fn load_or_create(path: &Path) -> std::result::Result<Self, KeyError> {
        if let Some(key) = Self::load(path)? {
            return Ok(key);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| KeyError::Create(path.to_path_buf(), std::io::Error::other(e.to_string())))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| KeyError::Create(path.to_path_buf(), e))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(format!("{}\n", hex(&bytes)).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| KeyError::Create(path.to_path_buf(), e))?;
                tracing::info!(path = %path.display(), "audit checkpoint key created");
                Ok(AuditKey(bytes))
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::load(path)?.ok_or_else(|| KeyError::Create(path.to_path_buf(), e))
            }
            Err(e) => Err(KeyError::Create(path.to_path_buf(), e)),
        }
    }

    fn parse(path: &Path, bytes: &[u8]) -> std::result::Result<Self, KeyError> {
        let malformed = |why| KeyError::Malformed(path.to_path_buf(), why);
        if bytes.len() == 32 {
            let mut key = [0u8; 32];
            key.copy_from_slice(bytes);
            return Ok(AuditKey(key));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| malformed("not text"))?.trim();
        if text.len() != 64 {
            return Err(malformed("wrong length"));
        }
        let mut key = [0u8; 32];
        for (i, pair) in text.as_bytes().chunks(2).enumerate() {
            let digits = std::str::from_utf8(pair).map_err(|_| malformed("not hexadecimal"))?;
            key[i] = u8::from_str_radix(digits, 16).map_err(|_| malformed("not hexadecimal"))?;
        }
        Ok(AuditKey(key))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail for 32 bytes.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    pub fn sign(&self, seq: i64, hash: &str, at_ms: i64) -> Checkpoint {
        let mut mac = self.mac();
        mac.update(&Checkpoint::mac_input(seq, hash, at_ms));
        Checkpoint { seq, hash: hash.to_string(), at_ms, mac: hex(&mac.finalize().into_bytes()) }
    }

    /// Whether `cp` was made with this key (compared in constant time).
    pub fn verifies(&self, cp: &Checkpoint) -> bool {
        let Some(tag) = unhex(&cp.mac) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(&Checkpoint::mac_input(cp.seq, &cp.hash, cp.at_ms));
        mac.verify_slice(&tag).is_ok()
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

/// Appends checkpoints for one serving node.
#[derive(Debug)]
pub struct Checkpointer {
    key: AuditKey,
    file: PathBuf,
    /// The newest entry this node checkpointed: only a moved head is checkpointed again.
    last: tokio::sync::Mutex<Option<(i64, String)>>,
}

impl Checkpointer {
    /// Loads (or makes) the key and opens the checkpoint file for appending, creating it.
    pub fn open(config: &CoreConfig) -> std::result::Result<Self, KeyError> {
        let key = AuditKey::load_or_create(&config.audit_key_path())?;
        let file = config.audit_checkpoint_path();
        let last = last_checkpoint_in(&file).map_err(|e| KeyError::CheckpointFile(file.clone(), e))?;
        Ok(Checkpointer { key, file, last: tokio::sync::Mutex::new(last.map(|c| (c.seq, c.hash))) })
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Appends a checkpoint of the chain's newest entry if it moved since this node's last one.
    pub async fn write_if_moved(&self, core: &Core) -> Result<Option<Checkpoint>> {
        let Some((seq, hash)) = store::newest(&core.db).await? else {
            return Ok(None);
        };
        let mut last = self.last.lock().await;
        if let Some((last_seq, last_hash)) = &*last {
            if *last_seq == seq && *last_hash == hash {
                return Ok(None);
            }
            if seq <= *last_seq {
                tracing::error!(
                    checkpointed = *last_seq,
                    newest = seq,
                    "the audit chain is no longer the one checkpointed (entries removed or rewritten): run `yunwei audit verify`"
                );
            }
        }
        let cp = self.key.sign(seq, &hash, core.now_ms());
        let (file, line) = (self.file.clone(), serde_json::to_string(&cp).map_err(|e| CoreError::Internal(e.to_string()))?);
        tokio::task::spawn_blocking(move || append_line(&file, &line))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
            .map_err(|e| KeyError::CheckpointFile(self.file.clone(), e))?;
        *last = Some((seq, hash));
        drop(last);
        store::save_checkpoint(&core.db, &cp, &core.node_id).await?;
        Ok(Some(cp))
    }
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = open_append(path)?;
    // One write of the whole line: O_APPEND puts it at the end even beside another writer.
    file.write_all(format!("{line}\n").as_bytes())?;
    file.sync_data()
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// The last line of the checkpoint file if it is a checkpoint; creates the file if missing,
/// so that a file that cannot be written stops the server at start.
fn last_checkpoint_in(path: &Path) -> std::io::Result<Option<Checkpoint>> {
    drop(open_append(path)?);
    let mut file = std::fs::File::open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(len.saturating_sub(4096)))?;
    let mut tail = String::new();
    file.read_to_string(&mut tail)?;
    Ok(tail.lines().rev().find(|l| !l.trim().is_empty()).and_then(|l| serde_json::from_str(l).ok()))
}

/// Writes a checkpoint every `audit_checkpoint_seconds` when the chain has grown. The first
/// comes one interval after the start, not at once: the previous run sealed the chain when it
/// stopped, and a write at start would compete with the other start-up work. The final one at
/// a graceful stop is written by whoever stops the server, after every other writer has
/// finished (`yunwei_web::serve`).
pub async fn run_checkpointer(core: Core, checkpointer: Arc<Checkpointer>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let every = Duration::from_secs(core.config.audit_checkpoint_seconds.max(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = checkpointer.write_if_moved(&core).await {
            tracing::warn!(error = %e, "audit checkpoint failed");
        }
    }
}

/// What the checkpoint file says, checked with the key: the expectations of its valid
/// lines, or the first line that is not a checkpoint made with the key. `None` if the
/// file does not exist.
pub fn read_checkpoints(
    file: &Path,
    key_file: &Path,
) -> std::result::Result<Option<(CheckpointExpectations, Option<ChainBreak>)>, KeyError> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(KeyError::CheckpointFile(file.to_path_buf(), e)),
    };
    let key = AuditKey::load(key_file)?.ok_or_else(|| KeyError::Missing(file.to_path_buf(), key_file.to_path_buf()))?;
    let mut expect = CheckpointExpectations::default();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let forged = |seq: i64, why: &str| {
            ChainBreak::new(seq, None, ChainBreakReason::CheckpointForged).detail(format!("{} line {number}: {why}", file.display()))
        };
        match serde_json::from_str::<Checkpoint>(line) {
            Ok(cp) if key.verifies(&cp) => expect.add(number, cp.seq, &cp.hash),
            Ok(cp) => return Ok(Some((expect, Some(forged(cp.seq, "the MAC does not match: not made with this key, or edited"))))),
            Err(_) => return Ok(Some((expect, Some(forged(0, "not a checkpoint"))))),
        }
    }
    Ok(Some((expect, None)))
}

/// The whole check behind `yunwei audit verify`: checkpoint lines, the anchor's archive
/// file, the chain against the checkpoints, and the head.
pub async fn verify(core: &Core) -> Result<Verification> {
    let (file, key_file) = (core.config.audit_checkpoint_path(), core.config.audit_key_path());
    let read =
        tokio::task::spawn_blocking(move || read_checkpoints(&file, &key_file)).await.map_err(|e| CoreError::Internal(e.to_string()))??;
    let Some((expect, forged)) = read else {
        let mut v = store::verify(&core.db).await?;
        v.warnings.push("no_checkpoint_file");
        return Ok(v);
    };
    let counted = |mut v: Verification| {
        v.checkpoints = i64::try_from(expect.len()).unwrap_or(i64::MAX);
        v.latest_checkpoint_seq = expect.latest().map(|(seq, _)| seq);
        v
    };
    if let Some(b) = forged {
        return Ok(counted(Verification { broken: Some(b), ..Default::default() }));
    }
    Ok(counted(store::verify_with(&core.db, &expect).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sign_and_files_are_strict() {
        let dir = std::env::temp_dir().join(format!("yunwei-audit-key-{}", std::process::id()));
        let path = dir.join("nested").join("audit.key");
        let key = AuditKey::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let again = AuditKey::load_or_create(&path).unwrap();
        let cp = key.sign(7, "abc", 1000);
        assert!(again.verifies(&cp), "the same key is loaded back");
        assert!(!key.verifies(&Checkpoint { seq: 8, ..cp.clone() }), "seq is covered");
        assert!(!key.verifies(&Checkpoint { at_ms: 1001, ..cp.clone() }), "time is covered");
        assert!(!key.verifies(&Checkpoint { mac: "zz".into(), ..cp.clone() }));
        let other = dir.join("other.key");
        assert!(!AuditKey::load_or_create(&other).unwrap().verifies(&cp), "another key");
        std::fs::write(&other, "not a key").unwrap();
        assert!(matches!(AuditKey::load_or_create(&other), Err(KeyError::Malformed(..))));
        assert!(format!("{key:?}") == "AuditKey(***)");
        let _ = std::fs::remove_dir_all(dir);
    }
}
