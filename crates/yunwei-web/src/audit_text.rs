//! The audit log in words: object types and actions in the reader's language, times in the
//! reader's zone, and before/after as a field-by-field difference instead of raw JSON. The
//! page and the CSV export both speak through here; the stored entries stay as recorded.

use crate::i18n::Tr;
use serde_json::Value;

/// Object types the audit log records besides the permission objects (`object.<type>`).
pub const AUDIT_OBJECTS: &[&str] = &[
    "api_token",
    "business_service",
    "calendar",
    "change_feed_token",
    "incident_category",
    "notification_preference",
    "outbox_event",
    "saved_view",
    "session",
    "sla_policy",
    "problem_suggestion",
];

/// Every action the audit log records (`audit.act.<action>`), incident transitions included.
pub const AUDIT_ACTIONS: &[&str] = &[
    "answer",
    "approve",
    "approver_missing",
    "archive",
    "assign",
    "attach",
    "bulk_load",
    "cancel",
    "close",
    "closed",
    "complete",
    "confirm_year",
    "containment",
    "create",
    "declare",
    "declare_major",
    "declared",
    "delete",
    "escalate",
    "export",
    "import",
    "link",
    "login",
    "login_failed",
    "logout",
    "password_change",
    "password_reset",
    "pend",
    "permission_change",
    "read",
    "reauth_failed",
    "recovery",
    "refused",
    "reject",
    "reopen",
    "reply",
    "request",
    "resolve",
    "resume",
    "retry",
    "review",
    "revoke",
    "rotate_secret",
    "send",
    "skip",
    "sla_check",
    "sla_rebuild",
    "stakeholder_update",
    "start",
    "task",
    "test",
    "totp_disable",
    "totp_enable",
    "unlink",
    "unwatch",
    "update",
    "update_interval",
    "upgrade_grant",
    "upgrade_separate_duties",
    "verify",
    "war_room_entry",
    "watch",
    "withdraw_year",
    "work_note",
    "acknowledge",
    "rotate_token",
    "expire",
    "order",
    "accept",
    "stock",
    "deploy",
    "maintain",
    "retire",
    "request_scrap",
    "submit",
    "revise",
    "roll_back",
    "step",
    "publish",
    "vote",
    "link_incident",
    "unlink_incident",
    "member_add",
    "member_remove",
    "accept",
    "decline",
    "scan",
    "unassign",
    "stocktake_missing",
    "stocktake_relocated",
    "known_error",
    "rca",
    "measure_add",
    "measure_update",
    "measure_done",
    "dismiss",
];

/// The kind of record, in words; an unknown type (a newer version's entry) as recorded.
pub fn object_type(tr: Tr, t: &str) -> String {
    let key = format!("object.{t}");
    if tr.has(&key) { tr.t(&key) } else { t.to_string() }
}

/// What was done, in words; an unknown action as recorded.
pub fn action(tr: Tr, a: &str) -> String {
    let key = format!("audit.act.{a}");
    if tr.has(&key) { tr.t(&key) } else { a.to_string() }
}

/// A recorded field's label: the audit log's own word (`audit.field.<k>`), else the form's label.
fn field(tr: Tr, k: &str) -> String {
    let own = format!("audit.field.{k}");
    if tr.has(&own) {
        return tr.t(&own);
    }
    let stems = [Some(k), k.strip_suffix("_at"), k.strip_suffix("_id"), k.strip_suffix("_ms")];
    stems.into_iter().flatten().map(|s| format!("field.{s}")).find(|key| tr.has(key)).map_or_else(|| k.to_string(), |key| tr.t(&key))
}

/// A recorded code by its name: states of every ticket kind, resolution codes, built-in roles.
fn code(tr: Tr, key: &str, s: &str) -> String {
    let candidates: &[String] = match key {
        "state" | "from" | "to" => &[format!("incident.state.{s}"), format!("request.state.{s}"), format!("request_task.state.{s}")],
        "decision" => &[format!("request.decision.{s}")],
        _ => &[],
    };
    if let Some(k) = candidates.iter().find(|k| tr.has(k)) {
        return tr.t(k);
    }
    // The shipped codes' names (the desk settings' own names are not in the entry).
    if key == "resolution_code"
        && let Some(b) = yunwei_domain::incident::BUILTIN_RESOLUTION_NAMES.iter().find(|b| b.0 == s)
    {
        return (if tr.is_zh() { b.1 } else { b.2 }).to_string();
    }
    if key == "subject_type" || key == "object_type" {
        return object_type(tr, s);
    }
    if (key == "roles" || key == "role")
        && let Some(r) = yunwei_domain::admin::builtin_roles().into_iter().find(|r| r.key == s)
    {
        return (if tr.is_zh() { r.name_zh } else { r.name_en }).to_string();
    }
    s.to_string()
}

/// Fields that hold moments as unix milliseconds.
fn is_moment(key: &str) -> bool {
    key.ends_with("_at") || key.ends_with("_ms") || key.ends_with("_due") || key == "at"
}

