//! Change management's pages (变更管理): the list of change requests with state tabs, and the
//! change request form (变更申请表) — content, reason, expected effect, impact scope, CIs
//! picked from the CMDB, implementation steps, window, risk questionnaire, mitigation,
//! backup, rollback and test plans. The form binds to the API's `ChangeInput`.

use super::desk::{Names, parse_local};
use super::{
    Cell, Field, FormSection, Layout, NavItem, Pairs, Posted, Section, TableSection, failed_form, redirect, render, time, url_encode,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, PageForm};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::change::{self, ChangeInput, ChangeQuery, ChangeView};
use yunwei_domain::FieldError;
use yunwei_domain::change::ChangeState;
use yunwei_domain::permission::{Action, ObjectType};

pub const ACTIVE: &str = "/changes";
/// CI inputs the form offers (each with the CMDB's list to pick from).
const CI_INPUTS: usize = 4;

pub fn allows(caller: &Caller, action: Action) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Change, action))
}

pub fn state_label(caller: &Caller, s: ChangeState) -> String {
    caller.tr.t(&format!("change.state.{s}"))
}

/// The date and time of a window in the reader's zone ("—" when not set).
pub fn window(caller: &Caller, v: &ChangeView) -> String {
    match (v.window_start, v.window_end) {
        (Some(s), Some(e)) => format!("{} – {}", time(s, caller), time(e, caller)),
        _ => "—".into(),
    }
}

#[derive(Deserialize, Default)]
pub struct ListForm {
    state: Option<String>,
    cursor: Option<String>,
}

