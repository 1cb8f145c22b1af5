//! Service-level rules (SPEC SLA): targets per priority, which pending reasons
//! pause the clock, warning thresholds, what a breach does, and which policy
//! applies to a ticket. The clock arithmetic itself is in `yunwei-calendar`.

use crate::incident::{PendingReason, Priority};
use crate::permission::string_enum;
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};

/// Response and resolution targets for one priority, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub response_minutes: u32,
    pub resolution_minutes: u32,
}

string_enum!(
    /// The two clocks of a ticket.
    SlaTarget {
        Response = "response",
        Resolution = "resolution",
    }
);

/// What happens when a target is missed (besides recording it on the ticket).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreachActions {
    /// Tell the assignee's team manager (hierarchical escalation).
    pub notify_manager: bool,
    /// Raise the priority one step (P3 → P2).
    pub raise_priority: bool,
    /// Hand the ticket to this team (functional escalation).
    pub escalate_to_team: Option<i64>,
}

/// The rules of one SLA policy (stored as JSON beside its name and scope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaRules {
    /// P1 … P4.
    pub targets: [Targets; 4],
    /// Pending reasons that stop the clock (default: waiting on the requester).
    #[serde(default = "default_pause_on")]
    pub pause_on: Vec<PendingReason>,
    /// Percentages of a target at which to warn, ascending (default 75 and 90).
    #[serde(default = "default_warn_at")]
    pub warn_at: Vec<u8>,
    #[serde(default)]
    pub on_breach: BreachActions,
}

fn default_pause_on() -> Vec<PendingReason> {
    vec![PendingReason::Requester]
}

fn default_warn_at() -> Vec<u8> {
    vec![75, 90]
}

const MAX_TARGET_MINUTES: u32 = 366 * 24 * 60;

impl SlaRules {
    /// A bank's usual targets: P1 responded in 15 min and resolved in 1 h (SPEC SLA), down to P4 in 5 days.
    pub fn standard() -> SlaRules {
        let t = |r, s| Targets { response_minutes: r, resolution_minutes: s };
        SlaRules {
            targets: [t(15, 60), t(30, 240), t(120, 1440), t(480, 7200)],
            pause_on: default_pause_on(),
            warn_at: default_warn_at(),
            on_breach: BreachActions { notify_manager: true, raise_priority: false, escalate_to_team: None },
        }
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            for (name, v) in [("response_minutes", t.response_minutes), ("resolution_minutes", t.resolution_minutes)] {
                if v == 0 || v > MAX_TARGET_MINUTES {
                    errors.push(
                        FieldError::new(format!("targets[{i}].{name}"), "out_of_range").with("min", 1).with("max", MAX_TARGET_MINUTES),
                    );
                }
            }
            if t.response_minutes > t.resolution_minutes {
                errors.push(FieldError::new(format!("targets[{i}].response_minutes"), "response_after_resolution"));
            }
        }
        if self.warn_at.len() > 5 || self.warn_at.iter().any(|p| !(1..=99).contains(p)) || self.warn_at.windows(2).any(|w| w[0] >= w[1]) {
            errors.push(FieldError::new("warn_at", "invalid_thresholds"));
        }
        let mut pauses = self.pause_on.clone();
        pauses.sort();
        pauses.dedup();
        if pauses.len() != self.pause_on.len() {
            errors.push(FieldError::new("pause_on", "duplicate"));
        }
        if errors.is_empty() { Ok(()) } else { Err(DomainError::Validation(errors)) }
    }

    pub fn target_secs(&self, priority: Priority, which: SlaTarget) -> i64 {
        let t = self.targets[priority.index()];
        let minutes = match which {
            SlaTarget::Response => t.response_minutes,
            SlaTarget::Resolution => t.resolution_minutes,
        };
        i64::from(minutes) * 60
    }

    pub fn pauses(&self, reason: Option<PendingReason>) -> bool {
        reason.is_some_and(|r| self.pause_on.contains(&r))
    }
}

/// Which records a policy covers: unset fields match anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyScope {
    pub service_id: Option<i64>,
    pub department_id: Option<i64>,
}

/// How specifically a policy fits a ticket (higher wins), or `None` if it does not apply.
/// A service-and-customer agreement beats a service one, which beats a customer one,
/// which beats the default.
pub fn fit(policy: PolicyScope, ticket: PolicyScope) -> Option<u8> {
    let part = |p: Option<i64>, t: Option<i64>, weight: u8| match p {
        None => Some(0),
        Some(p) if Some(p) == t => Some(weight),
        Some(_) => None,
    };
    Some(part(policy.service_id, ticket.service_id, 2)? + part(policy.department_id, ticket.department_id, 1)?)
}

/// The best-fitting policy among `(id, scope)`; ties go to the lowest id (the oldest).
pub fn choose_policy(policies: &[(i64, PolicyScope)], ticket: PolicyScope) -> Option<i64> {
    policies.iter().filter_map(|(id, s)| fit(*s, ticket).map(|rank| (rank, std::cmp::Reverse(*id)))).max().map(|(_, id)| id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_rules_are_valid() {
        let r = SlaRules::standard();
        assert!(r.validate().is_ok());
        assert_eq!(r.target_secs(Priority::P1, SlaTarget::Resolution), 3600);
        assert!(r.pauses(Some(PendingReason::Requester)));
        assert!(!r.pauses(Some(PendingReason::ThirdParty)));
        assert!(!r.pauses(None));
    }

    #[test]
    fn bad_rules_are_refused_field_by_field() {
        let mut r = SlaRules::standard();
        r.targets[0] = Targets { response_minutes: 120, resolution_minutes: 60 };
        r.targets[3].resolution_minutes = 0;
        r.warn_at = vec![90, 75];
        let Err(DomainError::Validation(e)) = r.validate() else { panic!("accepted") };
        let fields: Vec<_> = e.iter().map(|f| (f.field.as_str(), f.code.as_str())).collect();
        assert!(fields.contains(&("targets[0].response_minutes", "response_after_resolution")));
        assert!(fields.contains(&("targets[3].resolution_minutes", "out_of_range")));
        assert!(fields.contains(&("warn_at", "invalid_thresholds")));
    }

    #[test]
    fn most_specific_policy_wins() {
        let default = (1, PolicyScope::default());
        let service = (2, PolicyScope { service_id: Some(7), department_id: None });
        let customer = (3, PolicyScope { service_id: None, department_id: Some(3) });
        let both = (4, PolicyScope { service_id: Some(7), department_id: Some(3) });
        let all = [default, service, customer, both];
        let t = |s, d| PolicyScope { service_id: s, department_id: d };
        assert_eq!(choose_policy(&all, t(Some(7), Some(3))), Some(4));
        assert_eq!(choose_policy(&all, t(Some(7), Some(9))), Some(2));
        assert_eq!(choose_policy(&all, t(None, Some(3))), Some(3));
        assert_eq!(choose_policy(&all, t(Some(8), None)), Some(1));
        assert_eq!(choose_policy(&all[1..], t(Some(8), None)), None);
        let twin = (9, PolicyScope::default());
        assert_eq!(choose_policy(&[twin, default], t(None, None)), Some(1), "ties go to the oldest");
    }
}
