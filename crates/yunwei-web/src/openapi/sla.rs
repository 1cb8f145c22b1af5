//! Operations of the service desk's set-up: incident categories, business services, desk
//! settings, business calendars and SLA policies (their schemas are in `service_desk.rs`).

use super::Method::*;
use super::Op;
use super::frag::Tag;
use crate::api::{incident, sla};
use serde_json::{Value, json};

fn calendar_example() -> Value {
    let day = json!([{ "start": 540, "end": 720 }, { "start": 810, "end": 1080 }]);
    json!({
        "name": "总行工作日历",
        "is_default": true,
        "spec": {
            "time_zone": "Asia/Shanghai",
            "week": [day, day, day, day, day, [], []],
            "holidays": ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
            "makeup_days": ["2026-09-20", "2026-10-10"],
            "makeup_hours": day,
            "day_names": { "2026-10-01": "国庆节", "2026-10-10": "国庆节调休上班" }
        }
    })
}

fn policy_example() -> Value {
    json!({
        "name": "核心业务系统 SLA",
        "service_id": 1,
        "department_id": null,
        "calendar_id": 1,
        "rules": {
            "targets": [
                { "response_minutes": 15, "resolution_minutes": 60 },
                { "response_minutes": 30, "resolution_minutes": 240 },
                { "response_minutes": 120, "resolution_minutes": 1440 },
                { "response_minutes": 480, "resolution_minutes": 7200 }
            ],
            "pause_on": ["requester"],
            "warn_at": [75, 90],
            "on_breach": { "notify_manager": true, "raise_priority": false, "escalate_to_team": null }
        },
        "active": true
    })
}

const INCIDENTS: Tag = Tag("incidents");
const SLA: Tag = Tag("sla");

pub(super) fn ops() -> Vec<Op> {
    vec![
        INCIDENTS.get("/api/v1/incident-categories", incident::list_categories, "The category tree (flat, with parent ids)", "CategoryList"),
        INCIDENTS.create("/api/v1/incident-categories", incident::create_category, "Add a category; `team_id` assigns new incidents automatically", "Category").body("CategoryInput", || json!({ "name": "网络故障", "parent_id": null, "team_id": 2, "active": true })),
        INCIDENTS.put("/api/v1/incident-categories/{id}", incident::put_category, "Edit a category", "Category").body("CategoryInput", || json!({ "name": "核心网络故障", "parent_id": 1, "team_id": 2, "active": true })),
        INCIDENTS.get("/api/v1/business-services", incident::list_services, "Business services", "ServiceList").query(&[("q", "string", "name contains")]),
        INCIDENTS.create("/api/v1/business-services", incident::create_service, "Add a business service", "BusinessService").body("ServiceInput", || json!({ "name": "核心业务系统", "code": "CBS", "description": "柜面与渠道交易", "team_id": 5, "downtime_budget_minutes": 1200, "active": true })),
        INCIDENTS.put("/api/v1/business-services/{id}", incident::put_service, "Edit a business service", "BusinessService").body("ServiceInput", || json!({ "name": "核心业务系统", "code": "CBS", "description": "柜面、网银与手机银行交易", "team_id": 5, "downtime_budget_minutes": 600, "active": true })).errors(&[409]),
        INCIDENTS.get("/api/v1/service-desk/settings", incident::get_settings, "Priority matrix, labels and closing rules", "DeskSettings"),
        INCIDENTS.put("/api/v1/service-desk/settings", incident::put_settings, "Replace the desk settings (validated as a whole)", "DeskSettings").body("DeskSettings", || {
                json!({
                    "matrix": { "cells": [[1, 2, 3], [2, 3, 4], [3, 4, 4]] },
                    "labels": [
                        { "name_zh": "P1 紧急", "name_en": "P1 Critical", "colour": "#b42318" },
                        { "name_zh": "P2 高", "name_en": "P2 High", "colour": "#c4320a" },
                        { "name_zh": "P3 中", "name_en": "P3 Medium", "colour": "#b54708" },
                        { "name_zh": "P4 低", "name_en": "P4 Low", "colour": "#175cd3" }
                    ],
                    "summary_required_for": [1, 2],
                    "reopen_days": 7,
                    "auto_major_for_p1": true,
                    "resolution_codes": ["fixed", "workaround", "config_change", "hardware_replaced", "user_error", "no_fault_found", "duplicate", "vendor_patch"],
                    "resolution_labels": { "vendor_patch": { "name_zh": "厂商补丁", "name_en": "Vendor patch" } },
                    "major_update_interval_minutes": 30
                })
            }),
        SLA.get("/api/v1/calendars", sla::list_calendars, "Business calendars", "CalendarList"),
        SLA.create("/api/v1/calendars", sla::create_calendar, "Add a business calendar", "Calendar").body("CalendarInput", calendar_example),
        SLA.get("/api/v1/calendars/{id}", sla::get_calendar, "One calendar", "Calendar"),
        SLA.put("/api/v1/calendars/{id}", sla::put_calendar, "Replace a calendar; open incidents' deadlines are rebuilt", "Calendar").body("CalendarInput", calendar_example).errors(&[409]),
        SLA.delete("/api/v1/calendars/{id}", sla::delete_calendar, "Delete a calendar no policy uses").errors(&[409]),
        SLA.get("/api/v1/calendars/{id}/days", sla::export_days, "Export holidays and make-up working days as iCalendar or CSV", "Text").query(&[("format", "string", "ics or csv")]),
        SLA.put("/api/v1/calendars/{id}/days", sla::import_days, "Import holidays and make-up working days (body: the .ics or .csv file; its content decides the format, and a file with no days is refused)", "Calendar").query(&[("format", "string", "ics or csv"), ("replace", "boolean", "replace the listed days instead of merging")]).errors(&[413, 422]),
        SLA.post("/api/v1/calendars/{id}/years/{year}", sla::confirm_year, "Confirm that the calendar holds the year's whole holiday notice (audited); the year is then no longer reported missing", "Calendar"),
        SLA.op(Delete, "/api/v1/calendars/{id}/years/{year}", sla::withdraw_year, "Withdraw the confirmation that a year is complete (audited)", (200, Some("Calendar"))).errors(&[422]),
        SLA.get("/api/v1/sla-policies", sla::list_policies, "SLA policies", "PolicyList"),
        SLA.create("/api/v1/sla-policies", sla::create_policy, "Add an SLA policy", "Policy").body("PolicyInput", policy_example),
        SLA.get("/api/v1/sla-policies/{id}", sla::get_policy, "One SLA policy", "Policy"),
        SLA.put("/api/v1/sla-policies/{id}", sla::put_policy, "Replace an SLA policy; open incidents' deadlines are rebuilt", "Policy").body("PolicyInput", policy_example).errors(&[409]),
    ]
}
