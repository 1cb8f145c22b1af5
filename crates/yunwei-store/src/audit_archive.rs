//! The archive file behind the audit chain's anchor: is it there, is it the file the
//! anchor was written for, and does its own chain end exactly at the anchor? Someone who
//! can write the database but not the archive directory cannot delete the oldest entries
//! and point the anchor at a file that does not hold them (ADR 0008).

use crate::Result;
use crate::audit::{Anchor, AuditRecord, hash_entry, hex};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Read};
use std::path::Path;
use yunwei_domain::audit::{ChainBreak, ChainBreakReason, CheckpointExpectations};

/// SHA-256 (hex) and length of a whole file.
pub(crate) fn file_sha256(path: &Path) -> Result<(String, i64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex(&hasher.finalize()), i64::try_from(total).unwrap_or(i64::MAX)))
}

/// Reads the anchor's archive file (the part the anchor recorded, or the whole file for
/// anchors from before migration 14): its size and SHA-256 must be those recorded, every
/// line must hash to its stored hash and follow the line before, the last line must be the
/// anchor's entry, and entries a checkpoint covers must have the checkpoint's hash.
/// Blocking IO: run it off the async workers.
pub(crate) fn check(anchor: &Anchor, expect: &CheckpointExpectations) -> Result<Option<ChainBreak>> {
    let path = Path::new(&anchor.archive_file);
    let mismatch = |detail: String| {
        Ok(Some(ChainBreak::new(anchor.seq, None, ChainBreakReason::ArchiveMismatch).detail(format!("{}: {detail}", path.display()))))
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Some(ChainBreak::new(anchor.seq, None, ChainBreakReason::ArchiveMissing).detail(format!(
                "the anchor (entry {}) names the archive file {}, which does not exist",
                anchor.seq,
                path.display()
            ))));
        }
        Err(e) => return Err(e.into()),
    };
    let limit = anchor.archive_bytes.and_then(|b| u64::try_from(b).ok()).unwrap_or(u64::MAX);
    let mut reader = std::io::BufReader::new(file.take(limit));
    let mut hasher = Sha256::new();
    let mut read = 0u64;
    let mut last: Option<(i64, String)> = None;
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        hasher.update(&line);
        read += line.len() as u64;
        number += 1;
        let Ok(rec) = serde_json::from_slice::<AuditRecord>(&line) else {
            return mismatch(format!("line {number} is not an audit entry"));
        };
        if hash_entry(&rec.entry, &rec.prev_hash) != rec.hash {
            return mismatch(format!("line {number} (entry {}) does not match its hash", rec.entry.seq));
        }
        if let Some((seq, hash)) = &last
            && (rec.entry.seq != seq + 1 || &rec.prev_hash != hash)
        {
            return mismatch(format!("line {number} (entry {}) does not follow entry {seq}", rec.entry.seq));
        }
        if let Some(b) = expect.contradiction(rec.entry.seq, &rec.hash) {
            return Ok(Some(b));
        }
        last = Some((rec.entry.seq, rec.hash));
    }
    if let Some(bytes) = anchor.archive_bytes
        && u64::try_from(bytes).ok() != Some(read)
    {
        return mismatch(format!("the anchor recorded {bytes} bytes, the file has {read}"));
    }
    if let Some(sha) = &anchor.archive_sha256 {
        let actual = hex(&hasher.finalize());
        if &actual != sha {
            return mismatch(format!("the anchor recorded SHA-256 {sha}, the file has {actual}"));
        }
    }
    match last {
        Some((seq, hash)) if seq == anchor.seq && hash == anchor.hash => Ok(None),
        Some((seq, _)) => mismatch(format!("the file ends at entry {seq}, the anchor is entry {} with hash {}", anchor.seq, anchor.hash)),
        None => mismatch("the file holds no entries".into()),
    }
}
