//! The CMDB graph as compact arrays: CIs are `u32` indices, relations are
//! CSR adjacency (offsets + targets) in both directions, so a million CIs and
//! three million relations fit in well under 100 MB. Writes after the build
//! go to a small overlay (added lists + removed set) that is folded back into
//! the arrays when it grows, so one write costs a hash insert, not a rebuild.

use std::collections::{HashMap, HashSet};

/// Index of a CI inside one [`Graph`].
pub type Ix = u32;

/// What the engine needs to know about one relation type that propagates
/// failure (types that do not propagate are never put in the graph).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelationKind {
    pub type_id: i64,
    /// `member_of`: the source is one member of the target pool/cluster.
    pub pool: bool,
}

/// One CI as the engine sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    pub id: i64,
    pub class_id: i64,
    /// For a pool/cluster: members that must be up; `None` means 1.
    pub min_healthy: Option<u32>,
}

/// A relation: `from` depends on / runs on / is a member of `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EdgeSpec {
    pub from: i64,
    pub to: i64,
    pub type_id: i64,
}

/// Class of a CI that an edge mentions before its own row has been seen.
pub const UNKNOWN_CLASS: i64 = i64::MIN;

#[derive(Default)]
struct Csr {
    off: Vec<u32>,
    to: Vec<Ix>,
    kind: Vec<u8>,
}

impl Csr {
    /// Counting sort of `(key, value, kind)` triples by key.
    fn build(n: usize, edges: &[(Ix, Ix, u8)]) -> Csr {
        let mut off = vec![0u32; n + 1];
        for &(k, _, _) in edges {
            off[k as usize + 1] += 1;
        }
        for i in 0..n {
            off[i + 1] += off[i];
        }
        let mut fill = off.clone();
        let mut to = vec![0; edges.len()];
        let mut kind = vec![0; edges.len()];
        for &(k, v, t) in edges {
            let at = fill[k as usize] as usize;
            to[at] = v;
            kind[at] = t;
            fill[k as usize] += 1;
        }
        Csr { off, to, kind }
    }

    fn slice(&self, i: Ix) -> (&[Ix], &[u8]) {
        let i = i as usize;
        if i + 1 >= self.off.len() {
            return (&[], &[]);
        }
        let (a, b) = (self.off[i] as usize, self.off[i + 1] as usize);
        (&self.to[a..b], &self.kind[a..b])
    }

    fn bytes(&self) -> usize {
        self.off.capacity() * 4 + self.to.capacity() * 4 + self.kind.capacity()
    }
}

/// The graph: nodes, propagating relations in both directions, and the overlay.
pub struct Graph {
    ids: Vec<i64>,
    index: HashMap<i64, Ix>,
    class: Vec<i64>,
    min_healthy: Vec<u32>,
    kinds: Vec<RelationKind>,
    fwd: Csr,
    rev: Csr,
    fwd_add: HashMap<Ix, Vec<(Ix, u8)>>,
    rev_add: HashMap<Ix, Vec<(Ix, u8)>>,
    /// Base edges `(from, to, kind)` removed since the last compaction.
    removed: HashSet<(Ix, Ix, u8)>,
    overlay: usize,
    edges: usize,
}

impl Graph {
    /// Builds the arrays from all nodes and relations. Relations of types not
    /// in `kinds` are dropped (they do not propagate); relations naming an
    /// unknown CI create a placeholder node so the edge is not lost.
    pub fn build(kinds: Vec<RelationKind>, nodes: &[NodeSpec], edges: &[EdgeSpec]) -> Graph {
        let mut g = Graph {
            ids: Vec::with_capacity(nodes.len()),
            index: HashMap::with_capacity(nodes.len()),
            class: Vec::with_capacity(nodes.len()),
            min_healthy: Vec::with_capacity(nodes.len()),
            kinds,
            fwd: Csr::default(),
            rev: Csr::default(),
            fwd_add: HashMap::new(),
            rev_add: HashMap::new(),
            removed: HashSet::new(),
            overlay: 0,
            edges: 0,
        };
        for n in nodes {
            g.upsert_node(*n);
        }
        let mut list = Vec::with_capacity(edges.len());
        let mut seen = HashSet::with_capacity(edges.len());
        for e in edges {
            let Some(k) = g.kind_of(e.type_id) else { continue };
            let (f, t) = (g.ensure(e.from), g.ensure(e.to));
            if seen.insert((f, t, k)) {
                list.push((f, t, k));
            }
        }
        g.set_arrays(&list);
        g
    }

