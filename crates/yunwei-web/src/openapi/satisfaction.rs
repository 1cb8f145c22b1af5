//! OpenAPI operations and schemas of satisfaction surveys and the improvement register.

use super::frag::{CURSOR, LIMIT, Tag, arr, ns, page_of, s};
use super::{Op, obj, schema_ref};
use crate::api::survey;
use serde_json::{Value, json};

const SURVEYS: Tag = Tag("surveys");
const IMPROVEMENTS: Tag = Tag("improvements");

pub(super) fn ops() -> Vec<Op> {
    vec![
        SURVEYS.get("/api/v1/surveys/answer/{token}", survey::open, "The survey behind a link, if it can still be answered (no sign-in: the token is the capability)", "PublicSurvey").public().errors(&[409, 410]),
        SURVEYS.post("/api/v1/surveys/answer/{token}", survey::answer, "Answer a survey once: score 1–5 and an optional comment", "PublicSurvey").body("AnswerInput", || json!({ "score": 4, "comment": "处理及时，工程师电话沟通很耐心。" })).public().errors(&[410]),
        SURVEYS.get("/api/v1/surveys", survey::list, "Surveys within the caller's scope, newest first", "SurveyPage").query(&[
                ("state", "string", "sent, answered or expired"),
                ("team_id", "integer", "team at resolution"),
                ("subject_type", "string", "incident or service_request"),
                ("subject_id", "integer", "the ticket's id"),
                LIMIT,
                CURSOR,
            ]),
        SURVEYS.get("/api/v1/surveys/{id}", survey::get, "One survey", "Survey"),
        SURVEYS.get("/api/v1/surveys/stats", survey::stats, "Statistics per month, quarter, half-year or year, per team, service or engineer (needs survey:read for all)", "SurveyStats").query(&[
                    ("period", "string", "month (default), quarter, half or year"),
                    ("year", "integer", "default: this year in the configured zone"),
                    ("by", "string", "team, service or engineer; absent: totals only"),
                ]).errors(&[422]),
        SURVEYS.get("/api/v1/surveys/settings", survey::get_settings, "Survey settings", "SurveySettings"),
        SURVEYS.put("/api/v1/surveys/settings", survey::put_settings, "Replace the survey settings", "SurveySettings").body("SurveySettings", || json!({ "enabled": true, "expiry_days": 14, "low_score_threshold": 2, "improvement_due_days": 30 })),
        IMPROVEMENTS.get("/api/v1/improvements", survey::list_improvements, "The improvement register, newest first", "ImprovementPage").query(&[
                ("state", "string", "comma-separated: open, in_progress, done, rejected"),
                ("team_id", "integer", ""),
                ("source", "string", "survey or manual"),
                LIMIT,
                CURSOR,
            ]),
        IMPROVEMENTS.create("/api/v1/improvements", survey::create_improvement, "Open an improvement item by hand", "Improvement").body("NewImprovement", || {
                json!({
                    "title": "柜面终端故障响应慢",
                    "description": "第三季度满意度评价中多次反映桌面支持到场时间过长。",
                    "team_id": 3,
                    "owner_id": 12,
                    "due_on": "2026-12-31",
                    "measures": "增设营业部驻点工程师；备机前置到支行。",
                    "subject_ref": "INC-000123"
                })
            }),
        IMPROVEMENTS.get("/api/v1/improvements/{id}", survey::get_improvement, "One improvement item (IMP-000012 or the id)", "Improvement"),
        IMPROVEMENTS.patch("/api/v1/improvements/{id}", survey::patch_improvement, "Edit an item or move it: open → in_progress → done / rejected (reopen to open)", "Improvement").body("ImprovementPatch", || json!({ "state": "done", "measures": "已在 3 家支行设置备机并完成培训。", "outcome": "第四季度同类投诉为 0。", "version": 2 })).errors(&[409]),
    ]
}

