//! What happens because an alert changed, after the sender has its 2xx: silences, the
//! incident opened above the integration's threshold (and resolved again when all its alerts
//! have), and the hand-off to whoever is on call. Driven by the `pending` mark the ingest
//! writes in the same commit as the change, so a crash in between loses nothing; each alert
//! is leased so that two nodes never open two incidents for it.
//!
//! Where the other processes plug in (one function each):
//! - [`silenced_by_change`]: approved change windows silence their CIs (change process);
//! - [`hand_to_escalation`]: a routed alert's incident goes to an escalation policy.
//!
//! A silenced alert is recorded with what holds it (`silenced_by`) and stays pending until
//! the silence or change window ends; still firing then, it opens its incident.

use crate::incident::{self, NewIncident, TransitionInput};
use crate::{Core, Ctx, Result};
use std::time::Duration;
use yunwei_domain::alert::{AlertStatus, Severity, incident_levels, is_flapping, silences};
use yunwei_domain::ids::{CiId, IncidentId, TeamId};
use yunwei_domain::incident::{Channel, IncidentState, Transition};
use yunwei_store::alert::{self as store, Alert, AlertIntegration};
use yunwei_store::escalation as store_esc;

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
    let a = &with_ci(core, a).await?;
    let now = core.now_ms();
    let held = match silenced_why(core, a, now).await? {
        Some(why) => Some(why),
        None => flapping(core, a, integration, now).await?,
    };
    if held != a.silenced_by {
        store_esc::set_silenced_by(&mut *core.db.writer().await?, a.id, held.as_ref()).await?;
    }
    if let Some(why) = held {
        // Looked at again when the silence ends: still firing then, it opens its incident.
        if let Some(until) = why.get("until").and_then(serde_json::Value::as_i64) {
            let key = format!("alert.recheck:{}:{until}", a.id);
            let payload = serde_json::json!({ "id": a.id });
            let mut conn = core.db.writer().await?;
            yunwei_store::jobs::schedule(&mut conn, "alert.recheck", Some(&key), &payload, until + 1, None, now).await?;
        }
        return Ok(());
    }
    let routed = route(core, a, integration).await?;
    let severity = routed.severity.unwrap_or(a.severity);
    let opens = integration.incident_severity.is_some_and(|least| severity <= least);
    if !opens {
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
    let team = routed.team;
    let (impact, urgency) = incident_levels(severity);
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
    hand_to_escalation(core, a, created.id, team, routed.policy).await
}

