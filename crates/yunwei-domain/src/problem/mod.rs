//! Problem management (问题管理, SPEC PRB-1 … PRB-6): the rules of a problem as pure
//! functions — its states and which move is allowed from where, what each move needs on the
//! record, the root-cause analysis record (five whys, fishbone, hypotheses), solution measures
//! and when they are overdue. Suggestions from recurring incidents are [`suggest`].

pub mod suggest;

use crate::FieldError;
use crate::incident::{Level, Priority, PriorityMatrix};
use crate::permission::string_enum;
use serde::{Deserialize, Serialize};

string_enum!(
    /// new → investigating → known_error → resolved → closed; a resolved problem may be
    /// reopened while it is not closed.
    ProblemState {
        New = "new",
        Investigating = "investigating",
        KnownError = "known_error",
        Resolved = "resolved",
        Closed = "closed",
    }
);

string_enum!(
    /// What a person asks of a problem (`POST /problems/{number}/transitions/{transition}`).
    ProblemTransition {
        Start = "start",
        KnownError = "known_error",
        Resolve = "resolve",
        Close = "close",
        Reopen = "reopen",
    }
);

string_enum!(
    /// The fishbone (Ishikawa) categories a cause is filed under.
    Fishbone {
        People = "people",
        Process = "process",
        Technology = "technology",
        Supplier = "supplier",
        Environment = "environment",
    }
);

string_enum!(
    /// A hypothesis about the root cause, as tested.
    HypothesisStatus {
        Open = "open",
        Confirmed = "confirmed",
        Refuted = "refuted",
    }
);

crate::permission::defaults!(ProblemState = ProblemState::New, HypothesisStatus = HypothesisStatus::Open);

impl ProblemState {
    /// Still being worked on (the list's default).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Resolved | Self::Closed)
    }
}

/// What the rules need to know of a problem for a move.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    pub symptom: &'a str,
    pub root_cause: &'a str,
    pub workaround: &'a str,
    /// Solution measures not yet done.
    pub open_measures: usize,
    /// The closure review's lessons (empty: not reviewed).
    pub review_lessons: &'a str,
    /// Whether the review said if the improvement register needs an entry.
    pub review_decided: bool,
}

/// The state `t` leads to from `s`, if it is allowed there.
pub fn next(s: ProblemState, t: ProblemTransition) -> Option<ProblemState> {
    use ProblemState::*;
    use ProblemTransition as T;
    match (s, t) {
        (New, T::Start) => Some(Investigating),
        (New | Investigating, T::KnownError) => Some(KnownError),
        (Investigating | KnownError, T::Resolve) => Some(Resolved),
        (Resolved, T::Close) => Some(Closed),
        (Resolved, T::Reopen) => Some(Investigating),
        _ => None,
    }
}

/// What `t` needs on the record, field by field (empty: nothing missing).
pub fn requirements(t: ProblemTransition, f: &Facts<'_>) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut need = |field: &str, present: bool| {
        if !present {
            out.push(FieldError::new(field, "required"));
        }
    };
    match t {
        // A known error is one whose symptom, cause and workaround are written down (PRB-4).
        ProblemTransition::KnownError => {
            need("symptom", !f.symptom.trim().is_empty());
            need("root_cause", !f.root_cause.trim().is_empty());
            need("workaround", !f.workaround.trim().is_empty());
        }
        ProblemTransition::Resolve => {
            need("root_cause", !f.root_cause.trim().is_empty());
            if f.open_measures > 0 {
                out.push(FieldError::new("measures", "measures_open").with("count", f.open_measures));
            }
        }
        // Closure needs the review (PRB-6).
        ProblemTransition::Close => {
            need("review_lessons", !f.review_lessons.trim().is_empty());
            need("review_improvement", f.review_decided);
        }
        _ => {}
    }
    out
}

/// impact × severity → priority, through the problem process's own matrix (data, as for incidents).
pub fn priority(matrix: &PriorityMatrix, impact: Level, severity: Level) -> Priority {
    matrix.priority(impact, severity)
}

/// One entry of the investigation's timeline (what happened when, as found out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcaEvent {
    /// Unix milliseconds.
    pub at: i64,
    pub text: String,
}

/// A cause filed under a fishbone category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub category: Fishbone,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hypothesis {
    pub text: String,
    #[serde(default)]
    pub status: HypothesisStatus,
    /// What the test showed (links to logs and dashboards, too).
    #[serde(default)]
    pub evidence: String,
}

/// The root-cause analysis record (根因分析, PRB-3), kept whole on the problem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rca {
    pub timeline: Vec<RcaEvent>,
    /// Five whys: each answer asks the next why.
    pub whys: Vec<String>,
    pub causes: Vec<Cause>,
    pub hypotheses: Vec<Hypothesis>,
}

pub const RCA_MAX_ITEMS: usize = 50;
pub const RCA_MAX_TEXT: usize = 2000;

impl Rca {
    /// Bounded lists of non-empty texts; the timeline in order of time.
    pub fn validate(&self) -> Result<(), crate::DomainError> {
        let mut c = crate::validate::Checker::new();
        let mut list = |field: &str, texts: Vec<&str>| {
            if texts.len() > RCA_MAX_ITEMS {
                c.push(FieldError::new(field, "too_long").with("max", RCA_MAX_ITEMS));
            }
            for (n, t) in texts.iter().enumerate() {
                if t.trim().is_empty() {
                    c.push(FieldError::new(format!("{field}[{n}]"), "required"));
                } else if t.chars().count() > RCA_MAX_TEXT {
                    c.push(FieldError::new(format!("{field}[{n}]"), "too_long").with("max", RCA_MAX_TEXT));
                }
            }
        };
        list("timeline", self.timeline.iter().map(|e| e.text.as_str()).collect());
        list("whys", self.whys.iter().map(String::as_str).collect());
        list("causes", self.causes.iter().map(|e| e.text.as_str()).collect());
        list("hypotheses", self.hypotheses.iter().map(|e| e.text.as_str()).collect());
        if self.timeline.windows(2).any(|w| w[1].at < w[0].at) {
            c.push(FieldError::new("timeline", "not_in_order"));
        }
        c.finish()
    }

    /// The hypotheses confirmed so far.
    pub fn confirmed(&self) -> impl Iterator<Item = &Hypothesis> {
        self.hypotheses.iter().filter(|h| h.status == HypothesisStatus::Confirmed)
    }
}

/// Is a measure due at `due` and not done overdue at `now`?
pub fn overdue(due: Option<i64>, done_at: Option<i64>, now: i64) -> bool {
    done_at.is_none() && due.is_some_and(|d| d < now)
}

/// `PRB-000012`.
pub fn number(id: i64) -> String {
    crate::ticket::PROBLEM.number(id)
}

/// The id in `PRB-000012` (or a bare `12`).
pub fn parse_number(text: &str) -> Option<i64> {
    crate::ticket::PROBLEM.parse_number(text)
}

/// The process's settings (editable data): the suggestion rules and the priority matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemSettings {
    pub rules: Vec<suggest::Rule>,
    /// Rows impact (high, medium, low), columns severity.
    pub matrix: PriorityMatrix,
}

impl Default for ProblemSettings {
    fn default() -> Self {
        Self { rules: suggest::default_rules(), matrix: PriorityMatrix::default() }
    }
}

impl ProblemSettings {
    pub fn validate(&self) -> Result<(), crate::DomainError> {
        self.matrix.validate()?;
        suggest::validate_rules(&self.rules)
    }
}

#[cfg(test)]
mod tests;
