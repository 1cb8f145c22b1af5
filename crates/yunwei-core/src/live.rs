//! Live page updates. Every node tails the outbox itself (one poller per node,
//! every 400 ms) and fans events out on a bounded broadcast channel, so a change
//! committed through node A reaches a browser connected to node B: the database
//! is the only thing the nodes share.

use crate::{Core, Ctx, Result};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use yunwei_domain::ticket::TicketKind;
use yunwei_store::notify::{self as store, OutboxEvent};

pub const POLL_INTERVAL: Duration = Duration::from_millis(400);
/// Events a slow client may fall behind before it is told to resync.
pub const CAPACITY: usize = 1024;
/// Ids are taken at insert and rows commit in any order (PostgreSQL): re-read this far behind.
const REREAD_WINDOW: i64 = 200;
/// Replays for `Last-Event-ID` stop here; a client further behind reloads.
pub const MAX_REPLAY: i64 = 200;

/// What a page learns: which record, what happened, by whom.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LiveEvent {
    pub id: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(skip)]
    pub topic: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub at: i64,
    /// A work note or other internal change: followed only by those who may update the record.
    #[serde(skip)]
    pub internal: bool,
}

/// This node's fan-out of committed events.
pub struct Hub {
    tx: broadcast::Sender<Arc<LiveEvent>>,
    /// Turns true when the server stops, so that open streams end and shutdown is not held up.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Self { tx: broadcast::channel(CAPACITY).0, closing: tokio::sync::watch::channel(false).0 }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }

    /// How many streams follow this node now (tests wait for a page's stream to connect).
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// A ticket a stream may follow: `<object_type>:<id>` of any kind declared in
/// `yunwei_domain::ticket` (`incident:12`, `service_request:7`).
#[derive(Debug, Clone, Copy)]
pub struct Topic {
    pub kind: &'static TicketKind,
    pub id: i64,
}

impl PartialEq for Topic {
    fn eq(&self, other: &Self) -> bool {
        (self.kind.object_type, self.id) == (other.kind.object_type, other.id)
    }
}

impl Eq for Topic {}

impl Topic {
    pub fn parse(text: &str) -> Option<Self> {
        TicketKind::parse_topic(text).map(|(kind, id)| Self { kind, id })
    }

    pub fn key(self) -> String {
        self.kind.topic(self.id)
    }
}

/// The caller may follow the topic if they may read the ticket (same check as its GET).
/// Returns whether they also see internal changes (work notes): only if they may write them.
pub async fn authorize(core: &Core, ctx: &Ctx, topic: Topic) -> Result<bool> {
    // The same checks as the records' GETs, on the row alone: this runs for every event sent.
    let mut rd = core.db.read.acquire().await?;
    use crate::ticket::Ticket;
    crate::ticket::for_kind!(topic.kind, T => {
        let t = T::load_read(core, &mut rd, ctx, topic.id).await?;
        Ok(t.commenter(ctx, &mut rd, false).await.is_ok())
    })
}

/// The newest event id now: a stream opened without `Last-Event-ID` starts after it.
pub async fn current_id(core: &Core) -> Result<i64> {
    Ok(store::last_event_id(&core.db).await?)
}

/// Events of the topic after `after`, for a reconnecting client (`Last-Event-ID`), if the
/// caller may follow the topic (checked here again: a replay never goes without its check).
pub async fn replay(core: &Core, ctx: &Ctx, topic: Topic, after: i64) -> Result<Vec<LiveEvent>> {
    authorize(core, ctx, topic).await?;
    let events = store::object_events_after(&core.db, topic.kind.object_type, &topic.id.to_string(), after, MAX_REPLAY).await?;
    let mut names = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for e in &events {
        out.push(to_live(core, e, &mut names).await?);
    }
    Ok(out)
}

async fn to_live(core: &Core, e: &OutboxEvent, names: &mut HashMap<i64, String>) -> Result<LiveEvent> {
    let actor = match e.actor_id {
        Some(a) => match names.get(&a.0) {
            Some(n) => n.clone(),
            None => {
                let n = yunwei_store::admin::get_user(&core.db.read, a).await?.map(|u| u.display_name).unwrap_or_default();
                names.insert(a.0, n.clone());
                n
            }
        },
        None => "system".into(),
    };
    Ok(LiveEvent {
        id: e.id.0,
        event_type: e.event_type.clone(),
        topic: format!("{}:{}", e.object_type, e.object_id),
        actor_id: e.actor_id.map(|a| a.0),
        actor,
        at: e.created_at,
        internal: e.payload.get("public").and_then(serde_json::Value::as_bool) == Some(false),
    })
}

/// Tails the outbox until `shutdown` turns true, publishing on `core.live`.
pub async fn run_poller(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut last = loop {
        match store::last_event_id(&core.db).await {
            Ok(id) => break id,
            Err(e) => tracing::warn!(error = %e, "live updates: cannot read the outbox"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    };
    let mut seen: BTreeSet<i64> = BTreeSet::new();
    let mut names: HashMap<i64, String> = HashMap::new();
    // The events just behind the start were committed before this node listened: note, do not send.
    if let Err(e) = poll_once(&core, &mut last, &mut seen, &mut names, false).await {
        tracing::warn!(error = %e, "live updates: reading the outbox failed");
    }
    loop {
        if let Err(e) = poll_once(&core, &mut last, &mut seen, &mut names, true).await {
            tracing::warn!(error = %e, "live updates: polling the outbox failed");
        }
        if names.len() > 1000 {
            names.clear();
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

async fn poll_once(core: &Core, last: &mut i64, seen: &mut BTreeSet<i64>, names: &mut HashMap<i64, String>, publish: bool) -> Result<()> {
    let from = last.saturating_sub(REREAD_WINDOW).max(0);
    let events = store::events_after(&core.db, from, 1000).await?;
    for e in &events {
        if e.id.0 <= from || seen.contains(&e.id.0) {
            continue;
        }
        if publish && (e.object_type == "incident" || e.object_type == "service_request") {
            // Marked seen only once built, so that a failed name lookup is retried next poll.
            let live = to_live(core, e, names).await?;
            // No subscriber is fine: the send only fails when nobody listens.
            let _ = core.live.tx.send(Arc::new(live));
        }
        seen.insert(e.id.0);
        *last = (*last).max(e.id.0);
    }
    let floor = last.saturating_sub(REREAD_WINDOW);
    *seen = seen.split_off(&floor);
    Ok(())
}
