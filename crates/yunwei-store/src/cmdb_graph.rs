//! Reads that feed the in-memory CMDB graph (`yunwei_core::cmdb::graph`): the whole graph
//! at start, then the changes since a `ci_history` id. Nothing here writes.

use crate::Result;
use sqlx::{AnyPool, Row};

/// A CI as the graph needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphCi {
    pub id: i64,
    pub class_id: i64,
    pub min_healthy: Option<i64>,
    pub deleted: bool,
}

/// A relation type: does it carry failure, and is it pool membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphRelationType {
    pub id: i64,
    pub propagates: bool,
    pub pool: bool,
}

/// A relation: `(type_id, from_ci_id, to_ci_id)`.
pub type GraphRelation = (i64, i64, i64);

/// One `ci_history` row, reduced to what it touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    pub id: i64,
    pub ci_id: i64,
    /// Set for a relation change; then `peer_ci_id` is its target.
    pub relation_id: Option<i64>,
    pub peer_ci_id: Option<i64>,
}

/// The change cursor: the newest `ci_history` id (0 when empty).
pub async fn cursor(pool: &AnyPool) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM ci_history").fetch_one(pool).await?;
    Ok(row.try_get(0)?)
}

pub async fn relation_types(pool: &AnyPool) -> Result<Vec<GraphRelationType>> {
    let rows = sqlx::query("SELECT id, propagation, pool FROM ci_relation_types").fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(GraphRelationType {
                id: r.try_get(0)?,
                propagates: r.try_get::<String, _>(1)? == "source",
                pool: r.try_get::<i64, _>(2)? != 0,
            })
        })
        .collect()
}

/// Rows fetched per round trip while loading the whole graph.
const CHUNK: i64 = 50_000;

/// Every live CI, read in id-ordered chunks so a million rows never sit twice in memory.
pub async fn all_cis(pool: &AnyPool) -> Result<Vec<GraphCi>> {
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let rows = sqlx::query("SELECT id, class_id, min_healthy FROM cis WHERE id > $1 AND deleted = 0 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(CHUNK)
            .fetch_all(pool)
            .await?;
        for r in &rows {
            out.push(GraphCi { id: r.try_get(0)?, class_id: r.try_get(1)?, min_healthy: r.try_get(2)?, deleted: false });
        }
        match out.last() {
            Some(last) if rows.len() as i64 == CHUNK => after = last.id,
            _ => return Ok(out),
        }
    }
}

