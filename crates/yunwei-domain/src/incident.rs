//! Incident rules (SPEC INC): the lifecycle with guarded transitions, priority
//! from impact × urgency through an editable matrix, and what resolving and
//! closing require. Pure: the service in core asks these and writes the answer.

use crate::DomainError;
use crate::FieldError;
use crate::permission::string_enum;
use serde::{Deserialize, Serialize};

string_enum!(
    /// new → assigned → in progress ⇄ pending → resolved → closed (reopen from resolved/closed).
    IncidentState {
        New = "new",
        Assigned = "assigned",
        InProgress = "in_progress",
        Pending = "pending",
        Resolved = "resolved",
        Closed = "closed",
    }
);

string_enum!(
    /// Whom a pending incident waits for; SLA policies choose which of these pause the clock.
    PendingReason {
        Requester = "requester",
        ThirdParty = "third_party",
        Change = "change",
    }
);

string_enum!(
    /// Impact and urgency share one three-step scale.
    Level {
        High = "high",
        Medium = "medium",
        Low = "low",
    }
);

string_enum!(
    /// How the incident reached the service desk (INC-1).
    Channel {
        Portal = "portal",
        Phone = "phone",
        Email = "email",
        Api = "api",
        Monitoring = "monitoring",
    }
);

// What a new incident starts as before the core sets its fields.
crate::permission::defaults!(IncidentState = IncidentState::New, Level = Level::Low, Channel = Channel::Api, Priority = Priority::P4);

string_enum!(
    /// What a user asks the lifecycle to do; each is allowed from some states only.
    Transition {
        Start = "start",
        Pend = "pend",
        Resume = "resume",
        Resolve = "resolve",
        Close = "close",
        Reopen = "reopen",
    }
);

string_enum!(
    /// Timeline entries (the ticket page shows them in order).
    ActivityKind {
        Created = "created",
        Reply = "reply",
        WorkNote = "work_note",
        StateChanged = "state_changed",
        Assigned = "assigned",
        Escalated = "escalated",
        PriorityChanged = "priority_changed",
        Updated = "updated",
        SlaWarning = "sla_warning",
        SlaBreached = "sla_breached",
        MajorDeclared = "major_declared",
        SurveyAnswered = "survey_answered",
        Paged = "paged",
        Acknowledged = "acknowledged",
    }
);

impl IncidentState {
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Resolved | Self::Closed)
    }
}

/// Where a transition leads from `from`, or why not. Assignment is not a
/// transition here: it is its own command (see [`after_assignment`]).
pub fn next_state(from: IncidentState, t: Transition) -> Result<IncidentState, DomainError> {
    use IncidentState::*;
    let to = match (from, t) {
        (Assigned | Pending, Transition::Start) => Some(InProgress),
        (Assigned | InProgress, Transition::Pend) => Some(Pending),
        (Pending, Transition::Resume) => Some(InProgress),
        // First-contact resolution: the service desk may resolve a new incident on the call.
        (New | Assigned | InProgress | Pending, Transition::Resolve) => Some(Resolved),
        (Resolved, Transition::Close) => Some(Closed),
        (Resolved | Closed, Transition::Reopen) => Some(InProgress),
        _ => None,
    };
    to.ok_or(DomainError::IllegalTransition { object: "incident", from: from.as_str(), action: t.as_str() })
}

/// The state after (re)assigning: a new incident becomes assigned; an open one
/// handed to someone else starts again at assigned; closed work cannot be assigned.
pub fn after_assignment(from: IncidentState, assignee_changed: bool) -> Result<IncidentState, DomainError> {
    use IncidentState::*;
    match from {
        New => Ok(Assigned),
        Assigned | InProgress | Pending if assignee_changed => Ok(Assigned),
        Assigned | InProgress | Pending => Ok(from),
        Resolved | Closed => Err(DomainError::IllegalTransition { object: "incident", from: from.as_str(), action: "assign" }),
    }
}

/// Which transitions the UI offers from a state.
pub fn allowed_transitions(from: IncidentState) -> Vec<Transition> {
    Transition::ALL.iter().copied().filter(|t| next_state(from, *t).is_ok()).collect()
}

/// Priority 1 (highest) to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Priority(u8);

