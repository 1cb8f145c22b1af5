//! What incidents are filed under: the category tree (with the team each category
//! assigns to) and the business services. Forms bind to the API's `CategoryInput` and
//! `ServiceInput`; a refused one comes back as typed.

use super::desk::{Names, category_options, category_tree, duration};
use super::{Cell, Field, FormSection, Notice, Posted, Section, TableSection, failed_posted, local_name, page, redirect};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::incident::{self, CategoryInput, ServiceInput};
use yunwei_core::store::incident::Category;
use yunwei_core::store::service::BusinessService;
use yunwei_domain::ids::{CategoryId, ServiceId};
use yunwei_domain::permission::{Action, ObjectType};

const CATEGORIES: &str = "/admin/incident-categories";
const SERVICES: &str = "/admin/business-services";

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

/// The category form with the stored category's values (a refused form is refilled as posted).
fn category_fields(tr: Tr, all: &[Category], names: &Names, c: Option<&Category>) -> Vec<Field> {
    let id_text = |i: Option<i64>| i.map(|i| i.to_string()).unwrap_or_default();
    // A category cannot sit under itself; core also refuses deeper cycles.
    let parents: Vec<(String, String)> =
        category_options(all, tr, false).into_iter().filter(|(id, _)| c.is_none_or(|c| *id != c.id.to_string())).collect();
    let mut fields = vec![
        Field::new("text", "name", tr.t("field.name"), c.map(|c| c.name.clone()).unwrap_or_default()).required(),
        Field::new("text", "name_en", tr.t("field.name_en"), c.map(|c| c.name_en.clone()).unwrap_or_default())
            .help(tr.t("common.name_en_help")),
        Field::new("select", "parent_id", tr.t("field.parent_category"), id_text(c.and_then(|c| c.parent_id).map(|p| p.0)))
            .options(parents),
        Field::new("select", "team_id", tr.t("field.team"), id_text(c.and_then(|c| c.team_id).map(|t| t.0)))
            .options(team_options(tr, names))
            .help(tr.t("category.team_help")),
    ];
    fields.extend(Field::flag("active", tr.t("status.active"), c.is_none_or(|c| c.active)));
    fields
}

async fn categories_sections(state: &AppState, caller: &Caller) -> Result<Vec<Section>, ApiError> {
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
        Section::Table(TableSection::new(tr, &["field.name", "field.team", "field.status"], rows)),
    ];
    if may_edit(caller) {
        s.push(Section::Heading(tr.t("category.new")));
        s.push(Section::Form(FormSection::post("category", CATEGORIES, tr.t("action.create"), category_fields(tr, &all, &names, None))));
    }
    Ok(s)
}

pub async fn categories(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Notice>) -> Result<Response, ApiError> {
    caller.require()?;
    let s = categories_sections(&state, &caller).await?;
    Ok(page(&state, &caller, CATEGORIES, caller.tr.t("nav.incident_categories"), s, q.text(caller.tr), Vec::new()).await)
}

pub async fn create_category(State(state): State<AppState>, caller: Caller, form: PageForm<CategoryInput>) -> Result<Response, ApiError> {
    caller.require()?;
    match form.run(|input| incident::create_category(&state.core, &caller.ctx, input)).await {
        (Ok(_), _) => Ok(redirect(&format!("{CATEGORIES}?ok=saved"))),
        (Err(e), posted) => {
            let s = categories_sections(&state, &caller).await?;
            let title = caller.tr.t("nav.incident_categories");
            failed_posted(&state, &caller, e, s, title, CATEGORIES, Posted::new("category", posted)).await
        }
    }
}

async fn category_sections(state: &AppState, caller: &Caller, cid: i64) -> Result<(String, Vec<Section>), ApiError> {
    let tr = caller.tr;
    let all = incident::list_categories(&state.core, &caller.ctx).await?;
    let c = all.iter().find(|c| c.id == CategoryId(cid)).ok_or_else(ApiError::not_found)?;
    let names = Names::load(state, caller).await;
    let fields = category_fields(tr, &all, &names, Some(c));
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
    let (title, s) = category_sections(&state, &caller, cid).await?;
    Ok(page(&state, &caller, CATEGORIES, title, s, q.text(caller.tr), Vec::new()).await)
}

