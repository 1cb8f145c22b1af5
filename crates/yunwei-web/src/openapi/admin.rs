//! Operations of administration: users, teams, departments, roles, the audit log,
//! jobs, and the unauthenticated probes (health, readiness, metrics, this document).

use super::Method::*;
use super::frag::{Param, Tag};
use super::{Op, PAGE_Q};
use crate::api::{admin, audit, ops};
use serde_json::json;

const USERS: Tag = Tag("users");
const TEAMS: Tag = Tag("teams");
const DEPARTMENTS: Tag = Tag("departments");
const ROLES: Tag = Tag("roles");
const AUDIT: Tag = Tag("audit");
const OPERATIONS: Tag = Tag("operations");

const USER_Q: &[Param] = &[
    ("q", "string", "part of username or display name"),
    ("department_id", "integer", ""),
    ("team_id", "integer", ""),
    ("role_id", "integer", ""),
    ("disabled", "boolean", ""),
    PAGE_Q[0],
    PAGE_Q[1],
    PAGE_Q[2],
];
const NAME_Q: &[Param] = &[("q", "string", "part of the name"), PAGE_Q[0], PAGE_Q[1], PAGE_Q[2]];
const AUDIT_FILTER: [Param; 4] =
    [("actor_id", "integer", ""), ("object_type", "string", ""), ("object_id", "string", ""), ("action", "string", "")];
const AUDIT_Q: &[Param] = &[
    AUDIT_FILTER[0],
    AUDIT_FILTER[1],
    AUDIT_FILTER[2],
    AUDIT_FILTER[3],
    ("from", "integer", "unix ms, inclusive"),
    ("to", "integer", "unix ms, exclusive"),
    PAGE_Q[0],
    PAGE_Q[1],
    ("sort", "string", "-seq (default) or seq"),
];
const AUDIT_EXPORT_Q: &[Param] =
    &[AUDIT_FILTER[0], AUDIT_FILTER[1], AUDIT_FILTER[2], AUDIT_FILTER[3], ("from", "integer", ""), ("to", "integer", "")];

