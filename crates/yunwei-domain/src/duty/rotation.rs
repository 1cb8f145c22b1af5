//! When handoffs happen: a rotation repeats a fixed pattern of handoff times every
//! `period_days` local days. Daily and weekly rotations have one handoff per period; a
//! custom rule (the RRULE subset of ADR 0024) may have several, e.g. 08:00 and 20:00.
//!
//! Handoffs are wall-clock times in the schedule's zone, so a 09:00 handoff stays at 09:00
//! across a daylight-saving change. Slots are numbered from the pattern's base: slot `k`
//! is the `k`-th handoff, and the shift of slot `k` lasts until handoff `k + 1`.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

crate::permission::string_enum!(
    /// How a layer's shifts repeat.
    RotationKind {
        Daily = "daily",
        Weekly = "weekly",
        Custom = "custom",
    }
);

crate::permission::defaults!(RotationKind = RotationKind::Weekly);

/// Why a rotation cannot be built; each is the code of a validation error on its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationError {
    /// `rotation_length` is 0 or above [`MAX_LENGTH`].
    Length,
    /// The custom rule is not in the supported subset.
    Rule,
}

impl RotationError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Length => "out_of_range",
            Self::Rule => "unsupported_rrule",
        }
    }
}

/// Longest daily or weekly turn (days or weeks).
pub const MAX_LENGTH: i64 = 366;
const MINUTES_PER_DAY: i64 = 1440;

/// A repeating pattern of handoffs, in local wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The first day of period 0.
    base: Date,
    period_days: i64,
    /// Minutes from the start of a period's first day, ascending, each below `period_days * 1440`.
    offsets: Vec<i64>,
}

