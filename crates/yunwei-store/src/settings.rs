//! Named settings administrators edit at run time, stored as JSON text.

use crate::Result;
use sqlx::{AnyConnection, Executor, Row};

pub async fn get<'e, E: Executor<'e, Database = sqlx::Any>>(ex: E, key: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE setting_key = $1").bind(key).fetch_optional(ex).await?;
    row.map(|r| r.try_get(0).map_err(Into::into)).transpose()
}

pub async fn put(conn: &mut AnyConnection, key: &str, value: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (setting_key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (setting_key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
