//! A failed form in a real headless Chromium: creating a user at /admin/users/new with a bad
//! user name, then with two duties, keeps every field as typed (text, the chosen language,
//! the ticked roles) and shows the message beside the field; fixed, the user is created.

use std::collections::BTreeSet;
use std::time::Duration;
use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

/// Waits (up to 5 s) until the element `css` shows text containing `part`.
async fn wait_for_text(browser: &Browser, css: &str, part: &str) -> String {
    for _ in 0..100 {
        let texts = browser.texts(css).await;
        if let Some(t) = texts.into_iter().find(|t| t.contains(part)) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {css} with {part:?} after 5 s: {}", browser.page_text().await);
}

async fn ticked(browser: &Browser) -> BTreeSet<String> {
    browser.props("input[name=roles]:checked", "value").await.into_iter().collect()
}

async fn value(browser: &Browser, css: &str) -> String {
    browser.props(css, "value").await.into_iter().next().unwrap_or_default()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_refused_new_user_keeps_what_was_typed_in_chromium() {
    let app = spawn_app().await;
    app.user_with_roles("sys.browser", &["system_admin"]).await;
    let browser = Browser::start("zh-CN").await.expect("headless Chromium (apt-get install chromium chromium-driver)");
    browser.sign_in_at(&app.url("/admin/users/new"), "sys.browser", ADMIN_PASSWORD).await;
    assert!(browser.url().await.ends_with("/admin/users/new"), "{}", browser.url().await);

    browser.type_into("#f-user-username", "李 雷").await;
    browser.type_into("#f-user-display_name", "李雷").await;
    browser.type_into("#f-user-email", "li@bank.example").await;
    browser.type_into("#f-user-phone", "13800000000").await;
    browser.click("#f-user-locale option[value=en]").await;
    browser.click("input[name=roles][value=ops_manager]").await;
    browser.click("input[name=roles][value=business_user]").await;
    browser.click("#form-user button[type=submit]").await;

    // The bad user name: its message beside it, every field as it was.
    let message = wait_for_text(&browser, "#e-user-username", "字母").await;
    assert!(message.contains("须为 2 到 64 位"), "{message}");
    assert_eq!(value(&browser, "#f-user-username").await, "李 雷");
    assert_eq!(value(&browser, "#f-user-display_name").await, "李雷");
    assert_eq!(value(&browser, "#f-user-email").await, "li@bank.example");
    assert_eq!(value(&browser, "#f-user-phone").await, "13800000000");
    assert_eq!(value(&browser, "#f-user-locale").await, "en");
    assert_eq!(ticked(&browser).await, set(&["ops_manager", "business_user"]));
    assert!(browser.texts(".errors li").await.iter().any(|t| t.contains("用户名")), "the banner lists it too");

    // A good name but two duties: the refusal beside the roles, still all as typed.
    browser.type_into("#f-user-username", "\u{E003}\u{E003}\u{E003}li.lei").await;
    browser.click("input[name=roles][value=system_admin]").await;
    browser.click("input[name=roles][value=audit_admin]").await;
    browser.click("#form-user button[type=submit]").await;
    let refusal = wait_for_text(&browser, "#e-user-roles", "三权分立").await;
    assert!(refusal.contains("违反三权分立"), "{refusal}");
    assert!(browser.texts("#e-user-username").await.is_empty(), "the user name is fine now");
    assert_eq!(value(&browser, "#f-user-username").await, "li.lei");
    assert_eq!(value(&browser, "#f-user-locale").await, "en");
    assert_eq!(ticked(&browser).await, set(&["ops_manager", "business_user", "system_admin", "audit_admin"]));

    // Fixed: the user is created with what was typed.
    browser.click("input[name=roles][value=system_admin]").await;
    browser.click("input[name=roles][value=audit_admin]").await;
    browser.click("#form-user button[type=submit]").await;
    wait_for_text(&browser, "main", "临时密码").await;
    let list = app.admin().get("/api/v1/users?q=li.lei").await.json();
    let user = &list["items"][0];
    assert_eq!(
        (user["display_name"].as_str(), user["phone"].as_str(), user["locale"].as_str()),
        (Some("李雷"), Some("13800000000"), Some("en"))
    );
    let id = user["id"].as_i64().unwrap_or_default();
    let detail = app.admin().get(&format!("/api/v1/users/{id}")).await.json();
    let roles: BTreeSet<String> = detail["roles"].as_array().into_iter().flatten().filter_map(|r| r.as_str().map(String::from)).collect();
    assert_eq!(roles, set(&["ops_manager", "business_user"]));
    browser.quit().await;
    app.stop().await;
}
