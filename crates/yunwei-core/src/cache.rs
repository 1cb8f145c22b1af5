//! Short-lived caches of configuration that every incident command reads: the
//! desk settings, the SLA policies and the built business calendars. A change
//! made on this node clears them at once; a change made on another node is seen
//! within `TTL` (and the SLA rebuild job recomputes stored deadlines anyway).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use yunwei_calendar::Calendar;
use yunwei_domain::ids::CalendarId;
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

#[derive(Default)]
pub struct ConfigCache {
    desk: Slot<DeskSettings>,
    policies: Slot<Arc<Vec<PolicyRow>>>,
    calendars: Mutex<HashMap<CalendarId, (Instant, Arc<Calendar>)>>,
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
        let map = self.calendars.lock().ok()?;
        map.get(&id).filter(|(at, _)| at.elapsed() < TTL).map(|(_, c)| c.clone())
    }
    pub fn put_calendar(&self, id: CalendarId, c: Arc<Calendar>) {
        if let Ok(mut map) = self.calendars.lock() {
            map.insert(id, (Instant::now(), c));
        }
    }
    /// After any change to desk settings, SLA policies or calendars on this node.
    pub fn clear(&self) {
        self.desk.clear();
        self.policies.clear();
        if let Ok(mut map) = self.calendars.lock() {
            map.clear();
        }
    }
}
