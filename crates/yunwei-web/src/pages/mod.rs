//! Server-rendered pages (askama), zh-CN and en, keyboard-usable. One generic
//! page template composes sections (text, tables, forms, a permission matrix),
//! so every list and form looks and behaves the same.

mod admin;
mod admin_grants;
mod admin_org;
mod admin_roles;
mod asset;
mod asset_licence;
mod asset_record;
mod asset_stocktake;
mod auth;
mod catalog;
mod change;
mod change_calendar;
mod change_record;
mod chart;
mod ci_pick;
mod cmdb;
mod cmdb_ci;
mod cmdb_classes;
mod cmdb_discovery;
mod cmdb_graph;
mod cmdb_import;
mod cmdb_list_tools;
mod desk;
mod duty;
mod duty_console;
mod duty_report;
mod escalation;
mod form;
mod home;
mod improvement;
mod incident;
mod incident_admin;
mod incident_ci;
mod incident_form;
mod incident_major;
mod incident_queue;
mod incident_record;
mod incident_report;
mod knowledge;
mod knowledge_record;
mod notice;
mod problem;
mod problem_record;
mod profile;
mod request;
mod request_record;
mod saved_views;
mod search;
mod sla;
mod sla_calendar;
mod survey;
mod survey_answer;
mod system;
mod ticket_parts;
mod webhook;
mod widgets;

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

