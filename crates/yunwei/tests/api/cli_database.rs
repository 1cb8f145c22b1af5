//! The binary and its database: commands beside a busy server, one database per server,
//! errors that name the file at fault.

use crate::cli::{Server, temp_dir, token_for, yunwei};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use yunwei_store::testing::FreshDatabase;
use yunwei_testkit::Client;

fn text(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `command` to its end; a process still running after `limit` (a server that started
/// when it should have been refused) is killed and fails the test.
fn exits_within(mut command: std::process::Command, limit: Duration) -> std::process::Output {
    let child = command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let (done, waited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match waited.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            panic!("still running after {limit:?}: it should have refused to start");
        }
    }
}

/// Eight clients create teams through the API while `audit verify` and `token create` run ten
/// times each: every run exits 0 (SQLite used to answer "database is locked", exit 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_succeed_beside_a_server_under_write_load() {
    let fresh = FreshDatabase::create().await.unwrap();
    let dir = temp_dir("load");
    let s = Server::start(&fresh.url, &dir, "load").await;
    let token = token_for(&fresh.url, &dir);
    let (stop, created) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let mut load = Vec::new();
    for n in 0..8 {
        let (c, stop, created) = (Client::new(s.addr).bearer(&token), stop.clone(), created.clone());
        load.push(tokio::spawn(async move {
            let (deadline, mut refused) = (Instant::now() + Duration::from_secs(120), Vec::new());
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let r = c.post("/api/v1/teams", &serde_json::json!({ "name": format!("负载组 {n}-{i}") })).await;
                i += 1;
                if r.status == 201 {
                    created.fetch_add(1, Ordering::Relaxed);
                } else {
                    refused.push(format!("{} {}", r.status, r.text()));
                }
            }
            refused
        }));
    }
    while created.load(Ordering::Relaxed) < 50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = created.load(Ordering::Relaxed);
    let (url, d) = (fresh.url.clone(), dir.to_str().unwrap().to_string());
    let (failures, tokens) = tokio::task::spawn_blocking(move || {
        let (mut failures, mut tokens) = (Vec::new(), Vec::new());
        for i in 0..10 {
            let v = yunwei(&["audit", "verify", "--database-url", &url, "--data-dir", &d]);
            if !v.status.success() || !String::from_utf8_lossy(&v.stdout).contains("audit chain intact") {
                failures.push(format!("audit verify #{i}: {}", text(&v)));
            }
            let name = format!("load-{i}");
            let t = yunwei(&[
                "token",
                "create",
                "--user",
                "admin",
                "--name",
                &name,
                "--scope",
                "read",
                "--database-url",
                &url,
                "--data-dir",
                &d,
            ]);
            if t.status.success() {
                tokens.push(String::from_utf8_lossy(&t.stdout).trim().to_string());
            } else {
                failures.push(format!("token create #{i}: {}", text(&t)));
            }
        }
        (failures, tokens)
    })
    .await
    .unwrap();
    let during = created.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    let mut refused = Vec::new();
    for l in load {
        refused.extend(l.await.unwrap());
    }
    assert!(failures.is_empty(), "{} of 20 commands failed:\n{}", failures.len(), failures.join("\n"));
    assert!(during > 0, "the server wrote while the commands ran");
    assert!(refused.is_empty(), "the server refused {} of its writes: {:?}", refused.len(), &refused[..refused.len().min(5)]);
    // Every token works, and can only read.
    for t in &tokens {
        let c = Client::new(s.addr).bearer(t);
        assert_eq!(c.get("/api/v1/teams").await.status, 200);
        assert_eq!(c.post("/api/v1/teams", &serde_json::json!({ "name": "不该创建" })).await.status, 403);
    }
    assert_eq!(tokens.iter().collect::<std::collections::HashSet<_>>().len(), 10, "ten distinct tokens");
    assert!(s.stop().success());
    let v = yunwei(&["audit", "verify", "--database-url", &fresh.url, "--data-dir", dir.to_str().unwrap()]);
    assert!(v.status.success(), "{}", text(&v));
    fresh.drop_now().await.unwrap();
}

