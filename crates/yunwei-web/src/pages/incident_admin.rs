//! What incidents are filed under: the category tree (with the team each category
//! assigns to) and the business services.

use super::desk::{Names, category_options, category_tree, duration};
use super::{Cell, Field, FormSection, Section, TableSection, failed, local_name, page, redirect};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::incident::{self, CategoryInput, ServiceInput};
use yunwei_core::store::incident::Category;
use yunwei_core::store::service::BusinessService;
use yunwei_domain::ids::{CategoryId, ServiceId, TeamId};
use yunwei_domain::permission::{Action, ObjectType};

const CATEGORIES: &str = "/admin/incident-categories";
const SERVICES: &str = "/admin/business-services";

type Pairs = Vec<(String, String)>;

#[derive(Deserialize, Default)]
pub struct Notice {
    ok: Option<String>,
}

fn notice(tr: Tr, ok: &Option<String>) -> Option<String> {
    ok.as_ref().map(|k| format!("notice.{k}")).filter(|k| tr.has(k)).map(|k| tr.t(&k))
}

fn get<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

fn id(pairs: &Pairs, name: &str) -> Option<i64> {
    get(pairs, name).trim().parse().ok()
}

fn active(pairs: &Pairs) -> bool {
    pairs.iter().any(|(k, v)| k == "active" && v == "true")
}

fn team_options(tr: Tr, names: &Names) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), tr.t("field.none"))];
    out.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
    out
}

fn status(tr: Tr, on: bool) -> Cell {
    if on { Cell::badge(tr.t("status.active"), "on") } else { Cell::badge(tr.t("status.disabled"), "off") }
}

fn may_edit(caller: &Caller) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Setting, Action::Update))
}

// ---- categories ----

/// Values of the category form: the posted ones after a failure, else the stored category's.
fn category_fields(tr: Tr, all: &[Category], names: &Names, c: Option<&Category>, posted: Option<&Pairs>) -> Vec<Field> {
    let v = |name: &str, stored: String| posted.map(|p| get(p, name).to_string()).unwrap_or(stored);
    let id_text = |i: Option<i64>| i.map(|i| i.to_string()).unwrap_or_default();
    // A category cannot sit under itself; core also refuses deeper cycles.
    let parents: Vec<(String, String)> =
        category_options(all, tr, false).into_iter().filter(|(id, _)| c.is_none_or(|c| *id != c.id.to_string())).collect();
    let is_active = posted.map(active).unwrap_or(c.is_none_or(|c| c.active));
    vec![
        Field::new("text", "name", tr.t("field.name"), v("name", c.map(|c| c.name.clone()).unwrap_or_default())).required(),
        Field::new("text", "name_en", tr.t("field.name_en"), v("name_en", c.map(|c| c.name_en.clone()).unwrap_or_default()))
            .help(tr.t("common.name_en_help")),
        Field::new("select", "parent_id", tr.t("field.parent_category"), v("parent_id", id_text(c.and_then(|c| c.parent_id).map(|p| p.0))))
            .options(parents),
        Field::new("select", "team_id", tr.t("field.team"), v("team_id", id_text(c.and_then(|c| c.team_id).map(|t| t.0))))
            .options(team_options(tr, names))
            .help(tr.t("category.team_help")),
        Field::new("checkbox", "active", tr.t("status.active"), "true").checked(is_active),
    ]
}

async fn categories_sections(state: &AppState, caller: &Caller, posted: Option<&Pairs>) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let all = incident::list_categories(&state.core, &caller.ctx).await?;
    let names = Names::load(state, caller).await;
    let rows = category_tree(&all)
        .into_iter()
        .map(|(c, depth)| {
            vec![
                Cell::link(
                    format!("{}{}", "\u{a0}\u{a0}\u{a0}\u{a0}".repeat(depth), local_name(tr, &c.name, &c.name_en)),
                    format!("{CATEGORIES}/{}", c.id),
                ),
                Cell::text(names.team_or_dash(c.team_id)),
                status(tr, c.active),
            ]
        })
        .collect();
    let mut s = vec![
        Section::Text(tr.t("category.help")),
        Section::Table(TableSection { columns: vec![tr.t("field.name"), tr.t("field.team"), tr.t("field.status")], rows, next: None }),
    ];
    if may_edit(caller) {
        s.push(Section::Heading(tr.t("category.new")));
        s.push(Section::Form(FormSection::post(
            "category",
            CATEGORIES,
            tr.t("action.create"),
            category_fields(tr, &all, &names, None, posted),
        )));
    }
    Ok(s)
}

