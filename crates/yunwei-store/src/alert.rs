//! Monitoring alerts: integrations (senders with their tokens), alerts and their state history.

use crate::sql::Sql;
use crate::table::{Table, insert_returning_key, update_set};
use crate::{Result, Stage};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use std::collections::BTreeMap;
use yunwei_domain::alert::{AlertStatus, Known, Severity, SeverityMap};

type Any = sqlx::Any;

// Samples for the round-trip test of every table (`tests/tables.rs`).
impl crate::table::Sample for BTreeMap<String, String> {
    fn sample(fill: crate::table::Fill, n: i64) -> Self {
        match fill {
            crate::table::Fill::Full => [("instance".to_string(), String::sample(fill, n))].into(),
            crate::table::Fill::Empty => BTreeMap::new(),
        }
    }
}

impl crate::table::Sample for SeverityMap {
    fn sample(fill: crate::table::Fill, n: i64) -> Self {
        match fill {
            crate::table::Fill::Full => {
                SeverityMap { map: [(String::sample(fill, n), Severity::Critical)].into(), default: Some(Severity::Info) }
            }
            crate::table::Fill::Empty => SeverityMap::default(),
        }
    }
}

impl crate::table::Sample for Vec<yunwei_domain::alert::Matcher> {
    fn sample(fill: crate::table::Fill, n: i64) -> Self {
        match fill {
            crate::table::Fill::Full => {
                vec![yunwei_domain::alert::Matcher { name: "job".into(), op: "=~".into(), value: String::sample(fill, n) }]
            }
            crate::table::Fill::Empty => Vec::new(),
        }
    }
}

table! {
    /// A sender. The token is kept only as its SHA-256.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct AlertIntegration in "alert_integrations" {
        pub id: i64,
        pub name: String,
        #[serde(skip)]
        pub token_hash: String,
        pub token_hint: String,
        pub severity_map: SeverityMap,
        pub team_id: Option<i64>,
        pub incident_severity: Option<Severity>,
        pub auto_resolve: bool,
        pub active: bool,
        pub flap_changes: i64,
        pub flap_minutes: i64,
        pub created_by: Option<i64>,
        pub created_at: i64,
        pub updated_by: Option<i64>,
        pub updated_at: i64,
        pub version: i64,
    }
}

table! {
    /// One alert per integration and fingerprint / dedup key.
    #[derive(Debug, Clone, Serialize, PartialEq, Default)]
    pub struct Alert in "alerts" {
        pub id: i64,
        pub integration_id: i64,
        pub dedup_key: String,
        pub source: String,
        pub status: AlertStatus,
        pub severity: Severity,
        pub source_severity: Option<String>,
        pub title: String,
        pub description: String,
        pub labels: BTreeMap<String, String>,
        pub annotations: BTreeMap<String, String>,
        pub starts_at: Option<i64>,
        pub ends_at: Option<i64>,
        pub link: Option<String>,
        pub flags: Vec<String>,
        pub raw: serde_json::Value,
        pub acknowledged_by: Option<i64>,
        pub acknowledged_at: Option<i64>,
        pub ci_id: Option<i64>,
        pub incident_id: Option<i64>,
        pub first_seen_at: i64,
        pub last_change_at: i64,
        pub changes: i64,
        #[serde(skip)]
        pub pending: bool,
        #[serde(skip)]
        pub pending_until: Option<i64>,
        /// Why processing holds it (a silence, a change window), or nothing.
        pub silenced_by: Option<serde_json::Value>,
    }
}

table! {
    /// One change of an alert's state: `firing`, `resolved` or `acknowledged`.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct AlertEvent in "alert_events" {
        pub id: i64,
        pub alert_id: i64,
        pub at: i64,
        pub kind: String,
        pub severity: Severity,
        pub actor_id: Option<i64>,
    }
}

