//! Software licences and expiry reminders through the API (issue 11, ADR 0030): compliance
//! (used against owned, over-use flagged, a site licence never over-used), assignments to
//! CIs and users, per-field errors, the audit log; reminders of licence and warranty expiry
//! sent once through the outbox to the responsible person in their language; QR labels; and
//! who may do what (roleless, business users, auditors read-only, another department).

use serde_json::{Value, json};
use sqlx::Row;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{TestApp, spawn_app};

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&app.core.database().read).await.expect(sql);
    row.try_get(0).expect("an integer")
}

async fn created(r: yunwei_testkit::TestResponse) -> Value {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

fn fields(r: &Value) -> Vec<(String, String)> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect()
}

/// Today in the server's zone, moved by `days`, as `YYYY-MM-DD`.
fn day(days: i64) -> String {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
    today.checked_add(jiff::Span::new().days(days)).unwrap().to_string()
}

async fn person(app: &TestApp, name: &str) -> i64 {
    app.user_with_roles(name, &[]).await.0
}

#[tokio::test]
async fn licences_count_use_against_owned_and_flag_over_use() {
    let app = spawn_app().await;
    let (eng_id, eng) = app.user_with_roles("lic.eng", &["system_engineer"]).await;
    let l = created(
        eng.post(
            "/api/v1/licences",
            &json!({ "product": "WPS 专业版", "vendor": "金山", "kind": "per_seat", "quantity": 2, "cost": "3,600.00",
                     "contract_number": "HT-2026-300", "start_date": "2026-01-01", "end_date": "2026-12-31", "responsible_id": eng_id }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (l["cost_fen"].as_i64(), l["remind_days"].as_i64(), l["responsible_name"].as_str()),
        (Some(360_000), Some(30), Some("lic.eng"))
    );
    assert_eq!(l["compliance"], json!({ "used": 0, "owned": 2, "over_by": 0, "over_used": false }));
    let id = l["id"].as_i64().unwrap();
    let path = format!("/api/v1/licences/{id}/assignments");
    let users = [person(&app, "lic.u1").await, person(&app, "lic.u2").await, person(&app, "lic.u3").await];
    for (n, u) in users.iter().enumerate() {
        let r = eng.post(&path, &json!({ "user_id": u, "note": "柜面终端" })).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["compliance"]["used"], json!(n + 1));
    }
    let over = eng.get(&format!("/api/v1/licences/{id}")).await.json();
    assert_eq!(over["compliance"], json!({ "used": 3, "owned": 2, "over_by": 1, "over_used": true }), "over-use is recorded and flagged");
    let listed = eng.get("/api/v1/licences?over_used=true").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_problem(&eng.post(&path, &json!({ "user_id": users[0] })).await, 409, "licence_already_assigned");
    let r = eng.post(&path, &json!({ "user_id": users[0], "ci_id": 1 })).await;
    let want = [("user_id", "one_of_ci_or_user"), ("ci_id", "not_found")].map(|(f, c)| (f.to_string(), c.to_string()));
    assert_eq!(fields(&r.json()), want);
    let r = eng.post(&path, &json!({})).await;
    assert_eq!(fields(&r.json()), [("ci_id".to_string(), "required".to_string())]);
    let r = eng.post(&path, &json!({ "ci_id": 999_999 })).await;
    assert_eq!(fields(&r.json()), [("ci_id".to_string(), "not_found".to_string())]);
    let assigned = eng.get(&path).await.json();
    assert_eq!(assigned["items"][0]["user_name"], "lic.u1");
    let first = assigned["items"][0]["id"].as_i64().unwrap();
    let r = eng.delete(&format!("{path}/{first}")).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(eng.get(&format!("/api/v1/licences/{id}")).await.json()["compliance"]["over_used"], false);
    // A core licence counts the cores each CI takes; a site licence is never over-used.
    let site = created(eng.post("/api/v1/licences", &json!({ "product": "杀毒软件", "kind": "site" })).await).await;
    let r = eng.post(&format!("/api/v1/licences/{}/assignments", site["id"]), &json!({ "user_id": users[0] })).await;
    assert_eq!(r.json()["compliance"], json!({ "used": 1, "owned": null, "over_by": 0, "over_used": false }));
    // Bad input by field; a subscription needs an end.
    let r = eng
        .post("/api/v1/licences", &json!({ "product": "", "kind": "subscription", "quantity": -1, "cost": "1.234", "start_date": "2026-05-01", "remind_days": 900 }))
        .await;
    let mut got = fields(&r.json());
    got.sort();
    let want = [
        ("cost", "invalid_amount"),
        ("end_date", "required"),
        ("product", "required"),
        ("quantity", "out_of_range"),
        ("remind_days", "out_of_range"),
    ];
    assert_eq!(got, want.map(|(f, c)| (f.to_string(), c.to_string())), "{}", r.text());
    // Editing checks the version.
    let r = eng.put(&format!("/api/v1/licences/{id}"), &json!({ "version": 9, "product": "WPS", "kind": "per_seat" })).await;
    assert_problem(&r, 409, "licence_changed");
    let r = eng
        .put(&format!("/api/v1/licences/{id}"), &json!({ "version": 1, "product": "WPS 专业版", "kind": "per_seat", "quantity": 5 }))
        .await;
    assert_eq!((r.status, r.json()["version"].as_i64()), (200, Some(2)), "{}", r.text());
    let audited = count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE object_type = 'licence' AND object_id = '{id}'")).await;
    assert_eq!(audited, 6, "create, three assignments, one ended, one edit");
    let events = count(&app, &format!("SELECT COUNT(*) FROM outbox WHERE event_type = 'licence.assigned' AND object_id = '{id}'")).await;
    assert_eq!(events, 3);
}

#[tokio::test]
async fn expiry_reminders_go_once_to_the_responsible_person_in_their_language() {
    let app = spawn_app().await;
    let (eng_id, eng) = app.user_with_roles("rem.eng", &["system_engineer"]).await;
    let (_, manager) = app.user_with_roles("rem.manager", &["ops_manager"]).await;
    let (_, director) = app.user_with_roles("rem.director", &["ops_director"]).await;
    assert_eq!(eng.patch("/api/v1/me", &json!({ "locale": "zh-CN" })).await.status, 200);
    let soon = created(
        eng.post("/api/v1/licences", &json!({ "product": "Oracle 数据库", "vendor": "Oracle", "kind": "per_core", "quantity": 64, "end_date": day(10), "responsible_id": eng_id })).await,
    )
    .await;
    // Too far ahead for its reminder; and one nobody is responsible for (the managers hear of it).
    created(eng.post("/api/v1/licences", &json!({ "product": "远期", "kind": "per_seat", "end_date": day(90) })).await).await;
    let orphan = created(
        director.post("/api/v1/licences", &json!({ "product": "无人负责", "kind": "site", "end_date": day(3), "remind_days": 7 })).await,
    )
    .await;
    created(
        eng.post("/api/v1/assets", &json!({ "tag": "WAR-1", "name": "存储阵列", "category": "storage", "register": true, "warranty_end": day(5), "responsible_id": eng_id })).await,
    )
    .await;
    created(
        eng.post(
            "/api/v1/assets",
            &json!({ "tag": "WAR-2", "name": "远期维保", "category": "storage", "register": true, "warranty_end": day(60) }),
        )
        .await,
    )
    .await;
    let sent = yunwei_core::asset::reminders::send_due(&app.core).await.expect("reminders");
    assert_eq!(sent, 3, "the Oracle licence, the orphan licence and WAR-1");
    assert_eq!(yunwei_core::asset::reminders::send_due(&app.core).await.expect("again"), 0, "never twice for one date");
    let n =
        count(&app, &format!("SELECT COUNT(*) FROM outbox WHERE event_type = 'licence.expiring' AND object_id = '{}'", soon["id"])).await;
    assert_eq!(n, 1);
    app.drain_outbox().await;
    let mine = eng.get("/api/v1/notifications").await.json();
    let titles: Vec<String> =
        mine["items"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap_or_default().to_string()).collect();
    assert!(titles.iter().any(|t| t.contains("软件许可即将到期") && t.contains("Oracle 数据库")), "{titles:?}");
    assert!(titles.iter().any(|t| t.contains("维保即将到期") && t.contains("WAR-1")), "{titles:?}");
    assert!(!titles.iter().any(|t| t.contains("无人负责")), "{titles:?}");
    let theirs = manager.get("/api/v1/notifications").await.json();
    let first = &theirs["items"][0];
    assert!(first["title"].as_str().unwrap_or_default().contains("无人负责"), "the managers hear of the orphan: {theirs}");
    let n =
        count(&app, &format!("SELECT COUNT(*) FROM asset_reminders WHERE kind = 'licence_expiry' AND object_id = {}", orphan["id"])).await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn who_may_see_and_change_licences_and_labels() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("who.lic.eng", &["desktop_engineer"]).await;
    let (_, nobody) = app.user_with_roles("who.lic.nobody", &[]).await;
    let (_, business) = app.user_with_roles("who.lic.business", &["business_user"]).await;
    let (_, auditor) = app.user_with_roles("who.lic.auditor", &["auditor"]).await;
    let l = created(eng.post("/api/v1/licences", &json!({ "product": "Visio", "kind": "per_seat", "quantity": 1 })).await).await;
    let path = format!("/api/v1/licences/{}", l["id"]);
    let a =
        created(eng.post("/api/v1/assets", &json!({ "tag": "LBL-1", "name": "笔记本 <b>", "category": "laptop", "register": true })).await)
            .await;
    for c in [&nobody, &business] {
        assert_problem(&c.get("/api/v1/licences").await, 403, "forbidden");
        assert_problem(&c.get(&path).await, 403, "forbidden");
        assert_problem(&c.post("/api/v1/licences", &json!({ "product": "x", "kind": "site" })).await, 403, "forbidden");
        assert_problem(&c.get("/api/v1/assets/labels").await, 403, "forbidden");
    }
    assert_problem(&app.anonymous().get("/api/v1/licences").await, 401, "unauthenticated");
    // The auditor reads and changes nothing.
    assert_eq!(auditor.get(&path).await.json()["product"], "Visio");
    assert_problem(&auditor.post(&format!("{path}/assignments"), &json!({ "user_id": 1 })).await, 403, "forbidden");
    assert_problem(&auditor.put(&path, &json!({ "version": 1, "product": "y", "kind": "site" })).await, 403, "forbidden");
    assert_problem(&auditor.post("/api/v1/licences", &json!({ "product": "x", "kind": "site" })).await, 403, "forbidden");
    // Another department, with department-scoped asset rights, neither sees nor changes it.
    let sec = app.user_with_roles("who.lic.sec", &["security_admin"]).await.1;
    let role = json!({ "key": "asset_dept", "name_en": "Department assets", "name_zh": "本部门资产",
        "permissions": ["asset:read:department", "asset:create:department", "asset:update:department"] });
    assert_eq!(sec.post("/api/v1/roles", &role).await.status, 201);
    let dept = |name: &'static str| {
        let admin = app.admin();
        async move { created(admin.post("/api/v1/departments", &json!({ "name": name })).await).await["id"].as_i64().unwrap() }
    };
    let (mine, theirs) = (dept("信息科技部").await, dept("运营管理部").await);
    let (far_id, far) = app.user_with_roles("who.lic.far", &[]).await;
    assert_eq!(app.admin().patch(&format!("/api/v1/users/{far_id}"), &json!({ "department_id": theirs })).await.status, 200);
    yunwei_core::admin::set_user_roles(&app.core, &yunwei_core::Ctx::system(), yunwei_domain::ids::UserId(far_id), &["asset_dept".into()])
        .await
        .unwrap();
    let director = app.user_with_roles("who.lic.director", &["ops_director"]).await.1;
    let ours =
        created(director.post("/api/v1/licences", &json!({ "product": "本部门许可", "kind": "site", "department_id": mine })).await).await;
    let ours_path = format!("/api/v1/licences/{}", ours["id"]);
    assert_problem(&far.get(&ours_path).await, 403, "forbidden");
    assert_problem(&far.post(&format!("{ours_path}/assignments"), &json!({ "user_id": far_id })).await, 403, "forbidden");
    assert_problem(
        &far.post("/api/v1/licences", &json!({ "product": "x", "kind": "site", "department_id": mine })).await,
        403,
        "forbidden",
    );
    assert!(far.get("/api/v1/licences").await.json()["items"].as_array().unwrap().iter().all(|l| l["product"] != "本部门许可"));
    // Labels: the QR code holds the asset's address, which opens the asset; text is escaped.
    let labels = eng.get(&format!("/api/v1/assets/labels?ids={}", a["id"])).await.json();
    let label = &labels["items"][0];
    assert_eq!((label["tag"].as_str(), label["name"].as_str()), (Some("LBL-1"), Some("笔记本 <b>")));
    assert!(
        label["url"].as_str().unwrap().ends_with("/assets/tag/LBL-1") && label["svg"].as_str().unwrap().starts_with("<?xml"),
        "{label}"
    );
    assert_eq!(far.get(&format!("/api/v1/assets/labels?ids={}", a["id"])).await.json()["items"], json!([]), "not theirs to label");
    let page = eng.get("/assets/labels?q=LBL").await;
    let html = page.text();
    assert!(html.contains("label-sheet") && html.contains("笔记本 &lt;b&gt;") && !html.contains("笔记本 <b>"), "{html}");
    let opened = eng.get("/assets/tag/LBL-1").await;
    assert_eq!((opened.status, opened.header("location")), (303, Some(format!("/assets/{}", a["id"]).as_str())));
}

/// The CI list exports as XLSX beside CSV: a real workbook, names in the reader's language,
/// a formula-like name kept as text.
#[tokio::test]
async fn the_ci_list_exports_as_xlsx() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("xlsx.director", &["ops_director"]).await;
    let classes = director.get("/api/v1/cmdb/classes").await.json();
    let rack = classes["items"].as_array().unwrap().iter().find(|k| k["code"] == "rack").unwrap()["id"].clone();
    let r = director.post("/api/v1/cmdb/cis", &json!({ "class_id": rack, "name": "=1+2 机柜" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let x = director.get("/cmdb/export.xlsx").await;
    assert_eq!((x.status, x.header("content-type")), (200, Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")));
    let rows = yunwei_core::sheet::read_table(&x.body).expect("a workbook");
    assert_eq!(rows[0].cells[0], "名称", "the heading in the reader's language");
    assert!(rows.iter().any(|r| r.cells[0] == "=1+2 机柜"), "the name is text, not a formula");
    let csv = director.get("/cmdb/export.csv").await.text();
    assert!(csv.contains("'=1+2 机柜"), "CSV escapes it: {csv}");
}
