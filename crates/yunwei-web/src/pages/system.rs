//! System pages: the audit viewer, notification templates, dead letters, jobs.

use super::{Cell, Field, FormSection, Section, TableSection, page, redirect, time};
use crate::AppState;
use crate::api::audit::AuditQuery;
use crate::audit_text;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, page_request};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_domain::ids::DeliveryId;

pub async fn audit(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<AuditQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let req = page_request(Some(50), q.cursor.as_deref(), Some("-seq"), "seq")?;
    let list = yunwei_core::audit::list(&state.core, &caller.ctx, &q.filter(), &req).await?;
    let verification = yunwei_core::audit::verify(&state.core, &caller.ctx).await?;
    let chain = match &verification.broken {
        None => tr.with("audit.chain_ok", &[("n".into(), verification.checked.to_string())]),
        Some(b) => tr.with(
            "audit.chain_broken",
            &[
                ("seq".into(), b.expected_seq.to_string()),
                (
                    "reason".into(),
                    tr.t(&format!(
                        "audit.break.{}",
                        serde_json::to_value(b.reason).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
                    )),
                ),
            ],
        ),
    };
    let zone = caller.ctx.actor.as_ref().map_or("Asia/Shanghai", |a| a.time_zone.as_str());
    let rows = list
        .items
        .iter()
        .map(|r| {
            let e = &r.entry;
            let change =
                audit_text::difference(tr, zone, e.before.as_deref(), e.after.as_deref()).join(if tr.is_zh() { "；" } else { "; " });
            vec![
                Cell::text(e.seq.to_string()),
                Cell::text(time(e.at_ms, &caller)),
                Cell::text(e.actor_name.clone()),
                Cell::text(e.source_ip.clone()),
                Cell::text(format!("{} #{}", audit_text::object_type(tr, &e.object_type), e.object_id)),
                Cell::text(audit_text::action(tr, &e.action)),
                Cell::text(change.chars().take(600).collect::<String>()),
            ]
        })
        .collect();
    let keep = |k: &str, v: &Option<String>| {
        v.as_ref().filter(|s| !s.is_empty()).map(|v| format!("&{k}={}", super::url_encode(v))).unwrap_or_default()
    };
    let filters = format!(
        "{}{}{}{}",
        keep("object_type", &q.object_type),
        keep("object_id", &q.object_id),
        keep("action", &q.action),
        q.actor_id.map(|a| format!("&actor_id={a}")).unwrap_or_default()
    );
    let next = list.next_cursor.map(|c| format!("/admin/audit?cursor={c}{filters}"));
    let sections = vec![
        Section::Text(chain),
        Section::Form(FormSection::get(
            "filter",
            "/admin/audit",
            tr.t("action.filter"),
            vec![
                Field::new("text", "object_type", tr.t("audit.object_type"), q.object_type.clone().unwrap_or_default()),
                Field::new("text", "object_id", tr.t("audit.object_id"), q.object_id.clone().unwrap_or_default()),
                Field::new("text", "action", tr.t("audit.action"), q.action.clone().unwrap_or_default()),
                Field::new("number", "actor_id", tr.t("audit.actor_id"), q.actor_id.map(|a| a.to_string()).unwrap_or_default()),
            ],
        )),
        Section::Form(FormSection::get(
            "export",
            "/api/v1/audit-events/export",
            tr.t("audit.export"),
            vec![
                Field::new("hidden", "object_type", String::new(), q.object_type.clone().unwrap_or_default()),
                Field::new("hidden", "action", String::new(), q.action.clone().unwrap_or_default()),
            ],
        )),
        Section::Table(TableSection {
            columns: ["audit.seq", "field.time", "audit.actor", "audit.source_ip", "audit.object", "audit.action", "audit.change"]
                .iter()
                .map(|k| tr.t(k))
                .collect(),
            rows,
            next,
        }),
    ];
    Ok(page(&state, &caller, "/admin/audit", tr.t("nav.audit"), sections, None, Vec::new()).await)
}

pub async fn templates(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let list = yunwei_core::notify::list_templates(&state.core, &caller.ctx).await?;
    let rows = list
        .iter()
        .map(|t| {
            vec![
                Cell::link(tr.t(&format!("event.{}", t.event_type)), format!("/admin/templates/{}/{}", t.event_type, t.locale)),
                Cell::text(t.locale.clone()),
                Cell::text(t.subject.clone()),
                Cell::text(time(t.updated_at, &caller)),
            ]
        })
        .collect();
    let sections = vec![
        Section::Text(tr.t("templates.help")),
        Section::Table(TableSection {
            columns: vec![tr.t("templates.event"), tr.t("field.locale"), tr.t("templates.subject"), tr.t("field.updated")],
            rows,
            next: None,
        }),
    ];
    Ok(page(&state, &caller, "/admin/templates", tr.t("nav.templates"), sections, None, public_url_warning(&state, tr)).await)
}