fn category_input(pairs: &Pairs) -> CategoryInput {
    CategoryInput {
        name: get(pairs, "name").to_string(),
        name_en: get(pairs, "name_en").to_string(),
        parent_id: id(pairs, "parent_id").map(CategoryId),
        team_id: id(pairs, "team_id").map(TeamId),
        active: active(pairs),
    }
}

pub async fn categories(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Notice>) -> Result<Response, ApiError> {
    caller.require()?;
    let s = categories_sections(&state, &caller, None).await?;
    Ok(page(&state, &caller, CATEGORIES, caller.tr.t("nav.incident_categories"), s, notice(caller.tr, &q.ok), Vec::new()).await)
}

pub async fn create_category(
    State(state): State<AppState>,
    caller: Caller,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    match incident::create_category(&state.core, &caller.ctx, category_input(&pairs)).await {
        Ok(_) => Ok(redirect(&format!("{CATEGORIES}?ok=saved"))),
        Err(e) => {
            let s = categories_sections(&state, &caller, Some(&pairs)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("nav.incident_categories"), CATEGORIES).await
        }
    }
}

async fn category_sections(
    state: &AppState,
    caller: &Caller,
    cid: i64,
    posted: Option<&Pairs>,
) -> Result<(String, Vec<Section>), ApiError> {
    let tr = caller.tr;
    let all = incident::list_categories(&state.core, &caller.ctx).await?;
    let c = all.iter().find(|c| c.id == CategoryId(cid)).ok_or_else(ApiError::not_found)?;
    let names = Names::load(state, caller).await;
    let fields = category_fields(tr, &all, &names, Some(c), posted);
    let s = if may_edit(caller) {
        vec![Section::Form(FormSection::post("category", format!("{CATEGORIES}/{cid}"), tr.t("action.save"), fields))]
    } else {
        vec![Section::Facts(vec![(tr.t("field.team"), names.team_or_dash(c.team_id))])]
    };
    Ok((local_name(tr, &c.name, &c.name_en), s))
}

pub async fn category(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(cid): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let (title, s) = category_sections(&state, &caller, cid, None).await?;
    Ok(page(&state, &caller, CATEGORIES, title, s, notice(caller.tr, &q.ok), Vec::new()).await)
}

pub async fn update_category(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(cid): ApiPath<i64>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    match incident::update_category(&state.core, &caller.ctx, CategoryId(cid), category_input(&pairs)).await {
        Ok(_) => Ok(redirect(&format!("{CATEGORIES}/{cid}?ok=saved"))),
        Err(e) => {
            let (title, s) = category_sections(&state, &caller, cid, Some(&pairs)).await?;
            failed(&state, &caller, e.into(), s, title, CATEGORIES).await
        }
    }
}

// ---- business services ----

fn service_fields(tr: Tr, names: &Names, s: Option<&BusinessService>, posted: Option<&Pairs>) -> Vec<Field> {
    let v = |name: &str, stored: String| posted.map(|p| get(p, name).to_string()).unwrap_or(stored);
    let is_active = posted.map(active).unwrap_or(s.is_none_or(|s| s.active));
    vec![
        Field::new("text", "name", tr.t("field.name"), v("name", s.map(|s| s.name.clone()).unwrap_or_default())).required(),
        Field::new("text", "name_en", tr.t("field.name_en"), v("name_en", s.map(|s| s.name_en.clone()).unwrap_or_default()))
            .help(tr.t("common.name_en_help")),
        Field::new("text", "code", tr.t("field.code_short"), v("code", s.and_then(|s| s.code.clone()).unwrap_or_default())),
        Field::new(
            "textarea",
            "description",
            tr.t("field.description"),
            v("description", s.map(|s| s.description.clone()).unwrap_or_default()),
        )
        .rows(3),
        Field::new(
            "select",
            "team_id",
            tr.t("field.team"),
            v("team_id", s.and_then(|s| s.team_id).map(|t| t.to_string()).unwrap_or_default()),
        )
        .options(team_options(tr, names))
        .help(tr.t("service.team_help")),
        Field::new(
            "number",
            "downtime_budget_minutes",
            tr.t("field.downtime_budget_minutes"),
            v("downtime_budget_minutes", s.map(|s| s.downtime_budget_minutes).unwrap_or(1200).to_string()),
        )
        .help(tr.t("service.budget_help")),
        Field::new("checkbox", "active", tr.t("status.active"), "true").checked(is_active),
    ]
}

