//! The asset register (资产台账): one row per asset with its lifecycle state, one row of
//! `asset_history` per step, and the purchase approval rules (amount × category → role).
//! Licences and stocktakes are in the submodules.

pub mod licence;
pub mod stocktake;

use crate::Result;
use crate::sql::{Page, Sql};
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::asset::{AssetCategory, AssetState};
use yunwei_domain::ids::{AssetApprovalRuleId, AssetId, CiId, DepartmentId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Asset in "assets" {
        pub id: AssetId,
        pub tag: String,
        pub name: String,
        pub category: AssetCategory,
        pub model: String,
        pub serial_number: String,
        pub location: String,
        pub supplier: String,
        pub contract_number: String,
        pub cost_fen: i64,
        pub salvage_fen: i64,
        pub useful_life_months: i64,
        /// `YYYY-MM-DD`.
        pub purchase_date: Option<String>,
        /// `YYYY-MM-DD`.
        pub warranty_end: Option<String>,
        pub responsible_id: Option<UserId>,
        pub department_id: Option<DepartmentId>,
        pub ci_id: Option<CiId>,
        pub state: AssetState,
        pub pending_by: Option<UserId>,
        pub notes: String,
        pub created_by: Option<UserId>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct AssetStep in "asset_history" {
        pub id: i64,
        pub asset_id: AssetId,
        pub at: i64,
        pub actor_id: Option<UserId>,
        pub action: String,
        pub from_state: Option<AssetState>,
        pub to_state: AssetState,
        pub note: String,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct ApprovalRuleRow in "asset_approval_rules" {
        pub id: AssetApprovalRuleId,
        pub category: String,
        pub min_cost_fen: i64,
        pub role_key: String,
        pub created_at: i64,
    }
}

pub async fn insert(conn: &mut AnyConnection, a: &Asset) -> Result<AssetId> {
    Ok(AssetId(insert_returning_key(conn, a).await?))
}

/// Writes every field but the key and creation if nobody changed the row since `expected_version`.
pub async fn update(conn: &mut AnyConnection, a: &Asset, expected_version: i64) -> Result<bool> {
    let cols = [
        "tag",
        "name",
        "category",
        "model",
        "serial_number",
        "location",
        "supplier",
        "contract_number",
        "cost_fen",
        "salvage_fen",
        "useful_life_months",
        "purchase_date",
        "warranty_end",
        "responsible_id",
        "department_id",
        "ci_id",
        "state",
        "pending_by",
        "notes",
        "updated_at",
        "version",
    ];
    update_row(conn, a, &cols, Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: AssetId) -> Result<Option<Asset>> {
    sqlx::query("SELECT * FROM assets WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(Asset::from_row).transpose()
}

/// As [`get`], locking the row on PostgreSQL for the rest of the transaction.
pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: AssetId) -> Result<Option<Asset>> {
    let sql = format!("SELECT * FROM assets WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Asset::from_row).transpose()
}

pub async fn by_tag<'e, E: Executor<'e, Database = Any>>(ex: E, tag: &str) -> Result<Option<Asset>> {
    sqlx::query("SELECT * FROM assets WHERE tag = $1").bind(tag).fetch_optional(ex).await?.as_ref().map(Asset::from_row).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub states: Vec<String>,
    pub category: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub responsible_id: Option<UserId>,
    pub ci_id: Option<CiId>,
    /// Part of the tag, name, model or serial number.
    pub q: Option<String>,
    /// Record scope: assets of this department or of this user.
    pub scope: Option<(Option<UserId>, Option<DepartmentId>)>,
}

/// Newest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, f: &AssetFilter, page: &PageRequest) -> Result<Page<Asset>> {
    let mut sql = Sql::new("SELECT * FROM assets WHERE 1=1");
    sql.and_in("state", &f.states);
    if let Some(c) = &f.category {
        sql.push(" AND category = ").bind(c.as_str());
    }
    if let Some(d) = f.department_id {
        sql.push(" AND department_id = ").bind(d.0);
    }
    if let Some(u) = f.responsible_id {
        sql.push(" AND responsible_id = ").bind(u.0);
    }
    if let Some(c) = f.ci_id {
        sql.push(" AND ci_id = ").bind(c.0);
    }
    if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
        let like = format!("%{}%", q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        sql.push(" AND (1=0");
        for col in ["tag", "name", "model", "serial_number"] {
            sql.push(&format!(" OR LOWER({col}) LIKE ")).bind(like.clone()).push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
    if let Some((user, department)) = &f.scope {
        sql.push(" AND (1=0");
        if let Some(u) = user {
            sql.push(" OR responsible_id = ").bind(u.0).push(" OR created_by = ").bind(u.0);
        }
        if let Some(d) = department {
            sql.push(" OR department_id = ").bind(d.0);
        }
        sql.push(")");
    }
    sql.keyset(page, None);
    let rows = sql.fetch_all(ex).await?.iter().map(Asset::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |a| Cursor { id: a.id.0, key: None }))
}

pub async fn record_step(conn: &mut AnyConnection, step: &AssetStep) -> Result<i64> {
    insert_returning_key(conn, step).await
}

/// The asset's steps, oldest first.
pub async fn history<'e, E: Executor<'e, Database = Any>>(ex: E, id: AssetId) -> Result<Vec<AssetStep>> {
    let rows = sqlx::query("SELECT * FROM asset_history WHERE asset_id = $1 ORDER BY id").bind(id.0).fetch_all(ex).await?;
    rows.iter().map(AssetStep::from_row).collect()
}

pub async fn approval_rules<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<ApprovalRuleRow>> {
    let rows = sqlx::query("SELECT * FROM asset_approval_rules ORDER BY category, min_cost_fen").fetch_all(ex).await?;
    rows.iter().map(ApprovalRuleRow::from_row).collect()
}

/// Assets whose warranty ends between the two dates (inclusive) and that are still in use.
pub async fn warranty_ending_between<'e, E: Executor<'e, Database = Any>>(ex: E, from: &str, to: &str, limit: i64) -> Result<Vec<Asset>> {
    let rows = sqlx::query(
        "SELECT * FROM assets WHERE warranty_end >= $1 AND warranty_end <= $2 \
         AND state IN ('accepted', 'in_stock', 'deployed', 'maintenance') ORDER BY warranty_end, id LIMIT $3",
    )
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter().map(Asset::from_row).collect()
}

/// Assets in a stocktake's scope (`location` exact, '' for any; department; category) in
/// the given states, by tag, at most `limit`.
pub async fn in_scope<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    location: &str,
    department: Option<DepartmentId>,
    category: Option<AssetCategory>,
    states: &[String],
    limit: i64,
) -> Result<Vec<Asset>> {
    let mut sql = Sql::new("SELECT * FROM assets WHERE 1=1");
    sql.and_in("state", states);
    if !location.is_empty() {
        sql.push(" AND location = ").bind(location);
    }
    if let Some(d) = department {
        sql.push(" AND department_id = ").bind(d.0);
    }
    if let Some(c) = category {
        sql.push(" AND category = ").bind(c.as_str());
    }
    sql.push(" ORDER BY tag LIMIT ").bind(limit);
    sql.fetch_all(ex).await?.iter().map(Asset::from_row).collect()
}

/// Assets by id, for a label sheet (the caller checks each).
pub async fn by_ids<'e, E: Executor<'e, Database = Any>>(ex: E, ids: &[AssetId]) -> Result<Vec<Asset>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT * FROM assets WHERE 1=1");
    sql.and_in("id", &ids.iter().map(|i| i.0).collect::<Vec<_>>());
    sql.push(" ORDER BY tag");
    sql.fetch_all(ex).await?.iter().map(Asset::from_row).collect()
}
