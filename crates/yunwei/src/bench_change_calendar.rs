//! `yunwei bench --scenario change-calendar`: 10,000 scheduled changes over a year and a demo
//! CMDB (`--rows` CIs, three relations each), on a new database in-process. Measures the
//! change calendar's month (`change::calendar`) and the schedule check of a change touching 50
//! CIs against the changes overlapping it (`change::schedule_check`: freezes, conflicts through
//! the impact paths, peak); p50/p99/max in ms. Issue 13 asks p95 < 30 ms and < 50 ms.

use crate::AppError;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yunwei_core::{Core, Ctx, SystemClock};
use yunwei_domain::change::{ChangeState, ChangeType};
use yunwei_domain::ids::{ChangeId, CiId};
use yunwei_store::change::Change;

const DAY: i64 = 86_400_000;

fn percentiles(mut ns: Vec<u64>) -> serde_json::Value {
    ns.sort_unstable();
    let at = |q: f64| ns.get(((ns.len() as f64 - 1.0) * q).round() as usize).map_or(0.0, |v| (*v as f64 / 1000.0).round() / 1000.0);
    serde_json::json!({ "calls": ns.len(), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0) })
}

fn row(title: String, start: i64, hours: i64, now: i64) -> Change {
    Change {
        title,
        change_type: ChangeType::Normal,
        state: ChangeState::Approved,
        steps: serde_json::json!([]),
        risk_answers: serde_json::json!({}),
        risk_reasons: serde_json::json!([]),
        approval_stages: serde_json::json!([]),
        window_start: Some(start),
        window_end: Some(start + hours * 3_600_000),
        approvals_needed: 1,
        created_at: now,
        updated_at: now,
        version: 1,
        ..Change::default()
    }
}

/// 10,000 changes over the coming year, each on one CI, and one on 50 CIs in a week's time.
async fn build(core: &Core, cis: &[i64]) -> Result<ChangeId, AppError> {
    let now = core.now_ms();
    let mut tx = core.database().begin().await?;
    for n in 0..10_000_i64 {
        let c = row(format!("基准变更{n:05}"), now + (n * 3_153_599) % (365 * DAY), 2, now);
        let id = yunwei_store::change::insert(&mut tx, &c).await?;
        let ci = cis[(n as usize * 7) % cis.len()];
        yunwei_store::change::set_cis(&mut tx, id, &[CiId(ci)]).await?;
    }
    let wide = row("基准大变更".into(), now + 7 * DAY, 4, now);
    let id = yunwei_store::change::insert(&mut tx, &wide).await?;
    let many: Vec<CiId> = cis.iter().step_by((cis.len() / 50).max(1)).take(50).map(|c| CiId(*c)).collect();
    yunwei_store::change::set_cis(&mut tx, id, &many).await?;
    core.commit(tx).await?;
    Ok(id)
}

pub async fn run(rows: u64, seconds: u64) -> Result<ExitCode, AppError> {
    let fresh = yunwei_store::testing::FreshDatabase::create().await?;
    let db = yunwei_store::Db::connect(&fresh.url, 4).await?;
    let core = Core::new(db, yunwei_core::CoreConfig { data_dir: fresh.dir.clone(), ..Default::default() }, Arc::new(SystemClock));
    core.prepare().await?;
    let cis = rows.max(1000);
    yunwei_core::demo::cmdb::load_cis(&core, cis, cis * 3, |_, _| {}).await?;
    // A fresh database numbers the demo CIs from 1; the changes use the first few thousand.
    let candidates: Vec<CiId> = (1..=cis.min(5000) as i64).map(CiId).collect();
    let ids: Vec<i64> = yunwei_store::cmdb::ci::get_many(&core.database().read, &candidates).await?.iter().map(|c| c.id.0).collect();
    let wide = build(&core, &ids).await?;
    let ctx = Ctx::system();
    let now = core.now_ms();
    let (mut month, mut n) = (Vec::new(), 0i64);
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(seconds.max(1)) {
        let from = now + (n % 12) * 30 * DAY;
        let t = Instant::now();
        std::hint::black_box(yunwei_core::change::calendar(&core, &ctx, from, from + 31 * DAY).await?);
        month.push(t.elapsed().as_nanos() as u64);
        n += 1;
    }
    let mut check = Vec::new();
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(seconds.max(1)) {
        let t = Instant::now();
        std::hint::black_box(yunwei_core::change::schedule_check(&core, &ctx, wide).await?);
        check.push(t.elapsed().as_nanos() as u64);
    }
    core.database().close().await;
    let engine = if fresh.url.starts_with("postgres") { "postgresql" } else { "sqlite" };
    let out = serde_json::json!({
        "scenario": "change-calendar", "engine": engine, "changes": 10_000, "cis": cis, "seconds": seconds,
        "month_view": percentiles(month), "conflict_check_50_cis": percentiles(check)
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}
