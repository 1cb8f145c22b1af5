//! Problem management's pages (问题管理): the list of problems with state tabs and filters,
//! the form that opens a problem from incidents, and the review list of suggestions raised
//! from recurring incidents (accept opens the problem, dismiss records why).

use super::desk::Names;
use super::{
    Button, Cell, Field, FormSection, Layout, NavItem, Pairs, Posted, Section, TableSection, failed_form, redirect, render, time,
    url_encode,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::problem::{self, AcceptInput, DismissInput, ProblemInput, ProblemQuery, SuggestionQuery};
use yunwei_domain::FieldError;
use yunwei_domain::ids::ProblemSuggestionId;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::problem::ProblemState;

pub const ACTIVE: &str = "/problems";
pub const SUGGESTIONS: &str = "/problems/suggestions";

pub fn allows(caller: &Caller, action: Action) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Problem, action))
}

pub fn state_label(caller: &Caller, s: ProblemState) -> String {
    caller.tr.t(&format!("problem.state.{s}"))
}

#[derive(Deserialize, Default)]
pub struct ListForm {
    state: Option<String>,
    priority: Option<String>,
    known_error: Option<String>,
    cursor: Option<String>,
}

async fn list_layout(state: &AppState, caller: &Caller, f: &ListForm) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let current = f.state.as_deref().map(str::trim).unwrap_or_default().to_string();
    let priority = f.priority.as_deref().and_then(|p| p.trim().parse::<i64>().ok());
    let known = f.known_error.as_deref().is_some_and(|k| k == "true");
    let q = ProblemQuery {
        state: Some(current.clone()).filter(|s| !s.is_empty()),
        priority,
        known_error: known.then_some(true),
        limit: Some(50),
        cursor: f.cursor.clone(),
        ..Default::default()
    };
    let list = problem::list(&state.core, &caller.ctx, &q).await?;
    let mut names = Names::load(state, caller).await;
    let mut rows = Vec::new();
    for p in &list.items {
        rows.push(vec![
            Cell::link(p.number.clone(), format!("{ACTIVE}/{}", p.number)),
            Cell::text(p.title.clone()),
            Cell::badge(format!("P{}", p.priority), &format!("prio prio-{}", p.priority)),
            Cell::badge(state_label(caller, p.state), &format!("prb prb-{}", p.state)),
            Cell::text(if p.known_error { tr.t("problem.yes") } else { String::new() }),
            Cell::text(names.user_or_dash(state, caller, p.owner_id).await),
            Cell::text(names.team_or_dash(p.team_id)),
            Cell::text(time(p.created_at, caller)),
        ]);
    }
    let keep = format!(
        "state={current}&priority={}&known_error={}",
        priority.map(|p| p.to_string()).unwrap_or_default(),
        if known { "true" } else { "" }
    );
    let next = list.next_cursor.map(|c| format!("{ACTIVE}?{keep}&cursor={}", url_encode(&c)));
    let mut tabs = vec![
        NavItem { href: ACTIVE.into(), label: tr.t("incident.filter.any"), active: current.is_empty() && !known },
        NavItem { href: format!("{ACTIVE}?state=open"), label: tr.t("problem.filter.open"), active: current == "open" },
    ];
    tabs.extend(ProblemState::ALL.iter().map(|s| NavItem {
        href: format!("{ACTIVE}?state={s}"),
        label: state_label(caller, *s),
        active: current == s.as_str(),
    }));
    tabs.push(NavItem { href: format!("{ACTIVE}?known_error=true"), label: tr.t("problem.known_errors"), active: known });
    let mut sections = vec![Section::Tabs(tr.t("field.state"), tabs)];
    let prios: Vec<(String, String)> =
        std::iter::once((String::new(), tr.t("incident.filter.any"))).chain((1..=4).map(|p| (p.to_string(), format!("P{p}")))).collect();
    let filters = vec![
        Field::new("hidden", "state", String::new(), current.clone()),
        Field::new("select", "priority", tr.t("field.priority"), priority.map(|p| p.to_string()).unwrap_or_default()).options(prios),
    ];
    sections.push(Section::Form(FormSection::get("problem-filter", ACTIVE, tr.t("action.filter"), filters).class("cols-2")));
    let mut links = Vec::new();
    if allows(caller, Action::Create) {
        links.push((format!("{ACTIVE}/new"), tr.t("problem.new")));
        links.push((SUGGESTIONS.to_string(), tr.t("problem.suggestions")));
    }
    if !links.is_empty() {
        sections.push(Section::Links(links));
    }
    let columns = [
        "field.number",
        "field.title",
        "field.priority",
        "field.state",
        "problem.known_error",
        "problem.field.owner_id",
        "field.team",
        "field.created",
    ];
    sections.push(Section::Table(TableSection { columns: columns.iter().map(|k| tr.t(k)).collect(), rows, next }));
    Ok(Layout { title: tr.t("problem.title"), sections, ..Layout::default() })
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<ListForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = list_layout(&state, &caller, &f).await?;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// Impact and severity as the form offers them.
pub fn level_options(caller: &Caller) -> Vec<(String, String)> {
    ["high", "medium", "low"].iter().map(|l| (l.to_string(), caller.tr.t(&format!("incident.level.{l}")))).collect()
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    yunwei_core::CoreError::from(yunwei_domain::DomainError::Validation(errors)).into()
}

