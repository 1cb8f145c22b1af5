//! Schemas shared by every operation (the problem) and those of accounts and administration.

use super::frag::{arr, arr_of, ns, page_of, s};
use super::obj;
use serde_json::{Value, json};

pub(super) fn foundation() -> Value {
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
    user_view["properties"]["roles"] = arr_of("string");
    user_view["properties"]["teams"] = arr_of("integer");
    let mut created_user = user_view.clone();
    created_user["properties"]["initial_password"] = s("string");
    let team = obj(
        &["id", "name"],
        json!({ "id": s("integer"), "name": s("string"), "name_en": { "type": "string", "description": "English name; empty: English readers see name" }, "description": s("string"), "email": ns("string"), "manager_id": ns("integer"), "created_at": s("integer"), "updated_at": s("integer") }),
    );
    let mut team_view = team.clone();
    team_view["properties"]["members"] = arr_of("integer");
    let token = obj(
        &["id", "name", "prefix", "scopes"],
        json!({ "id": s("integer"), "user_id": s("integer"), "name": s("string"), "prefix": s("string"), "scopes": arr_of("string"), "expires_at": ns("integer"), "created_at": s("integer"), "last_used_at": ns("integer"), "revoked_at": ns("integer") }),
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
            "errors": arr("FieldError"),
            "permission": { "type": "string", "description": "403 forbidden: the permission the caller lacks" },
            "object": { "type": "string", "description": "404 not_found: what was not found" },
            "object_type": { "type": "string", "description": "409 idempotent_request_applied: the type of what the first request made" },
            "object_id": { "type": "string", "description": "409 idempotent_request_applied: its id" },
            "duties": { "type": "array", "items": s("string"), "description": "409: the two duties a change would combine" },
            "duty": { "type": "string", "description": "409: the duty that protects the account" },
            "from": { "type": "string", "description": "409 illegal transition: the current state" },
            "action": { "type": "string", "description": "409 illegal transition: the refused action" },
            "days": { "type": "integer", "description": "409: the reopening window in days" },
            "retry_at": { "type": "integer", "description": "429: unix ms when attempts are accepted again" },
            "retry_after": { "type": "integer", "description": "429: seconds until then (also the Retry-After header)" },
            "count": { "type": "integer", "description": "409 needing confirmation: how many records would go or are affected" },
            "names": { "type": "array", "items": s("string"), "description": "409 needing confirmation: the first of them by name" }
        })),
        "FieldError": obj(&["field", "code", "message"], json!({ "field": s("string"), "code": s("string"), "message": s("string") })),
        "Login": obj(&["username", "password"], json!({ "username": s("string"), "password": s("string") })),
        "SessionCreated": obj(&["user_id", "csrf_token", "second_factor_required"], json!({ "user_id": s("integer"), "csrf_token": s("string"), "second_factor_required": s("boolean") })),
        "Code": obj(&["code"], json!({ "code": s("string") })),
        "Reauth": obj(&["password"], json!({ "password": { "type": "string", "description": "the current password, again" } })),
        "Me": obj(&["user_id", "username", "permissions"], json!({ "user_id": s("integer"), "username": s("string"), "display_name": s("string"), "locale": s("string"), "time_zone": s("string"), "via": s("object"), "must_change_password": s("boolean"), "must_enrol_totp": s("boolean"), "duty": { "enum": ["system", "security", "audit", null], "description": "the administrator duty the user holds (separation of duties)" }, "permissions": arr_of("string") })),
        "MePatch": obj(&[], json!({ "locale": { "enum": ["zh-CN", "en"] }, "time_zone": s("string") })),
        "PasswordChange": obj(&["current_password", "new_password"], json!({ "current_password": s("string"), "new_password": s("string") })),
        "NewToken": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "scopes": { "type": "array", "items": { "type": "string", "description": "*, read, object:*, or object:action" } }, "expires_in_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 3650 } })),
        "ApiToken": token, "ApiTokenList": arr("ApiToken"), "CreatedToken": created_token,
        "TotpEnrolment": obj(&["secret", "otpauth_uri", "qr_svg"], json!({ "secret": s("string"), "otpauth_uri": s("string"), "qr_svg": s("string") })),
        "RecoveryCodes": obj(&["recovery_codes"], json!({ "recovery_codes": arr_of("string") })),
        "Preference": obj(&["event_type", "channel", "enabled"], json!({ "event_type": s("string"), "channel": { "enum": ["in_app", "email"] }, "enabled": s("boolean"), "locked": s("boolean") })),
        "PreferenceList": arr("Preference"),
        "PreferenceInputList": { "type": "array", "items": obj(&["event_type", "channel", "enabled"], json!({ "event_type": s("string"), "channel": { "enum": ["in_app", "email"] }, "enabled": s("boolean") })) },
        "Notification": obj(&["id", "title", "body"], json!({ "id": s("integer"), "event_type": s("string"), "title": { "type": "string", "description": "what happened and to which record, in the reader's language (as the bell shows it)" }, "body": { "type": "string", "description": "who did what, states by name, in the reader's language; empty when the event says no more; the e-mail's wording stays in the e-mail" }, "link": { "type": ["string", "null"], "description": "the record's path on this server; prefix the configured public_url for a full address" }, "created_at": s("integer"), "read_at": ns("integer") })),
        "NotificationPage": page_of("Notification"),
        "UnreadCount": obj(&["unread"], json!({ "unread": s("integer") })),
        "Marked": obj(&["marked"], json!({ "marked": s("integer") })),
        "Template": template, "TemplateList": arr("Template"),
        "TemplateInput": obj(&["subject", "body"], json!({ "subject": { "type": "string", "maxLength": 300 }, "body": { "type": "string", "maxLength": 20000 } })),
        "Delivery": delivery, "OutboxEvent": event,
        "DeadLetters": obj(&["deliveries", "events"], json!({ "deliveries": page_of("Delivery"), "events": arr("OutboxEvent") })),
        "User": user, "UserView": user_view, "CreatedUser": created_user, "UserPage": page_of("User"),
        "NewUser": obj(&["username", "display_name"], json!({ "username": { "type": "string", "pattern": "^[A-Za-z0-9._@-]{2,64}$" }, "display_name": { "type": "string", "maxLength": 100 }, "email": ns("string"), "phone": ns("string"), "department_id": ns("integer"), "manager_id": ns("integer"), "locale": { "enum": ["zh-CN", "en", null] }, "time_zone": ns("string"), "password": ns("string"), "roles": arr_of("string"), "teams": arr_of("integer") })),
        "UserPatch": obj(&[], json!({ "display_name": s("string"), "email": ns("string"), "phone": ns("string"), "department_id": ns("integer"), "manager_id": ns("integer"), "locale": { "enum": ["zh-CN", "en"] }, "time_zone": s("string") })),
        "Roles": obj(&["roles"], json!({ "roles": arr_of("string") })),
        "Teams": obj(&["teams"], json!({ "teams": arr_of("integer") })),
        "TemporaryPassword": obj(&["temporary_password"], json!({ "temporary_password": s("string") })),
        "Team": team, "TeamView": team_view, "TeamPage": page_of("Team"),
        "TeamInput": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "name_en": { "type": "string", "maxLength": 100 }, "description": { "type": "string", "maxLength": 2000 }, "email": ns("string"), "manager_id": ns("integer"), "members": { "type": ["array", "null"], "items": s("integer") } })),
        "Department": obj(&["id", "name"], json!({ "id": s("integer"), "name": s("string"), "code": ns("string"), "parent_id": ns("integer"), "created_at": s("integer"), "updated_at": s("integer") })),
        "DepartmentPage": page_of("Department"),
        "DepartmentInput": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "code": ns("string"), "parent_id": ns("integer") })),
        "Role": role, "RoleList": arr("Role"),
        "RoleInput": obj(&["name_en", "name_zh", "permissions"], json!({ "key": { "type": "string", "pattern": "^[a-z0-9_]{1,40}$" }, "name_en": s("string"), "name_zh": s("string"), "description": s("string"), "require_totp": s("boolean"), "permissions": arr_of("string") })),
        "PermissionCatalogue": obj(&["object_types", "actions", "scopes"], json!({ "object_types": arr_of("string"), "actions": arr_of("string"), "scopes": arr_of("string") })),
        "AuditRecord": audit, "AuditPage": page_of("AuditRecord"),
        "Verification": obj(&["checked", "checkpoints", "warnings"], json!({ "checked": s("integer"), "first_seq": ns("integer"), "last_seq": ns("integer"), "checkpoints": s("integer"), "latest_checkpoint_seq": ns("integer"), "warnings": { "type": "array", "items": { "enum": ["no_checkpoint_file", "anchor_without_content_hash"] } }, "broken": { "type": ["object", "null"], "properties": { "expected_seq": s("integer"), "found_seq": ns("integer"), "reason": { "enum": ["hash_mismatch", "prev_hash_mismatch", "missing_row", "head_mismatch", "checkpoint_mismatch", "checkpoint_beyond_chain", "checkpoint_forged", "archive_missing", "archive_mismatch"] }, "detail": s("string") } } })),
        "Job": job, "JobList": arr("Job"),
        "ProbeInput": obj(&["count"], json!({ "count": { "type": "integer", "minimum": 1, "maximum": 1000 }, "hold_ms": { "type": "integer", "minimum": 0, "maximum": 1000 } })),
        "Scheduled": obj(&["scheduled"], json!({ "scheduled": s("integer") })),
        "NodeRuns": obj(&["node", "runs"], json!({ "node": s("string"), "runs": s("integer") })),
        "NodeRunsList": arr("NodeRuns"),
        "Status": obj(&["status"], json!({
            "status": { "type": "string", "description": "ok (liveness); ready, schema_mismatch, database_unreachable or storage_full (readiness)" },
            "schema": { "type": "integer", "description": "the database's schema version" },
            "expected": { "type": "integer", "description": "schema_mismatch: the version this build needs" },
            "since_ms": { "type": "integer", "description": "storage_full: since when" },
            "detail": s("string")
        })),
    })
}
