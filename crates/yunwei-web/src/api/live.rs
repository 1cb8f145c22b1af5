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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    pub topic: String,
}

struct Follow {
    topic: String,
    backlog: VecDeque<LiveEvent>,
    rx: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
    closing: tokio::sync::watch::Receiver<bool>,
    /// The newest id sent, so that a replayed event is not sent again when the poller brings it.
    sent: i64,
}

fn frame(e: &LiveEvent) -> Event {
    Event::default().id(e.id.to_string()).event(e.event_type.clone()).data(serde_json::to_string(e).unwrap_or_else(|_| "{}".into()))
}

async fn next(mut f: Follow) -> Option<(Result<Event, Infallible>, Follow)> {
    if let Some(e) = f.backlog.pop_front() {
        f.sent = f.sent.max(e.id);
        return Some((Ok(frame(&e)), f));
    }
    loop {
        if *f.closing.borrow() {
            return None;
        }
        let received = tokio::select! {
            r = f.rx.recv() => r,
            _ = f.closing.changed() => return None,
        };
        match received {
            Ok(e) if e.topic == f.topic && e.id > f.sent => {
                f.sent = e.id;
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
    live::authorize(&state.core, &caller.ctx, topic).await?;
    // Subscribe before reading the backlog, so nothing falls between the two.
    let rx = state.core.live.subscribe();
    let after = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    // Without it, the page was just loaded: only what happens from now on is news.
    let (backlog, sent) = match after {
        Some(a) => (live::replay(&state.core, topic, a).await?, a),
        None => (Vec::new(), live::current_id(&state.core).await?),
    };
    let follow = Follow { topic: topic.key(), backlog: backlog.into(), rx, closing: state.core.live.closing(), sent };
    let events = futures_util::stream::unfold(follow, next);
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")).into_response();
    // Proxies (nginx) must pass events through at once.
    response.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    response.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-cache"));
    Ok(response)
}
