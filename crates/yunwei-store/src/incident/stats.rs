//! Counts for the workbench home: open work per team, and the daily inflow,
//! resolutions and SLA attainment behind the managers' charts.

use super::queue::push_in;
use crate::Result;
use crate::sql::Sql;
use sqlx::{Executor, Row};
use yunwei_domain::ids::TeamId;

type Any = sqlx::Any;

/// A team's open incidents and how many of them nobody holds yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamCount {
    pub team_id: TeamId,
    pub open: i64,
    pub unassigned: i64,
}

/// Open incidents of `teams` (states given by the caller), counted per team through
/// `ix_incidents_team_state_due`. Teams without open work are absent.
pub async fn open_by_team<'e, E: Executor<'e, Database = Any>>(ex: E, teams: &[TeamId], open_states: &[&str]) -> Result<Vec<TeamCount>> {
    let mut sql = Sql::new("SELECT team_id, COUNT(*), SUM(CASE WHEN assignee_id IS NULL THEN 1 ELSE 0 END) FROM incidents WHERE 1=1");
    push_in(&mut sql, " AND", "team_id", &teams.iter().map(|t| t.0).collect::<Vec<_>>());
    push_states(&mut sql, open_states);
    sql.push(" GROUP BY team_id ORDER BY team_id");
    sql.fetch_all(ex)
        .await?
        .iter()
        .map(|r| {
            Ok(TeamCount { team_id: TeamId(r.try_get(0)?), open: r.try_get(1)?, unassigned: r.try_get::<Option<i64>, _>(2)?.unwrap_or(0) })
        })
        .collect()
}

/// How many incidents are open now (all teams).
pub async fn open_count<'e, E: Executor<'e, Database = Any>>(ex: E, open_states: &[&str]) -> Result<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM incidents WHERE 1=1");
    push_states(&mut sql, open_states);
    Ok(sql.fetch_one(ex).await?.try_get(0)?)
}

fn push_states(sql: &mut Sql, states: &[&str]) {
    sql.push(" AND state IN (").bind_list(states.iter().copied());
}

/// Per day since `from` (unix ms; days of `day_ms`), `days` entries each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Daily {
    /// Incidents opened that day.
    pub created: Vec<i64>,
    /// Incidents resolved that day.
    pub resolved: Vec<i64>,
    /// Of those, resolved within their resolution target.
    pub resolved_in_time: Vec<i64>,
}

/// Daily inflow and resolutions since `from`, through `ix_incidents_created` and
/// `ix_incidents_resolved` (migration 0017): two grouped range scans.
pub async fn daily<'e, E: Executor<'e, Database = Any> + Copy>(ex: E, from: i64, day_ms: i64, days: usize) -> Result<Daily> {
    let mut out = Daily { created: vec![0; days], resolved: vec![0; days], resolved_in_time: vec![0; days] };
    let end = from + day_ms * days as i64;
    let mut sql = Sql::new("SELECT (created_at - ");
    sql.bind(from).push(") / ").bind(day_ms).push(", COUNT(*) FROM incidents WHERE created_at >= ").bind(from);
    sql.push(" AND created_at < ").bind(end).push(" GROUP BY 1");
    for r in sql.fetch_all(ex).await? {
        let (day, n): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
        if let Some(slot) = usize::try_from(day).ok().and_then(|d| out.created.get_mut(d)) {
            *slot = n;
        }
    }
    let mut sql = Sql::new("SELECT (resolved_at - ");
    sql.bind(from).push(") / ").bind(day_ms);
    sql.push(", COUNT(*), SUM(CASE WHEN resolve_breached = 0 THEN 1 ELSE 0 END) FROM incidents WHERE resolved_at >= ").bind(from);
    sql.push(" AND resolved_at < ").bind(end).push(" GROUP BY 1");
    for r in sql.fetch_all(ex).await? {
        let (day, n, ok): (i64, i64, Option<i64>) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if let Ok(d) = usize::try_from(day)
            && d < days
        {
            out.resolved[d] = n;
            out.resolved_in_time[d] = ok.unwrap_or(0);
        }
    }
    Ok(out)
}
