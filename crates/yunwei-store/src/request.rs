//! Service requests: catalogue items, requests, their approvals, fulfilment
//! tasks and timeline.

use crate::Result;
use crate::incident::{ScopeFilter, push_in, push_scope};
use crate::sql::{Page, Sql};
use crate::table::{Table, insert_returning_key, update_row, update_set};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::ids::{ApprovalId, CatalogItemId, DepartmentId, RequestTaskId, ServiceId, ServiceRequestId, TeamId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};
use yunwei_domain::request::{Answers, RequestState};

type Any = sqlx::Any;

// ---- catalogue ----

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct CatalogItem in "catalog_items" {
        pub id: CatalogItemId,
        pub code: String,
        pub name_zh: String,
        pub name_en: String,
        pub description_zh: String,
        pub description_en: String,
        pub category: String,
        /// JSON of `yunwei_domain::request::ItemDefinition`.
        pub definition: String,
        pub team_id: Option<TeamId>,
        pub service_id: Option<ServiceId>,
        pub active: bool,
        pub sort_order: i64,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

/// Inserts a new item at version 1 (`i.id` and `i.version` are ignored).
pub async fn insert_item(conn: &mut AnyConnection, i: &CatalogItem) -> Result<CatalogItemId> {
    Ok(CatalogItemId(insert_returning_key(conn, &CatalogItem { version: 1, ..i.clone() }).await?))
}

/// The columns an item's edit writes (its code and creation time stay).
const ITEM_EDITABLE: &[&str] = &[
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "category",
    "definition",
    "team_id",
    "service_id",
    "active",
    "sort_order",
    "updated_at",
];

/// Writes the item if nobody changed it since `expected_version`; false on a lost race.
pub async fn update_item(conn: &mut AnyConnection, i: &CatalogItem, expected_version: i64) -> Result<bool> {
    let mut sql = update_set(i, ITEM_EDITABLE)?;
    sql.push(", version = version + 1 WHERE id = ").bind(i.id.0).push(" AND version = ").bind(expected_version);
    Ok(sql.execute(&mut *conn).await? == 1)
}

pub async fn get_item<'e, E: Executor<'e, Database = Any>>(ex: E, id: CatalogItemId) -> Result<Option<CatalogItem>> {
    sqlx::query("SELECT * FROM catalog_items WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(CatalogItem::from_row)
        .transpose()
}

pub async fn item_code_exists<'e, E: Executor<'e, Database = Any>>(ex: E, code: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT id FROM catalog_items WHERE code = $1").bind(code).fetch_optional(ex).await?.is_some())
}

pub async fn list_items<'e, E: Executor<'e, Database = Any>>(ex: E, active_only: bool) -> Result<Vec<CatalogItem>> {
    let sql = format!("SELECT * FROM catalog_items{} ORDER BY sort_order, id", if active_only { " WHERE active = 1" } else { "" });
    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?.iter().map(CatalogItem::from_row).collect()
}

/// Points seeded items' fulfilment at a team by code (demo data).
pub async fn set_item_team(conn: &mut AnyConnection, code: &str, team: TeamId) -> Result<()> {
    sqlx::query("UPDATE catalog_items SET team_id = $1 WHERE code = $2").bind(team.0).bind(code).execute(&mut *conn).await?;
    Ok(())
}

// ---- requests ----

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct ServiceRequest in "service_requests" {
        pub id: ServiceRequestId,
        pub item_id: CatalogItemId,
        pub title: String,
        pub state: RequestState,
        pub requester_id: Option<UserId>,
        pub reporter_id: Option<UserId>,
        pub department_id: Option<DepartmentId>,
        pub team_id: Option<TeamId>,
        #[serde(skip_serializing)]
        pub assignee_id: Option<UserId>,
        /// A JSON object.
        pub answers: Answers,
        /// JSON of the item definition when the request was made.
        #[serde(skip_serializing)]
        pub definition: String,
        pub approval_step: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub approved_at: Option<i64>,
        pub fulfilled_at: Option<i64>,
        pub closed_at: Option<i64>,
        pub version: i64,
    }
}

pub async fn insert(conn: &mut AnyConnection, r: &ServiceRequest) -> Result<ServiceRequestId> {
    Ok(ServiceRequestId(insert_returning_key(conn, r).await?))
}

/// The columns a request's later steps change; what it asked for, by whom, stays.
const REQUEST_MUTABLE: &[&str] =
    &["title", "state", "team_id", "assignee_id", "approval_step", "updated_at", "approved_at", "fulfilled_at", "closed_at", "version"];

/// Writes the mutable columns if nobody changed the request since `expected_version`;
/// `r.version` must already be the next version. False on a lost race.
pub async fn update(conn: &mut AnyConnection, r: &ServiceRequest, expected_version: i64) -> Result<bool> {
    update_row(conn, r, REQUEST_MUTABLE, Some(expected_version)).await
}

/// Writes the answers of a request just inserted (attachment ids are known only then).
pub async fn update_answers(conn: &mut AnyConnection, r: &ServiceRequest) -> Result<bool> {
    update_row(conn, r, &["answers"], None).await
}

pub async fn by_ids<'e, E: Executor<'e, Database = Any>>(ex: E, ids: &[i64]) -> Result<Vec<ServiceRequest>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT * FROM service_requests WHERE 1=1");
    push_in(&mut sql, " AND", "id", ids);
    sql.fetch_all(ex).await?.iter().map(ServiceRequest::from_row).collect()
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: ServiceRequestId) -> Result<Option<ServiceRequest>> {
    sqlx::query("SELECT * FROM service_requests WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(ServiceRequest::from_row)
        .transpose()
}

/// As [`get`], locking the row on PostgreSQL for the rest of the transaction.
pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: ServiceRequestId) -> Result<Option<ServiceRequest>> {
    let sql = format!("SELECT * FROM service_requests WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(ServiceRequest::from_row).transpose()
}

/// Filters of a request list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub states: Vec<String>,
    pub requester_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub item_id: Option<CatalogItemId>,
    /// Requests waiting on this user's approval now.
    pub awaiting_approver: Option<UserId>,
    /// Requests with an unfinished fulfilment task for one of these teams.
    pub open_task_teams: Option<Vec<TeamId>>,
    /// Record scope; approvers always see what waits on them.
    pub scope: Option<ScopeFilter>,
}

