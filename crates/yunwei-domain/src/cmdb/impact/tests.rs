use super::*;
use proptest::prelude::*;

const RUNS_ON: i64 = 1;
const MEMBER_OF: i64 = 2;
const CONNECTS: i64 = 3; // not propagating: never given to the graph
const APP: i64 = 10;
const SERVICE: i64 = 11;
const HOST: i64 = 12;

fn kinds() -> Vec<RelationKind> {
    vec![RelationKind { type_id: RUNS_ON, pool: false }, RelationKind { type_id: MEMBER_OF, pool: true }]
}

fn node(id: i64, class_id: i64) -> NodeSpec {
    NodeSpec { id, class_id, min_healthy: None }
}

fn e(from: i64, to: i64, type_id: i64) -> EdgeSpec {
    EdgeSpec { from, to, type_id }
}

fn state_of(g: &Graph, a: &Analysis, id: i64) -> State {
    let ix = g.index_of(id).unwrap();
    a.reached.iter().find(|r| r.node == ix).map_or(State::Ok, |r| r.state)
}

fn up(g: &Graph, failed: &[i64], depth: u32) -> Analysis {
    let f: Vec<Ix> = failed.iter().map(|id| g.index_of(*id).unwrap()).collect();
    upstream(g, &f, depth, None)
}

/// service 1 → app 2 → cluster 3 ← members 4, 5 (VMs) → host 6 (both VMs on one host).
fn shop(min_healthy: Option<u32>) -> Graph {
    let nodes = [
        node(1, SERVICE),
        node(2, APP),
        NodeSpec { id: 3, class_id: 20, min_healthy },
        node(4, 21),
        node(5, 21),
        node(6, HOST),
        node(7, HOST),
    ];
    let edges =
        [e(1, 2, RUNS_ON), e(2, 3, RUNS_ON), e(4, 3, MEMBER_OF), e(5, 3, MEMBER_OF), e(4, 6, RUNS_ON), e(5, 7, RUNS_ON), e(6, 7, CONNECTS)];
    Graph::build(kinds(), &nodes, &edges)
}

#[test]
fn one_member_of_a_two_member_pool_only_degrades_it() {
    let g = shop(None);
    let a = up(&g, &[4], MAX_DEPTH);
    assert_eq!(state_of(&g, &a, 4), State::Down);
    assert_eq!(state_of(&g, &a, 3), State::Degraded);
    assert_eq!(state_of(&g, &a, 2), State::Degraded);
    assert_eq!(state_of(&g, &a, 1), State::Degraded);
    assert_eq!(state_of(&g, &a, 5), State::Ok);
}

#[test]
fn both_members_down_take_the_service_down_with_the_path() {
    let g = shop(None);
    let a = up(&g, &[6, 7], MAX_DEPTH);
    assert_eq!(state_of(&g, &a, 1), State::Down);
    let svc = g.index_of(1).unwrap();
    let path: Vec<i64> = a.path(svc).into_iter().map(|i| g.id_of(i)).collect();
    assert!(path == [6, 4, 3, 2, 1] || path == [7, 5, 3, 2, 1], "{path:?}");
    let r = a.reached.iter().find(|r| r.node == svc).unwrap();
    assert_eq!(r.depth, 4);
}

#[test]
fn min_healthy_two_makes_one_lost_member_fatal() {
    let g = shop(Some(2));
    let a = up(&g, &[5], MAX_DEPTH);
    assert_eq!(state_of(&g, &a, 3), State::Down);
    assert_eq!(state_of(&g, &a, 1), State::Down);
}

#[test]
fn a_non_propagating_relation_carries_nothing() {
    let g = shop(None);
    assert_eq!(g.edge_count(), 6);
    let a = up(&g, &[7], MAX_DEPTH);
    assert_eq!(state_of(&g, &a, 6), State::Ok, "connects_to does not propagate");
    assert_eq!(state_of(&g, &a, 5), State::Down);
}

#[test]
fn depth_cuts_the_walk_and_says_so() {
    let g = shop(None);
    let a = up(&g, &[6], 2);
    assert!(a.truncated);
    assert_eq!(state_of(&g, &a, 3), State::Degraded);
    assert_eq!(state_of(&g, &a, 2), State::Ok, "depth 3 is beyond the limit");
    assert!(!up(&g, &[6], 4).truncated);
}

