//! The OpenAPI 3.1 document, written by hand from one table of operations so
//! that it stays small to compile; a test checks it against the router.

mod duty_grant;
mod major;
mod request;
mod satisfaction;
mod service_desk;
mod webhook;

use axum::Json;
use serde_json::{Value, json};

/// A request body: schema name and a function giving its example.
type Body = (&'static str, fn() -> Value);

struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    /// Request body schema name and example.
    body: Option<Body>,
    /// Success status and response schema name (None: no body).
    ok: (u16, Option<&'static str>),
    query: &'static [(&'static str, &'static str, &'static str)],
    /// A 202 answer's schema, where the change may wait for a second person.
    accepted: Option<&'static str>,
    /// The body is a file (any Content-Type), not JSON.
    file_body: bool,
    /// Error statuses besides 400/401/403/500, which every operation can answer.
    errors: &'static [u16],
    public: bool,
}

const PAGE_Q: [(&str, &str, &str); 3] = [
    ("limit", "integer", "1–200, default 50"),
    ("cursor", "string", "`next_cursor` of the previous page"),
    ("sort", "string", "the list's sort key, `-key` for descending"),
];

fn op(method: &'static str, path: &'static str, tag: &'static str, summary: &'static str, ok: (u16, Option<&'static str>)) -> Op {
    Op { method, path, tag, summary, body: None, ok, query: &[], accepted: None, file_body: false, errors: &[], public: false }
}

fn with_body(mut o: Op, schema: &'static str, ex: fn() -> Value) -> Op {
    o.body = Some((schema, ex));
    o.errors = &[422];
    o
}

fn q(mut o: Op, query: &'static [(&'static str, &'static str, &'static str)]) -> Op {
    o.query = query;
    o
}

/// An upload: the body is the file itself.
fn file(mut o: Op) -> Op {
    o.file_body = true;
    o
}

fn e(mut o: Op, errors: &'static [u16]) -> Op {
    o.errors = errors;
    o
}

fn ops() -> Vec<Op> {
    let mut all = foundation_ops();
    all.extend(service_desk::ops());
    all.extend(major::ops());
    all.extend(duty_grant::ops());
    all.extend(request::ops());
    all.extend(satisfaction::ops());
    all.extend(webhook::ops());
    all
}

