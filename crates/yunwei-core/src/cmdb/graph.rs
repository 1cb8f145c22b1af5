//! The CMDB graph in memory (ADR 0016). Loaded once from the store, then kept true by
//! reading `ci_history` after a cursor: by a poller every 250 ms, and at query time when the
//! last look is older than that or this node has just written. Every node does the same, so
//! a relation written on node A is in node B's answers within about 250 ms, with no message
//! broker: the database is the only thing the nodes share.

use crate::{Core, CoreError, Result};
use std::collections::{BTreeSet, HashSet};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use yunwei_domain::cmdb::impact::{EdgeSpec, Graph, NodeSpec, RelationKind};
use yunwei_store::cmdb_graph as store;

/// How old a look at the history may be before a query looks again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// History ids are taken at insert and rows commit in any order (PostgreSQL): re-read this
/// far behind the newest id seen (as the live-update poller does, ADR 0005).
const REREAD_WINDOW: i64 = 200;
/// History rows read per look; a longer backlog is read over several looks in one refresh.
const BATCH: i64 = 5_000;

/// The graph and where it is in the history.
#[derive(Default)]
pub struct GraphCache {
    graph: RwLock<Option<Graph>>,
    /// One refresh at a time; holds the cursor and the ids already applied.
    refresh: tokio::sync::Mutex<Progress>,
    /// Set by this node's writes so that the next query reads them back first.
    stale: AtomicBool,
}

#[derive(Default)]
struct Progress {
    cursor: i64,
    seen: BTreeSet<i64>,
    checked: Option<Instant>,
}

impl GraphCache {
    /// Called after this node commits a CI or relation change: the next query reads it back.
    pub fn note_write(&self) {
        self.stale.store(true, Ordering::Release);
    }

    /// Forgets the graph (after a bulk load beside it): the next query loads it again.
    pub fn reset(&self) {
        if let Ok(mut g) = self.graph.write() {
            *g = None;
        }
    }

