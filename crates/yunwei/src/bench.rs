//! `yunwei bench`: starts `yunwei serve` on a temporary database, drives it over
//! loopback HTTP with N concurrent keep-alive clients for T seconds, and prints
//! throughput, latency percentiles and the server's memory as JSON.

use crate::AppError;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yunwei_core::{Core, Ctx, SystemClock};
use yunwei_testkit::Client;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// `me` (GET /api/v1/me), `create-team` (POST /api/v1/teams), `create-incident` (POST
    /// /api/v1/incidents), `queue` (a 50-row team queue sorted by SLA due), `queue-text` (the
    /// same queue filtered by a Chinese word, common or rare) or `search` (GET
    /// /api/v1/search with Chinese terms); `calendar` measures business-time deadline
    /// computation in-process (no server; `--clients` is ignored); `crawl` walks every page
    /// of the demo data as five people in two languages (p50/p95/max per page);
    /// `cmdb-import` imports `--rows` generated servers from CSV in-process;
    /// `alert-ingest` posts Alertmanager webhook batches of 100 alerts, 90 of them repeats,
    /// and `alert-ingest-new` batches of 100 new alerts (alerts/s = throughput × 100).
    /// `cmdb-import` imports `--rows` generated servers from CSV in-process; `oncall` asks
    /// who is on call on a 3-layer, 50-member schedule in-process; `problem-scan` times the
    /// recurrence scan of problem suggestions over 50,000 incidents in-process; `kb-suggest`
    /// asks for knowledge suggestions over `--rows` published articles in-process;
    /// `change-calendar` times the change calendar's month and a 50-CI conflict check over
    /// 10,000 changes and `--rows` CIs.
    #[arg(long, default_value = "me")]
    scenario: String,
    #[arg(long, default_value_t = 32)]
    clients: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// A PostgreSQL server to create the temporary database on (default: SQLite).
    #[arg(long)]
    postgres: Option<String>,
    /// Run against this data directory's SQLite database (e.g. one loaded with
    /// `yunwei demo --incidents 1000000`) instead of a new, empty one.
    #[arg(long, conflicts_with = "existing_url")]
    existing: Option<std::path::PathBuf>,
    /// Run against this database (e.g. a PostgreSQL database loaded with `yunwei
    /// --database-url … demo --incidents 1000000`) instead of a new, empty one.
    #[arg(long, conflicts_with = "postgres")]
    existing_url: Option<String>,
    /// `crawl`: how many times each page found is fetched again after the first walk.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// `impact`/`impact-sql` on a new database: load this many generated CIs (three
    /// relations each) first. With `--existing`, the CIs already there are used.
    #[arg(long, default_value_t = 10_000)]
    cis: u64,
    /// `cmdb-import`: rows in the generated CSV of servers.
    #[arg(long, default_value_t = 100_000)]
    rows: u64,
}

const SCENARIOS: [&str; 18] = [
    "me",
    "create-team",
    "create-incident",
    "queue",
    "queue-text",
    "search",
    "calendar",
    "home",
    "crawl",
    "impact",
    "impact-sql",
    "cmdb-import",
    "alert-ingest",
    "alert-ingest-new",
    "oncall",
    "problem-scan",
    "kb-suggest",
    "change-calendar",
];
const SEARCH_TERMS: [&str; 8] = ["网络", "数据库", "交换机", "丢包", "核心业务系统", "连接池", "超时", "北京分行"];
const QUEUE_STATES: &str = "assigned,in_progress,pending";

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx]) / 1000.0
}

/// What the clients need: the database, a token of a user allowed to work incidents, and team ids.
struct Target {
    url: String,
    dir: std::path::PathBuf,
    token: String,
    teams: Vec<i64>,
    /// `impact`: the servers whose failure is asked about, and the business-service class.
    servers: Vec<i64>,
    service_class: i64,
    /// `alert-ingest*`: the integration's token.
    alert_token: String,
    fresh: Option<yunwei_store::testing::FreshDatabase>,
}

