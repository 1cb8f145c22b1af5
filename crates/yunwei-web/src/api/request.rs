//! Service requests and the service catalogue.

use crate::AppState;
use crate::api::incident::Items;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, OptionalJson};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use yunwei_core::request::{
    self, CatalogItemInput, CatalogItemView, DecisionInput, NewRequest, RequestCommentInput, RequestDetail, RequestQuery,
    RequestTransitionInput, RequestView, TaskInput,
};
use yunwei_core::store::request::Task;
use yunwei_core::store::sql::Page;
use yunwei_core::store::ticket::Activity;
use yunwei_core::ticket;
use yunwei_domain::ids::{CatalogItemId, RequestTaskId, ServiceRequestId};
use yunwei_domain::request::{RequestAction, parse_number};
use yunwei_domain::ticket::SERVICE_REQUEST;

/// `/service-requests/{id}` takes the number (`REQ-000123`) or the bare id.
pub fn request_id(text: &str) -> Result<ServiceRequestId, ApiError> {
    parse_number(text).map(ServiceRequestId).ok_or_else(ApiError::not_found)
}

#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuery {
    /// Administrators: include retired items.
    #[serde(default)]
    pub all: bool,
}

pub async fn list_items(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CatalogQuery>,
) -> ApiResult<Json<Items<CatalogItemView>>> {
    Ok(Json(Items { items: request::list_items(&state.core, &caller.ctx, q.all).await? }))
}

pub async fn get_item(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<CatalogItemView>> {
    Ok(Json(request::get_item(&state.core, &caller.ctx, CatalogItemId(id)).await?))
}

pub async fn create_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CatalogItemInput>,
) -> ApiResult<(StatusCode, Json<CatalogItemView>)> {
    Ok((StatusCode::CREATED, Json(request::create_item(&state.core, &caller.ctx, body).await?)))
}

pub async fn put_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CatalogItemInput>,
) -> ApiResult<Json<CatalogItemView>> {
    Ok(Json(request::put_item(&state.core, &caller.ctx, CatalogItemId(id), body).await?))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RequestQuery>,
) -> ApiResult<Json<Page<RequestView>>> {
    Ok(Json(request::list(&state.core, &caller.ctx, &q).await?))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewRequest>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    Ok((StatusCode::CREATED, Json(request::create(&state.core, &caller.ctx, body).await?)))
}

pub async fn get(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Json<RequestDetail>> {
    Ok(Json(request::get(&state.core, &caller.ctx, request_id(&id)?).await?))
}

pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DecisionInput>,
) -> ApiResult<Json<RequestView>> {
    Ok(Json(request::decide(&state.core, &caller.ctx, request_id(&id)?, body).await?))
}

/// The desk names the approver of a step that waits for one.
pub async fn name_approver(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<request::NameApproverInput>,
) -> ApiResult<Json<RequestView>> {
    Ok(Json(request::name_approver(&state.core, &caller.ctx, request_id(&id)?, body).await?))
}

pub async fn work_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, task)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<TaskInput>,
) -> ApiResult<Json<Task>> {
    Ok(Json(request::work_task(&state.core, &caller.ctx, request_id(&id)?, RequestTaskId(task), body).await?))
}

/// `POST /service-requests/{id}/transitions/{action}`: cancel, close.
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, action)): ApiPath<(String, String)>,
    OptionalJson(input): OptionalJson<RequestTransitionInput>,
) -> ApiResult<Json<RequestView>> {
    let action: RequestAction = action.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(request::act(&state.core, &caller.ctx, request_id(&id)?, action, input).await?))
}

pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RequestCommentInput>,
) -> ApiResult<(StatusCode, Json<Activity>)> {
    Ok((StatusCode::CREATED, Json(ticket::comment(&state.core, &caller.ctx, &SERVICE_REQUEST, request_id(&id)?.0, body.into()).await?)))
}