    fn is_loaded(&self) -> bool {
        self.graph.read().is_ok_and(|g| g.is_some())
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Option<Graph>>> {
        self.graph.write().map_err(|_| poisoned())
    }
}

/// After this node commits a CI or relation change: the next query reads it back first.
pub fn note_write(core: &Core) {
    core.cmdb_graph.note_write();
}

/// Runs `f` on a graph at most [`POLL_INTERVAL`] old (and holding this node's own writes).
pub async fn with_graph<R>(core: &Core, f: impl FnOnce(&Graph) -> R) -> Result<R> {
    let cache = &core.cmdb_graph;
    let fresh = {
        let p = cache.refresh.try_lock().ok();
        p.and_then(|p| p.checked).is_some_and(|c| c.elapsed() < POLL_INTERVAL)
    };
    if !fresh || cache.stale.load(Ordering::Acquire) || !cache.is_loaded() {
        refresh(core).await?;
    }
    let g = cache.graph.read().map_err(|_| poisoned())?;
    let g = g.as_ref().ok_or_else(|| CoreError::Internal("the CMDB graph is not loaded".into()))?;
    Ok(f(g))
}

fn poisoned() -> CoreError {
    CoreError::Internal("the CMDB graph lock is poisoned".into())
}

/// Loads the graph if needed, then applies the history written since the last look.
pub async fn refresh(core: &Core) -> Result<()> {
    let cache = &core.cmdb_graph;
    let mut p = cache.refresh.lock().await;
    // Someone refreshed while this call waited for the lock: their look is good enough.
    if p.checked.is_some_and(|c| c.elapsed() < Duration::from_millis(20)) && !cache.stale.load(Ordering::Acquire) {
        return Ok(());
    }
    let started = Instant::now();
    cache.stale.store(false, Ordering::Release);
    if !cache.is_loaded() {
        // The cursor first: what commits during the load is read again after it.
        p.cursor = store::cursor(&core.db.read).await?;
        let graph = load(core).await?;
        *cache.write()? = Some(graph);
        tracing::info!(ms = started.elapsed().as_millis() as u64, "CMDB graph loaded");
    }
    loop {
        let from = p.cursor.saturating_sub(REREAD_WINDOW).max(0);
        let rows = store::touched_after(&core.db.read, from, BATCH).await?;
        let fresh: Vec<_> = rows.iter().filter(|r| !p.seen.contains(&r.id)).copied().collect();
        if !fresh.is_empty() {
            apply(core, &fresh).await?;
        }
        for r in &fresh {
            p.seen.insert(r.id);
            p.cursor = p.cursor.max(r.id);
        }
        let floor = p.cursor.saturating_sub(REREAD_WINDOW);
        p.seen = p.seen.split_off(&floor);
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    p.checked = Some(started);
    Ok(())
}

/// Reads what the history rows touched as it is now and puts it in the graph. Reading the
/// current rows (not the history's before/after) makes applying the same row twice, or rows
/// out of order, harmless.
async fn apply(core: &Core, rows: &[store::Touched]) -> Result<()> {
    let mut cis: Vec<i64> = Vec::new();
    let mut pairs: Vec<(i64, i64)> = Vec::new();
    let mut seen_ci = HashSet::new();
    let mut seen_pair = HashSet::new();
    for r in rows {
        match (r.relation_id, r.peer_ci_id) {
            (Some(_), Some(peer)) => {
                if seen_pair.insert((r.ci_id, peer)) {
                    pairs.push((r.ci_id, peer));
                }
            }
            _ => {
                if seen_ci.insert(r.ci_id) {
                    cis.push(r.ci_id);
                }
            }
        }
    }
    let kinds = if pairs.is_empty() { None } else { Some(store::relation_types(&core.db.read).await?) };
    let mut nodes = Vec::with_capacity(cis.len());
    for id in cis {
        nodes.push((id, store::ci(&core.db.read, id).await?));
    }
    let mut relations = Vec::with_capacity(pairs.len());
    for (from, to) in pairs {
        relations.push((from, to, store::types_between(&core.db.read, from, to).await?));
    }
    let mut guard = core.cmdb_graph.write()?;
    let Some(g) = guard.as_mut() else { return Ok(()) };
    for k in kinds.into_iter().flatten().filter(|k| k.propagates) {
        g.set_kind(RelationKind { type_id: k.id, pool: k.pool });
    }
    for (id, row) in nodes {
        match row {
            Some(c) if !c.deleted => {
                g.upsert_node(node_spec(&c));
            }
            _ => g.remove_node(id),
        }
    }
    for (from, to, types) in relations {
        g.set_pair(from, to, &types);
    }
    Ok(())
}

fn node_spec(c: &store::GraphCi) -> NodeSpec {
    NodeSpec { id: c.id, class_id: c.class_id, min_healthy: c.min_healthy.and_then(|m| u32::try_from(m).ok()) }
}

async fn load(core: &Core) -> Result<Graph> {
    let kinds: Vec<RelationKind> = store::relation_types(&core.db.read)
        .await?
        .into_iter()
        .filter(|k| k.propagates)
        .map(|k| RelationKind { type_id: k.id, pool: k.pool })
        .collect();
    let nodes: Vec<NodeSpec> = store::all_cis(&core.db.read).await?.iter().map(node_spec).collect();
    let edges: Vec<EdgeSpec> =
        store::all_relations(&core.db.read).await?.into_iter().map(|(type_id, from, to)| EdgeSpec { from, to, type_id }).collect();
    // Building takes a second or two at a million CIs: off the async threads.
    tokio::task::spawn_blocking(move || Graph::build(kinds, &nodes, &edges))
        .await
        .map_err(|e| CoreError::Internal(format!("building the CMDB graph: {e}")))
}

/// Loads the graph at start, then keeps it fresh until `shutdown` turns true.
pub async fn run_poller(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = refresh(&core).await {
            tracing::warn!(error = %e, "CMDB graph: reading the history failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Size of the graph now, for `/metrics` and the benchmark report.
pub fn size(core: &Core) -> Option<(usize, usize, usize)> {
    let g = core.cmdb_graph.graph.read().ok()?;
    g.as_ref().map(|g| (g.node_count(), g.edge_count(), g.approx_bytes()))
}
