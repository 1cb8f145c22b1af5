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
use yunwei_domain::webhook::WebhookFormat;

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
    #[serde(default)]
    format: String,
    #[serde(default)]
    locale: String,
    /// A robot's own signing secret (DingTalk, Feishu).
    #[serde(default)]
    secret: String,
    /// Empty: the format's default.
    #[serde(default)]
    per_minute: String,
    /// Comma- or space-separated phone numbers (SMS).
    #[serde(default)]
    phones: String,
    #[serde(default)]
    body_template: String,
}

fn words(list: &str) -> Vec<String> {
    list.split([',', ' ', '\n', '，', '、']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
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
                Field::new("select", "format", tr.t("webhooks.format"), if f.format.is_empty() { "yunwei" } else { f.format.as_str() })
                    .options(WebhookFormat::ALL.iter().map(|x| (x.as_str().to_string(), tr.t(&format!("webhooks.format.{x}")))).collect())
                    .help(tr.t("webhooks.format_help")),
                Field::new("select", "locale", tr.t("field.locale"), if f.locale.is_empty() { tr.locale } else { f.locale.as_str() })
                    .options(vec![("zh-CN".into(), "中文（简体）".into()), ("en".into(), "English".into())])
                    .help(tr.t("webhooks.locale_help")),
                Field::new("password", "secret", tr.t("webhooks.robot_secret"), "")
                    .autocomplete("off")
                    .help(tr.t("webhooks.robot_secret_help")),
                Field::new("number", "per_minute", tr.t("webhooks.per_minute"), f.per_minute.clone())
                    .help(tr.t("webhooks.per_minute_help")),
                Field::new("text", "phones", tr.t("webhooks.phones"), f.phones.clone()).help(tr.t("webhooks.phones_help")).wide(),
                Field::new("textarea", "body_template", tr.t("webhooks.body_template"), f.body_template.clone())
                    .rows(3)
                    .help(tr.t("webhooks.body_template_help"))
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
            let budget = if w.per_minute > 0 {
                tr.with("webhooks.budget", &[("count".into(), w.per_minute.to_string())])
            } else {
                tr.t("webhooks.no_budget")
            };
            vec![
                Cell::text(w.name.clone()),
                Cell::text(tr.t(&format!("webhooks.format.{}", w.format))),
                Cell::text(w.url.clone()),
                Cell::text(filter),
                Cell::text(budget),
                Cell::badge(state_text, class),
                Cell::button(format!("{ACTIVE}/{}/toggle", w.id), toggle, String::new()),
                Cell::button(format!("{ACTIVE}/{}/test", w.id), tr.t("webhooks.test"), String::new()),
                if w.format.has_generated_secret() {
                    Cell::button(format!("{ACTIVE}/{}/rotate", w.id), tr.t("webhooks.rotate"), tr.t("webhooks.rotate_confirm"))
                } else {
                    Cell::text(String::new())
                },
                Cell::button(format!("{ACTIVE}/{}/delete", w.id), tr.t("webhooks.delete"), tr.t("webhooks.delete_confirm")),
            ]
        })
        .collect();
    let columns =
        ["field.name", "webhooks.format", "webhooks.url", "webhooks.event_types", "webhooks.per_minute", "field.status", "", "", "", ""]
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
    if created.secret.is_empty() {
        // A robot's secret came from its chat service; there is nothing to show.
        let s = sections(state, caller, Vec::new(), &WebhookForm::default()).await?;
        return Ok(page(state, caller, ACTIVE, tr.t("nav.webhooks"), s, Some(tr.t("notice.saved")), Vec::new()).await);
    }
    let top = vec![
        Section::Heading(tr.with("webhooks.secret_for", &[("name".into(), created.webhook.name.clone())])),
        Section::Text(tr.t("webhooks.secret_once")),
        Section::Pre(created.secret.clone()),
    ];
    let s = sections(state, caller, top, &WebhookForm::default()).await?;
    Ok(page(state, caller, ACTIVE, tr.t("nav.webhooks"), s, Some(tr.t("notice.saved")), Vec::new()).await)
}

pub async fn create(State(state): State<AppState>, caller: Caller, CsrfForm(f): CsrfForm<WebhookForm>) -> Result<Response, ApiError> {
    let input = NewWebhook {
        name: f.name.clone(),
        url: f.url.clone(),
        event_types: words(&f.event_types),
        active: true,
        // The select offers only known formats; anything else is read as the default.
        format: f.format.parse().unwrap_or_default(),
        locale: Some(f.locale.clone()).filter(|l| !l.is_empty()),
        secret: Some(f.secret.clone()).filter(|s| !s.is_empty()),
        per_minute: match f.per_minute.trim() {
            "" => None,
            n => Some(n.parse().unwrap_or(-1)),
        },
        phones: words(&f.phones),
        body_template: Some(f.body_template.clone()),
    };
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