pub use form::{Pairs, Posted, ReplyForm, failed, failed_form, failed_layout, failed_posted, messages};
pub use widgets::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/p/{process}", get(home::process))
        .route("/notifications", get(notice::list))
        .route("/notifications/read-all", post(notice::read_all))
        .route("/notifications/{id}/open", get(notice::open))
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
        .route("/incidents/{number}/comment", post(incident_record::comment))
        .route("/incidents/{number}/assign", post(incident_form::assign))
        .route("/incidents/{number}/take", post(incident_form::take))
        .route("/incidents/{number}/escalate", post(incident_form::escalate))
        .route("/incidents/{number}/transition/{transition}", post(incident_form::transition))
        .route("/incidents/{number}/major", post(incident_form::declare_major))
        .route("/incidents/{number}/major/phase", post(incident_major::change_phase))
        .route("/incidents/{number}/major/entry", post(incident_major::post_entry))
        .route("/incidents/{number}/major/update", post(incident_major::post_update))
        .route("/incidents/{number}/major/interval", post(incident_major::set_interval))
        .route("/incidents/{number}/emergency-report", get(incident_report::page))
        .route("/incidents/{number}/watch", post(incident_record::watch))
        .route("/incidents/{number}/unwatch", post(incident_record::unwatch))
        .route("/incidents/{number}/attachments", post(incident_record::upload))
        .route("/incidents/{number}/link", post(incident_record::link))
        .route("/incidents/{number}/unlink/{other}", post(incident_record::unlink))
        .route("/incidents/{number}/set/{part}", post(incident_record::set_field))
        .route("/search", get(search::page))
        .route("/cmdb", get(cmdb::list).post(cmdb::create))
        .route("/cmdb/new", get(cmdb::new_form))
        .route("/cmdb/export.csv", get(cmdb::export_csv))
        .route("/cmdb/export.xlsx", get(cmdb::export_xlsx))
        .route("/cmdb/bulk", post(cmdb_list_tools::bulk))
        .route("/cmdb/views", post(cmdb_list_tools::save_view))
        .route("/cmdb/views/{id}/delete", post(cmdb_list_tools::delete_view))
        .route("/cmdb/import", get(cmdb_import::page).post(cmdb_import::submit))
        .route("/cmdb/cis/{id}", get(cmdb_ci::item).post(cmdb_ci::update))
        .route("/cmdb/cis/{id}/delete", post(cmdb_ci::delete))
        .route("/cmdb/cis/{id}/relations", post(cmdb_ci::add_relation))
        .route("/cmdb/cis/{id}/relations/{rel}/delete", post(cmdb_ci::remove_relation))
        .route("/cmdb/classes", get(cmdb_classes::classes).post(cmdb_classes::create_class))
        .route("/cmdb/classes/{id}", get(cmdb_classes::class))
        .route("/cmdb/classes/{id}/attributes", post(cmdb_classes::create_attribute))
        .route("/cmdb/discovery", get(cmdb_discovery::page))
        .route("/cmdb/discovery/sources", post(cmdb_discovery::create_source))
        .route("/requests", get(request::list))
        .route("/requests/{number}", get(request::show))
        .route("/requests/{number}/decide", post(request::decide))
        .route("/requests/{number}/tasks/{task}", post(request::task))
        .route("/requests/{number}/comment", post(request_record::comment))
        .route("/requests/{number}/approvers", post(request_record::name_approver))
        .route("/requests/{number}/watch", post(request_record::watch))
        .route("/requests/{number}/unwatch", post(request_record::unwatch))
        .route("/requests/{number}/attachments", post(request_record::upload))
        .route("/requests/{number}/transition/{action}", post(request::transition))
        .route("/catalog", get(catalog::catalog))
        .route("/catalog/{id}", get(request::item).post(request::submit))
        .route("/admin/sla", get(sla::overview))
        .route("/admin/sla/import", post(sla::import_days))
        .route("/admin/sla/calendars/{id}", get(sla_calendar::show))
        .route("/admin/sla/calendars/{id}/years/{year}", post(sla_calendar::mark))
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
        .route("/assets", get(asset::list).post(asset::create))
        .route("/assets/new", get(asset::new_page))
        .route("/assets/{id}", get(asset_record::item))
        .route("/assets/{id}/edit", get(asset::edit_page).post(asset::update))
        .route("/assets/{id}/steps", post(asset_record::step))
        .route("/assets/labels", get(asset_stocktake::labels))
        .route("/assets/tag/{tag}", get(asset_stocktake::by_tag))
        .route("/assets/licences", get(asset_licence::list).post(asset_licence::create))
        .route("/assets/licences/new", get(asset_licence::new_page))
        .route("/assets/licences/{id}", get(asset_licence::item))
        .route("/assets/licences/{id}/edit", get(asset_licence::edit_page).post(asset_licence::update))
        .route("/assets/licences/{id}/assignments", post(asset_licence::assign))
        .route("/assets/licences/{id}/assignments/{a}/delete", post(asset_licence::unassign))
        .route("/assets/stocktakes", get(asset_stocktake::list).post(asset_stocktake::start))
        .route("/assets/stocktakes/{id}", get(asset_stocktake::item))
        .route("/assets/stocktakes/{id}/scans", post(asset_stocktake::scan))
        .route("/assets/stocktakes/{id}/close", post(asset_stocktake::close))
        .route("/assets/stocktakes/{id}/{file}", get(asset_stocktake::export))
        .route("/changes", get(change::list).post(change::create))
        .route("/changes/new", get(change::new_form))
        .route("/changes/calendar", get(change_calendar::page))
        .route("/changes/calendar/feed", post(change_calendar::new_feed))
        .route("/changes/{number}", get(change_record::record).post(change_record::edit))
        .route("/changes/{number}/transition/{transition}", post(change_record::transition))
        .route("/changes/{number}/vote", post(change_record::vote))
        .route("/changes/{number}/steps/{step}", post(change_record::step))
        .route("/changes/{number}/comment", post(change_record::comment))
        .route("/changes/{number}/watch", post(change_record::watch))
        .route("/changes/{number}/unwatch", post(change_record::unwatch))
        .route("/changes/{number}/attachments", post(change_record::upload))
        .route("/problems", get(problem::list).post(problem::create))
        .route("/problems/new", get(problem::new_form))
        .route("/problems/suggestions", get(problem::suggestions))
        .route("/problems/suggestions/{id}/accept", post(problem::accept))
        .route("/problems/suggestions/{id}/dismiss", post(problem::dismiss))
        .route("/problems/{number}", get(problem_record::record).post(problem_record::edit))
        .route("/problems/{number}/transition/{transition}", post(problem_record::transition))
        .route("/problems/{number}/incidents", post(problem_record::link))
        .route("/problems/{number}/rca", post(problem_record::rca))
        .route("/problems/{number}/measures", post(problem_record::add_measure))
        .route("/problems/{number}/measures/{id}/done", post(problem_record::measure_done))
        .route("/problems/{number}/review", post(problem_record::review))
        .route("/problems/{number}/comment", post(problem_record::comment))
        .route("/problems/{number}/watch", post(problem_record::watch))
        .route("/problems/{number}/unwatch", post(problem_record::unwatch))
        .route("/problems/{number}/attachments", post(problem_record::upload))
        .route("/knowledge", get(knowledge::list).post(knowledge::create))
        .route("/knowledge/new", get(knowledge::new_page))
        .route("/knowledge/{id}", get(knowledge_record::item))
        .route("/knowledge/{id}/edit", get(knowledge::edit_page).post(knowledge::update))
        .route("/knowledge/{id}/steps", post(knowledge_record::step))
        .route("/knowledge/{id}/vote/{answer}", post(knowledge_record::vote))
        .route("/knowledge/{id}/versions", get(knowledge_record::versions))
        .route("/knowledge/{id}/diff", get(knowledge_record::diff))
        .route("/duty", get(duty::list).post(duty::create))
        .route("/duty/console", get(duty_console::show))
        .route("/duty/feed", post(duty_report::new_feed))
        .route("/duty/console/{id}/log", post(duty_console::write_log))
        .route("/duty/console/{id}/handovers", post(duty_console::hand_over))
        .route("/duty/console/handovers/{id}/acknowledge", post(duty_console::acknowledge))
        .route("/duty/escalation", get(escalation::policies).post(escalation::create_policy))
        .route("/duty/routes", get(escalation::routes_page).post(escalation::create_route))
        .route("/duty/routes/{id}/delete", post(escalation::delete_route))
        .route("/duty/{id}", get(duty::item))
        .route("/duty/{id}/layers", post(duty::add_layer))
        .route("/duty/{id}/members", post(duty::add_member))
        .route("/duty/{id}/overrides", post(duty::add_override))
        .route("/duty/layers/{layer}/members/{user}/remove", post(duty::remove_member))
        .route("/duty/overrides/{id}/delete", post(duty::delete_override))
        .route("/duty/{id}/swaps", post(duty::propose_swap))
        .route("/duty/swaps/{id}/{step}", post(duty::swap_step))
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
        // The favicon, also at the path browsers ask for first, so no page logs a 404 for it.
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
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

