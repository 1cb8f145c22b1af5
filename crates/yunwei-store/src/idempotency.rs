//! Idempotency keys on POST: the first response is stored with the request's
//! hash and replayed for a retry with the same key and body.
//!
//! The key is written by the command's own commit (a [`crate::Tx`] or a [`crate::Batch`],
//! group commit included), in the same transaction as the record: a request that committed
//! but was never answered — a client timeout, a crash — still leaves its key, so its retry
//! cannot do the work twice. The web layer sets the request's [`IdempotencyScope`] around
//! the handler and fills in the answer after it returns.

use crate::{Backend, Result, Stage, StoreError};
use sqlx::{AnyConnection, Executor, Row};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The idempotency key of the request a task is serving.
#[derive(Debug)]
pub struct IdempotencyScope {
    pub user: i64,
    pub key: String,
    pub request_hash: String,
    pub at_ms: i64,
    /// Set once a commit of this request has written the key; later commits skip it.
    claimed: AtomicBool,
}

impl IdempotencyScope {
    pub fn new(user: i64, key: String, request_hash: String, at_ms: i64) -> Arc<Self> {
        Arc::new(Self { user, key, request_hash, at_ms, claimed: AtomicBool::new(false) })
    }

    /// Whether a commit of this request has written the key.
    pub fn claimed(&self) -> bool {
        self.claimed.load(Ordering::Acquire)
    }
}

tokio::task_local! {
    static SCOPE: Arc<IdempotencyScope>;
}

/// Runs `f` (a request's handler) with its idempotency key in scope of every commit it makes.
pub async fn scoped<F: std::future::Future>(scope: Arc<IdempotencyScope>, f: F) -> F::Output {
    SCOPE.scope(scope, f).await
}

/// The key of the request this task serves, if it has one the commits have not written yet.
pub(crate) fn unclaimed() -> Option<Arc<IdempotencyScope>> {
    SCOPE.try_with(Arc::clone).ok().filter(|s| !s.claimed())
}

/// The marker row a commit writes with the record: status 0 until the answer is stored.
/// `object` is what the command's first audit entry names, for the answer to a retry that
/// finds no stored response.
pub(crate) fn marker(backend: Backend, scope: &IdempotencyScope, object: Option<(&str, &str)>) -> crate::sql::Sql {
    let mut sql = crate::sql::Sql::bulk(
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, content_type, body, created_at, object_type, object_id) VALUES (",
        backend,
    );
    sql.bind(scope.user).push(", ").bind(scope.key.as_str()).push(", ").bind(scope.request_hash.as_str());
    sql.push(", 0, '', '', ").bind(scope.at_ms).push(", ").bind(object.map(|o| o.0.to_string())).push(", ");
    sql.bind(object.map(|o| o.1.to_string())).push(")");
    sql
}

/// After a successful commit: later commits of the same request leave the key alone.
pub(crate) fn mark_claimed(scope: &Option<Arc<IdempotencyScope>>) {
    if let Some(s) = scope {
        s.claimed.store(true, Ordering::Release);
    }
}

/// A second request with the same key committed first: this one's work is undone.
pub(crate) fn key_taken(e: StoreError, scope: &Option<Arc<IdempotencyScope>>) -> StoreError {
    match (&e, scope) {
        (StoreError::Sql(sqlx::Error::Database(d)), Some(_)) if d.is_unique_violation() && d.message().contains("idempotency_keys") => {
            StoreError::IdempotencyKeyTaken
        }
        _ => e,
    }
}

/// Stages the marker in `tx` when the request has a key not yet written; `first_audit` names
/// the record (the object of the command's first audit entry).
pub(crate) async fn stage_marker(tx: &mut impl Stage, first_audit: Option<(String, String)>) -> Result<Option<Arc<IdempotencyScope>>> {
    let Some(scope) = unclaimed() else { return Ok(None) };
    let sql = marker(tx.backend(), &scope, first_audit.as_ref().map(|(t, i)| (t.as_str(), i.as_str())));
    let scope = Some(scope);
    // On PostgreSQL a transaction runs it at once: a key taken meanwhile fails here.
    tx.stage(sql).await.map_err(|e| key_taken(e, &scope))?;
    Ok(scope)
}

#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub request_hash: String,
    /// 0: the command committed but its answer was not stored (yet).
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
}

pub async fn find<'e, E: Executor<'e, Database = sqlx::Any>>(ex: E, user: i64, key: &str) -> Result<Option<StoredResponse>> {
    let row = sqlx::query(
        "SELECT request_hash, status, content_type, body, object_type, object_id FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
    )
        .bind(user)
        .bind(key)
        .fetch_optional(ex)
        .await?;
    row.map(|r| {
        Ok(StoredResponse {
            request_hash: r.try_get(0)?,
            status: u16::try_from(r.try_get::<i64, _>(1)?).unwrap_or(500),
            content_type: r.try_get(2)?,
            body: r.try_get(3)?,
            object_type: r.try_get(4)?,
            object_id: r.try_get(5)?,
        })
    })
    .transpose()
}

/// Stores the answer for a key: fills in the marker its command's commit wrote, or, for a
/// request that committed nothing, keeps the first answer (a concurrent duplicate loses quietly).
pub async fn store(conn: &mut AnyConnection, user: i64, key: &str, r: &StoredResponse, now: i64) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 WHERE user_id = $1 AND idem_key = $2 AND status = 0 \
         AND request_hash = $6",
    )
    .bind(user)
    .bind(key)
    .bind(i64::from(r.status))
    .bind(&r.content_type)
    .bind(&r.body)
    .bind(&r.request_hash)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated > 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, content_type, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (user_id, idem_key) DO NOTHING",
    )
    .bind(user)
    .bind(key)
    .bind(&r.request_hash)
    .bind(i64::from(r.status))
    .bind(&r.content_type)
    .bind(&r.body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a key whose request committed a side write (a refusal's audit entry) and then
/// answered with an error: errors are not replayed, so the retry runs again.
pub async fn release(conn: &mut AnyConnection, user: i64, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2 AND status = 0")
        .bind(user)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn purge_before<'e, E: Executor<'e, Database = sqlx::Any>>(ex: E, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(ex).await?.rows_affected())
}