/// Newest first, keyset-paged on the id.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, f: &RequestFilter, page: &PageRequest) -> Result<Page<ServiceRequest>> {
    let mut sql = Sql::new("SELECT r.* FROM service_requests r WHERE 1=1");
    sql.and_in("r.state", &f.states);
    if let Some(u) = f.requester_id {
        sql.push(" AND r.requester_id = ").bind(u.0);
    }
    if let Some(t) = f.team_id {
        sql.push(" AND r.team_id = ").bind(t.0);
    }
    if let Some(i) = f.item_id {
        sql.push(" AND r.item_id = ").bind(i.0);
    }
    if let Some(u) = f.awaiting_approver {
        sql.push(" AND r.state = 'pending_approval' AND EXISTS (SELECT 1 FROM request_approvals a WHERE a.request_id = r.id AND a.step = r.approval_step AND a.decision = 'pending' AND a.approver_id = ")
            .bind(u.0)
            .push(")");
    }
    if let Some(teams) = &f.open_task_teams {
        sql.push(" AND EXISTS (SELECT 1 FROM request_tasks t WHERE t.request_id = r.id AND t.state IN ('open', 'in_progress')");
        push_in(&mut sql, " AND", "t.team_id", &teams.iter().map(|t| t.0).collect::<Vec<_>>());
        sql.push(")");
    }
    if let Some(scope) = &f.scope {
        // Approvers see the requests they are asked to decide, whatever their scope.
        let mut widened = scope.clone();
        let approver = widened.user_id.take();
        sql.push(" AND (1=1");
        push_scope(&mut sql, "r.", Some(&widened));
        if let Some(u) = approver {
            sql.push(" OR r.requester_id = ").bind(u.0).push(" OR r.reporter_id = ").bind(u.0).push(" OR r.assignee_id = ").bind(u.0);
            sql.push(" OR EXISTS (SELECT 1 FROM request_approvals a WHERE a.request_id = r.id AND a.approver_id = ").bind(u.0).push(")");
            sql.push(" OR EXISTS (SELECT 1 FROM request_tasks t WHERE t.request_id = r.id AND t.assignee_id = ").bind(u.0).push(")");
        }
        sql.push(")");
    }
    let page = PageRequest { descending: true, ..page.clone() };
    if let Some(after) = &page.after {
        sql.push(" AND r.id < ").bind(after.id);
    }
    sql.push(" ORDER BY r.id DESC LIMIT ").bind(page.limit + 1);
    let rows = sql.fetch_all(ex).await?.iter().map(ServiceRequest::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, &page, |r| Cursor { id: r.id.0, key: None }))
}

