//! The last pieces of daily use (issue 15) in a real headless Chromium, zh-CN and en, at 1440
//! and 390 px: categories and business services by their name in the reader's language (the
//! demo's have English names), the bulk tick boxes only for those who may use them, a search
//! that never shows how it split the words, and a search box whose placeholder fits.

use crate::crawl::demo_app;
use serde_json::json;
use yunwei_core::demo::DEMO_PASSWORD;
use yunwei_testkit::browser::Browser;

/// Whether the visible search box's placeholder fits inside it (measured with the box's own font).
const PLACEHOLDER_FITS: &str =
    "const i = Array.from(document.querySelectorAll('input[type=search][name=q]')).find(e => e.offsetParent !== null);
if (!i) { return 'no visible search box'; }
const s = getComputedStyle(i);
const c = document.createElement('canvas').getContext('2d');
c.font = s.font;
const room = i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
const need = c.measureText(i.placeholder).width;
return need <= room ? 'fits' : ('needs ' + need + ' px, has ' + room + ' px');";

#[tokio::test]
async fn names_bulk_and_search_in_chromium() {
    let app = demo_app().await;
    let users = ["net01", "biz01"];
    for (lang, category, service, other_category, select) in
        [("zh-CN", "网络故障", "网上银行", "Network faults", "选择"), ("en", "Network faults", "Internet banking", "网络故障", "Select")]
    {
        for u in users {
            let c = app.session(u, DEMO_PASSWORD).await;
            assert_eq!(c.patch("/api/v1/me", &json!({ "locale": lang })).await.status, 200);
        }
        let b = Browser::start(lang).await.expect("browser");
        b.sign_in_at(&app.url("/login"), "net01", DEMO_PASSWORD).await;
        for (width, height) in [(1440, 900), (390, 844)] {
            b.resize(width, height).await;
            // The form to report an incident offers categories and services by their name in the reader's language.
            b.goto(&app.url("/incidents/new")).await;
            let categories = b.props("select[name=category_id] option", "text").await;
            let services = b.props("select[name=service_id] option", "text").await;
            let trimmed = |v: &[String]| v.iter().map(|s| s.trim_start_matches('\u{a0}').to_string()).collect::<Vec<_>>();
            let (categories, services) = (trimmed(&categories), trimmed(&services));
            assert!(categories.iter().any(|c| c == category), "{lang}: {categories:?}");
            assert!(!categories.iter().any(|c| c == other_category), "{lang}: only the reader's language: {categories:?}");
            assert!(services.iter().any(|s| s == service), "{lang}: {services:?}");
            b.shot(&format!("daily-new-incident-{lang}-{width}")).await;

            // The engineer may assign and move incidents: the queue has tick boxes and the bulk form.
            b.goto(&app.url("/incidents?queue=all")).await;
            assert!(!b.props("input[type=checkbox][form=form-bulk]", "value").await.is_empty(), "{lang}: the engineer gets tick boxes");
            assert_eq!(b.props("form[action='/incidents/bulk']", "method").await.len(), 1, "{lang}: and the bulk form");
            let badges = b.props("span.badge.state", "textContent").await;
            assert!(!badges.is_empty(), "{lang}: the queue shows states");
            if lang == "en" {
                assert!(badges.iter().all(|s| s.trim().chars().next().is_some_and(char::is_uppercase)), "capitalised alike: {badges:?}");
            }
            assert_eq!(b.execute(PLACEHOLDER_FITS).await, json!("fits"), "{lang} at {width} px");
            b.shot(&format!("daily-queue-{lang}-{width}")).await;

            // Search by two words: results, never the word splitting.
            b.goto(&app.url("/search?q=%E6%A0%B8%E5%BF%83%E4%BA%A4%E6%8D%A2%E6%9C%BA%20core")).await;
            let text = b.page_text().await;
            assert!(!text.contains("按以下词") && !text.contains("Searching for"), "{lang}: {text}");
            assert_eq!(b.execute(PLACEHOLDER_FITS).await, json!("fits"), "{lang} at {width} px, search page");
            b.shot(&format!("daily-search-{lang}-{width}")).await;
        }
        b.quit().await;

        // A requester may neither assign nor move incidents: no tick boxes, no bulk form.
        let b = Browser::start(lang).await.expect("browser");
        b.sign_in_at(&app.url("/login"), "biz01", DEMO_PASSWORD).await;
        for (width, height) in [(1440, 900), (390, 844)] {
            b.resize(width, height).await;
            b.goto(&app.url("/incidents")).await;
            assert!(b.props("input[type=checkbox][form=form-bulk]", "value").await.is_empty(), "{lang}: no tick boxes for a requester");
            assert!(b.props("form[action='/incidents/bulk']", "method").await.is_empty(), "{lang}: no bulk form for a requester");
            let headers = b.props("table th", "textContent").await;
            assert!(!headers.iter().any(|h| h.trim() == select), "{lang}: no tick column: {headers:?}");
            b.shot(&format!("daily-requester-queue-{lang}-{width}")).await;
        }
        b.quit().await;
    }
    // A requester's bulk post is refused whole by core, whatever the page offers.
    let biz = app.session("biz01", DEMO_PASSWORD).await;
    let r = biz.post("/api/v1/incidents/bulk", &json!({ "action": "transition", "transition": "close", "incidents": [1] })).await;
    assert_eq!(r.status, 403, "{}", r.text());
    app.stop().await;
}

