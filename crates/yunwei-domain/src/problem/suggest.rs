//! Problem suggestions (PRB-1): incidents that recur on the same CI, category or business
//! service — N of them within M days, rules as data — or any major incident suggest opening a
//! problem. Pure: core loads the facts (recent incidents not yet linked to a problem, and how
//! far each subject is already covered by an earlier suggestion) and stores what this returns.
//!
//! Deduplication (ADR 0025): a suggestion is keyed by its basis and subject (`ci` 12). While
//! one is pending, new matches join it. Once it is accepted or dismissed it "covers" its
//! subject up to the newest incident it held: only incidents created after that count again,
//! so a dismissed window is never suggested twice, yet a fresh run of N does suggest again.

use crate::FieldError;
use crate::permission::string_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum!(
    /// What incidents have in common for a suggestion; `major` is one major incident.
    Basis {
        Ci = "ci",
        Category = "category",
        Service = "service",
        Major = "major",
    }
);

crate::permission::defaults!(Basis = Basis::Ci);

/// "`threshold` incidents with the same `basis` within `window_days` days".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub basis: Basis,
    pub threshold: u32,
    pub window_days: u32,
}

pub fn default_rules() -> Vec<Rule> {
    vec![
        Rule { basis: Basis::Ci, threshold: 3, window_days: 7 },
        Rule { basis: Basis::Category, threshold: 5, window_days: 7 },
        Rule { basis: Basis::Service, threshold: 5, window_days: 14 },
    ]
}

/// The longest window a rule may have: the scan reads no older incidents.
pub const MAX_WINDOW_DAYS: u32 = 90;

pub fn validate_rules(rules: &[Rule]) -> Result<(), crate::DomainError> {
    let mut c = crate::validate::Checker::new();
    if rules.len() > 20 {
        c.push(FieldError::new("rules", "too_long").with("max", 20));
    }
    for (n, r) in rules.iter().enumerate() {
        if r.basis == Basis::Major {
            c.push(FieldError::new(format!("rules[{n}].basis"), "not_allowed_value").with("allowed", "ci, category, service"));
        }
        if !(2..=1000).contains(&r.threshold) {
            c.push(FieldError::new(format!("rules[{n}].threshold"), "out_of_range").with("min", 2).with("max", 1000));
        }
        if !(1..=MAX_WINDOW_DAYS).contains(&r.window_days) {
            c.push(FieldError::new(format!("rules[{n}].window_days"), "out_of_range").with("min", 1).with("max", MAX_WINDOW_DAYS));
        }
    }
    c.finish()
}

/// One incident as the rules see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncidentFact {
    pub id: i64,
    pub created_at: i64,
    pub ci: Option<i64>,
    pub category: Option<i64>,
    pub service: Option<i64>,
    pub major: bool,
}

impl IncidentFact {
    fn subject(&self, basis: Basis) -> Option<i64> {
        match basis {
            Basis::Ci => self.ci,
            Basis::Category => self.category,
            Basis::Service => self.service,
            Basis::Major => self.major.then_some(self.id),
        }
    }
}

/// What a suggestion is about: the basis and the CI, category, service or major incident.
pub type Key = (Basis, i64);

/// A suggestion the rules raise: its key, the rule's figures and the incidents, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub basis: Basis,
    pub subject: i64,
    pub threshold: u32,
    pub window_days: u32,
    pub incidents: Vec<i64>,
    /// The newest incident's creation time: how far the suggestion covers its subject.
    pub last_at: i64,
}

const DAY_MS: i64 = 86_400_000;

/// The suggestions at `now`. `covered` says, per key, up to which creation time incidents
/// already belong to an accepted or dismissed suggestion; only later ones count. One
/// candidate per key: for two rules of one basis, the first that fires.
pub fn evaluate(rules: &[Rule], incidents: &[IncidentFact], covered: &BTreeMap<Key, i64>, now: i64) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let fresh = |key: Key, at: i64| covered.get(&key).is_none_or(|c| at > *c);
    for rule in rules.iter().filter(|r| r.basis != Basis::Major) {
        let since = now - i64::from(rule.window_days) * DAY_MS;
        let mut groups: BTreeMap<i64, Vec<&IncidentFact>> = BTreeMap::new();
        for i in incidents.iter().filter(|i| i.created_at >= since && i.created_at <= now) {
            if let Some(s) = i.subject(rule.basis).filter(|s| fresh((rule.basis, *s), i.created_at)) {
                groups.entry(s).or_default().push(i);
            }
        }
        for (subject, mut group) in groups {
            if group.len() < rule.threshold as usize || out.iter().any(|c| c.basis == rule.basis && c.subject == subject) {
                continue;
            }
            group.sort_by_key(|i| (i.created_at, i.id));
            out.push(candidate(rule, subject, &group));
        }
    }
    // A major incident always suggests a problem of its own.
    for i in incidents.iter().filter(|i| i.major && i.created_at <= now && fresh((Basis::Major, i.id), i.created_at)) {
        out.push(candidate(&Rule { basis: Basis::Major, threshold: 1, window_days: 0 }, i.id, &[i]));
    }
    out
}

fn candidate(rule: &Rule, subject: i64, group: &[&IncidentFact]) -> Candidate {
    Candidate {
        basis: rule.basis,
        subject,
        threshold: rule.threshold,
        window_days: rule.window_days,
        incidents: group.iter().map(|i| i.id).collect(),
        last_at: group.iter().map(|i| i.created_at).max().unwrap_or_default(),
    }
}

/// How far back the scan must read for these rules (ms before `now`).
pub fn lookback(rules: &[Rule]) -> i64 {
    i64::from(rules.iter().map(|r| r.window_days).max().unwrap_or(1).clamp(1, MAX_WINDOW_DAYS)) * DAY_MS
}
