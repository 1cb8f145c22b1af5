//! Separation of duties (三权分立) against the administrators themselves: every attack of
//! the trust review, the four-eyes flow, and the account-management matrix cell by cell.

use serde_json::{Value, json};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::http::Client;
use yunwei_testkit::{ADMIN_PASSWORD, TestApp, spawn_app};

/// A user with these roles (set through the server's command line), signed in with a session.
async fn person(app: &TestApp, username: &str, roles: &[&str]) -> (i64, Client) {
    let (id, _) = app.user_with_roles(username, roles).await;
    (id, app.session(username, ADMIN_PASSWORD).await)
}

/// The two people a duty change needs: the security administrator who asks, the director who approves.
async fn asker_and_approver(app: &TestApp) -> ((i64, Client), (i64, Client)) {
    (person(app, "sec.admin", &["security_admin"]).await, person(app, "director", &["ops_director"]).await)
}

async fn role_id(app: &TestApp, key: &str) -> i64 {
    let roles = app.admin().get("/api/v1/roles").await.json();
    roles.as_array().unwrap().iter().find(|r| r["key"] == key).unwrap()["id"].as_i64().unwrap()
}

async fn roles_of(app: &TestApp, user: i64) -> Value {
    app.admin().get(&format!("/api/v1/users/{user}")).await.json()["roles"].clone()
}

/// The refusals the audit log holds for an object, as (action tried, code).
async fn refusals(auditor: &Client, object_type: &str, object_id: i64) -> Vec<(String, String)> {
    let page = auditor.get(&format!("/api/v1/audit-events?object_type={object_type}&object_id={object_id}&action=refused")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    page.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let after: Value = match &e["after"] {
                Value::String(s) => serde_json::from_str(s).unwrap(),
                v => v.clone(),
            };
            (after["action"].as_str().unwrap().to_string(), after["code"].as_str().unwrap().to_string())
        })
        .collect()
}

