//! The outbox (events written with the change that caused them), deliveries
//! per channel and recipient, in-app notifications, templates and preferences.

use crate::sql::{Page, Sql};
use crate::table::{LenientJson, Table};
use crate::{Db, Result, b};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{DeliveryId, NotificationId, OutboxEventId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub event_type: String,
    pub subject_user_id: Option<UserId>,
    pub actor_id: Option<UserId>,
    pub object_type: String,
    pub object_id: String,
    pub payload: serde_json::Value,
}

/// As [`enqueue`], sent with the commit: for events nothing in the transaction reads back.
pub async fn enqueue_staged(tx: &mut impl crate::Stage, e: &NewEvent, now: i64) -> Result<()> {
    let mut sql = tx.statement(
        "INSERT INTO outbox (event_type, subject_user_id, actor_id, object_type, object_id, payload, created_at, next_attempt_at) VALUES (",
    );
    sql.bind(e.event_type.as_str()).push(", ").bind(e.subject_user_id.map(|u| u.0)).push(", ").bind(e.actor_id.map(|u| u.0));
    sql.push(", ").bind(e.object_type.as_str()).push(", ").bind(e.object_id.as_str()).push(", ").bind(e.payload.to_string());
    sql.push(", ").bind(now).push(", ").bind(now).push(")");
    tx.stage(sql).await
}

/// Writes an event to the outbox now and returns its id.
pub async fn enqueue(conn: &mut AnyConnection, e: &NewEvent, now: i64) -> Result<OutboxEventId> {
    let row = sqlx::query(
        "INSERT INTO outbox (event_type, subject_user_id, actor_id, object_type, object_id, payload, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&e.event_type)
    .bind(e.subject_user_id.map(|u| u.0))
    .bind(e.actor_id.map(|u| u.0))
    .bind(&e.object_type)
    .bind(&e.object_id)
    .bind(e.payload.to_string())
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(OutboxEventId(row.try_get(0)?))
}

table! {
    #[derive(Debug, Clone, Serialize)]
    pub struct OutboxEvent in "outbox" {
        pub id: OutboxEventId,
        pub event_type: String,
        pub subject_user_id: Option<UserId>,
        pub actor_id: Option<UserId>,
        pub object_type: String,
        pub object_id: String,
        pub payload: serde_json::Value as LenientJson,
        pub created_at: i64,
        pub status: String,
        pub attempts: i64,
        pub last_error: Option<String>,
    }
}

/// Claims up to `limit` due rows of `table` for `owner` until `lease_until`.
/// PostgreSQL skips rows other nodes hold; SQLite's single writer serialises claims.
/// `channel` narrows deliveries to one sender (e-mail and webhooks are sent by different loops).
async fn claim(db: &Db, table: &str, channel: Option<&str>, owner: &str, now: i64, lease_until: i64, limit: i64) -> Result<Vec<AnyRow>> {
    let only = if channel.is_some() { " AND channel = $5" } else { "" };
    let sql = format!(
        "UPDATE {table} SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id IN (\
           SELECT id FROM {table} WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3){only} \
           ORDER BY next_attempt_at, id LIMIT $4{}) RETURNING *",
        db.skip_locked()
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(owner).bind(lease_until).bind(now).bind(limit);
    if let Some(c) = channel {
        q = q.bind(c);
    }
    Ok(q.fetch_all(&mut *db.writer().await?).await?)
}

pub async fn claim_events(db: &Db, owner: &str, now: i64, lease_until: i64, limit: i64) -> Result<Vec<OutboxEvent>> {
    claim(db, "outbox", None, owner, now, lease_until, limit).await?.iter().map(OutboxEvent::from_row).collect()
}

/// Marks claimed rows done in one staged statement, where this node still holds their leases.
pub async fn finish_events(s: &mut impl crate::Stage, ids: &[OutboxEventId], owner: &str) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut sql =
        s.statement("UPDATE outbox SET status = 'done', lease_owner = NULL, lease_until = NULL, last_error = NULL WHERE lease_owner = ");
    sql.bind(owner).push(" AND id IN (");
    for (i, id) in ids.iter().enumerate() {
        sql.push(if i == 0 { "" } else { ", " }).bind(id.0);
    }
    sql.push(")");
    s.stage(sql).await
}

/// Schedules a retry, or gives up (`dead`) when `retry_at` is None.
async fn fail(db: &Db, table: &str, id: i64, owner: &str, error: &str, retry_at: Option<i64>) -> Result<()> {
    let sql = format!(
        "UPDATE {table} SET status = $3, next_attempt_at = COALESCE($4, next_attempt_at), lease_owner = NULL, lease_until = NULL, last_error = $5 \
         WHERE id = $1 AND lease_owner = $2"
    );
    let status = if retry_at.is_some() { "pending" } else { "dead" };
    let error: String = error.chars().take(2000).collect();
    sqlx::query(AssertSqlSafe(sql)).bind(id).bind(owner).bind(status).bind(retry_at).bind(error).execute(&mut *db.writer().await?).await?;
    Ok(())
}

pub async fn fail_event(db: &Db, id: OutboxEventId, owner: &str, error: &str, retry_at: Option<i64>) -> Result<()> {
    fail(db, "outbox", id.0, owner, error, retry_at).await
}

pub async fn fail_delivery(db: &Db, id: DeliveryId, owner: &str, error: &str, retry_at: Option<i64>) -> Result<()> {
    fail(db, "deliveries", id.0, owner, error, retry_at).await
}

table! {
    #[derive(Debug, Clone, Serialize)]
    pub struct Delivery in "deliveries" {
        pub id: DeliveryId,
        pub event_id: OutboxEventId,
        pub channel: String,
        pub user_id: Option<UserId>,
        pub address: String,
        pub subject: String,
        pub body: String,
        pub status: String,
        pub attempts: i64,
        pub last_error: Option<String>,
        pub created_at: i64,
        pub sent_at: Option<i64>,
    }
}

#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub event_id: OutboxEventId,
    pub channel: String,
    pub user_id: Option<UserId>,
    pub address: String,
    pub subject: String,
    pub body: String,
}

