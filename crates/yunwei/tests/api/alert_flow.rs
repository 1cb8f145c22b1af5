//! What alerts cause (issue 12, processing): an incident opened above the integration's
//! threshold, with the alert's details, resolved when all its alerts have resolved and
//! reopened when one fires again; nothing for alerts below it or silenced.

use serde_json::{Value, json};
use std::time::Duration;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, TestApp, spawn_app};

async fn integration(app: &TestApp, body: Value) -> String {
    let r = app.admin().post("/api/v1/alert-integrations", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_string()
}

fn alert(instance: &str, status: &str, severity: &str) -> Value {
    json!({
        "status": status,
        "labels": { "alertname": "HostDown", "instance": instance, "severity": severity },
        "annotations": { "summary": format!("{instance} 宕机"), "description": "node_exporter 无响应" },
        "startsAt": "2026-12-07T08:00:00Z",
        "endsAt": if status == "resolved" { "2026-12-07T08:05:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": format!("fp-{instance}")
    })
}

async fn post(app: &TestApp, token: &str, alerts: Vec<Value>) {
    let body = json!({ "version": "4", "groupKey": "g", "status": "firing", "receiver": "yunwei", "groupLabels": {},
                       "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am", "truncatedAlerts": 0, "alerts": alerts });
    let r = app
        .anonymous()
        .bearer(token)
        .send("POST", "/integrations/alertmanager", Some("application/json"), body.to_string().into_bytes())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn find(reader: &Client, key: &str) -> Value {
    let items = reader.get("/api/v1/alerts").await.json()["items"].as_array().cloned().unwrap_or_default();
    let id = items.iter().find(|a| a["dedup_key"] == key).and_then(|a| a["id"].as_i64()).expect("the alert");
    reader.get(&format!("/api/v1/alerts/{id}")).await.json()
}

/// Waits (10 s at most) until the alert's detail satisfies `done`.
async fn until(reader: &Client, key: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let a = find(reader, key).await;
        if done(&a) {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{key} never got there: {}", find(reader, key).await);
}

async fn incident_state(reader: &Client, number: &str) -> String {
    let r = reader.get(&format!("/api/v1/incidents/{number}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["state"].as_str().unwrap_or_default().to_string()
}

async fn wait_state(reader: &Client, number: &str, state: &str) {
    for _ in 0..100 {
        if incident_state(reader, number).await == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{number} never became {state}");
}

#[tokio::test]
async fn a_severe_alert_opens_an_incident_that_resolves_with_its_alerts() {
    let app = spawn_app().await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "主机组" })).await.json();
    let token = integration(&app, json!({ "name": "am", "incident_severity": "major", "team_id": team["id"] })).await;
    let (_, officer) = app.user_with_roles("flow.officer", &["duty_officer"]).await;
    post(
        &app,
        &token,
        vec![
            alert("10.0.0.1:9100", "firing", "critical"),
            alert("10.0.0.2:9100", "firing", "critical"),
            alert("10.0.0.3:9100", "firing", "warning"),
        ],
    )
    .await;
    let first = until(&officer, "fp-10.0.0.1:9100", |a| a["incident_number"].is_string()).await;
    let number = first["incident_number"].as_str().expect("number").to_string();
    let incident = officer.get(&format!("/api/v1/incidents/{number}")).await.json();
    assert_eq!((incident["channel"].as_str(), incident["priority"].as_i64()), (Some("monitoring"), Some(1)), "{incident}");
    assert_eq!(incident["title"], "10.0.0.1:9100 宕机");
    assert!(
        incident["description"].as_str().is_some_and(|d| d.contains("instance = 10.0.0.1:9100") && d.contains("http://prometheus")),
        "{incident}"
    );
    assert_eq!(incident["team_id"], team["id"]);
    // Below the threshold: recorded, no incident.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(find(&officer, "fp-10.0.0.3:9100").await["incident_id"].is_null());
    // Each alert has its own incident (grouping is not built yet): one resolving resolves its
    // incident only; the other stays open until its alert resolves too.
    let second = until(&officer, "fp-10.0.0.2:9100", |a| a["incident_number"].is_string()).await;
    let second_number = second["incident_number"].as_str().expect("number").to_string();
    assert_ne!(number, second_number);
    post(&app, &token, vec![alert("10.0.0.1:9100", "resolved", "critical")]).await;
    wait_state(&officer, &number, "resolved").await;
    assert_ne!(incident_state(&officer, &second_number).await, "resolved");
    post(&app, &token, vec![alert("10.0.0.2:9100", "resolved", "critical")]).await;
    wait_state(&officer, &second_number, "resolved").await;
    // Firing again reopens the same incident.
    post(&app, &token, vec![alert("10.0.0.1:9100", "firing", "critical")]).await;
    wait_state(&officer, &number, "in_progress").await;
    app.stop().await;
}

#[tokio::test]
async fn silenced_alerts_open_no_incident_and_silences_are_the_duty_officers() {
    let app = spawn_app().await;
    let token = integration(&app, json!({ "name": "am", "incident_severity": "critical" })).await;
    let (_, officer) = app.user_with_roles("flow.silencer", &["duty_officer"]).await;
    let (_, teller) = app.user_with_roles("flow.teller", &["business_user"]).await;
    let now = app.core.now_ms();
    let silence = json!({ "matchers": [{ "name": "instance", "op": "=~", "value": "10\\.9\\..*" }], "ends_at": now + 3_600_000, "comment": "机房 UPS 维护" });
    assert_problem(&teller.post("/api/v1/alert-silences", &silence).await, 403, "forbidden");
    let bad = json!({ "matchers": [{ "name": "instance", "op": "=~", "value": "(" }], "ends_at": now - 1 });
    let r = officer.post("/api/v1/alert-silences", &bad).await;
    assert_problem(&r, 422, "validation_failed");
    assert!(r.text().contains("matchers[0]") && r.text().contains("ends_at"), "{}", r.text());
    let created = officer.post("/api/v1/alert-silences", &silence).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().expect("id");
    post(&app, &token, vec![alert("10.9.0.1:9100", "firing", "critical"), alert("10.8.0.1:9100", "firing", "critical")]).await;
    until(&officer, "fp-10.8.0.1:9100", |a| a["incident_number"].is_string()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(find(&officer, "fp-10.9.0.1:9100").await["incident_id"].is_null(), "silenced");
    assert_eq!(officer.get("/api/v1/alert-silences").await.json()["items"].as_array().map(Vec::len), Some(1));
    let ended = officer.post(&format!("/api/v1/alert-silences/{id}/expire"), &json!({})).await;
    assert_eq!(ended.status, 200, "{}", ended.text());
    assert_problem(&officer.post(&format!("/api/v1/alert-silences/{id}/expire"), &json!({})).await, 409, "alert_silence_over");
    // Once the silence is over, the alert it held is paged.
    until(&officer, "fp-10.9.0.1:9100", |a| a["incident_number"].is_string()).await;
    app.stop().await;
}