async fn list_layout(state: &AppState, caller: &Caller, f: &ListForm) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let current = f.state.as_deref().map(str::trim).unwrap_or_default().to_string();
    let q = ChangeQuery {
        state: Some(current.clone()).filter(|s| !s.is_empty()),
        limit: Some(50),
        cursor: f.cursor.clone(),
        ..Default::default()
    };
    let list = change::list(&state.core, &caller.ctx, &q).await?;
    let mut names = Names::load(state, caller).await;
    let mut rows = Vec::new();
    for c in &list.items {
        rows.push(vec![
            Cell::link(c.number.clone(), format!("{ACTIVE}/{}", c.number)),
            Cell::text(c.title.clone()),
            Cell::text(tr.t(&format!("change.type.{}", c.change_type))),
            Cell::badge(tr.t(&format!("change.risk.{}", c.risk_level)), &format!("risk risk-{}", c.risk_level)),
            Cell::badge(state_label(caller, c.state), &format!("chg chg-{}", c.state)),
            Cell::text(window(caller, c)),
            Cell::text(names.user_or_dash(state, caller, c.requester_id).await),
        ]);
    }
    let next = list.next_cursor.map(|c| format!("{ACTIVE}?state={current}&cursor={}", url_encode(&c)));
    let mut tabs = vec![NavItem { href: ACTIVE.into(), label: tr.t("incident.filter.any"), active: current.is_empty() }];
    tabs.extend(ChangeState::ALL.iter().map(|s| NavItem {
        href: format!("{ACTIVE}?state={s}"),
        label: state_label(caller, *s),
        active: current == s.as_str(),
    }));
    let mut sections = vec![Section::Tabs(tr.t("field.state"), tabs)];
    let mut links = vec![(super::change_calendar::PATH.to_string(), tr.t("change.cal.title"))];
    if allows(caller, Action::Create) {
        links.push((format!("{ACTIVE}/new"), tr.t("change.new")));
    }
    sections.push(Section::Links(links));
    let columns = [
        "field.number",
        "field.title",
        "change.field.change_type",
        "change.field.risk_level",
        "field.state",
        "change.field.window",
        "change.field.requester",
    ];
    sections.push(Section::Table(TableSection { columns: columns.iter().map(|k| tr.t(k)).collect(), rows, next }));
    Ok(Layout { title: tr.t("change.title"), sections, ..Layout::default() })
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<ListForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = list_layout(&state, &caller, &f).await?;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// The request form, filled from `v` when editing a draft.
pub async fn form_fields(state: &AppState, caller: &Caller, v: Option<&ChangeView>) -> Vec<Field> {
    let tr = caller.tr;
    let text = |f: fn(&ChangeView) -> &String| v.map(|v| f(v).clone()).unwrap_or_default();
    let local = |ms: Option<i64>| ms.and_then(|ms| local_input(ms, caller)).unwrap_or_default();
    let types: Vec<(String, String)> =
        ["normal", "standard", "emergency"].iter().map(|t| (t.to_string(), tr.t(&format!("change.type.{t}")))).collect();
    let current_type = v.map(|v| v.change_type.as_str()).unwrap_or("normal");
    let mut fields = vec![
        Field::new("text", "title", tr.t("field.title"), text(|v| &v.title)).required().wide(),
        Field::new("select", "change_type", tr.t("change.field.change_type"), current_type).options(types).help(tr.t("change.type_help")),
        Field::new("datetime-local", "window_start", tr.t("change.field.window_start"), local(v.and_then(|v| v.window_start)))
            .help(tr.with("incident.local_time_help", &[("zone".into(), super::desk::zone(caller).to_string())])),
        Field::new("datetime-local", "window_end", tr.t("change.field.window_end"), local(v.and_then(|v| v.window_end))),
    ];
    for (name, rows) in [("content", 3), ("reason", 2), ("expected_effect", 2), ("impact_scope", 2)] {
        let value = v.map(|v| field_text(v, name)).unwrap_or_default();
        fields.push(Field::new("textarea", name, tr.t(&format!("change.field.{name}")), value).rows(rows).wide());
    }
    if super::ci_pick::may_pick(caller) {
        let options = super::ci_pick::options(state, caller).await.unwrap_or_default();
        let mut chosen = Vec::new();
        for id in v.map(|v| v.ci_ids.clone()).unwrap_or_default() {
            chosen.push(super::ci_pick::shown(state, caller, Some(id)).await);
        }
        for n in 0..CI_INPUTS.max(chosen.len()) {
            let label = if n == 0 { tr.t("change.field.ci_ids") } else { String::new() };
            let mut f = Field::new("text", "ci_ids", label, chosen.get(n).cloned().unwrap_or_default()).options(options.clone());
            if n == 0 {
                f = f.help(tr.t("change.ci_help"));
            }
            fields.push(f);
        }
    }
    let steps = v.map(|v| change::step_titles(v).join("\n")).unwrap_or_default();
    fields.push(Field::new("textarea", "steps", tr.t("change.field.steps"), steps).rows(4).wide().help(tr.t("change.steps_help")));
    for (name, rows) in [("risk_mitigation", 2), ("backup_plan", 2), ("rollback_plan", 3), ("test_plan", 2)] {
        let value = v.map(|v| field_text(v, name)).unwrap_or_default();
        let mut f = Field::new("textarea", name, tr.t(&format!("change.field.{name}")), value).rows(rows).wide();
        if name == "rollback_plan" {
            f = f.help(tr.t("change.rollback_help"));
        }
        fields.push(f);
    }
    let settings = change::read_settings(&state.core, &caller.ctx).await.unwrap_or_default();
    let answers = v.map(|v| v.risk_answers.clone()).unwrap_or_default();
    for (n, q) in settings.questions.iter().enumerate() {
        let options: Vec<(String, String)> = (0..=3).map(|a| (a.to_string(), tr.t(&format!("change.answer.{a}")))).collect();
        let value = answers.get(&q.key).and_then(serde_json::Value::as_i64).unwrap_or(0).to_string();
        let label = super::local_name(tr, &q.text, &q.text_en);
        let mut f = Field::new("select", &format!("risk.{}", q.key), label, value).options(options);
        if n == 0 {
            f = f.help(tr.t("change.questionnaire_help"));
        }
        fields.push(f);
    }
    fields.push(Field::new("text", "incident_ids", tr.t("change.field.incident_ids"), String::new()).help(tr.t("change.incidents_help")));
    if let Some(v) = v {
        fields.push(Field::new("hidden", "version", String::new(), v.version.to_string()));
    }
    fields
}

