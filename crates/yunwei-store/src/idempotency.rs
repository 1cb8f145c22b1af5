//! Idempotency keys on POST: the first response is stored with the request's
//! hash and replayed for a retry with the same key and body.

use crate::Result;
use sqlx::{AnyConnection, Executor, Row};

#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

pub async fn find<'e, E: Executor<'e, Database = sqlx::Any>>(ex: E, user: i64, key: &str) -> Result<Option<StoredResponse>> {
    let row = sqlx::query("SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
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
        })
    })
    .transpose()
}

/// Keeps the first response for a key; a concurrent duplicate loses quietly.
pub async fn store(conn: &mut AnyConnection, user: i64, key: &str, r: &StoredResponse, now: i64) -> Result<()> {
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

pub async fn purge_before<'e, E: Executor<'e, Database = sqlx::Any>>(ex: E, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(ex).await?.rows_affected())
}