/// A command that only reads does not migrate an older database: it says so and exits 2,
/// and leaves the database as it found it.
#[tokio::test]
async fn read_only_commands_refuse_an_older_schema_instead_of_migrating() {
    let fresh = FreshDatabase::create().await.unwrap();
    let dir = temp_dir("older");
    let d = dir.to_str().unwrap();
    let missing = yunwei(&["audit", "verify", "--data-dir", temp_dir("empty").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no database at"), "{}", text(&missing));
    let m = yunwei(&["migrate", "--database-url", &fresh.url, "--data-dir", d]);
    assert!(m.status.success(), "{}", text(&m));
    let latest = yunwei_store::migrate::latest_version();
    let db = yunwei_store::Db::connect(&fresh.url, 2).await.unwrap();
    let mut conn = db.writer().await.unwrap();
    yunwei_store::raw_execute(&mut conn, &format!("DELETE FROM schema_migrations WHERE version = {latest}")).await.unwrap();
    drop(conn);
    let v = yunwei(&["audit", "verify", "--database-url", &fresh.url, "--data-dir", d]);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    let said = String::from_utf8_lossy(&v.stderr);
    assert!(said.contains(&format!("older than this binary ({latest})")) && said.contains("does not migrate"), "{said}");
    let version = yunwei_store::migrate::current_version(&db).await.unwrap();
    assert_eq!(version, latest - 1, "verify did not migrate");
    db.close().await;
    fresh.drop_now().await.unwrap();
}

/// A second server on the first one's database file, through another data directory, is
/// refused whatever path reaches the file: the same path, a symlink, `..`, a hard link.
#[tokio::test]
async fn a_second_server_on_the_same_database_file_is_refused() {
    if yunwei_store::testing::test_server_url().is_some() {
        return; // PostgreSQL: several nodes on one database are the supported scale-out.
    }
    let first = temp_dir("owner");
    let db = first.join("yunwei.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let s = Server::start(&url, &first, "owner").await;
    let other = temp_dir("intruder");
    std::os::unix::fs::symlink(&db, other.join("link.db")).unwrap();
    std::fs::create_dir_all(other.join("sub")).unwrap();
    std::fs::hard_link(&db, other.join("hard.db")).unwrap();
    let dotted = format!("{}/../../{}/yunwei.db", other.join("sub").display(), first.file_name().unwrap().to_str().unwrap());
    let relative_to_tmp = first.parent().unwrap().join("x").join("..").join(first.file_name().unwrap()).join("yunwei.db");
    let paths = [
        db.display().to_string(),
        other.join("link.db").display().to_string(),
        other.join("hard.db").display().to_string(),
        dotted,
        relative_to_tmp.display().to_string(),
    ];
    for (i, path) in paths.iter().enumerate() {
        let dir = other.join(format!("data{i}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut serve = std::process::Command::new(crate::cli::BIN);
        serve
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &format!("sqlite://{path}"), "--data-dir"])
            .arg(&dir)
            .env("YUNWEI_LOG", "error")
            .env("YUNWEI_ADMIN_PASSWORD", yunwei_testkit::ADMIN_PASSWORD);
        let out = exits_within(serve, Duration::from_secs(20));
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {}", text(&out));
        assert!(said.contains("is already in use by another Yunwei server") && said.contains(path.as_str()), "{path}: {said}");
        assert!(said.contains(&format!("pid {}", s.child.id())), "names the holder: {said}");
        assert!(Client::new(format!("127.0.0.1:{port}").parse().unwrap()).try_send("GET", "/healthz", None, Vec::new()).await.is_err());
    }
    // Nor can another data directory's restore replace the file under the server.
    let restore = yunwei(&[
        "restore",
        "--from",
        "/nonexistent.db",
        "--force",
        "--database-url",
        &format!("sqlite://{}", paths[2]),
        "--data-dir",
        other.join("restore").to_str().unwrap(),
    ]);
    assert_eq!(restore.status.code(), Some(2), "{}", text(&restore));
    assert!(String::from_utf8_lossy(&restore.stderr).contains("is already in use by another Yunwei server"), "{}", text(&restore));
    // The first server never noticed.
    let c = Client::new(s.addr);
    assert_eq!(c.get("/readyz").await.status, 200);
    assert!(s.stop().success());
    // Stopped, the file is free again.
    let again = Server::start(&format!("sqlite://{}", other.join("link.db").display()), &other.join("data-after"), "after").await;
    assert!(again.stop().success());
}

/// A small tmpfs, mounted for one test and unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// `None` where mounting is not allowed (not root, no CAP_SYS_ADMIN).
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = temp_dir("tmpfs");
        let ok = std::process::Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(&dir).status();
        ok.is_ok_and(|s| s.success()).then_some(SmallDisk(dir))
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 16 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let small = vec![0u8; 512];
        while f.write_all(&small).is_ok() {}
        let _ = f.flush();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The disk holding the database fills up: writes answer 503 `storage_full` in the caller's
/// language, `/readyz` says so (503) while `/healthz` stays 200, and both come back by
/// themselves once there is space again.
#[tokio::test]
async fn a_full_disk_answers_503_storage_full_and_fails_readiness_until_space_returns() {
    if yunwei_store::testing::test_server_url().is_some() {
        return; // The PostgreSQL server's disk is not ours to fill; 53100 maps as SQLite's 13 does.
    }
    let Some(disk) = SmallDisk::mount("12m") else {
        eprintln!("skipped: cannot mount a tmpfs here (see the store's unit test of the mapping)");
        return;
    };
    let dir = disk.0.join("data");
    let url = format!("sqlite://{}?mode=rwc", dir.join("yunwei.db").display());
    let s = Server::start(&url, &dir, "full").await;
    let token = token_for(&url, &dir);
    let zh = Client::new(s.addr).bearer(&token);
    // A second account that reads English.
    let d = dir.to_str().unwrap();
    let made = yunwei(&[
        "user",
        "create",
        "--username",
        "reader",
        "--roles",
        "business_user",
        "--password",
        "Rd#Secure2026x",
        "--database-url",
        &url,
        "--data-dir",
        d,
    ]);
    assert!(made.status.success(), "{}", text(&made));
    let made = yunwei(&["token", "create", "--user", "reader", "--database-url", &url, "--data-dir", d]);
    assert!(made.status.success(), "{}", text(&made));
    let en = Client::new(s.addr).bearer(String::from_utf8_lossy(&made.stdout).trim());
    let r = en.patch("/api/v1/me", &serde_json::json!({ "locale": "en" })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let team = |n: usize| serde_json::json!({ "name": format!("满盘组 {n}"), "description": "填满磁盘用的说明文字".repeat(40) });
    assert_eq!(zh.post("/api/v1/teams", &team(0)).await.status, 201);
    let filler = disk.fill();
    // On a full disk SQLite still commits what fits in WAL pages it can reuse: write until refused.
    let mut refused = None;
    for n in 1..2000 {
        let r = zh.post("/api/v1/teams", &team(n)).await;
        if r.status != 201 {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("a write failed once the disk was full");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let body = r.json();
    assert_eq!(body["code"], "storage_full", "{body}");
    assert!(body["title"].as_str().unwrap().contains("数据库所在磁盘已满"), "{body}");
    let mut refused = None;
    for n in 0..2000 {
        let zone = if n % 2 == 0 { "Asia/Shanghai" } else { "Asia/Hong_Kong" };
        let r = en.patch("/api/v1/me", &serde_json::json!({ "time_zone": zone })).await;
        if r.status != 200 {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("the English reader's write failed too");
    assert_eq!((r.status, r.json()["code"].as_str()), (503, Some("storage_full")), "{}", r.text());
    assert!(r.json()["title"].as_str().unwrap().contains("disk holding the database is full"), "{}", r.text());
    let anonymous = Client::new(s.addr);
    let ready = anonymous.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert_eq!(ready.json()["status"], "storage_full");
    assert_eq!(anonymous.get("/healthz").await.status, 200, "the process itself is alive");
    // Space comes back: readiness and writes follow without a restart.
    std::fs::remove_file(&filler).unwrap();
    let mut back = false;
    for _ in 0..100 {
        if anonymous.get("/readyz").await.status == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "/readyz recovered once there was space");
    let r = zh.post("/api/v1/teams", &team(10_000)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(s.stop().success());
    drop(disk);
}

/// A `-shm` file left behind that this process cannot write (here: immutable, since root
/// ignores permissions) stops the start with an error that names it.
#[tokio::test]
async fn a_start_refused_by_an_unwritable_shm_file_names_it() {
    if yunwei_store::testing::test_server_url().is_some() {
        return;
    }
    let dir = temp_dir("shm");
    let url = format!("sqlite://{}?mode=rwc", dir.join("yunwei.db").display());
    let mut s = Server::start(&url, &dir, "shm").await;
    // Killed, not stopped: the -wal and -shm files stay, as after a crash.
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    let shm = dir.join("yunwei.db-shm");
    assert!(shm.exists());
    let immutable = std::process::Command::new("chattr").arg("+i").arg(&shm).status().is_ok_and(|st| st.success());
    if !immutable {
        eprintln!("skipped: chattr +i is not available here (the message is unit-tested in open.rs)");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut serve = std::process::Command::new(crate::cli::BIN);
    serve
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &url, "--data-dir"])
        .arg(&dir)
        .env("YUNWEI_LOG", "error");
    let out = exits_within(serve, Duration::from_secs(30));
    let _ = std::process::Command::new("chattr").arg("-i").arg(&shm).status();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("cannot write {}", shm.display())), "{said}");
    // Writable again, the server starts on the same files.
    let s = Server::start(&url, &dir, "shm-again").await;
    assert!(s.stop().success());
}