    fn set_arrays(&mut self, list: &[(Ix, Ix, u8)]) {
        let n = self.ids.len();
        self.fwd = Csr::build(n, list);
        let flipped: Vec<_> = list.iter().map(|&(f, t, k)| (t, f, k)).collect();
        self.rev = Csr::build(n, &flipped);
        self.edges = list.len();
        self.fwd_add.clear();
        self.rev_add.clear();
        self.removed.clear();
        self.overlay = 0;
    }

    fn kind_of(&self, type_id: i64) -> Option<u8> {
        self.kinds.iter().position(|k| k.type_id == type_id).and_then(|p| u8::try_from(p).ok())
    }

    /// Adds or replaces a relation type (a type created or changed at run time).
    /// Types beyond 255 are not tracked; the seeded set has eight.
    pub fn set_kind(&mut self, kind: RelationKind) {
        let room = self.kinds.len() < 255;
        match self.kinds.iter_mut().find(|k| k.type_id == kind.type_id) {
            Some(k) => *k = kind,
            None if room => self.kinds.push(kind),
            None => {}
        }
    }

    fn ensure(&mut self, id: i64) -> Ix {
        if let Some(&i) = self.index.get(&id) {
            return i;
        }
        self.upsert_node(NodeSpec { id, class_id: UNKNOWN_CLASS, min_healthy: None })
    }

    /// Adds a CI or updates its class and `min_healthy`.
    pub fn upsert_node(&mut self, n: NodeSpec) -> Ix {
        let mh = n.min_healthy.unwrap_or(1).max(1);
        if let Some(&i) = self.index.get(&n.id) {
            self.class[i as usize] = n.class_id;
            self.min_healthy[i as usize] = mh;
            return i;
        }
        let i = self.ids.len() as Ix;
        self.ids.push(n.id);
        self.class.push(n.class_id);
        self.min_healthy.push(mh);
        self.index.insert(n.id, i);
        i
    }

    /// Removes every relation of a deleted CI; its slot stays until the next build.
    pub fn remove_node(&mut self, id: i64) {
        let Some(&i) = self.index.get(&id) else { return };
        let out: Vec<_> = self.out_edges(i).collect();
        for (t, k) in out {
            self.remove_ix(i, t, k);
        }
        let inc: Vec<_> = self.in_edges(i).collect();
        for (f, k) in inc {
            self.remove_ix(f, i, k);
        }
    }

    /// Adds a relation; returns false when it was already there or does not propagate.
    pub fn insert_edge(&mut self, e: EdgeSpec) -> bool {
        let Some(k) = self.kind_of(e.type_id) else { return false };
        let (f, t) = (self.ensure(e.from), self.ensure(e.to));
        if self.removed.remove(&(f, t, k)) {
            self.edges += 1;
            return true;
        }
        if self.out_edges(f).any(|x| x == (t, k)) {
            return false;
        }
        self.fwd_add.entry(f).or_default().push((t, k));
        self.rev_add.entry(t).or_default().push((f, k));
        self.edges += 1;
        self.grew();
        true
    }

    /// Makes the relations from `from` to `to` exactly those of `type_ids` (the types not
    /// propagating are skipped): how a node applies a relation change it reads back from
    /// history, whatever the change was, as often as it likes.
    pub fn set_pair(&mut self, from: i64, to: i64, type_ids: &[i64]) {
        let want: Vec<u8> = type_ids.iter().filter_map(|t| self.kind_of(*t)).collect();
        if let (Some(&f), Some(&t)) = (self.index.get(&from), self.index.get(&to)) {
            let stale: Vec<u8> = self.out_edges(f).filter(|&(x, k)| x == t && !want.contains(&k)).map(|(_, k)| k).collect();
            for k in stale {
                self.remove_ix(f, t, k);
            }
        }
        for k in want {
            let type_id = self.kinds[k as usize].type_id;
            self.insert_edge(EdgeSpec { from, to, type_id });
        }
    }

