//! A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`, issue 12) on loopback,
//! its webhook receiver pointed at the test server: an alert posted to Alertmanager's own API
//! fires → an incident is opened; posted again as ended → the incident is resolved. The binary is
//! installed when missing (`test_setup`, as for Dovecot and Chromium; `.ci/run` installs it first).

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use yunwei_testkit::{Client, spawn_app};

const BINARY: &str = "prometheus-alertmanager";

/// Alertmanager, killed when dropped.
struct Alertmanager {
    child: Child,
    dir: std::path::PathBuf,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn start(webhook: &str, token: &str, port: u16) -> Alertmanager {
    let dir = std::env::temp_dir().join(format!("yunwei-am-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = format!(
        "route:\n  receiver: yunwei\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n  - name: yunwei\n    webhook_configs:\n      - url: '{webhook}'\n        send_resolved: true\n\
         \x20       http_config:\n          authorization:\n            credentials: '{token}'\n"
    );
    let file = dir.join("alertmanager.yml");
    std::fs::write(&file, config).expect("config");
    let child = Command::new(BINARY)
        .arg(format!("--config.file={}", file.display()))
        .arg(format!("--storage.path={}", dir.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("alertmanager starts");
    Alertmanager { child, dir }
}

async fn poll<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..300 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} within 30 s");
}

#[tokio::test]
async fn alertmanager_fires_and_resolves_an_incident() {
    // Installed when missing, as Dovecot and Chromium are: the test never passes by not running.
    let need = yunwei_testkit::test_setup::Need { package: BINARY, present: || Command::new(BINARY).arg("--version").output().is_ok() };
    yunwei_testkit::test_setup::ensure("the alert tests (a real Prometheus Alertmanager)", &[need]).unwrap_or_else(|e| panic!("{e}"));
    let app = spawn_app().await;
    let r = app.admin().post("/api/v1/alert-integrations", &json!({ "name": "真实 Alertmanager", "incident_severity": "critical" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let token = r.json()["token"].as_str().expect("token").to_string();
    let port = free_port();
    let _am = start(&app.url("/integrations/alertmanager"), &token, port);
    let am = Client::new(format!("127.0.0.1:{port}").parse().expect("address"));
    poll("Alertmanager ready", async || (am.try_send("GET", "/-/ready", None, Vec::new()).await.ok()?.status == 200).then_some(())).await;
    let (_, officer) = app.user_with_roles("am.officer", &["duty_officer"]).await;
    let now = jiff::Timestamp::now();
    let alert = |ends: Option<jiff::Timestamp>| {
        let mut a = json!([{
            "labels": { "alertname": "CoreDbDown", "instance": "10.20.0.5:9187", "severity": "critical" },
            "annotations": { "summary": "核心库不可用", "description": "pg_up == 0 持续 1 分钟" },
            "startsAt": now.to_string(), "generatorURL": "http://prometheus:9090/graph"
        }]);
        if let Some(e) = ends {
            a[0]["endsAt"] = json!(e.to_string());
        }
        a.to_string().into_bytes()
    };
    let posted = am.try_send("POST", "/api/v2/alerts", Some("application/json"), alert(None)).await.expect("post to Alertmanager");
    assert_eq!(posted.status, 200, "{}", posted.text());
    let number = poll("an incident is opened", async || {
        let items: Value = officer.get("/api/v1/alerts").await.json();
        let id = items["items"].as_array()?.first()?["id"].as_i64()?;
        officer.get(&format!("/api/v1/alerts/{id}")).await.json()["incident_number"].as_str().map(String::from)
    })
    .await;
    let incident = officer.get(&format!("/api/v1/incidents/{number}")).await.json();
    assert_eq!((incident["title"].as_str(), incident["priority"].as_i64()), (Some("核心库不可用"), Some(1)), "{incident}");
    let ended = alert(Some(jiff::Timestamp::now()));
    let posted = am.try_send("POST", "/api/v2/alerts", Some("application/json"), ended).await.expect("post to Alertmanager");
    assert_eq!(posted.status, 200, "{}", posted.text());
    poll("the incident is resolved", async || {
        (officer.get(&format!("/api/v1/incidents/{number}")).await.json()["state"] == "resolved").then_some(())
    })
    .await;
    app.stop().await;
}
