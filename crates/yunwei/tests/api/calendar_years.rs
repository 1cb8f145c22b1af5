//! A calendar year counts as covered only when its whole holiday notice is there: the shipped
//! data holds it, or an administrator confirms it (audited). One imported day is not a year.
//! The calendar's page shows the year as twelve month grids, in Chromium too.

use serde_json::json;
use std::sync::Arc;
use yunwei_testkit::browser::Browser;
use yunwei_testkit::hidden;
use yunwei_testkit::{ADMIN_PASSWORD, Client, Options, TestApp, spawn_app_with};

fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().expect("time").as_millisecond()
}

/// December 2026: the shipped notice covers 2026, nobody has imported 2027 yet.
async fn december_2026() -> TestApp {
    let clock = Arc::new(yunwei_core::FixedClock::new(ms("2026-12-05T10:00:00+08:00")));
    spawn_app_with(Options { clock: Some(clock), ..Default::default() }).await
}

async fn import_new_year_only(c: &Client) {
    let page = c.get("/admin/sla").await.text();
    let csrf = hidden(&page, "csrf_token");
    let body = "date,kind,name\n2027-01-01,holiday,元旦\n";
    let r = c.post_form("/admin/sla/import", &[("csrf_token", &csrf), ("calendar_id", "1"), ("body", body)]).await;
    assert_eq!(r.header("location"), Some("/admin/sla?ok=imported"), "{}", r.text());
}

#[tokio::test]
async fn one_imported_day_leaves_the_year_missing_until_an_administrator_confirms_it() {
    let app = december_2026().await;
    app.user_with_roles("desk.lead", &["ops_director"]).await;
    let c = app.session("desk.lead", ADMIN_PASSWORD).await;
    let (_, api) = app.user_with_roles("desk.api", &["ops_director"]).await;
    let cal = api.get("/api/v1/calendars/1").await.json();
    assert_eq!((cal["missing_holiday_years"].clone(), cal["confirmed_years"].clone()), (json!([2027]), json!([])));

    // The defect: importing only New Year's Day removed "尚未录入 2027 年".
    import_new_year_only(&c).await;
    assert_eq!(api.get("/api/v1/calendars/1").await.json()["missing_holiday_years"], json!([2027]));
    assert!(c.get("/admin/sla").await.text().contains("中国大陆工作日历：尚未录入 2027 年的全部法定节假日"));
    let year = c.get("/admin/sla/calendars/1?year=2027").await.text();
    assert!(year.contains("2027 年尚不完整：已录入 1 个节假日") && year.contains("元旦"), "{year}");
    assert!(year.contains("确认 2027 年已完整录入"), "the administrator is offered the confirmation");
    let shipped = c.get("/admin/sla/calendars/1?year=2026").await.text();
    assert!(shipped.contains("2026 年完整：包含系统自带的国务院办公厅通知的全部日期"), "{shipped}");
    assert!(shipped.contains("2月15日–2月23日") && shipped.contains("9 天") && shipped.contains("国庆节调休上班"), "{shipped}");
    assert_eq!(shipped.matches("class=\"off\"").count(), 33, "33 days off in the 2026 notice");
    assert_eq!(shipped.matches("class=\"work\"").count(), 6, "6 make-up working days");

    // Those who may not change calendars cannot confirm a year, by API or page.
    for role in ["network_engineer", "audit_admin"] {
        let (_, other) = app.user_with_roles(&format!("x.{role}"), &[role]).await;
        let r = other.post("/api/v1/calendars/1/years/2027", &json!({})).await;
        assert_eq!(r.status, 403, "{role}: {}", r.text());
        assert_eq!(other.delete("/api/v1/calendars/1/years/2027").await.status, 403);
    }
    app.user_with_roles("net.page", &["network_engineer"]).await;
    let net = app.session("net.page", ADMIN_PASSWORD).await;
    let net_page = net.get("/admin/sla/calendars/1?year=2027").await;
    assert!(!net_page.text().contains("确认 2027 年已完整录入"), "not offered to those who may not");
    let csrf = hidden(&c.get("/admin/sla").await.text(), "csrf_token");
    let net_csrf = if net_page.status == 200 { hidden(&net_page.text(), "csrf_token") } else { csrf.clone() };
    let r = net.post_form("/admin/sla/calendars/1/years/2027?complete=true", &[("csrf_token", &net_csrf)]).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(api.get("/api/v1/calendars/1").await.json()["missing_holiday_years"], json!([2027]), "still missing");

    let bad = api.post("/api/v1/calendars/1/years/1999", &json!({})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["errors"][0]["field"], "year", "{}", bad.text());
    assert_eq!(api.post("/api/v1/calendars/99/years/2027", &json!({})).await.status, 404);

    // The administrator confirms through the page: the warning goes, the action is audited.
    let r = c.post_form("/admin/sla/calendars/1/years/2027?complete=true", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.header("location"), Some("/admin/sla/calendars/1?year=2027&ok=year_confirmed"));
    let cal = api.get("/api/v1/calendars/1").await.json();
    assert_eq!((cal["missing_holiday_years"].clone(), cal["confirmed_years"].clone()), (json!([]), json!([2027])));
    assert!(!c.get("/admin/sla").await.text().contains("尚未录入"));
    let page = c.get("/admin/sla/calendars/1?year=2027&ok=year_confirmed").await.text();
    assert!(page.contains("已确认 2027 年完整录入。") && page.contains("撤销 2027 年的确认"), "{page}");
    // Twice is once.
    assert_eq!(api.post("/api/v1/calendars/1/years/2027", &json!({})).await.status, 200);
    let (_, auditor) = app.user_with_roles("audit.cal", &["audit_admin"]).await;
    let audit = auditor.get("/api/v1/audit-events?object_type=calendar&action=confirm_year").await.json();
    let items = audit["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{audit}");
    assert_eq!(items[0]["actor_name"], "desk.lead");
    assert!(items[0]["after"].as_str().unwrap_or_default().contains("2027"), "{audit}");

    // Withdrawn: the year is missing again, and that is audited too.
    let cal = api.delete("/api/v1/calendars/1/years/2027").await.json();
    assert_eq!((cal["missing_holiday_years"].clone(), cal["confirmed_years"].clone()), (json!([2027]), json!([])));
    let audit = auditor.get("/api/v1/audit-events?object_type=calendar&action=withdraw_year").await.json();
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
    app.stop().await;
}

