//! OpenAPI operations and schemas of problem management (问题管理, PRB-1 … PRB-6).

use super::frag::{CURSOR, LIMIT, Param, Tag, arr, arr_of, items_of, ns, page_of, s};
use super::{Op, obj};
use crate::api::problem as h;
use serde_json::{Value, json};

const LIST_Q: &[Param] = &[
    ("state", "string", "comma-separated: new, investigating, known_error, resolved, closed; `open` for every unresolved state"),
    ("priority", "integer", "1 (highest) to 4"),
    ("team_id", "integer", "the team working it"),
    ("owner_id", "integer", "its owner"),
    ("ci_id", "integer", "problems of this CI"),
    ("known_error", "boolean", "true: known errors only"),
    LIMIT,
    CURSOR,
];

const KE_Q: &[Param] = &[("q", "string", "words of the symptom, Chinese or English"), ("limit", "integer", "1–100, default 20")];
const SUGGESTION_Q: &[Param] = &[("state", "string", "pending (default), accepted or dismissed")];

const PROBLEMS: Tag = Tag("problems");

fn example() -> Value {
    json!({
        "title": "核心交换机 CS-01 端口反复异常重启",
        "description": "近 7 天 CS-01 下联端口 3 次异常重启，导致办公网中断。",
        "impact": "high",
        "severity": "medium",
        "ci_ref": "CS-01",
        "incident_ids": [118, 121, 130]
    })
}

