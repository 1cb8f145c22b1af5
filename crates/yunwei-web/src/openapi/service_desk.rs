//! OpenAPI operations of incidents (queues, bulk changes, saved views, attachments, mail in)
//! and the schemas of the whole service desk, its set-up included (`sla.rs`).

use super::Method::*;
use super::frag::{CURSOR, LIMIT, Param, Tag, arr, arr_of, items_of, ns, page_of, ref_or_null, s};
use super::{Op, obj, schema_ref};
use crate::api::{files, incident, queue_tools};
use serde_json::{Value, json};

const QUEUE_Q: &[Param] = &[
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
    LIMIT,
    CURSOR,
];

const INCIDENTS: Tag = Tag("incidents");

pub(super) fn ops() -> Vec<Op> {
    vec![
        INCIDENTS.op(Get, "/api/v1/incidents/export/{format}", queue_tools::export, "Export a queue as `csv` or `xlsx` (formula-escaped, at most 50,000 rows; audited)", (200, None)).query(QUEUE_Q),
        INCIDENTS.post("/api/v1/incidents/bulk", queue_tools::bulk, "Assign or move up to 200 incidents; one result per incident", "BulkResult").body("BulkInput", || json!({ "incidents": [101, 102, 105], "action": "assign", "team_id": 2, "note": "网络组统一排查同城机房丢包" })),
        INCIDENTS.get("/api/v1/saved-views", queue_tools::list_views, "My saved views of a list", "SavedViewList").query(&[("object_type", "string", "incident or service_request")]),
        INCIDENTS.create("/api/v1/saved-views", queue_tools::create_view, "Save a list's filters under a name", "SavedView").body("NewView", || json!({ "object_type": "incident", "name": "网络组待处理 P1/P2", "query": "queue=my_teams&state=open&priority=1&sort=sla_due" })),
        INCIDENTS.delete("/api/v1/saved-views/{id}", queue_tools::delete_view, "Delete one of my saved views"),
        INCIDENTS.get("/api/v1/incidents", incident::list, "Incident queues with filters and keyset paging", "IncidentPage").query(QUEUE_Q),
        INCIDENTS.create("/api/v1/incidents", incident::create, "Report an incident; priority comes from impact × urgency", "Incident").body("NewIncident", || {
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
            }),
        INCIDENTS.get("/api/v1/incidents/{number}", incident::get, "One incident with timeline, watchers, related and children", "IncidentDetail"),
        INCIDENTS.patch("/api/v1/incidents/{number}", incident::patch, "Edit an incident; impact or urgency re-derive priority and SLA", "Incident").body("IncidentPatch", || json!({ "urgency": "medium", "impact_scope": "仅影响北京分行柜面", "version": 3 })).errors(&[409]),
        INCIDENTS.post("/api/v1/incidents/{number}/assignment", incident::assign, "Assign to a team and/or person", "Incident").body("AssignInput", || json!({ "team_id": 2, "assignee_id": 15, "note": "网络组值班工程师处理" })),
        INCIDENTS.post("/api/v1/incidents/{number}/escalations", incident::escalate, "Functional (to a team) or hierarchical (to the manager) escalation", "Incident").body("EscalateInput", || json!({ "kind": "functional", "team_id": 8, "reason": "需要厂商二线技术支持" })),
        INCIDENTS.post("/api/v1/incidents/{number}/transitions/{transition}", incident::transition, "Move through the lifecycle; illegal transitions answer 409", "Incident").body("TransitionInput", || json!({ "resolution_code": "config_change", "resolution": "回退 CS-01 端口 QoS 配置后丢包消失", "restored_at": "2026-11-20T10:05:00+08:00" })),
        INCIDENTS.create("/api/v1/incidents/{number}/comments", incident::comment, "Public reply (to the requester) or internal work note; returns the timeline entry", "Activity").body("CommentInput", || json!({ "body": "已定位为 QoS 配置问题，正在回退。", "public": true })),
        INCIDENTS.post("/api/v1/incidents/{number}/major", incident::declare_major, "Declare a major incident and name its commander", "Incident").body("MajorInput", || json!({ "commander_id": 4, "reason": "全行柜面交易受影响，启动应急响应" })),
        INCIDENTS.put("/api/v1/incidents/{number}/related/{other}", incident::link, "Relate two incidents", "Related").errors(&[422]),
        INCIDENTS.op(Delete, "/api/v1/incidents/{number}/related/{other}", incident::unlink, "Unrelate two incidents", (200, Some("Related"))).errors(&[422]),
        INCIDENTS.get("/api/v1/search", incident::search, "Full-text search over incidents and service requests (Chinese split into two-character terms; every term must match)", "SearchResults").query(&[("q", "string", "words, Chinese text, or an incident or request number"), LIMIT]),
        INCIDENTS.get("/api/v1/inbound-mails", files::list_mails, "Mail taken in from the service-desk mailbox, newest first", "InboundMailList").query(&[(
                "status",
                "string",
                "incident_created, reply_added, ignored_auto_reply, ignored_bounce, ignored_own, malformed, oversize, unreadable",
            )]),
        INCIDENTS.post("/api/v1/inbound-mails/poll", files::poll_now, "Poll the mailbox now", "PollReport"),
        INCIDENTS.get("/api/v1/inbound-mails/{id}/raw", files::raw_mail, "The original mail (message/rfc822)", "Binary"),
    ]
}

