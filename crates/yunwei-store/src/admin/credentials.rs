//! What sign-in reads and writes: password hashes and their history, failed sign-ins and
//! locks, TOTP secrets and steps. Never serialised.

use crate::table::Table;
use crate::{Result, b};
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::UserId;

type Any = sqlx::Any;

table! {
    /// What sign-in needs to know about an account (a part of its `users` row); never serialised.
    #[derive(Debug, Clone)]
    pub struct Credentials in "users" {
        pub user_id: UserId = "id",
        pub password_hash: Option<String>,
        pub failed_logins: i64,
        pub locked_until: Option<i64>,
        pub disabled: bool,
        pub totp_secret: Option<String>,
        pub totp_enabled: bool,
        pub totp_last_step: Option<i64>,
        pub password_changed_at: Option<i64>,
    }
}

pub async fn credentials<'e, E: Executor<'e, Database = Any>>(ex: E, id: UserId) -> Result<Option<Credentials>> {
    let sql = format!("{} WHERE id = $1", Credentials::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(ex).await?.as_ref().map(Credentials::from_row).transpose()
}

/// Counts a failed sign-in and returns the new run of failures.
pub async fn record_failed_login(conn: &mut AnyConnection, id: UserId) -> Result<i64> {
    let row = sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
        .bind(id.0)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

pub async fn lock_until(conn: &mut AnyConnection, id: UserId, until: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE users SET locked_until = $2, failed_logins = CASE WHEN $2 IS NULL THEN 0 ELSE failed_logins END WHERE id = $1")
        .bind(id.0)
        .bind(until)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn reset_failed_logins(conn: &mut AnyConnection, id: UserId) -> Result<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)",
    )
    .bind(id.0)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password(conn: &mut AnyConnection, id: UserId, hash: &str, must_change: bool, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3, must_change_password = $4, updated_at = $3 WHERE id = $1")
        .bind(id.0)
        .bind(hash)
        .bind(now)
        .bind(b(must_change))
        .execute(&mut *conn)
        .await?;
    push_password_history(conn, id, hash, now).await
}

pub(super) async fn push_password_history(conn: &mut AnyConnection, id: UserId, hash: &str, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO password_history (user_id, password_hash, changed_at) VALUES ($1, $2, $3)")
        .bind(id.0)
        .bind(hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest `n` password hashes of a user, newest first.
pub async fn password_history<'e, E: Executor<'e, Database = Any>>(ex: E, id: UserId, n: i64) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY changed_at DESC, id DESC LIMIT $2")
        .bind(id.0)
        .bind(n)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

pub async fn set_totp(conn: &mut AnyConnection, id: UserId, secret: Option<&str>, enabled: bool) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = $2, totp_enabled = $3, totp_last_step = NULL WHERE id = $1")
        .bind(id.0)
        .bind(secret)
        .bind(b(enabled))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the time step a TOTP code was accepted for; refuses (false) a step
/// already used, so a code cannot be replayed.
pub async fn use_totp_step(conn: &mut AnyConnection, id: UserId, step: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)")
        .bind(id.0)
        .bind(step)
        .execute(conn)
        .await?;
    Ok(n.rows_affected() == 1)
}

/// Sets or clears the forced password change at next sign-in.
pub async fn set_must_change_password(conn: &mut AnyConnection, user: UserId, must: bool) -> Result<()> {
    sqlx::query("UPDATE users SET must_change_password = $2 WHERE id = $1").bind(user.0).bind(b(must)).execute(conn).await?;
    Ok(())
}
