//! Discovery reconciliation (CMDB-5): a scanner's report creates and updates CIs matched on
//! identifying attributes (host name + domain together), a second identical report changes
//! nothing, precedence per source and attribute decides who writes a field (a person's value
//! is never overwritten) and the rest is drift, stale CIs are flagged by the scheduler's job,
//! and the permission, the source and every item are checked.

use serde_json::{Value, json};
use std::sync::Arc;
use yunwei_core::FixedClock;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, Options, TestApp, spawn_app, spawn_app_with};

async fn source(app: &TestApp, code: &str, precedence: i64, extra: Value) -> i64 {
    let mut body = json!({ "code": code, "name": format!("{code} 扫描"), "name_en": format!("{code} scan"), "precedence": precedence });
    if let (Some(b), Value::Object(x)) = (body.as_object_mut(), extra) {
        b.extend(x);
    }
    let r = app.admin().post("/api/v1/cmdb/discovery-sources", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

async fn report(c: &Client, source: &str, items: Value) -> Value {
    let r = c.post(&format!("/api/v1/cmdb/discovery/{source}"), &json!({ "items": items })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn counts(run: &Value) -> [i64; 4] {
    ["created", "updated", "unchanged", "failed"].map(|k| run[k].as_i64().unwrap())
}

fn server(host: &str, domain: &str, attrs: Value) -> Value {
    let mut a = json!({ "hostname": host, "domain": domain });
    if let (Some(m), Value::Object(x)) = (a.as_object_mut(), attrs) {
        m.extend(x);
    }
    json!({ "class": "server", "attributes": a })
}

async fn ci(c: &Client, id: i64) -> Value {
    c.get(&format!("/api/v1/cmdb/cis/{id}")).await.json()
}

async fn history(c: &Client, id: i64) -> Vec<Value> {
    c.get(&format!("/api/v1/cmdb/cis/{id}/history")).await.json()["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_report_creates_and_a_second_identical_one_changes_nothing() {
    let app = spawn_app().await;
    let scan = source(&app, "netscan", 40, json!({})).await;
    let (_, scanner) = app.user_with_roles("scanner.svc", &["discovery_scanner"]).await;
    let scanner = scanner.header("accept-language", "zh-CN");
    let (_, reader) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let items = json!([
        server("acct-db-01", "bank.local", json!({ "serial_number": "SN-1", "management_ip": "10.0.0.1", "os": "RHEL 8" })),
        { "class": "server", "name": "账务主机 02", "identifying": { "serial_number": "SN-2" }, "attributes": { "hostname": "acct-db-02" } },
        { "class": 5, "attributes": {} },
        { "class": "server", "colour": "red" },
        { "class": "no_such_class", "attributes": { "hostname": "x" } },
        { "class": "server", "attributes": { "os": "RHEL 8" } },
        server("acct-db-03", "bank.local", json!({ "management_ip": "10.0.0.300" })),
    ]);
    let run = report(&scanner, "netscan", items.clone()).await;
    assert_eq!(counts(&run), [2, 0, 0, 5], "{run}");
    let errors: Vec<(i64, String, String)> = run["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "error")
        .map(|i| {
            (
                i["index"].as_i64().unwrap(),
                i["errors"][0]["field"].as_str().unwrap().into(),
                i["errors"][0]["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, "item".into(), "malformed_item".into()),
            (3, "item".into(), "malformed_item".into()),
            (4, "class".into(), "not_found".into()),
            (5, "identifying".into(), "required".into()),
            (6, "attributes.management_ip".into(), "invalid_ip".into()),
        ]
    );
    assert_eq!(run["items"][6]["errors"][0]["message"], "请填写 IPv4 或 IPv6 地址。", "errors in the caller's language");
    let first = run["items"][0]["ci_id"].as_i64().unwrap();
    let second = run["items"][1]["ci_id"].as_i64().unwrap();
    let db01 = ci(&reader, first).await;
    assert_eq!((db01["name"].as_str(), db01["attributes"]["os"].as_str()), (Some("acct-db-01"), Some("RHEL 8")), "{db01}");
    assert_eq!(ci(&reader, second).await["name"], "账务主机 02");
    let h = history(&reader, first).await;
    assert_eq!(h.len(), 1);
    assert_eq!((h[0]["source"].as_str(), h[0]["source_ref"].as_str()), (Some("reconciliation"), Some(scan.to_string().as_str())));

    // The same report again: matched, nothing written, no second history entry.
    let again = report(&scanner, "netscan", items.clone()).await;
    assert_eq!(counts(&again), [0, 0, 2, 5], "{again}");
    assert_eq!(again["items"][0]["ci_id"].as_i64(), Some(first));
    assert_eq!(history(&reader, first).await.len(), 1);
    assert_eq!(ci(&reader, first).await["version"], 1);

    // A retry with the same Idempotency-Key is answered from the first answer.
    let keyed = scanner.clone().header("idempotency-key", "scan-2026-12-07-1");
    let body = json!({ "items": [server("acct-db-04", "bank.local", json!({}))] });
    let one = keyed.post("/api/v1/cmdb/discovery/netscan", &body).await;
    let two = keyed.post("/api/v1/cmdb/discovery/netscan", &body).await;
    assert_eq!((one.status, two.status), (200, 200), "{}", two.text());
    assert_eq!(two.header("idempotent-replayed"), Some("true"));
    assert_eq!(one.json(), two.json());
    let cis = reader.get("/api/v1/cmdb/cis?class=server&attr.hostname=acct-db-04").await.json();
    assert_eq!(cis["items"].as_array().unwrap().len(), 1, "one CI for two deliveries: {cis}");
    app.stop().await;
}

#[tokio::test]
async fn precedence_decides_who_writes_and_the_rest_is_drift() {
    let app = spawn_app().await;
    let net = source(&app, "netscan", 40, json!({})).await;
    let agent = source(&app, "agent", 80, json!({})).await;
    let (_, scanner) = app.user_with_roles("scanner.svc", &["discovery_scanner"]).await;
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let run = report(&scanner, "netscan", json!([server("pay-01", "bank.local", json!({ "os": "Linux", "cpu_cores": 8 }))])).await;
    let id = run["items"][0]["ci_id"].as_i64().unwrap();

    // The agent ranks higher: it overwrites what the network scan wrote.
    let run = report(&scanner, "agent", json!([server("pay-01", "bank.local", json!({ "os": "RHEL 8.8", "cpu_cores": 8 }))])).await;
    assert_eq!(counts(&run), [0, 1, 0, 0], "{run}");
    assert_eq!(ci(&director, id).await["attributes"]["os"], "RHEL 8.8");
    // The network scan ranks lower: refused, recorded as drift held by the agent.
    let run = report(&scanner, "netscan", json!([server("pay-01", "bank.local", json!({ "os": "Linux" }))])).await;
    assert_eq!(counts(&run), [0, 0, 1, 0], "{run}");
    assert_eq!(run["items"][0]["drift"], json!(["attributes.os"]));
    assert_eq!(ci(&director, id).await["attributes"]["os"], "RHEL 8.8", "a lower source does not overwrite a higher one");
    let found = director.get("/api/v1/cmdb/discovery-findings").await.json();
    let drift = &found["drift"][0];
    assert_eq!(
        (drift["ci_id"].as_i64(), drift["source_id"].as_i64(), drift["holder_source_id"].as_i64()),
        (Some(id), Some(net), Some(agent))
    );
    assert_eq!(
        (drift["reported"].as_str(), drift["kept"].as_str(), drift["holder_name"].as_str()),
        (Some("Linux"), Some("RHEL 8.8"), Some("agent 扫描"))
    );

    // A person's value is kept against every source, and the difference is drift too.
    let patched = director.patch(&format!("/api/v1/cmdb/cis/{id}"), &json!({ "version": 2, "attributes": { "cpu_cores": 16 } })).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let run = report(&scanner, "agent", json!([server("pay-01", "bank.local", json!({ "os": "RHEL 8.8", "cpu_cores": 8 }))])).await;
    assert_eq!(run["items"][0]["drift"], json!(["attributes.cpu_cores"]));
    assert_eq!(ci(&director, id).await["attributes"]["cpu_cores"], 16);
    let mine = director.get(&format!("/api/v1/cmdb/cis/{id}/discovery")).await.json();
    let cpu = mine["drift"].as_array().unwrap().iter().find(|d| d["field"] == "attributes.cpu_cores").cloned().unwrap();
    assert_eq!((cpu["source_id"].as_i64(), cpu["holder_source_id"].clone()), (Some(agent), Value::Null), "held by a person");
    assert_eq!(mine["sightings"].as_array().unwrap().len(), 2, "both sources' sightings: {mine}");

    // Precedence per attribute: the network scan wins the operating system once it ranks higher there.
    let r = app.admin().patch("/api/v1/cmdb/discovery-sources/netscan", &json!({ "attribute_precedence": { "os": 90 } })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let run = report(&scanner, "netscan", json!([server("pay-01", "bank.local", json!({ "os": "Linux" }))])).await;
    assert_eq!(counts(&run), [0, 1, 0, 0], "{run}");
    assert_eq!(ci(&director, id).await["attributes"]["os"], "Linux");
    let found = director.get("/api/v1/cmdb/discovery-findings?source=netscan").await.json();
    assert!(found["drift"].as_array().unwrap().is_empty(), "the network scan's drift is gone once its value is kept: {found}");
    app.stop().await;
}

#[tokio::test]
async fn host_name_and_domain_identify_a_server_together() {
    let app = spawn_app().await;
    source(&app, "netscan", 40, json!({})).await;
    let (_, scanner) = app.user_with_roles("scanner.svc", &["discovery_scanner"]).await;
    let run =
        report(&scanner, "netscan", json!([server("web-01", "a.bank.local", json!({})), server("web-01", "b.bank.local", json!({}))]))
            .await;
    assert_eq!(counts(&run), [2, 0, 0, 0], "the same host name in two domains is two servers: {run}");
    let run = report(&scanner, "netscan", json!([{ "class": "server", "attributes": { "hostname": "web-01" } }])).await;
    assert_eq!(run["items"][0]["errors"][0]["code"], "ambiguous_match", "{run}");
    // The import matches the same way.
    let csv = "名称,主机名,域名,操作系统\r\nweb-01,web-01,b.bank.local,AIX\r\n";
    let r = app.admin().send("POST", "/api/v1/cmdb/imports?class=server", Some("text/csv"), csv.as_bytes().to_vec()).await;
    assert_eq!(r.status, 403, "the system administrator does not edit CIs");
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let r = director.send("POST", "/api/v1/cmdb/imports?class=server", Some("text/csv"), csv.as_bytes().to_vec()).await;
    assert_eq!((r.json()["updated"].as_i64(), r.json()["created"].as_i64()), (Some(1), Some(0)), "{}", r.text());
    app.stop().await;
}

#[tokio::test]
async fn only_a_scanner_reports_and_only_to_a_source_that_exists() {
    let app = spawn_app().await;
    source(&app, "netscan", 40, json!({})).await;
    let (_, scanner) = app.user_with_roles("scanner.svc", &["discovery_scanner"]).await;
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let (_, nobody) = app.user_with_roles("no.roles", &[]).await;
    let body = json!({ "items": [server("x-01", "bank.local", json!({}))] });
    assert_problem(&scanner.post("/api/v1/cmdb/discovery/nosuch", &body).await, 404, "not_found");
    assert_problem(&director.post("/api/v1/cmdb/discovery/netscan", &body).await, 403, "forbidden");
    assert_problem(&nobody.post("/api/v1/cmdb/discovery/netscan", &body).await, 403, "forbidden");
    assert_problem(&app.anonymous().post("/api/v1/cmdb/discovery/netscan", &body).await, 401, "unauthenticated");
    // A scanner reports; it does not define sources.
    let new = json!({ "code": "rogue", "name": "冒充", "precedence": 1000 });
    assert_problem(&scanner.post("/api/v1/cmdb/discovery-sources", &new).await, 403, "forbidden");
    assert_problem(
        &app.admin().post("/api/v1/cmdb/discovery-sources", &json!({ "code": "netscan", "name": "重复" })).await,
        409,
        "discovery_source_code_taken",
    );
    let bad = app
        .admin()
        .post("/api/v1/cmdb/discovery-sources", &json!({ "code": "Bad Code", "name": "x", "precedence": 5000, "stale_after_hours": 0 }))
        .await;
    assert_problem(&bad, 422, "validation_failed");
    let fields: Vec<String> = bad.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["code", "precedence", "stale_after_hours"]);
    // A report that is not a list of items is refused whole.
    assert_eq!(scanner.post("/api/v1/cmdb/discovery/netscan", &json!({ "cis": [] })).await.status, 422);
    app.stop().await;
}

#[tokio::test]
async fn the_scheduler_flags_what_a_source_stopped_reporting() {
    let clock = Arc::new(FixedClock::new(1_796_000_000_000));
    let dyn_clock: Arc<dyn yunwei_core::Clock> = clock.clone();
    let app = spawn_app_with(Options { clock: Some(dyn_clock), ..Default::default() }).await;
    source(&app, "netscan", 40, json!({ "stale_after_hours": 2 })).await;
    let (_, scanner) = app.user_with_roles("scanner.svc", &["discovery_scanner"]).await;
    let run =
        report(&scanner, "netscan", json!([server("gone-01", "bank.local", json!({})), server("here-01", "bank.local", json!({}))])).await;
    let gone = run["items"][0]["ci_id"].as_i64().unwrap();
    clock.advance_ms(90 * 60_000);
    report(&scanner, "netscan", json!([server("here-01", "bank.local", json!({}))])).await;
    clock.advance_ms(60 * 60_000);
    for _ in 0..3 {
        yunwei_core::scheduler::run_due(&app.core).await.expect("scheduler round");
    }
    let found = app.admin().get("/api/v1/cmdb/discovery-findings").await;
    assert_eq!(found.status, 403, "the system administrator does not read CIs");
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let found = director.get("/api/v1/cmdb/discovery-findings").await.json();
    let stale: Vec<i64> = found["sightings"].as_array().unwrap().iter().map(|s| s["ci_id"].as_i64().unwrap()).collect();
    assert_eq!(stale, [gone], "{found}");
    // Reported again, it is current again.
    report(&scanner, "netscan", json!([server("gone-01", "bank.local", json!({}))])).await;
    let found = director.get("/api/v1/cmdb/discovery-findings").await.json();
    assert!(found["sightings"].as_array().unwrap().is_empty(), "{found}");
    app.stop().await;
}

#[tokio::test]
async fn the_discovery_page_and_the_ci_page_show_drift_in_the_readers_words() {
    let app = spawn_app().await;
    source(&app, "netscan", 40, json!({})).await;
    let (_, scanner) = app.user_with_roles("scanner.svc", &["discovery_scanner"]).await;
    let run = report(&scanner, "netscan", json!([server("page-01", "bank.local", json!({ "os": "Linux" }))])).await;
    let id = run["items"][0]["ci_id"].as_i64().unwrap();
    let (_, director) = app.user_with_roles("cmdb.director", &["ops_director"]).await;
    let v = ci(&director, id).await["version"].as_i64().unwrap();
    let r = director
        .patch(&format!("/api/v1/cmdb/cis/{id}"), &json!({ "version": v, "status": "maintenance", "attributes": { "os": "AIX" } }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    report(&scanner, "netscan", json!([server("page-01", "bank.local", json!({ "os": "Linux" }))])).await;
    let page = app.session("cmdb.director", yunwei_testkit::ADMIN_PASSWORD).await;
    assert_eq!(page.patch("/api/v1/me", &json!({ "locale": "zh-CN" })).await.status, 200);
    let html = page.get(&format!("/cmdb/cis/{id}")).await.text();
    assert!(html.contains("自动发现") && html.contains("偏差") || html.contains("保留值"), "the CI page shows discovery");
    assert!(html.contains("操作系统") && html.contains("人工"), "drift names the attribute and who holds it");
    assert!(html.contains("运行中 → 维护中"), "history shows status names, not codes");
    assert!(html.contains("自动发现对账（netscan 扫描）"), "history names the source");
    let list = page.get("/cmdb/discovery").await.text();
    assert!(list.contains("page-01") && list.contains("netscan 扫描"), "the drift list");
    app.stop().await;
}

#[tokio::test]
async fn reports_and_imports_have_their_own_size_limit() {
    let web = yunwei_web::WebConfig { bulk_body_limit: 2 * 1024 * 1024, ..Default::default() };
    let app = spawn_app_with(Options { web: Some(web), ..Default::default() }).await;
    source(&app, "netscan", 40, json!({})).await;
    let (_, scanner) = app.user_with_roles("scanner.svc", &["discovery_scanner"]).await;
    let item = |n: usize| json!({ "class": "no_such_class", "description": format!("{n}{}", "x".repeat(4000)) });
    // About 1.2 MiB: above the ordinary 1 MiB limit, within the bulk one.
    let big = json!({ "items": (0..300).map(item).collect::<Vec<_>>() });
    let run = scanner.post("/api/v1/cmdb/discovery/netscan", &big).await;
    assert_eq!(run.status, 200, "{}", run.text().chars().take(300).collect::<String>());
    assert_eq!(run.json()["failed"], 300);
    // The same size elsewhere is refused; above the bulk limit too.
    assert_problem(&app.admin().post("/api/v1/cmdb/discovery-sources", &big).await, 413, "body_too_large");
    let huge = json!({ "items": (0..600).map(item).collect::<Vec<_>>() });
    assert_problem(&scanner.post("/api/v1/cmdb/discovery/netscan", &huge).await, 413, "body_too_large");
    app.stop().await;
}
