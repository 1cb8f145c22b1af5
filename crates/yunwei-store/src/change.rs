//! Change requests (变更申请, CHG-1 … CHG-5): the record, the CIs it touches, the incidents
//! linked to it and the approvers' votes. The timeline and watchers are the ticket kernel's.

use crate::Result;
use crate::sql::{Page, Sql};
use crate::table::{Table, column, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::change::risk::RiskLevel;
use yunwei_domain::change::{ChangeState, ChangeType, Vote};
use yunwei_domain::ids::{ChangeId, CiId, DepartmentId, IncidentId, TeamId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Change in "changes" {
        pub id: ChangeId,
        pub title: String,
        pub change_type: ChangeType,
        pub state: ChangeState,
        pub content: String,
        pub reason: String,
        pub expected_effect: String,
        pub impact_scope: String,
        /// `[{title, status, started_at, finished_at}]`.
        pub steps: serde_json::Value,
        pub window_start: Option<i64>,
        pub window_end: Option<i64>,
        pub risk_mitigation: String,
        pub backup_plan: String,
        pub rollback_plan: String,
        pub test_plan: String,
        pub risk_level: RiskLevel,
        pub risk_score: i64,
        /// `{question key: 0..3}`.
        pub risk_answers: serde_json::Value,
        /// `[{code, params}]`: why the level is what it is.
        pub risk_reasons: serde_json::Value,
        pub approvals_needed: i64,
        /// The approval matrix's stages the change was submitted into (`[]`: not submitted).
        pub approval_stages: serde_json::Value,
        pub approved_at: Option<i64>,
        pub requester_id: Option<UserId>,
        pub implementer_id: Option<UserId>,
        pub team_id: Option<TeamId>,
        pub department_id: Option<DepartmentId>,
        pub started_at: Option<i64>,
        /// Why implementation started outside the approved window (empty: it did not).
        pub start_override: String,
        pub finished_at: Option<i64>,
        pub closed_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct ChangeApproval in "change_approvals" {
        pub id: i64,
        pub change_id: ChangeId,
        pub approver_id: UserId,
        pub vote: Vote,
        pub comment: String,
        pub at_ms: i64,
        /// The stage of the approval matrix the vote was cast in (from 0).
        pub stage: i64,
    }
}

pub async fn insert(conn: &mut AnyConnection, c: &Change) -> Result<ChangeId> {
    Ok(ChangeId(insert_returning_key(conn, c).await?))
}

/// Writes every column but the id and creation time if the row is still at `expected_version`.
pub async fn update(conn: &mut AnyConnection, c: &Change, expected_version: i64) -> Result<bool> {
    let cols: Vec<&str> = Change::COLUMNS.iter().copied().filter(|c| !matches!(*c, "id" | "created_at")).collect();
    update_row(conn, c, &cols, Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: ChangeId) -> Result<Option<Change>> {
    let sql = format!("{} WHERE id = $1", Change::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(ex).await?.as_ref().map(Change::from_row).transpose()
}

/// As [`get`], locking the row on PostgreSQL for the rest of the transaction.
pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: ChangeId) -> Result<Option<Change>> {
    let sql = format!("{} WHERE id = $1{}", Change::select(), db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Change::from_row).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    pub states: Vec<String>,
    pub change_type: Option<String>,
    pub ci_id: Option<CiId>,
    /// Record scope: changes of these teams or this department, or requested / implemented by this user.
    pub scope: Option<(UserId, Vec<TeamId>, Option<DepartmentId>)>,
}

/// Newest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, f: &ChangeFilter, page: &PageRequest) -> Result<Page<Change>> {
    let mut sql = Sql::new(&format!("{} WHERE 1=1", Change::select()));
    if !f.states.is_empty() {
        sql.push(" AND state IN (");
        for (n, s) in f.states.iter().enumerate() {
            sql.push(if n == 0 { "" } else { ", " }).bind(s.as_str());
        }
        sql.push(")");
    }
    if let Some(t) = &f.change_type {
        sql.push(" AND change_type = ").bind(t.as_str());
    }
    if let Some(ci) = f.ci_id {
        sql.push(" AND id IN (SELECT change_id FROM change_cis WHERE ci_id = ").bind(ci.0).push(")");
    }
    if let Some((user, teams, dept)) = &f.scope {
        sql.push(" AND (requester_id = ").bind(user.0).push(" OR implementer_id = ").bind(user.0);
        for t in teams {
            sql.push(" OR team_id = ").bind(t.0);
        }
        if let Some(d) = dept {
            sql.push(" OR department_id = ").bind(d.0);
        }
        sql.push(")");
    }
    sql.keyset(page, None);
    let rows = sql.fetch_all(ex).await?.iter().map(Change::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |c| Cursor { id: c.id.0, key: None }))
}

pub async fn cis<'e, E: Executor<'e, Database = Any>>(ex: E, id: ChangeId) -> Result<Vec<CiId>> {
    let rows = sqlx::query("SELECT ci_id FROM change_cis WHERE change_id = $1 ORDER BY ci_id").bind(id.0).fetch_all(ex).await?;
    rows.iter().map(|r| column(r, "ci_id")).collect()
}

/// Replaces the change's CIs.
pub async fn set_cis(conn: &mut AnyConnection, id: ChangeId, cis: &[CiId]) -> Result<()> {
    sqlx::query("DELETE FROM change_cis WHERE change_id = $1").bind(id.0).execute(&mut *conn).await?;
    for ci in cis {
        sqlx::query("INSERT INTO change_cis (change_id, ci_id) VALUES ($1, $2)").bind(id.0).bind(ci.0).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Linked incidents: `(incident, relation)`, relation `cause` or `caused_by`.
pub async fn incidents<'e, E: Executor<'e, Database = Any>>(ex: E, id: ChangeId) -> Result<Vec<(IncidentId, String)>> {
    let rows = sqlx::query("SELECT incident_id, relation FROM change_incidents WHERE change_id = $1 ORDER BY incident_id, relation")
        .bind(id.0)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| Ok((column(r, "incident_id")?, column(r, "relation")?))).collect()
}

/// Links (or, `link` false, unlinks) an incident; linking twice is one link.
pub async fn set_incident(conn: &mut AnyConnection, id: ChangeId, incident: IncidentId, relation: &str, link: bool) -> Result<()> {
    sqlx::query("DELETE FROM change_incidents WHERE change_id = $1 AND incident_id = $2 AND relation = $3")
        .bind(id.0)
        .bind(incident.0)
        .bind(relation)
        .execute(&mut *conn)
        .await?;
    if link {
        sqlx::query("INSERT INTO change_incidents (change_id, incident_id, relation) VALUES ($1, $2, $3)")
            .bind(id.0)
            .bind(incident.0)
            .bind(relation)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn approvals<'e, E: Executor<'e, Database = Any>>(ex: E, id: ChangeId) -> Result<Vec<ChangeApproval>> {
    let sql = format!("{} WHERE change_id = $1 ORDER BY id", ChangeApproval::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_all(ex).await?.iter().map(ChangeApproval::from_row).collect()
}

pub async fn insert_approval(conn: &mut AnyConnection, a: &ChangeApproval) -> Result<i64> {
    insert_returning_key(conn, a).await
}

/// Approved changes (implementing too) whose window holds `at` on one of `cis`: the alert
/// helper silences alerts of CIs under an approved change with it.
pub async fn active_for_ci<'e, E: Executor<'e, Database = Any>>(ex: E, ci: CiId, at: i64) -> Result<Vec<Change>> {
    let sql = format!(
        "{} WHERE state IN ('approved', 'implementing') AND window_start <= $1 AND window_end > $1 \
         AND id IN (SELECT change_id FROM change_cis WHERE ci_id = $2) ORDER BY window_start, id",
        Change::select()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).bind(ci.0).fetch_all(ex).await?.iter().map(Change::from_row).collect()
}

/// The changes an incident is linked to, either way.
pub async fn changes_of_incident<'e, E: Executor<'e, Database = Any>>(ex: E, incident: IncidentId) -> Result<Vec<ChangeId>> {
    let rows = sqlx::query("SELECT DISTINCT change_id FROM change_incidents WHERE incident_id = $1 ORDER BY change_id")
        .bind(incident.0)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| column(r, "change_id")).collect()
}

/// Emergency changes started but not approved.
pub async fn unapproved_emergencies<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<ChangeId>> {
    let rows = sqlx::query(
        "SELECT id FROM changes WHERE change_type = 'emergency' AND approved_at IS NULL AND started_at IS NOT NULL ORDER BY started_at",
    )
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| column(r, "id")).collect()
}

/// States whose window is on the calendar: asked for, approved, under way or done.
const SCHEDULED: &str = "'pending_approval', 'approved', 'implementing', 'completed', 'rolled_back', 'closed'";

/// Changes waiting, approved or under way whose window overlaps `[from, to)`, but `exclude`:
/// the candidates a new window may conflict with (CHG-5).
pub async fn overlapping<'e, E: Executor<'e, Database = Any>>(ex: E, from: i64, to: i64, exclude: ChangeId) -> Result<Vec<Change>> {
    let sql = format!(
        "{} WHERE state IN ('pending_approval', 'approved', 'implementing') AND window_start < $1 AND window_end > $2 AND id <> $3 \
         ORDER BY window_start, id LIMIT 500",
        Change::select()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to).bind(from).bind(exclude.0).fetch_all(ex).await?.iter().map(Change::from_row).collect()
}

/// Scheduled changes whose window overlaps `[from, to)`, in time order, at most `limit`,
/// within the record scope as [`list`] takes it.
pub async fn on_calendar<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    from: i64,
    to: i64,
    scope: &Option<(UserId, Vec<TeamId>, Option<DepartmentId>)>,
    limit: i64,
) -> Result<Vec<Change>> {
    let mut sql = Sql::new(&format!("{} WHERE state IN ({SCHEDULED}) AND window_start < ", Change::select()));
    sql.bind(to).push(" AND window_end > ").bind(from);
    if let Some((user, teams, dept)) = scope {
        sql.push(" AND (requester_id = ").bind(user.0).push(" OR implementer_id = ").bind(user.0);
        for t in teams {
            sql.push(" OR team_id = ").bind(t.0);
        }
        if let Some(d) = dept {
            sql.push(" OR department_id = ").bind(d.0);
        }
        sql.push(")");
    }
    sql.push(" ORDER BY window_start, id LIMIT ").bind(limit);
    sql.fetch_all(ex).await?.iter().map(Change::from_row).collect()
}

/// The user whose calendar-feed token hashes to `hash`.
pub async fn feed_user<'e, E: Executor<'e, Database = Any>>(ex: E, hash: &str) -> Result<Option<UserId>> {
    let row = sqlx::query("SELECT user_id FROM change_feed_tokens WHERE token_hash = $1").bind(hash).fetch_optional(ex).await?;
    row.as_ref().map(|r| column(r, "user_id")).transpose()
}

/// Replaces the user's calendar-feed token (the old URL stops working).
pub async fn set_feed_token(conn: &mut AnyConnection, user: UserId, hash: &str, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM change_feed_tokens WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO change_feed_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)")
        .bind(user.0)
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
