//! Incidents linked to configuration items: `ci_id` through the API and the pages (typed as
//! "name #id" from the datalist), the incident page naming the business services the CI's
//! failure affects, the queue filtered by CI and by affected service, and who may link what.

use serde_json::{Value, json};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::cmdb::{ci, class_id, relate};
use yunwei_testkit::hidden;
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, TestResponse, spawn_app};

async fn report(c: &Client, title: &str, ci_id: Option<i64>) -> TestResponse {
    c.post(
        "/api/v1/incidents",
        &json!({ "title": title, "description": "网银登录缓慢", "impact": "high", "urgency": "medium", "ci_id": ci_id }),
    )
    .await
}

fn numbers(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_string()).collect()
}

/// (business service id, its CI, VM a, an unrelated CI): 网上银行 → app → pool ← VM a, VM b.
async fn shop(app: &TestApp, director: &Client) -> (i64, i64, i64, i64) {
    let admin = app.admin();
    let r = director.post("/api/v1/business-services", &json!({ "name": "网上银行", "description": "个人网银" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let (service, service_ci) = (r.json()["id"].as_i64().unwrap(), r.json()["ci_id"].as_i64().unwrap());
    let application = ci(director, json!({ "class_id": class_id(&admin, "application").await, "name": "网银前台" })).await;
    let pool = ci(director, json!({ "class_id": class_id(&admin, "cluster").await, "name": "网银 Web 池" })).await;
    let vm = class_id(&admin, "virtual_machine").await;
    let vm_a = ci(director, json!({ "class_id": vm, "name": "web-vm-a", "attributes": { "hostname": "web-vm-a" } })).await;
    let vm_b = ci(director, json!({ "class_id": vm, "name": "web-vm-b", "attributes": { "hostname": "web-vm-b" } })).await;
    let other = ci(director, json!({ "class_id": vm, "name": "oa-vm", "attributes": { "hostname": "oa-vm" } })).await;
    relate(director, "runs_on", service_ci, application).await;
    relate(director, "runs_on", application, pool).await;
    relate(director, "member_of", vm_a, pool).await;
    relate(director, "member_of", vm_b, pool).await;
    (service, service_ci, vm_a, other)
}

#[tokio::test]
async fn incidents_link_cis_and_the_queue_filters_by_ci_and_affected_service() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("ci.director", &["ops_director"]).await;
    let (service, service_ci, vm_a, other) = shop(&app, &director).await;

    let r = report(&director, "网银 Web 节点宕机", Some(vm_a)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["ci_id"], vm_a);
    let on_vm = r.json()["number"].as_str().unwrap().to_string();
    let r = report(&director, "OA 虚拟机告警", Some(other)).await;
    let on_other = r.json()["number"].as_str().unwrap().to_string();
    let r = report(&director, "打印机卡纸", None).await;
    assert_eq!(r.json()["ci_id"], Value::Null);
    let unlinked = r.json()["number"].as_str().unwrap().to_string();

    let by_ci = director.get(&format!("/api/v1/incidents?ci_id={vm_a}")).await;
    assert_eq!(by_ci.status, 200, "{}", by_ci.text());
    assert_eq!(numbers(&by_ci.json()), std::slice::from_ref(&on_vm));
    let affected = director.get(&format!("/api/v1/incidents?affected_service_id={service}")).await.json();
    assert_eq!(numbers(&affected), std::slice::from_ref(&on_vm), "the VM is needed by the service; the OA VM and the unlinked one are not");
    // An incident on the service's own CI affects it too; the CI filter narrows the service's.
    let r = report(&director, "网银整体不可用", Some(service_ci)).await;
    let on_service = r.json()["number"].as_str().unwrap().to_string();
    let mut both = numbers(&director.get(&format!("/api/v1/incidents?affected_service_id={service}")).await.json());
    both.sort();
    let mut want = vec![on_vm.clone(), on_service.clone()];
    want.sort();
    assert_eq!(both, want);
    let narrowed = director.get(&format!("/api/v1/incidents?affected_service_id={service}&ci_id={other}")).await.json();
    assert!(numbers(&narrowed).is_empty(), "{narrowed}");

    // Unlinking and relinking through PATCH.
    let r = director.patch(&format!("/api/v1/incidents/{unlinked}"), &json!({ "ci_id": other })).await;
    assert_eq!((r.status, r.json()["ci_id"].as_i64()), (200, Some(other)), "{}", r.text());
    let r = director.patch(&format!("/api/v1/incidents/{unlinked}"), &json!({ "ci_id": null })).await;
    assert_eq!((r.status, r.json()["ci_id"].clone()), (200, Value::Null), "{}", r.text());
    let mut on_other_list = numbers(&director.get(&format!("/api/v1/incidents?ci_id={other}")).await.json());
    on_other_list.sort();
    assert_eq!(on_other_list, std::slice::from_ref(&on_other));

    // The incident page names the CI and the services its failure affects, with their state.
    let c = app.session("ci.director", ADMIN_PASSWORD).await;
    let page = c.get(&format!("/incidents/{on_vm}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains(&format!("href=\"/cmdb/cis/{vm_a}\"")) && html.contains("web-vm-a"), "{html}");
    assert!(html.contains("此配置项故障时受影响的业务服务") && html.contains(&format!("href=\"/cmdb/cis/{service_ci}\"")), "{html}");
    assert!(html.contains("网上银行") && html.contains("降级"), "one VM of two: degraded: {html}");
    // The queue page filters by affected service and offers it.
    let queue = c.get(&format!("/incidents?queue=all&affected_service_id={service}")).await.text();
    assert!(queue.contains(&on_vm) && queue.contains(&on_service) && !queue.contains(&on_other), "{queue}");
    assert!(queue.contains("name=\"affected_service_id\""));
    let queue = c.get(&format!("/incidents?queue=all&ci_id={vm_a}")).await.text();
    assert!(queue.contains(&on_vm) && !queue.contains(&on_service) && queue.contains("仅显示与web-vm-a"), "{queue}");
    // The CI page leads to its incidents.
    let ci_page = c.get(&format!("/cmdb/cis/{vm_a}")).await.text();
    assert!(ci_page.contains("此配置项的事件") && ci_page.contains(&format!("ci_id={vm_a}\"")), "{ci_page}");
    app.stop().await;
}

#[tokio::test]
async fn linking_a_ci_needs_read_on_it() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("link.director", &["ops_director"]).await;
    let (_, requester) = app.user_with_roles("link.requester", &["business_user"]).await;
    let (_, nobody) = app.user_with_roles("link.nobody", &[]).await;
    let (_, _, vm_a, _) = shop(&app, &director).await;
    // A requester reports incidents but reads no CI: refused, not silently dropped.
    assert_problem(&report(&requester, "网银打不开", Some(vm_a)).await, 403, "forbidden");
    assert_eq!(report(&requester, "网银打不开", None).await.status, 201);
    assert_problem(&report(&nobody, "x", Some(vm_a)).await, 403, "forbidden");
    // A CI that does not exist, or of a class hidden from the caller, is not found — by field.
    let r = report(&director, "x", Some(999_999)).await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!((r.json()["errors"][0]["field"].as_str(), r.json()["errors"][0]["code"].as_str()), (Some("ci_id"), Some("not_found")));
    let admin = app.admin();
    let server = class_id(&admin, "server").await;
    let secret = ci(&director, json!({ "class_id": server, "name": "机密主机", "attributes": { "hostname": "secret" } })).await;
    let team = admin.post("/api/v1/teams", &json!({ "name": "机房组" })).await.json()["id"].as_i64().unwrap();
    let (_, sys) = app.user_with_roles("link.sys", &["system_admin"]).await;
    assert_eq!(sys.patch(&format!("/api/v1/cmdb/classes/{server}"), &json!({ "restricted_team_id": team })).await.status, 200);
    let r = report(&director, "x", Some(secret)).await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.json()["errors"][0]["field"], "ci_id");
    let number = report(&director, "y", None).await.json()["number"].as_str().unwrap().to_string();
    assert_problem(&director.patch(&format!("/api/v1/incidents/{number}"), &json!({ "ci_id": secret })).await, 422, "validation_failed");
    // The requester's pages offer no CI field (it would answer 403).
    let c = app.session("link.requester", ADMIN_PASSWORD).await;
    let form = c.get("/incidents/new").await.text();
    assert!(!form.contains("name=\"ci_id\"") && form.contains("name=\"ci_ref\""), "{form}");
    app.stop().await;
}

