//! Saved views: named queue filters per user.

use crate::Result;
use crate::table::Table;
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::UserId;

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct SavedView in "saved_views" {
        pub id: i64,
        pub object_type: String,
        pub name: String,
        /// The queue's query string, e.g. `queue=my_teams&state=open&sort=sla_due`.
        pub query: String,
        pub created_at: i64,
    }
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId, object_type: &str) -> Result<Vec<SavedView>> {
    let rows = sqlx::query("SELECT * FROM saved_views WHERE user_id = $1 AND object_type = $2 ORDER BY name, id")
        .bind(user.0)
        .bind(object_type)
        .fetch_all(ex)
        .await?;
    rows.iter().map(SavedView::from_row).collect()
}

pub async fn insert(conn: &mut AnyConnection, user: UserId, object_type: &str, name: &str, query: &str, now: i64) -> Result<i64> {
    let row =
        sqlx::query("INSERT INTO saved_views (user_id, object_type, name, query, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(user.0)
            .bind(object_type)
            .bind(name)
            .bind(query)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
    Ok(row.try_get(0)?)
}

/// Deletes one of the user's own views; false if there was none.
pub async fn delete(conn: &mut AnyConnection, user: UserId, id: i64) -> Result<bool> {
    let n = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user.0)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

pub async fn count<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM saved_views WHERE user_id = $1").bind(user.0).fetch_one(ex).await?.try_get(0)?)
}
