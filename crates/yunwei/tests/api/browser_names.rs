//! Names, not ids (issue 15, defect 4), in a real headless Chromium, zh-CN and en: a requester
//! (biz01) sees the team and people on their incidents and can filter by team; an approver
//! (branch01) sees the requester and the team on a request they decided. Neither may open the
//! user or team administration: the names come from the directory, not from wider rights.

use crate::crawl::demo_app;
use yunwei_core::demo::DEMO_PASSWORD;
use yunwei_testkit::browser::Browser;

/// `#` followed by a digit anywhere in the text: an id shown where a name belongs.
fn raw_id(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(2)
        .position(|w| w[0] == '#' && w[1].is_ascii_digit())
        .map(|i| chars[i.saturating_sub(20)..(i + 6).min(chars.len())].iter().collect())
}

/// A screenshot to `$YUNWEI_SCREENSHOTS` (or `target/screenshots/`) for people to look at.
#[tokio::test]
async fn requesters_and_approvers_see_names_not_ids_in_chromium() {
    let app = demo_app().await;
    for (lang, filter_any) in [("zh-CN", "全部"), ("en", "Any")] {
        for user in ["biz01", "branch01"] {
            let c = app.session(user, yunwei_core::demo::DEMO_PASSWORD).await;
            assert_eq!(c.patch("/api/v1/me", &serde_json::json!({ "locale": lang })).await.status, 200);
        }
        let b = Browser::start(lang).await.expect("browser");
        b.sign_in_at(&app.url("/login"), "biz01", DEMO_PASSWORD).await;
        b.goto(&app.url("/incidents")).await;
        let text = b.page_text().await;
        assert!(text.contains("值班室") || text.contains("网络组") || text.contains("系统组"), "{lang}: team names on the queue: {text}");
        assert_eq!(raw_id(&text), None, "{lang}: biz01's queue shows an id: {text}");
        // The team filter lists the teams by name.
        let options = b.texts("select[name=team_id] option").await;
        assert!(options.len() > 3 && options.iter().any(|o| o == "网络组"), "{lang}: {options:?} (any = {filter_any})");
        b.shot(&format!("names-biz01-queue-{lang}")).await;
        // A record of theirs names the people on it.
        let number = b.props("td a[href^='/incidents/INC-']", "textContent").await.into_iter().next().expect("an incident of biz01");
        b.goto(&app.url(&format!("/incidents/{number}"))).await;
        let text = b.page_text().await;
        assert!(text.contains("何柜员"), "{lang}: the reporter by name: {text}");
        assert_eq!(raw_id(&text), None, "{lang}: {number} shows an id: {text}");
        // No wider rights came with the names.
        for path in ["/admin/users", "/admin/teams"] {
            assert_eq!(app.session("biz01", yunwei_core::demo::DEMO_PASSWORD).await.get(path).await.status, 403, "{path}");
        }
        b.click("form[action='/logout'] button").await;
        b.wait_for_url("signed out", |u| u.ends_with("/login")).await;

        // The approver on the request they decided: the requester and the team by name.
        b.sign_in_at(&app.url("/login"), "branch01", DEMO_PASSWORD).await;
        b.goto(&app.url("/requests/REQ-000003")).await;
        let text = b.page_text().await;
        assert!(text.contains("何柜员") && text.contains("马行长"), "{lang}: requester and approver by name: {text}");
        assert_eq!(raw_id(&text), None, "{lang}: REQ-000003 shows an id: {text}");
        b.shot(&format!("names-branch01-request-{lang}")).await;
        b.quit().await;
    }
    for path in ["/api/v1/users", "/api/v1/teams"] {
        let r = app.session("branch01", yunwei_core::demo::DEMO_PASSWORD).await.get(path).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    app.stop().await;
}