/// Every relation, in id-ordered chunks.
pub async fn all_relations(pool: &AnyPool) -> Result<Vec<GraphRelation>> {
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let rows = sqlx::query("SELECT id, type_id, from_ci_id, to_ci_id FROM ci_relations WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(CHUNK)
            .fetch_all(pool)
            .await?;
        for r in &rows {
            after = r.try_get(0)?;
            out.push((r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
        }
        if (rows.len() as i64) < CHUNK {
            return Ok(out);
        }
    }
}

/// History rows with id above `after`, oldest first.
pub async fn touched_after(pool: &AnyPool, after: i64, limit: i64) -> Result<Vec<Touched>> {
    let rows = sqlx::query("SELECT id, ci_id, relation_id, peer_ci_id FROM ci_history WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok(Touched { id: r.try_get(0)?, ci_id: r.try_get(1)?, relation_id: r.try_get(2)?, peer_ci_id: r.try_get(3)? }))
        .collect()
}

/// One CI as it is now, deleted or not (None when there is no such row).
pub async fn ci(pool: &AnyPool, id: i64) -> Result<Option<GraphCi>> {
    let row = sqlx::query("SELECT id, class_id, min_healthy, deleted FROM cis WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.map(|r| {
        Ok(GraphCi { id: r.try_get(0)?, class_id: r.try_get(1)?, min_healthy: r.try_get(2)?, deleted: r.try_get::<i64, _>(3)? != 0 })
    })
    .transpose()
}

/// The relation types that join `from` to `to` now.
pub async fn types_between(pool: &AnyPool, from: i64, to: i64) -> Result<Vec<i64>> {
    let rows =
        sqlx::query("SELECT type_id FROM ci_relations WHERE from_ci_id = $1 AND to_ci_id = $2").bind(from).bind(to).fetch_all(pool).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// A generated CI for a bulk load (demo data): the columns a load sets, the rest default.
#[derive(Debug, Clone)]
pub struct BulkCi {
    pub id: i64,
    pub class_id: i64,
    pub name: String,
    pub name_en: String,
    pub owner_team_id: Option<i64>,
    pub criticality: &'static str,
    pub environment: &'static str,
    pub min_healthy: Option<i64>,
    pub attributes: String,
    pub at: i64,
}

/// A generated relation for a bulk load.
#[derive(Debug, Clone, Copy)]
pub struct BulkRelation {
    pub id: i64,
    pub type_id: i64,
    pub from: i64,
    pub to: i64,
    pub at: i64,
}

/// Rows a statement: SQLite allows 32,766 parameters, and ~10 a row leaves room.
const BULK_ROWS: usize = 1_000;

/// One batch of CIs and relations in one transaction (see `bulk_load` for the indexes).
pub async fn bulk_insert(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    cis: &[BulkCi],
    relations: &[BulkRelation],
) -> Result<()> {
    use crate::sql::Sql;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let head = "INSERT INTO cis (id, class_id, name, name_en, status, owner_team_id, criticality, environment, min_healthy, \
                attributes, created_at, updated_at) VALUES ";
    for chunk in cis.chunks(BULK_ROWS) {
        let mut sql = Sql::bulk(head, backend);
        for (i, c) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(c.id).push(", ").bind(c.class_id).push(", ").bind(c.name.as_str()).push(", ").bind(c.name_en.as_str());
            sql.push(", 'production', ").bind(c.owner_team_id).push(", ").bind(c.criticality).push(", ").bind(c.environment);
            sql.push(", ").bind(c.min_healthy).push(", ").bind(c.attributes.as_str()).push(", ").bind(c.at).push(", ").bind(c.at).push(")");
        }
        sql.execute_owned(&mut *tx).await?;
    }
    let head = "INSERT INTO ci_relations (id, type_id, from_ci_id, to_ci_id, created_at) VALUES ";
    for chunk in relations.chunks(BULK_ROWS * 2) {
        let mut sql = Sql::bulk(head, backend);
        for (i, r) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(r.id).push(", ").bind(r.type_id).push(", ").bind(r.from).push(", ").bind(r.to).push(", ").bind(r.at).push(")");
        }
        sql.execute_owned(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Ids of classes and relation types by code, for generators.
pub async fn codes(pool: &AnyPool, table: &str) -> Result<Vec<(String, i64)>> {
    let sql = match table {
        "ci_classes" => "SELECT code, id FROM ci_classes",
        _ => "SELECT code, id FROM ci_relation_types",
    };
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Highest ids so far of CIs and relations (a bulk load numbers its rows after them).
pub async fn max_ids(pool: &AnyPool) -> Result<(i64, i64)> {
    let a = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM cis").fetch_one(pool).await?.try_get(0)?;
    let b = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM ci_relations").fetch_one(pool).await?.try_get(0)?;
    Ok((a, b))
}

/// The impact question asked of the database alone, as a plain recursive query: the CIs of
/// class `class_id` that a failure of `ci` reaches within `depth` relations (dependents along
/// propagating relations, pools along membership). Redundancy is not weighed: this is the
/// baseline the in-memory graph is measured against (`yunwei bench --scenario impact-sql`).
pub async fn reached_by_sql(pool: &AnyPool, ci: i64, depth: i64, class_id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "WITH RECURSIVE up(id, depth) AS ( \
             SELECT CAST($1 AS BIGINT), 0 \
             UNION \
             SELECT CASE WHEN t.pool = 1 THEN r.to_ci_id ELSE r.from_ci_id END, up.depth + 1 \
             FROM up JOIN ci_relations r ON r.to_ci_id = up.id OR r.from_ci_id = up.id \
             JOIN ci_relation_types t ON t.id = r.type_id \
             WHERE t.propagation = 'source' AND up.depth < $2 \
               AND ((t.pool = 0 AND r.to_ci_id = up.id) OR (t.pool = 1 AND r.from_ci_id = up.id)) \
         ) \
         SELECT DISTINCT c.id FROM up JOIN cis c ON c.id = up.id WHERE c.class_id = $3 AND c.deleted = 0 ORDER BY c.id",
    )
    .bind(ci)
    .bind(depth)
    .bind(class_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// For the impact benchmark: how many CIs there are, the business-service class, and up
/// to `limit` servers to fail.
pub async fn bench_targets(pool: &AnyPool, limit: i64) -> Result<(i64, i64, Vec<i64>)> {
    let count = sqlx::query("SELECT COUNT(*) FROM cis").fetch_one(pool).await?.try_get(0)?;
    let class =
        sqlx::query("SELECT COALESCE(MAX(id), 0) FROM ci_classes WHERE code = 'business_service'").fetch_one(pool).await?.try_get(0)?;
    let rows = sqlx::query(
        "SELECT c.id FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE k.code = 'server' AND c.deleted = 0 ORDER BY c.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let servers = rows.iter().map(|r| r.try_get(0)).collect::<std::result::Result<_, _>>()?;
    Ok((count, class, servers))
}
