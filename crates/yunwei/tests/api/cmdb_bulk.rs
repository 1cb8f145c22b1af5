//! Bulk edit of CIs and saved views of the CI list: one history entry per CI changed, refusals
//! reported per CI (another team's CI, one hidden by its class), nothing done for whoever may
//! change no CI; through the API and the list page.

use serde_json::json;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::cmdb::{class_id, create_ci as ci};
use yunwei_testkit::hidden;
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, spawn_app};

/// A user whose CI grants reach their own team's CIs only (a role made for the test).
async fn editor(app: &TestApp, name: &str) -> (i64, Client) {
    let (id, c) = app.user_with_roles(name, &[]).await;
    let (_, sec) = app.user_with_roles(&format!("{name}.sec"), &["security_admin"]).await;
    let role = json!({ "key": "ci_team_editor", "name_en": "CI editor", "name_zh": "配置项维护",
        "permissions": ["configuration_item:read:all", "configuration_item:create:team", "configuration_item:update:team"] });
    let r = sec.post("/api/v1/roles", &role).await;
    assert!(r.status == 201 || r.status == 409, "{}", r.text());
    yunwei_core::admin::set_user_roles(&app.core, &yunwei_core::Ctx::system(), yunwei_domain::ids::UserId(id), &["ci_team_editor".into()])
        .await
        .unwrap();
    (id, c)
}

