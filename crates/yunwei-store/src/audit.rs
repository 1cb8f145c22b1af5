//! The audit log: append inside the caller's transaction, verify the chain,
//! query, and move old rows to an archive file (never silently dropped).

use crate::sql::{Page, Sql};
use crate::{Backend, Db, Result, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};
use yunwei_domain::audit::{AuditEntry, ChainBreak, ChainBreakReason, Checkpoint, CheckpointExpectations, GENESIS_HASH};
use yunwei_domain::page::{Cursor, PageRequest};

/// What the caller knows: an entry whose `seq` is assigned at commit (whatever it says here).
pub type NewAuditEntry = AuditEntry;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AuditRecord {
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

pub fn hash_entry(entry: &AuditEntry, prev_hash: &str) -> String {
    hex(&Sha256::digest(entry.chain_input(prev_hash)))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds an entry to the command's audit chain. It is numbered, hashed and written at
/// commit, with the chain's head held (see [`crate::tx`]): nothing in a transaction
/// reads back the audit log it writes.
pub fn append(tx: &mut impl crate::Stage, e: NewAuditEntry) {
    tx.push_audit(AuditEntry { seq: 0, ..e });
}

/// The insert of one chained entry. The stored head moves with it (trigger
/// audit_log_advance_head, migration 2).
pub(crate) fn audit_insert(backend: Backend, entry: &AuditEntry, prev_hash: &str, hash: &str) -> Sql {
    let mut sql = Sql::bulk(
        "INSERT INTO audit_log (seq, at_ms, actor_id, actor_name, source_ip, user_agent, object_type, object_id, action, before_json, after_json, prev_hash, hash) VALUES (",
        backend,
    );
    sql.bind(entry.seq).push(", ").bind(entry.at_ms).push(", ").bind(entry.actor_id).push(", ").bind(entry.actor_name.as_str());
    sql.push(", ").bind(entry.source_ip.as_str()).push(", ").bind(entry.user_agent.as_str()).push(", ").bind(entry.object_type.as_str());
    sql.push(", ").bind(entry.object_id.as_str()).push(", ").bind(entry.action.as_str()).push(", ").bind(entry.before.clone());
    sql.push(", ").bind(entry.after.clone()).push(", ").bind(prev_hash).push(", ").bind(hash).push(")");
    sql
}

fn record_from_row(r: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        entry: AuditEntry {
            seq: r.try_get("seq")?,
            at_ms: r.try_get("at_ms")?,
            actor_id: r.try_get("actor_id")?,
            actor_name: r.try_get("actor_name")?,
            source_ip: r.try_get("source_ip")?,
            user_agent: r.try_get("user_agent")?,
            object_type: r.try_get("object_type")?,
            object_id: r.try_get("object_id")?,
            action: r.try_get("action")?,
            before: r.try_get("before_json")?,
            after: r.try_get("after_json")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// The result of a chain check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    pub checked: i64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    pub broken: Option<ChainBreak>,
    /// Keyed checkpoints the chain was compared with (lines of the checkpoint file).
    pub checkpoints: i64,
    /// The highest seq a checkpoint records.
    pub latest_checkpoint_seq: Option<i64>,
    /// Stable codes of what could not be checked: `no_checkpoint_file`,
    /// `anchor_without_content_hash` (an archive made before migration 14).
    pub warnings: Vec<&'static str>,
}

impl Verification {
    fn broken_at(b: ChainBreak) -> Self {
        Verification { broken: Some(b), ..Default::default() }
    }
}

/// Walks the chain from its anchor in sequence order, in batches (no checkpoints).
pub async fn verify(db: &Db) -> Result<Verification> {
    verify_with(db, &CheckpointExpectations::default()).await
}

/// Checks the anchor's archive file, then walks the chain from the anchor in sequence
/// order, in batches, comparing each row with what the checkpoints recorded; the chain must
/// reach the latest checkpoint, and the head record must match its last row. Everything is
/// read from one snapshot, so that entries a running server appends meanwhile cannot look
/// like a break; the caller reads the checkpoints first, so they never reach past it.
pub async fn verify_with(db: &Db, expect: &CheckpointExpectations) -> Result<Verification> {
    let mut snapshot = db.read.begin().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *snapshot).await?;
    }
    let verified = verify_in(&mut snapshot, expect).await;
    // Read only: nothing to keep.
    snapshot.rollback().await?;
    verified
}

async fn verify_in(conn: &mut sqlx::AnyConnection, expect: &CheckpointExpectations) -> Result<Verification> {
    let mut warnings = Vec::new();
    let anchor = anchor_on(&mut *conn).await?;
    if let Some(a) = &anchor {
        let (a2, e2) = (a.clone(), expect.clone());
        let archive = tokio::task::spawn_blocking(move || crate::audit_archive::check(&a2, &e2)).await.map_err(std::io::Error::other)??;
        if let Some(b) = archive {
            return Ok(Verification { warnings, ..Verification::broken_at(b) });
        }
        if a.archive_sha256.is_none() {
            warnings.push("anchor_without_content_hash");
        }
    }
    let (mut expected_seq, mut prev_hash) = match &anchor {
        Some(a) => (a.seq + 1, a.hash.clone()),
        None => (1, GENESIS_HASH.to_string()),
    };
    let first_seq = expected_seq;
    let mut checked = 0i64;
    let mut cursor = expected_seq - 1;
    loop {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 2000").bind(cursor).fetch_all(&mut *conn).await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let rec = record_from_row(r)?;
            let found = Some(rec.entry.seq);
            let broken = |b: ChainBreak| Verification {
                checked,
                first_seq: Some(first_seq),
                last_seq: Some(expected_seq - 1),
                warnings: warnings.clone(),
                ..Verification::broken_at(b)
            };
            if rec.entry.seq != expected_seq {
                return Ok(broken(ChainBreak::new(expected_seq, found, ChainBreakReason::MissingRow)));
            }
            if rec.prev_hash != prev_hash {
                return Ok(broken(ChainBreak::new(expected_seq, found, ChainBreakReason::PrevHashMismatch)));
            }
            if hash_entry(&rec.entry, &prev_hash) != rec.hash {
                return Ok(broken(ChainBreak::new(expected_seq, found, ChainBreakReason::HashMismatch)));
            }
            if let Some(b) = expect.contradiction(rec.entry.seq, &rec.hash) {
                return Ok(broken(b));
            }
            prev_hash = rec.hash;
            expected_seq += 1;
            checked += 1;
            cursor = rec.entry.seq;
        }
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
    let last = expected_seq - 1;
    let broken = expect.beyond(last).or_else(|| {
        (head_seq != last || head_hash != prev_hash).then(|| ChainBreak::new(expected_seq, None, ChainBreakReason::HeadMismatch))
    });
    Ok(Verification {
        checked,
        first_seq: (checked > 0).then_some(first_seq),
        last_seq: (checked > 0).then_some(last),
        broken,
        warnings,
        ..Default::default()
    })
}

/// The last entry moved to an archive file, from which the chain in the database starts.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    pub archive_file: String,
    /// SHA-256 of the archive file's first `archive_bytes` bytes when the anchor was written;
    /// `None` for anchors written before migration 14.
    pub archive_sha256: Option<String>,
    pub archive_bytes: Option<i64>,
}

