//! `yunwei bench --scenario crawl`: the demo organisation on a new database, a release
//! server, and five people (a system administrator, a network engineer, a requester, an
//! approver, the audit administrator) each following every same-site link from the home
//! page in zh-CN and in English — as the crawl test does — then walking the pages found
//! again `--rounds` times. Prints p50/p95/max per page (numbers and ids folded into `{n}`)
//! against the 200 ms bound, and fails when a page answers 4xx/5xx or its p95 is over it.

use crate::AppError;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use yunwei_core::{Core, Ctx, SystemClock};
use yunwei_testkit::Client;

/// The bound every page must keep (issue 15).
const BOUND_MS: f64 = 200.0;
/// Pages per person and language at most (a runaway cursor must not run forever).
const MAX_PAGES: usize = 600;

const ROLES: [&str; 5] = ["bench.sysadmin", "net01", "biz01", "branch01", "auditadmin"];

/// The links a crawl follows on a page (as tests/api/crawl.rs reads them).
fn links(html: &str) -> Vec<String> {
    yunwei_testkit::links(html).into_iter().filter(|h| yunwei_testkit::followed(h)).collect()
}

/// The page a path belongs to: the query dropped, numbers folded (`/incidents/INC-000012` →
/// `/incidents/INC-{n}`, `/admin/users/7` → `/admin/users/{n}`).
fn page_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::new();
    let mut digits = false;
    for ch in path.chars() {
        if ch.is_ascii_digit() {
            if !digits {
                out.push_str("{n}");
            }
            digits = true;
        } else {
            digits = false;
            out.push(ch);
        }
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let v = sorted[((sorted.len() as f64 - 1.0) * p).round() as usize];
    (v * 10.0).round() / 10.0
}

/// A new database with the demo organisation, desk and requests, and a system administrator
/// (the demo has none that signs in without changing a password).
async fn prepare() -> Result<yunwei_store::testing::FreshDatabase, AppError> {
    let fresh = yunwei_store::testing::FreshDatabase::create().await?;
    let db = yunwei_store::Db::connect(&fresh.url, 2).await?;
    let core = Core::new(db, yunwei_core::CoreConfig { data_dir: fresh.dir.clone(), ..Default::default() }, Arc::new(SystemClock));
    core.prepare().await?;
    yunwei_core::demo::load(&core).await?;
    yunwei_core::demo::load_desk(&core).await?;
    yunwei_core::demo::load_requests(&core).await?;
    let input = crate::bench::bench_user(ROLES[0], "基准系统管理员", "system_admin", yunwei_core::demo::DEMO_PASSWORD);
    let user = yunwei_core::admin::create_user(&core, &Ctx::system(), input).await?.user.user.id;
    let hash = yunwei_core::crypto::hash_password(yunwei_core::demo::DEMO_PASSWORD.into()).await?;
    let mut conn = core.database().writer().await?;
    yunwei_store::admin::set_password(&mut conn, user, &hash, false, core.now_ms()).await?;
    drop(conn);
    core.database().close().await;
    Ok(fresh)
}

/// Signs in through the API: the session cookie and the CSRF header on every request.
async fn sign_in(addr: std::net::SocketAddr, user: &str) -> Result<Client, AppError> {
    let body = serde_json::json!({ "username": user, "password": yunwei_core::demo::DEMO_PASSWORD }).to_string();
    let r = Client::new(addr)
        .try_send("POST", "/api/v1/session", Some("application/json"), body.into_bytes())
        .await
        .map_err(AppError::Other)?;
    let cookie = r.header("set-cookie").and_then(|c| c.split(';').next()).map(str::to_string);
    let csrf = r.json()["csrf_token"].as_str().map(str::to_string);
    match (r.status, cookie, csrf) {
        (201, Some(cookie), Some(csrf)) => Ok(Client::new(addr).header("cookie", &cookie).header("x-csrf-token", &csrf)),
        _ => Err(AppError::Other(format!("{user} could not sign in: {} {}", r.status, r.text()))),
    }
}

