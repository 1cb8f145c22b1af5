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

/// A client whose requests come from `address` (the server trusts its proxy's X-Forwarded-For).
fn from(app: &yunwei_testkit::TestApp, address: &str) -> Client {
    app.anonymous().header("x-forwarded-for", address)
}

async fn sign_in(client: &Client, user: &str, password: &str) -> yunwei_testkit::TestResponse {
    client.post("/api/v1/session", &serde_json::json!({ "username": user, "password": password })).await
}

fn behind_proxy() -> Options {
    Options { web: Some(yunwei_web::WebConfig { trust_proxy_headers: true, ..Default::default() }), ..Default::default() }
}

#[tokio::test]
async fn repeated_failures_hold_back_that_address_only_and_notify_the_user() {
    let app = spawn_app_with(behind_proxy()).await;
    let attacker = from(&app, "203.0.113.7");
    for _ in 0..4 {
        assert_problem(&sign_in(&attacker, "admin", "wrong").await, 401, "bad_credentials");
    }
    let fifth = sign_in(&attacker, "admin", "wrong").await;
    assert_problem(&fifth, 429, "too_many_attempts");
    let wait: i64 = fifth.header("retry-after").unwrap().parse().unwrap();
    assert!((1700..=1800).contains(&wait), "held back for the lock period: {wait}");
    assert_eq!(fifth.json()["retry_after"], wait);
    // Even the right password is refused from that address while it is held back…
    assert_problem(&sign_in(&attacker, "admin", ADMIN_PASSWORD).await, 429, "too_many_attempts");
    // …but the real administrator, elsewhere, is not locked out by someone else's guessing.
    assert_eq!(sign_in(&from(&app, "198.51.100.20"), "admin", ADMIN_PASSWORD).await.status, 201);
    app.drain_outbox().await;
    let notes = app.admin().get("/api/v1/notifications").await.json();
    assert_eq!(notes["items"][0]["event_type"], "account.locked", "{notes}");
    assert!(notes["items"][0]["body"].as_str().unwrap().contains("203.0.113.7"), "the owner learns where from: {notes}");
    let (_, auditor) = app.user_with_roles("audit.admin", &["audit_admin"]).await;
    let audit = auditor.get("/api/v1/audit-events?action=login_failed").await.json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 6, "every failed or held-back sign-in is audited");
    app.stop().await;
}

#[tokio::test]
async fn unknown_and_known_names_get_the_same_answers() {
    let app = spawn_app_with(behind_proxy()).await;
    let probe = |name: &'static str, address: &'static str| {
        let client = from(&app, address);
        async move {
            let mut answers = Vec::new();
            for _ in 0..6 {
                let r = sign_in(&client, name, "wrong").await;
                answers.push((r.status, r.json()["code"].as_str().unwrap_or_default().to_string()));
            }
            answers
        }
    };
    let known = probe("admin", "203.0.113.8").await;
    let unknown = probe("no.such.user", "203.0.113.9").await;
    assert_eq!(known, unknown, "a guesser cannot tell which names exist");
    assert_eq!(known.last().unwrap(), &(429, "too_many_attempts".to_string()));
    app.stop().await;
}

#[tokio::test]
async fn an_address_trying_many_names_is_slowed_down() {
    let app = spawn_app_with(behind_proxy()).await;
    let sprayer = from(&app, "203.0.113.10");
    // Four failures each for five names: no single name reaches its lock…
    for n in 0..5 {
        for _ in 0..4 {
            let r = sign_in(&sprayer, &format!("user{n}"), "Spring2026!").await;
            assert!(r.status == 401 || r.status == 429, "{}", r.text());
        }
    }
    // …but the address, at twenty failures, must now wait, whatever name it tries.
    let next = sign_in(&sprayer, "admin", ADMIN_PASSWORD).await;
    assert_problem(&next, 429, "too_many_attempts");
    assert_eq!(sign_in(&from(&app, "198.51.100.21"), "admin", ADMIN_PASSWORD).await.status, 201, "other addresses are not affected");
    app.stop().await;
}

#[tokio::test]
async fn a_session_cannot_guess_the_current_password_without_limit() {
    let app = spawn_app().await;
    app.user_with_roles("wang.er", &["system_engineer"]).await;
    let s = session_client(&app, &login(&app, "wang.er", ADMIN_PASSWORD).await);
    let body = |current: &str| serde_json::json!({ "current_password": current, "new_password": "Kx7#vQ2m!Lp9zR" });
    for _ in 0..4 {
        let r = s.post("/api/v1/me/password", &body("guess")).await;
        assert_problem(&r, 422, "validation_failed");
        assert_eq!(r.json()["errors"][0]["code"], "wrong_password");
    }
    assert_problem(&s.post("/api/v1/me/password", &body("guess")).await, 429, "too_many_attempts");
    // Held back: even the right password waits now.
    assert_problem(&s.post("/api/v1/me/password", &body(ADMIN_PASSWORD)).await, 429, "too_many_attempts");
    app.stop().await;
}