fn minutes(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

/// Days from `base` to `d` (negative before it).
pub(crate) fn days_between(base: Date, d: Date) -> i64 {
    // Civil dates differ in whole days; the default largest unit of `since` is days.
    d.since(base).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

pub(crate) fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(Span::new().days(n)).unwrap_or(d)
}

impl Rotation {
    /// `length` days (daily) or weeks (weekly), handing off at `anchor`'s time of day.
    pub fn new(kind: RotationKind, length: i64, rule: &str, anchor: DateTime) -> Result<Rotation, RotationError> {
        let at = minutes(anchor.time());
        match kind {
            RotationKind::Daily | RotationKind::Weekly if !(1..=MAX_LENGTH).contains(&length) => Err(RotationError::Length),
            RotationKind::Daily => Ok(Rotation { base: anchor.date(), period_days: length, offsets: vec![at] }),
            RotationKind::Weekly => Ok(Rotation { base: anchor.date(), period_days: length * 7, offsets: vec![at] }),
            RotationKind::Custom => parse_rule(rule, anchor),
        }
    }

    /// Handoffs per period.
    pub fn per_period(&self) -> i64 {
        self.offsets.len() as i64
    }

    /// The slot whose shift contains the local time `dt`.
    pub fn slot_at(&self, dt: DateTime) -> i64 {
        let day = days_between(self.base, dt.date());
        let period = day.div_euclid(self.period_days);
        let minute = day.rem_euclid(self.period_days) * MINUTES_PER_DAY + minutes(dt.time());
        let k = self.per_period();
        match self.offsets.iter().rposition(|o| *o <= minute) {
            Some(j) => period * k + j as i64,
            None => period * k - 1,
        }
    }

    /// When slot `slot` starts, in local time.
    pub fn slot_start(&self, slot: i64) -> DateTime {
        let k = self.per_period();
        let (period, j) = (slot.div_euclid(k), slot.rem_euclid(k) as usize);
        let offset = self.offsets[j];
        let date = add_days(self.base, period * self.period_days + offset / MINUTES_PER_DAY);
        let m = offset % MINUTES_PER_DAY;
        date.to_datetime(Time::constant((m / 60) as i8, (m % 60) as i8, 0, 0))
    }

    /// When slot `slot` starts, as an instant in `tz` (a wall-clock time skipped by a
    /// daylight-saving jump is taken after the jump, a repeated one at its first occurrence).
    pub fn slot_instant(&self, slot: i64, tz: &TimeZone) -> Timestamp {
        local_instant(self.slot_start(slot), tz)
    }

    /// The first slot that starts at or after `t`.
    pub fn first_slot_from(&self, t: Timestamp, tz: &TimeZone) -> i64 {
        let s = self.slot_at(tz.to_datetime(t));
        if self.slot_instant(s, tz) < t { s + 1 } else { s }
    }
}

pub(crate) fn local_instant(dt: DateTime, tz: &TimeZone) -> Timestamp {
    tz.to_ambiguous_timestamp(dt).compatible().unwrap_or(Timestamp::UNIX_EPOCH)
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

fn numbers(v: &str, max: i64) -> Option<Vec<i64>> {
    let out: Option<Vec<i64>> = v.split(',').map(|n| n.trim().parse::<i64>().ok().filter(|n| (0..=max).contains(n))).collect();
    out.filter(|o| !o.is_empty() && o.len() <= 24)
}

/// The RRULE subset rosters need (ADR 0024): `FREQ=DAILY|WEEKLY`, `INTERVAL`, `BYDAY` (weekly,
/// plain two-letter days), `BYHOUR`, `BYMINUTE`; a leading `RRULE:` is allowed. Missing parts
/// take the anchor's day and time, as RFC 5545 takes them from DTSTART. Anything else
/// (`COUNT`, `UNTIL`, `BYMONTH`, `BYSETPOS`, …) is refused rather than half-understood.
pub fn parse_rule(rule: &str, anchor: DateTime) -> Result<Rotation, RotationError> {
    let text = rule.trim();
    let text = text.strip_prefix("RRULE:").unwrap_or(text);
    let (mut freq, mut interval, mut days, mut hours, mut mins) = (None, 1_i64, None, None, None);
    for part in text.split(';').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or(RotationError::Rule)?;
        match k.trim().to_ascii_uppercase().as_str() {
            "FREQ" => freq = Some(v.trim().to_ascii_uppercase()),
            "INTERVAL" => interval = v.trim().parse().ok().filter(|n| (1..=52).contains(n)).ok_or(RotationError::Rule)?,
            "BYDAY" => {
                let list: Option<Vec<Weekday>> = v.split(',').map(|d| weekday(d.trim().to_ascii_uppercase().as_str())).collect();
                days = Some(list.ok_or(RotationError::Rule)?);
            }
            "BYHOUR" => hours = Some(numbers(v, 23).ok_or(RotationError::Rule)?),
            "BYMINUTE" => mins = Some(numbers(v, 59).ok_or(RotationError::Rule)?),
            "WKST" if v.trim().eq_ignore_ascii_case("MO") => {}
            _ => return Err(RotationError::Rule),
        }
    }
    let hours = hours.unwrap_or_else(|| vec![i64::from(anchor.hour())]);
    let mins = mins.unwrap_or_else(|| vec![i64::from(anchor.minute())]);
    let times: Vec<i64> = hours.iter().flat_map(|h| mins.iter().map(move |m| h * 60 + m)).collect();
    let (base, period_days, day_offsets) = match freq.as_deref() {
        Some("DAILY") if days.is_none() => (anchor.date(), interval, vec![0]),
        Some("WEEKLY") => {
            // Periods start on the Monday of the anchor's week (WKST=MO).
            let monday = add_days(anchor.date(), -i64::from(anchor.weekday().to_monday_zero_offset()));
            let days = days.unwrap_or_else(|| vec![anchor.weekday()]);
            (monday, interval * 7, days.iter().map(|d| i64::from(d.to_monday_zero_offset())).collect())
        }
        _ => return Err(RotationError::Rule),
    };
    let mut offsets: Vec<i64> = day_offsets.iter().flat_map(|d| times.iter().map(move |t| d * MINUTES_PER_DAY + t)).collect();
    offsets.sort_unstable();
    offsets.dedup();
    Ok(Rotation { base, period_days, offsets })
}
