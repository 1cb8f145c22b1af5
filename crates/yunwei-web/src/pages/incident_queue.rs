//! Tools of the incident queue page: bulk assign and transition of the ticked
//! rows, saved views, and export links.

use super::desk::Names;
use super::saved_views::ViewForm;
use super::{Cell, Field, FormSection, Layout, Section, TableSection, render, safe_next};
use crate::AppState;
use crate::api::queue_tools::bulk_result;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller, CsrfForm};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::incident::{BulkAction, BulkInput};
use yunwei_domain::ids::{IncidentId, TeamId};
use yunwei_domain::incident::Transition;
use yunwei_domain::permission::{Action, ObjectType};

/// The bulk form: the ticked rows (`ids`, checkboxes in the table) and what to do with them.
#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    ids: Vec<IncidentId>,
    action: BulkAction,
    team_id: Option<TeamId>,
    transition: Option<String>,
    resolution_code: Option<String>,
    resolution: Option<String>,
    note: Option<String>,
    #[serde(default)]
    back: String,
}

/// The sections the queue page adds above and below its table. `query` is the page's
/// filter query string, which a saved view keeps and the export links carry.
pub async fn sections(state: &AppState, caller: &Caller, names: &Names, query: &str) -> (Vec<Section>, Vec<Section>) {
    let tr = caller.tr;
    let Some(me) = caller.ctx.actor.as_ref() else { return (Vec::new(), Vec::new()) };
    let mut above = super::saved_views::sections(state, caller, &super::saved_views::INCIDENTS, query).await;
    if me.permissions.allows(ObjectType::Incident, Action::Export) {
        above.push(Section::Links(vec![
            (format!("/api/v1/incidents/export/csv?{query}"), tr.t("incident.export_csv")),
            (format!("/api/v1/incidents/export/xlsx?{query}"), tr.t("incident.export_xlsx")),
        ]));
    }
    let mut below = Vec::new();
    if may_bulk(&me.permissions) {
        let mut actions = Vec::new();
        if me.permissions.allows(ObjectType::Incident, Action::Assign) {
            actions.push(("assign".to_string(), tr.t("incident.bulk.assign")));
        }
        if me.permissions.allows(ObjectType::Incident, Action::Transition) {
            actions.push(("transition".to_string(), tr.t("incident.bulk.transition")));
        }
        let first = actions[0].0.clone();
        let mut teams = vec![(String::new(), "—".to_string())];
        teams.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
        // Chosen from the list, never typed: people know the labels, not the codes.
        let settings = yunwei_core::incident::desk_settings(&state.core).await.unwrap_or_default();
        let mut codes = vec![(String::new(), "—".to_string())];
        codes.extend(super::desk::resolution_options(tr, &settings));
        let mut transitions = vec![(String::new(), "—".to_string())];
        transitions.extend(
            [Transition::Start, Transition::Resolve, Transition::Close]
                .iter()
                .map(|t| (t.as_str().to_string(), tr.t(&format!("incident.action.{t}")))),
        );
        let fields = vec![
            Field::new("select", "action", tr.t("incident.bulk.action"), first).options(actions),
            Field::new("select", "team_id", tr.t("field.team"), "").options(teams),
            Field::new("select", "transition", tr.t("incident.bulk.transition"), "").options(transitions),
            Field::new("select", "resolution_code", tr.t("field.resolution_code"), "").options(codes),
            Field::new("text", "resolution", tr.t("field.resolution"), ""),
            Field::new("text", "note", tr.t("incident.bulk.note"), ""),
            Field::new("hidden", "back", String::new(), format!("/incidents?{query}")),
        ];
        below.push(Section::Form(
            FormSection::post("bulk", "/incidents/bulk", tr.t("incident.bulk.apply"), fields)
                .heading(tr.t("incident.bulk.title"))
                .class("cols-3"),
        ));
    }
    (above, below)
}

