//! Monitoring alerts (告警): what an alert is once it has come through the front door,
//! whatever the sender's format, and the rules that decide whether a POST changes anything.
//!
//! Senders repeat themselves: Alertmanager posts the whole group's state every
//! `group_interval`, HA pairs post everything twice, PagerDuty clients retry. An incoming
//! alert that says what the stored one already says is a repeat and writes nothing.

pub mod wire;

use crate::permission::string_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum!(
    /// Yunwei's own severities, most severe first.
    Severity {
        Critical = "critical",
        Major = "major",
        Minor = "minor",
        Warning = "warning",
        Info = "info",
    }
);

string_enum!(
    /// Firing or resolved, as the monitoring system says.
    AlertStatus {
        Firing = "firing",
        Resolved = "resolved",
    }
);

string_enum!(
    /// The sender's wire format.
    AlertSource {
        Alertmanager = "alertmanager",
        AlertmanagerApi = "alertmanager_api",
        PagerdutyV2 = "pagerduty_v2",
        PagerdutyV1 = "pagerduty_v1",
        Generic = "generic",
    }
);

// What a new row starts as.
crate::permission::defaults!(AlertStatus = AlertStatus::Firing, Severity = Severity::Warning);

/// Something accepted but worth a look, kept on the alert.
pub const FLAG_UNKNOWN_SEVERITY: &str = "unknown_severity";
pub const FLAG_EXTRA_FIELDS: &str = "extra_fields";

/// One alert as a sender described it, before severity mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incoming {
    pub dedup_key: String,
    pub status: AlertStatus,
    /// The sender's word for the severity, if it gave one.
    pub source_severity: Option<String>,
    pub title: String,
    pub description: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Milliseconds since the epoch.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub link: Option<String>,
    /// Fields the format does not define (kept in `raw`, flagged).
    pub extra_fields: Vec<String>,
    /// This alert's own part of the payload, as sent.
    pub raw: serde_json::Value,
}

/// An integration's mapping from the sender's severity words to Yunwei's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeverityMap {
    #[serde(default)]
    pub map: BTreeMap<String, Severity>,
    pub default: Option<Severity>,
}

impl SeverityMap {
    /// The mapped severity and whether it was unknown (then the default, flagged). Words are
    /// compared case-insensitively; Yunwei's own words and PagerDuty's `error` map by
    /// themselves unless the integration says otherwise.
    pub fn apply(&self, word: Option<&str>) -> (Severity, bool) {
        let default = self.default.unwrap_or(Severity::Warning);
        let Some(word) = word.map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()) else {
            return (default, false);
        };
        if let Some(s) = self.map.iter().find(|(k, _)| k.to_lowercase() == word).map(|(_, s)| *s) {
            return (s, false);
        }
        match word.parse::<Severity>() {
            Ok(s) => (s, false),
            Err(()) if word == "error" => (Severity::Major, false),
            Err(()) => (default, true),
        }
    }
}

/// What is stored of an alert, as far as deciding repeats goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Known {
    pub status: AlertStatus,
    pub severity: Severity,
    pub starts_at: Option<i64>,
}

/// What an incoming alert does to the stored one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// Nothing new: write nothing.
    Repeat,
    /// First seen.
    New,
    /// The status, severity or start changed (a resolved alert firing again starts anew).
    Changed,
}

pub fn effect(known: Option<Known>, status: AlertStatus, severity: Severity, starts_at: Option<i64>) -> Effect {
    match known {
        None => Effect::New,
        Some(k) if k.status == status && k.severity == severity && (starts_at.is_none() || k.starts_at == starts_at) => Effect::Repeat,
        Some(_) => Effect::Changed,
    }
}

/// Prometheus' label-set fingerprint (FNV-1a 64 over sorted `name 0xff value 0xff`), as
/// Alertmanager prints it: so an alert posted to `/api/v2/alerts` and the same alert arriving
/// by webhook are one alert.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET: u64 = 14695981039346656037;
    const PRIME: u64 = 1099511628211;
    let mut h = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for (k, v) in labels {
        add(k.as_bytes());
        add(&[0xff]);
        add(v.as_bytes());
        add(&[0xff]);
    }
    format!("{h:016x}")
}

/// One label matcher of a silence, as Alertmanager writes them: `=`, `!=`, `=~`, `!~`
/// (regular expressions anchored at both ends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    pub name: String,
    pub op: String,
    pub value: String,
}

impl Matcher {
    /// Checks the operator and the expression; the error is the field's error code.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.name.trim().is_empty() {
            return Err("required");
        }
        match self.op.as_str() {
            "=" | "!=" => Ok(()),
            "=~" | "!~" => regex::Regex::new(&format!("^(?:{})$", self.value)).map(drop).map_err(|_| "invalid_pattern"),
            _ => Err("not_allowed_value"),
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.name).map(String::as_str).unwrap_or("");
        let re = || regex::Regex::new(&format!("^(?:{})$", self.value)).is_ok_and(|r| r.is_match(v));
        match self.op.as_str() {
            "=" => v == self.value,
            "!=" => v != self.value,
            "=~" => re(),
            "!~" => !re(),
            _ => false,
        }
    }
}