/// Queues a delivery; a second one for the same event, channel and address is ignored.
/// Staged; a delivery already queued for the same event, channel and address is kept.
pub async fn insert_delivery(s: &mut impl crate::Stage, d: &NewDelivery, now: i64) -> Result<()> {
    let mut sql =
        s.statement("INSERT INTO deliveries (event_id, channel, user_id, address, subject, body, created_at, next_attempt_at) VALUES (");
    sql.bind(d.event_id.0).push(", ").bind(d.channel.as_str()).push(", ").bind(d.user_id.map(|u| u.0)).push(", ").bind(d.address.as_str());
    sql.push(", ").bind(d.subject.as_str()).push(", ").bind(d.body.as_str()).push(", ").bind(now).push(", ").bind(now);
    sql.push(") ON CONFLICT (event_id, channel, address) DO NOTHING");
    s.stage(sql).await
}

pub async fn claim_deliveries(db: &Db, channel: &str, owner: &str, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Delivery>> {
    claim(db, "deliveries", Some(channel), owner, now, lease_until, limit).await?.iter().map(Delivery::from_row).collect()
}

/// Gives a claimed delivery back untried, to be sent at `until` (a budget is spent): the claim's
/// attempt is not counted.
pub async fn postpone_delivery(db: &Db, id: DeliveryId, owner: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE deliveries SET next_attempt_at = $3, attempts = attempts - 1, lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2")
        .bind(id.0)
        .bind(owner)
        .bind(until)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// One outbox event by id.
pub async fn get_event<'e, E: Executor<'e, Database = Any>>(ex: E, id: OutboxEventId) -> Result<Option<OutboxEvent>> {
    sqlx::query("SELECT * FROM outbox WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(OutboxEvent::from_row).transpose()
}

pub async fn finish_delivery(db: &Db, id: DeliveryId, owner: &str, now: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE deliveries SET status = 'sent', sent_at = $3, lease_owner = NULL, lease_until = NULL, last_error = NULL WHERE id = $1 AND lease_owner = $2")
        .bind(id.0)
        .bind(owner)
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(n.rows_affected() == 1)
}

/// Dead deliveries, newest first: the administrators' dead-letter list.
pub async fn dead_deliveries(db: &Db, page: &PageRequest) -> Result<Page<Delivery>> {
    let mut sql = Sql::new("SELECT * FROM deliveries WHERE status = 'dead'");
    sql.keyset(page, None);
    let rows = sql.fetch_all(&db.read).await?.iter().map(Delivery::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |d| Cursor { id: d.id.0, key: None }))
}

pub async fn dead_events(db: &Db) -> Result<Vec<OutboxEvent>> {
    sqlx::query("SELECT * FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT 200")
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(OutboxEvent::from_row)
        .collect()
}

pub async fn get_delivery<'e, E: Executor<'e, Database = Any>>(ex: E, id: DeliveryId) -> Result<Option<Delivery>> {
    sqlx::query("SELECT * FROM deliveries WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(Delivery::from_row).transpose()
}

/// Puts a dead delivery back in the queue, to be tried again now.
pub async fn retry_delivery(conn: &mut AnyConnection, id: DeliveryId, now: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2 WHERE id = $1 AND status = 'dead'")
        .bind(id.0)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(n.rows_affected() == 1)
}

pub async fn retry_event(conn: &mut AnyConnection, id: OutboxEventId, now: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2 WHERE id = $1 AND status = 'dead'")
        .bind(id.0)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(n.rows_affected() == 1)
}

/// Events due now that no node has finished yet, leased or not: zero means every event
/// committed so far has been turned into notices and deliveries.
pub async fn unfinished_due_events(db: &Db, now: i64) -> Result<i64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1")
        .bind(now)
        .fetch_one(&mut *db.writer().await?)
        .await?;
    Ok(n)
}

/// Counts by table and status, for /metrics and the admin page.
pub async fn queue_depths(db: &Db) -> Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT 'outbox' AS q, status, COUNT(*) AS n FROM outbox GROUP BY status \
         UNION ALL SELECT 'deliveries' AS q, status, COUNT(*) AS n FROM deliveries GROUP BY status",
    )
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("q")?, r.try_get("status")?, r.try_get("n")?))).collect()
}

