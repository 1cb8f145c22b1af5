//! The change calendar (CHG-5, ADR 0028): freeze windows that refuse a window, the warnings a
//! window earns (other changes on the same CI or the same impact path at the same time, the
//! business peak), the calendar of scheduled changes and freezes, and its iCalendar feed.
//! The rules are `yunwei_domain::change::schedule`; days come from a business calendar.

use super::{load_read, scope_allows};
use crate::{Core, CoreError, Ctx, Result};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};
use yunwei_calendar::{Calendar, CalendarSpec};
use yunwei_domain::FieldError;
use yunwei_domain::change::schedule::{self as rules, DayInfo, Freeze, ScheduleSettings};
use yunwei_domain::change::{ChangeState, ChangeType, number};
use yunwei_domain::ids::{ChangeId, CiId};
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_store::change::{self as store, Change};

/// Longest window or calendar range asked about, in days.
pub const MAX_RANGE_DAYS: i64 = 366;
const DAY_MS: i64 = 86_400_000;

/// A business calendar as the schedule rules read it.
pub struct BusinessDays {
    tz: TimeZone,
    cal: Calendar,
    spec: CalendarSpec,
}

impl DayInfo for BusinessDays {
    fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
    fn is_working_day(&self, d: Date) -> bool {
        self.cal.is_working_day(d)
    }
    fn holiday(&self, d: Date) -> Option<String> {
        self.spec.holidays.contains(&d).then(|| self.spec.day_names.get(&d).cloned().unwrap_or_else(|| "节假日".into()))
    }
}

/// The configured business calendar (the default one when none is named; a plain office
/// week in Shanghai when there is none at all).
pub async fn business_days(core: &Core, s: &ScheduleSettings) -> Result<BusinessDays> {
    let rows = yunwei_store::sla::calendars(&core.db.read).await?;
    let row = match s.calendar_id {
        Some(id) => rows.iter().find(|r| r.id.0 == id),
        None => rows.iter().find(|r| r.is_default),
    };
    let spec = match row {
        Some(r) => serde_json::from_str(&r.spec).map_err(|e| CoreError::Internal(format!("calendar {}: {e}", r.id)))?,
        None => CalendarSpec::office("Asia/Shanghai"),
    };
    let cal = Calendar::new(&spec).map_err(|e| CoreError::Internal(format!("calendar: {e}")))?;
    let tz = TimeZone::get(&spec.time_zone).unwrap_or(TimeZone::UTC);
    Ok(BusinessDays { tz, cal, spec })
}

/// The freezes `[from, to)` meets.
pub async fn freezes_between(core: &Core, from: i64, to: i64) -> Result<Vec<Freeze>> {
    let s = super::change_settings(core).await?.schedule;
    let days = business_days(core, &s).await?;
    Ok(rules::freezes_between(&s, &days, from, to))
}

/// The freezes a change's window meets (none without a window).
pub(crate) async fn freezes_of(core: &Core, c: &Change) -> Result<Vec<Freeze>> {
    match (c.window_start, c.window_end) {
        (Some(s), Some(e)) if e > s => freezes_between(core, s, e.min(s + MAX_RANGE_DAYS * DAY_MS)).await,
        _ => Ok(Vec::new()),
    }
}

/// Field errors of a window inside a freeze: refused unless the change is an emergency (which
/// then needs one approval more and an approval before it starts). Names the first freeze in
/// both languages (`freeze`, `freeze_en`).
pub(crate) fn freeze_errors(c: &Change, hits: &[Freeze]) -> Vec<FieldError> {
    match hits.first() {
        Some(f) if c.change_type != ChangeType::Emergency => {
            let en = if f.name_en.is_empty() { f.name.clone() } else { f.name_en.clone() };
            vec![FieldError::new("window_start", "change_in_freeze").with("freeze", f.name.clone()).with("freeze_en", en)]
        }
        _ => Vec::new(),
    }
}

/// Another change scheduled at the same time on the same CI or on the same impact path.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub change_id: ChangeId,
    pub number: String,
    /// Empty when the reader may not read the other change.
    pub title: String,
    pub state: ChangeState,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
    /// The CIs and services both changes reach, as the reader may see them (at most 5).
    pub shared: Vec<SharedCi>,
    /// Shared CIs the reader may not read.
    pub hidden: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SharedCi {
    pub id: CiId,
    pub name: String,
    pub name_en: String,
    /// Both changes touch this very CI (otherwise it lies on both impact paths).
    pub same_ci: bool,
}

