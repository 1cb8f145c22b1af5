//! CMDB impact analysis (CMDB-3): one CI's impact or needs, and several failures together.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use yunwei_core::cmdb::impact::{self, FailuresInput, ImpactQuery, ImpactView};
use yunwei_core::domain::ids::CiId;

/// `GET /cmdb/cis/{id}/impact`.
pub async fn of_ci(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ImpactQuery>,
) -> ApiResult<Json<ImpactView>> {
    Ok(Json(impact::of_ci(&state.core, &caller.ctx, CiId(id), &q).await?))
}

/// `POST /cmdb/impact`.
pub async fn of_failures(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<FailuresInput>,
) -> ApiResult<Json<ImpactView>> {
    Ok(Json(impact::of_failures(&state.core, &caller.ctx, body).await?))
}
