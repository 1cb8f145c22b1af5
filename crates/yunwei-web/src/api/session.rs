//! Sign-in and sign-out over the API (sets the same session cookie as the page).

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Caller};
use crate::session::{SESSION_COOKIE, clear_cookie, set_cookie};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

/// Answers the CSRF token to send as `X-CSRF-Token` on later writes, and whether a second factor is owed.
pub async fn login(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<LoginBody>) -> ApiResult<Response> {
    let s = yunwei_core::auth::login(&state.core, &caller.ctx.meta, &body.username, &body.password).await?;
    let cookie = set_cookie(SESSION_COOKIE, &s.secret, state.web.secure_cookies, None);
    let body = serde_json::json!({ "user_id": s.user_id, "csrf_token": s.csrf_token, "second_factor_required": s.second_factor_pending });
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

pub async fn second_factor(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<CodeBody>) -> ApiResult<StatusCode> {
    let secret = caller.pending_session.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "session_expired"))?;
    yunwei_core::auth::second_factor(&state.core, &caller.ctx.meta, &secret, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let session = caller.session.as_ref().ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"))?;
    yunwei_core::auth::logout(&state.core, &caller.ctx, &session.secret).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_cookie(SESSION_COOKIE, state.web.secure_cookies))]).into_response())
}
