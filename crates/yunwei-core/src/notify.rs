//! Notifications: events go to the outbox with the change (`emit`); after
//! commit the dispatcher turns each into in-app notices and e-mail deliveries
//! (templates per event and language, user preferences), then delivers e-mail
//! with leases, exponential backoff and a dead-letter list.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use yunwei_connect::mail::{Mailer, OutgoingMail};
use yunwei_domain::FieldError;
use yunwei_domain::event::{Channel, EventType, retry_delay_seconds};
use yunwei_domain::ids::{DeliveryId, NotificationId, OutboxEventId, UserId};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::notify::{self as store, Delivery, NewDelivery, NewEvent, OutboxEvent, Preference, Template};
use yunwei_store::sql::Page;
use yunwei_store::{Batch, Conn};

pub const LOCALES: [&str; 2] = ["zh-CN", "en"];
const LEASE_MS: i64 = 60_000;

/// What happened, to whom, to which record.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    /// The user the event is about (notified if the kind notifies its subject).
    pub subject: Option<UserId>,
    pub object_type: &'static str,
    pub object_id: String,
    pub payload: serde_json::Value,
}

impl Event {
    pub fn new(kind: EventType, object_type: &'static str, object_id: impl ToString) -> Self {
        Self { kind, subject: None, object_type, object_id: object_id.to_string(), payload: serde_json::json!({}) }
    }

    pub fn about(mut self, user: UserId) -> Self {
        self.subject = Some(user);
        self
    }

    pub fn with(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

/// Writes an event to the outbox in the caller's transaction.
pub(crate) async fn emit(core: &Core, tx: &mut impl yunwei_store::Stage, ctx: &Ctx, event: Event) -> Result<()> {
    let e = NewEvent {
        event_type: event.kind.as_str().to_string(),
        subject_user_id: event.subject,
        actor_id: ctx.actor_id().map(UserId),
        object_type: event.object_type.to_string(),
        object_id: event.object_id,
        payload: event.payload,
    };
    Ok(store::enqueue_staged(tx, &e, core.now_ms()).await?)
}

// ---- templates ----

/// Instructions one template may execute per render. The built-in templates use
/// a few hundred; nested loops over `range(6000)` (36 million steps, seconds of
/// CPU on every save and every notice) run out long before.
pub const TEMPLATE_FUEL: u64 = 50_000;

/// Why a template did not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the template needs more than {TEMPLATE_FUEL} steps to render")]
    TooExpensive,
    #[error("{0}")]
    Invalid(String),
}

/// Renders one template text against the event's context, within [`TEMPLATE_FUEL`].
pub fn render(text: &str, context: &serde_json::Value) -> std::result::Result<String, RenderError> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.render_str(text, context).map_err(|e| match e.kind() {
        minijinja::ErrorKind::OutOfFuel => RenderError::TooExpensive,
        _ => RenderError::Invalid(e.to_string()),
    })
}

fn sample_context() -> serde_json::Value {
    serde_json::json!({
        "user": { "username": "zhangsan", "display_name": "张三" },
        "actor": "admin",
        "event": "user.created",
        "time": "2026-01-01 09:00",
        "public_url": "https://yunwei.example",
        "payload": {},
    })
}

pub async fn list_templates(core: &Core, ctx: &Ctx) -> Result<Vec<Template>> {
    ctx.authorize(ObjectType::NotificationTemplate, Action::Read)?;
    Ok(store::list_templates(&core.db.read).await?)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub subject: String,
    pub body: String,
}

