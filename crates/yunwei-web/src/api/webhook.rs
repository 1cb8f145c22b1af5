//! Outbound webhooks: subscriptions, secret rotation, test ping and recent deliveries.

use crate::AppState;
use crate::api::incident::Items;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use yunwei_core::store::webhook::Webhook;
use yunwei_core::webhook::{self, DeliveryView, NewWebhook, WebhookPatch, WithSecret};

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Items<Webhook>>> {
    Ok(Json(Items { items: webhook::list(&state.core, &caller.ctx).await? }))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, axum::Extension<crate::middleware::SecretInside>, Json<WithSecret>)> {
    let created = webhook::create(&state.core, &caller.ctx, body).await?;
    Ok((StatusCode::CREATED, axum::Extension(crate::middleware::SecretInside), Json(created)))
}

pub async fn get(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Webhook>> {
    Ok(Json(webhook::get(&state.core, &caller.ctx, id).await?))
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<WebhookPatch>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(webhook::patch(&state.core, &caller.ctx, id, body).await?))
}

pub async fn delete(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    webhook::delete(&state.core, &caller.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(axum::Extension<crate::middleware::SecretInside>, Json<WithSecret>)> {
    Ok((axum::Extension(crate::middleware::SecretInside), Json(webhook::rotate_secret(&state.core, &caller.ctx, id).await?)))
}

pub async fn test(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    Ok((StatusCode::ACCEPTED, Json(webhook::test(&state.core, &caller.ctx, id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    pub limit: Option<i64>,
}

pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> ApiResult<Json<Items<DeliveryView>>> {
    Ok(Json(Items { items: webhook::deliveries(&state.core, &caller.ctx, id, q.limit.unwrap_or(50)).await? }))
}
