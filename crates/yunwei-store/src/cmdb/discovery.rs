//! Discovery reconciliation's tables (migration 0021; ADR 0020): sources, when each source
//! last reported each CI (stale after its period), and drift.

use crate::Result;
use crate::sql::Sql;
use crate::table::{Table, column, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::ids::CiId;

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct DiscoverySource in "ci_discovery_sources" {
        pub id: i64,
        /// Stable key, the `{source}` of `POST /api/v1/cmdb/discovery/{source}`.
        pub code: String,
        pub name: String,
        pub name_en: String,
        /// Higher wins a field over another source.
        pub precedence: i64,
        /// Field or attribute code → precedence where it differs from `precedence`.
        pub attribute_precedence: serde_json::Map<String, serde_json::Value>,
        pub stale_after_hours: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

impl DiscoverySource {
    pub fn precedence(&self) -> yunwei_domain::cmdb::discovery::Precedence {
        let fields = self.attribute_precedence.iter().filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n))).collect();
        yunwei_domain::cmdb::discovery::Precedence { default: self.precedence, fields }
    }
}

pub async fn sources<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<DiscoverySource>> {
    let sql = format!("{} ORDER BY code", DiscoverySource::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?.iter().map(DiscoverySource::from_row).collect()
}

pub async fn insert_source(conn: &mut AnyConnection, s: &DiscoverySource) -> Result<i64> {
    insert_returning_key(conn, s).await
}

pub async fn update_source(conn: &mut AnyConnection, s: &DiscoverySource) -> Result<bool> {
    update_row(conn, s, &["name", "name_en", "precedence", "attribute_precedence", "stale_after_hours", "updated_at"], None).await
}

/// The source reported the CI now: seen, and no longer stale.
pub async fn sighted(conn: &mut AnyConnection, source: i64, ci: CiId, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO ci_discovery_sightings (source_id, ci_id, first_seen, last_seen, stale) VALUES ($1, $2, $3, $3, 0)
         ON CONFLICT (source_id, ci_id) DO UPDATE SET last_seen = excluded.last_seen, stale = 0",
    )
    .bind(source)
    .bind(ci.0)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Flags stale every sighting older than its source's period; returns how many it flagged.
pub async fn flag_stale(conn: &mut AnyConnection, now: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE ci_discovery_sightings SET stale = 1 WHERE stale = 0 AND last_seen <
            $1 - (SELECT s.stale_after_hours FROM ci_discovery_sources s WHERE s.id = ci_discovery_sightings.source_id) * 3600000",
    )
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

table! {
    /// A field a source reports differently from the kept value.
    #[derive(Debug, Clone, Default, PartialEq, Serialize)]
    pub struct Drift in "ci_drift" {
        pub source_id: i64,
        pub ci_id: CiId,
        /// `name`, `description` or `attributes.<code>`.
        pub field: String,
        pub reported: serde_json::Value,
        pub kept: serde_json::Value,
        /// The source whose value is kept; `None`: a person set it.
        pub holder_source_id: Option<i64>,
        pub detected_at: i64,
    }
}

/// Records drift; an unchanged report keeps its first detection time. True when it is new or changed.
pub async fn put_drift(conn: &mut AnyConnection, d: &Drift) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO ci_drift (source_id, ci_id, field, reported, kept, holder_source_id, detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (source_id, ci_id, field) DO UPDATE SET reported = excluded.reported, kept = excluded.kept,
             holder_source_id = excluded.holder_source_id, detected_at = excluded.detected_at
         WHERE ci_drift.reported <> excluded.reported OR ci_drift.kept <> excluded.kept
             OR COALESCE(ci_drift.holder_source_id, 0) <> COALESCE(excluded.holder_source_id, 0)",
    )
    .bind(d.source_id)
    .bind(d.ci_id.0)
    .bind(d.field.as_str())
    .bind(d.reported.to_string())
    .bind(d.kept.to_string())
    .bind(d.holder_source_id)
    .bind(d.detected_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The source agrees with the kept value again (or wrote its own): no drift on this field.
pub async fn clear_drift(conn: &mut AnyConnection, source: i64, ci: CiId, field: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM ci_drift WHERE source_id = $1 AND ci_id = $2 AND field = $3")
        .bind(source)
        .bind(ci.0)
        .bind(field)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Drift of live CIs, newest first: of one CI, or of one source, or all; at most `limit` rows.
pub async fn drift<'e, E: Executor<'e, Database = Any>>(ex: E, ci: Option<CiId>, source: Option<i64>, limit: i64) -> Result<Vec<Drift>> {
    let mut sql = Sql::new(&format!("{} WHERE ci_id IN (SELECT id FROM cis WHERE deleted = 0)", Drift::select()));
    if let Some(ci) = ci {
        sql.push(" AND ci_id = ").bind(ci.0);
    }
    if let Some(s) = source {
        sql.push(" AND source_id = ").bind(s);
    }
    sql.push(" ORDER BY detected_at DESC, ci_id, field LIMIT ").bind(limit);
    sql.fetch_all(ex).await?.iter().map(Drift::from_row).collect()
}

table! {
    /// When a source last reported a CI.
    #[derive(Debug, Clone, Default, PartialEq, Serialize)]
    pub struct Sighting in "ci_discovery_sightings" {
        pub source_id: i64,
        pub ci_id: CiId,
        pub first_seen: i64,
        pub last_seen: i64,
        pub stale: bool,
    }
}

/// Sightings of live CIs, newest first: of one CI, or (with `stale_only`) the stale ones.
pub async fn sightings<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ci: Option<CiId>,
    stale_only: bool,
    limit: i64,
) -> Result<Vec<Sighting>> {
    let mut sql = Sql::new(&format!("{} WHERE ci_id IN (SELECT id FROM cis WHERE deleted = 0)", Sighting::select()));
    if let Some(ci) = ci {
        sql.push(" AND ci_id = ").bind(ci.0);
    }
    if stale_only {
        sql.push(" AND stale = 1");
    }
    sql.push(" ORDER BY last_seen DESC, ci_id LIMIT ").bind(limit);
    sql.fetch_all(ex).await?.iter().map(Sighting::from_row).collect()
}

/// Who wrote a CI's fields, oldest first: (source, source_ref, after) of each of its own rows.
pub async fn writers<'e, E: Executor<'e, Database = Any>>(ex: E, ci: CiId) -> Result<Vec<(String, Option<String>, serde_json::Value)>> {
    let rows = sqlx::query("SELECT source, source_ref, after FROM ci_history WHERE ci_id = $1 AND relation_id IS NULL ORDER BY id")
        .bind(ci.0)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| {
            let after: Option<String> = column(r, "after")?;
            let after = after.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or(serde_json::Value::Null);
            Ok((column(r, "source")?, column(r, "source_ref")?, after))
        })
        .collect()
}
