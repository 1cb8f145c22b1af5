//! Notifications (issue 15, defect 8) in a real headless Chromium, zh-CN and en: the header bell
//! opens a list of the latest notices written from the event in the reader's language (states by
//! name, the actor by name, no e-mail wording), each a link to its record; following one marks
//! it read. And the administrator is told when `public_url` cannot be how people reach the server.

use serde_json::json;
use std::time::Duration;
use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, Client, spawn_app};

async fn notices(c: &Client, at_least: usize) -> serde_json::Value {
    for _ in 0..150 {
        let v = c.get("/api/v1/notifications").await.json();
        if v["items"].as_array().is_some_and(|a| a.len() >= at_least) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {at_least} notifications arrived: {}", c.get("/api/v1/notifications").await.text());
}

#[tokio::test]
async fn the_bell_lists_clickable_notices_in_the_readers_language_in_chromium() {
    let app = spawn_app().await;
    let (eng, _) = app.user_with_roles("wang.wangluo", &["network_engineer"]).await;
    let (req, requester) = app.user_with_roles("he.guiyuan", &["business_user"]).await;
    let (dir_id, director) = app.user_with_roles("zhao.zongjian", &["ops_director"]).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "网络组", "members": [eng] })).await.json()["id"].as_i64().unwrap();
    let names = app.admin().patch(&format!("/api/v1/users/{req}"), &json!({ "display_name": "何柜员" })).await;
    assert_eq!(names.status, 200, "{}", names.text());
    let r = app.admin().patch(&format!("/api/v1/users/{dir_id}"), &json!({ "display_name": "赵总监" })).await;
    assert_eq!(r.status, 200, "{}", r.text());

    for (lang, changed, from_to, replied, unwanted) in [
        (
            "zh-CN",
            "事件状态变更",
            "赵总监将状态由「已分派」改为「处理中」",
            "赵总监回复：已联系厂商",
            ["in_progress", "回复本邮件", "assigned"],
        ),
        (
            "en",
            "Incident state changed",
            "赵总监 changed the state from Assigned to In progress",
            "赵总监 replied: 已联系厂商",
            ["in_progress", "Keep the incident number", "assigned to"],
        ),
    ] {
        assert_eq!(app.admin().patch(&format!("/api/v1/users/{req}"), &json!({ "locale": lang })).await.status, 200);
        let before = requester.get("/api/v1/notifications").await.json()["items"].as_array().map_or(0, Vec::len);
        let own = json!({ "title": "柜面打印机卡纸", "description": "二号窗口", "impact": "low", "urgency": "medium" });
        let number = requester.post("/api/v1/incidents", &own).await.json()["number"].as_str().unwrap().to_string();
        let assigned =
            director.post(&format!("/api/v1/incidents/{number}/assignment"), &json!({ "team_id": team, "assignee_id": eng })).await;
        assert_eq!(assigned.status, 200, "{}", assigned.text());
        let started = director.post(&format!("/api/v1/incidents/{number}/transitions/start"), &json!({})).await;
        assert_eq!(started.status, 200, "{}", started.text());
        let replied_r =
            director.post(&format!("/api/v1/incidents/{number}/comments"), &json!({ "body": "已联系厂商", "public": true })).await;
        assert_eq!(replied_r.status, 201, "{}", replied_r.text());
        notices(&requester, before + 2).await;

        let b = Browser::start(lang).await.expect("browser");
        b.sign_in_at(&app.url("/login"), "he.guiyuan", ADMIN_PASSWORD).await;
        b.goto(&app.url("/")).await;
        let count = b.texts("summary.bell [data-unread]").await;
        assert!(count.first().is_some_and(|c| c.parse::<i64>().unwrap_or(0) >= 2), "{lang}: unread count {count:?}");
        b.click("summary.bell").await;
        let panel = b.texts(".bell-panel").await.join("\n");
        assert!(panel.contains(changed) && panel.contains(&number), "{lang}: {panel}");
        assert!(panel.contains(from_to), "{lang}: the states by name, the actor by name: {panel}");
        assert!(panel.contains(replied), "{lang}: {panel}");
        for raw in unwanted {
            assert!(!panel.contains(raw), "{lang}: {raw:?} in the bell: {panel}");
        }
        b.shot(&format!("notices-bell-{lang}-1440")).await;
        // Every item is a link to its record; following one marks it read.
        let unread_before = requester.get("/api/v1/notifications/unread-count").await.json()["unread"].as_i64().unwrap();
        b.click(".bell-panel li a").await;
        b.wait_for_url("the incident from the bell", |u| u.ends_with(&format!("/incidents/{number}"))).await;
        let unread_after = requester.get("/api/v1/notifications/unread-count").await.json()["unread"].as_i64().unwrap();
        assert_eq!(unread_after, unread_before - 1, "{lang}: following a notice marks it read");
        // The list page: the same words, each a link.
        b.goto(&app.url("/notifications")).await;
        let text = b.page_text().await;
        assert!(text.contains(from_to) && !text.contains("回复本邮件") && !text.contains("in_progress"), "{lang}: {text}");
        let hrefs = b.props("main td a", "href").await;
        assert!(hrefs.len() >= 2 && hrefs.iter().all(|h| h.contains("/notifications/") && h.ends_with("/open")), "{hrefs:?}");
        // On a phone the bell's list fits the screen.
        b.resize(390, 844).await;
        b.goto(&app.url("/")).await;
        b.click("summary.bell").await;
        let fits = b.execute("const r = document.querySelector('.bell-panel').getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth;").await;
        assert_eq!(fits, json!(true), "{lang}: the bell's list fits at 390 px");
        b.shot(&format!("notices-bell-{lang}-390")).await;
        // Mark all read from the bell.
        b.click(".bell-panel form[action='/notifications/read-all'] button").await;
        b.wait_for_url("back after marking read", |u| u.ends_with("/notifications")).await;
        assert_eq!(requester.get("/api/v1/notifications/unread-count").await.json()["unread"], 0);
        b.quit().await;
    }
    // Another user's notice is not theirs to follow.
    let theirs = requester.get("/api/v1/notifications").await.json()["items"][0]["id"].as_i64().unwrap();
    let other = app.session("wang.wangluo", ADMIN_PASSWORD).await;
    assert_eq!(other.get(&format!("/notifications/{theirs}/open")).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn administrators_are_told_when_public_url_cannot_reach_the_server() {
    // The test server listens on a random port and public_url is left at its default.
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    for (lang, words) in [("zh-CN", "未设置 public_url"), ("en", "public_url is not set")] {
        assert_eq!(admin.patch("/api/v1/me", &json!({ "locale": lang })).await.status, 200);
        for path in ["/", "/admin/templates"] {
            let page = admin.get(path).await.text();
            assert!(page.contains(words) && page.contains(&app.addr.to_string()), "{lang} {path}: {page}");
        }
    }
    // People who do not maintain the settings are not shown it.
    app.user_with_roles("he.guiyuan", &["business_user"]).await;
    let c = app.session("he.guiyuan", ADMIN_PASSWORD).await;
    assert!(!c.get("/").await.text().contains("public_url"));
    app.stop().await;
}
