//! The CIs around one CI, for the graph drawn on its page: what its failure affects (up,
//! toward the business services, with each CI's state if this one fails) and what it needs
//! (down), a few levels each way, with the propagating relations between them.
//!
//! Who sees what, as for the impact analysis (ADR 0016): the CI itself must be readable;
//! CIs the caller may not read are counted in `hidden`, never named, and the relations that
//! touch them are left out.

use super::impact::readable;
use super::{Schema, load_ci};
use crate::{Core, Ctx, Result};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use yunwei_domain::cmdb::impact::{self as engine, State};
use yunwei_domain::ids::{CiId, CiRelationTypeId};
use yunwei_domain::permission::Action;
use yunwei_store::cmdb::ci as store;

/// Levels walked upward (toward the business services) and downward.
pub const UP_LEVELS: u32 = 4;
pub const DOWN_LEVELS: u32 = 2;
/// CIs drawn on one level; the rest are counted in [`Level::more`].
pub const PER_LEVEL: usize = 6;

#[derive(Debug, Clone, Serialize)]
pub struct GraphNode {
    pub id: CiId,
    pub name: String,
    pub name_en: String,
    pub class_name: String,
    pub class_name_en: String,
    /// If the CI at the centre fails (needs below it stay `ok`).
    pub state: State,
    /// Negative above the centre (affected), positive below (needed), 0 the centre.
    pub level: i32,
    /// A pool or cluster: others are members of it.
    pub pool: bool,
    pub business_service: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct GraphEdge {
    /// `from` depends on / runs on / is a member of `to`.
    pub from: CiId,
    pub to: CiId,
    pub label: String,
    pub label_en: String,
    pub pool: bool,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Level {
    pub level: i32,
    /// CIs on this level not drawn because of [`PER_LEVEL`] (readable or not).
    pub more: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Neighbourhood {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    pub levels: Vec<Level>,
    /// Drawn-level CIs the caller may not read: counted, not named.
    pub hidden: usize,
}

/// (id, state, level, pool) of one CI placed before naming.
type Placed = (i64, State, i32, bool);

/// The CI `id` and its surroundings, for drawing.
pub async fn around(core: &Core, ctx: &Ctx, id: CiId) -> Result<Neighbourhood> {
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    load_ci(&mut rd, &schema, ctx, id, Action::Read).await?;
    drop(rd);
    let services = schema.service_classes();
    let centre = id.0;
    let svc = services.clone();
    let (placed, more, edges) = super::graph::with_graph(core, move |g| {
        let Some(ix) = g.index_of(centre) else {
            return (vec![(centre, State::Down, 0, false)], Vec::new(), Vec::new());
        };
        let is_pool = |i: u32| g.in_edges(i).any(|(_, k)| g.is_pool_kind(k));
        let mut by_level: HashMap<i32, Vec<(u32, State)>> = HashMap::new();
        let mut seen = HashSet::from([ix]);
        for r in engine::upstream(g, &[ix], UP_LEVELS, None).reached.iter().filter(|r| r.depth > 0) {
            if seen.insert(r.node) {
                by_level.entry(-(r.depth as i32)).or_default().push((r.node, r.state));
            }
        }
        for r in engine::downstream(g, ix, DOWN_LEVELS, None).reached.iter() {
            if seen.insert(r.node) {
                by_level.entry(r.depth as i32).or_default().push((r.node, State::Ok));
            }
        }
        let mut placed: Vec<Placed> = vec![(centre, State::Down, 0, is_pool(ix))];
        let mut more = Vec::new();
        let mut keys: Vec<i32> = by_level.keys().copied().collect();
        keys.sort();
        for level in keys {
            let mut list = by_level.remove(&level).unwrap_or_default();
            // Business services first, then the worst off.
            list.sort_by_key(|(n, s)| (!svc.contains(&g.class_of(*n)), std::cmp::Reverse(*s), g.id_of(*n)));
            more.push(Level { level, more: list.len().saturating_sub(PER_LEVEL) });
            for (n, s) in list.into_iter().take(PER_LEVEL) {
                placed.push((g.id_of(n), s, level, is_pool(n)));
            }
        }
        let drawn: HashSet<u32> = placed.iter().filter_map(|p| g.index_of(p.0)).collect();
        let mut edges = Vec::new();
        for &u in &drawn {
            for (v, k) in g.out_edges(u) {
                if drawn.contains(&v)
                    && let Some(kind) = g.kind(k)
                {
                    edges.push((g.id_of(u), g.id_of(v), kind.type_id, kind.pool));
                }
            }
        }
        edges.sort();
        edges.dedup();
        (placed, more, edges)
    })
    .await?;
    let ids: Vec<CiId> = placed.iter().map(|p| CiId(p.0)).collect();
    let mut rd = core.db.read.acquire().await?;
    let rows = store::get_many(&mut *rd, &ids).await?;
    drop(rd);
    let visible: HashMap<i64, &store::Ci> = rows.iter().filter(|c| readable(&schema, ctx, c)).map(|c| (c.id.0, c)).collect();
    let nodes: Vec<GraphNode> = placed
        .iter()
        .filter_map(|&(id, state, level, pool)| {
            let ci = visible.get(&id)?;
            let class = schema.class(ci.class_id);
            Some(GraphNode {
                id: ci.id,
                name: ci.name.clone(),
                name_en: ci.name_en.clone(),
                class_name: class.map(|k| k.name.clone()).unwrap_or_default(),
                class_name_en: class.map(|k| k.name_en.clone()).unwrap_or_default(),
                state,
                level,
                pool,
                business_service: services.contains(&ci.class_id.0),
            })
        })
        .collect();
    let edges = edges
        .into_iter()
        .filter(|(a, b, _, _)| visible.contains_key(a) && visible.contains_key(b))
        .map(|(a, b, t, pool)| {
            let ty = schema.relation_type(CiRelationTypeId(t));
            GraphEdge {
                from: CiId(a),
                to: CiId(b),
                label: ty.map(|t| t.name.clone()).unwrap_or_default(),
                label_en: ty.map(|t| t.name_en.clone()).unwrap_or_default(),
                pool,
            }
        })
        .collect();
    Ok(Neighbourhood { hidden: placed.len() - nodes.len(), nodes, edges, levels: more })
}
