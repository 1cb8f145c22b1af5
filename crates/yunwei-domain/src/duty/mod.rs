//! On-call duty (值班): who is on call at any instant, from layered rotations,
//! restrictions and overrides. Pure: the core loads the rows, builds a [`Roster`] and asks it.
//!
//! - A **layer** hands its shifts round its members in order, `responders` at a time.
//!   When several layers have someone at an instant, the highest `rank` wins.
//! - A **restriction** limits a layer to a daily window (nights: 18:00–08:00) and/or to
//!   working or non-working days of a business calendar (调休 make-up days count as working).
//! - Members are **anchored**: a membership change takes effect at the next handoff, never
//!   mid-shift, and the member who was due next stays due next. So past shifts never move and
//!   the others keep their order ([`members`]).
//! - An **override** puts one person on call for a period, instead of one named person or
//!   instead of everyone.

pub mod log;
pub mod members;
pub mod report;
pub mod rotation;
pub mod swap;
#[cfg(test)]
mod tests;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use members::Epochs;
use rotation::{Rotation, add_days, local_instant};
use serde::Serialize;

pub use members::Member;
pub use rotation::{RotationError, RotationKind};

crate::permission::string_enum!(
    /// Which days a layer covers.
    DayRestriction {
        Any = "any",
        WorkingDays = "working_days",
        NonWorkingDays = "non_working_days",
    }
);

crate::permission::defaults!(DayRestriction = DayRestriction::Any);

/// Longest span [`Roster::shifts`] computes at once, in days.
pub const MAX_RANGE_DAYS: i64 = 400;

/// Asked for each local date a day restriction needs: is it a working day? The core answers
/// from a business calendar (holidays off, make-up days on).
pub type WorkingDay<'a> = &'a dyn Fn(Date) -> bool;

/// Every day a working day (no calendar chosen): weekdays only would be a guess.
pub fn weekdays(d: Date) -> bool {
    d.weekday().to_monday_zero_offset() < 5
}

/// When a layer applies, in its schedule's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Restriction {
    pub days: DayRestriction,
    /// A daily window `[from, to)`; `from > to` runs past midnight and belongs to the day it starts.
    pub window: Option<(Time, Time)>,
}

impl Restriction {
    pub fn admits(&self, dt: DateTime, working: WorkingDay) -> bool {
        let t = dt.time();
        let day = match self.window {
            None => dt.date(),
            Some((from, to)) if from <= to => {
                if t < from || t >= to {
                    return false;
                }
                dt.date()
            }
            Some((from, to)) => {
                if t >= from {
                    dt.date()
                } else if t < to {
                    add_days(dt.date(), -1)
                } else {
                    return false;
                }
            }
        };
        match self.days {
            DayRestriction::Any => true,
            DayRestriction::WorkingDays => working(day),
            DayRestriction::NonWorkingDays => !working(day),
        }
    }
}

/// One layer as stored.
#[derive(Debug, Clone)]
pub struct LayerSpec {
    pub id: i64,
    pub rank: i64,
    pub kind: RotationKind,
    /// Days (daily) or weeks (weekly) per turn.
    pub length: i64,
    /// The custom rule (custom rotations only).
    pub rule: String,
    /// The first handoff, local time in the schedule's zone.
    pub starts: DateTime,
    pub ends: Option<DateTime>,
    pub responders: i64,
    pub restriction: Restriction,
    pub members: Vec<Member>,
}

/// One person on call for a period instead of someone else (or instead of everyone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub id: i64,
    pub user: i64,
    pub replaces: Option<i64>,
    pub starts: Timestamp,
    pub ends: Timestamp,
}

#[derive(Debug, Clone)]
struct Layer {
    id: i64,
    rank: i64,
    rotation: Rotation,
    starts: Timestamp,
    ends: Option<Timestamp>,
    responders: i64,
    restriction: Restriction,
    epochs: Epochs,
}

/// Who is on call at an instant and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OnCall {
    pub users: Vec<i64>,
    /// The layer that supplied them (before overrides); none when no layer covers the instant.
    pub layer: Option<i64>,
    /// The overrides in force.
    pub overrides: Vec<i64>,
}

/// A period with the same people on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    pub starts: Timestamp,
    pub ends: Timestamp,
    #[serde(flatten)]
    pub on_call: OnCall,
}

/// A schedule ready to answer: layers by precedence, their membership epochs, overrides.
#[derive(Debug, Clone)]
pub struct Roster {
    tz: TimeZone,
    layers: Vec<Layer>,
    overrides: Vec<Override>,
}

/// Which layer is wrong and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerError {
    pub layer: i64,
    pub error: RotationError,
}

