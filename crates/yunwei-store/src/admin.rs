//! Organisation records: users, teams, departments, roles and their links.

use crate::sql::{Page, Sql};
use crate::table::Table;
use crate::{Result, Stage, b};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::admin::AdminDuty;
use yunwei_domain::ids::{DepartmentId, RoleId, TeamId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};
use yunwei_domain::permission::Permission;

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

/// `%`, `_` and `\` match themselves in a LIKE pattern built from user text.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
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

// ---- credentials ----

/// What sign-in needs to know about an account; never serialised.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: UserId,
    pub password_hash: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub disabled: bool,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub password_changed_at: Option<i64>,
}

pub async fn credentials<'e, E: Executor<'e, Database = Any>>(ex: E, id: UserId) -> Result<Option<Credentials>> {
    let row = sqlx::query(
        "SELECT id, password_hash, failed_logins, locked_until, disabled, totp_secret, totp_enabled, totp_last_step, password_changed_at \
         FROM users WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(Credentials {
            user_id: UserId(r.try_get("id")?),
            password_hash: r.try_get("password_hash")?,
            failed_logins: r.try_get("failed_logins")?,
            locked_until: r.try_get("locked_until")?,
            disabled: crate::table::column(&r, "disabled")?,
            totp_secret: r.try_get("totp_secret")?,
            totp_enabled: crate::table::column(&r, "totp_enabled")?,
            totp_last_step: r.try_get("totp_last_step")?,
            password_changed_at: r.try_get("password_changed_at")?,
        })
    })
    .transpose()
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

