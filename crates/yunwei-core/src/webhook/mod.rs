//! Outbound webhooks: administrators subscribe a URL to events; each event the
//! dispatcher expands becomes one `webhook` delivery per matching active
//! subscription, sent signed (HMAC-SHA256) with the leases, backoff and dead
//! letters of every other delivery. Chat robots and SMS gateways are subscriptions too, of
//! another format; `send` turns their deliveries into messages in words.

mod send;
pub use send::{deliver_due, run_sender};

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_connect::webhook::Target;
use yunwei_domain::ids::OutboxEventId;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_domain::webhook as rules;
use yunwei_domain::webhook::WebhookFormat;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::Conn;
use yunwei_store::notify::{self as notify_store, NewDelivery, NewEvent, OutboxEvent};
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
    /// What the receiver speaks; absent: Yunwei's signed JSON.
    #[serde(default)]
    pub format: WebhookFormat,
    /// Language of the words robots and SMS get; absent: the server's default.
    pub locale: Option<String>,
    /// The robot's own signing secret (DingTalk, Feishu), as the chat service issued it.
    pub secret: Option<String>,
    /// Messages a minute the receiver takes (0: no limit); absent: the format's default.
    pub per_minute: Option<i64>,
    /// SMS: the numbers to text.
    #[serde(default)]
    pub phones: Vec<String>,
    /// SMS: the gateway's JSON body (minijinja: `{{ phones | tojson }}`, `{{ text | tojson }}`).
    pub body_template: Option<String>,
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
    pub locale: Option<String>,
    /// A robot's new signing secret; empty removes it.
    pub secret: Option<String>,
    pub per_minute: Option<i64>,
    pub phones: Option<Vec<String>>,
    pub body_template: Option<String>,
}

/// What a subscription's format decides beyond name, URL and filter, checked.
struct Speech {
    locale: String,
    per_minute: i64,
    phones: Vec<String>,
    body_template: String,
    robot_secret: Option<String>,
}

/// The most messages a minute a budget may allow.
const MAX_PER_MINUTE: i64 = 600;

fn check_speech(
    c: &mut Checker,
    format: WebhookFormat,
    locale: &str,
    per_minute: i64,
    phones: &[String],
    body_template: &str,
    robot_secret: Option<&str>,
) -> Speech {
    c.one_of("locale", locale, &crate::notify::LOCALES);
    if !(0..=MAX_PER_MINUTE).contains(&per_minute) {
        c.push(FieldError::new("per_minute", "out_of_range").with("min", 0).with("max", MAX_PER_MINUTE));
    }
    let phones = if format == WebhookFormat::Sms {
        match rules::parse_phones("phones", phones) {
            Ok(p) if p.is_empty() => {
                c.push(FieldError::new("phones", "required"));
                p
            }
            Ok(p) => p,
            Err(errors) => {
                errors.into_iter().for_each(|e| c.push(e));
                Vec::new()
            }
        }
    } else {
        if !phones.is_empty() {
            c.push(FieldError::new("phones", "not_for_format").with("format", format.as_str()));
        }
        Vec::new()
    };
    let body_template = body_template.trim().to_string();
    if !body_template.is_empty() {
        if format != WebhookFormat::Sms {
            c.push(FieldError::new("body_template", "not_for_format").with("format", format.as_str()));
        } else if body_template.chars().count() > 4000 {
            c.push(FieldError::new("body_template", "too_long").with("max", 4000));
        } else if sms_body(&body_template, &["13800138000".to_string()], "测试 \"test\"").is_err() {
            c.push(FieldError::new("body_template", "template_not_json"));
        }
    }
    let robot_secret = robot_secret.map(str::trim).map(str::to_string);
    if let Some(secret) = &robot_secret {
        if !format.takes_robot_secret() && !secret.is_empty() {
            c.push(FieldError::new("secret", "not_for_format").with("format", format.as_str()));
        } else if secret.chars().count() > 200 {
            c.push(FieldError::new("secret", "too_long").with("max", 200));
        }
    }
    Speech { locale: locale.to_string(), per_minute, phones, body_template, robot_secret }
}

