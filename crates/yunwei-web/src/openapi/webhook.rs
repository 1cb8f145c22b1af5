//! OpenAPI operations and schemas of outbound webhooks and the live event stream.

use super::Method::*;
use super::{Op, e, obj, op, q, schema_ref, with_body};
use crate::api::{live, webhook};
use serde_json::{Value, json};

pub(super) fn ops() -> Vec<Op> {
    vec![
        op(Get, "/api/v1/webhooks", webhook::list, "webhooks", "Every webhook (never the secrets)", (200, Some("WebhookList"))),
        Op {
            errors: &[409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/webhooks",
                    webhook::create,
                    "webhooks",
                    "Subscribe a URL to events; the signing secret is in this answer only",
                    (201, Some("WebhookWithSecret")),
                ),
                "NewWebhook",
                || {
                    json!({
                        "name": "工单同步到 ITSM 总线",
                        "url": "https://hooks.bank.example/yunwei",
                        "event_types": ["incident.created", "incident.state_changed", "incident.major_declared"],
                        "active": true
                    })
                },
            )
        },
        e(op(Get, "/api/v1/webhooks/{id}", webhook::get, "webhooks", "One webhook", (200, Some("Webhook"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Patch,
                    "/api/v1/webhooks/{id}",
                    webhook::patch,
                    "webhooks",
                    "Change name, URL, event filter or the active flag",
                    (200, Some("Webhook")),
                ),
                "WebhookPatch",
                || json!({ "active": false, "event_types": [] }),
            )
        },
        e(
            op(
                Delete,
                "/api/v1/webhooks/{id}",
                webhook::delete,
                "webhooks",
                "Delete a webhook; its queued deliveries are dropped as dead",
                (204, None),
            ),
            &[404],
        ),
        e(
            op(
                Post,
                "/api/v1/webhooks/{id}/rotate-secret",
                webhook::rotate_secret,
                "webhooks",
                "Replace the signing secret (shown in this answer only); the old one stops at once",
                (200, Some("WebhookWithSecret")),
            ),
            &[404],
        ),
        e(
            op(
                Post,
                "/api/v1/webhooks/{id}/test",
                webhook::test,
                "webhooks",
                "Queue a `ping` event to this webhook only",
                (202, Some("WebhookDelivery")),
            ),
            &[404],
        ),
        e(
            q(
                op(
                    Get,
                    "/api/v1/webhooks/{id}/deliveries",
                    webhook::deliveries,
                    "webhooks",
                    "Recent delivery attempts, newest first, with status and the last error",
                    (200, Some("WebhookDeliveryList")),
                ),
                &[("limit", "integer", "1–200, default 50")],
            ),
            &[404, 422],
        ),
        e(
            q(
                op(
                    Get,
                    "/api/v1/events/stream",
                    live::stream,
                    "live",
                    "Server-sent events about one record (`event:` the event type, `id:` the outbox id, `data:` JSON); \
                     heartbeat comment every 15 s; send `Last-Event-ID` to replay what was missed; `resync` means reload",
                    (200, Some("EventStream")),
                ),
                &[("topic", "string", "incident:<id> or service_request:<id>")],
            ),
            &[404, 422],
        ),
    ]
}

pub(super) fn schemas() -> Value {
    let s = |t: &str| json!({ "type": t });
    let ns = |t: &str| json!({ "type": [t, "null"] });
    let types = json!({ "type": "array", "items": s("string"), "description": "event types, e.g. incident.created; empty: every event" });
    let webhook = obj(
        &["id", "name", "url", "event_types", "active"],
        json!({
            "id": s("integer"), "name": s("string"), "url": { "type": "string", "format": "uri" }, "event_types": types.clone(),
            "active": s("boolean"), "created_by": ns("integer"), "created_at": s("integer"), "updated_by": ns("integer"),
            "updated_at": s("integer"), "version": s("integer")
        }),
    );
    let mut with_secret = webhook.clone();
    with_secret["properties"]["secret"] = json!({ "type": "string", "description": "HMAC-SHA256 key; shown once" });
    with_secret["required"] = json!(["id", "name", "url", "event_types", "active", "secret"]);
    let delivery = obj(
        &["id", "event_type", "status", "attempts"],
        json!({
            "id": { "type": "integer", "description": "the X-Yunwei-Delivery header; the same on every retry" },
            "event_id": s("integer"), "event_type": s("string"), "status": { "enum": ["pending", "sent", "dead"] },
            "attempts": s("integer"), "last_error": ns("string"), "created_at": s("integer"), "sent_at": ns("integer")
        }),
    );
    json!({
        "Webhook": webhook,
        "WebhookWithSecret": with_secret,
        "WebhookList": obj(&["items"], json!({ "items": { "type": "array", "items": schema_ref("Webhook") } })),
        "NewWebhook": obj(&["name", "url"], json!({
            "name": { "type": "string", "maxLength": 100 }, "url": { "type": "string", "maxLength": 2000, "description": "http or https; no user:password; internal addresses only if allow-listed" },
            "event_types": types.clone(), "active": { "type": "boolean", "default": true }
        })),
        "WebhookPatch": obj(&[], json!({ "name": s("string"), "url": s("string"), "event_types": types, "active": s("boolean") })),
        "WebhookDelivery": delivery,
        "WebhookDeliveryList": obj(&["items"], json!({ "items": { "type": "array", "items": schema_ref("WebhookDelivery") } })),
        "LiveEvent": obj(&["id", "type"], json!({
            "id": s("integer"), "type": s("string"), "actor_id": ns("integer"), "actor": { "type": "string", "description": "display name" },
            "at": s("integer")
        })),
    })
}
