//! The improvement register (服务改进汇总表): one row per measure, opened by a
//! low satisfaction score or by hand, with its owner, due date and state.

use crate::Result;
use crate::sql::{Page, Sql};
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::ids::{ImprovementId, SurveyId, TeamId, UserId};
use yunwei_domain::improvement::{ImprovementSource, ImprovementState};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Improvement in "improvements" {
        pub id: ImprovementId,
        pub title: String,
        pub description: String,
        pub source: ImprovementSource,
        pub survey_id: Option<SurveyId>,
        pub subject_type: Option<String>,
        pub subject_id: Option<i64>,
        pub subject_ref: Option<String>,
        pub team_id: Option<TeamId>,
        pub owner_id: Option<UserId>,
        pub state: ImprovementState,
        /// `YYYY-MM-DD`.
        pub due_on: Option<String>,
        pub measures: String,
        pub outcome: String,
        pub created_by: Option<UserId>,
        pub created_at: i64,
        pub updated_at: i64,
        pub closed_at: Option<i64>,
        pub version: i64,
    }
}

pub async fn insert(conn: &mut AnyConnection, i: &Improvement) -> Result<ImprovementId> {
    Ok(ImprovementId(insert_returning_key(conn, i).await?))
}

/// Writes the editable fields if nobody changed the row since `expected_version`; `i.version` is the next one.
pub async fn update(conn: &mut AnyConnection, i: &Improvement, expected_version: i64) -> Result<bool> {
    let cols =
        ["title", "description", "team_id", "owner_id", "state", "due_on", "measures", "outcome", "updated_at", "closed_at", "version"];
    update_row(conn, i, &cols, Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: ImprovementId) -> Result<Option<Improvement>> {
    sqlx::query("SELECT * FROM improvements WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(Improvement::from_row)
        .transpose()
}

/// As [`get`], locking the row on PostgreSQL for the rest of the transaction.
pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: ImprovementId) -> Result<Option<Improvement>> {
    let sql = format!("SELECT * FROM improvements WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Improvement::from_row).transpose()
}

/// The item opened from a survey, if any.
pub async fn for_survey<'e, E: Executor<'e, Database = Any>>(ex: E, survey: SurveyId) -> Result<Option<Improvement>> {
    let row = sqlx::query("SELECT * FROM improvements WHERE survey_id = $1 ORDER BY id LIMIT 1").bind(survey.0).fetch_optional(ex).await?;
    row.as_ref().map(Improvement::from_row).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct ImprovementFilter {
    pub states: Vec<String>,
    pub team_id: Option<TeamId>,
    pub source: Option<String>,
    /// Record scope: items of these teams or owned by this user.
    pub scope: Option<(Option<UserId>, Vec<TeamId>)>,
}

/// Newest first by default.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, f: &ImprovementFilter, page: &PageRequest) -> Result<Page<Improvement>> {
    let mut sql = Sql::new("SELECT * FROM improvements WHERE 1=1");
    sql.and_in("state", &f.states);
    if let Some(t) = f.team_id {
        sql.push(" AND team_id = ").bind(t.0);
    }
    if let Some(s) = &f.source {
        sql.push(" AND source = ").bind(s.as_str());
    }
    if let Some((user, teams)) = &f.scope {
        sql.push(" AND (1=0");
        if let Some(u) = user {
            sql.push(" OR owner_id = ").bind(u.0).push(" OR created_by = ").bind(u.0);
        }
        for t in teams {
            sql.push(" OR team_id = ").bind(t.0);
        }
        sql.push(")");
    }
    sql.keyset(page, None);
    let rows = sql.fetch_all(ex).await?.iter().map(Improvement::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |i| Cursor { id: i.id.0, key: None }))
}
