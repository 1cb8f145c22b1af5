//! Incident records: the ticket row and related incidents; the queue query and categories
//! in their own modules. The timeline and watchers are the ticket kernel's (`crate::ticket`).

mod category;
mod queue;
mod stats;

pub use category::*;
pub use queue::*;
pub use stats::*;

use crate::sql::Sql;
use crate::table::{LenientOptionalJson, Table};
use crate::{Result, Stage};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{CategoryId, DepartmentId, IncidentId, ServiceId, SlaPolicyId, TeamId, UserId};
use yunwei_domain::incident::{Channel, IncidentState, IncidentSummary, Level, PendingReason, Priority};

type Any = sqlx::Any;

table! {
    /// One incident as stored, typed; enum columns are stored as their stable text. It
    /// serialises as the API shows it, but for the SLA columns, which the view shows
    /// together as `sla` (so those are skipped here).
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Incident in "incidents" {
        pub id: IncidentId,
        pub title: String,
        pub description: String,
        pub state: IncidentState,
        pub pending_reason: Option<PendingReason>,
        pub impact: Level,
        pub urgency: Level,
        pub priority: Priority,
        pub category_id: Option<CategoryId>,
        pub service_id: Option<ServiceId>,
        pub ci_ref: Option<String>,
        pub channel: Channel,
        pub reporter_id: Option<UserId>,
        pub requester_id: Option<UserId>,
        pub requester_name: Option<String>,
        pub requester_contact: Option<String>,
        pub department_id: Option<DepartmentId>,
        pub location: Option<String>,
        pub impact_scope: Option<String>,
        pub occurred_at: Option<i64>,
        pub team_id: Option<TeamId>,
        pub assignee_id: Option<UserId>,
        pub parent_id: Option<IncidentId>,
        pub major: bool,
        pub commander_id: Option<UserId>,
        pub resolution_code: Option<String>,
        pub resolution: Option<String>,
        /// Text that does not parse reads as no summary.
        pub summary: Option<IncidentSummary> as LenientOptionalJson,
        pub restored_at: Option<i64>,
        #[serde(skip_serializing)]
        pub sla_policy_id: Option<SlaPolicyId>,
        /// JSON of the SLA clocks.
        #[serde(skip_serializing)]
        pub sla: Option<String>,
        #[serde(skip_serializing)]
        pub responded_at: Option<i64>,
        #[serde(skip_serializing)]
        pub response_due_at: Option<i64>,
        #[serde(skip_serializing)]
        pub resolve_due_at: Option<i64>,
        #[serde(skip_serializing)]
        pub response_breached: bool,
        #[serde(skip_serializing)]
        pub resolve_breached: bool,
        #[serde(skip_serializing)]
        pub sla_check_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub resolved_at: Option<i64>,
        pub closed_at: Option<i64>,
        pub version: i64,
    }
}

/// Every column but `id`: what insert (after the reserved id) and update write.
fn columns() -> &'static [&'static str] {
    crate::table::columns_but_key::<Incident>()
}

fn update_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let sets: Vec<String> = columns().iter().enumerate().map(|(n, c)| format!("{c} = ${}", n + 1)).collect();
        let n = sets.len();
        format!("UPDATE incidents SET {} WHERE id = ${} AND version = ${}", sets.join(", "), n + 1, n + 2)
    })
}

/// Rows per multi-row statement: 42 binds each stays under SQLite's 32,766 limit.
const BULK_ROWS: usize = 400;

/// Bulk load with the ids given (demo data, imports): one statement per 400 rows.
/// On PostgreSQL, call `crate::sync_id_sequence` afterwards.
pub async fn insert_many(conn: &mut AnyConnection, backend: crate::Backend, rows: &[Incident]) -> Result<()> {
    crate::table::insert_many(conn, backend, rows, BULK_ROWS).await
}

pub async fn max_id<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM incidents").fetch_one(ex).await?;
    Ok(row.try_get(0)?)
}

/// Stages a new incident under an id reserved with [`crate::Batch::reserve_id`].
pub async fn insert(s: &mut impl Stage, i: &Incident) -> Result<()> {
    let sql = crate::table::insert_into(s.statement(""), i, Incident::COLUMNS)?;
    s.stage(sql).await
}

/// Writes the whole row if nobody changed it since `expected_version` was read;
/// `i.version` must already be the next version. Returns false on a lost race.
pub async fn update(conn: &mut AnyConnection, i: &Incident, expected_version: i64) -> Result<bool> {
    // `values()` is in `COLUMNS` order, the key first: the rest match `update_sql`'s columns.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(update_sql()));
    for v in i.values().into_iter().skip(1) {
        q = crate::sql::bind_value(q, v);
    }
    Ok(q.bind(i.id.0).bind(expected_version).execute(&mut *conn).await?.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: IncidentId) -> Result<Option<Incident>> {
    sqlx::query("SELECT * FROM incidents WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(Incident::from_row).transpose()
}

/// As [`get`], locking the row on PostgreSQL for the rest of the transaction.
pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: IncidentId) -> Result<Option<Incident>> {
    let sql = format!("SELECT * FROM incidents WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Incident::from_row).transpose()
}

pub async fn by_ids<'e, E: Executor<'e, Database = Any>>(ex: E, ids: &[i64]) -> Result<Vec<Incident>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT * FROM incidents WHERE 1=1");
    push_in(&mut sql, " AND", "id", ids);
    sql.fetch_all(ex).await?.iter().map(Incident::from_row).collect()
}

pub async fn children<'e, E: Executor<'e, Database = Any>>(ex: E, parent: IncidentId) -> Result<Vec<IncidentId>> {
    let rows = sqlx::query("SELECT id FROM incidents WHERE parent_id = $1 ORDER BY id").bind(parent.0).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(IncidentId(r.try_get(0)?))).collect()
}

/// Incidents whose SLA timer is due, oldest first.
pub async fn due_for_sla_check(conn: &mut AnyConnection, db: &crate::Db, now: i64, limit: i64) -> Result<Vec<Incident>> {
    let sql = format!("SELECT * FROM incidents WHERE sla_check_at <= $1 ORDER BY sla_check_at LIMIT $2{}", db.skip_locked());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(conn).await?.iter().map(Incident::from_row).collect()
}

// ---- links (the timeline and watchers are the ticket kernel's: `crate::ticket`) ----

/// Links two incidents both ways.
pub async fn link(conn: &mut AnyConnection, a: IncidentId, other: IncidentId) -> Result<()> {
    for (x, y) in [(a, other), (other, a)] {
        sqlx::query("INSERT INTO incident_links (incident_id, related_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(x.0)
            .bind(y.0)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn unlink(conn: &mut AnyConnection, a: IncidentId, other: IncidentId) -> Result<()> {
    sqlx::query("DELETE FROM incident_links WHERE (incident_id = $1 AND related_id = $2) OR (incident_id = $2 AND related_id = $1)")
        .bind(a.0)
        .bind(other.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn related<'e, E: Executor<'e, Database = Any>>(ex: E, id: IncidentId) -> Result<Vec<IncidentId>> {
    let rows =
        sqlx::query("SELECT related_id FROM incident_links WHERE incident_id = $1 ORDER BY related_id").bind(id.0).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(IncidentId(r.try_get(0)?))).collect()
}