/// Replaces a template after checking that it parses and renders.
pub async fn put_template(core: &Core, ctx: &Ctx, event_type: &str, locale: &str, input: TemplateInput) -> Result<Template> {
    let (actor, _) = ctx.authorize(ObjectType::NotificationTemplate, Action::Update)?;
    let mut c = Checker::new();
    let event: Option<EventType> = event_type.parse().ok();
    if event.is_none() {
        c.push(FieldError::new("event_type", "unknown_event_type"));
    }
    c.one_of("locale", locale, &LOCALES);
    let subject = c.name("subject", &input.subject, 300);
    let body = c.text("body", &input.body, 20_000);
    if body.trim().is_empty() {
        c.push(FieldError::new("body", "required"));
    }
    for (field, text) in [("subject", &subject), ("body", &body)] {
        match render(text, &sample_context()) {
            Ok(_) => {}
            Err(RenderError::TooExpensive) => c.push(FieldError::new(field, "template_too_expensive").with("max", TEMPLATE_FUEL)),
            Err(RenderError::Invalid(e)) => c.push(FieldError::new(field, "template_invalid").with("detail", e)),
        }
    }
    c.finish()?;
    let t = Template {
        event_type: event_type.into(),
        locale: locale.into(),
        subject,
        body,
        updated_at: core.now_ms(),
        updated_by: Some(actor.user_id.0),
    };
    let mut tx = core.db.begin().await?;
    let before = store::get_template(&mut *tx, event_type, locale).await?;
    store::put_template(&mut tx, &t, false).await?;
    audit::write(
        core,
        &mut tx,
        ctx,
        Change::new("notification_template", format!("{event_type}/{locale}"), "update").before(&before).after(&t),
    )
    .await?;
    core.commit(tx).await?;
    Ok(t)
}

// ---- preferences ----

#[derive(Debug, Clone, Serialize)]
pub struct PreferenceView {
    pub event_type: EventType,
    pub channel: Channel,
    pub enabled: bool,
    /// Security notices cannot be switched off.
    pub locked: bool,
}

/// Every notifying event × channel with the user's choice (default: on).
pub async fn my_preferences(core: &Core, ctx: &Ctx) -> Result<Vec<PreferenceView>> {
    let me = ctx.me()?;
    let stored = store::preferences(&core.db.read, me.user_id).await?;
    Ok(EventType::ALL
        .iter()
        .filter(|e| e.notifies_subject())
        .flat_map(|e| Channel::ALL.iter().map(move |c| (*e, *c)))
        .map(|(e, c)| {
            let locked = e.is_security_notice();
            let enabled = locked || stored.iter().find(|p| p.event_type == e.as_str() && p.channel == c.as_str()).is_none_or(|p| p.enabled);
            PreferenceView { event_type: e, channel: c, enabled, locked }
        })
        .collect())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferenceInput {
    pub event_type: String,
    pub channel: String,
    pub enabled: bool,
}

pub async fn set_my_preferences(core: &Core, ctx: &Ctx, input: Vec<PreferenceInput>) -> Result<Vec<PreferenceView>> {
    let me = ctx.self_service()?;
    let mut c = Checker::new();
    let mut parsed = Vec::new();
    for (i, p) in input.iter().enumerate() {
        match (p.event_type.parse::<EventType>(), p.channel.parse::<Channel>()) {
            (Ok(e), Ok(ch)) if e.notifies_subject() => {
                if e.is_security_notice() && !p.enabled {
                    c.push(FieldError::new(format!("[{i}].enabled"), "security_notice_required"));
                }
                parsed.push(Preference { event_type: e.as_str().into(), channel: ch.as_str().into(), enabled: p.enabled });
            }
            (Err(_), _) | (Ok(_), Ok(_)) => c.push(FieldError::new(format!("[{i}].event_type"), "unknown_event_type")),
            (_, Err(_)) => c.push(FieldError::new(format!("[{i}].channel"), "unknown_channel")),
        }
    }
    c.finish()?;
    let mut tx = core.db.begin().await?;
    for p in &parsed {
        store::set_preference(&mut tx, me.user_id, p).await?;
    }
    audit::write(core, &mut tx, ctx, Change::new("notification_preference", me.user_id, "update").after(&parsed)).await?;
    core.commit(tx).await?;
    my_preferences(core, ctx).await
}

// ---- in-app ----

/// A notification as the reader's pages show it: the event it came from (what happened, to
/// which record, by whom) so that the page writes it in the reader's language, and the stored
/// e-mail subject for events the page has no words for.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: NotificationId,
    pub event_type: String,
    pub title: String,
    pub link: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Who did it, by name; `None` for the system.
    pub actor: Option<String>,
    /// The event's data without its addressing (recipients, e-mail addresses).
    pub payload: serde_json::Value,
}

