//! The front door: a sender's POST, authenticated by its integration's token, read in its
//! wire format, and committed (group commit, ADR 0007) before the caller answers 2xx.
//! Repeats — Alertmanager re-posting the whole group, HA pairs posting twice — are found by
//! one read of the keys in the POST and write nothing.

use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, RequestMeta};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use yunwei_domain::alert::wire::{self, WireError};
use yunwei_domain::alert::{AlertSource, AlertStatus, Effect, FLAG_UNKNOWN_SEVERITY, Incoming, effect};
use yunwei_domain::event::EventType;
use yunwei_store::StoreError;
use yunwei_store::alert::{self as store, Alert, AlertEvent, AlertIntegration};

/// Why a POST was refused: the web edge answers 401, 400 or the core error's status.
#[derive(Debug)]
pub enum IngestError {
    /// No token, an unknown one, or an inactive integration's.
    Unauthorised,
    /// Not the format: the reason, for the sender's log.
    Malformed(String),
    Core(CoreError),
}

impl From<CoreError> for IngestError {
    fn from(e: CoreError) -> Self {
        IngestError::Core(e)
    }
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        IngestError::Core(e.into())
    }
}

impl From<WireError> for IngestError {
    fn from(e: WireError) -> Self {
        IngestError::Malformed(e.0)
    }
}

/// What one POST did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub received: usize,
    pub new: usize,
    pub changed: usize,
    pub repeats: usize,
    /// The key of the (last) alert: PagerDuty's answer carries it.
    pub dedup_key: Option<String>,
}

/// Tokens seen lately (5 s): a busy sender's POSTs read no integration row.
static TOKENS: OnceLock<Mutex<HashMap<String, (AlertIntegration, std::time::Instant)>>> = OnceLock::new();
const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(5);

fn tokens() -> std::sync::MutexGuard<'static, HashMap<String, (AlertIntegration, std::time::Instant)>> {
    TOKENS.get_or_init(Default::default).lock().unwrap_or_else(PoisonError::into_inner)
}

/// Forgets the cached tokens on this node (an integration changed); other nodes within 5 s.
pub(crate) fn forget_tokens() {
    tokens().clear();
}

async fn integration(core: &Core, token: &str) -> Result<AlertIntegration, IngestError> {
    let hash = crate::crypto::sha256_hex(token.trim());
    if let Some((i, at)) = tokens().get(&hash)
        && at.elapsed() < TOKEN_TTL
    {
        return Ok(i.clone());
    }
    let found = store::integration_by_token(&core.db.read, &hash).await?.filter(|i| i.active).ok_or(IngestError::Unauthorised)?;
    tokens().insert(hash, (found.clone(), std::time::Instant::now()));
    Ok(found)
}

