//! Incident categories (a tree, edited by administrators).

use crate::Result;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::ids::{CategoryId, TeamId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Category in "incident_categories" {
        pub id: CategoryId,
        pub name: String,
        /// English name; empty: English readers see `name`.
        pub name_en: String,
        pub parent_id: Option<CategoryId>,
        pub team_id: Option<TeamId>,
        pub active: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub struct CategoryFields {
    pub name: String,
    pub name_en: String,
    pub parent_id: Option<CategoryId>,
    pub team_id: Option<TeamId>,
    pub active: bool,
}

impl CategoryFields {
    fn row(&self, id: CategoryId, now: i64) -> Category {
        let (name, name_en, parent_id, team_id, active) =
            (self.name.clone(), self.name_en.clone(), self.parent_id, self.team_id, self.active);
        Category { id, name, name_en, parent_id, team_id, active, created_at: now, updated_at: now }
    }
}

pub async fn insert_category(conn: &mut AnyConnection, f: &CategoryFields, now: i64) -> Result<CategoryId> {
    Ok(CategoryId(insert_returning_key(conn, &f.row(CategoryId(0), now)).await?))
}

pub async fn update_category(conn: &mut AnyConnection, id: CategoryId, f: &CategoryFields, now: i64) -> Result<bool> {
    update_row(conn, &f.row(id, now), &["name", "name_en", "parent_id", "team_id", "active", "updated_at"], None).await
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