fn field_text(v: &ChangeView, name: &str) -> String {
    match name {
        "content" => &v.content,
        "reason" => &v.reason,
        "expected_effect" => &v.expected_effect,
        "impact_scope" => &v.impact_scope,
        "risk_mitigation" => &v.risk_mitigation,
        "backup_plan" => &v.backup_plan,
        "rollback_plan" => &v.rollback_plan,
        _ => &v.test_plan,
    }
    .clone()
}

/// `2026-12-12T01:00` in the reader's zone, as a `datetime-local` input shows it.
fn local_input(ms: i64, caller: &Caller) -> Option<String> {
    let tz = jiff::tz::TimeZone::get(super::desk::zone(caller)).ok()?;
    let dt = jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(tz).datetime();
    Some(dt.strftime("%Y-%m-%dT%H:%M").to_string())
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    yunwei_core::CoreError::from(yunwei_domain::DomainError::Validation(errors)).into()
}

/// The posted form as the API's input: steps one per line, times in the reader's zone, CIs
/// picked by name, incidents by number, the questionnaire's answers.
pub async fn to_input(state: &AppState, caller: &Caller, mut pairs: Pairs) -> Result<ChangeInput, ApiError> {
    super::ci_pick::resolve_pairs(state, caller, &mut pairs, "ci_ids").await?;
    let mut obj = serde_json::Map::new();
    let mut errors = Vec::new();
    let (mut cis, mut answers, mut incidents) = (Vec::new(), serde_json::Map::new(), Vec::new());
    for (k, v) in &pairs {
        let v = v.trim();
        match k.as_str() {
            "title" | "content" | "reason" | "expected_effect" | "impact_scope" | "risk_mitigation" | "backup_plan" | "rollback_plan"
            | "test_plan" | "change_type" => {
                if !(k == "change_type" && v.is_empty()) {
                    obj.insert(k.clone(), v.into());
                }
            }
            "steps" => {
                obj.insert(k.clone(), v.lines().map(str::trim).filter(|l| !l.is_empty()).map(serde_json::Value::from).collect());
            }
            "window_start" | "window_end" if !v.is_empty() => match parse_local(v, caller) {
                Some(ms) => {
                    obj.insert(k.clone(), ms.into());
                }
                None => errors.push(FieldError::new(k.clone(), "invalid_time")),
            },
            "ci_ids" if !v.is_empty() => cis.push(serde_json::Value::from(v.parse::<i64>().unwrap_or_default())),
            "incident_ids" => {
                for part in v.split([',', '，', ' ', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
                    match yunwei_domain::incident::parse_number(part) {
                        Some(id) => incidents.push(serde_json::Value::from(id)),
                        None => errors.push(FieldError::new("incident_ids", "not_found")),
                    }
                }
            }
            "version" if !v.is_empty() => {
                obj.insert(k.clone(), v.parse::<i64>().unwrap_or_default().into());
            }
            key => {
                if let Some(q) = key.strip_prefix("risk.") {
                    answers.insert(q.to_string(), v.parse::<u8>().unwrap_or_default().into());
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    obj.insert("ci_ids".into(), cis.into());
    obj.insert("risk_answers".into(), answers.into());
    if !incidents.is_empty() {
        obj.insert("incident_ids".into(), incidents.into());
    }
    serde_json::from_value(serde_json::Value::Object(obj))
        .map_err(|e| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_form").detail(e.to_string()))
}

async fn new_layout(state: &AppState, caller: &Caller) -> Layout {
    let tr = caller.tr;
    let fields = form_fields(state, caller, None).await;
    let form = FormSection::post("change-new", ACTIVE, tr.t("change.create"), fields).class("cols-2");
    Layout { title: tr.t("change.new"), sections: vec![Section::Form(form)], ..Layout::default() }
}

pub async fn new_form(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require()?;
    caller.ctx.authorize(ObjectType::Change, Action::Create)?;
    let layout = new_layout(&state, &caller).await;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// Raises the change from the form; on an error the form comes back as typed.
pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<Pairs>) -> Result<Response, ApiError> {
    caller.require()?;
    let pairs = form.input?;
    let result = match to_input(&state, &caller, pairs.clone()).await {
        Ok(input) => change::create(&state.core, &caller.ctx, input).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=change_created", v.number))),
        Err(e) => {
            let layout = new_layout(&state, &caller).await;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("change-new", pairs))).await
        }
    }
}
