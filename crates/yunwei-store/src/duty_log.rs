//! On-call duty, second part: the secrets behind people's calendar feeds, the duty log
//! (值班日志) and handovers (交接班).

use crate::Result;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::duty::log::{HandoverState, LogKind};
use yunwei_domain::ids::{DutyScheduleId, IncidentId, UserId};

type Any = sqlx::Any;

/// Makes `hash` the user's only feed secret (the old one stops working).
pub async fn replace_feed_token(conn: &mut AnyConnection, user: UserId, hash: &str, now: i64) -> Result<()> {
    conn.execute(sqlx::query("DELETE FROM duty_feed_tokens WHERE user_id = $1").bind(user.0)).await?;
    let q =
        sqlx::query("INSERT INTO duty_feed_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)").bind(user.0).bind(hash).bind(now);
    conn.execute(q).await?;
    Ok(())
}

/// Whose feed secret hashes to `hash`, and since when.
pub async fn feed_owner<'e, E: Executor<'e, Database = Any>>(ex: E, hash: &str) -> Result<Option<(UserId, i64)>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT user_id, created_at FROM duty_feed_tokens WHERE token_hash = $1").bind(hash).fetch_optional(ex).await?;
    Ok(row.map(|(u, at)| (UserId(u), at)))
}

/// When the user's feed secret was made, if they have one.
pub async fn feed_token_made<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT created_at FROM duty_feed_tokens WHERE user_id = $1").bind(user.0).fetch_optional(ex).await?;
    Ok(row.map(|(at,)| at))
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct LogEntry in "duty_log_entries" {
        pub id: i64,
        pub schedule_id: DutyScheduleId,
        pub author_id: UserId,
        pub kind: LogKind,
        pub body: String,
        pub occurred_at: Option<i64>,
        pub impact: String,
        pub incident_id: Option<IncidentId>,
        pub created_at: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Handover in "duty_handovers" {
        pub id: i64,
        pub schedule_id: DutyScheduleId,
        pub from_user_id: UserId,
        pub to_user_id: Option<UserId>,
        pub shift_ends_at: i64,
        /// JSON: the open incidents and alerts as they stood (views give it parsed, as `open`).
        #[serde(skip)]
        pub snapshot: String,
        pub notes: String,
        pub state: HandoverState,
        pub acknowledged_by: Option<UserId>,
        pub acknowledged_at: Option<i64>,
        pub created_at: i64,
        pub version: i64,
    }
}

pub async fn insert_entry(conn: &mut AnyConnection, e: &LogEntry) -> Result<i64> {
    insert_returning_key(conn, e).await
}

/// The schedule's log entries written from `since` on, newest first (at most 200).
pub async fn entries<'e, E: Executor<'e, Database = Any>>(ex: E, schedule: DutyScheduleId, since: i64) -> Result<Vec<LogEntry>> {
    let rows = sqlx::query(
        "SELECT * FROM duty_log_entries WHERE schedule_id = $1 AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT 200",
    )
    .bind(schedule.0)
    .bind(since)
    .fetch_all(ex)
    .await?;
    rows.iter().map(LogEntry::from_row).collect()
}

pub async fn insert_handover(conn: &mut AnyConnection, h: &Handover) -> Result<i64> {
    insert_returning_key(conn, h).await
}

pub async fn get_handover<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<Handover>> {
    let row = sqlx::query("SELECT * FROM duty_handovers WHERE id = $1").bind(id).fetch_optional(ex).await?;
    row.as_ref().map(Handover::from_row).transpose()
}

/// Writes the acknowledgement if nobody changed the row since `expected_version`.
pub async fn update_handover(conn: &mut AnyConnection, h: &Handover, expected_version: i64) -> Result<bool> {
    update_row(conn, h, &["state", "acknowledged_by", "acknowledged_at", "version"], Some(expected_version)).await
}

/// The schedule's handovers, newest first (at most 20).
pub async fn handovers<'e, E: Executor<'e, Database = Any>>(ex: E, schedule: DutyScheduleId) -> Result<Vec<Handover>> {
    let rows =
        sqlx::query("SELECT * FROM duty_handovers WHERE schedule_id = $1 ORDER BY id DESC LIMIT 20").bind(schedule.0).fetch_all(ex).await?;
    rows.iter().map(Handover::from_row).collect()
}
