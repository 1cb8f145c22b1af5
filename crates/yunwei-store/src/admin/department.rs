//! Departments (a tree).

use super::escape_like;
use crate::Result;
use crate::sql::{Page, Sql};
use crate::table::Table;
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::DepartmentId;
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

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
