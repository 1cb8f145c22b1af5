//! On-call duty in a real headless Chromium, in Chinese and in English: the supervisor
//! (运维经理) opens a schedule, sees the coming two weeks by name and adds an override
//! through the form (a wrong end time is refused beside the field, what was typed kept); the
//! duty officer (an engineer) sees who is on call and no forms. Screenshots at 1440 and
//! 390 px go to /tmp/shots-duty/.

use serde_json::json;
use std::time::Duration;
use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, TestApp, spawn_app};

async fn shoot(browser: &Browser, name: &str) {
    let _ = std::fs::create_dir_all("/tmp/shots-duty");
    for (w, h) in [(1440, 1000), (390, 844)] {
        browser.resize(w, h).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = std::fs::write(format!("/tmp/shots-duty/{name}-{w}.png"), browser.screenshot_png().await);
    }
    browser.resize(1440, 1000).await;
}

async fn named(app: &TestApp, username: &str, name: &str, roles: &[&str]) -> i64 {
    let (id, _) = app.user_with_roles(username, roles).await;
    let r = app
        .admin()
        .send("PATCH", &format!("/api/v1/users/{id}"), Some("application/json"), json!({ "display_name": name }).to_string().into_bytes())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    id
}

async fn set(browser: &Browser, css: &str, value: &str) {
    browser.execute(&format!("document.querySelector('{css}').value = '{value}'")).await;
}

async fn journey(lang: &str, words: [&str; 4]) {
    let [coming, refused, overridden, nobody_form] = words;
    let app = spawn_app().await;
    let tag = lang.to_lowercase().replace('-', "");
    let lead = format!("duty.lead.{tag}");
    let officer = format!("duty.officer.{tag}");
    named(&app, &lead, "周主管", &["ops_manager"]).await;
    let a = named(&app, &officer, "张伟", &["network_engineer"]).await;
    let b = named(&app, &format!("duty.b.{tag}"), "李娜", &["network_engineer"]).await;
    let c = named(&app, &format!("duty.c.{tag}"), "王强", &["system_engineer"]).await;
    let (_, manager) = app.user_with_roles(&format!("duty.api.{tag}"), &["ops_manager"]).await;
    let s = manager.post("/api/v1/duty/schedules", &json!({ "name": "核心系统 7×24 值班" })).await.json();
    let id = s["id"].as_i64().expect("schedule");
    let day = json!({ "name": "白班", "rotation": "daily", "starts_local": "2026-01-05T08:00", "members": [a, b] });
    assert_eq!(manager.post(&format!("/api/v1/duty/schedules/{id}/layers"), &day).await.status, 201);
    let night = json!({ "name": "夜班", "rotation": "weekly", "starts_local": "2026-01-05T20:00", "members": [c, a], "window_from": "20:00", "window_to": "08:00" });
    assert_eq!(manager.post(&format!("/api/v1/duty/schedules/{id}/layers"), &night).await.status, 201);

    let browser = app.browser_as(&lead, ADMIN_PASSWORD, lang, &format!("/duty/{id}")).await;
    browser.wait_for_text(coming).await;
    shoot(&browser, &format!("supervisor-schedule-{tag}")).await;
    // An override ending before it starts: refused beside the field, input kept.
    set(&browser, "#f-duty-override-starts_local", "2026-12-20T10:00").await;
    set(&browser, "#f-duty-override-ends_local", "2026-12-20T09:00").await;
    browser.type_into("#f-duty-override-reason", "体检").await;
    browser.click("#form-duty-override button[type=submit]").await;
    browser.wait_for_text(refused).await;
    let kept = browser.props("#f-duty-override-reason", "value").await;
    assert_eq!(kept, vec!["体检".to_string()]);
    shoot(&browser, &format!("supervisor-override-refused-{tag}")).await;
    set(&browser, "#f-duty-override-ends_local", "2026-12-20T12:00").await;
    browser.click("#form-duty-override button[type=submit]").await;
    browser.wait_for_url("the schedule again", |u| u.contains("ok=saved")).await;
    browser.wait_for_text("体检").await;
    browser.quit().await;

    let browser = app.browser_as(&officer, ADMIN_PASSWORD, lang, "/duty").await;
    browser.wait_for_text("核心系统 7×24 值班").await;
    shoot(&browser, &format!("officer-list-{tag}")).await;
    browser.goto(&app.url(&format!("/duty/{id}"))).await;
    let text = browser.wait_for_text(coming).await;
    assert!(!text.contains(nobody_form), "no management form for the duty officer");
    assert!(text.contains(overridden) || text.contains("体检"), "the override is shown");
    shoot(&browser, &format!("officer-schedule-{tag}")).await;
    browser.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn the_supervisor_and_the_duty_officer_in_chinese() {
    if yunwei_testkit::browser::chromedriver().is_none() {
        return;
    }
    journey("zh-CN", ["未来两周排班", "结束时间须晚于开始时间", "临时替班", "添加排班层"]).await;
}

#[tokio::test]
async fn the_supervisor_and_the_duty_officer_in_english() {
    if yunwei_testkit::browser::chromedriver().is_none() {
        return;
    }
    journey("en", ["The coming two weeks", "Must be after the start", "Overrides", "Add a layer"]).await;
}
