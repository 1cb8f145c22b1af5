//! Service requests and the service catalogue.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, OptionalJson};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use yunwei_core::request::{
    self, CatalogItemInput, DecisionInput, NewRequest, RequestCommentInput, RequestQuery, RequestTransitionInput, RequestView, TaskInput,
};
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

handlers! {
    list_items(ApiQuery(q: CatalogQuery)) -> items: request::list_items(q.all);
    get_item(ApiPath(id: i64)) -> json: request::get_item(CatalogItemId(id));
    create_item(ApiJson(body: CatalogItemInput)) -> created: request::create_item(body);
    put_item(ApiPath(id: i64), ApiJson(body: CatalogItemInput)) -> json: request::put_item(CatalogItemId(id), body);
    list(ApiQuery(q: RequestQuery)) -> json: request::list(&q);
    create(ApiJson(body: NewRequest)) -> created: request::create(body);
    get(ApiPath(id: String)) -> json: request::get(request_id(&id)?);
    decide(ApiPath(id: String), ApiJson(body: DecisionInput)) -> json: request::decide(request_id(&id)?, body);
    work_task(ApiPath((id, task): (String, i64)), ApiJson(body: TaskInput)) -> json: request::work_task(request_id(&id)?, RequestTaskId(task), body);
    name_approver(ApiPath(id: String), ApiJson(body: request::NameApproverInput)) -> json: request::name_approver(request_id(&id)?, body);
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

handlers! {
    comment(ApiPath(id: String), ApiJson(body: RequestCommentInput)) -> created: ticket::comment(&SERVICE_REQUEST, request_id(&id)?.0, body.into());
}
