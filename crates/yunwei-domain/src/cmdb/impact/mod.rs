//! Impact analysis over the CMDB graph: which CIs a failure takes down or
//! degrades (upstream), and what a CI needs (downstream).
//!
//! Along a propagating relation `source → target` the source takes the
//! target's state. A pool/cluster target is different: its members are the
//! sources of `member_of` relations, and it is down only when fewer than
//! `min_healthy` members are up, degraded when any member is not ok. Failure
//! flows from a member to its pool, never from a pool to its members.
//! States only rise (ok < degraded < down) and pool counters only grow, so the
//! fixpoint ends on every graph, cycles included.

mod graph;
#[cfg(test)]
mod tests;

pub use graph::{EdgeSpec, Graph, Ix, NodeSpec, RelationKind, UNKNOWN_CLASS};

use std::collections::{HashMap, HashSet, VecDeque};

/// State of a CI in an analysis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    #[default]
    Ok,
    Degraded,
    Down,
}

impl State {
    pub const ALL: [State; 3] = [State::Ok, State::Degraded, State::Down];

    pub fn code(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Degraded => "degraded",
            State::Down => "down",
        }
    }
}

/// Which way to walk from the CIs asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// What a failure affects (toward business services).
    Up,
    /// What a CI needs (toward hosts, racks, power).
    Down,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "up" => Some(Direction::Up),
            "down" => Some(Direction::Down),
            _ => None,
        }
    }
}

/// Deepest walk a caller may ask for; deeper graphs are cut here.
pub const MAX_DEPTH: u32 = 32;

/// One CI in an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reached {
    pub node: Ix,
    /// Up: the CI's state. Down: `Ok` (nothing failed; the walk lists needs).
    pub state: State,
    /// Fewest relations between this CI and the CIs asked about.
    pub depth: u32,
    /// Up: the CI that first made this one worse than ok. Down: the CI that needs it.
    pub via: Option<Ix>,
    /// Down: one member of the pool `via`, so its failure alone may be absorbed.
    pub redundant: bool,
}

/// Answer of an analysis.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Up: every CI whose state is worse than ok, the failed ones at depth 0.
    /// Down: every CI needed, the asked one excluded. Sorted by depth then index.
    pub reached: Vec<Reached>,
    /// True when the depth limit cut the walk short.
    pub truncated: bool,
}

impl Analysis {
    /// The chain from a failed CI to `node` (both included), following `via`.
    pub fn path(&self, node: Ix) -> Vec<Ix> {
        let by: HashMap<Ix, Option<Ix>> = self.reached.iter().map(|r| (r.node, r.via)).collect();
        let mut path = vec![node];
        let mut seen = HashSet::from([node]);
        let mut at = node;
        while let Some(Some(next)) = by.get(&at) {
            if !seen.insert(*next) || path.len() > MAX_DEPTH as usize * 2 {
                break;
            }
            path.push(*next);
            at = *next;
        }
        path.reverse();
        path
    }
}

struct Slot {
    depth: u32,
    state: State,
    via: Option<Ix>,
}

#[derive(Default, Clone, Copy)]
struct PoolCount {
    members: u32,
    not_ok: u32,
    down: u32,
}

