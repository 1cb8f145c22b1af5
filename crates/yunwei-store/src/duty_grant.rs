//! Duty grants waiting for a second person: the request, the picture it was made
//! against, and the decision.

use crate::Result;
use crate::table::Table;
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::UserId;

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct DutyGrantRow in "duty_grants" {
        pub id: i64,
        /// `user_roles` (a user's roles) or `role` (a role's rights).
        pub kind: String,
        pub target_id: i64,
        /// JSON: the roles asked for, or the role's new fields.
        pub requested_change: String,
        /// JSON: what the target looked like when asked; approval refuses if it has moved.
        pub state_before: String,
        pub requested_by: UserId,
        pub requested_at: i64,
        /// `pending`, `approved`, `rejected` or `cancelled`.
        pub status: String,
        pub decided_by: Option<UserId>,
        pub decided_at: Option<i64>,
        pub note: String,
    }
}

pub struct NewDutyGrant<'a> {
    pub kind: &'a str,
    pub target_id: i64,
    pub requested_change: &'a str,
    pub state_before: &'a str,
    pub requested_by: UserId,
}

/// Records a request; a unique violation means one is already open for the target.
pub async fn insert(conn: &mut AnyConnection, g: &NewDutyGrant<'_>, now: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO duty_grants (kind, target_id, requested_change, state_before, requested_by, requested_at, status) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending') RETURNING id",
    )
    .bind(g.kind)
    .bind(g.target_id)
    .bind(g.requested_change)
    .bind(g.state_before)
    .bind(g.requested_by.0)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<DutyGrantRow>> {
    sqlx::query("SELECT * FROM duty_grants WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(DutyGrantRow::from_row)
        .transpose()
}

/// Newest first; `status` narrows to one state.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, status: Option<&str>, limit: i64) -> Result<Vec<DutyGrantRow>> {
    let rows = match status {
        Some(s) => {
            sqlx::query("SELECT * FROM duty_grants WHERE status = $1 ORDER BY id DESC LIMIT $2").bind(s).bind(limit).fetch_all(ex).await?
        }
        None => sqlx::query("SELECT * FROM duty_grants ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(ex).await?,
    };
    rows.iter().map(DutyGrantRow::from_row).collect()
}

/// Closes a pending request; false when someone else decided it first.
pub async fn decide(conn: &mut AnyConnection, id: i64, status: &str, by: UserId, note: &str, now: i64) -> Result<bool> {
    let n =
        sqlx::query("UPDATE duty_grants SET status = $2, decided_by = $3, decided_at = $4, note = $5 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(status)
            .bind(by.0)
            .bind(now)
            .bind(note)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(n == 1)
}
