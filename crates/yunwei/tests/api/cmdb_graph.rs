//! The CMDB graph in memory (ADR 0016): two nodes on one database, a relation written
//! through one is in the other's impact answers within a second; a node reads its own
//! writes back at once; the in-memory answer agrees with the plain recursive SQL.

use std::time::{Duration, Instant};
use yunwei_core::cmdb::graph;
use yunwei_domain::cmdb::impact::{self, State};
use yunwei_testkit::harness::TestCore;

async fn one(core: &yunwei_core::Core, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&core.database().read).await.expect(sql).try_get(0).expect("an integer")
}

async fn exec(core: &yunwei_core::Core, sql: String) {
    let mut w = core.database().writer().await.expect("writer");
    sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *w).await.expect(&sql);
}

/// What node `core` says a failure of `ci` does: (CI id, state), depth ≤ 10.
async fn upstream(core: &yunwei_core::Core, ci: i64) -> Vec<(i64, State)> {
    graph::with_graph(core, |g| {
        let Some(ix) = g.index_of(ci) else { return Vec::new() };
        impact::upstream(g, &[ix], 10, None).reached.iter().map(|r| (g.id_of(r.node), r.state)).collect()
    })
    .await
    .expect("impact")
}

/// A server that hosts VMs, and one VM on it.
async fn server_and_vm(core: &yunwei_core::Core) -> (i64, i64) {
    let hosted = "SELECT MIN(r.id) FROM ci_relations r JOIN ci_relation_types t ON t.id = r.type_id \
                  JOIN cis v ON v.id = r.from_ci_id JOIN ci_classes k ON k.id = v.class_id \
                  WHERE t.code = 'hosted_on' AND k.code = 'virtual_machine'";
    let rel = one(core, hosted).await;
    (
        one(core, &format!("SELECT to_ci_id FROM ci_relations WHERE id = {rel}")).await,
        one(core, &format!("SELECT from_ci_id FROM ci_relations WHERE id = {rel}")).await,
    )
}

/// A CI and its history row, as the CMDB's write path leaves them.
async fn new_app(core: &yunwei_core::Core, name: &str) -> i64 {
    let class = one(core, "SELECT id FROM ci_classes WHERE code = 'application'").await;
    exec(core, format!("INSERT INTO cis (class_id, name, created_at, updated_at) VALUES ({class}, '{name}', 1, 1)")).await;
    let id = one(core, &format!("SELECT id FROM cis WHERE name = '{name}'")).await;
    exec(core, format!("INSERT INTO ci_history (ci_id, at, source, op) VALUES ({id}, 1, 'api', 'create')")).await;
    id
}

async fn relate(core: &yunwei_core::Core, from: i64, to: i64, code: &str) {
    let ty = one(core, &format!("SELECT id FROM ci_relation_types WHERE code = '{code}'")).await;
    exec(core, format!("INSERT INTO ci_relations (type_id, from_ci_id, to_ci_id, created_at) VALUES ({ty}, {from}, {to}, 1)")).await;
    let rel = one(core, &format!("SELECT id FROM ci_relations WHERE from_ci_id = {from} AND to_ci_id = {to} AND type_id = {ty}")).await;
    exec(
        core,
        format!("INSERT INTO ci_history (ci_id, relation_id, peer_ci_id, at, source, op) VALUES ({from}, {rel}, {to}, 1, 'api', 'create')"),
    )
    .await;
}

async fn unrelate(core: &yunwei_core::Core, from: i64, to: i64) {
    let rel = one(core, &format!("SELECT id FROM ci_relations WHERE from_ci_id = {from} AND to_ci_id = {to}")).await;
    exec(core, format!("DELETE FROM ci_relations WHERE id = {rel}")).await;
    exec(
        core,
        format!("INSERT INTO ci_history (ci_id, relation_id, peer_ci_id, at, source, op) VALUES ({from}, {rel}, {to}, 1, 'api', 'delete')"),
    )
    .await;
}

