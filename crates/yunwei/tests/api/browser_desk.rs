//! Small defects of daily use (issue 15, defects 13 and 14) in a real headless Chromium, zh-CN
//! and en: everyone who may work incidents can be chosen as commander (the director, who is in
//! no team, could not); the major-incident confirmation comes only after the field check; saving
//! a view says so; bulk with nothing ticked says what to do; a request's history names the new
//! state and a completed task names who did it.

use crate::crawl::demo_app;
use serde_json::json;
use yunwei_core::demo::DEMO_PASSWORD;
use yunwei_testkit::browser::Browser;

#[tokio::test]
async fn desk_details_in_chromium() {
    let app = demo_app().await;
    let net01 = app.session("net01", DEMO_PASSWORD).await;
    let desk01 = app.session("desk01", DEMO_PASSWORD).await;
    let biz01 = app.session("biz01", DEMO_PASSWORD).await;
    let teams = net01.get("/api/v1/teams?limit=200").await.json();
    let net_team = teams["items"].as_array().and_then(|a| a.iter().find(|t| t["name"] == "网络组")).and_then(|t| t["id"].as_i64());
    assert!(net_team.is_some(), "{teams}");
    for (lang, director, saved, none_ticked, state_to, task_done) in [
        ("zh-CN", "赵总监", "视图已保存", "请至少勾选一条事件。", "将状态改为「已关闭」", "改为「已完成」"),
        ("en", "赵总监", "The view is saved", "Tick at least one incident.", "changed the state to Closed", "to Done"),
    ] {
        for c in [&net01, &desk01] {
            assert_eq!(c.patch("/api/v1/me", &json!({ "locale": lang })).await.status, 200);
        }
        let body = json!({ "title": "汇聚交换机风扇告警", "description": "机房巡检", "impact": "medium", "urgency": "medium", "team_id": net_team });
        let created = net01.post("/api/v1/incidents", &body).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let number = created.json()["number"].as_str().unwrap().to_string();

        let b = Browser::start(lang).await.expect("browser");
        b.sign_in_at(&app.url("/login"), "net01", DEMO_PASSWORD).await;
        b.goto(&app.url(&format!("/incidents/{number}"))).await;
        let commanders = b.props("form[action$='/major'] select[name=commander_id] option", "textContent").await;
        assert!(commanders.iter().any(|c| c == director), "{lang}: the director may command: {commanders:?}");
        assert!(commanders.iter().any(|c| c == "吴值班"), "{lang}: so may the duty officer: {commanders:?}");
        assert!(!commanders.iter().any(|c| c == "何柜员" || c == "孙审计"), "{lang}: not people who cannot work incidents");
        // No commander chosen: the browser's own check stops the form before any confirmation.
        b.execute("window.__asked = 0; window.confirm = function () { window.__asked += 1; return false; }; return 0;").await;
        b.execute("const d = document.querySelector(\"form[action$='/major']\").closest('details'); if (d) { d.open = true; } return 0;")
            .await;
        b.click("form[action$='/major'] button[type=submit]").await;
        assert_eq!(b.execute("return window.__asked;").await, json!(0), "{lang}: no confirmation before the field check");
        b.execute(&format!(
            "const s = document.querySelector(\"form[action$='/major'] select[name=commander_id]\"); s.value = Array.from(s.options).find(o => o.text === '{director}').value; return 0;"
        ))
        .await;
        b.click("form[action$='/major'] button[type=submit]").await;
        assert_eq!(b.execute("return window.__asked;").await, json!(1), "{lang}: asked once the fields are right");
        b.shot(&format!("desk-major-form-{lang}")).await;

        // Saving a view says so.
        b.goto(&app.url("/incidents?queue=all&state=open")).await;
        b.execute(
            "const d = document.querySelector(\"form[action='/incidents/views']\").closest('details'); if (d) { d.open = true; } return 0;",
        )
        .await;
        b.type_into("form[action='/incidents/views'] input[name=name]", &format!("开放事件 {lang}")).await;
        b.click("form[action='/incidents/views'] button[type=submit]").await;
        let text = b.wait_for_text(saved).await;
        assert!(text.contains(&format!("开放事件 {lang}")), "{lang}: {text}");
        // Bulk with nothing ticked: said in words, not as a field error.
        b.click("form[action='/incidents/bulk'] button[type=submit]").await;
        let text = b.wait_for_text(none_ticked).await;
        assert!(!text.contains("必填") && !text.contains("required"), "{lang}: {text}");
        b.shot(&format!("desk-bulk-none-{lang}")).await;
        b.quit().await;

        // A request: the desk completes its task without taking it first; the history says who and what.
        let item = biz01.get("/api/v1/catalog-items").await.json();
        let list = item.as_array().or(item["items"].as_array()).cloned().unwrap_or_default();
        let reset = list.iter().find(|i| i["code"] == "password_reset").map(|i| i["id"].clone()).unwrap_or_else(|| panic!("{item}"));
        let answers = json!({ "system": "core_banking", "account": "biz01", "contact_phone": "138 0000 0001" });
        let req = biz01.post("/api/v1/service-requests", &json!({ "item_id": reset, "answers": answers })).await;
        assert_eq!(req.status, 201, "{}", req.text());
        let number = req.json()["number"].as_str().unwrap().to_string();
        let detail = desk01.get(&format!("/api/v1/service-requests/{number}")).await.json();
        let task = detail["tasks"][0]["id"].as_i64().unwrap();
        let done = desk01
            .post(&format!("/api/v1/service-requests/{number}/tasks/{task}"), &json!({ "action": "complete", "note": "已重置" }))
            .await;
        assert_eq!(done.status, 200, "{}", done.text());
        let closed = biz01.post(&format!("/api/v1/service-requests/{number}/transitions/close"), &json!({})).await;
        assert_eq!(closed.status, 200, "{}", closed.text());
        let b = Browser::start(lang).await.expect("browser");
        b.sign_in_at(&app.url("/login"), "desk01", DEMO_PASSWORD).await;
        b.goto(&app.url(&format!("/requests/{number}"))).await;
        let text = b.page_text().await;
        assert!(text.contains(state_to) && text.contains(task_done), "{lang}: the history in words: {text}");
        let task_row = b.texts("main table tr").await.into_iter().find(|r| r.contains("已重置")).unwrap_or_default();
        assert!(task_row.contains("杨桌面"), "{lang}: who completed the task: {task_row}");
        b.shot(&format!("desk-request-history-{lang}")).await;
        b.quit().await;
    }
    app.stop().await;
}
