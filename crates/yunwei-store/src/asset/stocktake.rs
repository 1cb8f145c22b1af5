//! Stocktake campaigns (盘点) and their tags: expected ones listed at the start, scanned ones
//! marked, and each tag's result.

use crate::Result;
use crate::sql::Sql;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::asset::AssetCategory;
use yunwei_domain::asset::stocktake::{ItemResult, StocktakeState};
use yunwei_domain::ids::{AssetId, DepartmentId, StocktakeId, UserId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Stocktake in "stocktakes" {
        pub id: StocktakeId,
        pub name: String,
        /// The location counted ('' for any).
        pub location: String,
        pub department_id: Option<DepartmentId>,
        pub category: Option<AssetCategory>,
        pub state: StocktakeState,
        pub applied: bool,
        pub created_by: Option<UserId>,
        pub created_at: i64,
        pub closed_by: Option<UserId>,
        pub closed_at: Option<i64>,
        pub version: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Item in "stocktake_items" {
        pub id: i64,
        pub stocktake_id: StocktakeId,
        pub tag: String,
        pub asset_id: Option<AssetId>,
        pub expected: bool,
        pub result: ItemResult,
        /// Where the register says the asset is (at the start, or when scanned).
        pub location: String,
        pub seen_by: Option<UserId>,
        pub seen_at: Option<i64>,
    }
}

pub async fn insert(conn: &mut AnyConnection, s: &Stocktake) -> Result<StocktakeId> {
    Ok(StocktakeId(insert_returning_key(conn, s).await?))
}

pub async fn update(conn: &mut AnyConnection, s: &Stocktake, expected_version: i64) -> Result<bool> {
    update_row(conn, s, &["state", "applied", "closed_by", "closed_at", "version"], Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: StocktakeId) -> Result<Option<Stocktake>> {
    let row = sqlx::query("SELECT * FROM stocktakes WHERE id = $1").bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(Stocktake::from_row).transpose()
}

pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: StocktakeId) -> Result<Option<Stocktake>> {
    let sql = format!("SELECT * FROM stocktakes WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Stocktake::from_row).transpose()
}

/// Newest first, within a record scope (theirs or their department's), at most `limit`.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    scope: Option<(Option<UserId>, Option<DepartmentId>)>,
    limit: i64,
) -> Result<Vec<Stocktake>> {
    let mut sql = Sql::new("SELECT * FROM stocktakes WHERE 1=1");
    if let Some((user, department)) = scope {
        sql.push(" AND (1=0");
        if let Some(u) = user {
            sql.push(" OR created_by = ").bind(u.0);
        }
        if let Some(d) = department {
            sql.push(" OR department_id = ").bind(d.0);
        }
        sql.push(")");
    }
    sql.push(" ORDER BY id DESC LIMIT ").bind(limit);
    sql.fetch_all(ex).await?.iter().map(Stocktake::from_row).collect()
}

pub async fn insert_item(conn: &mut AnyConnection, item: &Item) -> Result<i64> {
    insert_returning_key(conn, item).await
}

pub async fn update_item(conn: &mut AnyConnection, item: &Item) -> Result<bool> {
    update_row(conn, item, &["asset_id", "result", "location", "seen_by", "seen_at"], None).await
}

pub async fn item_by_tag<'e, E: Executor<'e, Database = Any>>(ex: E, id: StocktakeId, tag: &str) -> Result<Option<Item>> {
    let row =
        sqlx::query("SELECT * FROM stocktake_items WHERE stocktake_id = $1 AND tag = $2").bind(id.0).bind(tag).fetch_optional(ex).await?;
    row.as_ref().map(Item::from_row).transpose()
}

/// Every tag of the campaign, by tag.
pub async fn items<'e, E: Executor<'e, Database = Any>>(ex: E, id: StocktakeId) -> Result<Vec<Item>> {
    let rows = sqlx::query("SELECT * FROM stocktake_items WHERE stocktake_id = $1 ORDER BY tag").bind(id.0).fetch_all(ex).await?;
    rows.iter().map(Item::from_row).collect()
}

/// Closing: every expected tag still pending becomes missing.
pub async fn mark_missing(conn: &mut AnyConnection, id: StocktakeId) -> Result<u64> {
    let done = sqlx::query("UPDATE stocktake_items SET result = 'missing' WHERE stocktake_id = $1 AND result = 'pending'")
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
