//! OpenAPI operations and schemas of service requests and the service catalogue.

use super::frag::{CURSOR, LIMIT, Param, Tag, arr, items_of, ns, page_of, s};
use super::{Op, obj};
use crate::api::request;
use serde_json::{Value, json};

const LIST_Q: &[Param] = &[
    ("queue", "string", "all (default), mine, approvals (awaiting my approval), my_teams (open fulfilment tasks)"),
    ("state", "string", "comma-separated: pending_approval, in_fulfilment, fulfilled, closed, rejected, cancelled"),
    ("item_id", "integer", "catalogue item"),
    ("team_id", "integer", "fulfilment team"),
    LIMIT,
    CURSOR,
];

const CATALOG_Q: &[Param] = &[("all", "boolean", "administrators: include retired items")];

fn item_example() -> Value {
    json!({
        "code": "db_account",
        "name": { "zh": "数据库账号申请", "en": "Database account" },
        "description": { "zh": "申请生产或测试数据库的查询账号。", "en": "A query account on a production or test database." },
        "category": "account",
        "fields": [
            { "key": "database", "label": { "zh": "数据库", "en": "Database" }, "kind": "choice", "required": true,
              "options": [ { "value": "prod", "label": { "zh": "生产库", "en": "Production" } }, { "value": "test", "label": { "zh": "测试库", "en": "Test" } } ] },
            { "key": "end_date", "label": { "zh": "到期日期", "en": "Expires on" }, "kind": "date", "required": true },
            { "key": "reason", "label": { "zh": "申请理由", "en": "Reason" }, "kind": "textarea", "required": true, "max_length": 2000 }
        ],
        "approvals": [
            { "name": { "zh": "直属主管审批", "en": "Line manager" }, "approver": { "kind": "manager" }, "mode": "any" },
            { "name": { "zh": "数据组负责人审批", "en": "Data team lead" }, "approver": { "kind": "role", "role": "dba_engineer" }, "mode": "any" }
        ],
        "tasks": [ { "title": { "zh": "创建账号并授予只读权限", "en": "Create the account with read-only rights" }, "team_id": null } ],
        "team_id": 6,
        "service_id": null,
        "active": true,
        "sort_order": 60
    })
}

const SERVICE_REQUESTS: Tag = Tag("service-requests");

