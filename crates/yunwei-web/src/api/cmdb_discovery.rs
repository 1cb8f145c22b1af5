//! `/api/v1/cmdb/discovery`: scanners' reports reconciled into the CMDB (CMDB-5), discovery
//! sources as data, and what reconciliation found (drift, stale CIs).

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use serde_json::Value;
use yunwei_core::cmdb::discovery::{self, DiscoveryReport};
use yunwei_core::cmdb::discovery_sources::{self as sources, DriftQuery, SourceInput};
use yunwei_domain::ids::CiId;

/// `POST /api/v1/cmdb/discovery/{source}`: each item's errors worded in the caller's language.
pub async fn reconcile(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(source): ApiPath<String>,
    ApiJson(body): ApiJson<DiscoveryReport>,
) -> ApiResult<Json<Value>> {
    let run = discovery::reconcile(&state.core, &caller.ctx, &source, body).await?;
    Ok(Json(super::cmdb_import::worded(serde_json::to_value(&run).unwrap_or(Value::Null), "items", caller.tr)))
}

handlers! {
    list_sources() -> items: sources::sources();
    create_source(ApiJson(body: SourceInput)) -> created: sources::create_source(body);
    update_source(ApiPath(code: String), ApiJson(body: SourceInput)) -> json: sources::update_source(&code, body);
}

pub async fn findings(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DriftQuery>,
) -> ApiResult<Json<sources::Findings>> {
    Ok(Json(sources::findings(&state.core, &caller.ctx, &q, !caller.tr.is_zh()).await?))
}

pub async fn of_ci(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<sources::Findings>> {
    Ok(Json(sources::of_ci(&state.core, &caller.ctx, CiId(id), !caller.tr.is_zh()).await?))
}
