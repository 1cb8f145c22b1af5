//! Administration pages for users; teams and departments are in `admin_org`, roles in
//! `admin_roles`. Forms bind to the API's input types (`NewUser`, `UserPatch`).

use super::{Cell, Field, FormSection, Layout, ListView, Posted, Section, failed_form, notice, page, redirect, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::admin::grants::Outcome;
use yunwei_core::admin::{self, NewUser, UserPatch};
use yunwei_core::store::admin::UserFilter;
use yunwei_domain::ids::{TeamId, UserId};
use yunwei_domain::permission::{Action, ObjectType};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub(super) q: Option<String>,
    pub(super) cursor: Option<String>,
    pub(super) ok: Option<String>,
}

/// Where the user forms' refusals without a field belong.
const USER_REFUSALS: &[(&str, &str)] = &[("separation_of_duties", "roles"), ("duty_on_create", "roles"), ("username_taken", "username")];

pub(super) async fn department_options(state: &AppState, caller: &Caller) -> Result<Vec<(String, String)>, ApiError> {
    let all = page_request(Some(200), None, None, "name")?;
    let mut out = vec![(String::new(), caller.tr.t("field.none"))];
    out.extend(admin::list_departments(&state.core, &caller.ctx, None, &all).await?.items.into_iter().map(|d| (d.id.to_string(), d.name)));
    Ok(out)
}

/// People to choose as a line manager or team lead, by name with the user name aside
/// (two people may share a name); `except` leaves out the user being edited.
pub(super) async fn user_options(state: &AppState, caller: &Caller, except: Option<UserId>) -> Result<Vec<(String, String)>, ApiError> {
    let tr = caller.tr;
    let all = page_request(Some(200), None, None, "username")?;
    let filter = UserFilter::default();
    let mut users = admin::list_users(&state.core, &caller.ctx, &filter, &all).await?.items;
    users.retain(|u| !u.disabled && Some(u.id) != except);
    users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let mut out = vec![(String::new(), tr.t("field.none"))];
    out.extend(users.into_iter().map(|u| {
        let label = if u.display_name == u.username { u.username } else { format!("{}{}", u.display_name, tr.aside(&u.username)) };
        (u.id.to_string(), label)
    }));
    Ok(out)
}

// ---- users ----

pub async fn users(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let req = page_request(Some(50), q.cursor.as_deref(), None, "username")?;
    let filter = UserFilter { q: q.q.clone(), ..Default::default() };
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
    let sections = ListView::new(tr, &["field.username", "field.display_name", "field.email", "field.status"], rows)
        .next(next)
        .search(tr, "/admin/users", q.q.as_deref())
        .create_link("/admin/users/new", tr.t("user.new"))
        .sections();
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
        Field::new("select", "manager_id", tr.t("field.line_manager"), "")
            .options(user_options(state, caller, None).await?)
            .help(tr.t("user.line_manager_help")),
        Field::new("select", "locale", tr.t("field.locale"), "zh-CN")
            .options(vec![("zh-CN".into(), "中文（简体）".into()), ("en".into(), "English".into())]),
    ];
    for r in roles {
        fields.push(Field::new("checkbox", "roles", role_label(tr, &r.name_zh, &r.name_en), r.key.clone()));
    }
    Ok(vec![
        Section::Text(tr.t("user.initial_password_help")),
        Section::Form(FormSection::post("user", "/admin/users", tr.t("action.create"), fields)),
    ])
}

/// A role by its name in the reader's language (its key is for the API, not for people).
pub fn role_label(tr: Tr, zh: &str, en: &str) -> String {
    if tr.is_zh() { zh.to_string() } else { en.to_string() }
}

pub async fn new_user(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.ctx.authorize(ObjectType::User, Action::Create)?;
    let sections = new_user_form(&state, &caller).await?;
    Ok(page(&state, &caller, "/admin/users", caller.tr.t("user.new"), sections, None, Vec::new()).await)
}

/// Creates a user from the form bound to the API's `NewUser`; a refusal shows the form again as typed.
pub async fn create_user(State(state): State<AppState>, caller: Caller, form: PageForm<NewUser>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let (result, posted) = form.run(|input| admin::create_user(&state.core, &caller.ctx, input)).await;
    match result {
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
            let sections = new_user_form(&state, &caller).await?;
            let posted = Posted::new("user", posted).refers(USER_REFUSALS);
            failed_form(
                &state,
                &caller,
                e,
                Layout { title: tr.t("user.new"), sections, ..Layout::default() },
                "/admin/users",
                Some(&posted),
            )
            .await
        }
    }
}

