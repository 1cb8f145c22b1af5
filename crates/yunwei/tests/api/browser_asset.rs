//! The asset pages in a real headless Chromium, in Chinese and in English, as the roles
//! involved: an engineer raises a purchase request (a bad amount is refused beside the field,
//! what was typed kept), sees no decision offered on their own request; the operations
//! manager approves it from the asset's page; the engineer then orders it. Screenshots at 1440
//! and 390 px go to /tmp/shots-asset/.

use std::time::Duration;
use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

async fn shoot(browser: &Browser, name: &str) {
    let _ = std::fs::create_dir_all("/tmp/shots-asset");
    for (w, h) in [(1440, 1000), (390, 844)] {
        browser.resize(w, h).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = std::fs::write(format!("/tmp/shots-asset/{name}-{w}.png"), browser.screenshot_png().await);
    }
    browser.resize(1440, 1000).await;
}

async fn value(browser: &Browser, css: &str) -> String {
    browser.props(css, "value").await.into_iter().next().unwrap_or_default()
}

/// `texts`: the amount's message, the requested state, the approve action, the approved state.
async fn walk(lang: &str, texts: [&str; 4]) {
    let [bad_amount, requested, approve, approved] = texts;
    let app = spawn_app().await;
    let suffix = lang.to_lowercase().replace('-', "");
    let (eng, manager) = (format!("eng.{suffix}"), format!("mgr.{suffix}"));
    app.user_with_roles(&eng, &["system_engineer"]).await;
    app.user_with_roles(&manager, &["ops_manager"]).await;

    let b = app.browser_as(&eng, ADMIN_PASSWORD, lang, "/assets/new").await;
    b.type_into("#f-asset-new-tag", "br-0001").await;
    b.type_into("#f-asset-new-name", "柜面终端 Dell OptiPlex").await;
    b.execute("document.querySelector('#f-asset-new-category').value = 'desktop'; return 1").await;
    b.type_into("#f-asset-new-cost", "6800.123").await;
    b.type_into("#f-asset-new-location", "营业部二楼").await;
    b.click("#form-asset-new button[type=submit]").await;
    b.wait_for_text(bad_amount).await;
    assert_eq!(value(&b, "#f-asset-new-name").await, "柜面终端 Dell OptiPlex", "what was typed is kept");
    assert_eq!(value(&b, "#f-asset-new-category").await, "desktop");
    shoot(&b, &format!("new-error-{lang}")).await;
    b.type_into("#f-asset-new-cost", "\u{E009}a\u{E009}6800").await;
    b.click("#form-asset-new button[type=submit]").await;
    let url = b.wait_for_url("the asset's page", |u| u.contains("/assets/") && !u.contains("/new")).await;
    b.wait_for_text(requested).await;
    assert!(b.props("#form-asset-step", "id").await.is_empty(), "no decision offered on one's own request");
    shoot(&b, &format!("requested-{lang}")).await;

    let m = app.browser_as(&manager, ADMIN_PASSWORD, lang, &url.replace(&app.url(""), "")).await;
    let offered = m.props("#f-asset-step-action option", "text").await;
    assert!(offered.iter().any(|t| t == approve), "{lang}: {offered:?}");
    m.type_into("#f-asset-step-note", "预算内，同意采购").await;
    m.click("#form-asset-step button[type=submit]").await;
    m.wait_for_text(approved).await;
    assert!(m.page_text().await.contains("预算内，同意采购"), "the note is in the history");
    shoot(&m, &format!("approved-{lang}")).await;
    m.goto(&app.url("/assets")).await;
    m.wait_for_text("BR-0001").await;
    shoot(&m, &format!("list-{lang}")).await;
    m.quit().await;

    b.goto(&url).await;
    let offered = b.props("#f-asset-step-action option", "value").await;
    assert_eq!(offered, ["order"], "{lang}: the engineer's next step");
    b.click("#form-asset-step button[type=submit]").await;
    b.wait_for_text(if lang == "en" { "Ordered" } else { "已下单" }).await;
    b.quit().await;
}

#[tokio::test]
async fn the_asset_pages_work_in_chinese() {
    walk("zh-CN", ["请输入以元为单位的金额", "采购申请中", "批准", "已批准"]).await;
}

#[tokio::test]
async fn the_asset_pages_work_in_english() {
    walk("en", ["Enter an amount in yuan", "Purchase requested", "Approve", "Approved"]).await;
}
