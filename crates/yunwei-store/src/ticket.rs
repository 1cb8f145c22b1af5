//! The ticket kernel's storage (ADR 0012): one timeline (replies, work notes, events) and one
//! watcher list for every kind declared in `yunwei_domain::ticket`. Each kind keeps its rows
//! in the tables its declaration names (ids and order as they always were); the statements
//! are written once here, so every kind reads and writes them alike.

use crate::table::column;
use crate::{Result, Stage, b};
use serde::ser::{Serialize, SerializeMap, Serializer};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{ActivityId, UserId};
use yunwei_domain::ticket::TicketKind;

type Any = sqlx::Any;

/// Rows per multi-row timeline insert: 7 binds each stays under SQLite's 32,766 limit.
const BULK_ROWS: usize = 1600;

/// One timeline entry of a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: ActivityId,
    /// The ticket's id (its kind is the caller's).
    pub ticket_id: i64,
    pub at: i64,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub kind: String,
    /// Public replies are shown to the requester; work notes are not.
    pub public: bool,
    pub body: String,
    pub data: serde_json::Value,
    /// The name the API shows the ticket's id under, for kinds that show it.
    pub owner_field: Option<&'static str>,
}

impl Activity {
    fn from_row(kind: &TicketKind, r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: column(r, "id")?,
            ticket_id: r.try_get(kind.owner_column)?,
            at: r.try_get("at_ms")?,
            actor_id: column(r, "actor_id")?,
            actor_name: r.try_get("actor_name")?,
            kind: r.try_get("kind")?,
            public: column(r, "public")?,
            body: r.try_get("body")?,
            data: column(r, "data")?,
            owner_field: kind.timeline_shows_owner.then_some(kind.owner_column),
        })
    }
}

impl Serialize for Activity {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        if let Some(field) = self.owner_field {
            m.serialize_entry(field, &self.ticket_id)?;
        }
        m.serialize_entry("at", &self.at)?;
        m.serialize_entry("actor_id", &self.actor_id)?;
        m.serialize_entry("actor_name", &self.actor_name)?;
        m.serialize_entry("kind", &self.kind)?;
        m.serialize_entry("public", &self.public)?;
        m.serialize_entry("body", &self.body)?;
        m.serialize_entry("data", &self.data)?;
        m.end()
    }
}

/// A timeline entry to write.
pub struct NewActivity<'a> {
    pub ticket_id: i64,
    pub at: i64,
    pub actor_id: Option<UserId>,
    pub kind: &'a str,
    pub public: bool,
    pub body: &'a str,
    pub data: serde_json::Value,
}

fn insert_head(kind: &TicketKind) -> String {
    format!("INSERT INTO {} ({}, at_ms, actor_id, kind, public, body, data) VALUES ", kind.timeline_table, kind.owner_column)
}

/// Staged (sent with the commit): call [`crate::Tx::flush`] before reading the timeline back.
pub async fn add_activity(s: &mut impl Stage, kind: &TicketKind, a: &NewActivity<'_>) -> Result<()> {
    let mut sql = s.statement(&insert_head(kind));
    sql.push("(").bind(a.ticket_id).push(", ").bind(a.at).push(", ").bind(a.actor_id.map(|u| u.0)).push(", ").bind(a.kind);
    sql.push(", ").bind(b(a.public)).push(", ").bind(a.body).push(", ").bind(a.data.to_string()).push(")");
    s.stage(sql).await
}

/// Bulk timeline entries (demo data, imports), in order.
pub async fn add_activities_many(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    kind: &TicketKind,
    rows: &[NewActivity<'_>],
) -> Result<()> {
    for chunk in rows.chunks(BULK_ROWS) {
        let mut text = insert_head(kind);
        for r in 0..chunk.len() {
            text.push_str(if r == 0 { "(" } else { ", (" });
            let marks: Vec<String> = (1..=7).map(|c| crate::sql::placeholder(backend, r * 7 + c)).collect();
            text.push_str(&marks.join(", "));
            text.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
        for a in chunk {
            q = q
                .bind(a.ticket_id)
                .bind(a.at)
                .bind(a.actor_id.map(|u| u.0))
                .bind(a.kind)
                .bind(b(a.public))
                .bind(a.body)
                .bind(a.data.to_string());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The timeline, oldest first; work notes only when `with_internal`.
pub async fn activities<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    kind: &TicketKind,
    id: i64,
    with_internal: bool,
) -> Result<Vec<Activity>> {
    let sql = format!(
        "SELECT a.*, u.display_name AS actor_name FROM {} a LEFT JOIN users u ON u.id = a.actor_id \
         WHERE a.{} = $1{} ORDER BY a.id",
        kind.timeline_table,
        kind.owner_column,
        if with_internal { "" } else { " AND a.public = 1" }
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(ex).await?;
    rows.iter().map(|r| Activity::from_row(kind, r)).collect()
}

// ---- watchers ----

/// Whether the user was not watching before.
pub async fn add_watcher(conn: &mut AnyConnection, kind: &TicketKind, id: i64, user: UserId) -> Result<bool> {
    let sql = format!("INSERT INTO {} ({}, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", kind.watchers_table, kind.owner_column);
    let n = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(user.0).execute(&mut *conn).await?.rows_affected();
    Ok(n == 1)
}

/// Stages the watchers of a new ticket.
pub async fn add_watchers(s: &mut impl Stage, kind: &TicketKind, id: i64, users: &[UserId]) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let mut sql = s.statement(&format!("INSERT INTO {} ({}, user_id) VALUES ", kind.watchers_table, kind.owner_column));
    for (n, u) in users.iter().enumerate() {
        sql.push(if n == 0 { "(" } else { ", (" }).bind(id).push(", ").bind(u.0).push(")");
    }
    sql.push(" ON CONFLICT DO NOTHING");
    s.stage(sql).await
}

/// Whether the user was watching.
pub async fn remove_watcher(conn: &mut AnyConnection, kind: &TicketKind, id: i64, user: UserId) -> Result<bool> {
    let sql = format!("DELETE FROM {} WHERE {} = $1 AND user_id = $2", kind.watchers_table, kind.owner_column);
    let n = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(user.0).execute(&mut *conn).await?.rows_affected();
    Ok(n == 1)
}

/// The watchers, by user id.
pub async fn watchers<'e, E: Executor<'e, Database = Any>>(ex: E, kind: &TicketKind, id: i64) -> Result<Vec<UserId>> {
    let sql = format!("SELECT user_id FROM {} WHERE {} = $1 ORDER BY user_id", kind.watchers_table, kind.owner_column);
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(UserId(r.try_get(0)?))).collect()
}
