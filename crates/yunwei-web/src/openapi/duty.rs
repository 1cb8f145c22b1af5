//! OpenAPI operations and schemas of on-call duty (值班): schedules, layers, members,
//! overrides, who is on call and the shifts.

use super::Method::*;
use super::frag::{Tag, arr, arr_of, items_of, ns, s};
use super::{Op, obj};
use crate::api::duty;
use serde_json::{Value, json};

const DUTY: Tag = Tag("duty");

fn layer_example() -> Value {
    json!({
        "name": "夜间值班",
        "rotation": "weekly",
        "rotation_length": 1,
        "starts_local": "2026-12-07T09:00",
        "responders": 1,
        "restrict_days": "any",
        "window_from": "18:00",
        "window_to": "08:30",
        "members": [3, 4, 5]
    })
}

fn schedule_example() -> Value {
    json!({ "name": "核心系统 7×24 值班", "description": "数据中心运维值班", "team_id": 2, "time_zone": "Asia/Shanghai", "calendar_id": 1 })
}

pub(super) fn ops() -> Vec<Op> {
    let range: &'static [(&str, &str, &str)] =
        &[("from", "integer", "unix ms; default now"), ("to", "integer", "unix ms; default two weeks after from; at most 400 days")];
    vec![
        DUTY.get("/api/v1/duty/schedules", duty::list_schedules, "On-call schedules", "DutyScheduleList"),
        DUTY.create("/api/v1/duty/schedules", duty::create_schedule, "Add a schedule (duty:update; at team scope for one's own team)", "DutySchedule").body("DutyScheduleInput", schedule_example).errors(&[409]),
        DUTY.get("/api/v1/duty/schedules/{id}", duty::get_schedule, "One schedule with its layers, current members and coming overrides", "DutySchedule"),
        DUTY.put("/api/v1/duty/schedules/{id}", duty::put_schedule, "Rename, move to a team, change zone or business calendar", "DutySchedule").body("DutyScheduleInput", schedule_example).errors(&[409]),
        DUTY.create("/api/v1/duty/schedules/{id}/layers", duty::add_layer, "Add a layer (rotation, handoff, restriction, first members)", "DutySchedule").body("DutyLayerInput", layer_example),
        DUTY.put("/api/v1/duty/layers/{id}", duty::put_layer, "Change a layer's rotation, times or restriction (members are changed one by one)", "DutySchedule").body("DutyLayerInput", layer_example).errors(&[409]),
        DUTY.create("/api/v1/duty/layers/{id}/members", duty::add_member, "Add a member at the end of the turn order, on from the next handoff", "DutySchedule").body("DutyMemberInput", || json!({ "user_id": 6 })).errors(&[409]),
        DUTY.op(Delete, "/api/v1/duty/layers/{id}/members/{user}", duty::remove_member, "End a membership; the member finishes the shift in progress", (200, Some("DutySchedule"))),
        DUTY.create("/api/v1/duty/schedules/{id}/overrides", duty::add_override, "Put someone on call for a period, instead of one person or of everyone", "DutySchedule").body("DutyOverrideInput", || json!({ "user_id": 7, "replaces_user_id": 4, "starts_at": 1_765_130_400_000_i64, "ends_at": 1_765_173_600_000_i64, "reason": "张伟体检" })),
        DUTY.op(Delete, "/api/v1/duty/overrides/{id}", duty::delete_override, "Remove an override", (200, Some("DutySchedule"))),
        DUTY.get("/api/v1/duty/schedules/{id}/on-call", duty::on_call, "Who is on call at a time (default now), from which layer, with overrides", "DutyOnCall").query(&[("at", "integer", "unix ms; default now")]),
        DUTY.get("/api/v1/duty/schedules/{id}/swaps", duty::list_swaps, "Shift swaps of the schedule, newest first", "DutySwapList"),
        DUTY.create("/api/v1/duty/schedules/{id}/swaps", duty::propose_swap, "Ask that a colleague covers a period of one's own shifts (in advance; least rest checked)", "DutySwap").body("DutySwapInput", || json!({ "counterpart_id": 5, "starts_at": 1_767_600_000_000_i64, "ends_at": 1_767_686_400_000_i64, "reason": "家中有事" })),
        DUTY.post("/api/v1/duty/swaps/{id}/{action}", duty::swap_step, "accept or decline (the counterpart), approve or reject (a supervisor who is neither party, duty:approve), cancel (the requester)", "DutySwap").errors(&[409]),
        DUTY.get("/api/v1/duty/schedules/{id}/report", duty::roster_report, "Coverage gaps in the coming days (nobody on call, 15 minutes or more) and fairness: shifts and hours per person around now, weekend and public-holiday work by the business calendar", "DutyReport").query(&[("days", "integer", "1–92, default 28: days ahead for gaps, each side of now for fairness")]).errors(&[422]),
        DUTY.get("/api/v1/duty/console", duty::get_console, "The duty officer's console: per schedule the reader is on (or the one asked), who is on call now and next, the duty log and handovers; the reader's open incidents; firing unacknowledged alerts", "DutyConsole").query(&[("schedule", "integer", "one schedule instead of the reader's")]),
        DUTY.create("/api/v1/duty/schedules/{id}/log", duty::write_log, "Write to the duty log (the officer on duty, or within two hours of their shift's end, or a manager); a fault report needs occurred_at and impact", "DutyLogEntry").body("DutyLogInput", || json!({ "kind": "fault_report", "body": "核心交换机 SW-01 端口 Gi0/1 频繁 up/down", "occurred_at": 1_765_130_400_000_i64, "impact": "网银交易延迟" })).errors(&[422]),
        DUTY.create("/api/v1/duty/schedules/{id}/handovers", duty::hand_over, "Hand the shift over: open incidents and alerts as they stand, and notes, to whoever is on call when the writer's shift ends", "DutyHandover").body("DutyHandoverInput", || json!({ "notes": "SW-01 已联系厂商，明早 9 点到场更换模块。" })).errors(&[422]),
        DUTY.post("/api/v1/duty/handovers/{id}/acknowledge", duty::acknowledge_handover, "The incoming officer acknowledges a handover (接班确认); not the outgoing one, not anyone else", "DutyHandover").errors(&[409]),
        DUTY.get("/api/v1/duty/feed", duty::feed_state, "Whether the caller has a calendar-feed secret, and since when", "DutyFeedState"),
        DUTY.create("/api/v1/duty/feed", duty::new_feed_secret, "Make a new secret for the caller's iCalendar feed URLs (shown once; the old URLs stop working)", "DutyFeedSecret"),
        DUTY.get("/api/v1/duty/feeds/{secret}/schedules/{id}", duty::schedule_feed, "A schedule's shifts as iCalendar (RFC 5545), for calendar applications (no sign-in: the secret is the capability; what its owner may read now)", "Text").public(),
        DUTY.get("/api/v1/duty/feeds/{secret}/mine", duty::my_feed, "The secret's owner's own shifts on every schedule, as iCalendar", "Text").public(),
        DUTY.get("/api/v1/duty/schedules/{id}/shifts", duty::shifts, "The shifts of a period, merged where the same people stay on; uncovered periods have no users", "DutyShiftList").query(range).errors(&[422]),
    ]
}

