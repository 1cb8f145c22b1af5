use yunwei_testkit::bad_input::check_json_endpoint;
use yunwei_testkit::spawn_app;

#[tokio::test]
async fn every_json_endpoint_refuses_bad_input_cleanly() {
    let app = spawn_app().await;
    let admin = app.admin();
    check_json_endpoint(
        &admin,
        "POST",
        "/api/v1/teams",
        &serde_json::json!({ "name": "组", "description": "d" }),
        &["name", "description"],
    )
    .await;
    check_json_endpoint(&admin, "POST", "/api/v1/departments", &serde_json::json!({ "name": "部门" }), &["name", "code"]).await;
    check_json_endpoint(
        &admin,
        "POST",
        "/api/v1/users",
        &serde_json::json!({ "username": "probe", "display_name": "探针" }),
        &["display_name", "username", "email", "phone"],
    )
    .await;
    let team = admin.post("/api/v1/teams", &serde_json::json!({ "name": "目标组" })).await.json();
    check_json_endpoint(
        &admin,
        "PUT",
        &format!("/api/v1/teams/{}", team["id"]),
        &serde_json::json!({ "name": "目标组" }),
        &["description"],
    )
    .await;
    let (uid, _) = app.user_with_roles("target", &[]).await;
    check_json_endpoint(
        &admin,
        "PATCH",
        &format!("/api/v1/users/{uid}"),
        &serde_json::json!({ "display_name": "目标" }),
        &["display_name"],
    )
    .await;
    check_json_endpoint(
        &app.admin_session().await,
        "POST",
        &format!("/api/v1/users/{uid}/tokens"),
        &serde_json::json!({ "name": "t" }),
        &["name"],
    )
    .await;
    check_json_endpoint(
        &admin,
        "PUT",
        "/api/v1/notification-templates/user.created/en",
        &serde_json::json!({ "subject": "s", "body": "b" }),
        &["subject", "body"],
    )
    .await;
    let (_, sec) = app.user_with_roles("sec.admin", &["security_admin"]).await;
    check_json_endpoint(
        &sec,
        "POST",
        "/api/v1/roles",
        &serde_json::json!({ "key": "probe_role", "name_en": "P", "name_zh": "探", "permissions": [] }),
        &["name_en", "name_zh", "description"],
    )
    .await;
    check_json_endpoint(&admin, "PUT", &format!("/api/v1/users/{uid}/teams"), &serde_json::json!({ "teams": [] }), &[]).await;
    check_json_endpoint(&admin, "PATCH", "/api/v1/me", &serde_json::json!({ "locale": "zh-CN" }), &["time_zone"]).await;
    check_json_endpoint(&admin, "POST", "/api/v1/jobs/probes", &serde_json::json!({ "count": 1 }), &[]).await;
    check_json_endpoint(&sec, "PUT", &format!("/api/v1/users/{uid}/roles"), &serde_json::json!({ "roles": [] }), &[]).await;
    check_json_endpoint(&app.anonymous(), "POST", "/api/v1/session", &serde_json::json!({ "username": "admin", "password": "x" }), &[])
        .await;
    let grant = sec.put(&format!("/api/v1/users/{uid}/roles"), &serde_json::json!({ "roles": ["audit_admin"] })).await;
    assert_eq!(grant.status, 202, "{}", grant.text());
    let reject = format!("/api/v1/duty-grants/{}/reject", grant.json()["id"]);
    check_json_endpoint(&sec, "POST", &reject, &serde_json::json!({ "note": "x" }), &["note"]).await;
    let session = app.admin_session().await;
    check_json_endpoint(&session, "POST", "/api/v1/me/totp", &serde_json::json!({ "password": "x" }), &["password"]).await;
    app.stop().await;
}

#[tokio::test]
async fn markup_is_escaped_on_pages() {
    let app = spawn_app().await;
    let r = app
        .admin()
        .post(
            "/api/v1/teams",
            &serde_json::json!({ "name": "<script>alert(1)</script>", "description": "\"><img src=x onerror=alert(1)>" }),
        )
        .await;
    assert_eq!(r.status, 201);
    let page = app.admin().get("/admin/teams").await;
    let html = page.text();
    assert!(!html.contains("<script>alert(1)</script>"), "raw markup rendered");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"), "{html}");
    assert!(!html.contains("<img src=x"));
    app.stop().await;
}

