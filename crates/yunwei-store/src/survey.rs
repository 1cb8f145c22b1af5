//! Satisfaction surveys: one row per survey link, found by the SHA-256 of its
//! token, with the ticket's team, service, engineer and department as they were
//! at resolution; the answer; and the rows the statistics are counted from.

use crate::Result;
use crate::sql::{Page, Sql};
use crate::table::Table;
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{DepartmentId, ServiceId, SurveyId, TeamId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};
use yunwei_domain::survey::{GroupBy, SurveyState};

type Any = sqlx::Any;

table! {
    /// One survey as stored (the token hash stays in the table).
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Survey in "surveys" {
        pub id: SurveyId,
        pub subject_type: String,
        pub subject_id: i64,
        pub subject_ref: String,
        pub subject_title: String,
        pub requester_id: Option<UserId>,
        pub requester_email: Option<String>,
        pub requester_name: Option<String>,
        pub team_id: Option<TeamId>,
        pub service_id: Option<ServiceId>,
        pub assignee_id: Option<UserId>,
        pub department_id: Option<DepartmentId>,
        /// `sent` or `answered` as stored; views show the state of now (expired too) instead.
        #[serde(skip_serializing)]
        pub state: String,
        pub sent_at: i64,
        pub expires_at: i64,
        pub answered_at: Option<i64>,
        pub score: Option<i64>,
        pub comment: Option<String>,
    }
}

/// Inserts a new `sent` survey (the `id`, `state` and answer fields of `s` are ignored).
pub async fn insert(conn: &mut AnyConnection, s: &Survey, token_hash: &str) -> Result<SurveyId> {
    let row = sqlx::query(
        "INSERT INTO surveys (subject_type, subject_id, subject_ref, subject_title, token_hash, requester_id, requester_email, \
         requester_name, team_id, service_id, assignee_id, department_id, state, sent_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'sent', $13, $14) RETURNING id",
    )
    .bind(&s.subject_type)
    .bind(s.subject_id)
    .bind(&s.subject_ref)
    .bind(&s.subject_title)
    .bind(token_hash)
    .bind(s.requester_id.map(|v| v.0))
    .bind(&s.requester_email)
    .bind(&s.requester_name)
    .bind(s.team_id.map(|v| v.0))
    .bind(s.service_id.map(|v| v.0))
    .bind(s.assignee_id.map(|v| v.0))
    .bind(s.department_id.map(|v| v.0))
    .bind(s.sent_at)
    .bind(s.expires_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(SurveyId(row.try_get(0)?))
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: SurveyId) -> Result<Option<Survey>> {
    let sql = format!("{} WHERE id = $1", Survey::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(ex).await?.as_ref().map(Survey::from_row).transpose()
}

pub async fn by_token_hash<'e, E: Executor<'e, Database = Any>>(ex: E, hash: &str) -> Result<Option<Survey>> {
    let sql = format!("{} WHERE token_hash = $1", Survey::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(ex).await?.as_ref().map(Survey::from_row).transpose()
}

/// The survey of a ticket still waiting for its answer (sent and not expired), if any.
pub async fn pending_for<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    subject_type: &str,
    subject_id: i64,
    now: i64,
) -> Result<Option<Survey>> {
    let sql = format!(
        "{} WHERE subject_type = $1 AND subject_id = $2 AND state = 'sent' AND expires_at > $3 ORDER BY id DESC LIMIT 1",
        Survey::select()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(subject_type).bind(subject_id).bind(now).fetch_optional(ex).await?;
    row.as_ref().map(Survey::from_row).transpose()
}

/// Every survey of a ticket, oldest first.
pub async fn for_subject<'e, E: Executor<'e, Database = Any>>(ex: E, subject_type: &str, subject_id: i64) -> Result<Vec<Survey>> {
    let sql = format!("{} WHERE subject_type = $1 AND subject_id = $2 ORDER BY id", Survey::select());
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(subject_type).bind(subject_id).fetch_all(ex).await?;
    rows.iter().map(Survey::from_row).collect()
}

/// Records the answer if the survey is still open at `now`; false if another answer won or it expired.
pub async fn record_answer(conn: &mut AnyConnection, id: SurveyId, score: i64, comment: Option<&str>, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE surveys SET state = 'answered', score = $2, comment = $3, answered_at = $4 \
         WHERE id = $1 AND state = 'sent' AND expires_at > $4",
    )
    .bind(id.0)
    .bind(score)
    .bind(comment)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Filters of the survey list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct SurveyFilter {
    pub state: Option<SurveyState>,
    pub team_id: Option<TeamId>,
    pub subject_type: Option<String>,
    pub subject_id: Option<i64>,
    /// Record scope: surveys of these teams, this department, or asked of / answered for this user.
    pub scope: Option<crate::incident::ScopeFilter>,
}

/// Newest first by default.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, f: &SurveyFilter, now: i64, page: &PageRequest) -> Result<Page<Survey>> {
    let mut sql = Sql::new(&format!("{} WHERE 1=1", Survey::select()));
    match f.state {
        Some(SurveyState::Answered) => sql.push(" AND state = 'answered'"),
        Some(SurveyState::Sent) => sql.push(" AND state = 'sent' AND expires_at > ").bind(now),
        Some(SurveyState::Expired) => sql.push(" AND state = 'sent' AND expires_at <= ").bind(now),
        None => &mut sql,
    };
    if let Some(t) = f.team_id {
        sql.push(" AND team_id = ").bind(t.0);
    }
    if let Some(t) = &f.subject_type {
        sql.push(" AND subject_type = ").bind(t.as_str());
    }
    if let Some(id) = f.subject_id {
        sql.push(" AND subject_id = ").bind(id);
    }
    if let Some(scope) = &f.scope {
        sql.push(" AND (1=0");
        if let Some(u) = scope.user_id {
            sql.push(" OR requester_id = ").bind(u.0).push(" OR assignee_id = ").bind(u.0);
        }
        for t in &scope.team_ids {
            sql.push(" OR team_id = ").bind(t.0);
        }
        if let Some(d) = scope.department_id {
            sql.push(" OR department_id = ").bind(d.0);
        }
        sql.push(")");
    }
    sql.keyset(page, None);
    let rows = sql.fetch_all(ex).await?.iter().map(Survey::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |s| Cursor { id: s.id.0, key: None }))
}

/// One survey as the statistics count it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    pub sent_at: i64,
    /// Set when answered.
    pub score: Option<i64>,
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
}