#[tokio::test]
async fn the_report_form_takes_a_ci_from_its_list_and_keeps_a_bad_one() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("form.director", &["ops_director"]).await;
    let (_, _, vm_a, _) = shop(&app, &director).await;
    let c = app.session("form.director", ADMIN_PASSWORD).await;
    let form = c.get("/incidents/new").await.text();
    assert!(form.contains("list=\"l-report-ci_id\"") && form.contains(&format!("<option value=\"web-vm-a #{vm_a}\">")), "{form}");
    let csrf = hidden(&form, "csrf_token");
    let base = [
        ("csrf_token", csrf.as_str()),
        ("title", "网银节点宕机"),
        ("description", "web-vm-a 无响应"),
        ("impact", "high"),
        ("urgency", "high"),
    ];
    let mut bad = base.to_vec();
    bad.push(("ci_id", "不存在的主机"));
    let r = c.post_form("/incidents", &bad).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let text = r.text();
    assert!(text.contains("value=\"不存在的主机\"") && text.contains("e-report-ci_id"), "typed text kept, message beside it: {text}");
    let picked = format!("web-vm-a #{vm_a}");
    let mut good = base.to_vec();
    good.push(("ci_id", &picked));
    let r = c.post_form("/incidents", &good).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let number = r.header("location").unwrap().trim_start_matches("/incidents/").split('?').next().unwrap().to_string();
    let v = director.get(&format!("/api/v1/incidents/{number}")).await.json();
    assert_eq!(v["ci_id"], vm_a);
    // By exact name too, on the record page's in-place form; emptied, the link goes.
    let page = c.get(&format!("/incidents/{number}")).await.text();
    assert!(page.contains(&format!("value=\"web-vm-a #{vm_a}\"")), "the field shows the linked CI: {page}");
    let version = v["version"].as_i64().unwrap().to_string();
    let r = c
        .post_form(&format!("/incidents/{number}/set/ci"), &[("csrf_token", &csrf), ("version", &version), ("ci_id", ""), ("ci_ref", "")])
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(director.get(&format!("/api/v1/incidents/{number}")).await.json()["ci_id"], Value::Null);
    let version = (v["version"].as_i64().unwrap() + 1).to_string();
    let r = c
        .post_form(
            &format!("/incidents/{number}/set/ci"),
            &[("csrf_token", &csrf), ("version", &version), ("ci_id", "web-vm-a"), ("ci_ref", "")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(director.get(&format!("/api/v1/incidents/{number}")).await.json()["ci_id"], vm_a);
    app.stop().await;
}

#[tokio::test]
async fn the_demo_has_a_readable_cmdb_and_incidents_on_its_cis() {
    let app = spawn_app().await;
    yunwei_core::demo::load(&app.core).await.unwrap();
    yunwei_core::demo::load_desk(&app.core).await.unwrap();
    let (_, director) = app.user_with_roles("demo.director", &["ops_director"]).await;
    let pool = director.get("/api/v1/cmdb/cis?q=%E7%BD%91%E9%93%B6%20Web").await.json();
    assert_eq!(pool["items"][0]["name"], "网银 Web 池", "{pool}");
    assert_eq!(pool["items"][0]["name_en"], "E-banking web pool");
    // The slow e-banking login is on one VM of the web pool: e-banking is degraded, not down.
    let list = director.get("/api/v1/incidents?queue=all&limit=200").await.json();
    let slow = list["items"].as_array().unwrap().iter().find(|i| i["title"] == "网银登录缓慢").expect("the sample").clone();
    let vm = slow["ci_id"].as_i64().expect("linked to a CI");
    assert_eq!(director.get(&format!("/api/v1/cmdb/cis/{vm}")).await.json()["name"], "ebank-web-01");
    let impact = director.get(&format!("/api/v1/cmdb/cis/{vm}/impact")).await.json();
    let services: Vec<(&str, &str)> = impact["business_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(services, [("网上银行", "degraded")], "{impact}");
    // The core database takes every service on the ledger down with it.
    let db_incident = list["items"].as_array().unwrap().iter().find(|i| i["title"] == "数据库连接池耗尽").unwrap().clone();
    let db = db_incident["ci_id"].as_i64().unwrap();
    let impact = director.get(&format!("/api/v1/cmdb/cis/{db}/impact")).await.json();
    let down: Vec<&str> = impact["business_services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "down")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for name in ["核心业务系统", "网上银行", "手机银行", "柜面系统", "支付清算系统", "信贷管理系统"] {
        assert!(down.contains(&name), "{name} in {impact}");
    }
    let service = director.get("/api/v1/business-services").await.json();
    let ebank = service["items"].as_array().unwrap().iter().find(|s| s["name"] == "网上银行").unwrap()["id"].as_i64().unwrap();
    let affected = numbers(&director.get(&format!("/api/v1/incidents?affected_service_id={ebank}")).await.json());
    assert!(affected.contains(&slow["number"].as_str().unwrap().to_string()) && affected.len() >= 3, "{affected:?}");
    app.stop().await;
}