async fn push_password_history(conn: &mut AnyConnection, id: UserId, hash: &str, now: i64) -> Result<()> {
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

// ---- departments ----

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Department in "departments" {
        pub id: DepartmentId,
        pub name: String,
        pub code: Option<String>,
        pub parent_id: Option<DepartmentId>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub async fn insert_department(
    conn: &mut AnyConnection,
    name: &str,
    code: Option<&str>,
    parent: Option<DepartmentId>,
    now: i64,
) -> Result<DepartmentId> {
    let row =
        sqlx::query("INSERT INTO departments (name, code, parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id")
            .bind(name)
            .bind(code)
            .bind(parent.map(|p| p.0))
            .bind(now)
            .fetch_one(conn)
            .await?;
    Ok(DepartmentId(row.try_get(0)?))
}

pub async fn update_department(
    conn: &mut AnyConnection,
    id: DepartmentId,
    name: &str,
    code: Option<&str>,
    parent: Option<DepartmentId>,
    now: i64,
) -> Result<bool> {
    let n = sqlx::query("UPDATE departments SET name = $2, code = $3, parent_id = $4, updated_at = $5 WHERE id = $1")
        .bind(id.0)
        .bind(name)
        .bind(code)
        .bind(parent.map(|p| p.0))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(n.rows_affected() == 1)
}

pub async fn delete_department(conn: &mut AnyConnection, id: DepartmentId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM departments WHERE id = $1").bind(id.0).execute(conn).await?.rows_affected() == 1)
}

pub async fn get_department<'e, E: Executor<'e, Database = Any>>(ex: E, id: DepartmentId) -> Result<Option<Department>> {
    sqlx::query("SELECT * FROM departments WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(Department::from_row)
        .transpose()
}

pub async fn list_departments<'e, E: Executor<'e, Database = Any>>(ex: E, q: Option<&str>, page: &PageRequest) -> Result<Page<Department>> {
    let mut sql = Sql::new("SELECT * FROM departments WHERE 1=1");
    if let Some(q) = q {
        sql.push(" AND name LIKE ").bind(format!("%{}%", escape_like(q))).push(" ESCAPE '\\'");
    }
    sql.keyset(page, Some("name"));
    let rows = sql.fetch_all(ex).await?.iter().map(Department::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |d| Cursor { id: d.id.0, key: Some(d.name.clone()) }))
}

/// Every ancestor of a department, nearest first (to refuse cycles).
pub async fn department_ancestors<'e, E: Executor<'e, Database = Any> + Copy>(ex: E, id: DepartmentId) -> Result<Vec<DepartmentId>> {
    let mut out = Vec::new();
    let mut current = get_department(ex, id).await?.and_then(|d| d.parent_id);
    while let Some(p) = current {
        if out.contains(&p) || out.len() > 64 {
            break;
        }
        out.push(p);
        current = get_department(ex, p).await?.and_then(|d| d.parent_id);
    }
    Ok(out)
}

// ---- teams ----

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Team in "teams" {
        pub id: TeamId,
        pub name: String,
        pub description: String,
        pub email: Option<String>,
        pub manager_id: Option<UserId>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

#[derive(Debug, Clone, Default)]
pub struct TeamFields {
    pub name: String,
    pub description: String,
    pub email: Option<String>,
    pub manager_id: Option<UserId>,
}

/// Staged on SQLite with a reserved id: a duplicate name fails at commit there.
pub async fn insert_team(tx: &mut crate::Tx, f: &TeamFields, now: i64) -> Result<TeamId> {
    const COLUMNS: &str = "name, description, email, manager_id, created_at, updated_at";
    let values = |sql: &mut Sql| {
        sql.bind(f.name.as_str()).push(", ").bind(f.description.as_str()).push(", ").bind(f.email.clone());
        sql.push(", ").bind(f.manager_id.map(|m| m.0)).push(", ").bind(now).push(", ").bind(now).push(")");
    };
    if let Some(id) = tx.reserve_id("teams").await? {
        let mut sql = tx.statement(&format!("INSERT INTO teams (id, {COLUMNS}) VALUES ("));
        sql.bind(id).push(", ");
        values(&mut sql);
        tx.stage(sql).await?;
        return Ok(TeamId(id));
    }
    let mut sql = tx.statement(&format!("INSERT INTO teams ({COLUMNS}) VALUES ("));
    values(&mut sql);
    sql.push(" RETURNING id");
    Ok(TeamId(sql.fetch_one(&mut **tx).await?.try_get(0)?))
}

pub async fn update_team(conn: &mut AnyConnection, id: TeamId, f: &TeamFields, now: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE teams SET name = $2, description = $3, email = $4, manager_id = $5, updated_at = $6 WHERE id = $1")
        .bind(id.0)
        .bind(&f.name)
        .bind(&f.description)
        .bind(&f.email)
        .bind(f.manager_id.map(|m| m.0))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(n.rows_affected() == 1)
}

pub async fn delete_team(conn: &mut AnyConnection, id: TeamId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM teams WHERE id = $1").bind(id.0).execute(conn).await?.rows_affected() == 1)
}

pub async fn get_team<'e, E: Executor<'e, Database = Any>>(ex: E, id: TeamId) -> Result<Option<Team>> {
    sqlx::query("SELECT * FROM teams WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(Team::from_row).transpose()
}

pub async fn list_teams<'e, E: Executor<'e, Database = Any>>(ex: E, q: Option<&str>, page: &PageRequest) -> Result<Page<Team>> {
    let mut sql = Sql::new("SELECT * FROM teams WHERE 1=1");
    if let Some(q) = q {
        sql.push(" AND name LIKE ").bind(format!("%{}%", escape_like(q))).push(" ESCAPE '\\'");
    }
    sql.keyset(page, Some("name"));
    let rows = sql.fetch_all(ex).await?.iter().map(Team::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |t| Cursor { id: t.id.0, key: Some(t.name.clone()) }))
}

/// Flushes first: the team itself may be a staged insert (see [`insert_team`]).
pub async fn set_team_members(tx: &mut crate::Tx, team: TeamId, members: &[UserId]) -> Result<()> {
    tx.flush().await?;
    let conn: &mut AnyConnection = tx;
    sqlx::query("DELETE FROM team_members WHERE team_id = $1").bind(team.0).execute(&mut *conn).await?;
    for m in members {
        sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)").bind(team.0).bind(m.0).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Replaces the teams a user belongs to.
pub async fn set_user_teams(conn: &mut AnyConnection, user: UserId, teams: &[TeamId]) -> Result<()> {
    sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    for t in teams {
        sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)").bind(t.0).bind(user.0).execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn team_members<'e, E: Executor<'e, Database = Any>>(ex: E, team: TeamId) -> Result<Vec<UserId>> {
    let rows = sqlx::query("SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id").bind(team.0).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(UserId(r.try_get(0)?))).collect()
}

/// A team's members, or `None` when there is no such team: one query for both.
pub async fn members_if_team<'e, E: Executor<'e, Database = Any>>(ex: E, team: TeamId) -> Result<Option<Vec<UserId>>> {
    let rows = sqlx::query("SELECT m.user_id FROM teams t LEFT JOIN team_members m ON m.team_id = t.id WHERE t.id = $1 ORDER BY m.user_id")
        .bind(team.0)
        .fetch_all(ex)
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let members = rows.iter().map(|r| r.try_get::<Option<i64>, _>(0)).collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Some(members.into_iter().flatten().map(UserId).collect()))
}

pub async fn teams_of_user<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<Vec<TeamId>> {
    let rows = sqlx::query("SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id").bind(user.0).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(TeamId(r.try_get(0)?))).collect()
}

// ---- roles ----

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Role in "roles" {
        pub id: RoleId,
        pub key: String = "role_key",
        pub name_en: String,
        pub name_zh: String,
        pub description: String,
        pub duty: Option<AdminDuty>,
        pub builtin: bool,
        pub require_totp: bool,
        pub permissions: Vec<Permission>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

#[derive(Debug, Clone)]
pub struct RoleFields {
    pub key: String,
    pub name_en: String,
    pub name_zh: String,
    pub description: String,
    pub duty: Option<AdminDuty>,
    pub require_totp: bool,
    pub permissions: Vec<Permission>,
}

pub async fn insert_role(conn: &mut AnyConnection, f: &RoleFields, builtin: bool, now: i64) -> Result<RoleId> {
    let perms = serde_json::to_string(&f.permissions).unwrap_or_else(|_| "[]".into());
    let row = sqlx::query(
        "INSERT INTO roles (role_key, name_en, name_zh, description, duty, builtin, require_totp, permissions, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(&f.key)
    .bind(&f.name_en)
    .bind(&f.name_zh)
    .bind(&f.description)
    .bind(f.duty.map(|d| d.as_str()))
    .bind(b(builtin))
    .bind(b(f.require_totp))
    .bind(perms)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(RoleId(row.try_get(0)?))
}

/// Updates names, description, TOTP requirement, permissions and the duty they carry; the key is fixed.
pub async fn update_role(conn: &mut AnyConnection, id: RoleId, f: &RoleFields, now: i64) -> Result<bool> {
    let perms = serde_json::to_string(&f.permissions).unwrap_or_else(|_| "[]".into());
    let n = sqlx::query(
        "UPDATE roles SET name_en = $2, name_zh = $3, description = $4, require_totp = $5, permissions = $6, updated_at = $7, duty = $8 \
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(&f.name_en)
    .bind(&f.name_zh)
    .bind(&f.description)
    .bind(b(f.require_totp))
    .bind(perms)
    .bind(now)
    .bind(f.duty.map(|d| d.as_str()))
    .execute(conn)
    .await?;
    Ok(n.rows_affected() == 1)
}

pub async fn delete_role(conn: &mut AnyConnection, id: RoleId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM roles WHERE id = $1").bind(id.0).execute(conn).await?.rows_affected() == 1)
}

pub async fn get_role<'e, E: Executor<'e, Database = Any>>(ex: E, id: RoleId) -> Result<Option<Role>> {
    sqlx::query("SELECT * FROM roles WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(Role::from_row).transpose()
}

pub async fn get_role_by_key<'e, E: Executor<'e, Database = Any>>(ex: E, key: &str) -> Result<Option<Role>> {
    sqlx::query("SELECT * FROM roles WHERE role_key = $1").bind(key).fetch_optional(ex).await?.as_ref().map(Role::from_row).transpose()
}

/// The permissions (as `object:action:scope`) the seeder has ever given a built-in role.
pub async fn builtin_grants(conn: &mut AnyConnection, role_key: &str) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT permission FROM builtin_grants WHERE role_key = $1").bind(role_key).fetch_all(conn).await?;
    rows.iter().map(|r| Ok(r.try_get::<String, _>(0)?)).collect()
}

/// Remembers that the seeder gave these permissions to a built-in role.
pub async fn record_builtin_grants(conn: &mut AnyConnection, role_key: &str, permissions: &[Permission]) -> Result<()> {
    for p in permissions {
        sqlx::query("INSERT INTO builtin_grants (role_key, permission) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(role_key)
            .bind(p.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn list_roles<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<Role>> {
    sqlx::query("SELECT * FROM roles ORDER BY builtin DESC, role_key").fetch_all(ex).await?.iter().map(Role::from_row).collect()
}

pub async fn roles_of_user<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<Vec<Role>> {
    sqlx::query("SELECT r.* FROM roles r JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = $1 ORDER BY r.role_key")
        .bind(user.0)
        .fetch_all(ex)
        .await?
        .iter()
        .map(Role::from_row)
        .collect()
}

pub async fn set_user_roles(conn: &mut AnyConnection, user: UserId, roles: &[RoleId]) -> Result<()> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    for r in roles {
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)").bind(user.0).bind(r.0).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Users who hold a role (by its key) and are not disabled: approvers named by role, the
/// directors told of every major incident.
pub async fn role_holders<'e, E: Executor<'e, Database = Any>>(ex: E, role_key: &str) -> Result<Vec<UserId>> {
    let rows = sqlx::query(
        "SELECT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
         WHERE r.role_key = $1 AND u.disabled = 0 ORDER BY u.id",
    )
    .bind(role_key)
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok(UserId(r.try_get(0)?))).collect()
}

/// Sets or clears the forced password change at next sign-in.
pub async fn set_must_change_password(conn: &mut AnyConnection, user: UserId, must: bool) -> Result<()> {
    sqlx::query("UPDATE users SET must_change_password = $2 WHERE id = $1").bind(user.0).bind(b(must)).execute(conn).await?;
    Ok(())
}

/// Enabled users whose roles grant `permission_prefix` (e.g. `role:approve`) at any scope.
pub async fn holders_of_permission<'e, E: Executor<'e, Database = Any>>(ex: E, permission_prefix: &str) -> Result<Vec<UserId>> {
    let rows = sqlx::query(
        "SELECT DISTINCT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
         WHERE r.permissions LIKE $1 AND u.disabled = 0 ORDER BY u.id",
    )
    .bind(format!("%\"{permission_prefix}:%"))
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok(UserId(r.try_get(0)?))).collect()
}

/// The users who hold a role, disabled ones included.
pub async fn holders_of_role<'e, E: Executor<'e, Database = Any>>(ex: E, role: RoleId) -> Result<Vec<UserId>> {
    let rows = sqlx::query("SELECT user_id FROM user_roles WHERE role_id = $1 ORDER BY user_id").bind(role.0).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(UserId(r.try_get(0)?))).collect()
}

pub async fn count_role_holders<'e, E: Executor<'e, Database = Any>>(ex: E, role: RoleId) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM user_roles WHERE role_id = $1").bind(role.0).fetch_one(ex).await?.try_get(0)?)
}