fn value(tr: Tr, zone: &str, key: &str, v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => tr.t(if *b { "common.yes" } else { "common.no" }),
        Value::Number(n) if is_moment(key) => n.as_i64().map(|ms| yunwei_core::format_time(ms, zone)).unwrap_or_else(|| n.to_string()),
        Value::String(s) => code(tr, key, s),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let words: Vec<String> = items.iter().filter_map(Value::as_str).map(|s| code(tr, key, s)).collect();
            words.join(if tr.is_zh() { "、" } else { ", " })
        }
        // A group of fields (an SLA clock, a summary) field by field, not as JSON.
        Value::Object(m) => {
            let sep = if tr.is_zh() { "：" } else { ": " };
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{}{sep}{}", field(tr, k), value(tr, zone, k, v))).collect();
            if tr.is_zh() { format!("（{}）", parts.join("，")) } else { format!("({})", parts.join(", ")) }
        }
        other => other.to_string(),
    }
}

fn object(text: Option<&str>) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_str::<Value>(text?).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Before/after as lines "label: old → new" for the fields that changed (or "label: value"
/// when only one side exists). Entries that are not JSON objects are shown as recorded.
pub fn difference(tr: Tr, zone: &str, before: Option<&str>, after: Option<&str>) -> Vec<String> {
    let (b, a) = (object(before), object(after));
    if (before.is_some() && b.is_none()) || (after.is_some() && a.is_none()) {
        return [before, after].into_iter().flatten().map(str::to_string).collect();
    }
    let (b, a) = (b.unwrap_or_default(), a.unwrap_or_default());
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let sep = if tr.is_zh() { "：" } else { ": " };
    keys.into_iter()
        .filter_map(|k| match (b.get(k), a.get(k)) {
            (Some(x), Some(y)) if x == y => None,
            (Some(x), Some(y)) => Some(format!("{}{sep}{} → {}", field(tr, k), value(tr, zone, k, x), value(tr, zone, k, y))),
            (None, Some(v)) | (Some(v), None) => Some(format!("{}{sep}{}", field(tr, k), value(tr, zone, k, v))),
            (None, None) => None,
        })
        .collect()
}

/// The export's column headings (`audit.csv.<column>`), in [`yunwei_core::audit::CSV_COLUMNS`] order.
pub fn csv_header(tr: Tr) -> [String; 12] {
    yunwei_core::audit::CSV_COLUMNS.map(|c| tr.t(&format!("audit.csv.{c}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_object_type_and_action_has_words_in_both_languages() {
        for locale in crate::i18n::LOCALES {
            let tr = Tr::new(locale);
            for o in AUDIT_OBJECTS {
                assert!(tr.has(&format!("object.{o}")), "object.{o} missing from {locale}");
            }
            for a in AUDIT_ACTIONS {
                assert!(tr.has(&format!("audit.act.{a}")), "audit.act.{a} missing from {locale}");
            }
            // Actions named at run time from the domain's enums.
            use yunwei_domain::{incident, major, request};
            let built = incident::Transition::ALL
                .iter()
                .map(|t| t.as_str())
                .chain(request::RequestAction::ALL.iter().map(|a| a.as_str()))
                .chain(request::TaskAction::ALL.iter().map(|a| a.as_str()))
                .chain(major::MajorPhase::ALL.iter().map(|p| p.as_str()))
                .chain(yunwei_domain::asset::AssetAction::ALL.iter().map(|a| a.as_str()))
                .chain(yunwei_domain::knowledge::KbAction::ALL.iter().map(|a| a.as_str()))
                .chain([incident::ActivityKind::Reply.as_str(), incident::ActivityKind::WorkNote.as_str()]);
            for a in built {
                assert!(AUDIT_ACTIONS.contains(&a), "{a} is recorded but not in AUDIT_ACTIONS");
            }
            for c in yunwei_core::audit::CSV_COLUMNS {
                assert!(tr.has(&format!("audit.csv.{c}")), "audit.csv.{c} missing from {locale}");
            }
        }
    }

    /// Every `Change::new("<type>", …, "<action>")` the core writes is one the page can put
    /// in words: a new audited action without its words fails here by name.
    #[test]
    fn the_core_records_only_known_object_types_and_actions() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../yunwei-core/src");
        let mut stack = vec![root];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for (at, _) in text.match_indices("Change::new(\"") {
                    let rest = &text[at + "Change::new(\"".len()..];
                    let Some((object, rest)) = rest.split_once('"') else { continue };
                    let Some(call) = rest.split_once(')').map(|(c, _)| c) else { continue };
                    let known = crate::i18n::LOCALES.iter().all(|l| Tr::new(l).has(&format!("object.{object}")));
                    assert!(known, "{}: object type {object:?} has no words", path.display());
                    if let Some(action) = call.rsplit_once(", \"").map(|(_, a)| a.trim_end_matches('"')) {
                        assert!(AUDIT_ACTIONS.contains(&action), "{}: action {action:?} has no words", path.display());
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 30, "the scan found the literal actions ({seen})");
    }

    #[test]
    fn the_difference_names_fields_and_shows_times_in_the_readers_zone() {
        let tr = Tr::new("zh-CN");
        let lines = difference(
            tr,
            "Asia/Shanghai",
            Some(r#"{"title":"a","updated_at":0,"priority":"p3"}"#),
            Some(r#"{"title":"b","updated_at":86400000,"priority":"p3"}"#),
        );
        assert_eq!(
            lines,
            vec![format!("{}：a → b", tr.t("field.title")), format!("{}：1970-01-01 08:00 → 1970-01-02 08:00", tr.t("field.updated"))]
        );
        let en = difference(Tr::new("en"), "UTC", None, Some(r#"{"intact":true}"#));
        assert_eq!(en, vec!["intact: Yes".to_string()]);
        assert_eq!(difference(tr, "UTC", None, Some("not json")), vec!["not json".to_string()]);
    }
}
