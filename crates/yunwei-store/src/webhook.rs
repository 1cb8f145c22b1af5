//! Outbound webhook subscriptions. Their deliveries are rows of `deliveries`
//! with channel `webhook` and the webhook's id as the address.

use crate::Result;
use crate::table::{LenientJson, Table, insert_returning_key, update_set};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::webhook::WebhookFormat;

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
        /// Yunwei's signed JSON, a chat robot or an SMS gateway.
        pub format: WebhookFormat,
        /// The language of the words robots and SMS get.
        pub locale: String,
        /// Messages a minute the receiver takes; 0: no limit.
        pub per_minute: i64,
        /// SMS: the numbers to text.
        pub phones: Vec<String> as LenientJson,
        /// SMS: the gateway's JSON body as a template; empty: Yunwei's own.
        pub body_template: String,
        /// Yunwei's HMAC key, or the robot's own (DingTalk, Feishu); may be empty for robots.
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
    let mut sql = update_set(
        w,
        &[
            "name",
            "url",
            "event_types",
            "active",
            "format",
            "locale",
            "per_minute",
            "phones",
            "body_template",
            "secret",
            "updated_by",
            "updated_at",
        ],
    )?;
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

/// When the budgeted receiver `id` was last sent messages, since `since` (ms), oldest first.
pub async fn messages_since<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64, since: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT sent_at FROM webhook_messages WHERE webhook_id = $1 AND sent_at > $2 ORDER BY sent_at")
        .bind(id)
        .bind(since)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| Ok(sqlx::Row::try_get::<i64, _>(r, 0)?)).collect()
}

/// Records one message sent (carrying `deliveries` deliveries) and forgets those older than `forget_before`.
pub async fn record_message(conn: &mut AnyConnection, id: i64, sent_at: i64, deliveries: i64, forget_before: i64) -> Result<()> {
    sqlx::query("INSERT INTO webhook_messages (webhook_id, sent_at, deliveries) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(sent_at)
        .bind(deliveries)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM webhook_messages WHERE webhook_id = $1 AND sent_at < $2").bind(id).bind(forget_before).execute(conn).await?;
    Ok(())
}