async fn user_sections(state: &AppState, caller: &Caller, id: UserId) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let view = admin::get_user(&state.core, &caller.ctx, id).await?;
    let u = &view.user;
    let locked = u.locked_until.filter(|l| *l > state.core.now_ms()).map(|l| time(l, caller)).unwrap_or_else(|| "—".into());
    let mut s = vec![Section::facts(
        tr,
        [
            ("field.username", u.username.clone()),
            ("field.status", tr.t(if u.disabled { "status.disabled" } else { "status.active" })),
            ("field.totp", tr.t(if u.totp_enabled { "status.on" } else { "status.off" })),
            ("field.locked_until", locked),
            ("field.created", time(u.created_at, caller)),
        ],
    )];
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
            Field::new("select", "manager_id", tr.t("field.line_manager"), u.manager_id.map(|m| m.to_string()).unwrap_or_default())
                .options(user_options(state, caller, Some(id)).await?)
                .help(tr.t("user.line_manager_help")),
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
            Field::new("checkbox", "roles", role_label(tr, &r.name_zh, &r.name_en), r.key.clone()).checked(view.roles.contains(&r.key))
        })
        .collect();
    s.push(Section::Form(FormSection::post("roles", format!("/admin/users/{id}/roles"), tr.t("user.save_roles"), fields)));
    s.push(Section::Heading(tr.t("user.teams")));
    let all = page_request(Some(200), None, None, "name")?;
    let teams = admin::list_teams(&state.core, &caller.ctx, None, &all).await.map(|p| p.items).unwrap_or_default();
    let fields = teams
        .iter()
        .map(|t| {
            let name = super::local_name(tr, &t.name, &t.name_en);
            Field::new("checkbox", "teams", name, t.id.to_string()).checked(view.teams.contains(&t.id))
        })
        .collect();
    s.push(Section::Form(FormSection::post("teams", format!("/admin/users/{id}/teams"), tr.t("user.save_teams"), fields)));
    s.push(Section::Heading(tr.t("user.actions")));
    let (path, label, confirm) =
        if u.disabled { ("enable", "user.enable", "user.enable_confirm") } else { ("disable", "user.disable", "user.disable_confirm") };
    s.push(Section::Form(FormSection::confirmed("toggle", format!("/admin/users/{id}/{path}"), tr.t(label), tr.t(confirm))));
    let reset = format!("/admin/users/{id}/password-reset");
    s.push(Section::Form(FormSection::confirmed("reset", reset, tr.t("user.reset_password"), tr.t("user.reset_password_confirm"))));
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

/// The user page again after a failed form, with that form as typed.
async fn user_failed(state: &AppState, caller: &Caller, id: i64, e: ApiError, posted: Posted) -> Result<Response, ApiError> {
    let sections = user_sections(state, caller, UserId(id)).await?;
    let layout = Layout { title: caller.tr.t("user.title"), sections, ..Layout::default() };
    failed_form(state, caller, e, layout, "/admin/users", Some(&posted.refers(USER_REFUSALS))).await
}

/// Saves the details form, bound to the API's `UserPatch`. The form sends every field, so a
/// blank one clears it; the required ones are sent as typed and checked by core.
pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<UserPatch>,
) -> Result<Response, ApiError> {
    let (result, posted) = form
        .run(|mut patch| {
            for required in [&mut patch.display_name, &mut patch.locale, &mut patch.time_zone] {
                required.get_or_insert_with(String::new);
            }
            admin::update_user(&state.core, &caller.ctx, UserId(id), patch)
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!("/admin/users/{id}?ok=saved"))),
        Err(e) => user_failed(&state, &caller, id, e, Posted::new("user", posted)).await,
    }
}

#[derive(Deserialize)]
pub struct RolesForm {
    #[serde(default)]
    roles: Vec<String>,
}

pub async fn user_roles(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<RolesForm>,
) -> Result<Response, ApiError> {
    let (core, ctx) = (&state.core, &caller.ctx);
    let (result, posted) = form.run(|f| async move { admin::set_user_roles(core, ctx, UserId(id), &f.roles).await }).await;
    match result {
        Ok(Outcome::Applied(_)) => Ok(redirect(&format!("/admin/users/{id}?ok=saved"))),
        Ok(Outcome::Pending(_)) => Ok(redirect(&format!("/admin/users/{id}?ok=grant_requested"))),
        Err(e) => user_failed(&state, &caller, id, e, Posted::new("roles", posted)).await,
    }
}

#[derive(Deserialize)]
pub struct TeamsForm {
    #[serde(default)]
    teams: Vec<TeamId>,
}

pub async fn user_teams(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<TeamsForm>,
) -> Result<Response, ApiError> {
    let (core, ctx) = (&state.core, &caller.ctx);
    let (result, posted) = form.run(|f| async move { admin::set_user_teams(core, ctx, UserId(id), &f.teams).await }).await;
    match result {
        Ok(_) => Ok(redirect(&format!("/admin/users/{id}?ok=saved"))),
        Err(e) => user_failed(&state, &caller, id, e, Posted::new("teams", posted)).await,
    }
}

#[derive(Deserialize)]
pub struct Empty {}

async fn toggle(state: AppState, caller: Caller, id: i64, disabled: bool) -> Result<Response, ApiError> {
    match admin::set_user_disabled(&state.core, &caller.ctx, UserId(id), disabled).await {
        Ok(_) => Ok(redirect(&format!("/admin/users/{id}?ok=saved"))),
        Err(e) => user_failed(&state, &caller, id, e.into(), Posted::new("toggle", Vec::new())).await,
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
