//! OpenAPI operations and schemas of change management (变更管理, CHG-1 … CHG-5).

use super::frag::{CURSOR, LIMIT, Param, Tag, arr, arr_of, items_of, ns, page_of, s};
use super::{Op, obj, schema_ref};
use crate::api::change as h;
use serde_json::{Value, json};

const LIST_Q: &[Param] = &[
    (
        "state",
        "string",
        "comma-separated: draft, pending_approval, approved, rejected, implementing, completed, rolled_back, closed, cancelled",
    ),
    ("change_type", "string", "standard, normal or emergency"),
    ("ci_id", "integer", "changes touching this CI"),
    LIMIT,
    CURSOR,
];

const AT_Q: &[Param] = &[("at", "string", "unix milliseconds or RFC 3339; default now")];

const RANGE_Q: &[Param] = &[
    ("from", "string", "unix milliseconds or RFC 3339; default today 00:00 UTC"),
    ("to", "string", "unix milliseconds or RFC 3339; default 62 days after `from`"),
];

const CHANGES: Tag = Tag("changes");

fn example() -> Value {
    json!({
        "title": "核心交换机 CS-01 固件升级",
        "change_type": "normal",
        "content": "将 CS-01 固件由 9.3(8) 升级到 9.3(12)。",
        "reason": "修复厂商公告的端口异常重启缺陷。",
        "expected_effect": "消除端口异常重启，业务无感知。",
        "impact_scope": "数据中心核心网络；双机冗余，单台升级期间由 CS-02 承载。",
        "steps": ["备份配置", "切换流量至 CS-02", "升级 CS-01 固件", "回切流量并观察 30 分钟"],
        "window_start": "2026-12-12T01:00:00+08:00",
        "window_end": "2026-12-12T03:00:00+08:00",
        "risk_mitigation": "升级前在测试环境验证同版本固件。",
        "backup_plan": "导出运行配置与固件镜像至配置库。",
        "rollback_plan": "以备份镜像回退至 9.3(8)，恢复运行配置。",
        "test_plan": "端口连通、路由收敛、核心业务交易抽测。",
        "risk_answers": { "complexity": 1, "untested": 0, "rollback_difficulty": 1, "business_hours": 0, "novelty": 0 },
        "ci_ids": [1021],
        "incident_ids": [118]
    })
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        CHANGES.get("/api/v1/changes", h::list, "Change requests the caller may read, newest first", "ChangePage").query(LIST_Q),
        CHANGES
            .create("/api/v1/changes", h::create, "Raise a change request (变更申请) as a draft; its risk is assessed at once", "Change")
            .body("ChangeInput", example),
        CHANGES.get("/api/v1/changes/{number}", h::get, "One change with its CIs, incidents, votes and timeline", "Change"),
        CHANGES
            .patch("/api/v1/changes/{number}", h::patch, "Edit a draft (absent fields are kept); the risk is assessed again", "Change")
            .body("ChangeInput", || json!({ "window_end": "2026-12-12T04:00:00+08:00", "version": 2 }))
            .errors(&[409]),
        CHANGES
            .post(
                "/api/v1/changes/{number}/transitions/{transition}",
                h::transition,
                "submit, revise, start, complete, roll_back, close, cancel. Illegal moves answer 409; missing fields 422 \
                 naming them; starting outside the approved window needs a `reason` (audited)",
                "Change",
            )
            .body("ChangeTransitionInput", || json!({ "reason": "" }))
            .errors(&[409]),
        CHANGES
            .post(
                "/api/v1/changes/{number}/approvals",
                h::vote,
                "Vote approve or reject (change:approve). The requester and implementer never vote; nobody votes twice \
                 (409 change_already_voted); high and critical risk need joint review (2 or 3 approvals)",
                "Change",
            )
            .body("VoteInput", || json!({ "vote": "approve", "comment": "方案完整，同意实施。" }))
            .errors(&[409]),
        CHANGES
            .post("/api/v1/changes/{number}/steps/{step}", h::step, "Mark implementation step `step` (from 1) while implementing", "Change")
            .body("StepInput", || json!({ "status": "done" }))
            .errors(&[409]),
        CHANGES.get(
            "/api/v1/changes/{number}/impact",
            h::impact,
            "Impact analysis of the change's CIs failing together (null: no CIs)",
            "ChangeImpact",
        ),
        CHANGES
            .post(
                "/api/v1/changes/{number}/incidents",
                h::link_incident,
                "Link an incident as the cause, or as caused by the change",
                "Change",
            )
            .body("IncidentLink", || json!({ "incident": "INC-000118", "relation": "caused_by" })),
        CHANGES
            .create("/api/v1/changes/{number}/comments", h::comment, "Reply or work note on the change's timeline", "Activity")
            .body("CommentInput", || json!({ "body": "已完成配置备份。", "public": true })),
        CHANGES.get(
            "/api/v1/changes/overdue-approvals",
            h::overdue,
            "Emergency changes started without their retrospective approval in the configured period",
            "ChangeList",
        ),
        CHANGES.get("/api/v1/change-settings", h::get_settings, "The risk questionnaire and the retrospective period", "ChangeSettings"),
        CHANGES
            .put("/api/v1/change-settings", h::put_settings, "Replace the change settings (setting:update)", "ChangeSettings")
            .body("ChangeSettings", || json!(yunwei_domain::change::ChangeSettings::default())),
        CHANGES
            .get(
                "/api/v1/cmdb/cis/{id}/change-windows",
                h::windows,
                "Approved change windows active for the CI at `at`: the alerting silences alerts of CIs under an approved change",
                "ChangeWindowList",
            )
            .query(AT_Q),
        CHANGES.get(
            "/api/v1/changes/{number}/schedule",
            h::schedule,
            "Warnings of the change's window: freezes it meets, other changes at the same time on the same CI or the same \
             impact path (their number and the shared CIs by name), and the business peak",
            "ChangeScheduleCheck",
        ),
        CHANGES
            .get(
                "/api/v1/change-calendar",
                h::calendar,
                "The change calendar: scheduled changes the caller may read and the freezes in `[from, to)` (at most 366 days)",
                "ChangeCalendar",
            )
            .query(RANGE_Q)
            .errors(&[422]),
        CHANGES.get("/api/v1/change-calendar.ics", h::calendar_ics, "The caller's change calendar as iCalendar (RFC 5545)", "Text"),
        CHANGES.create(
            "/api/v1/change-calendar/feed-token",
            h::feed_token,
            "A secret feed URL for calendar programs (shown once; the previous one stops working)",
            "ChangeFeedToken",
        ),
        CHANGES
            .get(
                "/api/v1/change-calendar/feed/{token}",
                h::feed,
                "The change calendar of the token's holder as iCalendar, read-only (no sign-in: the token is the capability)",
                "Text",
            )
            .public(),
    ]
}

