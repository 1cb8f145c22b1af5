//! What happens because an alert changed, after the sender has its 2xx: silences, the
//! incident opened above the integration's threshold (and resolved again when all its alerts
//! have), and the hand-off to whoever is on call. Driven by the `pending` mark the ingest
//! writes in the same commit as the change, so a crash in between loses nothing; each alert
//! is leased so that two nodes never open two incidents for it.
//!
//! Where the other processes plug in (one function each):
//! - [`silenced_by_change`]: approved change windows silence their CIs (change process);
//! - [`hand_to_escalation`]: a routed alert's incident goes to an escalation policy (duty).

use crate::incident::{self, NewIncident, TransitionInput};
use crate::{Core, Ctx, Result};
use std::time::Duration;
use yunwei_domain::alert::{AlertStatus, incident_levels, silences};
use yunwei_domain::ids::{IncidentId, TeamId};
use yunwei_domain::incident::{Channel, IncidentState, Transition};
use yunwei_store::alert::{self as store, Alert, AlertIntegration};

const LEASE_MS: i64 = 60_000;

/// Processes pending alerts until `shutdown` turns true.
pub async fn run_processor(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let busy = match process_pending(&core).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "alert processing round failed");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = shutdown.changed() => {}
            }
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// One round: every pending alert this node can lease. Returns how many it processed.
pub async fn process_pending(core: &Core) -> Result<usize> {
    let now = core.now_ms();
    let ids = store::pending(&core.db.read, now, 100).await?;
    let mut done = 0;
    for id in ids {
        if !store::lease(&mut *core.db.writer().await?, id, now, now + LEASE_MS).await? {
            continue;
        }
        let Some(alert) = store::get(&core.db.read, id).await? else { continue };
        if let Err(e) = process(core, &alert).await {
            // Left pending: the lease ends and the next round tries again.
            tracing::warn!(alert = id, error = %e, "alert not processed; retried when its lease ends");
            continue;
        }
        store::processed(&mut *core.db.writer().await?, id, alert.changes).await?;
        done += 1;
    }
    Ok(done)
}

async fn process(core: &Core, a: &Alert) -> Result<()> {
    let Some(integration) = store::get_integration(&core.db.read, a.integration_id).await? else { return Ok(()) };
    match a.status {
        AlertStatus::Firing => fired(core, a, &integration).await,
        AlertStatus::Resolved => resolved(core, a, &integration).await,
    }
}

async fn fired(core: &Core, a: &Alert, integration: &AlertIntegration) -> Result<()> {
    let opens = integration.incident_severity.is_some_and(|least| a.severity <= least);
    if !opens || silenced(core, a, core.now_ms()).await? {
        return Ok(());
    }
    let ctx = Ctx::system();
    // Firing again after its incident was resolved: the same incident, reopened.
    if let Some(id) = a.incident_id {
        let current = incident::get(core, &ctx, IncidentId(id)).await?;
        if current.incident.state.is_open() {
            return Ok(());
        }
        let input = TransitionInput { comment: Some(format!("告警再次触发：{}", a.title)), ..TransitionInput::default() };
        if incident::transition(core, &ctx, IncidentId(id), Transition::Reopen, input).await.is_ok() {
            return Ok(());
        }
    }
    let team = route(core, a, integration).await?;
    let (impact, urgency) = incident_levels(a.severity);
    let input: NewIncident = serde_json::from_value(serde_json::json!({
        "title": a.title.chars().take(200).collect::<String>(),
        "description": details(a, integration),
        "impact": impact,
        "urgency": urgency,
        "channel": Channel::Monitoring,
        "team_id": team.map(|t| t.0),
        "occurred_at": a.starts_at,
    }))
    .map_err(|e| crate::CoreError::Internal(format!("incident from alert: {e}")))?;
    let created = incident::create(core, &ctx, input).await?;
    store::link_incident(&mut *core.db.writer().await?, a.id, Some(created.id.0), None).await?;
    hand_to_escalation(core, a, created.id, team).await
}

async fn resolved(core: &Core, a: &Alert, integration: &AlertIntegration) -> Result<()> {
    let Some(id) = a.incident_id.filter(|_| integration.auto_resolve) else { return Ok(()) };
    if store::firing_for_incident(&core.db.read, id).await? > 0 {
        return Ok(());
    }
    let ctx = Ctx::system();
    let current = incident::get(core, &ctx, IncidentId(id)).await?;
    if !current.incident.state.is_open() || current.incident.state == IncidentState::Resolved {
        return Ok(());
    }
    let settings = incident::desk_settings(core).await?;
    let code = settings.resolution_codes.iter().find(|c| *c == "fixed").or(settings.resolution_codes.first()).cloned();
    let input = TransitionInput {
        resolution_code: code,
        resolution: Some(format!("关联告警已全部恢复（最后恢复：{}）。", a.title)),
        restored_at: None,
        ..TransitionInput::default()
    };
    incident::transition(core, &ctx, IncidentId(id), Transition::Resolve, input).await.map(drop)
}

/// The incident's description: what the sender said, its labels and where to look.
fn details(a: &Alert, integration: &AlertIntegration) -> String {
    let mut text = String::new();
    if !a.description.is_empty() {
        text.push_str(&a.description);
        text.push_str("\n\n");
    }
    text.push_str(&format!("告警接入：{}\n", integration.name));
    for (k, v) in &a.labels {
        text.push_str(&format!("{k} = {v}\n"));
    }
    if let Some(link) = &a.link {
        text.push_str(link);
        text.push('\n');
    }
    text
}

/// The team an alert's incident goes to: the integration's, for now.
async fn route(_core: &Core, _a: &Alert, integration: &AlertIntegration) -> Result<Option<TeamId>> {
    Ok(integration.team_id.map(TeamId))
}

/// Whether a silence holds the alert at `at`: one set by hand, or an approved change window.
pub async fn silenced(core: &Core, a: &Alert, at: i64) -> Result<bool> {
    let by_hand = store::silences_after(&core.db.read, at).await?;
    if by_hand.iter().any(|s| silences(&s.matchers, s.starts_at, s.ends_at, &a.labels, at)) {
        return Ok(true);
    }
    silenced_by_change(core, a.ci_id, at).await
}

/// PLUG-IN (change process): whether an approved change window is active for the CI at `at`
/// (`yunwei_core::change`). Until the change process lands, no CI is under a change.
pub async fn silenced_by_change(_core: &Core, ci: Option<i64>, _at: i64) -> Result<bool> {
    let _ = ci;
    Ok(false)
}

/// PLUG-IN (duty): hands the incident opened for a routed alert to the team's escalation
/// policy. Until on-call lands, the incident's own notification (its team, through the
/// notification outbox) is the page.
pub async fn hand_to_escalation(_core: &Core, _a: &Alert, _incident: IncidentId, _team: Option<TeamId>) -> Result<()> {
    Ok(())
}
