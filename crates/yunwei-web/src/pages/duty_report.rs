//! Parts of a schedule's page: coverage gaps and fairness (the roster report), and the
//! reader's calendar subscription (a secret feed URL, shown once when made).

use super::{Cell, Field, FormSection, Section, TableSection, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, CsrfForm};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::duty::feed;
use yunwei_core::duty::report::{self, ReportQuery};
use yunwei_domain::ids::DutyScheduleId;

fn table(caller: &Caller, keys: &[&str], rows: Vec<Vec<Cell>>) -> TableSection {
    TableSection { columns: keys.iter().map(|k| caller.tr.t(k)).collect(), rows, next: None }
}

fn hours(h: f64) -> String {
    format!("{h:.1}")
}

/// Gaps in the coming four weeks and each person's load around now.
pub(super) async fn report_sections(state: &AppState, caller: &Caller, id: DutyScheduleId) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let r = report::report(&state.core, &caller.ctx, id, ReportQuery::default()).await?;
    let mut out = vec![Section::Heading(tr.t("duty.report.gaps"))];
    if r.gaps.is_empty() {
        out.push(Section::Text(tr.with("duty.report.no_gaps", &[("n".into(), r.days.to_string())])));
    } else {
        let rows =
            r.gaps.iter().map(|g| vec![Cell::badge(time(g.starts_at, caller), "warn"), Cell::text(time(g.ends_at, caller))]).collect();
        out.push(Section::Text(tr.with("duty.report.gaps_help", &[("n".into(), r.days.to_string())])));
        out.push(Section::Table(table(caller, &["duty.from", "duty.to"], rows)));
    }
    out.push(Section::Heading(tr.t("duty.report.fairness")));
    out.push(Section::Text(tr.with("duty.report.fairness_help", &[("n".into(), r.days.to_string())])));
    let rows = r
        .fairness
        .iter()
        .map(|l| {
            vec![
                Cell::text(l.person.name.clone()),
                Cell::text(l.load.shifts.to_string()),
                Cell::text(hours(l.load.hours)),
                Cell::text(format!("{} / {}", l.load.weekend_shifts, hours(l.load.weekend_hours))),
                Cell::text(format!("{} / {}", l.load.holiday_shifts, hours(l.load.holiday_hours))),
            ]
        })
        .collect();
    let cols = ["duty.member", "duty.report.shifts", "duty.report.hours", "duty.report.weekend", "duty.report.holiday"];
    out.push(Section::Table(table(caller, &cols, rows)));
    Ok(out)
}

/// The subscription part: when the reader's secret was made, and the form to make a new one.
pub(super) async fn feed_sections(state: &AppState, caller: &Caller, id: DutyScheduleId) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let st = feed::state(&state.core, &caller.ctx).await?;
    let mut out = vec![Section::Heading(tr.t("duty.feed.heading")), Section::Text(tr.t("duty.feed.help"))];
    if st.created_at.is_none() {
        out.push(Section::Text(tr.t("duty.feed.none")));
    }
    let fields = vec![Field::new("hidden", "schedule_id", String::new(), id.0.to_string())];
    out.push(Section::Form(FormSection::post("duty-feed", "/duty/feed", tr.t("duty.feed.new"), fields)));
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedForm {
    schedule_id: Option<i64>,
}

/// Makes a new secret and shows the two URLs once, on a page of their own.
pub async fn new_feed(State(state): State<AppState>, caller: Caller, CsrfForm(f): CsrfForm<FeedForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let made = feed::new_secret(&state.core, &caller.ctx).await?;
    let base = state.core.config.public_url.trim_end_matches('/').to_string();
    let mut facts = vec![(tr.t("duty.feed.mine"), format!("{base}/api/v1/duty/feeds/{}/mine", made.secret))];
    if let Some(id) = f.schedule_id {
        facts.push((tr.t("duty.feed.this"), format!("{base}/api/v1/duty/feeds/{}/schedules/{id}", made.secret)));
    }
    let sections = vec![
        Section::Text(tr.with("duty.feed.made", &[("at".into(), time(made.created_at, &caller))])),
        Section::Facts(facts),
        Section::Text(tr.t("duty.feed.help")),
    ];
    let layout = super::Layout { title: tr.t("duty.feed.heading"), sections, ..super::Layout::default() };
    Ok(super::render(&state, &caller, super::duty::ACTIVE, layout, None, Vec::new()).await)
}