/// The posted form as the API's input: incidents by number, empty texts left out.
pub fn to_input(pairs: &Pairs) -> Result<ProblemInput, ApiError> {
    let mut obj = serde_json::Map::new();
    let mut errors = Vec::new();
    let mut incidents = Vec::new();
    for (k, v) in pairs {
        let v = v.trim();
        match k.as_str() {
            "title" | "description" | "ci_ref" | "symptom" | "root_cause" | "workaround" => {
                obj.insert(k.clone(), v.into());
            }
            "impact" | "severity" if !v.is_empty() => {
                obj.insert(k.clone(), v.into());
            }
            "owner_id" | "team_id" | "version" if !v.is_empty() => match v.parse::<i64>() {
                Ok(n) => {
                    obj.insert(k.clone(), n.into());
                }
                Err(_) => errors.push(FieldError::new(k.clone(), "not_found")),
            },
            "incident_ids" => {
                for part in v.split([',', '，', ' ', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
                    match yunwei_domain::incident::parse_number(part) {
                        Some(id) => incidents.push(serde_json::Value::from(id)),
                        None => errors.push(FieldError::new("incident_ids", "not_found")),
                    }
                }
            }
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    if !incidents.is_empty() {
        obj.insert("incident_ids".into(), incidents.into());
    }
    serde_json::from_value(serde_json::Value::Object(obj))
        .map_err(|e| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_form").detail(e.to_string()))
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// `INC-000123`: the incident the problem is opened from (the incident page's link).
    incident: Option<String>,
}

fn new_layout(caller: &Caller, incident: &str) -> Layout {
    let tr = caller.tr;
    let fields = vec![
        Field::new("text", "title", tr.t("field.title"), "").required().wide(),
        Field::new("textarea", "description", tr.t("field.description"), "").rows(3).wide(),
        Field::new("select", "impact", tr.t("field.impact"), "medium").options(level_options(caller)),
        Field::new("select", "severity", tr.t("problem.field.severity"), "medium")
            .options(level_options(caller))
            .help(tr.t("problem.priority_help")),
        Field::new("text", "ci_ref", tr.t("problem.field.ci_ref"), "").help(tr.t("problem.ci_ref_help")),
        Field::new("text", "incident_ids", tr.t("problem.field.incident_ids"), incident).help(tr.t("problem.incidents_help")),
    ];
    let form = FormSection::post("problem-new", ACTIVE, tr.t("problem.create"), fields).class("cols-2");
    Layout { title: tr.t("problem.new"), sections: vec![Section::Form(form)], ..Layout::default() }
}

pub async fn new_form(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<NewQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    caller.ctx.authorize(ObjectType::Problem, Action::Create)?;
    let layout = new_layout(&caller, q.incident.as_deref().unwrap_or_default());
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// Opens the problem from the form; on an error the form comes back as typed.
pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<Pairs>) -> Result<Response, ApiError> {
    caller.require()?;
    let pairs = form.input?;
    let result = match to_input(&pairs) {
        Ok(input) => problem::create(&state.core, &caller.ctx, input).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=problem_created", v.number))),
        Err(e) => failed_form(&state, &caller, e, new_layout(&caller, ""), ACTIVE, Some(&Posted::new("problem-new", pairs))).await,
    }
}

async fn suggestions_layout(state: &AppState, caller: &Caller, which: &str) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let list = problem::suggestions(&state.core, &caller.ctx, &SuggestionQuery { state: Some(which.to_string()) }).await?;
    let tabs = ["pending", "accepted", "dismissed"]
        .iter()
        .map(|s| NavItem { href: format!("{SUGGESTIONS}?state={s}"), label: tr.t(&format!("problem.suggestion.{s}")), active: which == *s })
        .collect();
    let mut sections = vec![Section::Tabs(tr.t("field.state"), tabs), Section::Text(tr.t("problem.suggestions_help"))];
    if list.is_empty() {
        sections.push(Section::Text(tr.t("problem.no_suggestions")));
    }
    for s in &list {
        let what = tr.with(
            &format!("problem.basis.{}", s.row.basis),
            &[
                ("subject".into(), s.subject.clone()),
                ("count".into(), s.incidents.len().to_string()),
                ("days".into(), s.row.window_days.to_string()),
            ],
        );
        sections.push(Section::Heading(what));
        let rows = s
            .incidents
            .iter()
            .map(|i| {
                let number = i["number"].as_str().unwrap_or_default().to_string();
                vec![
                    Cell::link(number.clone(), format!("/incidents/{number}")),
                    Cell::text(i["title"].as_str().unwrap_or_default().to_string()),
                    Cell::text(i["created_at"].as_i64().map(|t| time(t, caller)).unwrap_or_default()),
                ]
            })
            .collect();
        let columns = ["field.number", "field.title", "field.created"].iter().map(|k| tr.t(k)).collect();
        sections.push(Section::Table(TableSection { columns, rows, next: None }));
        if s.row.state == "pending" {
            let accept = Button { action: format!("{SUGGESTIONS}/{}/accept", s.row.id.0), label: tr.t("problem.accept"), confirm: None };
            sections.push(Section::Buttons(vec![accept]));
            let fields = vec![Field::new("text", "reason", tr.t("problem.field.reason"), "").wide()];
            let form =
                FormSection::post("suggestion-dismiss", format!("{SUGGESTIONS}/{}/dismiss", s.row.id.0), tr.t("problem.dismiss"), fields);
            sections.push(Section::Form(form.class("cols-2")));
        } else if let Some(p) = s.row.problem_id {
            let number = yunwei_domain::problem::number(p.0);
            sections.push(Section::Links(vec![(format!("{ACTIVE}/{number}"), number)]));
        } else if !s.row.reason.is_empty() {
            sections.push(Section::Text(format!("{}{}", tr.t("problem.field.reason_prefix"), s.row.reason)));
        }
    }
    Ok(Layout { title: tr.t("problem.suggestions"), sections, ..Layout::default() })
}

#[derive(Deserialize, Default)]
pub struct SuggestionForm {
    state: Option<String>,
}

pub async fn suggestions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<SuggestionForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let which = f.state.unwrap_or_else(|| "pending".into());
    let layout = suggestions_layout(&state, &caller, &which).await?;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let pairs = form.input?;
    match problem::accept(&state.core, &caller.ctx, ProblemSuggestionId(id), AcceptInput::default()).await {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=problem_created", v.number))),
        Err(e) => {
            let layout = suggestions_layout(&state, &caller, "pending").await?;
            failed_form(&state, &caller, e.into(), layout, ACTIVE, Some(&Posted::new("accept", pairs))).await
        }
    }
}

pub async fn dismiss(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<DismissInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| problem::dismiss(&state.core, &caller.ctx, ProblemSuggestionId(id), input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{SUGGESTIONS}?ok=suggestion_dismissed"))),
        Err(e) => {
            let layout = suggestions_layout(&state, &caller, "pending").await?;
            failed_form(
                &state,
                &caller,
                e,
                layout,
                ACTIVE,
                Some(&Posted::new("suggestion-dismiss", posted).at(format!("{SUGGESTIONS}/{id}/dismiss"))),
            )
            .await
        }
    }
}

/// On the incident page, for those who may read problems: the known errors the incident is
/// linked to with their workarounds (the engineer's view), the other problems it belongs to,
/// and, for those who may open one, a problem opened from this incident.
pub async fn incident_sections(state: &AppState, caller: &Caller, v: &yunwei_core::incident::IncidentView) -> Vec<Section> {
    let tr = caller.tr;
    let id = v.id;
    let known = problem::known_errors_for_incident(&state.core, &caller.ctx, id).await.unwrap_or_default();
    let linked = problem::for_incident(&state.core, &caller.ctx, id).await.unwrap_or_default();
    let mut out = Vec::new();
    if !known.is_empty() {
        out.push(Section::Heading(tr.t("problem.workaround_heading")));
        for k in known {
            out.push(Section::Links(vec![(format!("{ACTIVE}/{}", k.number), format!("{} {}", k.number, k.title))]));
            out.push(Section::Text(format!("{}{}", tr.t("problem.workaround_prefix"), k.workaround)));
        }
    }
    let others: Vec<(String, String)> =
        linked.iter().filter(|p| !p.known_error).map(|p| (format!("{ACTIVE}/{}", p.number), format!("{} {}", p.number, p.title))).collect();
    if !others.is_empty() {
        out.push(Section::Heading(tr.t("problem.linked_problems")));
        out.push(Section::Links(others));
    }
    if allows(caller, Action::Create) {
        let number = yunwei_domain::incident::number(id.0);
        out.push(Section::Links(vec![(format!("{ACTIVE}/new?incident={number}"), tr.t("problem.open_from_incident"))]));
    }
    out
}
