//! Server-rendered pages (askama), zh-CN and en, keyboard-usable. One generic
//! page template composes sections (text, tables, forms, a permission matrix),
//! so every list and form looks and behaves the same.

mod admin;
mod admin_grants;
mod admin_org;
mod admin_roles;
mod auth;
mod desk;
mod form;
mod home;
mod improvement;
mod incident;
mod incident_admin;
mod incident_form;
mod incident_major;
mod incident_queue;
mod incident_report;
mod profile;
mod request;
mod search;
mod sla;
mod survey;
mod survey_answer;
mod system;
mod webhook;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::i18n::Tr;
use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use yunwei_domain::permission::{Action, ObjectType};

pub use form::{Pairs, Posted, ReplyForm};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/p/{process}", get(home::process))
        .route("/notifications", get(home::notifications))
        .route("/notifications/read-all", post(home::read_all))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/login/second-factor", get(auth::second_factor_page).post(auth::second_factor_submit))
        .route("/logout", post(auth::logout))
        .route("/lang/{locale}", get(auth::switch_language))
        .route("/profile", get(profile::show).post(profile::save_preferences))
        .route("/profile/password", post(profile::change_password))
        .route("/profile/totp/begin", post(profile::totp_begin))
        .route("/profile/totp/confirm", post(profile::totp_confirm))
        .route("/profile/totp/disable", post(profile::totp_disable))
        .route("/profile/tokens", post(profile::create_token))
        .route("/profile/tokens/{id}/revoke", post(profile::revoke_token))
        .route("/profile/notifications", post(profile::save_notification_preferences))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/new", get(admin::new_user))
        .route("/admin/users/{id}", get(admin::user).post(admin::update_user))
        .route("/admin/users/{id}/roles", post(admin::user_roles))
        .route("/admin/users/{id}/teams", post(admin::user_teams))
        .route("/admin/users/{id}/disable", post(admin::disable_user))
        .route("/admin/users/{id}/enable", post(admin::enable_user))
        .route("/admin/users/{id}/password-reset", post(admin::reset_password))
        .route("/admin/teams", get(admin_org::teams).post(admin_org::create_team))
        .route("/admin/teams/{id}", get(admin_org::team).post(admin_org::update_team))
        .route("/admin/teams/{id}/delete", post(admin_org::delete_team))
        .route("/admin/departments", get(admin_org::departments).post(admin_org::create_department))
        .route("/admin/departments/{id}", get(admin_org::department).post(admin_org::update_department))
        .route("/admin/departments/{id}/delete", post(admin_org::delete_department))
        .route("/admin/roles", get(admin_roles::roles))
        .route("/admin/roles/new", get(admin_roles::new_role).post(admin_roles::create_role))
        .route("/admin/roles/{id}", get(admin_roles::role).post(admin_roles::update_role))
        .route("/admin/duty-grants", get(admin_grants::list))
        .route("/admin/duty-grants/{id}/approve", post(admin_grants::approve))
        .route("/admin/duty-grants/{id}/reject", post(admin_grants::reject))
        .route("/admin/audit", get(system::audit))
        .route("/admin/templates", get(system::templates))
        .route("/admin/templates/{event}/{locale}", get(system::template).post(system::save_template))
        .route("/admin/deliveries", get(system::dead_letters))
        .route("/admin/webhooks", get(webhook::show).post(webhook::create))
        .route("/admin/webhooks/{id}/toggle", post(webhook::toggle))
        .route("/admin/webhooks/{id}/test", post(webhook::test))
        .route("/admin/webhooks/{id}/rotate", post(webhook::rotate))
        .route("/admin/webhooks/{id}/delete", post(webhook::delete))
        .route("/admin/deliveries/{id}/retry", post(system::retry_delivery))
        .route("/admin/jobs", get(system::jobs))
        .route("/incidents", get(incident::queue).post(incident_form::create))
        .route("/incidents/new", get(incident_form::new_form))
        .route("/incidents/bulk", post(incident_queue::bulk))
        .route("/incidents/views", post(incident_queue::save_view))
        .route("/incidents/views/{id}/delete", post(incident_queue::delete_view))
        .route("/incidents/{number}", get(incident::ticket).post(incident_form::edit))
        .route("/incidents/{number}/comment", post(incident_form::comment))
        .route("/incidents/{number}/assign", post(incident_form::assign))
        .route("/incidents/{number}/escalate", post(incident_form::escalate))
        .route("/incidents/{number}/transition/{transition}", post(incident_form::transition))
        .route("/incidents/{number}/major", post(incident_form::declare_major))
        .route("/incidents/{number}/major/phase", post(incident_major::change_phase))
        .route("/incidents/{number}/major/entry", post(incident_major::post_entry))
        .route("/incidents/{number}/major/update", post(incident_major::post_update))
        .route("/incidents/{number}/major/interval", post(incident_major::set_interval))
        .route("/incidents/{number}/emergency-report", get(incident_report::page))
        .route("/incidents/{number}/watch", post(incident_form::watch))
        .route("/incidents/{number}/unwatch", post(incident_form::unwatch))
        .route("/search", get(search::page))
        .route("/requests", get(request::list))
        .route("/requests/{number}", get(request::show))
        .route("/requests/{number}/decide", post(request::decide))
        .route("/requests/{number}/tasks/{task}", post(request::task))
        .route("/requests/{number}/comment", post(request::comment))
        .route("/requests/{number}/transition/{action}", post(request::transition))
        .route("/catalog", get(request::catalog))
        .route("/catalog/{id}", get(request::item).post(request::submit))
        .route("/admin/sla", get(sla::overview))
        .route("/admin/sla/import", post(sla::import_days))
        .route("/admin/sla/policies", post(sla::create_policy))
        .route("/admin/sla/policies/new", get(sla::new_policy))
        .route("/admin/sla/policies/{id}", get(sla::policy).post(sla::update_policy))
        .route("/admin/service-desk", get(sla::desk))
        .route("/admin/service-desk/{part}", post(sla::save_desk))
        .route("/admin/incident-categories", get(incident_admin::categories).post(incident_admin::create_category))
        .route("/admin/incident-categories/{id}", get(incident_admin::category).post(incident_admin::update_category))
        .route("/admin/business-services", get(incident_admin::services).post(incident_admin::create_service))
        .route("/admin/business-services/{id}", get(incident_admin::service).post(incident_admin::update_service))
        .route("/surveys", get(survey::stats))
        .route("/surveys/list", get(survey::list))
        .route("/surveys/settings", post(survey::save_settings))
        .route("/surveys/{token}", get(survey_answer::page).post(survey_answer::submit))
        .route("/improvements", get(improvement::list).post(improvement::create))
        .route("/improvements/{number}", get(improvement::item).post(improvement::update))
        .route("/static/desk.css", get(desk::desk_css))
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
                    include_str!("../../static/app.css"),
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
                    include_str!("../../static/app.js"),
                )
            }),
        )
}

