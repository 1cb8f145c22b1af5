//! `/admin/webhooks`: subscriptions, the secret shown once after create and rotate,
//! the active toggle, test ping, delete and each webhook's recent deliveries.

use super::{Cell, Field, FormSection, Section, TableSection, page, redirect, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::webhook::{self, NewWebhook, WebhookPatch, WithSecret};

const ACTIVE: &str = "/admin/webhooks";

#[derive(Deserialize)]
pub struct OkQuery {
    ok: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct WebhookForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    /// Comma- or space-separated event types; empty: every event.
    #[serde(default)]
    event_types: String,
}

#[derive(Deserialize)]
pub struct Empty {}

fn create_form(caller: &Caller, f: &WebhookForm) -> Section {
    let tr = caller.tr;
    Section::Form(
        FormSection::post(
            "webhook-new",
            ACTIVE,
            tr.t("webhooks.create"),
            vec![
                Field::new("text", "name", tr.t("field.name"), f.name.clone()).required(),
                Field::new("text", "url", tr.t("webhooks.url"), f.url.clone()).required().help(tr.t("webhooks.url_help")).wide(),
                Field::new("text", "event_types", tr.t("webhooks.event_types"), f.event_types.clone())
                    .help(tr.t("webhooks.event_types_help"))
                    .wide(),
            ],
        )
        .heading(tr.t("webhooks.create")),
    )
}

async fn sections(state: &AppState, caller: &Caller, top: Vec<Section>, form: &WebhookForm) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let hooks = webhook::list(&state.core, &caller.ctx).await?;
    let mut out = top;
    out.push(Section::Text(tr.t("webhooks.help")));
    let rows = hooks
        .iter()
        .map(|w| {
            let filter = if w.event_types.is_empty() { tr.t("webhooks.all_events") } else { w.event_types.join(", ") };
            let (state_text, class) = if w.active { (tr.t("webhooks.active"), "ok") } else { (tr.t("webhooks.inactive"), "muted") };
            let toggle = if w.active { tr.t("webhooks.deactivate") } else { tr.t("webhooks.activate") };
            vec![
                Cell::text(w.name.clone()),
                Cell::text(w.url.clone()),
                Cell::text(filter),
                Cell::badge(state_text, class),
                Cell::button(format!("{ACTIVE}/{}/toggle", w.id), toggle, String::new()),
                Cell::button(format!("{ACTIVE}/{}/test", w.id), tr.t("webhooks.test"), String::new()),
                Cell::button(format!("{ACTIVE}/{}/rotate", w.id), tr.t("webhooks.rotate"), tr.t("webhooks.rotate_confirm")),
                Cell::button(format!("{ACTIVE}/{}/delete", w.id), tr.t("webhooks.delete"), tr.t("webhooks.delete_confirm")),
            ]
        })
        .collect();
    let columns = ["field.name", "webhooks.url", "webhooks.event_types", "field.status", "", "", "", ""]
        .iter()
        .map(|k| if k.is_empty() { String::new() } else { tr.t(k) })
        .collect();
    out.push(Section::Table(TableSection { columns, rows, next: None }));
    out.push(create_form(caller, form));
    out.push(Section::Heading(tr.t("webhooks.recent")));
    let mut rows = Vec::new();
    for w in &hooks {
        for d in webhook::deliveries(&state.core, &caller.ctx, w.id, 10).await? {
            rows.push(vec![
                Cell::text(time(d.created_at, caller)),
                Cell::text(w.name.clone()),
                Cell::text(d.event_type.clone()),
                Cell::text(d.id.to_string()),
                Cell::badge(tr.t(&format!("webhooks.status.{}", d.status)), if d.status == "sent" { "ok" } else { "warn" }),
                Cell::text(d.attempts.to_string()),
                Cell::text(d.last_error.clone().unwrap_or_default()),
            ]);
        }
    }
    let columns = [
        "field.created",
        "field.name",
        "webhooks.event",
        "webhooks.delivery_id",
        "field.status",
        "deliveries.attempts",
        "deliveries.error",
    ]
    .iter()
    .map(|k| tr.t(k))
    .collect();
    out.push(Section::Table(TableSection { columns, rows, next: None }));
    Ok(out)
}

pub async fn show(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<OkQuery>) -> Result<Response, ApiError> {
    let s = sections(&state, &caller, Vec::new(), &WebhookForm::default()).await?;
    let notice = q.ok.map(|k| caller.tr.t(&format!("notice.{k}")));
    Ok(page(&state, &caller, ACTIVE, caller.tr.t("nav.webhooks"), s, notice, Vec::new()).await)
}

/// The page with the secret on top: it is never shown again.
async fn with_secret(state: &AppState, caller: &Caller, created: &WithSecret) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let top = vec![
        Section::Heading(tr.with("webhooks.secret_for", &[("name".into(), created.webhook.name.clone())])),
        Section::Text(tr.t("webhooks.secret_once")),
        Section::Pre(created.secret.clone()),
    ];
    let s = sections(state, caller, top, &WebhookForm::default()).await?;
    Ok(page(state, caller, ACTIVE, tr.t("nav.webhooks"), s, Some(tr.t("notice.saved")), Vec::new()).await)
}

pub async fn create(State(state): State<AppState>, caller: Caller, CsrfForm(f): CsrfForm<WebhookForm>) -> Result<Response, ApiError> {
    let event_types: Vec<String> =
        f.event_types.split([',', ' ', '\n']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
    let input = NewWebhook { name: f.name.clone(), url: f.url.clone(), event_types, active: true };
    match webhook::create(&state.core, &caller.ctx, input).await {
        Ok(created) => with_secret(&state, &caller, &created).await,
        Err(e) => {
            let s = vec![create_form(&caller, &f)];
            super::failed(&state, &caller, e.into(), s, caller.tr.t("nav.webhooks"), ACTIVE).await
        }
    }
}

pub async fn toggle(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    let w = webhook::get(&state.core, &caller.ctx, id).await?;
    webhook::patch(&state.core, &caller.ctx, id, WebhookPatch { active: Some(!w.active), ..Default::default() }).await?;
    Ok(redirect("/admin/webhooks?ok=saved"))
}

pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    webhook::test(&state.core, &caller.ctx, id).await?;
    Ok(redirect("/admin/webhooks?ok=webhook_ping_queued"))
}

pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    let rotated = webhook::rotate_secret(&state.core, &caller.ctx, id).await?;
    with_secret(&state, &caller, &rotated).await
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    webhook::delete(&state.core, &caller.ctx, id).await?;
    Ok(redirect("/admin/webhooks?ok=deleted"))
}
