//! Write transactions and the write connection.
//!
//! On SQLite every statement is a hand-off to the connection's worker thread and
//! back, and the single writer is held across all of a command's statements; so the
//! number of hand-offs per command sets the write throughput (ADR 0006). Hence, on
//! SQLite:
//! - the writer is one connection behind a fair lock (no pool pings on acquire and
//!   release);
//! - between commands the connection rests inside an empty deferred transaction
//!   (`COMMIT; BEGIN` ends each commit), which holds no lock, so `BEGIN` costs nothing;
//! - the audit chain's head is remembered between commands; entries are hashed at
//!   commit, and a head moved by another process shows as a key conflict, upon which
//!   the head is read again and the entries re-hashed;
//! - append-only side rows (audit entries, outbox events, index-queue entries,
//!   timeline entries) are *staged* and sent with `COMMIT` as one batch;
//! - commands whose writes are all staged prepare them without the writer and commit
//!   in groups ([`crate::batch`]).
//!
//! On PostgreSQL a transaction is sqlx's own, staged statements run at once, and the
//! head row is locked only at commit, when the entries are written.

use crate::audit::{audit_insert, hash_entry};
use crate::batch::{IdBook, Prepared, Stage};
use crate::sql::Sql;
use crate::staged::Staged;
use crate::{Backend, Result, StoreError, idempotency};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Row};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
use yunwei_domain::audit::AuditEntry;

/// How long a command waits for the SQLite writer before it gives up, as a pool's acquire timeout does.
const WRITER_WAIT: Duration = Duration::from_secs(30);

type Head = (i64, String);

/// The SQLite write connection and what is known about it between commands.
#[derive(Debug)]
pub struct WriterState {
    conn: AnyConnection,
    /// An empty deferred transaction is open, ready for the next command.
    resting_in_tx: bool,
    /// The audit head as of this connection's last commit (another process may have moved it).
    head: Option<Head>,
    /// A tool beside the server ([`crate::Access::Tool`]): transactions begin `IMMEDIATE`
    /// and nothing rests in one between commands.
    immediate: bool,
}

impl WriterState {
    fn begin_sql(&self) -> &'static str {
        if self.immediate { "BEGIN IMMEDIATE" } else { "BEGIN" }
    }
}

#[derive(Debug)]
pub struct SqliteWriter {
    state: Arc<Mutex<Option<WriterState>>>,
    /// A transaction was dropped without commit or rollback: roll it back before the next use.
    needs_rollback: AtomicBool,
    /// Ids handed out in memory (see [`Tx::reserve_id`]).
    pub(crate) ids: IdBook,
    /// Prepared commands waiting to be committed as a group (see [`crate::batch`]).
    pub(crate) pending: std::sync::Mutex<Vec<crate::batch::Waiting>>,
    /// How many batches the last group sent together held (tests watch the grouping).
    pub(crate) last_group: std::sync::atomic::AtomicUsize,
}

type Guard = OwnedMappedMutexGuard<Option<WriterState>, WriterState>;

