//! OpenAPI operations of incidents (queues, bulk changes, saved views, attachments, mail in)
//! and the schemas of the whole service desk, its set-up included (`sla.rs`).

use super::Method::*;
use super::{Op, e, obj, op, q, schema_ref, with_body};
use crate::api::{files, incident, queue_tools};
use serde_json::{Value, json};

const QUEUE_Q: &[(&str, &str, &str)] = &[
    ("queue", "string", "all (default), mine, my_teams, unassigned, breaching_soon, recent, requested"),
    ("state", "string", "comma-separated states: new, assigned, in_progress, pending, resolved, closed"),
    ("team_id", "integer", "assigned team"),
    ("assignee_id", "integer", "assigned person"),
    ("priority", "integer", "1–4"),
    ("category_id", "integer", "category"),
    ("service_id", "integer", "business service"),
    ("ci_id", "integer", "linked configuration item"),
    ("affected_service_id", "integer", "business service whose CIs the incident's CI is among (it needs that CI, at any depth)"),
    ("major", "boolean", "major incidents only"),
    ("sort", "string", "sla_due (default), updated, created, priority"),
    ("q", "string", "text in title or description"),
    ("limit", "integer", "1–200, default 50"),
    ("cursor", "string", "`next_cursor` of the previous page"),
];