#[tokio::test]
async fn the_attacks_of_the_trust_review_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (_, sec) = person(&app, "sec.admin", &["security_admin"]).await;
    let (audit_id, auditor) = person(&app, "audit.admin", &["audit_admin"]).await;
    let admin_id = admin.get("/api/v1/me").await.json()["user_id"].as_i64().unwrap();

    // The security administrator cannot arm their own role with the audit duty: one role, two duties.
    let sec_role = role_id(&app, "security_admin").await;
    let current = admin.get(&format!("/api/v1/roles/{sec_role}")).await.json();
    let mut perms: Vec<Value> = current["permissions"].as_array().unwrap().clone();
    perms.push(json!("audit_log:read:all"));
    let r = sec
        .put(
            &format!("/api/v1/roles/{sec_role}"),
            &json!({ "name_en": "Security administrator", "name_zh": "安全管理员", "permissions": perms }),
        )
        .await;
    assert_problem(&r, 409, "separation_of_duties");
    assert_eq!(r.json()["duties"], json!(["security", "audit"]));
    assert_problem(&sec.get("/api/v1/audit-events").await, 403, "forbidden");

    // Stripping the audit administrator's role waits for a second person; until then nothing changes.
    let audit_role = role_id(&app, "audit_admin").await;
    let stripped = sec
        .put(
            &format!("/api/v1/roles/{audit_role}"),
            &json!({ "name_en": "Audit administrator", "name_zh": "审计管理员", "permissions": ["user:read:all"] }),
        )
        .await;
    assert_eq!(stripped.status, 202, "{}", stripped.text());
    assert_eq!((stripped.json()["kind"].as_str(), stripped.json()["status"].as_str()), (Some("role"), Some("pending")));
    assert_eq!(auditor.get("/api/v1/audit-events").await.status, 200, "the audit administrator still reads the log");

    // A custom shadow role with the audit duty cannot sit beside the system administrator's role.
    let shadow = sec
        .post(
            "/api/v1/roles",
            &json!({ "key": "shadow_role", "name_en": "Shadow", "name_zh": "影子", "permissions": ["audit_log:read:all"] }),
        )
        .await;
    assert_eq!((shadow.status, shadow.json()["duty"].as_str()), (201, Some("audit")), "{}", shadow.text());
    let own = admin.put(&format!("/api/v1/users/{admin_id}/roles"), &json!({ "roles": ["system_admin", "shadow_role"] })).await;
    assert_problem(&own, 409, "separation_of_duties");
    let by_sec = sec.put(&format!("/api/v1/users/{admin_id}/roles"), &json!({ "roles": ["system_admin", "shadow_role"] })).await;
    assert_problem(&by_sec, 409, "separation_of_duties");
    assert_problem(&admin.get("/api/v1/audit-events").await, 403, "forbidden");

    // Nobody gives themself more roles, not even ordinary ones.
    let more = admin.put(&format!("/api/v1/users/{admin_id}/roles"), &json!({ "roles": ["system_admin", "ops_director"] })).await;
    assert_problem(&more, 403, "own_rights");
    assert_eq!(roles_of(&app, admin_id).await, json!(["system_admin"]));

    // The system administrator cannot create a puppet audit administrator…
    let puppet = admin.post("/api/v1/users", &json!({ "username": "puppet", "display_name": "傀儡", "roles": ["audit_admin"] })).await;
    assert_problem(&puppet, 403, "duty_on_create");
    assert_eq!(admin.get("/api/v1/users?q=puppet").await.json()["items"], json!([]), "nothing was created");
    // …nor reset, disable or re-role the real one.
    let reset = admin.post(&format!("/api/v1/users/{audit_id}/password-reset"), &json!({})).await;
    assert_problem(&reset, 403, "protected_account");
    assert_eq!(reset.json()["duty"], "audit");
    let zh = app.admin().header("accept-language", "zh-CN").post(&format!("/api/v1/users/{audit_id}/password-reset"), &json!({})).await;
    assert!(zh.json()["title"].as_str().unwrap().contains("审计管理员"), "the message names the duty: {}", zh.text());
    assert_problem(&admin.post(&format!("/api/v1/users/{audit_id}/disable"), &json!({})).await, 403, "protected_account");
    assert_problem(&admin.put(&format!("/api/v1/users/{audit_id}/roles"), &json!({ "roles": [] })).await, 403, "duty_grant_needs_security");
    assert_eq!(app.session("audit.admin", ADMIN_PASSWORD).await.get("/api/v1/audit-events").await.status, 200, "old password still works");
    // The security administrator has no account rights at all: cannot reset the system administrator.
    assert_problem(&sec.post(&format!("/api/v1/users/{admin_id}/password-reset"), &json!({})).await, 403, "forbidden");
    assert_problem(&sec.post("/api/v1/users", &json!({ "username": "x1", "display_name": "x" })).await, 403, "forbidden");

    // Every refusal is in the audit log, with what was tried and why it was refused.
    let on_auditor = refusals(&auditor, "user", audit_id).await;
    for expected in
        [("reset_password", "protected_account"), ("disable", "protected_account"), ("change_roles", "duty_grant_needs_security")]
    {
        assert!(on_auditor.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {on_auditor:?}");
    }
    assert!(refusals(&auditor, "user", admin_id).await.contains(&("change_roles".into(), "own_rights".into())));
    app.stop().await;
}