pub(super) fn schemas() -> Value {
    let state = json!({ "enum": ["sent", "answered", "expired"] });
    let imp_state = json!({ "enum": ["open", "in_progress", "done", "rejected"] });
    let group = obj(
        &["sent", "answered", "response_rate", "distribution", "low_scores"],
        json!({
            "group_id": ns("integer"), "group_name": ns("string"), "sent": s("integer"), "answered": s("integer"),
            "response_rate": { "type": "number", "minimum": 0, "maximum": 1 }, "average_score": ns("number"),
            "distribution": { "type": "array", "items": s("integer"), "minItems": 5, "maxItems": 5, "description": "answers giving 1, 2, 3, 4, 5" },
            "low_scores": s("integer")
        }),
    );
    let improvement = obj(
        &["id", "number", "title", "state", "source"],
        json!({
            "id": s("integer"), "number": { "type": "string", "pattern": "^IMP-[0-9]{6,}$" }, "title": s("string"), "description": s("string"),
            "source": { "enum": ["survey", "manual"] }, "survey_id": ns("integer"), "subject_type": ns("string"), "subject_id": ns("integer"),
            "subject_ref": ns("string"), "team_id": ns("integer"), "owner_id": ns("integer"), "state": imp_state.clone(),
            "due_on": { "type": ["string", "null"], "format": "date" }, "measures": s("string"), "outcome": s("string"),
            "created_by": ns("integer"), "created_at": s("integer"), "updated_at": s("integer"), "closed_at": ns("integer"), "version": s("integer")
        }),
    );
    json!({
        "PublicSurvey": obj(&["subject_ref", "subject_title", "state", "expires_at"], json!({
            "subject_type": s("string"), "subject_ref": s("string"), "subject_title": s("string"), "state": state.clone(),
            "expires_at": s("integer"), "answered_at": ns("integer"), "score": ns("integer"), "comment": ns("string")
        })),
        "AnswerInput": obj(&["score"], json!({ "score": { "type": "integer", "minimum": 1, "maximum": 5 }, "comment": { "type": ["string", "null"], "maxLength": 4000 } })),
        "Survey": obj(&["id", "subject_ref", "state", "sent_at", "expires_at"], json!({
            "id": s("integer"), "subject_type": s("string"), "subject_id": s("integer"), "subject_ref": s("string"), "subject_title": s("string"),
            "requester_id": ns("integer"), "requester_email": ns("string"), "requester_name": ns("string"), "team_id": ns("integer"),
            "service_id": ns("integer"), "assignee_id": ns("integer"), "department_id": ns("integer"), "state": state,
            "sent_at": s("integer"), "expires_at": s("integer"), "answered_at": ns("integer"), "score": ns("integer"), "comment": ns("string")
        })),
        "SurveyPage": page_of("Survey"),
        "SurveyGroupStats": group,
        "SurveyBucket": obj(&["label", "start", "end", "total", "groups"], json!({
            "label": { "type": "string", "description": "2026-03, 2026-Q1, 2026-H1 or 2026" }, "start": { "type": "string", "format": "date" },
            "end": { "type": "string", "format": "date" }, "total": schema_ref("SurveyGroupStats"),
            "groups": arr("SurveyGroupStats")
        })),
        "SurveyStats": obj(&["period", "year", "buckets"], json!({
            "period": { "enum": ["month", "quarter", "half", "year"] }, "year": s("integer"), "by": { "enum": ["team", "service", "engineer", null] },
            "time_zone": s("string"), "low_score_threshold": s("integer"), "buckets": arr("SurveyBucket")
        })),
        "SurveySettings": obj(&[], json!({
            "enabled": s("boolean"), "expiry_days": { "type": "integer", "minimum": 1, "maximum": 90 },
            "low_score_threshold": { "type": "integer", "minimum": 0, "maximum": 4, "description": "0: never open an improvement item" },
            "improvement_due_days": { "type": "integer", "minimum": 1, "maximum": 365 }
        })),
        "Improvement": improvement,
        "ImprovementPage": page_of("Improvement"),
        "NewImprovement": obj(&["title"], json!({
            "title": { "type": "string", "maxLength": 200 }, "description": s("string"), "team_id": ns("integer"), "owner_id": ns("integer"),
            "due_on": { "type": ["string", "null"], "format": "date" }, "measures": s("string"), "subject_ref": ns("string")
        })),
        "ImprovementPatch": obj(&[], json!({
            "title": s("string"), "description": s("string"), "team_id": ns("integer"), "owner_id": ns("integer"),
            "due_on": { "type": ["string", "null"], "format": "date" }, "measures": s("string"), "outcome": s("string"),
            "state": imp_state, "version": s("integer")
        })),
    })
}