    /// Removes a relation; returns false when it was not there.
    pub fn remove_edge(&mut self, e: EdgeSpec) -> bool {
        let (Some(k), Some(&f), Some(&t)) = (self.kind_of(e.type_id), self.index.get(&e.from), self.index.get(&e.to)) else {
            return false;
        };
        self.remove_ix(f, t, k)
    }

    fn remove_ix(&mut self, f: Ix, t: Ix, k: u8) -> bool {
        if let Some(list) = self.fwd_add.get_mut(&f)
            && let Some(p) = list.iter().position(|&x| x == (t, k))
        {
            list.swap_remove(p);
            if let Some(r) = self.rev_add.get_mut(&t) {
                r.retain(|&x| x != (f, k));
            }
            self.edges -= 1;
            return true;
        }
        let (to, kind) = self.fwd.slice(f);
        let in_base = to.iter().zip(kind).any(|(&x, &y)| (x, y) == (t, k));
        if in_base && self.removed.insert((f, t, k)) {
            self.edges -= 1;
            self.grew();
            return true;
        }
        false
    }

    /// Folds the overlay back into the arrays once it is a sizeable share of them.
    fn grew(&mut self) {
        self.overlay += 1;
        if self.overlay > 4096.max(self.edges / 16) {
            self.compact();
        }
    }

    /// Rebuilds the arrays from the current edge set.
    pub fn compact(&mut self) {
        let mut list = Vec::with_capacity(self.edges);
        for f in 0..self.ids.len() as Ix {
            list.extend(self.out_edges(f).map(|(t, k)| (f, t, k)));
        }
        self.set_arrays(&list);
    }

    /// `(target, kind)` of relations whose source is `i`.
    pub fn out_edges(&self, i: Ix) -> impl Iterator<Item = (Ix, u8)> + '_ {
        let (to, kind) = self.fwd.slice(i);
        let base = to.iter().zip(kind).map(|(&t, &k)| (t, k));
        let removed = &self.removed;
        base.filter(move |&(t, k)| removed.is_empty() || !removed.contains(&(i, t, k)))
            .chain(self.fwd_add.get(&i).into_iter().flatten().copied())
    }

    /// `(source, kind)` of relations whose target is `i`.
    pub fn in_edges(&self, i: Ix) -> impl Iterator<Item = (Ix, u8)> + '_ {
        let (from, kind) = self.rev.slice(i);
        let base = from.iter().zip(kind).map(|(&f, &k)| (f, k));
        let removed = &self.removed;
        base.filter(move |&(f, k)| removed.is_empty() || !removed.contains(&(f, i, k)))
            .chain(self.rev_add.get(&i).into_iter().flatten().copied())
    }

    pub fn is_pool_kind(&self, k: u8) -> bool {
        self.kinds.get(k as usize).is_some_and(|x| x.pool)
    }

    pub fn kind(&self, k: u8) -> Option<RelationKind> {
        self.kinds.get(k as usize).copied()
    }

    pub fn index_of(&self, id: i64) -> Option<Ix> {
        self.index.get(&id).copied()
    }

    pub fn id_of(&self, i: Ix) -> i64 {
        self.ids[i as usize]
    }

    pub fn class_of(&self, i: Ix) -> i64 {
        self.class[i as usize]
    }

    pub fn min_healthy(&self, i: Ix) -> u32 {
        self.min_healthy[i as usize]
    }

    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges
    }

    /// Rough heap size of the arrays (the index map counted at its capacity).
    pub fn approx_bytes(&self) -> usize {
        self.ids.capacity() * 8
            + self.class.capacity() * 8
            + self.min_healthy.capacity() * 4
            + self.index.capacity() * 24
            + self.fwd.bytes()
            + self.rev.bytes()
            + self.removed.capacity() * 16
            + self.overlay * 32
    }
}