fn foundation_ops() -> Vec<Op> {
    vec![
        Op {
            public: true,
            // 401 bad_credentials; 422 a body that is not a login; 429 too_many_attempts.
            errors: &[401, 422, 429],
            ..with_body(
                op(
                    "post",
                    "/api/v1/session",
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
                op("post", "/api/v1/session/second-factor", "session", "Complete sign-in with a TOTP or recovery code", (204, None)),
                "Code",
                || json!({"code": "123456"}),
            )
        },
        op("delete", "/api/v1/session", "session", "Sign out", (204, None)),
        op("get", "/api/v1/me", "me", "The signed-in user and their permissions", (200, Some("Me"))),
        with_body(
            op("patch", "/api/v1/me", "me", "Change language and time zone", (200, Some("UserView"))),
            "MePatch",
            || json!({"locale": "en", "time_zone": "Asia/Shanghai"}),
        ),
        Op {
            errors: &[422, 429],
            ..with_body(
                op("post", "/api/v1/me/password", "me", "Change the password (session only); other sessions end", (204, None)),
                "PasswordChange",
                || json!({"current_password": "Old#Pass1", "new_password": "New#Pass2026"}),
            )
        },
        op("get", "/api/v1/me/tokens", "me", "My API tokens", (200, Some("ApiTokenList"))),
        with_body(
            op("post", "/api/v1/me/tokens", "me", "Create an API token (the secret is shown once)", (201, Some("CreatedToken"))),
            "NewToken",
            || json!({"name": "监控集成", "scopes": ["user:read", "team:*"], "expires_in_days": 90}),
        ),
        e(op("delete", "/api/v1/me/tokens/{id}", "me", "Revoke one of my tokens", (204, None)), &[404, 409]),
        Op {
            errors: &[409, 422, 429],
            ..with_body(
                op(
                    "post",
                    "/api/v1/me/totp",
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
                    "post",
                    "/api/v1/me/totp/confirm",
                    "me",
                    "Confirm TOTP with a code; returns recovery codes once",
                    (200, Some("RecoveryCodes")),
                ),
                "Code",
                || json!({"code": "123456"}),
            )
        },
        with_body(
            op("delete", "/api/v1/me/totp", "me", "Turn TOTP off with a current code", (204, None)),
            "Code",
            || json!({"code": "123456"}),
        ),
        op("get", "/api/v1/me/notification-preferences", "notifications", "My notification preferences", (200, Some("PreferenceList"))),
        with_body(
            op(
                "put",
                "/api/v1/me/notification-preferences",
                "notifications",
                "Set notification preferences",
                (200, Some("PreferenceList")),
            ),
            "PreferenceInputList",
            || json!([{"event_type": "user.roles_changed", "channel": "email", "enabled": false}]),
        ),
        q(
            op("get", "/api/v1/notifications", "notifications", "My in-app notifications, newest first", (200, Some("NotificationPage"))),
            &[("unread", "boolean", "only unread"), ("limit", "integer", "1–200"), ("cursor", "string", "next page")],
        ),
        op(
            "get",
            "/api/v1/notifications/unread-count",
            "notifications",
            "Unread notification count (the bell)",
            (200, Some("UnreadCount")),
        ),
        op("post", "/api/v1/notifications/read-all", "notifications", "Mark all my notifications read", (200, Some("Marked"))),
        e(op("post", "/api/v1/notifications/{id}/read", "notifications", "Mark one notification read", (204, None)), &[404]),
        op(
            "get",
            "/api/v1/notification-templates",
            "notifications",
            "Notification templates per event and language",
            (200, Some("TemplateList")),
        ),
        e(
            with_body(
                op(
                    "put",
                    "/api/v1/notification-templates/{event}/{locale}",
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
                "get",
                "/api/v1/deliveries/dead",
                "notifications",
                "Dead letters: deliveries and events that gave up",
                (200, Some("DeadLetters")),
            ),
            &[("limit", "integer", "1–200"), ("cursor", "string", "next page")],
        ),
        e(op("post", "/api/v1/deliveries/{id}/retry", "notifications", "Queue a dead delivery again", (202, None)), &[404, 409]),
        e(op("post", "/api/v1/outbox/{id}/retry", "notifications", "Queue a dead outbox event again", (202, None)), &[404]),
        q(
            op("get", "/api/v1/users", "users", "Users, by username", (200, Some("UserPage"))),
            &[
                ("q", "string", "part of username or display name"),
                ("department_id", "integer", ""),
                ("team_id", "integer", ""),
                ("role_id", "integer", ""),
                ("disabled", "boolean", ""),
                PAGE_Q[0],
                PAGE_Q[1],
                PAGE_Q[2],
            ],
        ),
        Op {
            errors: &[409, 422],
            ..with_body(
                op(
                    "post",
                    "/api/v1/users",
                    "users",
                    "Create a user (password generated and returned once if not given)",
                    (201, Some("CreatedUser")),
                ),
                "NewUser",
                || json!({"username": "wangwu", "display_name": "王五", "email": "wangwu@bank.example", "department_id": 1, "roles": ["system_engineer"], "teams": [1]}),
            )
        },
        e(op("get", "/api/v1/users/{id}", "users", "One user with roles and teams", (200, Some("UserView"))), &[404]),
        Op {
            errors: &[404, 422],
            ..with_body(
                op("patch", "/api/v1/users/{id}", "users", "Update a user (absent = keep, null = clear)", (200, Some("UserView"))),
                "UserPatch",
                || json!({"display_name": "王五（网络组）", "phone": null}),
            )
        },
        Op {
            errors: &[404, 409, 422],
            accepted: Some("DutyGrant"),
            ..with_body(
                op(
                    "put",
                    "/api/v1/users/{id}/roles",
                    "users",
                    "Replace a user's roles; separation of duties enforced (409); a duty change waits for a second person (202)",
                    (200, Some("UserView")),
                ),
                "Roles",
                || json!({"roles": ["network_engineer", "duty_officer"]}),
            )
        },
        Op {
            errors: &[404, 422],
            ..with_body(
                op("put", "/api/v1/users/{id}/teams", "users", "Replace the teams a user belongs to", (200, Some("UserView"))),
                "Teams",
                || json!({"teams": [1, 3]}),
            )
        },
        e(
            op(
                "post",
                "/api/v1/users/{id}/disable",
                "users",
                "Disable: ends all sessions and revokes all tokens at once",
                (200, Some("UserView")),
            ),
            &[404, 409],
        ),
        e(op("post", "/api/v1/users/{id}/enable", "users", "Enable a disabled user", (200, Some("UserView"))), &[404]),
        e(
            op(
                "post",
                "/api/v1/users/{id}/password-reset",
                "users",
                "Set a temporary password (must be changed at sign-in)",
                (200, Some("TemporaryPassword")),
            ),
            &[404],
        ),
        e(op("delete", "/api/v1/users/{id}/totp", "users", "Turn off a user's TOTP (lost device)", (204, None)), &[404]),
        e(op("get", "/api/v1/users/{id}/tokens", "users", "A user's API tokens", (200, Some("ApiTokenList"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    "post",
                    "/api/v1/users/{id}/tokens",
                    "users",
                    "Create an API token for a user (integration accounts)",
                    (201, Some("CreatedToken")),
                ),
                "NewToken",
                || json!({"name": "zabbix", "scopes": ["read"]}),
            )
        },
        q(
            op("get", "/api/v1/teams", "teams", "Teams, by name", (200, Some("TeamPage"))),
            &[("q", "string", "part of the name"), PAGE_Q[0], PAGE_Q[1], PAGE_Q[2]],
        ),
        Op {
            errors: &[409, 422],
            ..with_body(
                op("post", "/api/v1/teams", "teams", "Create a team", (201, Some("TeamView"))),
                "TeamInput",
                || json!({"name": "网络组", "description": "核心交换、广域网", "email": "net@bank.example", "members": [2, 3]}),
            )
        },
        e(op("get", "/api/v1/teams/{id}", "teams", "One team with members", (200, Some("TeamView"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op("put", "/api/v1/teams/{id}", "teams", "Replace a team (members replaced when given)", (200, Some("TeamView"))),
                "TeamInput",
                || json!({"name": "网络组", "description": "核心交换、广域网、负载均衡"}),
            )
        },
        e(op("delete", "/api/v1/teams/{id}", "teams", "Delete a team", (204, None)), &[404, 409]),
        q(
            op("get", "/api/v1/departments", "departments", "Departments, by name", (200, Some("DepartmentPage"))),
            &[("q", "string", "part of the name"), PAGE_Q[0], PAGE_Q[1], PAGE_Q[2]],
        ),
        Op {
            errors: &[409, 422],
            ..with_body(
                op("post", "/api/v1/departments", "departments", "Create a department", (201, Some("Department"))),
                "DepartmentInput",
                || json!({"name": "零售银行部", "code": "RETAIL", "parent_id": null}),
            )
        },
        e(op("get", "/api/v1/departments/{id}", "departments", "One department", (200, Some("Department"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op("put", "/api/v1/departments/{id}", "departments", "Replace a department (cycles refused)", (200, Some("Department"))),
                "DepartmentInput",
                || json!({"name": "零售银行部", "code": "RETAIL"}),
            )
        },
        e(op("delete", "/api/v1/departments/{id}", "departments", "Delete a department not in use", (204, None)), &[404, 409]),
        op("get", "/api/v1/roles", "roles", "All roles", (200, Some("RoleList"))),
        Op {
            errors: &[409, 422],
            ..with_body(
                op("post", "/api/v1/roles", "roles", "Create a role (permissions are object:action:scope)", (201, Some("Role"))),
                "RoleInput",
                || json!({"key": "night_shift_lead", "name_en": "Night shift lead", "name_zh": "夜班组长", "require_totp": true, "permissions": ["incident:read:all", "incident:assign:team"]}),
            )
        },
        e(op("get", "/api/v1/roles/{id}", "roles", "One role", (200, Some("Role"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            accepted: Some("DutyGrant"),
            ..with_body(
                op(
                    "put",
                    "/api/v1/roles/{id}",
                    "roles",
                    "Replace a role's names and permissions (key fixed); a duty role's rights change waits for a second person (202)",
                    (200, Some("Role")),
                ),
                "RoleInput",
                || json!({"name_en": "Night shift lead", "name_zh": "夜班组长", "permissions": ["incident:read:all"]}),
            )
        },
        e(op("delete", "/api/v1/roles/{id}", "roles", "Delete a custom role nobody holds", (204, None)), &[404, 409]),
        op(
            "get",
            "/api/v1/permissions",
            "roles",
            "Object types, actions and scopes a permission can name",
            (200, Some("PermissionCatalogue")),
        ),
        q(
            op("get", "/api/v1/audit-events", "audit", "Audit entries, newest first", (200, Some("AuditPage"))),
            &[
                ("actor_id", "integer", ""),
                ("object_type", "string", ""),
                ("object_id", "string", ""),
                ("action", "string", ""),
                ("from", "integer", "unix ms, inclusive"),
                ("to", "integer", "unix ms, exclusive"),
                PAGE_Q[0],
                PAGE_Q[1],
                ("sort", "string", "-seq (default) or seq"),
            ],
        ),
        q(
            op("get", "/api/v1/audit-events/export", "audit", "Export as CSV (formula-escaped; the export is audited)", (200, Some("Csv"))),
            &[
                ("actor_id", "integer", ""),
                ("object_type", "string", ""),
                ("object_id", "string", ""),
                ("action", "string", ""),
                ("from", "integer", ""),
                ("to", "integer", ""),
            ],
        ),
        op(
            "post",
            "/api/v1/audit-events/verify",
            "audit",
            "Verify the hash chain; reports the first broken link",
            (200, Some("Verification")),
        ),
        op("get", "/api/v1/jobs", "operations", "Scheduled jobs", (200, Some("JobList"))),
        with_body(
            op("post", "/api/v1/jobs/probes", "operations", "Schedule probe jobs (scheduler self-test)", (202, Some("Scheduled"))),
            "ProbeInput",
            || json!({"count": 20, "hold_ms": 50}),
        ),
        q(
            op("get", "/api/v1/jobs/runs", "operations", "Runs of a job kind per node", (200, Some("NodeRunsList"))),
            &[("kind", "string", "e.g. system.probe")],
        ),
        Op { public: true, ..op("get", "/healthz", "operations", "Liveness", (200, Some("Status"))) },
        Op {
            public: true,
            errors: &[503],
            ..op("get", "/readyz", "operations", "Readiness: database reachable and schema current", (200, Some("Status")))
        },
        Op { public: true, ..op("get", "/metrics", "operations", "Prometheus metrics", (200, Some("Text"))) },
        Op { public: true, ..op("get", "/api/openapi.json", "operations", "This document", (200, Some("Object"))) },
    ]
}

fn path_param_text(name: &str) -> &'static str {
    match name {
        "number" | "other" => "incident number (INC-000123) or id",
        "transition" => "start, pend, resume, resolve, close or reopen",
        "token" => "the 64 hex digits of a survey link",
        _ => "",
    }
}

pub(crate) fn schema_ref(name: &str) -> Value {
    match name {
        "Csv" | "Text" | "EventStream" => json!({ "type": "string" }),
        "Binary" => json!({ "type": "string", "format": "binary" }),
        "Object" => json!({ "type": "object" }),
        other => json!({ "$ref": format!("#/components/schemas/{other}") }),
    }
}

fn media(name: &str) -> &'static str {
    match name {
        "Csv" => "text/csv",
        "Text" => "text/plain",
        "Binary" => "application/octet-stream",
        "EventStream" => "text/event-stream",
        _ => "application/json",
    }
}

fn status_text(s: u16) -> &'static str {
    match s {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No content",
        400 => "Malformed request (bad JSON, query or idempotency key)",
        401 => "Not signed in, or the session or token is not valid",
        403 => "Not allowed (permission, CSRF, disabled account, password change or 2FA enrolment due)",
        404 => "Not found",
        409 => "Conflict with the current state (duplicate name, separation of duties, in use, illegal transition, changed meanwhile)",
        410 => "Gone: the link has expired",
        413 => "Body larger than the limit",
        415 => "Content-Type must be application/json",
        422 => "Validation failed; `errors` lists the fields",
        429 => "Too many attempts: held back; see Retry-After",
        503 => "Not ready",
        _ => "Unexpected error",
    }
}

pub(crate) fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props })
}

fn schemas() -> Value {
    let mut all = foundation_schemas();
    for more in
        [service_desk::schemas(), major::schemas(), request::schemas(), satisfaction::schemas(), webhook::schemas(), duty_grant::schemas()]
    {
        if let (Some(a), Value::Object(b)) = (all.as_object_mut(), more) {
            a.extend(b);
        }
    }
    all
}

fn foundation_schemas() -> Value {
    let s = |t: &str| json!({ "type": t });
    let ns = |t: &str| json!({ "type": [t, "null"] });
    let arr = |r: &str| json!({ "type": "array", "items": schema_ref(r) });
    let page = |r: &str| obj(&["items"], json!({ "items": arr(r), "next_cursor": ns("string") }));
    let user = obj(
        &["id", "username", "display_name"],
        json!({
            "id": s("integer"), "username": s("string"), "display_name": s("string"), "email": ns("string"), "phone": ns("string"),
            "department_id": ns("integer"), "manager_id": ns("integer"), "locale": { "enum": ["zh-CN", "en"] }, "time_zone": s("string"),
            "disabled": s("boolean"), "locked_until": ns("integer"), "totp_enabled": s("boolean"), "must_change_password": s("boolean"),
            "password_changed_at": ns("integer"), "auth_source": s("string"), "created_at": s("integer"), "updated_at": s("integer")
        }),
    );
    let mut user_view = user.clone();
    user_view["properties"]["roles"] = json!({ "type": "array", "items": s("string") });
    user_view["properties"]["teams"] = json!({ "type": "array", "items": s("integer") });
    let mut created_user = user_view.clone();
    created_user["properties"]["initial_password"] = s("string");
    let team = obj(
        &["id", "name"],
        json!({ "id": s("integer"), "name": s("string"), "description": s("string"), "email": ns("string"), "manager_id": ns("integer"), "created_at": s("integer"), "updated_at": s("integer") }),
    );
    let mut team_view = team.clone();
    team_view["properties"]["members"] = json!({ "type": "array", "items": s("integer") });
    let token = obj(
        &["id", "name", "prefix", "scopes"],
        json!({ "id": s("integer"), "user_id": s("integer"), "name": s("string"), "prefix": s("string"), "scopes": { "type": "array", "items": s("string") }, "expires_at": ns("integer"), "created_at": s("integer"), "last_used_at": ns("integer"), "revoked_at": ns("integer") }),
    );
    let mut created_token = token.clone();
    created_token["properties"]["secret"] = s("string");
    let template = obj(
        &["event_type", "locale", "subject", "body"],
        json!({ "event_type": s("string"), "locale": s("string"), "subject": s("string"), "body": s("string"), "updated_at": s("integer"), "updated_by": ns("integer") }),
    );
    let delivery = obj(
        &["id", "channel", "status"],
        json!({ "id": s("integer"), "event_id": s("integer"), "channel": s("string"), "user_id": ns("integer"), "address": s("string"), "subject": s("string"), "body": s("string"), "status": s("string"), "attempts": s("integer"), "last_error": ns("string"), "created_at": s("integer"), "sent_at": ns("integer") }),
    );
    let event = obj(
        &["id", "event_type"],
        json!({ "id": s("integer"), "event_type": s("string"), "object_type": s("string"), "object_id": s("string"), "payload": {}, "status": s("string"), "attempts": s("integer"), "last_error": ns("string"), "created_at": s("integer") }),
    );
    let audit = obj(
        &["seq", "at_ms", "action", "hash"],
        json!({ "seq": s("integer"), "at_ms": s("integer"), "actor_id": ns("integer"), "actor_name": s("string"), "source_ip": s("string"), "user_agent": s("string"), "object_type": s("string"), "object_id": s("string"), "action": s("string"), "before": ns("string"), "after": ns("string"), "prev_hash": s("string"), "hash": s("string") }),
    );
    let role = obj(
        &["id", "key", "permissions"],
        json!({ "id": s("integer"), "key": s("string"), "name_en": s("string"), "name_zh": s("string"), "description": s("string"), "duty": { "enum": ["system", "security", "audit", null] }, "builtin": s("boolean"), "require_totp": s("boolean"), "permissions": { "type": "array", "items": { "type": "string", "pattern": "^[a-z_]+:[a-z]+:(own|team|department|all)$" } }, "created_at": s("integer"), "updated_at": s("integer") }),
    );
    let job = obj(
        &["id", "kind", "status"],
        json!({ "id": s("integer"), "kind": s("string"), "unique_key": ns("string"), "payload": {}, "run_at": s("integer"), "interval_seconds": ns("integer"), "status": s("string"), "attempts": s("integer"), "last_error": ns("string") }),
    );
    json!({
        "Problem": obj(&["type", "title", "status", "code"], json!({
            "type": s("string"), "title": { "type": "string", "description": "in the caller's language" }, "status": s("integer"),
            "code": { "type": "string", "description": "stable; also the i18n key" }, "detail": s("string"), "request_id": s("string"),
            "errors": arr("FieldError")
        })),
        "FieldError": obj(&["field", "code", "message"], json!({ "field": s("string"), "code": s("string"), "message": s("string") })),
        "Login": obj(&["username", "password"], json!({ "username": s("string"), "password": s("string") })),
        "SessionCreated": obj(&["user_id", "csrf_token", "second_factor_required"], json!({ "user_id": s("integer"), "csrf_token": s("string"), "second_factor_required": s("boolean") })),
        "Code": obj(&["code"], json!({ "code": s("string") })),
        "Reauth": obj(&["password"], json!({ "password": { "type": "string", "description": "the current password, again" } })),
        "Me": obj(&["user_id", "username", "permissions"], json!({ "user_id": s("integer"), "username": s("string"), "display_name": s("string"), "locale": s("string"), "time_zone": s("string"), "via": s("object"), "must_change_password": s("boolean"), "must_enrol_totp": s("boolean"), "permissions": { "type": "array", "items": s("string") } })),
        "MePatch": obj(&[], json!({ "locale": { "enum": ["zh-CN", "en"] }, "time_zone": s("string") })),
        "PasswordChange": obj(&["current_password", "new_password"], json!({ "current_password": s("string"), "new_password": s("string") })),
        "NewToken": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "scopes": { "type": "array", "items": { "type": "string", "description": "*, read, object:*, or object:action" } }, "expires_in_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 3650 } })),
        "ApiToken": token, "ApiTokenList": arr("ApiToken"), "CreatedToken": created_token,
        "TotpEnrolment": obj(&["secret", "otpauth_uri", "qr_svg"], json!({ "secret": s("string"), "otpauth_uri": s("string"), "qr_svg": s("string") })),
        "RecoveryCodes": obj(&["recovery_codes"], json!({ "recovery_codes": { "type": "array", "items": s("string") } })),
        "Preference": obj(&["event_type", "channel", "enabled"], json!({ "event_type": s("string"), "channel": { "enum": ["in_app", "email"] }, "enabled": s("boolean"), "locked": s("boolean") })),
        "PreferenceList": arr("Preference"),
        "PreferenceInputList": { "type": "array", "items": obj(&["event_type", "channel", "enabled"], json!({ "event_type": s("string"), "channel": { "enum": ["in_app", "email"] }, "enabled": s("boolean") })) },
        "Notification": obj(&["id", "title"], json!({ "id": s("integer"), "event_type": s("string"), "title": s("string"), "body": s("string"), "link": ns("string"), "created_at": s("integer"), "read_at": ns("integer") })),
        "NotificationPage": page("Notification"),
        "UnreadCount": obj(&["unread"], json!({ "unread": s("integer") })),
        "Marked": obj(&["marked"], json!({ "marked": s("integer") })),
        "Template": template, "TemplateList": arr("Template"),
        "TemplateInput": obj(&["subject", "body"], json!({ "subject": { "type": "string", "maxLength": 300 }, "body": { "type": "string", "maxLength": 20000 } })),
        "Delivery": delivery, "OutboxEvent": event,
        "DeadLetters": obj(&["deliveries", "events"], json!({ "deliveries": page("Delivery"), "events": arr("OutboxEvent") })),
        "User": user, "UserView": user_view, "CreatedUser": created_user, "UserPage": page("User"),
        "NewUser": obj(&["username", "display_name"], json!({ "username": { "type": "string", "pattern": "^[A-Za-z0-9._@-]{2,64}$" }, "display_name": { "type": "string", "maxLength": 100 }, "email": ns("string"), "phone": ns("string"), "department_id": ns("integer"), "manager_id": ns("integer"), "locale": { "enum": ["zh-CN", "en", null] }, "time_zone": ns("string"), "password": ns("string"), "roles": { "type": "array", "items": s("string") }, "teams": { "type": "array", "items": s("integer") } })),
        "UserPatch": obj(&[], json!({ "display_name": s("string"), "email": ns("string"), "phone": ns("string"), "department_id": ns("integer"), "manager_id": ns("integer"), "locale": { "enum": ["zh-CN", "en"] }, "time_zone": s("string") })),
        "Roles": obj(&["roles"], json!({ "roles": { "type": "array", "items": s("string") } })),
        "Teams": obj(&["teams"], json!({ "teams": { "type": "array", "items": s("integer") } })),
        "TemporaryPassword": obj(&["temporary_password"], json!({ "temporary_password": s("string") })),
        "Team": team, "TeamView": team_view, "TeamPage": page("Team"),
        "TeamInput": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "description": { "type": "string", "maxLength": 2000 }, "email": ns("string"), "manager_id": ns("integer"), "members": { "type": ["array", "null"], "items": s("integer") } })),
        "Department": obj(&["id", "name"], json!({ "id": s("integer"), "name": s("string"), "code": ns("string"), "parent_id": ns("integer"), "created_at": s("integer"), "updated_at": s("integer") })),
        "DepartmentPage": page("Department"),
        "DepartmentInput": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "code": ns("string"), "parent_id": ns("integer") })),
        "Role": role, "RoleList": arr("Role"),
        "RoleInput": obj(&["name_en", "name_zh", "permissions"], json!({ "key": { "type": "string", "pattern": "^[a-z0-9_]{1,40}$" }, "name_en": s("string"), "name_zh": s("string"), "description": s("string"), "require_totp": s("boolean"), "permissions": { "type": "array", "items": s("string") } })),
        "PermissionCatalogue": obj(&["object_types", "actions", "scopes"], json!({ "object_types": { "type": "array", "items": s("string") }, "actions": { "type": "array", "items": s("string") }, "scopes": { "type": "array", "items": s("string") } })),
        "AuditRecord": audit, "AuditPage": page("AuditRecord"),
        "Verification": obj(&["checked", "checkpoints", "warnings"], json!({ "checked": s("integer"), "first_seq": ns("integer"), "last_seq": ns("integer"), "checkpoints": s("integer"), "latest_checkpoint_seq": ns("integer"), "warnings": { "type": "array", "items": { "enum": ["no_checkpoint_file", "anchor_without_content_hash"] } }, "broken": { "type": ["object", "null"], "properties": { "expected_seq": s("integer"), "found_seq": ns("integer"), "reason": { "enum": ["hash_mismatch", "prev_hash_mismatch", "missing_row", "head_mismatch", "checkpoint_mismatch", "checkpoint_beyond_chain", "checkpoint_forged", "archive_missing", "archive_mismatch"] }, "detail": s("string") } } })),
        "Job": job, "JobList": arr("Job"),
        "ProbeInput": obj(&["count"], json!({ "count": { "type": "integer", "minimum": 1, "maximum": 1000 }, "hold_ms": { "type": "integer", "minimum": 0, "maximum": 1000 } })),
        "Scheduled": obj(&["scheduled"], json!({ "scheduled": s("integer") })),
        "NodeRuns": obj(&["node", "runs"], json!({ "node": s("string"), "runs": s("integer") })),
        "NodeRunsList": arr("NodeRuns"),
        "Status": obj(&["status"], json!({ "status": s("string") })),
    })
}

pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for o in ops() {
        let mut params: Vec<Value> = o
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": if name == "id" || name == "file" { "integer" } else { "string" } }, "description": path_param_text(name) }))
            .collect();
        params.extend(
            o.query
                .iter()
                .map(|(n, t, d)| json!({ "name": n, "in": "query", "required": *n == "kind" || *n == "format" || (*n == "q" && o.path == "/api/v1/search"), "description": d, "schema": { "type": t } })),
        );
        if o.method == "post" {
            params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false, "description": "replays the first answer for a retried request; 1–255 characters, else 400 invalid_idempotency_key", "schema": { "type": "string", "minLength": 1, "maxLength": 255 } }));
        }
        let mut responses = serde_json::Map::new();
        let (status, schema) = o.ok;
        let mut ok = json!({ "description": status_text(status) });
        if let Some(sc) = schema {
            ok["content"] = json!({ media(sc): { "schema": schema_ref(sc) } });
        }
        responses.insert(status.to_string(), ok);
        if let Some(sc) = o.accepted {
            responses.insert("202".into(), json!({ "description": "Accepted: waits for a second person's approval (duty grant)", "content": { media(sc): { "schema": schema_ref(sc) } } }));
        }
        let mut errors: Vec<u16> = vec![400, 500];
        if !o.public {
            errors.extend([401, 403]);
        }
        if o.body.is_some() {
            errors.extend([413, 415]);
        }
        errors.extend(o.errors.iter().copied());
        // A paged list refuses a bad `limit` or `cursor` with 422 validation_failed.
        if o.query.iter().any(|(name, ..)| *name == "limit" || *name == "cursor") {
            errors.push(422);
        }
        errors.sort_unstable();
        errors.dedup();
        for e in errors {
            responses.insert(
                e.to_string(),
                json!({ "description": status_text(e), "content": { "application/problem+json": { "schema": schema_ref("Problem") } } }),
            );
        }
        let mut operation = json!({
            "tags": [o.tag],
            "summary": o.summary,
            "operationId": format!("{}_{}", o.method, o.path.trim_start_matches('/').replace(['/', '-', '.'], "_").replace(['{', '}'], "")),
            "parameters": params,
            "responses": responses,
        });
        if o.public {
            operation["security"] = json!([]);
        }
        if o.file_body {
            operation["requestBody"] =
                json!({ "required": true, "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } } });
        }
        if let Some((schema, example)) = o.body {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": schema_ref(schema), "example": example() } } });
        }
        let entry = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        entry[o.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Yunwei API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "IT operations and service management. Authenticate with `Authorization: Bearer yw_…` (API token) or the session cookie plus `X-CSRF-Token` on writes. Lists page with `limit` and `cursor` (keyset; follow `next_cursor`). Errors are application/problem+json with a stable `code`; messages follow the user's language or Accept-Language (zh-CN, en). POST accepts `Idempotency-Key`.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "API token `yw_…`" },
                "session": { "type": "apiKey", "in": "cookie", "name": "yunwei_session" }
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}

/// (method, path) of every operation, for the router comparison test.
pub fn operations() -> Vec<(String, String)> {
    ops().iter().map(|o| (o.method.to_string(), o.path.to_string())).collect()
}

/// (METHOD, path) of the operations that need no sign-in (sign-in itself, survey links…).
pub fn public_operations() -> Vec<(String, String)> {
    ops().iter().filter(|o| o.public).map(|o| (o.method.to_uppercase(), o.path.to_string())).collect()
}