// ---- approvals ----

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Approval in "request_approvals" {
        pub id: ApprovalId,
        pub request_id: ServiceRequestId,
        pub step: i64,
        pub approver_id: UserId,
        pub decision: String,
        pub comment: String,
        pub created_at: i64,
        pub decided_at: Option<i64>,
    }
    joined {
        pub approver_name: Option<String>,
    }
}

pub async fn add_approval(conn: &mut AnyConnection, request: ServiceRequestId, step: i64, approver: UserId, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO request_approvals (request_id, step, approver_id, decision, comment, created_at) VALUES ($1, $2, $3, 'pending', '', $4)",
    )
    .bind(request.0)
    .bind(step)
    .bind(approver.0)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether the user is asked to approve any request at all (their one way to read requests
/// without a grant).
pub async fn is_approver<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM request_approvals WHERE approver_id = $1 LIMIT 1").bind(user.0).fetch_optional(ex).await?;
    Ok(row.is_some())
}

pub async fn approvals<'e, E: Executor<'e, Database = Any>>(ex: E, request: ServiceRequestId) -> Result<Vec<Approval>> {
    let rows = sqlx::query(
        "SELECT a.*, u.display_name AS approver_name FROM request_approvals a LEFT JOIN users u ON u.id = a.approver_id \
         WHERE a.request_id = $1 ORDER BY a.step, a.id",
    )
    .bind(request.0)
    .fetch_all(ex)
    .await?;
    rows.iter().map(Approval::from_row).collect()
}

/// Records one approver's decision on a still-pending row.
pub async fn decide(conn: &mut AnyConnection, id: ApprovalId, decision: &str, comment: &str, now: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE request_approvals SET decision = $1, comment = $2, decided_at = $3 WHERE id = $4 AND decision = 'pending'")
        .bind(decision)
        .bind(comment)
        .bind(now)
        .bind(id.0)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Marks every still-pending approval of a request skipped (step decided, or request ended).
pub async fn skip_pending(conn: &mut AnyConnection, request: ServiceRequestId, now: i64) -> Result<()> {
    sqlx::query("UPDATE request_approvals SET decision = 'skipped', decided_at = $1 WHERE request_id = $2 AND decision = 'pending'")
        .bind(now)
        .bind(request.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- fulfilment tasks ----

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Task in "request_tasks" {
        pub id: RequestTaskId,
        pub request_id: ServiceRequestId,
        pub seq: i64,
        pub title: String,
        /// The English title; empty: English readers see `title`.
        pub title_en: String,
        pub team_id: Option<TeamId>,
        pub assignee_id: Option<UserId>,
        pub state: String,
        pub note: String,
        pub created_at: i64,
        pub updated_at: i64,
        pub finished_at: Option<i64>,
    }
}

pub async fn insert_task(conn: &mut AnyConnection, t: &Task) -> Result<RequestTaskId> {
    Ok(RequestTaskId(insert_returning_key(conn, t).await?))
}

pub async fn update_task(conn: &mut AnyConnection, t: &Task) -> Result<()> {
    update_row(conn, t, &["assignee_id", "state", "note", "updated_at", "finished_at"], None).await?;
    Ok(())
}

pub async fn tasks<'e, E: Executor<'e, Database = Any>>(ex: E, request: ServiceRequestId) -> Result<Vec<Task>> {
    let rows = sqlx::query("SELECT * FROM request_tasks WHERE request_id = $1 ORDER BY seq, id").bind(request.0).fetch_all(ex).await?;
    rows.iter().map(Task::from_row).collect()
}

/// Ends every unfinished task of a request (it was cancelled).
pub async fn skip_open_tasks(conn: &mut AnyConnection, request: ServiceRequestId, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE request_tasks SET state = 'skipped', updated_at = $1, finished_at = $1 WHERE request_id = $2 AND state IN ('open', 'in_progress')",
    )
    .bind(now)
    .bind(request.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