/// The processes of SPEC, each with its place in the navigation.
pub const PROCESSES: &[(&str, &str)] = &[
    ("incident", "desk"),
    ("request", "desk"),
    ("problem", "desk"),
    ("change", "desk"),
    ("release", "desk"),
    ("cmdb", "config"),
    ("asset", "config"),
    ("alert", "operations"),
    ("duty", "operations"),
    ("inspection", "operations"),
    ("security", "operations"),
    ("continuity", "operations"),
    ("sla", "service"),
    ("survey", "service"),
    ("knowledge", "service"),
    ("people", "service"),
    ("report", "service"),
];

/// Where a process lives: its own pages once built, else the placeholder that says what will be there.
pub fn process_href(process: &str) -> String {
    match process {
        "incident" => "/incidents".into(),
        "request" => "/requests".into(),
        "sla" => "/admin/sla".into(),
        "survey" => "/surveys".into(),
        _ => format!("/p/{process}"),
    }
}

pub struct NavItem {
    pub href: String,
    pub label: String,
    pub active: bool,
}

pub struct NavGroup {
    pub title: String,
    pub items: Vec<NavItem>,
}

pub struct ShellUser {
    pub display_name: String,
    pub unread: i64,
}

/// What every page around its content needs.
pub struct Shell {
    pub tr: Tr,
    pub user: Option<ShellUser>,
    pub csrf: String,
    pub nav: Vec<NavGroup>,
}

