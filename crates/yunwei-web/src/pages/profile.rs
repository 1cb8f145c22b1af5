//! The profile: language, time zone, password, two-factor sign-in, API tokens
//! and notification preferences.

use super::{Cell, Field, FormSection, Layout, Pairs, Posted, Section, TableSection, page, redirect, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_domain::ids::ApiTokenId;

#[derive(Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
}

/// "Change your password first" while that is all the person may do, else "My profile".
fn title(caller: &Caller) -> String {
    let must = caller.ctx.actor.as_ref().is_some_and(|a| a.must_change_password);
    caller.tr.t(if must { "profile.must_change_heading" } else { "nav.profile" })
}

async fn render(state: &AppState, caller: &Caller, top: Vec<Section>, notice: Option<String>) -> Result<Response, ApiError> {
    let s = sections(state, caller, top).await?;
    Ok(page(state, caller, "/profile", title(caller), s, notice, Vec::new()).await)
}

fn password_form(tr: crate::i18n::Tr) -> Section {
    Section::Form(FormSection::post(
        "password",
        "/profile/password",
        tr.t("profile.change_password"),
        vec![
            Field::new("password", "current_password", tr.t("field.current_password"), "").required().autocomplete("current-password"),
            Field::new("password", "new_password", tr.t("field.new_password"), "")
                .required()
                .autocomplete("new-password")
                .help(tr.t("profile.password_policy")),
            Field::new("password", "confirm_password", tr.t("field.confirm_password"), "").required().autocomplete("new-password"),
        ],
    ))
}

/// Everything the profile shows, below `top` (a just-created secret, a QR code…).
async fn sections(state: &AppState, caller: &Caller, top: Vec<Section>) -> Result<Vec<Section>, ApiError> {
    let me = caller.require()?;
    let tr = caller.tr;
    let mut s = top;
    if me.must_change_password {
        // Up front: why every page leads here, what to do, and what happens then. Only the
        // form that can be used now is offered.
        s.push(Section::Badges(vec![(tr.t("profile.must_change_title"), "warn".into())]));
        s.push(Section::Text(tr.t("profile.must_change_password")));
        s.push(password_form(tr));
        return Ok(s);
    }
    if me.must_enrol_totp {
        s.push(Section::Text(tr.t("profile.must_enrol_totp")));
    }
    s.push(Section::Facts(vec![(tr.t("field.username"), me.username.clone()), (tr.t("field.display_name"), me.display_name.clone())]));
    s.push(Section::Heading(tr.t("profile.preferences")));
    let locales = vec![("zh-CN".into(), "中文（简体）".into()), ("en".into(), "English".into())];
    s.push(Section::Form(FormSection::post(
        "prefs",
        "/profile",
        tr.t("action.save"),
        vec![
            Field::new("select", "locale", tr.t("field.locale"), me.locale.clone()).options(locales),
            Field::new("text", "time_zone", tr.t("field.time_zone"), me.time_zone.clone()).required().help(tr.t("profile.time_zone_help")),
        ],
    )));
    s.push(Section::Heading(tr.t("profile.password")));
    s.push(password_form(tr));
    s.push(Section::Heading(tr.t("profile.totp")));
    let creds_enabled = yunwei_core::admin::get_user(&state.core, &caller.ctx, me.user_id).await?.user.totp_enabled;
    if creds_enabled {
        s.push(Section::Text(tr.t("profile.totp_on")));
        s.push(Section::Form(FormSection::post(
            "totpoff",
            "/profile/totp/disable",
            tr.t("profile.totp_disable"),
            vec![Field::new("text", "code", tr.t("field.totp_code"), "").required().autocomplete("one-time-code")],
        )));
    } else {
        s.push(Section::Text(tr.t("profile.totp_off")));
        let reauth =
            Field::new("password", "password", tr.t("profile.current_password_again"), "").required().autocomplete("current-password");
        s.push(Section::Form(FormSection::post("totpon", "/profile/totp/begin", tr.t("profile.totp_begin"), vec![reauth])));
    }
    s.push(Section::Heading(tr.t("profile.tokens")));
    let tokens = yunwei_core::auth::list_tokens(&state.core, &caller.ctx, me.user_id).await?;
    let now = state.core.now_ms();
    let rows = tokens
        .iter()
        .map(|t| {
            let live = t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now);
            vec![
                Cell::text(t.name.clone()),
                Cell::text(format!("{}…", t.prefix)),
                Cell::text(t.scopes.iter().map(|s| s.as_str().to_string()).collect::<Vec<_>>().join(" ")),
                Cell::text(time(t.created_at, caller)),
                Cell::text(t.last_used_at.map(|u| time(u, caller)).unwrap_or_else(|| tr.t("token.never"))),
                Cell::text(t.expires_at.map(|u| time(u, caller)).unwrap_or_else(|| tr.t("token.no_expiry"))),
                if live {
                    Cell::button(format!("/profile/tokens/{}/revoke", t.id), tr.t("token.revoke"), tr.t("token.revoke_confirm"))
                } else {
                    Cell::badge(tr.t("token.inactive"), "off")
                },
            ]
        })
        .collect();
    let columns = ["field.name", "token.prefix", "token.scopes", "field.created", "token.last_used", "token.expires", "field.status"]
        .iter()
        .map(|k| tr.t(k))
        .collect();
    s.push(Section::Table(TableSection { columns, rows, next: None }));
    s.push(Section::Form(FormSection::post(
        "token",
        "/profile/tokens",
        tr.t("token.create"),
        vec![
            Field::new("text", "name", tr.t("field.name"), "").required(),
            Field::new("text", "scopes", tr.t("token.scopes"), "*").help(tr.t("token.scopes_help")),
            Field::new("number", "expires_in_days", tr.t("token.expires_in_days"), "90"),
        ],
    )));
    s.push(Section::Heading(tr.t("profile.notifications")));
    let prefs = yunwei_core::notify::my_preferences(&state.core, &caller.ctx).await?;
    let fields = prefs
        .iter()
        .map(|p| {
            let label = format!("{} · {}", tr.t(&format!("event.{}", p.event_type)), tr.t(&format!("channel.{}", p.channel)));
            Field::new("checkbox", "pref", label, format!("{}|{}", p.event_type, p.channel)).checked(p.enabled).disabled(p.locked)
        })
        .collect();
    s.push(Section::Form(FormSection::post("notif", "/profile/notifications", tr.t("action.save"), fields)));
    Ok(s)
}

