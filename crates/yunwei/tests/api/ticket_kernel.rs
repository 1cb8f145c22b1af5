//! The ticket kernel (ADR 0012) through the API: one comment use case and one set of
//! attachment routes for every kind, with the kind's own rules on who may do what.

use serde_json::{Value, json};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, TestApp, spawn_app};

async fn in_department(app: &TestApp, name: &str, roles: &[&str], department: i64) -> (i64, Client) {
    let (id, client) = app.user_with_roles(name, &[]).await;
    let r = app.admin().patch(&format!("/api/v1/users/{id}"), &json!({ "department_id": department })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    if !roles.is_empty() {
        let keys: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        yunwei_core::admin::set_user_roles(&app.core, &yunwei_core::Ctx::system(), yunwei_domain::ids::UserId(id), &keys)
            .await
            .expect("roles");
    }
    (id, client)
}

fn created(r: yunwei_testkit::TestResponse) -> Value {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn upload(c: &Client, path: &str, name: &str, bytes: &[u8]) -> yunwei_testkit::TestResponse {
    c.send("POST", &format!("{path}/attachments?filename={name}"), Some("text/plain"), bytes.to_vec()).await
}

fn names(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(|f| f["filename"].as_str().expect("filename").to_string()).collect()
}

#[tokio::test]
async fn requests_get_files_through_the_kernel_and_only_their_readers_see_them() {
    let app = spawn_app().await;
    let admin = app.admin();
    let home = created(admin.post("/api/v1/departments", &json!({ "name": "营业部" })).await)["id"].as_i64().unwrap();
    let away = created(admin.post("/api/v1/departments", &json!({ "name": "信贷部" })).await)["id"].as_i64().unwrap();
    let (_, requester) = in_department(&app, "kernel.req", &["business_user"], home).await;
    let (_, stranger) = in_department(&app, "kernel.far", &["business_user"], away).await;
    let (eng_id, engineer) = in_department(&app, "kernel.eng", &["network_engineer"], away).await;
    let (_, ops) = app.user_with_roles("kernel.ops", &["ops_manager"]).await;
    let team = created(admin.post("/api/v1/teams", &json!({ "name": "内核组", "members": [eng_id] })).await)["id"].clone();
    let item = json!({ "code": "kernel_files", "name": { "zh": "文件", "en": "Files" }, "team_id": team, "fields": [],
                       "tasks": [ { "title": { "zh": "处理", "en": "Handle" } } ] });
    let item_id = created(ops.post("/api/v1/catalog-items", &item).await)["id"].clone();
    let req = created(requester.post("/api/v1/service-requests", &json!({ "item_id": item_id, "answers": {} })).await);
    let path = format!("/api/v1/service-requests/{}", req["number"].as_str().unwrap());

    // The requester attaches a file (like a public reply); the fulfilment team reads it.
    let meta = created(upload(&requester, &path, "..%2Fscreen.txt", b"VPN error 809").await);
    assert_eq!(meta["filename"], "screen.txt", "the path is stripped");
    assert_eq!(meta["object_type"], "service_request");
    assert_eq!(meta["size"], 13);
    assert_eq!(names(&engineer.get(&format!("{path}/attachments")).await.json()), vec!["screen.txt"]);
    let file = engineer.get(&format!("{path}/attachments/{}", meta["id"])).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, b"VPN error 809");
    assert_eq!(file.header("content-security-policy"), Some("sandbox; default-src 'none'"));
    let from_desk = created(upload(&engineer, &path, "fix.txt", b"reset profile").await);
    assert_eq!(names(&requester.get(&format!("{path}/attachments")).await.json()), vec!["screen.txt", "fix.txt"]);

    // A requester of another department can neither list, read nor add files.
    assert_problem(&stranger.get(&format!("{path}/attachments")).await, 403, "forbidden");
    assert_problem(&stranger.get(&format!("{path}/attachments/{}", meta["id"])).await, 403, "forbidden");
    assert_problem(&upload(&stranger, &path, "x.txt", b"x").await, 403, "forbidden");
    assert_eq!(names(&requester.get(&format!("{path}/attachments")).await.json()).len(), 2, "nothing was added");

    // An incident's file is not reachable through the request's routes, nor the reverse.
    let inc = created(
        requester
            .post("/api/v1/incidents", &json!({ "title": "打印机卡纸", "description": "三楼", "impact": "low", "urgency": "low" }))
            .await,
    );
    let inc_path = format!("/api/v1/incidents/{}", inc["number"].as_str().unwrap());
    let inc_file = created(upload(&requester, &inc_path, "jam.txt", b"jam").await);
    assert_eq!(inc_file["object_type"], "incident");
    assert_problem(&requester.get(&format!("{path}/attachments/{}", inc_file["id"])).await, 404, "not_found");
    assert_problem(&requester.get(&format!("{inc_path}/attachments/{}", from_desk["id"])).await, 404, "not_found");
    assert_eq!(names(&requester.get(&format!("{inc_path}/attachments")).await.json()), vec!["jam.txt"]);
    assert_problem(&upload(&requester, &path, "empty.txt", b"").await, 422, "empty_file");

    app.stop().await;
}

#[tokio::test]
async fn one_comment_use_case_keeps_each_kinds_rules() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (_, requester) = app.user_with_roles("kernel.c.req", &["business_user"]).await;
    let (eng_id, engineer) = app.user_with_roles("kernel.c.eng", &["network_engineer"]).await;
    let (_, ops) = app.user_with_roles("kernel.c.ops", &["ops_manager"]).await;
    let team = created(admin.post("/api/v1/teams", &json!({ "name": "评论组", "members": [eng_id] })).await)["id"].clone();
    let item = json!({ "code": "kernel_comments", "name": { "zh": "评论", "en": "Comments" }, "team_id": team, "fields": [],
                       "tasks": [ { "title": { "zh": "处理", "en": "Handle" } } ] });
    let item_id = created(ops.post("/api/v1/catalog-items", &item).await)["id"].clone();
    let req = created(requester.post("/api/v1/service-requests", &json!({ "item_id": item_id, "answers": {} })).await);
    let req_path = format!("/api/v1/service-requests/{}", req["number"].as_str().unwrap());
    let inc = created(
        requester
            .post(
                "/api/v1/incidents",
                &json!({ "title": "网银登录慢", "description": "早上九点起", "impact": "low", "urgency": "low", "team_id": null }),
            )
            .await,
    );
    let inc_path = format!("/api/v1/incidents/{}", inc["number"].as_str().unwrap());

    // A request comment is a reply unless it says otherwise; an incident's is a work note.
    let reply = created(requester.post(&format!("{req_path}/comments"), &json!({ "body": "请尽快" })).await);
    assert_eq!((reply["kind"].as_str(), reply["public"].as_bool(), reply["body"].as_str()), (Some("reply"), Some(true), Some("请尽快")));
    assert!(reply.get("request_id").is_none(), "the request timeline keeps its shape");
    assert_problem(&requester.post(&format!("{inc_path}/comments"), &json!({ "body": "内部" })).await, 403, "forbidden");
    let own = created(requester.post(&format!("{inc_path}/comments"), &json!({ "body": "补充：仅 Chrome", "public": true })).await);
    assert_eq!((own["kind"].as_str(), own["incident_id"].as_i64()), (Some("reply"), inc["id"].as_i64()));

    // Work notes are the desk's on both kinds, and the requester never sees them.
    assert_problem(&requester.post(&format!("{req_path}/comments"), &json!({ "body": "内部", "public": false })).await, 403, "forbidden");
    let note = created(engineer.post(&format!("{req_path}/comments"), &json!({ "body": "已重置", "public": false })).await);
    assert_eq!((note["kind"].as_str(), note["public"].as_bool()), (Some("work_note"), Some(false)));
    let seen: Vec<String> = requester.get(&req_path).await.json()["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(seen.contains(&"reply".to_string()) && !seen.contains(&"work_note".to_string()), "{seen:?}");

    // The same validation for every kind, per field.
    for path in [&req_path, &inc_path] {
        let r = engineer.post(&format!("{path}/comments"), &json!({ "body": "   ", "public": true })).await;
        assert_problem(&r, 422, "validation_failed");
        assert_eq!(r.json()["errors"][0]["field"], "body");
        let long = "长".repeat(20_001);
        let r = engineer.post(&format!("{path}/comments"), &json!({ "body": long, "public": true })).await;
        assert_eq!(r.json()["errors"][0]["code"], "too_long", "{path}");
    }

    // An incident comment is an update of the incident (new version); a request's is not.
    let before = requester.get(&inc_path).await.json()["version"].as_i64().unwrap();
    created(ops.post(&format!("{inc_path}/comments"), &json!({ "body": "已转网络组", "public": false })).await);
    assert_eq!(requester.get(&inc_path).await.json()["version"].as_i64(), Some(before + 1));
    assert_eq!(requester.get(&req_path).await.json()["version"], req["version"]);
    app.stop().await;
}

#[tokio::test]
async fn request_watchers_come_from_the_kernel_and_only_the_desk_names_others() {
    let app = spawn_app().await;
    let admin = app.admin();
    let home = created(admin.post("/api/v1/departments", &json!({ "name": "营业部" })).await)["id"].as_i64().unwrap();
    let away = created(admin.post("/api/v1/departments", &json!({ "name": "信贷部" })).await)["id"].as_i64().unwrap();
    let (req_id, requester) = in_department(&app, "watch.req", &["business_user"], home).await;
    let (far_id, stranger) = in_department(&app, "watch.far", &["business_user"], away).await;
    let (eng_id, engineer) = in_department(&app, "watch.eng", &["network_engineer"], away).await;
    let (_, roleless) = app.user_with_roles("watch.none", &[]).await;
    let (_, ops) = app.user_with_roles("watch.ops", &["ops_manager"]).await;
    let team = created(admin.post("/api/v1/teams", &json!({ "name": "关注组", "members": [eng_id] })).await)["id"].clone();
    let item = json!({ "code": "kernel_watch", "name": { "zh": "关注", "en": "Watch" }, "team_id": team, "fields": [],
                       "tasks": [ { "title": { "zh": "处理", "en": "Handle" } } ] });
    let item_id = created(ops.post("/api/v1/catalog-items", &item).await)["id"].clone();
    let req = created(requester.post("/api/v1/service-requests", &json!({ "item_id": item_id, "answers": {} })).await);
    let number = req["number"].as_str().unwrap().to_string();
    let path = format!("/api/v1/service-requests/{number}/watchers");

    // The requester follows their own request; the detail says who watches.
    let r = requester.post(&path, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["watchers"], json!([req_id]));
    let detail = requester.get(&format!("/api/v1/service-requests/{number}")).await.json();
    assert_eq!((detail["watchers"].clone(), detail["may_assign"].clone()), (json!([req_id]), json!(false)), "{detail}");

    // …but may not name anyone else, nor take others off.
    assert_problem(&requester.post(&path, &json!({ "user_id": far_id })).await, 403, "forbidden");
    // A stranger and a roleless user cannot even look.
    assert_problem(&stranger.get(&path).await, 403, "forbidden");
    assert_problem(&stranger.post(&path, &json!({})).await, 403, "forbidden");
    assert_problem(&roleless.post(&path, &json!({})).await, 403, "forbidden");
    assert_problem(&roleless.get(&path).await, 403, "forbidden");

    // The desk (assign on requests) names the ops manager; the engineer follows himself.
    let named = ops.post(&path, &json!({ "user_id": eng_id })).await;
    assert_eq!(named.status, 200, "{}", named.text());
    assert!(ops.get(&format!("/api/v1/service-requests/{number}")).await.json()["may_assign"] == json!(true));
    let mut watchers: Vec<i64> = ops.get(&path).await.json()["watchers"].as_array().unwrap().iter().filter_map(Value::as_i64).collect();
    watchers.sort();
    let mut expected = vec![req_id, eng_id];
    expected.sort();
    assert_eq!(watchers, expected);
    assert_problem(
        &requester.send("DELETE", &path, Some("application/json"), json!({ "user_id": eng_id }).to_string().into_bytes()).await,
        403,
        "forbidden",
    );
    let off = engineer.send("DELETE", &path, Some("application/json"), b"{}".to_vec()).await;
    assert_eq!(off.status, 200, "{}", off.text());
    assert_eq!(off.json()["watchers"], json!([req_id]));
    assert_problem(&ops.post(&path, &json!({ "user_id": 999_999 })).await, 422, "validation_failed");
    app.stop().await;
}
