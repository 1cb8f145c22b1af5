//! The workbench home and the phone layout in a real headless Chromium (issue 15), zh-CN and
//! en, 390×844 and 1440×900: at phone width the menu folds behind a button, the header is one
//! line, content starts under it, nothing scrolls sideways and ticket numbers do not wrap.
//! Screenshots go to `target/screenshots/` (or `$YUNWEI_SCREENSHOTS`) for people to look at.

use serde_json::{Value, json};
use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

/// Layout facts of the page as numbers (CSS pixels).
const FACTS: &str = "const r = s => { const e = document.querySelector(s); return e ? e.getBoundingClientRect() : null; };
  const line = s => { const e = document.querySelector(s); if (!e) return null; const lh = parseFloat(getComputedStyle(e).lineHeight) || 20; return e.getBoundingClientRect().height / lh; };
  const side = document.querySelector('nav.side');
  return { inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
    header: r('header.top').height, h1: r('main h1').top,
    brand_lines: line('.brand'), logout_lines: line('.user .link'),
    number_lines: line('td a[href^=\"/incidents/INC-\"]'),
    side: side ? getComputedStyle(side).display : 'none',
    button: getComputedStyle(document.querySelector('.nav-button')).display,
    wide: Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ':' + e.textContent.slice(0, 30)) };";

async fn facts(b: &Browser) -> Value {
    b.execute(FACTS).await
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("no {k} in {v}"))
}

#[tokio::test]
async fn the_home_and_the_phone_layout_in_chromium() {
    let app = spawn_app().await;
    let (eng, _) = app.user_with_roles("wang.wangluo", &["network_engineer"]).await;
    let (req, requester) = app.user_with_roles("he.guiyuan", &["business_user"]).await;
    let (_, director) = app.user_with_roles("zhao.zongjian", &["ops_director"]).await;
    let team =
        app.admin().post("/api/v1/teams", &json!({ "name": "网络组", "members": [eng] })).await.json()["id"].as_i64().unwrap_or_default();
    let own = json!({ "title": "柜面打印机卡纸", "description": "二号窗口", "impact": "low", "urgency": "medium" });
    assert_eq!(requester.post("/api/v1/incidents", &own).await.status, 201);

    for (lang, menu_text, take) in [("zh-CN", "我的事件", "分派给我"), ("en", "My incidents", "Assign to me")] {
        let body = json!({ "title": "核心交换机端口丢包，柜面交易响应变慢", "description": "09:20 起", "impact": "high", "urgency": "high", "team_id": team });
        let number = director.post("/api/v1/incidents", &body).await.json()["number"].as_str().unwrap_or_default().to_string();
        for id in [eng, req] {
            let r = app.admin().patch(&format!("/api/v1/users/{id}"), &json!({ "locale": lang })).await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
        let b = Browser::start(lang).await.expect("browser");
        b.resize(390, 844).await;
        b.sign_in_at(&app.url("/login"), "wang.wangluo", ADMIN_PASSWORD).await;
        b.goto(&app.url("/")).await;
        let text = b.wait_for_text(menu_text).await;
        assert!(text.contains(&number) && text.contains(take), "{text}");
        let v = facts(&b).await;
        assert!(f(&v, "inner") <= 400.0, "a phone-sized window: {v}");
        assert!(f(&v, "scroll") <= f(&v, "inner"), "nothing scrolls sideways: {v}");
        assert!(f(&v, "header") <= 56.0, "the header is one line: {v}");
        assert!(f(&v, "brand_lines") < 1.5 && f(&v, "logout_lines") < 1.5, "the app name and sign-out do not wrap: {v}");
        assert!(f(&v, "number_lines") < 1.5, "incident numbers do not wrap: {v}");
        assert!(f(&v, "h1") < 120.0, "content starts right under the header, not below the menu: {v}");
        assert!(v["side"] == "none" && v["button"] != "none", "the menu is folded behind its button: {v}");
        b.shot(&format!("home-engineer-{lang}-390")).await;
        // The menu button opens the menu, without a script.
        b.click("label.nav-button").await;
        assert_ne!(facts(&b).await["side"], "none", "the menu opens");
        b.shot(&format!("home-menu-{lang}-390")).await;
        // Assign to me with one tap, then the ticket page fits the phone too.
        b.click(&format!("form[action='/incidents/{number}/take'] button")).await;
        b.wait_for_url("the ticket after assign to me", |u| u.contains(&format!("/incidents/{number}?ok=assigned"))).await;
        let v = facts(&b).await;
        assert!(f(&v, "scroll") <= f(&v, "inner"), "the ticket does not scroll sideways: {v}");
        b.shot(&format!("ticket-engineer-{lang}-390")).await;
        // At desktop width the menu is simply there.
        b.resize(1440, 900).await;
        b.goto(&app.url("/")).await;
        let v = facts(&b).await;
        assert!(v["side"] != "none" && v["button"] == "none", "{v}");
        b.shot(&format!("home-engineer-{lang}-1440")).await;
        b.click("form[action='/logout'] button").await;
        b.wait_for_url("signed out", |u| u.ends_with("/login")).await;

        // A requester on a phone: their tickets, reporting and the catalogue fit the screen.
        b.resize(390, 844).await;
        b.sign_in_at(&app.url("/login"), "he.guiyuan", ADMIN_PASSWORD).await;
        for path in ["/", "/incidents/new", "/catalog", "/requests?queue=mine"] {
            b.goto(&app.url(path)).await;
            let v = facts(&b).await;
            assert!(f(&v, "scroll") <= f(&v, "inner"), "{path} does not scroll sideways at 390 px: {v}");
            assert!(f(&v, "header") <= 56.0 && f(&v, "h1") < 120.0, "{path}: {v}");
        }
        b.goto(&app.url("/")).await;
        b.wait_for_text(if lang == "en" { "My tickets" } else { "我提交的" }).await;
        b.shot(&format!("home-requester-{lang}-390")).await;
        b.resize(1440, 900).await;
        b.shot(&format!("home-requester-{lang}-1440")).await;
        b.quit().await;
    }
    app.stop().await;
}
