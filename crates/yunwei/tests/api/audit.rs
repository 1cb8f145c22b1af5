use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::spawn_app;

#[tokio::test]
async fn writes_sign_ins_and_exports_are_audited_and_the_chain_catches_tampering() {
    let app = spawn_app().await;
    let (_, auditor) = app.user_with_roles("audit.admin", &["audit_admin"]).await;
    let team = app
        .admin()
        .header("user-agent", "=HYPERLINK(\"http://evil\")")
        .post("/api/v1/teams", &serde_json::json!({ "name": "系统组", "description": "=cmd|' /C calc'!A0" }))
        .await
        .json();
    let id = team["id"].as_i64().unwrap().to_string();
    app.admin().put(&format!("/api/v1/teams/{id}"), &serde_json::json!({ "name": "系统组", "description": "服务器" })).await;
    let _ = app.anonymous().post("/api/v1/session", &serde_json::json!({ "username": "admin", "password": "wrong" })).await;

    let list = auditor.get(&format!("/api/v1/audit-events?object_type=team&object_id={id}")).await.json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["action"], "update", "newest first");
    assert!(items[0]["before"].as_str().unwrap().contains("=cmd"));
    assert!(items[0]["after"].as_str().unwrap().contains("服务器"));
    assert_eq!(items[1]["user_agent"], "=HYPERLINK(\"http://evil\")", "stored verbatim");
    assert_eq!(items[1]["source_ip"], "127.0.0.1");
    assert_eq!(items[1]["actor_name"], "admin");
    let failed = auditor.get("/api/v1/audit-events?action=login_failed").await.json();
    assert_eq!(failed["items"][0]["actor_name"], "admin");

    let csv = auditor.get("/api/v1/audit-events/export?object_type=team").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","), "formula cell defused: {text}");
    assert!(!text.contains(",=HYPERLINK"), "{text}");
    assert_eq!(text.lines().count(), 3, "header and two rows");
    let exports = auditor.get("/api/v1/audit-events?action=export").await.json();
    assert_eq!(exports["items"].as_array().unwrap().len(), 1, "the export itself is audited");

    let ok = auditor.post("/api/v1/audit-events/verify", &serde_json::json!({})).await.json();
    assert!(ok["broken"].is_null(), "{ok}");
    assert!(ok["checked"].as_i64().unwrap() >= 5);
    // Tamper with the raw table on whichever engine this is: the table refuses, so do it as a
    // database administrator could, past its guard.
    let mut conn = app.core.database().writer().await.unwrap();
    let refused = yunwei_store::raw_execute(&mut conn, "UPDATE audit_log SET after_json = '{}'").await.unwrap_err();
    assert!(refused.to_string().contains("append-only"), "{refused}");
    drop(conn);
    yunwei_store::testing::drop_audit_guard(app.core.database()).await.unwrap();
    sqlx_exec(
        &app,
        &format!("UPDATE audit_log SET after_json = '{{}}' WHERE object_type = 'team' AND object_id = '{id}' AND action = 'create'"),
    )
    .await;
    let broken = auditor.post("/api/v1/audit-events/verify", &serde_json::json!({})).await.json();
    assert_eq!(broken["broken"]["reason"], "hash_mismatch", "{broken}");
    assert_problem(&app.admin().post("/api/v1/audit-events/verify", &serde_json::json!({})).await, 403, "forbidden");
    app.stop().await;
}

async fn sqlx_exec(app: &yunwei_testkit::TestApp, sql: &str) {
    let mut conn = app.core.database().writer().await.unwrap();
    yunwei_store::raw_execute(&mut conn, sql).await.unwrap();
}

#[tokio::test]
async fn reads_of_the_log_and_refused_sensitive_requests_are_audited() {
    let app = yunwei_testkit::spawn_app().await;
    let (auditor_id, auditor) = app.user_with_roles("audit.admin", &["audit_admin"]).await;
    let (eng_id, eng) = app.user_with_roles("net.eng", &["network_engineer"]).await;
    let team = eng.post("/api/v1/teams", &serde_json::json!({ "name": "影子组" })).await;
    yunwei_testkit::bad_input::assert_problem(&team, 403, "forbidden");
    yunwei_testkit::bad_input::assert_problem(&eng.get("/api/v1/audit-events").await, 403, "forbidden");
    // An ordinary read that is allowed leaves no refusal.
    assert_eq!(eng.get("/api/v1/teams").await.status, 200);

    let refused = auditor.get("/api/v1/audit-events?object_type=request&action=refused").await.json();
    let mut seen: Vec<(i64, String, String)> = refused["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let after: serde_json::Value = serde_json::from_str(e["after"].as_str().unwrap()).unwrap();
            (
                e["actor_id"].as_i64().unwrap(),
                e["object_id"].as_str().unwrap().to_string(),
                after["permission"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (eng_id, "/api/v1/audit-events".to_string(), "audit_log:read".to_string()),
            (eng_id, "/api/v1/teams".to_string(), "team:create".to_string())
        ]
    );
    // The auditor's own reading is on the record too.
    let reads = auditor.get(&format!("/api/v1/audit-events?action=read&actor_id={auditor_id}")).await.json();
    let items = reads["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "this read is recorded after it is answered: {reads}");
    let filter: serde_json::Value = serde_json::from_str(items[0]["after"].as_str().unwrap()).unwrap();
    assert_eq!((filter["filter"]["object_type"].as_str(), filter["entries"].as_i64()), (Some("request"), Some(2)), "{filter}");
    app.stop().await;
}