fn service_input(pairs: &Pairs) -> ServiceInput {
    let code = get(pairs, "code").trim();
    ServiceInput {
        name: get(pairs, "name").to_string(),
        name_en: get(pairs, "name_en").to_string(),
        code: (!code.is_empty()).then(|| code.to_string()),
        description: get(pairs, "description").to_string(),
        team_id: id(pairs, "team_id").map(TeamId),
        // A number that does not parse is sent as -1, which core refuses with the field's range.
        downtime_budget_minutes: Some(get(pairs, "downtime_budget_minutes").trim().parse().unwrap_or(-1)),
        active: active(pairs),
    }
}

async fn services_sections(state: &AppState, caller: &Caller, posted: Option<&Pairs>) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let all = incident::list_services(&state.core, &caller.ctx, None).await?;
    let names = Names::load(state, caller).await;
    let rows = all
        .iter()
        .map(|s| {
            vec![
                Cell::link(local_name(tr, &s.name, &s.name_en), format!("{SERVICES}/{}", s.id)),
                Cell::text(s.code.clone().unwrap_or_default()),
                Cell::text(names.team_or_dash(s.team_id)),
                Cell::text(duration(tr, s.downtime_budget_minutes * 60)),
                status(tr, s.active),
            ]
        })
        .collect();
    let columns =
        vec![tr.t("field.name"), tr.t("field.code_short"), tr.t("field.team"), tr.t("field.downtime_budget"), tr.t("field.status")];
    let mut s = vec![Section::Text(tr.t("service.help")), Section::Table(TableSection { columns, rows, next: None })];
    if may_edit(caller) {
        s.push(Section::Heading(tr.t("service.new")));
        s.push(Section::Form(FormSection::post("service", SERVICES, tr.t("action.create"), service_fields(tr, &names, None, posted))));
    }
    Ok(s)
}

pub async fn services(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Notice>) -> Result<Response, ApiError> {
    caller.require()?;
    let s = services_sections(&state, &caller, None).await?;
    Ok(page(&state, &caller, SERVICES, caller.tr.t("nav.business_services"), s, notice(caller.tr, &q.ok), Vec::new()).await)
}

pub async fn create_service(State(state): State<AppState>, caller: Caller, CsrfForm(pairs): CsrfForm<Pairs>) -> Result<Response, ApiError> {
    caller.require()?;
    match incident::create_service(&state.core, &caller.ctx, service_input(&pairs)).await {
        Ok(_) => Ok(redirect(&format!("{SERVICES}?ok=saved"))),
        Err(e) => {
            let s = services_sections(&state, &caller, Some(&pairs)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("nav.business_services"), SERVICES).await
        }
    }
}

async fn service_sections(state: &AppState, caller: &Caller, sid: i64, posted: Option<&Pairs>) -> Result<(String, Vec<Section>), ApiError> {
    let tr = caller.tr;
    let all = incident::list_services(&state.core, &caller.ctx, None).await?;
    let s = all.iter().find(|s| s.id == ServiceId(sid)).ok_or_else(ApiError::not_found)?;
    let names = Names::load(state, caller).await;
    let sections = if may_edit(caller) {
        let fields = service_fields(tr, &names, Some(s), posted);
        vec![Section::Form(FormSection::post("service", format!("{SERVICES}/{sid}"), tr.t("action.save"), fields))]
    } else {
        vec![Section::Prose(s.description.clone()), Section::Facts(vec![(tr.t("field.team"), names.team_or_dash(s.team_id))])]
    };
    Ok((local_name(tr, &s.name, &s.name_en), sections))
}

pub async fn service(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sid): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let (title, s) = service_sections(&state, &caller, sid, None).await?;
    Ok(page(&state, &caller, SERVICES, title, s, notice(caller.tr, &q.ok), Vec::new()).await)
}

pub async fn update_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sid): ApiPath<i64>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    match incident::update_service(&state.core, &caller.ctx, ServiceId(sid), service_input(&pairs)).await {
        Ok(_) => Ok(redirect(&format!("{SERVICES}/{sid}?ok=saved"))),
        Err(e) => {
            let (title, s) = service_sections(&state, &caller, sid, Some(&pairs)).await?;
            failed(&state, &caller, e.into(), s, title, SERVICES).await
        }
    }
}
