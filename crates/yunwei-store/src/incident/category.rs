//! Incident categories (a tree, edited by administrators).

use crate::table::Table;
use crate::{Result, b};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{CategoryId, TeamId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Category in "incident_categories" {
        pub id: CategoryId,
        pub name: String,
        pub parent_id: Option<CategoryId>,
        pub team_id: Option<TeamId>,
        pub active: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub struct CategoryFields {
    pub name: String,
    pub parent_id: Option<CategoryId>,
    pub team_id: Option<TeamId>,
    pub active: bool,
}

pub async fn insert_category(conn: &mut AnyConnection, f: &CategoryFields, now: i64) -> Result<CategoryId> {
    let row = sqlx::query(
        "INSERT INTO incident_categories (name, parent_id, team_id, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(&f.name)
    .bind(f.parent_id.map(|p| p.0))
    .bind(f.team_id.map(|t| t.0))
    .bind(b(f.active))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(CategoryId(row.try_get(0)?))
}

pub async fn update_category(conn: &mut AnyConnection, id: CategoryId, f: &CategoryFields, now: i64) -> Result<bool> {
    let n =
        sqlx::query("UPDATE incident_categories SET name = $2, parent_id = $3, team_id = $4, active = $5, updated_at = $6 WHERE id = $1")
            .bind(id.0)
            .bind(&f.name)
            .bind(f.parent_id.map(|p| p.0))
            .bind(f.team_id.map(|t| t.0))
            .bind(b(f.active))
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    Ok(n == 1)
}

pub async fn categories<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<Category>> {
    sqlx::query("SELECT * FROM incident_categories ORDER BY name, id").fetch_all(ex).await?.iter().map(Category::from_row).collect()
}

pub async fn get_category<'e, E: Executor<'e, Database = Any>>(ex: E, id: CategoryId) -> Result<Option<Category>> {
    sqlx::query("SELECT * FROM incident_categories WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(Category::from_row)
        .transpose()
}
