//! Working a queue as a whole: CSV and XLSX export, bulk assign and transition,
//! saved views — through the API and the queue page.

use serde_json::{Value, json};
use yunwei_testkit::bad_input::{assert_problem, check_json_endpoint};
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, spawn_app};

async fn report(c: &Client, title: &str) -> Value {
    let r =
        c.post("/api/v1/incidents", &json!({ "title": title, "description": "现象描述", "impact": "medium", "urgency": "medium" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn team(app: &TestApp, name: &str, members: &[i64]) -> i64 {
    app.admin().post("/api/v1/teams", &json!({ "name": name, "members": members })).await.json()["id"].as_i64().unwrap()
}

/// The text of one part of a workbook (a zip archive).
fn zip_entry(book: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).expect("a zip archive");
    let mut text = String::new();
    zip.by_name(name).unwrap_or_else(|e| panic!("no entry {name}: {e}")).read_to_string(&mut text).unwrap();
    text
}

#[tokio::test]
async fn export_csv_and_xlsx_with_scope_escaping_and_audit() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("zhao.zongjian", &["ops_director"]).await;
    let (eng_id, engineer) = app.user_with_roles("wang.wu", &["network_engineer"]).await;
    let (_, auditor) = app.user_with_roles("lin.shenji", &["auditor"]).await;
    let (_, audit_admin) = app.user_with_roles("sun.shenji", &["audit_admin"]).await;
    let net = team(&app, "网络组", &[eng_id]).await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"点我\")";
    let a = report(&director, formula).await;
    report(&director, "核心交换机网络丢包").await;
    director.post(&format!("/api/v1/incidents/{}/assignment", a["number"].as_str().unwrap()), &json!({ "team_id": net })).await;

    assert_problem(&engineer.get("/api/v1/incidents/export/csv").await, 403, "forbidden");
    assert_eq!(director.get("/api/v1/incidents/export/pdf").await.status, 404);
    assert_problem(&director.get("/api/v1/incidents/export/csv?state=flying").await, 422, "validation_failed");

    let csv = director.get("/api/v1/incidents/export/csv?queue=all&sort=created").await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.header("content-disposition").unwrap_or_default().contains(".csv"));
    assert_eq!(csv.header("x-row-count"), Some("2"));
    let text = csv.text();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("编号,标题,状态,优先级"), "{}", lines[0]);
    assert!(lines.iter().any(|l| l.contains("\"'=HYPERLINK(")), "the formula is defused: {text}");
    assert!(lines.iter().any(|l| l.contains("网络组") && l.contains("P3")), "names, not ids: {text}");

    // Filters apply: the network team's queue holds one incident.
    let xlsx = director.get(&format!("/api/v1/incidents/export/xlsx?team_id={net}")).await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(xlsx.header("content-type"), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    assert_eq!(xlsx.header("x-row-count"), Some("1"));
    // Read back as a spreadsheet program would (calamine): the formula is a text cell.
    let rows = yunwei_core::sheet::read_table(&xlsx.body).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].cells[..4], ["编号", "标题", "状态", "优先级"]);
    assert_eq!(rows[1].cells[1], formula, "kept as text, not run");
    assert!(rows.iter().all(|r| !r.cells.iter().any(|c| c.contains("核心交换机"))), "filtered out");
    let sheet = zip_entry(&xlsx.body, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "no formula cells: {sheet}");
    assert!(sheet.contains("<pane ySplit=\"1\"") && sheet.contains("<autoFilter ref=\"A1:O2\""), "frozen header, filters: {sheet}");
    assert!(zip_entry(&xlsx.body, "xl/styles.xml").contains("quotePrefix=\"1\""));

    // Auditors may export; every export is in the audit log with its filters and size.
    assert_eq!(auditor.get("/api/v1/incidents/export/csv").await.status, 200);
    let log = audit_admin.get("/api/v1/audit-events?object_type=incident&action=export").await.json();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{log}");
    assert!(items.iter().any(|e| e["after"].to_string().contains("\\\"rows\\\":1") || e["after"]["rows"] == 1), "{log}");
    app.stop().await;
}

