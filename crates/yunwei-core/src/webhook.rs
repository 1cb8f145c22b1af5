//! Outbound webhooks: administrators subscribe a URL to events; each event the
//! dispatcher expands becomes one `webhook` delivery per matching active
//! subscription, sent signed (HMAC-SHA256) with the leases, backoff and dead
//! letters of every other delivery.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use yunwei_connect::webhook::{self as wire, Guard, Outgoing, Target, WebhookError};
use yunwei_domain::event::retry_delay_seconds;
use yunwei_domain::ids::OutboxEventId;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_domain::webhook as rules;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::Conn;
use yunwei_store::notify::{self as notify_store, Delivery, NewDelivery, NewEvent, OutboxEvent};
use yunwei_store::webhook::{self as store, CHANNEL, Webhook};

const LEASE_MS: i64 = 60_000;
pub const USER_AGENT: &str = concat!("Yunwei/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    pub name: String,
    pub url: String,
    /// Event types to send; absent or empty: every event.
    #[serde(default)]
    pub event_types: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// A webhook with its secret: the answer to create and rotate, the only times it is shown.
#[derive(Debug, Clone, Serialize)]
pub struct WithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub secret: String,
}

/// One attempt as the webhook's page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

fn new_secret() -> Result<String> {
    Ok(format!("whsec_{}", crate::crypto::random_secret::<24>()?))
}

/// Checks name, URL and filter; the URL must not name an address the guard refuses.
fn check(core: &Core, c: &mut Checker, name: &str, url: &str, types: &[String]) -> (String, String, Vec<String>) {
    let name = c.name("name", name, 100);
    let url = url.trim().to_string();
    if url.chars().count() > 2000 {
        c.push(FieldError::new("url", "too_long").with("max", 2000));
    } else {
        match Target::parse(&url) {
            Err(code) => c.push(FieldError::new("url", code)),
            Ok(target) => match core.config.webhooks.guard() {
                Ok(guard) => {
                    if let Some(kind) = target.literal_refusal(&guard) {
                        c.push(FieldError::new("url", "url_address_not_allowed").with("kind", kind));
                    }
                }
                Err(e) => tracing::error!(error = %e, "webhook allow-list is invalid"),
            },
        }
    }
    let types = match rules::parse_filter("event_types", types) {
        Ok(t) => t,
        Err(errors) => {
            errors.into_iter().for_each(|e| c.push(e));
            Vec::new()
        }
    };
    (name, url, types)
}

pub async fn list(core: &Core, ctx: &Ctx) -> Result<Vec<Webhook>> {
    ctx.authorize(ObjectType::Webhook, Action::Read)?;
    Ok(store::list(&core.db.read).await?)
}

pub async fn get(core: &Core, ctx: &Ctx, id: i64) -> Result<Webhook> {
    ctx.authorize(ObjectType::Webhook, Action::Read)?;
    store::get(&core.db.read, id).await?.ok_or(CoreError::NotFound("webhook"))
}

pub async fn create(core: &Core, ctx: &Ctx, input: NewWebhook) -> Result<WithSecret> {
    let (actor, _) = ctx.authorize(ObjectType::Webhook, Action::Create)?;
    let actor_id = actor.user_id.0;
    let mut c = Checker::new();
    let (name, url, event_types) = check(core, &mut c, &input.name, &input.url, &input.event_types);
    c.finish()?;
    let now = core.now_ms();
    let mut w = Webhook {
        id: 0,
        name,
        url,
        event_types,
        active: input.active,
        secret: new_secret()?,
        created_by: Some(actor_id).filter(|a| *a > 0),
        created_at: now,
        updated_by: Some(actor_id).filter(|a| *a > 0),
        updated_at: now,
        version: 1,
    };
    let mut tx = core.db.begin().await?;
    w.id = store::insert(&mut tx, &w).await.map_err(CoreError::unique_as("webhook_name_taken"))?;
    audit::write(core, &mut tx, ctx, Change::new("webhook", w.id, "create").after(&w)).await?;
    core.commit(tx).await?;
    let secret = w.secret.clone();
    Ok(WithSecret { webhook: w, secret })
}