impl Priority {
    pub const P1: Priority = Priority(1);
    pub const P2: Priority = Priority(2);
    pub const P3: Priority = Priority(3);
    pub const P4: Priority = Priority(4);
    pub const ALL: [Priority; 4] = [Self::P1, Self::P2, Self::P3, Self::P4];

    pub fn new(n: u8) -> Option<Priority> {
        (1..=4).contains(&n).then_some(Priority(n))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// One step more urgent (a breach may raise priority); P1 stays P1.
    pub fn raised(self) -> Priority {
        Priority(self.0.saturating_sub(1).max(1))
    }

    pub fn index(self) -> usize {
        usize::from(self.0 - 1)
    }
}

impl TryFrom<u8> for Priority {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        Priority::new(n).ok_or_else(|| format!("priority must be 1 to 4, got {n}"))
    }
}

impl From<Priority> for u8 {
    fn from(p: Priority) -> u8 {
        p.0
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "P{}", self.0)
    }
}

impl Level {
    fn index(self) -> usize {
        match self {
            Level::High => 0,
            Level::Medium => 1,
            Level::Low => 2,
        }
    }
}

/// impact × urgency → priority. Rows are impact (high, medium, low), columns urgency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityMatrix {
    pub cells: [[u8; 3]; 3],
}

impl Default for PriorityMatrix {
    /// The usual ITIL matrix: high × high is P1; low × low and low × medium are P4.
    fn default() -> Self {
        PriorityMatrix { cells: [[1, 2, 3], [2, 3, 4], [3, 4, 4]] }
    }
}

impl PriorityMatrix {
    /// A matrix administrators may save: every cell P1–P4, and more impact or
    /// urgency never gives a lower priority (else triage would invert).
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        for (i, row) in self.cells.iter().enumerate() {
            for (j, cell) in row.iter().enumerate() {
                if Priority::new(*cell).is_none() {
                    errors.push(FieldError::new(format!("cells[{i}][{j}]"), "out_of_range").with("min", 1).with("max", 4));
                }
            }
        }
        if errors.is_empty() {
            for i in 0..3 {
                for j in 0..3 {
                    let c = self.cells[i][j];
                    let worse_impact = i > 0 && self.cells[i - 1][j] > c;
                    let worse_urgency = j > 0 && self.cells[i][j - 1] > c;
                    if worse_impact || worse_urgency {
                        errors.push(FieldError::new(format!("cells[{i}][{j}]"), "priority_not_monotonic"));
                    }
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(DomainError::Validation(errors)) }
    }

    pub fn priority(&self, impact: Level, urgency: Level) -> Priority {
        Priority::new(self.cells[impact.index()][urgency.index()]).unwrap_or(Priority::P4)
    }
}

/// Display name and colour of one priority (administrators may rename them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityLabel {
    pub name_zh: String,
    pub name_en: String,
    /// `#rrggbb`
    pub colour: String,
}

pub fn default_priority_labels() -> [PriorityLabel; 4] {
    let l = |zh: &str, en: &str, c: &str| PriorityLabel { name_zh: zh.into(), name_en: en.into(), colour: c.into() };
    [
        l("P1 紧急", "P1 Critical", "#b42318"),
        l("P2 高", "P2 High", "#c4320a"),
        l("P3 中", "P3 Medium", "#b54708"),
        l("P4 低", "P4 Low", "#175cd3"),
    ]
}

/// The incident summary (事件总结, INC-6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentSummary {
    pub cause: String,
    pub handling: String,
    pub lessons: String,
    pub prevention: String,
}

impl IncidentSummary {
    pub fn missing_parts(&self) -> Vec<FieldError> {
        [
            ("summary.cause", &self.cause),
            ("summary.handling", &self.handling),
            ("summary.lessons", &self.lessons),
            ("summary.prevention", &self.prevention),
        ]
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(k, _)| FieldError::new(k, "required"))
        .collect()
    }
}