pub(super) fn ops() -> Vec<Op> {
    vec![
        SERVICE_REQUESTS.get("/api/v1/catalog-items", request::list_items, "The service catalogue", "CatalogItemList").query(CATALOG_Q),
        SERVICE_REQUESTS
            .create("/api/v1/catalog-items", request::create_item, "Add a catalogue item", "CatalogItem")
            .body("CatalogItemInput", item_example),
        SERVICE_REQUESTS.get("/api/v1/catalog-items/{id}", request::get_item, "One catalogue item with its form", "CatalogItem"),
        SERVICE_REQUESTS
            .put("/api/v1/catalog-items/{id}", request::put_item, "Replace a catalogue item (its code cannot change)", "CatalogItem")
            .body("CatalogItemInput", item_example)
            .errors(&[409]),
        SERVICE_REQUESTS.get("/api/v1/service-requests", request::list, "Service requests, newest first", "RequestPage").query(LIST_Q),
        SERVICE_REQUESTS
            .create(
                "/api/v1/service-requests",
                request::create,
                "Request a catalogue item; answers are checked against its form and approvers are fixed now",
                "ServiceRequest",
            )
            .body("NewRequest", || {
                json!({
                    "item_id": 5,
                    "answers": {
                        "vpn_user": 12,
                        "start_date": "2026-12-01",
                        "end_date": "2027-02-28",
                        "reason": "驻场支持分行系统升级，需要远程接入运维网。",
                        "form": { "filename": "VPN申请表.pdf", "content_type": "application/pdf", "content_base64": "JVBERi0xLjQK" }
                    }
                })
            }),
        SERVICE_REQUESTS.get(
            "/api/v1/service-requests/{number}",
            request::get,
            "One request with approvals, tasks and timeline",
            "RequestDetail",
        ),
        SERVICE_REQUESTS
            .post(
                "/api/v1/service-requests/{number}/approvers",
                request::name_approver,
                "Name the approver of a step that waits for the desk (nobody was found for it); the desk only (service_request:assign)",
                "ServiceRequest",
            )
            .body("NameApproverInput", || json!({ "step": 1, "approver_id": 7 }))
            .errors(&[409, 422]),
        SERVICE_REQUESTS
            .post(
                "/api/v1/service-requests/{number}/approvals",
                request::decide,
                "Approve or reject the step waiting on you",
                "ServiceRequest",
            )
            .body("DecisionInput", || json!({ "decision": "reject", "comment": "权限期限过长，请改为三个月后重新提交。" })),
        SERVICE_REQUESTS
            .post(
                "/api/v1/service-requests/{number}/tasks/{task}",
                request::work_task,
                "Take, finish or skip a fulfilment task, or give it to a team member",
                "RequestTask",
            )
            .body("TaskInput", || json!({ "action": "complete", "note": "账号已开通，初始密码已短信发送给使用人。" })),
        SERVICE_REQUESTS
            .post(
                "/api/v1/service-requests/{number}/transitions/{action}",
                request::transition,
                "cancel (before fulfilment) or close (once fulfilled)",
                "ServiceRequest",
            )
            .body("RequestTransitionInput", || json!({ "comment": "已确认可以登录，关闭请求。" })),
        SERVICE_REQUESTS
            .create("/api/v1/service-requests/{number}/comments", request::comment, "A public reply or a work note", "RequestActivity")
            .body("RequestCommentInput", || json!({ "body": "请补充使用人的工号。", "public": true })),
    ]
}

