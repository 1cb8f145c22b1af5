//! Line managers and team leads are set on the pages, and an approval step whose approver
//! cannot be found goes to the fallback approvers (or waits for the desk): a new user can
//! always file a request, and nobody ever approves their own.

use serde_json::{Value, json};
use yunwei_testkit::browser::Browser;
use yunwei_testkit::csrf;
use yunwei_testkit::{ADMIN_PASSWORD, Client, spawn_app};

async fn file_account_request(requester: &Client, requester_id: i64) -> Value {
    let items = requester.get("/api/v1/catalog-items").await.json();
    let item = items["items"].as_array().and_then(|i| i.iter().find(|i| i["code"] == "account_creation").cloned()).expect("item");
    let answers = json!({ "system": "oa", "account_holder": requester_id, "start_date": "2026-12-01", "reason": "入职" });
    let r = requester.post("/api/v1/service-requests", &json!({ "item_id": item["id"], "answers": answers })).await;
    assert_eq!(r.status, 201, "the requester is never the dead end: {}", r.text());
    let number = r.json()["number"].as_str().unwrap_or_default().to_string();
    requester.get(&format!("/api/v1/service-requests/{number}")).await.json()
}

fn first_step_approvers(detail: &Value) -> Vec<i64> {
    let approvals = detail["approvals"].as_array().cloned().unwrap_or_default();
    approvals.iter().filter(|a| a["step"] == 0).filter_map(|a| a["approver_id"].as_i64()).collect()
}

