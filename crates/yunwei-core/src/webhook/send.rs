//! Sending due webhook deliveries. Yunwei's format goes one signed POST per delivery; chat
//! robots and SMS gateways get a message in words in the subscription's language, within the
//! receiver's budget of messages a minute — a burst that would overspend it is merged into
//! one digest, and when the budget is spent the deliveries wait, untried, for room.

use super::{LEASE_MS, USER_AGENT};
use crate::notify::Notice;
use crate::{Core, CoreError, Result};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use yunwei_connect::chat::{self, Link, Message};
use yunwei_connect::webhook::{self as wire, Guard, Outgoing, WebhookError};
use yunwei_domain::event::retry_delay_seconds;
use yunwei_domain::ids::NotificationId;
use yunwei_domain::webhook::{self as rules, BUDGET_WINDOW_MS, SendPlan, WebhookFormat, cut_to_bytes};
use yunwei_store::notify::{self as notify_store, Delivery};
use yunwei_store::webhook::{self as store, CHANNEL, Webhook};

/// Deliveries claimed per round; a robot's burst beyond its budget arrives here together.
const CLAIM: i64 = 50;

/// Sends due webhook deliveries until `shutdown` turns true. A loop of its own, beside the
/// dispatcher, so that a slow receiver never holds up notices and e-mail.
pub async fn run_sender(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let busy = match deliver_due(&core).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "webhook delivery round failed");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.changed() => {}
            }
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// What became of one attempt: Ok, or the error and whether waiting may help.
type Outcome = std::result::Result<(), (bool, String)>;

/// Sends due webhook deliveries, receivers side by side (each request at most 10 s).
/// Returns how many deliveries it took up.
pub async fn deliver_due(core: &Core) -> Result<usize> {
    let guard = Arc::new(core.config.webhooks.guard().map_err(CoreError::Internal)?);
    let now = core.now_ms();
    let due = notify_store::claim_deliveries(&core.db, CHANNEL, &core.node_id, now, now + LEASE_MS, CLAIM).await?;
    let tried = due.len();
    // A budget and a digest are per receiver: its deliveries go together, oldest first.
    let mut by_hook: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
    for d in due {
        by_hook.entry(d.address.clone()).or_default().push(d);
    }
    let mut sending = tokio::task::JoinSet::new();
    for group in by_hook.into_values() {
        sending.spawn(send_group(core.clone(), guard.clone(), group));
    }
    // One failure must not abort the sends still in flight (they would be sent again).
    while let Some(done) = sending.join_next().await {
        if let Err(e) = done {
            tracing::error!(error = %e, "webhook send task failed; its deliveries are retried when their leases end");
        }
    }
    Ok(tried)
}