fn template_form(caller: &Caller, event: &str, locale: &str, subject: &str, body: &str) -> Vec<Section> {
    let tr = caller.tr;
    vec![
        Section::Facts(vec![
            (tr.t("templates.event"), format!("{} ({event})", tr.t(&format!("event.{event}")))),
            (tr.t("field.locale"), locale.to_string()),
        ]),
        Section::Text(tr.t("templates.variables")),
        Section::Form(FormSection::post(
            "tpl",
            format!("/admin/templates/{event}/{locale}"),
            tr.t("action.save"),
            vec![
                Field::new("text", "subject", tr.t("templates.subject"), subject).required(),
                Field::new("textarea", "body", tr.t("templates.body"), body).required(),
            ],
        )),
    ]
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((event, locale)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<OkQuery>,
) -> Result<Response, ApiError> {
    let list = yunwei_core::notify::list_templates(&state.core, &caller.ctx).await?;
    let t = list.into_iter().find(|t| t.event_type == event && t.locale == locale).ok_or_else(ApiError::not_found)?;
    let notice = q.ok.map(|k| caller.tr.t(&format!("notice.{k}")));
    let s = template_form(&caller, &event, &locale, &t.subject, &t.body);
    Ok(page(&state, &caller, "/admin/templates", caller.tr.t("nav.templates"), s, notice, Vec::new()).await)
}

#[derive(Deserialize)]
pub struct TemplateForm {
    subject: String,
    body: String,
}

pub async fn save_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((event, locale)): ApiPath<(String, String)>,
    CsrfForm(f): CsrfForm<TemplateForm>,
) -> Result<Response, ApiError> {
    let input = yunwei_core::notify::TemplateInput { subject: f.subject.clone(), body: f.body.clone() };
    match yunwei_core::notify::put_template(&state.core, &caller.ctx, &event, &locale, input).await {
        Ok(_) => Ok(redirect(&format!("/admin/templates/{event}/{locale}?ok=saved"))),
        Err(e) => {
            let s = template_form(&caller, &event, &locale, &f.subject, &f.body);
            super::failed(&state, &caller, e.into(), s, caller.tr.t("nav.templates"), "/admin/templates").await
        }
    }
}

pub async fn dead_letters(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<OkQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let req = page_request(Some(100), None, Some("-id"), "id")?;
    let dead = yunwei_core::notify::dead_letters(&state.core, &caller.ctx, &req).await?;
    let rows = dead
        .deliveries
        .items
        .iter()
        .map(|d| {
            vec![
                Cell::text(time(d.created_at, &caller)),
                Cell::text(tr.t(&format!("channel.{}", d.channel))),
                Cell::text(d.address.clone()),
                Cell::text(d.subject.clone()),
                Cell::text(d.attempts.to_string()),
                Cell::text(d.last_error.clone().unwrap_or_default()),
                Cell::button(format!("/admin/deliveries/{}/retry", d.id), tr.t("deliveries.retry"), tr.t("deliveries.retry_confirm")),
            ]
        })
        .collect();
    let columns = [
        "field.created",
        "deliveries.channel",
        "deliveries.address",
        "templates.subject",
        "deliveries.attempts",
        "deliveries.error",
        "field.status",
    ]
    .iter()
    .map(|k| tr.t(k))
    .collect();
    let sections = vec![Section::Text(tr.t("deliveries.help")), Section::Table(TableSection { columns, rows, next: None })];
    let notice = q.ok.map(|k| tr.t(&format!("notice.{k}")));
    Ok(page(&state, &caller, "/admin/deliveries", tr.t("nav.deliveries"), sections, notice, Vec::new()).await)
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn retry_delivery(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    yunwei_core::notify::retry_delivery(&state.core, &caller.ctx, DeliveryId(id)).await?;
    Ok(redirect("/admin/deliveries?ok=queued"))
}

pub async fn jobs(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let jobs = yunwei_core::scheduler::list_jobs(&state.core, &caller.ctx).await?;
    let rows = jobs
        .iter()
        .map(|j| {
            vec![
                Cell::text({
                    // Known kinds in words; a kind this version does not know as recorded.
                    let key = format!("job.kind.{}", j.kind);
                    if tr.has(&key) { tr.t(&key) } else { j.kind.clone() }
                }),
                Cell::text(time(j.run_at, &caller)),
                Cell::text(j.interval_seconds.map(|s| s.to_string()).unwrap_or_else(|| "—".into())),
                Cell::text(tr.t(&format!("job.status.{}", j.status))),
                Cell::text(j.last_error.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let columns = ["jobs.kind", "jobs.next_run", "jobs.interval", "field.status", "deliveries.error"].iter().map(|k| tr.t(k)).collect();
    Ok(page(
        &state,
        &caller,
        "/admin/jobs",
        tr.t("nav.jobs"),
        vec![Section::Table(TableSection { columns, rows, next: None })],
        None,
        Vec::new(),
    )
    .await)
}

/// The warning that links in e-mail may not reach this server, for administrators' pages.
pub fn public_url_warning(state: &AppState, tr: crate::i18n::Tr) -> Vec<String> {
    state
        .public_url_issue
        .iter()
        .map(|i| tr.labelled(&tr.t("system.public_url_heading"), &crate::startup::public_url_text(tr, i)))
        .collect()
}
