use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::spawn_app;

#[tokio::test]
async fn users_teams_departments_round_trip_with_paging() {
    let app = spawn_app().await;
    let admin = app.admin();
    let dept = admin.post("/api/v1/departments", &serde_json::json!({ "name": "信息科技部", "code": "IT" })).await;
    assert_eq!(dept.status, 201, "{}", dept.text());
    let dept_id = dept.json()["id"].as_i64().unwrap();
    let child = admin.post("/api/v1/departments", &serde_json::json!({ "name": "运维中心", "parent_id": dept_id })).await.json();
    let cycle =
        admin.put(&format!("/api/v1/departments/{dept_id}"), &serde_json::json!({ "name": "信息科技部", "parent_id": child["id"] })).await;
    assert_problem(&cycle, 422, "validation_failed");
    assert_eq!(cycle.json()["errors"][0]["code"], "cycle");

    let mut ids = Vec::new();
    for i in 0..5 {
        let r = admin.post("/api/v1/users", &serde_json::json!({ "username": format!("eng{i}"), "display_name": format!("工程师{i}"), "department_id": dept_id, "roles": ["network_engineer"] })).await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["roles"], serde_json::json!(["network_engineer"]));
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    let dup = admin.post("/api/v1/users", &serde_json::json!({ "username": "ENG0", "display_name": "dup" })).await;
    assert_problem(&dup, 409, "username_taken");

    let team =
        admin.post("/api/v1/teams", &serde_json::json!({ "name": "网络组", "description": "核心交换", "members": [ids[0], ids[1]] })).await;
    assert_eq!(team.status, 201, "{}", team.text());
    assert_eq!(team.json()["members"], serde_json::json!([ids[0], ids[1]]));
    let team_id = team.json()["id"].as_i64().unwrap();
    assert_problem(&admin.post("/api/v1/teams", &serde_json::json!({ "name": "网络组" })).await, 409, "team_name_taken");

    // Keyset paging, descending by username, filtered by department.
    let mut names = Vec::new();
    let mut url = format!("/api/v1/users?department_id={dept_id}&limit=2&sort=-username");
    loop {
        let page = admin.get(&url).await.json();
        names.extend(page["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/users?department_id={dept_id}&limit=2&sort=-username&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(names, vec!["eng4", "eng3", "eng2", "eng1", "eng0"]);
    let by_team = admin.get(&format!("/api/v1/users?team_id={team_id}")).await.json();
    assert_eq!(by_team["items"].as_array().unwrap().len(), 2);
    assert_problem(&admin.get("/api/v1/users?sort=email").await, 422, "validation_failed");
    assert_problem(&admin.get("/api/v1/users?limit=0").await, 422, "validation_failed");
    assert_problem(&admin.get("/api/v1/users?cursor=zz").await, 422, "validation_failed");
    assert_problem(&admin.get("/api/v1/users?bogus=1").await, 400, "invalid_query");

    let patched = admin
        .patch(
            &format!("/api/v1/users/{}", ids[0]),
            &serde_json::json!({ "display_name": "王工", "email": "wang@bank.example", "department_id": null }),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!((patched.json()["display_name"].as_str(), patched.json()["department_id"].is_null()), (Some("王工"), true));
    let bad_zone = admin.patch(&format!("/api/v1/users/{}", ids[0]), &serde_json::json!({ "time_zone": "Mars/Olympus" })).await;
    assert_eq!(bad_zone.json()["errors"][0]["code"], "unknown_time_zone");

    let moved = admin.put(&format!("/api/v1/users/{}/teams", ids[2]), &serde_json::json!({ "teams": [team_id, team_id] })).await;
    assert_eq!(moved.json()["teams"], serde_json::json!([team_id]), "{}", moved.text());
    assert_eq!(admin.get(&format!("/api/v1/teams/{team_id}")).await.json()["members"], serde_json::json!([ids[0], ids[1], ids[2]]));
    assert_problem(
        &admin.put(&format!("/api/v1/users/{}/teams", ids[2]), &serde_json::json!({ "teams": [9999] })).await,
        422,
        "validation_failed",
    );
    assert_problem(&admin.delete(&format!("/api/v1/departments/{dept_id}")).await, 409, "department_in_use");
    assert_eq!(admin.delete(&format!("/api/v1/teams/{team_id}")).await.status, 204);
    assert_problem(&admin.get(&format!("/api/v1/teams/{team_id}")).await, 404, "not_found");
    assert_problem(&admin.get("/api/v1/teams/abc").await, 404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn separation_of_duties_is_enforced_everywhere() {
    let app = spawn_app().await;
    let (sec_id, sec) = app.user_with_roles("sec.admin", &["security_admin"]).await;
    let (uid, _) = app.user_with_roles("someone", &[]).await;
    let r = sec.put(&format!("/api/v1/users/{uid}/roles"), &serde_json::json!({ "roles": ["system_admin", "audit_admin"] })).await;
    assert_problem(&r, 409, "separation_of_duties");
    assert_eq!(r.json()["duties"], serde_json::json!(["system", "audit"]));
    // Adding a second duty to a holder of the first is refused too.
    let r = sec.put(&format!("/api/v1/users/{sec_id}/roles"), &serde_json::json!({ "roles": ["security_admin", "audit_admin"] })).await;
    assert_problem(&r, 409, "separation_of_duties");
    let created = app
        .admin()
        .post(
            "/api/v1/users",
            &serde_json::json!({ "username": "two.hats", "display_name": "x", "roles": ["system_admin", "security_admin"] }),
        )
        .await;
    assert_problem(&created, 409, "separation_of_duties");
    // One duty plus ordinary roles is fine (it waits for a second person: see duties.rs).
    let ok = sec.put(&format!("/api/v1/users/{uid}/roles"), &serde_json::json!({ "roles": ["audit_admin", "auditor"] })).await;
    assert_eq!((ok.status, ok.json()["status"].as_str()), (202, Some("pending")), "{}", ok.text());
    // The system administrator cannot read the audit log; the audit administrator can.
    assert_problem(&app.admin().get("/api/v1/audit-events").await, 403, "forbidden");
    app.stop().await;
}

#[tokio::test]
async fn roles_are_data_and_scopes_are_checked_in_core() {
    let app = spawn_app().await;
    let (_, sec) = app.user_with_roles("sec.admin", &["security_admin"]).await;
    let bad = sec
        .post("/api/v1/roles", &serde_json::json!({ "key": "Bad Key", "name_en": "x", "name_zh": "x", "permissions": ["team:fly:all"] }))
        .await;
    assert_problem(&bad, 422, "validation_failed");
    let body = bad.json();
    let codes: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["invalid_key", "invalid_permission"]);
    let role = sec.post("/api/v1/roles", &serde_json::json!({ "key": "team_reader", "name_en": "Team reader", "name_zh": "处理组查看", "permissions": ["team:read:all"] })).await;
    assert_eq!(role.status, 201, "{}", role.text());
    let role_id = role.json()["id"].as_i64().unwrap();
    let (uid, reader) = app.user_with_roles("reader", &["team_reader"]).await;
    assert_eq!(reader.get("/api/v1/teams").await.status, 200);
    assert_problem(&reader.post("/api/v1/teams", &serde_json::json!({ "name": "x" })).await, 403, "forbidden");
    assert_problem(&reader.get("/api/v1/users").await, 403, "forbidden");
    assert_eq!(reader.get(&format!("/api/v1/users/{uid}")).await.status, 200, "anyone may read themself");
    // Granting a permission takes effect for existing tokens.
    let upd = sec
        .put(
            &format!("/api/v1/roles/{role_id}"),
            &serde_json::json!({ "name_en": "Team reader", "name_zh": "处理组查看", "permissions": ["team:read:all", "incident:read:all"] }),
        )
        .await;
    assert_eq!(upd.status, 200, "{}", upd.text());
    assert_eq!(reader.get("/api/v1/incidents").await.status, 200);
    // Team creation is the system duty: that grant waits for a second person (duties.rs), here the command line.
    let input = serde_json::from_value(
        serde_json::json!({ "name_en": "Team reader", "name_zh": "处理组查看", "permissions": ["team:read:all", "team:create:all"] }),
    )
    .unwrap();
    yunwei_core::admin::update_role(&app.core, &yunwei_core::Ctx::system(), yunwei_domain::ids::RoleId(role_id), input).await.unwrap();
    assert_eq!(reader.post("/api/v1/teams", &serde_json::json!({ "name": "新组" })).await.status, 201);
    assert_problem(&sec.delete(&format!("/api/v1/roles/{role_id}")).await, 409, "role_in_use");
    let builtin = app.admin().get("/api/v1/roles").await.json().as_array().unwrap().iter().find(|r| r["key"] == "auditor").unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_problem(&sec.delete(&format!("/api/v1/roles/{builtin}")).await, 409, "builtin_role");
    let catalogue = reader.get("/api/v1/permissions").await.json();
    assert!(catalogue["object_types"].as_array().unwrap().contains(&serde_json::json!("incident")));
    app.stop().await;
}

#[tokio::test]
async fn errors_speak_the_users_language() {
    let app = spawn_app().await;
    let zh = app.anonymous().header("accept-language", "zh-CN,zh;q=0.9").get("/api/v1/me").await;
    assert_eq!(zh.json()["title"], "请先登录。");
    let en = app.anonymous().header("accept-language", "en-US,en;q=0.8").get("/api/v1/me").await;
    assert_eq!(en.json()["title"], "Please sign in.");
    // A token caller without the header gets the account's language; with it, the header's.
    let admin = app.admin();
    let r = admin.post("/api/v1/teams", &serde_json::json!({ "name": "" })).await;
    assert_eq!(r.json()["errors"][0]["message"], "必填。", "{}", r.text());
    let r = admin.clone().header("accept-language", "en").post("/api/v1/teams", &serde_json::json!({ "name": "" })).await;
    assert_eq!(r.json()["errors"][0]["message"], "Required.", "{}", r.text());
    assert_eq!(admin.patch("/api/v1/me", &serde_json::json!({ "locale": "en" })).await.status, 200);
    let r = admin.post("/api/v1/teams", &serde_json::json!({ "name": "x".repeat(101) })).await;
    assert_eq!(r.json()["errors"][0]["message"], "At most 100 characters.", "{}", r.text());
    let r = admin.clone().header("accept-language", "zh-CN,zh;q=0.9").post("/api/v1/teams", &serde_json::json!({ "name": "" })).await;
    assert_eq!(r.json()["errors"][0]["message"], "必填。", "{}", r.text());
    // A browser session keeps the profile's language whatever the browser sends.
    let session = app.admin_session().await.header("accept-language", "zh-CN");
    let r = session.post("/api/v1/teams", &serde_json::json!({ "name": "" })).await;
    assert_eq!(r.json()["errors"][0]["message"], "Required.", "{}", r.text());
    app.stop().await;
}

#[tokio::test]
async fn idempotency_keys_replay_and_refuse_reuse() {
    let app = spawn_app().await;
    let client = app.admin().header("idempotency-key", "create-team-42");
    let first = client.post("/api/v1/teams", &serde_json::json!({ "name": "值班室" })).await;
    assert_eq!(first.status, 201);
    let again = client.post("/api/v1/teams", &serde_json::json!({ "name": "值班室" })).await;
    assert_eq!((again.status, again.header("idempotent-replayed")), (201, Some("true")));
    assert_eq!(again.json()["id"], first.json()["id"]);
    let other = client.post("/api/v1/teams", &serde_json::json!({ "name": "数据组" })).await;
    assert_problem(&other, 422, "idempotency_key_reused");
    let teams = app.admin().get("/api/v1/teams").await.json();
    assert_eq!(teams["items"].as_array().unwrap().len(), 1, "created once");
    app.stop().await;
}

#[tokio::test]
async fn upgrades_give_builtin_roles_new_permissions_but_keep_an_administrators_removals() {
    use yunwei_store::admin as roles;
    let app = spawn_app().await;
    let perm = |s: &str| s.parse::<yunwei_domain::permission::Permission>().unwrap();
    let role = || async { roles::get_role_by_key(&app.core.database().read, "system_admin").await.unwrap().unwrap() };
    let fields = |r: &roles::Role, permissions: Vec<yunwei_domain::permission::Permission>| roles::RoleFields {
        key: r.key.clone(),
        name_en: r.name_en.clone(),
        name_zh: r.name_zh.clone(),
        description: r.description.clone(),
        duty: r.duty,
        require_totp: r.require_totp,
        permissions,
    };
    let (create, delete) = (perm("webhook:create:all"), perm("webhook:delete:all"));
    let before = role().await;
    assert!(before.permissions.contains(&create) && before.permissions.contains(&delete), "{:?}", before.permissions);

    // An administrator takes both away; a restart (seeding again) does not give them back.
    let mut conn = app.core.database().writer().await.unwrap();
    let kept: Vec<_> = before.permissions.iter().copied().filter(|p| *p != create && *p != delete).collect();
    roles::update_role(&mut conn, before.id, &fields(&before, kept.clone()), 1).await.unwrap();
    drop(conn);
    yunwei_core::seed::builtin(&app.core).await.unwrap();
    assert_eq!(role().await.permissions, kept, "removals stand");

    // A permission the seeder never gave (a feature this upgrade brings) is given once, and audited.
    let mut conn = app.core.database().writer().await.unwrap();
    yunwei_store::raw_execute(
        &mut conn,
        "DELETE FROM builtin_grants WHERE role_key = 'system_admin' AND permission = 'webhook:delete:all'",
    )
    .await
    .unwrap();
    drop(conn);
    yunwei_core::seed::builtin(&app.core).await.unwrap();
    let after = role().await;
    assert!(after.permissions.contains(&delete), "the new permission is given");
    assert!(!after.permissions.contains(&create), "the removed one stays removed");
    yunwei_core::seed::builtin(&app.core).await.unwrap();
    assert_eq!(role().await.permissions, after.permissions, "given once");
    let (_, auditor) = app.user_with_roles("grant.audit", &["audit_admin"]).await;
    let audit = auditor.get("/api/v1/audit-events?object_type=role&action=upgrade_grant").await.json();
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
    let entry: serde_json::Value = serde_json::from_str(audit["items"][0]["after"].as_str().unwrap()).unwrap();
    assert_eq!(entry["added"], serde_json::json!(["webhook:delete:all"]), "{audit}");
    app.stop().await;
}

#[tokio::test]
async fn a_team_another_process_created_meanwhile_does_not_fail_the_next_creation() {
    use yunwei_store::admin::{TeamFields, insert_team};
    let app = spawn_app().await;
    let admin = app.admin();
    let first = admin.post("/api/v1/teams", &serde_json::json!({ "name": "系统组" })).await;
    assert_eq!(first.status, 201, "{}", first.text());
    // Another process (the CLI, say) adds a team through its own connection. On SQLite the
    // server had already reserved that id for its next team: that commit fails and is redone.
    let other = yunwei_store::Db::connect(&app.fresh.url, 2).await.unwrap();
    let mut tx = other.begin().await.unwrap();
    let theirs = insert_team(&mut tx, &TeamFields { name: "网络组".into(), ..Default::default() }, 1).await.unwrap();
    tx.commit().await.unwrap();
    other.close().await;

    let next = admin.post("/api/v1/teams", &serde_json::json!({ "name": "安全组" })).await;
    assert_eq!(next.status, 201, "{}", next.text());
    assert_eq!(next.json()["name"], "安全组");
    assert!(next.json()["id"].as_i64().unwrap() > theirs.0, "{} after {theirs:?}", next.text());
    let names: Vec<String> = admin.get("/api/v1/teams?limit=200").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    for name in ["系统组", "网络组", "安全组"] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
    let chain = yunwei_store::audit::verify(app.core.database()).await.unwrap();
    assert!(chain.broken.is_none(), "{chain:?}");
}