pub(super) fn schemas() -> Value {
    let label = obj(&["zh", "en"], json!({ "zh": s("string"), "en": s("string") }));
    let state = json!({ "enum": ["pending_approval", "in_fulfilment", "fulfilled", "closed", "rejected", "cancelled"] });
    let field = obj(
        &["key", "label", "kind"],
        json!({
            "key": { "type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$" }, "label": label, "required": s("boolean"), "help": label,
            "kind": { "enum": ["text", "textarea", "number", "date", "choice", "user", "ci", "attachment"] },
            "options": { "type": "array", "items": obj(&["value", "label"], json!({ "value": s("string"), "label": label })) },
            "min": ns("number"), "max": ns("number"), "max_length": { "type": ["integer", "null"], "minimum": 1, "maximum": 20000 }
        }),
    );
    let approver = json!({ "oneOf": [
        obj(&["kind"], json!({ "kind": { "const": "manager" } })),
        obj(&["kind", "role"], json!({ "kind": { "const": "role" }, "role": s("string") })),
        obj(&["kind", "user_ids"], json!({ "kind": { "const": "users" }, "user_ids": { "type": "array", "items": s("integer"), "minItems": 1, "maxItems": 20 } }))
    ] });
    let step = obj(&["name", "approver"], json!({ "name": label, "approver": approver, "mode": { "enum": ["any", "all"] } }));
    let task_t = obj(&["title"], json!({ "title": label, "team_id": ns("integer") }));
    let definition = json!({
        "fields": { "type": "array", "items": field, "maxItems": 40 },
        "approvals": { "type": "array", "items": step, "maxItems": 10 },
        "tasks": { "type": "array", "items": task_t, "maxItems": 20 },
        "expected_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 365, "description": "done within this many working days (shown on the catalogue)" }
    });
    let mut item_props = json!({
        "code": s("string"), "name": label, "description": label, "category": s("string"), "team_id": ns("integer"),
        "service_id": ns("integer"), "active": s("boolean"), "sort_order": s("integer"), "version": s("integer")
    });
    if let (Some(p), Some(d)) = (item_props.as_object_mut(), definition.as_object()) {
        p.extend(d.clone());
    }
    let mut item = obj(&["id", "code", "name", "fields", "approvals", "tasks"], item_props.clone());
    item["properties"]["id"] = s("integer");
    let request = obj(
        &["id", "number", "item_id", "title", "state", "answers"],
        json!({
            "id": s("integer"), "number": { "type": "string", "pattern": "^REQ-[0-9]{6,}$" }, "item_id": s("integer"), "title": s("string"),
            "state": state, "requester_id": ns("integer"), "reporter_id": ns("integer"), "department_id": ns("integer"), "team_id": ns("integer"),
            "answers": { "type": "object", "description": "by field key; attachments become {attachment_id, filename, size}" },
            "approval_step": ns("integer"), "created_at": s("integer"), "updated_at": s("integer"), "approved_at": ns("integer"),
            "fulfilled_at": ns("integer"), "closed_at": ns("integer"), "version": s("integer")
        }),
    );
    let approval = obj(
        &["id", "step", "approver_id", "decision"],
        json!({ "id": s("integer"), "request_id": s("integer"), "step": s("integer"), "approver_id": s("integer"), "approver_name": ns("string"),
                "decision": { "enum": ["pending", "approved", "rejected", "skipped"] }, "comment": s("string"), "created_at": s("integer"), "decided_at": ns("integer") }),
    );
    let task = obj(
        &["id", "seq", "title", "state"],
        json!({ "id": s("integer"), "request_id": s("integer"), "seq": s("integer"), "title": s("string"), "title_en": { "type": "string", "description": "The English title; empty: English readers see title." }, "team_id": ns("integer"), "assignee_id": ns("integer"),
                "state": { "enum": ["open", "in_progress", "done", "skipped"] }, "note": s("string"), "created_at": s("integer"), "updated_at": s("integer"), "finished_at": ns("integer") }),
    );
    let activity = obj(
        &["id", "kind", "at"],
        json!({ "id": s("integer"), "at": s("integer"), "actor_id": ns("integer"), "actor_name": ns("string"), "kind": s("string"), "public": s("boolean"), "body": s("string"), "data": s("object") }),
    );
    let mut detail = request.clone();
    detail["properties"]["item_name"] = label.clone();
    detail["properties"]["definition"] = obj(&[], definition);
    detail["properties"]["approvals"] = arr("RequestApproval");
    detail["properties"]["tasks"] = arr("RequestTask");
    detail["properties"]["timeline"] = arr("RequestActivity");
    detail["properties"]["can_decide"] = s("boolean");
    detail["properties"]["watchers"] = json!({ "type": "array", "items": s("integer") });
    detail["properties"]["may_assign"] = s("boolean");
    detail["properties"]["allowed_actions"] = json!({ "type": "array", "items": { "enum": ["cancel", "close"] } });
    json!({
        "CatalogItem": item,
        "CatalogItemList": items_of("CatalogItem"),
        "CatalogItemInput": obj(&["code", "name"], item_props),
        "ServiceRequest": request,
        "RequestPage": page_of("ServiceRequest"),
        "RequestDetail": detail,
        "RequestApproval": approval,
        "RequestTask": task,
        "RequestActivity": activity,
        "NewRequest": obj(&["item_id"], json!({ "item_id": s("integer"), "answers": s("object"), "requester_id": ns("integer"), "title": ns("string") })),
        "NameApproverInput": obj(&["step", "approver_id"], json!({ "step": { "type": "integer", "minimum": 1, "description": "the step, counting from 1" }, "approver_id": s("integer") })),
        "DecisionInput": obj(&["decision"], json!({ "decision": { "enum": ["approve", "reject"] }, "comment": { "type": "string", "description": "required when rejecting" } })),
        "TaskInput": obj(&[], json!({ "action": { "enum": ["start", "complete", "skip", null] }, "assignee_id": ns("integer"), "note": { "type": "string", "description": "required when skipping" } })),
        "RequestTransitionInput": obj(&[], json!({ "comment": s("string") })),
        "RequestCommentInput": obj(&["body"], json!({ "body": { "type": "string", "maxLength": 20000 }, "public": s("boolean") })),
    })
}
