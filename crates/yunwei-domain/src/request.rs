//! Service requests (SPEC REQ): catalogue items whose forms, approval steps and
//! fulfilment tasks are data; answers checked against the form; sequential
//! approval steps decided by any one or all approvers; the request lifecycle.
//! Pure: core resolves approvers and writes what these rules decide.

use crate::permission::string_enum;
use crate::validate::is_key;
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

string_enum!(
    /// pending approval → in fulfilment → fulfilled → closed; or rejected / cancelled.
    RequestState {
        PendingApproval = "pending_approval",
        InFulfilment = "in_fulfilment",
        Fulfilled = "fulfilled",
        Closed = "closed",
        Rejected = "rejected",
        Cancelled = "cancelled",
    }
);

// What a new request starts as before the core sets its fields.
crate::permission::defaults!(RequestState = RequestState::PendingApproval);

impl RequestState {
    pub fn is_open(self) -> bool {
        matches!(self, Self::PendingApproval | Self::InFulfilment | Self::Fulfilled)
    }
}

string_enum!(
    /// What a user asks of a whole request.
    RequestAction {
        Cancel = "cancel",
        Close = "close",
    }
);

/// The state a request action leads to, or why it may not be taken.
pub fn next_state(from: RequestState, action: RequestAction) -> Result<RequestState, DomainError> {
    use RequestState::*;
    let to = match (action, from) {
        (RequestAction::Cancel, PendingApproval | InFulfilment) => Cancelled,
        (RequestAction::Close, Fulfilled) => Closed,
        _ => return Err(DomainError::IllegalTransition { object: "request", from: from.as_str(), action: action.as_str() }),
    };
    Ok(to)
}

string_enum!(
    /// The kinds of form field a catalogue item may ask for.
    FieldKind {
        Text = "text",
        Textarea = "textarea",
        Number = "number",
        Date = "date",
        Choice = "choice",
        User = "user",
        Ci = "ci",
        Attachment = "attachment",
    }
);

string_enum!(
    /// Whether one approver decides a step, or every approver must approve.
    ApprovalMode {
        Any = "any",
        All = "all",
    }
);

string_enum!(
    /// `skipped`: another approver already decided an any-one step, or the request ended.
    Decision {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Skipped = "skipped",
    }
);

string_enum!(
    TaskState {
        Open = "open",
        InProgress = "in_progress",
        Done = "done",
        Skipped = "skipped",
    }
);

string_enum!(
    TaskAction {
        Start = "start",
        Complete = "complete",
        Skip = "skip",
    }
);

impl TaskState {
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Skipped)
    }
}

pub fn next_task_state(from: TaskState, action: TaskAction) -> Result<TaskState, DomainError> {
    use TaskState::*;
    match (action, from) {
        (TaskAction::Start, Open) => Ok(InProgress),
        (TaskAction::Complete, Open | InProgress) => Ok(Done),
        (TaskAction::Skip, Open | InProgress) => Ok(Skipped),
        _ => Err(DomainError::IllegalTransition { object: "request_task", from: from.as_str(), action: action.as_str() }),
    }
}

/// Text in both languages; pages pick by the reader's locale.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub zh: String,
    pub en: String,
}

impl Label {
    pub fn new(zh: &str, en: &str) -> Self {
        Label { zh: zh.into(), en: en.into() }
    }

    pub fn get(&self, locale: &str) -> &str {
        if locale.starts_with("zh") || self.en.is_empty() { &self.zh } else { &self.en }
    }

