//! Users: the account record, its fields and the user list.

use super::{escape_like, push_password_history};
use crate::sql::{Page, Sql};
use crate::table::Table;
use crate::{Result, b};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{DepartmentId, RoleId, TeamId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct User in "users" {
        pub id: UserId,
        pub username: String,
        pub display_name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub department_id: Option<DepartmentId>,
        pub manager_id: Option<UserId>,
        pub locale: String,
        pub time_zone: String,
        pub disabled: bool,
        pub locked_until: Option<i64>,
        pub totp_enabled: bool,
        pub must_change_password: bool,
        pub password_changed_at: Option<i64>,
        pub auth_source: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// Fields a user record is created or updated with (after validation in core).
#[derive(Debug, Clone, Default)]
pub struct UserFields {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub manager_id: Option<UserId>,
    pub locale: String,
    pub time_zone: String,
}

pub async fn insert_user(
    conn: &mut AnyConnection,
    f: &UserFields,
    password_hash: Option<&str>,
    must_change: bool,
    now: i64,
) -> Result<UserId> {
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, email, phone, department_id, manager_id, locale, time_zone, \
         password_hash, password_changed_at, must_change_password, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(&f.username)
    .bind(&f.display_name)
    .bind(&f.email)
    .bind(&f.phone)
    .bind(f.department_id.map(|d| d.0))
    .bind(f.manager_id.map(|m| m.0))
    .bind(&f.locale)
    .bind(&f.time_zone)
    .bind(password_hash)
    .bind(password_hash.map(|_| now))
    .bind(b(must_change))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id = UserId(row.try_get(0)?);
    if let Some(hash) = password_hash {
        push_password_history(conn, id, hash, now).await?;
    }
    Ok(id)
}

pub async fn update_user(conn: &mut AnyConnection, id: UserId, f: &UserFields, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE users SET display_name = $2, email = $3, phone = $4, department_id = $5, manager_id = $6, \
         locale = $7, time_zone = $8, updated_at = $9 WHERE id = $1",
    )
    .bind(id.0)
    .bind(&f.display_name)
    .bind(&f.email)
    .bind(&f.phone)
    .bind(f.department_id.map(|d| d.0))
    .bind(f.manager_id.map(|m| m.0))
    .bind(&f.locale)
    .bind(&f.time_zone)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(n.rows_affected() == 1)
}

/// The user with this e-mail address (case-insensitive), if exactly one has it.
pub async fn get_user_by_email<'e, E: Executor<'e, Database = Any>>(ex: E, email: &str) -> Result<Option<User>> {
    let cols = User::COLUMNS.join(", ");
    let sql = format!("SELECT {cols} FROM users WHERE LOWER(email) = LOWER($1) ORDER BY id LIMIT 2");
    let rows = sqlx::query(AssertSqlSafe(sql)).bind(email).fetch_all(ex).await?;
    if rows.len() == 1 { rows.first().map(User::from_row).transpose() } else { Ok(None) }
}

pub async fn get_user<'e, E: Executor<'e, Database = Any>>(ex: E, id: UserId) -> Result<Option<User>> {
    let cols = User::COLUMNS.join(", ");
    let sql = format!("SELECT {cols} FROM users WHERE id = $1");
    sqlx::query(AssertSqlSafe(sql)).bind(id.0).fetch_optional(ex).await?.as_ref().map(User::from_row).transpose()
}

pub async fn get_user_by_username<'e, E: Executor<'e, Database = Any>>(ex: E, username: &str) -> Result<Option<User>> {
    let cols = User::COLUMNS.join(", ");
    let sql = format!("SELECT {cols} FROM users WHERE username = $1");
    sqlx::query(AssertSqlSafe(sql)).bind(username).fetch_optional(ex).await?.as_ref().map(User::from_row).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub q: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub team_id: Option<TeamId>,
    pub role_id: Option<RoleId>,
    pub disabled: Option<bool>,
}

/// Users sorted by username (or id), filtered, one page.
pub async fn list_users<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    filter: &UserFilter,
    page: &PageRequest,
    by_username: bool,
) -> Result<Page<User>> {
    let cols = User::COLUMNS.join(", ");
    let mut sql = Sql::new(&format!("SELECT {cols} FROM users WHERE 1=1"));
    if let Some(q) = &filter.q {
        let like = format!("%{}%", escape_like(q));
        sql.push(" AND (username LIKE ").bind(like.clone()).push(" ESCAPE '\\' OR display_name LIKE ").bind(like).push(" ESCAPE '\\')");
    }
    if let Some(d) = filter.department_id {
        sql.push(" AND department_id = ").bind(d.0);
    }
    if let Some(t) = filter.team_id {
        sql.push(" AND id IN (SELECT user_id FROM team_members WHERE team_id = ").bind(t.0).push(")");
    }
    if let Some(r) = filter.role_id {
        sql.push(" AND id IN (SELECT user_id FROM user_roles WHERE role_id = ").bind(r.0).push(")");
    }
    if let Some(d) = filter.disabled {
        sql.push(" AND disabled = ").bind(b(d));
    }
    let key = by_username.then_some("username");
    sql.keyset(page, key);
    let users = sql.fetch_all(ex).await?.iter().map(User::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(users, page, |u| Cursor { id: u.id.0, key: by_username.then(|| u.username.clone()) }))
}

pub async fn set_disabled(conn: &mut AnyConnection, id: UserId, disabled: bool, now: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0)
        .bind(b(disabled))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(n.rows_affected() == 1)
}

pub async fn set_locale_and_zone(conn: &mut AnyConnection, id: UserId, locale: &str, zone: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET locale = $2, time_zone = $3, updated_at = $4 WHERE id = $1")
        .bind(id.0)
        .bind(locale)
        .bind(zone)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count_users<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM users").fetch_one(ex).await?.try_get(0)?)
}
