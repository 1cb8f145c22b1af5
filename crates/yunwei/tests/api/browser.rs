//! The main journeys in a real headless Chromium: sign in, keyboard navigation,
//! create a team through the form, see it listed, sign out; and report an
//! incident with the keyboard alone and land on its ticket; see a ticket update live.
//! They never skip: `Browser::start` installs Chromium and its driver when they are
//! missing, and fails with the command to run when it cannot. They wait for what they
//! expect (an address, a text) instead of sleeping.

use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn sign_in_and_create_a_team_in_chromium() {
    let app = spawn_app().await;
    let browser = Browser::start("zh-CN").await.expect("browser");
    browser.goto(&app.url("/admin/teams")).await;
    assert!(browser.url().await.contains("/login?next=/admin/teams"));
    // Keyboard only: type, Tab to the password, Enter submits.
    browser.type_into("#username", "admin\u{E004}").await;
    assert_eq!(browser.focused_id().await, "password");
    browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
    browser.wait_for_url("the team list after signing in", |u| u.ends_with("/admin/teams")).await;
    browser.type_into("#f-team-name", "值班室").await;
    browser.type_into("#f-team-description", "7×24 值班").await;
    browser.click("form[action='/admin/teams'] button[type=submit]").await;
    browser.wait_for_text("已保存").await;
    browser.goto(&app.url("/admin/teams")).await;
    let list = browser.page_text().await;
    assert!(list.contains("值班室") && list.contains("7×24 值班"), "{list}");
    let png = browser.screenshot_png().await;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a real rendered page");
    browser.click("form[action='/logout'] button").await;
    browser.wait_for_url("the sign-in page after signing out", |u| u.ends_with("/login")).await;
    // Signed out for real: the team list sends us back to sign in.
    browser.goto(&app.url("/admin/teams")).await;
    assert!(browser.url().await.contains("/login?next=/admin/teams"), "{}", browser.url().await);
    browser.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn report_an_incident_with_the_keyboard_in_chromium() {
    let app = spawn_app().await;
    // system_admin has no incident rights (separation of duties): the desk is worked by others.
    app.user_with_roles("zhou.ban", &["ops_director"]).await;
    let browser = Browser::start("zh-CN").await.expect("browser");
    browser.goto(&app.url("/incidents/new")).await;
    assert!(browser.url().await.contains("/login?next=/incidents/new"));
    browser.type_into("#username", "zhou.ban\u{E004}").await;
    browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
    browser.wait_for_url("the report form after signing in", |u| u.ends_with("/incidents/new")).await;
    // Tab moves through the form in reading order; arrow keys choose in a select.
    browser.type_into("#f-report-title", "ATM 网络中断\u{E004}").await;
    assert_eq!(browser.focused_id().await, "f-report-description");
    browser.type_into("#f-report-description", "朝阳支行 3 台 ATM 无法联机\u{E004}").await;
    assert_eq!(browser.focused_id().await, "f-report-impact");
    browser.type_into("#f-report-impact", "\u{E013}").await;
    // Enter in a text field submits the form.
    browser.type_into("#f-report-title", "\u{E007}").await;
    browser.wait_for_url("the new incident's page", |u| u.contains("/incidents/INC-")).await;
    let text = browser.wait_for_text("事件已登记").await;
    assert!(text.contains("事件已登记") && text.contains("ATM 网络中断") && text.contains("P2 高") && text.contains("朝阳支行"), "{text}");
    browser.goto(&app.url("/incidents?queue=all")).await;
    assert!(browser.page_text().await.contains("ATM 网络中断"));
    browser.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn the_incident_page_shows_live_who_changed_it_in_chromium() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("live.b.director", &["ops_director"]).await;
    app.user_with_roles("live.b.watcher", &["ops_director"]).await;
    let created = director
        .post(
            "/api/v1/incidents",
            &serde_json::json!({ "title": "柜面系统卡顿", "description": "多个网点", "impact": "medium", "urgency": "medium" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let number = created.json()["number"].as_str().unwrap_or_default().to_string();
    let browser = Browser::start("zh-CN").await.expect("browser");
    browser.goto(&app.url(&format!("/incidents/{number}"))).await;
    browser.type_into("#username", "live.b.watcher\u{E004}").await;
    browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
    let page = format!("/incidents/{number}");
    browser.wait_for_url("the incident after signing in", |u| u.ends_with(&page)).await;
    assert!(browser.page_text().await.contains("柜面系统卡顿"), "the incident's page");
    assert!(!browser.page_text().await.contains("已被"), "no banner before anything changed");
    // Wait until the page's EventSource follows the server, then change the incident as someone else.
    for _ in 0..100 {
        if app.core.live.subscribers() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(app.core.live.subscribers() > 0, "the page opened its live stream within 5 s");
    let r = director.post(&format!("/api/v1/incidents/{number}/comments"), &serde_json::json!({ "body": "已联系厂商" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let text = browser.wait_for_text("已被 live.b.director 更新").await;
    assert!(text.contains("已被 live.b.director 更新 — 刷新"), "{text}");
    browser.quit().await;
    app.stop().await;
}

/// The second person's journey: the director sees a duty grant with names, not ids, in their
/// language, is offered approve and reject; the requester is offered only withdraw. At 1440 px
/// and 390 px, in zh-CN and en (screenshots in $YUNWEI_SCREENSHOTS when set).
#[tokio::test]
async fn a_director_reviews_a_duty_grant_in_chromium() {
    let app = spawn_app().await;
    let (_, sec) = app.user_with_roles("sec.admin", &["security_admin"]).await;
    let (_, director) = app.user_with_roles("director", &["ops_director"]).await;
    let (clerk, _) = app.user_with_roles("new.auditor", &["auditor"]).await;
    let asked = sec.put(&format!("/api/v1/users/{clerk}/roles"), &serde_json::json!({ "roles": ["audit_admin", "auditor"] })).await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    let number = asked.json()["number"].as_str().unwrap().to_string();
    for (lang, title, audit_role, pending, approve, withdraw) in [
        ("zh-CN", "职责变更审批", "审计管理员、审计员", "待批准", "批准", "撤回"),
        ("en", "Duty grants", "Audit administrator, Auditor", "Pending", "Approve", "Withdraw"),
    ] {
        // Pages speak the reader's own language (their profile), whatever the browser says.
        for client in [&director, &sec] {
            assert_eq!(client.patch("/api/v1/me", &serde_json::json!({ "locale": lang })).await.status, 200);
        }
        for (user, offers, never) in [("director", approve, withdraw), ("sec.admin", withdraw, approve)] {
            let browser = Browser::start(lang).await.expect("browser");
            browser.goto(&app.url("/admin/duty-grants")).await;
            browser.type_into("#username", &format!("{user}\u{E004}")).await;
            browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
            browser.wait_until_left("/login").await;
            for (width, height) in [(1440, 900), (390, 844)] {
                browser.resize(width, height).await;
                browser.goto(&app.url("/admin/duty-grants")).await;
                let text = browser.page_text().await;
                assert!(text.contains(title) && text.contains(&number), "{lang} {user}: {text}");
                assert!(text.contains("new.auditor") && text.contains("sec.admin") && text.contains(audit_role), "names, not ids: {text}");
                assert!(text.contains(pending), "{text}");
                let buttons = browser.texts("table button").await;
                assert!(buttons.iter().any(|b| b == offers), "{user} is offered {offers}: {buttons:?}");
                assert!(!buttons.iter().any(|b| b == never), "{user} is not offered {never}: {buttons:?}");
                if let Ok(dir) = std::env::var("YUNWEI_SCREENSHOTS") {
                    let png = browser.screenshot_png().await;
                    std::fs::write(format!("{dir}/duty-grants-{lang}-{user}-{width}.png"), png).expect("screenshot");
                }
            }
            browser.quit().await;
        }
    }
    app.stop().await;
}
