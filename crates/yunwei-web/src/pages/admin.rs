//! Administration pages: users, teams, departments, roles (permission matrix).

use super::{Cell, Field, FormSection, MatrixCell, MatrixRow, MatrixSection, Section, TableSection, failed, page, redirect, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::admin::grants::Outcome;
use yunwei_core::admin::{self, DepartmentInput, NewUser, RoleInput, TeamInput, UserPatch};
use yunwei_core::store::admin::UserFilter;
use yunwei_domain::ids::{DepartmentId, RoleId, TeamId, UserId};
use yunwei_domain::permission::{Action, ObjectType, Permission, Scope};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    cursor: Option<String>,
    ok: Option<String>,
}

fn notice(tr: Tr, ok: &Option<String>) -> Option<String> {
    ok.as_ref().map(|k| tr.t(&format!("notice.{k}")))
}

fn opt(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn opt_id(v: &str) -> Option<i64> {
    v.trim().parse().ok()
}

async fn department_options(state: &AppState, caller: &Caller) -> Result<Vec<(String, String)>, ApiError> {
    let all = page_request(Some(200), None, None, "name")?;
    let mut out = vec![(String::new(), caller.tr.t("field.none"))];
    out.extend(admin::list_departments(&state.core, &caller.ctx, None, &all).await?.items.into_iter().map(|d| (d.id.to_string(), d.name)));
    Ok(out)
}

// ---- users ----

pub async fn users(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let req = page_request(Some(50), q.cursor.as_deref(), None, "username")?;
    let filter = UserFilter { q: q.q.clone().filter(|s| !s.is_empty()), ..Default::default() };
    let list = admin::list_users(&state.core, &caller.ctx, &filter, &req).await?;
    let rows = list
        .items
        .iter()
        .map(|u| {
            vec![
                Cell::link(u.username.clone(), format!("/admin/users/{}", u.id)),
                Cell::text(u.display_name.clone()),
                Cell::text(u.email.clone().unwrap_or_default()),
                if u.disabled { Cell::badge(tr.t("status.disabled"), "off") } else { Cell::badge(tr.t("status.active"), "on") },
            ]
        })
        .collect();
    let next = list.next_cursor.map(|c| format!("/admin/users?cursor={c}&q={}", super::url_encode(q.q.as_deref().unwrap_or(""))));
    let sections = vec![
        Section::Form(FormSection::get(
            "search",
            "/admin/users",
            tr.t("action.search"),
            vec![Field::new("search", "q", tr.t("action.search"), q.q.clone().unwrap_or_default())],
        )),
        Section::Text(String::new()),
        Section::Table(TableSection {
            columns: vec![tr.t("field.username"), tr.t("field.display_name"), tr.t("field.email"), tr.t("field.status")],
            rows,
            next,
        }),
        Section::Form(FormSection::get("new", "/admin/users/new", tr.t("user.new"), Vec::new())),
    ];
    Ok(page(&state, &caller, "/admin/users", tr.t("nav.users"), sections, notice(tr, &q.ok), Vec::new()).await)
}

async fn new_user_form(state: &AppState, caller: &Caller) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let roles = admin::list_roles(&state.core, &caller.ctx).await.unwrap_or_default();
    let mut fields = vec![
        Field::new("text", "username", tr.t("field.username"), "").required(),
        Field::new("text", "display_name", tr.t("field.display_name"), "").required(),
        Field::new("email", "email", tr.t("field.email"), ""),
        Field::new("text", "phone", tr.t("field.phone"), ""),
        Field::new("select", "department_id", tr.t("field.department"), "").options(department_options(state, caller).await?),
        Field::new("select", "locale", tr.t("field.locale"), "zh-CN")
            .options(vec![("zh-CN".into(), "中文（简体）".into()), ("en".into(), "English".into())]),
    ];
    for r in roles {
        fields.push(Field::new("checkbox", "role", role_label(tr, &r.key, &r.name_zh, &r.name_en), r.key.clone()));
    }
    Ok(vec![
        Section::Text(tr.t("user.initial_password_help")),
        Section::Form(FormSection::post("user", "/admin/users", tr.t("action.create"), fields)),
    ])
}