    fn check(&self, c: &mut Vec<FieldError>, field: &str, max: usize) {
        for (lang, text) in [("zh", &self.zh), ("en", &self.en)] {
            if text.trim().is_empty() {
                c.push(FieldError::new(format!("{field}.{lang}"), "required"));
            } else if text.chars().count() > max {
                c.push(FieldError::new(format!("{field}.{lang}"), "too_long").with("max", max));
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub value: String,
    pub label: Label,
}

/// One question on a catalogue item's form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    pub key: String,
    pub label: Label,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
    /// For `choice` fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// For `number` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// For text fields; defaults to 500 (`text`) or 5,000 (`textarea`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

impl FormField {
    pub fn new(key: &str, label: Label, kind: FieldKind, required: bool) -> Self {
        FormField { key: key.into(), label, kind, required, help: None, options: Vec::new(), min: None, max: None, max_length: None }
    }

    pub fn with_options(mut self, options: &[(&str, &str, &str)]) -> Self {
        self.options = options.iter().map(|(v, zh, en)| ChoiceOption { value: (*v).into(), label: Label::new(zh, en) }).collect();
        self
    }

    pub fn with_range(mut self, min: f64, max: f64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    fn text_limit(&self) -> usize {
        self.max_length.map(|m| m as usize).unwrap_or(if self.kind == FieldKind::Textarea { 5000 } else { 500 })
    }
}

/// Who decides an approval step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Approver {
    /// The requester's manager (else the manager of the requester's department).
    Manager,
    /// Everyone holding this role (by its key).
    Role { role: String },
    /// Named users.
    Users { user_ids: Vec<i64> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStep {
    pub name: Label,
    pub approver: Approver,
    #[serde(default = "any_mode")]
    pub mode: ApprovalMode,
}

fn any_mode() -> ApprovalMode {
    ApprovalMode::Any
}

/// A fulfilment task created when the request is approved (or at once, without approvals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    pub title: Label,
    /// None: the item's fulfilment team.
    #[serde(default)]
    pub team_id: Option<i64>,
}

/// Does a catalogue item match what a requester typed? Every word (split at white space)
/// must appear, ignoring case, in one of its texts (names and descriptions in both
/// languages, its category): "密码" finds 密码重置, "vpn 开通" finds VPN 开通.
pub fn catalog_match(texts: &[&str], query: &str) -> bool {
    let texts: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
    query.split_whitespace().map(str::to_lowercase).all(|word| texts.iter().any(|t| t.contains(&word)))
}

/// Everything configurable about a catalogue item beyond its names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDefinition {
    #[serde(default)]
    pub fields: Vec<FormField>,
    #[serde(default)]
    pub approvals: Vec<ApprovalStep>,
    #[serde(default)]
    pub tasks: Vec<TaskTemplate>,
    /// What the catalogue promises requesters: done within this many working days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_days: Option<u32>,
}

/// The longest promise a catalogue item may make, in working days.
pub const MAX_EXPECTED_DAYS: u32 = 365;

pub const MAX_FIELDS: usize = 40;
pub const MAX_STEPS: usize = 10;
pub const MAX_TASKS: usize = 20;

impl ItemDefinition {
    /// Structural checks; that roles, users and teams exist is core's to check.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.fields.len() > MAX_FIELDS {
            e.push(FieldError::new("fields", "too_long").with("max", MAX_FIELDS));
        }
        if self.approvals.len() > MAX_STEPS {
            e.push(FieldError::new("approvals", "too_long").with("max", MAX_STEPS));
        }
        if self.tasks.len() > MAX_TASKS {
            e.push(FieldError::new("tasks", "too_long").with("max", MAX_TASKS));
        }
        if self.expected_days.is_some_and(|d| d == 0 || d > MAX_EXPECTED_DAYS) {
            e.push(FieldError::new("expected_days", "out_of_range").with("min", 1).with("max", MAX_EXPECTED_DAYS));
        }
        let mut keys = std::collections::HashSet::new();
        for (n, f) in self.fields.iter().enumerate() {
            let at = format!("fields[{n}]");
            if !is_key(&f.key) {
                e.push(FieldError::new(format!("{at}.key"), "invalid_key"));
            } else if !keys.insert(f.key.as_str()) {
                e.push(FieldError::new(format!("{at}.key"), "duplicate"));
            }
            f.label.check(&mut e, &format!("{at}.label"), 100);
            if let Some(h) = &f.help {
                h.check(&mut e, &format!("{at}.help"), 500);
            }
            match f.kind {
                FieldKind::Choice => {
                    if f.options.is_empty() {
                        e.push(FieldError::new(format!("{at}.options"), "required"));
                    }
                    let mut values = std::collections::HashSet::new();
                    for (m, o) in f.options.iter().enumerate() {
                        if o.value.trim().is_empty() || o.value.chars().count() > 100 {
                            e.push(FieldError::new(format!("{at}.options[{m}].value"), "invalid"));
                        } else if !values.insert(o.value.as_str()) {
                            e.push(FieldError::new(format!("{at}.options[{m}].value"), "duplicate"));
                        }
                        o.label.check(&mut e, &format!("{at}.options[{m}].label"), 100);
                    }
                }
                _ if !f.options.is_empty() => e.push(FieldError::new(format!("{at}.options"), "not_allowed")),
                _ => {}
            }
            if let (Some(min), Some(max)) = (f.min, f.max)
                && min > max
            {
                e.push(FieldError::new(format!("{at}.min"), "greater_than_max"));
            }
            if (f.min.is_some() || f.max.is_some()) && f.kind != FieldKind::Number {
                e.push(FieldError::new(format!("{at}.min"), "not_allowed"));
            }
            if f.max_length.is_some_and(|m| m == 0 || m > 20_000) {
                e.push(FieldError::new(format!("{at}.max_length"), "out_of_range").with("min", 1).with("max", 20_000));
            }
        }
        for (n, s) in self.approvals.iter().enumerate() {
            let at = format!("approvals[{n}]");
            s.name.check(&mut e, &format!("{at}.name"), 100);
            match &s.approver {
                Approver::Role { role } if !is_key(role) => e.push(FieldError::new(format!("{at}.approver.role"), "invalid_key")),
                Approver::Users { user_ids } if user_ids.is_empty() || user_ids.len() > 20 => {
                    e.push(FieldError::new(format!("{at}.approver.user_ids"), "out_of_range").with("min", 1).with("max", 20))
                }
                _ => {}
            }
        }
        for (n, t) in self.tasks.iter().enumerate() {
            t.title.check(&mut e, &format!("tasks[{n}].title"), 200);
        }
        e
    }
}

/// An answer as stored: attachments are replaced by the stored file's id and name by core.
pub type Answers = Map<String, Value>;

/// Checks answers against the form. Returns the answers trimmed and in form order;
/// `user` and `attachment` values are only shape-checked here.
pub fn check_answers(fields: &[FormField], answers: &Answers) -> Result<Answers, Vec<FieldError>> {
    let mut errors = Vec::new();
    for key in answers.keys() {
        if !fields.iter().any(|f| &f.key == key) {
            errors.push(FieldError::new(format!("answers.{key}"), "unknown_field"));
        }
    }
    let mut out = Map::new();
    for f in fields {
        let at = format!("answers.{}", f.key);
        let value = match answers.get(&f.key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        };
        let Some(value) = value else {
            if f.required {
                errors.push(FieldError::new(at, "required"));
            }
            continue;
        };
        match check_value(f, value) {
            Ok(v) => {
                out.insert(f.key.clone(), v);
            }
            Err(e) => errors.push(FieldError { field: at, ..e }),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn check_value(f: &FormField, v: &Value) -> Result<Value, FieldError> {
    let bad = |code: &str| FieldError::new("", code);
    match f.kind {
        FieldKind::Text | FieldKind::Textarea | FieldKind::Ci => {
            let s = v.as_str().ok_or_else(|| bad("expected_text"))?.trim();
            let max = if f.kind == FieldKind::Ci { 200 } else { f.text_limit() };
            if s.chars().count() > max {
                return Err(bad("too_long").with("max", max));
            }
            Ok(Value::String(s.to_string()))
        }
        FieldKind::Number => {
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
                _ => None,
            }
            .ok_or_else(|| bad("expected_number"))?;
            if let Some(m) = f.min.filter(|m| n < *m) {
                return Err(bad("below_minimum").with("min", m));
            }
            if let Some(m) = f.max.filter(|m| n > *m) {
                return Err(bad("above_maximum").with("max", m));
            }
            Ok(serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null))
        }
        FieldKind::Date => {
            let s = v.as_str().ok_or_else(|| bad("expected_date"))?.trim();
            if is_date(s) { Ok(Value::String(s.to_string())) } else { Err(bad("expected_date")) }
        }
        FieldKind::Choice => {
            let s = v.as_str().ok_or_else(|| bad("invalid_choice"))?.trim();
            if f.options.iter().any(|o| o.value == s) { Ok(Value::String(s.to_string())) } else { Err(bad("invalid_choice")) }
        }
        // A user id, or a user name for core to resolve (forms let people type names).
        FieldKind::User => match v {
            Value::Number(n) => n.as_i64().filter(|i| *i > 0).map(Value::from).ok_or_else(|| bad("expected_user")),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) if i > 0 => Ok(Value::from(i)),
                Ok(_) => Err(bad("expected_user")),
                Err(_) if (1..=64).contains(&s.trim().chars().count()) => Ok(Value::String(s.trim().to_string())),
                Err(_) => Err(bad("expected_user")),
            },
            _ => Err(bad("expected_user")),
        },
        FieldKind::Attachment => match v {
            Value::Object(o)
                if o.get("content_base64").is_some_and(Value::is_string) && o.get("filename").is_some_and(Value::is_string) =>
            {
                Ok(v.clone())
            }
            _ => Err(bad("expected_attachment")),
        },
    }
}