pub async fn update_category(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(cid): ApiPath<i64>,
    form: PageForm<CategoryInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    match form.run(|input| incident::update_category(&state.core, &caller.ctx, CategoryId(cid), input)).await {
        (Ok(_), _) => Ok(redirect(&format!("{CATEGORIES}/{cid}?ok=saved"))),
        (Err(e), posted) => {
            let (title, s) = category_sections(&state, &caller, cid).await?;
            failed_posted(&state, &caller, e, s, title, CATEGORIES, Posted::new("category", posted)).await
        }
    }
}

// ---- business services ----

/// The service form with the stored service's values (a refused form is refilled as posted).
fn service_fields(tr: Tr, names: &Names, s: Option<&BusinessService>) -> Vec<Field> {
    let team = s.and_then(|s| s.team_id).map(|t| t.to_string()).unwrap_or_default();
    let budget = s.map(|s| s.downtime_budget_minutes).unwrap_or(1200).to_string();
    let mut fields = vec![
        Field::new("text", "name", tr.t("field.name"), s.map(|s| s.name.clone()).unwrap_or_default()).required(),
        Field::new("text", "name_en", tr.t("field.name_en"), s.map(|s| s.name_en.clone()).unwrap_or_default())
            .help(tr.t("common.name_en_help")),
        Field::new("text", "code", tr.t("field.code_short"), s.and_then(|s| s.code.clone()).unwrap_or_default()),
        Field::new("textarea", "description", tr.t("field.description"), s.map(|s| s.description.clone()).unwrap_or_default()).rows(3),
        Field::new("select", "team_id", tr.t("field.team"), team).options(team_options(tr, names)).help(tr.t("service.team_help")),
        Field::new("number", "downtime_budget_minutes", tr.t("field.downtime_budget_minutes"), budget).help(tr.t("service.budget_help")),
    ];
    fields.extend(Field::flag("active", tr.t("status.active"), s.is_none_or(|s| s.active)));
    fields
}

async fn services_sections(state: &AppState, caller: &Caller) -> Result<Vec<Section>, ApiError> {
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
    let columns = ["field.name", "field.code_short", "field.team", "field.downtime_budget", "field.status"];
    let mut s = vec![Section::Text(tr.t("service.help")), Section::Table(TableSection::new(tr, &columns, rows))];
    if may_edit(caller) {
        s.push(Section::Heading(tr.t("service.new")));
        s.push(Section::Form(FormSection::post("service", SERVICES, tr.t("action.create"), service_fields(tr, &names, None))));
    }
    Ok(s)
}

pub async fn services(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Notice>) -> Result<Response, ApiError> {
    caller.require()?;
    let s = services_sections(&state, &caller).await?;
    Ok(page(&state, &caller, SERVICES, caller.tr.t("nav.business_services"), s, q.text(caller.tr), Vec::new()).await)
}

pub async fn create_service(State(state): State<AppState>, caller: Caller, form: PageForm<ServiceInput>) -> Result<Response, ApiError> {
    caller.require()?;
    match form.run(|input| incident::create_service(&state.core, &caller.ctx, input)).await {
        (Ok(_), _) => Ok(redirect(&format!("{SERVICES}?ok=saved"))),
        (Err(e), posted) => {
            let s = services_sections(&state, &caller).await?;
            let title = caller.tr.t("nav.business_services");
            failed_posted(&state, &caller, e, s, title, SERVICES, Posted::new("service", posted)).await
        }
    }
}

async fn service_sections(state: &AppState, caller: &Caller, sid: i64) -> Result<(String, Vec<Section>), ApiError> {
    let tr = caller.tr;
    let all = incident::list_services(&state.core, &caller.ctx, None).await?;
    let s = all.iter().find(|s| s.id == ServiceId(sid)).ok_or_else(ApiError::not_found)?;
    let names = Names::load(state, caller).await;
    let sections = if may_edit(caller) {
        let fields = service_fields(tr, &names, Some(s));
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
    let (title, s) = service_sections(&state, &caller, sid).await?;
    Ok(page(&state, &caller, SERVICES, title, s, q.text(caller.tr), Vec::new()).await)
}

pub async fn update_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sid): ApiPath<i64>,
    form: PageForm<ServiceInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    match form.run(|input| incident::update_service(&state.core, &caller.ctx, ServiceId(sid), input)).await {
        (Ok(_), _) => Ok(redirect(&format!("{SERVICES}/{sid}?ok=saved"))),
        (Err(e), posted) => {
            let (title, s) = service_sections(&state, &caller, sid).await?;
            failed_posted(&state, &caller, e, s, title, SERVICES, Posted::new("service", posted)).await
        }
    }
}