impl Shell {
    pub async fn new(state: &AppState, caller: &Caller, active: &str) -> Shell {
        let tr = caller.tr;
        let csrf = caller.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default();
        let Some(actor) = &caller.ctx.actor else {
            return Shell { tr, user: None, csrf, nav: Vec::new() };
        };
        let unread = yunwei_core::notify::my_unread_count(&state.core, &caller.ctx).await.unwrap_or(0);
        let item = |href: String, label: String| NavItem { active: href == active, href, label };
        let mut nav = vec![NavGroup { title: tr.t("nav.group.home"), items: vec![item("/".into(), tr.t("nav.home"))] }];
        for group in ["desk", "config", "operations", "service"] {
            let items = PROCESSES
                .iter()
                .filter(|p| p.1 == group)
                .map(|p| item(process_href(p.0), tr.t(&format!("process.{}.title", p.0))))
                .collect();
            nav.push(NavGroup { title: tr.t(&format!("nav.group.{group}")), items });
        }
        let can = |o: ObjectType, a: Action| actor.permissions.allows(o, a);
        // The desk's configuration lists need incident:read (core lists categories to reporters) and setting:update.
        let desk_admin = can(ObjectType::Setting, Action::Update) && can(ObjectType::Incident, Action::Read);
        let admin: Vec<NavItem> = [
            (can(ObjectType::User, Action::Read), "/admin/users", "nav.users"),
            (can(ObjectType::Team, Action::Read), "/admin/teams", "nav.teams"),
            (can(ObjectType::Department, Action::Read), "/admin/departments", "nav.departments"),
            (can(ObjectType::Role, Action::Read), "/admin/roles", "nav.roles"),
            (can(ObjectType::Role, Action::Read), "/admin/duty-grants", "nav.duty_grants"),
            (can(ObjectType::Setting, Action::Update), "/admin/service-desk", "nav.service_desk"),
            (desk_admin, "/admin/incident-categories", "nav.incident_categories"),
            (desk_admin, "/admin/business-services", "nav.business_services"),
            (can(ObjectType::AuditLog, Action::Read), "/admin/audit", "nav.audit"),
            (can(ObjectType::NotificationTemplate, Action::Read), "/admin/templates", "nav.templates"),
            (can(ObjectType::Delivery, Action::Read), "/admin/deliveries", "nav.deliveries"),
            (can(ObjectType::Webhook, Action::Read), "/admin/webhooks", "nav.webhooks"),
            (can(ObjectType::Job, Action::Read), "/admin/jobs", "nav.jobs"),
        ]
        .into_iter()
        .filter(|(allowed, _, _)| *allowed)
        .map(|(_, href, key)| item(href.into(), tr.t(key)))
        .collect();
        if !admin.is_empty() {
            nav.push(NavGroup { title: tr.t("nav.group.admin"), items: admin });
        }
        Shell { tr, user: Some(ShellUser { display_name: actor.display_name.clone(), unread }), csrf, nav }
    }
}

pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub badge: Option<String>,
    /// A button that posts to (action, label, confirmation question).
    pub post: Option<(String, String, String)>,
    /// A small badge after the text: (text, class), e.g. a "breached" marker.
    pub tag: Option<(String, String)>,
    /// A checkbox belonging to a form elsewhere on the page: (form id, name, value).
    pub check: Option<(String, String, String)>,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Self {
        Self { text: t.into(), href: None, badge: None, post: None, tag: None, check: None }
    }
    pub fn tag(mut self, text: impl Into<String>, class: &str) -> Self {
        self.tag = Some((text.into(), class.into()));
        self
    }
    pub fn link(t: impl Into<String>, href: impl Into<String>) -> Self {
        Self { href: Some(href.into()), ..Self::text(t) }
    }
    pub fn badge(t: impl Into<String>, class: &str) -> Self {
        Self { badge: Some(class.into()), ..Self::text(t) }
    }
    /// A row checkbox for a bulk form; `label` names the row for screen readers.
    pub fn check(form: &str, name: &str, value: impl Into<String>, label: impl Into<String>) -> Self {
        Self { check: Some((form.into(), name.into(), value.into())), ..Self::text(label) }
    }
    pub fn button(action: impl Into<String>, label: impl Into<String>, confirm: impl Into<String>) -> Self {
        Self { post: Some((action.into(), label.into(), confirm.into())), ..Self::text("") }
    }
}

pub struct TableSection {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub next: Option<String>,
}

#[derive(Default)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub checked: bool,
    pub disabled: bool,
    pub help: Option<String>,
    pub autocomplete: &'static str,
    /// Height of a textarea (0: the default).
    pub rows: u8,
    /// Spans the whole row of a form laid out in columns.
    pub wide: bool,
    /// What is wrong with the value (after a failed submit), shown beside the input.
    pub error: Option<String>,
}