/// The JSON an SMS gateway gets: Yunwei's own `{"phones": […], "text": …}`, or the
/// administrator's template (minijinja, with a `tojson` filter), which must make JSON.
pub(crate) fn sms_body(template: &str, phones: &[String], text: &str) -> std::result::Result<String, String> {
    if template.trim().is_empty() {
        return Ok(serde_json::json!({ "phones": phones, "text": text }).to_string());
    }
    let mut env = minijinja::Environment::new();
    env.set_fuel(Some(crate::notify::TEMPLATE_FUEL));
    env.add_filter("tojson", |v: minijinja::Value| {
        serde_json::to_string(&v).map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))
    });
    let context = serde_json::json!({ "phones": phones, "phone": phones.first(), "text": text });
    let body = env.render_str(template, context).map_err(|e| e.to_string())?;
    serde_json::from_str::<serde_json::Value>(&body).map_err(|_| "the body template does not make JSON".to_string())?;
    Ok(body)
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
    let format = input.format;
    let speech = check_speech(
        &mut c,
        format,
        input.locale.as_deref().unwrap_or(&core.config.default_locale),
        input.per_minute.unwrap_or(format.default_per_minute()),
        &input.phones,
        input.body_template.as_deref().unwrap_or_default(),
        input.secret.as_deref(),
    );
    c.finish()?;
    let now = core.now_ms();
    let secret = if format.has_generated_secret() { new_secret()? } else { speech.robot_secret.unwrap_or_default() };
    let mut w = Webhook {
        id: 0,
        name,
        url,
        event_types,
        active: input.active,
        format,
        locale: speech.locale,
        per_minute: speech.per_minute,
        phones: speech.phones,
        body_template: speech.body_template,
        secret,
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
    Ok(with_secret(w))
}

/// A robot's secret came from its chat service: it is not shown back.
fn with_secret(webhook: Webhook) -> WithSecret {
    let secret = if webhook.format.has_generated_secret() { webhook.secret.clone() } else { String::new() };
    WithSecret { webhook, secret }
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
    let speech = check_speech(
        &mut c,
        before.format,
        input.locale.as_deref().unwrap_or(&before.locale),
        input.per_minute.unwrap_or(before.per_minute),
        input.phones.as_deref().unwrap_or(&before.phones),
        input.body_template.as_deref().unwrap_or(&before.body_template),
        input.secret.as_deref(),
    );
    if input.secret.is_some() && !before.format.takes_robot_secret() {
        // Yunwei's own secrets are replaced by rotation only, never typed in.
        c.push(FieldError::new("secret", "not_for_format").with("format", before.format.as_str()));
    }
    c.finish()?;
    let mut after = Webhook {
        name,
        url,
        event_types,
        active: input.active.unwrap_or(before.active),
        locale: speech.locale,
        per_minute: speech.per_minute,
        phones: speech.phones,
        body_template: speech.body_template,
        secret: speech.robot_secret.unwrap_or_else(|| before.secret.clone()),
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
    if !before.format.has_generated_secret() {
        // A robot signs with what its chat service issued: change it with PATCH `secret`.
        return Err(DomainError::Validation(vec![
            FieldError::new("format", "secret_issued_by_robot").with("format", before.format.as_str()),
        ])
        .into());
    }
    let mut after =
        Webhook { secret: new_secret()?, updated_by: Some(actor_id).filter(|a| *a > 0), updated_at: core.now_ms(), ..before.clone() };
    store::update(&mut tx, &after).await?;
    after.version += 1;
    // The audit entry records that it changed, never the value (`secret` is not serialised).
    audit::write(core, &mut tx, ctx, Change::new("webhook", id, "rotate_secret").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(with_secret(after))
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
