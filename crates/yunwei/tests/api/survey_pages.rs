//! The survey pages over HTTP: the requester's page without signing in (both
//! languages, CSRF like the sign-in form), and the managers' statistics, list
//! and improvement register.

use crate::survey::{desk, resolved, survey_token};
use serde_json::json;
use yunwei_testkit::hidden;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn a_requester_answers_on_the_page_without_signing_in() {
    let app = spawn_app().await;
    let d = desk(&app, "p").await;
    let number = resolved(&d, &d.engineer, json!({}), "网点打印机故障").await;
    let token = survey_token(&app, &d.requester.1, &number).await;
    let path = format!("/surveys/{token}");

    let zh = app.anonymous().header("accept-language", "zh-CN,zh;q=0.9").get(&path).await;
    assert_eq!(zh.status, 200, "{}", zh.text());
    assert!(zh.text().contains("您对本次服务满意吗") && zh.text().contains(&number) && zh.text().contains("非常满意"));
    let en = app.anonymous().header("accept-language", "en-US,en;q=0.8").get(&path).await;
    let page = en.text();
    assert!(page.contains("How satisfied are you") && page.contains("Very dissatisfied"), "{page}");
    for n in 1..=5 {
        assert!(page.contains(&format!("type=\"radio\" name=\"score\" value=\"{n}\" required")), "keyboard-usable radio {n}");
    }
    let cookie = en.header("set-cookie").and_then(|c| c.split(';').next()).expect("pre-session CSRF cookie").to_string();
    assert!(en.header("set-cookie").unwrap_or_default().contains("SameSite=Lax"));
    let csrf = hidden(&page, "csrf_token");
    assert!(cookie.ends_with(&csrf));

    // Another site cannot post it: without the cookie's token the form is refused.
    let forged = app.anonymous().post_form(&path, &[("score", "1")]).await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    let browser = app.anonymous().header("cookie", &cookie).header("accept-language", "en");
    let missing = browser.post_form(&path, &[("csrf_token", &csrf), ("comment", "<b>快</b>")]).await;
    assert_eq!(missing.status, 422, "{}", missing.text());
    assert!(missing.text().contains("Your rating: Must be between 1 and 5."), "{}", missing.text());
    assert!(missing.text().contains("&#60;b&#62;快&#60;/b&#62;"), "the comment is kept, escaped");
    let sent = browser.post_form(&path, &[("csrf_token", &csrf), ("score", "4"), ("comment", "<b>快</b>")]).await;
    assert_eq!((sent.status, sent.header("location")), (303, Some(format!("{path}?ok=answered").as_str())), "{}", sent.text());
    let thanks = browser.get(&format!("{path}?ok=answered")).await.text();
    assert!(thanks.contains("Thank you! Your rating has been recorded.") && thanks.contains("rating: 4 out of 5"), "{thanks}");
    assert!(!thanks.contains("type=\"radio\""), "no form once answered");
    let twice = browser.post_form(&path, &[("csrf_token", &csrf), ("score", "1")]).await;
    assert_eq!(twice.status, 409);
    assert!(twice.text().contains("already been answered"), "{}", twice.text());
    let unknown = app.anonymous().header("accept-language", "en").get(&format!("/surveys/{}", "a".repeat(64))).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("This survey link is not valid"), "{}", unknown.text());

    // The ticket's timeline shows the rating and the comment.
    let desk_page = app.session("p.director", ADMIN_PASSWORD).await.get(&format!("/incidents/{number}")).await.text();
    assert!(desk_page.contains("满意度评价：4 分") && desk_page.contains("&#60;b&#62;快&#60;/b&#62;"), "{desk_page}");
    app.stop().await;
}

