//! A generated CMDB of realistic shape for the impact benchmark: business services run on
//! applications, applications on software instances, instances on clusters (pools of 2–8
//! VMs, some needing 2 healthy), VMs on servers and storage, servers in racks fed by power,
//! racks in data centres; servers connect to network devices. Written with the bulk path
//! (indexes suspended, big transactions), numbered after the CIs already there.

use super::Rng;
use crate::{Core, CoreError, Ctx, Result};
use std::collections::HashMap;
use yunwei_store::cmdb_graph::{self as store, BulkCi, BulkRelation};

/// CIs per batch sent to the writer.
const BATCH: usize = 20_000;

/// What a bulk load wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loaded {
    pub cis: u64,
    pub relations: u64,
}

const SERVICES: &[(&str, &str)] = &[
    ("个人网银", "Personal e-banking"),
    ("手机银行", "Mobile banking"),
    ("柜面业务", "Counter services"),
    ("信贷审批", "Credit approval"),
    ("支付清算", "Payments and clearing"),
    ("对公结算", "Corporate settlement"),
    ("理财销售", "Wealth management sales"),
    ("反洗钱监测", "Anti-money-laundering"),
];

const APPS: &[(&str, &str)] = &[
    ("核心业务系统", "Core banking"),
    ("渠道管理平台", "Channel platform"),
    ("信贷管理系统", "Loan management"),
    ("统一支付平台", "Payment hub"),
    ("客户信息系统", "Customer information"),
    ("数据仓库", "Data warehouse"),
];

/// The plan: how many of each class, from `cis` and `relations` asked for.
struct Plan {
    clusters: usize,
    /// Start of each cluster's VMs (prefix sums of pool sizes 2–8), plus the end.
    vm_start: Vec<usize>,
    servers: usize,
    racks: usize,
    power: usize,
    storage: usize,
    network: usize,
    instances: usize,
    apps: usize,
    services: usize,
    locations: usize,
}

impl Plan {
    fn new(cis: usize, rng: &mut Rng) -> Plan {
        // About 8.7 CIs per cluster in this shape.
        let clusters = (cis * 10 / 87).max(1);
        let mut vm_start = Vec::with_capacity(clusters + 1);
        let mut at = 0;
        for _ in 0..clusters {
            vm_start.push(at);
            at += 2 + rng.below(7);
        }
        vm_start.push(at);
        let vms = at;
        let servers = (vms / 4).max(1);
        let racks = (servers / 16).max(1);
        Plan {
            clusters,
            vm_start,
            servers,
            racks,
            power: (racks / 10).max(1),
            storage: (vms / 200).max(1),
            network: (servers / 50).max(1),
            instances: clusters,
            apps: (clusters / 4).max(1),
            services: (clusters / 40).max(1),
            locations: 4,
        }
    }

    fn vms(&self) -> usize {
        self.vm_start[self.clusters]
    }
}

/// Id ranges per class, in the order the CIs are written.
struct Ranges {
    first: HashMap<&'static str, i64>,
}

impl Ranges {
    fn id(&self, class: &str, k: usize) -> i64 {
        self.first[class] + k as i64
    }
}

const ORDER: [&str; 11] = [
    "location",
    "power",
    "rack",
    "server",
    "storage",
    "network_device",
    "cluster",
    "virtual_machine",
    "software_instance",
    "application",
    "business_service",
];

fn count(p: &Plan, class: &str) -> usize {
    match class {
        "location" => p.locations,
        "power" => p.power,
        "rack" => p.racks,
        "server" => p.servers,
        "storage" => p.storage,
        "network_device" => p.network,
        "cluster" => p.clusters,
        "virtual_machine" => p.vms(),
        "software_instance" => p.instances,
        "application" => p.apps,
        _ => p.services,
    }
}

