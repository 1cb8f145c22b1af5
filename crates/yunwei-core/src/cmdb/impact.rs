//! Impact analysis for people and programs (CMDB-3): what a CI's failure, or several
//! failing together, takes down or degrades up to the business services, and what a CI
//! needs. The walk runs on the in-memory graph ([`super::graph`]); only its answer touches
//! the database, to name the CIs and to check that the caller may read each one.
//!
//! Who sees what: the CIs asked about must be readable (403/404 as for reading them). The
//! answer names only CIs the caller may read; the others are counted in `hidden`. Totals
//! (`total`, `down`, `degraded`) count every CI reached, so a reader learns that more is
//! affected without learning what.

use super::{Schema, holders};
use crate::{Core, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use yunwei_domain::FieldError;
use yunwei_domain::cmdb::impact::{self as engine, Direction, MAX_DEPTH, State};
use yunwei_domain::ids::CiId;
use yunwei_domain::permission::Action;
use yunwei_domain::policy;
use yunwei_domain::validate::Checker;
use yunwei_store::cmdb::ci::{self as store, Ci};

pub const DEFAULT_DEPTH: u32 = 10;
pub const DEFAULT_LIMIT: usize = 200;
pub const MAX_LIMIT: usize = 1000;
/// CIs one "what if these fail together" question may name.
pub const MAX_FAILED: usize = 100;

/// `GET /api/v1/cmdb/cis/{id}/impact` parameters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImpactQuery {
    /// `up` (default): what the failure affects; `down`: what the CI needs.
    pub direction: Option<String>,
    pub depth: Option<i64>,
    /// A class code or id: list only CIs of it and its subclasses.
    pub class: Option<String>,
    pub limit: Option<i64>,
}

/// `POST /api/v1/cmdb/impact`: several CIs failing together.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailuresInput {
    pub failed: Vec<CiId>,
    pub depth: Option<i64>,
    pub class: Option<String>,
    pub limit: Option<i64>,
}

/// One CI in an answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImpactItem {
    pub id: CiId,
    pub name: String,
    pub name_en: String,
    pub class_code: String,
    pub class_name: String,
    pub class_name_en: String,
    /// Up: the CI's state. Down: `ok`.
    pub state: State,
    pub depth: u32,
    /// Up: the CI that made this one worse (null when it failed itself or is hidden).
    /// Down: the CI that needs this one.
    pub via: Option<CiId>,
    /// Down: one member of the pool `via`, so its failure alone may be absorbed.
    pub redundant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImpactView {
    pub direction: Direction,
    pub failed: Vec<CiId>,
    pub depth: u32,
    /// The depth limit cut the walk short.
    pub truncated: bool,
    /// CIs reached, the asked ones included for `up`, whether or not the caller may see them.
    pub total: usize,
    pub down: usize,
    pub degraded: usize,
    /// The first `limit` CIs (by depth) that the caller may read.
    pub items: Vec<ImpactItem>,
    /// CIs among those examined that the caller may not read.
    pub hidden: usize,
    /// More CIs were reached than `limit` examined.
    pub more: bool,
    /// Up: the affected business services the caller may read, down ones first.
    pub business_services: Vec<ImpactItem>,
}

struct Params {
    depth: u32,
    limit: usize,
    classes: Option<HashSet<i64>>,
}