/// Upstream impact of several CIs failing together (all treated as down).
/// `max_depth` bounds the walk (capped at [`MAX_DEPTH`]); `classes`, when
/// given, keeps only CIs of those classes in `reached` (the walk itself
/// still passes through every class, and failed CIs are always listed).
pub fn upstream(g: &Graph, failed: &[Ix], max_depth: u32, classes: Option<&HashSet<i64>>) -> Analysis {
    let max_depth = max_depth.min(MAX_DEPTH);
    // 1. Everything within reach: who depends on a failed CI, and pools it is a member of.
    let mut slots: HashMap<Ix, Slot> = HashMap::new();
    let mut queue = VecDeque::new();
    for &f in failed {
        if (f as usize) < g.node_count() && !slots.contains_key(&f) {
            slots.insert(f, Slot { depth: 0, state: State::Ok, via: None });
            queue.push_back(f);
        }
    }
    let mut truncated = false;
    while let Some(x) = queue.pop_front() {
        let d = slots[&x].depth;
        let ups = g
            .in_edges(x)
            .filter(|&(_, k)| !g.is_pool_kind(k))
            .map(|(s, _)| s)
            .chain(g.out_edges(x).filter(|&(_, k)| g.is_pool_kind(k)).map(|(p, _)| p));
        for y in ups {
            if slots.contains_key(&y) {
                continue;
            }
            if d >= max_depth {
                truncated = true;
                continue;
            }
            slots.insert(y, Slot { depth: d + 1, state: State::Ok, via: None });
            queue.push_back(y);
        }
    }
    // 2. States to a fixpoint inside that set.
    let mut pools: HashMap<Ix, PoolCount> = HashMap::new();
    // First in, first out: the failures are settled before anything they cause.
    let mut work: VecDeque<(Ix, State, Option<Ix>)> =
        failed.iter().filter(|f| slots.contains_key(f)).map(|&f| (f, State::Down, None)).collect();
    while let Some((x, s, from)) = work.pop_front() {
        let Some(slot) = slots.get_mut(&x) else { continue };
        if s <= slot.state {
            continue;
        }
        let old = slot.state;
        slot.state = s;
        // The cause of the first rise only: it rose earlier, so following `via` always ends
        // at a failure (later rises can come round a cycle of pools).
        if old == State::Ok {
            slot.via = from;
        }
        for (src, k) in g.in_edges(x) {
            if !g.is_pool_kind(k) && slots.contains_key(&src) {
                work.push_back((src, s, Some(x)));
            }
        }
        for (p, k) in g.out_edges(x) {
            if !g.is_pool_kind(k) || !slots.contains_key(&p) {
                continue;
            }
            let c = pools.entry(p).or_insert_with(|| PoolCount {
                members: g.in_edges(p).filter(|&(_, k)| g.is_pool_kind(k)).count() as u32,
                ..PoolCount::default()
            });
            if old == State::Ok {
                c.not_ok += 1;
            }
            if s == State::Down {
                c.down += 1;
            }
            let ps = pool_state(*c, g.min_healthy(p));
            if ps > State::Ok {
                work.push_back((p, ps, Some(x)));
            }
        }
    }
    let failed_set: HashSet<Ix> = failed.iter().copied().collect();
    let mut reached: Vec<Reached> = slots
        .into_iter()
        .filter(|(_, s)| s.state > State::Ok)
        .filter(|(n, _)| failed_set.contains(n) || classes.is_none_or(|c| c.contains(&g.class_of(*n))))
        .map(|(node, s)| Reached { node, state: s.state, depth: s.depth, via: s.via, redundant: false })
        .collect();
    reached.sort_unstable_by_key(|r| (r.depth, r.node));
    Analysis { reached, truncated }
}

/// State of a pool from its member counts.
fn pool_state(c: PoolCount, min_healthy: u32) -> State {
    if c.members.saturating_sub(c.down) < min_healthy.max(1) {
        State::Down
    } else if c.not_ok > 0 {
        State::Degraded
    } else {
        State::Ok
    }
}

/// What `root` needs: CIs it depends on, and for a pool its members, to
/// `max_depth`. `classes` filters the answer as in [`upstream`].
pub fn downstream(g: &Graph, root: Ix, max_depth: u32, classes: Option<&HashSet<i64>>) -> Analysis {
    let max_depth = max_depth.min(MAX_DEPTH);
    let mut seen: HashMap<Ix, Reached> = HashMap::new();
    if (root as usize) >= g.node_count() {
        return Analysis::default();
    }
    seen.insert(root, Reached { node: root, state: State::Ok, depth: 0, via: None, redundant: false });
    let mut queue = VecDeque::from([root]);
    let mut truncated = false;
    while let Some(x) = queue.pop_front() {
        let here = seen[&x];
        let needs = g
            .out_edges(x)
            .filter(|&(_, k)| !g.is_pool_kind(k))
            .map(|(t, _)| (t, false))
            .chain(g.in_edges(x).filter(|&(_, k)| g.is_pool_kind(k)).map(|(m, _)| (m, true)));
        for (y, via_pool) in needs {
            if seen.contains_key(&y) {
                continue;
            }
            if here.depth >= max_depth {
                truncated = true;
                continue;
            }
            let r = Reached { node: y, state: State::Ok, depth: here.depth + 1, via: Some(x), redundant: via_pool };
            seen.insert(y, r);
            queue.push_back(y);
        }
    }
    let mut reached: Vec<Reached> =
        seen.into_values().filter(|r| r.node != root && classes.is_none_or(|c| c.contains(&g.class_of(r.node)))).collect();
    reached.sort_unstable_by_key(|r| (r.depth, r.node));
    Analysis { reached, truncated }
}
