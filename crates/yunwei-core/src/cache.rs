//! Short-lived caches of configuration that every incident command reads: the
//! desk settings, the SLA policies, the built business calendars and teams'
//! members (who a new incident's notification goes to). A change made on this node
//! clears them at once; a change made on another node is seen within `TTL` (and
//! the SLA rebuild job recomputes stored deadlines anyway).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use yunwei_calendar::Calendar;
use yunwei_domain::ids::{CalendarId, TeamId, UserId};
use yunwei_domain::incident::DeskSettings;
use yunwei_store::sla::PolicyRow;

pub const TTL: Duration = Duration::from_secs(5);

struct Slot<T>(Mutex<Option<(Instant, T)>>);

impl<T: Clone> Slot<T> {
    fn get(&self) -> Option<T> {
        let guard = self.0.lock().ok()?;
        guard.as_ref().filter(|(at, _)| at.elapsed() < TTL).map(|(_, v)| v.clone())
    }
    fn put(&self, v: T) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some((Instant::now(), v));
        }
    }
    fn clear(&self) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = None;
        }
    }
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot(Mutex::new(None))
    }
}

/// As [`Slot`], one value per key.
struct Keyed<K, V>(Mutex<HashMap<K, (Instant, V)>>);

impl<K: std::hash::Hash + Eq, V: Clone> Keyed<K, V> {
    fn get(&self, k: &K) -> Option<V> {
        let map = self.0.lock().ok()?;
        map.get(k).filter(|(at, _)| at.elapsed() < TTL).map(|(_, v)| v.clone())
    }
    fn put(&self, k: K, v: V) {
        if let Ok(mut map) = self.0.lock() {
            // Teams and calendars are few; this only bounds a flood of one-off keys.
            if map.len() >= 10_000 {
                map.clear();
            }
            map.insert(k, (Instant::now(), v));
        }
    }
    fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed(Mutex::new(HashMap::new()))
    }
}

#[derive(Default)]
pub struct ConfigCache {
    desk: Slot<DeskSettings>,
    policies: Slot<Arc<Vec<PolicyRow>>>,
    calendars: Keyed<CalendarId, Arc<Calendar>>,
    team_members: Keyed<TeamId, Arc<Vec<UserId>>>,
}

impl ConfigCache {
    pub fn desk(&self) -> Option<DeskSettings> {
        self.desk.get()
    }
    pub fn put_desk(&self, v: DeskSettings) {
        self.desk.put(v)
    }
    pub fn policies(&self) -> Option<Arc<Vec<PolicyRow>>> {
        self.policies.get()
    }
    pub fn put_policies(&self, v: Arc<Vec<PolicyRow>>) {
        self.policies.put(v)
    }
    pub fn calendar(&self, id: CalendarId) -> Option<Arc<Calendar>> {
        self.calendars.get(&id)
    }
    pub fn put_calendar(&self, id: CalendarId, c: Arc<Calendar>) {
        self.calendars.put(id, c)
    }
    /// The members of an existing team.
    pub fn team_members(&self, id: TeamId) -> Option<Arc<Vec<UserId>>> {
        self.team_members.get(&id)
    }
    pub fn put_team_members(&self, id: TeamId, members: Arc<Vec<UserId>>) {
        self.team_members.put(id, members)
    }
    /// After a change to a team or its members on this node.
    pub fn clear_teams(&self) {
        self.team_members.clear();
    }
    /// After any change to desk settings, SLA policies or calendars on this node.
    pub fn clear(&self) {
        self.desk.clear();
        self.policies.clear();
        self.calendars.clear();
        self.team_members.clear();
    }
}