#[tokio::test]
async fn tokens_honour_their_scope_on_self_service() {
    let app = spawn_app().await;
    let (uid, _) = app.user_with_roles("zhao.liu", &["system_engineer"]).await;
    let s = session_client(&app, &login(&app, "zhao.liu", ADMIN_PASSWORD).await);
    let read = s.post("/api/v1/me/tokens", &serde_json::json!({ "name": "只读", "scopes": ["read"] })).await.json();
    let read_only = app.anonymous().bearer(read["secret"].as_str().unwrap());
    let full = s.post("/api/v1/me/tokens", &serde_json::json!({ "name": "全部" })).await.json();
    let full = app.anonymous().bearer(full["secret"].as_str().unwrap());
    // A leaked read-only token changes nothing about its owner's account.
    assert_problem(&read_only.post("/api/v1/me/totp", &serde_json::json!({ "password": ADMIN_PASSWORD })).await, 403, "forbidden");
    let pw = serde_json::json!({ "current_password": ADMIN_PASSWORD, "new_password": "Kx7#vQ2m!Lp9zR" });
    assert_problem(&read_only.post("/api/v1/me/password", &pw).await, 403, "forbidden");
    assert_problem(&read_only.patch("/api/v1/me", &serde_json::json!({ "locale": "en" })).await, 403, "forbidden");
    assert_problem(
        &read_only
            .put(
                "/api/v1/me/notification-preferences",
                &serde_json::json!([{ "event_type": "password.changed", "channel": "email", "enabled": false }]),
            )
            .await,
        403,
        "forbidden",
    );
    assert_problem(&read_only.delete(&format!("/api/v1/me/tokens/{}", read["id"])).await, 403, "forbidden");
    // Even a full token changes no password or second factor: those need a person in a session.
    assert_problem(&full.post("/api/v1/me/password", &pw).await, 403, "forbidden");
    assert_eq!(full.patch("/api/v1/me", &serde_json::json!({ "locale": "en" })).await.status, 200);
    assert_eq!(app.admin().get(&format!("/api/v1/users/{uid}")).await.json()["locale"], "en");
    assert_eq!(login(&app, "zhao.liu", ADMIN_PASSWORD).await.status, 201, "the password is unchanged");
    app.stop().await;
}

#[tokio::test]
async fn guessable_passwords_are_refused() {
    let app = spawn_app().await;
    app.user_with_roles("qian.qi", &["system_engineer"]).await;
    let s = session_client(&app, &login(&app, "qian.qi", ADMIN_PASSWORD).await);
    for weak in ["Abcdef1!", "Password123!", "Qwerty@123456"] {
        let r = s.post("/api/v1/me/password", &serde_json::json!({ "current_password": ADMIN_PASSWORD, "new_password": weak })).await;
        assert_problem(&r, 422, "weak_password");
        let codes: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap().to_string()).collect();
        assert!(codes.iter().any(|c| c == "password_guessable" || c == "password_common"), "{weak}: {codes:?}");
    }
    let ok = s
        .post("/api/v1/me/password", &serde_json::json!({ "current_password": ADMIN_PASSWORD, "new_password": "瀑布-Lantern-47-Orbit" }))
        .await;
    assert_eq!(ok.status, 204, "{}", ok.text());
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
    // Activity every 29 min keeps it alive until the absolute lifetime (12 h): 24 × 29 min =
    // 11 h 36 min is within it, the 25th step (12 h 05 min) is past it.
    let mut statuses = Vec::new();
    for _ in 0..25 {
        clock.advance_ms(29 * 60_000);
        statuses.push(s.get("/api/v1/me").await.status);
    }
    let mut expected = vec![200; 24];
    expected.push(401);
    assert_eq!(statuses, expected, "alive while active, ended at 12 h however active");
    assert_problem(&s.get("/api/v1/me").await, 401, "unauthenticated");
    app.stop().await;
}

#[tokio::test]
async fn totp_enrolment_second_factor_and_recovery_codes() {
    let app = spawn_app().await;
    let (_, user) = app.user_with_roles("li.si", &["system_engineer"]).await;
    let s = session_client(&app, &login(&app, "li.si", ADMIN_PASSWORD).await);
    // Tokens may not enrol on behalf of a person, even a token with every scope: the session
    // does, after the current password again.
    assert_problem(&user.post("/api/v1/me/totp", &serde_json::json!({ "password": ADMIN_PASSWORD })).await, 403, "forbidden");
    let wrong = s.post("/api/v1/me/totp", &serde_json::json!({ "password": "not-it" })).await;
    assert_problem(&wrong, 422, "validation_failed");
    assert_eq!(wrong.json()["errors"][0]["field"], "password");
    let begin = s.post("/api/v1/me/totp", &serde_json::json!({ "password": ADMIN_PASSWORD })).await;
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
    assert_eq!(s.post("/api/v1/me/totp", &serde_json::json!({ "password": ADMIN_PASSWORD })).await.status, 200);
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

#[tokio::test]
async fn a_first_start_as_shipped_asks_the_administrator_for_a_new_password_and_a_second_factor() {
    let app = spawn_app_with(Options { first_start_as_shipped: true, ..Default::default() }).await;
    // The password came from YUNWEI_ADMIN_PASSWORD: it is changed at the first sign-in all the same.
    let first = app.admin_session().await;
    assert_problem(&first.get("/api/v1/teams").await, 403, "password_change_required");
    let changed = first
        .post("/api/v1/me/password", &serde_json::json!({ "current_password": ADMIN_PASSWORD, "new_password": "Kx7#vQ2m!Lp9zR" }))
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text());
    // The three administrator roles require a second factor; ordinary roles do not.
    let again = app.session("admin", "Kx7#vQ2m!Lp9zR").await;
    assert_problem(&again.get("/api/v1/teams").await, 403, "totp_enrolment_required");
    let roles = app.admin().get("/api/v1/roles").await.json();
    let requires = |key: &str| roles.as_array().unwrap().iter().find(|r| r["key"] == key).unwrap()["require_totp"].clone();
    for key in ["system_admin", "security_admin", "audit_admin"] {
        assert_eq!(requires(key), true, "{key}");
    }
    for key in ["ops_director", "network_engineer", "business_user"] {
        assert_eq!(requires(key), false, "{key}");
    }
    app.stop().await;
}