/// What the page and `GET /changes/{number}/schedule` warn about.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleCheck {
    pub freezes: Vec<Freeze>,
    pub conflicts: Vec<Conflict>,
    /// The window lies (partly) in the business peak (业务高峰期): prefer off-peak (非高峰期).
    pub in_peak: bool,
}

/// CIs that change with `cis`: the CIs themselves and what depends on them (`up`), and what
/// they need (`down`), from the CMDB's in-memory graph.
async fn paths(core: &Core, cis: &[CiId]) -> Result<(HashSet<i64>, HashSet<i64>)> {
    let ids: Vec<i64> = cis.iter().map(|c| c.0).collect();
    crate::cmdb::graph::with_graph(core, move |g| {
        use yunwei_domain::cmdb::impact as engine;
        let ixs: Vec<u32> = ids.iter().filter_map(|id| g.index_of(*id)).collect();
        let mut up: HashSet<i64> = ids.iter().copied().collect();
        up.extend(engine::upstream(g, &ixs, crate::cmdb::impact::DEFAULT_DEPTH, None).reached.iter().map(|r| g.id_of(r.node)));
        let mut down = HashSet::new();
        for ix in &ixs {
            down.extend(engine::downstream(g, *ix, crate::cmdb::impact::DEFAULT_DEPTH, None).reached.iter().map(|r| g.id_of(r.node)));
        }
        (up, down)
    })
    .await
}

/// Conflicts of `c` (its window and CIs) with other scheduled changes: the same CI, one's CI
/// on the other's impact path, or a CI or service both would affect.
async fn conflicts(core: &Core, ctx: &Ctx, c: &Change, cis: &[CiId]) -> Result<Vec<Conflict>> {
    let (Some(from), Some(to)) = (c.window_start, c.window_end) else { return Ok(Vec::new()) };
    if cis.is_empty() || to <= from {
        return Ok(Vec::new());
    }
    let mut rd = core.db.read.acquire().await?;
    let others = store::overlapping(&mut *rd, from, to, c.id).await?;
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let mine: HashSet<i64> = cis.iter().map(|c| c.0).collect();
    let (my_up, my_down) = paths(core, cis).await?;
    let schema = crate::cmdb::Schema::load(&mut rd).await?;
    let mut out = Vec::new();
    for o in others {
        let theirs = store::cis(&mut *rd, o.id).await?;
        if theirs.is_empty() {
            continue;
        }
        let (their_up, _) = paths(core, &theirs).await?;
        let mut shared: BTreeSet<(bool, i64)> = BTreeSet::new();
        for t in &theirs {
            if mine.contains(&t.0) {
                shared.insert((false, t.0));
            } else if my_up.contains(&t.0) || my_down.contains(&t.0) {
                shared.insert((true, t.0));
            }
        }
        for s in my_up.intersection(&their_up) {
            if !mine.contains(s) {
                shared.insert((true, *s));
            }
        }
        if shared.is_empty() {
            continue;
        }
        // Same CIs first, then by id; each CI once.
        let mut seen = HashSet::new();
        let ordered: Vec<(bool, i64)> = shared.into_iter().filter(|(_, id)| seen.insert(*id)).collect();
        let ids: Vec<CiId> = ordered.iter().map(|(_, id)| CiId(*id)).collect();
        let rows = yunwei_store::cmdb::ci::get_many(&mut *rd, &ids).await?;
        let mut named = Vec::new();
        let mut hidden = 0;
        for (path, id) in &ordered {
            match rows.iter().find(|r| r.id.0 == *id) {
                Some(ci) if crate::cmdb::impact::readable(&schema, ctx, ci) => {
                    if named.len() < 5 {
                        named.push(SharedCi { id: ci.id, name: ci.name.clone(), name_en: ci.name_en.clone(), same_ci: !path });
                    }
                }
                _ => hidden += 1,
            }
        }
        let title = if scope_allows(ctx, Action::Read, &o) { o.title.clone() } else { String::new() };
        out.push(Conflict {
            change_id: o.id,
            number: number(o.id.0),
            title,
            state: o.state,
            window_start: o.window_start,
            window_end: o.window_end,
            shared: named,
            hidden,
        });
    }
    Ok(out)
}

