//! OpenAPI operations and schemas of escalation: policies, an incident's escalation and its
//! acknowledgement, and alert routing rules.

use super::frag::{Tag, items_of, ns, s};
use super::obj;
use crate::api::escalation as esc;
use serde_json::{Value, json};

const ESCALATION: Tag = Tag("escalation");

fn policy_example() -> Value {
    json!({
        "name": "核心系统升级策略",
        "description": "先通知值班人，10 分钟无人响应通知组长，再 15 分钟通知运维部",
        "team_id": 2,
        "levels": [
            { "delay_minutes": 10, "targets": [{ "kind": "schedule", "id": 1 }] },
            { "delay_minutes": 15, "targets": [{ "kind": "user", "id": 4 }] },
            { "delay_minutes": 0, "targets": [{ "kind": "team", "id": 2 }] }
        ],
        "repeat": 1
    })
}

fn route_example() -> Value {
    json!({
        "name": "核心账务告警",
        "position": 10,
        "matchers": [{ "name": "service", "op": "=", "value": "核心账务" }, { "name": "env", "op": "!=", "value": "test" }],
        "team_id": 2,
        "policy_id": 1,
        "severity": "critical"
    })
}

pub(super) fn ops() -> Vec<super::Op> {
    vec![
        ESCALATION.get("/api/v1/escalation-policies", esc::list_policies, "Escalation policies (duty:read)", "EscalationPolicyList"),
        ESCALATION
            .create(
                "/api/v1/escalation-policies",
                esc::create_policy,
                "Add a policy (duty:update; at team scope for one's own team)",
                "EscalationPolicy",
            )
            .body("EscalationPolicyInput", policy_example)
            .errors(&[409]),
        ESCALATION.get("/api/v1/escalation-policies/{id}", esc::get_policy, "One policy", "EscalationPolicy"),
        ESCALATION
            .put(
                "/api/v1/escalation-policies/{id}",
                esc::put_policy,
                "Change a policy (with the version read); running escalations follow it from their next page",
                "EscalationPolicy",
            )
            .body("EscalationPolicyInput", policy_example)
            .errors(&[409]),
        ESCALATION.get(
            "/api/v1/incidents/{number}/escalation",
            esc::of_incident,
            "The incident's escalation: policy, pages sent, the next page, who acknowledged",
            "Escalation",
        ),
        ESCALATION
            .post(
                "/api/v1/incidents/{number}/acknowledge",
                esc::acknowledge,
                "Acknowledge the page: the incident's escalation stops (whoever may work the incident)",
                "Escalation",
            )
            .errors(&[409]),
        ESCALATION.get("/api/v1/alert-routes", esc::list_routes, "Alert routing rules in the order they are tried", "AlertRouteList"),
        ESCALATION
            .create("/api/v1/alert-routes", esc::create_route, "Add a routing rule (alert_integration:update)", "AlertRoute")
            .body("AlertRouteInput", route_example),
        ESCALATION
            .put("/api/v1/alert-routes/{id}", esc::put_route, "Change a routing rule (with the version read)", "AlertRoute")
            .body("AlertRouteInput", route_example)
            .errors(&[409]),
        ESCALATION.delete("/api/v1/alert-routes/{id}", esc::delete_route, "Delete a routing rule"),
    ]
}

pub(super) fn schemas() -> Value {
    let target = obj(
        &["kind", "id"],
        json!({ "kind": { "enum": ["schedule", "user", "team"], "description": "schedule: whoever is on call then" }, "id": s("integer") }),
    );
    let level = obj(
        &["delay_minutes", "targets"],
        json!({
            "delay_minutes": { "type": "integer", "minimum": 0, "maximum": 1440, "description": "wait after paging this level before the next one" },
            "targets": { "type": "array", "items": target, "maxItems": 10 }
        }),
    );
    let levels = json!({ "type": "array", "items": level, "minItems": 1, "maxItems": 10 });
    let matcher =
        obj(&["name", "op", "value"], json!({ "name": s("string"), "op": { "enum": ["=", "!=", "=~", "!~"] }, "value": s("string") }));
    let severity = json!({ "oneOf": [{ "enum": ["critical", "major", "minor", "warning", "info"] }, { "type": "null" }], "description": "replaces the alert's severity; null keeps it" });
    json!({
        "EscalationPolicy": obj(&["id", "name", "levels", "repeat_count", "version"], json!({
            "id": s("integer"), "name": s("string"), "description": s("string"), "team_id": ns("integer"), "levels": levels.clone(),
            "repeat_count": { "type": "integer", "description": "runs of the whole policy after the first" },
            "created_by": ns("integer"), "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer")
        })),
        "EscalationPolicyList": items_of("EscalationPolicy"),
        "EscalationPolicyInput": obj(&["name", "levels"], json!({
            "name": { "type": "string", "maxLength": 100 }, "description": { "type": "string", "maxLength": 2000 }, "team_id": ns("integer"),
            "levels": levels, "repeat": { "type": "integer", "minimum": 0, "maximum": 9, "default": 0 },
            "version": { "type": ["integer", "null"], "description": "required to update" }
        })),
        "Escalation": obj(&["id", "incident_id", "policy_id", "state", "pages_sent", "pages_total"], json!({
            "id": s("integer"), "incident_id": s("integer"), "policy_id": s("integer"), "policy_name": s("string"),
            "state": { "enum": ["active", "acknowledged", "exhausted"] }, "started_at": s("integer"),
            "pages_sent": s("integer"), "pages_total": s("integer"), "next_at": ns("integer"),
            "acknowledged_by": { "type": ["integer", "null"], "description": "null with acknowledged_at set: the incident was taken on" },
            "acknowledged_at": ns("integer")
        })),
        "AlertRoute": obj(&["id", "position", "name", "matchers", "version"], json!({
            "id": s("integer"), "position": s("integer"), "name": s("string"), "matchers": { "type": "array", "items": matcher.clone() },
            "team_id": ns("integer"), "policy_id": ns("integer"), "severity": severity.clone(),
            "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer")
        })),
        "AlertRouteList": items_of("AlertRoute"),
        "AlertRouteInput": obj(&["name", "position"], json!({
            "name": { "type": "string", "maxLength": 100 }, "position": { "type": "integer", "description": "lower first" },
            "matchers": { "type": "array", "items": matcher, "maxItems": 20, "description": "all must match; none: every alert" },
            "team_id": ns("integer"), "policy_id": ns("integer"), "severity": severity,
            "version": { "type": ["integer", "null"], "description": "required to update" }
        })),
    })
}