/// Loads about `cis` CIs and exactly `relations` relations (fewer if the shape's own
/// relations already exceed it). `progress` hears the rows written so far.
pub async fn load_cis(core: &Core, cis: u64, relations: u64, mut progress: impl FnMut(u64, u64)) -> Result<Loaded> {
    let ctx = Ctx::system();
    let classes: HashMap<String, i64> = store::codes(&core.db.read, "ci_classes").await?.into_iter().collect();
    let types: HashMap<String, i64> = store::codes(&core.db.read, "ci_relation_types").await?.into_iter().collect();
    let class = |c: &str| classes.get(c).copied().ok_or_else(|| CoreError::Internal(format!("CI class {c} is missing")));
    let ty = |c: &str| types.get(c).copied().ok_or_else(|| CoreError::Internal(format!("relation type {c} is missing")));
    let class_ids: Vec<i64> = [
        "location",
        "power",
        "rack",
        "server",
        "storage",
        "network_device",
        "cluster",
        "virtual_machine",
        "web_server",
        "middleware",
        "database_instance",
        "application",
        "business_service",
    ]
    .iter()
    .map(|c| class(c))
    .collect::<Result<_>>()?;
    let type_ids: Vec<i64> = ["hosted_on", "depends_on", "member_of", "runs_on", "uses", "connects_to", "backs_up"]
        .iter()
        .map(|c| ty(c))
        .collect::<Result<_>>()?;
    let page = yunwei_domain::page::PageRequest::parse(Some(200), None, false)?;
    let teams: Vec<i64> = yunwei_store::admin::list_teams(&core.db.read, None, &page).await?.items.iter().map(|t| t.id.0).collect();
    let (max_ci, max_rel) = store::max_ids(&core.db.read).await?;
    let now = core.now_ms();
    let cis = usize::try_from(cis).unwrap_or(usize::MAX);
    let relations = usize::try_from(relations).unwrap_or(usize::MAX);

    let (send, mut batches) = tokio::sync::mpsc::channel::<(Vec<BulkCi>, Vec<BulkRelation>)>(2);
    let generator = tokio::task::spawn_blocking(move || {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let plan = Plan::new(cis, &mut rng);
        let mut first = HashMap::new();
        let mut next = max_ci + 1;
        for c in ORDER {
            first.insert(c, next);
            next += count(&plan, c) as i64;
        }
        let ranges = Ranges { first };
        let mut out = Gen { send, cis: Vec::with_capacity(BATCH), rels: Vec::new(), next_rel: max_rel + 1, now, limit: relations, made: 0 };
        for (i, c) in ORDER.iter().enumerate() {
            for k in 0..count(&plan, c) {
                let id = ranges.id(c, k);
                let team = if teams.is_empty() { None } else { Some(teams[(k + i) % teams.len()]) };
                out.ci(describe(&plan, &class_ids, c, k, id, team, now))?;
            }
        }
        out.flush()?;
        relate(&plan, &ranges, &type_ids, &mut rng, &mut out)?;
        out.flush()
    });
    let mut conn = core.db.writer().await?;
    let suspended = yunwei_store::bulk_load::suspend(&mut conn, core.db.backend, &["cis", "ci_relations"]).await?;
    let mut done = Loaded::default();
    let mut failure = None;
    while let Some((c, r)) = batches.recv().await {
        if let Err(e) = store::bulk_insert(&mut conn, core.db.backend, &c, &r).await {
            failure = Some(e);
            break;
        }
        done.cis += c.len() as u64;
        done.relations += r.len() as u64;
        progress(done.cis, done.relations);
    }
    drop(batches);
    let _ = generator.await;
    yunwei_store::bulk_load::restore(&mut conn, core.db.backend, suspended).await?;
    drop(conn);
    if let Some(e) = failure {
        return Err(e.into());
    }
    let mut tx = core.db.begin().await?;
    yunwei_store::sync_id_sequence(&mut tx, core.db.backend, "cis").await?;
    yunwei_store::sync_id_sequence(&mut tx, core.db.backend, "ci_relations").await?;
    let change = crate::audit::Change::new("ci", "demo", "bulk_load")
        .after(&serde_json::json!({ "cis": done.cis, "relations": done.relations, "first_id": max_ci + 1 }));
    crate::audit::write(core, &mut tx, &ctx, change).await?;
    tx.commit().await?;
    // A serving node reloads its graph on start; this process's own graph starts again too.
    core.cmdb_graph.reset();
    Ok(done)
}