fn rca_example() -> Value {
    json!({
        "timeline": [{ "at": 1796000000000_i64, "text": "02:10 端口 Gi1/0/24 重启告警" }],
        "whys": ["为什么中断？端口重启", "为什么重启？固件缺陷触发看门狗"],
        "causes": [{ "category": "technology", "text": "固件 9.3(8) 已知缺陷" }, { "category": "process", "text": "厂商公告未跟踪" }],
        "hypotheses": [{ "text": "光模块老化", "status": "refuted", "evidence": "更换后仍复现" }, { "text": "固件缺陷", "status": "confirmed", "evidence": "厂商确认 CSCxx12345" }]
    })
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        PROBLEMS.get("/api/v1/problems", h::list, "Problems the caller may read, newest first", "ProblemPage").query(LIST_Q),
        PROBLEMS
            .create("/api/v1/problems", h::create, "Open a problem (问题), from one or more incidents; the priority follows impact × severity", "ProblemRecord")
            .body("ProblemInput", example),
        PROBLEMS.get("/api/v1/problems/{number}", h::get, "One problem with its incidents, measures and timeline", "ProblemRecord"),
        PROBLEMS
            .patch("/api/v1/problems/{number}", h::patch, "Edit the problem and its known error (absent fields are kept)", "ProblemRecord")
            .body("ProblemInput", || json!({ "symptom": "办公网间歇中断，交换机日志出现 %SYS-2-WATCHDOG", "workaround": "将下联切换至 CS-02 备用端口", "version": 2 }))
            .errors(&[409]),
        PROBLEMS
            .post(
                "/api/v1/problems/{number}/transitions/{transition}",
                h::transition,
                "start, known_error, resolve, close, reopen. Illegal moves answer 409; missing fields 422 naming them \
                 (a known error needs symptom, root cause and workaround; resolving needs the root cause and every measure done; \
                 closing needs the review)",
                "ProblemRecord",
            )
            .body("ProblemTransitionInput", || json!({ "note": "" }))
            .errors(&[409]),
        PROBLEMS
            .post("/api/v1/problems/{number}/incidents", h::link_incident, "Link an incident to the problem (or unlink: `link` false)", "ProblemRecord")
            .body("ProblemIncidentLink", || json!({ "incident": "INC-000118" })),
        PROBLEMS
            .put("/api/v1/problems/{number}/rca", h::put_rca, "Replace the root-cause analysis record: timeline, five whys, fishbone causes, hypotheses", "ProblemRecord")
            .body("Rca", rca_example)
            .errors(&[409]),
        PROBLEMS
            .create("/api/v1/problems/{number}/measures", h::add_measure, "Add a solution measure with its owner and due date", "ProblemRecord")
            .body("MeasureInput", || json!({ "title": "升级 CS-01 固件至 9.3(12)", "due_at": "2026-12-20T18:00:00+08:00" }))
            .errors(&[409]),
        PROBLEMS
            .patch("/api/v1/problems/{number}/measures/{id}", h::patch_measure, "Change a measure or mark it done", "ProblemRecord")
            .body("MeasureInput", || json!({ "done": true }))
            .errors(&[409]),
        PROBLEMS
            .post(
                "/api/v1/problems/{number}/review",
                h::review,
                "The closure review of a resolved problem: what was learned and whether the improvement register needs an entry \
                 (yes without an id opens one, when the caller may)",
                "ProblemRecord",
            )
            .body("ReviewInput", || json!({ "lessons": "厂商公告须纳入每周巡检。", "improvement": false }))
            .errors(&[409]),
        PROBLEMS
            .create("/api/v1/problems/{number}/comments", h::comment, "Reply or work note on the problem's timeline", "Activity")
            .body("CommentInput", || json!({ "body": "已联系厂商获取缺陷说明。", "public": false })),
        PROBLEMS.get("/api/v1/problems/overdue-measures", h::overdue, "Solution measures past their due date and not done", "OverdueMeasureList"),
        PROBLEMS.get("/api/v1/known-errors", h::known_errors, "Known errors matching the words of a symptom (Chinese and English)", "KnownErrorList").query(KE_Q),
        PROBLEMS.get(
            "/api/v1/incidents/{number}/known-errors",
            h::incident_known_errors,
            "Known errors the incident is linked to, with their workarounds (empty for callers who may not read problems)",
            "KnownErrorList",
        ),
        PROBLEMS
            .get("/api/v1/problem-suggestions", h::suggestions, "Suggestions from recurring incidents and major incidents (the review list)", "SuggestionList")
            .query(SUGGESTION_Q),
        PROBLEMS.post("/api/v1/problem-suggestions/scan", h::scan, "Evaluate the suggestion rules now (the scheduler does every 10 minutes)", "SuggestionScan"),
        PROBLEMS
            .create("/api/v1/problem-suggestions/{id}/accept", h::accept, "Open the problem with the suggestion's incidents linked", "ProblemRecord")
            .body("AcceptInput", || json!({ "severity": "medium" }))
            .errors(&[409]),
        PROBLEMS
            .post("/api/v1/problem-suggestions/{id}/dismiss", h::dismiss, "Dismiss: recorded, and that window is not suggested again", "Suggestion")
            .body("DismissInput", || json!({ "reason": "已由 PRB-000003 跟踪" }))
            .errors(&[409]),
        PROBLEMS.get("/api/v1/problem-settings", h::get_settings, "The suggestion rules and the priority matrix", "ProblemSettings"),
        PROBLEMS
            .put("/api/v1/problem-settings", h::put_settings, "Replace the problem settings (setting:update)", "ProblemSettings")
            .body("ProblemSettings", || json!(yunwei_domain::problem::ProblemSettings::default())),
    ]
}