pub async fn bulk(State(state): State<AppState>, caller: Caller, CsrfForm(f): CsrfForm<BulkForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let back = safe_next(&f.back);
    // Nothing ticked is said in words ("请至少勾选一条事件。"), not as a field error of the API body.
    if f.ids.is_empty() {
        let layout = Layout {
            title: tr.t("incident.bulk.title"),
            sections: vec![Section::Links(vec![(back, tr.t("incident.bulk.back"))])],
            ..Layout::default()
        };
        let e = ApiError::new(axum::http::StatusCode::BAD_REQUEST, "bulk_none_ticked");
        return super::failed_layout(&state, &caller, e, layout, super::incident::ACTIVE).await;
    }
    let input = BulkInput {
        incidents: f.ids,
        action: f.action,
        team_id: f.team_id,
        assignee_id: None,
        transition: f.transition.and_then(|t| t.parse().ok()),
        pending_reason: None,
        resolution_code: f.resolution_code,
        resolution: f.resolution,
        note: f.note,
    };
    let result = match bulk_result(&state, &caller, input).await {
        Ok(r) => r,
        Err(mut e) if e.status.is_client_error() && e.status != axum::http::StatusCode::UNAUTHORIZED => {
            let settings = yunwei_core::incident::desk_settings(&state.core).await.unwrap_or_default();
            super::desk::allowed_in_words(&mut e, tr, &settings);
            let layout = Layout {
                title: tr.t("incident.bulk.title"),
                sections: vec![Section::Links(vec![(back, tr.t("incident.bulk.back"))])],
                ..Layout::default()
            };
            return super::failed_layout(&state, &caller, e, layout, super::incident::ACTIVE).await;
        }
        Err(e) => return Err(e),
    };
    let summary =
        tr.with("incident.bulk.summary", &[("ok".into(), result.succeeded.to_string()), ("failed".into(), result.failed.to_string())]);
    let rows = result
        .results
        .iter()
        .map(|r| outcome_row(tr, Cell::link(r.number.clone(), format!("/incidents/{}", r.number)), r.ok, r.message.as_deref()))
        .collect();
    let sections = vec![
        Section::Text(summary),
        Section::Table(TableSection {
            columns: vec![tr.t("field.number"), tr.t("field.state"), tr.t("incident.bulk.reason")],
            rows,
            next: None,
        }),
        Section::Links(vec![(back, tr.t("incident.bulk.back"))]),
    ];
    Ok(render(
        &state,
        &caller,
        super::incident::ACTIVE,
        Layout { title: tr.t("incident.bulk.title"), sections, ..Layout::default() },
        None,
        Vec::new(),
    )
    .await)
}

pub async fn save_view(State(state): State<AppState>, caller: Caller, CsrfForm(f): CsrfForm<ViewForm>) -> Result<Response, ApiError> {
    caller.require()?;
    super::saved_views::save(&state, &caller, &super::saved_views::INCIDENTS, f).await
}

pub async fn delete_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<super::Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    super::saved_views::delete(&state, &caller, &super::saved_views::INCIDENTS, id).await
}

/// Whether the queue offers bulk actions (and their tick boxes): core refuses a bulk change to
/// whoever may neither assign nor move incidents, so requesters are offered neither.
pub fn may_bulk(permissions: &yunwei_domain::permission::PermissionSet) -> bool {
    permissions.allows(ObjectType::Incident, Action::Assign) || permissions.allows(ObjectType::Incident, Action::Transition)
}

/// One row of a bulk action's result: the record, done or refused, and why.
pub(super) fn outcome_row(tr: crate::i18n::Tr, record: Cell, ok: bool, message: Option<&str>) -> Vec<Cell> {
    let state = if ok { Cell::badge(tr.t("incident.bulk.done"), "ok") } else { Cell::badge(tr.t("incident.bulk.refused"), "bad") };
    vec![record, state, Cell::text(message.unwrap_or_default().to_string())]
}
