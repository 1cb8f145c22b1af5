//! Major incidents: the response row beside the incident (phase, commander,
//! update rhythm) and the war-room log.

use crate::sql::Sql;
use crate::table::{Table, insert_into, update_row};
use crate::{Result, Stage};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{IncidentId, UserId};
use yunwei_domain::major::MajorPhase;

type Any = sqlx::Any;

table! {
    /// One major incident's response as stored.
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct MajorIncident in "major_incidents" {
        pub incident_id: IncidentId,
        pub phase: MajorPhase,
        pub commander_id: Option<UserId>,
        pub update_interval_minutes: i64,
        pub declared_at: i64,
        pub containment_at: Option<i64>,
        pub recovery_at: Option<i64>,
        pub review_at: Option<i64>,
        pub closed_at: Option<i64>,
        pub last_update_at: Option<i64>,
        pub next_update_due_at: Option<i64>,
        pub remind_at: Option<i64>,
        pub version: i64,
    }
}

/// Staged: flush before reading the response back in the same transaction.
pub async fn insert(s: &mut impl Stage, m: &MajorIncident) -> Result<()> {
    let sql = insert_into(s.statement(""), m, MajorIncident::COLUMNS)?;
    s.stage(sql).await
}

/// Writes the row if it is still at `expected_version`; false when someone else changed it.
pub async fn update(conn: &mut AnyConnection, m: &MajorIncident, expected_version: i64) -> Result<bool> {
    let cols = [
        "phase",
        "commander_id",
        "update_interval_minutes",
        "containment_at",
        "recovery_at",
        "review_at",
        "closed_at",
        "last_update_at",
        "next_update_due_at",
        "remind_at",
        "version",
    ];
    update_row(conn, m, &cols, Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: IncidentId) -> Result<Option<MajorIncident>> {
    sqlx::query("SELECT * FROM major_incidents WHERE incident_id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(MajorIncident::from_row)
        .transpose()
}

/// Responses whose commander is due a reminder, oldest first (rows locked on PostgreSQL).
pub async fn due_reminders(conn: &mut AnyConnection, db: &crate::Db, now: i64, limit: i64) -> Result<Vec<MajorIncident>> {
    let sql = format!("SELECT * FROM major_incidents WHERE remind_at <= $1 ORDER BY remind_at LIMIT $2{}", db.skip_locked());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(conn).await?.iter().map(MajorIncident::from_row).collect()
}

// ---- the war-room log ----

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct WarRoomEntry in "war_room_entries" {
        pub id: i64,
        pub incident_id: IncidentId,
        pub at: i64 = "at_ms",
        pub author_id: Option<UserId>,
        pub kind: String,
        pub body: String,
        pub data: serde_json::Value,
    }
    joined {
        pub author_name: Option<String>,
    }
}

pub struct NewEntry<'a> {
    pub incident_id: IncidentId,
    pub at: i64,
    pub author_id: Option<UserId>,
    pub kind: &'a str,
    pub body: &'a str,
    pub data: serde_json::Value,
}

/// Writes an entry now and returns its id.
pub async fn add_entry(conn: &mut AnyConnection, e: &NewEntry<'_>) -> Result<i64> {
    let mut sql = entry_insert(Sql::new(ENTRY_INSERT), e);
    sql.push(" RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get(0)?)
}

/// Stages an entry whose id nobody needs.
pub async fn stage_entry(s: &mut impl Stage, e: &NewEntry<'_>) -> Result<()> {
    let sql = entry_insert(s.statement(ENTRY_INSERT), e);
    s.stage(sql).await
}

const ENTRY_INSERT: &str = "INSERT INTO war_room_entries (incident_id, at_ms, author_id, kind, body, data) VALUES (";

fn entry_insert(mut sql: Sql, e: &NewEntry<'_>) -> Sql {
    sql.bind(e.incident_id.0).push(", ").bind(e.at).push(", ").bind(e.author_id.map(|u| u.0)).push(", ").bind(e.kind);
    sql.push(", ").bind(e.body).push(", ").bind(e.data.to_string()).push(")");
    sql
}

/// The log, oldest first (ties in time keep the order of writing).
pub async fn entries<'e, E: Executor<'e, Database = Any>>(ex: E, id: IncidentId) -> Result<Vec<WarRoomEntry>> {
    let rows = sqlx::query(
        "SELECT e.*, u.display_name AS author_name FROM war_room_entries e LEFT JOIN users u ON u.id = e.author_id \
         WHERE e.incident_id = $1 ORDER BY e.at_ms, e.id",
    )
    .bind(id.0)
    .fetch_all(ex)
    .await?;
    rows.iter().map(WarRoomEntry::from_row).collect()
}