async fn favicon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], include_str!("../../static/favicon.svg"))
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
        "cmdb" => "/cmdb".into(),
        "asset" => "/assets".into(),
        "change" => "/changes".into(),
        "problem" => "/problems".into(),
        "duty" => "/duty".into(),
        "knowledge" => "/knowledge".into(),
        _ => format!("/p/{process}"),
    }
}

/// A process with pages of its own (not the placeholder).
pub fn is_built(process: &str) -> bool {
    !process_href(process).starts_with("/p/")
}

/// Is a process's page offered to the caller? The same check its loader makes first (the
/// record's policy for incidents, surveys and the register; the SLA and catalogue grants), so
/// the navigation never leads to 403. Processes not built yet keep their placeholder page.
pub fn offered(ctx: &yunwei_core::Ctx, process: &str) -> bool {
    use yunwei_domain::policy;
    match process {
        "incident" => ctx.may_any(&policy::INCIDENT, Action::Read).is_ok(),
        // Everyone signed in may follow their own requests and approvals (`request::queue_scope`).
        "request" => yunwei_core::request::queue_scope(ctx, yunwei_core::request::RequestQueue::Mine).is_ok(),
        "sla" => ctx.authorize(ObjectType::Sla, Action::Read).is_ok(),
        // The survey list shows whatever surveys reach the reader; statistics need scope all.
        "survey" => ctx.may_any(&policy::SURVEY, Action::Read).is_ok(),
        "cmdb" => ctx.may_any(&policy::CONFIGURATION_ITEM, Action::Read).is_ok(),
        "asset" => ctx.may_any(&policy::ASSET, Action::Read).is_ok(),
        "change" => ctx.may_any(&policy::CHANGE, Action::Read).is_ok(),
        "problem" => ctx.may_any(&policy::PROBLEM, Action::Read).is_ok(),
        "duty" => ctx.authorize(ObjectType::Duty, Action::Read).is_ok(),
        "knowledge" => ctx.may_any(&policy::KNOWLEDGE, Action::Read).is_ok(),
        _ => true,
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
    /// The latest notifications, for the bell's dropdown.
    pub bell: Vec<notice::BellItem>,
    /// "3 条未读" / "3 unread".
    pub unread_text: String,
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
            // Processes not built yet are not offered, nor pages the reader would be refused.
            let items: Vec<NavItem> = PROCESSES
                .iter()
                .filter(|p| p.1 == group && is_built(p.0) && offered(&caller.ctx, p.0))
                .map(|p| item(process_href(p.0), tr.t(&format!("process.{}.title", p.0))))
                .collect();
            if !items.is_empty() {
                nav.push(NavGroup { title: tr.t(&format!("nav.group.{group}")), items });
            }
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
        let bell = notice::bell(state, caller).await;
        let unread_text = tr.with("notifications.unread_count", &[("n".into(), unread.to_string())]);
        let user = ShellUser { display_name: actor.display_name.clone(), unread, bell, unread_text };
        Shell { tr, user: Some(user), csrf, nav }
    }
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

/// An error page for a signed-in reader: the normal navigation, what went wrong and a link home.
pub async fn error_page(state: &AppState, caller: &Caller, e: &ApiError, request_id: &str) -> Response {
    let shell = Shell::new(state, caller, "").await;
    error_in_shell(shell, e, request_id)
}

/// An error page for someone not signed in (nothing to navigate to but home).
pub fn bare_error_page(e: &ApiError, tr: Tr, request_id: &str) -> Response {
    error_in_shell(Shell { tr, user: None, csrf: String::new(), nav: Vec::new() }, e, request_id)
}

fn error_in_shell(shell: Shell, e: &ApiError, request_id: &str) -> Response {
    let tr = shell.tr;
    let mut sections = vec![Section::Text(crate::middleware::error_title(e, tr))];
    sections.push(Section::Facts(vec![(tr.t("error.request_id"), request_id.to_string())]));
    sections.push(Section::Links(vec![("/".into(), tr.t("error.back_home"))]));
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

/// A master-data name in the reader's language: the English name for English readers where
/// there is one, else the name (Chinese, or whatever the organisation named it).
pub fn local_name(tr: Tr, name: &str, name_en: &str) -> String {
    if !tr.is_zh() && !name_en.trim().is_empty() { name_en.to_string() } else { name.to_string() }
}

pub fn redirect(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}