#[tokio::test]
async fn a_duty_is_granted_only_when_a_second_person_approves() {
    let app = spawn_app().await;
    let ((sec_id, sec), (director_id, director)) = asker_and_approver(&app).await;
    let (clerk_id, clerk) = person(&app, "new.auditor", &["auditor"]).await;

    let asked = sec.put(&format!("/api/v1/users/{clerk_id}/roles"), &json!({ "roles": ["audit_admin", "auditor"] })).await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    let grant = asked.json();
    let id = grant["id"].as_i64().unwrap();
    assert_eq!(grant["requested_change"], json!({ "roles": ["audit_admin", "auditor"] }));
    assert_eq!(grant["state_before"], json!({ "roles": ["auditor"] }));
    assert_eq!((grant["target_name"].as_str(), grant["requested_by_name"].as_str()), (Some("new.auditor"), Some("sec.admin")));
    assert_eq!(roles_of(&app, clerk_id).await, json!(["auditor"]), "nothing changes before approval");
    assert_problem(&clerk.get("/api/v1/audit-events").await, 403, "forbidden");
    // One open request per user.
    let again = sec.put(&format!("/api/v1/users/{clerk_id}/roles"), &json!({ "roles": ["audit_admin"] })).await;
    assert_problem(&again, 409, "grant_pending");

    // The requester cannot approve it; the approver is told.
    assert_problem(&sec.post(&format!("/api/v1/duty-grants/{id}/approve"), &json!({})).await, 403, "own_request");
    app.drain_outbox().await;
    let notices = director.get("/api/v1/notifications").await.json();
    assert_eq!(notices["items"][0]["event_type"], "duty_grant.requested", "{notices}");
    let listed = director.get("/api/v1/duty-grants?status=pending").await.json();
    assert_eq!(listed.as_array().unwrap().iter().map(|g| g["id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![id]);
    assert_problem(&director.get("/api/v1/duty-grants?status=maybe").await, 422, "validation_failed");

    let approved = director.post(&format!("/api/v1/duty-grants/{id}/approve"), &json!({})).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!((approved.json()["status"].as_str(), approved.json()["decided_by"].as_i64()), (Some("approved"), Some(director_id)));
    assert_eq!(roles_of(&app, clerk_id).await, json!(["audit_admin", "auditor"]));
    assert_eq!(clerk.get("/api/v1/audit-events").await.status, 200, "the duty is in force");
    assert_problem(&director.post(&format!("/api/v1/duty-grants/{id}/approve"), &json!({})).await, 409, "grant_decided");

    // The audit trail names both people.
    let trail = clerk.get(&format!("/api/v1/audit-events?object_type=duty_grant&object_id={id}")).await.json();
    let actions: Vec<(&str, i64)> =
        trail["items"].as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), e["actor_id"].as_i64().unwrap())).collect();
    assert!(actions.contains(&("request", sec_id)) && actions.contains(&("approve", director_id)), "{actions:?}");
    app.drain_outbox().await;
    assert_eq!(sec.get("/api/v1/notifications").await.json()["items"][0]["event_type"], "duty_grant.decided");

    // Whoever the change is about cannot approve it: the director is asked to become the audit administrator.
    let about_director = sec.put(&format!("/api/v1/users/{director_id}/roles"), &json!({ "roles": ["audit_admin"] })).await;
    let gid = about_director.json()["id"].as_i64().unwrap();
    assert_problem(&director.post(&format!("/api/v1/duty-grants/{gid}/approve"), &json!({})).await, 403, "own_rights");
    // The requester withdraws it; a rejected or withdrawn request changes nothing.
    let withdrawn = sec.post(&format!("/api/v1/duty-grants/{gid}/reject"), &json!({ "note": "误操作" })).await;
    assert_eq!(withdrawn.json()["status"], "cancelled", "{}", withdrawn.text());
    assert_eq!(roles_of(&app, director_id).await, json!(["ops_director"]));

    // Taking a duty away needs the second person too; a reject leaves it in place.
    let take = sec.put(&format!("/api/v1/users/{clerk_id}/roles"), &json!({ "roles": ["auditor"] })).await;
    assert_eq!(take.status, 202);
    let tid = take.json()["id"].as_i64().unwrap();
    assert_problem(&clerk.post(&format!("/api/v1/duty-grants/{tid}/reject"), &json!({})).await, 403, "forbidden");
    let rejected = director.post(&format!("/api/v1/duty-grants/{tid}/reject"), &json!({ "note": "岗位未调整" })).await;
    assert_eq!((rejected.json()["status"].as_str(), rejected.json()["note"].as_str()), (Some("rejected"), Some("岗位未调整")));
    assert_eq!(roles_of(&app, clerk_id).await, json!(["audit_admin", "auditor"]));
    let _ = sec_id;
    app.stop().await;
}

