//! Operations of administration: users, teams, departments, roles, the audit log,
//! jobs, and the unauthenticated probes (health, readiness, metrics, this document).

use super::Method::*;
use super::{Op, PAGE_Q, e, op, q, with_body};
use crate::api::{admin, audit, ops};
use serde_json::json;

pub(super) fn ops() -> Vec<Op> {
    vec![
        q(
            op(Get, "/api/v1/users", admin::list_users, "users", "Users, by username", (200, Some("UserPage"))),
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
                    Post,
                    "/api/v1/users",
                    admin::create_user,
                    "users",
                    "Create a user (password generated and returned once if not given)",
                    (201, Some("CreatedUser")),
                ),
                "NewUser",
                || json!({"username": "wangwu", "display_name": "王五", "email": "wangwu@bank.example", "department_id": 1, "roles": ["system_engineer"], "teams": [1]}),
            )
        },
        e(op(Get, "/api/v1/users/{id}", admin::get_user, "users", "One user with roles and teams", (200, Some("UserView"))), &[404]),
        Op {
            errors: &[404, 422],
            ..with_body(
                op(
                    Patch,
                    "/api/v1/users/{id}",
                    admin::patch_user,
                    "users",
                    "Update a user (absent = keep, null = clear)",
                    (200, Some("UserView")),
                ),
                "UserPatch",
                || json!({"display_name": "王五（网络组）", "phone": null}),
            )
        },
        Op {
            errors: &[404, 409, 422],
            accepted: Some("DutyGrant"),
            ..with_body(
                op(
                    Put,
                    "/api/v1/users/{id}/roles",
                    admin::put_user_roles,
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
                op(
                    Put,
                    "/api/v1/users/{id}/teams",
                    admin::put_user_teams,
                    "users",
                    "Replace the teams a user belongs to",
                    (200, Some("UserView")),
                ),
                "Teams",
                || json!({"teams": [1, 3]}),
            )
        },
        e(
            op(
                Post,
                "/api/v1/users/{id}/disable",
                admin::disable_user,
                "users",
                "Disable: ends all sessions and revokes all tokens at once",
                (200, Some("UserView")),
            ),
            &[404, 409],
        ),
        e(op(Post, "/api/v1/users/{id}/enable", admin::enable_user, "users", "Enable a disabled user", (200, Some("UserView"))), &[404]),
        e(
            op(
                Post,
                "/api/v1/users/{id}/password-reset",
                admin::reset_password,
                "users",
                "Set a temporary password (must be changed at sign-in)",
                (200, Some("TemporaryPassword")),
            ),
            &[404],
        ),
        e(
            op(
                Delete,
                "/api/v1/users/{id}/totp",
                admin::reset_totp,
                "users",
                "Turn off a user's TOTP (lost device); one's own needs a current code (422)",
                (204, None),
            ),
            &[404, 422],
        ),
        e(
            op(Get, "/api/v1/users/{id}/tokens", admin::list_user_tokens, "users", "A user's API tokens", (200, Some("ApiTokenList"))),
            &[404],
        ),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/users/{id}/tokens",
                    admin::create_user_token,
                    "users",
                    "Create an API token for a user (integration accounts)",
                    (201, Some("CreatedToken")),
                ),
                "NewToken",
                || json!({"name": "zabbix", "scopes": ["read"]}),
            )
        },
        q(
            op(Get, "/api/v1/teams", admin::list_teams, "teams", "Teams, by name", (200, Some("TeamPage"))),
            &[("q", "string", "part of the name"), PAGE_Q[0], PAGE_Q[1], PAGE_Q[2]],
        ),
        Op {
            errors: &[409, 422],
            ..with_body(
                op(Post, "/api/v1/teams", admin::create_team, "teams", "Create a team", (201, Some("TeamView"))),
                "TeamInput",
                || json!({"name": "网络组", "description": "核心交换、广域网", "email": "net@bank.example", "members": [2, 3]}),
            )
        },
        e(op(Get, "/api/v1/teams/{id}", admin::get_team, "teams", "One team with members", (200, Some("TeamView"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Put,
                    "/api/v1/teams/{id}",
                    admin::put_team,
                    "teams",
                    "Replace a team (members replaced when given)",
                    (200, Some("TeamView")),
                ),
                "TeamInput",
                || json!({"name": "网络组", "description": "核心交换、广域网、负载均衡"}),
            )
        },
        e(op(Delete, "/api/v1/teams/{id}", admin::delete_team, "teams", "Delete a team", (204, None)), &[404, 409]),
        q(
            op(Get, "/api/v1/departments", admin::list_departments, "departments", "Departments, by name", (200, Some("DepartmentPage"))),
            &[("q", "string", "part of the name"), PAGE_Q[0], PAGE_Q[1], PAGE_Q[2]],
        ),
        Op {
            errors: &[409, 422],
            ..with_body(
                op(Post, "/api/v1/departments", admin::create_department, "departments", "Create a department", (201, Some("Department"))),
                "DepartmentInput",
                || json!({"name": "零售银行部", "code": "RETAIL", "parent_id": null}),
            )
        },
        e(op(Get, "/api/v1/departments/{id}", admin::get_department, "departments", "One department", (200, Some("Department"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Put,
                    "/api/v1/departments/{id}",
                    admin::put_department,
                    "departments",
                    "Replace a department (cycles refused)",
                    (200, Some("Department")),
                ),
                "DepartmentInput",
                || json!({"name": "零售银行部", "code": "RETAIL"}),
            )
        },
        e(
            op(Delete, "/api/v1/departments/{id}", admin::delete_department, "departments", "Delete a department not in use", (204, None)),
            &[404, 409],
        ),
        op(Get, "/api/v1/roles", admin::list_roles, "roles", "All roles", (200, Some("RoleList"))),
        Op {
            errors: &[409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/roles",
                    admin::create_role,
                    "roles",
                    "Create a role (permissions are object:action:scope)",
                    (201, Some("Role")),
                ),
                "RoleInput",
                || json!({"key": "night_shift_lead", "name_en": "Night shift lead", "name_zh": "夜班组长", "require_totp": true, "permissions": ["incident:read:all", "incident:assign:team"]}),
            )
        },
        e(op(Get, "/api/v1/roles/{id}", admin::get_role, "roles", "One role", (200, Some("Role"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            accepted: Some("DutyGrant"),
            ..with_body(
                op(
                    Put,
                    "/api/v1/roles/{id}",
                    admin::put_role,
                    "roles",
                    "Replace a role's names and permissions (key fixed); a duty role's rights change waits for a second person (202)",
                    (200, Some("Role")),
                ),
                "RoleInput",
                || json!({"name_en": "Night shift lead", "name_zh": "夜班组长", "permissions": ["incident:read:all"]}),
            )
        },
        e(op(Delete, "/api/v1/roles/{id}", admin::delete_role, "roles", "Delete a custom role nobody holds", (204, None)), &[404, 409]),
        op(
            Get,
            "/api/v1/permissions",
            admin::permission_catalogue,
            "roles",
            "Object types, actions and scopes a permission can name",
            (200, Some("PermissionCatalogue")),
        ),
        q(
            op(Get, "/api/v1/audit-events", audit::list, "audit", "Audit entries, newest first", (200, Some("AuditPage"))),
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
            op(
                Get,
                "/api/v1/audit-events/export",
                audit::export,
                "audit",
                "Export as CSV (formula-escaped; the export is audited)",
                (200, Some("Csv")),
            ),
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
            Post,
            "/api/v1/audit-events/verify",
            audit::verify,
            "audit",
            "Verify the hash chain; reports the first broken link",
            (200, Some("Verification")),
        ),
        op(Get, "/api/v1/jobs", ops::list_jobs, "operations", "Scheduled jobs", (200, Some("JobList"))),
        with_body(
            op(
                Post,
                "/api/v1/jobs/probes",
                ops::schedule_probes,
                "operations",
                "Schedule probe jobs (scheduler self-test)",
                (202, Some("Scheduled")),
            ),
            "ProbeInput",
            || json!({"count": 20, "hold_ms": 50}),
        ),
        q(
            op(Get, "/api/v1/jobs/runs", ops::job_runs, "operations", "Runs of a job kind per node", (200, Some("NodeRunsList"))),
            &[("kind", "string", "e.g. system.probe")],
        ),
        Op { public: true, ..op(Get, "/healthz", ops::healthz, "operations", "Liveness", (200, Some("Status"))) },
        Op {
            public: true,
            also: &[(503, "Status")],
            ..op(Get, "/readyz", ops::readyz, "operations", "Readiness: database reachable and schema current", (200, Some("Status")))
        },
        Op { public: true, errors: &[401], ..op(Get, "/metrics", ops::metrics, "operations", "Prometheus metrics", (200, Some("Text"))) },
        Op { public: true, ..op(Get, "/api/openapi.json", super::document, "operations", "This document", (200, Some("Object"))) },
    ]
}
