//! Outbound webhook subscriptions. Their deliveries are rows of `deliveries`
//! with channel `webhook` and the webhook's id as the address.

use crate::Result;
use crate::table::{LenientJson, Table, insert_returning_key, update_set};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};

type Any = sqlx::Any;

pub const CHANNEL: &str = "webhook";

table! {
    /// A subscription. `secret` never leaves core except once, on create and rotate.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Webhook in "webhooks" {
        pub id: i64,
        pub name: String,
        pub url: String,
        /// Empty: every event.
        pub event_types: Vec<String> as LenientJson,
        pub active: bool,
        #[serde(skip)]
        pub secret: String,
        pub created_by: Option<i64>,
        pub created_at: i64,
        pub updated_by: Option<i64>,
        pub updated_at: i64,
        pub version: i64,
    }
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<Webhook>> {
    sqlx::query("SELECT * FROM webhooks ORDER BY name, id").fetch_all(ex).await?.iter().map(Webhook::from_row).collect()
}

pub async fn list_active<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<Webhook>> {
    sqlx::query("SELECT * FROM webhooks WHERE active = 1 ORDER BY id").fetch_all(ex).await?.iter().map(Webhook::from_row).collect()
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<Webhook>> {
    sqlx::query("SELECT * FROM webhooks WHERE id = $1").bind(id).fetch_optional(ex).await?.as_ref().map(Webhook::from_row).transpose()
}

/// A new subscription at version 1, last updated by its creator when created.
pub async fn insert(conn: &mut AnyConnection, w: &Webhook) -> Result<i64> {
    insert_returning_key(conn, &Webhook { updated_by: w.created_by, updated_at: w.created_at, version: 1, ..w.clone() }).await
}

/// Writes every field but the creation audit; bumps the version.
pub async fn update(conn: &mut AnyConnection, w: &Webhook) -> Result<()> {
    let mut sql = update_set(w, &["name", "url", "event_types", "active", "secret", "updated_by", "updated_at"])?;
    sql.push(", version = version + 1 WHERE id = ").bind(w.id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(conn).await?.rows_affected() == 1)
}

/// The webhook's latest delivery attempts, newest first.
pub async fn recent_deliveries<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64, limit: i64) -> Result<Vec<crate::notify::Delivery>> {
    let rows = sqlx::query("SELECT * FROM deliveries WHERE channel = $1 AND address = $2 ORDER BY id DESC LIMIT $3")
        .bind(CHANNEL)
        .bind(id.to_string())
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(crate::notify::Delivery::from_row).collect()
}
