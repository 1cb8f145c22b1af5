//! Sessions, API tokens and recovery codes. Secrets are stored only as SHA-256
//! hashes; the caller hashes before it asks.

use crate::Result;
use crate::table::Table;
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{ApiTokenId, UserId};
use yunwei_domain::permission::TokenScope;

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone)]
    pub struct Session in "sessions" {
        pub id_hash: String,
        pub user_id: UserId,
        pub csrf_token: String,
        pub second_factor_pending: bool,
        pub created_at: i64,
        pub last_seen_at: i64,
        pub source_ip: String,
        pub user_agent: String,
    }
}

pub async fn insert_session(conn: &mut AnyConnection, s: &Session) -> Result<()> {
    crate::table::insert_into(crate::sql::Sql::new(""), s, Session::COLUMNS)?.execute(conn).await?;
    Ok(())
}

pub async fn get_session<'e, E: Executor<'e, Database = Any>>(ex: E, id_hash: &str) -> Result<Option<Session>> {
    let sql = format!("{} WHERE id_hash = $1", Session::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id_hash).fetch_optional(ex).await?.as_ref().map(Session::from_row).transpose()
}

pub async fn touch_session<'e, E: Executor<'e, Database = Any>>(ex: E, id_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1").bind(id_hash).bind(now).execute(ex).await?;
    Ok(())
}

pub async fn complete_second_factor(conn: &mut AnyConnection, id_hash: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET second_factor_pending = 0 WHERE id_hash = $1").bind(id_hash).execute(conn).await?;
    Ok(())
}

pub async fn delete_session(conn: &mut AnyConnection, id_hash: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(conn).await?.rows_affected() == 1)
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_user_sessions(conn: &mut AnyConnection, user: UserId) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(conn).await?.rows_affected())
}

/// Ends every session of a user but the one named (the one changing the password).
pub async fn delete_user_sessions_except(conn: &mut AnyConnection, user: UserId, keep: Option<&str>) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user.0)
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await?
        .rows_affected())
}

/// Removes sessions idle or older than the policy allows.
pub async fn purge_sessions<'e, E: Executor<'e, Database = Any>>(ex: E, idle_before: i64, created_before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(created_before)
        .execute(ex)
        .await?
        .rows_affected())
}

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct ApiToken in "api_tokens" {
        pub id: ApiTokenId,
        pub user_id: UserId,
        pub name: String,
        /// The first characters of the token, to recognise it in a list.
        pub prefix: String,
        pub scopes: Vec<TokenScope>,
        pub expires_at: Option<i64>,
        pub created_at: i64,
        pub last_used_at: Option<i64>,
        pub revoked_at: Option<i64>,
    }
}

/// A token to store; the secret itself is never stored, only its hash.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub user: UserId,
    pub name: &'a str,
    pub hash: &'a str,
    pub prefix: &'a str,
    pub scopes: &'a [TokenScope],
    pub expires_at: Option<i64>,
}

pub async fn insert_token(conn: &mut AnyConnection, t: &NewToken<'_>, now: i64) -> Result<ApiTokenId> {
    let scopes = serde_json::to_string(t.scopes).unwrap_or_else(|_| "[]".into());
    let row = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, scopes, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(t.user.0)
    .bind(t.name)
    .bind(t.hash)
    .bind(t.prefix)
    .bind(scopes)
    .bind(t.expires_at)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(ApiTokenId(row.try_get(0)?))
}

pub async fn token_by_hash<'e, E: Executor<'e, Database = Any>>(ex: E, hash: &str) -> Result<Option<ApiToken>> {
    sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(ApiToken::from_row)
        .transpose()
}

pub async fn get_token<'e, E: Executor<'e, Database = Any>>(ex: E, id: ApiTokenId) -> Result<Option<ApiToken>> {
    sqlx::query("SELECT * FROM api_tokens WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(ApiToken::from_row).transpose()
}

pub async fn tokens_of_user<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<Vec<ApiToken>> {
    sqlx::query("SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY id DESC")
        .bind(user.0)
        .fetch_all(ex)
        .await?
        .iter()
        .map(ApiToken::from_row)
        .collect()
}

pub async fn revoke_token(conn: &mut AnyConnection, id: ApiTokenId, now: i64) -> Result<bool> {
    Ok(sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id.0)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

pub async fn revoke_user_tokens(conn: &mut AnyConnection, user: UserId, now: i64) -> Result<u64> {
    Ok(sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user.0)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected())
}

pub async fn touch_token<'e, E: Executor<'e, Database = Any>>(ex: E, id: ApiTokenId, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1").bind(id.0).bind(now).execute(ex).await?;
    Ok(())
}

pub async fn replace_recovery_codes(conn: &mut AnyConnection, user: UserId, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)").bind(user.0).bind(h).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Spends a recovery code; false if it is unknown or already used.
pub async fn use_recovery_code(conn: &mut AnyConnection, user: UserId, hash: &str, now: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL")
        .bind(user.0)
        .bind(hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(n.rows_affected() == 1)
}