async fn send_group(core: Core, guard: Arc<Guard>, group: Vec<Delivery>) {
    let Some(first) = group.first() else { return };
    let hook = match first.address.parse::<i64>() {
        Ok(id) => store::get(&core.db.read, id).await,
        Err(_) => Ok(None),
    };
    let hook = match hook {
        Err(e) => return settle_all(&core, &group, Err((true, e.to_string()))).await,
        Ok(None) => return settle_all(&core, &group, Err((false, "the webhook was deleted".to_string()))).await,
        Ok(Some(w)) => Arc::new(w),
    };
    // An inactive subscription sends only its test pings.
    let (live, stopped): (Vec<Delivery>, Vec<Delivery>) = group.into_iter().partition(|d| hook.active || d.subject == rules::PING);
    settle_all(&core, &stopped, Err((false, "the webhook is inactive".to_string()))).await;
    if live.is_empty() {
        return;
    }
    let now = core.now_ms();
    let plan = if hook.per_minute > 0 {
        match store::messages_since(&core.db.read, hook.id, now - BUDGET_WINDOW_MS).await {
            Ok(sent) => rules::plan_send(hook.per_minute, live.len(), &sent, now),
            Err(e) => return settle_all(&core, &live, Err((true, e.to_string()))).await,
        }
    } else {
        SendPlan::Each
    };
    match plan {
        SendPlan::WaitUntil(at) => {
            for d in &live {
                if let Err(e) = notify_store::postpone_delivery(&core.db, d.id, &core.node_id, at).await {
                    tracing::warn!(delivery = d.id.0, error = %e, "could not postpone a delivery; retried when its lease ends");
                }
            }
        }
        SendPlan::Each => {
            let mut sending = tokio::task::JoinSet::new();
            for d in live {
                let (core, guard, hook) = (core.clone(), guard.clone(), hook.clone());
                sending.spawn(async move {
                    let outcome = attempt(&core, &guard, &hook, &d).await;
                    settle(&core, &d, outcome).await;
                });
            }
            while let Some(done) = sending.join_next().await {
                if let Err(e) = done {
                    tracing::error!(error = %e, "webhook send task failed; its delivery is retried when its lease ends");
                }
            }
        }
        SendPlan::Digest => {
            let mut messages = Vec::with_capacity(live.len());
            for d in &live {
                match message_for(&core, &hook, d).await {
                    Ok(m) => messages.push(m),
                    Err(e) => return settle_all(&core, &live, Err(e)).await,
                }
            }
            let digest = digest(&core, &hook.locale, &messages);
            let outcome = send_message(&core, &guard, &hook, &digest, live.len()).await;
            settle_all(&core, &live, outcome).await;
        }
    }
}

async fn attempt(core: &Core, guard: &Guard, hook: &Webhook, d: &Delivery) -> Outcome {
    if hook.format.speaks_words() {
        let message = message_for(core, hook, d).await?;
        return send_message(core, guard, hook, &message, 1).await;
    }
    let out = Outgoing {
        url: &hook.url,
        event_type: &d.subject,
        delivery_id: &d.id.0.to_string(),
        body: &d.body,
        secret: &hook.secret,
        user_agent: USER_AGENT,
        timestamp: core.now_ms().div_euclid(1000),
    };
    wire::send(&out, guard).await.map(|_| ()).map_err(classify)
}

/// Refused addresses and bad URLs will not heal by waiting: straight to the dead letters.
fn classify(e: WebhookError) -> (bool, String) {
    (!matches!(e, WebhookError::Forbidden { .. } | WebhookError::Url(_)), e.to_string())
}

/// Sends one message (`carries` deliveries) and counts it against the receiver's budget.
async fn send_message(core: &Core, guard: &Guard, hook: &Webhook, message: &Message, carries: usize) -> Outcome {
    let now = core.now_ms();
    let outcome = match hook.format {
        WebhookFormat::Sms => send_sms(core, guard, hook, message).await,
        format => match chat::wire(format, &hook.url, &hook.secret, message, now) {
            None => Err((false, format!("{format} is not a robot"))),
            Some(w) => match wire::post(&w.url, &w.headers, &w.body, guard).await {
                Ok(answer) => chat::judge(format, answer.status, &answer.body).map_err(|r| (r.retry, r.error)),
                Err(e) => Err(classify(e)),
            },
        },
    };
    // Every request that may have reached the service counts, refused or not.
    if hook.per_minute > 0 {
        let recorded = match core.db.writer().await {
            Ok(mut conn) => store::record_message(&mut conn, hook.id, now, carries as i64, now - 10 * BUDGET_WINDOW_MS).await,
            Err(e) => Err(e),
        };
        if let Err(e) = recorded {
            tracing::warn!(webhook = hook.id, error = %e, "a robot message was not counted against its budget");
        }
    }
    outcome
}