// ---- in-app notifications ----

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Notification in "notifications" {
        pub id: NotificationId,
        pub event_type: String,
        pub title: String,
        pub body: String,
        pub link: Option<String>,
        pub created_at: i64,
        pub read_at: Option<i64>,
    }
}

#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub user: UserId,
    pub event: OutboxEventId,
    pub event_type: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
}

/// Adds an in-app notice; the same event never notifies a user twice.
/// Staged; a notice already given for the same event and user is kept.
pub async fn insert_notification(s: &mut impl crate::Stage, n: &NewNotification<'_>, now: i64) -> Result<()> {
    let mut sql = s.statement("INSERT INTO notifications (user_id, event_id, event_type, title, body, link, created_at) VALUES (");
    sql.bind(n.user.0).push(", ").bind(n.event.0).push(", ").bind(n.event_type).push(", ").bind(n.title).push(", ").bind(n.body);
    sql.push(", ").bind(n.link.map(str::to_string)).push(", ").bind(now).push(") ON CONFLICT (event_id, user_id) DO NOTHING");
    s.stage(sql).await
}

pub async fn list_notifications(db: &Db, user: UserId, unread_only: bool, page: &PageRequest) -> Result<Page<Notification>> {
    let mut sql = Sql::new("SELECT * FROM notifications WHERE user_id = ");
    sql.bind(user.0);
    if unread_only {
        sql.push(" AND read_at IS NULL");
    }
    sql.keyset(page, None);
    let rows = sql.fetch_all(&db.read).await?.iter().map(Notification::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |n| Cursor { id: n.id.0, key: None }))
}

/// The events behind some of a user's notifications, by notification id: what the page writes
/// the notice from, in the reader's language, instead of the e-mail text stored with it.
pub async fn events_of_notifications<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user: UserId,
    ids: &[NotificationId],
) -> Result<Vec<(NotificationId, OutboxEvent)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let cols: Vec<String> = OutboxEvent::COLUMNS.iter().map(|c| format!("o.{c}")).collect();
    let mut sql = Sql::new(&format!(
        "SELECT n.id AS notification_id, {} FROM notifications n JOIN outbox o ON o.id = n.event_id WHERE n.user_id = ",
        cols.join(", ")
    ));
    sql.bind(user.0).push(" AND n.id IN (");
    for (i, id) in ids.iter().enumerate() {
        sql.push(if i == 0 { "" } else { ", " }).bind(id.0);
    }
    sql.push(")");
    sql.fetch_all(ex).await?.iter().map(|r| Ok((NotificationId(r.try_get("notification_id")?), OutboxEvent::from_row(r)?))).collect()
}

/// The link of one of a user's notifications (which may have none); `None` when the user has
/// no such notification.
pub async fn notification_link<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user: UserId,
    id: NotificationId,
) -> Result<Option<Option<String>>> {
    let row =
        sqlx::query("SELECT link FROM notifications WHERE id = $1 AND user_id = $2").bind(id.0).bind(user.0).fetch_optional(ex).await?;
    row.map(|r| Ok(r.try_get::<Option<String>, _>(0)?)).transpose()
}

pub async fn unread_count<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user.0)
        .fetch_one(ex)
        .await?
        .try_get(0)?)
}