#[test]
fn class_filter_keeps_failed_and_chosen_classes() {
    let g = shop(None);
    let classes = HashSet::from([SERVICE]);
    let a = upstream(&g, &[g.index_of(4).unwrap()], MAX_DEPTH, Some(&classes));
    let ids: Vec<i64> = a.reached.iter().map(|r| g.id_of(r.node)).collect();
    assert_eq!(ids, vec![4, 1]);
}

#[test]
fn cycles_end() {
    let nodes = [node(1, APP), node(2, APP), node(3, APP)];
    let edges = [e(1, 2, RUNS_ON), e(2, 3, RUNS_ON), e(3, 1, RUNS_ON), e(1, 1, RUNS_ON), e(2, 1, MEMBER_OF), e(1, 2, MEMBER_OF)];
    let g = Graph::build(kinds(), &nodes, &edges);
    let a = up(&g, &[3], MAX_DEPTH);
    assert_eq!(a.reached.len(), 3);
    assert!(a.reached.iter().all(|r| r.state == State::Down));
}

#[test]
fn several_failures_are_analysed_together() {
    let g = shop(None);
    let one = up(&g, &[4], MAX_DEPTH);
    let both = up(&g, &[4, 5], MAX_DEPTH);
    assert_eq!(state_of(&g, &one, 1), State::Degraded);
    assert_eq!(state_of(&g, &both, 1), State::Down);
}

#[test]
fn downstream_lists_needs_and_marks_pool_members() {
    let g = shop(None);
    let a = downstream(&g, g.index_of(1).unwrap(), MAX_DEPTH, None);
    let got: Vec<(i64, u32, bool)> = a.reached.iter().map(|r| (g.id_of(r.node), r.depth, r.redundant)).collect();
    assert_eq!(got, vec![(2, 1, false), (3, 2, false), (4, 3, true), (5, 3, true), (6, 4, false), (7, 4, false)]);
    let hosts = HashSet::from([HOST]);
    let a = downstream(&g, g.index_of(2).unwrap(), 3, Some(&hosts));
    assert_eq!(a.reached.iter().map(|r| g.id_of(r.node)).collect::<Vec<_>>(), vec![6, 7]);
    assert!(!a.truncated);
    assert!(downstream(&g, g.index_of(2).unwrap(), 2, None).truncated);
}

#[test]
fn writes_after_the_build_are_seen_and_are_idempotent() {
    let mut g = shop(None);
    assert!(!g.insert_edge(e(1, 2, RUNS_ON)), "already there");
    assert!(!g.insert_edge(e(1, 6, CONNECTS)), "does not propagate");
    g.upsert_node(node(50, APP));
    assert!(g.insert_edge(e(50, 6, RUNS_ON)));
    assert!(!g.insert_edge(e(50, 6, RUNS_ON)));
    assert_eq!(state_of(&g, &up(&g, &[6], MAX_DEPTH), 50), State::Down);
    assert!(g.remove_edge(e(50, 6, RUNS_ON)));
    assert!(!g.remove_edge(e(50, 6, RUNS_ON)));
    assert!(g.remove_edge(e(2, 3, RUNS_ON)));
    let a = up(&g, &[6, 7], MAX_DEPTH);
    assert_eq!(state_of(&g, &a, 50), State::Ok);
    assert_eq!(state_of(&g, &a, 1), State::Ok, "the app no longer runs on the cluster");
    assert!(g.insert_edge(e(2, 3, RUNS_ON)), "a removed base edge comes back");
    assert_eq!(state_of(&g, &up(&g, &[6, 7], MAX_DEPTH), 1), State::Down);
    g.remove_node(3);
    assert_eq!(g.edge_count(), 3, "1→2, 4→6 and 5→7 remain");
    g.compact();
    assert_eq!(g.edge_count(), 3);
    assert_eq!(state_of(&g, &up(&g, &[6, 7], MAX_DEPTH), 1), State::Ok);
}

#[test]
fn set_pair_makes_the_relations_between_two_cis_exactly_those_given() {
    let mut g = shop(None);
    g.set_pair(4, 3, &[RUNS_ON, CONNECTS]);
    let (f, t) = (g.index_of(4).unwrap(), g.index_of(3).unwrap());
    let kinds: Vec<i64> = g.out_edges(f).filter(|&(x, _)| x == t).map(|(_, k)| g.kind(k).unwrap().type_id).collect();
    assert_eq!(kinds, vec![RUNS_ON]);
    g.set_pair(4, 3, &[RUNS_ON]);
    assert_eq!(g.edge_count(), 6);
    g.set_pair(4, 3, &[]);
    assert_eq!(g.out_edges(f).filter(|&(x, _)| x == t).count(), 0);
    assert_eq!(g.edge_count(), 5);
}

