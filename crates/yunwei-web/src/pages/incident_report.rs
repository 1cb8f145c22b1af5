//! The printable emergency report (紧急事件处理结果报告) of a major incident,
//! in the reader's language; the print style leaves out the navigation.

use super::desk::{duration, opt_text};
use super::incident_major::{person_or_dash, timeline};
use super::{Shell, TimelineEntry, html, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::incident::{self, EmergencyReport};

#[derive(Template)]
#[template(path = "emergency_report.html")]
pub struct ReportTemplate {
    pub shell: Shell,
    pub title: String,
    pub r: EmergencyReport,
    pub generated: String,
    pub overview: Vec<(String, String)>,
    pub times: Vec<(String, String)>,
    pub durations: Vec<(String, String)>,
    pub impact: String,
    pub timeline: Vec<TimelineEntry>,
    pub updates: Vec<TimelineEntry>,
    pub summary: Vec<(String, String)>,
}

pub async fn page(State(state): State<AppState>, caller: Caller, ApiPath(number): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let id = crate::api::incident::incident_id(&number)?;
    let r = incident::emergency_report(&state.core, &caller.ctx, id).await?;
    let settings = incident::desk_settings(&state.core).await?;
    let priority =
        yunwei_domain::incident::Priority::new(r.priority).map(|p| settings.label(p, tr.is_zh()).to_string()).unwrap_or_default();
    let at = |t: Option<i64>| t.map(|t| time(t, &caller)).unwrap_or_else(|| "—".into());
    let overview = vec![
        (tr.t("field.number"), r.number.clone()),
        (tr.t("field.title"), r.title.clone()),
        (tr.t("field.priority"), priority),
        (tr.t("field.state"), tr.t(&format!("incident.state.{}", r.state))),
        (tr.t("field.service"), r.service.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "—".into())),
        (tr.t("field.ci_ref"), opt_text(&r.ci_ref)),
        (tr.t("field.reporter"), person_or_dash(&r.reporter)),
        (tr.t("field.commander"), person_or_dash(&r.commander)),
        (tr.t("major.report.phase"), super::incident_major::phase_label(tr, r.major_incident.phase)),
        (
            tr.t("field.resolution_code"),
            r.resolution_code.as_deref().map(|c| super::desk::resolution_label(tr, &settings, c)).unwrap_or_else(|| "—".into()),
        ),
        (tr.t("incident.resolution"), opt_text(&r.resolution)),
    ];
    let t = &r.times;
    let times = vec![
        (tr.t("field.occurred_at"), at(t.occurred)),
        (tr.t("major.report.reported"), at(Some(t.reported))),
        (tr.t("major.report.declared"), at(Some(t.declared))),
        (tr.t("major_incident.state.containment"), at(t.containment)),
        (tr.t("major_incident.state.recovery"), at(t.recovery)),
        (tr.t("field.restored_at"), at(t.restored)),
        (tr.t("incident.state.resolved"), at(t.resolved)),
        (tr.t("major_incident.state.review"), at(t.review)),
        (tr.t("incident.state.closed"), at(t.closed)),
    ];
    let span = |s: Option<i64>| s.map(|s| duration(tr, s)).unwrap_or_else(|| "—".into());
    let d = &r.durations;
    let durations = vec![
        (tr.t("major.report.to_declare"), span(d.to_declare_secs)),
        (tr.t("major.report.to_contain"), span(d.to_contain_secs)),
        (tr.t("major.report.to_recover"), span(d.to_recover_secs)),
        (tr.t("major.report.outage"), span(d.outage_secs)),
        (tr.t("major.report.to_resolve"), span(d.to_resolve_secs)),
        (tr.t("major.report.total"), span(d.total_secs)),
    ];
    let summary = r
        .summary
        .as_ref()
        .map(|s| {
            vec![
                (tr.t("field.summary.cause"), s.cause.clone()),
                (tr.t("field.summary.handling"), s.handling.clone()),
                (tr.t("field.summary.lessons"), s.lessons.clone()),
                (tr.t("field.summary.prevention"), s.prevention.clone()),
            ]
        })
        .unwrap_or_default();
    let template = ReportTemplate {
        shell: Shell::new(&state, &caller, super::incident::ACTIVE).await,
        title: format!("{} {}", r.number, tr.t("major.report.title")),
        generated: tr.with("major.report.generated", &[("time".into(), time(r.generated_at, &caller))]),
        overview,
        times,
        durations,
        impact: opt_text(&r.impact_scope),
        timeline: timeline(tr, &caller, &r.timeline),
        updates: timeline(tr, &caller, &r.stakeholder_updates),
        summary,
        r,
    };
    Ok(html(&template))
}