async fn within(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn a_relation_written_on_one_node_is_in_another_nodes_impact_within_a_second() {
    let t = TestCore::start().await;
    let loaded = yunwei_core::demo::cmdb::load_cis(&t.core, 300, 900, |_, _| {}).await.expect("demo CMDB");
    assert!(loaded.cis >= 250 && loaded.relations == 900, "{loaded:?}");
    let db = yunwei_store::Db::connect(&t.fresh.url, 4).await.expect("connect node B");
    let config = yunwei_core::CoreConfig { node_id: Some("node-b".into()), ..t.core.config.as_ref().clone() };
    let node_b = yunwei_core::Core::new(db, config, std::sync::Arc::new(yunwei_core::SystemClock));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(graph::run_poller(node_b.clone(), stopping));
    within(Duration::from_secs(30), "node B loads its graph", async || graph::size(&node_b).is_some()).await;
    let (server, vm) = server_and_vm(&t.core).await;
    let app = new_app(&t.core, "两节点测试应用").await;
    assert!(!upstream(&node_b, server).await.iter().any(|(id, _)| *id == app));
    let edges = graph::size(&node_b).unwrap().1;

    relate(&t.core, app, vm, "runs_on").await;
    // The poller alone (no query on B) brings the relation in.
    let took =
        within(Duration::from_secs(1), "the poller applies A's relation", async || graph::size(&node_b).unwrap().1 == edges + 1).await;
    eprintln!("node B had node A's relation after {took:?}");
    let answer = upstream(&node_b, server).await;
    assert!(answer.contains(&(vm, State::Down)), "{answer:?}");
    assert!(answer.contains(&(app, State::Down)), "the app runs on the VM on the failed server: {answer:?}");

    unrelate(&t.core, app, vm).await;
    within(Duration::from_secs(1), "node B forgets the deleted relation", async || {
        !upstream(&node_b, server).await.iter().any(|(id, _)| *id == app)
    })
    .await;

    // A deleted CI leaves the graph with its relations.
    relate(&t.core, app, vm, "runs_on").await;
    within(Duration::from_secs(1), "back again", async || upstream(&node_b, server).await.iter().any(|(id, _)| *id == app)).await;
    exec(&t.core, format!("UPDATE cis SET deleted = 1 WHERE id = {vm}")).await;
    exec(&t.core, format!("INSERT INTO ci_history (ci_id, at, source, op) VALUES ({vm}, 2, 'api', 'delete')")).await;
    within(Duration::from_secs(1), "node B drops the deleted VM", async || {
        let a = upstream(&node_b, server).await;
        !a.iter().any(|(id, _)| *id == vm || *id == app)
    })
    .await;

    let _ = stop.send(true);
    poller.await.expect("poller stops");
    node_b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn a_node_reads_its_own_write_back_at_once_and_agrees_with_the_sql() {
    let t = TestCore::start().await;
    yunwei_core::demo::cmdb::load_cis(&t.core, 400, 1200, |_, _| {}).await.expect("demo CMDB");
    let (server, vm) = server_and_vm(&t.core).await;
    let before = upstream(&t.core, server).await;
    assert!(before.contains(&(server, State::Down)) && before.contains(&(vm, State::Down)), "{before:?}");
    let app = new_app(&t.core, "本节点写入").await;
    relate(&t.core, app, vm, "runs_on").await;
    graph::note_write(&t.core);
    assert!(upstream(&t.core, server).await.contains(&(app, State::Down)), "read back without waiting for the poller");

    // Every CI the SQL reaches is affected in memory, and nothing else (redundancy changes
    // how badly, not whether): checked on every server's business services.
    let svc_class = one(&t.core, "SELECT id FROM ci_classes WHERE code = 'business_service'").await;
    let servers: Vec<i64> = {
        use sqlx::Row;
        sqlx::query("SELECT c.id FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE k.code = 'server' ORDER BY c.id LIMIT 20")
            .fetch_all(&t.core.database().read)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect()
    };
    let mut some_degraded_only = false;
    for s in servers {
        let sql = yunwei_store::cmdb_graph::reached_by_sql(&t.core.database().read, s, 10, svc_class).await.unwrap();
        let classes = std::collections::HashSet::from([svc_class]);
        let mem: Vec<(i64, State)> = graph::with_graph(&t.core, |g| {
            let ix = g.index_of(s).unwrap();
            impact::upstream(g, &[ix], 10, Some(&classes))
                .reached
                .iter()
                .filter(|r| r.node != ix)
                .map(|r| (g.id_of(r.node), r.state))
                .collect()
        })
        .await
        .unwrap();
        let mut ids: Vec<i64> = mem.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        assert_eq!(ids, sql, "server {s}");
        some_degraded_only |= mem.iter().any(|(_, st)| *st == State::Degraded);
    }
    assert!(some_degraded_only, "pools keep some services degraded, not down, when one server fails");
    t.stop().await;
}