/// Settings the service desk runs on; administrators edit them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskSettings {
    pub matrix: PriorityMatrix,
    pub labels: [PriorityLabel; 4],
    /// Priorities that cannot be closed without the summary (INC-6).
    pub summary_required_for: Vec<Priority>,
    /// How long after resolution the requester or desk may reopen.
    pub reopen_days: u32,
    /// P1 incidents are declared major automatically (INC-7).
    pub auto_major_for_p1: bool,
    /// Resolution codes offered and accepted.
    pub resolution_codes: Vec<String>,
    /// What people read for each code, in both languages; a code without an entry (the
    /// built-in ones) is named by the pages' own translation.
    pub resolution_labels: std::collections::BTreeMap<String, CodeLabel>,
    /// How often the commander of a major incident updates the stakeholders, in minutes (INC-7);
    /// each incident may change its own.
    pub major_update_interval_minutes: u32,
    /// The role whose holders decide a service request's approval step when its own approver
    /// cannot be found (no line manager and no team lead, only the requester, everyone disabled).
    /// Empty: such a step waits for the service desk to name an approver.
    pub approval_fallback_role: String,
}

impl Default for DeskSettings {
    fn default() -> Self {
        DeskSettings {
            matrix: PriorityMatrix::default(),
            labels: default_priority_labels(),
            summary_required_for: vec![Priority::P1, Priority::P2],
            reopen_days: 7,
            auto_major_for_p1: true,
            resolution_codes: ["fixed", "workaround", "config_change", "hardware_replaced", "user_error", "no_fault_found", "duplicate"]
                .map(String::from)
                .to_vec(),
            resolution_labels: Default::default(),
            major_update_interval_minutes: 30,
            // What an operations team expects: the operations manager stands in for a missing one.
            approval_fallback_role: "ops_manager".into(),
        }
    }
}

/// The shipped resolution codes' names (code, zh-CN, en); the pages' locales say the same.
pub const BUILTIN_RESOLUTION_NAMES: &[(&str, &str, &str)] = &[
    ("fixed", "已修复", "Fixed"),
    ("workaround", "临时解决方案", "Workaround"),
    ("config_change", "调整配置", "Configuration changed"),
    ("hardware_replaced", "更换硬件", "Hardware replaced"),
    ("user_error", "操作失误", "User error"),
    ("no_fault_found", "未发现故障", "No fault found"),
    ("duplicate", "重复事件", "Duplicate"),
];

/// A code's name in zh-CN and en (either may be empty: the other is shown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeLabel {
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
}

