//! Chat robots and the SMS gateway: each robot gets its service's exact body, URL and
//! signature (checked by a stand-in that answers as the service does), a message in words in
//! the subscription's language, a budget of messages a minute that a burst never overspends
//! (it becomes digests), errors inside a 200 recognised, and bad settings refused by field.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use yunwei_core::config::WebhookSettings;
use yunwei_core::{CoreConfig, FixedClock};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::robot::{Robot, Service, shown_text, taken};
use yunwei_testkit::webhook::WebhookSink;
use yunwei_testkit::{Client, Options, TestApp, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);
const NOW: i64 = 1_790_000_000_000;

async fn app(clock: Option<Arc<FixedClock>>) -> TestApp {
    let config = CoreConfig {
        webhooks: WebhookSettings { allow: vec!["127.0.0.0/8".into()], ..Default::default() },
        public_url: "https://yunwei.bank.example".into(),
        ..CoreConfig::default()
    };
    let clock = clock.map(|c| c as Arc<dyn yunwei_core::Clock>);
    spawn_app_with(Options { config: Some(config), clock, ..Default::default() }).await
}

async fn robot(client: &Client, body: Value) -> Value {
    let r = client.post("/api/v1/webhooks", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn incident(client: &Client, title: &str) -> String {
    let body = json!({ "title": title, "description": "端口丢包", "impact": "high", "urgency": "medium" });
    let r = client.post("/api/v1/incidents", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["number"].as_str().unwrap_or_default().to_string()
}

async fn deliveries(client: &Client, hook: i64) -> Vec<Value> {
    let r = client.get(&format!("/api/v1/webhooks/{hook}/deliveries?limit=200")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until every delivery of `hook` satisfies `done`.
async fn until_all(client: &Client, hook: i64, n: usize, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    for _ in 0..200 {
        let items = deliveries(client, hook).await;
        if items.len() == n && items.iter().all(&done) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries of webhook {hook} did not settle: {:#?}", deliveries(client, hook).await);
}

#[tokio::test]
async fn each_robot_gets_its_services_format_and_signature_in_its_language() {
    let app = app(None).await;
    let admin = app.admin();
    let now = jiff::Timestamp::now().as_millisecond();
    let (ding, ding_url) = Robot { service: Service::DingTalk, secret: Some("SECding".into()), per_minute: 20, now_ms: now }.start().await;
    let (wecom, wecom_url) = Robot { service: Service::WeCom, secret: None, per_minute: 20, now_ms: now }.start().await;
    let (feishu, feishu_url) =
        Robot { service: Service::Feishu, secret: Some("feishu-secret".into()), per_minute: 20, now_ms: now }.start().await;
    let (slack, slack_url) = Robot { service: Service::Slack, secret: None, per_minute: 60, now_ms: now }.start().await;
    let events = json!(["incident.created"]);
    let d =
        robot(&admin, json!({ "name": "值班钉钉群", "url": ding_url, "format": "dingtalk", "secret": "SECding", "event_types": events }))
            .await;
    assert_eq!(d["secret"], "", "a robot's secret is never shown back: {d}");
    assert_eq!((d["format"].as_str(), d["per_minute"].as_i64(), d["locale"].as_str()), (Some("dingtalk"), Some(20), Some("zh-CN")));
    robot(&admin, json!({ "name": "企业微信群", "url": wecom_url, "format": "wecom", "event_types": events })).await;
    robot(&admin, json!({ "name": "飞书群", "url": feishu_url, "format": "feishu", "secret": "feishu-secret", "event_types": events }))
        .await;
    let s = robot(&admin, json!({ "name": "Slack", "url": slack_url, "format": "slack", "locale": "en", "event_types": events })).await;
    assert_eq!(s["per_minute"], 60);
    let listed = admin.get("/api/v1/webhooks").await.text();
    assert!(!listed.contains("SECding") && !listed.contains("feishu-secret"), "{listed}");

    let (_, director) = app.user_with_roles("robot.director", &["ops_director"]).await;
    let number = incident(&director, "核心交换机丢包").await;
    for (service, sink) in [(Service::DingTalk, &ding), (Service::WeCom, &wecom), (Service::Feishu, &feishu), (Service::Slack, &slack)] {
        let got = sink.wait_for(1, WAIT).await;
        assert!(taken(service, &got[0]), "{service:?} refused: {:?}", got[0]);
        let text = shown_text(service, &got[0]);
        assert!(text.contains(&number) && text.contains("核心交换机丢包"), "{service:?}: {text}");
        let link = format!("https://yunwei.bank.example/incidents/{number}");
        assert!(text.contains(&link), "{service:?} links the record: {text}");
        if service == Service::Slack {
            assert!(text.contains("New incident") || text.contains("Incident"), "English words for an English robot: {text}");
            assert!(!text.contains("新事件"), "{text}");
        } else {
            assert!(!text.contains("incident.created"), "words, not codes, on a Chinese robot: {text}");
        }
    }
    app.settle().await;
    for (service, sink) in [(Service::DingTalk, &ding), (Service::WeCom, &wecom), (Service::Feishu, &feishu), (Service::Slack, &slack)] {
        assert_eq!(sink.received().len(), 1, "{service:?} got one message for one event");
    }
    let id = d["id"].as_i64().unwrap_or_default();
    let sent = until_all(&admin, id, 1, |x| x["status"] == "sent").await;
    assert_eq!(sent[0]["attempts"], 1);

    // A test ping reaches a robot as a message of its own.
    assert_eq!(admin.post(&format!("/api/v1/webhooks/{id}/test"), &json!({})).await.status, 202);
    let got = ding.wait_for(2, WAIT).await;
    assert!(taken(Service::DingTalk, &got[1]) && shown_text(Service::DingTalk, &got[1]).contains("云维测试消息"), "{:?}", got[1]);
    app.stop().await;
}

#[tokio::test]
async fn a_burst_becomes_digests_and_never_overspends_the_budget() {
    let clock = Arc::new(FixedClock::new(NOW));
    let app = app(Some(clock.clone())).await;
    let admin = app.admin();
    let (ding, url) = Robot { service: Service::DingTalk, secret: Some("SECburst".into()), per_minute: 5, now_ms: NOW }.start().await;
    let hook = robot(
        &admin,
        json!({ "name": "限流群", "url": url, "format": "dingtalk", "secret": "SECburst", "per_minute": 5, "event_types": ["incident.created"] }),
    )
    .await;
    let id = hook["id"].as_i64().unwrap_or_default();
    // Five test pings, one at a time, spend the minute's budget.
    for n in 1..=5 {
        assert_eq!(admin.post(&format!("/api/v1/webhooks/{id}/test"), &json!({})).await.status, 202);
        until_all(&admin, id, n, |d| d["status"] == "sent").await;
    }
    assert_eq!(ding.received().len(), 5);
    // A burst of twelve now waits, untried, for room.
    let (_, director) = app.user_with_roles("burst.director", &["ops_director"]).await;
    let mut numbers = Vec::new();
    for i in 0..12 {
        numbers.push(incident(&director, &format!("批量告警 {i}")).await);
    }
    until_all(&admin, id, 17, |d| d["status"] == "sent" || (d["status"] == "pending" && d["attempts"] == 0)).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(ding.received().len(), 5, "nothing more within the minute");
    let waiting = deliveries(&admin, id).await.into_iter().filter(|d| d["status"] == "pending").count();
    assert_eq!(waiting, 12);

    // A minute later the twelve go out as one digest, within the budget.
    clock.advance_ms(61_000);
    until_all(&admin, id, 17, |d| d["status"] == "sent").await;
    let got = ding.received();
    assert_eq!(got.len(), 6, "one digest for twelve notices: {got:#?}");
    assert!(got.iter().all(|r| taken(Service::DingTalk, r)), "the robot never had to refuse: {got:#?}");
    let digest = shown_text(Service::DingTalk, &got[5]);
    assert!(digest.contains("云维通知汇总（12 条）"), "{digest}");
    for n in &numbers {
        assert!(digest.contains(n.as_str()), "{n} is in the digest: {digest}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_error_inside_a_200_is_a_failure_retried_or_dead() {
    let app = app(None).await;
    let admin = app.admin();
    let now = jiff::Timestamp::now().as_millisecond();
    // The robot expects another secret: DingTalk answers 200 with errcode 310000.
    let (ding, url) = Robot { service: Service::DingTalk, secret: Some("SECright".into()), per_minute: 20, now_ms: now }.start().await;
    let hook = robot(
        &admin,
        json!({ "name": "错密钥", "url": url, "format": "dingtalk", "secret": "SECwrong", "event_types": ["incident.created"] }),
    )
    .await;
    let id = hook["id"].as_i64().unwrap_or_default();
    let (_, director) = app.user_with_roles("err.director", &["ops_director"]).await;
    incident(&director, "签名错误").await;
    let dead = until_all(&admin, id, 1, |d| d["status"] == "dead").await;
    let error = dead[0]["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("310000") && error.contains("sign not match"), "the robot's own words: {error}");
    assert_eq!(ding.received().len(), 1, "a wrong secret is not retried");

    // Set the right secret (robots' secrets are typed in, not rotated); the next one arrives.
    let rotate = admin.post(&format!("/api/v1/webhooks/{id}/rotate-secret"), &json!({})).await;
    assert_problem(&rotate, 422, "validation_failed");
    assert_eq!(rotate.json()["errors"][0]["code"], "secret_issued_by_robot", "{}", rotate.text());
    let patched = admin.patch(&format!("/api/v1/webhooks/{id}"), &json!({ "secret": "SECright" })).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    incident(&director, "签名已改正").await;
    let got = ding.wait_for(2, WAIT).await;
    assert!(taken(Service::DingTalk, &got[1]), "{:?}", got[1]);

    // WeCom's "too many" inside a 200 is retried later, not dropped.
    let (wecom, wurl) = Robot { service: Service::WeCom, secret: None, per_minute: 0, now_ms: now }.start().await;
    let w = robot(&admin, json!({ "name": "满额群", "url": wurl, "format": "wecom", "event_types": ["incident.created"] })).await;
    incident(&director, "频率受限").await;
    let wid = w["id"].as_i64().unwrap_or_default();
    let pending = until_all(&admin, wid, 1, |d| d["status"] == "pending" && !d["last_error"].is_null()).await;
    assert!(pending[0]["last_error"].as_str().is_some_and(|e| e.contains("45009")), "{pending:?}");
    assert_eq!(wecom.received().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn an_sms_gateway_gets_its_own_json_signed() {
    let app = app(None).await;
    let admin = app.admin();
    let sink = WebhookSink::start().await;
    let template = r#"{"mobile": {{ phone | tojson }}, "content": {{ text | tojson }}, "sign_name": "云维"}"#;
    let hook = robot(
        &admin,
        json!({ "name": "值班短信", "url": sink.url("/sms"), "format": "sms", "phones": ["13800138000", "+8613900139000"],
                "body_template": template, "event_types": ["incident.created"] }),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap_or_default().to_string();
    assert!(secret.starts_with("whsec_"), "Yunwei signs what it sends the gateway: {hook}");
    let (_, director) = app.user_with_roles("sms.director", &["ops_director"]).await;
    let number = incident(&director, "短信测试").await;
    let got = sink.wait_for(1, WAIT).await;
    let body = got[0].json();
    assert_eq!(body["mobile"], "13800138000");
    assert_eq!(body["sign_name"], "云维");
    let content = body["content"].as_str().unwrap_or_default();
    assert!(content.contains(&number) && content.contains("短信测试") && content.len() <= 600, "{content}");
    let header = got[0].header("x-yunwei-signature").unwrap_or_default();
    let (t, v1) = header.split_once(',').unwrap_or_default();
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{}.{}", t.trim_start_matches("t="), got[0].body).as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v1.trim_start_matches("v1="), expected);
    app.stop().await;
}

#[tokio::test]
async fn bad_robot_settings_are_refused_by_field() {
    let app = app(None).await;
    let admin = app.admin();
    let cases = [
        (json!({ "format": "wecom", "phones": ["13800138000"] }), "phones", "not_for_format"),
        (json!({ "format": "sms" }), "phones", "required"),
        (json!({ "format": "sms", "phones": ["138-0013"] }), "phones[0]", "invalid_phone"),
        (json!({ "format": "wecom", "secret": "SECx" }), "secret", "not_for_format"),
        (json!({ "format": "dingtalk", "per_minute": 601 }), "per_minute", "out_of_range"),
        (json!({ "format": "dingtalk", "locale": "fr" }), "locale", "not_allowed_value"),
        (
            json!({ "format": "sms", "phones": ["13800138000"], "body_template": "{\"text\": {{ text }}}" }),
            "body_template",
            "template_not_json",
        ),
        (json!({ "format": "slack", "body_template": "{}" }), "body_template", "not_for_format"),
    ];
    for (extra, field, code) in cases {
        let mut body = json!({ "name": "坏设置", "url": "https://oapi.dingtalk.com/robot/send?access_token=x" });
        body.as_object_mut().unwrap_or_else(|| unreachable!()).extend(extra.as_object().cloned().unwrap_or_default());
        let r = admin.post("/api/v1/webhooks", &body).await;
        assert_problem(&r, 422, "validation_failed");
        let errors = r.json()["errors"].clone();
        assert!(
            errors.as_array().is_some_and(|e| e.iter().any(|e| e["field"] == field && e["code"] == code)),
            "{extra}: expected {field} {code}, got {}",
            r.text()
        );
    }
    let unknown = admin.post("/api/v1/webhooks", &json!({ "name": "x", "url": "https://a.example/", "format": "telegram" })).await;
    assert_problem(&unknown, 422, "invalid_body");
    assert!(unknown.text().contains("telegram"), "the unknown format is named: {}", unknown.text());
    // Yunwei's own secret is rotated, never typed in.
    let y = robot(&admin, json!({ "name": "总线", "url": "https://hooks.bank.example/in" })).await;
    let r = admin.patch(&format!("/api/v1/webhooks/{}", y["id"]), &json!({ "secret": "mine" })).await;
    assert_problem(&r, 422, "validation_failed");
    assert!(admin.get("/api/v1/webhooks").await.json()["items"].as_array().is_some_and(|a| a.len() == 1), "nothing refused was kept");
    // Messages are in the caller's language.
    let en = app
        .admin()
        .header("accept-language", "en")
        .post("/api/v1/webhooks", &json!({ "name": "e", "url": "https://a.example/", "format": "sms" }))
        .await;
    assert_problem(&en, 422, "validation_failed");
    let zh = admin.post("/api/v1/webhooks", &json!({ "name": "e", "url": "https://a.example/", "format": "sms" })).await;
    assert_ne!(en.json()["errors"][0]["message"], zh.json()["errors"][0]["message"], "{} / {}", en.text(), zh.text());
    app.stop().await;
}

/// The administrator adds a DingTalk robot on the webhooks page in each language, at desk and
/// phone width: the format by name, its budget, the secret never shown; a refused SMS gateway
/// keeps what was typed; the test button reaches the robot.
#[tokio::test]
async fn the_webhook_page_adds_a_dingtalk_robot_in_both_languages_in_chromium() {
    for (lang, robot_name, budget, phones_error) in
        [("zh-CN", "钉钉机器人", "20 条/分钟", "必填"), ("en", "DingTalk robot", "20 a minute", "Required")]
    {
        let app = app(None).await;
        let user = format!("robot.sys.{}", lang.to_lowercase());
        app.user_with_roles(&user, &["system_admin"]).await;
        let now = jiff::Timestamp::now().as_millisecond();
        let (ding, url) = Robot { service: Service::DingTalk, secret: Some("SECpage".into()), per_minute: 20, now_ms: now }.start().await;
        let browser = app.browser_as(&user, yunwei_testkit::ADMIN_PASSWORD, lang, "/admin/webhooks").await;
        browser.type_into("#f-webhook-new-name", "值班群").await;
        browser.type_into("#f-webhook-new-url", &url).await;
        browser.click("#f-webhook-new-format option[value=dingtalk]").await;
        browser.type_into("#f-webhook-new-secret", "SECpage").await;
        browser.click("#form-webhook-new button[type=submit]").await;
        // The budget shows in the list only, once the robot is saved.
        let text = browser.wait_for_text(budget).await;
        assert!(browser.texts("table td").await.iter().any(|t| t == robot_name), "{lang}: {text}");
        assert!(
            !text.contains("SECpage")
                && !browser.execute("return document.documentElement.outerHTML").await.to_string().contains("SECpage")
        );
        browser.shot(&format!("webhook-robot-{lang}-1440")).await;

        // A gateway without numbers is refused by the field, the rest kept as typed.
        browser.type_into("#f-webhook-new-name", "值班短信").await;
        browser.type_into("#f-webhook-new-url", "https://sms.bank.example/send").await;
        browser.click("#f-webhook-new-format option[value=sms]").await;
        browser.click("#form-webhook-new button[type=submit]").await;
        let mut message = String::new();
        for _ in 0..100 {
            message = browser.texts("#e-webhook-new-phones").await.join(" ");
            if !message.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(message.contains(phones_error), "{lang}: the error by the field: {message:?}");
        let kept = browser.props("#f-webhook-new-name", "value").await;
        assert_eq!(kept, ["值班短信"], "{lang}");
        assert_eq!(browser.props("#f-webhook-new-format", "value").await, ["sms"], "{lang}");

        browser.resize(390, 844).await;
        browser.goto(&app.url("/admin/webhooks")).await;
        let wide = browser.execute("return document.documentElement.scrollWidth").await;
        assert!(wide.as_i64().unwrap_or(9999) <= 390, "{lang}: no sideways scrolling at 390 px ({wide})");
        browser.shot(&format!("webhook-robot-{lang}-390")).await;
        browser.resize(1440, 900).await;
        browser.click("form[action$='/test'] button").await;
        let got = ding.wait_for(1, WAIT).await;
        assert!(taken(Service::DingTalk, &got[0]), "{lang}: {:?}", got[0]);
        let shown = shown_text(Service::DingTalk, &got[0]);
        assert!(shown.contains(if lang == "en" { "Yunwei test message" } else { "云维测试消息" }), "{lang}: {shown}");
        browser.quit().await;
        app.stop().await;
    }
}