impl Roster {
    pub fn new(tz: TimeZone, specs: &[LayerSpec], overrides: Vec<Override>) -> Result<Roster, LayerError> {
        let mut layers = Vec::with_capacity(specs.len());
        for s in specs {
            let rotation = Rotation::new(s.kind, s.length, &s.rule, s.starts).map_err(|error| LayerError { layer: s.id, error })?;
            let starts = local_instant(s.starts, &tz);
            let epochs = Epochs::new(&rotation, &tz, starts, &s.members, s.responders.max(1));
            layers.push(Layer {
                id: s.id,
                rank: s.rank,
                rotation,
                starts,
                ends: s.ends.map(|e| local_instant(e, &tz)),
                responders: s.responders.max(1),
                restriction: s.restriction,
                epochs,
            });
        }
        // Highest rank first; equal ranks: the later layer (higher id) wins.
        layers.sort_by_key(|l| std::cmp::Reverse((l.rank, l.id)));
        Ok(Roster { tz, layers, overrides })
    }

    /// The same roster with one more override (a swap being checked before it is made).
    pub fn with_override(&self, o: Override) -> Roster {
        let mut r = self.clone();
        r.overrides.push(o);
        r
    }

    /// A roster with no layer and no override: nobody is ever on call.
    pub fn empty(tz: TimeZone) -> Roster {
        Roster { tz, layers: Vec::new(), overrides: Vec::new() }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The people a layer puts on call at `t`, ignoring its restriction (empty outside its dates).
    fn layer_users(&self, l: &Layer, t: Timestamp, local: DateTime) -> Vec<i64> {
        if t < l.starts || l.ends.is_some_and(|e| t >= e) {
            return Vec::new();
        }
        l.epochs.users(l.rotation.slot_at(local), l.responders)
    }

    /// Who is on call at `t`: the highest layer with someone, then the overrides.
    pub fn on_call(&self, t: Timestamp, working: WorkingDay) -> OnCall {
        let local = self.tz.to_datetime(t);
        let mut out = OnCall::default();
        for l in &self.layers {
            if !l.restriction.admits(local, working) {
                continue;
            }
            let users = self.layer_users(l, t, local);
            if !users.is_empty() {
                out = OnCall { users, layer: Some(l.id), overrides: Vec::new() };
                break;
            }
        }
        for o in self.overrides.iter().filter(|o| o.starts <= t && t < o.ends) {
            match o.replaces {
                Some(r) if !out.users.contains(&r) => continue,
                Some(r) => out.users.iter_mut().filter(|u| **u == r).for_each(|u| *u = o.user),
                None => out.users = vec![o.user],
            }
            out.users.dedup();
            out.overrides.push(o.id);
        }
        out
    }

    /// Every instant in `[from, to)` where the answer of [`Roster::on_call`] may change.
    fn boundaries(&self, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
        let mut out = vec![from];
        for l in &self.layers {
            out.push(l.starts);
            out.extend(l.ends);
            let mut slot = l.rotation.first_slot_from(from.max(l.starts), &self.tz);
            loop {
                let at = l.rotation.slot_instant(slot, &self.tz);
                if at >= to || l.ends.is_some_and(|e| at >= e) {
                    break;
                }
                out.push(at);
                slot += 1;
            }
            // Restriction edges: midnight and the window's ends, each local day.
            if l.restriction != Restriction::default() {
                let (first, last) = (self.tz.to_datetime(from).date(), self.tz.to_datetime(to).date());
                let mut day = first;
                while day <= last {
                    out.push(local_instant(day.to_datetime(Time::midnight()), &self.tz));
                    if let Some((a, b)) = l.restriction.window {
                        out.push(local_instant(day.to_datetime(a), &self.tz));
                        out.push(local_instant(day.to_datetime(b), &self.tz));
                    }
                    day = add_days(day, 1);
                }
            }
        }
        for o in &self.overrides {
            out.extend([o.starts, o.ends]);
        }
        out.retain(|t| *t >= from && *t < to);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The shifts of `[from, to)` (at most [`MAX_RANGE_DAYS`] from `from`), merged where the
    /// same people stay on call; periods nobody covers are included with no users.
    pub fn shifts(&self, from: Timestamp, to: Timestamp, working: WorkingDay) -> Vec<Shift> {
        let cap = from.checked_add(jiff::SignedDuration::from_hours(24 * MAX_RANGE_DAYS)).unwrap_or(to);
        let to = to.min(cap);
        let edges = self.boundaries(from, to);
        let mut out: Vec<Shift> = Vec::new();
        for (n, start) in edges.iter().enumerate() {
            let end = edges.get(n + 1).copied().unwrap_or(to);
            let on_call = self.on_call(*start, working);
            match out.last_mut() {
                Some(last) if last.on_call == on_call => last.ends = end,
                _ => out.push(Shift { starts: *start, ends: end, on_call }),
            }
        }
        out
    }
}