pub fn role_label(tr: Tr, key: &str, zh: &str, en: &str) -> String {
    let name = if tr.is_zh() { zh } else { en };
    format!("{name} ({key})")
}

pub async fn new_user(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.ctx.authorize(ObjectType::User, Action::Create)?;
    let sections = new_user_form(&state, &caller).await?;
    Ok(page(&state, &caller, "/admin/users", caller.tr.t("user.new"), sections, None, Vec::new()).await)
}

pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let input = NewUser {
        username: get("username"),
        display_name: get("display_name"),
        email: opt(&get("email")),
        phone: opt(&get("phone")),
        department_id: opt_id(&get("department_id")).map(DepartmentId),
        manager_id: None,
        locale: opt(&get("locale")),
        time_zone: None,
        password: None,
        roles: pairs.iter().filter(|(k, _)| k == "role").map(|(_, v)| v.clone()).collect(),
        teams: Vec::new(),
    };
    let tr = caller.tr;
    match admin::create_user(&state.core, &caller.ctx, input).await {
        Ok(created) => {
            let mut sections = vec![Section::Text(tr.t("user.created"))];
            if let Some(p) = created.initial_password {
                sections.push(Section::Facts(vec![
                    (tr.t("field.username"), created.user.user.username.clone()),
                    (tr.t("user.initial_password"), p),
                ]));
                sections.push(Section::Text(tr.t("token.shown_once")));
            }
            sections.push(Section::Text(String::new()));
            sections.push(Section::Form(FormSection::get(
                "open",
                format!("/admin/users/{}", created.user.user.id),
                tr.t("user.open"),
                Vec::new(),
            )));
            Ok(page(&state, &caller, "/admin/users", tr.t("user.new"), sections, None, Vec::new()).await)
        }
        Err(e) => {
            let form = new_user_form(&state, &caller).await?;
            failed(&state, &caller, e.into(), form, tr.t("user.new"), "/admin/users").await
        }
    }
}

async fn user_sections(state: &AppState, caller: &Caller, id: UserId) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let view = admin::get_user(&state.core, &caller.ctx, id).await?;
    let u = &view.user;
    let mut s = vec![Section::Facts(vec![
        (tr.t("field.username"), u.username.clone()),
        (tr.t("field.status"), tr.t(if u.disabled { "status.disabled" } else { "status.active" })),
        (tr.t("field.totp"), tr.t(if u.totp_enabled { "status.on" } else { "status.off" })),
        (
            tr.t("field.locked_until"),
            u.locked_until.filter(|l| *l > state.core.now_ms()).map(|l| time(l, caller)).unwrap_or_else(|| "—".into()),
        ),
        (tr.t("field.created"), time(u.created_at, caller)),
    ])];
    s.push(Section::Heading(tr.t("user.details")));
    s.push(Section::Form(FormSection::post(
        "user",
        format!("/admin/users/{id}"),
        tr.t("action.save"),
        vec![
            Field::new("text", "display_name", tr.t("field.display_name"), u.display_name.clone()).required(),
            Field::new("email", "email", tr.t("field.email"), u.email.clone().unwrap_or_default()),
            Field::new("text", "phone", tr.t("field.phone"), u.phone.clone().unwrap_or_default()),
            Field::new("select", "department_id", tr.t("field.department"), u.department_id.map(|d| d.to_string()).unwrap_or_default())
                .options(department_options(state, caller).await?),
            Field::new("select", "locale", tr.t("field.locale"), u.locale.clone())
                .options(vec![("zh-CN".into(), "中文（简体）".into()), ("en".into(), "English".into())]),
            Field::new("text", "time_zone", tr.t("field.time_zone"), u.time_zone.clone()).required(),
        ],
    )));
    s.push(Section::Heading(tr.t("user.roles")));
    s.push(Section::Text(tr.t("user.sod_help")));
    let roles = admin::list_roles(&state.core, &caller.ctx).await.unwrap_or_default();
    let fields = roles
        .iter()
        .map(|r| {
            Field::new("checkbox", "role", role_label(tr, &r.key, &r.name_zh, &r.name_en), r.key.clone())
                .checked(view.roles.contains(&r.key))
        })
        .collect();
    s.push(Section::Form(FormSection::post("roles", format!("/admin/users/{id}/roles"), tr.t("user.save_roles"), fields)));
    s.push(Section::Heading(tr.t("user.teams")));
    let all = page_request(Some(200), None, None, "name")?;
    let teams = admin::list_teams(&state.core, &caller.ctx, None, &all).await.map(|p| p.items).unwrap_or_default();
    let fields = teams
        .iter()
        .map(|t| Field::new("checkbox", "team", t.name.clone(), t.id.to_string()).checked(view.teams.contains(&t.id)))
        .collect();
    s.push(Section::Form(FormSection::post("teams", format!("/admin/users/{id}/teams"), tr.t("user.save_teams"), fields)));
    s.push(Section::Heading(tr.t("user.actions")));
    let (path, label, confirm) =
        if u.disabled { ("enable", "user.enable", "user.enable_confirm") } else { ("disable", "user.disable", "user.disable_confirm") };
    let mut toggle = FormSection::post("toggle", format!("/admin/users/{id}/{path}"), tr.t(label), Vec::new());
    toggle.confirm = Some(tr.t(confirm));
    s.push(Section::Form(toggle));
    let mut reset = FormSection::post("reset", format!("/admin/users/{id}/password-reset"), tr.t("user.reset_password"), Vec::new());
    reset.confirm = Some(tr.t("user.reset_password_confirm"));
    s.push(Section::Form(reset));
    Ok(s)
}

