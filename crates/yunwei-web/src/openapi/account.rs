//! Operations of signing in, one's own account and notifications.

use super::Method::*;
use super::{Op, e, op, q, with_body};
use crate::api::{me, notify, session};
use serde_json::json;

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op {
            public: true,
            // 401 bad_credentials; 403 account_disabled; 422 a body that is not a login; 429 too_many_attempts.
            errors: &[401, 403, 422, 429],
            ..with_body(
                op(
                    Post,
                    "/api/v1/session",
                    session::login,
                    "session",
                    "Sign in; sets the session cookie and returns the CSRF token",
                    (201, Some("SessionCreated")),
                ),
                "Login",
                || json!({"username": "zhangsan", "password": "Abc123!x"}),
            )
        },
        Op {
            public: true,
            // 401 bad_second_factor, or no sign-in waiting for a second factor; 429 too_many_attempts.
            errors: &[401, 422, 429],
            ..with_body(
                op(
                    Post,
                    "/api/v1/session/second-factor",
                    session::second_factor,
                    "session",
                    "Complete sign-in with a TOTP or recovery code",
                    (204, None),
                ),
                "Code",
                || json!({"code": "123456"}),
            )
        },
        op(Delete, "/api/v1/session", session::logout, "session", "Sign out", (204, None)),
        op(Get, "/api/v1/me", me::get_me, "me", "The signed-in user and their permissions", (200, Some("Me"))),
        with_body(
            op(Patch, "/api/v1/me", me::patch_me, "me", "Change language and time zone", (200, Some("UserView"))),
            "MePatch",
            || json!({"locale": "en", "time_zone": "Asia/Shanghai"}),
        ),
        Op {
            errors: &[422, 429],
            ..with_body(
                op(
                    Post,
                    "/api/v1/me/password",
                    me::change_password,
                    "me",
                    "Change the password (session only); other sessions end",
                    (204, None),
                ),
                "PasswordChange",
                || json!({"current_password": "Old#Pass1", "new_password": "New#Pass2026"}),
            )
        },
        op(Get, "/api/v1/me/tokens", me::list_tokens, "me", "My API tokens", (200, Some("ApiTokenList"))),
        with_body(
            op(
                Post,
                "/api/v1/me/tokens",
                me::create_token,
                "me",
                "Create an API token (the secret is shown once)",
                (201, Some("CreatedToken")),
            ),
            "NewToken",
            || json!({"name": "监控集成", "scopes": ["user:read", "team:*"], "expires_in_days": 90}),
        ),
        e(op(Delete, "/api/v1/me/tokens/{id}", me::revoke_token, "me", "Revoke one of my tokens", (204, None)), &[404, 409]),
        Op {
            errors: &[409, 422, 429],
            ..with_body(
                op(
                    Post,
                    "/api/v1/me/totp",
                    me::begin_totp,
                    "me",
                    "Start TOTP enrolment (session only, current password again): secret, otpauth URI, QR code",
                    (200, Some("TotpEnrolment")),
                ),
                "Reauth",
                || json!({"password": "Current#Pass2026"}),
            )
        },
        Op {
            errors: &[409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/me/totp/confirm",
                    me::confirm_totp,
                    "me",
                    "Confirm TOTP with a code; returns recovery codes once",
                    (200, Some("RecoveryCodes")),
                ),
                "Code",
                || json!({"code": "123456"}),
            )
        },
        with_body(
            op(Delete, "/api/v1/me/totp", me::disable_totp, "me", "Turn TOTP off with a current code", (204, None)),
            "Code",
            || json!({"code": "123456"}),
        ),
        op(
            Get,
            "/api/v1/me/notification-preferences",
            notify::get_preferences,
            "notifications",
            "My notification preferences",
            (200, Some("PreferenceList")),
        ),
        with_body(
            op(
                Put,
                "/api/v1/me/notification-preferences",
                notify::put_preferences,
                "notifications",
                "Set notification preferences",
                (200, Some("PreferenceList")),
            ),
            "PreferenceInputList",
            || json!([{"event_type": "user.roles_changed", "channel": "email", "enabled": false}]),
        ),
        q(
            op(
                Get,
                "/api/v1/notifications",
                notify::list,
                "notifications",
                "My in-app notifications, newest first, worded from the event in my language (as the bell)",
                (200, Some("NotificationPage")),
            ),
            &[("unread", "boolean", "only unread"), ("limit", "integer", "1–200"), ("cursor", "string", "next page")],
        ),
        op(
            Get,
            "/api/v1/notifications/unread-count",
            notify::unread_count,
            "notifications",
            "Unread notification count (the bell)",
            (200, Some("UnreadCount")),
        ),
        op(
            Post,
            "/api/v1/notifications/read-all",
            notify::read_all,
            "notifications",
            "Mark all my notifications read",
            (200, Some("Marked")),
        ),
        e(
            op(Post, "/api/v1/notifications/{id}/read", notify::read_one, "notifications", "Mark one notification read", (204, None)),
            &[404],
        ),
        op(
            Get,
            "/api/v1/notification-templates",
            notify::list_templates,
            "notifications",
            "Notification templates per event and language",
            (200, Some("TemplateList")),
        ),
        e(
            with_body(
                op(
                    Put,
                    "/api/v1/notification-templates/{event}/{locale}",
                    notify::put_template,
                    "notifications",
                    "Replace a template (minijinja; checked by rendering)",
                    (200, Some("Template")),
                ),
                "TemplateInput",
                || json!({"subject": "【运维平台】账号已锁定", "body": "{{ user.display_name }}，您好：账号已于 {{ time }} 锁定。"}),
            ),
            &[404, 422],
        ),
        q(
            op(
                Get,
                "/api/v1/deliveries/dead",
                notify::dead_letters,
                "notifications",
                "Dead letters: deliveries and events that gave up",
                (200, Some("DeadLetters")),
            ),
            &[("limit", "integer", "1–200"), ("cursor", "string", "next page")],
        ),
        e(
            op(Post, "/api/v1/deliveries/{id}/retry", notify::retry_delivery, "notifications", "Queue a dead delivery again", (202, None)),
            &[404, 409],
        ),
        e(
            op(Post, "/api/v1/outbox/{id}/retry", notify::retry_event, "notifications", "Queue a dead outbox event again", (202, None)),
            &[404],
        ),
    ]
}
