//! Software licences, their assignments to CIs and users, and the reminders already sent
//! (of licence and warranty expiry alike, once per date).

use crate::Result;
use crate::sql::Sql;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::asset::licence::LicenceKind;
use yunwei_domain::ids::{CiId, DepartmentId, LicenceAssignmentId, LicenceId, UserId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Licence in "licences" {
        pub id: LicenceId,
        pub product: String,
        pub vendor: String,
        pub kind: LicenceKind,
        pub quantity: i64,
        pub cost_fen: i64,
        pub contract_number: String,
        /// `YYYY-MM-DD`.
        pub start_date: Option<String>,
        /// `YYYY-MM-DD`.
        pub end_date: Option<String>,
        pub remind_days: i64,
        pub responsible_id: Option<UserId>,
        pub department_id: Option<DepartmentId>,
        pub notes: String,
        pub created_by: Option<UserId>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Assignment in "licence_assignments" {
        pub id: LicenceAssignmentId,
        pub licence_id: LicenceId,
        pub ci_id: Option<CiId>,
        pub user_id: Option<UserId>,
        pub quantity: i64,
        pub note: String,
        pub created_by: Option<UserId>,
        pub created_at: i64,
    }
}

pub async fn insert(conn: &mut AnyConnection, l: &Licence) -> Result<LicenceId> {
    Ok(LicenceId(insert_returning_key(conn, l).await?))
}

pub async fn update(conn: &mut AnyConnection, l: &Licence, expected_version: i64) -> Result<bool> {
    let cols = [
        "product",
        "vendor",
        "kind",
        "quantity",
        "cost_fen",
        "contract_number",
        "start_date",
        "end_date",
        "remind_days",
        "responsible_id",
        "department_id",
        "notes",
        "updated_at",
        "version",
    ];
    update_row(conn, l, &cols, Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: LicenceId) -> Result<Option<Licence>> {
    sqlx::query("SELECT * FROM licences WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(Licence::from_row).transpose()
}

pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: LicenceId) -> Result<Option<Licence>> {
    let sql = format!("SELECT * FROM licences WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Licence::from_row).transpose()
}

/// Licences within a record scope (`Some((user, department))`: theirs or their department's),
/// by end date (open-ended last), at most `limit`.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    scope: Option<(Option<UserId>, Option<DepartmentId>)>,
    q: Option<&str>,
    limit: i64,
) -> Result<Vec<Licence>> {
    let mut sql = Sql::new("SELECT * FROM licences WHERE 1=1");
    if let Some(q) = q.filter(|q| !q.is_empty()) {
        let like = format!("%{}%", q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        sql.push(" AND (LOWER(product) LIKE ")
            .bind(like.clone())
            .push(" ESCAPE '\\' OR LOWER(vendor) LIKE ")
            .bind(like)
            .push(" ESCAPE '\\')");
    }
    if let Some((user, department)) = scope {
        sql.push(" AND (1=0");
        if let Some(u) = user {
            sql.push(" OR responsible_id = ").bind(u.0).push(" OR created_by = ").bind(u.0);
        }
        if let Some(d) = department {
            sql.push(" OR department_id = ").bind(d.0);
        }
        sql.push(")");
    }
    sql.push(" ORDER BY CASE WHEN end_date IS NULL THEN 1 ELSE 0 END, end_date, id LIMIT ").bind(limit);
    sql.fetch_all(ex).await?.iter().map(Licence::from_row).collect()
}

/// Seats or cores used, per licence, for these licences.
pub async fn used<'e, E: Executor<'e, Database = Any>>(ex: E, ids: &[LicenceId]) -> Result<Vec<(LicenceId, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT licence_id, CAST(SUM(quantity) AS BIGINT) AS used FROM licence_assignments WHERE 1=1");
    sql.and_in("licence_id", &ids.iter().map(|i| i.0).collect::<Vec<_>>());
    sql.push(" GROUP BY licence_id");
    let rows = sql.fetch_all(ex).await?;
    rows.iter().map(|r| Ok((LicenceId(r.try_get("licence_id")?), r.try_get::<Option<i64>, _>("used")?.unwrap_or(0)))).collect()
}

pub async fn assignments<'e, E: Executor<'e, Database = Any>>(ex: E, id: LicenceId) -> Result<Vec<Assignment>> {
    let rows = sqlx::query("SELECT * FROM licence_assignments WHERE licence_id = $1 ORDER BY id").bind(id.0).fetch_all(ex).await?;
    rows.iter().map(Assignment::from_row).collect()
}

pub async fn assign(conn: &mut AnyConnection, a: &Assignment) -> Result<LicenceAssignmentId> {
    Ok(LicenceAssignmentId(insert_returning_key(conn, a).await?))
}

pub async fn get_assignment<'e, E: Executor<'e, Database = Any>>(ex: E, id: LicenceAssignmentId) -> Result<Option<Assignment>> {
    let row = sqlx::query("SELECT * FROM licence_assignments WHERE id = $1").bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(Assignment::from_row).transpose()
}

pub async fn unassign(conn: &mut AnyConnection, id: LicenceAssignmentId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM licence_assignments WHERE id = $1").bind(id.0).execute(conn).await?.rows_affected() > 0)
}

/// Licences ending between the two dates (inclusive), oldest end first.
pub async fn ending_between<'e, E: Executor<'e, Database = Any>>(ex: E, from: &str, to: &str, limit: i64) -> Result<Vec<Licence>> {
    let rows = sqlx::query("SELECT * FROM licences WHERE end_date >= $1 AND end_date <= $2 ORDER BY end_date, id LIMIT $3")
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(Licence::from_row).collect()
}

/// Records that a reminder of (`kind`, `object_id`, `due_date`) went out; false if one already had.
pub async fn mark_reminded(conn: &mut AnyConnection, kind: &str, object_id: i64, due_date: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO asset_reminders (kind, object_id, due_date, sent_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, object_id, due_date) DO NOTHING",
    )
    .bind(kind)
    .bind(object_id)
    .bind(due_date)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