/// Collects rows and sends full batches to the writer.
struct Gen {
    send: tokio::sync::mpsc::Sender<(Vec<BulkCi>, Vec<BulkRelation>)>,
    cis: Vec<BulkCi>,
    rels: Vec<BulkRelation>,
    next_rel: i64,
    now: i64,
    limit: usize,
    made: usize,
}

/// The writer stopped (it failed): stop generating.
struct Stopped;

impl Gen {
    fn ci(&mut self, c: BulkCi) -> std::result::Result<(), Stopped> {
        self.cis.push(c);
        if self.cis.len() >= BATCH { self.flush() } else { Ok(()) }
    }

    /// Adds a relation unless the limit is reached; false once it is.
    fn rel(&mut self, type_id: i64, from: i64, to: i64) -> std::result::Result<bool, Stopped> {
        if self.made >= self.limit {
            return Ok(false);
        }
        self.rels.push(BulkRelation { id: self.next_rel, type_id, from, to, at: self.now });
        self.next_rel += 1;
        self.made += 1;
        if self.rels.len() >= BATCH * 3 {
            self.flush()?;
        }
        Ok(true)
    }

    fn flush(&mut self) -> std::result::Result<(), Stopped> {
        if self.cis.is_empty() && self.rels.is_empty() {
            return Ok(());
        }
        let batch = (std::mem::take(&mut self.cis), std::mem::take(&mut self.rels));
        self.send.blocking_send(batch).map_err(|_| Stopped)
    }
}

