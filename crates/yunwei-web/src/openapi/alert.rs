//! OpenAPI operations and schemas of monitoring alerts: integrations, alerts, acknowledge.
//! The senders' own endpoints under `/integrations/` speak their wire formats and are
//! described in the API guide, not here.

use super::frag::{Tag, items_of, ns, s};
use super::obj;
use crate::api::alert;
use serde_json::{Value, json};

const INTEGRATIONS: Tag = Tag("alert-integrations");
const ALERTS: Tag = Tag("alerts");

pub(super) fn ops() -> Vec<super::Op> {
    vec![
        INTEGRATIONS.get("/api/v1/alert-integrations", alert::list_integrations, "Every alert integration (never the tokens)", "AlertIntegrationList"),
        INTEGRATIONS
            .create(
                "/api/v1/alert-integrations",
                alert::create_integration,
                "Add a sender; its token is in this answer only",
                "AlertIntegrationWithToken",
            )
            .body("NewAlertIntegration", || {
                json!({ "name": "生产 Alertmanager", "severity_map": { "map": { "P1": "critical", "P2": "major" }, "default": "warning" }, "active": true })
            })
            .errors(&[409]),
        INTEGRATIONS.get("/api/v1/alert-integrations/{id}", alert::get_integration, "One integration", "AlertIntegration"),
        INTEGRATIONS
            .patch("/api/v1/alert-integrations/{id}", alert::patch_integration, "Change name, severity mapping, team or the active flag", "AlertIntegration")
            .body("AlertIntegrationPatch", || json!({ "active": false }))
            .errors(&[409]),
        INTEGRATIONS.delete("/api/v1/alert-integrations/{id}", alert::delete_integration, "Delete an integration and its alerts"),
        INTEGRATIONS.post(
            "/api/v1/alert-integrations/{id}/rotate-token",
            alert::rotate_token,
            "Replace the token (shown in this answer only); the old one is refused at once on this node, within 5 s on others",
            "AlertIntegrationWithToken",
        ),
        ALERTS
            .get("/api/v1/alerts", alert::list, "Alerts, latest change first", "AlertList")
            .query(&[
                ("status", "string", "firing or resolved"),
                ("severity", "string", "critical, major, minor, warning or info"),
                ("integration_id", "integer", "one integration's alerts"),
                ("limit", "integer", "1–500, default 100"),
            ])
            .errors(&[422]),
        ALERTS.get("/api/v1/alerts/{id}", alert::get, "One alert with its state history and the payload as sent", "AlertDetail"),
        ALERTS.post("/api/v1/alerts/{id}/acknowledge", alert::acknowledge, "Take the alert on; the first acknowledgement counts", "AlertDetail"),
        ALERTS.get("/api/v1/alert-silences", alert::list_silences, "Silences not yet over (current and future)", "AlertSilenceList"),
        ALERTS
            .create("/api/v1/alert-silences", alert::create_silence, "Silence alerts whose labels match, for a time range", "AlertSilence")
            .body("NewAlertSilence", || {
                json!({ "matchers": [{ "name": "instance", "op": "=~", "value": "10\\.1\\.2\\..*" }], "ends_at": 1_796_634_000_000_i64, "comment": "机房 UPS 维护" })
            }),
        ALERTS.post("/api/v1/alert-silences/{id}/expire", alert::expire_silence, "End a silence now (kept in the history)", "AlertSilence").errors(&[409]),
    ]
}

