//! The main journey in a real headless Chromium: sign in, keyboard navigation,
//! create a team through the form, see it listed, sign out.

use yunwei_testkit::browser::{chromedriver, Browser};
use yunwei_testkit::{spawn_app, ADMIN_PASSWORD};

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
    // Keyboard first: the skip link is the first stop.
    browser.keys("\u{E004}").await;
    assert_eq!(browser.focused_text().await, "跳到正文");
    browser.type_into("#username", "admin").await;
    browser.type_into("#password", ADMIN_PASSWORD).await;
    browser.keys("\u{E007}").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(browser.url().await.ends_with("/admin/teams"), "{}", browser.url().await);
    browser.type_into("#f-team-name", "值班室").await;
    browser.type_into("#f-team-description", "7×24 值班").await;
    browser.click("form[action='/admin/teams'] button[type=submit]").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = browser.page_text().await;
    assert!(text.contains("已保存") && text.contains("值班室"), "{text}");
    browser.goto(&app.url("/admin/teams")).await;
    assert!(browser.page_text().await.contains("7×24 值班"));
    let png = browser.screenshot_png().await;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a real rendered page");
    browser.click("form[action='/logout'] button").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(browser.url().await.ends_with("/login"));
    browser.quit().await;
    app.stop().await;
}