pub(super) fn ops() -> Vec<Op> {
    vec![
        q(
            e(
                op(
                    Get,
                    "/api/v1/incidents/export/{format}",
                    queue_tools::export,
                    "incidents",
                    "Export a queue as `csv` or `xlsx` (formula-escaped, at most 50,000 rows; audited)",
                    (200, None),
                ),
                &[404],
            ),
            QUEUE_Q,
        ),
        with_body(
            op(
                Post,
                "/api/v1/incidents/bulk",
                queue_tools::bulk,
                "incidents",
                "Assign or move up to 200 incidents; one result per incident",
                (200, Some("BulkResult")),
            ),
            "BulkInput",
            || json!({ "incidents": [101, 102, 105], "action": "assign", "team_id": 2, "note": "网络组统一排查同城机房丢包" }),
        ),
        q(
            op(Get, "/api/v1/saved-views", queue_tools::list_views, "incidents", "My saved views of a list", (200, Some("SavedViewList"))),
            &[("object_type", "string", "incident or service_request")],
        ),
        Op {
            errors: &[409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/saved-views",
                    queue_tools::create_view,
                    "incidents",
                    "Save a list's filters under a name",
                    (201, Some("SavedView")),
                ),
                "NewView",
                || json!({ "object_type": "incident", "name": "网络组待处理 P1/P2", "query": "queue=my_teams&state=open&priority=1&sort=sla_due" }),
            )
        },
        e(
            op(Delete, "/api/v1/saved-views/{id}", queue_tools::delete_view, "incidents", "Delete one of my saved views", (204, None)),
            &[404],
        ),
        q(
            op(
                Get,
                "/api/v1/incidents",
                incident::list,
                "incidents",
                "Incident queues with filters and keyset paging",
                (200, Some("IncidentPage")),
            ),
            QUEUE_Q,
        ),
        with_body(
            op(
                Post,
                "/api/v1/incidents",
                incident::create,
                "incidents",
                "Report an incident; priority comes from impact × urgency",
                (201, Some("Incident")),
            ),
            "NewIncident",
            || {
                json!({
                    "title": "核心交换机网络丢包",
                    "description": "09:20 起同城数据中心核心交换机 CS-01 端口丢包约 5%，柜面交易响应变慢。",
                    "impact": "high",
                    "urgency": "high",
                    "category_id": 1,
                    "service_id": 1,
                    "ci_ref": "CS-01",
                    "channel": "phone",
                    "requester_name": "营业部 王丽",
                    "requester_contact": "010-6688 1234",
                    "location": "同城数据中心 3 楼机房",
                    "impact_scope": "全行柜面交易",
                    "occurred_at": "2026-11-20T09:20:00+08:00"
                })
            },
        ),
        e(
            op(
                Get,
                "/api/v1/incidents/{number}",
                incident::get,
                "incidents",
                "One incident with timeline, watchers, related and children",
                (200, Some("IncidentDetail")),
            ),
            &[404],
        ),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Patch,
                    "/api/v1/incidents/{number}",
                    incident::patch,
                    "incidents",
                    "Edit an incident; impact or urgency re-derive priority and SLA",
                    (200, Some("Incident")),
                ),
                "IncidentPatch",
                || json!({ "urgency": "medium", "impact_scope": "仅影响北京分行柜面", "version": 3 }),
            )
        },
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/incidents/{number}/assignment",
                    incident::assign,
                    "incidents",
                    "Assign to a team and/or person",
                    (200, Some("Incident")),
                ),
                "AssignInput",
                || json!({ "team_id": 2, "assignee_id": 15, "note": "网络组值班工程师处理" }),
            )
        },
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/incidents/{number}/escalations",
                    incident::escalate,
                    "incidents",
                    "Functional (to a team) or hierarchical (to the manager) escalation",
                    (200, Some("Incident")),
                ),
                "EscalateInput",
                || json!({ "kind": "functional", "team_id": 8, "reason": "需要厂商二线技术支持" }),
            )
        },
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/incidents/{number}/transitions/{transition}",
                    incident::transition,
                    "incidents",
                    "Move through the lifecycle; illegal transitions answer 409",
                    (200, Some("Incident")),
                ),
                "TransitionInput",
                || json!({ "resolution_code": "config_change", "resolution": "回退 CS-01 端口 QoS 配置后丢包消失", "restored_at": "2026-11-20T10:05:00+08:00" }),
            )
        },
        Op {
            errors: &[404, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/incidents/{number}/comments",
                    incident::comment,
                    "incidents",
                    "Public reply (to the requester) or internal work note; returns the timeline entry",
                    (201, Some("Activity")),
                ),
                "CommentInput",
                || json!({ "body": "已定位为 QoS 配置问题，正在回退。", "public": true }),
            )
        },
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/incidents/{number}/major",
                    incident::declare_major,
                    "incidents",
                    "Declare a major incident and name its commander",
                    (200, Some("Incident")),
                ),
                "MajorInput",
                || json!({ "commander_id": 4, "reason": "全行柜面交易受影响，启动应急响应" }),
            )
        },
        e(
            op(
                Put,
                "/api/v1/incidents/{number}/related/{other}",
                incident::link,
                "incidents",
                "Relate two incidents",
                (200, Some("Related")),
            ),
            &[404, 422],
        ),
        e(
            op(
                Delete,
                "/api/v1/incidents/{number}/related/{other}",
                incident::unlink,
                "incidents",
                "Unrelate two incidents",
                (200, Some("Related")),
            ),
            &[404, 422],
        ),
        q(
            op(
                Get,
                "/api/v1/search",
                incident::search,
                "incidents",
                "Full-text search over incidents and service requests (Chinese split into two-character terms; every term must match)",
                (200, Some("SearchResults")),
            ),
            &[("q", "string", "words, Chinese text, or an incident or request number"), ("limit", "integer", "1–200, default 50")],
        ),
        q(
            op(
                Get,
                "/api/v1/inbound-mails",
                files::list_mails,
                "incidents",
                "Mail taken in from the service-desk mailbox, newest first",
                (200, Some("InboundMailList")),
            ),
            &[(
                "status",
                "string",
                "incident_created, reply_added, ignored_auto_reply, ignored_bounce, ignored_own, malformed, oversize, unreadable",
            )],
        ),
        e(op(Post, "/api/v1/inbound-mails/poll", files::poll_now, "incidents", "Poll the mailbox now", (200, Some("PollReport"))), &[409]),
        e(
            op(
                Get,
                "/api/v1/inbound-mails/{id}/raw",
                files::raw_mail,
                "incidents",
                "The original mail (message/rfc822)",
                (200, Some("Binary")),
            ),
            &[404],
        ),
    ]
}