#[tokio::test]
async fn request_page_offers_watching_and_files_in_chromium() {
    let app = demo_app().await;
    let file = std::env::temp_dir().join(format!("yunwei-daily-{}.txt", std::process::id()));
    std::fs::write(&file, b"VPN error 809").expect("a file to upload");
    for (lang, watchers, uploaded, watching) in
        [("zh-CN", "关注人", "附件已上传。", "已关注。"), ("en", "Watchers", "The file was uploaded.", "You now watch this ticket.")]
    {
        for u in ["biz01", "manager"] {
            let c = app.session(u, DEMO_PASSWORD).await;
            assert_eq!(c.patch("/api/v1/me", &json!({ "locale": lang })).await.status, 200);
        }
        // A request of the requester's own, new for each language.
        let biz = app.session("biz01", DEMO_PASSWORD).await;
        let items = biz.get("/api/v1/catalog-items").await.json();
        let list = items.as_array().or(items["items"].as_array()).cloned().unwrap_or_default();
        let reset = list.iter().find(|i| i["code"] == "password_reset").map(|i| i["id"].clone()).unwrap_or_else(|| panic!("{items}"));
        let answers = json!({ "system": "core_banking", "account": "biz01", "contact_phone": "138 0000 0001" });
        let req = biz.post("/api/v1/service-requests", &json!({ "item_id": reset, "answers": answers })).await;
        assert_eq!(req.status, 201, "{}", req.text());
        let number = req.json()["number"].as_str().unwrap().to_string();

        let b = Browser::start(lang).await.expect("browser");
        b.sign_in_at(&app.url("/login"), "biz01", DEMO_PASSWORD).await;
        for (width, height) in [(1440, 900), (390, 844)] {
            b.resize(width, height).await;
            b.goto(&app.url(&format!("/requests/{number}"))).await;
            let text = b.page_text().await;
            assert!(text.contains(watchers), "{lang}: the page lists who follows it: {text}");
            // The requester may follow and add a file, but not name others (that would answer 403).
            assert!(b.props("select[name=user_id]", "name").await.is_empty(), "{lang}: no one else to name");
            assert_eq!(b.props("form[action$='/attachments'] input[type=file]", "name").await.len(), 1, "{lang}: the upload form");
            b.shot(&format!("daily-request-{lang}-{width}")).await;
        }
        b.resize(1440, 900).await;
        b.click(&format!("form[action='/requests/{number}/watch'] button[type=submit]")).await;
        b.wait_for_text(watching).await;
        b.type_into("form[action$='/attachments'] input[type=file]", &file.display().to_string()).await;
        b.click("form[action$='/attachments'] button[type=submit]").await;
        let text = b.wait_for_text(uploaded).await;
        assert!(text.contains(file.file_name().unwrap().to_str().unwrap()), "{lang}: the file is listed: {text}");
        b.shot(&format!("daily-request-file-{lang}")).await;
        b.quit().await;
        let detail = biz.get(&format!("/api/v1/service-requests/{number}")).await.json();
        assert_eq!(detail["watchers"].as_array().map(Vec::len), Some(1), "{detail}");

        // The desk may name others: the list of people is offered to them.
        let b = Browser::start(lang).await.expect("browser");
        b.sign_in_at(&app.url("/login"), "manager", DEMO_PASSWORD).await;
        b.goto(&app.url(&format!("/requests/{number}"))).await;
        assert_eq!(b.props("form[action$='/watch'] select[name=user_id]", "name").await.len(), 1, "{lang}: the desk names others");
        b.shot(&format!("daily-request-desk-{lang}")).await;
        b.quit().await;
    }
    let _ = std::fs::remove_file(&file);
    app.stop().await;
}
