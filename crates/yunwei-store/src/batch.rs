//! Group commit on SQLite (ADR 0007).
//!
//! A command whose writes are all *staged* (inserts of rows whose ids it reserved,
//! audit entries, outbox events, timeline and index-queue entries) needs nothing from
//! the writer until it commits. Such a command prepares a [`Batch`] without holding
//! the writer, then hands it over; whoever takes the writer next sends every batch
//! waiting by then in one transaction, one hand-off to SQLite's worker thread for the
//! lot. If that transaction fails, each batch is sent again on its own, so one
//! command's bad row never fails another's.
//!
//! On PostgreSQL a batch is sent as one transaction of its own at commit, and ids come
//! from the table's identity sequence.

use crate::sql::Sql;
use crate::tx::{Writer, send};
use crate::{Backend, Result, StoreError};
use sqlx::{AnyConnection, AnyPool, Row};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, PoisonError};
use tokio::sync::oneshot;
use yunwei_domain::audit::AuditEntry;

/// Where a command's staged writes go: a [`crate::Tx`] or a [`Batch`].
pub trait Stage: Send {
    fn backend(&self) -> Backend;

    /// A new statement for [`Stage::stage`]: placeholders as this backend's batches need them.
    fn statement(&self, text: &str) -> Sql {
        Sql::bulk(text, self.backend())
    }

    /// Writes `sql` with the commit (a transaction on PostgreSQL runs it at once).
    fn stage(&mut self, sql: Sql) -> impl Future<Output = Result<()>> + Send;

    /// Adds an entry to the audit chain; it is numbered, hashed and written at commit.
    fn push_audit(&mut self, entry: AuditEntry);
}

/// A command's writes, prepared without the writer and committed with others (SQLite)
/// or in a transaction of their own (PostgreSQL).
pub struct Batch {
    writer: Writer,
    read: AnyPool,
    backend: Backend,
    statements: Vec<Sql>,
    audit: Vec<AuditEntry>,
    reserved: Vec<&'static str>,
}

impl Batch {
    pub(crate) fn new(writer: Writer, read: AnyPool, backend: Backend) -> Self {
        Batch { writer, read, backend, statements: Vec::new(), audit: Vec::new(), reserved: Vec::new() }
    }

    /// The id the next row of `table` gets (a trusted constant): on SQLite handed out in
    /// memory, on PostgreSQL drawn from the identity sequence. On SQLite, if another
    /// process inserted into `table` meanwhile, the commit fails with
    /// [`StoreError::StaleId`] and the command may run again.
    pub async fn reserve_id(&mut self, table: &'static str) -> Result<i64> {
        let id = match &self.writer {
            Writer::Sqlite(w) => w.ids.next(table, async { first_free_id(&mut *self.read.acquire().await?, table).await }).await?,
            Writer::Postgres(_) => {
                let sql = format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id'))");
                sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(&self.read).await?.try_get(0)?
            }
        };
        if !self.reserved.contains(&table) {
            self.reserved.push(table);
        }
        Ok(id)
    }

    /// Returns once the batch is durable (as durable as the engine's commit).
    pub async fn commit(mut self) -> Result<()> {
        // On PostgreSQL the batch is sent as a Tx, whose own commit writes the key.
        let key = match (&self.writer, crate::idempotency::unclaimed()) {
            (Writer::Sqlite(_), Some(_)) => {
                let first = self.audit.first().map(|a| (a.object_type.clone(), a.object_id.clone()));
                crate::idempotency::stage_marker(&mut self, first).await?
            }
            _ => None,
        };
        let done = self.send().await.map_err(|e| crate::idempotency::key_taken(e, &key));
        if done.is_ok() {
            crate::idempotency::mark_claimed(&key);
        }
        done
    }

    async fn send(self) -> Result<()> {
        let Batch { writer, statements, audit, reserved, .. } = self;
        match &writer {
            Writer::Sqlite(w) => {
                let (done, outcome) = oneshot::channel();
                w.waiting().push(Waiting { prepared: Prepared { statements, audit, reserved }, done });
                // A task of its own, so that a cancelled request cannot abandon a group half sent.
                let leader = w.clone();
                tokio::spawn(async move { commit_waiting(&leader).await });
                outcome.await.unwrap_or(Err(StoreError::Closed))
            }
            Writer::Postgres(_) => {
                let mut tx = writer.begin().await?;
                for s in statements {
                    tx.stage(s).await?;
                }
                for entry in audit {
                    tx.push_audit(entry);
                }
                tx.commit().await
            }
        }
    }
}

impl Stage for Batch {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn stage(&mut self, sql: Sql) -> Result<()> {
        self.statements.push(sql);
        Ok(())
    }