#[test]
fn an_edge_to_an_unseen_ci_keeps_a_placeholder() {
    let mut g = Graph::build(kinds(), &[node(1, APP)], &[e(1, 99, RUNS_ON)]);
    let ix = g.index_of(99).unwrap();
    assert_eq!(g.class_of(ix), UNKNOWN_CLASS);
    g.upsert_node(node(99, HOST));
    assert_eq!(g.class_of(ix), HOST);
    assert_eq!(state_of(&g, &up(&g, &[99], MAX_DEPTH), 1), State::Down);
}

// ---- properties on random graphs ----

#[derive(Debug, Clone)]
struct Random {
    n: u32,
    edges: Vec<(u32, u32, bool)>,
    min_healthy: Vec<u32>,
    failed: Vec<u32>,
    more: Vec<u32>,
}

fn random() -> impl Strategy<Value = Random> {
    (1u32..24).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec((0..n, 0..n, prop::bool::weighted(0.3)), 0..70),
            prop::collection::vec(1u32..4, n as usize),
            prop::collection::vec(0..n, 0..4),
            prop::collection::vec(0..n, 0..3),
        )
            .prop_map(|(n, edges, min_healthy, failed, more)| Random { n, edges, min_healthy, failed, more })
    })
}

fn build(r: &Random) -> Graph {
    let nodes: Vec<NodeSpec> =
        (0..r.n).map(|i| NodeSpec { id: i as i64 + 100, class_id: i as i64 % 3, min_healthy: Some(r.min_healthy[i as usize]) }).collect();
    let edges: Vec<EdgeSpec> =
        r.edges.iter().map(|&(f, t, p)| e(f as i64 + 100, t as i64 + 100, if p { MEMBER_OF } else { RUNS_ON })).collect();
    Graph::build(kinds(), &nodes, &edges)
}

/// Naive global fixpoint: recompute every state from scratch until nothing changes.
fn reference(g: &Graph, failed: &[Ix]) -> Vec<State> {
    let n = g.node_count();
    let mut st = vec![State::Ok; n];
    for &f in failed {
        st[f as usize] = State::Down;
    }
    loop {
        let mut changed = false;
        for x in 0..n as Ix {
            let mut s = st[x as usize];
            for (t, k) in g.out_edges(x) {
                if !g.is_pool_kind(k) {
                    s = s.max(st[t as usize]);
                }
            }
            let members: Vec<Ix> = g.in_edges(x).filter(|&(_, k)| g.is_pool_kind(k)).map(|(m, _)| m).collect();
            let c = PoolCount {
                members: members.len() as u32,
                not_ok: members.iter().filter(|m| st[**m as usize] > State::Ok).count() as u32,
                down: members.iter().filter(|m| st[**m as usize] == State::Down).count() as u32,
            };
            if c.not_ok > 0 {
                s = s.max(pool_state(c, g.min_healthy(x)));
            }
            if s != st[x as usize] {
                st[x as usize] = s;
                changed = true;
            }
        }
        if !changed {
            return st;
        }
    }
}

fn states(g: &Graph, a: &Analysis) -> Vec<State> {
    let mut st = vec![State::Ok; g.node_count()];
    for r in &a.reached {
        st[r.node as usize] = r.state;
    }
    st
}

