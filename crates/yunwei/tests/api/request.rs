use base64::Engine;
use serde_json::{Value, json};
use yunwei_testkit::bad_input::{assert_problem, check_json_endpoint};
use yunwei_testkit::hidden;
use yunwei_testkit::{Client, TestApp, spawn_app};

fn page() -> yunwei_domain::page::PageRequest {
    yunwei_domain::page::PageRequest::parse(Some(50), None, true).unwrap()
}

async fn notices(app: &TestApp, user: i64) -> Vec<(String, String, Option<String>)> {
    app.drain_outbox().await;
    let list =
        yunwei_store::notify::list_notifications(app.core.database(), yunwei_domain::ids::UserId(user), false, &page()).await.unwrap();
    list.items.into_iter().map(|n| (n.event_type, n.title, n.link)).collect()
}

async fn set_manager(app: &TestApp, user: i64, manager: i64) {
    let r = app.admin().patch(&format!("/api/v1/users/{user}"), &json!({ "manager_id": manager })).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn item_by_code(client: &Client, code: &str) -> Value {
    let list = client.get("/api/v1/catalog-items").await;
    assert_eq!(list.status, 200, "{}", list.text());
    list.json()["items"].as_array().unwrap().iter().find(|i| i["code"] == code).cloned().unwrap_or_else(|| panic!("no item {code}"))
}

fn numbers(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|r| r["number"].as_str().unwrap().to_string()).collect()
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["timeline"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_vpn_request_goes_through_two_approvals_then_fulfilment() {
    let app = spawn_app().await;
    let (requester_id, requester) = app.user_with_roles("zhang.san", &["business_user"]).await;
    let (manager_id, manager) = app.user_with_roles("li.jingli", &["business_user"]).await;
    let (_, security) = app.user_with_roles("sec.admin", &["security_admin"]).await;
    let (eng_id, engineer) = app.user_with_roles("wang.wangluo", &["network_engineer"]).await;
    let (_, outsider) = app.user_with_roles("zhao.liu", &["business_user"]).await;
    let (_, ops) = app.user_with_roles("ops.mgr", &["ops_manager"]).await;
    set_manager(&app, requester_id, manager_id).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "网络组", "members": [eng_id] })).await.json()["id"].as_i64().unwrap();

    // Every installation starts with the five standard items.
    let list = requester.get("/api/v1/catalog-items").await.json();
    let codes: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    for code in ["account_creation", "permission_request", "password_reset", "equipment_request", "vpn_access"] {
        assert!(codes.contains(&code), "{code} seeded: {codes:?}");
    }
    let mut vpn = item_by_code(&requester, "vpn_access").await;
    assert_eq!(vpn["approvals"].as_array().unwrap().len(), 2);
    assert_eq!(vpn["name"]["zh"], "VPN 开通");

    // The catalogue manager points the VPN item's fulfilment at the network team.
    let item_id = vpn["id"].as_i64().unwrap();
    for key in ["id", "version"] {
        vpn.as_object_mut().unwrap().remove(key);
    }
    assert_problem(&requester.put(&format!("/api/v1/catalog-items/{item_id}"), &vpn).await, 403, "forbidden");
    vpn["team_id"] = json!(team);
    let put = ops.put(&format!("/api/v1/catalog-items/{item_id}"), &vpn).await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.json()["version"], 2);
    assert_eq!(put.json()["team_id"], team);

    // Answers are checked against the form.
    let bad = requester
        .post(
            "/api/v1/service-requests",
            &json!({ "item_id": item_id, "answers": { "vpn_user": requester_id, "start_date": "2026-02-30", "bogus": 1 } }),
        )
        .await;
    assert_problem(&bad, 422, "validation_failed");
    let errors: Vec<(String, String)> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect();
    for expected in [
        ("answers.start_date", "expected_date"),
        ("answers.bogus", "unknown_field"),
        ("answers.reason", "required"),
        ("answers.end_date", "required"),
    ] {
        assert!(errors.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {errors:?}");
    }
    let message = bad.json()["errors"].as_array().unwrap().iter().find(|e| e["field"] == "answers.start_date").unwrap()["message"].clone();
    assert!(message.as_str().unwrap_or_default().contains("YYYY-MM-DD"), "translated field message: {message}");

    let scan = b"%PDF-1.4 signed form".to_vec();
    let answers = json!({
        "vpn_user": requester_id, "start_date": "2026-12-01", "end_date": "2027-02-28", "reason": "驻场支持分行系统升级",
        "form": { "filename": "../VPN申请表.pdf", "content_type": "application/pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(&scan) }
    });
    let created = requester.post("/api/v1/service-requests", &json!({ "item_id": item_id, "answers": answers })).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let req = created.json();
    let number = req["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("REQ-"), "{number}");
    assert_eq!(req["state"], "pending_approval");
    assert_eq!(req["title"], "VPN 开通");
    assert_eq!(req["answers"]["reason"], "驻场支持分行系统升级");
    assert_eq!(req["answers"]["form"]["filename"], "VPN申请表.pdf", "the path is stripped from the file name");
    let path = format!("/api/v1/service-requests/{number}");

    // Full-text search finds the request by a word of its answers (indexing lags a little) and by number.
    let found_by = |page: Value| -> Vec<String> {
        page["service_requests"].as_array().unwrap().iter().map(|r| r["number"].as_str().unwrap().to_string()).collect()
    };
    let started = std::time::Instant::now();
    let mut found = Vec::new();
    while started.elapsed() < std::time::Duration::from_secs(3) && found.is_empty() {
        found = found_by(requester.get("/api/v1/search?q=%E9%A9%BB%E5%9C%BA").await.json());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found, vec![number.clone()], "驻场 is in the request's reason");
    assert_eq!(found_by(requester.get(&format!("/api/v1/search?q={number}")).await.json()), vec![number.clone()]);
    assert!(found_by(outsider.get("/api/v1/search?q=%E9%A9%BB%E5%9C%BA").await.json()).is_empty(), "another user's request stays hidden");

    // The file comes back as a safe download to those who may read the request.
    let file = requester.get(&format!("{path}/attachments/{}", req["answers"]["form"]["attachment_id"])).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, scan);
    assert_eq!(file.header("content-security-policy"), Some("sandbox; default-src 'none'"));
    assert_eq!(outsider.get(&path).await.status, 403, "another business user cannot read it");

    // Step 1 waits on the requester's manager only.
    assert_eq!(numbers(&requester.get("/api/v1/service-requests?queue=mine").await.json()), vec![number.clone()]);
    assert_eq!(numbers(&manager.get("/api/v1/service-requests?queue=approvals").await.json()), vec![number.clone()]);
    assert!(numbers(&security.get("/api/v1/service-requests?queue=approvals").await.json()).is_empty(), "step 2 is not yet open");
    assert!(
        notices(&app, manager_id).await.iter().any(|(e, title, link)| e == "service_request.approval_requested"
            && title.contains("待您审批")
            && link.as_deref() == Some(format!("/requests/{number}").as_str())),
        "the manager is told, in their language"
    );
    assert_problem(&requester.post(&format!("{path}/approvals"), &json!({ "decision": "approve" })).await, 403, "forbidden");
    assert_problem(&security.post(&format!("{path}/approvals"), &json!({ "decision": "approve" })).await, 403, "forbidden");
    let detail = manager.get(&path).await;
    assert_eq!(detail.status, 200, "an approver may read what waits on them: {}", detail.text());
    assert_eq!(detail.json()["can_decide"], true);
    assert_eq!(detail.json()["definition"]["fields"][0]["key"], "vpn_user", "the form travels with the request");

    let approved = manager.post(&format!("{path}/approvals"), &json!({ "decision": "approve", "comment": "同意" })).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!(approved.json()["state"], "pending_approval");
    assert_eq!(approved.json()["approval_step"], 1);
    assert_eq!(numbers(&security.get("/api/v1/service-requests?queue=approvals").await.json()), vec![number.clone()]);
    assert_problem(&security.post(&format!("{path}/approvals"), &json!({ "decision": "reject" })).await, 422, "validation_failed");
    let approved = security.post(&format!("{path}/approvals"), &json!({ "decision": "approve" })).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!(approved.json()["state"], "in_fulfilment");

    // Deciding again is refused with a message naming the state.
    let again = manager.post(&format!("{path}/approvals"), &json!({ "decision": "approve" })).await;
    assert_problem(&again, 409, "illegal_transition");
    assert!(again.json()["title"].as_str().unwrap().contains("办理中"), "{}", again.text());

    // Fulfilment: the task went to the network team.
    assert_eq!(numbers(&engineer.get("/api/v1/service-requests?queue=my_teams").await.json()), vec![number.clone()]);
    assert!(notices(&app, eng_id).await.iter().any(|(e, ..)| e == "service_request.task_assigned"));
    let detail = engineer.get(&path).await.json();
    let task = detail["tasks"][0].clone();
    assert_eq!(task["team_id"], team);
    assert_eq!(task["state"], "open");
    let task_path = format!("{path}/tasks/{}", task["id"]);
    assert_problem(&outsider.post(&task_path, &json!({ "action": "start" })).await, 403, "forbidden");
    assert_problem(&engineer.post(&task_path, &json!({ "action": "skip" })).await, 422, "validation_failed");
    let started = engineer.post(&task_path, &json!({ "action": "start" })).await;
    assert_eq!(started.status, 200, "{}", started.text());
    assert_eq!(started.json()["assignee_id"], eng_id, "taking a task makes it yours");
    let done = engineer.post(&task_path, &json!({ "action": "complete", "note": "账号已开通" })).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_problem(&engineer.post(&task_path, &json!({ "action": "complete" })).await, 409, "illegal_transition");

    let fulfilled = requester.get(&path).await.json();
    assert_eq!(fulfilled["state"], "fulfilled");
    assert_eq!(fulfilled["allowed_actions"], json!(["close"]));
    assert!(notices(&app, requester_id).await.iter().any(|(e, title, _)| e == "service_request.fulfilled" && title.contains("已办结")));
    let decisions: Vec<&str> = fulfilled["approvals"].as_array().unwrap().iter().map(|a| a["decision"].as_str().unwrap()).collect();
    assert_eq!(decisions, vec!["approved", "approved"]);

    // Fulfilment sends the requester a satisfaction survey; the answer lands on the request.
    let token = crate::survey::survey_token(&app, &requester, &number).await;
    let answered = app.anonymous().post(&format!("/api/v1/surveys/answer/{token}"), &json!({ "score": 5, "comment": "开通很快" })).await;
    assert_eq!(answered.status, 200, "{}", answered.text());
    let detail = requester.get(&path).await.json();
    let entry = detail["timeline"].as_array().unwrap().iter().find(|a| a["kind"] == "survey_answered").cloned().unwrap_or_default();
    assert_eq!(entry["data"]["score"], 5, "{detail}");
    assert_eq!(entry["body"], "开通很快", "{entry}");

    let closed = requester.post(&format!("{path}/transitions/close"), &json!({ "comment": "可以登录了" })).await;
    assert_eq!(closed.status, 200, "{}", closed.text());
    assert_eq!(closed.json()["state"], "closed");
    assert_problem(&requester.post(&format!("{path}/transitions/cancel"), &json!({})).await, 409, "illegal_transition");
    assert_eq!(requester.post(&format!("{path}/transitions/fly"), &json!({})).await.status, 404);
    let timeline = kinds(&requester.get(&path).await.json());
    assert_eq!(timeline, vec!["created", "approved", "approved", "task", "task", "survey_answered", "state_changed"], "{timeline:?}");
    app.stop().await;
}

#[tokio::test]
async fn all_approvers_rejection_cancel_and_missing_approvers() {
    let app = spawn_app().await;
    let (requester_id, requester) = app.user_with_roles("zhang.san", &["business_user"]).await;
    let (a_id, a) = app.user_with_roles("approver.a", &["business_user"]).await;
    let (b_id, b) = app.user_with_roles("approver.b", &["business_user"]).await;
    let (_, ops) = app.user_with_roles("ops.mgr", &["ops_manager"]).await;

    // Item definitions are validated, and what they name must exist.
    let invalid = ops
        .post(
            "/api/v1/catalog-items",
            &json!({
                "code": "db_account", "name": { "zh": "数据库账号", "en": "" },
                "fields": [
                    { "key": "db", "label": { "zh": "库", "en": "DB" }, "kind": "choice", "required": true },
                    { "key": "db", "label": { "zh": "库", "en": "DB" }, "kind": "text" }
                ],
                "approvals": [ { "name": { "zh": "组长", "en": "Lead" }, "approver": { "kind": "role", "role": "no_such_role" } } ],
                "tasks": [ { "title": { "zh": "开通", "en": "Open" }, "team_id": 999 } ]
            }),
        )
        .await;
    assert_problem(&invalid, 422, "validation_failed");
    let fields: Vec<String> = invalid.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    for f in [
        "name.en:required",
        "fields[0].options:required",
        "fields[1].key:duplicate",
        "approvals[0].approver.role:not_found",
        "tasks[0].team_id:not_found",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }

    let item = ops
        .post(
            "/api/v1/catalog-items",
            &json!({
                "code": "db_account", "name": { "zh": "数据库账号", "en": "Database account" },
                "fields": [ { "key": "db", "label": { "zh": "库", "en": "DB" }, "kind": "choice", "required": true,
                              "options": [ { "value": "prod", "label": { "zh": "生产", "en": "Production" } } ] } ],
                "approvals": [ { "name": { "zh": "双人审批", "en": "Two approvers" }, "approver": { "kind": "users", "user_ids": [a_id, b_id] }, "mode": "all" } ],
                "tasks": [ { "title": { "zh": "开通", "en": "Open" } } ]
            }),
        )
        .await;
    assert_eq!(item.status, 201, "{}", item.text());
    let item_id = item.json()["id"].as_i64().unwrap();
    let dup = ops.post("/api/v1/catalog-items", &json!({ "code": "db_account", "name": { "zh": "x", "en": "x" } })).await;
    assert_problem(&dup, 409, "catalog_item_code_taken");

    let new = || json!({ "item_id": item_id, "answers": { "db": "prod" } });
    let first = requester.post("/api/v1/service-requests", &new()).await.json();
    let path = format!("/api/v1/service-requests/{}", first["number"].as_str().unwrap());
    // All must approve: one approval leaves it waiting; one rejection ends it.
    assert_eq!(a.post(&format!("{path}/approvals"), &json!({ "decision": "approve" })).await.json()["state"], "pending_approval");
    let rejected = b.post(&format!("{path}/approvals"), &json!({ "decision": "reject", "comment": "生产库不开放查询账号" })).await;
    assert_eq!(rejected.status, 200, "{}", rejected.text());
    assert_eq!(rejected.json()["state"], "rejected");
    assert!(notices(&app, requester_id).await.iter().any(|(e, title, _)| e == "service_request.rejected" && title.contains("未获批准")));

    // The requester withdraws a second one; the approvers' pending rows are closed.
    let second = requester.post("/api/v1/service-requests", &new()).await.json();
    let path = format!("/api/v1/service-requests/{}", second["number"].as_str().unwrap());
    let cancelled = requester.post(&format!("{path}/transitions/cancel"), &json!({ "comment": "不需要了" })).await;
    assert_eq!(cancelled.json()["state"], "cancelled", "{}", cancelled.text());
    let detail = requester.get(&path).await.json();
    assert!(detail["approvals"].as_array().unwrap().iter().all(|x| x["decision"] == "skipped"), "{detail}");
    assert!(numbers(&a.get("/api/v1/service-requests?queue=approvals").await.json()).is_empty());

    // Nobody approves their own request: an item whose only approver is the requester goes to
    // the fallback approvers (the operations managers), never to the requester.
    let self_item = ops
        .post(
            "/api/v1/catalog-items",
            &json!({ "code": "self_check", "name": { "zh": "自批", "en": "Self" },
                     "approvals": [ { "name": { "zh": "本人", "en": "Self" }, "approver": { "kind": "users", "user_ids": [requester_id] } } ] }),
        )
        .await
        .json();
    let filed = requester.post("/api/v1/service-requests", &json!({ "item_id": self_item["id"] })).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    let filed = requester.get(&format!("/api/v1/service-requests/{}", filed.json()["number"].as_str().unwrap())).await.json();
    let approvers: Vec<&Value> = filed["approvals"].as_array().unwrap().iter().map(|a| &a["approver_id"]).collect();
    assert!(!approvers.is_empty() && approvers.iter().all(|a| **a != json!(requester_id)), "{filed}");
    assert!(kinds(&filed).contains(&"approval_fallback".to_string()), "{filed}");
    // Without a line manager, manager-approved items go to the fallback approvers too.
    let account = item_by_code(&requester, "password_reset").await;
    assert!(account["approvals"].as_array().unwrap().is_empty());
    let creation = item_by_code(&requester, "account_creation").await;
    let no_manager = requester
        .post(
            "/api/v1/service-requests",
            &json!({ "item_id": creation["id"], "answers": { "system": "oa", "account_holder": requester_id, "start_date": "2026-12-01", "reason": "入职" } }),
        )
        .await;
    assert_eq!(no_manager.status, 201, "the requester is never the dead end: {}", no_manager.text());
    // Requesting for someone else is triage work a business user may not do.
    let behalf =
        requester.post("/api/v1/service-requests", &json!({ "item_id": item_id, "requester_id": a_id, "answers": { "db": "prod" } })).await;
    assert_problem(&behalf, 403, "forbidden");
    // Retired items cannot be requested and are hidden from requesters.
    let mut retired = item.json();
    for key in ["id", "version"] {
        retired.as_object_mut().unwrap().remove(key);
    }
    retired["active"] = json!(false);
    assert_eq!(ops.put(&format!("/api/v1/catalog-items/{item_id}"), &retired).await.status, 200);
    assert_problem(&requester.post("/api/v1/service-requests", &new()).await, 422, "validation_failed");
    assert_eq!(requester.get(&format!("/api/v1/catalog-items/{item_id}")).await.status, 404);
    assert!(ops.get("/api/v1/catalog-items?all=true").await.json()["items"].as_array().unwrap().iter().any(|i| i["id"] == item_id));
    assert_problem(&requester.get("/api/v1/catalog-items?all=true").await, 403, "forbidden");
    app.stop().await;
}

#[tokio::test]
async fn request_endpoints_refuse_bad_input_cleanly() {
    let app = spawn_app().await;
    let (requester_id, requester) = app.user_with_roles("zhang.san", &["business_user"]).await;
    let (ops_id, ops) = app.user_with_roles("ops.mgr", &["ops_manager"]).await;
    set_manager(&app, requester_id, ops_id).await;
    let item = json!({ "code": "probe_item", "name": { "zh": "探针", "en": "Probe" }, "description": { "zh": "说明", "en": "About" }, "category": "c",
                       "fields": [ { "key": "note", "label": { "zh": "备注", "en": "Note" }, "kind": "text" } ],
                       "approvals": [ { "name": { "zh": "主管", "en": "Manager" }, "approver": { "kind": "manager" } } ],
                       "tasks": [ { "title": { "zh": "办理", "en": "Do it" } } ] });
    let mut probe = item.clone();
    probe["code"] = json!("probe_other");
    check_json_endpoint(&ops, "POST", "/api/v1/catalog-items", &probe, &["category"]).await;
    let created = ops.post("/api/v1/catalog-items", &item).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let item_id = created.json()["id"].as_i64().unwrap();
    check_json_endpoint(&ops, "PUT", &format!("/api/v1/catalog-items/{item_id}"), &item, &["category"]).await;
    let new = json!({ "item_id": item_id, "answers": { "note": "x" }, "title": "探针请求" });
    check_json_endpoint(&requester, "POST", "/api/v1/service-requests", &new, &["title"]).await;
    let req = requester.post("/api/v1/service-requests", &new).await.json();
    let path = format!("/api/v1/service-requests/{}", req["number"].as_str().unwrap());
    check_json_endpoint(&requester, "POST", &format!("{path}/comments"), &json!({ "body": "补充说明" }), &["body"]).await;
    check_json_endpoint(&ops, "POST", &format!("{path}/approvals"), &json!({ "decision": "reject", "comment": "不同意" }), &[]).await;
    check_json_endpoint(&requester, "POST", &format!("{path}/transitions/cancel"), &json!({ "comment": "撤回" }), &[]).await;
    // Markup is stored verbatim and comes back as data.
    let script = "<script>alert(1)</script>";
    let c = requester.post(&format!("{path}/comments"), &json!({ "body": script })).await;
    assert_eq!(c.status, 201, "{}", c.text());
    assert_eq!(c.json()["body"], script);
    assert_eq!(requester.get("/api/v1/service-requests/REQ-abc").await.status, 404);
    assert_problem(&requester.get("/api/v1/service-requests?state=flying").await, 422, "validation_failed");
    app.stop().await;
}

async fn post_form(c: &Client, path: &str, csrf: &str, fields: &[(&str, &str)]) -> yunwei_testkit::TestResponse {
    let mut pairs = vec![("csrf_token", csrf)];
    pairs.extend_from_slice(fields);
    c.post_form(path, &pairs).await
}

fn location(r: &yunwei_testkit::TestResponse) -> String {
    assert_eq!(r.status, 303, "{}", r.text());
    r.header("location").unwrap_or_default().to_string()
}

#[tokio::test]
async fn request_an_item_approve_and_fulfil_through_the_pages() {
    let app = spawn_app().await;
    let (requester_id, _) = app.user_with_roles("zhang.san", &["business_user"]).await;
    let (manager_id, _) = app.user_with_roles("li.jingli", &["business_user"]).await;
    let (eng_id, _) = app.user_with_roles("wang.zhuomian", &["desktop_engineer"]).await;
    set_manager(&app, requester_id, manager_id).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "桌面组", "members": [eng_id] })).await.json()["id"].as_i64().unwrap();
    let (_, ops) = app.user_with_roles("ops.mgr", &["ops_manager"]).await;
    let mut item = item_by_code(&ops, "equipment_request").await;
    let item_id = item["id"].as_i64().unwrap();
    for key in ["id", "version"] {
        item.as_object_mut().unwrap().remove(key);
    }
    item["team_id"] = json!(team);
    assert_eq!(ops.put(&format!("/api/v1/catalog-items/{item_id}"), &item).await.status, 200);

    let c = app.session("zhang.san", yunwei_testkit::ADMIN_PASSWORD).await;
    let home = c.get("/").await.text();
    assert!(home.contains("href=\"/requests\""), "the navigation leads to service requests");
    let catalog = c.get("/catalog").await;
    assert_eq!(catalog.status, 200);
    assert!(catalog.text().contains("设备申领") && catalog.text().contains(&format!("/catalog/{item_id}")), "{}", catalog.text());
    let form = c.get(&format!("/catalog/{item_id}")).await.text();
    assert!(
        form.contains("name=\"answers.equipment\"") && form.contains("笔记本电脑") && form.contains("type=\"number\""),
        "the form is built from the item's fields"
    );
    let csrf = hidden(&form, "csrf_token");

    // A failed form comes back with the typed values and translated messages.
    let script = "<script>alert('x')</script>";
    let failed = post_form(
        &c,
        &format!("/catalog/{item_id}"),
        &csrf,
        &[("answers.equipment", "laptop"), ("answers.quantity", "99"), ("answers.location", script)],
    )
    .await;
    assert_eq!(failed.status, 422, "{}", failed.text());
    let html = failed.text();
    assert!(html.contains("不能大于 20") && html.contains("必填"), "{html}");
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"), "typed values come back escaped");
    assert!(!html.contains(script));

    let done = post_form(
        &c,
        &format!("/catalog/{item_id}"),
        &csrf,
        &[
            ("answers.equipment", "laptop"),
            ("answers.quantity", "2"),
            ("answers.needed_by", "2026-12-01"),
            ("answers.location", "总行 5 楼"),
            ("answers.reason", script),
        ],
    )
    .await;
    let to = location(&done);
    assert!(to.starts_with("/requests/REQ-") && to.ends_with("?ok=requested"), "{to}");
    let page = c.get(&to).await.text();
    assert!(
        page.contains("服务请求已提交") && page.contains("待审批") && page.contains("笔记本电脑") && page.contains("总行 5 楼"),
        "{page}"
    );
    assert!(!page.contains(script), "answers are escaped");
    let number = to.trim_start_matches("/requests/").split('?').next().unwrap().to_string();

    // The manager approves on the page.
    let m = app.session("li.jingli", yunwei_testkit::ADMIN_PASSWORD).await;
    let queue = m.get("/requests?queue=approvals").await.text();
    assert!(queue.contains(&number), "{queue}");
    let page = m.get(&format!("/requests/{number}")).await.text();
    assert!(page.contains("form-request-approve") && page.contains("form-request-reject"), "the approver gets approve and reject");
    let csrf = hidden(&page, "csrf_token");
    let refused = post_form(&m, &format!("/requests/{number}/decide"), &csrf, &[("decision", "reject"), ("comment", "")]).await;
    assert_eq!(refused.status, 422);
    let html = refused.text();
    let reject = html.split("id=\"form-request-reject\"").nth(1).unwrap_or_default().split("</form>").next().unwrap_or_default();
    assert!(reject.contains("field-error") && reject.contains("必填"), "the reason is asked for beside the reject button: {reject}");
    location(&post_form(&m, &format!("/requests/{number}/decide"), &csrf, &[("decision", "approve"), ("comment", "同意")]).await);

    // The desktop engineer works both tasks.
    let e = app.session("wang.zhuomian", yunwei_testkit::ADMIN_PASSWORD).await;
    let page = e.get(&format!("/requests/{number}")).await.text();
    assert!(page.contains("办理中") && page.contains("form-request-task"), "{page}");
    let csrf = hidden(&page, "csrf_token");
    let api: Value = ops.get(&format!("/api/v1/service-requests/{number}")).await.json();
    // A task's title in each language, the reader's alone on the page.
    let (zh, en) = (api["tasks"][0]["title"].as_str().unwrap(), api["tasks"][0]["title_en"].as_str().unwrap());
    assert!(!zh.contains(" / ") && !en.is_empty() && !en.contains(" / "), "{api}");
    assert!(page.contains(zh) && !page.contains(en), "only the Chinese title on the zh-CN page: {page}");
    for t in api["tasks"].as_array().unwrap() {
        location(
            &post_form(&e, &format!("/requests/{number}/tasks/{}", t["id"]), &csrf, &[("action", "complete"), ("note", "已送达")]).await,
        );
    }
    let page = c.get(&format!("/requests/{number}")).await.text();
    assert!(page.contains("已办结"), "{page}");
    let csrf = hidden(&page, "csrf_token");
    let to = location(&post_form(&c, &format!("/requests/{number}/transition/close"), &csrf, &[]).await);
    assert!(to.ends_with(&format!("/requests/{number}?ok=request_closed")), "{to}");
    let page = c.get(&to).await.text();
    assert!(page.contains("服务请求已关闭。") && !page.contains("已保存。"), "the notice says the request is closed: {page}");
    assert_eq!(ops.get(&format!("/api/v1/service-requests/{number}")).await.json()["state"], "closed");
    app.stop().await;
}
