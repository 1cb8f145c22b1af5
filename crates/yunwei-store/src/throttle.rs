//! Counters of failed attempts (sign-in, second factor, current password) per key, and the
//! time until which a key is held back.

use crate::Result;
use sqlx::{AnyConnection, Executor, Row};

type Any = sqlx::Any;

/// The latest `blocked_until` among `keys` that lies after `now`.
pub async fn blocked_until<'e, E: Executor<'e, Database = Any>>(ex: E, keys: &[String], now: i64) -> Result<Option<i64>> {
    if keys.is_empty() {
        return Ok(None);
    }
    let mut sql = crate::sql::Sql::new("SELECT MAX(blocked_until) FROM sign_in_throttle WHERE blocked_until > ");
    sql.bind(now).push(" AND throttle_key IN (").bind_list(keys.iter().map(String::as_str));
    Ok(sql.fetch_one(ex).await?.try_get::<Option<i64>, _>(0)?)
}

/// Counts one failure for `key` and returns the failures in the current window (a window
/// older than `window_ms` starts again at one).
pub async fn record_failure(conn: &mut AnyConnection, key: &str, now: i64, window_ms: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO sign_in_throttle (throttle_key, failures, first_failure_at, blocked_until) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (throttle_key) DO UPDATE SET \
           failures = CASE WHEN sign_in_throttle.first_failure_at < $3 THEN 1 ELSE sign_in_throttle.failures + 1 END, \
           first_failure_at = CASE WHEN sign_in_throttle.first_failure_at < $3 THEN $2 ELSE sign_in_throttle.first_failure_at END \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

pub async fn block(conn: &mut AnyConnection, key: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE sign_in_throttle SET blocked_until = $2 WHERE throttle_key = $1").bind(key).bind(until).execute(conn).await?;
    Ok(())
}

/// Forgets the failures of `keys` (after a success).
pub async fn clear(conn: &mut AnyConnection, keys: &[String]) -> Result<()> {
    for k in keys {
        sqlx::query("DELETE FROM sign_in_throttle WHERE throttle_key = $1").bind(k.as_str()).execute(&mut *conn).await?;
    }
    Ok(())
}
