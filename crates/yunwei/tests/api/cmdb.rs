//! The CMDB through the API: seeded classes, per-field attribute errors in both languages,
//! CIs with version checks, relations under class rules, history with diff and as-of,
//! classes and attributes changed at run time, business services as CIs, and who may do
//! what (other team, no role, auditor, the system duty, a restricted class).

use serde_json::{Value, json};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::cmdb::class_id;
use yunwei_testkit::{Client, TestApp, spawn_app};

async fn create_ci(c: &Client, body: Value) -> Value {
    let r = c.post("/api/v1/cmdb/cis", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn team(app: &TestApp, name: &str, members: &[i64]) -> i64 {
    let r = app.admin().post("/api/v1/teams", &json!({ "name": name, "members": members })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

fn field_codes(r: &Value) -> Vec<(String, String)> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn attributes_are_checked_per_field_in_both_languages() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let server = class_id(&director, "server").await;
    let bad = json!({
        "class_id": server, "name": "核心账务主机",
        "attributes": { "management_ip": "10.0.0.300", "cpu_cores": 0, "serial_number": "SN-1", "nonsense": 1 }
    });
    let r = director.clone().header("accept-language", "zh-CN").post("/api/v1/cmdb/cis", &bad).await;
    assert_problem(&r, 422, "validation_failed");
    let body = r.json();
    assert_eq!(
        field_codes(&body),
        [
            ("attributes.nonsense", "unknown_attribute"),
            ("attributes.hostname", "required"),
            ("attributes.management_ip", "invalid_ip"),
            ("attributes.cpu_cores", "below_min"),
        ]
        .map(|(f, c)| (f.to_string(), c.to_string()))
    );
    let messages: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(messages, ["该类别没有此属性。", "必填。", "请填写 IPv4 或 IPv6 地址。", "不得小于 1。"], "{body}");
    assert_eq!(director.patch("/api/v1/me", &json!({ "locale": "en" })).await.status, 200);
    let en = director.post("/api/v1/cmdb/cis", &bad).await.json();
    assert_eq!(en["errors"][2]["message"], "Enter an IPv4 or IPv6 address.", "{en}");
    // An abstract class holds no CIs; a pattern is enforced.
    let abstract_class = class_id(&director, "physical_device").await;
    let r = director.post("/api/v1/cmdb/cis", &json!({ "class_id": abstract_class, "name": "x" })).await;
    assert_eq!(field_codes(&r.json()), [("class_id".to_string(), "abstract_class".to_string())]);
    let r = director.post("/api/v1/cmdb/cis", &json!({ "class_id": server, "name": "x", "attributes": { "hostname": "bad host!" } })).await;
    assert_eq!(field_codes(&r.json()), [("attributes.hostname".to_string(), "pattern_mismatch".to_string())]);
    // Values are normalised; a unique attribute is unique within the class.
    let ok = create_ci(
        &director,
        json!({ "class_id": server, "name": "核心账务主机 01", "attributes": { "hostname": "acct-01", "management_ip": "10.0.0.1", "cpu_cores": "64" } }),
    )
    .await;
    assert_eq!(ok["attributes"], json!({ "hostname": "acct-01", "management_ip": "10.0.0.1", "cpu_cores": 64 }));
    assert_eq!(
        (ok["class_code"].as_str(), ok["class_name"].as_str(), ok["status"].as_str()),
        (Some("server"), Some("服务器"), Some("production"))
    );
    let dup = director
        .post(
            "/api/v1/cmdb/cis",
            &json!({ "class_id": server, "name": "另一台", "attributes": { "hostname": "acct-02", "management_ip": "10.0.0.1" } }),
        )
        .await;
    assert_eq!(field_codes(&dup.json()), [("attributes.management_ip".to_string(), "taken".to_string())]);
    app.stop().await;
}

#[tokio::test]
async fn history_records_each_change_and_reads_the_past() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let (server, app_class) = (class_id(&director, "server").await, class_id(&director, "application").await);
    let host =
        create_ci(&director, json!({ "class_id": server, "name": "db-host", "attributes": { "hostname": "db-host", "os": "RHEL 7" } }))
            .await;
    let id = host["id"].as_i64().unwrap();
    let before_change = app.core.now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    // A stale version is refused; the right one changes the CI.
    let stale = director.patch(&format!("/api/v1/cmdb/cis/{id}"), &json!({ "version": 0, "status": "maintenance" })).await;
    assert_problem(&stale, 409, "ci_changed");
    let r = director
        .patch(
            &format!("/api/v1/cmdb/cis/{id}"),
            &json!({ "version": 1, "status": "maintenance", "attributes": { "os": "RHEL 9", "cpu_cores": 32 } }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["version"].as_i64(), r.json()["attributes"]["os"].as_str()), (Some(2), Some("RHEL 9")));
    let crm = create_ci(&director, json!({ "class_id": app_class, "name": "信贷管理系统" })).await;
    let rel = director.post("/api/v1/cmdb/relations", &json!({ "type_code": "runs_on", "from_ci_id": crm["id"], "to_ci_id": id })).await;
    assert_eq!(rel.status, 201, "{}", rel.text());
    assert_eq!((rel.json()["label"].as_str(), rel.json()["other_name"].as_str()), (Some("运行于"), Some("db-host")));

    let history = director.get(&format!("/api/v1/cmdb/cis/{id}/history")).await.json()["items"].clone();
    let ops: Vec<(&str, &str)> =
        history.as_array().unwrap().iter().map(|h| (h["subject"].as_str().unwrap(), h["op"].as_str().unwrap())).collect();
    assert_eq!(ops, [("relation", "create"), ("ci", "update"), ("ci", "create")]);
    assert_eq!(history[0]["relation"]["label"], "运行着", "seen from the host, the relation reads backwards: {history}");
    assert_eq!(history[0]["source"], "api");
    assert_eq!(
        history[1]["changes"],
        json!([
            { "field": "status", "before": "production", "after": "maintenance" },
            { "field": "attributes.cpu_cores", "before": null, "after": 32 },
            { "field": "attributes.os", "before": "RHEL 7", "after": "RHEL 9" },
        ])
    );
    assert_eq!(history[1]["actor_name"], "cmdb.director");
    let (v1, v2) = (history[2]["id"].as_i64().unwrap(), history[1]["id"].as_i64().unwrap());
    let diff = director.get(&format!("/api/v1/cmdb/cis/{id}/diff?from={v1}&to={v2}")).await.json();
    assert_eq!(diff["items"], history[1]["changes"]);
    // As of before the change: the old values, and not yet the relation.
    let then = director.get(&format!("/api/v1/cmdb/cis/{id}/as-of?at={before_change}")).await.json();
    assert_eq!((then["ci"]["status"].as_str(), then["ci"]["attributes"]["os"].as_str()), (Some("production"), Some("RHEL 7")), "{then}");
    assert_eq!(then["relations"], json!([]));
    let now = director.get(&format!("/api/v1/cmdb/cis/{id}/as-of?at={}", app.core.now_ms() + 1)).await.json();
    assert_eq!(now["ci"]["status"], "maintenance");
    assert_eq!(now["relations"][0]["other_name"], "信贷管理系统", "{now}");
    let never = director.get(&format!("/api/v1/cmdb/cis/{id}/as-of?at=1")).await.json();
    assert_eq!(never["ci"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn relations_follow_class_rules_and_deleting_a_needed_ci_asks_first() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let (server, app_class, rack) =
        (class_id(&director, "server").await, class_id(&director, "application").await, class_id(&director, "rack").await);
    let host = create_ci(&director, json!({ "class_id": server, "name": "app-host", "attributes": { "hostname": "app-host" } })).await;
    let crm = create_ci(&director, json!({ "class_id": app_class, "name": "CRM" })).await;
    let cab = create_ci(&director, json!({ "class_id": rack, "name": "A01 机柜" })).await;
    // A rack does not run on an application.
    let r =
        director.post("/api/v1/cmdb/relations", &json!({ "type_code": "runs_on", "from_ci_id": cab["id"], "to_ci_id": crm["id"] })).await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(field_codes(&r.json()), [("type_id".to_string(), "relation_not_allowed".to_string())]);
    let r =
        director.post("/api/v1/cmdb/relations", &json!({ "type_code": "runs_on", "from_ci_id": crm["id"], "to_ci_id": crm["id"] })).await;
    assert_problem(&r, 422, "validation_failed");
    let ok =
        director.post("/api/v1/cmdb/relations", &json!({ "type_code": "runs_on", "from_ci_id": crm["id"], "to_ci_id": host["id"] })).await;
    assert_eq!(ok.status, 201, "{}", ok.text());
    assert_problem(
        &director.post("/api/v1/cmdb/relations", &json!({ "type_code": "runs_on", "from_ci_id": crm["id"], "to_ci_id": host["id"] })).await,
        409,
        "ci_relation_exists",
    );
    // The host is needed by CRM: deleting it names CRM and waits for confirmation.
    let hid = host["id"].as_i64().unwrap();
    let r = director.delete(&format!("/api/v1/cmdb/cis/{hid}")).await;
    assert_problem(&r, 409, "ci_has_dependants");
    assert_eq!((r.json()["count"].as_i64(), r.json()["names"].clone()), (Some(1), json!(["CRM"])));
    assert_eq!(director.get(&format!("/api/v1/cmdb/cis/{hid}")).await.status, 200);
    assert_eq!(director.delete(&format!("/api/v1/cmdb/cis/{hid}?confirm=true")).await.status, 204);
    assert_eq!(director.get(&format!("/api/v1/cmdb/cis/{hid}")).await.status, 404);
    let left = director.get(&format!("/api/v1/cmdb/cis/{}/relations", crm["id"])).await.json();
    assert_eq!(left["items"], json!([]), "the relation went with the host");
    app.stop().await;
}

#[tokio::test]
async fn the_list_filters_on_any_attribute() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let (server, vm) = (class_id(&director, "server").await, class_id(&director, "virtual_machine").await);
    for (n, os, cores) in [(1, "RHEL 9", 16), (2, "RHEL 9", 32), (3, "麒麟 V10", 16)] {
        create_ci(&director, json!({ "class_id": server, "name": format!("主机-{n}"), "attributes": { "hostname": format!("h{n}"), "os": os, "cpu_cores": cores } }))
            .await;
    }
    create_ci(&director, json!({ "class_id": vm, "name": "虚拟机-1", "status": "planned", "attributes": { "hostname": "v1", "os": "RHEL 9", "cpu_cores": 16 } })).await;
    let names = |r: Value| r["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(director.get("/api/v1/cmdb/cis?class=server&attr.os=RHEL%209").await.json()), ["主机-1", "主机-2"]);
    assert_eq!(names(director.get("/api/v1/cmdb/cis?attr.cpu_cores=16").await.json()), ["主机-1", "主机-3", "虚拟机-1"]);
    assert_eq!(names(director.get("/api/v1/cmdb/cis?attr.os=%E9%BA%92%E9%BA%9F%20V10").await.json()), ["主机-3"]);
    assert_eq!(names(director.get("/api/v1/cmdb/cis?status=planned").await.json()), ["虚拟机-1"]);
    assert_eq!(names(director.get("/api/v1/cmdb/cis?q=%E8%99%9A%E6%8B%9F").await.json()), ["虚拟机-1"]);
    let bad = director.get("/api/v1/cmdb/cis?attr.cpu_cores=many").await;
    assert_problem(&bad, 422, "validation_failed");
    assert_eq!(field_codes(&bad.json()), [("attr.cpu_cores".to_string(), "invalid_integer".to_string())]);
    assert_eq!(
        field_codes(&director.get("/api/v1/cmdb/cis?attr.colour=red").await.json()),
        [("attr.colour".to_string(), "unknown_attribute".to_string())]
    );
    // Paging by name.
    let first = director.get("/api/v1/cmdb/cis?limit=2").await.json();
    assert_eq!(names(first.clone()), ["主机-1", "主机-2"]);
    let next = director.get(&format!("/api/v1/cmdb/cis?limit=2&cursor={}", first["next_cursor"].as_str().unwrap())).await.json();
    assert_eq!(names(next), ["主机-3", "虚拟机-1"]);
    app.stop().await;
}

#[tokio::test]
async fn classes_and_attributes_change_at_run_time_and_removing_data_asks_first() {
    let app = spawn_app().await;
    let (_, sys) = app.user_with_roles("cmdb.sys", &["system_admin"]).await;
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let network = class_id(&sys, "network_device").await;
    let r = sys
        .post("/api/v1/cmdb/classes", &json!({ "code": "san_switch", "parent_id": network, "name": "SAN 交换机", "name_en": "SAN switch" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let san = r.json()["id"].as_i64().unwrap();
    assert_problem(&sys.post("/api/v1/cmdb/classes", &json!({ "code": "san_switch", "name": "重复" })).await, 409, "ci_class_code_taken");
    let attr = sys
        .post(
            &format!("/api/v1/cmdb/classes/{san}/attributes"),
            &json!({ "code": "firmware", "name": "固件版本", "kind": "text", "required": true, "pattern": "^[0-9.]+$" }),
        )
        .await;
    assert_eq!(attr.status, 201, "{}", attr.text());
    let attr_id = attr.json()["id"].as_i64().unwrap();
    // Inherited attributes come first; the new one is enforced at once.
    let detail = sys.get(&format!("/api/v1/cmdb/classes/{san}")).await.json();
    let codes: Vec<&str> = detail["all_attributes"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(codes.first(), Some(&"serial_number"));
    assert_eq!(codes.last(), Some(&"firmware"));
    let body = json!({ "class_id": san, "name": "SAN-01", "attributes": { "management_ip": "10.9.0.1", "device_type": "switch" } });
    assert_eq!(
        field_codes(&director.post("/api/v1/cmdb/cis", &body).await.json()),
        [("attributes.firmware".to_string(), "required".to_string())]
    );
    let mut body = body;
    body["attributes"]["firmware"] = json!("8.2.1");
    let ci = create_ci(&director, body).await;
    // Removing the attribute that holds a value asks first, then clears it into history.
    let r = sys.delete(&format!("/api/v1/cmdb/attributes/{attr_id}")).await;
    assert_problem(&r, 409, "ci_attribute_holds_data");
    assert_eq!(r.json()["count"], 1);
    assert_eq!(sys.delete(&format!("/api/v1/cmdb/attributes/{attr_id}?confirm=true")).await.status, 204);
    let now = director.get(&format!("/api/v1/cmdb/cis/{}", ci["id"])).await.json();
    assert_eq!(now["attributes"].get("firmware"), None, "{now}");
    let history = director.get(&format!("/api/v1/cmdb/cis/{}/history", ci["id"])).await.json();
    assert_eq!(history["items"][0]["changes"], json!([{ "field": "attributes.firmware", "before": "8.2.1", "after": null }]));
    // The class holds a CI: deleting it asks first.
    assert_problem(&sys.delete(&format!("/api/v1/cmdb/classes/{san}")).await, 409, "ci_class_holds_data");
    assert_eq!(sys.delete(&format!("/api/v1/cmdb/classes/{san}?confirm=true")).await.status, 204);
    assert_eq!(director.get(&format!("/api/v1/cmdb/cis/{}", ci["id"])).await.status, 404);
    let physical = class_id(&sys, "physical_device").await;
    assert_problem(&sys.delete(&format!("/api/v1/cmdb/classes/{physical}")).await, 409, "ci_class_has_subclasses");
    app.stop().await;
}

#[tokio::test]
async fn who_may_do_what() {
    let app = spawn_app().await;
    let (eng_id, engineer) = app.user_with_roles("cmdb.eng", &[]).await;
    let (other_id, other) = app.user_with_roles("cmdb.other", &[]).await;
    let (sec_id, sec_member) = app.user_with_roles("cmdb.sec", &[]).await;
    let (_, sec) = app.user_with_roles("cmdb.secadmin", &["security_admin"]).await;
    let role = json!({ "key": "ci_team_editor", "name_en": "CI editor", "name_zh": "配置项维护",
        "permissions": ["configuration_item:read:all", "configuration_item:create:team", "configuration_item:update:team"] });
    assert_eq!(sec.post("/api/v1/roles", &role).await.status, 201);
    for u in [eng_id, other_id, sec_id] {
        yunwei_core::admin::set_user_roles(
            &app.core,
            &yunwei_core::Ctx::system(),
            yunwei_domain::ids::UserId(u),
            &["ci_team_editor".into()],
        )
        .await
        .unwrap();
    }
    let net = team(&app, "网络组", &[eng_id]).await;
    let apps = team(&app, "应用组", &[other_id]).await;
    let secteam = team(&app, "安全组", &[sec_id]).await;
    let server = class_id(&engineer, "server").await;
    let ci =
        create_ci(&engineer, json!({ "class_id": server, "name": "网络组主机", "owner_team_id": net, "attributes": { "hostname": "n1" } }))
            .await;
    let id = ci["id"].as_i64().unwrap();
    assert_eq!(ci["owner_team_name"], "网络组");
    // Another team reads it but cannot change it, nor create CIs for a team not its own.
    assert_eq!(other.get(&format!("/api/v1/cmdb/cis/{id}")).await.status, 200);
    assert_problem(&other.patch(&format!("/api/v1/cmdb/cis/{id}"), &json!({ "version": 1, "name": "改名" })).await, 403, "forbidden");
    assert_problem(
        &other
            .post("/api/v1/cmdb/cis", &json!({ "class_id": server, "name": "x", "owner_team_id": net, "attributes": { "hostname": "x" } }))
            .await,
        403,
        "forbidden",
    );
    // Nor hand its own CI to a team it is not in.
    let own =
        create_ci(&other, json!({ "class_id": server, "name": "应用组主机", "owner_team_id": apps, "attributes": { "hostname": "a1" } }))
            .await;
    assert_problem(
        &other.patch(&format!("/api/v1/cmdb/cis/{}", own["id"]), &json!({ "version": 1, "owner_team_id": net })).await,
        403,
        "forbidden",
    );
    assert_problem(&other.delete(&format!("/api/v1/cmdb/cis/{}", own["id"])).await, 403, "forbidden");
    // No role: nothing, not even whether an id exists.
    let (_, nobody) = app.user_with_roles("cmdb.nobody", &[]).await;
    for path in ["/api/v1/cmdb/cis", &format!("/api/v1/cmdb/cis/{id}"), "/api/v1/cmdb/cis/999999", "/api/v1/cmdb/classes"] {
        assert_problem(&nobody.get(path).await, 403, "forbidden");
    }
    // The auditor reads, and changes nothing.
    let (_, auditor) = app.user_with_roles("cmdb.auditor", &["auditor"]).await;
    assert_eq!(auditor.get(&format!("/api/v1/cmdb/cis/{id}/history")).await.status, 200);
    assert_problem(&auditor.patch(&format!("/api/v1/cmdb/cis/{id}"), &json!({ "version": 1, "name": "x" })).await, 403, "forbidden");
    assert_problem(&auditor.post("/api/v1/cmdb/classes", &json!({ "code": "x", "name": "x" })).await, 403, "forbidden");
    // The system duty manages the model and sees no CI; the director sees CIs and cannot touch the model.
    let (_, sys) = app.user_with_roles("cmdb.sys", &["system_admin"]).await;
    assert_eq!(sys.get("/api/v1/cmdb/classes").await.status, 200);
    assert_problem(&sys.get(&format!("/api/v1/cmdb/cis/{id}")).await, 403, "forbidden");
    assert_problem(&sys.post("/api/v1/cmdb/cis", &json!({ "class_id": server, "name": "x" })).await, 403, "forbidden");
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    assert_problem(&director.post("/api/v1/cmdb/classes", &json!({ "code": "x", "name": "x" })).await, 403, "forbidden");
    // Security devices restricted to the security team: invisible to everyone else.
    let secdev = class_id(&sys, "security_device").await;
    assert_eq!(sys.patch(&format!("/api/v1/cmdb/classes/{secdev}"), &json!({ "restricted_team_id": secteam })).await.status, 200);
    let fw = create_ci(
        &sec_member,
        json!({ "class_id": secdev, "name": "互联网边界防火墙", "owner_team_id": secteam, "attributes": { "device_type": "firewall" } }),
    )
    .await;
    let fw_id = fw["id"].as_i64().unwrap();
    assert_problem(&director.get(&format!("/api/v1/cmdb/cis/{fw_id}")).await, 404, "not_found");
    let listed = director.get("/api/v1/cmdb/cis").await.text();
    assert!(!listed.contains("防火墙"), "{listed}");
    assert!(sec_member.get("/api/v1/cmdb/cis").await.text().contains("互联网边界防火墙"));
    assert_problem(
        &engineer
            .post(
                "/api/v1/cmdb/cis",
                &json!({ "class_id": secdev, "name": "x", "owner_team_id": net, "attributes": { "device_type": "waf" } }),
            )
            .await,
        422,
        "validation_failed",
    );
    app.stop().await;
}

#[tokio::test]
async fn business_services_are_cis() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let r = director.post("/api/v1/business-services", &json!({ "name": "网上银行", "description": "个人网银" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let svc = r.json();
    let ci_id = svc["ci_id"].as_i64().expect("the service has its CI");
    let ci = director.get(&format!("/api/v1/cmdb/cis/{ci_id}")).await.json();
    assert_eq!((ci["name"].as_str(), ci["class_code"].as_str()), (Some("网上银行"), Some("business_service")));
    let r = director
        .put(&format!("/api/v1/business-services/{}", svc["id"]), &json!({ "name": "个人网上银行", "description": "个人网银" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ci = director.get(&format!("/api/v1/cmdb/cis/{ci_id}")).await.json();
    assert_eq!(ci["name"], "个人网上银行");
    assert_problem(&director.delete(&format!("/api/v1/cmdb/cis/{ci_id}?confirm=true")).await, 409, "ci_is_business_service");
    app.stop().await;
}
