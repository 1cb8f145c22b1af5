//! Outbound webhook subscriptions. Their deliveries are rows of `deliveries`
//! with channel `webhook` and the webhook's id as the address.

use crate::table::{LenientJson, Table};
use crate::{Result, b};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};

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

pub async fn insert(conn: &mut AnyConnection, w: &Webhook) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO webhooks (name, url, event_types, active, secret, created_by, created_at, updated_by, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7, 1) RETURNING id",
    )
    .bind(&w.name)
    .bind(&w.url)
    .bind(serde_json::to_string(&w.event_types).unwrap_or_else(|_| "[]".into()))
    .bind(b(w.active))
    .bind(&w.secret)
    .bind(w.created_by)
    .bind(w.created_at)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Writes every field but the creation audit; bumps the version.
pub async fn update(conn: &mut AnyConnection, w: &Webhook) -> Result<()> {
    sqlx::query(
        "UPDATE webhooks SET name = $2, url = $3, event_types = $4, active = $5, secret = $6, updated_by = $7, updated_at = $8, \
         version = version + 1 WHERE id = $1",
    )
    .bind(w.id)
    .bind(&w.name)
    .bind(&w.url)
    .bind(serde_json::to_string(&w.event_types).unwrap_or_else(|_| "[]".into()))
    .bind(b(w.active))
    .bind(&w.secret)
    .bind(w.updated_by)
    .bind(w.updated_at)
    .execute(conn)
    .await?;
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
