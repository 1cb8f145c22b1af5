//! Compiled rosters kept in memory (ADR 0029): loading and compiling a schedule costs a few
//! queries (~25 ms p99 under load); asking a compiled one costs microseconds. An entry is
//! trusted for [`FRESH`]; after that one small query (the schedule's version and a stamp
//! of the calendars) says whether it still stands. Writes on this node drop the entry at
//! once ([`written`]); writes on another node are seen within [`FRESH`].

use super::oncall::{Compiled, compiled};
use crate::{Core, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use yunwei_domain::ids::DutyScheduleId;

/// How long an entry is answered from without asking the database.
pub const FRESH: Duration = Duration::from_millis(250);
/// Overrides are loaded from this far before the instant first asked, so that nearby
/// earlier instants are answered from the same entry.
const LOOK_BACK_MS: i64 = 7 * 86_400_000;

type Stamp = (i64, i64, i64);

struct Entry {
    stamp: Stamp,
    /// Overrides ending after this instant are in the roster.
    since: i64,
    checked: Instant,
    roster: Arc<Compiled>,
}

#[derive(Default)]
pub struct RosterCache {
    entries: Mutex<HashMap<DutyScheduleId, Entry>>,
}

impl RosterCache {
    fn fresh(&self, id: DutyScheduleId, at: i64) -> Option<(Arc<Compiled>, bool, Stamp)> {
        let map = self.entries.lock().ok()?;
        let e = map.get(&id).filter(|e| at >= e.since)?;
        Some((e.roster.clone(), e.checked.elapsed() < FRESH, e.stamp))
    }

    fn confirm(&self, id: DutyScheduleId) {
        if let Ok(mut map) = self.entries.lock()
            && let Some(e) = map.get_mut(&id)
        {
            e.checked = Instant::now();
        }
    }

    fn put(&self, id: DutyScheduleId, entry: Entry) {
        if let Ok(mut map) = self.entries.lock() {
            // Schedules are few; this only bounds a flood of one-off ids.
            if map.len() >= 10_000 {
                map.clear();
            }
            map.insert(id, entry);
        }
    }

    fn drop_entry(&self, id: DutyScheduleId) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(&id);
        }
    }

    /// Forgets every entry (a calendar changed on this node, or tests).
    pub fn reset(&self) {
        if let Ok(mut map) = self.entries.lock() {
            map.clear();
        }
    }
}

/// Drops this node's entry for a schedule just written; call after the commit, so a read
/// racing the write cannot put the old roster back.
pub(crate) fn written(core: &Core, id: DutyScheduleId) {
    core.duty_cache.drop_entry(id);
}

/// Forgets every roster on this node (business calendars changed).
pub fn reset(core: &Core) {
    core.duty_cache.reset();
}

/// The schedule's compiled roster, able to answer any instant from `at` on.
pub async fn roster_at(core: &Core, id: DutyScheduleId, at: i64) -> Result<Arc<Compiled>> {
    let cache = &core.duty_cache;
    let held = cache.fresh(id, at);
    if let Some((roster, true, _)) = &held {
        return Ok(roster.clone());
    }
    let mut conn = core.db.read.acquire().await?;
    let stamp = yunwei_store::duty::stamp(&mut *conn, id).await?.ok_or(crate::CoreError::NotFound("duty_schedule"))?;
    if let Some((roster, _, held_stamp)) = held
        && held_stamp == stamp
    {
        cache.confirm(id);
        return Ok(roster);
    }
    let since = at.min(core.now_ms()) - LOOK_BACK_MS;
    // The stamp is read before the load: a write landing between the two makes the entry
    // look older than it is, so it is reloaded at the next check — never the other way round.
    let (_, c) = compiled(&mut conn, id, since).await?;
    let roster = Arc::new(c);
    cache.put(id, Entry { stamp, since, checked: Instant::now(), roster: roster.clone() });
    Ok(roster)
}
