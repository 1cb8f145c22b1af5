//! Resolution codes are chosen from a list, never typed; administrators add codes with a
//! Chinese and an English name, and every reader sees the name in their language — on the
//! pages, in the bulk form, in CSV exports. A bad code in bulk names the field.

use serde_json::{Value, json};
use yunwei_testkit::browser::Browser;
use yunwei_testkit::csrf;
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, spawn_app};

/// Adds `vendor_patch` (厂商补丁 / Vendor patch) through the settings page's text.
async fn add_vendor_patch(c: &Client) {
    let page = c.get("/admin/service-desk").await.text();
    assert!(page.contains("fixed | 已修复 | Fixed"), "the built-in codes are shown with their names: {page}");
    let codes = "fixed | 已修复 | Fixed\nvendor_patch ｜ 厂商补丁 | Vendor patch\nworkaround";
    let r = c
        .post_form(
            "/admin/service-desk/rules",
            &[("csrf_token", &csrf(&page)), ("reopen_days", "7"), ("resolution_codes", codes), ("auto_major_for_p1", "true")],
        )
        .await;
    assert_eq!(r.header("location"), Some("/admin/service-desk?ok=saved"), "{}", r.text());
}

async fn started_incident(api: &Client, me: i64, title: &str) -> Value {
    let r = api.post("/api/v1/incidents", &json!({ "title": title, "description": "现象", "impact": "low", "urgency": "low" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let inc = r.json();
    let number = inc["number"].as_str().unwrap_or_default();
    let assigned = api.post(&format!("/api/v1/incidents/{number}/assignment"), &json!({ "assignee_id": me })).await;
    assert_eq!(assigned.status, 200, "{}", assigned.text());
    let started = api.post(&format!("/api/v1/incidents/{number}/transitions/start"), &json!({})).await;
    assert_eq!(started.status, 200, "{}", started.text());
    inc
}

async fn director(app: &TestApp, name: &str, locale: &str) -> (i64, Client, Client) {
    let (id, api) = app.user_with_roles(name, &["ops_director"]).await;
    assert_eq!(api.patch("/api/v1/me", &json!({ "locale": locale })).await.status, 200);
    (id, api, app.session(name, ADMIN_PASSWORD).await)
}

#[tokio::test]
async fn codes_carry_both_names_and_bulk_resolve_chooses_from_the_list() {
    let app = spawn_app().await;
    let (me, api, zh) = director(&app, "res.zh", "zh-CN").await;
    let (_, _, en) = director(&app, "res.en", "en").await;
    add_vendor_patch(&zh).await;
    let settings = api.get("/api/v1/service-desk/settings").await.json();
    assert_eq!(settings["resolution_codes"], json!(["fixed", "vendor_patch", "workaround"]));
    assert_eq!(settings["resolution_labels"]["vendor_patch"], json!({ "name_zh": "厂商补丁", "name_en": "Vendor patch" }));

    // Only those who may change settings change the codes.
    let (_, engineer) = app.user_with_roles("res.eng", &["network_engineer"]).await;
    assert_eq!(engineer.put("/api/v1/service-desk/settings", &settings).await.status, 403);
    let mut bad = settings.clone();
    bad["resolution_labels"]["ghost"] = json!({ "name_zh": "幽灵", "name_en": "" });
    let refused = api.put("/api/v1/service-desk/settings", &bad).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.json()["errors"][0]["field"], "resolution_labels.ghost", "{}", refused.text());

    // The queue's bulk form offers the codes by name, in the reader's language.
    let inc = started_incident(&api, me, "打印机卡纸").await;
    let queue = zh.get("/incidents?queue=all").await.text();
    assert!(queue.contains("<select id=\"f-bulk-resolution_code\" name=\"resolution_code\""), "a list, not a text box: {queue}");
    assert!(queue.contains("<option value=\"vendor_patch\">厂商补丁</option>"), "{queue}");
    let queue_en = en.get("/incidents?queue=all").await.text();
    assert!(queue_en.contains("<option value=\"vendor_patch\">Vendor patch</option>"), "{queue_en}");
    assert!(queue_en.contains("<option value=\"workaround\">Workaround</option>"), "built-in names in English");

    // The defect: typing the label (or anything not a code) was refused without naming the field.
    let id = inc["id"].to_string();
    let form = |code: &'static str, token: String, id: String| {
        vec![
            ("csrf_token", token),
            ("ids", id),
            ("action", "transition".to_string()),
            ("transition", "resolve".to_string()),
            ("resolution_code", code.to_string()),
            ("resolution", "打了厂商补丁".to_string()),
            ("back", "/incidents?queue=all".to_string()),
        ]
    };
    let token = csrf(&queue);
    let pairs = form("已修复", token.clone(), id.clone());
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong = zh.post_form("/incidents/bulk", &pairs).await;
    assert_eq!(wrong.status, 422, "{}", wrong.text());
    assert!(wrong.text().contains("解决代码："), "the field is named: {}", wrong.text());
    assert_eq!(api.get(&format!("/api/v1/incidents/{id}")).await.json()["state"], "in_progress", "nothing was resolved");
    let pairs = form("vendor_patch", token, id.clone());
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = zh.post_form("/incidents/bulk", &pairs).await;
    assert!(done.text().contains("成功 1 条"), "{}", done.text());

    // Pages and exports name the code in the reader's language.
    let number = inc["number"].as_str().unwrap_or_default();
    assert!(zh.get(&format!("/incidents/{number}")).await.text().contains("厂商补丁"));
    assert!(en.get(&format!("/incidents/{number}")).await.text().contains("Vendor patch"));
    let csv = api.get("/api/v1/incidents/export/csv?queue=all").await.text();
    assert!(csv.contains(",解决代码") && csv.contains(",厂商补丁"), "{csv}");
    let (_, en_api) = app.user_with_roles("res.en.api", &["ops_director"]).await;
    assert_eq!(en_api.patch("/api/v1/me", &json!({ "locale": "en" })).await.status, 200);
    let csv = en_api.get("/api/v1/incidents/export/csv?queue=all").await.text();
    assert!(csv.contains(",Resolution code") && csv.contains(",Vendor patch"), "{csv}");
    app.stop().await;
}

/// Bulk resolve in Chromium, choosing the code by its name in each language.
#[tokio::test]
async fn bulk_resolve_chooses_the_code_by_name_in_chromium() {
    for (lang, name, summary) in [("zh-CN", "厂商补丁", "成功 1 条"), ("en", "Vendor patch", "1 done")] {
        let app = spawn_app().await;
        let (me, api, c) = director(&app, "bulk.b", lang).await;
        add_vendor_patch(&c).await;
        let inc = started_incident(&api, me, "机房空调告警").await;
        let browser = Browser::start(lang).await.expect("browser");
        browser.goto(&app.url("/incidents?queue=all")).await;
        browser.type_into("#username", "bulk.b\u{E004}").await;
        browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
        browser.wait_until_left("/login").await;
        browser.goto(&app.url("/incidents?queue=all")).await;
        let options = browser.texts("#f-bulk-resolution_code option").await;
        assert!(options.iter().any(|o| o == name) && !options.iter().any(|o| o == "vendor_patch"), "{lang}: {options:?}");
        let script = format!(
            "document.querySelector('input[name=ids][value=\"{}\"]').checked = true;
             document.querySelector('#f-bulk-action').value = 'transition';
             document.querySelector('#f-bulk-transition').value = 'resolve';
             const s = document.querySelector('#f-bulk-resolution_code');
             s.value = Array.from(s.options).find(o => o.text === '{name}').value;
             document.querySelector('#f-bulk-resolution').value = 'patched';
             return s.value;",
            inc["id"]
        );
        assert_eq!(browser.execute(&script).await, json!("vendor_patch"));
        browser.click("#form-bulk button[type=submit]").await;
        let text = browser.wait_for_text(summary).await;
        assert!(text.contains(summary), "{lang}: {text}");
        if let Ok(dir) = std::env::var("YUNWEI_SCREENSHOTS") {
            std::fs::write(format!("{dir}/bulk-resolve-{lang}.png"), browser.screenshot_png().await).expect("screenshot");
        }
        let number = inc["number"].as_str().unwrap_or_default();
        browser.goto(&app.url(&format!("/incidents/{number}"))).await;
        assert!(browser.page_text().await.contains(name), "{lang}: the incident names its code");
        browser.quit().await;
        app.stop().await;
    }
}