pub(super) fn schemas() -> Value {
    let s = |t: &str| json!({ "type": t });
    let ns = |t: &str| json!({ "type": [t, "null"] });
    let arr = |r: &str| json!({ "type": "array", "items": schema_ref(r) });
    let level = json!({ "enum": ["high", "medium", "low"] });
    let state = json!({ "enum": ["new", "assigned", "in_progress", "pending", "resolved", "closed"] });
    let summary = obj(
        &["cause", "handling", "lessons", "prevention"],
        json!({ "cause": s("string"), "handling": s("string"), "lessons": s("string"), "prevention": s("string") }),
    );
    let sla = obj(
        &[],
        json!({
            "policy_id": ns("integer"), "responded_at": ns("integer"), "response_due_at": ns("integer"), "resolve_due_at": ns("integer"),
            "response_breached": s("boolean"), "resolve_breached": s("boolean"), "response_remaining_secs": ns("integer"),
            "resolution_remaining_secs": ns("integer"), "paused": s("boolean")
        }),
    );
    let incident = obj(
        &["id", "number", "title", "state", "priority"],
        json!({
            "id": s("integer"), "number": { "type": "string", "pattern": "^INC-[0-9]{6,}$" }, "title": s("string"), "description": s("string"),
            "state": state, "pending_reason": { "enum": ["requester", "third_party", "change", null] }, "impact": level, "urgency": level,
            "priority": { "type": "integer", "minimum": 1, "maximum": 4 }, "category_id": ns("integer"), "service_id": ns("integer"),
            "ci_ref": ns("string"), "ci_id": { "type": ["integer", "null"], "description": "linked configuration item" },
            "channel": { "enum": ["portal", "phone", "email", "api", "monitoring"] }, "reporter_id": ns("integer"),
            "requester_id": ns("integer"), "requester_name": ns("string"), "requester_contact": ns("string"), "department_id": ns("integer"),
            "location": ns("string"), "impact_scope": ns("string"), "occurred_at": ns("integer"), "team_id": ns("integer"),
            "assignee_id": ns("integer"), "parent_id": ns("integer"), "major": s("boolean"), "commander_id": ns("integer"),
            "resolution_code": ns("string"), "resolution": ns("string"), "summary": { "oneOf": [schema_ref("IncidentSummary"), { "type": "null" }] },
            "restored_at": ns("integer"), "sla": schema_ref("SlaView"), "created_at": s("integer"), "updated_at": s("integer"),
            "resolved_at": ns("integer"), "closed_at": ns("integer"), "version": s("integer")
        }),
    );
    let mut detail = incident.clone();
    detail["properties"]["allowed_transitions"] =
        json!({ "type": "array", "items": { "enum": ["start", "pend", "resume", "resolve", "close", "reopen"] } });
    detail["properties"]["timeline"] = arr("Activity");
    detail["properties"]["watchers"] = json!({ "type": "array", "items": s("integer") });
    detail["properties"]["related"] = json!({ "type": "array", "items": s("integer") });
    detail["properties"]["children"] = json!({ "type": "array", "items": s("integer") });
    detail["properties"]["major_incident"] = schema_ref("MajorIncident");
    let instant = json!({ "type": ["integer", "string", "null"], "description": "unix milliseconds or RFC 3339" });
    let span = obj(
        &["start", "end"],
        json!({ "start": { "type": "integer", "minimum": 0, "maximum": 1439 }, "end": { "type": "integer", "minimum": 1, "maximum": 1440 } }),
    );
    let spans = json!({ "type": "array", "items": span });
    let dates = json!({ "type": "array", "items": { "type": "string", "format": "date" } });
    let targets =
        obj(&["response_minutes", "resolution_minutes"], json!({ "response_minutes": s("integer"), "resolution_minutes": s("integer") }));
    let rules = obj(
        &["targets"],
        json!({
            "targets": { "type": "array", "items": targets, "minItems": 4, "maxItems": 4 },
            "pause_on": { "type": "array", "items": { "enum": ["requester", "third_party", "change"] } },
            "warn_at": { "type": "array", "items": { "type": "integer", "minimum": 1, "maximum": 99 } },
            "on_breach": obj(&[], json!({ "notify_manager": s("boolean"), "raise_priority": s("boolean"), "escalate_to_team": ns("integer") }))
        }),
    );
    let policy_props = json!({ "name": s("string"), "name_en": { "type": "string", "maxLength": 100, "description": "The English name; empty or absent: English readers see name." }, "service_id": ns("integer"), "department_id": ns("integer"), "calendar_id": ns("integer"), "rules": rules, "active": s("boolean") });
    let mut policy = obj(&["id", "name", "rules"], policy_props.clone());
    policy["properties"]["id"] = s("integer");
    policy["properties"]["created_at"] = s("integer");
    policy["properties"]["updated_at"] = s("integer");
    let cal_spec = obj(
        &["time_zone", "week", "holidays", "makeup_days", "makeup_hours"],
        json!({
            "time_zone": s("string"), "week": { "type": "array", "items": spans, "minItems": 7, "maxItems": 7, "description": "Monday first" },
            "holidays": dates, "makeup_days": dates, "makeup_hours": spans, "day_names": { "type": "object", "additionalProperties": s("string") }
        }),
    );
    let category = obj(
        &["id", "name"],
        json!({ "id": s("integer"), "name": s("string"), "name_en": { "type": "string", "description": "English name; empty: English readers see name" }, "parent_id": ns("integer"), "team_id": ns("integer"), "active": s("boolean"), "created_at": s("integer"), "updated_at": s("integer") }),
    );
    let service = obj(
        &["id", "name"],
        json!({ "id": s("integer"), "name": s("string"), "name_en": { "type": "string", "description": "English name; empty: English readers see name" }, "code": ns("string"), "description": s("string"), "team_id": ns("integer"), "downtime_budget_minutes": s("integer"), "active": s("boolean"), "created_at": s("integer"), "updated_at": s("integer"), "ci_id": { "type": ["integer", "null"], "description": "the service's CI in the CMDB" } }),
    );
    let label = obj(
        &["name_zh", "name_en", "colour"],
        json!({ "name_zh": s("string"), "name_en": s("string"), "colour": { "type": "string", "pattern": "^#[0-9a-fA-F]{6}$" } }),
    );
    json!({
        "BulkInput": obj(&["incidents", "action"], json!({
            "incidents": { "type": "array", "items": s("integer"), "minItems": 1, "maxItems": 200 }, "action": { "enum": ["assign", "transition"] },
            "team_id": ns("integer"), "assignee_id": ns("integer"), "transition": { "enum": ["start", "pend", "resume", "resolve", "close", "reopen", null] },
            "pending_reason": { "enum": ["requester", "third_party", "change", null] }, "resolution_code": ns("string"), "resolution": ns("string"), "note": ns("string")
        })),
        "BulkResult": obj(&["succeeded", "failed", "results"], json!({
            "succeeded": s("integer"), "failed": s("integer"),
            "results": { "type": "array", "items": obj(&["id", "number", "ok"], json!({ "id": s("integer"), "number": s("string"), "ok": s("boolean"), "state": s("string"), "code": s("string"), "message": s("string") })) }
        })),
        "SavedView": obj(&["id", "object_type", "name", "query"], json!({ "id": s("integer"), "object_type": s("string"), "name": s("string"), "query": s("string"), "created_at": s("integer") })),
        "SavedViewList": obj(&["items"], json!({ "items": arr("SavedView") })),
        "NewView": obj(&["object_type", "name", "query"], json!({ "object_type": { "enum": ["incident", "service_request", "configuration_item"] }, "name": { "type": "string", "maxLength": 60 }, "query": { "type": "string", "maxLength": 1000 } })),
        "Incident": incident,
        "Attachment": obj(&["id", "filename", "size"], json!({ "id": s("integer"), "object_type": s("string"), "object_id": s("integer"), "filename": s("string"), "content_type": s("string"), "size": s("integer"), "sha256": s("string"), "created_by": ns("integer"), "created_at": s("integer") })),
        "AttachmentList": obj(&["items"], json!({ "items": arr("Attachment") })),
        "InboundMail": obj(&["id", "status"], json!({ "id": s("integer"), "mailbox": s("string"), "uid_validity": s("integer"), "uid": s("integer"), "message_id": ns("string"), "from_address": ns("string"), "subject": ns("string"), "size": ns("integer"), "status": s("string"), "reason": ns("string"), "incident_id": ns("integer"), "received_at": s("integer") })),
        "InboundMailList": obj(&["items"], json!({ "items": arr("InboundMail") })),
        "PollReport": obj(&["fetched"], json!({ "fetched": s("integer"), "incidents_created": s("integer"), "replies_added": s("integer"), "ignored": s("integer"), "failed": s("integer") })),
        "SearchResults": obj(&["query", "terms", "incidents", "service_requests", "configuration_items"], json!({ "query": s("string"), "terms": { "type": "array", "items": s("string") }, "incidents": arr("Incident"), "service_requests": arr("ServiceRequest"), "configuration_items": arr("Ci") })),
        "IncidentDetail": detail,
        "IncidentPage": obj(&["items"], json!({ "items": arr("Incident"), "next_cursor": ns("string") })),
        "IncidentSummary": summary,
        "SlaView": sla,
        "Activity": obj(&["id", "kind", "at"], json!({ "id": s("integer"), "incident_id": s("integer"), "at": s("integer"), "actor_id": ns("integer"), "actor_name": ns("string"), "kind": s("string"), "public": s("boolean"), "body": s("string"), "data": s("object") })),
        "NewIncident": obj(&["title", "description", "impact", "urgency"], json!({
            "title": { "type": "string", "maxLength": 200 }, "description": { "type": "string", "maxLength": 20000 }, "impact": level, "urgency": level,
            "category_id": ns("integer"), "service_id": ns("integer"), "ci_ref": ns("string"),
            "ci_id": { "type": ["integer", "null"], "description": "the configuration item it is about; needs read on the CI (403 without any CI grant, 422 `not_found` for one the caller may not see)" },
            "channel": { "enum": ["portal", "phone", "email", "api", "monitoring", null] },
            "requester_id": ns("integer"), "requester_name": ns("string"), "requester_contact": ns("string"), "location": ns("string"),
            "impact_scope": ns("string"), "occurred_at": instant, "team_id": ns("integer"), "assignee_id": ns("integer"), "parent_id": ns("integer"),
            "watchers": { "type": "array", "items": s("integer"), "maxItems": 50 }
        })),
        "IncidentPatch": obj(&[], json!({
            "title": s("string"), "description": s("string"), "impact": level, "urgency": level, "category_id": ns("integer"), "service_id": ns("integer"),
            "ci_ref": ns("string"), "ci_id": { "type": ["integer", "null"], "description": "link to a configuration item (needs read on it); null unlinks" },
            "location": ns("string"), "impact_scope": ns("string"), "parent_id": ns("integer"), "summary": schema_ref("IncidentSummary"),
            "version": { "type": "integer", "description": "refused with 409 if the incident changed since" }
        })),
        "AssignInput": obj(&[], json!({ "team_id": ns("integer"), "assignee_id": ns("integer"), "note": ns("string") })),
        "EscalateInput": obj(&["kind", "reason"], json!({ "kind": { "enum": ["functional", "hierarchical"] }, "team_id": ns("integer"), "reason": s("string") })),
        "TransitionInput": obj(&[], json!({
            "pending_reason": { "enum": ["requester", "third_party", "change", null] }, "resolution_code": ns("string"), "resolution": ns("string"),
            "restored_at": instant, "summary": schema_ref("IncidentSummary"), "comment": ns("string")
        })),
        "CommentInput": obj(&["body"], json!({ "body": { "type": "string", "maxLength": 20000 }, "public": s("boolean") })),
        "MajorInput": obj(&["commander_id"], json!({ "commander_id": s("integer"), "reason": ns("string") })),
        "WatcherBody": obj(&[], json!({ "user_id": ns("integer") })),
        "Watchers": obj(&["watchers"], json!({ "watchers": { "type": "array", "items": s("integer") } })),
        "Related": obj(&["related"], json!({ "related": { "type": "array", "items": s("integer") } })),
        "Category": category,
        "CategoryList": obj(&["items"], json!({ "items": arr("Category") })),
        "CategoryInput": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "name_en": { "type": "string", "maxLength": 100 }, "parent_id": ns("integer"), "team_id": ns("integer"), "active": s("boolean") })),
        "BusinessService": service,
        "ServiceList": obj(&["items"], json!({ "items": arr("BusinessService") })),
        "ServiceInput": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "name_en": { "type": "string", "maxLength": 100 }, "code": ns("string"), "description": s("string"), "team_id": ns("integer"), "downtime_budget_minutes": { "type": ["integer", "null"], "minimum": 0, "maximum": 525600 }, "active": s("boolean") })),
        "DeskSettings": obj(&[], json!({
            "matrix": obj(&["cells"], json!({ "cells": { "type": "array", "description": "rows: impact high, medium, low; columns: urgency", "items": { "type": "array", "items": { "type": "integer", "minimum": 1, "maximum": 4 } } } })),
            "labels": { "type": "array", "items": label, "minItems": 4, "maxItems": 4 },
            "summary_required_for": { "type": "array", "items": { "type": "integer", "minimum": 1, "maximum": 4 } },
            "reopen_days": { "type": "integer", "minimum": 1, "maximum": 365 }, "auto_major_for_p1": s("boolean"),
            "resolution_codes": { "type": "array", "items": { "type": "string", "pattern": "^[a-z0-9_]{1,40}$" } },
            "resolution_labels": { "type": "object", "description": "names of resolution codes by code; a code without one shows its built-in name (or the code)", "additionalProperties": obj(&[], json!({ "name_zh": { "type": "string", "maxLength": 40 }, "name_en": { "type": "string", "maxLength": 40 } })) },
            "major_update_interval_minutes": { "type": "integer", "minimum": 5, "maximum": 1440, "description": "default stakeholder-update interval of major incidents" },
            "approval_fallback_role": { "type": "string", "pattern": "^([a-z0-9_]{1,40})?$", "description": "role key whose holders decide a service-request approval step without an approver (never the requester); empty: the step waits for the service desk. Default ops_manager" }
        })),
        "CalendarSpec": cal_spec,
        "Calendar": obj(&["id", "name", "spec"], json!({ "id": s("integer"), "name": s("string"), "name_en": s("string"), "spec": schema_ref("CalendarSpec"), "is_default": s("boolean"), "missing_holiday_years": json!({ "type": "array", "items": s("integer"), "description": "This year and next, where the calendar observes public holidays but the year is not known to be complete (neither confirmed by an administrator nor holding the shipped notice): deadlines there may ignore holidays and make-up days." }), "confirmed_years": json!({ "type": "array", "items": s("integer"), "description": "Years an administrator confirmed as holding the whole notice." }), "created_at": s("integer"), "updated_at": s("integer") })),
        "CalendarList": obj(&["items"], json!({ "items": arr("Calendar") })),
        "CalendarInput": obj(&["name", "spec"], json!({ "name": { "type": "string", "maxLength": 100 }, "name_en": { "type": "string", "maxLength": 100, "description": "The English name; empty or absent: English readers see name." }, "spec": schema_ref("CalendarSpec"), "is_default": s("boolean") })),
        "Policy": policy,
        "PolicyList": obj(&["items"], json!({ "items": arr("Policy") })),
        "PolicyInput": obj(&["name", "rules"], policy_props),
    })
}