pub(super) fn schemas() -> Value {
    let person = obj(&["id", "name"], json!({ "id": s("integer"), "name": s("string") }));
    let member = obj(
        &["user_id", "name", "turn_order", "joined_at"],
        json!({ "user_id": s("integer"), "name": s("string"), "turn_order": s("integer"), "joined_at": s("integer"), "left_at": ns("integer") }),
    );
    let rotation = json!({ "enum": ["daily", "weekly", "custom"] });
    let days = json!({ "enum": ["any", "working_days", "non_working_days"], "description": "working days of the schedule's business calendar, 调休 make-up days included" });
    let layer_props = json!({
        "id": s("integer"), "schedule_id": s("integer"), "name": s("string"), "precedence": { "type": "integer", "description": "higher wins where layers overlap" },
        "rotation": rotation, "rotation_length": { "type": "integer", "description": "days (daily) or weeks (weekly) per turn" },
        "rrule": { "type": "string", "description": "custom: FREQ=DAILY|WEEKLY, INTERVAL, BYDAY, BYHOUR, BYMINUTE" },
        "starts_local": { "type": "string", "description": "first handoff, local YYYY-MM-DDTHH:MM in the schedule's zone" },
        "ends_local": ns("string"), "responders": s("integer"), "restrict_days": days, "window_from": ns("string"), "window_to": ns("string"),
        "members": arr("DutyMember"), "created_at": s("integer"), "updated_at": s("integer")
    });
    let over = obj(
        &["id", "user_id", "starts_at", "ends_at"],
        json!({
            "id": s("integer"), "schedule_id": s("integer"), "user_id": s("integer"), "user_name": s("string"), "replaces_user_id": ns("integer"),
            "replaces_name": ns("string"), "starts_at": s("integer"), "ends_at": s("integer"), "reason": s("string"), "created_by": ns("integer"), "created_at": s("integer")
        }),
    );
    let schedule = obj(
        &["id", "name", "time_zone", "layers", "overrides", "version"],
        json!({
            "id": s("integer"), "name": s("string"), "description": s("string"), "team_id": ns("integer"), "time_zone": s("string"),
            "calendar_id": ns("integer"), "swap_needs_approval": s("boolean"), "min_rest_hours": s("integer"), "created_by": ns("integer"), "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer"),
            "layers": arr("DutyLayer"), "overrides": arr("DutyOverride")
        }),
    );
    let shift = obj(
        &["starts_at", "ends_at", "users", "overridden"],
        json!({ "starts_at": s("integer"), "ends_at": s("integer"), "users": arr("DutyPerson"), "layer_id": ns("integer"), "layer_name": ns("string"), "overridden": s("boolean") }),
    );
    json!({
        "DutyPerson": person,
        "DutyReport": obj(&["schedule_id", "days", "gaps", "fairness"], json!({
            "schedule_id": s("integer"), "days": s("integer"),
            "gaps": { "type": "array", "items": obj(&["starts_at", "ends_at"], json!({ "starts_at": s("integer"), "ends_at": s("integer") })) },
            "fairness": { "type": "array", "items": obj(&["person", "user", "shifts", "hours"], json!({
                "person": { "$ref": "#/components/schemas/DutyPerson" }, "user": s("integer"), "shifts": s("integer"), "hours": s("number"),
                "weekend_shifts": s("integer"), "weekend_hours": s("number"), "holiday_shifts": s("integer"), "holiday_hours": s("number")
            })) }
        })),
        "DutyLogInput": obj(&["body"], json!({
            "kind": { "enum": ["alarm", "fault_report", "action", "note"] }, "body": { "type": "string", "maxLength": 4000 },
            "occurred_at": ns("integer"), "impact": { "type": "string", "maxLength": 500 }, "incident_id": ns("integer")
        })),
        "DutyLogEntry": obj(&["id", "schedule_id", "author_id", "kind", "body", "created_at"], json!({
            "id": s("integer"), "schedule_id": s("integer"), "author_id": s("integer"), "author_name": s("string"),
            "kind": { "enum": ["alarm", "fault_report", "action", "note"] }, "body": s("string"), "occurred_at": ns("integer"),
            "impact": s("string"), "incident_id": ns("integer"), "created_at": s("integer")
        })),
        "DutyHandoverInput": obj(&[], json!({ "notes": { "type": "string", "maxLength": 4000 } })),
        "DutyHandover": obj(&["id", "schedule_id", "from_user_id", "shift_ends_at", "state", "open"], json!({
            "id": s("integer"), "schedule_id": s("integer"), "from_user_id": s("integer"), "from_name": s("string"),
            "to_user_id": ns("integer"), "to_name": ns("string"), "shift_ends_at": s("integer"), "notes": s("string"),
            "state": { "enum": ["pending", "acknowledged"] }, "acknowledged_by": ns("integer"), "acknowledged_by_name": ns("string"),
            "acknowledged_at": ns("integer"), "created_at": s("integer"), "version": s("integer"), "may_acknowledge": s("boolean"),
            "open": { "type": "object", "description": "incidents and alerts open at the handover: {id, label, title}", "properties": { "incidents": { "type": "array" }, "alerts": { "type": "array" } } }
        })),
        "DutyConsoleSchedule": obj(&["id", "name", "now", "next", "may_write", "log", "handovers"], json!({
            "id": s("integer"), "name": s("string"), "now": arr("DutyPerson"), "next": arr("DutyPerson"), "next_at": ns("integer"),
            "may_write": s("boolean"), "log": arr("DutyLogEntry"), "handovers": arr("DutyHandover")
        })),
        "DutyConsole": obj(&["schedules", "my_incidents", "alerts"], json!({
            "schedules": arr("DutyConsoleSchedule"), "my_incidents": { "type": "array", "items": { "type": "object" } }, "alerts": { "type": "array", "items": { "type": "object" } }
        })),
        "DutyFeedState": obj(&[], json!({ "created_at": { "type": ["integer", "null"], "description": "when the current secret was made; null: none yet" } })),
        "DutyFeedSecret": obj(&["secret", "created_at"], json!({
            "secret": { "type": "string", "description": "shown once; goes in /api/v1/duty/feeds/{secret}/mine and …/schedules/{id}" }, "created_at": s("integer")
        })),
        "DutyMember": member,
        "DutyLayer": obj(&["id", "name", "rotation", "starts_local", "members"], layer_props),
        "DutyOverride": over,
        "DutySchedule": schedule,
        "DutyScheduleList": items_of("DutySchedule"),
        "DutyScheduleInput": obj(&["name"], json!({
            "name": { "type": "string", "maxLength": 100 }, "description": s("string"), "team_id": ns("integer"),
            "time_zone": { "type": "string", "description": "IANA zone; default the server's" }, "calendar_id": ns("integer"),
            "swap_needs_approval": { "type": ["boolean", "null"], "description": "swaps wait for a supervisor; default true" },
            "min_rest_hours": { "type": ["integer", "null"], "description": "0–24, default 8" },
            "version": { "type": ["integer", "null"], "description": "on update: the version last seen" }
        })),
        "DutyLayerInput": obj(&["name", "rotation", "starts_local"], json!({
            "name": s("string"), "precedence": ns("integer"), "rotation": { "enum": ["daily", "weekly", "custom"] }, "rotation_length": ns("integer"), "rrule": s("string"),
            "starts_local": s("string"), "ends_local": ns("string"), "responders": ns("integer"),
            "restrict_days": { "enum": ["any", "working_days", "non_working_days"] }, "window_from": ns("string"), "window_to": ns("string"),
            "members": { "type": "array", "items": s("integer"), "description": "user ids in turn order (creation only)" }
        })),
        "DutyMemberInput": obj(&["user_id"], json!({ "user_id": s("integer") })),
        "DutyOverrideInput": obj(&["user_id", "starts_at", "ends_at"], json!({
            "user_id": s("integer"), "replaces_user_id": ns("integer"), "starts_at": s("integer"), "ends_at": s("integer"), "reason": s("string")
        })),
        "DutyOnCall": obj(&["schedule_id", "at", "users"], json!({
            "schedule_id": s("integer"), "schedule_name": s("string"), "at": s("integer"), "users": arr("DutyPerson"),
            "layer_id": ns("integer"), "layer_name": ns("string"), "overrides": arr_of("integer")
        })),
        "DutySwap": obj(&["id", "schedule_id", "requester_id", "counterpart_id", "starts_at", "ends_at", "state"], json!({
            "id": s("integer"), "schedule_id": s("integer"), "requester_id": s("integer"), "requester_name": s("string"), "counterpart_id": s("integer"),
            "counterpart_name": s("string"), "starts_at": s("integer"), "ends_at": s("integer"), "return_starts_at": ns("integer"), "return_ends_at": ns("integer"),
            "reason": s("string"), "state": { "enum": ["proposed", "accepted", "approved", "declined", "rejected", "cancelled"] },
            "needs_approval": s("boolean"), "decided_by": ns("integer"), "decided_by_name": ns("string"), "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer")
        })),
        "DutySwapList": items_of("DutySwap"),
        "DutySwapInput": obj(&["counterpart_id", "starts_at", "ends_at"], json!({
            "counterpart_id": s("integer"), "starts_at": s("integer"), "ends_at": s("integer"), "return_starts_at": ns("integer"), "return_ends_at": ns("integer"), "reason": s("string")
        })),
        "DutyShift": shift,
        "DutyShiftList": items_of("DutyShift"),
    })
}