pub async fn list_integrations<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<AlertIntegration>> {
    let sql = format!("{} ORDER BY name, id", AlertIntegration::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?.iter().map(AlertIntegration::from_row).collect()
}

pub async fn get_integration<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<AlertIntegration>> {
    let sql = format!("{} WHERE id = $1", AlertIntegration::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?.as_ref().map(AlertIntegration::from_row).transpose()
}

pub async fn integration_by_token<'e, E: Executor<'e, Database = Any>>(ex: E, token_hash: &str) -> Result<Option<AlertIntegration>> {
    let sql = format!("{} WHERE token_hash = $1", AlertIntegration::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(ex).await?.as_ref().map(AlertIntegration::from_row).transpose()
}

pub async fn insert_integration(conn: &mut AnyConnection, i: &AlertIntegration) -> Result<i64> {
    insert_returning_key(conn, i).await
}

/// Writes every field but the creation audit; bumps the version.
pub async fn update_integration(conn: &mut AnyConnection, i: &AlertIntegration) -> Result<()> {
    let cols = [
        "name",
        "token_hash",
        "token_hint",
        "severity_map",
        "team_id",
        "incident_severity",
        "auto_resolve",
        "flap_changes",
        "flap_minutes",
        "active",
        "updated_by",
        "updated_at",
    ];
    let mut sql = update_set(i, &cols)?;
    sql.push(", version = version + 1 WHERE id = ").bind(i.id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn delete_integration(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM alert_integrations WHERE id = $1").bind(id).execute(conn).await?.rows_affected() == 1)
}

/// What is stored of these keys of one integration: id and the state repeats are judged by.
pub async fn known<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    integration: i64,
    keys: &[&str],
) -> Result<BTreeMap<String, (i64, Known, bool)>> {
    if keys.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut sql = Sql::new("SELECT id, dedup_key, status, severity, starts_at, acknowledged_at FROM alerts WHERE integration_id = ");
    sql.bind(integration).push(" AND dedup_key IN (");
    for (n, k) in keys.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(*k);
    }
    sql.push(")");
    let mut out = BTreeMap::new();
    for r in sql.fetch_all(ex).await? {
        use crate::table::column;
        let state = Known { status: column(&r, "status")?, severity: column(&r, "severity")?, starts_at: column(&r, "starts_at")? };
        let acknowledged = column::<Option<i64>>(&r, "acknowledged_at")?.is_some();
        out.insert(column(&r, "dedup_key")?, (column(&r, "id")?, state, acknowledged));
    }
    Ok(out)
}

/// Stages a new alert under an id reserved with [`crate::Batch::reserve_id`].
pub async fn insert(s: &mut impl Stage, a: &Alert) -> Result<()> {
    let sql = crate::table::insert_into(s.statement(""), a, Alert::COLUMNS)?;
    s.stage(sql).await
}

/// Stages a change of state: what the sender now says, one more change. A resolved alert
/// firing again (`refired`) is no longer acknowledged.
pub async fn stage_change(s: &mut impl Stage, a: &Alert, refired: bool) -> Result<()> {
    let mut sql = s.statement("UPDATE alerts SET status = ");
    sql.bind(a.status.as_str()).push(", severity = ").bind(a.severity.as_str());
    sql.push(", source_severity = ").bind(a.source_severity.clone()).push(", title = ").bind(a.title.as_str());
    sql.push(", description = ").bind(a.description.as_str()).push(", starts_at = ").bind(a.starts_at);
    sql.push(", ends_at = ").bind(a.ends_at).push(", flags = ").bind(serde_json::to_string(&a.flags).unwrap_or_else(|_| "[]".into()));
    sql.push(", raw = ").bind(a.raw.to_string()).push(", last_change_at = ").bind(a.last_change_at);
    if refired {
        sql.push(", acknowledged_by = NULL, acknowledged_at = NULL");
    }
    sql.push(", changes = changes + 1, pending = 1 WHERE id = ").bind(a.id);
    s.stage(sql).await
}

/// Stages an acknowledgement, kept only if the alert is not acknowledged yet.
pub async fn stage_acknowledge(s: &mut impl Stage, id: i64, by: Option<i64>, at: i64) -> Result<()> {
    let mut sql = s.statement("UPDATE alerts SET acknowledged_by = ");
    sql.bind(by).push(", acknowledged_at = ").bind(at).push(" WHERE id = ").bind(id).push(" AND acknowledged_at IS NULL");
    s.stage(sql).await
}

pub async fn add_event(s: &mut impl Stage, e: &AlertEvent) -> Result<()> {
    let sql = crate::table::insert_into(s.statement(""), e, crate::table::columns_but_key::<AlertEvent>())?;
    s.stage(sql).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<Alert>> {
    let sql = format!("{} WHERE id = $1", Alert::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?.as_ref().map(Alert::from_row).transpose()
}

pub async fn events<'e, E: Executor<'e, Database = Any>>(ex: E, alert: i64) -> Result<Vec<AlertEvent>> {
    let sql = format!("{} WHERE alert_id = $1 ORDER BY id", AlertEvent::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(alert).fetch_all(ex).await?.iter().map(AlertEvent::from_row).collect()
}

/// Filters of the alert list; all optional.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub severity: Option<Severity>,
    pub integration_id: Option<i64>,
    pub limit: i64,
}

/// Alerts, latest change first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, f: &AlertFilter) -> Result<Vec<Alert>> {
    let mut sql = Sql::new(&format!("{} WHERE 1 = 1", Alert::select()));
    if let Some(s) = f.status {
        sql.push(" AND status = ").bind(s.as_str());
    }
    if let Some(s) = f.severity {
        sql.push(" AND severity = ").bind(s.as_str());
    }
    if let Some(i) = f.integration_id {
        sql.push(" AND integration_id = ").bind(i);
    }
    sql.push(" ORDER BY last_change_at DESC, id DESC LIMIT ").bind(f.limit);
    sql.fetch_all(ex).await?.iter().map(Alert::from_row).collect()
}

table! {
    /// A silence (maintenance window) set by hand.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct AlertSilence in "alert_silences" {
        pub id: i64,
        pub matchers: Vec<yunwei_domain::alert::Matcher>,
        pub starts_at: i64,
        pub ends_at: i64,
        pub comment: String,
        pub created_by: Option<i64>,
        pub created_at: i64,
    }
}

pub async fn insert_silence(conn: &mut AnyConnection, s: &AlertSilence) -> Result<i64> {
    insert_returning_key(conn, s).await
}

/// Silences not yet over at `at` (current and future), soonest end first.
pub async fn silences_after<'e, E: Executor<'e, Database = Any>>(ex: E, at: i64) -> Result<Vec<AlertSilence>> {
    let sql = format!("{} WHERE ends_at > $1 ORDER BY ends_at, id", AlertSilence::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).fetch_all(ex).await?.iter().map(AlertSilence::from_row).collect()
}

pub async fn get_silence<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<AlertSilence>> {
    let sql = format!("{} WHERE id = $1", AlertSilence::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?.as_ref().map(AlertSilence::from_row).transpose()
}

/// Ends a silence now (kept as history); the firing alerts without an incident are looked at
/// again, as the silence may have held them.
pub async fn end_silence(conn: &mut AnyConnection, id: i64, at: i64) -> Result<bool> {
    let q = sqlx::query("UPDATE alert_silences SET ends_at = $1 WHERE id = $2 AND ends_at > $1").bind(at).bind(id);
    if q.execute(&mut *conn).await?.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE alerts SET pending = 1 WHERE status = 'firing' AND incident_id IS NULL").execute(conn).await?;
    Ok(true)
}

/// Alerts changed since processing last looked, whose lease (if any) is over.
pub async fn pending<'e, E: Executor<'e, Database = Any>>(ex: E, now: i64, limit: i64) -> Result<Vec<i64>> {
    let rows =
        sqlx::query("SELECT id FROM alerts WHERE pending = 1 AND (pending_until IS NULL OR pending_until < $1) ORDER BY id LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(ex)
            .await?;
    rows.iter().map(|r| crate::table::column(r, "id")).collect()
}

/// Takes the alert for processing until `until`; false if another node has it.
pub async fn lease(conn: &mut AnyConnection, id: i64, now: i64, until: i64) -> Result<bool> {
    let q =
        sqlx::query("UPDATE alerts SET pending_until = $1 WHERE id = $2 AND pending = 1 AND (pending_until IS NULL OR pending_until < $3)")
            .bind(until)
            .bind(id)
            .bind(now);
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

/// Processing is done with the alert as it was at `changes`; a later change keeps it pending.
pub async fn processed(conn: &mut AnyConnection, id: i64, changes: i64) -> Result<()> {
    sqlx::query("UPDATE alerts SET pending = CASE WHEN changes = $1 THEN 0 ELSE 1 END, pending_until = NULL WHERE id = $2")
        .bind(changes)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn link_incident(conn: &mut AnyConnection, id: i64, incident: Option<i64>, ci: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE alerts SET incident_id = $1, ci_id = COALESCE($2, ci_id) WHERE id = $3")
        .bind(incident)
        .bind(ci)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many alerts of the incident still fire.
pub async fn firing_for_incident<'e, E: Executor<'e, Database = Any>>(ex: E, incident: i64) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) FROM alerts WHERE incident_id = $1 AND status = 'firing'").bind(incident).fetch_one(ex).await?;
    Ok(sqlx::Row::try_get(&row, 0)?)
}

/// The alerts linked to an incident.
pub async fn for_incident<'e, E: Executor<'e, Database = Any>>(ex: E, incident: i64) -> Result<Vec<Alert>> {
    let sql = format!("{} WHERE incident_id = $1 ORDER BY id", Alert::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(incident).fetch_all(ex).await?.iter().map(Alert::from_row).collect()
}
