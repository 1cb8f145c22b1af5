use std::sync::Arc;
use yunwei_core::{CoreConfig, FixedClock};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{ADMIN_PASSWORD, Client, Options, spawn_app, spawn_app_with};

async fn login(app: &yunwei_testkit::TestApp, user: &str, password: &str) -> yunwei_testkit::TestResponse {
    app.anonymous().post("/api/v1/session", &serde_json::json!({ "username": user, "password": password })).await
}

/// A client carrying the session cookie and CSRF header of a sign-in response.
fn session_client(app: &yunwei_testkit::TestApp, r: &yunwei_testkit::TestResponse) -> Client {
    let cookie = r.header("set-cookie").expect("session cookie").split(';').next().expect("pair").to_string();
    let csrf = r.json()["csrf_token"].as_str().expect("csrf").to_string();
    app.anonymous().header("cookie", &cookie).header("x-csrf-token", &csrf)
}

#[tokio::test]
async fn sign_in_sets_a_hardened_cookie_and_the_session_works() {
    let app = spawn_app().await;
    let r = login(&app, "ADMIN", ADMIN_PASSWORD).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(r.json()["second_factor_required"], false);
    let s = session_client(&app, &r);
    let me = s.get("/api/v1/me").await;
    assert_eq!(me.json()["username"], "admin");
    assert!(me.json()["permissions"].as_array().unwrap().iter().any(|p| p == "user:create:all"));
    // A cookie-authenticated write without the CSRF header is refused.
    let no_csrf = app.anonymous().header("cookie", r.header("set-cookie").unwrap().split(';').next().unwrap());
    assert_problem(&no_csrf.post("/api/v1/teams", &serde_json::json!({ "name": "x" })).await, 403, "csrf_failed");
    assert_eq!(s.post("/api/v1/teams", &serde_json::json!({ "name": "网络组" })).await.status, 201);
    assert_eq!(s.delete("/api/v1/session").await.status, 204);
    assert_problem(&s.get("/api/v1/me").await, 401, "unauthenticated");
    app.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_notify_the_user() {
    let app = spawn_app().await;
    for _ in 0..4 {
        assert_problem(&login(&app, "admin", "wrong").await, 401, "bad_credentials");
    }
    let fifth = login(&app, "admin", "wrong").await;
    assert_problem(&fifth, 423, "account_locked");
    assert!(fifth.json()["locked_until"].as_i64().unwrap() > app.core.now_ms() + 29 * 60_000);
    // Even the right password is refused while locked.
    assert_problem(&login(&app, "admin", ADMIN_PASSWORD).await, 423, "account_locked");
    // Unknown users get the same answer as wrong passwords.
    assert_problem(&login(&app, "nobody", "x").await, 401, "bad_credentials");
    app.drain_outbox().await;
    let notes = app.admin().get("/api/v1/notifications").await.json();
    assert_eq!(notes["items"][0]["event_type"], "account.locked", "{notes}");
    assert!(notes["items"][0]["body"].as_str().unwrap().contains('5'));
    let (_, auditor) = app.user_with_roles("audit.admin", &["audit_admin"]).await;
    let audit = auditor.get("/api/v1/audit-events?action=login_failed").await.json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 7, "every failed sign-in is audited");
    app.stop().await;
}

#[tokio::test]
async fn sessions_end_after_idle_timeout_and_absolute_lifetime() {
    let clock = Arc::new(FixedClock::new(1_800_000_000_000));
    let app = spawn_app_with(Options { clock: Some(clock.clone()), ..Default::default() }).await;
    let s = session_client(&app, &login(&app, "admin", ADMIN_PASSWORD).await);
    clock.advance_ms(29 * 60_000);
    assert_eq!(s.get("/api/v1/me").await.status, 200, "activity within 30 min keeps it alive");
    clock.advance_ms(29 * 60_000);
    assert_eq!(s.get("/api/v1/me").await.status, 200);
    clock.advance_ms(31 * 60_000);
    assert_problem(&s.get("/api/v1/me").await, 401, "unauthenticated");
    let s = session_client(&app, &login(&app, "admin", ADMIN_PASSWORD).await);
    for _ in 0..25 {
        clock.advance_ms(29 * 60_000);
        let _ = s.get("/api/v1/me").await;
    }
    assert_problem(&s.get("/api/v1/me").await, 401, "unauthenticated");
    app.stop().await;
}