#[tokio::test]
async fn a_grant_made_stale_by_a_later_change_is_not_applied() {
    let app = spawn_app().await;
    let ((_, sec), (_, director)) = asker_and_approver(&app).await;
    let (uid, _) = app.user_with_roles("someone", &["auditor"]).await;
    let g = sec.put(&format!("/api/v1/users/{uid}/roles"), &json!({ "roles": ["audit_admin"] })).await.json();
    // An ordinary change by the system administrator meanwhile.
    let ordinary = app.admin().put(&format!("/api/v1/users/{uid}/roles"), &json!({ "roles": ["auditor", "duty_officer"] })).await;
    assert_eq!(ordinary.status, 200, "{}", ordinary.text());
    let r = director.post(&format!("/api/v1/duty-grants/{}/approve", g["id"]), &json!({})).await;
    assert_problem(&r, 409, "grant_stale");
    assert_eq!(roles_of(&app, uid).await, json!(["auditor", "duty_officer"]));
    app.stop().await;
}

#[tokio::test]
async fn duty_roles_change_with_a_second_person_and_never_by_their_holders() {
    let app = spawn_app().await;
    let ((_, sec), (_, director)) = asker_and_approver(&app).await;
    let sec_role = role_id(&app, "security_admin").await;
    let current = sec.get(&format!("/api/v1/roles/{sec_role}")).await.json();
    // Renaming one's own role is fine; changing its rights is not.
    let renamed = sec
        .put(
            &format!("/api/v1/roles/{sec_role}"),
            &json!({ "name_en": "Security officer", "name_zh": "安全管理员", "permissions": current["permissions"] }),
        )
        .await;
    assert_eq!((renamed.status, renamed.json()["name_en"].as_str()), (200, Some("Security officer")), "{}", renamed.text());
    let fewer: Vec<Value> = current["permissions"].as_array().unwrap().iter().filter(|p| *p != "role:approve:all").cloned().collect();
    let r = sec
        .put(&format!("/api/v1/roles/{sec_role}"), &json!({ "name_en": "Security officer", "name_zh": "安全管理员", "permissions": fewer }))
        .await;
    assert_problem(&r, 403, "own_rights");

    // A custom role gains a duty only with a second person; its holders gain nothing before.
    let role = sec
        .post(
            "/api/v1/roles",
            &json!({ "key": "team_reader", "name_en": "Team reader", "name_zh": "处理组查看", "permissions": ["team:read:all"] }),
        )
        .await
        .json();
    let (_, reader) = app.user_with_roles("reader", &["team_reader"]).await;
    let armed = sec
        .put(
            &format!("/api/v1/roles/{}", role["id"]),
            &json!({ "name_en": "Team reader", "name_zh": "处理组查看", "permissions": ["team:read:all", "team:create:all"] }),
        )
        .await;
    assert_eq!(armed.status, 202, "{}", armed.text());
    assert_problem(&reader.post("/api/v1/teams", &json!({ "name": "新组" })).await, 403, "forbidden");
    let ok = director.post(&format!("/api/v1/duty-grants/{}/approve", armed.json()["id"]), &json!({})).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(sec.get(&format!("/api/v1/roles/{}", role["id"])).await.json()["duty"], "system");
    assert_eq!(reader.post("/api/v1/teams", &json!({ "name": "新组" })).await.status, 201);
    // A role whose holder already carries another duty cannot take on a second one.
    let desk = sec
        .post(
            "/api/v1/roles",
            &json!({ "key": "desk_reader", "name_en": "Desk reader", "name_zh": "服务台查看", "permissions": ["team:read:all"] }),
        )
        .await
        .json();
    app.user_with_roles("two.roles", &["desk_reader", "audit_admin"]).await;
    let clash = sec
        .put(
            &format!("/api/v1/roles/{}", desk["id"]),
            &json!({ "name_en": "Desk reader", "name_zh": "服务台查看", "permissions": ["team:read:all", "team:create:all"] }),
        )
        .await;
    assert_problem(&clash, 409, "separation_of_duties");
    app.stop().await;
}

/// One cell's answer, in the words of the matrix in the admin guide.
fn outcome(r: &yunwei_testkit::http::TestResponse) -> String {
    match r.status {
        202 => "pending".into(),
        200..=299 => "ok".into(),
        _ => r.json()["code"].as_str().unwrap_or("?").to_string(),
    }
}

