//! Problems (问题, PRB-1 … PRB-6): the record with its known error and root-cause analysis,
//! the incidents linked to it, its solution measures and the suggestions raised from
//! recurring incidents. The timeline and watchers are the ticket kernel's.

use crate::Result;
use crate::sql::{Page, Sql};
use crate::table::{Table, column, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::ids::{CiId, ImprovementId, IncidentId, ProblemId, ProblemMeasureId, ProblemSuggestionId, TeamId, UserId};
use yunwei_domain::incident::{Level, Priority};
use yunwei_domain::page::{Cursor, PageRequest};
use yunwei_domain::problem::ProblemState;
use yunwei_domain::problem::suggest::{Basis, IncidentFact};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Problem in "problems" {
        pub id: ProblemId,
        pub title: String,
        pub description: String,
        pub state: ProblemState,
        pub impact: Level,
        pub severity: Level,
        pub priority: Priority,
        pub owner_id: Option<UserId>,
        pub team_id: Option<TeamId>,
        pub created_by: Option<UserId>,
        pub ci_id: Option<CiId>,
        /// Free text where no CI of the CMDB is named.
        pub ci_ref: String,
        pub symptom: String,
        pub root_cause: String,
        pub workaround: String,
        /// When it became a known error (null: it is not one).
        pub known_error_at: Option<i64>,
        /// `yunwei_domain::problem::Rca` as JSON.
        pub rca: serde_json::Value,
        pub review_lessons: String,
        /// `yes`, `no`, or empty (not said yet).
        pub review_improvement: String,
        pub improvement_id: Option<ImprovementId>,
        pub resolved_at: Option<i64>,
        pub closed_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Measure in "problem_measures" {
        pub id: ProblemMeasureId,
        pub problem_id: ProblemId,
        pub title: String,
        pub owner_id: Option<UserId>,
        pub due_at: Option<i64>,
        pub done_at: Option<i64>,
        pub created_at: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Suggestion in "problem_suggestions" {
        pub id: ProblemSuggestionId,
        pub basis: Basis,
        pub subject_id: i64,
        pub threshold: i64,
        pub window_days: i64,
        /// Incident ids, oldest first.
        pub incident_ids: serde_json::Value,
        pub last_at: i64,
        /// `pending`, `accepted` or `dismissed`.
        pub state: String,
        pub problem_id: Option<ProblemId>,
        pub decided_by: Option<UserId>,
        pub decided_at: Option<i64>,
        pub reason: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub async fn insert(conn: &mut AnyConnection, p: &Problem) -> Result<ProblemId> {
    Ok(ProblemId(insert_returning_key(conn, p).await?))
}

/// Writes every column but the id and creation time if the row is still at `expected_version`.
pub async fn update(conn: &mut AnyConnection, p: &Problem, expected_version: i64) -> Result<bool> {
    let cols: Vec<&str> = Problem::COLUMNS.iter().copied().filter(|c| !matches!(*c, "id" | "created_at")).collect();
    update_row(conn, p, &cols, Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: ProblemId) -> Result<Option<Problem>> {
    let sql = format!("{} WHERE id = $1", Problem::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(ex).await?.as_ref().map(Problem::from_row).transpose()
}

/// As [`get`], locking the row on PostgreSQL for the rest of the transaction.
pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: ProblemId) -> Result<Option<Problem>> {
    let sql = format!("{} WHERE id = $1{}", Problem::select(), db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Problem::from_row).transpose()
}

pub async fn by_ids<'e, E: Executor<'e, Database = Any>>(ex: E, ids: &[i64]) -> Result<Vec<Problem>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("{} WHERE 1=1", Problem::select()));
    sql.and_in("id", ids);
    sql.fetch_all(ex).await?.iter().map(Problem::from_row).collect()
}

#[derive(Debug, Clone, Default)]
pub struct ProblemFilter {
    pub states: Vec<String>,
    pub priority: Option<i64>,
    pub team_id: Option<TeamId>,
    pub owner_id: Option<UserId>,
    pub ci_id: Option<CiId>,
    pub known_error: Option<bool>,
    /// Record scope: problems of these teams, or owned or opened by this user.
    pub scope: Option<(UserId, Vec<TeamId>)>,
}

/// Newest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, f: &ProblemFilter, page: &PageRequest) -> Result<Page<Problem>> {
    let mut sql = Sql::new(&format!("{} WHERE 1=1", Problem::select()));
    sql.and_in("state", &f.states);
    if let Some(p) = f.priority {
        sql.push(" AND priority = ").bind(p);
    }
    if let Some(t) = f.team_id {
        sql.push(" AND team_id = ").bind(t.0);
    }
    if let Some(u) = f.owner_id {
        sql.push(" AND owner_id = ").bind(u.0);
    }
    if let Some(ci) = f.ci_id {
        sql.push(" AND ci_id = ").bind(ci.0);
    }
    match f.known_error {
        Some(true) => sql.push(" AND known_error_at IS NOT NULL"),
        Some(false) => sql.push(" AND known_error_at IS NULL"),
        None => &mut sql,
    };
    if let Some((user, teams)) = &f.scope {
        sql.push(" AND (owner_id = ").bind(user.0).push(" OR created_by = ").bind(user.0);
        for t in teams {
            sql.push(" OR team_id = ").bind(t.0);
        }
        sql.push(")");
    }
    sql.keyset(page, None);
    let rows = sql.fetch_all(ex).await?.iter().map(Problem::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |p| Cursor { id: p.id.0, key: None }))
}

pub async fn incidents<'e, E: Executor<'e, Database = Any>>(ex: E, id: ProblemId) -> Result<Vec<IncidentId>> {
    let rows = sqlx::query("SELECT incident_id FROM problem_incidents WHERE problem_id = $1 ORDER BY incident_id")
        .bind(id.0)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| column(r, "incident_id")).collect()
}