pub(super) fn schemas() -> Value {
    let severity = json!({ "enum": ["critical", "major", "minor", "warning", "info"] });
    let map = json!({
        "type": "object",
        "properties": {
            "map": { "type": "object", "additionalProperties": severity.clone(), "description": "the sender's word → Yunwei's severity (case-insensitive)" },
            "default": { "oneOf": [severity.clone(), { "type": "null" }], "description": "for unknown words (flagged); warning when absent" }
        }
    });
    let integration = obj(
        &["id", "name", "token_hint", "severity_map", "active"],
        json!({
            "id": s("integer"), "name": s("string"), "token_hint": { "type": "string", "description": "the token's last 4 characters" },
            "severity_map": map.clone(), "team_id": ns("integer"),
            "incident_severity": { "oneOf": [severity.clone(), { "type": "null" }], "description": "the least severe severity that opens an incident" },
            "auto_resolve": s("boolean"), "active": s("boolean"), "created_by": ns("integer"),
            "flap_changes": { "type": "integer", "description": "state changes within flap_minutes that make an alert flapping (notifications held); 0: off" },
            "flap_minutes": s("integer"),
            "created_at": s("integer"), "updated_by": ns("integer"), "updated_at": s("integer"), "version": s("integer")
        }),
    );
    let mut with_token = integration.clone();
    with_token["properties"]["token"] = json!({ "type": "string", "description": "shown once; stored as SHA-256" });
    with_token["required"] = json!(["id", "name", "token_hint", "severity_map", "active", "token"]);
    let labels = json!({ "type": "object", "additionalProperties": s("string") });
    let alert = obj(
        &["id", "integration_id", "dedup_key", "source", "status", "severity", "title"],
        json!({
            "id": s("integer"), "integration_id": s("integer"), "dedup_key": { "type": "string", "description": "fingerprint or dedup key" },
            "source": { "enum": ["alertmanager", "alertmanager_api", "pagerduty_v2", "pagerduty_v1", "generic"] },
            "status": { "enum": ["firing", "resolved"] }, "severity": severity, "source_severity": ns("string"),
            "title": s("string"), "description": s("string"), "labels": labels.clone(), "annotations": labels,
            "starts_at": ns("integer"), "ends_at": ns("integer"), "link": ns("string"),
            "flags": { "type": "array", "items": { "enum": ["unknown_severity", "extra_fields"] } },
            "raw": { "description": "this alert's part of the payload, as sent" },
            "acknowledged_by": ns("integer"), "acknowledged_at": ns("integer"), "ci_id": ns("integer"), "incident_id": ns("integer"),
            "first_seen_at": s("integer"),
            "last_change_at": s("integer"), "changes": s("integer"),
            "silenced_by": { "type": ["object", "null"], "description": "what held it: {kind: silence, id, until} or {kind: change, change_id, number, until}" }
        }),
    );
    let matcher = obj(
        &["name", "op", "value"],
        json!({
            "name": s("string"), "op": { "enum": ["=", "!=", "=~", "!~"] }, "value": { "type": "string", "description": "=~ and !~: a regular expression, anchored" }
        }),
    );
    let mut detail = alert.clone();
    detail["properties"]["incident_number"] = ns("string");
    detail["properties"]["history"] = json!({ "type": "array", "items": obj(&["at", "kind"], json!({
        "id": s("integer"), "alert_id": s("integer"), "at": s("integer"), "kind": { "enum": ["firing", "resolved", "acknowledged"] },
        "severity": s("string"), "actor_id": ns("integer")
    })) });
    json!({
        "AlertIntegration": integration,
        "AlertIntegrationWithToken": with_token,
        "AlertIntegrationList": items_of("AlertIntegration"),
        "NewAlertIntegration": obj(&["name"], json!({
            "name": { "type": "string", "maxLength": 100 }, "severity_map": map.clone(), "team_id": ns("integer"),
            "incident_severity": { "oneOf": [severity.clone(), { "type": "null" }] },
            "auto_resolve": { "type": "boolean", "default": true }, "active": { "type": "boolean", "default": true },
            "flap_changes": { "type": "integer", "minimum": 0, "maximum": 100, "default": 6 }, "flap_minutes": { "type": "integer", "minimum": 1, "maximum": 1440, "default": 30 }
        })),
        "AlertIntegrationPatch": obj(&[], json!({
            "name": s("string"), "severity_map": map, "team_id": ns("integer"),
            "incident_severity": { "oneOf": [severity.clone(), { "type": "null" }] }, "auto_resolve": s("boolean"), "active": s("boolean"),
            "flap_changes": s("integer"), "flap_minutes": s("integer")
        })),
        "Alert": alert,
        "AlertList": items_of("Alert"),
        "AlertDetail": detail,
        "AlertSilence": obj(&["id", "matchers", "starts_at", "ends_at"], json!({
            "id": s("integer"), "matchers": { "type": "array", "items": matcher.clone() }, "starts_at": s("integer"), "ends_at": s("integer"),
            "comment": s("string"), "created_by": ns("integer"), "created_at": s("integer")
        })),
        "AlertSilenceList": items_of("AlertSilence"),
        "NewAlertSilence": obj(&["matchers", "ends_at"], json!({
            "matchers": { "type": "array", "items": matcher }, "starts_at": { "type": ["integer", "null"], "description": "default now" },
            "ends_at": s("integer"), "comment": { "type": "string", "maxLength": 2000 }
        })),
    })
}