/// Every cell of the account-management matrix (admin guide, "Separation of duties"):
/// four actors × four kinds of account × seven actions, through the API.
#[tokio::test]
async fn the_account_matrix_holds_cell_by_cell() {
    let app = spawn_app().await;
    let actors = [
        ("system", app.admin_session().await),
        ("security", person(&app, "sec.admin", &["security_admin"]).await.1),
        ("audit", person(&app, "audit.admin", &["audit_admin"]).await.1),
        ("director", person(&app, "director", &["ops_director"]).await.1),
    ];
    let targets = [
        ("ordinary", app.user_with_roles("t.ordinary", &["auditor"]).await.0),
        ("system", app.user_with_roles("t.system", &["system_admin"]).await.0),
        ("security", app.user_with_roles("t.security", &["security_admin"]).await.0),
        ("audit", app.user_with_roles("t.audit", &["audit_admin"]).await.0),
    ];
    // (actor, target) → outcomes of: edit profile, reset password, reset 2FA, issue token, disable, enable, change roles.
    let expected: &[(&str, &str, [&str; 7])] = &[
        ("system", "ordinary", ["ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
        (
            "system",
            "system",
            ["protected_account", "protected_account", "protected_account", "protected_account", "ok", "ok", "duty_grant_needs_security"],
        ),
        (
            "system",
            "security",
            [
                "protected_account",
                "protected_account",
                "protected_account",
                "protected_account",
                "protected_account",
                "protected_account",
                "duty_grant_needs_security",
            ],
        ),
        (
            "system",
            "audit",
            [
                "protected_account",
                "protected_account",
                "protected_account",
                "protected_account",
                "protected_account",
                "protected_account",
                "duty_grant_needs_security",
            ],
        ),
        ("security", "ordinary", ["forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "ok"]),
        ("security", "system", ["forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "pending"]),
        ("security", "security", ["forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "pending"]),
        ("security", "audit", ["forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "pending"]),
        ("audit", "ordinary", ["forbidden"; 7]),
        ("audit", "system", ["forbidden"; 7]),
        ("audit", "security", ["forbidden"; 7]),
        ("audit", "audit", ["forbidden"; 7]),
        ("director", "ordinary", ["forbidden"; 7]),
        ("director", "system", ["forbidden"; 7]),
        ("director", "security", ["forbidden"; 7]),
        ("director", "audit", ["forbidden"; 7]),
    ];
    let mut mismatches = Vec::new();
    for (actor_name, actor) in &actors {
        for (target_name, target) in &targets {
            let u = format!("/api/v1/users/{target}");
            let current = roles_of(&app, *target).await;
            let mut toggled: Vec<Value> = current.as_array().unwrap().iter().filter(|r| *r != "duty_officer").cloned().collect();
            if toggled.len() == current.as_array().unwrap().len() {
                toggled.push(json!("duty_officer"));
            }
            let answers = [
                actor.patch(&u, &json!({ "phone": "010-1234" })).await,
                actor.post(&format!("{u}/password-reset"), &json!({})).await,
                actor.delete(&format!("{u}/totp")).await,
                actor.post(&format!("{u}/tokens"), &json!({ "name": "matrix" })).await,
                actor.post(&format!("{u}/disable"), &json!({})).await,
                actor.post(&format!("{u}/enable"), &json!({})).await,
                actor.put(&format!("{u}/roles"), &json!({ "roles": toggled })).await,
            ];
            let got: Vec<String> = answers.iter().map(outcome).collect();
            let want = expected.iter().find(|(a, t, _)| a == actor_name && t == target_name).unwrap().2;
            if got != want {
                mismatches.push(format!("{actor_name} → {target_name}: got {got:?}, want {want:?}"));
            }
            // A request left pending would block the next cell's: the requester withdraws it.
            if answers[6].status == 202 {
                let id = answers[6].json()["id"].as_i64().unwrap();
                assert_eq!(actor.post(&format!("/api/v1/duty-grants/{id}/reject"), &json!({})).await.json()["status"], "cancelled");
            }
        }
    }
    assert!(mismatches.is_empty(), "matrix cells differ:\n{}", mismatches.join("\n"));
    app.stop().await;
}
