//! Discovery in a real headless Chromium, in Chinese and in English: after a scanner's report
//! and a person's edit, the discovery page lists the sources and the drift (who holds the kept
//! value, in the reader's words) and the CI's page shows its sightings and drift. Screenshots
//! at 1440 and 390 px go to /tmp/shots-discovery/.

use serde_json::json;
use std::time::Duration;
use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

async fn shoot(browser: &Browser, name: &str) {
    let _ = std::fs::create_dir_all("/tmp/shots-discovery");
    for (w, h) in [(1440, 1000), (390, 844)] {
        browser.resize(w, h).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = std::fs::write(format!("/tmp/shots-discovery/{name}-{w}.png"), browser.screenshot_png().await);
    }
    browser.resize(1440, 1000).await;
}

async fn walk(lang: &str, person: &str, held: &str) {
    let app = spawn_app().await;
    let src = json!({ "code": "netscan", "name": "网络扫描", "name_en": "Network scan", "precedence": 40 });
    assert_eq!(app.admin().post("/api/v1/cmdb/discovery-sources", &src).await.status, 201);
    let (_, scanner) = app.user_with_roles("scanner.svc", &["discovery_scanner"]).await;
    let item =
        json!({ "items": [{ "class": "server", "attributes": { "hostname": "acct-db-01", "domain": "bank.local", "os": "RHEL 8" } }] });
    let run = scanner.post("/api/v1/cmdb/discovery/netscan", &item).await.json();
    let id = run["items"][0]["ci_id"].as_i64().unwrap();
    let user = format!("disc.{}", lang.to_lowercase().replace('-', ""));
    let (_, director) = app.user_with_roles(&user, &["ops_director"]).await;
    let r = director.patch(&format!("/api/v1/cmdb/cis/{id}"), &json!({ "version": 1, "attributes": { "os": "AIX 7.2" } })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(scanner.post("/api/v1/cmdb/discovery/netscan", &item).await.status, 200);
    let browser = app.browser_as(&user, ADMIN_PASSWORD, lang, "/cmdb/discovery").await;
    let text = browser.page_text().await;
    assert!(text.contains(held) && text.contains(person) && text.contains("acct-db-01"), "{text}");
    shoot(&browser, &format!("discovery-{lang}")).await;
    browser.goto(&app.url(&format!("/cmdb/cis/{id}"))).await;
    let text = browser.page_text().await;
    assert!(text.contains(held) && text.contains("AIX 7.2"), "{text}");
    shoot(&browser, &format!("ci-{lang}")).await;
    browser.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn drift_on_the_discovery_page_and_the_ci_page_in_chromium_in_chinese() {
    walk("zh-CN", "人工", "网络扫描").await;
}

#[tokio::test]
async fn drift_on_the_discovery_page_and_the_ci_page_in_chromium_in_english() {
    walk("en", "A person", "Network scan").await;
}