#[tokio::test]
async fn bulk_assign_and_transition_report_each_incident() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("zhao.zongjian", &["ops_director"]).await;
    let (eng_id, _) = app.user_with_roles("wang.wu", &["network_engineer"]).await;
    let net = team(&app, "网络组", &[eng_id]).await;
    let ids: Vec<i64> = [report(&director, "丢包一").await, report(&director, "丢包二").await, report(&director, "丢包三").await]
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();

    let assigned =
        director.post("/api/v1/incidents/bulk", &json!({ "incidents": ids, "action": "assign", "team_id": net, "note": "统一排查" })).await;
    assert_eq!(assigned.status, 200, "{}", assigned.text());
    assert_eq!(assigned.json()["succeeded"], 3);
    let one = director.get(&format!("/api/v1/incidents/{}", ids[0])).await.json();
    assert_eq!(one["team_id"], net);
    assert!(one["timeline"].as_array().unwrap().iter().any(|a| a["body"] == "统一排查"), "each incident keeps the note: {one}");

    // Start one by hand, then start all: that one is refused with a translated reason, the others move.
    director.post(&format!("/api/v1/incidents/{}/transitions/start", ids[1]), &json!({})).await;
    let started =
        director.post("/api/v1/incidents/bulk", &json!({ "incidents": ids, "action": "transition", "transition": "start" })).await.json();
    assert_eq!((started["succeeded"].as_u64(), started["failed"].as_u64()), (Some(2), Some(1)), "{started}");
    let refused = started["results"].as_array().unwrap().iter().find(|r| r["ok"] == false).unwrap().clone();
    assert_eq!(refused["id"], ids[1]);
    assert_eq!(refused["code"], "illegal_transition");
    assert!(refused["message"].as_str().unwrap().contains("处理中"), "{refused}");

    assert_problem(
        &director.post("/api/v1/incidents/bulk", &json!({ "incidents": [], "action": "assign", "team_id": net })).await,
        422,
        "validation_failed",
    );
    assert_problem(
        &director.post("/api/v1/incidents/bulk", &json!({ "incidents": ids, "action": "transition" })).await,
        422,
        "validation_failed",
    );
    let too_many: Vec<i64> = (1..=201).collect();
    assert_problem(
        &director.post("/api/v1/incidents/bulk", &json!({ "incidents": too_many, "action": "assign", "team_id": net })).await,
        422,
        "validation_failed",
    );
    // Whoever may assign no incident at all is refused as a whole, before any item is tried…
    let (_, biz) = app.user_with_roles("he.guiyuan", &["business_user"]).await;
    let whole = biz.post("/api/v1/incidents/bulk", &json!({ "incidents": [ids[0]], "action": "assign", "team_id": net })).await;
    assert_problem(&whole, 403, "forbidden");
    // …and record scope still applies per incident: an engineer outside the incident's team is refused one by one.
    let (_, outsider) = app.user_with_roles("wu.waibu", &["network_engineer"]).await;
    let refused =
        outsider.post("/api/v1/incidents/bulk", &json!({ "incidents": [ids[0]], "action": "assign", "team_id": net })).await.json();
    assert_eq!(refused["results"][0]["code"], "forbidden", "{refused}");
    check_json_endpoint(
        &director,
        "POST",
        "/api/v1/incidents/bulk",
        &json!({ "incidents": [ids[2]], "action": "assign", "team_id": net, "note": "x" }),
        &[],
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn saved_views_and_the_queue_page_tools() {
    let app = spawn_app().await;
    let (me, director) = app.user_with_roles("zhao.zongjian", &["ops_director"]).await;
    let (_, other) = app.user_with_roles("qian.er", &["ops_director"]).await;
    let net = team(&app, "网络组", &[me]).await;
    let view = director
        .post(
            "/api/v1/saved-views",
            &json!({ "object_type": "incident", "name": "网络组待处理", "query": format!("queue=my_teams&state=open&team_id={net}") }),
        )
        .await;
    assert_eq!(view.status, 201, "{}", view.text());
    let id = view.json()["id"].as_i64().unwrap();
    assert_problem(
        &director.post("/api/v1/saved-views", &json!({ "object_type": "incident", "name": "网络组待处理", "query": "" })).await,
        409,
        "saved_view_name_taken",
    );
    let bad =
        director.post("/api/v1/saved-views", &json!({ "object_type": "incident", "name": "坏的", "query": "queue=mine&evil=1" })).await;
    assert_problem(&bad, 422, "validation_failed");
    assert_eq!(bad.json()["errors"][0]["code"], "unknown_parameter");
    assert_problem(
        &director.post("/api/v1/saved-views", &json!({ "object_type": "change", "name": "x", "query": "" })).await,
        422,
        "validation_failed",
    );
    assert_eq!(director.get("/api/v1/saved-views?object_type=incident").await.json()["items"][0]["name"], "网络组待处理");
    assert!(
        other.get("/api/v1/saved-views?object_type=incident").await.json()["items"].as_array().unwrap().is_empty(),
        "views are personal"
    );
    assert_problem(&other.delete(&format!("/api/v1/saved-views/{id}")).await, 404, "not_found");
    check_json_endpoint(
        &director,
        "POST",
        "/api/v1/saved-views",
        &json!({ "object_type": "incident", "name": "探针", "query": "queue=mine" }),
        &["name"],
    )
    .await;

    // The page: saved views, export links and the bulk form with a checkbox per row.
    let inc = report(&director, "<b>页面</b>批量").await;
    let c = app.session("zhao.zongjian", ADMIN_PASSWORD).await;
    let page = c.get("/incidents?queue=all").await.text();
    assert!(page.contains("网络组待处理") && page.contains(&format!("team_id={net}")), "saved view listed");
    assert!(page.contains("/api/v1/incidents/export/xlsx?queue=all"), "export keeps the filters");
    let checkbox = format!("form=\"form-bulk\" name=\"ids\" value=\"{}\"", inc["id"]);
    assert!(page.contains(&checkbox), "a checkbox per row");
    let marker = "name=\"csrf_token\" value=\"";
    let csrf = page[page.find(marker).unwrap() + marker.len()..].split('"').next().unwrap().to_string();
    let id_text = inc["id"].to_string();
    let done = c
        .post_form(
            "/incidents/bulk",
            &[
                ("csrf_token", &csrf),
                ("ids", &id_text),
                ("action", "assign"),
                ("team_id", &net.to_string()),
                ("back", "/incidents?queue=all"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.text().contains("成功 1 条"), "{}", done.text());
    assert_eq!(director.get(&format!("/api/v1/incidents/{}", inc["id"])).await.json()["team_id"], net);
    let before = director.get("/api/v1/saved-views?object_type=incident").await.json()["items"].as_array().unwrap().len();
    let saved = c.post_form("/incidents/views", &[("csrf_token", &csrf), ("name", "全部"), ("query", "queue=all")]).await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert_eq!(director.get("/api/v1/saved-views?object_type=incident").await.json()["items"].as_array().unwrap().len(), before + 1);
    assert_eq!(c.post_form(&format!("/incidents/views/{id}/delete"), &[("csrf_token", &csrf)]).await.status, 303);
    assert_eq!(director.delete(&format!("/api/v1/saved-views/{id}")).await.status, 404, "already gone");
    app.stop().await;
}
