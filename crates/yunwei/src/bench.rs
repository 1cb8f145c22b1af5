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
    /// `me` (GET /api/v1/me with a bearer token) or `create-team` (POST /api/v1/teams).
    #[arg(long, default_value = "me")]
    scenario: String,
    #[arg(long, default_value_t = 32)]
    clients: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// A PostgreSQL server to create the temporary database on (default: SQLite).
    #[arg(long)]
    postgres: Option<String>,
}

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

pub async fn run(args: BenchArgs) -> Result<ExitCode, AppError> {
    if !matches!(args.scenario.as_str(), "me" | "create-team") {
        return Err(AppError::Other(format!("unknown scenario {:?}: use me or create-team", args.scenario)));
    }
    if let Some(pg) = &args.postgres {
        // SAFETY of intent: set before any other thread reads the environment.
        unsafe { std::env::set_var("YUNWEI_TEST_DATABASE_URL", pg) };
    }
    let fresh = yunwei_core::store::testing::FreshDatabase::create().await?;
    let token = {
        let db = yunwei_core::store::Db::connect(&fresh.url, 2).await?;
        let core = Core::new(db, yunwei_core::CoreConfig { data_dir: fresh.dir.clone(), ..Default::default() }, Arc::new(SystemClock));
        core.prepare().await?;
        yunwei_core::seed::initial_admin(&core, "admin", Some("Bench#Secure2026".into())).await?;
        let admin = yunwei_core::store::admin::get_user_by_username(&core.db.read, "admin")
            .await?
            .ok_or_else(|| AppError::Other("no admin".into()))?;
        let t = yunwei_core::auth::create_token(
            &core,
            &Ctx::system(),
            admin.id,
            yunwei_core::auth::NewTokenInput { name: "bench".into(), scopes: vec![], expires_in_days: Some(1) },
        )
        .await?;
        core.db.close().await;
        t.secret
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().map_err(|e| AppError::Other(format!("{e}")))?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
        .arg(&fresh.dir)
        .args(["--database-url", &fresh.url])
        .env("YUNWEI_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let client = Client::new(addr).bearer(&token);
    let mut ready = false;
    for _ in 0..100 {
        if client.try_send("GET", "/readyz", None, Vec::new()).await.is_ok_and(|r| r.status == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !ready {
        let _ = child.kill();
        return Err(AppError::Other("the server did not become ready".into()));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = rss_mb(child.id());

    let scenario: Arc<str> = args.scenario.clone().into();
    let drive = |seconds: u64, record: bool| {
        let mut tasks = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(seconds);
        for c in 0..args.clients {
            let client = client.clone();
            let scenario = scenario.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(if record { 100_000 } else { 0 });
                let (mut ok, mut failed, mut n) = (0u64, 0u64, 0u64);
                while Instant::now() < deadline {
                    n += 1;
                    let started = Instant::now();
                    let r = match &*scenario {
                        "me" => client.try_send("GET", "/api/v1/me", None, Vec::new()).await,
                        _ => {
                            let body = serde_json::json!({ "name": format!("基准测试组-{record}-{c}-{n}"), "description": "bench" });
                            client.try_send("POST", "/api/v1/teams", Some("application/json"), body.to_string().into_bytes()).await
                        }
                    };
                    if record {
                        lat.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    match r {
                        Ok(res) if res.status < 300 => ok += 1,
                        _ => failed += 1,
                    }
                }
                (lat, ok, failed)
            }));
        }
        tasks
    };
    for t in drive(1, false) {
        let _ = t.await;
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    let (mut ok, mut failed) = (0u64, 0u64);
    for t in drive(args.seconds, true) {
        if let Ok((l, o, f)) = t.await {
            latencies.extend(l);
            ok += o;
            failed += f;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss_after = rss_mb(child.id());
    latencies.sort_unstable();
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    fresh.drop_now().await?;
    let report = serde_json::json!({
        "scenario": args.scenario,
        "database": if fresh.is_postgres() { "postgresql" } else { "sqlite" },
        "clients": args.clients,
        "seconds": (elapsed * 100.0).round() / 100.0,
        "requests_ok": ok,
        "requests_failed": failed,
        "throughput_per_s": ((ok as f64) / elapsed).round(),
        "latency_ms": {
            "p50": percentile(&latencies, 0.50),
            "p95": percentile(&latencies, 0.95),
            "p99": percentile(&latencies, 0.99),
            "max": latencies.last().map(|m| f64::from(*m) / 1000.0).unwrap_or(0.0),
        },
        "server_rss_mb": { "idle": rss_idle, "after_load": rss_after },
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
