//! Monitoring alerts (issue 12): integrations (senders with their own token and severity
//! mapping), the front door (`ingest`), and the alerts as people read and acknowledge them.
//! Alerts are light records, not tickets of the kernel (ADR 0023): an incident is opened
//! for the ones that need a person.

pub mod ingest;
pub mod process;
pub mod silence;

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::alert::{Severity, SeverityMap};
use yunwei_domain::event::EventType;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::alert::{self as store, Alert, AlertEvent, AlertFilter, AlertIntegration};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewIntegration {
    pub name: String,
    #[serde(default)]
    pub severity_map: SeverityMap,
    pub team_id: Option<i64>,
    /// The least severe severity that opens an incident; absent: none is opened.
    pub incident_severity: Option<Severity>,
    #[serde(default = "yes")]
    pub auto_resolve: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// Flapping: this many state changes (0: off) …
    #[serde(default = "flap_changes")]
    pub flap_changes: i64,
    /// … within this many minutes.
    #[serde(default = "flap_minutes")]
    pub flap_minutes: i64,
}

fn yes() -> bool {
    true
}

fn flap_changes() -> i64 {
    6
}

fn flap_minutes() -> i64 {
    30
}

fn check_flapping(c: &mut Checker, changes: i64, minutes: i64) {
    if !(0..=100).contains(&changes) {
        c.push(FieldError::new("flap_changes", "out_of_range").with("min", 0).with("max", 100));
    }
    if !(1..=1440).contains(&minutes) {
        c.push(FieldError::new("flap_minutes", "out_of_range").with("min", 1).with("max", 1440));
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationPatch {
    pub name: Option<String>,
    pub severity_map: Option<SeverityMap>,
    /// `null` clears the team.
    #[serde(default, with = "double_option")]
    pub team_id: Option<Option<i64>>,
    /// `null`: no incidents are opened.
    #[serde(default, with = "double_option")]
    pub incident_severity: Option<Option<Severity>>,
    pub auto_resolve: Option<bool>,
    pub active: Option<bool>,
    pub flap_changes: Option<i64>,
    pub flap_minutes: Option<i64>,
}

/// A field that may be absent (keep), `null` (clear) or a value.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
    pub fn serialize<S: Serializer, T: Serialize>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
}

/// An integration with its token: the answer to create and rotate, the only times it is shown.
#[derive(Debug, Clone, Serialize)]
pub struct WithToken {
    #[serde(flatten)]
    pub integration: AlertIntegration,
    pub token: String,
}

fn new_token() -> Result<(String, String, String)> {
    let token = format!("ywa_{}", crate::crypto::random_secret::<24>()?);
    let hint: String = token.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    Ok((crate::crypto::sha256_hex(&token), hint, token))
}

async fn check(core: &Core, c: &mut Checker, name: &str, team: Option<i64>) -> Result<String> {
    let name = c.name("name", name, 100);
    if let Some(t) = team
        && yunwei_store::admin::get_team(&core.db.read, yunwei_domain::ids::TeamId(t)).await?.is_none()
    {
        c.push(FieldError::new("team_id", "not_found"));
    }
    Ok(name)
}

pub async fn list_integrations(core: &Core, ctx: &Ctx) -> Result<Vec<AlertIntegration>> {
    ctx.authorize(ObjectType::AlertIntegration, Action::Read)?;
    Ok(store::list_integrations(&core.db.read).await?)
}

pub async fn get_integration(core: &Core, ctx: &Ctx, id: i64) -> Result<AlertIntegration> {
    ctx.authorize(ObjectType::AlertIntegration, Action::Read)?;
    store::get_integration(&core.db.read, id).await?.ok_or(CoreError::NotFound("alert_integration"))
}

pub async fn create_integration(core: &Core, ctx: &Ctx, input: NewIntegration) -> Result<WithToken> {
    let (actor, _) = ctx.authorize(ObjectType::AlertIntegration, Action::Create)?;
    let actor_id = Some(actor.user_id.0).filter(|a| *a > 0);
    let mut c = Checker::new();
    let name = check(core, &mut c, &input.name, input.team_id).await?;
    check_flapping(&mut c, input.flap_changes, input.flap_minutes);
    c.finish()?;
    let (token_hash, token_hint, token) = new_token()?;
    let now = core.now_ms();
    let mut i = AlertIntegration {
        id: 0,
        name,
        token_hash,
        token_hint,
        severity_map: input.severity_map,
        team_id: input.team_id,
        incident_severity: input.incident_severity,
        auto_resolve: input.auto_resolve,
        active: input.active,
        flap_changes: input.flap_changes,
        flap_minutes: input.flap_minutes,
        created_by: actor_id,
        created_at: now,
        updated_by: actor_id,
        updated_at: now,
        version: 1,
    };
    let mut tx = core.db.begin().await?;
    i.id = store::insert_integration(&mut tx, &i).await.map_err(CoreError::unique_as("alert_integration_name_taken"))?;
    audit::write(core, &mut tx, ctx, Change::new("alert_integration", i.id, "create").after(&i)).await?;
    core.commit(tx).await?;
    Ok(WithToken { integration: i, token })
}

pub async fn patch_integration(core: &Core, ctx: &Ctx, id: i64, input: IntegrationPatch) -> Result<AlertIntegration> {
    let (actor, _) = ctx.authorize(ObjectType::AlertIntegration, Action::Update)?;
    let actor_id = Some(actor.user_id.0).filter(|a| *a > 0);
    let before = store::get_integration(&core.db.read, id).await?.ok_or(CoreError::NotFound("alert_integration"))?;
    let team_id = input.team_id.unwrap_or(before.team_id);
    let mut c = Checker::new();
    let name = check(core, &mut c, input.name.as_deref().unwrap_or(&before.name), team_id).await?;
    let (flap_changes, flap_minutes) =
        (input.flap_changes.unwrap_or(before.flap_changes), input.flap_minutes.unwrap_or(before.flap_minutes));
    check_flapping(&mut c, flap_changes, flap_minutes);
    c.finish()?;
    let after = AlertIntegration {
        name,
        severity_map: input.severity_map.unwrap_or_else(|| before.severity_map.clone()),
        team_id,
        incident_severity: input.incident_severity.unwrap_or(before.incident_severity),
        auto_resolve: input.auto_resolve.unwrap_or(before.auto_resolve),
        active: input.active.unwrap_or(before.active),
        flap_changes,
        flap_minutes,
        updated_by: actor_id,
        updated_at: core.now_ms(),
        version: before.version + 1,
        ..before.clone()
    };
    save(core, ctx, &before, &after, "update").await?;
    Ok(after)
}

async fn save(core: &Core, ctx: &Ctx, before: &AlertIntegration, after: &AlertIntegration, action: &str) -> Result<()> {
    let mut tx = core.db.begin().await?;
    store::update_integration(&mut tx, after).await.map_err(CoreError::unique_as("alert_integration_name_taken"))?;
    // The audit entry says the token changed, never its hash (`token_hash` is not serialised).
    audit::write(core, &mut tx, ctx, Change::new("alert_integration", after.id, action).before(before).after(after)).await?;
    core.commit(tx).await?;
    ingest::forget_tokens();
    Ok(())
}

/// A new token; the old one is refused from now on.
pub async fn rotate_token(core: &Core, ctx: &Ctx, id: i64) -> Result<WithToken> {
    let (actor, _) = ctx.authorize(ObjectType::AlertIntegration, Action::Update)?;
    let before = store::get_integration(&core.db.read, id).await?.ok_or(CoreError::NotFound("alert_integration"))?;
    let (token_hash, token_hint, token) = new_token()?;
    let after = AlertIntegration {
        token_hash,
        token_hint,
        updated_by: Some(actor.user_id.0).filter(|a| *a > 0),
        updated_at: core.now_ms(),
        version: before.version + 1,
        ..before.clone()
    };
    save(core, ctx, &before, &after, "rotate_token").await?;
    Ok(WithToken { integration: after, token })
}

/// Deletes the integration and its alerts.
pub async fn delete_integration(core: &Core, ctx: &Ctx, id: i64) -> Result<()> {
    ctx.authorize(ObjectType::AlertIntegration, Action::Delete)?;
    let mut tx = core.db.begin().await?;
    let before = store::get_integration(&mut *tx, id).await?.ok_or(CoreError::NotFound("alert_integration"))?;
    store::delete_integration(&mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("alert_integration", id, "delete").before(&before)).await?;
    core.commit(tx).await?;
    ingest::forget_tokens();
    Ok(())
}

/// The alert list's filters, as the API takes them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub integration_id: Option<i64>,
    pub limit: Option<i64>,
}