pub async fn patch(core: &Core, ctx: &Ctx, id: i64, input: WebhookPatch) -> Result<Webhook> {
    let (actor, _) = ctx.authorize(ObjectType::Webhook, Action::Update)?;
    let actor_id = actor.user_id.0;
    let mut tx = core.db.begin().await?;
    let before = store::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("webhook"))?;
    let mut c = Checker::new();
    let (name, url, event_types) = check(
        core,
        &mut c,
        input.name.as_deref().unwrap_or(&before.name),
        input.url.as_deref().unwrap_or(&before.url),
        input.event_types.as_deref().unwrap_or(&before.event_types),
    );
    c.finish()?;
    let mut after = Webhook {
        name,
        url,
        event_types,
        active: input.active.unwrap_or(before.active),
        updated_by: Some(actor_id).filter(|a| *a > 0),
        updated_at: core.now_ms(),
        ..before.clone()
    };
    store::update(&mut tx, &after).await.map_err(CoreError::unique_as("webhook_name_taken"))?;
    after.version += 1;
    audit::write(core, &mut tx, ctx, Change::new("webhook", id, "update").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}

pub async fn delete(core: &Core, ctx: &Ctx, id: i64) -> Result<()> {
    ctx.authorize(ObjectType::Webhook, Action::Delete)?;
    let mut tx = core.db.begin().await?;
    let before = store::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("webhook"))?;
    store::delete(&mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("webhook", id, "delete").before(&before)).await?;
    core.commit(tx).await
}

/// A new secret; the old one stops signing at once (deliveries not yet sent use the new one).
pub async fn rotate_secret(core: &Core, ctx: &Ctx, id: i64) -> Result<WithSecret> {
    let (actor, _) = ctx.authorize(ObjectType::Webhook, Action::Update)?;
    let actor_id = actor.user_id.0;
    let mut tx = core.db.begin().await?;
    let before = store::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("webhook"))?;
    let mut after =
        Webhook { secret: new_secret()?, updated_by: Some(actor_id).filter(|a| *a > 0), updated_at: core.now_ms(), ..before.clone() };
    store::update(&mut tx, &after).await?;
    after.version += 1;
    // The audit entry records that it changed, never the value (`secret` is not serialised).
    audit::write(core, &mut tx, ctx, Change::new("webhook", id, "rotate_secret").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    let secret = after.secret.clone();
    Ok(WithSecret { webhook: after, secret })
}

/// Queues a `ping` to this webhook only (active or not), through the normal delivery queue.
pub async fn test(core: &Core, ctx: &Ctx, id: i64) -> Result<DeliveryView> {
    ctx.authorize(ObjectType::Webhook, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let w = store::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("webhook"))?;
    let now = core.now_ms();
    let payload = serde_json::json!({ "webhook_id": w.id, "name": w.name });
    let event = NewEvent {
        event_type: rules::PING.into(),
        actor_id: ctx.actor_id().map(yunwei_domain::ids::UserId),
        object_type: "webhook".into(),
        object_id: w.id.to_string(),
        payload: payload.clone(),
        ..NewEvent::default()
    };
    let event_id = notify_store::enqueue(&mut tx, &event, now).await?;
    // The ping is for this webhook alone: no other subscriber, notice or mail.
    notify_store::mark_event_done(&mut tx, event_id).await?;
    let body = rules::body(event_id.0, rules::PING, &rfc3339(now), "webhook", &w.id.to_string(), &payload);
    queue(&mut tx, event_id, rules::PING, w.id, &body, now).await?;
    audit::write(core, &mut tx, ctx, Change::new("webhook", id, "test")).await?;
    core.commit(tx).await?;
    let recent = store::recent_deliveries(&mut *core.db.writer().await?, id, 1).await?;
    recent.into_iter().next().map(view).ok_or(CoreError::NotFound("delivery"))
}

pub async fn deliveries(core: &Core, ctx: &Ctx, id: i64, limit: i64) -> Result<Vec<DeliveryView>> {
    ctx.authorize(ObjectType::Webhook, Action::Read)?;
    if !(1..=200).contains(&limit) {
        return Err(DomainError::Validation(vec![FieldError::new("limit", "out_of_range").with("min", 1).with("max", 200)]).into());
    }
    store::get(&core.db.read, id).await?.ok_or(CoreError::NotFound("webhook"))?;
    Ok(store::recent_deliveries(&core.db.read, id, limit).await?.into_iter().map(view).collect())
}