proptest! {
    #[test]
    fn upstream_matches_the_naive_fixpoint(r in random()) {
        let g = build(&r);
        let a = upstream(&g, &r.failed, MAX_DEPTH, None);
        prop_assert_eq!(states(&g, &a), reference(&g, &r.failed));
        for f in &r.failed {
            prop_assert_eq!(states(&g, &a)[*f as usize], State::Down);
        }
    }

    #[test]
    fn more_failures_never_make_anything_better(r in random()) {
        let g = build(&r);
        let a = states(&g, &upstream(&g, &r.failed, MAX_DEPTH, None));
        let all: Vec<Ix> = r.failed.iter().chain(&r.more).copied().collect();
        let b = states(&g, &upstream(&g, &all, MAX_DEPTH, None));
        for i in 0..g.node_count() {
            prop_assert!(a[i] <= b[i], "node {} went from {:?} to {:?}", i, a[i], b[i]);
        }
    }

    #[test]
    fn a_depth_limit_only_removes(r in random(), depth in 0u32..5) {
        let g = build(&r);
        let full = upstream(&g, &r.failed, MAX_DEPTH, None);
        let cut = upstream(&g, &r.failed, depth, None);
        let fs = states(&g, &full);
        for x in &cut.reached {
            prop_assert!(x.depth <= depth);
            prop_assert!(x.state <= fs[x.node as usize]);
        }
    }

    #[test]
    fn paths_start_at_a_failure_and_follow_relations(r in random()) {
        let g = build(&r);
        let a = upstream(&g, &r.failed, MAX_DEPTH, None);
        for x in &a.reached {
            let p = a.path(x.node);
            prop_assert!(r.failed.contains(&p[0]), "{:?}", p);
            prop_assert_eq!(*p.last().unwrap(), x.node);
            for w in p.windows(2) {
                let linked = g.in_edges(w[0]).any(|(s, k)| s == w[1] && !g.is_pool_kind(k))
                    || g.out_edges(w[0]).any(|(t, k)| t == w[1] && g.is_pool_kind(k));
                prop_assert!(linked, "{:?} is not a relation", w);
            }
        }
    }

    #[test]
    fn one_member_never_downs_a_two_member_pool_with_min_one(r in random(), pick in 0usize..2) {
        let mut g = build(&r);
        let base = g.node_count() as i64 + 1000;
        g.upsert_node(NodeSpec { id: base, class_id: 0, min_healthy: Some(1) });
        for m in 1..=2 {
            g.upsert_node(NodeSpec { id: base + m, class_id: 0, min_healthy: None });
            g.insert_edge(e(base + m, base, MEMBER_OF));
        }
        let member = g.index_of(base + 1 + pick as i64).unwrap();
        let a = upstream(&g, &[member], MAX_DEPTH, None);
        prop_assert_eq!(states(&g, &a)[g.index_of(base).unwrap() as usize], State::Degraded);
    }

    #[test]
    fn downstream_reaches_only_needs_within_depth(r in random(), depth in 0u32..6, root in 0u32..24) {
        let g = build(&r);
        let root = root % r.n;
        let a = downstream(&g, root, depth, None);
        for x in &a.reached {
            prop_assert!(x.node != root && x.depth >= 1 && x.depth <= depth);
            let v = x.via.unwrap();
            let linked = g.out_edges(v).any(|(t, k)| t == x.node && !g.is_pool_kind(k))
                || g.in_edges(v).any(|(m, k)| m == x.node && g.is_pool_kind(k));
            prop_assert!(linked);
        }
    }

    #[test]
    fn the_overlay_equals_a_fresh_build(r in random(), ops in prop::collection::vec((0u32..24, 0u32..24, any::<bool>(), any::<bool>()), 0..200)) {
        let mut g = build(&r);
        let mut want: HashSet<EdgeSpec> = r.edges.iter().map(|&(f, t, p)| e(f as i64 + 100, t as i64 + 100, if p { MEMBER_OF } else { RUNS_ON })).collect();
        for (i, (f, t, p, add)) in ops.into_iter().enumerate() {
            let x = e((f % r.n) as i64 + 100, (t % r.n) as i64 + 100, if p { MEMBER_OF } else { RUNS_ON });
            if add {
                prop_assert_eq!(g.insert_edge(x), want.insert(x));
            } else {
                prop_assert_eq!(g.remove_edge(x), want.remove(&x));
            }
            if i % 37 == 0 {
                g.compact();
            }
        }
        prop_assert_eq!(g.edge_count(), want.len());
        let mut got = HashSet::new();
        for f in 0..g.node_count() as Ix {
            for (t, k) in g.out_edges(f) {
                prop_assert!(got.insert(e(g.id_of(f), g.id_of(t), g.kind(k).unwrap().type_id)), "duplicate edge");
                prop_prop_in(&g, f, t, k)?;
            }
        }
        prop_assert_eq!(got, want);
    }
}

/// Every forward edge is also a reverse edge.
fn prop_prop_in(g: &Graph, f: Ix, t: Ix, k: u8) -> Result<(), TestCaseError> {
    prop_assert!(g.in_edges(t).any(|x| x == (f, k)), "reverse of {}→{} missing", f, t);
    Ok(())
}
