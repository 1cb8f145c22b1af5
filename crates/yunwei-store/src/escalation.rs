//! Escalation policies, the escalations running on incidents, and alert routing rules.

use crate::Result;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::alert::{Matcher, Severity};
use yunwei_domain::escalation::{EscalationState, Level, Target, TargetKind};

type Any = sqlx::Any;

impl crate::table::Sample for Vec<Level> {
    fn sample(fill: crate::table::Fill, n: i64) -> Self {
        match fill {
            crate::table::Fill::Full => vec![Level { delay_minutes: 15, targets: vec![Target { kind: TargetKind::Schedule, id: n }] }],
            crate::table::Fill::Empty => Vec::new(),
        }
    }
}

table! {
    #[derive(Debug, Clone, Serialize, PartialEq, Default)]
    pub struct EscalationPolicy in "escalation_policies" {
        pub id: i64,
        pub name: String,
        pub description: String,
        pub team_id: Option<i64>,
        pub levels: Vec<Level>,
        pub repeat_count: i64,
        pub created_by: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

table! {
    /// An escalation running (or run) on an incident.
    #[derive(Debug, Clone, Serialize, PartialEq, Default)]
    pub struct Escalation in "escalations" {
        pub id: i64,
        pub incident_id: i64,
        pub policy_id: i64,
        pub alert_id: Option<i64>,
        pub state: EscalationState,
        pub started_at: i64,
        pub next_step: i64,
        pub next_at: Option<i64>,
        pub acknowledged_by: Option<i64>,
        pub acknowledged_at: Option<i64>,
        pub updated_at: i64,
    }
}

table! {
    /// A routing rule: the first whose matchers all match an alert decides its team, policy
    /// and (if set) severity.
    #[derive(Debug, Clone, Serialize, PartialEq, Default)]
    pub struct AlertRoute in "alert_routes" {
        pub id: i64,
        pub position: i64,
        pub name: String,
        pub matchers: Vec<Matcher>,
        pub team_id: Option<i64>,
        pub policy_id: Option<i64>,
        pub severity: Option<Severity>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

pub async fn policies<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<EscalationPolicy>> {
    let sql = format!("{} ORDER BY name, id", EscalationPolicy::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?.iter().map(EscalationPolicy::from_row).collect()
}

pub async fn policy<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<EscalationPolicy>> {
    let sql = format!("{} WHERE id = $1", EscalationPolicy::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?.as_ref().map(EscalationPolicy::from_row).transpose()
}

/// The policy a team's incidents use when no route names one: the team's first.
pub async fn policy_of_team<'e, E: Executor<'e, Database = Any>>(ex: E, team: i64) -> Result<Option<EscalationPolicy>> {
    let sql = format!("{} WHERE team_id = $1 ORDER BY id LIMIT 1", EscalationPolicy::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(team).fetch_optional(ex).await?.as_ref().map(EscalationPolicy::from_row).transpose()
}

pub async fn insert_policy(conn: &mut AnyConnection, p: &EscalationPolicy) -> Result<i64> {
    insert_returning_key(conn, p).await
}

pub async fn update_policy(conn: &mut AnyConnection, p: &EscalationPolicy, expected_version: i64) -> Result<bool> {
    let cols = ["name", "description", "team_id", "levels", "repeat_count", "updated_at", "version"];
    update_row(conn, p, &cols, Some(expected_version)).await
}

pub async fn escalation<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<Escalation>> {
    let sql = format!("{} WHERE id = $1", Escalation::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?.as_ref().map(Escalation::from_row).transpose()
}

pub async fn escalation_of_incident<'e, E: Executor<'e, Database = Any>>(ex: E, incident: i64) -> Result<Option<Escalation>> {
    let sql = format!("{} WHERE incident_id = $1", Escalation::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(incident).fetch_optional(ex).await?.as_ref().map(Escalation::from_row).transpose()
}

/// Starts an escalation; false if the incident has one already (a retried hand-off).
pub async fn insert_escalation(conn: &mut AnyConnection, e: &Escalation) -> Result<Option<i64>> {
    if escalation_of_incident(&mut *conn, e.incident_id).await?.is_some() {
        return Ok(None);
    }
    insert_returning_key(conn, e).await.map(Some)
}

/// Moves an escalation on from the step it was read at; false if another run moved it first.
pub async fn advance(conn: &mut AnyConnection, e: &Escalation, read_step: i64) -> Result<bool> {
    let q = sqlx::query(
        "UPDATE escalations SET state = $1, next_step = $2, next_at = $3, acknowledged_by = $4, acknowledged_at = $5, updated_at = $6 \
         WHERE id = $7 AND next_step = $8 AND state = 'active'",
    )
    .bind(e.state.as_str())
    .bind(e.next_step)
    .bind(e.next_at)
    .bind(e.acknowledged_by)
    .bind(e.acknowledged_at)
    .bind(e.updated_at)
    .bind(e.id)
    .bind(read_step);
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

pub async fn routes<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<AlertRoute>> {
    let sql = format!("{} ORDER BY position, id", AlertRoute::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?.iter().map(AlertRoute::from_row).collect()
}

pub async fn route<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<AlertRoute>> {
    let sql = format!("{} WHERE id = $1", AlertRoute::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?.as_ref().map(AlertRoute::from_row).transpose()
}

pub async fn insert_route(conn: &mut AnyConnection, r: &AlertRoute) -> Result<i64> {
    insert_returning_key(conn, r).await
}

pub async fn update_route(conn: &mut AnyConnection, r: &AlertRoute, expected_version: i64) -> Result<bool> {
    let cols = ["position", "name", "matchers", "team_id", "policy_id", "severity", "updated_at", "version"];
    update_row(conn, r, &cols, Some(expected_version)).await
}

pub async fn delete_route(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM alert_routes WHERE id = $1").bind(id).execute(conn).await?.rows_affected() == 1)
}

/// Records why processing held an alert (or that nothing does any more).
pub async fn set_silenced_by(conn: &mut AnyConnection, alert: i64, why: Option<&serde_json::Value>) -> Result<()> {
    sqlx::query("UPDATE alerts SET silenced_by = $1 WHERE id = $2")
        .bind(why.map(serde_json::Value::to_string))
        .bind(alert)
        .execute(conn)
        .await?;
    Ok(())
}

/// What held the alert has ended: processing looks at it again if it still fires and was held.
pub async fn recheck(conn: &mut AnyConnection, alert: i64) -> Result<()> {
    sqlx::query("UPDATE alerts SET pending = 1 WHERE id = $1 AND status = 'firing' AND silenced_by IS NOT NULL")
        .bind(alert)
        .execute(conn)
        .await?;
    Ok(())
}

/// When the alert last changed state (firing, resolved) since `since`: what flapping counts.
pub async fn changes_since<'e, E: Executor<'e, Database = Any>>(ex: E, alert: i64, since: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT at FROM alert_events WHERE alert_id = $1 AND at >= $2 AND kind IN ('firing', 'resolved') ORDER BY at")
        .bind(alert)
        .bind(since)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| crate::table::column(r, "at")).collect()
}
