//! The record of every fetched mail (mail in).

use crate::Result;
use crate::table::Table;
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct InboundMail in "inbound_mails" {
        pub id: i64,
        pub mailbox: String,
        pub uid_validity: i64,
        pub uid: i64,
        pub message_id: Option<String>,
        pub from_address: Option<String>,
        pub subject: Option<String>,
        pub size: Option<i64>,
        /// `incident_created`, `reply_added`, `ignored_auto_reply`, `ignored_bounce`, `ignored_own`, `malformed`, `oversize`, `unreadable`, `no_ticket`
        pub status: String,
        pub reason: Option<String>,
        pub incident_id: Option<i64>,
        pub received_at: i64,
    }
}

pub struct NewInboundMail<'a> {
    pub mailbox: &'a str,
    pub uid_validity: i64,
    pub uid: i64,
    pub message_id: Option<&'a str>,
    pub from_address: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub size: Option<i64>,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub incident_id: Option<i64>,
    pub raw: Option<&'a [u8]>,
}

/// Was this mail (by mailbox position, or by Message-ID across a UIDVALIDITY change) already taken in?
pub async fn seen<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mailbox: &str,
    uid_validity: i64,
    uid: i64,
    message_id: Option<&str>,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM inbound_mails WHERE (mailbox = $1 AND uid_validity = $2 AND uid = $3) OR (message_id IS NOT NULL AND message_id = $4)",
    )
    .bind(mailbox)
    .bind(uid_validity)
    .bind(uid)
    .bind(message_id)
    .fetch_one(ex)
    .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

pub async fn insert(conn: &mut AnyConnection, m: &NewInboundMail<'_>, now: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO inbound_mails (mailbox, uid_validity, uid, message_id, from_address, subject, size, status, reason, incident_id, raw, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(m.mailbox)
    .bind(m.uid_validity)
    .bind(m.uid)
    .bind(m.message_id)
    .bind(m.from_address)
    .bind(m.subject)
    .bind(m.size)
    .bind(m.status)
    .bind(m.reason)
    .bind(m.incident_id)
    .bind(m.raw.map(<[u8]>::to_vec))
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, status: Option<&str>, limit: i64) -> Result<Vec<InboundMail>> {
    let cols = InboundMail::COLUMNS.join(", ");
    let rows = match status {
        Some(s) => {
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {cols} FROM inbound_mails WHERE status = $1 ORDER BY id DESC LIMIT $2")))
                .bind(s)
                .bind(limit)
                .fetch_all(ex)
                .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {cols} FROM inbound_mails ORDER BY id DESC LIMIT $1")))
                .bind(limit)
                .fetch_all(ex)
                .await?
        }
    };
    rows.iter().map(InboundMail::from_row).collect()
}

/// The original bytes of a fetched mail (for a person to handle it by hand).
pub async fn raw<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT raw FROM inbound_mails WHERE id = $1").bind(id).fetch_optional(ex).await?;
    Ok(row.map(|r| r.try_get::<Option<Vec<u8>>, _>(0)).transpose()?.flatten())
}