/// Follows every link from the home page; returns the paths found and the failures.
async fn discover(client: &Client, who: &str, times: &mut BTreeMap<String, Vec<f64>>) -> (Vec<String>, Vec<String>) {
    let mut seen = BTreeSet::from(["/".to_string()]);
    let mut queue = VecDeque::from(["/".to_string()]);
    let (mut pages, mut failures) = (Vec::new(), Vec::new());
    while let Some(path) = queue.pop_front() {
        if pages.len() >= MAX_PAGES {
            failures.push(format!("{who}: more than {MAX_PAGES} pages"));
            break;
        }
        let started = Instant::now();
        let r = match client.try_send("GET", &path, None, Vec::new()).await {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{who}: GET {path}: {e}"));
                continue;
            }
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if r.status >= 400 {
            failures.push(format!("{who}: GET {path} answered {}", r.status));
            continue;
        }
        pages.push(path.clone());
        times.entry(page_of(&path)).or_default().push(ms);
        let next = if (300..400).contains(&r.status) {
            r.header("location").map(|l| vec![l.to_string()]).unwrap_or_default()
        } else if r.header("content-type").is_some_and(|c| c.starts_with("text/html")) {
            links(&r.text())
        } else {
            Vec::new()
        };
        for href in next {
            if seen.insert(href.clone()) {
                queue.push_back(href);
            }
        }
    }
    (pages, failures)
}

pub async fn run(rounds: usize) -> Result<ExitCode, AppError> {
    let fresh = prepare().await?;
    let (mut child, addr) = crate::bench::start_server(&fresh.url, &fresh.dir).await?;
    let mut times: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut walked = 0usize;
    let started = Instant::now();
    for user in ROLES {
        for lang in ["zh-CN", "en"] {
            let client = match sign_in(addr, user).await {
                Ok(c) => c,
                Err(e) => {
                    failures.push(e.to_string());
                    continue;
                }
            };
            let body = serde_json::json!({ "locale": lang }).to_string().into_bytes();
            let _ = client.try_send("PATCH", "/api/v1/me", Some("application/json"), body).await;
            let who = format!("{user} ({lang})");
            let (pages, found) = discover(&client, &who, &mut times).await;
            failures.extend(found);
            for _ in 0..rounds {
                for path in &pages {
                    let t = Instant::now();
                    match client.try_send("GET", path, None, Vec::new()).await {
                        Ok(r) if r.status < 400 => times.entry(page_of(path)).or_default().push(t.elapsed().as_secs_f64() * 1000.0),
                        Ok(r) => failures.push(format!("{who}: GET {path} answered {} on a later round", r.status)),
                        Err(e) => failures.push(format!("{who}: GET {path}: {e}")),
                    }
                }
            }
            walked += pages.len() * (rounds + 1);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    fresh.drop_now().await?;
    let mut all: Vec<f64> = times.values().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let mut over = Vec::new();
    let pages: Vec<serde_json::Value> = times
        .iter_mut()
        .map(|(page, t)| {
            t.sort_by(f64::total_cmp);
            let (p50, p95, max) = (percentile(t, 0.5), percentile(t, 0.95), percentile(t, 1.0));
            if p95 > BOUND_MS {
                over.push(page.clone());
            }
            serde_json::json!({ "page": page, "requests": t.len(), "p50_ms": p50, "p95_ms": p95, "max_ms": max })
        })
        .collect();
    let report = serde_json::json!({
        "scenario": "crawl",
        "database": if fresh.url.starts_with("postgres") { "postgresql" } else { "sqlite" },
        "people": ROLES,
        "languages": ["zh-CN", "en"],
        "rounds_after_discovery": rounds,
        "requests": walked,
        "seconds": (seconds * 100.0).round() / 100.0,
        "bound_ms": BOUND_MS,
        "all_pages": { "p50_ms": percentile(&all, 0.5), "p95_ms": percentile(&all, 0.95), "max_ms": percentile(&all, 1.0) },
        "pages_over_bound_p95": over,
        "failures": failures,
        "pages": pages,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    Ok(if failures.is_empty() && over.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_fold_their_numbers_and_drop_the_query() {
        assert_eq!(page_of("/incidents/INC-000012?ok=saved"), "/incidents/INC-{n}");
        assert_eq!(page_of("/admin/users/7"), "/admin/users/{n}");
        assert_eq!(page_of("/"), "/");
        assert_eq!(links(r#"<a href="/a?x=1&amp;y=2#top">a</a><a href="/lang/en">e</a><a href="https://x/">x</a>"#), ["/a?x=1&y=2"]);
    }
}
