//! Stocktakes through the API (issue 11, ADR 0030): a scope's assets on hand become the
//! expected list; typed tags and a label's QR content mark them found, other known tags
//! found elsewhere, unknown ones unexpected, a repeat changes nothing; closing reports the
//! differences (the export is formula-escaped CSV and a real XLSX) and, with asset:approve,
//! retires what is missing and moves what was found elsewhere, each step in the asset's
//! history and the audit log. Who may do what: roleless, business users, auditors read-only.

use serde_json::{Value, json};
use sqlx::Row;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, TestApp, spawn_app};

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&app.core.database().read).await.expect(sql);
    row.try_get(0).expect("an integer")
}

async fn created(r: yunwei_testkit::TestResponse) -> Value {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn asset(c: &Client, tag: &str, name: &str, location: &str) -> Value {
    created(
        c.post("/api/v1/assets", &json!({ "tag": tag, "name": name, "category": "server", "location": location, "register": true })).await,
    )
    .await
}

async fn scan(c: &Client, id: i64, code: &str) -> Value {
    let r = c.post(&format!("/api/v1/stocktakes/{id}/scans"), &json!({ "code": code })).await;
    assert_eq!(r.status, 200, "{code}: {}", r.text());
    r.json()
}

#[tokio::test]
async fn a_stocktake_finds_reports_and_applies_the_differences() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("st.eng", &["system_engineer"]).await;
    let (_, manager) = app.user_with_roles("st.manager", &["ops_manager"]).await;
    let (_, auditor) = app.user_with_roles("st.auditor", &["auditor"]).await;
    let room = "总行机房 3 楼";
    let a1 = asset(&eng, "ST-1", "核心交换机", room).await;
    let a2 = asset(&eng, "ST-2", "=HYPERLINK(\"http://x\")", room).await;
    asset(&eng, "ST-3", "备用服务器", room).await;
    let elsewhere = asset(&eng, "ST-9", "灾备服务器", "同城灾备中心").await;
    // Not on hand yet: a purchase request is not expected.
    created(eng.post("/api/v1/assets", &json!({ "tag": "ST-REQ", "name": "申请中", "category": "server", "location": room })).await).await;
    let s = created(eng.post("/api/v1/stocktakes", &json!({ "name": "年末盘点", "location": room })).await).await;
    let id = s["id"].as_i64().unwrap();
    assert_eq!(s["counts"], json!({ "expected": 3, "pending": 3, "found": 0, "missing": 0, "found_elsewhere": 0, "unexpected": 0 }));
    // Typed (lower case), a label's QR content, a known tag from elsewhere, an unknown one, a repeat.
    assert_eq!(scan(&eng, id, " st-1 ").await["result"], "found");
    let qr = scan(&eng, id, "https://yunwei.example/assets/tag/ST-2").await;
    assert_eq!((qr["result"].as_str(), qr["tag"].as_str()), (Some("found"), Some("ST-2")));
    assert_eq!(scan(&eng, id, "ST-9").await["result"], "found_elsewhere");
    assert_eq!(scan(&eng, id, "NEW-77").await["result"], "unexpected");
    let again = scan(&eng, id, "ST-1").await;
    assert_eq!((again["repeated"].as_bool(), again["result"].as_str()), (Some(true), Some("found")));
    let r = eng.post(&format!("/api/v1/stocktakes/{id}/scans"), &json!({ "code": "有 空格" })).await;
    assert_eq!(r.json()["errors"][0], json!({ "field": "code", "code": "invalid_asset_tag", "message": r.json()["errors"][0]["message"] }));
    // The auditor reads it all and works none of it.
    assert_eq!(auditor.get(&format!("/api/v1/stocktakes/{id}")).await.json()["counts"]["found"], 2);
    assert_problem(&auditor.post(&format!("/api/v1/stocktakes/{id}/scans"), &json!({ "code": "ST-3" })).await, 403, "forbidden");
    assert_problem(&auditor.post(&format!("/api/v1/stocktakes/{id}/close"), &json!({ "version": 1 })).await, 403, "forbidden");
    assert_problem(&auditor.post("/api/v1/stocktakes", &json!({ "name": "x" })).await, 403, "forbidden");
    // Applying needs asset:approve, which the engineer lacks; nothing was closed by trying.
    assert_problem(&eng.post(&format!("/api/v1/stocktakes/{id}/close"), &json!({ "version": 1, "apply": true })).await, 403, "forbidden");
    assert_problem(&manager.post(&format!("/api/v1/stocktakes/{id}/close"), &json!({ "version": 7 })).await, 409, "stocktake_changed");
    let closed = manager.post(&format!("/api/v1/stocktakes/{id}/close"), &json!({ "version": 1, "apply": true, "note": "年末核销" })).await;
    assert_eq!(closed.status, 200, "{}", closed.text());
    let closed = closed.json();
    assert_eq!(closed["counts"], json!({ "expected": 3, "pending": 0, "found": 2, "missing": 1, "found_elsewhere": 1, "unexpected": 1 }));
    assert_eq!((closed["state"].as_str(), closed["applied"].as_bool()), (Some("closed"), Some(true)));
    assert_problem(&eng.post(&format!("/api/v1/stocktakes/{id}/scans"), &json!({ "code": "ST-3" })).await, 409, "stocktake_closed");
    // The missing asset is retired, the one found elsewhere moved here; both in their histories.
    let st3 = eng.get("/api/v1/assets/by-tag/ST-3").await.json();
    assert_eq!(st3["state"], "retired");
    let moved = eng.get(&format!("/api/v1/assets/{}", elsewhere["id"])).await.json();
    assert_eq!((moved["location"].as_str(), moved["state"].as_str()), (Some(room), Some("in_stock")));
    let steps = eng.get(&format!("/api/v1/assets/{}/history", st3["id"])).await.json();
    let last = steps["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor_name"].as_str()), (Some("stocktake_missing"), Some("st.manager")));
    assert!(last["note"].as_str().unwrap().contains("年末核销"), "{last}");
    assert_eq!(eng.get(&format!("/api/v1/assets/{}", a1["id"])).await.json()["state"], "in_stock", "found in place: untouched");
    let audited = count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE object_type = 'stocktake' AND object_id = '{id}'")).await;
    assert_eq!(audited, 6, "start, four new scans, close");
    let asset_audit = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'asset' AND action IN ('stocktake_missing', 'stocktake_relocated')",
    )
    .await;
    assert_eq!(asset_audit, 2);
    // The report: differences first, formula-escaped in CSV, a real workbook in XLSX; the
    // engineer (no asset:export) may not take it, the auditor may.
    assert_problem(&eng.get(&format!("/api/v1/stocktakes/{id}/export/csv")).await, 403, "forbidden");
    let csv = auditor.get(&format!("/api/v1/stocktakes/{id}/export/csv")).await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("NEW-77") || lines[1].starts_with("ST-3") || lines[1].starts_with("ST-9"), "{text}");
    assert!(text.contains("'=HYPERLINK") && !text.contains(",=HYPERLINK"), "formula escaped: {text}");
    let xlsx = auditor.get(&format!("/api/v1/stocktakes/{id}/export/xlsx")).await;
    assert_eq!((xlsx.status, &xlsx.body[..2]), (200, &b"PK"[..]));
    let rows = yunwei_core::sheet::read_table(&xlsx.body).expect("a workbook");
    assert_eq!(rows.len(), 6, "the heading and five tags");
    assert!(rows.iter().any(|r| r.cells.iter().any(|c| c.contains("HYPERLINK"))), "the name is there, as text");
    let _ = a2;
}