impl Field {
    pub fn new(kind: &'static str, name: &str, label: String, value: impl Into<String>) -> Self {
        Self { kind, name: name.into(), label, value: value.into(), autocomplete: "off", ..Default::default() }
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn help(mut self, h: String) -> Self {
        self.help = Some(h);
        self
    }
    pub fn options(mut self, o: Vec<(String, String)>) -> Self {
        self.options = o;
        self
    }
    pub fn checked(mut self, c: bool) -> Self {
        self.checked = c;
        self
    }
    pub fn disabled(mut self, d: bool) -> Self {
        self.disabled = d;
        self
    }
    pub fn autocomplete(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }
    pub fn rows(mut self, r: u8) -> Self {
        self.rows = r;
        self
    }
    pub fn wide(mut self) -> Self {
        self.wide = true;
        self
    }
}

pub struct FormSection {
    pub id: &'static str,
    pub action: String,
    pub method: &'static str,
    pub fields: Vec<Field>,
    pub submit: String,
    pub confirm: Option<String>,
    pub inline: bool,
    /// A heading above the form (or the summary of a folded one).
    pub heading: Option<String>,
    /// Folded into a disclosure (`<details>`); `Some(true)` shows it open.
    pub fold: Option<bool>,
    /// Extra CSS classes, e.g. `cols-3` to lay fields out in a grid.
    pub class: &'static str,
}

impl FormSection {
    pub fn post(id: &'static str, action: impl Into<String>, submit: String, fields: Vec<Field>) -> Self {
        Self {
            id,
            action: action.into(),
            method: "post",
            fields,
            submit,
            confirm: None,
            inline: false,
            heading: None,
            fold: None,
            class: "",
        }
    }
    pub fn heading(mut self, h: String) -> Self {
        self.heading = Some(h);
        self
    }
    pub fn folded(mut self, open: bool) -> Self {
        self.fold = Some(open);
        self
    }
    pub fn class(mut self, c: &'static str) -> Self {
        self.class = c;
        self
    }
    pub fn confirm(mut self, c: String) -> Self {
        self.confirm = Some(c);
        self
    }
    pub fn get(id: &'static str, action: impl Into<String>, submit: String, fields: Vec<Field>) -> Self {
        Self { method: "get", inline: true, ..Self::post(id, action, submit, fields) }
    }
}

pub struct MatrixCell {
    pub key: &'static str,
    pub label: String,
    pub scope: &'static str,
}

pub struct MatrixRow {
    pub key: &'static str,
    pub label: String,
    pub cells: Vec<MatrixCell>,
}

pub struct MatrixSection {
    pub action: String,
    pub fields: Vec<Field>,
    pub actions: Vec<(&'static str, String)>,
    pub scopes: Vec<(&'static str, String)>,
    pub rows: Vec<MatrixRow>,
    pub submit: String,
}

/// A button that posts an empty form (with the CSRF token).
pub struct Button {
    pub action: String,
    pub label: String,
    pub confirm: Option<String>,
}

/// One entry of a record's history.
pub struct TimelineEntry {
    pub time: String,
    pub actor: String,
    pub what: String,
    pub body: String,
    /// Seen only by the desk (a work note).
    pub internal: bool,
}

pub enum Section {
    Text(String),
    Heading(String),
    /// Text whose line breaks matter (descriptions, replies).
    Prose(String),
    Pre(String),
    Svg(String),
    /// (text, CSS class) badges in a row.
    Badges(Vec<(String, String)>),
    /// Links between views of one list, with the navigation's label.
    Tabs(String, Vec<NavItem>),
    /// (href, label) links shown as buttons.
    Links(Vec<(String, String)>),
    Buttons(Vec<Button>),
    Facts(Vec<(String, String)>),
    Timeline(Vec<TimelineEntry>),
    Table(TableSection),
    Form(FormSection),
    Matrix(MatrixSection),
}

#[derive(Template)]
#[template(path = "page.html")]
pub struct PageTemplate {
    pub shell: Shell,
    pub title: String,
    pub notice: Option<String>,
    pub errors: Vec<String>,
    pub sections: Vec<Section>,
    /// A side column (facts and actions beside the main content).
    pub aside: Vec<Section>,
    /// `data-*` attributes on the content, for scripts (e.g. live updates).
    pub data: Vec<(&'static str, String)>,
}

/// The content of a page with a side column.
#[derive(Default)]
pub struct Layout {
    pub title: String,
    pub sections: Vec<Section>,
    pub aside: Vec<Section>,
    pub data: Vec<(&'static str, String)>,
}

/// Page attributes that let app.js follow the record live (`GET /api/v1/events/stream`)
/// and say, in the page's language, who changed it.
pub fn live_data(caller: &Caller, topic: String) -> Vec<(&'static str, String)> {
    let me = caller.ctx.actor_id().unwrap_or_default();
    vec![
        ("data-live-topic", topic),
        ("data-live-me", me.to_string()),
        ("data-live-text", caller.tr.t("live.updated_by")),
        ("data-live-reload", caller.tr.t("live.reload")),
    ]
}

pub fn html(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// Renders a page; `ok` is a notice key from a redirect (`?ok=saved`).
pub async fn page(
    state: &AppState,
    caller: &Caller,
    active: &str,
    title: String,
    sections: Vec<Section>,
    notice: Option<String>,
    errors: Vec<String>,
) -> Response {
    render(state, caller, active, Layout { title, sections, ..Layout::default() }, notice, errors).await
}

/// Renders a page laid out with a side column.
pub async fn render(
    state: &AppState,
    caller: &Caller,
    active: &str,
    layout: Layout,
    notice: Option<String>,
    errors: Vec<String>,
) -> Response {
    let shell = Shell::new(state, caller, active).await;
    let Layout { title, sections, aside, data } = layout;
    html(&PageTemplate { shell, title, notice, errors, sections, aside, data })
}

/// The messages of an error, in the caller's language, for the banner above a form.
pub fn messages(e: &ApiError, tr: Tr) -> Vec<String> {
    let mut out = vec![crate::middleware::error_title(e, tr)];
    for f in &e.fields {
        out.push(format!("{}: {}", field_label(&f.field, tr), tr.with(&format!("error.{}", f.code), &f.params)));
    }
    out
}

/// The label of an error's field: `summary.cause` by its own key if there is one, else by its first
/// part (`members[2]` → members); positions in lists are shown counting from 1.
fn field_label(field: &str, tr: Tr) -> String {
    let parts: Vec<&str> = field.split(['[', '.', ']']).filter(|s| !s.is_empty()).collect();
    let (names, indices): (Vec<&str>, Vec<&str>) = parts.iter().partition(|s| !s.chars().all(|c| c.is_ascii_digit()));
    let full = format!("field.{}", names.join("."));
    let label = if tr.has(&full) { tr.t(&full) } else { tr.t(&format!("field.{}", names.first().copied().unwrap_or(field))) };
    let positions: Vec<String> = indices.iter().filter_map(|n| n.parse::<usize>().ok()).map(|n| (n + 1).to_string()).collect();
    if positions.is_empty() { label } else { format!("{label} ({})", positions.join(", ")) }
}

/// After a failed form: `sections` again with the error's messages on top, at the error's
/// status. Server errors and a lost session pass on to the error page and the sign-in.
pub async fn failed(
    state: &AppState,
    caller: &Caller,
    e: ApiError,
    sections: Vec<Section>,
    title: String,
    active: &str,
) -> Result<Response, ApiError> {
    failed_layout(state, caller, e, Layout { title, sections, ..Layout::default() }, active).await
}

/// As [`failed`], for a page with a side column.
pub async fn failed_layout(state: &AppState, caller: &Caller, e: ApiError, layout: Layout, active: &str) -> Result<Response, ApiError> {
    failed_form(state, caller, e, layout, active, None).await
}

/// After a failed form: the page again with the form as `posted` (typed values, chosen
/// options, ticked boxes), each message beside its field and all of them above the page, at
/// the error's status. Server errors and a lost session pass on to the error page and the sign-in.
pub async fn failed_form(
    state: &AppState,
    caller: &Caller,
    e: ApiError,
    mut layout: Layout,
    active: &str,
    posted: Option<&Posted>,
) -> Result<Response, ApiError> {
    if e.status.is_server_error() || e.status == StatusCode::UNAUTHORIZED {
        return Err(e);
    }
    if let Some(p) = posted {
        form::refill(&mut layout.sections, p);
        form::refill(&mut layout.aside, p);
    }
    if !form::mark(&mut layout.sections, posted, &e, caller.tr) {
        form::mark(&mut layout.aside, posted, &e, caller.tr);
    }
    let mut res = render(state, caller, active, layout, None, messages(&e, caller.tr)).await;
    *res.status_mut() = e.status;
    Ok(res)
}

pub fn error_page(e: &ApiError, tr: Tr, request_id: &str) -> Response {
    let shell = Shell { tr, user: None, csrf: String::new(), nav: Vec::new() };
    let mut sections = vec![Section::Text(crate::middleware::error_title(e, tr))];
    sections.push(Section::Facts(vec![(tr.t("error.request_id"), request_id.to_string())]));
    sections.push(Section::Text(tr.t("error.back_home")));
    let mut res = html(&PageTemplate {
        shell,
        title: format!("{} {}", e.status.as_u16(), tr.t("error.title")),
        notice: None,
        errors: Vec::new(),
        sections,
        aside: Vec::new(),
        data: Vec::new(),
    });
    *res.status_mut() = e.status;
    res
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Only same-site relative paths are followed after sign-in.
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next.to_string() } else { "/".into() }
}

pub fn time(ms: i64, caller: &Caller) -> String {
    let zone = caller.ctx.actor.as_ref().map(|a| a.time_zone.as_str()).unwrap_or("Asia/Shanghai");
    yunwei_core::format_time(ms, zone)
}

pub fn redirect(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}