async fn shot(browser: &Browser, name: &str) {
    let dir = std::env::var("YUNWEI_SCREENSHOTS").ok();
    if let Some(dir) = dir {
        std::fs::write(format!("{dir}/{name}.png"), browser.screenshot_png().await).expect("screenshot");
    }
}

/// The year view in Chromium: twelve months, the notice's days marked, no sideways scrolling on a
/// phone; the administrator confirms 2027 after importing it and the warning goes.
#[tokio::test]
async fn the_year_view_marks_the_notice_and_the_confirmation_ends_the_warning_in_chromium() {
    for (lang, incomplete, confirm_done, spring) in [
        ("zh-CN", "2027 年尚不完整", "已确认 2027 年完整录入。", "春节"),
        ("en", "2027 is not complete", "2027 is confirmed complete.", "春节"),
    ] {
        let app = december_2026().await;
        let (_, me) = app.user_with_roles("cal.admin", &["ops_director"]).await;
        assert_eq!(me.patch("/api/v1/me", &json!({ "locale": lang })).await.status, 200);
        let c = app.session("cal.admin", ADMIN_PASSWORD).await;
        import_new_year_only(&c).await;
        let browser = Browser::start(lang).await.expect("browser");
        browser.goto(&app.url("/admin/sla/calendars/1?year=2026")).await;
        browser.type_into("#username", "cal.admin\u{E004}").await;
        browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
        browser.wait_until_left("/login").await;
        for (width, height) in [(1440, 900), (390, 844)] {
            browser.resize(width, height).await;
            browser.goto(&app.url("/admin/sla/calendars/1?year=2026")).await;
            assert_eq!(browser.texts(".year-view .month").await.len(), 12, "{lang}: twelve months");
            assert_eq!(browser.texts(".year-view td.off").await.len(), 33, "{lang}");
            assert_eq!(browser.texts(".year-view td.work").await.len(), 6, "{lang}");
            let named = browser.props(".year-view td.off", "title").await;
            assert!(named.iter().filter(|t| *t == spring).count() == 9, "{lang}: {named:?}");
            let legend = browser.texts("p.legend .day").await;
            assert_eq!(legend.len(), 4, "{legend:?}");
            shot(&browser, &format!("calendar-year-{lang}-{width}")).await;
            let wide = browser
                .execute("return [document.documentElement.scrollWidth, Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > innerWidth).map(e => e.tagName + '.' + e.className).slice(0, 5)]")
                .await;
            assert!(wide[0].as_i64().unwrap_or(9999) <= i64::from(width), "{lang} {width} px: no sideways scrolling ({wide})");
        }
        browser.resize(1440, 900).await;
        browser.goto(&app.url("/admin/sla")).await;
        let warned = browser.texts(".badge.warn").await;
        assert!(warned.iter().any(|w| w.contains("2027")), "{lang}: one imported day leaves 2027 missing: {warned:?}");
        browser.goto(&app.url("/admin/sla/calendars/1?year=2027")).await;
        let text = browser.page_text().await;
        assert!(text.contains(incomplete), "{lang}: {text}");
        browser.execute("window.confirm = () => true; return true").await;
        browser.click(".buttons button").await;
        browser.wait_for_text(confirm_done).await;
        shot(&browser, &format!("calendar-confirmed-{lang}")).await;
        browser.goto(&app.url("/admin/sla")).await;
        let warned = browser.texts(".badge.warn").await;
        assert!(warned.iter().all(|w| !w.contains("2027")), "{lang}: the warning is gone: {warned:?}");
        browser.quit().await;
        app.stop().await;
    }
}