pub(super) fn schemas() -> Value {
    let text = s("string");
    let instant = json!({ "type": ["integer", "string", "null"], "description": "unix ms or RFC 3339" });
    json!({
        "Change": obj(&["id", "number", "title", "change_type", "state", "risk_level", "version"], json!({
            "id": s("integer"), "number": text, "title": text,
            "change_type": { "enum": ["standard", "normal", "emergency"] },
            "state": { "enum": ["draft", "pending_approval", "approved", "rejected", "implementing", "completed", "rolled_back", "closed", "cancelled"] },
            "content": text, "reason": text, "expected_effect": text, "impact_scope": text,
            "steps": { "type": "array", "items": obj(&["title", "status"], json!({ "title": text, "status": text, "started_at": ns("integer"), "finished_at": ns("integer") })) },
            "window_start": ns("integer"), "window_end": ns("integer"),
            "risk_mitigation": text, "backup_plan": text, "rollback_plan": text, "test_plan": text,
            "risk_level": { "enum": ["low", "medium", "high", "critical"] }, "risk_score": s("integer"),
            "risk_answers": s("object"), "risk_reasons": { "type": "array", "items": s("object") },
            "approvals_needed": s("integer"), "approved_at": ns("integer"),
            "approval_stages": { "type": "array", "items": schema_ref("ChangeStage") },
            "approval": { "type": "array", "items": obj(&["name", "approvers", "rule", "have", "need", "eligible", "status"], json!({
                "name": text, "name_en": text, "approvers": { "type": "array" }, "rule": {}, "hours": ns("integer"),
                "have": s("integer"), "need": s("integer"), "eligible": arr_of("integer"),
                "status": { "enum": ["passed", "current", "waiting", "rejected"] }
            })) },
            "requester_id": ns("integer"), "implementer_id": ns("integer"), "team_id": ns("integer"), "department_id": ns("integer"),
            "started_at": ns("integer"), "start_override": text, "finished_at": ns("integer"), "closed_at": ns("integer"),
            "ci_ids": arr_of("integer"), "incidents": { "type": "array", "items": s("object") },
            "approvals": { "type": "array", "items": obj(&["approver_id", "vote"], json!({ "id": s("integer"), "change_id": s("integer"), "approver_id": s("integer"), "vote": { "enum": ["approve", "reject"] }, "comment": text, "at_ms": s("integer"), "stage": s("integer") })) },
            "timeline": arr("Activity"),
            "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer")
        })),
        "ChangePage": page_of("Change"),
        "ChangeList": items_of("Change"),
        "ChangeInput": obj(&[], json!({
            "title": text, "change_type": { "enum": ["standard", "normal", "emergency"] },
            "content": text, "reason": text, "expected_effect": text, "impact_scope": text,
            "steps": arr_of("string"), "window_start": instant, "window_end": instant,
            "risk_mitigation": text, "backup_plan": text, "rollback_plan": text, "test_plan": text,
            "risk_answers": { "type": "object", "additionalProperties": { "type": "integer", "minimum": 0, "maximum": 3 } },
            "ci_ids": arr_of("integer"), "team_id": ns("integer"), "implementer_id": ns("integer"),
            "incident_ids": arr_of("integer"), "version": s("integer")
        })),
        "ChangeTransitionInput": obj(&[], json!({ "reason": text })),
        "VoteInput": obj(&["vote"], json!({ "vote": { "enum": ["approve", "reject"] }, "comment": { "type": "string", "description": "required to reject" } })),
        "StepInput": obj(&["status"], json!({ "status": { "enum": ["in_progress", "done", "failed", "skipped"] } })),
        "IncidentLink": obj(&["incident", "relation"], json!({ "incident": text, "relation": { "enum": ["cause", "caused_by"] }, "link": s("boolean") })),
        "ChangeSettings": obj(&["questions", "retrospective_hours"], json!({
            "questions": { "type": "array", "items": obj(&["key", "text", "text_en", "weight"], json!({ "key": text, "text": text, "text_en": text, "weight": s("integer") })) },
            "retrospective_hours": s("integer"),
            "schedule": obj(&[], json!({
                "freezes": { "type": "array", "items": obj(&["name", "start", "end"], json!({ "name": text, "name_en": text, "start": s("integer"), "end": s("integer") })) },
                "month_end_days": s("integer"), "quarter_end_days": s("integer"), "holiday_freeze": s("boolean"),
                "calendar_id": ns("integer"),
                "peak": { "type": "array", "items": obj(&["weekdays", "start", "end"], json!({ "weekdays": arr_of("integer"), "start": text, "end": text })) }
            })),
            "approval_matrix": { "type": "array", "items": obj(&["stages"], json!({
                "risk": { "enum": ["low", "medium", "high", "critical", null] },
                "change_type": { "enum": ["standard", "normal", "emergency", null] },
                "department_id": ns("integer"),
                "stages": { "type": "array", "items": schema_ref("ChangeStage") }
            })) }
        })),
        "ChangeWindow": obj(&["change_id", "number", "title", "state"], json!({
            "change_id": s("integer"), "number": text, "title": text, "state": text, "window_start": ns("integer"), "window_end": ns("integer")
        })),
        "ChangeWindowList": items_of("ChangeWindow"),
        "ChangeImpact": { "anyOf": [schema_ref("CiImpact"), { "type": "null" }] },
        "ChangeFreeze": obj(&["kind", "name", "name_en", "start", "end"], json!({
            "kind": { "enum": ["named", "month_end", "quarter_end", "holiday"] }, "name": text, "name_en": text,
            "start": s("integer"), "end": s("integer")
        })),
        "ChangeScheduleCheck": obj(&["freezes", "conflicts", "in_peak"], json!({
            "freezes": arr("ChangeFreeze"),
            "conflicts": { "type": "array", "items": obj(&["change_id", "number", "shared"], json!({
                "change_id": s("integer"), "number": text, "title": text, "state": text,
                "window_start": ns("integer"), "window_end": ns("integer"), "hidden": s("integer"),
                "shared": { "type": "array", "items": obj(&["id", "name"], json!({ "id": s("integer"), "name": text, "name_en": text, "same_ci": s("boolean") })) }
            })) },
            "in_peak": s("boolean")
        })),
        "ChangeCalendar": obj(&["from", "to", "changes", "freezes"], json!({
            "from": s("integer"), "to": s("integer"), "time_zone": text, "more": s("boolean"),
            "changes": { "type": "array", "items": obj(&["change_id", "number", "window_start", "window_end"], json!({
                "change_id": s("integer"), "number": text, "title": text, "change_type": text, "state": text, "risk_level": text,
                "window_start": s("integer"), "window_end": s("integer"), "updated_at": s("integer")
            })) },
            "freezes": arr("ChangeFreeze")
        })),
        "ChangeStage": obj(&["name", "approvers", "rule"], json!({
            "name": text, "name_en": text,
            "approvers": { "type": "array", "description": "\"approvers\" (any holder of change:approve), \"ci_owners\", \"manager\", {\"user\": id} or {\"role\": key}", "items": {} },
            "rule": { "description": "\"any\", \"all\" or {\"quorum\": n}" },
            "hours": ns("integer")
        })),
        "ChangeFeedToken": obj(&["token", "path"], json!({ "token": text, "path": text })),
    })
}
