//! Administration pages for teams and departments; their forms bind to the API's
//! `TeamInput` and `DepartmentInput`.

use super::admin::{Empty, ListQuery, department_options, user_options};
use super::{
    Cell, Field, FormSection, ListView, Pairs, Posted, Section, TableSection, failed, failed_posted, local_name, notice, page, redirect,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::admin::{self, DepartmentInput, TeamInput};
use yunwei_domain::ids::{DepartmentId, TeamId};

/// The team form; `lead` is the current lead's id and `people` whom to choose from, so
/// saving the form keeps a lead set elsewhere (through the API) instead of clearing it.
fn team_fields(tr: Tr, name: [&str; 2], description: &str, email: &str, lead: &str, people: Vec<(String, String)>) -> Vec<Field> {
    vec![
        Field::new("text", "name", tr.t("field.name"), name[0]).required(),
        Field::new("text", "name_en", tr.t("field.name_en"), name[1]).help(tr.t("common.name_en_help")),
        Field::new("text", "description", tr.t("field.description"), description),
        Field::new("email", "email", tr.t("field.email"), email),
        Field::new("select", "manager_id", tr.t("field.team_lead"), lead).options(people).help(tr.t("team.lead_help")),
    ]
}

pub async fn teams(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let req = page_request(Some(100), q.cursor.as_deref(), None, "name")?;
    let list = admin::list_teams(&state.core, &caller.ctx, q.q.as_deref(), &req).await?;
    let rows = list
        .items
        .iter()
        .map(|t| {
            vec![
                Cell::link(local_name(tr, &t.name, &t.name_en), format!("/admin/teams/{}", t.id)),
                Cell::text(t.description.clone()),
                Cell::text(t.email.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let next = list.next_cursor.map(|c| format!("/admin/teams?cursor={c}"));
    let people = user_options(&state, &caller, None).await?;
    let create = FormSection::post("team", "/admin/teams", tr.t("action.create"), team_fields(tr, ["", ""], "", "", "", people));
    let sections = ListView::new(tr, &["field.name", "field.description", "field.email"], rows)
        .next(next)
        .create_form(tr.t("team.new"), create)
        .sections();
    Ok(page(&state, &caller, "/admin/teams", tr.t("nav.teams"), sections, notice(tr, &q.ok), Vec::new()).await)
}

async fn failed_team(state: &AppState, caller: &Caller, e: ApiError, posted: Pairs) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let people = user_options(state, caller, None).await?;
    let fields = team_fields(tr, ["", ""], "", "", "", people);
    let sections = vec![Section::Form(FormSection::post("team", "/admin/teams", tr.t("action.create"), fields))];
    failed_posted(state, caller, e, sections, tr.t("team.new"), "/admin/teams", Posted::new("team", posted)).await
}

pub async fn create_team(State(state): State<AppState>, caller: Caller, form: PageForm<TeamInput>) -> Result<Response, ApiError> {
    let (result, posted) = form.run(|input| admin::create_team(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(t) => Ok(redirect(&format!("/admin/teams/{}?ok=saved", t.team.id))),
        Err(e) => failed_team(&state, &caller, e, posted).await,
    }
}

async fn team_sections(state: &AppState, caller: &Caller, id: TeamId) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let t = admin::get_team(&state.core, &caller.ctx, id).await?;
    let mut member_rows = Vec::new();
    for m in &t.members {
        if let Ok(u) = admin::get_user(&state.core, &caller.ctx, *m).await {
            member_rows.push(vec![Cell::link(u.user.username.clone(), format!("/admin/users/{m}")), Cell::text(u.user.display_name)]);
        }
    }
    let delete = FormSection::delete(tr, format!("/admin/teams/{id}/delete"));
    Ok(vec![
        Section::Form(FormSection::post(
            "team",
            format!("/admin/teams/{id}"),
            tr.t("action.save"),
            team_fields(
                tr,
                [&t.team.name, &t.team.name_en],
                &t.team.description,
                t.team.email.as_deref().unwrap_or(""),
                &t.team.manager_id.map(|m| m.to_string()).unwrap_or_default(),
                user_options(state, caller, None).await?,
            ),
        )),
        Section::Heading(tr.t("team.members")),
        Section::Table(TableSection { columns: vec![tr.t("field.username"), tr.t("field.display_name")], rows: member_rows, next: None }),
        Section::Text(tr.t("team.members_help")),
        Section::Form(delete),
    ])
}

pub async fn team(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let s = team_sections(&state, &caller, TeamId(id)).await?;
    Ok(page(&state, &caller, "/admin/teams", caller.tr.t("team.title"), s, notice(caller.tr, &q.ok), Vec::new()).await)
}

pub async fn update_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<TeamInput>,
) -> Result<Response, ApiError> {
    let (result, posted) = form.run(|input| admin::update_team(&state.core, &caller.ctx, TeamId(id), input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("/admin/teams/{id}?ok=saved"))),
        Err(e) => {
            let sections = team_sections(&state, &caller, TeamId(id)).await?;
            failed_posted(&state, &caller, e, sections, caller.tr.t("team.title"), "/admin/teams", Posted::new("team", posted)).await
        }
    }
}

pub async fn delete_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    match admin::delete_team(&state.core, &caller.ctx, TeamId(id)).await {
        Ok(()) => Ok(redirect("/admin/teams?ok=deleted")),
        Err(e) => {
            let s = team_sections(&state, &caller, TeamId(id)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("team.title"), "/admin/teams").await
        }
    }
}

fn department_fields(tr: Tr, name: &str, code: &str, parent: &str, options: Vec<(String, String)>) -> Vec<Field> {
    vec![
        Field::new("text", "name", tr.t("field.name"), name).required(),
        Field::new("text", "code", tr.t("field.code_short"), code),
        Field::new("select", "parent_id", tr.t("field.parent_department"), parent).options(options),
    ]
}

pub async fn departments(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let req = page_request(Some(100), q.cursor.as_deref(), None, "name")?;
    let list = admin::list_departments(&state.core, &caller.ctx, None, &req).await?;
    let names: std::collections::HashMap<DepartmentId, String> = list.items.iter().map(|d| (d.id, d.name.clone())).collect();
    let rows = list
        .items
        .iter()
        .map(|d| {
            vec![
                Cell::link(d.name.clone(), format!("/admin/departments/{}", d.id)),
                Cell::text(d.code.clone().unwrap_or_default()),
                Cell::text(d.parent_id.and_then(|p| names.get(&p).cloned()).unwrap_or_default()),
            ]
        })
        .collect();
    let next = list.next_cursor.map(|c| format!("/admin/departments?cursor={c}"));
    let options = department_options(&state, &caller).await?;
    let create = FormSection::post("dept", "/admin/departments", tr.t("action.create"), department_fields(tr, "", "", "", options));
    let sections = ListView::new(tr, &["field.name", "field.code_short", "field.parent_department"], rows)
        .next(next)
        .create_form(tr.t("department.new"), create)
        .sections();
    Ok(page(&state, &caller, "/admin/departments", tr.t("nav.departments"), sections, notice(tr, &q.ok), Vec::new()).await)
}

pub async fn create_department(
    State(state): State<AppState>,
    caller: Caller,
    form: PageForm<DepartmentInput>,
) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let (result, posted) = form.run(|input| admin::create_department(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(_) => Ok(redirect("/admin/departments?ok=saved")),
        Err(e) => {
            let options = department_options(&state, &caller).await?;
            let fields = department_fields(tr, "", "", "", options);
            let sections = vec![Section::Form(FormSection::post("dept", "/admin/departments", tr.t("action.create"), fields))];
            failed_posted(&state, &caller, e, sections, tr.t("department.new"), "/admin/departments", Posted::new("dept", posted)).await
        }
    }
}

async fn department_sections(state: &AppState, caller: &Caller, id: DepartmentId) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let d = admin::get_department(&state.core, &caller.ctx, id).await?;
    let options = department_options(state, caller).await?;
    let delete = FormSection::delete(tr, format!("/admin/departments/{id}/delete"));
    Ok(vec![
        Section::Form(FormSection::post(
            "dept",
            format!("/admin/departments/{id}"),
            tr.t("action.save"),
            department_fields(
                tr,
                &d.name,
                d.code.as_deref().unwrap_or(""),
                &d.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                options,
            ),
        )),
        Section::Form(delete),
    ])
}

pub async fn department(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let s = department_sections(&state, &caller, DepartmentId(id)).await?;
    Ok(page(&state, &caller, "/admin/departments", caller.tr.t("department.title"), s, notice(caller.tr, &q.ok), Vec::new()).await)
}

pub async fn update_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<DepartmentInput>,
) -> Result<Response, ApiError> {
    let (result, posted) = form.run(|input| admin::update_department(&state.core, &caller.ctx, DepartmentId(id), input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("/admin/departments/{id}?ok=saved"))),
        Err(e) => {
            let sections = department_sections(&state, &caller, DepartmentId(id)).await?;
            failed_posted(&state, &caller, e, sections, caller.tr.t("department.title"), "/admin/departments", Posted::new("dept", posted))
                .await
        }
    }
}

pub async fn delete_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    match admin::delete_department(&state.core, &caller.ctx, DepartmentId(id)).await {
        Ok(()) => Ok(redirect("/admin/departments?ok=deleted")),
        Err(e) => {
            let s = department_sections(&state, &caller, DepartmentId(id)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("department.title"), "/admin/departments").await
        }
    }
}
