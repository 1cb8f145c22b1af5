//! The requester's survey page, `/surveys/{token}`: no sign-in (the link is the
//! capability), in the language of the browser, score 1–5 as radio buttons and a
//! comment. The form is protected like the sign-in form: a pre-session CSRF
//! cookie (SameSite=Lax) echoed in the form, so another site cannot post it.

use super::auth::login_csrf;
use super::{Notice, Shell, html, redirect, url_encode};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm};
use crate::i18n::Tr;
use crate::session::{LOGIN_CSRF_COOKIE, set_cookie};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::CoreError;
use yunwei_core::survey::{self, AnswerInput, PublicSurvey};
use yunwei_domain::survey::SurveyState;

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyTemplate {
    shell: Shell,
    title: String,
    ticket: String,
    notice: Option<String>,
    errors: Vec<String>,
    message: Option<String>,
    open: bool,
    action: String,
    here: String,
    scores: Vec<(String, String)>,
    chosen: String,
    comment: String,
}

/// What one rendering shows besides the survey itself.
#[derive(Default)]
struct Shown {
    status: Option<StatusCode>,
    notice: Option<String>,
    errors: Vec<String>,
    message: Option<String>,
    chosen: String,
    comment: String,
}

fn render(state: &AppState, caller: &Caller, headers: &HeaderMap, token: &str, s: Option<&PublicSurvey>, shown: Shown) -> Response {
    let tr = caller.tr;
    let (csrf, fresh) = match &caller.session {
        Some(session) => (session.csrf_token.clone(), false),
        None => login_csrf(headers),
    };
    let open = s.is_some_and(|s| s.state == SurveyState::Sent) && shown.message.is_none();
    let ticket = s.map(|s| format!("{} {}", s.subject_ref, s.subject_title)).unwrap_or_default();
    let path = format!("/surveys/{token}");
    let t = SurveyTemplate {
        shell: Shell { tr, user: None, csrf: csrf.clone(), nav: Vec::new() },
        title: tr.t("survey.title"),
        ticket,
        notice: shown.notice,
        errors: shown.errors,
        message: shown.message,
        open,
        action: path.clone(),
        here: url_encode(&path),
        scores: (1..=5u8).map(|n| (n.to_string(), tr.t(&format!("survey.score.{n}")))).collect(),
        chosen: shown.chosen,
        comment: shown.comment,
    };
    let mut res = html(&t);
    *res.status_mut() = shown.status.unwrap_or(StatusCode::OK);
    if fresh && let Ok(v) = set_cookie(LOGIN_CSRF_COOKIE, &csrf, state.web.secure_cookies, Some(3600)).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The message of a survey that can no longer be answered.
fn closed_message(caller: &Caller, s: &PublicSurvey) -> Option<(StatusCode, String)> {
    let tr = caller.tr;
    match s.state {
        SurveyState::Sent => None,
        SurveyState::Answered => {
            let score = s.score.unwrap_or_default().to_string();
            Some((StatusCode::OK, tr.with("survey.answered", &[("score".into(), score)])))
        }
        SurveyState::Expired => Some((StatusCode::GONE, tr.t("error.survey_expired"))),
    }
}

/// Field errors named as this page names its fields.
fn field_messages(e: &ApiError, tr: Tr) -> Vec<String> {
    e.fields
        .iter()
        .map(|f| {
            let label = match f.field.as_str() {
                "score" => tr.t("survey.question"),
                "comment" => tr.t("survey.comment"),
                other => other.to_string(),
            };
            tr.labelled(&label, &tr.with(&format!("error.{}", f.code), &f.params))
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(token): ApiPath<String>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    let s = survey::peek(&state.core, &token).await.map_err(crate::api::survey::public_error)?;
    let mut shown = Shown::default();
    if let Some((status, message)) = closed_message(&caller, &s) {
        shown.status = Some(status);
        shown.message = Some(message);
        // Only known notices are shown: the query string is the visitor's to edit.
        shown.notice = q.ok.filter(|k| k == "answered").map(|_| caller.tr.t("survey.thanks"));
    }
    Ok(render(&state, &caller, &headers, &token, Some(&s), shown))
}

#[derive(Deserialize)]
pub struct AnswerForm {
    score: Option<String>,
    comment: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(token): ApiPath<String>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<Response, ApiError> {
    // A missing or non-numeric score reaches core as 0, which it refuses with the field named.
    let score = form.score.as_deref().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(0);
    let comment = form.comment.clone().filter(|c| !c.trim().is_empty());
    match survey::answer(&state.core, &caller.ctx, &token, AnswerInput { score, comment }).await {
        Ok(_) => Ok(redirect(&format!("/surveys/{token}?ok=answered"))),
        Err(CoreError::NotFound(_)) => {
            let shown =
                Shown { status: Some(StatusCode::NOT_FOUND), message: Some(caller.tr.t("error.survey_not_found")), ..Shown::default() };
            Ok(render(&state, &caller, &headers, &token, None, shown))
        }
        Err(e) => {
            let e: ApiError = e.into();
            let s = survey::peek(&state.core, &token).await.map_err(crate::api::survey::public_error)?;
            let mut shown = Shown {
                status: Some(e.status),
                chosen: form.score.unwrap_or_default(),
                comment: form.comment.unwrap_or_default(),
                ..Shown::default()
            };
            if e.status == StatusCode::UNPROCESSABLE_ENTITY {
                shown.errors = field_messages(&e, caller.tr);
            } else if e.status.is_server_error() {
                return Err(e);
            } else {
                shown.message = Some(crate::middleware::error_title(&e, caller.tr));
            }
            Ok(render(&state, &caller, &headers, &token, Some(&s), shown))
        }
    }
}
