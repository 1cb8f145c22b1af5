//! The binary itself: two server processes sharing one database, backup and
//! restore, audit verification, token bootstrap.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;
use yunwei_store::testing::FreshDatabase;
use yunwei_testkit::Client;

pub const BIN: &str = env!("CARGO_BIN_EXE_yunwei");

pub struct Server {
    pub child: Child,
    pub addr: std::net::SocketAddr,
}

impl Server {
    pub async fn start(url: &str, data_dir: &Path, node: &str) -> Server {
        Self::start_with(url, data_dir, node, &[]).await
    }

    /// As [`Server::start`], with more environment variables.
    pub async fn start_with(url: &str, data_dir: &Path, node: &str, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Command::new(BIN)
            .args(["serve", "--listen", &addr.to_string(), "--database-url", url, "--data-dir"])
            .arg(data_dir)
            .envs(env.iter().copied())
            .env("YUNWEI_NODE_ID", node)
            .env("YUNWEI_ADMIN_PASSWORD", yunwei_testkit::ADMIN_PASSWORD)
            .env("YUNWEI_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, addr };
        let client = Client::new(addr);
        for _ in 0..150 {
            if client.try_send("GET", "/readyz", None, Vec::new()).await.is_ok_and(|r| r.status == 200) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{node} did not become ready");
    }

    /// SIGTERM, then the exit status (graceful shutdown must exit 0).
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn yunwei(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("YUNWEI_LOG", "error").output().unwrap()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "yunwei-cli-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn token_for(url: &str, dir: &Path) -> String {
    let out = yunwei(&["token", "create", "--user", "admin", "--scope", "*", "--database-url", url, "--data-dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn two_server_processes_share_the_scheduler_without_running_anything_twice() {
    if yunwei_store::testing::test_server_url().is_none() {
        // Several nodes need PostgreSQL: a second server on a SQLite file is refused
        // (cli_database::a_second_server_on_the_same_database_file_is_refused).
        return;
    }
    let fresh = FreshDatabase::create().await.unwrap();
    let (dir_a, dir_b) = (temp_dir("a"), temp_dir("b"));
    let a = Server::start(&fresh.url, &dir_a, "node-a").await;
    let b = Server::start(&fresh.url, &dir_b, "node-b").await;
    let token = token_for(&fresh.url, &dir_a);
    let client = Client::new(a.addr).bearer(&token);
    let r = client.post("/api/v1/jobs/probes", &serde_json::json!({ "count": 120, "hold_ms": 20 })).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let (mut runs, mut jobs) = (Vec::new(), serde_json::Value::Null);
    for _ in 0..300 {
        runs = client.get("/api/v1/jobs/runs?kind=system.probe").await.json().as_array().unwrap().clone();
        jobs = client.get("/api/v1/jobs").await.json();
        let pending = jobs.as_array().unwrap().iter().filter(|j| j["kind"] == "system.probe" && j["status"] != "done").count();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total: i64 = runs.iter().map(|r| r["runs"].as_i64().unwrap()).sum();
    assert_eq!(total, 120, "every probe ran exactly once: {runs:?}");
    let nodes: Vec<&str> = runs.iter().map(|r| r["node"].as_str().unwrap()).collect();
    assert_eq!(nodes, vec!["node-a", "node-b"], "both nodes did work: {runs:?}");
    let done = jobs.as_array().unwrap().iter().filter(|j| j["kind"] == "system.probe" && j["status"] == "done").count();
    assert_eq!(done, 120);
    // Recurring housekeeping was declared once, not once per node.
    assert_eq!(jobs.as_array().unwrap().iter().filter(|j| j["kind"] == "sessions.purge").count(), 1);
    assert!(a.stop().success(), "graceful shutdown exits 0");
    assert!(b.stop().success());
    fresh.drop_now().await.unwrap();
}

#[tokio::test]
async fn audit_verify_reports_the_first_broken_link() {
    let fresh = FreshDatabase::create().await.unwrap();
    let dir = temp_dir("verify");
    let s = Server::start(&fresh.url, &dir, "v").await;
    let token = token_for(&fresh.url, &dir);
    let c = Client::new(s.addr).bearer(&token);
    for name in ["一组", "二组", "三组"] {
        assert_eq!(c.post("/api/v1/teams", &serde_json::json!({ "name": name })).await.status, 201);
    }
    s.stop();
    let d = dir.to_str().unwrap();
    let ok = yunwei(&["audit", "verify", "--database-url", &fresh.url, "--data-dir", d]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));
    let db = yunwei_store::Db::connect(&fresh.url, 2).await.unwrap();
    let seq: i64 = {
        yunwei_store::testing::drop_audit_guard(&db).await.unwrap();
        let mut conn = db.writer().await.unwrap();
        yunwei_store::raw_execute(&mut conn, "DELETE FROM audit_log WHERE seq = 3").await.unwrap();
        3
    };
    db.close().await;
    let broken = yunwei(&["audit", "verify", "--database-url", &fresh.url, "--data-dir", d]);
    assert_eq!(broken.status.code(), Some(1));
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(text.contains(&format!("BROKEN at seq {seq}")) && text.contains("MissingRow"), "{text}");
    fresh.drop_now().await.unwrap();
}

#[tokio::test]
async fn sqlite_backup_while_serving_and_restore() {
    if yunwei_store::testing::test_server_url().is_some() {
        return pg_dump_round_trip().await;
    }
    let dir = temp_dir("backup");
    let url = format!("sqlite://{}?mode=rwc", dir.join("yunwei.db").display());
    let s = Server::start(&url, &dir, "b").await;
    let token = token_for(&url, &dir);
    let c = Client::new(s.addr).bearer(&token);
    assert_eq!(c.post("/api/v1/teams", &serde_json::json!({ "name": "备份前的组" })).await.status, 201);
    let file = temp_dir("backup-out").join("yunwei-backup.db");
    let d = dir.to_str().unwrap();
    let out = yunwei(&["backup", "--to", file.to_str().unwrap(), "--data-dir", d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Restore refuses while the server holds the data directory.
    let busy = yunwei(&["restore", "--from", file.to_str().unwrap(), "--data-dir", d, "--force"]);
    assert!(!busy.status.success());
    assert!(String::from_utf8_lossy(&busy.stderr).contains("another yunwei process"));
    assert_eq!(c.post("/api/v1/teams", &serde_json::json!({ "name": "备份后的组" })).await.status, 201);
    assert!(s.stop().success());

    let target = temp_dir("restore");
    let t = target.to_str().unwrap();
    let out = yunwei(&["restore", "--from", file.to_str().unwrap(), "--data-dir", t]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = yunwei(&["restore", "--from", file.to_str().unwrap(), "--data-dir", t]);
    assert!(!again.status.success(), "an existing database needs --force");
    let verify = yunwei(&["audit", "verify", "--data-dir", t]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    // Back into the served directory: its audit checkpoints reach past the backup's chain
    // (the team made after the backup), so restore keeps them aside and verify passes.
    let back = yunwei(&["restore", "--from", file.to_str().unwrap(), "--data-dir", d, "--force"]);
    assert!(String::from_utf8_lossy(&back.stdout).contains("audit checkpoints of the replaced database kept in"), "{back:?}");
    assert!(std::fs::read_dir(&dir).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains(".before-restore-")));
    let verify = yunwei(&["audit", "verify", "--data-dir", d]);
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success() && text.contains("no checkpoint file"), "{text}");
    let db = yunwei_store::Db::connect(&format!("sqlite://{}", target.join("yunwei.db").display()), 1).await.unwrap();
    let page = yunwei_domain::page::PageRequest::parse(None, None, false).unwrap();
    let names: Vec<String> =
        yunwei_store::admin::list_teams(&db.read, None, &page).await.unwrap().items.into_iter().map(|t| t.name).collect();
    assert_eq!(names, vec!["备份前的组"]);
    db.close().await;
    let garbage = temp_dir("garbage").join("x.db");
    std::fs::write(&garbage, b"not a database").unwrap();
    let refused = yunwei(&["restore", "--from", garbage.to_str().unwrap(), "--data-dir", temp_dir("r2").to_str().unwrap()]);
    assert!(!refused.status.success());
}

/// On PostgreSQL the documented backup is pg_dump -Fc / pg_restore: prove it round-trips.
async fn pg_dump_round_trip() {
    let fresh = FreshDatabase::create().await.unwrap();
    let dir = temp_dir("pg");
    let s = Server::start(&fresh.url, &dir, "p").await;
    let token = token_for(&fresh.url, &dir);
    let c = Client::new(s.addr).bearer(&token);
    assert_eq!(c.post("/api/v1/teams", &serde_json::json!({ "name": "数据组" })).await.status, 201);
    let dump = dir.join("yunwei.dump");
    let out = Command::new("pg_dump").args(["-Fc", "-f"]).arg(&dump).arg(&fresh.url).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(s.stop().success());
    let copy = FreshDatabase::create().await.unwrap();
    let out = Command::new("pg_restore").args(["--no-owner", "-d", &copy.url]).arg(&dump).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let verify = yunwei(&["audit", "verify", "--database-url", &copy.url, "--data-dir", dir.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    let s = Server::start(&copy.url, &temp_dir("pg2"), "p2").await;
    let c = Client::new(s.addr).bearer(&token);
    assert_eq!(c.get("/api/v1/teams").await.json()["items"][0]["name"], "数据组", "the token and the data came back");
    s.stop();
    fresh.drop_now().await.unwrap();
    copy.drop_now().await.unwrap();
}

#[tokio::test]
async fn search_rebuild_indexes_every_incident_request_and_ci_again() {
    let fresh = FreshDatabase::create().await.unwrap();
    let dir = temp_dir("search");
    let d = dir.to_str().unwrap();
    let demo = yunwei(&["demo", "--database-url", &fresh.url, "--data-dir", d]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let db = yunwei_store::Db::connect(&fresh.url, 2).await.unwrap();
    let count = |sql: &'static str| {
        let db = &db;
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db.read).await.unwrap() }
    };
    // Incidents, requests and the demo's configuration items.
    let records = count("SELECT COUNT(*) FROM incidents").await
        + count("SELECT COUNT(*) FROM service_requests").await
        + count("SELECT COUNT(*) FROM cis").await;
    assert!(count("SELECT COUNT(*) FROM service_requests").await > 0, "the demo has sample requests");
    db.close().await;
    let rebuilt = yunwei(&["search", "rebuild", "--database-url", &fresh.url, "--data-dir", d]);
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    assert_eq!(String::from_utf8_lossy(&rebuilt.stdout).trim(), format!("{records} records indexed"));
    let db = yunwei_store::Db::connect(&fresh.url, 2).await.unwrap();
    let table = if db.backend == yunwei_store::Backend::Sqlite { "search_fts" } else { "search_docs" };
    let indexed: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(&db.read).await.unwrap();
    assert_eq!(indexed, records, "one document per record");
    db.close().await;
    fresh.drop_now().await.unwrap();
}

#[test]
fn serve_help_explains_every_flag() {
    let out = yunwei(&["serve", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    let flag = help.rsplit("--no-migrate").next().unwrap_or_default();
    assert!(flag.contains("Do not apply database migrations"), "--no-migrate has no help: {help}");
}
