use std::sync::Arc;
use std::time::Duration;
use yunwei_core::{CoreConfig, FixedClock};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::smtp::{Mode, SmtpSink};
use yunwei_testkit::{Options, spawn_app, spawn_app_with};

fn mail_config(sink: &SmtpSink) -> CoreConfig {
    CoreConfig { smtp: Some(sink.settings()), max_delivery_attempts: 3, ..Default::default() }
}

/// Saves the zh-CN template of the welcome notice (`user.created`) as the administrator.
async fn welcome_template(app: &yunwei_testkit::TestApp, subject: &str, body: &str) -> yunwei_testkit::TestResponse {
    app.admin().put("/api/v1/notification-templates/user.created/zh-CN", &serde_json::json!({ "subject": subject, "body": body })).await
}

/// The first page of `uid`'s in-app notices, read from the store.
async fn notices_of(app: &yunwei_testkit::TestApp, uid: i64) -> yunwei_store::sql::Page<yunwei_store::notify::Notification> {
    let first = yunwei_domain::page::PageRequest::parse(None, None, false).expect("first page");
    yunwei_store::notify::list_notifications(app.core.database(), yunwei_domain::ids::UserId(uid), false, &first).await.expect("notices")
}

async fn wait_until<F: Fn(&serde_json::Value) -> bool>(client: &yunwei_testkit::Client, path: &str, ok: F) -> serde_json::Value {
    for _ in 0..100 {
        let v = client.get(path).await.json();
        if ok(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition on {path} not met");
}

#[tokio::test]
async fn events_become_mail_and_in_app_notices_in_the_users_language() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(Options { config: Some(mail_config(&sink)), ..Default::default() }).await;
    let created = app
        .admin()
        .post("/api/v1/users", &serde_json::json!({ "username": "chen.qi", "display_name": "陈七", "email": "chen.qi@bank.example" }))
        .await;
    assert_eq!(created.status, 201);
    let mails = sink.wait_for(1, 10).await;
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.to, vec!["chen.qi@bank.example"]);
    assert_eq!(m.from, "yunwei@bank.example");
    let raw_subject = m.header("Subject").unwrap();
    assert!(raw_subject.is_ascii(), "the header is encoded (RFC 2047): {raw_subject}");
    assert_eq!(m.subject().as_deref(), Some("【运维平台】您的账号已开通"), "decoded: {raw_subject}");
    let body = m.body_text().unwrap_or_default();
    assert!(body.contains("陈七，您好") && body.contains("chen.qi"), "{body}");
    assert!(m.header("References").unwrap().contains("yunwei-event-"), "threading header");
    assert!(m.data.contains("Content-Type: text/plain; charset=utf-8"));

    // English for a user who prefers it.
    let en = app
        .admin()
        .post(
            "/api/v1/users",
            &serde_json::json!({ "username": "sam", "display_name": "Sam", "email": "sam@bank.example", "locale": "en" }),
        )
        .await;
    assert_eq!(en.status, 201);
    let mails = sink.wait_for(2, 10).await;
    assert_eq!(mails[1].header("Subject").unwrap(), "[Yunwei] Your account is ready");
    assert!(mails[1].data.contains("Hello Sam"));

    // In-app notice with the bell count, then read.
    let sam_id = en.json()["id"].as_i64().unwrap();
    let token = app.admin_session().await.post(&format!("/api/v1/users/{sam_id}/tokens"), &serde_json::json!({ "name": "t" })).await.json()
        ["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let sam = app.anonymous().bearer(&token);
    let count = wait_until(&sam, "/api/v1/notifications/unread-count", |v| v["unread"].as_i64() == Some(2)).await;
    assert_eq!(count["unread"], 2, "account created and token created");
    let list = sam.get("/api/v1/notifications").await.json();
    // Worded as the bell words it, in Sam's language, not the e-mail's subject.
    assert_eq!(list["items"][0]["title"], "API token created", "{list}");
    assert_eq!(list["items"][1]["title"], "Account created", "{list}");
    assert!(!list.to_string().contains("[Yunwei]") && !list.to_string().contains("Hello Sam"), "no e-mail wording: {list}");
    let first = list["items"][1]["id"].as_i64().unwrap();
    assert_eq!(sam.post(&format!("/api/v1/notifications/{first}/read"), &serde_json::json!({})).await.status, 204);
    assert_eq!(sam.get("/api/v1/notifications/unread-count").await.json()["unread"], 1);
    assert_eq!(sam.post("/api/v1/notifications/read-all", &serde_json::json!({})).await.json()["marked"], 1);
    // Someone else's notification is not found, not readable.
    assert_problem(&app.admin().post(&format!("/api/v1/notifications/{first}/read"), &serde_json::json!({})).await, 404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn preferences_silence_a_channel_but_not_security_notices() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(Options { config: Some(mail_config(&sink)), ..Default::default() }).await;
    let (uid, user) = app.user_with_roles("pref.user", &[]).await;
    // The welcome mail and the token notice arrive first.
    assert_eq!(sink.wait_for(2, 10).await.len(), 2);
    let refused = user
        .put(
            "/api/v1/me/notification-preferences",
            &serde_json::json!([{ "event_type": "password.changed", "channel": "email", "enabled": false }]),
        )
        .await;
    assert_problem(&refused, 422, "validation_failed");
    assert_eq!(refused.json()["errors"][0]["code"], "security_notice_required");
    let ok = user
        .put(
            "/api/v1/me/notification-preferences",
            &serde_json::json!([{ "event_type": "user.roles_changed", "channel": "email", "enabled": false }]),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(
        ok.json()
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["event_type"] == "user.roles_changed" && p["channel"] == "email" && p["enabled"] == false)
    );
    let before = sink.messages().len();
    let ctx = yunwei_core::Ctx::system();
    yunwei_core::admin::set_user_roles(&app.core, &ctx, yunwei_domain::ids::UserId(uid), &["auditor".to_string()]).await.unwrap();
    wait_until(&user, "/api/v1/notifications", |v| v["items"][0]["event_type"] == "user.roles_changed").await;
    yunwei_core::auth::reset_password(&app.core, &ctx, yunwei_domain::ids::UserId(uid)).await.unwrap();
    sink.wait_for(before + 1, 10).await;
    // Every delivery both events caused has been attempted: a roles mail would be here by now.
    app.settle().await;
    let mails = sink.messages();
    let subjects: Vec<String> = mails[before..].iter().map(|m| m.subject().unwrap_or_default()).collect();
    assert_eq!(subjects, ["【运维平台】密码已修改"], "only the password notice was mailed");
    assert_eq!(mails[before].to, ["pref.user@bank.example"]);
    app.stop().await;
}

#[tokio::test]
async fn failed_mail_is_retried_with_backoff_then_dead_lettered_and_retryable() {
    let sink = SmtpSink::start().await;
    sink.set_mode(Mode::Transient);
    let clock = Arc::new(FixedClock::new(1_800_000_000_000));
    let app = spawn_app_with(Options { config: Some(mail_config(&sink)), clock: Some(clock.clone()), ..Default::default() }).await;
    app.admin()
        .post("/api/v1/users", &serde_json::json!({ "username": "retry.me", "display_name": "重试", "email": "retry@bank.example" }))
        .await;
    let (_, ops) = (0, app.admin());
    // Attempt 1 fails now; the retry waits 10 s of (fixed) time, then 20 s. Move the clock on
    // until the sink has refused three attempts (and no sooner: it does not move by itself).
    sink.wait_for_refusals(1, 10).await;
    app.drain_outbox().await;
    for _ in 0..200 {
        if sink.refusals() >= 3 {
            break;
        }
        clock.advance_ms(5_000);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sink.refusals(), 3, "three attempts");
    let letters = wait_until(&ops, "/api/v1/deliveries/dead", |v| !v["deliveries"]["items"].as_array().unwrap().is_empty()).await;
    let d = &letters["deliveries"]["items"][0];
    assert_eq!(d["attempts"], 3, "{letters}");
    assert!(d["last_error"].as_str().unwrap().contains("451"), "{d}");
    assert!(sink.messages().is_empty());
    // Dead means no more attempts, however far the clock moves.
    clock.advance_ms(3_600_000);
    app.settle().await;
    assert_eq!(sink.refusals(), 3, "no fourth attempt after the dead letter");
    sink.set_mode(Mode::Accept);
    let id = d["id"].as_i64().unwrap();
    assert_eq!(ops.post(&format!("/api/v1/deliveries/{id}/retry"), &serde_json::json!({})).await.status, 202);
    assert_problem(&ops.post(&format!("/api/v1/deliveries/{id}/retry"), &serde_json::json!({})).await, 409, "delivery_not_dead");
    let mails = sink.wait_for(1, 10).await;
    assert_eq!(mails.len(), 1);
    let audit = app.core.database().read.acquire().await;
    drop(audit);
    app.stop().await;
}

#[tokio::test]
async fn permanent_refusal_goes_straight_to_dead_letters() {
    let sink = SmtpSink::start().await;
    sink.set_mode(Mode::Permanent);
    let app = spawn_app_with(Options { config: Some(mail_config(&sink)), ..Default::default() }).await;
    app.admin()
        .post("/api/v1/users", &serde_json::json!({ "username": "bounce", "display_name": "退信", "email": "bounce@bank.example" }))
        .await;
    let letters = wait_until(&app.admin(), "/api/v1/deliveries/dead", |v| !v["deliveries"]["items"].as_array().unwrap().is_empty()).await;
    assert_eq!(letters["deliveries"]["items"][0]["attempts"], 1);
    app.stop().await;
}

#[tokio::test]
async fn templates_are_editable_and_checked() {
    let app = spawn_app().await;
    let list = app.admin().get("/api/v1/notification-templates").await.json();
    assert!(list.as_array().unwrap().len() >= 14);
    let bad = welcome_template(&app, "{{ user.display_name", "x").await;
    assert_problem(&bad, 422, "validation_failed");
    assert_eq!(bad.json()["errors"][0]["code"], "template_invalid");
    assert_problem(
        &app.admin().put("/api/v1/notification-templates/no.such/zh-CN", &serde_json::json!({ "subject": "s", "body": "b" })).await,
        422,
        "validation_failed",
    );
    let ok = welcome_template(&app, "欢迎 {{ user.display_name }}", "账号：{{ user.username }}").await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let (uid, _) = app.user_with_roles("tpl.user", &[]).await;
    app.drain_outbox().await;
    let notes = notices_of(&app, uid).await;
    assert_eq!(notes.items[0].title, "欢迎 tpl.user");
    assert_eq!(notes.items[0].body, "账号：tpl.user");
    app.stop().await;
}

/// Templates run within a fuel budget: nested `range(6000)` loops once took seconds
/// of CPU on every save and every notice. Saving one is refused with
/// `template_too_expensive`; one stored before the limit existed does not lose the
/// notice: the built-in template is used instead.
#[tokio::test]
async fn expensive_templates_are_refused_and_fall_back_to_the_built_in_one() {
    let app = spawn_app().await;
    let heavy = "{% for a in range(6000) %}{% for b in range(6000) %}x{% endfor %}{% endfor %}";
    let started = std::time::Instant::now();
    let r = welcome_template(&app, "欢迎", heavy).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_problem(&r, 422, "validation_failed");
    let errors = r.json()["errors"].clone();
    assert_eq!((errors[0]["field"].as_str(), errors[0]["code"].as_str()), (Some("body"), Some("template_too_expensive")), "{errors}");
    assert!(errors[0]["message"].as_str().unwrap().contains("50000"), "{errors}");
    // A modest loop is still fine.
    let ok = welcome_template(&app, "欢迎", "{% for i in range(20) %}{{ i }}{% endfor %} {{ user.username }}").await;
    assert_eq!(ok.status, 200, "{}", ok.text());

    // As if saved before the limit: straight into the store.
    let stored = yunwei_store::notify::Template {
        event_type: "user.created".into(),
        locale: "zh-CN".into(),
        subject: "欢迎".into(),
        body: heavy.into(),
        updated_at: app.core.now_ms(),
        updated_by: None,
    };
    let mut conn = app.core.database().writer().await.unwrap();
    yunwei_store::notify::put_template(&mut conn, &stored, false).await.unwrap();
    drop(conn);
    let (uid, _) = app.user_with_roles("fuel.user", &[]).await;
    app.drain_outbox().await;
    let notes = notices_of(&app, uid).await;
    let created =
        notes.items.iter().find(|n| n.title == "【运维平台】您的账号已开通").expect("the account notice, from the built-in template");
    assert!(created.body.contains("fuel.user"), "{}", created.body);
    assert!(notes.items.iter().all(|n| !n.body.contains("xxx")), "the stored template did not render");
    app.stop().await;
}