pub(super) fn schemas() -> Value {
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
            "resolution_code": ns("string"), "resolution": ns("string"), "summary": ref_or_null("IncidentSummary"),
            "restored_at": ns("integer"), "sla": schema_ref("SlaView"), "created_at": s("integer"), "updated_at": s("integer"),
            "resolved_at": ns("integer"), "closed_at": ns("integer"), "version": s("integer")
        }),
    );
    let mut detail = incident.clone();
    detail["properties"]["allowed_transitions"] =
        json!({ "type": "array", "items": { "enum": ["start", "pend", "resume", "resolve", "close", "reopen"] } });
    detail["properties"]["timeline"] = arr("Activity");
    detail["properties"]["watchers"] = arr_of("integer");
    detail["properties"]["related"] = arr_of("integer");
    detail["properties"]["children"] = arr_of("integer");
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
        "SavedViewList": items_of("SavedView"),
        "NewView": obj(&["object_type", "name", "query"], json!({ "object_type": { "enum": ["incident", "service_request", "configuration_item"] }, "name": { "type": "string", "maxLength": 60 }, "query": { "type": "string", "maxLength": 1000 } })),
        "Incident": incident,
        "Attachment": obj(&["id", "filename", "size"], json!({ "id": s("integer"), "object_type": s("string"), "object_id": s("integer"), "filename": s("string"), "content_type": s("string"), "size": s("integer"), "sha256": s("string"), "created_by": ns("integer"), "created_at": s("integer") })),
        "AttachmentList": items_of("Attachment"),
        "InboundMail": obj(&["id", "status"], json!({ "id": s("integer"), "mailbox": s("string"), "uid_validity": s("integer"), "uid": s("integer"), "message_id": ns("string"), "from_address": ns("string"), "subject": ns("string"), "size": ns("integer"), "status": s("string"), "reason": ns("string"), "incident_id": ns("integer"), "received_at": s("integer") })),
        "InboundMailList": items_of("InboundMail"),
        "PollReport": obj(&["fetched"], json!({ "fetched": s("integer"), "incidents_created": s("integer"), "replies_added": s("integer"), "ignored": s("integer"), "failed": s("integer") })),
        "SearchResults": obj(&["query", "terms", "incidents", "service_requests", "configuration_items"], json!({ "query": s("string"), "terms": { "type": "array", "items": s("string") }, "incidents": arr("Incident"), "service_requests": arr("ServiceRequest"), "configuration_items": arr("Ci") })),
        "IncidentDetail": detail,
        "IncidentPage": page_of("Incident"),
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
        "Watchers": obj(&["watchers"], json!({ "watchers": arr_of("integer") })),
        "Related": obj(&["related"], json!({ "related": arr_of("integer") })),
        "Category": category,
        "CategoryList": items_of("Category"),
        "CategoryInput": obj(&["name"], json!({ "name": { "type": "string", "maxLength": 100 }, "name_en": { "type": "string", "maxLength": 100 }, "parent_id": ns("integer"), "team_id": ns("integer"), "active": s("boolean") })),
        "BusinessService": service,
        "ServiceList": items_of("BusinessService"),
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
        "CalendarList": items_of("Calendar"),
        "CalendarInput": obj(&["name", "spec"], json!({ "name": { "type": "string", "maxLength": 100 }, "name_en": { "type": "string", "maxLength": 100, "description": "The English name; empty or absent: English readers see name." }, "spec": schema_ref("CalendarSpec"), "is_default": s("boolean") })),
        "Policy": policy,
        "PolicyList": items_of("Policy"),
        "PolicyInput": obj(&["name", "rules"], policy_props),
    })
}