/// Words for people, in a given language: the web layer writes notices this way (the bell),
/// and installs itself here ([`Core::install_wording`]) so that chat robots say the same.
pub trait Wording: Send + Sync {
    /// A notice's headline ("事件已指派：INC-000012 核心交换机丢包") and detail.
    fn notice(&self, locale: &str, notice: &Notice) -> (String, String);
    /// A fixed phrase with `{name}` parameters.
    fn phrase(&self, locale: &str, key: &str, params: &[(&str, String)]) -> String;
}

/// What core says when no wording was installed (tools and core's own tests): the event type.
pub(crate) struct PlainWording;

impl Wording for PlainWording {
    fn notice(&self, _locale: &str, notice: &Notice) -> (String, String) {
        let number = notice.payload.get("number").and_then(serde_json::Value::as_str).unwrap_or_default();
        (format!("{} {number}", notice.event_type).trim().to_string(), String::new())
    }
    fn phrase(&self, _locale: &str, key: &str, params: &[(&str, String)]) -> String {
        params.iter().fold(key.to_string(), |text, (k, v)| format!("{text} {k}={v}"))
    }
}

/// The caller's own notifications with the events behind them (newest first).
pub async fn my_notices(core: &Core, ctx: &Ctx, unread_only: bool, page: &PageRequest) -> Result<Page<Notice>> {
    let me = ctx.me()?;
    let list = store::list_notifications(&core.db, me.user_id, unread_only, page).await?;
    let ids: Vec<NotificationId> = list.items.iter().map(|n| n.id).collect();
    let mut conn = core.db.read.acquire().await?;
    let events = store::events_of_notifications(&mut *conn, me.user_id, &ids).await?;
    let mut actors = std::collections::HashMap::new();
    for (_, e) in &events {
        if let Some(a) = e.actor_id
            && !actors.contains_key(&a)
        {
            let name = yunwei_store::admin::get_user(&mut *conn, a).await?.map(|u| u.display_name);
            actors.insert(a, name);
        }
    }
    Ok(list.map(|n| {
        let event = events.iter().find(|(id, _)| *id == n.id).map(|(_, e)| e);
        let mut payload = event.map(|e| e.payload.clone()).unwrap_or(serde_json::Value::Null);
        if let Some(o) = payload.as_object_mut() {
            o.remove("recipients");
            o.remove("email_to");
        }
        Notice {
            id: n.id,
            event_type: n.event_type,
            title: n.title,
            link: n.link,
            created_at: n.created_at,
            read_at: n.read_at,
            object_type: event.map(|e| e.object_type.clone()),
            object_id: event.map(|e| e.object_id.clone()),
            actor: event.and_then(|e| e.actor_id).and_then(|a| actors.get(&a).cloned().flatten()),
            payload,
        }
    }))
}

/// One of the caller's notifications (to follow its link); another user's is "not found".
pub async fn my_notice_link(core: &Core, ctx: &Ctx, id: NotificationId) -> Result<Option<String>> {
    let me = ctx.me()?;
    let found = store::notification_link(&core.db.read, me.user_id, id).await?;
    found.ok_or(CoreError::NotFound("notification"))
}

pub async fn my_unread_count(core: &Core, ctx: &Ctx) -> Result<i64> {
    Ok(store::unread_count(&core.db.read, ctx.me()?.user_id).await?)
}

/// Marks one notification (or all of them) read; a notification of another user is "not found".
pub async fn mark_read(core: &Core, ctx: &Ctx, id: Option<NotificationId>) -> Result<u64> {
    let me = ctx.me()?;
    let mut conn = core.db.writer().await?;
    let n = store::mark_read(&mut conn, me.user_id, id, core.now_ms()).await?;
    if id.is_some() && n == 0 {
        return Err(CoreError::NotFound("notification"));
    }
    Ok(n)
}

// ---- dead letters ----

#[derive(Debug, Clone, Serialize)]
pub struct DeadLetters {
    pub deliveries: Page<Delivery>,
    pub events: Vec<OutboxEvent>,
}

pub async fn dead_letters(core: &Core, ctx: &Ctx, page: &PageRequest) -> Result<DeadLetters> {
    ctx.authorize(ObjectType::Delivery, Action::Read)?;
    Ok(DeadLetters { deliveries: store::dead_deliveries(&core.db, page).await?, events: store::dead_events(&core.db).await? })
}

