//! Files attached to tickets of every kind (ADR 0012), stored in the database with their
//! SHA-256; `object_type` is the kind's declared object type.

use crate::Result;
use crate::table::Table;
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ticket::TicketKind;

type Any = sqlx::Any;

table! {
    /// An attachment without its content (lists, the ticket page).
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct AttachmentMeta in "attachments" {
        pub id: i64,
        pub object_type: String,
        pub object_id: i64,
        pub filename: String,
        pub content_type: String,
        pub size: i64,
        pub sha256: String,
        pub created_by: Option<i64>,
        pub created_at: i64,
    }
}

pub struct NewAttachment<'a> {
    pub kind: &'a TicketKind,
    pub object_id: i64,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub created_by: Option<i64>,
}

pub async fn insert(conn: &mut AnyConnection, a: &NewAttachment<'_>, now: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO attachments (object_type, object_id, filename, content_type, size, sha256, content, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(a.kind.object_type)
    .bind(a.object_id)
    .bind(a.filename)
    .bind(a.content_type)
    .bind(i64::try_from(a.content.len()).unwrap_or(i64::MAX))
    .bind(a.sha256)
    .bind(a.content.to_vec())
    .bind(a.created_by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, kind: &TicketKind, object_id: i64) -> Result<Vec<AttachmentMeta>> {
    let cols = AttachmentMeta::COLUMNS.join(", ");
    let sql = format!("SELECT {cols} FROM attachments WHERE object_type = $1 AND object_id = $2 ORDER BY id");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(kind.object_type)
        .bind(object_id)
        .fetch_all(ex)
        .await?
        .iter()
        .map(AttachmentMeta::from_row)
        .collect()
}

/// One attachment with its bytes.
pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<(AttachmentMeta, Vec<u8>)>> {
    let cols = AttachmentMeta::COLUMNS.join(", ");
    let sql = format!("SELECT {cols}, content FROM attachments WHERE id = $1");
    match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await? {
        Some(r) => Ok(Some((AttachmentMeta::from_row(&r)?, r.try_get("content")?))),
        None => Ok(None),
    }
}
