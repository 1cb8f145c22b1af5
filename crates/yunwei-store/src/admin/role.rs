//! Roles, their permissions and duty, built-in grants and who holds a role.

use crate::table::Table;
use crate::{Result, b};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::admin::AdminDuty;
use yunwei_domain::ids::{RoleId, UserId};
use yunwei_domain::permission::Permission;

type Any = sqlx::Any;

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