pub async fn show(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<OkQuery>) -> Result<Response, ApiError> {
    let notice = q.ok.map(|k| caller.tr.t(&format!("notice.{k}")));
    render(&state, &caller, Vec::new(), notice).await
}

/// After a failed form: the profile again with that form as typed (never a password) and
/// the messages beside its fields and on top.
async fn failed(state: &AppState, caller: &Caller, e: ApiError, posted: Posted) -> Result<Response, ApiError> {
    let sections = sections(state, caller, Vec::new()).await?;
    let layout = Layout { title: title(caller), sections, ..Layout::default() };
    super::failed_form(state, caller, e, layout, "/profile", Some(&posted)).await
}

/// The bound form, or the profile again with why it could not be read.
macro_rules! bound {
    ($state:expr, $caller:expr, $form:expr, $id:expr) => {
        match $form.input {
            Ok(f) => (f, $form.posted),
            Err(e) => return failed(&$state, &$caller, e, Posted::new($id, $form.posted)).await,
        }
    };
}

#[derive(Deserialize)]
pub struct PrefsForm {
    locale: String,
    time_zone: String,
}

pub async fn save_preferences(State(state): State<AppState>, caller: Caller, form: PageForm<PrefsForm>) -> Result<Response, ApiError> {
    let (f, posted) = bound!(state, caller, form, "prefs");
    match yunwei_core::admin::update_my_preferences(&state.core, &caller.ctx, &f.locale, f.time_zone.trim()).await {
        Ok(()) => {
            // The sign-in page's language follows, so the next sign-in does not switch back.
            let mut res = redirect("/profile?ok=saved");
            if let Some(l) = crate::i18n::normalize(&f.locale)
                && let Ok(v) = crate::session::set_cookie("yunwei_lang", l, state.web.secure_cookies, Some(365 * 86_400)).parse()
            {
                res.headers_mut().append(axum::http::header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(e) => failed(&state, &caller, e.into(), Posted::new("prefs", posted)).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub async fn change_password(State(state): State<AppState>, caller: Caller, form: PageForm<PasswordForm>) -> Result<Response, ApiError> {
    let (f, posted) = bound!(state, caller, form, "password");
    if f.new_password != f.confirm_password {
        let e = ApiError::from(yunwei_core::CoreError::from(yunwei_domain::DomainError::field("confirm_password", "password_mismatch")));
        return failed(&state, &caller, e, Posted::new("password", posted)).await;
    }
    let session = caller.session.as_ref().map(|s| s.secret.as_str());
    match yunwei_core::auth::change_password(&state.core, &caller.ctx, session, &f.current_password, &f.new_password).await {
        Ok(()) => Ok(redirect("/profile?ok=password_changed")),
        Err(e) => failed(&state, &caller, e.into(), Posted::new("password", posted)).await,
    }
}

#[derive(Deserialize)]
pub struct Empty {}

#[derive(Deserialize)]
pub struct ReauthForm {
    #[serde(default)]
    password: String,
}

pub async fn totp_begin(State(state): State<AppState>, caller: Caller, form: PageForm<ReauthForm>) -> Result<Response, ApiError> {
    let (f, posted) = bound!(state, caller, form, "totpon");
    let tr = caller.tr;
    match yunwei_core::auth::begin_totp(&state.core, &caller.ctx, &f.password).await {
        Ok(e) => {
            let top = vec![
                Section::Heading(tr.t("profile.totp_scan")),
                Section::Svg(e.qr_svg),
                Section::Facts(vec![(tr.t("profile.totp_secret"), e.secret)]),
                Section::Form(FormSection::post(
                    "totpconfirm",
                    "/profile/totp/confirm",
                    tr.t("profile.totp_confirm"),
                    vec![Field::new("text", "code", tr.t("field.totp_code"), "").required().autocomplete("one-time-code")],
                )),
            ];
            render(&state, &caller, top, None).await
        }
        Err(e) => failed(&state, &caller, e.into(), Posted::new("totpon", posted)).await,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn totp_confirm(State(state): State<AppState>, caller: Caller, form: PageForm<CodeForm>) -> Result<Response, ApiError> {
    let (f, posted) = bound!(state, caller, form, "totpconfirm");
    let tr = caller.tr;
    match yunwei_core::auth::confirm_totp(&state.core, &caller.ctx, &f.code).await {
        Ok(codes) => {
            let top = vec![
                Section::Heading(tr.t("profile.recovery_codes")),
                Section::Text(tr.t("profile.recovery_codes_help")),
                Section::Pre(codes.join("\n")),
            ];
            render(&state, &caller, top, Some(tr.t("notice.totp_enabled"))).await
        }
        Err(e) => failed(&state, &caller, e.into(), Posted::new("totpconfirm", posted)).await,
    }
}

pub async fn totp_disable(State(state): State<AppState>, caller: Caller, form: PageForm<CodeForm>) -> Result<Response, ApiError> {
    let (f, posted) = bound!(state, caller, form, "totpoff");
    let me = caller.require()?.user_id;
    match yunwei_core::auth::disable_totp(&state.core, &caller.ctx, me, Some(&f.code)).await {
        Ok(()) => Ok(redirect("/profile?ok=saved")),
        Err(e) => failed(&state, &caller, e.into(), Posted::new("totpoff", posted)).await,
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
    scopes: String,
    expires_in_days: String,
}

pub async fn create_token(State(state): State<AppState>, caller: Caller, form: PageForm<TokenForm>) -> Result<Response, ApiError> {
    let (f, posted) = bound!(state, caller, form, "token");
    let me = caller.require()?.user_id;
    let tr = caller.tr;
    let days = f.expires_in_days.trim();
    let expires_in_days = if days.is_empty() { None } else { Some(days.parse::<i64>().unwrap_or(-1)) };
    let input = yunwei_core::auth::NewTokenInput {
        name: f.name,
        scopes: f.scopes.split_whitespace().flat_map(|s| s.split(',')).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        expires_in_days,
    };
    match yunwei_core::auth::create_token(&state.core, &caller.ctx, me, input).await {
        Ok(t) => {
            let top = vec![Section::Heading(tr.t("token.created")), Section::Text(tr.t("token.shown_once")), Section::Pre(t.secret)];
            render(&state, &caller, top, None).await
        }
        Err(e) => failed(&state, &caller, e.into(), Posted::new("token", posted)).await,
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    match yunwei_core::auth::revoke_token(&state.core, &caller.ctx, ApiTokenId(id)).await {
        Ok(()) => Ok(redirect("/profile?ok=token_revoked")),
        Err(e) => failed(&state, &caller, e.into(), Posted::new("revoke", Vec::new())).await,
    }
}

pub async fn save_notification_preferences(
    State(state): State<AppState>,
    caller: Caller,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    let chosen: Vec<&str> = pairs.iter().filter(|(k, _)| k == "pref").map(|(_, v)| v.as_str()).collect();
    let current = yunwei_core::notify::my_preferences(&state.core, &caller.ctx).await?;
    let input = current
        .iter()
        .filter(|p| !p.locked)
        .map(|p| {
            let key = format!("{}|{}", p.event_type, p.channel);
            yunwei_core::notify::PreferenceInput {
                event_type: p.event_type.to_string(),
                channel: p.channel.to_string(),
                enabled: chosen.contains(&key.as_str()),
            }
        })
        .collect();
    match yunwei_core::notify::set_my_preferences(&state.core, &caller.ctx, input).await {
        Ok(_) => Ok(redirect("/profile?ok=saved")),
        Err(e) => failed(&state, &caller, e.into(), Posted::new("notif", pairs)).await,
    }
}