impl SqliteWriter {
    pub(crate) fn new(conn: AnyConnection, immediate: bool) -> Arc<Self> {
        let state = WriterState { conn, resting_in_tx: false, head: None, immediate };
        Arc::new(Self {
            state: Arc::new(Mutex::new(Some(state))),
            needs_rollback: AtomicBool::new(false),
            ids: IdBook::default(),
            pending: std::sync::Mutex::default(),
            last_group: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub(crate) async fn lock(self: &Arc<Self>) -> Result<Guard> {
        let guard: OwnedMutexGuard<Option<WriterState>> =
            tokio::time::timeout(WRITER_WAIT, self.state.clone().lock_owned()).await.map_err(|_| StoreError::WriterBusy)?;
        let mut w = OwnedMutexGuard::try_map(guard, |s| s.as_mut()).map_err(|_| StoreError::Closed)?;
        if self.needs_rollback.swap(false, Ordering::AcqRel) {
            // "no transaction is active" when the dropped one had committed after all: nothing to undo.
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut w.conn).await;
            w.resting_in_tx = false;
            w.head = None;
        }
        Ok(w)
    }

    /// The connection outside any transaction, for statements that commit by themselves.
    async fn lock_outside_tx(self: &Arc<Self>) -> Result<Guard> {
        let mut w = self.lock().await?;
        if w.resting_in_tx {
            sqlx::raw_sql("COMMIT").execute(&mut w.conn).await?;
            w.resting_in_tx = false;
        }
        Ok(w)
    }

    /// Prepared commands waiting to be committed as a group.
    pub(crate) fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<crate::batch::Waiting>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) async fn close(&self) {
        if let Some(mut w) = self.state.lock().await.take() {
            if w.resting_in_tx {
                let _ = sqlx::raw_sql("COMMIT").execute(&mut w.conn).await;
            }
            let _ = sqlx::Connection::close(w.conn).await;
        }
    }
}

/// Where writes go.
#[derive(Debug, Clone)]
pub(crate) enum Writer {
    Sqlite(Arc<SqliteWriter>),
    Postgres(AnyPool),
}

/// The write connection outside a transaction (statements that commit by themselves).
pub enum WriteConn {
    Sqlite(Guard),
    Postgres(PoolConnection<Any>),
}

impl Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            WriteConn::Sqlite(w) => &w.conn,
            WriteConn::Postgres(c) => c,
        }
    }
}

impl DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            WriteConn::Sqlite(w) => &mut w.conn,
            WriteConn::Postgres(c) => c,
        }
    }
}

pub(crate) async fn read_head(conn: &mut AnyConnection, lock: &str) -> Result<Head> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT seq, hash FROM audit_head WHERE id = 1{lock}"))).fetch_all(conn).await?;
    let head = rows.first().ok_or_else(|| StoreError::Corrupt("audit_head has no row".into()))?;
    Ok((head.try_get(0)?, head.try_get(1)?))
}

impl Writer {
    pub(crate) async fn conn(&self) -> Result<WriteConn> {
        match self {
            Writer::Sqlite(w) => Ok(WriteConn::Sqlite(w.lock_outside_tx().await?)),
            Writer::Postgres(p) => Ok(WriteConn::Postgres(p.acquire().await?)),
        }
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        match self {
            Writer::Sqlite(w) => {
                let mut state = w.lock().await?;
                if !state.resting_in_tx {
                    sqlx::raw_sql(state.begin_sql()).execute(&mut state.conn).await?;
                    state.resting_in_tx = true;
                }
                let tx = SqliteTx { state, writer: w.clone(), finished: false };
                Ok(Tx { inner: Inner::Sqlite(tx), staged: Vec::new(), audit: Vec::new(), reserved: Vec::new() })
            }
            Writer::Postgres(p) => {
                Ok(Tx { inner: Inner::Postgres(p.begin().await?), staged: Vec::new(), audit: Vec::new(), reserved: Vec::new() })
            }
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Writer::Sqlite(w) => w.close().await,
            Writer::Postgres(p) => p.close().await,
        }
    }

    pub(crate) fn size(&self) -> u32 {
        match self {
            Writer::Sqlite(_) => 1,
            Writer::Postgres(p) => p.size(),
        }
    }
}

enum Inner {
    Sqlite(SqliteTx),
    Postgres(sqlx::Transaction<'static, Any>),
}

struct SqliteTx {
    state: Guard,
    writer: Arc<SqliteWriter>,
    finished: bool,
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if !self.finished {
            // Dropped on an error path or a cancelled request: whoever takes the writer next
            // rolls back first; a janitor does it now in case nobody comes soon, since an open
            // write transaction holds SQLite's write lock against other processes.
            self.writer.needs_rollback.store(true, Ordering::Release);
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let writer = self.writer.clone();
                rt.spawn(async move {
                    let _ = writer.lock().await;
                });
            }
        }
    }
}