#[tokio::test]
async fn managers_read_statistics_surveys_and_the_register_on_pages() {
    let app = spawn_app().await;
    let d = desk(&app, "q").await;
    let number = resolved(&d, &d.engineer, json!({}), "柜员机黑屏 <script>").await;
    let token = survey_token(&app, &d.requester.1, &number).await;
    let r = app.anonymous().post(&format!("/api/v1/surveys/answer/{token}"), &json!({ "score": 1, "comment": "太慢" })).await;
    assert_eq!(r.status, 200, "{}", r.text());

    let c = app.session("q.director", ADMIN_PASSWORD).await;
    let nav = c.get("/").await.text();
    assert!(nav.contains("href=\"/surveys\""), "the navigation leads to satisfaction");
    let stats = c.get("/surveys?period=quarter&by=team").await;
    assert_eq!(stats.status, 200, "{}", stats.text());
    let html = stats.text();
    assert!(html.contains("<svg class=\"chart\"") && html.contains("q 网络组") && html.contains("1.00"), "{html}");
    assert!(html.contains("1:1 2:0 3:0 4:0 5:0") && html.contains("统计分析"), "{html}");
    let list = c.get("/surveys/list?state=answered").await.text();
    assert!(list.contains(&number) && list.contains("太慢") && list.contains("&#60;script&#62;") && !list.contains("<script>"), "{list}");
    let register = c.get("/improvements").await.text();
    assert!(register.contains("IMP-000001") && register.contains("满意度低分"), "{register}");

    // Move the item on through its page.
    let item = c.get("/improvements/IMP-000001").await.text();
    let csrf = hidden(&item, "csrf_token");
    let form = |state: &'static str, measures: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("version", hidden(&item, "version")),
            ("state", state.to_string()),
            ("title", "ATM 黑屏处理慢".to_string()),
            ("description", String::new()),
            ("team_id", d.team.to_string()),
            ("owner_id", d.manager.0.to_string()),
            ("due_on", "2026-12-31".to_string()),
            ("measures", measures.to_string()),
            ("outcome", String::new()),
        ]
    };
    let pairs = form("in_progress", "");
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let moved = c.post_form("/improvements/IMP-000001", &borrowed).await;
    assert_eq!((moved.status, moved.header("location")), (303, Some("/improvements/IMP-000001?ok=saved")), "{}", moved.text());
    let after = c.get("/improvements/IMP-000001?ok=saved").await.text();
    assert!(after.contains("改进中") && after.contains("ATM 黑屏处理慢") && after.contains("已保存"), "{after}");
    let new =
        c.post_form("/improvements", &[("csrf_token", &csrf), ("title", ""), ("team_id", ""), ("owner_id", ""), ("due_on", "")]).await;
    assert_eq!(new.status, 422, "an empty title is refused on the page: {}", new.text());

    // Settings are saved from the statistics page.
    let saved = c
        .post_form(
            "/surveys/settings",
            &[
                ("csrf_token", &csrf),
                ("enabled", "true"),
                ("expiry_days", "7"),
                ("low_score_threshold", "1"),
                ("improvement_due_days", "10"),
            ],
        )
        .await;
    assert_eq!((saved.status, saved.header("location")), (303, Some("/surveys?ok=saved")), "{}", saved.text());
    assert_eq!(d.director.get("/api/v1/surveys/settings").await.json()["expiry_days"], 7);
    let refused = c
        .post_form(
            "/surveys/settings",
            &[("csrf_token", &csrf), ("expiry_days", "0"), ("low_score_threshold", "1"), ("improvement_due_days", "10")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());

    // A teller has no statistics: the page leads to the surveys they were asked.
    let teller = app.session("q.teller", ADMIN_PASSWORD).await;
    assert_eq!(teller.get("/surveys").await.header("location"), Some("/surveys/list"));
    let own = teller.get("/surveys/list").await;
    assert!(own.status == 200 && own.text().contains(&number), "{}", own.text());
    let (_, _) = app.user_with_roles("q.nobody", &[]).await;
    assert_eq!(app.session("q.nobody", ADMIN_PASSWORD).await.get("/surveys").await.status, 403, "no survey rights at all");
    app.stop().await;
}