pub(super) fn ops() -> Vec<Op> {
    vec![
        USERS.get("/api/v1/users", admin::list_users, "Users, by username", "UserPage").query(USER_Q),
        USERS
            .create("/api/v1/users", admin::create_user, "Create a user (password generated and returned once if not given)", "CreatedUser")
            .body("NewUser", || json!({"username": "wangwu", "display_name": "王五", "email": "wangwu@bank.example", "department_id": 1, "roles": ["system_engineer"], "teams": [1]})),
        USERS.get("/api/v1/users/{id}", admin::get_user, "One user with roles and teams", "UserView"),
        USERS
            .patch("/api/v1/users/{id}", admin::patch_user, "Update a user (absent = keep, null = clear)", "UserView")
            .body("UserPatch", || json!({"display_name": "王五（网络组）", "phone": null})),
        USERS
            .put(
                "/api/v1/users/{id}/roles",
                admin::put_user_roles,
                "Replace a user's roles; separation of duties enforced (409); a duty change waits for a second person (202)",
                "UserView",
            )
            .body("Roles", || json!({"roles": ["network_engineer", "duty_officer"]}))
            .errors(&[409])
            .accepted("DutyGrant"),
        USERS
            .put("/api/v1/users/{id}/teams", admin::put_user_teams, "Replace the teams a user belongs to", "UserView")
            .body("Teams", || json!({"teams": [1, 3]})),
        USERS
            .post("/api/v1/users/{id}/disable", admin::disable_user, "Disable: ends all sessions and revokes all tokens at once", "UserView")
            .errors(&[409]),
        USERS.post("/api/v1/users/{id}/enable", admin::enable_user, "Enable a disabled user", "UserView"),
        USERS.post(
            "/api/v1/users/{id}/password-reset",
            admin::reset_password,
            "Set a temporary password (must be changed at sign-in)",
            "TemporaryPassword",
        ),
        USERS
            .delete("/api/v1/users/{id}/totp", admin::reset_totp, "Turn off a user's TOTP (lost device); one's own needs a current code (422)")
            .errors(&[422]),
        USERS.get("/api/v1/users/{id}/tokens", admin::list_user_tokens, "A user's API tokens", "ApiTokenList"),
        USERS
            .create("/api/v1/users/{id}/tokens", admin::create_user_token, "Create an API token for a user (integration accounts)", "CreatedToken")
            .body("NewToken", || json!({"name": "zabbix", "scopes": ["read"]})),
        TEAMS.get("/api/v1/teams", admin::list_teams, "Teams, by name", "TeamPage").query(NAME_Q),
        TEAMS
            .create("/api/v1/teams", admin::create_team, "Create a team", "TeamView")
            .body("TeamInput", || json!({"name": "网络组", "description": "核心交换、广域网", "email": "net@bank.example", "members": [2, 3]})),
        TEAMS.get("/api/v1/teams/{id}", admin::get_team, "One team with members", "TeamView"),
        TEAMS
            .put("/api/v1/teams/{id}", admin::put_team, "Replace a team (members replaced when given)", "TeamView")
            .body("TeamInput", || json!({"name": "网络组", "description": "核心交换、广域网、负载均衡"}))
            .errors(&[409]),
        TEAMS.delete("/api/v1/teams/{id}", admin::delete_team, "Delete a team").errors(&[409]),
        DEPARTMENTS.get("/api/v1/departments", admin::list_departments, "Departments, by name", "DepartmentPage").query(NAME_Q),
        DEPARTMENTS
            .create("/api/v1/departments", admin::create_department, "Create a department", "Department")
            .body("DepartmentInput", || json!({"name": "零售银行部", "code": "RETAIL", "parent_id": null})),
        DEPARTMENTS.get("/api/v1/departments/{id}", admin::get_department, "One department", "Department"),
        DEPARTMENTS
            .put("/api/v1/departments/{id}", admin::put_department, "Replace a department (cycles refused)", "Department")
            .body("DepartmentInput", || json!({"name": "零售银行部", "code": "RETAIL"}))
            .errors(&[409]),
        DEPARTMENTS.delete("/api/v1/departments/{id}", admin::delete_department, "Delete a department not in use").errors(&[409]),
        ROLES.get("/api/v1/roles", admin::list_roles, "All roles", "RoleList"),
        ROLES
            .create("/api/v1/roles", admin::create_role, "Create a role (permissions are object:action:scope)", "Role")
            .body("RoleInput", || json!({"key": "night_shift_lead", "name_en": "Night shift lead", "name_zh": "夜班组长", "require_totp": true, "permissions": ["incident:read:all", "incident:assign:team"]})),
        ROLES.get("/api/v1/roles/{id}", admin::get_role, "One role", "Role"),
        ROLES
            .put(
                "/api/v1/roles/{id}",
                admin::put_role,
                "Replace a role's names and permissions (key fixed); a duty role's rights change waits for a second person (202)",
                "Role",
            )
            .body("RoleInput", || json!({"name_en": "Night shift lead", "name_zh": "夜班组长", "permissions": ["incident:read:all"]}))
            .errors(&[409])
            .accepted("DutyGrant"),
        ROLES.delete("/api/v1/roles/{id}", admin::delete_role, "Delete a custom role nobody holds").errors(&[409]),
        ROLES.get("/api/v1/permissions", admin::permission_catalogue, "Object types, actions and scopes a permission can name", "PermissionCatalogue"),
        AUDIT.get("/api/v1/audit-events", audit::list, "Audit entries, newest first", "AuditPage").query(AUDIT_Q),
        AUDIT.get("/api/v1/audit-events/export", audit::export, "Export as CSV (formula-escaped; the export is audited)", "Csv").query(AUDIT_EXPORT_Q),
        AUDIT.post("/api/v1/audit-events/verify", audit::verify, "Verify the hash chain; reports the first broken link", "Verification"),
        OPERATIONS.get("/api/v1/jobs", ops::list_jobs, "Scheduled jobs", "JobList"),
        OPERATIONS
            .op(Post, "/api/v1/jobs/probes", ops::schedule_probes, "Schedule probe jobs (scheduler self-test)", (202, Some("Scheduled")))
            .body("ProbeInput", || json!({"count": 20, "hold_ms": 50})),
        OPERATIONS.get("/api/v1/jobs/runs", ops::job_runs, "Runs of a job kind per node", "NodeRunsList").query(&[("kind", "string", "e.g. system.probe")]),
        OPERATIONS.get("/healthz", ops::healthz, "Liveness", "Status").public(),
        OPERATIONS.get("/readyz", ops::readyz, "Readiness: database reachable and schema current", "Status").public().also(&[(503, "Status")]),
        OPERATIONS.get("/metrics", ops::metrics, "Prometheus metrics", "Text").public().errors(&[401]),
        OPERATIONS.get("/api/openapi.json", super::document, "This document", "Object").public(),
    ]
}