pub async fn retry_delivery(core: &Core, ctx: &Ctx, id: DeliveryId) -> Result<()> {
    ctx.authorize(ObjectType::Delivery, Action::Update)?;
    let mut tx = core.db.begin().await?;
    if !store::retry_delivery(&mut tx, id, core.now_ms()).await? {
        return Err(match store::get_delivery(&mut *tx, id).await? {
            Some(_) => CoreError::Conflict("delivery_not_dead"),
            None => CoreError::NotFound("delivery"),
        });
    }
    audit::write(core, &mut tx, ctx, Change::new("delivery", id, "retry")).await?;
    core.commit(tx).await
}

pub async fn retry_event(core: &Core, ctx: &Ctx, id: OutboxEventId) -> Result<()> {
    ctx.authorize(ObjectType::Delivery, Action::Update)?;
    let mut tx = core.db.begin().await?;
    if !store::retry_event(&mut tx, id, core.now_ms()).await? {
        return Err(CoreError::NotFound("event"));
    }
    audit::write(core, &mut tx, ctx, Change::new("outbox_event", id, "retry")).await?;
    core.commit(tx).await
}

// ---- the dispatcher ----

/// Runs until `shutdown` turns true: expands events, then delivers e-mail (webhooks: `webhook::run_sender`).
pub async fn run_dispatcher(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mailer = match core.config.smtp.as_ref().map(Mailer::new) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            tracing::error!(error = %e, "SMTP settings are invalid; e-mail is not sent");
            None
        }
        None => None,
    };
    loop {
        let mut busy = false;
        match expand_events(&core, mailer.is_some()).await {
            Ok(n) => busy |= n > 0,
            Err(e) => tracing::warn!(error = %e, "event dispatch failed"),
        }
        if let Some(m) = &mailer {
            match deliver_email(&core, m).await {
                Ok(n) => busy |= n > 0,
                Err(e) => tracing::warn!(error = %e, "e-mail delivery round failed"),
            }
        }
        if busy {
            continue;
        }
        tokio::select! {
            // A short pause after a wake gathers the events of concurrent commands into one batch.
            _ = core.wake_dispatcher.notified() => tokio::time::sleep(Duration::from_millis(25)).await,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Claims due events and turns each into notices and deliveries. Returns how many it handled.
pub async fn expand_events(core: &Core, email_enabled: bool) -> Result<usize> {
    let now = core.now_ms();
    let events = store::claim_events(&core.db, &core.node_id, now, now + LEASE_MS, 100).await?;
    if events.is_empty() {
        return Ok(0);
    }
    // The whole batch in one transaction keeps the single SQLite writer free for commands;
    // if any event fails, each is redone alone so that one bad event cannot hold up the rest.
    if expand_group(core, &events, email_enabled).await.is_err() {
        for event in &events {
            if let Err(e) = expand_group(core, std::slice::from_ref(event), email_enabled).await {
                let attempts = u32::try_from(event.attempts).unwrap_or(u32::MAX);
                let retry_at = (attempts < core.config.max_delivery_attempts).then(|| core.now_ms() + retry_delay_seconds(attempts) * 1000);
                store::fail_event(&core.db, event.id, &core.node_id, &e.to_string(), retry_at).await?;
            }
        }
    }
    Ok(events.len())
}

/// Expands `events` and marks them done in one commit. What it reads (webhooks, readers,
/// templates) comes from the read pool and what it writes is staged, so the SQLite writer
/// is held only for the commit, shared with commands (see `yunwei_store::batch`).
async fn expand_group(core: &Core, events: &[OutboxEvent], email_enabled: bool) -> Result<()> {
    let mut rd = core.db.read.acquire().await?;
    let hooks = crate::webhook::active(&mut rd).await?;
    let mut batch = core.db.batch();
    for event in events {
        expand_in(core, &mut rd, &mut batch, &hooks, event, email_enabled).await?;
    }
    drop(rd);
    let ids: Vec<OutboxEventId> = events.iter().map(|e| e.id).collect();
    store::finish_events(&mut batch, &ids, &core.node_id).await?;
    core.commit_batch(batch).await
}

/// Turns one event into notices and deliveries (the caller marks it done). If this node lost
/// the lease meanwhile, the other node's work and ours coincide: inserts are idempotent.
async fn expand_in(
    core: &Core,
    rd: &mut Conn,
    out: &mut Batch,
    hooks: &[yunwei_store::webhook::Webhook],
    event: &OutboxEvent,
    email_enabled: bool,
) -> Result<()> {
    crate::webhook::expand(core, out, hooks, event).await?;
    let kind: Option<EventType> = event.event_type.parse().ok();
    let mut to: Vec<UserId> = Vec::new();
    if let (Some(kind), Some(subject)) = (kind, event.subject_user_id)
        && kind.notifies_subject()
    {
        to.push(subject);
    }
    if kind.is_some_and(EventType::notifies_recipients)
        && let Some(list) = event.payload.get("recipients").and_then(serde_json::Value::as_array)
    {
        to.extend(list.iter().filter_map(serde_json::Value::as_i64).map(UserId));
    }
    to.sort();
    to.dedup();
    let Some(kind) = kind else { return Ok(()) };
    for user_id in to {
        notify_user(core, rd, out, event, kind, user_id, email_enabled).await?;
    }
    // People who are not users (a requester known only by address) get e-mail in the default language.
    if email_enabled
        && kind.notifies_recipients()
        && let Some(list) = event.payload.get("email_to").and_then(serde_json::Value::as_array)
    {
        for to in list {
            notify_address(core, rd, out, event, to).await?;
        }
    }
    Ok(())
}

async fn notify_address(core: &Core, rd: &mut Conn, out: &mut Batch, event: &OutboxEvent, to: &serde_json::Value) -> Result<()> {
    let Some(address) = to.get("address").and_then(serde_json::Value::as_str).filter(|a| !a.is_empty()) else { return Ok(()) };
    let name = to.get("name").and_then(serde_json::Value::as_str).filter(|n| !n.is_empty()).unwrap_or(address);
    let reader =
        Reader { username: address, display_name: name, locale: &core.config.default_locale, time_zone: &core.config.default_time_zone };
    let (subject, body) = render_for_reader(core, rd, event, &reader).await?;
    let d = NewDelivery {
        event_id: event.id,
        channel: Channel::Email.as_str().into(),
        user_id: None,
        address: address.to_string(),
        subject,
        body,
    };
    store::insert_delivery(out, &d, core.now_ms()).await?;
    Ok(())
}

/// The page an event is about: its own `payload.path` (a same-site path), else the record's page.
pub(crate) fn event_link(event: &OutboxEvent) -> String {
    if let Some(path) = event.payload.get("path").and_then(serde_json::Value::as_str)
        && path.starts_with('/')
        && !path.starts_with("//")
    {
        return path.to_string();
    }
    // The record's number as people know it (INC-000012), else its id (the pages take both).
    let number = event
        .payload
        .get("number")
        .and_then(serde_json::Value::as_str)
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let key = number.unwrap_or(&event.object_id);
    match event.object_type.as_str() {
        "incident" => format!("/incidents/{key}"),
        "service_request" => format!("/requests/{key}"),
        _ => "/notifications".to_string(),
    }
}

async fn notify_user(
    core: &Core,
    rd: &mut Conn,
    out: &mut Batch,
    event: &OutboxEvent,
    kind: EventType,
    user_id: UserId,
    email_enabled: bool,
) -> Result<()> {
    if let Some(user) = yunwei_store::admin::get_user(&mut *rd, user_id).await?
        && !user.disabled
    {
        let prefs = store::preferences(&mut *rd, user.id).await?;
        let wants = |ch: Channel| {
            kind.is_security_notice()
                || prefs.iter().find(|p| p.event_type == event.event_type && p.channel == ch.as_str()).is_none_or(|p| p.enabled)
        };
        let (subject_text, body) = render_for(core, rd, event, &user).await?;
        let link = event_link(event);
        let now = core.now_ms();
        if wants(Channel::InApp) {
            let notice = store::NewNotification {
                user: user.id,
                event: event.id,
                event_type: &event.event_type,
                title: &subject_text,
                body: &body,
                link: Some(&link),
            };
            store::insert_notification(out, &notice, now).await?;
        }
        if email_enabled
            && wants(Channel::Email)
            && let Some(address) = &user.email
        {
            let d = NewDelivery {
                event_id: event.id,
                channel: Channel::Email.as_str().into(),
                user_id: Some(user.id),
                address: address.clone(),
                subject: subject_text,
                body,
            };
            store::insert_delivery(out, &d, now).await?;
        }
    }
    Ok(())
}

/// Whom a notice is written for.
struct Reader<'a> {
    username: &'a str,
    display_name: &'a str,
    locale: &'a str,
    time_zone: &'a str,
}

async fn render_for(core: &Core, conn: &mut Conn, event: &OutboxEvent, user: &yunwei_store::admin::User) -> Result<(String, String)> {
    let reader = Reader { username: &user.username, display_name: &user.display_name, locale: &user.locale, time_zone: &user.time_zone };
    render_for_reader(core, conn, event, &reader).await
}

async fn render_for_reader(core: &Core, conn: &mut Conn, event: &OutboxEvent, user: &Reader<'_>) -> Result<(String, String)> {
    let locale = if LOCALES.contains(&user.locale) { user.locale } else { core.config.default_locale.as_str() };
    let stored = store::get_template(&mut *conn, &event.event_type, locale).await?;
    let fallback = crate::seed::default_template(&event.event_type, locale);
    let actor = match event.actor_id {
        Some(a) => yunwei_store::admin::get_user(&mut *conn, a).await?.map(|u| u.display_name).unwrap_or_default(),
        None => "system".into(),
    };
    let context = serde_json::json!({
        "user": { "username": user.username, "display_name": user.display_name },
        "actor": actor,
        "event": event.event_type,
        "time": crate::format_time(event.created_at, user.time_zone),
        "public_url": core.config.public_url,
        "payload": event.payload,
    });
    let attempt = |subject: &str, body: &str| Ok::<_, RenderError>((render(subject, &context)?, render(body, &context)?));
    let stored_result = stored.as_ref().map(|t| attempt(&t.subject, &t.body));
    match (stored_result, fallback) {
        (Some(Ok(done)), _) => Ok(done),
        (other, Some((s, b))) => {
            if let Some(Err(e)) = other {
                tracing::warn!(event = %event.event_type, locale, error = %e, "stored template failed; using the built-in one");
            }
            attempt(s, b).map_err(|e| CoreError::Internal(e.to_string()))
        }
        (Some(Err(e)), None) => Err(CoreError::Internal(e.to_string())),
        (None, None) => Ok((event.event_type.clone(), String::new())),
    }
}

/// Sends due e-mail deliveries. Returns how many it tried.
pub async fn deliver_email(core: &Core, mailer: &Mailer) -> Result<usize> {
    let now = core.now_ms();
    let due = store::claim_deliveries(&core.db, Channel::Email.as_str(), &core.node_id, now, now + LEASE_MS, 20).await?;
    for d in &due {
        let mail = OutgoingMail {
            to: d.address.clone(),
            subject: d.subject.clone(),
            body: d.body.clone(),
            // Mail about a ticket threads on the ticket (and replies find it again by References).
            thread_id: Some(
                yunwei_connect::mail_in::ticket_reference(&d.subject)
                    .map(|(prefix, n)| format!("{prefix}-{n:06}"))
                    .unwrap_or_else(|| format!("yunwei-event-{}", d.event_id)),
            ),
        };
        match mailer.send(&mail).await {
            Ok(()) => {
                store::finish_delivery(&core.db, d.id, &core.node_id, core.now_ms()).await?;
            }
            Err(e) => {
                let attempts = u32::try_from(d.attempts).unwrap_or(u32::MAX);
                let retry_at = (!e.is_permanent() && attempts < core.config.max_delivery_attempts)
                    .then(|| core.now_ms() + retry_delay_seconds(attempts) * 1000);
                tracing::warn!(delivery = d.id.0, attempts, error = %e, dead = retry_at.is_none(), "e-mail delivery failed");
                store::fail_delivery(&core.db, d.id, &core.node_id, &e.to_string(), retry_at).await?;
            }
        }
    }
    Ok(due.len())
}
