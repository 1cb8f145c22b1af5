//! What the operations endpoints (`/readyz`, `/metrics`) read about the database: web asks
//! here, it never holds the store (ADR 0014).

use crate::{Core, Result};

/// Whether this node can serve: the database answers, has the schema this binary expects, and
/// takes writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready {
        schema: i64,
    },
    /// Writes fail for want of space (re-probed, so readiness returns with the space).
    StorageFull {
        since_ms: Option<i64>,
    },
    SchemaMismatch {
        schema: i64,
        expected: i64,
    },
    Unreachable {
        error: String,
    },
}

pub async fn readiness(core: &Core) -> Readiness {
    if core.db.probe_storage().await {
        return Readiness::StorageFull { since_ms: core.db.storage().full_since_ms() };
    }
    let db = core.db.ping().await;
    let schema = yunwei_store::migrate::current_version(&core.db).await;
    let expected = yunwei_store::migrate::latest_version();
    match (db, schema) {
        (Ok(()), Ok(schema)) if schema == expected => Readiness::Ready { schema },
        (Ok(()), Ok(schema)) => Readiness::SchemaMismatch { schema, expected },
        (Err(e), _) | (_, Err(e)) => Readiness::Unreachable { error: e.to_string() },
    }
}

/// Outbox and delivery rows by queue and status, for the metrics.
pub async fn queue_depths(core: &Core) -> Result<Vec<(String, String, i64)>> {
    Ok(yunwei_store::notify::queue_depths(&core.db).await?)
}

/// Open connections of the read pool and the writer.
pub fn pool_connections(core: &Core) -> (u32, u32) {
    (core.db.read.size(), core.db.write_connections())
}

/// A response said the disk is full: readiness fails until a probe finds space again.
pub fn mark_storage_full(core: &Core) {
    core.db.storage().mark_full();
}