#[tokio::test]
async fn totp_enrolment_second_factor_and_recovery_codes() {
    let app = spawn_app().await;
    let (_, user) = app.user_with_roles("li.si", &["system_engineer"]).await;
    let s = session_client(&app, &login(&app, "li.si", ADMIN_PASSWORD).await);
    // Tokens may not enrol on behalf of a person: the session does.
    let begin = s.post("/api/v1/me/totp", &serde_json::json!({})).await;
    assert_eq!(begin.status, 200, "{}", begin.text());
    let b = begin.json();
    assert!(b["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/Yunwei:li.si?secret="));
    assert!(b["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = yunwei_core::totp::base32_decode(b["secret"].as_str().unwrap()).unwrap();
    let step = app.core.now_ms() / 30_000;
    assert_problem(&s.post("/api/v1/me/totp/confirm", &serde_json::json!({ "code": "000000" })).await, 401, "bad_second_factor");
    let codes = s.post("/api/v1/me/totp/confirm", &serde_json::json!({ "code": yunwei_core::totp::code_at(&secret, step) })).await;
    assert_eq!(codes.status, 200, "{}", codes.text());
    let recovery: Vec<String> =
        codes.json()["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(recovery.len(), 10);

    let first = login(&app, "li.si", ADMIN_PASSWORD).await;
    assert_eq!(first.json()["second_factor_required"], true);
    let pending = session_client(&app, &first);
    assert_problem(&pending.get("/api/v1/me").await, 401, "unauthenticated");
    // The code just used for enrolment cannot be replayed.
    assert_problem(
        &pending.post("/api/v1/session/second-factor", &serde_json::json!({ "code": yunwei_core::totp::code_at(&secret, step) })).await,
        401,
        "bad_second_factor",
    );
    assert_eq!(pending.post("/api/v1/session/second-factor", &serde_json::json!({ "code": recovery[0] })).await.status, 204);
    assert_eq!(pending.get("/api/v1/me").await.status, 200);
    // A recovery code works once.
    let again = session_client(&app, &login(&app, "li.si", ADMIN_PASSWORD).await);
    assert_problem(
        &again.post("/api/v1/session/second-factor", &serde_json::json!({ "code": recovery[0] })).await,
        401,
        "bad_second_factor",
    );
    drop(user);
    app.stop().await;
}

#[tokio::test]
async fn role_requiring_totp_confines_the_user_to_enrolment() {
    let app = spawn_app().await;
    let (id, _) = app.user_with_roles("wang.wu", &["duty_officer"]).await;
    let role =
        app.admin().get("/api/v1/roles").await.json().as_array().unwrap().iter().find(|r| r["key"] == "duty_officer").unwrap().clone();
    let mut perms: Vec<String> = role["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    perms.sort();
    let sec = app.user_with_roles("sec.admin", &["security_admin"]).await.1;
    let r = sec
        .put(
            &format!("/api/v1/roles/{}", role["id"]),
            &serde_json::json!({ "name_en": "Duty officer", "name_zh": "值班人员", "require_totp": true, "permissions": perms }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let s = session_client(&app, &login(&app, "wang.wu", ADMIN_PASSWORD).await);
    assert_problem(&s.get("/api/v1/teams").await, 403, "totp_enrolment_required");
    assert_eq!(s.get("/api/v1/me").await.json()["must_enrol_totp"], true);
    assert_eq!(s.post("/api/v1/me/totp", &serde_json::json!({})).await.status, 200);
    let _ = id;
    app.stop().await;
}

#[tokio::test]
async fn api_tokens_are_scoped_revocable_and_die_with_their_user() {
    let app = spawn_app().await;
    let (user_id, _) = app.user_with_roles("ops.bot", &["ops_manager"]).await;
    let admin = app.admin_session().await;
    let created = admin
        .post(
            &format!("/api/v1/users/{user_id}/tokens"),
            &serde_json::json!({ "name": "只读集成", "scopes": ["read"], "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let secret = created.json()["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("yw_") && secret.len() == 67);
    let listed = app.admin().get(&format!("/api/v1/users/{user_id}/tokens")).await.json();
    assert!(!listed.to_string().contains(&secret[3..]), "the secret is never shown again");
    let read_only = app.anonymous().bearer(&secret);
    assert_eq!(read_only.get("/api/v1/teams").await.status, 200);
    assert_problem(&read_only.post("/api/v1/teams", &serde_json::json!({ "name": "x" })).await, 403, "forbidden");
    let used = app.admin().get(&format!("/api/v1/users/{user_id}/tokens")).await.json();
    assert!(used.as_array().unwrap().iter().any(|t| t["last_used_at"].is_i64()), "last use is recorded: {used}");
    assert_problem(
        &admin.post(&format!("/api/v1/users/{user_id}/tokens"), &serde_json::json!({ "name": "x", "scopes": ["bogus:*"] })).await,
        422,
        "validation_failed",
    );

    // Disabling the user ends every token at once.
    let full = admin.post(&format!("/api/v1/users/{user_id}/tokens"), &serde_json::json!({ "name": "全部" })).await.json()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let full = app.anonymous().bearer(&full);
    assert_eq!(full.get("/api/v1/me").await.status, 200);
    let s = session_client(&app, &login(&app, "ops.bot", ADMIN_PASSWORD).await);
    assert_eq!(app.admin().post(&format!("/api/v1/users/{user_id}/disable"), &serde_json::json!({})).await.status, 200);
    assert_problem(&full.get("/api/v1/me").await, 401, "unauthenticated");
    assert_problem(&read_only.get("/api/v1/teams").await, 401, "unauthenticated");
    assert_problem(&s.get("/api/v1/me").await, 401, "unauthenticated");
    assert_problem(&login(&app, "ops.bot", ADMIN_PASSWORD).await, 403, "account_disabled");
    // A token cannot mint tokens, for itself or for anyone else.
    assert_problem(&app.admin().post("/api/v1/me/tokens", &serde_json::json!({ "name": "temp" })).await, 403, "forbidden");
    assert_problem(
        &app.admin().post(&format!("/api/v1/users/{user_id}/tokens"), &serde_json::json!({ "name": "temp" })).await,
        403,
        "forbidden",
    );
    // A new token's secret is never kept for idempotent replay: the retry learns it was made
    // (naming the token), and no second token is created.
    let keyed = admin.clone().header("idempotency-key", "token-once-1");
    let first = keyed.post("/api/v1/me/tokens", &serde_json::json!({ "name": "keyed" })).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let second = keyed.post("/api/v1/me/tokens", &serde_json::json!({ "name": "keyed" })).await;
    assert_problem(&second, 409, "idempotent_request_applied");
    assert!(!second.text().contains(first.json()["secret"].as_str().unwrap()), "the secret is never kept");
    assert_eq!(second.json()["object_type"], "api_token");
    assert_eq!(second.json()["object_id"].as_str(), Some(first.json()["id"].to_string().as_str()));
    let named: Vec<serde_json::Value> =
        admin.get("/api/v1/me/tokens").await.json().as_array().unwrap().iter().filter(|t| t["name"] == "keyed").cloned().collect();
    assert_eq!(named.len(), 1, "made once");
    // The owner revokes with a session; the revoked token stops at once.
    let mine = admin.post("/api/v1/me/tokens", &serde_json::json!({ "name": "temp" })).await.json();
    let temp = app.anonymous().bearer(mine["secret"].as_str().unwrap());
    assert_eq!(temp.get("/api/v1/me").await.status, 200);
    assert_eq!(admin.delete(&format!("/api/v1/me/tokens/{}", mine["id"])).await.status, 204);
    assert_problem(&temp.get("/api/v1/me").await, 401, "unauthenticated");
    assert_problem(&admin.delete(&format!("/api/v1/me/tokens/{}", mine["id"])).await, 409, "token_already_revoked");
    app.stop().await;
}

#[tokio::test]
async fn password_policy_history_and_forced_change() {
    let app = spawn_app().await;
    let created = app
        .admin()
        .post("/api/v1/users", &serde_json::json!({ "username": "zhao.liu", "display_name": "赵六", "roles": ["system_engineer"] }))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let initial = created.json()["initial_password"].as_str().unwrap().to_string();
    let s = session_client(&app, &login(&app, "zhao.liu", &initial).await);
    assert_problem(&s.get("/api/v1/teams").await, 403, "password_change_required");
    let weak = s.post("/api/v1/me/password", &serde_json::json!({ "current_password": initial, "new_password": "abcdefgh" })).await;
    assert_problem(&weak, 422, "weak_password");
    assert_eq!(weak.json()["errors"][0]["code"], "password_too_few_classes");
    let reused = s.post("/api/v1/me/password", &serde_json::json!({ "current_password": initial, "new_password": initial })).await;
    assert_eq!(reused.json()["errors"][0]["code"], "password_reused", "{}", reused.text());
    let wrong = s.post("/api/v1/me/password", &serde_json::json!({ "current_password": "nope", "new_password": "Zl#2026-ops" })).await;
    assert_problem(&wrong, 422, "validation_failed");
    assert_eq!(
        s.post("/api/v1/me/password", &serde_json::json!({ "current_password": initial, "new_password": "Zl#2026-ops" })).await.status,
        204
    );
    assert_eq!(s.get("/api/v1/teams").await.status, 200, "the session that changed it lives on");
    app.stop().await;
}

#[tokio::test]
async fn asvs_profile_is_selectable() {
    let config = CoreConfig { password_profile: yunwei_domain::auth::PasswordProfile::Asvs, ..Default::default() };
    let app = spawn_app_with(Options { config: Some(config), ..Default::default() }).await;
    let short =
        app.admin().post("/api/v1/users", &serde_json::json!({ "username": "a1", "display_name": "A", "password": "Ab1!defg" })).await;
    assert_problem(&short, 422, "validation_failed");
    assert_eq!(short.json()["errors"][0]["code"], "password_too_short");
    let ok = app
        .admin()
        .post("/api/v1/users", &serde_json::json!({ "username": "a2", "display_name": "A", "password": "correct horse battery staple" }))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text());
    app.stop().await;
}