async fn send_sms(core: &Core, guard: &Guard, hook: &Webhook, message: &Message) -> Outcome {
    let text = cut_to_bytes(format!("{} {}", message.title, message.text).trim_end(), WebhookFormat::Sms.max_text_bytes());
    let body = super::sms_body(&hook.body_template, &hook.phones, &text).map_err(|e| (false, e))?;
    let headers = [
        ("content-type", "application/json; charset=utf-8".to_string()),
        ("user-agent", USER_AGENT.to_string()),
        ("x-yunwei-signature", wire::signature(&hook.secret, core.now_ms().div_euclid(1000), &body)),
    ];
    match wire::post(&hook.url, &headers, &body, guard).await {
        Ok(a) if (200..300).contains(&a.status) => Ok(()),
        Ok(a) => Err((a.status == 429 || a.status >= 500, format!("HTTP {}: {}", a.status, a.body.chars().take(300).collect::<String>()))),
        Err(e) => Err(classify(e)),
    }
}

/// The delivery's event in words, in the receiver's language, with a link to the record.
async fn message_for(core: &Core, hook: &Webhook, d: &Delivery) -> std::result::Result<Message, (bool, String)> {
    let wording = core.wording();
    let locale = hook.locale.as_str();
    let event = notify_store::get_event(&core.db.read, d.event_id).await.map_err(|e| (true, e.to_string()))?;
    let Some(event) = event else { return Err((false, "the event is gone".to_string())) };
    if event.event_type == rules::PING {
        return Ok(Message {
            title: wording.phrase(locale, "chat.ping_title", &[]),
            text: wording.phrase(locale, "chat.ping_text", &[("name", hook.name.clone())]),
            link: None,
        });
    }
    let actor = match event.actor_id {
        Some(a) => yunwei_store::admin::get_user(&core.db.read, a).await.map_err(|e| (true, e.to_string()))?.map(|u| u.display_name),
        None => None,
    };
    let path = crate::notify::event_link(&event);
    let notice = Notice {
        id: NotificationId(0),
        event_type: event.event_type.clone(),
        title: event.event_type.clone(),
        link: Some(path.clone()),
        created_at: event.created_at,
        read_at: None,
        object_type: Some(event.object_type.clone()),
        object_id: Some(event.object_id.clone()),
        actor,
        payload: rules::public_data(&event.payload),
    };
    let (title, text) = wording.notice(locale, &notice);
    let base = core.config.public_url.trim_end_matches('/');
    let link = (!base.is_empty()).then(|| Link { label: wording.phrase(locale, "chat.open", &[]), url: format!("{base}{path}") });
    Ok(Message { title, text, link })
}

/// Several messages as one: a count, then each headline with its link.
fn digest(core: &Core, locale: &str, messages: &[Message]) -> Message {
    let wording = core.wording();
    let lines: Vec<String> = messages
        .iter()
        .map(|m| match &m.link {
            Some(l) => format!("• {} {}", m.title, l.url),
            None => format!("• {}", m.title),
        })
        .collect();
    Message {
        title: wording.phrase(locale, "chat.digest_title", &[("count", messages.len().to_string())]),
        text: format!("{}\n{}", wording.phrase(locale, "chat.digest_why", &[]), lines.join("\n")),
        link: None,
    }
}

async fn settle(core: &Core, d: &Delivery, outcome: Outcome) {
    match outcome {
        Ok(()) => {
            if let Err(e) = notify_store::finish_delivery(&core.db, d.id, &core.node_id, core.now_ms()).await {
                tracing::warn!(delivery = d.id.0, error = %e, "webhook delivered but not marked done; it may be sent again");
            }
        }
        Err((retryable, error)) => {
            let attempts = u32::try_from(d.attempts).unwrap_or(u32::MAX);
            let retry_at =
                (retryable && attempts < core.config.max_delivery_attempts).then(|| core.now_ms() + retry_delay_seconds(attempts) * 1000);
            tracing::warn!(delivery = d.id.0, attempts, %error, dead = retry_at.is_none(), "webhook delivery failed");
            if let Err(e) = notify_store::fail_delivery(&core.db, d.id, &core.node_id, &error, retry_at).await {
                tracing::warn!(delivery = d.id.0, error = %e, "webhook failure not recorded; retried when its lease ends");
            }
        }
    }
}

async fn settle_all(core: &Core, deliveries: &[Delivery], outcome: Outcome) {
    for d in deliveries {
        settle(core, d, outcome.clone()).await;
    }
}
