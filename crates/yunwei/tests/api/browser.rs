//! The main journey in a real headless Chromium: sign in, keyboard navigation,
//! create a team through the form, see it listed, sign out.

use yunwei_testkit::browser::{Browser, chromedriver};
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn sign_in_and_create_a_team_in_chromium() {
    if chromedriver().is_none() {
        assert!(std::env::var("CI").is_err(), "CI must install chromium and chromium-driver");
        eprintln!("skipped: chromedriver not installed");
        return;
    }
    let app = spawn_app().await;
    let browser = Browser::start("zh-CN").await.expect("browser");
    browser.goto(&app.url("/admin/teams")).await;
    assert!(browser.url().await.contains("/login?next=/admin/teams"));
    // Keyboard only: type, Tab to the password, Enter submits.
    browser.type_into("#username", "admin\u{E004}").await;
    assert_eq!(browser.focused_id().await, "password");
    browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(browser.url().await.ends_with("/admin/teams"), "{}", browser.url().await);
    browser.type_into("#f-team-name", "值班室").await;
    browser.type_into("#f-team-description", "7×24 值班").await;
    browser.click("form[action='/admin/teams'] button[type=submit]").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = browser.page_text().await;
    assert!(text.contains("已保存"), "{text}");
    browser.goto(&app.url("/admin/teams")).await;
    let list = browser.page_text().await;
    assert!(list.contains("值班室") && list.contains("7×24 值班"), "{list}");
    let png = browser.screenshot_png().await;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a real rendered page");
    browser.click("form[action='/logout'] button").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(browser.url().await.ends_with("/login"));
    browser.quit().await;
    app.stop().await;
}
