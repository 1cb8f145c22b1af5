//! Alert processing between intake and on-call (issue 12): routing rules as data (first
//! match wins → team, policy, severity; none → the integration's team), and the silence an
//! approved change window in progress puts on its CI's alerts — recorded on the alert, no
//! incident, and the alert looked at again when the window ends. The controls: routing rules
//! are the alert administrator's; the duty officer and the roleless cannot change them.

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use yunwei_core::FixedClock;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::cmdb::{ci, class_id};
use yunwei_testkit::{Client, Options, TestApp, spawn_app_with};

const HOUR: i64 = 3_600_000;

async fn clocked_app() -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(1_796_608_800_000)); // 2026-12-07 10:00 Beijing
    let dyn_clock: Arc<dyn yunwei_core::Clock> = clock.clone();
    (spawn_app_with(Options { clock: Some(dyn_clock), ..Default::default() }).await, clock)
}

async fn created(r: yunwei_testkit::TestResponse) -> Value {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn fire(app: &TestApp, token: &str, instance: &str, labels: Value) {
    let mut l = json!({ "alertname": "HostDown", "instance": instance, "severity": "warning" });
    if let (Some(l), Some(extra)) = (l.as_object_mut(), labels.as_object()) {
        l.extend(extra.clone());
    }
    let alert = json!({ "status": "firing", "labels": l, "annotations": { "summary": format!("{instance} 宕机") },
                        "startsAt": "2026-12-07T02:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": format!("fp-{instance}") });
    let body = json!({ "version": "4", "groupKey": "g", "status": "firing", "receiver": "yunwei", "groupLabels": {}, "commonLabels": {},
                       "commonAnnotations": {}, "externalURL": "http://am", "truncatedAlerts": 0, "alerts": [alert] });
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

#[tokio::test]
async fn the_first_matching_route_decides_team_policy_and_severity() {
    let (app, _) = clocked_app().await;
    let admin = app.admin();
    let (_, officer) = app.user_with_roles("route.officer", &["duty_officer"]).await;
    let (_, roleless) = app.user_with_roles("route.none", &[]).await;
    let hosts = created(admin.post("/api/v1/teams", &json!({ "name": "主机组" })).await).await["id"].as_i64().expect("team");
    let core = created(admin.post("/api/v1/teams", &json!({ "name": "核心账务组" })).await).await["id"].as_i64().expect("team");
    let policy =
        json!({ "name": "核心账务升级", "team_id": core, "levels": [{ "delay_minutes": 0, "targets": [{ "kind": "team", "id": core }] }] });
    let (_, manager) = app.user_with_roles("route.mgr", &["ops_manager"]).await;
    let p = created(manager.post("/api/v1/escalation-policies", &policy).await).await["id"].as_i64().expect("policy");
    let token =
        created(admin.post("/api/v1/alert-integrations", &json!({ "name": "am", "incident_severity": "major", "team_id": hosts })).await)
            .await["token"]
            .as_str()
            .expect("token")
            .to_string();

    let route = json!({ "name": "核心账务", "position": 10, "team_id": core, "policy_id": p, "severity": "critical",
                        "matchers": [{ "name": "service", "op": "=", "value": "核心账务" }, { "name": "env", "op": "!~", "value": "test|uat" }] });
    assert_problem(&officer.post("/api/v1/alert-routes", &route).await, 403, "forbidden");
    assert_problem(&roleless.get("/api/v1/alert-routes").await, 403, "forbidden");
    let bad = json!({ "name": "", "position": -1, "policy_id": 999, "matchers": [{ "name": "x", "op": "=~", "value": "(" }] });
    let r = admin.post("/api/v1/alert-routes", &bad).await;
    assert_problem(&r, 422, "validation_failed");
    for f in ["name", "position", "policy_id", "matchers[0]"] {
        assert!(r.json()["errors"].as_array().expect("errors").iter().any(|e| e["field"] == f), "{f}: {}", r.text());
    }
    let made = created(admin.post("/api/v1/alert-routes", &route).await).await;
    // A catch-all after it that sends everything else to the hosts team without a severity change.
    created(admin.post("/api/v1/alert-routes", &json!({ "name": "其余", "position": 99, "team_id": hosts })).await).await;
    let listed = admin.get("/api/v1/alert-routes").await.json();
    assert_eq!(listed["items"][0]["name"], "核心账务", "{listed}");
    // Configuration like the integrations: the duty officer does not even read it.
    assert_problem(&officer.get("/api/v1/alert-routes").await, 403, "forbidden");
    let page = app.admin_session().await.get("/duty/routes").await;
    assert!(page.status == 200 && page.text().contains("service = 核心账务") && page.text().contains("route-new"), "{}", page.status);

    // A warning on core accounting is raised to critical: it opens an incident for that team,
    // with that policy's escalation; a UAT one and another service's warning open none.
    fire(&app, &token, "acct-01:9100", json!({ "service": "核心账务", "env": "prod" })).await;
    fire(&app, &token, "acct-uat:9100", json!({ "service": "核心账务", "env": "uat" })).await;
    let a = until(&officer, "fp-acct-01:9100", |a| a["incident_number"].is_string()).await;
    let number = a["incident_number"].as_str().expect("number");
    let incident = officer.get(&format!("/api/v1/incidents/{number}")).await.json();
    assert_eq!((incident["team_id"].as_i64(), incident["priority"].as_i64()), (Some(core), Some(1)), "{incident}");
    // The escalation starts just after the incident is linked to the alert.
    let mut e = officer.get(&format!("/api/v1/incidents/{number}/escalation")).await;
    for _ in 0..50 {
        if e.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        e = officer.get(&format!("/api/v1/incidents/{number}/escalation")).await;
    }
    assert_eq!((e.status, e.json()["policy_id"].as_i64()), (200, Some(p)), "{}", e.text());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(find(&officer, "fp-acct-uat:9100").await["incident_id"].is_null(), "a warning below the threshold");

    // Changing the rule needs the version read; deleting it leaves the catch-all.
    let mut changed = route.clone();
    changed["version"] = made["version"].clone();
    changed["severity"] = Value::Null;
    let id = made["id"].as_i64().expect("id");
    let r = admin.put(&format!("/api/v1/alert-routes/{id}"), &changed).await;
    assert_eq!((r.status, r.json()["severity"].clone()), (200, Value::Null), "{}", r.text());
    assert_problem(&admin.put(&format!("/api/v1/alert-routes/{id}"), &changed).await, 409, "alert_route_changed");
    assert_problem(&officer.delete(&format!("/api/v1/alert-routes/{id}")).await, 403, "forbidden");
    assert_eq!(admin.delete(&format!("/api/v1/alert-routes/{id}")).await.status, 204);
    assert_eq!(admin.get("/api/v1/alert-routes").await.json()["items"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[tokio::test]
async fn an_approved_change_window_silences_its_cis_alerts_until_it_ends() {
    let (app, clock) = clocked_app().await;
    let (_, eng) = app.user_with_roles("win.eng", &["system_engineer"]).await;
    let (_, cab) = app.user_with_roles("win.cab", &["cab_member"]).await;
    let (_, officer) = app.user_with_roles("win.officer", &["duty_officer"]).await;
    let server = class_id(&eng, "server").await;
    let db = ci(
        &eng,
        json!({ "class_id": server, "name": "db-01", "attributes": { "hostname": "db-01", "management_ip": "10.0.5.1", "cpu_cores": 32 } }),
    )
    .await;
    let now = app.core.now_ms();
    let answers: serde_json::Map<String, Value> =
        ["complexity", "untested", "rollback_difficulty", "business_hours", "novelty"].iter().map(|k| (k.to_string(), json!(0))).collect();
    let change = json!({
        "title": "数据库补丁", "change_type": "normal", "content": "安装补丁。", "reason": "安全修复。", "steps": ["停库", "打补丁", "启库"],
        "window_start": now - HOUR, "window_end": now + HOUR, "rollback_plan": "卸载补丁。", "risk_answers": answers, "ci_ids": [db]
    });
    let c = created(eng.post("/api/v1/changes", &change).await).await;
    let base = format!("/api/v1/changes/{}", c["number"].as_str().expect("number"));
    assert_eq!(eng.post(&format!("{base}/transitions/submit"), &json!({})).await.status, 200);
    let r = cab.post(&format!("{base}/approvals"), &json!({ "vote": "approve" })).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    let token = created(app.admin().post("/api/v1/alert-integrations", &json!({ "name": "am", "incident_severity": "warning" })).await)
        .await["token"]
        .as_str()
        .expect("token")
        .to_string();

    // During the window: recorded, mapped to its CI, silenced by the change, no incident.
    fire(&app, &token, "db-01:9100", json!({})).await;
    fire(&app, &token, "web-01:9100", json!({})).await;
    until(&officer, "fp-web-01:9100", |a| a["incident_number"].is_string()).await;
    let a = until(&officer, "fp-db-01:9100", |a| a["silenced_by"].is_object()).await;
    assert_eq!((a["ci_id"].as_i64(), a["silenced_by"]["kind"].as_str()), (Some(db), Some("change")), "{a}");
    assert_eq!((a["silenced_by"]["number"].clone(), a["silenced_by"]["until"].as_i64()), (c["number"].clone(), Some(now + HOUR)), "{a}");
    assert!(a["incident_id"].is_null(), "{a}");

    // After the window the alert, still firing, is looked at again and opens its incident.
    clock.advance_ms(HOUR + 1000);
    let a = until(&officer, "fp-db-01:9100", |a| a["incident_number"].is_string()).await;
    assert!(a["silenced_by"].is_null(), "{a}");
    app.stop().await;
}

#[tokio::test]
async fn a_flapping_alert_is_held_and_shown_until_it_settles() {
    let (app, clock) = clocked_app().await;
    let (_, officer) = app.user_with_roles("flap.officer", &["duty_officer"]).await;
    let admin = app.admin();
    let bad = json!({ "name": "bad", "flap_changes": 101, "flap_minutes": 0 });
    let r = admin.post("/api/v1/alert-integrations", &bad).await;
    assert_problem(&r, 422, "validation_failed");
    assert!(r.text().contains("flap_changes") && r.text().contains("flap_minutes"), "{}", r.text());
    let i = created(
        admin
            .post(
                "/api/v1/alert-integrations",
                &json!({ "name": "am", "incident_severity": "warning", "flap_changes": 3, "flap_minutes": 10 }),
            )
            .await,
    )
    .await;
    assert_eq!((i["flap_changes"].as_i64(), i["flap_minutes"].as_i64()), (Some(3), Some(10)), "{i}");
    let token = i["token"].as_str().expect("token").to_string();
    let resolve = |instance: &str| {
        let alert = json!({ "status": "resolved", "labels": { "alertname": "HostDown", "instance": instance, "severity": "warning" },
                            "annotations": {}, "startsAt": "2026-12-07T02:00:00Z", "endsAt": "2026-12-07T02:05:00Z", "fingerprint": format!("fp-{instance}") });
        json!({ "version": "4", "groupKey": "g", "status": "resolved", "receiver": "yunwei", "groupLabels": {}, "commonLabels": {},
                "commonAnnotations": {}, "externalURL": "http://am", "truncatedAlerts": 0, "alerts": [alert] })
    };
    fire(&app, &token, "flappy:9100", json!({})).await;
    let a = until(&officer, "fp-flappy:9100", |a| a["incident_number"].is_string()).await;
    let number = a["incident_number"].as_str().expect("number").to_string();
    let body = resolve("flappy:9100").to_string().into_bytes();
    assert_eq!(app.anonymous().bearer(&token).send("POST", "/integrations/alertmanager", Some("application/json"), body).await.status, 200);
    for _ in 0..100 {
        if officer.get(&format!("/api/v1/incidents/{number}")).await.json()["state"] == "resolved" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The third change in ten minutes: flapping — shown on the alert, the incident not reopened.
    fire(&app, &token, "flappy:9100", json!({})).await;
    let a = until(&officer, "fp-flappy:9100", |a| a["silenced_by"]["kind"] == "flapping").await;
    assert_eq!(a["silenced_by"]["changes"].as_i64(), Some(3), "{a}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(officer.get(&format!("/api/v1/incidents/{number}")).await.json()["state"], "resolved");
    // Settled (no change for the window) and still firing: the incident is reopened.
    clock.advance_ms(10 * 60_000 + 1000);
    until(&officer, "fp-flappy:9100", |a| a["silenced_by"].is_null()).await;
    for _ in 0..100 {
        if officer.get(&format!("/api/v1/incidents/{number}")).await.json()["state"] == "in_progress" {
            app.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{number} was not reopened after the alert settled");
}
