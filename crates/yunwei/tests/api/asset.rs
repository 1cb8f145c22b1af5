//! Asset management through the API: the lifecycle from purchase request to scrap with
//! each step in the history, the audit log and the outbox; the CMDB updated on deployment
//! with the asset as source; approvers by amount and category; nobody approving their own
//! request (an administrator with every grant included); per-field errors in both
//! languages; depreciation; and who may do what.

use serde_json::{Value, json};
use sqlx::Row;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, TestApp, spawn_app};

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&app.core.database().read).await.expect(sql);
    row.try_get(0).expect("an integer")
}

async fn create(c: &Client, body: Value) -> Value {
    let r = c.post("/api/v1/assets", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// Takes a step at the asset's current version; the answer as it came.
async fn step(c: &Client, asset: &Value, action: &str, extra: Value) -> yunwei_testkit::TestResponse {
    let id = asset["id"].as_i64().unwrap();
    let now = c.get(&format!("/api/v1/assets/{id}")).await.json();
    let mut body = json!({ "action": action, "version": now["version"] });
    if let (Some(b), Value::Object(more)) = (body.as_object_mut(), extra) {
        b.extend(more);
    }
    c.post(&format!("/api/v1/assets/{id}/steps"), &body).await
}

async fn ok_step(c: &Client, asset: &Value, action: &str, extra: Value) -> Value {
    let r = step(c, asset, action, extra).await;
    assert_eq!(r.status, 200, "{action}: {}", r.text());
    r.json()
}

fn field_codes(r: &Value) -> Vec<(String, String)> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect()
}

async fn rack_class(c: &Client) -> i64 {
    let r = c.get("/api/v1/cmdb/classes").await;
    r.json()["items"].as_array().unwrap().iter().find(|k| k["code"] == "rack").unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_asset_goes_from_purchase_request_to_scrap_with_every_step_recorded() {
    let app = spawn_app().await;
    let (eng_id, eng) = app.user_with_roles("asset.eng", &["system_engineer"]).await;
    let (_, manager) = app.user_with_roles("asset.manager", &["ops_manager"]).await;
    let (_, director) = app.user_with_roles("asset.director", &["ops_director"]).await;
    let a = create(
        &eng,
        json!({ "tag": "zh-2026-0001", "name": "机房机柜 A-12", "category": "other", "cost": "8,000.50", "salvage": "400",
                "useful_life_months": 60, "purchase_date": "2026-01-10", "warranty_end": "2029-01-09", "responsible_id": eng_id,
                "supplier": "华为", "contract_number": "HT-2026-001", "serial_number": "SN-RACK-1" }),
    )
    .await;
    assert_eq!((a["tag"].as_str(), a["state"].as_str(), a["cost_fen"].as_i64()), (Some("ZH-2026-0001"), Some("requested"), Some(800_050)));
    assert_eq!((a["cost"].as_str(), a["responsible_name"].as_str()), (Some("8,000.50"), Some("asset.eng")));
    assert_eq!(a["actions"], json!([]), "the requester is offered no decision on their own request");
    // Without asset:approve, and with it but not the role the amount needs (below 50,000: ops_manager).
    assert_problem(&step(&eng, &a, "approve", json!({})).await, 403, "forbidden");
    let r = step(&director, &a, "approve", json!({})).await;
    assert_problem(&r, 403, "forbidden");
    assert!(r.text().contains("ops_manager"), "the refusal names the role: {}", r.text());
    assert_problem(&step(&eng, &a, "order", json!({})).await, 409, "asset_illegal_transition");
    let m = manager.get(&format!("/api/v1/assets/{}", a["id"])).await.json();
    assert_eq!(m["actions"], json!(["approve", "reject"]));
    ok_step(&manager, &a, "approve", json!({ "note": "预算内" })).await;
    for action in ["order", "accept", "stock"] {
        ok_step(&eng, &a, action, json!({})).await;
    }
    // Deploying without a CI names the field; with a class it creates the CI, source: asset.
    let r = step(&eng, &a, "deploy", json!({})).await;
    assert_eq!(field_codes(&r.json()), [("ci_id".to_string(), "required".to_string())]);
    let deployed = ok_step(&eng, &a, "deploy", json!({ "ci_class_id": rack_class(&eng).await })).await;
    let ci = deployed["ci_id"].as_i64().expect("a CI was created");
    assert_eq!(deployed["ci_name"], "机房机柜 A-12");
    let ci_view = eng.get(&format!("/api/v1/cmdb/cis/{ci}")).await.json();
    assert_eq!((ci_view["status"].as_str(), ci_view["attributes"]["asset_tag"].as_str()), (Some("production"), Some("ZH-2026-0001")));
    let history = eng.get(&format!("/api/v1/cmdb/cis/{ci}/history")).await.json();
    assert_eq!(history["items"][0]["source"], "asset", "{history}");
    ok_step(&eng, &a, "maintain", json!({})).await;
    assert_eq!(eng.get(&format!("/api/v1/cmdb/cis/{ci}")).await.json()["status"], "maintenance");
    ok_step(&eng, &a, "retire", json!({})).await;
    assert_eq!(eng.get(&format!("/api/v1/cmdb/cis/{ci}")).await.json()["status"], "retired");
    // Scrapping is requested with a reason and approved by someone else.
    let r = step(&eng, &a, "request_scrap", json!({})).await;
    assert_eq!(field_codes(&r.json()), [("note".to_string(), "required".to_string())]);
    ok_step(&manager, &a, "request_scrap", json!({ "note": "主板损坏，维修不经济" })).await;
    assert_problem(&step(&manager, &a, "approve", json!({})).await, 403, "own_request");
    let done = ok_step(&director, &a, "approve", json!({})).await;
    assert_eq!((done["state"].as_str(), done["actions"].clone()), (Some("scrapped"), json!([])));
    let steps = eng.get(&format!("/api/v1/assets/{}/history", a["id"])).await.json();
    let actions: Vec<&str> = steps["items"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["request", "approve", "order", "accept", "stock", "deploy", "maintain", "retire", "request_scrap", "approve"]);
    assert_eq!(steps["items"][1]["actor_name"], "asset.manager");
    assert_eq!(steps["items"][8]["note"], "主板损坏，维修不经济");
    let id = a["id"].as_i64().unwrap();
    let audited = count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE object_type = 'asset' AND object_id = '{id}'")).await;
    assert_eq!(audited, 10, "the request and its nine steps");
    let events = count(&app, &format!("SELECT COUNT(*) FROM outbox WHERE event_type = 'asset.transitioned' AND object_id = '{id}'")).await;
    assert_eq!(events, 9);
}

#[tokio::test]
async fn nobody_approves_their_own_request_and_the_amount_picks_the_approver() {
    let app = spawn_app().await;
    let (_, manager) = app.user_with_roles("own.manager", &["ops_manager"]).await;
    let (_, director) = app.user_with_roles("own.director", &["ops_director"]).await;
    let (_, second) = app.user_with_roles("own.director2", &["ops_director"]).await;
    let small = create(&manager, json!({ "tag": "OWN-1", "name": "笔记本电脑", "category": "laptop", "cost": "9000" })).await;
    assert_problem(&step(&manager, &small, "approve", json!({})).await, 403, "own_request");
    assert_problem(&step(&manager, &small, "reject", json!({ "note": "x" })).await, 403, "own_request");
    // 50,000 yuan and more: the director decides, never the director who asked.
    let big = create(&director, json!({ "tag": "OWN-2", "name": "核心交换机", "category": "network", "cost": "386000" })).await;
    assert_problem(&step(&director, &big, "approve", json!({})).await, 403, "own_request");
    assert_problem(&step(&manager, &big, "approve", json!({})).await, 403, "forbidden");
    ok_step(&second, &big, "approve", json!({})).await;
    // A server from 20,000 yuan is the director's too (a rule for the category).
    let server = create(&manager, json!({ "tag": "OWN-3", "name": "数据库服务器", "category": "server", "cost": "20000" })).await;
    assert_problem(&step(&manager, &server, "approve", json!({})).await, 403, "own_request");
    let rejected = ok_step(&director, &server, "reject", json!({ "note": "改用虚拟化资源" })).await;
    assert_eq!(rejected["state"], "rejected");
    // Editing the amount of a request under decision would change who decides: refused.
    let r = manager.patch(&format!("/api/v1/assets/{}", small["id"]), &json!({ "version": small["version"], "cost": "1" })).await;
    assert_eq!(field_codes(&r.json()), [("cost".to_string(), "locked_while_approving".to_string())]);
    let rules = manager.get("/api/v1/assets/approval-rules").await.json();
    assert_eq!(rules["items"].as_array().unwrap().len(), 4, "{rules}");
}

#[tokio::test]
async fn bad_input_is_named_by_field_in_both_languages() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("bad.eng", &["desktop_engineer"]).await;
    let bad = json!({ "tag": "带 空格", "name": " ", "category": "laptop", "cost": "12.345", "salvage": "1",
                      "purchase_date": "2026-02-30", "useful_life_months": 9999 });
    let r = eng.clone().header("accept-language", "zh-CN").post("/api/v1/assets", &bad).await;
    assert_problem(&r, 422, "validation_failed");
    let codes = field_codes(&r.json());
    for want in [
        ("cost", "invalid_amount"),
        ("purchase_date", "invalid_date"),
        ("tag", "invalid_asset_tag"),
        ("name", "required"),
        ("useful_life_months", "out_of_range"),
    ] {
        assert!(codes.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} in {codes:?}");
    }
    assert!(r.text().contains("请输入以元为单位的金额"), "{}", r.text());
    assert_eq!(eng.patch("/api/v1/me", &json!({ "locale": "en" })).await.status, 200);
    let r = eng
        .post(
            "/api/v1/assets",
            &json!({ "tag": "T-1", "name": "x", "category": "laptop", "cost": "10", "salvage": "20",
                                               "purchase_date": "2026-03-01", "warranty_end": "2026-01-01" }),
        )
        .await;
    assert_eq!(
        field_codes(&r.json()),
        [("salvage".to_string(), "above_cost".to_string()), ("warranty_end".to_string(), "before_purchase".to_string())]
    );
    assert!(r.text().contains("salvage value cannot exceed"), "{}", r.text());
    let r = eng.post("/api/v1/assets", &json!({ "tag": "T-1", "name": "x", "category": "gadget" })).await;
    assert_eq!(r.status, 422, "{}", r.text());
    // Registered on hand: in stock at once, depreciated to its salvage value after its life.
    let old = create(
        &eng,
        json!({ "tag": "t-1", "name": "旧台式机", "category": "desktop", "cost": "6000", "salvage": "300",
                                   "useful_life_months": 36, "purchase_date": "2010-01-01", "register": true }),
    )
    .await;
    assert_eq!(
        (old["state"].as_str(), old["book_value_fen"].as_i64(), old["book_value"].as_str()),
        (Some("in_stock"), Some(30_000), Some("300.00"))
    );
    let r = eng.post("/api/v1/assets", &json!({ "tag": "T-1", "name": "again", "category": "desktop" })).await;
    assert_eq!(field_codes(&r.json()), [("tag".to_string(), "taken".to_string())]);
    let r = eng.patch(&format!("/api/v1/assets/{}", old["id"]), &json!({ "version": 99, "name": "y" })).await;
    assert_problem(&r, 409, "asset_changed");
    let patched = eng
        .patch(
            &format!("/api/v1/assets/{}", old["id"]),
            &json!({ "version": old["version"], "location": "二楼库房", "warranty_end": null }),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    // The list filters by state, category and text; the scanner's lookup by tag.
    let list = eng.get("/api/v1/assets?state=in_stock&category=desktop&q=%E6%97%A7").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(eng.get("/api/v1/assets?category=laptop").await.json()["items"], json!([]));
    assert_eq!(eng.get("/api/v1/assets/by-tag/t-1").await.json()["id"], old["id"]);
    assert_problem(&eng.get("/api/v1/assets?state=lost").await, 422, "validation_failed");
}

#[tokio::test]
async fn who_may_see_and_move_assets() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("who.eng", &["desktop_engineer"]).await;
    let (_, nobody) = app.user_with_roles("who.nobody", &[]).await;
    let (_, business) = app.user_with_roles("who.business", &["business_user"]).await;
    let (_, auditor) = app.user_with_roles("who.auditor", &["auditor"]).await;
    let a = create(&eng, json!({ "tag": "WHO-1", "name": "打印机", "category": "peripheral", "register": true })).await;
    let path = format!("/api/v1/assets/{}", a["id"]);
    for c in [&nobody, &business] {
        assert_problem(&c.get("/api/v1/assets").await, 403, "forbidden");
        assert_problem(&c.get(&path).await, 403, "forbidden");
        assert_problem(&c.post("/api/v1/assets", &json!({ "tag": "X-1", "name": "x", "category": "other" })).await, 403, "forbidden");
    }
    assert_problem(&app.anonymous().get("/api/v1/assets").await, 401, "unauthenticated");
    // The auditor reads, and is offered nothing to do.
    let seen = auditor.get(&path).await;
    assert_eq!((seen.status, seen.json()["actions"].clone()), (200, json!([])));
    assert_problem(&step(&auditor, &a, "deploy", json!({ "ci_id": 1 })).await, 403, "forbidden");
    assert_problem(&auditor.patch(&path, &json!({ "version": 1, "name": "y" })).await, 403, "forbidden");
    // The desktop engineer works the asset but may not create CIs: deploying onto a new CI is refused.
    assert_problem(&step(&eng, &a, "deploy", json!({ "ci_class_id": rack_class(&eng).await })).await, 403, "forbidden");
    assert_eq!(eng.get(&path).await.json()["state"], "in_stock", "nothing was written");
}
