//! `yunwei bench --scenario kb-suggest --rows 100000`: suggestions while typing over `--rows`
//! published knowledge articles (Chinese and mixed Chinese/English titles), on a new database
//! in-process. Measures `knowledge::suggest` for two-character Chinese words and mixed
//! queries, and the article read (`knowledge::get`, rendering included); p50/p95/max in ms.

use crate::AppError;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yunwei_core::{Core, Ctx, SystemClock};
use yunwei_domain::ids::ArticleId;

const SUBJECTS: [&str; 10] = ["网络", "数据库", "交换机", "邮箱", "打印机", "VPN", "中间件", "存储", "防火墙", "网银"];
const PROBLEMS: [&str; 8] = ["无法连接", "登录超时", "丢包", "口令过期", "证书失效", "响应缓慢", "磁盘告警", "备份失败"];
const QUERIES: [&str; 10] = ["网络", "超时", "丢包", "邮箱", "存储", "VPN连接", "Oracle 超时", "证书", "打印机卡纸", "nginx 502"];

fn percentiles(mut ns: Vec<u64>) -> serde_json::Value {
    ns.sort_unstable();
    let at = |q: f64| ns.get(((ns.len() as f64 - 1.0) * q).round() as usize).map_or(0.0, |v| (*v as f64 / 1000.0).round() / 1000.0);
    serde_json::json!({ "calls": ns.len(), "p50_ms": at(0.5), "p95_ms": at(0.95), "max_ms": at(1.0) })
}

/// `rows` published articles written straight into the tables (the use cases would take
/// minutes for 100,000), then indexed as the server indexes them.
async fn fill(core: &Core, rows: u64) -> Result<(), AppError> {
    use yunwei_domain::knowledge::{ArticleType, VersionState, Visibility};
    use yunwei_store::knowledge::{self as store, Article, ArticleVersion};
    let mut tx = core.database().begin().await?;
    for n in 0..rows {
        let title = format!("{}{}的处理 {}", SUBJECTS[(n % 10) as usize], PROBLEMS[(n / 10 % 8) as usize], n);
        let body = format!("## 现象\n\n{title}\n\n## 处理\n\n1. 检查日志 nginx Oracle\n2. 重启服务\n");
        let a = Article {
            article_type: ArticleType::OpsManual,
            title: title.clone(),
            state: VersionState::Published,
            visibility: if n % 3 == 0 { Visibility::Internal } else { Visibility::Public },
            published_number: Some(1),
            latest_number: 1,
            views: (n % 97) as i64,
            version: 1,
            ..Article::default()
        };
        let id = store::insert(&mut tx, &a).await?;
        let v = ArticleVersion { article_id: id, number: 1, title, body, state: VersionState::Published, ..ArticleVersion::default() };
        store::insert_version(&mut tx, &v).await?;
    }
    tx.commit().await?;
    yunwei_core::search::rebuild(core).await?;
    Ok(())
}

pub async fn run(rows: u64, seconds: u64) -> Result<ExitCode, AppError> {
    let fresh = yunwei_store::testing::FreshDatabase::create().await?;
    let db = yunwei_store::Db::connect(&fresh.url, 4).await?;
    let core = Core::new(db, yunwei_core::CoreConfig { data_dir: fresh.dir.clone(), ..Default::default() }, Arc::new(SystemClock));
    core.prepare().await?;
    let rows = rows.max(100);
    let filled = Instant::now();
    fill(&core, rows).await?;
    let fill_s = filled.elapsed().as_secs_f64();
    let ctx = Ctx::system();
    let (mut suggest, mut n) = (Vec::new(), 0usize);
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(seconds.max(1)) {
        let t = Instant::now();
        std::hint::black_box(yunwei_core::knowledge::suggest(&core, &ctx, QUERIES[n % QUERIES.len()], Some(5)).await?);
        suggest.push(t.elapsed().as_nanos() as u64);
        n += 1;
    }
    let (mut page, mut n) = (Vec::new(), 0u64);
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(seconds.max(1)) {
        let t = Instant::now();
        let id = ArticleId(1 + (n * 7919 % rows) as i64);
        std::hint::black_box(yunwei_core::knowledge::get(&core, &ctx, id).await?);
        page.push(t.elapsed().as_nanos() as u64);
        n += 1;
    }
    core.database().close().await;
    let engine = if fresh.url.starts_with("postgres") { "postgresql" } else { "sqlite" };
    let out = serde_json::json!({
        "scenario": "kb-suggest", "engine": engine, "articles": rows, "fill_seconds": fill_s, "seconds": seconds,
        "suggest": percentiles(suggest), "article": percentiles(page)
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}
