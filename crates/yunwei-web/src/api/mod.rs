//! `/api/v1`: everything the pages can do. JSON in and out, problem+json errors.

pub mod admin;
pub mod audit;
pub mod files;
pub mod incident;
pub mod live;
pub mod major;
pub mod me;
pub mod notify;
pub mod ops;
pub mod queue_tools;
pub mod request;
pub mod session;
pub mod sla;
pub mod survey;
pub mod webhook;

use crate::AppState;
use axum::Router;
use axum::routing::{delete, get, post, put};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", post(session::login).delete(session::logout))
        .route("/api/v1/session/second-factor", post(session::second_factor))
        .route("/api/v1/me", get(me::get_me).patch(me::patch_me))
        .route("/api/v1/me/password", post(me::change_password))
        .route("/api/v1/me/tokens", get(me::list_tokens).post(me::create_token))
        .route("/api/v1/me/tokens/{id}", delete(me::revoke_token))
        .route("/api/v1/me/totp", post(me::begin_totp).delete(me::disable_totp))
        .route("/api/v1/me/totp/confirm", post(me::confirm_totp))
        .route("/api/v1/me/notification-preferences", get(notify::get_preferences).put(notify::put_preferences))
        .route("/api/v1/notifications", get(notify::list))
        .route("/api/v1/notifications/unread-count", get(notify::unread_count))
        .route("/api/v1/notifications/read-all", post(notify::read_all))
        .route("/api/v1/notifications/{id}/read", post(notify::read_one))
        .route("/api/v1/notification-templates", get(notify::list_templates))
        .route("/api/v1/notification-templates/{event}/{locale}", put(notify::put_template))
        .route("/api/v1/deliveries/dead", get(notify::dead_letters))
        .route("/api/v1/deliveries/{id}/retry", post(notify::retry_delivery))
        .route("/api/v1/outbox/{id}/retry", post(notify::retry_event))
        .route("/api/v1/users", get(admin::list_users).post(admin::create_user))
        .route("/api/v1/users/{id}", get(admin::get_user).patch(admin::patch_user))
        .route("/api/v1/users/{id}/roles", put(admin::put_user_roles))
        .route("/api/v1/users/{id}/teams", put(admin::put_user_teams))
        .route("/api/v1/users/{id}/disable", post(admin::disable_user))
        .route("/api/v1/users/{id}/enable", post(admin::enable_user))
        .route("/api/v1/users/{id}/password-reset", post(admin::reset_password))
        .route("/api/v1/users/{id}/totp", delete(admin::reset_totp))
        .route("/api/v1/users/{id}/tokens", get(admin::list_user_tokens).post(admin::create_user_token))
        .route("/api/v1/teams", get(admin::list_teams).post(admin::create_team))
        .route("/api/v1/teams/{id}", get(admin::get_team).put(admin::put_team).delete(admin::delete_team))
        .route("/api/v1/departments", get(admin::list_departments).post(admin::create_department))
        .route("/api/v1/departments/{id}", get(admin::get_department).put(admin::put_department).delete(admin::delete_department))
        .route("/api/v1/roles", get(admin::list_roles).post(admin::create_role))
        .route("/api/v1/roles/{id}", get(admin::get_role).put(admin::put_role).delete(admin::delete_role))
        .route("/api/v1/permissions", get(admin::permission_catalogue))
        .route("/api/v1/audit-events", get(audit::list))
        .route("/api/v1/audit-events/export", get(audit::export))
        .route("/api/v1/audit-events/verify", post(audit::verify))
        .route("/api/v1/jobs", get(ops::list_jobs))
        .route("/api/v1/jobs/probes", post(ops::schedule_probes))
        .route("/api/v1/jobs/runs", get(ops::job_runs))
        .route("/api/v1/incidents", get(incident::list).post(incident::create))
        .route("/api/v1/incidents/export/{format}", get(queue_tools::export))
        .route("/api/v1/incidents/bulk", post(queue_tools::bulk))
        .route("/api/v1/saved-views", get(queue_tools::list_views).post(queue_tools::create_view))
        .route("/api/v1/saved-views/{id}", delete(queue_tools::delete_view))
        .route("/api/v1/incidents/{number}", get(incident::get).patch(incident::patch))
        .route("/api/v1/incidents/{number}/assignment", post(incident::assign))
        .route("/api/v1/incidents/{number}/escalations", post(incident::escalate))
        .route("/api/v1/incidents/{number}/transitions/{transition}", post(incident::transition))
        .route("/api/v1/incidents/{number}/comments", post(incident::comment))
        .route("/api/v1/incidents/{number}/major", post(incident::declare_major))
        .route("/api/v1/incidents/{number}/major/phase", post(major::change_phase))
        .route("/api/v1/incidents/{number}/major/war-room", get(major::war_room).post(major::post_entry))
        .route("/api/v1/incidents/{number}/major/stakeholder-updates", post(major::post_stakeholder_update))
        .route("/api/v1/incidents/{number}/major/interval", put(major::put_interval))
        .route("/api/v1/incidents/{number}/emergency-report", get(major::emergency_report))
        .route("/api/v1/incidents/{number}/watchers", post(incident::watch).delete(incident::unwatch))
        .route("/api/v1/incidents/{number}/related/{other}", put(incident::link).delete(incident::unlink))
        .route("/api/v1/search", get(incident::search))
        .route("/api/v1/incidents/{number}/attachments", get(files::list_attachments).post(files::upload))
        .route("/api/v1/incidents/{number}/attachments/{file}", get(files::download))
        .route("/api/v1/inbound-mails", get(files::list_mails))
        .route("/api/v1/inbound-mails/poll", post(files::poll_now))
        .route("/api/v1/inbound-mails/{id}/raw", get(files::raw_mail))
        .route("/api/v1/incident-categories", get(incident::list_categories).post(incident::create_category))
        .route("/api/v1/incident-categories/{id}", put(incident::put_category))
        .route("/api/v1/business-services", get(incident::list_services).post(incident::create_service))
        .route("/api/v1/business-services/{id}", put(incident::put_service))
        .route("/api/v1/service-desk/settings", get(incident::get_settings).put(incident::put_settings))
        .route("/api/v1/catalog-items", get(request::list_items).post(request::create_item))
        .route("/api/v1/catalog-items/{id}", get(request::get_item).put(request::put_item))
        .route("/api/v1/service-requests", get(request::list).post(request::create))
        .route("/api/v1/service-requests/{number}", get(request::get))
        .route("/api/v1/service-requests/{number}/approvals", post(request::decide))
        .route("/api/v1/service-requests/{number}/tasks/{task}", post(request::work_task))
        .route("/api/v1/service-requests/{number}/transitions/{action}", post(request::transition))
        .route("/api/v1/service-requests/{number}/comments", post(request::comment))
        .route("/api/v1/service-requests/{number}/attachments/{file}", get(request::download))
        .route("/api/v1/calendars", get(sla::list_calendars).post(sla::create_calendar))
        .route("/api/v1/calendars/{id}", get(sla::get_calendar).put(sla::put_calendar).delete(sla::delete_calendar))
        .route("/api/v1/calendars/{id}/days", get(sla::export_days).put(sla::import_days))
        .route("/api/v1/sla-policies", get(sla::list_policies).post(sla::create_policy))
        .route("/api/v1/sla-policies/{id}", get(sla::get_policy).put(sla::put_policy))
        .route("/api/v1/surveys", get(survey::list))
        .route("/api/v1/surveys/stats", get(survey::stats))
        .route("/api/v1/surveys/settings", get(survey::get_settings).put(survey::put_settings))
        .route("/api/v1/surveys/answer/{token}", get(survey::open).post(survey::answer))
        .route("/api/v1/surveys/{id}", get(survey::get))
        .route("/api/v1/improvements", get(survey::list_improvements).post(survey::create_improvement))
        .route("/api/v1/improvements/{id}", get(survey::get_improvement).patch(survey::patch_improvement))
        .route("/api/v1/webhooks", get(webhook::list).post(webhook::create))
        .route("/api/v1/webhooks/{id}", get(webhook::get).patch(webhook::patch).delete(webhook::delete))
        .route("/api/v1/webhooks/{id}/rotate-secret", post(webhook::rotate_secret))
        .route("/api/v1/webhooks/{id}/test", post(webhook::test))
        .route("/api/v1/webhooks/{id}/deliveries", get(webhook::deliveries))
        .route("/api/v1/events/stream", get(live::stream))
}
