//! The emergency report (紧急事件处理结果报告) of a major incident, generated from
//! the record: who and what, the times of each phase and how long each took,
//! the war-room log, the stakeholder updates and the incident summary.

use super::major::{MajorView, major_view};
use crate::{Core, CoreError, Ctx, Result};
use serde::Serialize;
use yunwei_domain::ids::{IncidentId, ServiceId, UserId};
use yunwei_domain::incident::IncidentSummary;
use yunwei_domain::permission::Action;
use yunwei_store::major::{self as store, WarRoomEntry};

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceRef {
    pub id: ServiceId,
    pub name: String,
}

/// The moments of the response (unix milliseconds).
#[derive(Debug, Clone, Serialize)]
pub struct ReportTimes {
    pub occurred: Option<i64>,
    pub reported: i64,
    pub declared: i64,
    pub containment: Option<i64>,
    pub recovery: Option<i64>,
    pub restored: Option<i64>,
    pub resolved: Option<i64>,
    pub review: Option<i64>,
    pub closed: Option<i64>,
}

/// How long each stretch took, in seconds (absent until its end is reached).
#[derive(Debug, Clone, Serialize)]
pub struct ReportDurations {
    /// Reported → declared major.
    pub to_declare_secs: Option<i64>,
    /// Declared → containment.
    pub to_contain_secs: Option<i64>,
    /// Declared → recovery.
    pub to_recover_secs: Option<i64>,
    /// Occurred (or reported) → service restored: the outage.
    pub outage_secs: Option<i64>,
    /// Reported → resolved.
    pub to_resolve_secs: Option<i64>,
    /// Reported → incident closed.
    pub total_secs: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmergencyReport {
    pub number: String,
    pub title: String,
    pub priority: u8,
    pub state: yunwei_domain::incident::IncidentState,
    pub service: Option<ServiceRef>,
    pub ci_ref: Option<String>,
    pub reporter: Option<Person>,
    pub commander: Option<Person>,
    pub impact_scope: Option<String>,
    pub description: String,
    pub resolution_code: Option<String>,
    pub resolution: Option<String>,
    pub major_incident: MajorView,
    pub times: ReportTimes,
    pub durations: ReportDurations,
    /// The whole war-room log, oldest first.
    pub timeline: Vec<WarRoomEntry>,
    /// The stakeholder updates alone, oldest first.
    pub stakeholder_updates: Vec<WarRoomEntry>,
    /// Cause, handling, lessons and prevention (INC-6), once written.
    pub summary: Option<IncidentSummary>,
    pub generated_at: i64,
}

fn secs(from: Option<i64>, to: Option<i64>) -> Option<i64> {
    match (from, to) {
        (Some(a), Some(b)) if b >= a => Some((b - a) / 1000),
        _ => None,
    }
}

async fn person(core: &Core, id: Option<UserId>) -> Result<Option<Person>> {
    let Some(id) = id else { return Ok(None) };
    Ok(yunwei_store::admin::get_user(&core.db.read, id).await?.map(|u| Person { id, name: u.display_name }))
}

pub async fn emergency_report(core: &Core, ctx: &Ctx, id: IncidentId) -> Result<EmergencyReport> {
    // One snapshot: the incident, the response and its log as of one moment.
    let mut rd = core.db.snapshot().await?;
    let i = super::load_read(&mut rd, ctx, id, Action::Read).await?;
    let m = store::get(&mut *rd, id).await?.ok_or(CoreError::Conflict("incident_not_major"))?;
    // An internal document (actions, decisions, lessons): for those who work the response.
    if !super::major::works_the_response(ctx, &i, &m) {
        return Err(CoreError::Forbidden("incident:update".into()));
    }
    let timeline = store::entries(&mut *rd, id).await?;
    let stakeholder_updates = timeline.iter().filter(|e| e.kind == "stakeholder_update").cloned().collect();
    let service = match i.service_id {
        Some(s) => yunwei_store::service::get(&mut *rd, s).await?.map(|b| ServiceRef { id: s, name: b.name }),
        None => None,
    };
    rd.commit().await?;
    let reported = Some(i.created_at);
    let declared = Some(m.declared_at);
    let durations = ReportDurations {
        to_declare_secs: secs(reported, declared),
        to_contain_secs: secs(declared, m.containment_at),
        to_recover_secs: secs(declared, m.recovery_at),
        outage_secs: secs(i.occurred_at.or(reported), i.restored_at),
        to_resolve_secs: secs(reported, i.resolved_at),
        total_secs: secs(reported, i.closed_at),
    };
    let times = ReportTimes {
        occurred: i.occurred_at,
        reported: i.created_at,
        declared: m.declared_at,
        containment: m.containment_at,
        recovery: m.recovery_at,
        restored: i.restored_at,
        resolved: i.resolved_at,
        review: m.review_at,
        closed: i.closed_at,
    };
    Ok(EmergencyReport {
        number: yunwei_domain::incident::number(i.id.0),
        title: i.title,
        priority: i.priority.get(),
        state: i.state,
        service,
        ci_ref: i.ci_ref,
        reporter: person(core, i.reporter_id).await?,
        commander: person(core, m.commander_id).await?,
        impact_scope: i.impact_scope,
        description: i.description,
        resolution_code: i.resolution_code,
        resolution: i.resolution,
        major_incident: major_view(&m, core.now_ms())?,
        times,
        durations,
        timeline,
        stakeholder_updates,
        summary: i.summary,
        generated_at: core.now_ms(),
    })
}