/// The warnings of a change's window: freezes met, conflicts, the peak. Needs read on it.
pub async fn schedule_check(core: &Core, ctx: &Ctx, id: ChangeId) -> Result<ScheduleCheck> {
    let mut rd = core.db.read.acquire().await?;
    let c = load_read(&mut rd, ctx, id).await?;
    let cis = store::cis(&mut *rd, id).await?;
    drop(rd);
    let s = super::change_settings(core).await?.schedule;
    let days = business_days(core, &s).await?;
    let (freezes, in_peak) = match (c.window_start, c.window_end) {
        (Some(a), Some(b)) if b > a => {
            let b = b.min(a + MAX_RANGE_DAYS * DAY_MS);
            (rules::freezes_between(&s, &days, a, b), !rules::peaks_between(&s, &days, a, b).is_empty())
        }
        _ => (Vec::new(), false),
    };
    let conflicts = conflicts(core, ctx, &c, &cis).await?;
    Ok(ScheduleCheck { freezes, conflicts, in_peak })
}

/// One scheduled change on the calendar.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarEntry {
    pub change_id: ChangeId,
    pub number: String,
    pub title: String,
    pub change_type: ChangeType,
    pub state: ChangeState,
    pub risk_level: yunwei_domain::change::risk::RiskLevel,
    pub window_start: i64,
    pub window_end: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeCalendar {
    pub from: i64,
    pub to: i64,
    /// The business calendar's time zone, in which days begin.
    pub time_zone: String,
    pub changes: Vec<CalendarEntry>,
    pub freezes: Vec<Freeze>,
    /// More changes fall in the range than were listed.
    pub more: bool,
}

/// Most changes one calendar answer lists.
pub const CALENDAR_LIMIT: i64 = 2000;

/// Scheduled changes the caller may read and the freezes in `[from, to)` (at most a year).
pub async fn calendar(core: &Core, ctx: &Ctx, from: i64, to: i64) -> Result<ChangeCalendar> {
    let (actor, scope) = ctx.authorize(ObjectType::Change, Action::Read)?;
    if to <= from {
        return Err(yunwei_domain::DomainError::field("to", "ends_before_start").into());
    }
    if to - from > MAX_RANGE_DAYS * DAY_MS {
        return Err(
            yunwei_domain::DomainError::Validation(vec![FieldError::new("to", "out_of_range").with("max_days", MAX_RANGE_DAYS)]).into()
        );
    }
    let place = &actor.place;
    let scope = match scope {
        Scope::All => None,
        Scope::Department => Some((place.user, place.teams.clone(), place.department)),
        Scope::Team => Some((place.user, place.teams.clone(), None)),
        Scope::Own => Some((place.user, Vec::new(), None)),
    };
    let rows = store::on_calendar(&core.db.read, from, to, &scope, CALENDAR_LIMIT + 1).await?;
    let more = rows.len() as i64 > CALENDAR_LIMIT;
    let changes = rows
        .iter()
        .take(CALENDAR_LIMIT as usize)
        .filter_map(|c| {
            Some(CalendarEntry {
                change_id: c.id,
                number: number(c.id.0),
                title: c.title.clone(),
                change_type: c.change_type,
                state: c.state,
                risk_level: c.risk_level,
                window_start: c.window_start?,
                window_end: c.window_end?,
                updated_at: c.updated_at,
            })
        })
        .collect();
    let s = super::change_settings(core).await?.schedule;
    let days = business_days(core, &s).await?;
    let freezes = rules::freezes_between(&s, &days, from, to);
    Ok(ChangeCalendar { from, to, time_zone: days.spec.time_zone.clone(), changes, freezes, more })
}

/// Checks `c`'s window against the freezes: a normal or standard change is refused by the
/// field; an emergency inside a freeze needs one approval more (its freeze exception).
pub(crate) async fn vet_window(core: &Core, c: &mut Change, chk: &mut yunwei_domain::validate::Checker) -> Result<Vec<Freeze>> {
    let hits = freezes_of(core, c).await?;
    for e in freeze_errors(c, &hits) {
        chk.push(e);
    }
    if c.change_type == ChangeType::Emergency && !hits.is_empty() {
        c.approvals_needed += 1;
    }
    Ok(hits)
}