#[tokio::test]
async fn the_team_form_keeps_a_lead_set_through_the_api_and_the_user_form_sets_a_line_manager() {
    let app = spawn_app().await;
    let (lead_id, _) = app.user_with_roles("zu.zhang", &["ops_manager"]).await;
    let (member_id, _) = app.user_with_roles("zu.yuan", &["business_user"]).await;
    let admin = app.admin();
    let team = admin.post("/api/v1/teams", &json!({ "name": "网络组", "manager_id": lead_id, "members": [member_id] })).await.json();
    let id = team["id"].as_i64().expect("team id");
    let c = app.admin_session().await;
    let page = c.get(&format!("/admin/teams/{id}")).await.text();
    assert!(page.contains(&format!("<option value=\"{lead_id}\" selected>zu.zhang</option>")), "{page}");
    // The defect: saving the team page wiped the lead set through the API.
    let saved = c
        .post_form(
            &format!("/admin/teams/{id}"),
            &[
                ("csrf_token", &csrf(&page)),
                ("name", "网络组"),
                ("description", "核心网络"),
                ("email", ""),
                ("manager_id", &lead_id.to_string()),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let after = admin.get(&format!("/api/v1/teams/{id}")).await.json();
    assert_eq!((after["manager_id"].as_i64(), after["description"].as_str()), (Some(lead_id), Some("核心网络")), "{after}");

    // The user page sets the line manager by name; one cannot be one's own.
    let user_page = c.get(&format!("/admin/users/{member_id}")).await.text();
    assert!(user_page.contains("直属主管") && user_page.contains(&format!("<option value=\"{lead_id}\">")), "{user_page}");
    assert!(!user_page.contains(&format!("<option value=\"{member_id}\"")), "not offered as their own manager");
    let form = |manager: String| {
        vec![
            ("csrf_token".to_string(), csrf(&user_page)),
            ("display_name".to_string(), "组员".to_string()),
            ("email".to_string(), String::new()),
            ("phone".to_string(), String::new()),
            ("department_id".to_string(), String::new()),
            ("manager_id".to_string(), manager),
            ("locale".to_string(), "zh-CN".to_string()),
            ("time_zone".to_string(), "Asia/Shanghai".to_string()),
        ]
    };
    let pairs = form(lead_id.to_string());
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = c.post_form(&format!("/admin/users/{member_id}"), &pairs).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(admin.get(&format!("/api/v1/users/{member_id}")).await.json()["manager_id"], json!(lead_id));
    let pairs = form(member_id.to_string());
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let own = c.post_form(&format!("/admin/users/{member_id}"), &pairs).await;
    assert_eq!(own.status, 422, "{}", own.text());
    assert!(own.text().contains("直属主管：不能引用自身。"), "the field is named: {}", own.text());
    assert_eq!(admin.get(&format!("/api/v1/users/{member_id}")).await.json()["manager_id"], json!(lead_id), "unchanged");
    app.stop().await;
}

#[tokio::test]
async fn a_missing_line_manager_goes_to_the_team_lead_then_the_fallback_and_never_to_the_requester() {
    let app = spawn_app().await;
    let (mgr_id, mgr) = app.user_with_roles("yun.jingli", &["ops_manager"]).await;
    let (new_id, newcomer) = app.user_with_roles("xin.yuangong", &["business_user"]).await;

    // No line manager, no team: the operations managers (the default fallback) decide.
    let detail = file_account_request(&newcomer, new_id).await;
    assert_eq!(first_step_approvers(&detail), vec![mgr_id], "{detail}");
    let kinds: Vec<&str> = detail["timeline"].as_array().map(|t| t.iter().filter_map(|a| a["kind"].as_str()).collect()).unwrap_or_default();
    assert!(kinds.contains(&"approval_fallback"), "{detail}");
    let number = detail["number"].as_str().unwrap_or_default().to_string();
    let (_, auditor) = app.user_with_roles("shen.ji", &["audit_admin"]).await;
    let audit = auditor.get("/api/v1/audit-events?object_type=service_request&action=approver_missing").await.json();
    assert!(audit["items"][0]["after"].as_str().unwrap_or_default().contains("approval_fallback"), "{audit}");
    let page = app.session("xin.yuangong", ADMIN_PASSWORD).await.get(&format!("/requests/{number}")).await.text();
    assert!(page.contains("审批步骤的审批人未找到，已转交后备审批人") && page.contains("yun.jingli"), "{page}");
    // The requester may not decide it; the fallback approver may.
    let path = format!("/api/v1/service-requests/{number}/approvals");
    assert_eq!(newcomer.post(&path, &json!({ "decision": "approve" })).await.status, 403);
    assert_eq!(mgr.post(&path, &json!({ "decision": "approve", "comment": "同意" })).await.status, 200);

    // In a team with a lead, the lead stands in for the missing line manager.
    let (lead_id, _) = app.user_with_roles("zu.zhang", &["business_user"]).await;
    app.admin().post("/api/v1/teams", &json!({ "name": "柜面组", "manager_id": lead_id, "members": [new_id] })).await;
    assert_eq!(first_step_approvers(&file_account_request(&newcomer, new_id).await), vec![lead_id]);

    // An operations manager without a manager is not their own fallback: the step waits for the desk.
    let detail = file_account_request(&mgr, mgr_id).await;
    assert!(first_step_approvers(&detail).is_empty(), "never the requester: {detail}");
    let number = detail["number"].as_str().unwrap_or_default().to_string();
    let path = format!("/api/v1/service-requests/{number}/approvals");
    assert_eq!(mgr.post(&path, &json!({ "decision": "approve" })).await.status, 403, "no self-approval");
    let page = app.session("yun.jingli", ADMIN_PASSWORD).await.get(&format!("/requests/{number}")).await.text();
    assert!(page.contains("等待服务台指定审批人"), "{page}");
    app.stop().await;
}

/// The team lead and the line manager chosen by name in Chromium, in both languages.
#[tokio::test]
async fn leads_and_line_managers_are_chosen_by_name_in_chromium() {
    for (lang, lead_label, manager_label, saved) in [("zh-CN", "组长", "直属主管", "已保存"), ("en", "Team lead", "Line manager", "Saved")]
    {
        let app = spawn_app().await;
        let (lead_id, _) = app.user_with_roles("zu.zhang", &["ops_manager"]).await;
        let (member_id, _) = app.user_with_roles("zu.yuan", &["business_user"]).await;
        let admin = app.admin();
        assert_eq!(admin.patch("/api/v1/me", &json!({ "locale": lang })).await.status, 200);
        let team = admin.post("/api/v1/teams", &json!({ "name": "网络组", "manager_id": lead_id })).await.json();
        let id = team["id"].as_i64().expect("team");
        let browser = Browser::start(lang).await.expect("browser");
        browser.goto(&app.url(&format!("/admin/teams/{id}"))).await;
        browser.type_into("#username", "admin\u{E004}").await;
        browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
        browser.wait_until_left("/login").await;
        for (width, height) in [(1440, 900), (390, 844)] {
            browser.resize(width, height).await;
            browser.goto(&app.url(&format!("/admin/teams/{id}"))).await;
            assert!(browser.page_text().await.contains(lead_label), "{lang}");
            let chosen =
                browser.execute("const s = document.querySelector('#f-team-manager_id'); return s.options[s.selectedIndex].text").await;
            assert_eq!(chosen, json!("zu.zhang"), "{lang}: the lead is chosen by name");
            if let Ok(dir) = std::env::var("YUNWEI_SCREENSHOTS") {
                std::fs::write(format!("{dir}/team-lead-{lang}-{width}.png"), browser.screenshot_png().await).expect("shot");
            }
        }
        browser.resize(1440, 900).await;
        browser.click("#form-team button[type=submit]").await;
        browser.wait_for_text(saved).await;
        assert_eq!(admin.get(&format!("/api/v1/teams/{id}")).await.json()["manager_id"], json!(lead_id), "{lang}: the lead is kept");
        browser.goto(&app.url(&format!("/admin/users/{member_id}"))).await;
        assert!(browser.page_text().await.contains(manager_label), "{lang}");
        browser.execute(&format!("document.querySelector('#f-user-manager_id').value = '{lead_id}'; return true")).await;
        browser.click("#form-user button[type=submit]").await;
        browser.wait_for_text(saved).await;
        assert_eq!(admin.get(&format!("/api/v1/users/{member_id}")).await.json()["manager_id"], json!(lead_id), "{lang}");
        browser.quit().await;
        app.stop().await;
    }
}

/// A step nobody could be found for: the desk hears of it and names the approver (API and
/// page, both languages, in Chromium); the requester, a stranger and a roleless user cannot.
#[tokio::test]
async fn the_desk_hears_of_a_waiting_step_and_names_its_approver() {
    let app = spawn_app().await;
    let (mgr_id, mgr) = app.user_with_roles("dan.jingli", &["ops_manager"]).await;
    let (_, director) = app.user_with_roles("zong.jian", &["ops_director"]).await;
    let (_, stranger) = app.user_with_roles("mo.sheng", &["business_user"]).await;
    let (_, roleless) = app.user_with_roles("wu.juese", &[]).await;
    let (appr_id, approver) = app.user_with_roles("shen.pi", &["business_user"]).await;

    // The only operations manager files: nobody is left to approve, the step waits.
    let detail = file_account_request(&mgr, mgr_id).await;
    assert!(first_step_approvers(&detail).is_empty(), "{detail}");
    let number = detail["number"].as_str().unwrap_or_default().to_string();
    app.drain_outbox().await;
    let notes = director.get("/api/v1/notifications").await.json();
    let note = notes["items"].as_array().and_then(|n| n.iter().find(|n| n["event_type"] == "service_request.approver_missing").cloned());
    let note = note.unwrap_or_else(|| panic!("the desk hears of it: {notes}"));
    assert!(note["title"].as_str().unwrap_or_default().contains(&number), "{note}");
    assert!(note["body"].as_str().unwrap_or_default().contains("第 1 步"), "{note}");
    assert_eq!(note["link"], format!("/requests/{number}"));
    let mine = mgr.get("/api/v1/notifications").await.json();
    assert!(!mine.to_string().contains("service_request.approver_missing"), "not the requester: {mine}");

    // Only the desk names it, never on their own request, never the requester.
    let path = format!("/api/v1/service-requests/{number}/approvers");
    let body = json!({ "step": 1, "approver_id": appr_id });
    assert_eq!(mgr.post(&path, &body).await.status, 403, "the requester does not pick their approver");
    assert_eq!(stranger.post(&path, &body).await.status, 403);
    assert_eq!(roleless.post(&path, &body).await.status, 403);
    let own = director.post(&path, &json!({ "step": 1, "approver_id": mgr_id })).await;
    assert_eq!((own.status, own.json()["errors"][0]["code"].clone()), (422, json!("own_request")), "{}", own.text());
    let far = director.post(&path, &json!({ "step": 9, "approver_id": appr_id })).await;
    assert_eq!((far.status, far.json()["errors"][0]["field"].clone()), (422, json!("step")), "{}", far.text());
    // The requester's page offers no such form.
    let page = app.session("dan.jingli", ADMIN_PASSWORD).await.get(&format!("/requests/{number}")).await.text();
    assert!(!page.contains("/approvers\""), "{page}");

    // The director names the approver in Chromium, in each language (a new request for each).
    let numbers = [number.clone(), file_account_request(&mgr, mgr_id).await["number"].as_str().unwrap_or_default().to_string()];
    for ((lang, button, named), number) in
        [("zh-CN", "指定审批人", "审批人已指定。"), ("en", "Name the approver", "The approver is named.")].into_iter().zip(numbers)
    {
        assert_eq!(director.patch("/api/v1/me", &json!({ "locale": lang })).await.status, 200);
        let b = Browser::start(lang).await.expect("browser");
        b.goto(&app.url("/login")).await;
        b.type_into("#username", "zong.jian\u{E004}").await;
        b.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
        b.wait_until_left("/login").await;
        for (width, height) in [(390, 844), (1440, 900)] {
            b.resize(width, height).await;
            b.goto(&app.url(&format!("/requests/{number}"))).await;
            let labels = b.props(&format!("form[action='/requests/{number}/approvers'] button[type=submit]"), "textContent").await;
            assert_eq!(labels.iter().map(|l| l.trim()).collect::<Vec<_>>(), [button], "{lang}");
            let people = b.props("form[action$='/approvers'] select[name=approver_id] option", "value").await;
            assert!(
                people.contains(&appr_id.to_string()) && !people.contains(&mgr_id.to_string()),
                "{lang}: never the requester: {people:?}"
            );
            b.shot(&format!("daily-name-approver-{lang}-{width}")).await;
        }
        b.execute(&format!(
            "document.querySelector(\"form[action$='/approvers'] select[name=approver_id]\").value = '{appr_id}'; return 0;"
        ))
        .await;
        // Submitted as a person would, through the form's own button (scrolled into view first).
        b.execute("const f = document.querySelector(\"form[action$='/approvers']\"); f.scrollIntoView(); f.requestSubmit(f.querySelector('button[type=submit]')); return 0;").await;
        b.wait_for_text(named).await;
        b.shot(&format!("daily-approver-named-{lang}")).await;
        b.quit().await;
        let detail = director.get(&format!("/api/v1/service-requests/{number}")).await.json();
        assert_eq!(first_step_approvers(&detail), vec![appr_id], "{lang}: {detail}");
        let again =
            director.post(&format!("/api/v1/service-requests/{number}/approvers"), &json!({ "step": 1, "approver_id": appr_id })).await;
        assert_eq!((again.status, again.json()["errors"][0]["code"].clone()), (422, json!("approver_named")), "{}", again.text());
    }
    // The named approver is asked, and decides.
    app.drain_outbox().await;
    let asked = approver.get("/api/v1/notifications").await.json();
    assert!(asked.to_string().contains("service_request.approval_requested"), "{asked}");
    let decided = approver.post(&format!("/api/v1/service-requests/{number}/approvals"), &json!({ "decision": "approve" })).await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    app.stop().await;
}