/// Links (or, `link` false, unlinks) an incident; linking twice is one link.
pub async fn set_incident(conn: &mut AnyConnection, id: ProblemId, incident: IncidentId, link: bool) -> Result<()> {
    sqlx::query("DELETE FROM problem_incidents WHERE problem_id = $1 AND incident_id = $2")
        .bind(id.0)
        .bind(incident.0)
        .execute(&mut *conn)
        .await?;
    if link {
        sqlx::query("INSERT INTO problem_incidents (problem_id, incident_id) VALUES ($1, $2)")
            .bind(id.0)
            .bind(incident.0)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The problems an incident is linked to.
pub async fn problems_of_incident<'e, E: Executor<'e, Database = Any>>(ex: E, incident: IncidentId) -> Result<Vec<ProblemId>> {
    let rows = sqlx::query("SELECT problem_id FROM problem_incidents WHERE incident_id = $1 ORDER BY problem_id")
        .bind(incident.0)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| column(r, "problem_id")).collect()
}

pub async fn measures<'e, E: Executor<'e, Database = Any>>(ex: E, id: ProblemId) -> Result<Vec<Measure>> {
    let sql = format!("{} WHERE problem_id = $1 ORDER BY id", Measure::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_all(ex).await?.iter().map(Measure::from_row).collect()
}

pub async fn insert_measure(conn: &mut AnyConnection, m: &Measure) -> Result<ProblemMeasureId> {
    Ok(ProblemMeasureId(insert_returning_key(conn, m).await?))
}

pub async fn update_measure(conn: &mut AnyConnection, m: &Measure) -> Result<bool> {
    update_row(conn, m, &["title", "owner_id", "due_at", "done_at"], None).await
}

/// Measures not done whose due date has passed, soonest due first.
pub async fn overdue_measures<'e, E: Executor<'e, Database = Any>>(ex: E, now: i64, limit: i64) -> Result<Vec<Measure>> {
    let sql = format!("{} WHERE done_at IS NULL AND due_at < $1 ORDER BY due_at, id LIMIT $2", Measure::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(ex).await?.iter().map(Measure::from_row).collect()
}

/// Incidents created since `since` that no problem is linked to yet, as the suggestion rules see them.
pub async fn recent_unlinked<'e, E: Executor<'e, Database = Any>>(ex: E, since: i64) -> Result<Vec<IncidentFact>> {
    let rows = sqlx::query(
        "SELECT id, created_at, ci_id, category_id, service_id, major FROM incidents WHERE created_at >= $1 \
         AND id NOT IN (SELECT incident_id FROM problem_incidents) ORDER BY id",
    )
    .bind(since)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(IncidentFact {
                id: column(r, "id")?,
                created_at: column(r, "created_at")?,
                ci: column(r, "ci_id")?,
                category: column(r, "category_id")?,
                service: column(r, "service_id")?,
                major: column(r, "major")?,
            })
        })
        .collect()
}

/// Every suggestion not pending and younger than `since` (what covers the subjects), and every pending one.
pub async fn suggestions_since<'e, E: Executor<'e, Database = Any>>(ex: E, since: i64) -> Result<Vec<Suggestion>> {
    let sql = format!("{} WHERE state = 'pending' OR last_at >= $1 ORDER BY id", Suggestion::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(since).fetch_all(ex).await?.iter().map(Suggestion::from_row).collect()
}

/// Suggestions in `state`, newest first.
pub async fn suggestions<'e, E: Executor<'e, Database = Any>>(ex: E, state: &str, limit: i64) -> Result<Vec<Suggestion>> {
    let sql = format!("{} WHERE state = $1 ORDER BY id DESC LIMIT $2", Suggestion::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(state).bind(limit).fetch_all(ex).await?.iter().map(Suggestion::from_row).collect()
}

pub async fn get_suggestion<'e, E: Executor<'e, Database = Any>>(ex: E, id: ProblemSuggestionId) -> Result<Option<Suggestion>> {
    let sql = format!("{} WHERE id = $1", Suggestion::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(ex).await?.as_ref().map(Suggestion::from_row).transpose()
}

pub async fn insert_suggestion(conn: &mut AnyConnection, s: &Suggestion) -> Result<ProblemSuggestionId> {
    Ok(ProblemSuggestionId(insert_returning_key(conn, s).await?))
}

/// Writes a suggestion's incidents and decision; a decided one is never changed again
/// (`false`: someone decided it first).
pub async fn update_suggestion(conn: &mut AnyConnection, s: &Suggestion) -> Result<bool> {
    let sql = "UPDATE problem_suggestions SET incident_ids = $1, last_at = $2, state = $3, problem_id = $4, decided_by = $5, \
               decided_at = $6, reason = $7, updated_at = $8 WHERE id = $9 AND state = 'pending'";
    let done = sqlx::query(sql)
        .bind(s.incident_ids.to_string())
        .bind(s.last_at)
        .bind(s.state.as_str())
        .bind(s.problem_id.map(|p| p.0))
        .bind(s.decided_by.map(|u| u.0))
        .bind(s.decided_at)
        .bind(s.reason.as_str())
        .bind(s.updated_at)
        .bind(s.id.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The text of problems to index, by id: number-less parts (title, description, CI text,
/// symptom, root cause, workaround).
pub async fn texts(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, Vec<String>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, title, description, ci_ref, symptom, root_cause, workaround FROM problems WHERE 1=1");
    sql.and_in("id", ids);
    let rows = sql.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let parts = ["title", "description", "ci_ref", "symptom", "root_cause", "workaround"]
                .iter()
                .map(|c| column::<String>(r, c))
                .collect::<Result<Vec<_>>>()?;
            Ok((column(r, "id")?, parts))
        })
        .collect()
}