/// Reads `body` as `source` says and records what changed. `token` is the header's or the
/// URL's; PagerDuty senders may put it in the body instead (`routing_key`, `service_key`).
pub async fn ingest(core: &Core, source: AlertSource, token: Option<&str>, body: &[u8]) -> Result<Outcome, IngestError> {
    let token = token.map(str::trim).filter(|t| !t.is_empty());
    let known_first = match token {
        Some(t) => Some(integration(core, t).await?),
        None => None,
    };
    let now = core.now_ms();
    let (alerts, acknowledge, body_token) = match source {
        AlertSource::Alertmanager => (wire::alertmanager_webhook(body, now)?, false, None),
        AlertSource::AlertmanagerApi => (wire::alertmanager_api(body, now)?, false, None),
        AlertSource::Generic => (wire::generic(body, now)?, false, None),
        AlertSource::PagerdutyV2 | AlertSource::PagerdutyV1 => {
            let e = if source == AlertSource::PagerdutyV2 { wire::pagerduty_v2(body, now)? } else { wire::pagerduty_v1(body, now)? };
            (vec![e.alert], e.acknowledge, e.routing_key)
        }
    };
    let integration = match (known_first, body_token) {
        (Some(i), _) => i,
        (None, Some(t)) => integration(core, &t).await?,
        (None, None) => return Err(IngestError::Unauthorised),
    };
    let mut outcome = Outcome { received: alerts.len(), dedup_key: alerts.last().map(|a| a.dedup_key.clone()), ..Outcome::default() };
    // The last word on a key in one POST wins.
    let mut latest: Vec<Incoming> = Vec::with_capacity(alerts.len());
    for a in alerts.into_iter().rev() {
        if !latest.iter().any(|l| l.dedup_key == a.dedup_key) {
            latest.push(a);
        }
    }
    latest.reverse();
    outcome.repeats = outcome.received - latest.len();
    // Two writers may insert one new key at once (HA pairs, two nodes): the loser reads again.
    let mut tries = 0;
    loop {
        match record(core, &integration, source, &latest, acknowledge, now).await {
            Ok((new, changed, repeats)) => {
                outcome.new = new;
                outcome.changed = changed;
                outcome.repeats += repeats;
                return Ok(outcome);
            }
            Err(CoreError::Store(e)) if tries < 3 && (e.is_unique_violation() || matches!(e, StoreError::StaleId)) => tries += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

async fn record(
    core: &Core,
    integration: &AlertIntegration,
    source: AlertSource,
    alerts: &[Incoming],
    acknowledge: bool,
    now: i64,
) -> crate::Result<(usize, usize, usize)> {
    let keys: Vec<&str> = alerts.iter().map(|a| a.dedup_key.as_str()).collect();
    let known = store::known(&core.db.read, integration.id, &keys).await?;
    let ctx = Ctx::anonymous(RequestMeta::default());
    let mut batch = core.db.batch();
    let (mut new, mut changed, mut repeats) = (0, 0, 0);
    for a in alerts {
        let (severity, unknown) = integration.severity_map.apply(a.source_severity.as_deref());
        let stored = known.get(&a.dedup_key);
        if acknowledge {
            // PagerDuty's `acknowledge`: of an alert not seen, or already acknowledged, nothing.
            match stored {
                Some((id, k, false)) => {
                    store::stage_acknowledge(&mut batch, *id, None, now).await?;
                    event(&mut batch, *id, now, "acknowledged", k.severity).await?;
                    emit(core, &mut batch, &ctx, Event::new(EventType::AlertAcknowledged, "alert", id)).await?;
                    changed += 1;
                }
                _ => repeats += 1,
            }
            continue;
        }
        let what = effect(stored.map(|s| s.1), a.status, severity, a.starts_at);
        if what == Effect::Repeat {
            repeats += 1;
            continue;
        }
        let mut flags: Vec<String> = wire::flags_of(a).into_iter().map(String::from).collect();
        if unknown {
            flags.push(FLAG_UNKNOWN_SEVERITY.into());
        }
        let mut row = Alert {
            id: stored.map(|s| s.0).unwrap_or_default(),
            integration_id: integration.id,
            dedup_key: a.dedup_key.clone(),
            source: source.as_str().into(),
            status: a.status,
            severity,
            source_severity: a.source_severity.clone(),
            title: a.title.chars().take(500).collect(),
            description: a.description.chars().take(10_000).collect(),
            labels: a.labels.clone(),
            annotations: a.annotations.clone(),
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            link: a.link.clone(),
            flags,
            raw: a.raw.clone(),
            acknowledged_by: None,
            acknowledged_at: None,
            ci_id: None,
            incident_id: None,
            first_seen_at: now,
            last_change_at: now,
            changes: 1,
            pending: true,
            pending_until: None,
            silenced_by: None,
        };
        if what == Effect::New {
            row.id = batch.reserve_id("alerts").await?;
            store::insert(&mut batch, &row).await?;
            new += 1;
        } else {
            // A resolved alert firing again is taken on anew.
            let refired = stored.is_some_and(|s| s.1.status == AlertStatus::Resolved) && a.status == AlertStatus::Firing;
            store::stage_change(&mut batch, &row, refired).await?;
            changed += 1;
        }
        event(&mut batch, row.id, now, a.status.as_str(), severity).await?;
        let kind = if a.status == AlertStatus::Firing { EventType::AlertFiring } else { EventType::AlertResolved };
        let payload = serde_json::json!({ "integration_id": integration.id, "severity": severity, "title": row.title });
        emit(core, &mut batch, &ctx, Event::new(kind, "alert", row.id).with(payload)).await?;
    }
    if new + changed > 0 {
        core.commit_batch(batch).await?;
    }
    Ok((new, changed, repeats))
}

async fn event(
    batch: &mut yunwei_store::Batch,
    alert: i64,
    at: i64,
    kind: &str,
    severity: yunwei_domain::alert::Severity,
) -> crate::Result<()> {
    let e = AlertEvent { id: 0, alert_id: alert, at, kind: kind.into(), severity, actor_id: None };
    Ok(store::add_event(batch, &e).await?)
}