fn describe(plan: &Plan, class_ids: &[i64], class: &str, k: usize, id: i64, team: Option<i64>, at: i64) -> BulkCi {
    let n = k + 1;
    let (class_id, name, name_en, attributes, min_healthy) = match class {
        "location" => {
            let (zh, en) = [
                ("总行数据中心", "Head-office data centre"),
                ("同城数据中心", "Metro data centre"),
                ("异地灾备中心", "Remote DR centre"),
                ("北京分行机房", "Beijing branch room"),
            ][k % 4];
            (class_ids[0], zh.to_string(), en.to_string(), r#"{"location_type":"data_center"}"#.to_string(), None)
        }
        "power" => (class_ids[1], format!("配电柜-{n:04}"), format!("PDU-{n:04}"), "{}".into(), None),
        "rack" => (class_ids[2], format!("机柜-{n:05}"), format!("Rack-{n:05}"), "{}".into(), None),
        "server" => (class_ids[3], format!("srv-{n:06}"), format!("srv-{n:06}"), format!(r#"{{"hostname":"srv-{n:06}"}}"#), None),
        "storage" => (class_ids[4], format!("存储-{n:05}"), format!("Storage-{n:05}"), "{}".into(), None),
        "network_device" => {
            let ip = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
            (
                class_ids[5],
                format!("交换机-{n:05}"),
                format!("Switch-{n:05}"),
                format!(r#"{{"device_type":"switch","management_ip":"{ip}"}}"#),
                None,
            )
        }
        "cluster" => {
            let size = plan.vm_start[k + 1] - plan.vm_start[k];
            let mh = if size >= 4 && k.is_multiple_of(3) { Some(2) } else { None };
            (class_ids[6], format!("集群-{n:06}"), format!("Cluster-{n:06}"), r#"{"cluster_type":"load_balanced"}"#.into(), mh)
        }
        "virtual_machine" => (class_ids[7], format!("vm-{n:07}"), format!("vm-{n:07}"), format!(r#"{{"hostname":"vm-{n:07}"}}"#), None),
        "software_instance" => match k % 3 {
            0 => (class_ids[8], format!("Web 服务-{n:06}"), format!("Web server-{n:06}"), "{}".into(), None),
            1 => (class_ids[9], format!("中间件-{n:06}"), format!("Middleware-{n:06}"), "{}".into(), None),
            _ => (class_ids[10], format!("数据库实例-{n:06}"), format!("Database-{n:06}"), r#"{"engine":"oracle"}"#.into(), None),
        },
        "application" => {
            let (zh, en) = APPS[k % APPS.len()];
            (class_ids[11], format!("{zh}-{n:05}"), format!("{en}-{n:05}"), "{}".into(), None)
        }
        _ => {
            let (zh, en) = SERVICES[k % SERVICES.len()];
            (class_ids[12], format!("{zh}-{n:04}"), format!("{en}-{n:04}"), "{}".into(), None)
        }
    };
    let criticality = match class {
        "business_service" => "critical",
        "application" => "high",
        _ => "medium",
    };
    BulkCi { id, class_id, name, name_en, owner_team_id: team, criticality, environment: "production", min_healthy, attributes, at }
}

/// Relations in order of importance, so a low `relations` keeps the skeleton.
fn relate(plan: &Plan, r: &Ranges, t: &[i64], rng: &mut Rng, g: &mut Gen) -> std::result::Result<(), Stopped> {
    let (hosted_on, depends_on, member_of, runs_on, uses, connects_to, backs_up) = (t[0], t[1], t[2], t[3], t[4], t[5], t[6]);
    // Every application serves some business service; some serve two.
    let per = plan.apps.div_ceil(plan.services);
    for k in 0..plan.services {
        let own = (k * per..((k + 1) * per).min(plan.apps)).collect::<Vec<_>>();
        for app in &own {
            g.rel(runs_on, r.id("business_service", k), r.id("application", *app))?;
        }
        let shared = rng.below(plan.apps);
        if !own.contains(&shared) {
            g.rel(runs_on, r.id("business_service", k), r.id("application", shared))?;
        }
    }
    for k in 0..plan.apps {
        for i in 0..4.min(plan.instances) {
            g.rel(runs_on, r.id("application", k), r.id("software_instance", (k * 4 + i) % plan.instances))?;
        }
    }
    for k in 0..plan.instances {
        g.rel(runs_on, r.id("software_instance", k), r.id("cluster", k % plan.clusters))?;
    }
    for c in 0..plan.clusters {
        for v in plan.vm_start[c]..plan.vm_start[c + 1] {
            g.rel(member_of, r.id("virtual_machine", v), r.id("cluster", c))?;
        }
    }
    for v in 0..plan.vms() {
        // Neighbouring VMs of one pool land on different servers.
        g.rel(hosted_on, r.id("virtual_machine", v), r.id("server", (v * 7 + v / plan.servers) % plan.servers))?;
    }
    for s in 0..plan.servers {
        g.rel(hosted_on, r.id("server", s), r.id("rack", s % plan.racks))?;
    }
    for k in 0..plan.racks {
        g.rel(depends_on, r.id("rack", k), r.id("power", k % plan.power))?;
        g.rel(hosted_on, r.id("rack", k), r.id("location", k % plan.locations))?;
    }
    for k in 0..plan.power {
        g.rel(hosted_on, r.id("power", k), r.id("location", k % plan.locations))?;
    }
    for k in 0..plan.storage {
        g.rel(hosted_on, r.id("storage", k), r.id("rack", (k * 13) % plan.racks))?;
    }
    for k in 0..plan.network {
        g.rel(hosted_on, r.id("network_device", k), r.id("rack", (k * 17) % plan.racks))?;
    }
    for v in 0..plan.vms() {
        g.rel(depends_on, r.id("virtual_machine", v), r.id("storage", v % plan.storage))?;
    }
    for k in 0..plan.apps {
        let other = (k + 1 + rng.below(plan.apps.max(2) - 1)) % plan.apps;
        if other != k {
            g.rel(uses, r.id("application", k), r.id("application", other))?;
        }
    }
    // The rest carries no failure: servers' network links, then backups (storage backs up
    // VMs, VMs back each other up), each pair once, until the count asked for is reached.
    let fill: [(i64, &str, usize, &str, usize); 3] = [
        (connects_to, "server", plan.servers, "network_device", plan.network),
        (backs_up, "storage", plan.storage, "virtual_machine", plan.vms()),
        (backs_up, "virtual_machine", plan.vms(), "virtual_machine", plan.vms()),
    ];
    for (ty, from, n_from, to, n_to) in fill {
        // Round `k` joins each source to the target `k` places further on: pairs never repeat.
        for round in 0..n_to {
            for a in 0..n_from {
                let b = (a * 31 + round) % n_to;
                if from == to && b == a {
                    continue;
                }
                if !g.rel(ty, r.id(from, a), r.id(to, b))? {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}