#[tokio::test]
async fn bulk_edit_changes_each_ci_it_may_and_reports_the_others() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (eng, engineer) = editor(&app, "bulk.eng").await;
    let (other_id, other) = editor(&app, "bulk.other").await;
    let net = admin.post("/api/v1/teams", &json!({ "name": "网络组", "members": [eng] })).await.json()["id"].as_i64().unwrap();
    let apps = admin.post("/api/v1/teams", &json!({ "name": "应用组", "members": [other_id] })).await.json()["id"].as_i64().unwrap();
    let server = class_id(&admin, "server").await;
    let mut mine = Vec::new();
    for n in 1..=2 {
        let body = json!({ "class_id": server, "name": format!("网络组主机 {n}"), "owner_team_id": net, "tags": ["旧标签"], "attributes": { "hostname": format!("n{n}") } });
        mine.push(ci(&engineer, body).await["id"].as_i64().unwrap());
    }
    let theirs =
        ci(&other, json!({ "class_id": server, "name": "应用组主机", "owner_team_id": apps, "attributes": { "hostname": "a1" } })).await;
    let theirs = theirs["id"].as_i64().unwrap();

    let ids = [mine[0], mine[1], theirs, 999_999];
    let body = json!({ "ids": ids, "status": "maintenance", "environment": "test", "add_tags": ["年度巡检"], "remove_tags": ["旧标签"] });
    let r = engineer.post("/api/v1/cmdb/cis/bulk", &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let out = r.json();
    assert_eq!((out["succeeded"].as_u64(), out["failed"].as_u64()), (Some(2), Some(2)), "{out}");
    let refused: Vec<(i64, &str)> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == false)
        .map(|r| (r["id"].as_i64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(refused, [(theirs, "forbidden"), (999_999, "not_found")], "{out}");
    for id in &mine {
        let v = engineer.get(&format!("/api/v1/cmdb/cis/{id}")).await.json();
        assert_eq!((v["status"].as_str(), v["environment"].as_str()), (Some("maintenance"), Some("test")));
        assert_eq!(v["tags"], json!(["年度巡检"]));
        // One history entry for the whole change of each CI.
        let h = engineer.get(&format!("/api/v1/cmdb/cis/{id}/history")).await.json();
        let ops: Vec<&str> = h["items"].as_array().unwrap().iter().map(|e| e["op"].as_str().unwrap()).collect();
        assert_eq!(ops, ["update", "create"], "{h}");
    }
    let v = other.get(&format!("/api/v1/cmdb/cis/{theirs}")).await.json();
    assert_eq!(v["status"], "production", "the other team's CI is untouched: {v}");
    // Nothing to change, nothing ticked, too many: refused as a whole.
    assert_problem(&engineer.post("/api/v1/cmdb/cis/bulk", &json!({ "ids": mine })).await, 422, "validation_failed");
    assert_problem(&engineer.post("/api/v1/cmdb/cis/bulk", &json!({ "ids": [], "status": "retired" })).await, 422, "validation_failed");
    let many: Vec<i64> = (1..=201).collect();
    assert_problem(&engineer.post("/api/v1/cmdb/cis/bulk", &json!({ "ids": many, "status": "retired" })).await, 422, "validation_failed");
    // Readers and the roleless change nothing.
    let (_, auditor) = app.user_with_roles("bulk.auditor", &["auditor"]).await;
    let (_, nobody) = app.user_with_roles("bulk.nobody", &[]).await;
    for c in [&auditor, &nobody] {
        assert_problem(&c.post("/api/v1/cmdb/cis/bulk", &json!({ "ids": mine, "status": "retired" })).await, 403, "forbidden");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_ci_list_page_ticks_and_changes_cis_and_keeps_saved_views() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("bulkpage.director", &["ops_director"]).await;
    let admin = app.admin();
    let vm = class_id(&admin, "virtual_machine").await;
    let a = ci(&director, json!({ "class_id": vm, "name": "web-a", "attributes": { "hostname": "web-a", "os": "RHEL 9" } })).await["id"]
        .as_i64()
        .unwrap();
    let b = ci(&director, json!({ "class_id": vm, "name": "web-b", "attributes": { "hostname": "web-b", "os": "RHEL 9" } })).await["id"]
        .as_i64()
        .unwrap();
    let c = app.session("bulkpage.director", ADMIN_PASSWORD).await;
    let list = c.get("/cmdb?class=virtual_machine&attr=os&value=RHEL%209").await.text();
    assert!(list.contains("form=\"form-cmdb-bulk\"") && list.contains("应用到勾选的配置项"), "{list}");
    let csrf = hidden(&list, "csrf_token");
    let (sa, sb) = (a.to_string(), b.to_string());
    let back = "/cmdb?class=virtual_machine";
    let r = c
        .post_form(
            "/cmdb/bulk",
            &[
                ("csrf_token", &csrf),
                ("ids", &sa),
                ("ids", &sb),
                ("status", "retired"),
                ("owner_team_id", ""),
                ("environment", ""),
                ("add_tags", "下线、待回收"),
                ("remove_tags", ""),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(page.contains("成功 2 条，未执行 0 条"), "{page}");
    for id in [a, b] {
        let v = director.get(&format!("/api/v1/cmdb/cis/{id}")).await.json();
        assert_eq!((v["status"].as_str(), v["tags"].clone()), (Some("retired"), json!(["下线", "待回收"])), "{v}");
    }
    // Nothing ticked: said in words, nothing changed.
    let r = c.post_form("/cmdb/bulk", &[("csrf_token", &csrf), ("status", "planned"), ("back", back)]).await;
    assert_eq!(r.status, 422, "{}", r.text());

    // A saved view of the filter, listed above the list, deleted again.
    let r = c
        .post_form(
            "/cmdb/views",
            &[("csrf_token", &csrf), ("name", "RHEL 9 虚拟机"), ("query", "class=virtual_machine&attr=os&value=RHEL%209")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let to = r.header("location").unwrap().to_string();
    assert!(to.starts_with("/cmdb?class=virtual_machine") && to.ends_with("ok=view_saved"), "{to}");
    let list = c.get(&to).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let list = list.text();
    assert!(list.contains("视图已保存") && list.contains("RHEL 9 虚拟机"), "{list}");
    let views = director.get("/api/v1/saved-views?object_type=configuration_item").await.json();
    let id = views["items"][0]["id"].as_i64().unwrap();
    // A view with keys the list does not take is refused by name.
    let r = director.post("/api/v1/saved-views", &json!({ "object_type": "configuration_item", "name": "x", "query": "queue=mine" })).await;
    assert_problem(&r, 422, "validation_failed");
    let r = c.post_form(&format!("/cmdb/views/{id}/delete"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(!c.get("/cmdb").await.text().contains("RHEL 9 虚拟机"));
    app.stop().await;
}
