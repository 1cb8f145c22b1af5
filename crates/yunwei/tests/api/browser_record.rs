//! The record pages in a real Chromium (issue 15), in zh-CN and en: take, start and resolve
//! an incident one click each, add a follower, upload a file and download it again, link a
//! child incident; and find a service in the catalogue on a 390 px phone. Screenshots go to
//! `$YUNWEI_SCREENSHOTS` (default `target/screenshots/`) for people to look at.

use serde_json::json;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

struct Words {
    lang: &'static str,
    taken: &'static str,
    started: &'static str,
    follower: &'static str,
    uploaded: &'static str,
    linked: &'static str,
    resolved: &'static str,
    password: &'static str,
    search: &'static str,
}

const WORDS: [Words; 2] = [
    Words {
        lang: "zh-CN",
        taken: "已分派。",
        started: "状态已变更。",
        follower: "已添加关注人。",
        uploaded: "附件已上传。",
        linked: "已关联事件。",
        resolved: "已解决",
        password: "密码重置",
        search: "密码",
    },
    Words {
        lang: "en",
        taken: "Assigned.",
        started: "State changed.",
        follower: "The watcher was added.",
        uploaded: "The file was uploaded.",
        linked: "The incidents are linked.",
        resolved: "Resolved",
        password: "Password reset",
        search: "password",
    },
];

#[tokio::test]
async fn work_an_incident_from_its_page_in_chromium() {
    let app = spawn_app().await;
    let (lead, api) = app.user_with_roles("rb.lead", &["ops_director"]).await;
    let (eng, _) = app.user_with_roles("rb.eng", &["ops_manager"]).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "桌面组", "members": [lead, eng] })).await;
    let team = team.json()["id"].as_i64().unwrap_or_default();
    let file = std::env::temp_dir().join(format!("yunwei-browser-upload-{}.txt", std::process::id()));
    std::fs::write(&file, "打印机日志 printer log").expect("file");
    for w in WORDS {
        let new = |title: String| {
            let api = &api;
            async move {
                let body =
                    json!({ "title": title, "description": "三楼打印机反复卡纸", "impact": "low", "urgency": "low", "team_id": team });
                let r = api.post("/api/v1/incidents", &body).await;
                assert_eq!(r.status, 201, "{}", r.text());
                r.json()["number"].as_str().unwrap_or_default().to_string()
            }
        };
        let number = new(format!("打印机卡纸 {}", w.lang)).await;
        let child = new(format!("四楼打印机 {}", w.lang)).await;
        // Someone else holds it, so "assign to me" is offered to the lead.
        let r = api.post(&format!("/api/v1/incidents/{number}/assignment"), &json!({ "assignee_id": eng })).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let page = format!("/incidents/{number}");
        let browser = app.browser_as("rb.lead", ADMIN_PASSWORD, w.lang, &page).await;
        browser.shot(&format!("incident-{}-1440", w.lang)).await;

        browser.click(&format!("form[action='{page}/take'] button")).await;
        browser.wait_for_text(w.taken).await;
        browser.click(&format!("form[action='{page}/transition/start'] button")).await;
        browser.wait_for_text(w.started).await;
        assert_eq!(api.get(&format!("/api/v1/incidents/{number}")).await.json()["state"], "in_progress");

        browser.execute(&format!("document.querySelector('#f-watcher-user_id').value = '{eng}'")).await;
        browser.click("#form-watcher button[type=submit]").await;
        let text = browser.wait_for_text(w.follower).await;
        assert!(text.contains("rb.eng"), "the follower by name: {text}");

        browser.type_into("#f-attach-file", &file.display().to_string()).await;
        browser.click("#form-attach button[type=submit]").await;
        browser.wait_for_text(w.uploaded).await;
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let downloaded = browser
            .execute(&format!(
                "var a = Array.from(document.querySelectorAll('a')).find(a => a.textContent === '{name}'); \
                 var x = new XMLHttpRequest(); x.open('GET', a.href, false); x.send(); return x.status + ' ' + x.responseText"
            ))
            .await;
        assert_eq!(downloaded, json!("200 打印机日志 printer log"), "the same bytes back");

        browser.type_into("#f-link-number", &child).await;
        browser.click("#form-link button[type=submit]").await;
        let text = browser.wait_for_text(w.linked).await;
        assert!(text.contains(&format!("四楼打印机 {}", w.lang)), "the child by title: {text}");

        browser.type_into("#f-resolve-resolution", "清理进纸辊 / cleaned the rollers").await;
        browser.click("#form-resolve button[type=submit]").await;
        let text = browser.wait_for_text("清理进纸辊 / cleaned the rollers").await;
        assert!(text.contains(w.resolved), "{text}");
        let now = api.get(&format!("/api/v1/incidents/{number}")).await.json();
        assert_eq!((now["state"].as_str(), now["resolution_code"].as_str()), (Some("resolved"), Some("fixed")), "{now}");
        browser.shot(&format!("incident-{}-resolved-1440", w.lang)).await;
        browser.resize(390, 844).await;
        browser.goto(&app.url(&page)).await;
        let overflow = browser.execute("return document.documentElement.scrollWidth - window.innerWidth").await;
        assert!(overflow.as_i64().unwrap_or(99) <= 0, "{}: the page fits 390 px ({overflow})", w.lang);
        browser.shot(&format!("incident-{}-390", w.lang)).await;
        browser.quit().await;
    }
    let _ = std::fs::remove_file(&file);
    app.stop().await;
}

#[tokio::test]
async fn find_a_service_in_the_catalogue_on_a_phone_in_chromium() {
    let app = spawn_app().await;
    app.user_with_roles("rb.biz", &["business_user"]).await;
    for w in WORDS {
        let browser = app.browser_as("rb.biz", ADMIN_PASSWORD, w.lang, "/catalog").await;
        browser.resize(390, 844).await;
        browser.goto(&app.url("/catalog")).await;
        assert_eq!(browser.texts(".card").await.len(), 5, "five built-in services");
        browser.shot(&format!("catalog-{}-390", w.lang)).await;
        browser.type_into("#f-catalog-search-q", &format!("{}\u{E007}", w.search)).await;
        browser.wait_for_url("the search's address", |u| u.contains("q=")).await;
        let cards = browser.texts(".card").await;
        assert_eq!(cards.len(), 1, "{cards:?}");
        assert!(cards[0].contains(w.password), "{cards:?}");
        let overflow = browser.execute("return document.documentElement.scrollWidth - window.innerWidth").await;
        assert!(overflow.as_i64().unwrap_or(99) <= 0, "the catalogue fits 390 px ({overflow})");
        browser.shot(&format!("catalog-{}-search-390", w.lang)).await;
        browser.click(".card").await;
        browser.wait_for_url("the service's form", |u| u.contains("/catalog/")).await;
        browser.resize(1440, 900).await;
        browser.goto(&app.url("/catalog")).await;
        browser.shot(&format!("catalog-{}-1440", w.lang)).await;
        browser.quit().await;
    }
    app.stop().await;
}
