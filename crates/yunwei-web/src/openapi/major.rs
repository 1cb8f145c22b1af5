//! OpenAPI operations and schemas of major incidents (INC-7): phases, the
//! war-room log, stakeholder updates, the update interval and the emergency report.

use super::frag::{Tag, arr, items_of, ns, ref_or_null, s};
use super::{Op, obj, schema_ref};
use crate::api::major;
use serde_json::{Value, json};

const MAJOR_INCIDENTS: Tag = Tag("major incidents");

pub(super) fn ops() -> Vec<Op> {
    vec![
        MAJOR_INCIDENTS
            .post(
                "/api/v1/incidents/{number}/major/phase",
                major::change_phase,
                "Move the response to its next phase (declared → containment → recovery → review → closed); \
                     review needs the incident resolved (409 `major_review_needs_resolution`)",
                "MajorIncident",
            )
            .body("MajorPhaseInput", || json!({ "phase": "containment", "note": "已切换至同城灾备中心，交易逐步恢复" })),
        MAJOR_INCIDENTS
            .get(
                "/api/v1/incidents/{number}/major/war-room",
                major::war_room,
                "The war-room log (作战室/指挥记录), oldest first; open to whoever may read the incident",
                "WarRoomEntryList",
            )
            .errors(&[409]),
        MAJOR_INCIDENTS
            .create(
                "/api/v1/incidents/{number}/major/war-room",
                major::post_entry,
                "Record an action or decision (commander, the incident's team, or holders of incident assign rights)",
                "WarRoomEntry",
            )
            .body("WarRoomEntryInput", || json!({ "kind": "decision", "body": "决定暂停批量代发业务，优先保障柜面交易" })),
        MAJOR_INCIDENTS
            .create(
                "/api/v1/incidents/{number}/major/stakeholder-updates",
                major::post_stakeholder_update,
                "Post a stakeholder update: notifies watchers, the commander, the team's manager and the operations directors, \
                     and restarts the update interval",
                "WarRoomEntry",
            )
            .body("StakeholderUpdateInput", || json!({ "body": "14:20 核心系统已恢复 80% 交易，预计 15:00 前全部恢复。下次通报 14:50。" })),
        MAJOR_INCIDENTS
            .put(
                "/api/v1/incidents/{number}/major/interval",
                major::put_interval,
                "Change this incident's stakeholder-update interval (5–1440 minutes)",
                "MajorIncident",
            )
            .body("MajorIntervalInput", || json!({ "update_interval_minutes": 15 }))
            .errors(&[409]),
        MAJOR_INCIDENTS
            .get(
                "/api/v1/incidents/{number}/emergency-report",
                major::emergency_report,
                "The emergency report (紧急事件处理结果报告): times and durations, war-room log, stakeholder updates, summary",
                "EmergencyReport",
            )
            .errors(&[409]),
    ]
}

pub(super) fn schemas() -> Value {
    let phase = json!({ "enum": ["declared", "containment", "recovery", "review", "closed"] });
    let person = obj(&["id", "name"], json!({ "id": s("integer"), "name": s("string") }));
    let times = ["occurred", "reported", "declared", "containment", "recovery", "restored", "resolved", "review", "closed"]
        .iter()
        .map(|k| (k.to_string(), ns("integer")))
        .collect::<serde_json::Map<_, _>>();
    let durations = ["to_declare_secs", "to_contain_secs", "to_recover_secs", "outage_secs", "to_resolve_secs", "total_secs"]
        .iter()
        .map(|k| (k.to_string(), ns("integer")))
        .collect::<serde_json::Map<_, _>>();
    json!({
        "MajorIncident": obj(&["phase", "update_interval_minutes", "declared_at"], json!({
            "phase": phase, "next_phase": { "enum": ["containment", "recovery", "review", "closed", null] },
            "commander_id": ns("integer"), "update_interval_minutes": s("integer"), "declared_at": s("integer"),
            "containment_at": ns("integer"), "recovery_at": ns("integer"), "review_at": ns("integer"), "closed_at": ns("integer"),
            "last_update_at": ns("integer"), "next_update_due_at": ns("integer"), "update_overdue": s("boolean"),
            "incident_id": s("integer"), "remind_at": ns("integer"), "version": s("integer")
        })),
        "MajorPhaseInput": obj(&["phase"], json!({ "phase": phase, "note": { "type": ["string", "null"], "maxLength": 4000 } })),
        "MajorIntervalInput": obj(&["update_interval_minutes"], json!({ "update_interval_minutes": { "type": "integer", "minimum": 5, "maximum": 1440 } })),
        "WarRoomEntry": obj(&["id", "at", "kind", "body"], json!({
            "id": s("integer"), "incident_id": s("integer"), "at": s("integer"), "author_id": ns("integer"), "author_name": ns("string"),
            "kind": { "enum": ["action", "decision", "stakeholder_update", "phase_change"] }, "body": s("string"), "data": s("object")
        })),
        "WarRoomEntryList": items_of("WarRoomEntry"),
        "WarRoomEntryInput": obj(&["kind", "body"], json!({ "kind": { "enum": ["action", "decision"] }, "body": { "type": "string", "minLength": 1, "maxLength": 4000 } })),
        "StakeholderUpdateInput": obj(&["body"], json!({ "body": { "type": "string", "minLength": 1, "maxLength": 4000 } })),
        "EmergencyReport": obj(&["number", "title", "priority", "major_incident", "times", "durations", "timeline"], json!({
            "number": s("string"), "title": s("string"), "priority": s("integer"), "state": s("string"),
            "service": { "oneOf": [obj(&["id", "name"], json!({ "id": s("integer"), "name": s("string") })), { "type": "null" }] },
            "ci_ref": ns("string"), "reporter": { "oneOf": [person.clone(), { "type": "null" }] },
            "commander": { "oneOf": [person, { "type": "null" }] }, "impact_scope": ns("string"), "description": s("string"),
            "resolution_code": ns("string"), "resolution": ns("string"), "major_incident": schema_ref("MajorIncident"),
            "times": { "type": "object", "properties": times }, "durations": { "type": "object", "properties": durations },
            "timeline": arr("WarRoomEntry"),
            "stakeholder_updates": arr("WarRoomEntry"),
            "summary": ref_or_null("IncidentSummary"), "generated_at": s("integer")
        })),
    })
}