async fn prepare(args: &BenchArgs) -> Result<Target, AppError> {
    let (url, dir, fresh) = match (&args.existing, &args.existing_url) {
        (Some(dir), _) => (format!("sqlite://{}?mode=rwc", dir.join("yunwei.db").display()), dir.clone(), None),
        (None, Some(url)) => {
            let dir = std::env::temp_dir().join(format!("yunwei-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            (url.clone(), dir, None)
        }
        (None, None) => {
            let fresh = yunwei_store::testing::FreshDatabase::create().await?;
            (fresh.url.clone(), fresh.dir.clone(), Some(fresh))
        }
    };
    let db = yunwei_store::Db::connect(&url, 2).await?;
    let core = Core::new(db, yunwei_core::CoreConfig { data_dir: dir.clone(), ..Default::default() }, Arc::new(SystemClock));
    core.prepare().await?;
    let ctx = Ctx::system();
    // Separation of duties: teams are the system administrator's, incidents a director's.
    let (username, role) =
        if args.scenario == "create-team" { ("bench.admin", "system_admin") } else { ("bench.director", "ops_director") };
    let user = match yunwei_store::admin::get_user_by_username(&core.database().read, username).await? {
        Some(u) => u.id,
        None => {
            let input = bench_user(username, "基准测试", role, "Bench#Secure2026");
            yunwei_core::admin::create_user(&core, &ctx, input).await?.user.user.id
        }
    };
    let token = yunwei_core::auth::create_token(
        &core,
        &ctx,
        user,
        yunwei_core::auth::NewTokenInput { name: "bench".into(), scopes: vec![], expires_in_days: Some(1) },
    )
    .await?
    .secret;
    let page = yunwei_domain::page::PageRequest::parse(Some(200), None, false).map_err(yunwei_core::CoreError::from)?;
    let mut teams: Vec<i64> =
        yunwei_store::admin::list_teams(&core.database().read, None, &page).await?.items.iter().map(|t| t.id.0).collect();
    if teams.is_empty() {
        let t = yunwei_core::admin::TeamInput {
            name: "基准测试组".into(),
            name_en: "Benchmark team".into(),
            description: String::new(),
            email: None,
            manager_id: None,
            members: None,
        };
        teams.push(yunwei_core::admin::create_team(&core, &ctx, t).await?.team.id.0);
    }
    let (mut servers, mut service_class) = (Vec::new(), 0);
    if args.scenario.starts_with("impact") {
        let (cis, _, _) = yunwei_store::cmdb_graph::bench_targets(&core.database().read, 1).await?;
        if cis < 100 {
            let started = Instant::now();
            let loaded = yunwei_core::demo::cmdb::load_cis(&core, args.cis, args.cis * 3, |_, _| {}).await?;
            eprintln!("loaded {} CIs and {} relations in {:.1} s", loaded.cis, loaded.relations, started.elapsed().as_secs_f64());
        }
        (_, service_class, servers) = yunwei_store::cmdb_graph::bench_targets(&core.database().read, 5000).await?;
        if servers.is_empty() {
            return Err(AppError::Other("no servers in the CMDB to fail".into()));
        }
    }
    let alert_token = if args.scenario.starts_with("alert-ingest") {
        let input = serde_json::from_value(serde_json::json!({ "name": format!("基准测试-{}", std::process::id()) }))
            .map_err(|e| AppError::Other(e.to_string()))?;
        yunwei_core::alert::create_integration(&core, &ctx, input).await?.token
    } else {
        String::new()
    };
    core.database().close().await;
    Ok(Target { url, dir, token, teams, servers, service_class, alert_token, fresh })
}

/// One request of the scenario; `n` varies the content.
async fn request(client: &Client, scenario: &str, target: &Target, c: usize, n: u64) -> Result<yunwei_testkit::TestResponse, String> {
    let json = Some("application/json");
    match scenario {
        "me" => client.try_send("GET", "/api/v1/me", None, Vec::new()).await,
        // The workbench home page as the director sees it: lists, team counts and the 30-day charts.
        "home" => client.try_send("GET", "/", None, Vec::new()).await,
        // All affected business services of one server, depth ≤ 10, through the API.
        "impact" => {
            let server = target.servers[(n as usize * 7919 + c * 104_729) % target.servers.len()];
            client
                .try_send("GET", &format!("/api/v1/cmdb/cis/{server}/impact?depth=10&class=business_service&limit=50"), None, Vec::new())
                .await
        }
        "create-team" => {
            let body = serde_json::json!({ "name": format!("基准测试组-{c}-{n}-{}", std::process::id()), "description": "bench" });
            client.try_send("POST", "/api/v1/teams", json, body.to_string().into_bytes()).await
        }
        "create-incident" => {
            let team = target.teams[(n as usize + c) % target.teams.len()];
            let (system, impact) = (["核心交换机", "数据库连接池", "柜面系统"][n as usize % 3], ["high", "medium", "low"][n as usize % 3]);
            let body = serde_json::json!({
                "title": format!("{system}网络丢包 {c}-{n}"),
                "description": "09:20 起同城数据中心核心交换机端口丢包约 5%，柜面交易响应变慢。",
                "impact": impact, "urgency": "medium", "team_id": team, "channel": "phone"
            });
            client.try_send("POST", "/api/v1/incidents", json, body.to_string().into_bytes()).await
        }
        "alert-ingest" | "alert-ingest-new" => {
            let body = alert_batch(c, n, scenario == "alert-ingest");
            client.try_send("POST", &format!("/integrations/alertmanager/{}", target.alert_token), json, body.into_bytes()).await
        }
        "queue" => {
            let team = target.teams[(n as usize + c) % target.teams.len()];
            let path = format!("/api/v1/incidents?team_id={team}&state={QUEUE_STATES}&sort=sla_due&limit=50");
            client.try_send("GET", &path, None, Vec::new()).await
        }
        "queue-text" => {
            let team = target.teams[(n as usize + c) % target.teams.len()];
            let term = url_encode(SEARCH_TERMS[(n as usize / target.teams.len().max(1) + c) % SEARCH_TERMS.len()]);
            let path = format!("/api/v1/incidents?team_id={team}&state={QUEUE_STATES}&sort=sla_due&limit=50&q={term}");
            client.try_send("GET", &path, None, Vec::new()).await
        }
        _ => {
            let term = SEARCH_TERMS[(n as usize + c) % SEARCH_TERMS.len()];
            client.try_send("GET", &format!("/api/v1/search?q={}&limit=20", url_encode(term)), None, Vec::new()).await
        }
    }
}

/// An Alertmanager webhook body (payload version 4) of 100 alerts. With `repeats`, 90 are the
/// client's standing alerts, sent again every time (as Alertmanager re-sends a group) and 10
/// are new; without, all 100 are new.
fn alert_batch(c: usize, n: u64, repeats: bool) -> String {
    let alerts: Vec<serde_json::Value> = (0..100)
        .map(|i| {
            let key = if repeats && i < 90 { format!("standing-{c}-{i}") } else { format!("new-{c}-{n}-{i}") };
            serde_json::json!({
                "status": "firing",
                "labels": { "alertname": "HostDown", "instance": format!("10.{c}.{}.{i}:9100", n % 250), "severity": "critical", "key": key },
                "annotations": { "summary": "主机宕机", "description": "node_exporter 无响应" },
                "startsAt": "2026-12-07T08:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph", "fingerprint": key
            })
        })
        .collect();
    serde_json::json!({
        "version": "4", "groupKey": format!("{{}}:{{bench=\"{c}\"}}"), "truncatedAlerts": 0, "status": "firing", "receiver": "yunwei",
        "groupLabels": {}, "commonLabels": { "alertname": "HostDown" }, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": alerts
    })
    .to_string()
}

fn url_encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// After a create-incident run: how long until a new incident is found by search.
async fn index_lag_ms(client: &Client) -> Option<f64> {
    let marker = format!("索引延迟{}", std::process::id());
    let body = serde_json::json!({ "title": format!("{marker} 网络"), "description": "检查索引延迟", "impact": "low", "urgency": "low" });
    let started = Instant::now();
    let created = client.try_send("POST", "/api/v1/incidents", Some("application/json"), body.to_string().into_bytes()).await.ok()?;
    let number = created.json()["number"].as_str()?.to_string();
    while started.elapsed() < Duration::from_secs(30) {
        let found = client.try_send("GET", &format!("/api/v1/search?q={}", url_encode(&marker)), None, Vec::new()).await.ok()?;
        if found.text().contains(&number) {
            return Some((started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// `yunwei serve` on `url` in a child process on a free loopback port, once it answers /readyz.
pub(crate) async fn start_server(url: &str, dir: &std::path::Path) -> Result<(std::process::Child, std::net::SocketAddr), AppError> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().map_err(|e| AppError::Other(format!("{e}")))?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
        .arg(dir)
        .args(["--database-url", url])
        .env("YUNWEI_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let client = Client::new(addr);
    for _ in 0..100 {
        if client.try_send("GET", "/readyz", None, Vec::new()).await.is_ok_and(|r| r.status == 200) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            return Ok((child, addr));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    Err(AppError::Other("the server did not become ready".into()))
}

pub async fn run(args: BenchArgs) -> Result<ExitCode, AppError> {
    if !SCENARIOS.contains(&args.scenario.as_str()) {
        return Err(AppError::Other(format!("unknown scenario {:?}: use one of {}", args.scenario, SCENARIOS.join(", "))));
    }
    if args.scenario == "calendar" {
        return calendar(args.seconds);
    }
    if let Some(pg) = &args.postgres {
        // SAFETY of intent: set before any other thread reads the environment.
        unsafe { std::env::set_var("YUNWEI_TEST_DATABASE_URL", pg) };
    }
    if args.scenario == "crawl" {
        return crate::bench_crawl::run(args.rounds).await;
    }
    if args.scenario == "cmdb-import" {
        return crate::bench_import::run(args.rows).await;
    }
    if args.scenario == "oncall" {
        return crate::bench_oncall::run(args.seconds).await;
    }
    if args.scenario == "problem-scan" {
        return crate::bench_problem::run().await;
    }
    if args.scenario == "kb-suggest" {
        return crate::bench_knowledge::run(args.rows, args.seconds).await;
    }
    if args.scenario == "change-calendar" {
        return crate::bench_change_calendar::run(args.rows, args.seconds).await;
    }
    let target = Arc::new(prepare(&args).await?);
    if args.scenario == "impact-sql" {
        let sql = impact_sql(&target, args.clients, args.seconds).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "scenario": "impact-sql", "impact_sql": sql })).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let token = target.token.clone();
    let (mut child, addr) = start_server(&target.url, &target.dir).await?;
    let client = Client::new(addr).bearer(&token);
    let rss_idle = rss_mb(child.id());

    let scenario: Arc<str> = args.scenario.clone().into();
    let drive = |seconds: u64, record: bool| {
        let mut tasks = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(seconds);
        for c in 0..args.clients {
            let client = client.clone();
            let scenario = scenario.clone();
            let target = target.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(if record { 100_000 } else { 0 });
                // The warm-up counts from zero, the measured run from a million: created names never repeat.
                let (mut ok, mut failed, mut n) = (0u64, 0u64, if record { 1_000_000u64 } else { 0 });
                let mut first_failure: Option<String> = None;
                while Instant::now() < deadline {
                    n += 1;
                    let started = Instant::now();
                    let r = request(&client, &scenario, &target, c, n).await;
                    if record {
                        lat.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    match r {
                        Ok(res) if res.status < 300 => ok += 1,
                        other => {
                            failed += 1;
                            if first_failure.is_none() {
                                first_failure = Some(match other {
                                    Ok(res) => format!("{} {}", res.status, res.text().chars().take(300).collect::<String>()),
                                    Err(e) => e,
                                });
                            }
                        }
                    }
                }
                (lat, ok, failed, first_failure)
            }));
        }
        tasks
    };
    for t in drive(1, false) {
        let _ = t.await;
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    let (mut ok, mut failed, mut first_failure) = (0u64, 0u64, None);
    for t in drive(args.seconds, true) {
        if let Ok((l, o, f, why)) = t.await {
            latencies.extend(l);
            ok += o;
            failed += f;
            first_failure = first_failure.or(why);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss_after = rss_mb(child.id());
    let lag = if args.scenario == "create-incident" { index_lag_ms(&client).await } else { None };
    // The same question by plain recursive SQL, in the same run, on the same data.
    let sql = if args.scenario == "impact" { Some(impact_sql(&target, args.clients, args.seconds).await?) } else { None };
    latencies.sort_unstable();
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let postgres = target.url.starts_with("postgres");
    if let Some(fresh) = Arc::into_inner(target).and_then(|t| t.fresh) {
        fresh.drop_now().await?;
    }
    let report = serde_json::json!({
        "scenario": args.scenario,
        "database": if postgres { "postgresql" } else { "sqlite" },
        "existing_data": args.existing.as_ref().map(|d| d.display().to_string()).or_else(|| args.existing_url.as_ref().map(|u| u.rsplit('@').next().unwrap_or_default().to_string())),
        "index_lag_ms": lag,
        "clients": args.clients,
        "seconds": (elapsed * 100.0).round() / 100.0,
        "requests_ok": ok,
        "requests_failed": failed,
        "first_failure": first_failure,
        "throughput_per_s": ((ok as f64) / elapsed).round(),
        "latency_ms": {
            "p50": percentile(&latencies, 0.50),
            "p95": percentile(&latencies, 0.95),
            "p99": percentile(&latencies, 0.99),
            "max": latencies.last().map(|m| f64::from(*m) / 1000.0).unwrap_or(0.0),
        },
        "server_rss_mb": { "idle": rss_idle, "after_load": rss_after },
        "impact_sql": sql,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Business-time deadlines per second on one core: 10,000 start times spread over two
/// years × 100 targets from 30 minutes to 5 business days, on the shipped mainland-China
/// office calendar (no DST) and on an office calendar in Berlin (with DST).
fn calendar(seconds: u64) -> Result<ExitCode, AppError> {
    use yunwei_calendar::{Calendar, CalendarSpec, bench_deadlines};
    let build = |spec: &CalendarSpec| Calendar::new(spec).map_err(|e| AppError::Other(format!("{e:?}")));
    let calendars = [
        ("china_office Asia/Shanghai", build(&CalendarSpec::china_office("Asia/Shanghai"))?),
        ("office Europe/Berlin", build(&CalendarSpec::office("Europe/Berlin"))?),
    ];
    let first = jiff::Timestamp::from_second(1_767_225_600).map_err(|e| AppError::Other(e.to_string()))?; // 2026-01-01
    let starts: Vec<jiff::Timestamp> =
        (0..10_000i64).filter_map(|k| jiff::Timestamp::from_second(first.as_second() + k * 6_307).ok()).collect();
    let targets: Vec<i64> = (0..100i64).map(|k| 1_800 + k * (5 * 8 * 3_600 - 1_800) / 99).collect();
    let mut results = Vec::new();
    for (name, cal) in &calendars {
        let (mut done, mut checksum) = (0u64, 0u64);
        let began = Instant::now();
        while began.elapsed() < Duration::from_secs(seconds.max(1)) {
            checksum = std::hint::black_box(bench_deadlines(std::hint::black_box(cal), &starts, &targets));
            done += (starts.len() * targets.len()) as u64;
        }
        let per_second = done as f64 / began.elapsed().as_secs_f64();
        results.push(serde_json::json!({ "calendar": name, "deadlines": done, "per_second": per_second.round(), "checksum": checksum }));
    }
    let out = serde_json::json!({ "scenario": "calendar", "seconds": seconds, "results": results });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}

/// `impact-sql`: the impact question as one recursive SQL query per request (the
/// baseline), by `clients` tasks for `seconds` on their own connection pool.
async fn impact_sql(target: &Target, clients: usize, seconds: u64) -> Result<serde_json::Value, AppError> {
    let db = yunwei_store::Db::connect(&target.url, clients.clamp(1, 32) as u32).await?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (pool, servers, class) = (db.read.clone(), target.servers.clone(), target.service_class);
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut failed, mut n) = (Vec::new(), 0u64, 0usize);
            while Instant::now() < deadline {
                n += 1;
                let server = servers[(n * 7919 + c * 104_729) % servers.len()];
                let started = Instant::now();
                if yunwei_store::cmdb_graph::reached_by_sql(&pool, server, 10, class).await.is_err() {
                    failed += 1;
                }
                lat.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            (lat, failed)
        }));
    }
    let (mut lat, mut failed) = (Vec::new(), 0);
    for t in tasks {
        if let Ok((l, f)) = t.await {
            lat.extend(l);
            failed += f;
        }
    }
    db.close().await;
    lat.sort_unstable();
    Ok(serde_json::json!({
        "requests": lat.len(), "failed": failed, "throughput_per_s": (lat.len() as f64 / seconds.max(1) as f64).round(),
        "latency_ms": { "p50": percentile(&lat, 0.50), "p95": percentile(&lat, 0.95), "p99": percentile(&lat, 0.99), "max": lat.last().map(|m| f64::from(*m) / 1000.0).unwrap_or(0.0) },
    }))
}

/// A Chinese-speaking account with one role and its password, for a benchmark to sign in as.
pub(crate) fn bench_user(username: &str, display_name: &str, role: &str, password: &str) -> yunwei_core::admin::NewUser {
    yunwei_core::admin::NewUser {
        username: username.into(),
        display_name: display_name.into(),
        email: None,
        phone: None,
        department_id: None,
        manager_id: None,
        locale: Some("zh-CN".into()),
        time_zone: None,
        password: Some(password.into()),
        roles: vec![role.into()],
        teams: Vec::new(),
    }
}
