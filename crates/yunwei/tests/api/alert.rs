//! Monitoring alerts, the front door (issue 12): integrations with their own tokens, the
//! senders' exact wire formats (Alertmanager webhook v4 and `/api/v2/alerts`, PagerDuty
//! Events v2 and v1, generic JSON), idempotent ingest, and the refusals a sender sees.

use serde_json::{Value, json};
use yunwei_testkit::bad_input::{assert_problem, check_json_endpoint};
use yunwei_testkit::{Client, TestApp, spawn_app};

/// An integration made by the administrator: (id, token).
async fn integration(app: &TestApp, name: &str, map: Value) -> (i64, String) {
    let r = app.admin().post("/api/v1/alert-integrations", &json!({ "name": name, "severity_map": map })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    (body["id"].as_i64().expect("id"), body["token"].as_str().expect("the token, once").to_string())
}

fn am_alert(instance: &str, status: &str, severity: &str) -> Value {
    json!({
        "status": status,
        "labels": { "alertname": "HostDown", "instance": instance, "severity": severity, "job": "node" },
        "annotations": { "summary": format!("{instance} 宕机"), "description": "node_exporter 无响应" },
        "startsAt": "2026-12-07T08:00:00.000Z",
        "endsAt": if status == "resolved" { "2026-12-07T08:05:00.000Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0",
        "fingerprint": format!("fp-{instance}")
    })
}

/// Alertmanager's webhook body, payload version 4, every field it sends.
fn am_webhook(alerts: Vec<Value>) -> Value {
    let firing = alerts.iter().any(|a| a["status"] == "firing");
    json!({
        "version": "4",
        "groupKey": "{}/{}:{alertname=\"HostDown\"}",
        "truncatedAlerts": 0,
        "status": if firing { "firing" } else { "resolved" },
        "receiver": "yunwei",
        "groupLabels": { "alertname": "HostDown" },
        "commonLabels": { "alertname": "HostDown", "job": "node" },
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts
    })
}

fn sender(app: &TestApp, token: &str) -> Client {
    app.anonymous().bearer(token)
}

async fn post_raw(c: &Client, path: &str, body: &Value) -> yunwei_testkit::http::TestResponse {
    c.send("POST", path, Some("application/json"), body.to_string().into_bytes()).await
}

/// Reading alerts is ordinary work, not the system administrator's: a duty officer reads them.
async fn officer(app: &TestApp, name: &str) -> Client {
    app.user_with_roles(name, &["duty_officer"]).await.1
}

async fn alerts(reader: &Client, query: &str) -> Vec<Value> {
    let r = reader.get(&format!("/api/v1/alerts{query}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn integrations_are_system_plumbing_with_tokens_shown_once() {
    let app = spawn_app().await;
    let (id, token) = integration(&app, "生产 Alertmanager", json!({ "map": { "P1": "critical" }, "default": "minor" })).await;
    assert!(token.starts_with("ywa_") && token.len() > 30, "{token}");
    let listed = app.admin().get("/api/v1/alert-integrations").await.json();
    let one = &listed["items"][0];
    assert_eq!((one["name"].as_str(), one["token_hint"].as_str()), (Some("生产 Alertmanager"), Some(&token[token.len() - 4..])));
    assert!(one.get("token").is_none() && one.get("token_hash").is_none(), "{one}");
    let again = app.admin().post("/api/v1/alert-integrations", &json!({ "name": "生产 Alertmanager" })).await;
    assert_problem(&again, 409, "alert_integration_name_taken");
    check_json_endpoint(&app.admin(), "POST", "/api/v1/alert-integrations", &json!({ "name": "探针" }), &["name"]).await;
    // Ordinary roles neither manage nor read the senders' plumbing; strangers are not signed in.
    let (_, officer) = app.user_with_roles("alert.officer", &["duty_officer"]).await;
    let refused = officer.post("/api/v1/alert-integrations", &json!({ "name": "值班自建" })).await;
    assert_problem(&refused, 403, "forbidden");
    assert_problem(&officer.get(&format!("/api/v1/alert-integrations/{id}")).await, 403, "forbidden");
    assert_problem(&app.anonymous().get("/api/v1/alert-integrations").await, 401, "unauthenticated");
    // A new token: the old one is refused at once, the new one accepted.
    let rotated = app.admin().post(&format!("/api/v1/alert-integrations/{id}/rotate-token"), &json!({})).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let fresh = rotated.json()["token"].as_str().expect("new token").to_string();
    let body = am_webhook(vec![am_alert("10.0.0.1:9100", "firing", "P1")]);
    assert_problem(&post_raw(&sender(&app, &token), "/integrations/alertmanager", &body).await, 401, "alert_token_invalid");
    assert_eq!(post_raw(&sender(&app, &fresh), "/integrations/alertmanager", &body).await.status, 200);
    // Inactive: refused too.
    let off = app
        .admin()
        .send("PATCH", &format!("/api/v1/alert-integrations/{id}"), Some("application/json"), b"{\"active\":false}".to_vec())
        .await;
    assert_eq!(off.status, 200, "{}", off.text());
    assert_problem(&post_raw(&sender(&app, &fresh), "/integrations/alertmanager", &body).await, 401, "alert_token_invalid");
    app.stop().await;
}

#[tokio::test]
async fn alertmanager_webhook_is_ingested_once_whatever_the_repeats() {
    let app = spawn_app().await;
    let reader = officer(&app, "alert.reader").await;
    let (_, token) = integration(&app, "am", json!({ "map": { "P1": "critical" } })).await;
    let am = sender(&app, &token);
    let group = am_webhook(vec![am_alert("10.0.0.1:9100", "firing", "P1"), am_alert("10.0.0.2:9100", "firing", "warning")]);
    let first = post_raw(&am, "/integrations/alertmanager", &group).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!((first.json()["new"].as_u64(), first.json()["repeats"].as_u64()), (Some(2), Some(0)));
    // Every group_interval the whole group again, and the HA twin at the same moment.
    let by_url = format!("/integrations/alertmanager/{token}");
    let (a, b) = tokio::join!(post_raw(&am, "/integrations/alertmanager", &group), post_raw(&am, &by_url, &group));
    assert_eq!((a.status, b.status), (200, 200), "{} {}", a.text(), b.text());
    assert_eq!((a.json()["repeats"].as_u64(), b.json()["repeats"].as_u64()), (Some(2), Some(2)));
    let listed = alerts(&reader, "").await;
    assert_eq!(listed.len(), 2, "one alert per fingerprint: {listed:?}");
    let host1 = listed.iter().find(|a| a["dedup_key"] == "fp-10.0.0.1:9100").expect("host 1");
    assert_eq!((host1["status"].as_str(), host1["severity"].as_str()), (Some("firing"), Some("critical")));
    assert_eq!(host1["title"], "10.0.0.1:9100 宕机");
    assert_eq!(host1["labels"]["job"], "node");
    assert_eq!(host1["raw"]["generatorURL"], "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0", "the payload as sent");
    // One resolves: one change, one more history row.
    let resolved = am_webhook(vec![am_alert("10.0.0.1:9100", "resolved", "P1"), am_alert("10.0.0.2:9100", "firing", "warning")]);
    let r = post_raw(&am, "/integrations/alertmanager", &resolved).await;
    assert_eq!((r.json()["changed"].as_u64(), r.json()["repeats"].as_u64()), (Some(1), Some(1)), "{}", r.text());
    let id = host1["id"].as_i64().expect("id");
    let detail = reader.get(&format!("/api/v1/alerts/{id}")).await.json();
    let kinds: Vec<&str> = detail["history"].as_array().expect("history").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["firing", "resolved"]);
    assert_eq!(alerts(&reader, "?status=firing").await.len(), 1);
    assert_eq!(alerts(&reader, "?severity=critical").await.len(), 1);
    assert_problem(&reader.get("/api/v1/alerts?status=burning").await, 422, "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn senders_are_refused_with_the_reason_and_odd_alerts_are_kept_and_flagged() {
    let app = spawn_app().await;
    let reader = officer(&app, "alert.reader").await;
    let (_, token) = integration(&app, "am", json!({})).await;
    let good = am_webhook(vec![am_alert("10.0.0.9:9100", "firing", "紧急")]);
    assert_problem(&post_raw(&app.anonymous(), "/integrations/alertmanager", &good).await, 401, "alert_token_invalid");
    assert_problem(&post_raw(&sender(&app, "ywa_not-a-token"), "/integrations/alertmanager", &good).await, 401, "alert_token_invalid");
    let am = sender(&app, &token);
    let r = am.send("POST", "/integrations/alertmanager", Some("application/json"), b"{\"version\":".to_vec()).await;
    assert_problem(&r, 400, "alert_payload_invalid");
    assert!(r.json()["detail"].as_str().is_some_and(|d| d.contains("not JSON")), "{}", r.text());
    let mut bad_time = good.clone();
    bad_time["alerts"][0]["startsAt"] = json!("昨天");
    let r = post_raw(&am, "/integrations/alertmanager", &bad_time).await;
    assert_problem(&r, 400, "alert_payload_invalid");
    assert!(r.text().contains("alerts[0].startsAt"), "the reason names the field: {}", r.text());
    let huge = vec![b' '; 1024 * 1024 + 10];
    assert_problem(&am.send("POST", "/integrations/alertmanager", Some("application/json"), huge).await, 413, "body_too_large");
    // An unknown severity and fields Alertmanager may add one day: accepted, default, flagged.
    let mut odd = good.clone();
    odd["newTopLevel"] = json!(true);
    let r = post_raw(&am, "/integrations/alertmanager", &odd).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let a = &alerts(&reader, "").await[0];
    assert_eq!((a["severity"].as_str(), a["source_severity"].as_str()), (Some("warning"), Some("紧急")));
    assert_eq!(a["flags"], json!(["extra_fields", "unknown_severity"]));
    app.stop().await;
}

#[tokio::test]
async fn pagerduty_events_are_answered_as_pagerduty_answers() {
    let app = spawn_app().await;
    let reader = officer(&app, "alert.reader").await;
    let (_, token) = integration(&app, "zabbix", json!({ "map": { "error": "major" } })).await;
    let pd = app.anonymous();
    let trigger = json!({
        "routing_key": token, "event_action": "trigger", "dedup_key": "zabbix-4711",
        "payload": { "summary": "核心交换机端口丢包 12%", "source": "sw-core-01", "severity": "error", "component": "eth1/0/1",
                     "custom_details": { "丢包率": "12%" } },
        "client": "Zabbix", "client_url": "http://zabbix/tr_events.php?eventid=4711"
    });
    let r = post_raw(&pd, "/integrations/pagerduty/v2/enqueue", &trigger).await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json(), json!({ "status": "success", "message": "Event processed", "dedup_key": "zabbix-4711" }));
    let ack = json!({ "routing_key": token, "event_action": "acknowledge", "dedup_key": "zabbix-4711" });
    assert_eq!(post_raw(&pd, "/integrations/pagerduty/v2/enqueue", &ack).await.status, 202);
    let a = &alerts(&reader, "").await[0];
    assert_eq!((a["severity"].as_str(), a["labels"]["source"].as_str()), (Some("major"), Some("sw-core-01")));
    assert!(a["acknowledged_at"].is_i64(), "{a}");
    let resolve = json!({ "routing_key": token, "event_action": "resolve", "dedup_key": "zabbix-4711" });
    assert_eq!(post_raw(&pd, "/integrations/pagerduty/v2/enqueue", &resolve).await.status, 202);
    assert_eq!(alerts(&reader, "").await[0]["status"], "resolved");
    // No routing key anywhere: 401; no dedup_key to resolve: 400 with the reason.
    let r = post_raw(&pd, "/integrations/pagerduty/v2/enqueue", &json!({ "event_action": "resolve", "dedup_key": "x" })).await;
    assert_problem(&r, 401, "alert_token_invalid");
    let r = post_raw(&pd, "/integrations/pagerduty/v2/enqueue", &json!({ "routing_key": token, "event_action": "resolve" })).await;
    assert_problem(&r, 400, "alert_payload_invalid");
    // v1, as older clients send it.
    let v1 = json!({ "service_key": token, "event_type": "trigger", "incident_key": "srv/disk", "description": "磁盘使用率 95%",
                     "details": { "severity": "critical" }, "client": "Zabbix" });
    let r = post_raw(&pd, "/integrations/pagerduty/generic/2010-04-15/create_event.json", &v1).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({ "status": "success", "message": "Event processed", "incident_key": "srv/disk" }));
    app.stop().await;
}

#[tokio::test]
async fn alertmanager_api_and_generic_json_share_the_door() {
    let app = spawn_app().await;
    let reader = officer(&app, "alert.reader").await;
    let (_, token) = integration(&app, "prometheus", json!({})).await;
    let labels = json!({ "alertname": "DiskFull", "instance": "10.0.0.3:9100", "severity": "critical" });
    let api = json!([{ "labels": labels, "annotations": { "summary": "磁盘将满" }, "startsAt": "2026-12-07T08:00:00Z",
                       "generatorURL": "http://prometheus:9090/graph" }]);
    let r = post_raw(&sender(&app, &token), "/integrations/alertmanager/api/v2/alerts", &api).await;
    assert_eq!((r.status, r.json()["new"].as_u64()), (200, Some(1)), "{}", r.text());
    let r = post_raw(&app.anonymous(), &format!("/integrations/alertmanager/{token}/api/v2/alerts"), &api).await;
    assert_eq!(r.json()["repeats"].as_u64(), Some(1), "the same labels are the same alert: {}", r.text());
    let a = &alerts(&reader, "").await[0];
    // Prometheus' own fingerprint of the label set, as Alertmanager would print it.
    assert_eq!(a["dedup_key"].as_str().map(str::len), Some(16), "{a}");
    let generic = json!({ "alerts": [
        { "source": "批量作业", "dedup_key": "batch-0107", "status": "firing", "severity": "major", "title": "核心日终批量交易量低",
          "description": "交易笔数低于阈值", "labels": { "ci": "核心系统" }, "starts_at": "2026-12-07T08:00:00+08:00",
          "links": ["http://batch/0107"] },
        { "title": "备份作业失败", "severity": "minor" }
    ]});
    let r = post_raw(&app.anonymous().header("x-yunwei-token", &token), "/integrations/generic", &generic).await;
    assert_eq!((r.status, r.json()["new"].as_u64()), (200, Some(2)), "{}", r.text());
    let r = post_raw(&app.anonymous(), &format!("/integrations/generic/{token}"), &json!({ "severity": "major" })).await;
    assert_problem(&r, 400, "alert_payload_invalid");
    assert!(r.text().contains("title"), "{}", r.text());
    app.stop().await;
}

#[tokio::test]
async fn duty_officers_read_and_acknowledge_alerts_and_others_may_not() {
    let app = spawn_app().await;
    let (_, token) = integration(&app, "am", json!({})).await;
    let r = post_raw(&sender(&app, &token), "/integrations/alertmanager", &am_webhook(vec![am_alert("10.0.0.5:9100", "firing", "major")]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (officer_id, officer) = app.user_with_roles("alert.duty", &["duty_officer"]).await;
    let (_, teller) = app.user_with_roles("alert.teller", &["business_user"]).await;
    let listed = officer.get("/api/v1/alerts").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let id = listed.json()["items"][0]["id"].as_i64().expect("id");
    assert_problem(&teller.get("/api/v1/alerts").await, 403, "forbidden");
    assert_problem(&teller.post(&format!("/api/v1/alerts/{id}/acknowledge"), &json!({})).await, 403, "forbidden");
    let acked = officer.post(&format!("/api/v1/alerts/{id}/acknowledge"), &json!({})).await;
    assert_eq!(acked.status, 200, "{}", acked.text());
    assert_eq!(acked.json()["acknowledged_by"].as_i64(), Some(officer_id));
    let again = officer.post(&format!("/api/v1/alerts/{id}/acknowledge"), &json!({})).await.json();
    let kinds: Vec<&str> = again["history"].as_array().expect("history").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["firing", "acknowledged"], "the first acknowledgement counts");
    assert_problem(&officer.get("/api/v1/alerts/999999").await, 404, "not_found");
    app.stop().await;
}