async fn resolved(core: &Core, a: &Alert, integration: &AlertIntegration) -> Result<()> {
    if a.silenced_by.is_some() {
        store_esc::set_silenced_by(&mut *core.db.writer().await?, a.id, None).await?;
    }
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

/// Where an alert's incident goes: the first routing rule that matches, else the
/// integration's team (and that team's policy).
#[derive(Debug, Default)]
struct Routed {
    team: Option<TeamId>,
    policy: Option<i64>,
    severity: Option<Severity>,
}

async fn route(core: &Core, a: &Alert, integration: &AlertIntegration) -> Result<Routed> {
    let routes = store_esc::routes(&core.db.read).await?;
    Ok(match crate::escalation::routes::first_match(&routes, &a.labels) {
        Some(r) => Routed { team: r.team_id.or(integration.team_id).map(TeamId), policy: r.policy_id, severity: r.severity },
        None => Routed { team: integration.team_id.map(TeamId), ..Routed::default() },
    })
}

/// The scheduler's `alert.recheck` job: a silence holding the alert has ended.
pub async fn recheck(core: &Core, id: i64) -> Result<()> {
    store_esc::recheck(&mut *core.db.writer().await?, id).await.map_err(Into::into)
}

/// The alert with its CI: mapped once, by the CI named in its `ci`, `hostname`, `host` or
/// `instance` label (the instance without its port). Label rules by IP come later.
async fn with_ci(core: &Core, a: &Alert) -> Result<Alert> {
    if a.ci_id.is_some() {
        return Ok(a.clone());
    }
    let names: Vec<String> = ["ci", "hostname", "host", "instance"]
        .iter()
        .filter_map(|k| a.labels.get(*k))
        .map(|v| if v.contains('[') { v.clone() } else { v.rsplit_once(':').map_or(v.as_str(), |(h, _)| h).to_string() })
        .collect();
    for name in names {
        if let Some(ci) = yunwei_store::cmdb::ci::id_by_name(&core.db.read, &name).await? {
            store::link_incident(&mut *core.db.writer().await?, a.id, a.incident_id, Some(ci)).await?;
            return Ok(Alert { ci_id: Some(ci), ..a.clone() });
        }
    }
    Ok(a.clone())
}

/// Whether a silence holds the alert at `at`: one set by hand, or an approved change window.
pub async fn silenced(core: &Core, a: &Alert, at: i64) -> Result<bool> {
    Ok(silenced_why(core, a, at).await?.is_some())
}

/// Whether the alert flaps: its integration's number of state changes within its minutes.
/// Held until the window has passed its latest change.
async fn flapping(core: &Core, a: &Alert, integration: &AlertIntegration, at: i64) -> Result<Option<serde_json::Value>> {
    let (n, minutes) = (u32::try_from(integration.flap_changes).unwrap_or(0), u32::try_from(integration.flap_minutes).unwrap_or(0));
    if n == 0 {
        return Ok(None);
    }
    let times = store_esc::changes_since(&core.db.read, a.id, at - i64::from(minutes) * 60_000).await?;
    if !is_flapping(&times, at, n, minutes) {
        return Ok(None);
    }
    let last = times.last().copied().unwrap_or(at);
    Ok(Some(
        serde_json::json!({ "kind": "flapping", "changes": times.len(), "minutes": minutes, "until": last + i64::from(minutes) * 60_000 }),
    ))
}

/// What holds the alert at `at`, as recorded on it (`silenced_by`): a silence set by hand or
/// an approved change window in progress on its CI, with when it ends.
async fn silenced_why(core: &Core, a: &Alert, at: i64) -> Result<Option<serde_json::Value>> {
    let by_hand = store::silences_after(&core.db.read, at).await?;
    if let Some(s) = by_hand.iter().find(|s| silences(&s.matchers, s.starts_at, s.ends_at, &a.labels, at)) {
        return Ok(Some(serde_json::json!({ "kind": "silence", "id": s.id, "until": s.ends_at, "comment": s.comment })));
    }
    let windows = change_windows(core, a.ci_id, at).await?;
    Ok(windows.first().map(
        |w| serde_json::json!({ "kind": "change", "change_id": w.change_id, "number": w.number, "title": w.title, "until": w.window_end }),
    ))
}

/// Whether an approved change window is in progress for the CI at `at` (change process).
pub async fn silenced_by_change(core: &Core, ci: Option<i64>, at: i64) -> Result<bool> {
    Ok(!change_windows(core, ci, at).await?.is_empty())
}

/// The approved change windows holding the CI at `at`. The alert process acts for the
/// system: no caller's rights apply, so it asks with the system context.
async fn change_windows(core: &Core, ci: Option<i64>, at: i64) -> Result<Vec<crate::change::ActiveWindow>> {
    let Some(ci) = ci else { return Ok(Vec::new()) };
    match crate::change::active_windows(core, &Ctx::system(), CiId(ci), at).await {
        Ok(w) => Ok(w),
        // The CI was deleted since the alert was mapped: nothing holds it.
        Err(crate::CoreError::NotFound(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Hands the incident opened for a routed alert to its escalation policy: the route's, else
/// the team's. Without one, the incident's own notification (its team) is the page.
pub async fn hand_to_escalation(core: &Core, a: &Alert, incident: IncidentId, team: Option<TeamId>, policy: Option<i64>) -> Result<()> {
    let chosen = match (policy, team) {
        (Some(p), _) => store_esc::policy(&core.db.read, p).await?,
        (None, Some(t)) => store_esc::policy_of_team(&core.db.read, t.0).await?,
        (None, None) => None,
    };
    match chosen {
        Some(p) => crate::escalation::engine::start(core, incident, &p, Some(a.id)).await,
        None => Ok(()),
    }
}