pub(super) fn schemas() -> Value {
    let text = s("string");
    let level = json!({ "enum": ["high", "medium", "low"] });
    let instant = json!({ "type": ["integer", "string", "null"], "description": "unix ms or RFC 3339" });
    let known = obj(
        &["problem_id", "number", "title", "symptom", "workaround"],
        json!({
            "problem_id": s("integer"), "number": text, "title": text, "state": text, "symptom": text, "root_cause": text, "workaround": text
        }),
    );
    let measure = obj(
        &["id", "title", "overdue"],
        json!({
            "id": s("integer"), "problem_id": s("integer"), "title": text, "owner_id": ns("integer"), "due_at": ns("integer"),
            "done_at": ns("integer"), "created_at": s("integer"), "overdue": s("boolean")
        }),
    );
    let overdue = obj(
        &["id", "title", "number", "problem_title"],
        json!({
            "id": s("integer"), "problem_id": s("integer"), "title": text, "owner_id": ns("integer"), "due_at": ns("integer"),
            "done_at": s("null"), "created_at": s("integer"), "number": text, "problem_title": text
        }),
    );
    json!({
        "ProblemRecord": obj(&["id", "number", "title", "state", "priority", "version"], json!({
            "id": s("integer"), "number": text, "title": text, "description": text,
            "state": { "enum": ["new", "investigating", "known_error", "resolved", "closed"] },
            "impact": level, "severity": level, "priority": s("integer"),
            "owner_id": ns("integer"), "team_id": ns("integer"), "created_by": ns("integer"), "ci_id": ns("integer"), "ci_ref": text,
            "symptom": text, "root_cause": text, "workaround": text, "known_error": s("boolean"), "known_error_at": ns("integer"),
            "rca": s("object"), "review_lessons": text, "review_improvement": { "enum": ["", "yes", "no"] }, "improvement_id": ns("integer"),
            "incidents": { "type": "array", "items": s("object") }, "measures": { "type": "array", "items": measure.clone() },
            "timeline": arr("Activity"),
            "resolved_at": ns("integer"), "closed_at": ns("integer"), "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer")
        })),
        "ProblemPage": page_of("ProblemRecord"),
        "ProblemInput": obj(&[], json!({
            "title": text, "description": text, "impact": level, "severity": level, "owner_id": ns("integer"), "team_id": ns("integer"),
            "ci_id": ns("integer"), "ci_ref": text, "symptom": text, "root_cause": text, "workaround": text,
            "incident_ids": arr_of("integer"), "version": s("integer")
        })),
        "ProblemTransitionInput": obj(&[], json!({ "note": text })),
        "ProblemIncidentLink": obj(&["incident"], json!({ "incident": text, "link": s("boolean") })),
        "Rca": obj(&[], json!({
            "timeline": { "type": "array", "items": obj(&["at", "text"], json!({ "at": s("integer"), "text": text })) },
            "whys": arr_of("string"),
            "causes": { "type": "array", "items": obj(&["category", "text"], json!({ "category": { "enum": ["people", "process", "technology", "supplier", "environment"] }, "text": text })) },
            "hypotheses": { "type": "array", "items": obj(&["text"], json!({ "text": text, "status": { "enum": ["open", "confirmed", "refuted"] }, "evidence": text })) }
        })),
        "MeasureInput": obj(&[], json!({ "title": text, "owner_id": ns("integer"), "due_at": instant, "done": s("boolean") })),
        "OverdueMeasureList": { "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": overdue } } },
        "ReviewInput": obj(&["lessons", "improvement"], json!({ "lessons": text, "improvement": s("boolean"), "improvement_id": ns("integer") })),
        "KnownErrorList": { "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": known } } },
        "Suggestion": obj(&["id", "basis", "subject_id", "state", "incident_ids"], json!({
            "id": s("integer"), "basis": { "enum": ["ci", "category", "service", "major"] }, "subject_id": s("integer"), "subject": text,
            "threshold": s("integer"), "window_days": s("integer"), "incident_ids": arr_of("integer"), "last_at": s("integer"),
            "state": { "enum": ["pending", "accepted", "dismissed"] }, "problem_id": ns("integer"), "decided_by": ns("integer"),
            "decided_at": ns("integer"), "reason": text, "incidents": { "type": "array", "items": s("object") },
            "created_at": s("integer"), "updated_at": s("integer")
        })),
        "SuggestionList": items_of("Suggestion"),
        "SuggestionScan": obj(&["raised", "refreshed"], json!({ "raised": s("integer"), "refreshed": s("integer") })),
        "AcceptInput": obj(&[], json!({ "title": text, "description": text, "impact": level, "severity": level })),
        "DismissInput": obj(&[], json!({ "reason": text })),
        "ProblemSettings": obj(&["rules", "matrix"], json!({
            "rules": { "type": "array", "items": obj(&["basis", "threshold", "window_days"], json!({ "basis": { "enum": ["ci", "category", "service"] }, "threshold": s("integer"), "window_days": s("integer") })) },
            "matrix": obj(&["cells"], json!({ "cells": { "type": "array", "items": arr_of("integer") } }))
        })),
    })
}