/// `YYYY-MM-DD`, a real calendar day.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit())).and_then(|t| t.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1900 && (1..=days).contains(&d)
}

/// Where an approval step stands after its decisions so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    Waiting,
    Approved,
    Rejected,
}

/// Any-one steps end on the first decision; all-steps need every approval, and one
/// rejection ends them.
pub fn step_outcome(mode: ApprovalMode, decisions: &[Decision]) -> StepOutcome {
    if decisions.contains(&Decision::Rejected) {
        return StepOutcome::Rejected;
    }
    let approved = decisions.iter().filter(|d| **d == Decision::Approved).count();
    match mode {
        ApprovalMode::Any if approved > 0 => StepOutcome::Approved,
        ApprovalMode::All if approved > 0 && decisions.iter().all(|d| matches!(d, Decision::Approved | Decision::Skipped)) => {
            StepOutcome::Approved
        }
        _ => StepOutcome::Waiting,
    }
}

/// Human number: `REQ-000123` (the ticket kernel's).
pub fn number(id: i64) -> String {
    crate::ticket::SERVICE_REQUEST.number(id)
}

pub fn parse_number(s: &str) -> Option<i64> {
    crate::ticket::SERVICE_REQUEST.parse_number(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Vec<FormField> {
        vec![
            FormField::new("system", Label::new("系统", "System"), FieldKind::Choice, true)
                .with_options(&[("oa", "OA", "OA"), ("core", "核心", "Core")]),
            FormField::new("count", Label::new("数量", "Count"), FieldKind::Number, false).with_range(1.0, 20.0),
            FormField::new("needed_by", Label::new("日期", "Date"), FieldKind::Date, false),
            FormField::new("reason", Label::new("理由", "Reason"), FieldKind::Textarea, true),
        ]
    }

    fn answers(v: Value) -> Answers {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn answers_are_checked_against_the_form() {
        let ok = check_answers(&form(), &answers(json!({"system": "oa", "count": "3", "reason": "  入职  "}))).unwrap();
        assert_eq!(ok.get("count"), Some(&json!(3.0)));
        assert_eq!(ok.get("reason"), Some(&json!("入职")));
        let errs =
            check_answers(&form(), &answers(json!({"system": "x", "count": 50, "needed_by": "2026-02-30", "extra": 1}))).unwrap_err();
        let codes: Vec<(String, String)> = errs.iter().map(|e| (e.field.clone(), e.code.clone())).collect();
        assert!(codes.contains(&("answers.extra".into(), "unknown_field".into())), "{codes:?}");
        assert!(codes.contains(&("answers.system".into(), "invalid_choice".into())));
        assert!(codes.contains(&("answers.count".into(), "above_maximum".into())));
        assert!(codes.contains(&("answers.needed_by".into(), "expected_date".into())));
        assert!(codes.contains(&("answers.reason".into(), "required".into())));
    }

    #[test]
    fn dates_must_be_real_days() {
        assert!(is_date("2028-02-29"));
        assert!(!is_date("2026-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("2026-1-01"));
        assert!(!is_date("２026-01-01"));
    }

    #[test]
    fn definitions_are_validated() {
        let mut d = ItemDefinition { fields: form(), ..Default::default() };
        assert!(d.validate().is_empty());
        d.fields.push(FormField::new("system", Label::new("", "Dup"), FieldKind::Choice, false));
        d.approvals.push(ApprovalStep {
            name: Label::new("主管", "Manager"),
            approver: Approver::Users { user_ids: vec![] },
            mode: ApprovalMode::All,
        });
        let e: Vec<String> = d.validate().into_iter().map(|e| format!("{}:{}", e.field, e.code)).collect();
        assert!(e.contains(&"fields[4].key:duplicate".to_string()), "{e:?}");
        assert!(e.contains(&"fields[4].label.zh:required".to_string()));
        assert!(e.contains(&"fields[4].options:required".to_string()));
        assert!(e.contains(&"approvals[0].approver.user_ids:out_of_range".to_string()));
    }

    #[test]
    fn approval_steps_decide_by_mode() {
        use Decision::*;
        assert_eq!(step_outcome(ApprovalMode::Any, &[Pending, Approved]), StepOutcome::Approved);
        assert_eq!(step_outcome(ApprovalMode::Any, &[Pending, Pending]), StepOutcome::Waiting);
        assert_eq!(step_outcome(ApprovalMode::All, &[Approved, Pending]), StepOutcome::Waiting);
        assert_eq!(step_outcome(ApprovalMode::All, &[Approved, Approved]), StepOutcome::Approved);
        assert_eq!(step_outcome(ApprovalMode::All, &[Approved, Rejected]), StepOutcome::Rejected);
        assert_eq!(step_outcome(ApprovalMode::Any, &[Rejected, Pending]), StepOutcome::Rejected);
    }

    #[test]
    fn lifecycle_refuses_what_it_must() {
        assert_eq!(next_state(RequestState::PendingApproval, RequestAction::Cancel), Ok(RequestState::Cancelled));
        assert_eq!(next_state(RequestState::Fulfilled, RequestAction::Close), Ok(RequestState::Closed));
        assert!(next_state(RequestState::Closed, RequestAction::Cancel).is_err());
        assert!(next_state(RequestState::InFulfilment, RequestAction::Close).is_err());
        assert_eq!(next_task_state(TaskState::Open, TaskAction::Complete), Ok(TaskState::Done));
        assert!(next_task_state(TaskState::Done, TaskAction::Skip).is_err());
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(number(12), "REQ-000012");
        assert_eq!(parse_number("REQ-000012"), Some(12));
        assert_eq!(parse_number("12"), Some(12));
        assert_eq!(parse_number("INC-1"), None);
    }

    #[test]
    fn catalogue_search_needs_every_word_in_some_text() {
        let texts = ["VPN 开通", "VPN access", "远程办公或运维需要的 VPN 账号", "network"];
        assert!(catalog_match(&texts, "vpn"));
        assert!(catalog_match(&texts, "VPN 开通"));
        assert!(catalog_match(&texts, "  远程  access "));
        assert!(catalog_match(&texts, ""), "nothing typed: everything");
        assert!(!catalog_match(&texts, "vpn 打印机"));
        assert!(!catalog_match(&["密码重置"], "密码 打印"));
    }
}
