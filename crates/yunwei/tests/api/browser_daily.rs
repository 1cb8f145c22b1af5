//! The last pieces of daily use (issue 15) in a real headless Chromium, zh-CN and en, at 1440
//! and 390 px: categories and business services by their name in the reader's language (the
//! demo's have English names), the bulk tick boxes only for those who may use them, a search
//! that never shows how it split the words, and a search box whose placeholder fits.

use crate::browser_names::{shot, sign_in_with};
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
        sign_in_with(&app, &b, "net01", DEMO_PASSWORD).await;
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
            shot(&b, &format!("daily-new-incident-{lang}-{width}")).await;

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
            shot(&b, &format!("daily-queue-{lang}-{width}")).await;

            // Search by two words: results, never the word splitting.
            b.goto(&app.url("/search?q=%E6%A0%B8%E5%BF%83%E4%BA%A4%E6%8D%A2%E6%9C%BA%20core")).await;
            let text = b.page_text().await;
            assert!(!text.contains("按以下词") && !text.contains("Searching for"), "{lang}: {text}");
            assert_eq!(b.execute(PLACEHOLDER_FITS).await, json!("fits"), "{lang} at {width} px, search page");
            shot(&b, &format!("daily-search-{lang}-{width}")).await;
        }
        b.quit().await;

        // A requester may neither assign nor move incidents: no tick boxes, no bulk form.
        let b = Browser::start(lang).await.expect("browser");
        sign_in_with(&app, &b, "biz01", DEMO_PASSWORD).await;
        for (width, height) in [(1440, 900), (390, 844)] {
            b.resize(width, height).await;
            b.goto(&app.url("/incidents")).await;
            assert!(b.props("input[type=checkbox][form=form-bulk]", "value").await.is_empty(), "{lang}: no tick boxes for a requester");
            assert!(b.props("form[action='/incidents/bulk']", "method").await.is_empty(), "{lang}: no bulk form for a requester");
            let headers = b.props("table th", "textContent").await;
            assert!(!headers.iter().any(|h| h.trim() == select), "{lang}: no tick column: {headers:?}");
            shot(&b, &format!("daily-requester-queue-{lang}-{width}")).await;
        }
        b.quit().await;
    }
    // A requester's bulk post is refused whole by core, whatever the page offers.
    let biz = app.session("biz01", DEMO_PASSWORD).await;
    let r = biz.post("/api/v1/incidents/bulk", &json!({ "action": "transition", "transition": "close", "incidents": [1] })).await;
    assert_eq!(r.status, 403, "{}", r.text());
    app.stop().await;
}
