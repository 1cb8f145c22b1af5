//! Outbound webhooks: signed deliveries to a local sink, the event filter, retries
//! with a stable delivery id, the SSRF guard at create and at send time, no
//! survey links in payloads, secret rotation, permissions and bad input.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use yunwei_core::config::WebhookSettings;
use yunwei_core::{CoreConfig, FixedClock};
use yunwei_testkit::bad_input::{assert_problem, check_json_endpoint};
use yunwei_testkit::hidden;
use yunwei_testkit::webhook::{Received, WebhookSink};
use yunwei_testkit::{Client, Options, TestApp, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);

fn config(allow: &[&str], hosts: &[(&str, &str)]) -> CoreConfig {
    CoreConfig {
        webhooks: WebhookSettings {
            allow: allow.iter().map(|a| a.to_string()).collect(),
            hosts: hosts.iter().map(|(h, a)| (h.to_string(), a.to_string())).collect::<BTreeMap<_, _>>(),
        },
        ..CoreConfig::default()
    }
}

/// An app whose webhooks may reach the loopback sink.
async fn app_for_sink() -> TestApp {
    spawn_app_with(Options { config: Some(config(&["127.0.0.0/8"], &[])), ..Default::default() }).await
}

async fn create_hook(client: &Client, name: &str, url: &str, events: &[&str]) -> Value {
    let r = client.post("/api/v1/webhooks", &json!({ "name": name, "url": url, "event_types": events })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// Recomputes `X-Yunwei-Signature` from the secret, with HMAC-SHA256 of "<t>.<body>".
fn signed_with(r: &Received, secret: &str) -> bool {
    let header = r.header("x-yunwei-signature").unwrap_or_default();
    let Some((t, v1)) = header.split_once(',') else { return false };
    let t = t.strip_prefix("t=").unwrap_or_default();
    let v1 = v1.strip_prefix("v1=").unwrap_or_default();
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", r.body).as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    !t.is_empty() && expected == v1
}

async fn incident(client: &Client, title: &str) -> Value {
    let r = client
        .post("/api/v1/incidents", &json!({ "title": title, "description": "核心交换机端口丢包", "impact": "high", "urgency": "medium" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn deliveries_until(client: &Client, hook: i64, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let list = client.get(&format!("/api/v1/webhooks/{hook}/deliveries")).await;
        assert_eq!(list.status, 200, "{}", list.text());
        let items = list.json()["items"].clone();
        if items.as_array().and_then(|a| a.first()).is_some_and(&done) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the delivery did not reach the expected state");
}

#[tokio::test]
async fn a_new_incident_reaches_the_sink_signed_and_the_filter_is_honoured() {
    let app = app_for_sink().await;
    let sink = WebhookSink::start().await;
    let admin = app.admin();
    let created = create_hook(&admin, "工单总线", &sink.url("/created"), &["incident.created"]).await;
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{created}");
    assert_eq!(created["event_types"], json!(["incident.created"]));
    assert_eq!(created["active"], true);
    create_hook(&admin, "评论同步", &sink.url("/comments"), &["incident.commented"]).await;
    let got = admin.get(&format!("/api/v1/webhooks/{}", created["id"])).await.json();
    assert_eq!(got["name"], "工单总线");
    assert!(got.get("secret").is_none(), "the secret is shown once only: {got}");
    assert!(!admin.get("/api/v1/webhooks").await.text().contains(&secret));

    let (_, director) = app.user_with_roles("hook.director", &["ops_director"]).await;
    let inc = incident(&director, "网络丢包（推送测试）").await;
    let first = sink.wait_for(1, WAIT).await;
    let r = &first[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/created"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("user-agent").is_some_and(|u| u.starts_with("Yunwei/")), "{r:?}");
    assert_eq!(r.header("x-yunwei-event"), Some("incident.created"));
    assert!(r.header("x-yunwei-delivery").is_some_and(|d| !d.is_empty()));
    assert!(signed_with(r, &secret), "signature does not verify: {r:?}");
    assert!(!signed_with(r, "whsec_wrong"));
    let body = r.json();
    assert_eq!(body["type"], "incident.created");
    assert!(body["id"].as_i64().is_some_and(|i| i > 0), "{body}");
    assert!(body["occurred_at"].as_str().is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()), "{body}");
    assert_eq!(body["data"]["object_type"], "incident");
    assert_eq!(body["data"]["object_id"], inc["id"].to_string());
    assert!(body["data"].get("recipients").is_none() && body["data"].get("path").is_none(), "{body}");

    // The comment goes to the other webhook only.
    let number = inc["number"].as_str().unwrap();
    assert_eq!(director.post(&format!("/api/v1/incidents/{number}/comments"), &json!({ "body": "已联系厂商" })).await.status, 201);
    let all = sink.wait_for(2, WAIT).await;
    assert_eq!(all[1].path, "/comments");
    assert_eq!(all[1].header("x-yunwei-event"), Some("incident.commented"));
    // Every delivery the two events caused has been attempted: a stray one would be here now.
    app.settle().await;
    let seen: Vec<(String, String)> =
        sink.received().iter().map(|r| (r.path.clone(), r.header("x-yunwei-event").unwrap_or_default().to_string())).collect();
    let expected = [("/created", "incident.created"), ("/comments", "incident.commented")].map(|(p, e)| (p.to_string(), e.to_string()));
    assert_eq!(seen, expected, "each webhook got its own events only");
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_that_fails_is_retried_with_the_same_delivery_id() {
    let clock = Arc::new(FixedClock::new(1_790_000_000_000));
    let app =
        spawn_app_with(Options { config: Some(config(&["127.0.0.0/8"], &[])), clock: Some(clock.clone()), ..Default::default() }).await;
    let sink = WebhookSink::start().await;
    sink.answer_next(&[500]);
    let (_, director) = app.user_with_roles("retry.director", &["ops_director"]).await;
    let hook = create_hook(&app.admin(), "重试", &sink.url("/flaky"), &["incident.created"]).await;
    let id = hook["id"].as_i64().unwrap();
    incident(&director, "重试测试").await;
    let first = sink.wait_for(1, WAIT).await;
    assert_eq!(first[0].answered, 500);
    // The attempt is counted when it is claimed and its error recorded when the answer is in.
    let items = deliveries_until(&app.admin(), id, |d| d["attempts"] == 1 && d["status"] == "pending" && !d["last_error"].is_null()).await;
    assert!(items[0]["last_error"].as_str().is_some_and(|e| e.contains("HTTP 500") && e.contains("sink says no")), "{items}");
    assert_eq!(items[0]["event_type"], "incident.created");

    // Backoff: nothing before 10 s have passed, then the same delivery again.
    clock.advance_ms(11_000);
    yunwei_core::webhook::deliver_due(&app.core).await.expect("deliver");
    let both = sink.wait_for(2, WAIT).await;
    assert_eq!(both[1].answered, 200);
    assert_eq!(both[0].header("x-yunwei-delivery"), both[1].header("x-yunwei-delivery"), "receivers de-duplicate by it");
    assert_eq!(both[0].body, both[1].body);
    assert!(signed_with(&both[1], hook["secret"].as_str().unwrap()));
    let items = deliveries_until(&app.admin(), id, |d| d["status"] == "sent").await;
    assert_eq!(items[0]["attempts"], 2);
    assert_eq!(items[0]["last_error"], Value::Null);
    assert_eq!(items[0]["id"].to_string(), both[1].header("x-yunwei-delivery").unwrap());
    app.stop().await;
}

#[tokio::test]
async fn internal_addresses_are_refused_when_created_and_when_sent() {
    let app = spawn_app_with(Options { config: Some(config(&[], &[("hooks.internal.example", "127.0.0.1")])), ..Default::default() }).await;
    let admin = app.admin();
    for (url, code) in [
        ("http://10.0.0.1/hook", "url_address_not_allowed"),
        ("http://localhost:9000/hook", "url_address_not_allowed"),
        ("http://[::1]/hook", "url_address_not_allowed"),
        ("http://169.254.169.254/latest/meta-data", "url_address_not_allowed"),
        ("http://127.1:9000/hook", "url_address_not_allowed"),
        ("http://2130706433/hook", "url_address_not_allowed"),
        ("ftp://hooks.bank.example/", "url_scheme_not_allowed"),
        ("https://user:pw@hooks.bank.example/", "url_credentials_not_allowed"),
        ("hooks.bank.example/path", "invalid_url"),
    ] {
        let r = admin.post("/api/v1/webhooks", &json!({ "name": format!("拒绝 {url}"), "url": url })).await;
        assert_problem(&r, 422, "validation_failed");
        assert_eq!(r.json()["errors"][0]["field"], "url", "{url}: {}", r.text());
        assert_eq!(r.json()["errors"][0]["code"], code, "{url}: {}", r.text());
    }
    let listed = admin.get("/api/v1/webhooks").await.json();
    assert_eq!(listed["items"], json!([]));

    // A name that passes the form but resolves to loopback is refused when sending, with the reason.
    let sink = WebhookSink::start().await;
    let url = format!("http://hooks.internal.example:{}/in", sink.addr.port());
    let hook = create_hook(&admin, "内网名字", &url, &["incident.created"]).await;
    let id = hook["id"].as_i64().unwrap();
    let ping = admin.post(&format!("/api/v1/webhooks/{id}/test"), &json!({})).await;
    assert_eq!(ping.status, 202, "{}", ping.text());
    assert_eq!(ping.json()["event_type"], "ping");
    let items = deliveries_until(&admin, id, |d| d["status"] == "dead").await;
    let error = items[0]["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("refused") && error.contains("127.0.0.1") && error.contains("loopback"), "{error}");
    assert!(sink.received().is_empty(), "nothing may reach the internal address");
    app.stop().await;
}

#[tokio::test]
async fn survey_events_carry_no_link_token() {
    let app = app_for_sink().await;
    let sink = WebhookSink::start().await;
    create_hook(&app.admin(), "满意度", &sink.url("/survey"), &["survey.requested"]).await;
    let d = crate::survey::desk(&app, "hooksv").await;
    let number = crate::survey::resolved(&d, &d.engineer, json!({}), "推送不带评价链接").await;
    let token = crate::survey::survey_token(&app, &d.requester.1, &number).await;
    let got = sink.wait_for(1, WAIT).await;
    let r = &got[0];
    assert_eq!(r.header("x-yunwei-event"), Some("survey.requested"));
    assert!(!r.body.contains(&token) && !r.body.contains("/surveys/"), "the one-time link leaked: {}", r.body);
    let body = r.json();
    assert_eq!(body["data"]["number"], number);
    assert!(body["data"].get("path").is_none() && body["data"].get("email_to").is_none(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn rotating_the_secret_changes_the_signature() {
    let app = app_for_sink().await;
    let sink = WebhookSink::start().await;
    let admin = app.admin();
    let hook = create_hook(&admin, "轮换", &sink.url("/rotate"), &["incident.created"]).await;
    let id = hook["id"].as_i64().unwrap();
    let old = hook["secret"].as_str().unwrap().to_string();
    assert_eq!(admin.post(&format!("/api/v1/webhooks/{id}/test"), &json!({})).await.status, 202);
    let first = sink.wait_for(1, WAIT).await;
    assert_eq!(first[0].header("x-yunwei-event"), Some("ping"), "a ping reaches the webhook despite its filter");
    assert_eq!(first[0].json()["type"], "ping");
    assert!(signed_with(&first[0], &old));

    let rotated = admin.post(&format!("/api/v1/webhooks/{id}/rotate-secret"), &json!({})).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let new = rotated.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(rotated.json()["version"], hook["version"].as_i64().unwrap() + 1);
    assert_eq!(admin.post(&format!("/api/v1/webhooks/{id}/test"), &json!({})).await.status, 202);
    let both = sink.wait_for(2, WAIT).await;
    assert!(signed_with(&both[1], &new) && !signed_with(&both[1], &old), "{:?}", both[1]);
    assert_ne!(both[0].header("x-yunwei-delivery"), both[1].header("x-yunwei-delivery"), "two pings, two deliveries");

    // The audit trail records the rotation, never the secret.
    let (_, auditor) = app.user_with_roles("hook.auditor", &["audit_admin"]).await;
    let audit = auditor.get("/api/v1/audit-events?object_type=webhook").await;
    assert!(audit.text().contains("rotate_secret"), "{}", audit.text());
    assert!(!audit.text().contains(&new) && !audit.text().contains(&old));
    app.stop().await;
}

#[tokio::test]
async fn webhooks_need_the_webhook_permission_and_refuse_bad_input() {
    let app = app_for_sink().await;
    let admin = app.admin();
    let (_, engineer) = app.user_with_roles("hook.eng", &["network_engineer"]).await;
    assert_problem(&engineer.get("/api/v1/webhooks").await, 403, "forbidden");
    let denied = engineer.post("/api/v1/webhooks", &json!({ "name": "x", "url": "https://hooks.bank.example/" })).await;
    assert_problem(&denied, 403, "forbidden");
    let hook = create_hook(&admin, "权限", "https://hooks.bank.example/yunwei", &[]).await;
    let id = hook["id"].as_i64().unwrap();
    assert_problem(&engineer.post(&format!("/api/v1/webhooks/{id}/rotate-secret"), &json!({})).await, 403, "forbidden");
    assert_problem(&engineer.send("DELETE", &format!("/api/v1/webhooks/{id}"), None, Vec::new()).await, 403, "forbidden");
    assert_problem(&engineer.get(&format!("/api/v1/webhooks/{id}/deliveries")).await, 403, "forbidden");

    let dup = admin.post("/api/v1/webhooks", &json!({ "name": "权限", "url": "https://hooks.bank.example/b" })).await;
    assert_problem(&dup, 409, "webhook_name_taken");
    let valid = json!({ "name": "坏输入", "url": "https://hooks.bank.example/in", "event_types": ["incident.created"] });
    check_json_endpoint(&admin, "POST", "/api/v1/webhooks", &valid, &["name", "url"]).await;
    check_json_endpoint(&admin, "PATCH", &format!("/api/v1/webhooks/{id}"), &json!({ "name": "改名" }), &["name", "url"]).await;
    let bad = admin
        .post("/api/v1/webhooks", &json!({ "name": "", "url": "https://hooks.bank.example/", "event_types": ["incident.nope"] }))
        .await;
    assert_problem(&bad, 422, "validation_failed");
    let errors = bad.json()["errors"].clone();
    let fields: Vec<&str> = errors.as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap_or_default()).collect();
    assert!(fields.contains(&"name") && fields.contains(&"event_types[0]"), "{}", bad.text());
    assert_problem(&admin.get("/api/v1/webhooks/999999").await, 404, "not_found");
    assert_problem(&admin.get(&format!("/api/v1/webhooks/{id}/deliveries?limit=0")).await, 422, "validation_failed");

    let patched = admin.patch(&format!("/api/v1/webhooks/{id}"), &json!({ "active": false, "event_types": [] })).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["active"], false);
    assert_eq!(patched.json()["event_types"], json!([]));
    assert_eq!(admin.send("DELETE", &format!("/api/v1/webhooks/{id}"), None, Vec::new()).await.status, 204);
    assert_problem(&admin.get(&format!("/api/v1/webhooks/{id}")).await, 404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn the_admin_page_creates_a_webhook_showing_its_secret_once_in_both_languages() {
    let app = app_for_sink().await;
    let sink = WebhookSink::start().await;
    let admin = app.admin_session().await;
    let page = admin.get("/admin/webhooks").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("href=\"/admin/webhooks\""), "linked from the admin navigation");
    assert!(html.contains("新增 Webhook") && html.contains("[core.webhooks] allow"), "{html}");
    let csrf = hidden(&html, "csrf_token");
    let url = sink.url("/page");
    let bad = admin
        .post_form("/admin/webhooks", &[("csrf_token", &csrf), ("name", "内网"), ("url", "http://10.0.0.1/"), ("event_types", "")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(bad.text().contains("需管理员在 [core.webhooks] allow 中放行"), "{}", bad.text());
    let created = admin
        .post_form(
            "/admin/webhooks",
            &[("csrf_token", &csrf), ("name", "页面创建"), ("url", &url), ("event_types", "incident.created, incident.commented")],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let text = created.text();
    assert!(text.contains("请立即复制：密钥仅显示这一次。"), "{text}");
    let secret = text.split("<pre class=\"secret\">").nth(1).and_then(|s| s.split("</pre>").next()).unwrap_or_default().to_string();
    assert!(secret.starts_with("whsec_"), "{text}");
    let listed = admin.get("/admin/webhooks").await.text();
    assert!(listed.contains("页面创建") && listed.contains("incident.commented, incident.created") && !listed.contains(&secret));

    let hook = app.admin().get("/api/v1/webhooks").await.json()["items"][0].clone();
    let id = hook["id"].as_i64().unwrap();
    assert_eq!(hook["event_types"], json!(["incident.commented", "incident.created"]));
    let r = admin.post_form(&format!("/admin/webhooks/{id}/test"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let got = sink.wait_for(1, WAIT).await;
    assert!(signed_with(&got[0], &secret), "the secret shown on the page signs");
    let after = deliveries_until(&app.admin(), id, |d| d["status"] == "sent").await;
    assert_eq!(after[0]["event_type"], "ping");
    let r = admin.post_form(&format!("/admin/webhooks/{id}/toggle"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(app.admin().get(&format!("/api/v1/webhooks/{id}")).await.json()["active"], false);

    assert_eq!(admin.patch("/api/v1/me", &json!({ "locale": "en" })).await.status, 200);
    let en = admin.get("/admin/webhooks").await.text();
    assert!(en.contains("Add webhook") && en.contains("Recent deliveries") && en.contains("Delivered") && en.contains("Inactive"), "{en}");
    let r = admin.post_form(&format!("/admin/webhooks/{id}/delete"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(app.admin().get("/api/v1/webhooks").await.json()["items"], json!([]));
    app.stop().await;
}