    fn push_audit(&mut self, entry: AuditEntry) {
        self.audit.push(entry);
    }
}

/// A command's staged writes, ready to send.
pub(crate) struct Prepared {
    pub(crate) statements: Vec<Sql>,
    pub(crate) audit: Vec<AuditEntry>,
    pub(crate) reserved: Vec<&'static str>,
}

/// A prepared command and where its outcome goes.
pub(crate) struct Waiting {
    prepared: Prepared,
    done: oneshot::Sender<Result<()>>,
}

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waiting")
    }
}

/// Takes the writer and sends every batch waiting, unless an earlier leader took them all.
async fn commit_waiting(writer: &Arc<crate::tx::SqliteWriter>) {
    let taken = |w: &crate::tx::SqliteWriter| std::mem::take(&mut *w.waiting());
    if writer.waiting().is_empty() {
        return;
    }
    let mut state = match writer.lock().await {
        Ok(state) => state,
        Err(e) => {
            let busy = matches!(e, StoreError::WriterBusy);
            for w in taken(writer) {
                let _ = w.done.send(Err(if busy { StoreError::WriterBusy } else { StoreError::Closed }));
            }
            return;
        }
    };
    if writer.waiting().is_empty() {
        return;
    }
    // Behind every task ready to run now: those about to commit join this group. Idle, this
    // costs nothing; busy, groups grow and each commit serves more commands.
    tokio::task::yield_now().await;
    let group = taken(writer);
    if group.is_empty() {
        return;
    }
    writer.last_group.store(group.len(), std::sync::atomic::Ordering::SeqCst);
    let all: Vec<&Prepared> = group.iter().map(|w| &w.prepared).collect();
    let sent = send(&mut state, &writer.ids, &all).await;
    let group = match sent {
        Ok(()) => {
            for w in group {
                let _ = w.done.send(Ok(()));
            }
            return;
        }
        Err(e) if group.len() == 1 => {
            if let Some(w) = group.into_iter().next() {
                let _ = w.done.send(Err(e));
            }
            return;
        }
        Err(_) => group,
    };
    // One of them failed the group: each on its own, so only that one fails.
    for w in group {
        let outcome = send(&mut state, &writer.ids, &[&w.prepared]).await;
        let _ = w.done.send(outcome);
    }
}

/// What the group commit is doing, for tests: batches waiting now for the writer, and how
/// many batches the last group sent in one transaction held. `None` on PostgreSQL, where
/// each batch is a transaction of its own.
pub(crate) fn group_commit_state(writer: &Writer) -> Option<(usize, usize)> {
    match writer {
        Writer::Sqlite(w) => Some((w.waiting().len(), w.last_group.load(std::sync::atomic::Ordering::SeqCst))),
        Writer::Postgres(_) => None,
    }
}

/// The first id AUTOINCREMENT has not given out, even to a since deleted row.
pub(crate) async fn first_free_id(conn: &mut AnyConnection, table: &'static str) -> Result<i64> {
    let sql = format!(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0)) + 1"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(conn).await?.try_get(0)?)
}

/// Per table, the next id to hand out on SQLite, where one writer process hands them out.
#[derive(Debug, Default)]
pub(crate) struct IdBook(std::sync::Mutex<HashMap<&'static str, NextId>>);

#[derive(Debug, Clone, Copy)]
struct NextId {
    next: i64,
    /// False after another process took an id: ask the database before handing out more.
    checked: bool,
}

impl IdBook {
    /// The next id of `table`. `first_free` reads the first id the database has not given
    /// out; it runs only when the book cannot say by itself.
    pub(crate) async fn next(&self, table: &'static str, first_free: impl Future<Output = Result<i64>>) -> Result<i64> {
        match self.take(table) {
            Some(id) => Ok(id),
            None => Ok(self.take_checked(table, first_free.await?)),
        }
    }

    fn take(&self, table: &'static str) -> Option<i64> {
        let mut book = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = book.get_mut(table).filter(|n| n.checked)?;
        n.next += 1;
        Some(n.next - 1)
    }

    /// Never an id already handed out, as commands still preparing may hold it.
    fn take_checked(&self, table: &'static str, first_free: i64) -> i64 {
        let mut book = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = book.entry(table).or_insert(NextId { next: first_free, checked: true });
        n.next = n.next.max(first_free) + 1;
        n.checked = true;
        n.next - 1
    }

    /// Another process inserted into these tables.
    pub(crate) fn recheck(&self, tables: &[&'static str]) {
        let mut book = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for t in tables {
            if let Some(n) = book.get_mut(t) {
                n.checked = false;
            }
        }
    }
}