/// One write transaction per command. Derefs to the connection for statements
/// that run at once; [`Tx::stage`] holds append-only side rows until commit.
pub struct Tx {
    inner: Inner,
    staged: Vec<Sql>,
    audit: Vec<AuditEntry>,
    /// Tables this transaction took ids of.
    reserved: Vec<&'static str>,
}

impl Tx {
    /// SQLite: the id the next row of `table` gets, reserved in memory (one writer hands ids
    /// out), so that the insert can be staged; PostgreSQL: `None`, the identity column assigns
    /// it. `table` is a trusted constant. If another process inserted into `table` meanwhile,
    /// the commit fails with [`StoreError::StaleId`] and the command may run again.
    pub async fn reserve_id(&mut self, table: &'static str) -> Result<Option<i64>> {
        let Inner::Sqlite(tx) = &mut self.inner else { return Ok(None) };
        let next = tx.writer.ids.next(table, crate::batch::first_free_id(&mut tx.state.conn, table)).await?;
        if !self.reserved.contains(&table) {
            self.reserved.push(table);
        }
        Ok(Some(next))
    }

    /// Sends what is staged now, for the rare command that reads a staged row back
    /// (audit entries still wait for the commit: nothing reads them back).
    pub async fn flush(&mut self) -> Result<()> {
        if let Inner::Sqlite(tx) = &mut self.inner
            && !self.staged.is_empty()
        {
            let mut batch = Staged::default();
            for s in std::mem::take(&mut self.staged) {
                batch.push(s);
            }
            let sent = batch.into_batch("").execute_owned(&mut tx.state.conn).await;
            sent.map_err(|e| stale_id(e, &self.reserved, &tx.writer.ids))?;
        }
        Ok(())
    }

    /// Commits, with the request's idempotency key if it has one not yet written.
    pub async fn commit(mut self) -> Result<()> {
        let key = match idempotency::unclaimed() {
            Some(_) => {
                let first = self.audit.first().map(|a| (a.object_type.clone(), a.object_id.clone()));
                idempotency::stage_marker(&mut self, first).await?
            }
            None => None,
        };
        let Tx { inner, staged, audit, reserved } = self;
        let done = match inner {
            Inner::Sqlite(mut tx) => {
                let prepared = Prepared { statements: staged, audit, reserved };
                let writer = tx.writer.clone();
                let sent = send(&mut tx.state, &writer.ids, &[&prepared]).await;
                // Sent or rolled back; either way nothing is left open.
                tx.finished = true;
                sent
            }
            Inner::Postgres(mut tx) => {
                if !audit.is_empty() {
                    let head = read_head(&mut tx, " FOR UPDATE").await?;
                    for insert in audit_inserts(Backend::Postgres, audit.iter(), head).0 {
                        insert.execute(&mut *tx).await?;
                    }
                }
                Ok(tx.commit().await?)
            }
        };
        done.map_err(|e| idempotency::key_taken(e, &key))?;
        idempotency::mark_claimed(&key);
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            Inner::Sqlite(mut tx) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut tx.state.conn).await?;
                tx.state.resting_in_tx = false;
                tx.finished = true;
                Ok(())
            }
            Inner::Postgres(tx) => Ok(tx.rollback().await?),
        }
    }
}