/// Marks one (or, with None, every) notification of the user read.
pub async fn mark_read(conn: &mut AnyConnection, user: UserId, id: Option<NotificationId>, now: i64) -> Result<u64> {
    let mut sql = Sql::new("UPDATE notifications SET read_at = ");
    sql.bind(now).push(" WHERE read_at IS NULL AND user_id = ").bind(user.0);
    if let Some(id) = id {
        sql.push(" AND id = ").bind(id.0);
    }
    sql.execute(conn).await
}

// ---- templates and preferences ----

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Template in "notification_templates" {
        pub event_type: String,
        pub locale: String,
        pub subject: String,
        pub body: String,
        pub updated_at: i64,
        pub updated_by: Option<i64>,
    }
}

pub async fn get_template<'e, E: Executor<'e, Database = Any>>(ex: E, event_type: &str, locale: &str) -> Result<Option<Template>> {
    sqlx::query("SELECT * FROM notification_templates WHERE event_type = $1 AND locale = $2")
        .bind(event_type)
        .bind(locale)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(Template::from_row)
        .transpose()
}

pub async fn list_templates<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<Template>> {
    sqlx::query("SELECT * FROM notification_templates ORDER BY event_type, locale")
        .fetch_all(ex)
        .await?
        .iter()
        .map(Template::from_row)
        .collect()
}

/// Inserts or replaces; `only_if_missing` seeds without overwriting an administrator's edit.
/// `shipped`: a built-in text, which replaces only a text no administrator has edited (so an
/// upgrade brings new wording without overwriting local changes).
pub async fn put_template(conn: &mut AnyConnection, t: &Template, shipped: bool) -> Result<()> {
    let conflict = if shipped {
        "DO UPDATE SET subject = excluded.subject, body = excluded.body WHERE notification_templates.updated_by IS NULL \
         AND (notification_templates.subject <> excluded.subject OR notification_templates.body <> excluded.body)"
    } else {
        "DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by"
    };
    let sql = format!(
        "INSERT INTO notification_templates (event_type, locale, subject, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (event_type, locale) {conflict}"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(&t.event_type)
        .bind(&t.locale)
        .bind(&t.subject)
        .bind(&t.body)
        .bind(t.updated_at)
        .bind(t.updated_by)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Preference {
    pub event_type: String,
    pub channel: String,
    pub enabled: bool,
}

pub async fn preferences<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<Vec<Preference>> {
    let rows =
        sqlx::query("SELECT event_type, channel, enabled FROM notification_preferences WHERE user_id = $1 ORDER BY event_type, channel")
            .bind(user.0)
            .fetch_all(ex)
            .await?;
    rows.iter()
        .map(|r| Ok(Preference { event_type: r.try_get(0)?, channel: r.try_get(1)?, enabled: r.try_get::<i64, _>(2)? != 0 }))
        .collect()
}

pub async fn set_preference(conn: &mut AnyConnection, user: UserId, p: &Preference) -> Result<()> {
    sqlx::query(
        "INSERT INTO notification_preferences (user_id, event_type, channel, enabled) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, event_type, channel) DO UPDATE SET enabled = excluded.enabled",
    )
    .bind(user.0)
    .bind(&p.event_type)
    .bind(&p.channel)
    .bind(b(p.enabled))
    .execute(conn)
    .await?;
    Ok(())
}

// ---- tailing the outbox (live updates) ----

/// The newest event id, where a node starts tailing.
pub async fn last_event_id(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM outbox").fetch_one(&db.read).await?.unwrap_or(0))
}

/// Events committed after `after`, oldest first. Ids are assigned at insert, so a row with a
/// smaller id may commit later than a larger one: callers re-read a short window behind.
pub async fn events_after(db: &Db, after: i64, limit: i64) -> Result<Vec<OutboxEvent>> {
    sqlx::query("SELECT * FROM outbox WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(OutboxEvent::from_row)
        .collect()
}

/// One record's events after `after` (replay for `Last-Event-ID`), oldest first.
pub async fn object_events_after(db: &Db, object_type: &str, object_id: &str, after: i64, limit: i64) -> Result<Vec<OutboxEvent>> {
    sqlx::query("SELECT * FROM outbox WHERE object_type = $1 AND object_id = $2 AND id > $3 ORDER BY id LIMIT $4")
        .bind(object_type)
        .bind(object_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(OutboxEvent::from_row)
        .collect()
}

/// Marks an event expanded without expanding it (the webhook test ping carries its own delivery).
pub async fn mark_event_done(conn: &mut AnyConnection, id: OutboxEventId) -> Result<()> {
    sqlx::query("UPDATE outbox SET status = 'done' WHERE id = $1").bind(id.0).execute(conn).await?;
    Ok(())
}