fn params(schema: &Schema, depth: Option<i64>, limit: Option<i64>, class: Option<&str>, c: &mut Checker) -> Params {
    let depth = match depth {
        None => DEFAULT_DEPTH,
        Some(d) if (1..=i64::from(MAX_DEPTH)).contains(&d) => d as u32,
        Some(_) => {
            c.push(FieldError::new("depth", "out_of_range").with("min", 1).with("max", MAX_DEPTH));
            DEFAULT_DEPTH
        }
    };
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(l) if (1..=MAX_LIMIT as i64).contains(&l) => l as usize,
        Some(_) => {
            c.push(FieldError::new("limit", "out_of_range").with("min", 1).with("max", MAX_LIMIT));
            DEFAULT_LIMIT
        }
    };
    let classes = match class.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(k) => {
            let found = match k.parse::<i64>() {
                Ok(id) => schema.class(yunwei_domain::ids::CiClassId(id)),
                Err(_) => schema.class_by_code(k),
            };
            match found {
                Some(k) => Some(schema.tree.subtree(k.id).into_iter().map(|c| c.0).collect()),
                None => {
                    c.push(FieldError::new("class", "not_found"));
                    None
                }
            }
        }
    };
    Params { depth, limit, classes }
}

/// One CI: what its failure affects (`up`) or what it needs (`down`).
pub async fn of_ci(core: &Core, ctx: &Ctx, id: CiId, q: &ImpactQuery) -> Result<ImpactView> {
    ctx.may_any(&policy::CONFIGURATION_ITEM, Action::Read)?;
    let mut c = Checker::new();
    let direction = match q.direction.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Direction::Up,
        Some(d) => Direction::parse(d).unwrap_or_else(|| {
            c.push(FieldError::new("direction", "not_allowed_value").with("allowed", "up, down"));
            Direction::Up
        }),
    };
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    let p = params(&schema, q.depth, q.limit, q.class.as_deref(), &mut c);
    c.finish()?;
    super::load_ci(&mut rd, &schema, ctx, id, Action::Read).await?;
    drop(rd);
    answer(core, ctx, &schema, direction, vec![id], p).await
}

/// Several CIs failing together: what is down and what is degraded.
pub async fn of_failures(core: &Core, ctx: &Ctx, input: FailuresInput) -> Result<ImpactView> {
    ctx.may_any(&policy::CONFIGURATION_ITEM, Action::Read)?;
    let mut c = Checker::new();
    let mut failed = input.failed.clone();
    failed.sort();
    failed.dedup();
    if failed.is_empty() || failed.len() > MAX_FAILED {
        c.push(FieldError::new("failed", "out_of_range").with("min", 1).with("max", MAX_FAILED));
    }
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    let p = params(&schema, input.depth, input.limit, input.class.as_deref(), &mut c);
    c.finish()?;
    for id in &failed {
        super::load_ci(&mut rd, &schema, ctx, *id, Action::Read).await?;
    }
    drop(rd);
    answer(core, ctx, &schema, Direction::Up, failed, p).await
}

/// Whether the caller may read `ci` (named in an answer) or only count it.
pub(crate) fn readable(schema: &Schema, ctx: &Ctx, ci: &Ci) -> bool {
    !ci.deleted && schema.visible(ctx, ci.class_id) && ctx.decide(&policy::CONFIGURATION_ITEM, Action::Read, &holders(ci)).is_ok()
}

/// A reached CI before naming: id, state, depth, via, redundant, class.
type Raw = (i64, State, u32, Option<i64>, bool, i64);