pub async fn user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let s = user_sections(&state, &caller, UserId(id)).await?;
    Ok(page(&state, &caller, "/admin/users", caller.tr.t("user.title"), s, notice(caller.tr, &q.ok), Vec::new()).await)
}

#[derive(Deserialize)]
pub struct UserForm {
    display_name: String,
    email: String,
    phone: String,
    department_id: String,
    locale: String,
    time_zone: String,
}

pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<UserForm>,
) -> Result<Response, ApiError> {
    let patch = UserPatch {
        display_name: Some(f.display_name),
        email: Some(opt(&f.email)),
        phone: Some(opt(&f.phone)),
        department_id: Some(opt_id(&f.department_id).map(DepartmentId)),
        manager_id: None,
        locale: Some(f.locale),
        time_zone: Some(f.time_zone.trim().to_string()),
    };
    match admin::update_user(&state.core, &caller.ctx, UserId(id), patch).await {
        Ok(_) => Ok(redirect(&format!("/admin/users/{id}?ok=saved"))),
        Err(e) => {
            let s = user_sections(&state, &caller, UserId(id)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("user.title"), "/admin/users").await
        }
    }
}

pub async fn user_roles(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let keys: Vec<String> = pairs.into_iter().filter(|(k, _)| k == "role").map(|(_, v)| v).collect();
    match admin::set_user_roles(&state.core, &caller.ctx, UserId(id), &keys).await {
        Ok(Outcome::Applied(_)) => Ok(redirect(&format!("/admin/users/{id}?ok=saved"))),
        Ok(Outcome::Pending(_)) => Ok(redirect(&format!("/admin/users/{id}?ok=grant_requested"))),
        Err(e) => {
            let s = user_sections(&state, &caller, UserId(id)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("user.title"), "/admin/users").await
        }
    }
}

pub async fn user_teams(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    // A value that is not a number cannot name a team: it is refused as an unknown team.
    let teams: Vec<TeamId> = pairs.iter().filter(|(k, _)| k == "team").map(|(_, v)| TeamId(v.parse().unwrap_or(-1))).collect();
    match admin::set_user_teams(&state.core, &caller.ctx, UserId(id), &teams).await {
        Ok(_) => Ok(redirect(&format!("/admin/users/{id}?ok=saved"))),
        Err(e) => {
            let s = user_sections(&state, &caller, UserId(id)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("user.title"), "/admin/users").await
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

async fn toggle(state: AppState, caller: Caller, id: i64, disabled: bool) -> Result<Response, ApiError> {
    match admin::set_user_disabled(&state.core, &caller.ctx, UserId(id), disabled).await {
        Ok(_) => Ok(redirect(&format!("/admin/users/{id}?ok=saved"))),
        Err(e) => {
            let s = user_sections(&state, &caller, UserId(id)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("user.title"), "/admin/users").await
        }
    }
}

pub async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    toggle(state, caller, id, true).await
}

pub async fn enable_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    toggle(state, caller, id, false).await
}

pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let temporary = yunwei_core::auth::reset_password(&state.core, &caller.ctx, UserId(id)).await?;
    let mut s = vec![Section::Facts(vec![(tr.t("user.initial_password"), temporary)]), Section::Text(tr.t("token.shown_once"))];
    s.extend(user_sections(&state, &caller, UserId(id)).await?);
    Ok(page(&state, &caller, "/admin/users", tr.t("user.title"), s, None, Vec::new()).await)
}

