//! OpenAPI operations and schemas of outbound webhooks and the live event stream.

use super::Method::*;
use super::frag::{LIMIT, Tag, items_of, ns, s};
use super::{Op, obj};
use crate::api::{live, webhook};
use serde_json::{Value, json};

const WEBHOOKS: Tag = Tag("webhooks");
const LIVE: Tag = Tag("live");

pub(super) fn ops() -> Vec<Op> {
    vec![
        WEBHOOKS.get("/api/v1/webhooks", webhook::list, "Every webhook (never the secrets)", "WebhookList"),
        WEBHOOKS
            .create(
                "/api/v1/webhooks",
                webhook::create,
                "Subscribe a URL to events; the signing secret is in this answer only",
                "WebhookWithSecret",
            )
            .body("NewWebhook", || {
                json!({
                    "name": "值班群钉钉机器人",
                    "url": "https://oapi.dingtalk.com/robot/send?access_token=…",
                    "format": "dingtalk",
                    "secret": "SEC…",
                    "locale": "zh-CN",
                    "event_types": ["incident.created", "incident.state_changed", "incident.major_declared"],
                    "active": true
                })
            }),
        WEBHOOKS.get("/api/v1/webhooks/{id}", webhook::get, "One webhook", "Webhook"),
        WEBHOOKS
            .patch("/api/v1/webhooks/{id}", webhook::patch, "Change name, URL, event filter or the active flag", "Webhook")
            .body("WebhookPatch", || json!({ "active": false, "event_types": [] }))
            .errors(&[409]),
        WEBHOOKS.delete("/api/v1/webhooks/{id}", webhook::delete, "Delete a webhook; its queued deliveries are dropped as dead"),
        WEBHOOKS
            .post(
                "/api/v1/webhooks/{id}/rotate-secret",
                webhook::rotate_secret,
                "Replace the signing secret (shown in this answer only); the old one stops at once. \
             Robots' secrets come from their chat service: 422 `secret_issued_by_robot`, change them with PATCH `secret`",
                "WebhookWithSecret",
            )
            .errors(&[422]),
        WEBHOOKS.op(
            Post,
            "/api/v1/webhooks/{id}/test",
            webhook::test,
            "Queue a `ping` event to this webhook only",
            (202, Some("WebhookDelivery")),
        ),
        WEBHOOKS
            .get(
                "/api/v1/webhooks/{id}/deliveries",
                webhook::deliveries,
                "Recent delivery attempts, newest first, with status and the last error",
                "WebhookDeliveryList",
            )
            .query(&[LIMIT])
            .errors(&[422]),
        LIVE.get(
            "/api/v1/events/stream",
            live::stream,
            "Server-sent events about one record (`event:` the event type, `id:` the outbox id, `data:` JSON); \
                     heartbeat comment every 15 s; send `Last-Event-ID` to replay what was missed; `resync` means reload",
            "EventStream",
        )
        .query(&[("topic", "string", "incident:<id> or service_request:<id>")])
        .errors(&[404, 422]),
    ]
}

/// Adds `extra`'s properties to the object schema `schema`.
fn merge(schema: &mut Value, extra: &Value) {
    if let (Some(props), Some(more)) = (schema["properties"].as_object_mut(), extra.as_object()) {
        props.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

pub(super) fn schemas() -> Value {
    let types = json!({ "type": "array", "items": s("string"), "description": "event types, e.g. incident.created; empty: every event" });
    let format = json!({ "enum": ["yunwei", "dingtalk", "wecom", "feishu", "slack", "sms"],
        "description": "yunwei: signed JSON (X-Yunwei-Signature); dingtalk, wecom, feishu, slack: a chat group's robot, sent a message in words; sms: an SMS gateway" });
    let speech = json!({
        "locale": { "enum": ["zh-CN", "en"], "description": "language of the words robots and SMS get" },
        "per_minute": { "type": "integer", "minimum": 0, "maximum": 600, "description": "messages a minute the receiver takes; more are merged into digests; 0: no limit" },
        "phones": { "type": "array", "items": s("string"), "description": "sms only: numbers to text" },
        "body_template": { "type": "string", "description": "sms only: the gateway's JSON body, a template with {{ phones | tojson }} and {{ text | tojson }}; empty: {\"phones\": […], \"text\": …}" },
    });
    let mut webhook = obj(
        &["id", "name", "url", "event_types", "active", "format", "locale", "per_minute", "phones", "body_template"],
        json!({
            "id": s("integer"), "name": s("string"), "url": { "type": "string", "format": "uri" }, "event_types": types.clone(),
            "active": s("boolean"), "format": format.clone(), "created_by": ns("integer"), "created_at": s("integer"), "updated_by": ns("integer"),
            "updated_at": s("integer"), "version": s("integer")
        }),
    );
    merge(&mut webhook, &speech);
    let mut with_secret = webhook.clone();
    with_secret["properties"]["secret"] = json!({ "type": "string", "description": "HMAC-SHA256 key, shown once (formats yunwei and sms); empty for robots, whose secret the chat service issued" });
    with_secret["required"] = json!(["id", "name", "url", "event_types", "active", "format", "secret"]);
    let robot_secret = json!({ "type": "string", "maxLength": 200, "description": "dingtalk and feishu only: the robot's signing secret as the chat service issued it (SEC…); never shown back" });
    let mut new_webhook = obj(
        &["name", "url"],
        json!({
            "name": { "type": "string", "maxLength": 100 }, "url": { "type": "string", "maxLength": 2000, "description": "http or https; no user:password; internal addresses only if allow-listed" },
            "event_types": types.clone(), "active": { "type": "boolean", "default": true }, "format": format, "secret": robot_secret.clone()
        }),
    );
    merge(&mut new_webhook, &speech);
    let mut patch =
        obj(&[], json!({ "name": s("string"), "url": s("string"), "event_types": types, "active": s("boolean"), "secret": robot_secret }));
    merge(&mut patch, &speech);
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
        "WebhookList": items_of("Webhook"),
        "NewWebhook": new_webhook,
        "WebhookPatch": patch,
        "WebhookDelivery": delivery,
        "WebhookDeliveryList": items_of("WebhookDelivery"),
        "LiveEvent": obj(&["id", "type"], json!({
            "id": s("integer"), "type": s("string"), "actor_id": ns("integer"), "actor": { "type": "string", "description": "display name" },
            "at": s("integer")
        })),
    })
}
