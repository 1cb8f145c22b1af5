//! Sign-in (password, then the second factor if enrolled), sign-out, language.

use super::{Shell, html, redirect, safe_next};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm};
use crate::session::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, clear_cookie, cookie, set_cookie};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    shell: Shell,
    title: String,
    error: Option<String>,
    action: &'static str,
    next: String,
    username: String,
    second_factor: bool,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// The pre-session CSRF token of anonymous forms (sign-in, survey answers) and whether it is new.
pub(super) fn login_csrf(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, LOGIN_CSRF_COOKIE) {
        Some(c) => (c, false),
        None => (yunwei_core::crypto::random_secret::<16>().unwrap_or_default(), true),
    }
}

/// What the sign-in page shows: which step, where to go next, and the last error.
struct LoginView {
    second_factor: bool,
    next: String,
    username: String,
    error: Option<ApiError>,
}

fn render(state: &AppState, caller: &Caller, headers: &HeaderMap, view: LoginView) -> Response {
    let LoginView { second_factor, next, username, error } = view;
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let error = error.map(|e| caller.tr.t(&format!("error.{}", e.code)));
    let (csrf, fresh) = login_csrf(headers);
    let tr = caller.tr;
    let shell = Shell { tr, user: None, csrf: csrf.clone(), nav: Vec::new() };
    let title = tr.t(if second_factor { "login.second_factor_title" } else { "login.title" });
    let action = if second_factor { "/login/second-factor" } else { "/login" };
    let mut res = html(&LoginTemplate { shell, title, error, action, next, username, second_factor });
    *res.status_mut() = status;
    if fresh && let Ok(v) = set_cookie(LOGIN_CSRF_COOKIE, &csrf, state.web.secure_cookies, Some(3600)).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_page(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<NextQuery>) -> Response {
    if caller.ctx.actor.is_some() {
        return redirect("/");
    }
    render(
        &state,
        &caller,
        &headers,
        LoginView { second_factor: false, next: safe_next(q.next.as_deref().unwrap_or("/")), username: String::new(), error: None },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref().unwrap_or("/"));
    match yunwei_core::auth::login(&state.core, &caller.ctx.meta, &form.username, &form.password).await {
        Ok(s) => {
            // A language chosen on this page (the cookie) sticks: it becomes the profile's.
            if let Some(locale) = cookie(&headers, "yunwei_lang").and_then(|l| crate::i18n::normalize(&l))
                && let Err(e) = yunwei_core::auth::adopt_sign_in_locale(&state.core, &caller.ctx.meta, s.user_id, locale).await
            {
                // The sign-in itself succeeded; the pages then speak the profile's language.
                tracing::warn!(error = %e, "could not keep the language chosen on the sign-in page");
            }
            let target = if s.second_factor_pending { format!("/login/second-factor?next={}", super::url_encode(&next)) } else { next };
            let mut res = redirect(&target);
            if let Ok(v) = set_cookie(SESSION_COOKIE, &s.secret, state.web.secure_cookies, None).parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            render(&state, &caller, &headers, LoginView { second_factor: false, next, username: form.username, error: Some(e.into()) })
        }
    }
}

pub async fn second_factor_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<NextQuery>,
) -> Response {
    if caller.pending_session.is_none() {
        return redirect("/login");
    }
    render(
        &state,
        &caller,
        &headers,
        LoginView { second_factor: true, next: safe_next(q.next.as_deref().unwrap_or("/")), username: String::new(), error: None },
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
}

pub async fn second_factor_submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Response {
    let next = safe_next(form.next.as_deref().unwrap_or("/"));
    let Some(secret) = caller.pending_session.clone() else {
        return redirect("/login");
    };
    match yunwei_core::auth::second_factor(&state.core, &caller.ctx.meta, &secret, &form.code).await {
        Ok(()) => {
            let mut res = redirect(&next);
            if let Ok(v) = clear_cookie(LOGIN_CSRF_COOKIE, state.web.secure_cookies).parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            render(&state, &caller, &headers, LoginView { second_factor: true, next, username: String::new(), error: Some(e.into()) })
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(State(state): State<AppState>, caller: Caller, CsrfForm(_): CsrfForm<Empty>) -> Response {
    if let Some(s) = &caller.session
        && let Err(e) = yunwei_core::auth::logout(&state.core, &caller.ctx, &s.secret).await
    {
        return ApiError::from(e).into_response();
    }
    let mut res = redirect("/login");
    if let Ok(v) = clear_cookie(SESSION_COOKIE, state.web.secure_cookies).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Chooses the language before sign-in (signed-in users choose it on their profile);
/// `next` (a same-site path) returns to the page it was chosen on, e.g. a survey link.
pub async fn switch_language(
    State(state): State<AppState>,
    ApiPath(locale): ApiPath<String>,
    ApiQuery(q): ApiQuery<NextQuery>,
) -> Response {
    let Some(locale) = crate::i18n::normalize(&locale) else {
        return ApiError::not_found().into_response();
    };
    let mut res = redirect(&q.next.as_deref().map(safe_next).unwrap_or_else(|| "/login".into()));
    if let Ok(v) = set_cookie("yunwei_lang", locale, state.web.secure_cookies, Some(365 * 86_400)).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