// ---- teams and departments ----

fn team_fields(tr: Tr, name: &str, description: &str, email: &str) -> Vec<Field> {
    vec![
        Field::new("text", "name", tr.t("field.name"), name).required(),
        Field::new("text", "description", tr.t("field.description"), description),
        Field::new("email", "email", tr.t("field.email"), email),
    ]
}

pub async fn teams(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let req = page_request(Some(100), q.cursor.as_deref(), None, "name")?;
    let list = admin::list_teams(&state.core, &caller.ctx, q.q.as_deref().filter(|s| !s.is_empty()), &req).await?;
    let rows = list
        .items
        .iter()
        .map(|t| {
            vec![
                Cell::link(t.name.clone(), format!("/admin/teams/{}", t.id)),
                Cell::text(t.description.clone()),
                Cell::text(t.email.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let next = list.next_cursor.map(|c| format!("/admin/teams?cursor={c}"));
    let sections = vec![
        Section::Table(TableSection { columns: vec![tr.t("field.name"), tr.t("field.description"), tr.t("field.email")], rows, next }),
        Section::Heading(tr.t("team.new")),
        Section::Form(FormSection::post("team", "/admin/teams", tr.t("action.create"), team_fields(tr, "", "", ""))),
    ];
    Ok(page(&state, &caller, "/admin/teams", tr.t("nav.teams"), sections, notice(tr, &q.ok), Vec::new()).await)
}

#[derive(Deserialize)]
pub struct TeamForm {
    name: String,
    description: String,
    email: String,
}

impl TeamForm {
    fn input(&self, members: Option<Vec<UserId>>) -> TeamInput {
        TeamInput { name: self.name.clone(), description: self.description.clone(), email: opt(&self.email), manager_id: None, members }
    }
}

pub async fn create_team(State(state): State<AppState>, caller: Caller, CsrfForm(f): CsrfForm<TeamForm>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    match admin::create_team(&state.core, &caller.ctx, f.input(None)).await {
        Ok(t) => Ok(redirect(&format!("/admin/teams/{}?ok=saved", t.team.id))),
        Err(e) => {
            let s = vec![Section::Form(FormSection::post(
                "team",
                "/admin/teams",
                tr.t("action.create"),
                team_fields(tr, &f.name, &f.description, &f.email),
            ))];
            failed(&state, &caller, e.into(), s, tr.t("team.new"), "/admin/teams").await
        }
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
    let mut delete = FormSection::post("delete", format!("/admin/teams/{id}/delete"), tr.t("action.delete"), Vec::new());
    delete.confirm = Some(tr.t("action.delete_confirm"));
    Ok(vec![
        Section::Form(FormSection::post(
            "team",
            format!("/admin/teams/{id}"),
            tr.t("action.save"),
            team_fields(tr, &t.team.name, &t.team.description, t.team.email.as_deref().unwrap_or("")),
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
    CsrfForm(f): CsrfForm<TeamForm>,
) -> Result<Response, ApiError> {
    match admin::update_team(&state.core, &caller.ctx, TeamId(id), f.input(None)).await {
        Ok(_) => Ok(redirect(&format!("/admin/teams/{id}?ok=saved"))),
        Err(e) => {
            let s = team_sections(&state, &caller, TeamId(id)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("team.title"), "/admin/teams").await
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
    let sections = vec![
        Section::Table(TableSection {
            columns: vec![tr.t("field.name"), tr.t("field.code_short"), tr.t("field.parent_department")],
            rows,
            next,
        }),
        Section::Heading(tr.t("department.new")),
        Section::Form(FormSection::post("dept", "/admin/departments", tr.t("action.create"), department_fields(tr, "", "", "", options))),
    ];
    Ok(page(&state, &caller, "/admin/departments", tr.t("nav.departments"), sections, notice(tr, &q.ok), Vec::new()).await)
}

#[derive(Deserialize)]
pub struct DepartmentForm {
    name: String,
    code: String,
    parent_id: String,
}

impl DepartmentForm {
    fn input(&self) -> DepartmentInput {
        DepartmentInput { name: self.name.clone(), code: opt(&self.code), parent_id: opt_id(&self.parent_id).map(DepartmentId) }
    }
}

pub async fn create_department(
    State(state): State<AppState>,
    caller: Caller,
    CsrfForm(f): CsrfForm<DepartmentForm>,
) -> Result<Response, ApiError> {
    let tr = caller.tr;
    match admin::create_department(&state.core, &caller.ctx, f.input()).await {
        Ok(_) => Ok(redirect("/admin/departments?ok=saved")),
        Err(e) => {
            let options = department_options(&state, &caller).await?;
            let s = vec![Section::Form(FormSection::post(
                "dept",
                "/admin/departments",
                tr.t("action.create"),
                department_fields(tr, &f.name, &f.code, &f.parent_id, options),
            ))];
            failed(&state, &caller, e.into(), s, tr.t("department.new"), "/admin/departments").await
        }
    }
}

async fn department_sections(state: &AppState, caller: &Caller, id: DepartmentId) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let d = admin::get_department(&state.core, &caller.ctx, id).await?;
    let options = department_options(state, caller).await?;
    let mut delete = FormSection::post("delete", format!("/admin/departments/{id}/delete"), tr.t("action.delete"), Vec::new());
    delete.confirm = Some(tr.t("action.delete_confirm"));
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
    CsrfForm(f): CsrfForm<DepartmentForm>,
) -> Result<Response, ApiError> {
    match admin::update_department(&state.core, &caller.ctx, DepartmentId(id), f.input()).await {
        Ok(_) => Ok(redirect(&format!("/admin/departments/{id}?ok=saved"))),
        Err(e) => {
            let s = department_sections(&state, &caller, DepartmentId(id)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("department.title"), "/admin/departments").await
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

// ---- roles ----

pub async fn roles(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let list = admin::list_roles(&state.core, &caller.ctx).await?;
    let rows = list
        .iter()
        .map(|r| {
            vec![
                Cell::link(if tr.is_zh() { r.name_zh.clone() } else { r.name_en.clone() }, format!("/admin/roles/{}", r.id)),
                Cell::text(r.key.clone()),
                Cell::text(r.duty.map(|d| tr.t(&format!("duty.{d}"))).unwrap_or_default()),
                Cell::text(r.permissions.len().to_string()),
                Cell::text(tr.t(if r.builtin { "role.builtin" } else { "role.custom" })),
            ]
        })
        .collect();
    let sections = vec![
        Section::Table(TableSection {
            columns: vec![tr.t("field.name"), tr.t("role.key"), tr.t("role.duty"), tr.t("role.permissions"), tr.t("role.kind")],
            rows,
            next: None,
        }),
        Section::Form(FormSection::get("new", "/admin/roles/new", tr.t("role.new"), Vec::new())),
    ];
    Ok(page(&state, &caller, "/admin/roles", tr.t("nav.roles"), sections, notice(tr, &q.ok), Vec::new()).await)
}

fn role_matrix(
    tr: Tr,
    action: String,
    key: Option<&str>,
    name_zh: &str,
    name_en: &str,
    require_totp: bool,
    granted: &[Permission],
) -> Section {
    let mut fields = Vec::new();
    if let Some(k) = key {
        fields.push(Field::new("text", "key", tr.t("role.key"), k).required());
    }
    fields.push(Field::new("text", "name_zh", tr.t("role.name_zh"), name_zh).required());
    fields.push(Field::new("text", "name_en", tr.t("role.name_en"), name_en).required());
    fields.push(Field::new("checkbox", "require_totp", tr.t("role.require_totp"), "true").checked(require_totp));
    let rows = ObjectType::ALL
        .iter()
        .map(|o| MatrixRow {
            key: o.as_str(),
            label: tr.t(&format!("object.{o}")),
            cells: Action::ALL
                .iter()
                .map(|a| MatrixCell {
                    key: a.as_str(),
                    label: tr.t(&format!("permission.action.{a}")),
                    scope: granted
                        .iter()
                        .filter(|p| p.object == *o && p.action == *a)
                        .map(|p| p.scope.as_str())
                        .max_by_key(|s| s.parse::<Scope>().ok())
                        .unwrap_or("none"),
                })
                .collect(),
        })
        .collect();
    let mut scopes = vec![("none", "—".to_string())];
    scopes.extend(Scope::ALL.iter().map(|s| (s.as_str(), tr.t(&format!("permission.scope.{s}")))));
    Section::Matrix(MatrixSection {
        action,
        fields,
        actions: Action::ALL.iter().map(|a| (a.as_str(), tr.t(&format!("permission.action.{a}")))).collect(),
        scopes,
        rows,
        submit: tr.t("action.save"),
    })
}

pub async fn new_role(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.ctx.authorize(ObjectType::Role, Action::Create)?;
    let tr = caller.tr;
    let s = vec![role_matrix(tr, "/admin/roles/new".into(), Some(""), "", "", false, &[])];
    Ok(page(&state, &caller, "/admin/roles", tr.t("role.new"), s, None, Vec::new()).await)
}

fn role_input(pairs: &[(String, String)]) -> RoleInput {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    RoleInput {
        key: get("key"),
        name_en: get("name_en").unwrap_or_default(),
        name_zh: get("name_zh").unwrap_or_default(),
        description: String::new(),
        require_totp: get("require_totp").is_some(),
        permissions: pairs.iter().filter(|(k, v)| k == "perm" && !v.ends_with(":none")).map(|(_, v)| v.clone()).collect(),
    }
}

pub async fn create_role(
    State(state): State<AppState>,
    caller: Caller,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let input = role_input(&pairs);
    match admin::create_role(&state.core, &caller.ctx, input.clone()).await {
        Ok(r) => Ok(redirect(&format!("/admin/roles/{}?ok=saved", r.id))),
        Err(e) => {
            let granted: Vec<Permission> = input.permissions.iter().filter_map(|p| p.parse().ok()).collect();
            let s = vec![role_matrix(
                tr,
                "/admin/roles/new".into(),
                Some(input.key.as_deref().unwrap_or("")),
                &input.name_zh,
                &input.name_en,
                input.require_totp,
                &granted,
            )];
            failed(&state, &caller, e.into(), s, tr.t("role.new"), "/admin/roles").await
        }
    }
}

pub async fn role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let r = admin::get_role(&state.core, &caller.ctx, RoleId(id)).await?;
    let mut s = vec![Section::Facts(vec![
        (tr.t("role.key"), r.key.clone()),
        (tr.t("role.duty"), r.duty.map(|d| tr.t(&format!("duty.{d}"))).unwrap_or_else(|| "—".into())),
    ])];
    s.push(role_matrix(tr, format!("/admin/roles/{id}"), None, &r.name_zh, &r.name_en, r.require_totp, &r.permissions));
    Ok(page(&state, &caller, "/admin/roles", tr.t("role.title"), s, notice(tr, &q.ok), Vec::new()).await)
}

pub async fn update_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let input = role_input(&pairs);
    match admin::update_role(&state.core, &caller.ctx, RoleId(id), input.clone()).await {
        Ok(Outcome::Applied(_)) => Ok(redirect(&format!("/admin/roles/{id}?ok=saved"))),
        Ok(Outcome::Pending(_)) => Ok(redirect(&format!("/admin/roles/{id}?ok=grant_requested"))),
        Err(e) => {
            let granted: Vec<Permission> = input.permissions.iter().filter_map(|p| p.parse().ok()).collect();
            let s = vec![role_matrix(tr, format!("/admin/roles/{id}"), None, &input.name_zh, &input.name_en, input.require_totp, &granted)];
            failed(&state, &caller, e.into(), s, tr.t("role.title"), "/admin/roles").await
        }
    }
}
