//! `yunwei bench --scenario cmdb-import --rows N`: imports a generated CSV of N servers
//! (name, host name, management IP, CPU cores, status) into a new database in-process,
//! through the same use case as `POST /api/v1/cmdb/imports` (row by row, 500 per commit),
//! and prints the time taken. A second run of the same file measures the all-unchanged path.

use crate::AppError;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use yunwei_core::cmdb::import::{ImportMode, ImportOptions, import};
use yunwei_core::{Core, Ctx, SystemClock};

pub async fn run(rows: u64) -> Result<ExitCode, AppError> {
    let fresh = yunwei_store::testing::FreshDatabase::create().await?;
    let db = yunwei_store::Db::connect(&fresh.url, 2).await?;
    let core = Core::new(db, yunwei_core::CoreConfig { data_dir: fresh.dir.clone(), ..Default::default() }, Arc::new(SystemClock));
    core.prepare().await?;
    let mut csv = String::from("名称,主机名,管理 IP,CPU 核数,状态\r\n");
    for n in 0..rows {
        csv.push_str(&format!(
            "应用服务器 {n:06},app-{n:06},10.{}.{}.{},{},运行中\r\n",
            n / 65_536 % 256,
            n / 256 % 256,
            n % 256,
            8 << (n % 4)
        ));
    }
    let opts = ImportOptions { class: "server".into(), mode: ImportMode::PerRow, dry_run: false, mapping: Default::default() };
    let mut results = Vec::new();
    for pass in ["create", "unchanged"] {
        let started = Instant::now();
        let report = import(&core, &Ctx::system(), csv.as_bytes(), &opts).await?;
        let seconds = started.elapsed().as_secs_f64();
        results.push(serde_json::json!({
            "pass": pass, "rows": report.total, "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "failed": report.failed, "seconds": (seconds * 10.0).round() / 10.0,
            "rows_per_second": (report.total as f64 / seconds).round()
        }));
    }
    core.database().close().await;
    let engine = if fresh.url.starts_with("postgres") { "postgresql" } else { "sqlite" };
    let out = serde_json::json!({ "scenario": "cmdb-import", "engine": engine, "bytes": csv.len(), "passes": results });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}
