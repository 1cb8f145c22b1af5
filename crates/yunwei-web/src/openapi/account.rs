//! Operations of signing in, one's own account and notifications.

use super::Method::*;
use super::Op;
use super::frag::Tag;
use crate::api::{me, notify, session};
use serde_json::json;

const SESSION: Tag = Tag("session");
const ME: Tag = Tag("me");
const NOTIFICATIONS: Tag = Tag("notifications");

pub(super) fn ops() -> Vec<Op> {
    vec![
        SESSION
            .create("/api/v1/session", session::login, "Sign in; sets the session cookie and returns the CSRF token", "SessionCreated")
            .body("Login", || json!({"username": "zhangsan", "password": "Abc123!x"}))
            .public()
            // 401 bad_credentials; 403 account_disabled; 422 a body that is not a login; 429 too_many_attempts.
            .errors(&[401, 403, 422, 429]),
        SESSION
            .op(Post, "/api/v1/session/second-factor", session::second_factor, "Complete sign-in with a TOTP or recovery code", (204, None))
            .body("Code", || json!({"code": "123456"}))
            .public()
            // 401 bad_second_factor, or no sign-in waiting for a second factor; 429 too_many_attempts.
            .errors(&[401, 422, 429]),
        SESSION.delete("/api/v1/session", session::logout, "Sign out"),
        ME.get("/api/v1/me", me::get_me, "The signed-in user and their permissions", "Me"),
        ME.patch("/api/v1/me", me::patch_me, "Change language and time zone", "UserView")
            .body("MePatch", || json!({"locale": "en", "time_zone": "Asia/Shanghai"})),
        ME.op(Post, "/api/v1/me/password", me::change_password, "Change the password (session only); other sessions end", (204, None))
            .body("PasswordChange", || json!({"current_password": "Old#Pass1", "new_password": "New#Pass2026"}))
            .errors(&[429]),
        ME.get("/api/v1/me/tokens", me::list_tokens, "My API tokens", "ApiTokenList"),
        ME.create("/api/v1/me/tokens", me::create_token, "Create an API token (the secret is shown once)", "CreatedToken")
            .body("NewToken", || json!({"name": "监控集成", "scopes": ["user:read", "team:*"], "expires_in_days": 90})),
        ME.delete("/api/v1/me/tokens/{id}", me::revoke_token, "Revoke one of my tokens").errors(&[409]),
        ME.post(
            "/api/v1/me/totp",
            me::begin_totp,
            "Start TOTP enrolment (session only, current password again): secret, otpauth URI, QR code",
            "TotpEnrolment",
        )
        .body("Reauth", || json!({"password": "Current#Pass2026"}))
        .errors(&[429]),
        ME.post("/api/v1/me/totp/confirm", me::confirm_totp, "Confirm TOTP with a code; returns recovery codes once", "RecoveryCodes")
            .body("Code", || json!({"code": "123456"})),
        ME.delete("/api/v1/me/totp", me::disable_totp, "Turn TOTP off with a current code").body("Code", || json!({"code": "123456"})),
        NOTIFICATIONS.get("/api/v1/me/notification-preferences", notify::get_preferences, "My notification preferences", "PreferenceList"),
        NOTIFICATIONS
            .put("/api/v1/me/notification-preferences", notify::put_preferences, "Set notification preferences", "PreferenceList")
            .body("PreferenceInputList", || json!([{"event_type": "user.roles_changed", "channel": "email", "enabled": false}])),
        NOTIFICATIONS
            .get(
                "/api/v1/notifications",
                notify::list,
                "My in-app notifications, newest first, worded from the event in my language (as the bell)",
                "NotificationPage",
            )
            .query(&[("unread", "boolean", "only unread"), ("limit", "integer", "1–200"), ("cursor", "string", "next page")]),
        NOTIFICATIONS.get(
            "/api/v1/notifications/unread-count",
            notify::unread_count,
            "Unread notification count (the bell)",
            "UnreadCount",
        ),
        NOTIFICATIONS.post("/api/v1/notifications/read-all", notify::read_all, "Mark all my notifications read", "Marked"),
        NOTIFICATIONS.op(Post, "/api/v1/notifications/{id}/read", notify::read_one, "Mark one notification read", (204, None)),
        NOTIFICATIONS.get(
            "/api/v1/notification-templates",
            notify::list_templates,
            "Notification templates per event and language",
            "TemplateList",
        ),
        NOTIFICATIONS
            .put(
                "/api/v1/notification-templates/{event}/{locale}",
                notify::put_template,
                "Replace a template (minijinja; checked by rendering)",
                "Template",
            )
            .body(
                "TemplateInput",
                || json!({"subject": "【运维平台】账号已锁定", "body": "{{ user.display_name }}，您好：账号已于 {{ time }} 锁定。"}),
            ),
        NOTIFICATIONS
            .get("/api/v1/deliveries/dead", notify::dead_letters, "Dead letters: deliveries and events that gave up", "DeadLetters")
            .query(&[("limit", "integer", "1–200"), ("cursor", "string", "next page")]),
        NOTIFICATIONS
            .op(Post, "/api/v1/deliveries/{id}/retry", notify::retry_delivery, "Queue a dead delivery again", (202, None))
            .errors(&[409]),
        NOTIFICATIONS.op(Post, "/api/v1/outbox/{id}/retry", notify::retry_event, "Queue a dead outbox event again", (202, None)),
    ]
}