#[tokio::test]
async fn who_may_run_a_stocktake() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("who.st.eng", &["desktop_engineer"]).await;
    let (_, nobody) = app.user_with_roles("who.st.nobody", &[]).await;
    let (_, business) = app.user_with_roles("who.st.business", &["business_user"]).await;
    let s = created(eng.post("/api/v1/stocktakes", &json!({ "name": "网点盘点" })).await).await;
    let path = format!("/api/v1/stocktakes/{}", s["id"]);
    for c in [&nobody, &business] {
        assert_problem(&c.get("/api/v1/stocktakes").await, 403, "forbidden");
        assert_problem(&c.get(&path).await, 403, "forbidden");
        assert_problem(&c.post("/api/v1/stocktakes", &json!({ "name": "x" })).await, 403, "forbidden");
        assert_problem(&c.post(&format!("{path}/scans"), &json!({ "code": "A-1" })).await, 403, "forbidden");
    }
    assert_problem(&app.anonymous().get("/api/v1/stocktakes").await, 401, "unauthenticated");
    // A department-scoped grant counts its own department only, and cannot see another's.
    let sec = app.user_with_roles("who.st.sec", &["security_admin"]).await.1;
    let role = json!({ "key": "stocktake_dept", "name_en": "Department stocktakes", "name_zh": "本部门盘点",
        "permissions": ["asset:read:department", "asset:transition:department"] });
    assert_eq!(sec.post("/api/v1/roles", &role).await.status, 201);
    let mut depts = Vec::new();
    for name in ["信息科技部", "运营管理部"] {
        depts.push(created(app.admin().post("/api/v1/departments", &json!({ "name": name })).await).await["id"].as_i64().unwrap());
    }
    let (far_id, far) = app.user_with_roles("who.st.far", &[]).await;
    assert_eq!(app.admin().patch(&format!("/api/v1/users/{far_id}"), &json!({ "department_id": depts[1] })).await.status, 200);
    yunwei_core::admin::set_user_roles(
        &app.core,
        &yunwei_core::Ctx::system(),
        yunwei_domain::ids::UserId(far_id),
        &["stocktake_dept".into()],
    )
    .await
    .unwrap();
    let director = app.user_with_roles("who.st.director", &["ops_director"]).await.1;
    let ours = created(director.post("/api/v1/stocktakes", &json!({ "name": "科技部盘点", "department_id": depts[0] })).await).await;
    let ours_path = format!("/api/v1/stocktakes/{}", ours["id"]);
    assert_problem(&far.get(&ours_path).await, 403, "forbidden");
    assert_problem(&far.post(&format!("{ours_path}/scans"), &json!({ "code": "A-1" })).await, 403, "forbidden");
    assert_problem(&far.post("/api/v1/stocktakes", &json!({ "name": "越权", "department_id": depts[0] })).await, 403, "forbidden");
    let own = created(far.post("/api/v1/stocktakes", &json!({ "name": "本部门" })).await).await;
    assert_eq!(own["department_id"].as_i64(), Some(depts[1]), "a narrow grant counts its own department");
    let listed = far.get("/api/v1/stocktakes").await.json();
    let names: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["本部门"]);
}