/// Sends prepared commands with `COMMIT` as one batch on the SQLite writer, their
/// audit entries chained from the remembered head; on failure nothing of them stays.
pub(crate) async fn send(w: &mut WriterState, ids: &IdBook, group: &[&Prepared]) -> Result<()> {
    let audit: Vec<&AuditEntry> = group.iter().flat_map(|p| &p.audit).collect();
    let mut head = w.head.clone();
    if head.is_none() && !audit.is_empty() {
        head = Some(read_head(&mut w.conn, "").await?);
    }
    let mut reread = false;
    loop {
        let (inserts, new_head) = match &head {
            Some(h) => audit_inserts(Backend::Sqlite, audit.iter().copied(), h.clone()),
            None => (Vec::new(), None),
        };
        let mut batch = Staged::default();
        if !w.resting_in_tx {
            batch.push_text(w.begin_sql());
        }
        // Audit inserts first: if the head is stale, they fail before anything else has run.
        batch.push_same(&inserts.iter().collect::<Vec<_>>());
        batch.push_group(&group.iter().map(|p| p.statements.as_slice()).collect::<Vec<_>>());
        // Resting inside a new deferred transaction makes the next BEGIN free; a tool's
        // transaction would hold the write lock, so it does not rest.
        let end = if w.immediate { "COMMIT" } else { "COMMIT;\nBEGIN" };
        let sent = batch.into_batch(end).execute_owned(&mut w.conn).await;
        match sent {
            Ok(_) => {
                w.head = new_head.or(head);
                w.resting_in_tx = !w.immediate;
                return Ok(());
            }
            // Another process appended to the chain since this connection's last commit.
            Err(e) if !reread && !audit.is_empty() && is_stale_head(&e) => {
                w.resting_in_tx = true;
                head = Some(read_head(&mut w.conn, "").await?);
                reread = true;
            }
            Err(e) => {
                // "no transaction is active" when the failure undid it already.
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut w.conn).await;
                w.resting_in_tx = false;
                let reserved: Vec<&'static str> = group.iter().flat_map(|p| p.reserved.iter().copied()).collect();
                return Err(stale_id(e, &reserved, ids));
            }
        }
    }
}

/// The inserts of `entries`, chained from `head`, and the head after the last.
fn audit_inserts<'a>(backend: Backend, entries: impl ExactSizeIterator<Item = &'a AuditEntry>, head: Head) -> (Vec<Sql>, Option<Head>) {
    let (mut seq, mut prev) = head;
    let mut out = Vec::with_capacity(entries.len());
    let some = entries.len() > 0;
    for e in entries {
        seq += 1;
        let entry = AuditEntry { seq, ..e.clone() };
        let hash = hash_entry(&entry, &prev);
        out.push(audit_insert(backend, &entry, &prev, &hash));
        prev = hash;
    }
    let last = some.then_some((seq, prev));
    (out, last)
}

/// A key conflict on the id of a row whose id was reserved: another process inserted
/// into that table, so ids are handed out afresh.
fn stale_id(e: StoreError, reserved: &[&'static str], ids: &IdBook) -> StoreError {
    if let StoreError::Sql(sqlx::Error::Database(d)) = &e
        && d.is_unique_violation()
        && reserved.iter().any(|t| d.message().contains(&format!("{t}.id")))
    {
        ids.recheck(reserved);
        return StoreError::StaleId;
    }
    e
}

/// A key conflict on the audit log: the remembered head is behind the stored one.
fn is_stale_head(e: &StoreError) -> bool {
    match e {
        StoreError::Sql(sqlx::Error::Database(d)) => d.is_unique_violation() && d.message().contains("audit_log"),
        _ => false,
    }
}

impl Stage for Tx {
    fn backend(&self) -> Backend {
        match self.inner {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// With the commit (SQLite) or now (PostgreSQL). Only for rows that nothing in this
    /// transaction reads or references afterwards: statements that run at once go to the
    /// database before staged ones.
    async fn stage(&mut self, sql: Sql) -> Result<()> {
        match &mut self.inner {
            Inner::Sqlite(_) => {
                self.staged.push(sql);
                Ok(())
            }
            Inner::Postgres(tx) => {
                sql.execute(&mut **tx).await?;
                Ok(())
            }
        }
    }

    fn push_audit(&mut self, entry: AuditEntry) {
        self.audit.push(entry);
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.inner {
            Inner::Sqlite(tx) => &tx.state.conn,
            Inner::Postgres(tx) => tx,
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.inner {
            Inner::Sqlite(tx) => &mut tx.state.conn,
            Inner::Postgres(tx) => tx,
        }
    }
}
