//! Escalation (升级策略): who is paged about an incident, and when, until someone
//! acknowledges it. A policy is ordered levels; each level names its targets and how long to
//! wait after paging them before the next level is paged. After the last level the whole
//! policy runs again, `repeat` more times. Pages are numbered 0, 1, 2 … across rounds; what is
//! due at a time is a pure function of the policy, the start and how many pages went out.
//! Escalation runs 7×24: no business hours.

#[cfg(test)]
mod tests;

use crate::FieldError;
use crate::permission::string_enum;
use serde::{Deserialize, Serialize};

/// At most this many levels, targets per level, repeats and minutes of delay.
pub const MAX_LEVELS: usize = 10;
pub const MAX_TARGETS: usize = 10;
pub const MAX_REPEAT: u32 = 9;
pub const MAX_DELAY_MINUTES: u32 = 24 * 60;

string_enum!(
    /// Whom a level pages: the people on call on a schedule, one user, or a team's members.
    TargetKind {
        Schedule = "schedule",
        User = "user",
        Team = "team",
    }
);

string_enum!(
    /// Where a running escalation is.
    EscalationState {
        Active = "active",
        Acknowledged = "acknowledged",
        Exhausted = "exhausted",
    }
);

crate::permission::defaults!(TargetKind = TargetKind::User, EscalationState = EscalationState::Active);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub kind: TargetKind,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Minutes to wait after paging this level before the next one is paged.
    pub delay_minutes: u32,
    pub targets: Vec<Target>,
}

/// A policy's levels with its repeat count: all the step maths needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<'a> {
    pub levels: &'a [Level],
    pub repeat: u32,
}

/// One page that is due: its number, the level it pages, the round it belongs to and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub step: u32,
    pub level: usize,
    pub round: u32,
    pub due_at: i64,
}

impl Plan<'_> {
    /// How many pages the policy sends in all.
    pub fn steps(&self) -> u32 {
        let n = u32::try_from(self.levels.len()).unwrap_or(u32::MAX);
        n.saturating_mul(self.repeat.saturating_add(1))
    }

    fn round_ms(&self) -> i64 {
        self.levels.iter().map(|l| i64::from(l.delay_minutes) * 60_000).sum()
    }

    /// Page `step` of an escalation started at `started_at`, if the policy has that many.
    pub fn page(&self, started_at: i64, step: u32) -> Option<Page> {
        if step >= self.steps() {
            return None;
        }
        let n = self.levels.len();
        let (round, level) = (step / n as u32, step as usize % n);
        let within: i64 = self.levels[..level].iter().map(|l| i64::from(l.delay_minutes) * 60_000).sum();
        Some(Page { step, level, round, due_at: started_at + i64::from(round) * self.round_ms() + within })
    }

    /// The pages due at `now`, given that pages before `next_step` went out already.
    pub fn due(&self, started_at: i64, next_step: u32, now: i64) -> Vec<Page> {
        (next_step..self.steps()).map_while(|s| self.page(started_at, s).filter(|p| p.due_at <= now)).collect()
    }
}

/// Checks a policy's levels and repeat count; errors name the field.
pub fn check(levels: &[Level], repeat: u32) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if levels.is_empty() {
        errors.push(FieldError::new("levels", "required"));
    }
    if levels.len() > MAX_LEVELS {
        errors.push(FieldError::new("levels", "too_many").with("max", MAX_LEVELS));
    }
    if repeat > MAX_REPEAT {
        errors.push(FieldError::new("repeat", "out_of_range").with("min", 0).with("max", MAX_REPEAT));
    }
    for (i, l) in levels.iter().enumerate() {
        if l.targets.is_empty() {
            errors.push(FieldError::new(format!("levels[{i}].targets"), "required"));
        }
        if l.targets.len() > MAX_TARGETS {
            errors.push(FieldError::new(format!("levels[{i}].targets"), "too_many").with("max", MAX_TARGETS));
        }
        if l.delay_minutes > MAX_DELAY_MINUTES {
            errors
                .push(FieldError::new(format!("levels[{i}].delay_minutes"), "out_of_range").with("min", 0).with("max", MAX_DELAY_MINUTES));
        }
    }
    // A policy that would repeat at once for ever is a mistake: one round must take time.
    if repeat > 0 && levels.iter().all(|l| l.delay_minutes == 0) && !levels.is_empty() {
        errors.push(FieldError::new("repeat", "repeat_needs_delay"));
    }
    errors
}