/// Surveys sent in `[from, to)`, with the group they count for (none: the whole organisation).
pub async fn stat_rows<'e, E: Executor<'e, Database = Any>>(ex: E, from: i64, to: i64, by: Option<GroupBy>) -> Result<Vec<StatRow>> {
    // Trusted text only: the join is chosen from a closed set.
    let (group, join) = match by {
        Some(GroupBy::Team) => ("s.team_id", "LEFT JOIN teams g ON g.id = s.team_id"),
        Some(GroupBy::Service) => ("s.service_id", "LEFT JOIN business_services g ON g.id = s.service_id"),
        Some(GroupBy::Engineer) => ("s.assignee_id", "LEFT JOIN users g ON g.id = s.assignee_id"),
        None => ("CAST(NULL AS BIGINT)", ""),
    };
    let name = match by {
        Some(GroupBy::Engineer) => "g.display_name",
        Some(_) => "g.name",
        None => "CAST(NULL AS TEXT)",
    };
    let sql = format!(
        "SELECT s.sent_at, CASE WHEN s.state = 'answered' THEN s.score END AS score, {group} AS group_id, {name} AS group_name \
         FROM surveys s {join} WHERE s.sent_at >= $1 AND s.sent_at < $2 ORDER BY s.sent_at, s.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to).fetch_all(ex).await?;
    rows.iter()
        .map(|r| {
            Ok(StatRow {
                sent_at: r.try_get("sent_at")?,
                score: r.try_get("score")?,
                group_id: r.try_get("group_id")?,
                group_name: r.try_get("group_name")?,
            })
        })
        .collect()
}