pub async fn list(core: &Core, ctx: &Ctx, q: AlertQuery) -> Result<Vec<Alert>> {
    ctx.authorize(ObjectType::Alert, Action::Read)?;
    let mut errors = Vec::new();
    let status = q.status.as_deref().map(|s| s.parse()).transpose().unwrap_or_else(|()| {
        errors.push(FieldError::new("status", "not_allowed_value").with("allowed", "firing, resolved"));
        None
    });
    let severity = q.severity.as_deref().map(|s| s.parse()).transpose().unwrap_or_else(|()| {
        errors.push(FieldError::new("severity", "not_allowed_value").with("allowed", "critical, major, minor, warning, info"));
        None
    });
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        errors.push(FieldError::new("limit", "out_of_range").with("min", 1).with("max", 500));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors).into());
    }
    let f = AlertFilter { status, severity, integration_id: q.integration_id, limit };
    Ok(store::list(&core.db.read, &f).await?)
}

/// One alert with its state history, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: Alert,
    /// `INC-000123` of the linked incident.
    pub incident_number: Option<String>,
    pub history: Vec<AlertEvent>,
}

pub async fn get(core: &Core, ctx: &Ctx, id: i64) -> Result<AlertDetail> {
    ctx.authorize(ObjectType::Alert, Action::Read)?;
    let alert = store::get(&core.db.read, id).await?.ok_or(CoreError::NotFound("alert"))?;
    let history = store::events(&core.db.read, id).await?;
    let incident_number = alert.incident_id.map(|i| yunwei_domain::ticket::INCIDENT.number(i));
    Ok(AlertDetail { alert, incident_number, history })
}

/// A person takes the alert on; the first acknowledgement counts, later ones change nothing.
pub async fn acknowledge(core: &Core, ctx: &Ctx, id: i64) -> Result<AlertDetail> {
    let (actor, _) = ctx.authorize(ObjectType::Alert, Action::Update)?;
    let by = Some(actor.user_id.0).filter(|a| *a > 0);
    let alert = store::get(&core.db.read, id).await?.ok_or(CoreError::NotFound("alert"))?;
    if alert.acknowledged_at.is_none() {
        let now = core.now_ms();
        let mut batch = core.db.batch();
        store::stage_acknowledge(&mut batch, id, by, now).await?;
        let e = AlertEvent { id: 0, alert_id: id, at: now, kind: "acknowledged".into(), severity: alert.severity, actor_id: by };
        store::add_event(&mut batch, &e).await?;
        audit::write(core, &mut batch, ctx, Change::new("alert", id, "acknowledge")).await?;
        emit(core, &mut batch, ctx, Event::new(EventType::AlertAcknowledged, "alert", id)).await?;
        core.commit_batch(batch).await?;
    }
    get(core, ctx, id).await
}
