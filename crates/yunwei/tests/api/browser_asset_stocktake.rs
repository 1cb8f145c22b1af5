//! Asset management, slice 2, in a real headless Chromium (ADR 0030), in Chinese and in
//! English: at 390 px the asset list and the CMDB discovery table scroll inside their boxes
//! and the page never sideways; a stocktake is worked at phone width (the scan box takes a
//! typed tag and a label's QR content, and is ready for the next scan); the label sheet
//! shows one QR code per asset. Screenshots go to /tmp/shots-asset2/.

use serde_json::{Value, json};
use std::time::Duration;
use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

/// How far the page scrolls sideways (0: it fits), and the widest elements if it does.
const OVERFLOW: &str = "return { over: document.documentElement.scrollWidth - window.innerWidth,
  wide: Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap, .qr')).slice(0, 5).map(e => e.tagName + '.' + e.className) };";

async fn fits_at_390(b: &Browser, what: &str, shot: &str) {
    b.resize(390, 844).await;
    let mut v = Value::Null;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        v = b.execute(OVERFLOW).await;
        if v["over"].as_i64().is_some_and(|o| o <= 0) {
            break;
        }
    }
    let _ = std::fs::create_dir_all("/tmp/shots-asset2");
    let _ = std::fs::write(format!("/tmp/shots-asset2/{shot}-390.png"), b.screenshot_png().await);
    assert!(v["over"].as_i64().is_some_and(|o| o <= 0), "{what} scrolls sideways at 390 px: {v}");
    b.resize(1440, 1000).await;
}

/// `texts`: the results found, unexpected and missing, and the notice after closing.
async fn walk(lang: &str, texts: [&str; 4]) {
    let [found, unexpected, missing, closed] = texts;
    let app = spawn_app().await;
    let user = format!("st.{}", lang.to_lowercase().replace('-', ""));
    let (_, eng) = app.user_with_roles(&user, &["ops_manager"]).await;
    for (tag, name) in [("BR-0001", "柜面终端 Dell OptiPlex 7010 一号窗口"), ("BR-0002", "票据打印机 Epson LQ-690K"), ("BR-0003", "叫号机")]
    {
        let body = json!({ "tag": tag, "name": name, "category": "desktop", "location": "营业部二楼", "register": true,
            "supplier": "戴尔（中国）有限公司", "contract_number": "HT-2026-000123", "cost": "6800" });
        assert_eq!(eng.post("/api/v1/assets", &body).await.status, 201);
    }
    let src = json!({ "code": "netscan", "name": "网络扫描", "name_en": "Network scan", "precedence": 40 });
    assert_eq!(app.admin().post("/api/v1/cmdb/discovery-sources", &src).await.status, 201);
    let (_, scanner) = app.user_with_roles(&format!("scan.{user}"), &["discovery_scanner"]).await;
    let item = json!({ "items": [{ "class": "server", "attributes": { "hostname": "acct-db-01-very-long-hostname", "domain": "bank.local", "os": "RHEL 8" } }] });
    assert_eq!(scanner.post("/api/v1/cmdb/discovery/netscan", &item).await.status, 200);

    let b = app.browser_as(&user, ADMIN_PASSWORD, lang, "/assets").await;
    b.wait_for_text("BR-0001").await;
    fits_at_390(&b, "the asset list", &format!("list-{lang}")).await;
    b.goto(&app.url("/cmdb/discovery")).await;
    fits_at_390(&b, "the discovery page", &format!("discovery-{lang}")).await;

    // The label sheet of the ticked assets: one QR code each.
    b.goto(&app.url("/assets")).await;
    b.click("input[type=checkbox][name=ids]").await;
    b.click("#form-asset-labels button[type=submit]").await;
    b.wait_for_url("the label sheet", |u| u.contains("/assets/labels")).await;
    let codes = b.execute("return document.querySelectorAll('.label-sheet figure svg').length").await;
    assert_eq!(codes, json!(1));
    b.shots_in("/tmp/shots-asset2", &format!("labels-{lang}")).await;

    // A stocktake at phone width: a typed tag, a label's QR content, an unknown tag.
    b.goto(&app.url("/assets/stocktakes")).await;
    b.type_into("#f-stocktake-new-name", "营业部盘点").await;
    b.type_into("#f-stocktake-new-location", "营业部二楼").await;
    b.click("#form-stocktake-new button[type=submit]").await;
    b.wait_for_url("the stocktake", |u| u.contains("/assets/stocktakes/")).await;
    b.resize(390, 844).await;
    for code in ["br-0001", &app.url("/assets/tag/BR-0002"), "ZZ-404"] {
        b.type_into("#f-stocktake-scan-code", &format!("{code}\u{E007}")).await;
        b.wait_for_text(code.to_uppercase().rsplit('/').next().unwrap_or_default()).await;
    }
    let text = b.page_text().await;
    assert!(text.contains(found) && text.contains(unexpected), "{lang}: {text}");
    assert_eq!(b.props("#f-stocktake-scan-code", "value").await, [""], "the box is empty for the next scan");
    fits_at_390(&b, "the stocktake", &format!("stocktake-{lang}")).await;
    b.execute("window.confirm = () => true; return 1").await;
    b.click("#form-stocktake-close button[type=submit]").await;
    b.wait_for_text(closed).await;
    let badges = b.texts("td .badge").await;
    assert!(badges.iter().any(|t| t == missing) && badges.iter().any(|t| t == found), "{lang}: {badges:?}");
    b.shots_in("/tmp/shots-asset2", &format!("stocktake-closed-{lang}")).await;
    b.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn stocktake_labels_and_phone_width_in_chromium_in_chinese() {
    walk("zh-CN", ["盘到", "盘盈（未登记）", "盘亏", "盘点已结束。"]).await;
}

#[tokio::test]
async fn stocktake_labels_and_phone_width_in_chromium_in_english() {
    walk("en", ["Found", "Unexpected", "Missing", "Stocktake closed."]).await;
}
