//! The signed-in user: profile, password, API tokens, TOTP.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use yunwei_core::auth::NewTokenInput;
use yunwei_core::store::auth::ApiToken;
use yunwei_domain::ids::ApiTokenId;

#[derive(Serialize)]
pub struct Me {
    #[serde(flatten)]
    pub actor: yunwei_core::Actor,
    pub permissions: Vec<String>,
}

pub async fn get_me(caller: Caller) -> ApiResult<Json<Me>> {
    let actor = caller.require()?.clone();
    let permissions = actor.permissions.iter().map(ToString::to_string).collect();
    Ok(Json(Me { actor, permissions }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    pub locale: Option<String>,
    pub time_zone: Option<String>,
}

pub async fn patch_me(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<MePatch>,
) -> ApiResult<Json<yunwei_core::admin::UserView>> {
    let me = caller.require()?;
    let locale = body.locale.unwrap_or_else(|| me.locale.clone());
    let zone = body.time_zone.unwrap_or_else(|| me.time_zone.clone());
    yunwei_core::admin::update_my_preferences(&state.core, &caller.ctx, &locale, &zone).await?;
    Ok(Json(yunwei_core::admin::get_user(&state.core, &caller.ctx, me.user_id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current_password: String,
    pub new_password: String,
}

pub async fn change_password(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<PasswordBody>) -> ApiResult<StatusCode> {
    let session = caller.session.as_ref().map(|s| s.secret.as_str());
    yunwei_core::auth::change_password(&state.core, &caller.ctx, session, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_tokens(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<ApiToken>>> {
    let me = caller.require()?;
    Ok(Json(yunwei_core::auth::list_tokens(&state.core, &caller.ctx, me.user_id).await?))
}

pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTokenInput>,
) -> ApiResult<axum::response::Response> {
    let me = caller.require()?;
    let token = yunwei_core::auth::create_token(&state.core, &caller.ctx, me.user_id, body).await?;
    Ok(super::with_secret(StatusCode::CREATED, token))
}

handlers! {
    revoke_token(ApiPath(id: i64)) -> no_content: yunwei_core::auth::revoke_token(ApiTokenId(id));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReauthBody {
    pub password: String,
}

handlers! {
    begin_totp(ApiJson(body: ReauthBody)) -> json: yunwei_core::auth::begin_totp(&body.password);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

#[derive(Serialize)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

pub async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CodeBody>,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(RecoveryCodes { recovery_codes: yunwei_core::auth::confirm_totp(&state.core, &caller.ctx, &body.code).await? }))
}

pub async fn disable_totp(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<CodeBody>) -> ApiResult<StatusCode> {
    let me = caller.require()?;
    yunwei_core::auth::disable_totp(&state.core, &caller.ctx, me.user_id, Some(&body.code)).await?;
    Ok(StatusCode::NO_CONTENT)
}