pub async fn anchor(db: &Db) -> Result<Option<Anchor>> {
    anchor_on(&mut *db.read.acquire().await?).await
}

async fn anchor_on(conn: &mut sqlx::AnyConnection) -> Result<Option<Anchor>> {
    let row = sqlx::query("SELECT seq, hash, archive_file, archive_sha256, archive_bytes FROM audit_anchor WHERE id = 1")
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(Anchor {
            seq: r.try_get(0)?,
            hash: r.try_get(1)?,
            archive_file: r.try_get(2)?,
            archive_sha256: r.try_get(3)?,
            archive_bytes: r.try_get(4)?,
        })
    })
    .transpose()
}

/// The chain's newest entry (seq, hash): the last row, or the anchor when every row was
/// archived. `None` for a chain that has never had an entry.
pub async fn newest(db: &Db) -> Result<Option<(i64, String)>> {
    let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&db.read).await?;
    match row {
        Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?))),
        None => Ok(anchor(db).await?.map(|a| (a.seq, a.hash))),
    }
}

/// Keeps the latest checkpoint in the database too (for display; verification does not trust it).
pub async fn save_checkpoint(db: &Db, cp: &Checkpoint, node: &str) -> Result<()> {
    let mut conn = db.writer().await?;
    sqlx::query(
        "INSERT INTO audit_checkpoint (id, seq, hash, at_ms, mac, node) VALUES (1, $1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at_ms = excluded.at_ms, mac = excluded.mac, node = excluded.node",
    )
    .bind(cp.seq)
    .bind(cp.hash.as_str())
    .bind(cp.at_ms)
    .bind(cp.mac.as_str())
    .bind(node)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The latest checkpoint any node wrote, and that node's name.
pub async fn latest_checkpoint(db: &Db) -> Result<Option<(Checkpoint, String)>> {
    let row = sqlx::query("SELECT seq, hash, at_ms, mac, node FROM audit_checkpoint WHERE id = 1").fetch_optional(&db.read).await?;
    row.map(|r| Ok((Checkpoint { seq: r.try_get(0)?, hash: r.try_get(1)?, at_ms: r.try_get(2)?, mac: r.try_get(3)? }, r.try_get(4)?)))
        .transpose()
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

fn filtered(filter: &AuditFilter) -> Sql {
    let mut sql = Sql::new("SELECT * FROM audit_log WHERE 1=1");
    if let Some(a) = filter.actor_id {
        sql.push(" AND actor_id = ").bind(a);
    }
    if let Some(t) = &filter.object_type {
        sql.push(" AND object_type = ").bind(t.clone());
    }
    if let Some(o) = &filter.object_id {
        sql.push(" AND object_id = ").bind(o.clone());
    }
    if let Some(a) = &filter.action {
        sql.push(" AND action = ").bind(a.clone());
    }
    if let Some(f) = filter.from_ms {
        sql.push(" AND at_ms >= ").bind(f);
    }
    if let Some(t) = filter.to_ms {
        sql.push(" AND at_ms < ").bind(t);
    }
    sql
}

/// Newest first unless the page says otherwise; `seq` is the id.
pub async fn list(db: &Db, filter: &AuditFilter, page: &PageRequest) -> Result<Page<AuditRecord>> {
    let mut sql = filtered(filter);
    let (cmp, dir) = if page.descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some(after) = &page.after {
        sql.push(&format!(" AND seq {cmp} ")).bind(after.id);
    }
    sql.push(&format!(" ORDER BY seq {dir} LIMIT ")).bind(page.limit + 1);
    let rows = sql.fetch_all(&db.read).await?.iter().map(record_from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |r| Cursor { id: r.entry.seq, key: None }))
}

/// Streams matching rows in sequence order to `sink`, in batches, for export.
pub async fn for_each(db: &Db, filter: &AuditFilter, mut sink: impl FnMut(&AuditRecord) -> std::io::Result<()>) -> Result<i64> {
    let mut after = 0i64;
    let mut n = 0;
    loop {
        let mut sql = filtered(filter);
        sql.push(" AND seq > ").bind(after).push(" ORDER BY seq LIMIT 2000");
        let rows = sql.fetch_all(&db.read).await?;
        if rows.is_empty() {
            return Ok(n);
        }
        for r in &rows {
            let rec = record_from_row(r)?;
            sink(&rec)?;
            after = rec.entry.seq;
            n += 1;
        }
    }
}

/// Moves every row older than `before_ms` to `file` (JSON lines, appended and
/// synced first), then deletes them and moves the anchor, in one transaction. The anchor
/// records the file's size and SHA-256, so that verification can tell it is the same file.
/// Returns how many rows were archived.
pub async fn archive_before(db: &Db, before_ms: i64, file: &std::path::Path, now: i64) -> Result<i64> {
    use std::io::Write;
    let mut tx = db.begin().await?;
    let rows = sqlx::query("SELECT * FROM audit_log WHERE at_ms < $1 AND seq <= (SELECT seq FROM audit_head WHERE id = 1) ORDER BY seq")
        .bind(before_ms)
        .fetch_all(&mut *tx)
        .await?;
    let records = rows.iter().map(record_from_row).collect::<Result<Vec<_>>>()?;
    // Only a leading run may go, so that the remaining chain still starts at the anchor.
    let first_kept = sqlx::query("SELECT MIN(seq) FROM audit_log WHERE at_ms >= $1").bind(before_ms).fetch_one(&mut *tx).await?;
    let first_kept: Option<i64> = first_kept.try_get(0)?;
    let records: Vec<_> = records.into_iter().take_while(|r| first_kept.is_none_or(|k| r.entry.seq < k)).collect();
    let Some(last) = records.last() else {
        return Ok(0);
    };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = std::fs::OpenOptions::new().create(true).append(true).open(file)?;
    for r in &records {
        let line = serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        writeln!(out, "{line}")?;
    }
    out.sync_all()?;
    drop(out);
    let (sha256, bytes) = crate::audit_archive::file_sha256(file)?;
    // The guard of migration 14 lets this transaction's DELETE through, and no other:
    // the marker is set and cleared before anyone else can see it.
    sqlx::query("UPDATE audit_maintenance SET allowed = 1 WHERE id = 1").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM audit_log WHERE seq <= $1").bind(last.entry.seq).execute(&mut *tx).await?;
    sqlx::query("UPDATE audit_maintenance SET allowed = 0 WHERE id = 1").execute(&mut *tx).await?;
    let file_name = file.display().to_string();
    sqlx::query(
        "INSERT INTO audit_anchor (id, seq, hash, archived_at, archive_file, archive_sha256, archive_bytes) VALUES (1, $1, $2, $3, $4, $5, $6) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, archived_at = excluded.archived_at, \
         archive_file = excluded.archive_file, archive_sha256 = excluded.archive_sha256, archive_bytes = excluded.archive_bytes",
    )
    .bind(last.entry.seq)
    .bind(&last.hash)
    .bind(now)
    .bind(&file_name)
    .bind(&sha256)
    .bind(bytes)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(records.len() as i64)
}

pub async fn count<'e, E: Executor<'e, Database = sqlx::Any>>(ex: E) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM audit_log").fetch_one(ex).await?.try_get(0)?)
}
