//! `GET /api/v1/events/stream?topic=incident:<id>`: server-sent events about one
//! record, fed by this node's outbox poller (see `yunwei_core::live`).

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Caller};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use yunwei_core::live::{self, LiveEvent, Topic};
use yunwei_domain::DomainError;

pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// A stream ends after this long and the browser reconnects (with `Last-Event-ID`), which
/// checks the session again: a signed-out or disabled user stops receiving events.
pub const MAX_STREAM: Duration = Duration::from_secs(300);
/// Ids recently sent, so that an event both replayed and published is sent once.
const RECENT_IDS: usize = 512;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    pub topic: String,
}

struct Follow {
    state: AppState,
    ctx: yunwei_core::Ctx,
    topic: Topic,
    key: String,
    sees_internal: bool,
    backlog: VecDeque<LiveEvent>,
    rx: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
    closing: tokio::sync::watch::Receiver<bool>,
    /// Ids sent lately. Not a maximum: on PostgreSQL a lower id can commit after a higher one.
    sent: VecDeque<i64>,
    newest: i64,
    /// What the page already showed (its load, or `Last-Event-ID`): older events are not news.
    floor: i64,
    ends: tokio::time::Instant,
    /// The stream says one last thing (resync or reconnect) and ends.
    finished: bool,
}

impl Follow {
    fn mark(&mut self, id: i64) {
        if self.sent.len() == RECENT_IDS {
            self.sent.pop_front();
        }
        self.sent.push_back(id);
        self.newest = self.newest.max(id);
    }
}

fn frame(e: &LiveEvent) -> Event {
    Event::default().id(e.id.to_string()).event(e.event_type.clone()).data(serde_json::to_string(e).unwrap_or_else(|_| "{}".into()))
}

async fn next(mut f: Follow) -> Option<(Result<Event, Infallible>, Follow)> {
    if f.finished {
        return None;
    }
    while let Some(e) = f.backlog.pop_front() {
        f.mark(e.id);
        if f.sees_internal || !e.internal {
            return Some((Ok(frame(&e)), f));
        }
    }
    loop {
        if *f.closing.borrow() {
            return None;
        }
        let received = tokio::select! {
            r = f.rx.recv() => r,
            _ = f.closing.changed() => return None,
            _ = tokio::time::sleep_until(f.ends) => {
                // Carries the newest id so that the reconnect replays anything in between.
                f.finished = true;
                let bye = Event::default().id(f.newest.to_string()).event("reconnect").data("{}");
                return Some((Ok(bye), f));
            }
        };
        match received {
            Ok(e) if e.topic == f.key && e.id > f.floor && !f.sent.contains(&e.id) => {
                f.mark(e.id);
                if e.internal && !f.sees_internal {
                    continue;
                }
                // Access is checked again for every event: the record may have moved out of reach.
                match live::authorize(&f.state.core, &f.ctx, f.topic).await {
                    Ok(sees_internal) => f.sees_internal = sees_internal,
                    Err(_) => return None,
                }
                if e.internal && !f.sees_internal {
                    continue;
                }
                return Some((Ok(frame(&e)), f));
            }
            Ok(_) => {}
            // Too slow to keep up: the page should reload rather than show a partial picture.
            Err(RecvError::Lagged(_)) => return Some((Ok(Event::default().event("resync").data("{}")), f)),
            Err(RecvError::Closed) => return None,
        }
    }
}

pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> ApiResult<Response> {
    let topic = Topic::parse(q.topic.trim()).ok_or_else(|| yunwei_core::CoreError::from(DomainError::field("topic", "invalid_topic")))?;
    let sees_internal = live::authorize(&state.core, &caller.ctx, topic).await?;
    // Subscribe before reading the backlog, so nothing falls between the two.
    let rx = state.core.live.subscribe();
    let after = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    // Without it, the page was just loaded: only what happens from now on is news.
    let (mut backlog, newest) = match after {
        Some(a) => (live::replay(&state.core, &caller.ctx, topic, a).await?, a),
        None => (Vec::new(), live::current_id(&state.core).await?),
    };
    // Further behind than a replay reaches: tell the page to reload rather than skip events.
    let truncated = backlog.len() as i64 >= live::MAX_REPLAY;
    if truncated {
        backlog.clear();
    }
    let follow = Follow {
        ctx: caller.ctx.clone(),
        topic,
        key: topic.key(),
        sees_internal,
        backlog: backlog.into(),
        rx,
        closing: state.core.live.closing(),
        sent: VecDeque::with_capacity(RECENT_IDS),
        newest,
        floor: newest,
        ends: tokio::time::Instant::now() + MAX_STREAM,
        finished: false,
        state: state.clone(),
    };
    let first: Option<Result<Event, Infallible>> = truncated.then(|| Ok(Event::default().event("resync").data("{}")));
    let events = futures_util::StreamExt::chain(futures_util::stream::iter(first), futures_util::stream::unfold(follow, next));
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")).into_response();
    // Proxies (nginx) must pass events through at once.
    response.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    response.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-cache"));
    Ok(response)
}
