//! `yunwei bench --scenario oncall`: who is on call, for a schedule of 3 layers and 50
//! members (a weekly day layer of 20, a night layer of 15, a working-day office layer of 15
//! with the mainland-China calendar) with 20 overrides, on a new database in-process.
//! Measures the engine's entry `duty::who_is_on_call` (load, compile, answer) and the pure
//! answer of a compiled roster, at instants spread over two years; p50/p99/max in ms.

use crate::AppError;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yunwei_core::duty::schedule::{self, LayerInput, OverrideInput, ScheduleInput};
use yunwei_core::{Core, Ctx, SystemClock};
use yunwei_domain::duty::{DayRestriction, RotationKind};
use yunwei_domain::ids::{DutyScheduleId, UserId};

fn percentiles(mut ns: Vec<u64>) -> serde_json::Value {
    ns.sort_unstable();
    let at = |q: f64| ns.get(((ns.len() as f64 - 1.0) * q).round() as usize).map_or(0.0, |v| (*v as f64 / 1000.0).round() / 1000.0);
    serde_json::json!({ "calls": ns.len(), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0) })
}

async fn build(core: &Core) -> Result<DutyScheduleId, AppError> {
    let ctx = Ctx::system();
    let mut users = Vec::new();
    for n in 0..50 {
        let input = serde_json::json!({ "username": format!("oncall.{n:02}"), "display_name": format!("值班员{n:02}"), "password": "Bench-Password-2026!" });
        let new = serde_json::from_value(input).map_err(|e| AppError::Other(e.to_string()))?;
        users.push(UserId(yunwei_core::admin::create_user(core, &ctx, new).await?.user.user.id.0));
    }
    let cal = yunwei_core::sla::list_calendars(core, &ctx).await?.into_iter().find(|c| c.is_default).map(|c| c.id);
    let input = ScheduleInput { name: "基准值班表".into(), time_zone: "Asia/Shanghai".into(), calendar_id: cal, ..Default::default() };
    let id = schedule::create(core, &ctx, input).await?.id;
    let layer = |name: &str, kind, members: &[UserId], days, window: Option<(&str, &str)>| LayerInput {
        name: name.into(),
        rotation: kind,
        starts_local: "2026-01-05T09:00".into(),
        restrict_days: days,
        window_from: window.map(|w| w.0.into()),
        window_to: window.map(|w| w.1.into()),
        members: members.to_vec(),
        ..Default::default()
    };
    schedule::add_layer(core, &ctx, id, layer("白班", RotationKind::Weekly, &users[..20], DayRestriction::Any, None)).await?;
    schedule::add_layer(core, &ctx, id, layer("夜班", RotationKind::Daily, &users[20..35], DayRestriction::Any, Some(("18:00", "08:00"))))
        .await?;
    let office = layer("工作日坐席", RotationKind::Daily, &users[35..], DayRestriction::WorkingDays, Some(("09:00", "17:30")));
    schedule::add_layer(core, &ctx, id, office).await?;
    let start = core.now_ms();
    for k in 0..20_i64 {
        let o = OverrideInput {
            user_id: users[k as usize],
            replaces_user_id: None,
            starts_at: start + k * 86_400_000,
            ends_at: start + k * 86_400_000 + 7_200_000,
            reason: String::new(),
        };
        schedule::add_override(core, &ctx, id, o).await?;
    }
    Ok(id)
}

pub async fn run(seconds: u64) -> Result<ExitCode, AppError> {
    let fresh = yunwei_store::testing::FreshDatabase::create().await?;
    let db = yunwei_store::Db::connect(&fresh.url, 4).await?;
    let core = Core::new(db, yunwei_core::CoreConfig { data_dir: fresh.dir.clone(), ..Default::default() }, Arc::new(SystemClock));
    core.prepare().await?;
    let id = build(&core).await?;
    let now = core.now_ms();
    // Instants spread over two years from now, a prime step apart.
    let instant = |n: u64| now + (n as i64 * 7_919_993) % (730 * 86_400_000);
    let (mut entry, mut n) = (Vec::new(), 0u64);
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(seconds.max(1)) {
        let t = Instant::now();
        std::hint::black_box(yunwei_core::duty::who_is_on_call(&core, id, instant(n)).await?);
        entry.push(t.elapsed().as_nanos() as u64);
        n += 1;
    }
    let compiled = yunwei_core::duty::oncall::roster(&core, id, now).await?;
    let (mut pure, mut n) = (Vec::new(), 0u64);
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(seconds.max(1)) {
        let t = Instant::now();
        std::hint::black_box(compiled.on_call(instant(n)));
        pure.push(t.elapsed().as_nanos() as u64);
        n += 1;
    }
    core.database().close().await;
    let engine = if fresh.url.starts_with("postgres") { "postgresql" } else { "sqlite" };
    let out = serde_json::json!({
        "scenario": "oncall", "engine": engine, "layers": 3, "members": 50, "overrides": 20, "seconds": seconds,
        "who_is_on_call": percentiles(entry), "compiled_roster": percentiles(pure)
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}
