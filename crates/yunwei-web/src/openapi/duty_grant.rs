//! OpenAPI operations and schemas of duty grants waiting for a second person (四眼原则).

use super::frag::{Tag, arr, ns, s};
use super::{Op, obj};
use crate::api::admin;
use serde_json::{Value, json};

const ROLES: Tag = Tag("roles");

pub(super) fn ops() -> Vec<Op> {
    vec![
        ROLES
            .get("/api/v1/duty-grants", admin::list_duty_grants, "Duty grants, newest first (the last 200)", "DutyGrantList")
            .query(&[("status", "string", "pending, approved, rejected or cancelled")])
            .errors(&[422]),
        ROLES.get("/api/v1/duty-grants/{id}", admin::get_duty_grant, "One duty grant", "DutyGrant"),
        ROLES.post(
            "/api/v1/duty-grants/{id}/approve",
            admin::approve_duty_grant,
            "Approve and apply a duty grant: not by the requester, nor by anyone whose rights it changes",
            "DutyGrant",
        ),
        ROLES
            .post(
                "/api/v1/duty-grants/{id}/reject",
                admin::reject_duty_grant,
                "Reject a duty grant (an approver), or withdraw it (the requester)",
                "DutyGrant",
            )
            .body("DutyGrantReject", || json!({ "note": "审计管理员岗位调整尚未经总监签批" })),
    ]
}

pub(super) fn schemas() -> Value {
    let grant = obj(
        &["id", "kind", "target_id", "target_name", "requested_change", "state_before", "requested_by", "requested_at", "status"],
        json!({
            "id": s("integer"),
            "number": { "type": "string", "pattern": "^DG-[0-9]{6,}$" },
            "kind": { "enum": ["user_roles", "role"] },
            "target_id": { "type": "integer", "description": "the user (user_roles) or the role (role)" },
            "target_name": s("string"),
            "requested_change": { "type": "object", "description": "user_roles: {roles: [keys]}; role: the RoleInput asked for" },
            "state_before": { "type": "object", "description": "what the target held when asked; approval refuses (409 grant_stale) if it moved" },
            "requested_by": s("integer"), "requested_by_name": s("string"), "requested_at": s("integer"),
            "status": { "enum": ["pending", "approved", "rejected", "cancelled"] },
            "decided_by": ns("integer"), "decided_by_name": ns("string"), "decided_at": ns("integer"), "note": s("string")
        }),
    );
    json!({
        "DutyGrant": grant,
        "DutyGrantList": arr("DutyGrant"),
        "DutyGrantReject": obj(&[], json!({ "note": { "type": "string", "maxLength": 1000 } })),
    })
}