#[tokio::test]
async fn a_write_blocked_by_another_process_answers_503_saves_nothing_and_succeeds_when_retried() {
    let app = spawn_app().await;
    let (_, desk) = app.user_with_roles("busy.desk", &["ops_director"]).await;
    let desk = desk.header("accept-language", "zh-CN");
    let report = serde_json::json!({ "title": "核心交换机丢包", "description": "端口丢包", "impact": "low", "urgency": "low" });
    let refused = |r: &yunwei_testkit::TestResponse, why: &str| {
        yunwei_testkit::bad_input::assert_problem(r, 503, "database_busy");
        assert_eq!(r.header("retry-after"), Some("1"), "{why}");
        assert!(r.json()["title"].as_str().unwrap().contains("数据库暂时繁忙"), "{why}: {}", r.text());
    };
    let mut other = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.fresh.url).await.unwrap();
    if app.is_postgres() {
        // PostgreSQL waits for row locks instead of timing out; what it answers when it cannot
        // go on is a serialization failure, a deadlock or a lock not available. Make the insert
        // fail with each, as the server would, and see each answered as busy.
        for code in ["40001", "40P01", "55P03"] {
            let trigger = format!(
                "CREATE OR REPLACE FUNCTION yunwei_test_busy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 RAISE EXCEPTION 'busy for the test' USING ERRCODE = '{code}'; END $$; \
                 CREATE TRIGGER yunwei_test_busy BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION yunwei_test_busy()"
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(trigger)).execute(&mut other).await.unwrap();
            refused(&desk.post("/api/v1/incidents", &report).await, code);
            sqlx::raw_sql("DROP TRIGGER yunwei_test_busy ON incidents").execute(&mut other).await.unwrap();
        }
    } else {
        // Another process (the CLI, a backup tool) holds SQLite's write lock past the busy timeout.
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
        refused(&desk.post("/api/v1/incidents", &report).await, "SQLite locked");
        sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    }
    drop(other);
    assert_eq!(desk.get("/api/v1/incidents").await.json()["items"].as_array().unwrap().len(), 0, "nothing was saved");
    let again = desk.post("/api/v1/incidents", &report).await;
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(desk.get("/api/v1/incidents").await.json()["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

/// Paging parameters are untrusted text: a cursor with multi-byte characters once
/// panicked (byte slicing), a `+` digit was read as hex. Every paged list answers
/// 422 validation_failed naming the field, never 500, and a good cursor still pages.
#[tokio::test]
async fn paged_lists_refuse_bad_cursors_and_limits_cleanly() {
    use yunwei_testkit::bad_input::assert_problem;
    let app = spawn_app().await;
    let admin = app.admin();
    let (_, director) = app.user_with_roles("paging.director", &["ops_director"]).await;
    let (_, auditor) = app.user_with_roles("paging.audit", &["audit_admin"]).await;
    let lists = [
        (&admin, "/api/v1/notifications"),
        (&admin, "/api/v1/users"),
        (&admin, "/api/v1/teams"),
        (&director, "/api/v1/incidents"),
        (&director, "/api/v1/service-requests"),
        (&auditor, "/api/v1/audit-events"),
    ];
    for (client, path) in lists {
        for cursor in ["%E2%82%AC%E2%82%AC", "%C3%A91", "0%E2%82%AC", "+1", "-1", "zz", "%00%00", "abc", &"0".repeat(2000)] {
            let r = client.get(&format!("{path}?cursor={cursor}")).await;
            assert_problem(&r, 422, "validation_failed");
            assert_eq!(r.json()["errors"][0]["field"], "cursor", "{path} {cursor}: {}", r.text());
        }
        for limit in ["0", "201", "-1", "9223372036854775807"] {
            let r = client.get(&format!("{path}?limit={limit}")).await;
            assert_problem(&r, 422, "validation_failed");
            assert_eq!(r.json()["errors"][0]["field"], "limit", "{path} {limit}: {}", r.text());
        }
    }
    for n in 0..3 {
        let r = admin.post("/api/v1/teams", &serde_json::json!({ "name": format!("分页组{n}") })).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let first = admin.get("/api/v1/teams?limit=2").await.json();
    let next = first["next_cursor"].as_str().expect("a second page");
    let second = admin.get(&format!("/api/v1/teams?limit=2&cursor={next}")).await;
    assert_eq!(second.status, 200, "{}", second.text());
    assert_ne!(second.json()["items"][0]["id"], first["items"][0]["id"]);
    app.stop().await;
}

/// Bidirectional overrides and zero-width characters make `invoice\u{202E}gpj.exe`
/// show as `invoiceexe.jpg`: they are removed from file names (stored and in
/// Content-Disposition) and from titles, which stay otherwise verbatim.
#[tokio::test]
async fn invisible_formatting_is_removed_from_file_names_and_titles() {
    let app = spawn_app().await;
    let (_, desk) = app.user_with_roles("desk.bidi", &["ops_director"]).await;
    let title = "发票\u{202E}gpj.exe\u{200B} 无法打开\u{2066}<b>\u{2069}";
    let r = desk
        .post(
            "/api/v1/incidents",
            &serde_json::json!({ "title": title, "description": "正文\u{202E}保留", "impact": "low", "urgency": "low" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let inc = r.json();
    assert_eq!(inc["title"], "发票gpj.exe 无法打开<b>");
    let number = inc["number"].as_str().unwrap();
    let page = desk.get(&format!("/incidents/{number}")).await.text();
    assert!(page.contains("发票gpj.exe 无法打开") && !page.contains('\u{2066}'), "the title reached the page with its bidi controls");
    // Multi-line text is kept verbatim (HTML-escaped where shown).
    assert_eq!(desk.get(&format!("/api/v1/incidents/{number}")).await.json()["description"], "正文\u{202E}保留");
    let renamed = desk.patch(&format!("/api/v1/incidents/{number}"), &serde_json::json!({ "title": "\u{FEFF}新\u{202D}标题"})).await;
    assert_eq!((renamed.status, renamed.json()["title"].as_str()), (200, Some("新标题")), "{}", renamed.text());
    let only_invisible = desk
        .post(
            "/api/v1/incidents",
            &serde_json::json!({ "title": "\u{202E}\u{200B}", "description": "d", "impact": "low", "urgency": "low" }),
        )
        .await;
    yunwei_testkit::bad_input::assert_problem(&only_invisible, 422, "validation_failed");
    assert_eq!(only_invisible.json()["errors"][0]["code"], "required");

    // The classic disguise (a right-to-left override making "….exe" read as "….jpg") is a
    // program: refused with the reason by the field, whatever the name looks like.
    let disguised = desk
        .send(
            "POST",
            &format!("/api/v1/incidents/{number}/attachments?filename=invoice%E2%80%AEgpj.exe"),
            Some("application/octet-stream"),
            b"MZ".to_vec(),
        )
        .await;
    yunwei_testkit::bad_input::assert_problem(&disguised, 422, "validation_failed");
    assert_eq!(disguised.json()["errors"][0]["code"], "refused_type", "{}", disguised.text());
    // A harmless file keeps its name with the invisible formatting removed.
    let upload = desk
        .send(
            "POST",
            &format!("/api/v1/incidents/{number}/attachments?filename=invoice%E2%80%AEfdp.txt"),
            Some("text/plain"),
            b"text".to_vec(),
        )
        .await;
    assert_eq!(upload.status, 201, "{}", upload.text());
    assert_eq!(upload.json()["filename"], "invoicefdp.txt");
    let got = desk.get(&format!("/api/v1/incidents/{number}/attachments/{}", upload.json()["id"])).await;
    let disposition = got.header("content-disposition").unwrap().to_string();
    assert_eq!(disposition, "attachment; filename=\"invoicefdp.txt\"; filename*=UTF-8''invoicefdp.txt");
    app.stop().await;
}