fn view(d: yunwei_store::notify::Delivery) -> DeliveryView {
    DeliveryView {
        id: d.id.0,
        event_id: d.event_id.0,
        event_type: d.subject,
        status: d.status,
        attempts: d.attempts,
        last_error: d.last_error,
        created_at: d.created_at,
        sent_at: d.sent_at,
    }
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

async fn queue(
    out: &mut impl yunwei_store::Stage,
    event: OutboxEventId,
    event_type: &str,
    webhook: i64,
    body: &serde_json::Value,
    now: i64,
) -> Result<()> {
    let d = NewDelivery {
        event_id: event,
        channel: CHANNEL.into(),
        user_id: None,
        address: webhook.to_string(),
        subject: event_type.into(),
        body: body.to_string(),
    };
    notify_store::insert_delivery(out, &d, now).await?;
    Ok(())
}

/// Called by the dispatcher for every event it expands: one delivery per matching active webhook.
/// The active webhooks, read once per round of the dispatcher.
pub(crate) async fn active(conn: &mut Conn) -> Result<Vec<Webhook>> {
    Ok(store::list_active(&mut *conn).await?)
}

pub(crate) async fn expand(core: &Core, out: &mut impl yunwei_store::Stage, hooks: &[Webhook], event: &OutboxEvent) -> Result<()> {
    let matching: Vec<&Webhook> = hooks.iter().filter(|w| rules::wants(&w.event_types, &event.event_type)).collect();
    if matching.is_empty() {
        return Ok(());
    }
    let body = rules::body(event.id.0, &event.event_type, &rfc3339(event.created_at), &event.object_type, &event.object_id, &event.payload);
    let now = core.now_ms();
    for w in matching {
        queue(out, event.id, &event.event_type, w.id, &body, now).await?;
    }
    Ok(())
}

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

async fn attempt(core: Core, guard: Arc<Guard>, d: Delivery) -> (Delivery, Outcome) {
    let hook = match d.address.parse::<i64>() {
        Ok(id) => store::get(&core.db.read, id).await,
        Err(_) => Ok(None),
    };
    let outcome = match &hook {
        Err(e) => Err((true, e.to_string())),
        Ok(None) => Err((false, "the webhook was deleted".to_string())),
        Ok(Some(w)) if !w.active && d.subject != rules::PING => Err((false, "the webhook is inactive".to_string())),
        Ok(Some(w)) => {
            let out = Outgoing {
                url: &w.url,
                event_type: &d.subject,
                delivery_id: &d.id.0.to_string(),
                body: &d.body,
                secret: &w.secret,
                user_agent: USER_AGENT,
                timestamp: core.now_ms().div_euclid(1000),
            };
            // Refused addresses and bad URLs will not heal by waiting: straight to the dead letters.
            wire::send(&out, &guard)
                .await
                .map(|_| ())
                .map_err(|e| (!matches!(e, WebhookError::Forbidden { .. } | WebhookError::Url(_)), e.to_string()))
        }
    };
    (d, outcome)
}

/// Sends due webhook deliveries, side by side (each at most 10 s). Returns how many it tried.
pub async fn deliver_due(core: &Core) -> Result<usize> {
    let guard = Arc::new(core.config.webhooks.guard().map_err(CoreError::Internal)?);
    let now = core.now_ms();
    let due = notify_store::claim_deliveries(&core.db, CHANNEL, &core.node_id, now, now + LEASE_MS, 20).await?;
    let tried = due.len();
    let mut sending = tokio::task::JoinSet::new();
    for d in due {
        sending.spawn(attempt(core.clone(), guard.clone(), d));
    }
    // One failure must not abort the sends still in flight (they would be sent again).
    while let Some(done) = sending.join_next().await {
        let (d, outcome) = match done {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "webhook send task failed; its delivery is retried when its lease ends");
                continue;
            }
        };
        match outcome {
            Ok(()) => {
                if let Err(e) = notify_store::finish_delivery(&core.db, d.id, &core.node_id, core.now_ms()).await {
                    tracing::warn!(delivery = d.id.0, error = %e, "webhook delivered but not marked done; it may be sent again");
                }
            }
            Err((retryable, error)) => {
                let attempts = u32::try_from(d.attempts).unwrap_or(u32::MAX);
                let retry_at = (retryable && attempts < core.config.max_delivery_attempts)
                    .then(|| core.now_ms() + retry_delay_seconds(attempts) * 1000);
                tracing::warn!(delivery = d.id.0, attempts, %error, dead = retry_at.is_none(), "webhook delivery failed");
                if let Err(e) = notify_store::fail_delivery(&core.db, d.id, &core.node_id, &error, retry_at).await {
                    tracing::warn!(delivery = d.id.0, error = %e, "webhook failure not recorded; retried when its lease ends");
                }
            }
        }
    }
    Ok(tried)
}