impl DeskSettings {
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = match self.matrix.validate() {
            Err(DomainError::Validation(e)) => e.into_iter().map(|f| FieldError { field: format!("matrix.{}", f.field), ..f }).collect(),
            _ => Vec::new(),
        };
        for (i, l) in self.labels.iter().enumerate() {
            if l.name_zh.trim().is_empty() || l.name_zh.chars().count() > 40 {
                errors.push(FieldError::new(format!("labels[{i}].name_zh"), "required"));
            }
            if l.name_en.trim().is_empty() || l.name_en.chars().count() > 40 {
                errors.push(FieldError::new(format!("labels[{i}].name_en"), "required"));
            }
            if !is_hex_colour(&l.colour) {
                errors.push(FieldError::new(format!("labels[{i}].colour"), "invalid_colour"));
            }
        }
        if !(1..=365).contains(&self.reopen_days) {
            errors.push(FieldError::new("reopen_days", "out_of_range").with("min", 1).with("max", 365));
        }
        if !crate::major::INTERVAL_MINUTES.contains(&self.major_update_interval_minutes) {
            errors.push(
                FieldError::new("major_update_interval_minutes", "out_of_range")
                    .with("min", crate::major::INTERVAL_MINUTES.start())
                    .with("max", crate::major::INTERVAL_MINUTES.end()),
            );
        }
        if self.resolution_codes.is_empty() {
            errors.push(FieldError::new("resolution_codes", "required"));
        }
        for (i, c) in self.resolution_codes.iter().enumerate() {
            if !crate::validate::is_key(c) {
                errors.push(FieldError::new(format!("resolution_codes[{i}]"), "invalid_key"));
            }
        }
        if !self.approval_fallback_role.is_empty() && !crate::validate::is_key(&self.approval_fallback_role) {
            errors.push(FieldError::new("approval_fallback_role", "invalid_key"));
        }
        for (code, l) in &self.resolution_labels {
            if !self.resolution_codes.contains(code) {
                errors.push(FieldError::new(format!("resolution_labels.{code}"), "not_allowed_value"));
            }
            for (lang, name) in [("name_zh", &l.name_zh), ("name_en", &l.name_en)] {
                if name.chars().count() > 40 {
                    errors.push(FieldError::new(format!("resolution_labels.{code}.{lang}"), "too_long").with("max", 40));
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(DomainError::Validation(errors)) }
    }

    /// A resolution code as a reader of the language sees it (exports and reports): the
    /// administrator's name, else the built-in one, else the other language's, else the code.
    pub fn resolution_name(&self, code: &str, zh: bool) -> String {
        let builtin = BUILTIN_RESOLUTION_NAMES.iter().find(|b| b.0 == code).map(|b| if zh { b.1 } else { b.2 });
        self.resolution_label(code, zh).or(builtin).or_else(|| self.resolution_label(code, !zh)).unwrap_or(code).to_string()
    }

    /// The administrator's name for a resolution code in one language, if given.
    pub fn resolution_label(&self, code: &str, zh: bool) -> Option<&str> {
        let l = self.resolution_labels.get(code)?;
        Some(if zh { l.name_zh.trim() } else { l.name_en.trim() }).filter(|n| !n.is_empty())
    }

    pub fn label(&self, p: Priority, zh: bool) -> &str {
        let l = &self.labels[p.index()];
        if zh { &l.name_zh } else { &l.name_en }
    }
}

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// What resolving needs: a known resolution code and some text.
pub fn check_resolution(settings: &DeskSettings, code: Option<&str>, text: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match code {
        None | Some("") => errors.push(FieldError::new("resolution_code", "required")),
        Some(c) if !settings.resolution_codes.iter().any(|k| k == c) => {
            errors.push(FieldError::new("resolution_code", "not_allowed_value").with("allowed", settings.resolution_codes.join(", ")))
        }
        Some(_) => {}
    }
    if text.is_none_or(|t| t.trim().is_empty()) {
        errors.push(FieldError::new("resolution", "required"));
    }
    errors
}

/// Closing a high-priority incident needs the complete summary (when configured).
pub fn check_close(settings: &DeskSettings, priority: Priority, summary: Option<&IncidentSummary>) -> Result<(), DomainError> {
    if !settings.summary_required_for.contains(&priority) {
        return Ok(());
    }
    let missing = summary.map(IncidentSummary::missing_parts).unwrap_or_else(|| IncidentSummary::default().missing_parts());
    if missing.is_empty() { Ok(()) } else { Err(DomainError::SummaryRequired(missing)) }
}

/// Reopening is allowed for `reopen_days` after resolution.
pub fn check_reopen(settings: &DeskSettings, resolved_at_ms: Option<i64>, now_ms: i64) -> Result<(), DomainError> {
    let window = i64::from(settings.reopen_days) * 86_400_000;
    match resolved_at_ms {
        Some(at) if now_ms - at <= window => Ok(()),
        _ => Err(DomainError::ReopenWindowPassed { days: settings.reopen_days }),
    }
}

/// `INC-000123`: human numbers are the record id, zero-padded to six digits (the ticket kernel's).
pub fn number(id: i64) -> String {
    crate::ticket::INCIDENT.number(id)
}

/// The id in `INC-000123` (or a bare `123`), if it is one.
pub fn parse_number(text: &str) -> Option<i64> {
    crate::ticket::INCIDENT.parse_number(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentState::*;

    #[test]
    fn lifecycle_follows_the_spec() {
        assert_eq!(next_state(Assigned, Transition::Start), Ok(InProgress));
        assert_eq!(next_state(InProgress, Transition::Pend), Ok(Pending));
        assert_eq!(next_state(Pending, Transition::Resume), Ok(InProgress));
        assert_eq!(next_state(InProgress, Transition::Resolve), Ok(Resolved));
        assert_eq!(next_state(Resolved, Transition::Close), Ok(Closed));
        assert_eq!(next_state(Closed, Transition::Reopen), Ok(InProgress));
        assert_eq!(
            next_state(New, Transition::Close),
            Err(DomainError::IllegalTransition { object: "incident", from: "new", action: "close" })
        );
        assert!(next_state(Closed, Transition::Resolve).is_err());
        assert!(next_state(New, Transition::Start).is_err(), "work starts once someone owns it");
        assert_eq!(allowed_transitions(Resolved), vec![Transition::Close, Transition::Reopen]);
    }

    #[test]
    fn every_state_but_closed_can_move_on() {
        for s in IncidentState::ALL {
            assert!(!allowed_transitions(*s).is_empty(), "{s} is a dead end");
        }
    }

    #[test]
    fn assignment_moves_new_and_reassigned_work_to_assigned() {
        assert_eq!(after_assignment(New, true), Ok(Assigned));
        assert_eq!(after_assignment(InProgress, true), Ok(Assigned));
        assert_eq!(after_assignment(InProgress, false), Ok(InProgress));
        assert!(after_assignment(Closed, true).is_err());
    }

    #[test]
    fn default_matrix_is_valid_and_derives_priorities() {
        let m = PriorityMatrix::default();
        assert!(m.validate().is_ok());
        assert_eq!(m.priority(Level::High, Level::High), Priority::P1);
        assert_eq!(m.priority(Level::Medium, Level::High), Priority::P2);
        assert_eq!(m.priority(Level::Low, Level::Low), Priority::P4);
    }

    #[test]
    fn invalid_matrices_are_refused_with_the_cell() {
        let out_of_range = PriorityMatrix { cells: [[0, 2, 3], [2, 3, 4], [3, 4, 5]] };
        let Err(DomainError::Validation(e)) = out_of_range.validate() else { panic!("accepted") };
        assert_eq!(e.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["cells[0][0]", "cells[2][2]"]);
        let inverted = PriorityMatrix { cells: [[4, 2, 3], [2, 3, 4], [3, 4, 4]] };
        let Err(DomainError::Validation(e)) = inverted.validate() else { panic!("accepted") };
        assert!(e.iter().all(|f| f.code == "priority_not_monotonic"));
        assert!(e.iter().any(|f| f.field == "cells[0][1]"));
    }

    #[test]
    fn resolution_and_summary_rules() {
        let s = DeskSettings::default();
        assert_eq!(check_resolution(&s, Some("fixed"), Some("重启服务后恢复")), vec![]);
        let e = check_resolution(&s, Some("magic"), Some(" "));
        assert_eq!(e.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["not_allowed_value", "required"]);
        assert!(check_close(&s, Priority::P3, None).is_ok());
        let Err(DomainError::SummaryRequired(missing)) = check_close(&s, Priority::P1, None) else { panic!("closed") };
        assert_eq!(missing.len(), 4);
        let full = IncidentSummary { cause: "a".into(), handling: "b".into(), lessons: "c".into(), prevention: "d".into() };
        assert!(check_close(&s, Priority::P2, Some(&full)).is_ok());
    }

    #[test]
    fn reopen_window() {
        let s = DeskSettings::default();
        let day = 86_400_000;
        assert!(check_reopen(&s, Some(0), 7 * day).is_ok());
        assert_eq!(check_reopen(&s, Some(0), 7 * day + 1), Err(DomainError::ReopenWindowPassed { days: 7 }));
        assert!(check_reopen(&s, None, 0).is_err());
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(number(123), "INC-000123");
        assert_eq!(number(1_234_567), "INC-1234567");
        assert_eq!(parse_number("INC-000123"), Some(123));
        assert_eq!(parse_number(" 42 "), Some(42));
        assert_eq!(parse_number("INC-"), None);
        assert_eq!(parse_number("CHG-000001"), None);
        assert_eq!(parse_number("99999999999999999999"), None);
    }

    #[test]
    fn priority_raises_but_not_past_p1() {
        assert_eq!(Priority::P3.raised(), Priority::P2);
        assert_eq!(Priority::P1.raised(), Priority::P1);
        assert!(serde_json::from_str::<Priority>("5").is_err());
    }

    #[test]
    fn settings_validate() {
        assert!(DeskSettings::default().validate().is_ok());
        let mut s = DeskSettings::default();
        s.labels[0].colour = "red".into();
        s.reopen_days = 0;
        let Err(DomainError::Validation(e)) = s.validate() else { panic!("accepted") };
        assert_eq!(e.len(), 2);
    }
}