async fn answer(core: &Core, ctx: &Ctx, schema: &Schema, direction: Direction, failed: Vec<CiId>, p: Params) -> Result<ImpactView> {
    let ids: Vec<i64> = failed.iter().map(|c| c.0).collect();
    let depth = p.depth;
    let (reached, truncated) = super::graph::with_graph(core, move |g| {
        let ixs: Vec<u32> = ids.iter().filter_map(|id| g.index_of(*id)).collect();
        let a = match direction {
            Direction::Up => engine::upstream(g, &ixs, depth, None),
            Direction::Down => match ixs.first() {
                Some(ix) => engine::downstream(g, *ix, depth, None),
                None => engine::Analysis::default(),
            },
        };
        let mut out: Vec<Raw> = a
            .reached
            .iter()
            .map(|r| (g.id_of(r.node), r.state, r.depth, r.via.map(|v| g.id_of(v)), r.redundant, g.class_of(r.node)))
            .collect();
        // A CI with no relations yet is not in the graph; it still failed.
        if direction == Direction::Up {
            for id in ids.iter().filter(|id| g.index_of(**id).is_none()) {
                out.insert(0, (*id, State::Down, 0, None, false, i64::MIN));
            }
        }
        (out, a.truncated)
    })
    .await?;
    let services = schema.service_classes();
    let listed: Vec<&Raw> = reached.iter().filter(|r| r.2 == 0 || p.classes.as_ref().is_none_or(|c| c.contains(&r.5))).collect();
    let more = listed.len() > p.limit;
    let mut wanted: Vec<&Raw> = listed.iter().take(p.limit).copied().collect();
    let mut svc: Vec<&Raw> = if direction == Direction::Up {
        reached.iter().filter(|r| services.contains(&r.5) && r.2 > 0).take(MAX_LIMIT).collect()
    } else {
        Vec::new()
    };
    svc.sort_by_key(|r| (std::cmp::Reverse(r.1), r.2, r.0));
    wanted.extend(svc.iter().copied());
    let mut rows: Vec<Ci> = Vec::new();
    let mut want_ids: Vec<CiId> = wanted.iter().map(|r| CiId(r.0)).collect();
    want_ids.sort();
    want_ids.dedup();
    let mut rd = core.db.read.acquire().await?;
    for chunk in want_ids.chunks(1000) {
        rows.extend(store::get_many(&mut *rd, chunk).await?);
    }
    drop(rd);
    let visible: std::collections::HashMap<i64, &Ci> = rows.iter().filter(|c| readable(schema, ctx, c)).map(|c| (c.id.0, c)).collect();
    let item = |r: &Raw| -> Option<ImpactItem> {
        let ci = visible.get(&r.0)?;
        let class = schema.class(ci.class_id);
        Some(ImpactItem {
            id: ci.id,
            name: ci.name.clone(),
            name_en: ci.name_en.clone(),
            class_code: class.map(|k| k.code.clone()).unwrap_or_default(),
            class_name: class.map(|k| k.name.clone()).unwrap_or_default(),
            class_name_en: class.map(|k| k.name_en.clone()).unwrap_or_default(),
            state: r.1,
            depth: r.2,
            via: r.3.filter(|v| visible.contains_key(v)).map(CiId),
            redundant: r.4,
        })
    };
    let items: Vec<ImpactItem> = listed.iter().take(p.limit).filter_map(|r| item(r)).collect();
    let examined: HashSet<i64> = wanted.iter().map(|r| r.0).collect();
    let hidden = examined.iter().filter(|id| !visible.contains_key(id)).count();
    Ok(ImpactView {
        direction,
        failed,
        depth: p.depth,
        truncated,
        total: reached.len(),
        down: reached.iter().filter(|r| r.1 == State::Down).count(),
        degraded: reached.iter().filter(|r| r.1 == State::Degraded).count(),
        items,
        hidden,
        more,
        business_services: svc.iter().filter_map(|r| item(r)).collect(),
    })
}

/// Most CIs one service's needs may name when narrowing the incident queue.
pub const MAX_NEEDED: usize = 20_000;

/// Every CI the business service's CI needs, down to `MAX_DEPTH`, with the service's own CI:
/// a failure of any of them affects the service (degraded or down). Ids only, to narrow a
/// query that the caller's own grant already limits (the incident queue); so it is not
/// authorised here, and names nothing.
pub(crate) async fn needed_by(core: &Core, service_ci: CiId) -> Result<Vec<i64>> {
    let root = service_ci.0;
    super::graph::with_graph(core, move |g| {
        let mut out = vec![root];
        if let Some(ix) = g.index_of(root) {
            let a = engine::downstream(g, ix, MAX_DEPTH, None);
            out.extend(a.reached.iter().take(MAX_NEEDED).map(|r| g.id_of(r.node)));
        }
        out
    })
    .await
}
