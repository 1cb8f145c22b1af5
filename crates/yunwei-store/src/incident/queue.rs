//! The queue query: filters, record scope, sort orders and keyset paging.

use crate::admin::escape_like;
use crate::sql::{Page, Sql};
use crate::{Result, b};
use sqlx::Executor;
use yunwei_domain::ids::{CategoryId, DepartmentId, ServiceId, TeamId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

use super::Incident;
use crate::table::Table;

/// Queue order. Every sort ends on the id so pages never skip or repeat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// Resolution deadline first (none last): "what breaches next".
    #[default]
    SlaDue,
    Updated,
    Created,
    Priority,
}

/// Filters of a queue view; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub states: Vec<String>,
    pub team_id: Option<TeamId>,
    pub team_ids: Option<Vec<TeamId>>,
    pub assignee_id: Option<UserId>,
    pub unassigned: bool,
    pub requester_id: Option<UserId>,
    pub priority: Option<i64>,
    pub category_id: Option<CategoryId>,
    pub service_id: Option<ServiceId>,
    /// Only incidents linked to one of these CIs (a CI, or every CI a service needs).
    pub ci_ids: Option<Vec<i64>>,
    pub major: Option<bool>,
    /// Resolution due before this instant (breaching soon).
    pub due_before: Option<i64>,
    pub updated_after: Option<i64>,
    /// Text matched as a substring of title or description (when it has no searchable terms).
    pub text: Option<String>,
    /// Text matched through the full-text index (every term, any indexed field).
    pub matching: Option<crate::search::TextMatch>,
    /// Record scope: only incidents these teams hold, these users reported or asked for, or this department raised.
    pub scope: Option<ScopeFilter>,
}

#[derive(Debug, Clone, Default)]
pub struct ScopeFilter {
    pub user_id: Option<UserId>,
    pub team_ids: Vec<TeamId>,
    pub department_id: Option<DepartmentId>,
}

/// Stands in for "no deadline" so that open-ended rows sort last with one index.
pub const NO_DUE: i64 = i64::MAX;

pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    f: &IncidentFilter,
    sort: QueueSort,
    page: &PageRequest,
) -> Result<Page<Incident>> {
    let mut sql = Sql::new("SELECT * FROM incidents WHERE 1=1");
    sql.and_in("state", &f.states);
    let int = |sql: &mut Sql, col: &str, v: Option<i64>| {
        if let Some(v) = v {
            sql.push(&format!(" AND {col} = ")).bind(v);
        }
    };
    int(&mut sql, "team_id", f.team_id.map(|t| t.0));
    int(&mut sql, "assignee_id", f.assignee_id.map(|t| t.0));
    int(&mut sql, "requester_id", f.requester_id.map(|t| t.0));
    int(&mut sql, "priority", f.priority);
    int(&mut sql, "category_id", f.category_id.map(|t| t.0));
    int(&mut sql, "service_id", f.service_id.map(|t| t.0));
    int(&mut sql, "major", f.major.map(b));
    if let Some(teams) = &f.team_ids {
        push_in(&mut sql, " AND", "team_id", &teams.iter().map(|t| t.0).collect::<Vec<_>>());
    }
    if let Some(cis) = &f.ci_ids {
        push_in(&mut sql, " AND", "ci_id", cis);
    }
    if f.unassigned {
        sql.push(" AND assignee_id IS NULL");
    }
    if let Some(t) = f.due_before {
        sql.push(" AND resolve_due_at < ").bind(t);
    }
    if let Some(t) = f.updated_after {
        sql.push(" AND updated_at > ").bind(t);
    }
    if let Some(text) = f.text.as_deref().filter(|t| !t.is_empty()) {
        let like = format!("%{}%", escape_like(text));
        sql.push(" AND (title LIKE ").bind(like.clone()).push(" ESCAPE '\\' OR description LIKE ").bind(like).push(" ESCAPE '\\')");
    }
    if let Some(m) = &f.matching {
        crate::search::push_text_match(&mut sql, m, "id", &crate::search::INCIDENT_TEXT_COLUMNS);
    }
    push_scope(&mut sql, "", f.scope.as_ref());
    let (key, descending): (Option<&str>, bool) = match sort {
        QueueSort::SlaDue => (Some("COALESCE(resolve_due_at, 9223372036854775807)"), false),
        QueueSort::Updated => (Some("updated_at"), true),
        QueueSort::Created => (None, true),
        QueueSort::Priority => (Some("priority"), false),
    };
    let page = PageRequest { descending, ..page.clone() };
    keyset_int(&mut sql, &page, key)?;
    let rows = sql.fetch_all(ex).await?.iter().map(Incident::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, &page, |i| Cursor {
        id: i.id.0,
        key: key.map(|_| match sort {
            QueueSort::SlaDue => i.resolve_due_at.unwrap_or(NO_DUE).to_string(),
            QueueSort::Updated => i.updated_at.to_string(),
            QueueSort::Priority => i.priority.to_string(),
            QueueSort::Created => String::new(),
        }),
    }))
}

/// Record scope: incidents the user is party to, their teams hold, or their department raised.
/// `table` prefixes the columns (`"i."` in a join).
pub fn push_scope(sql: &mut Sql, table: &str, scope: Option<&ScopeFilter>) {
    let Some(scope) = scope else { return };
    sql.push(" AND (1=0");
    if let Some(u) = scope.user_id {
        sql.push(&format!(" OR {table}requester_id = ")).bind(u.0);
        sql.push(&format!(" OR {table}reporter_id = ")).bind(u.0);
        sql.push(&format!(" OR {table}assignee_id = ")).bind(u.0);
    }
    if !scope.team_ids.is_empty() {
        push_in(sql, " OR", &format!("{table}team_id"), &scope.team_ids.iter().map(|t| t.0).collect::<Vec<_>>());
    }
    if let Some(d) = scope.department_id {
        sql.push(&format!(" OR {table}department_id = ")).bind(d.0);
    }
    sql.push(")");
}

/// `<joiner> col IN (…)`; an empty set matches nothing.
pub(crate) fn push_in(sql: &mut Sql, joiner: &str, col: &str, values: &[i64]) {
    if values.is_empty() {
        sql.push(&format!("{joiner} 1=0"));
        return;
    }
    sql.push(&format!("{joiner} {col} IN (")).bind_list(values.iter().copied());
}

/// Keyset paging on an integer sort key (a trusted expression).
fn keyset_int(sql: &mut Sql, page: &PageRequest, key: Option<&str>) -> Result<()> {
    let (cmp, dir) = if page.descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some(after) = &page.after {
        match (key, &after.key) {
            (Some(col), Some(k)) => {
                let k: i64 = k.parse().map_err(|_| crate::StoreError::Corrupt("cursor key".into()))?;
                sql.push(&format!(" AND ({col} {cmp} ")).bind(k).push(&format!(" OR ({col} = ")).bind(k).push(&format!(" AND id {cmp} "));
                sql.bind(after.id).push("))");
            }
            _ => {
                sql.push(&format!(" AND id {cmp} ")).bind(after.id);
            }
        }
    }
    match key {
        Some(col) => sql.push(&format!(" ORDER BY {col} {dir}, id {dir} LIMIT ")),
        None => sql.push(&format!(" ORDER BY id {dir} LIMIT ")),
    };
    sql.bind(page.limit + 1);
    Ok(())
}