/// A silence holds an alert when every matcher matches and `at` is within its range.
pub fn silences(matchers: &[Matcher], starts_at: i64, ends_at: i64, labels: &BTreeMap<String, String>, at: i64) -> bool {
    !matchers.is_empty() && (starts_at..ends_at).contains(&at) && matchers.iter().all(|m| m.matches(labels))
}

/// Flapping (告警抖动): at least `changes` state changes (firing ⇄ resolved) in the `minutes`
/// up to `now`. `changes` 0: never. While an alert flaps, its notifications are held.
pub fn is_flapping(change_times: &[i64], now: i64, changes: u32, minutes: u32) -> bool {
    let since = now - i64::from(minutes) * 60_000;
    changes > 0 && change_times.iter().filter(|t| (since..=now).contains(*t)).count() >= changes as usize
}

/// Impact and urgency of the incident an alert of this severity opens.
pub fn incident_levels(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Critical => ("high", "high"),
        Severity::Major => ("high", "medium"),
        Severity::Minor => ("medium", "medium"),
        Severity::Warning => ("low", "medium"),
        Severity::Info => ("low", "low"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flapping_counts_the_changes_inside_the_window_only() {
        let min = 60_000;
        let times = [0, 2 * min, 4 * min, 6 * min, 8 * min];
        assert!(is_flapping(&times, 10 * min, 5, 10));
        assert!(!is_flapping(&times, 10 * min + 1, 5, 10), "the first change left the window");
        assert!(!is_flapping(&times, 10 * min, 6, 10));
        assert!(!is_flapping(&times, 10 * min, 0, 10), "0: off");
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fingerprints_are_prometheus_ones() {
        // Empty set: FNV-1a's offset basis, as `model.LabelSet{}.Fingerprint()`.
        assert_eq!(fingerprint(&BTreeMap::new()), "cbf29ce484222325");
        let a = fingerprint(&labels(&[("alertname", "HostDown"), ("instance", "10.1.2.3:9100")]));
        let b = fingerprint(&labels(&[("instance", "10.1.2.3:9100"), ("alertname", "HostDown")]));
        assert_eq!(a, b, "order does not matter");
        assert_ne!(a, fingerprint(&labels(&[("alertname", "HostDown"), ("instance", "10.1.2.4:9100")])));
        assert_eq!(a.len(), 16);
    }

    #[test]
    fn severities_map_with_a_flagged_default() {
        let m = SeverityMap { map: [("P1".to_string(), Severity::Critical)].into(), default: None };
        assert_eq!(m.apply(Some("p1")), (Severity::Critical, false));
        assert_eq!(m.apply(Some("major")), (Severity::Major, false));
        assert_eq!(m.apply(Some("error")), (Severity::Major, false));
        assert_eq!(m.apply(Some("紧急")), (Severity::Warning, true));
        assert_eq!(m.apply(None), (Severity::Warning, false));
    }

    #[test]
    fn repeats_write_nothing() {
        let k = Known { status: AlertStatus::Firing, severity: Severity::Major, starts_at: Some(5) };
        assert_eq!(effect(Some(k), AlertStatus::Firing, Severity::Major, Some(5)), Effect::Repeat);
        assert_eq!(effect(Some(k), AlertStatus::Firing, Severity::Major, None), Effect::Repeat);
        assert_eq!(effect(Some(k), AlertStatus::Resolved, Severity::Major, Some(5)), Effect::Changed);
        assert_eq!(effect(Some(k), AlertStatus::Firing, Severity::Major, Some(9)), Effect::Changed);
        assert_eq!(effect(None, AlertStatus::Firing, Severity::Major, None), Effect::New);
    }

    #[test]
    fn silences_match_like_alertmanager() {
        let l = labels(&[("alertname", "HostDown"), ("instance", "10.1.2.3:9100")]);
        let m = |name: &str, op: &str, value: &str| Matcher { name: name.into(), op: op.into(), value: value.into() };
        assert!(silences(&[m("instance", "=~", "10\\.1\\..*")], 0, 10, &l, 5));
        assert!(!silences(&[m("instance", "=~", "10\\.1")], 0, 10, &l, 5), "anchored");
        assert!(!silences(&[m("alertname", "=", "HostDown")], 0, 10, &l, 10), "over at its end");
        assert!(silences(&[m("alertname", "=", "HostDown"), m("job", "!=", "x")], 0, 10, &l, 0));
        assert!(!silences(&[], 0, 10, &l, 5), "no matcher silences nothing");
        assert_eq!(m("a", "=~", "(").check(), Err("invalid_pattern"));
        assert_eq!(m("a", "~", "x").check(), Err("not_allowed_value"));
        assert!(Severity::Critical < Severity::Major, "most severe first");
    }
}
