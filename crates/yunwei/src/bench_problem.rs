//! `yunwei bench --scenario problem-scan`: the recurrence scan (PRB-1, ADR 0025) over a day's
//! 50,000 incidents spread over 40 categories and 200 CIs, on a new database in-process. Times
//! `problem::scan` (read the unlinked incidents and suggestions, evaluate the rules, write the
//! suggestions) cold, then again with every suggestion pending (the refresh path); the bound
//! is 1 s.

use crate::AppError;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use yunwei_core::{Core, SystemClock};
use yunwei_domain::ids::IncidentId;
use yunwei_store::incident::{CategoryFields, Incident};

const INCIDENTS: i64 = 50_000;

pub async fn run() -> Result<ExitCode, AppError> {
    let fresh = yunwei_store::testing::FreshDatabase::create().await?;
    let db = yunwei_store::Db::connect(&fresh.url, 4).await?;
    let core = Core::new(db, yunwei_core::CoreConfig { data_dir: fresh.dir.clone(), ..Default::default() }, Arc::new(SystemClock));
    core.prepare().await?;
    let now = core.now_ms();
    let backend = core.database().backend;
    let mut conn = core.database().writer().await?;
    let mut categories = Vec::new();
    for n in 0..40 {
        let f = CategoryFields { name: format!("分类{n:02}"), name_en: String::new(), parent_id: None, team_id: None, active: true };
        categories.push(yunwei_store::incident::insert_category(&mut conn, &f, now).await?);
    }
    let rows: Vec<Incident> = (1..=INCIDENTS)
        .map(|n| Incident {
            id: IncidentId(n),
            title: format!("事件 {n}"),
            category_id: Some(categories[(n % 40) as usize]),
            created_at: now - (INCIDENTS - n) * 1_700,
            updated_at: now,
            version: 1,
            ..Incident::default()
        })
        .collect();
    for chunk in rows.chunks(5_000) {
        yunwei_store::incident::insert_many(&mut conn, backend, chunk).await?;
    }
    drop(conn);
    let t = Instant::now();
    let cold = yunwei_core::problem::scan(&core).await?;
    let cold_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let again = yunwei_core::problem::scan(&core).await?;
    let again_ms = t.elapsed().as_secs_f64() * 1000.0;
    let out = serde_json::json!({
        "scenario": "problem-scan",
        "incidents": INCIDENTS,
        "cold": { "ms": (cold_ms * 10.0).round() / 10.0, "raised": cold.raised },
        "again": { "ms": (again_ms * 10.0).round() / 10.0, "raised": again.raised, "refreshed": again.refreshed },
        "bound_ms": 1000
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}
