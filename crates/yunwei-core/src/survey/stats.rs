//! Satisfaction statistics (统计分析：月、季、半年、全年): per period bucket of
//! one year and per team, service or engineer — sent, answered, response rate,
//! average score, the 1–5 distribution and low scores. A survey counts in the
//! bucket of the day it was sent (the ticket's resolution), in the configured zone.

use super::settings;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yunwei_domain::FieldError;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::survey::{GroupBy, Period, SurveySettings, Tally};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Default `month`.
    pub period: Option<Period>,
    /// Default: this year in the configured zone.
    pub year: Option<i16>,
    /// Absent: the whole organisation only.
    pub by: Option<GroupBy>,
}

/// The figures of one group (or the total) in one bucket.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupStats {
    /// The team, service or engineer id; none for surveys without one (and for totals).
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub sent: u64,
    pub answered: u64,
    /// Answered ÷ sent, 0–1.
    pub response_rate: f64,
    pub average_score: Option<f64>,
    /// Answers that gave 1, 2, 3, 4 and 5.
    pub distribution: [u64; 5],
    /// Answers at or below the low-score threshold.
    pub low_scores: u64,
}

impl GroupStats {
    fn of(id: Option<i64>, name: Option<String>, t: &Tally) -> GroupStats {
        GroupStats {
            group_id: id,
            group_name: name,
            sent: t.sent,
            answered: t.answered,
            response_rate: t.response_rate(),
            average_score: t.average(),
            distribution: t.distribution,
            low_scores: t.low,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bucket {
    /// `2026-03`, `2026-Q1`, `2026-H1` or `2026`.
    pub label: String,
    /// First day of the bucket and first day after it (local dates).
    pub start: String,
    pub end: String,
    pub total: GroupStats,
    /// Groups with at least one survey, by name.
    pub groups: Vec<GroupStats>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub period: Period,
    pub year: i16,
    pub by: Option<GroupBy>,
    pub time_zone: String,
    pub low_score_threshold: u8,
    pub buckets: Vec<Bucket>,
}

/// Per group id: its name and counts.
type Groups = BTreeMap<Option<i64>, (Option<String>, Tally)>;

fn bad(field: &str, min: i64, max: i64) -> CoreError {
    yunwei_domain::DomainError::Validation(vec![FieldError::new(field, "out_of_range").with("min", min).with("max", max)]).into()
}

fn start_of(year: i16, month: u8, tz: &jiff::tz::TimeZone) -> Result<i64> {
    let (y, m) = if month > 12 { (year + 1, 1) } else { (year, month) };
    let date = jiff::civil::Date::new(y, i8::try_from(m).unwrap_or(1), 1).map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok(date.to_zoned(tz.clone()).map_err(|e| CoreError::Internal(e.to_string()))?.timestamp().as_millisecond())
}

/// Statistics are organisation-wide figures: they need `survey:read` for everything.
pub async fn stats(core: &Core, ctx: &Ctx, q: &StatsQuery) -> Result<Stats> {
    let (_, scope) = ctx.authorize(ObjectType::Survey, Action::Read)?;
    if scope != Scope::All {
        return Err(CoreError::Forbidden("survey:read:all".into()));
    }
    let zone = core.config.default_time_zone.clone();
    let tz = jiff::tz::TimeZone::get(&zone).map_err(|e| CoreError::Internal(format!("time zone {zone}: {e}")))?;
    let now = jiff::Timestamp::from_millisecond(core.now_ms()).map_err(|e| CoreError::Internal(e.to_string()))?;
    let year = q.year.unwrap_or_else(|| now.to_zoned(tz.clone()).year());
    if !(2000..=2100).contains(&year) {
        return Err(bad("year", 2000, 2100));
    }
    let period = q.period.unwrap_or(Period::Month);
    let settings: SurveySettings = settings(core).await?;
    let rows = yunwei_store::survey::stat_rows(&core.db.read, start_of(year, 1, &tz)?, start_of(year, 13, &tz)?, q.by).await?;
    let n = usize::from(period.buckets());
    let mut totals = vec![Tally::default(); n];
    let mut groups: Vec<Groups> = vec![BTreeMap::new(); n];
    for r in rows {
        let Ok(at) = jiff::Timestamp::from_millisecond(r.sent_at) else { continue };
        let month = u8::try_from(at.to_zoned(tz.clone()).month()).unwrap_or(1);
        let b = usize::from(period.bucket_of(month) - 1);
        let score = r.score.and_then(|s| u8::try_from(s).ok());
        totals[b].add(score, &settings);
        if q.by.is_some() {
            let entry = groups[b].entry(r.group_id).or_insert_with(|| (r.group_name.clone(), Tally::default()));
            entry.1.add(score, &settings);
        }
    }
    let mut buckets = Vec::with_capacity(n);
    for (i, (total, group)) in totals.iter().zip(groups).enumerate() {
        let bucket = u8::try_from(i + 1).unwrap_or(1);
        let first = period.first_month(bucket);
        let last = first + 12 / period.buckets();
        let date = |m: u8| {
            if m > 12 { format!("{}-01-01", year + 1) } else { format!("{year}-{m:02}-01") }
        };
        let mut gs: Vec<GroupStats> = group.into_iter().map(|(id, (name, t))| GroupStats::of(id, name, &t)).collect();
        gs.sort_by(|a, b| (a.group_id.is_none(), &a.group_name, a.group_id).cmp(&(b.group_id.is_none(), &b.group_name, b.group_id)));
        buckets.push(Bucket {
            label: period.label(year, bucket),
            start: date(first),
            end: date(last),
            total: GroupStats::of(None, None, total),
            groups: gs,
        });
    }
    Ok(Stats { period, year, by: q.by, time_zone: zone, low_score_threshold: settings.low_score_threshold, buckets })
}
