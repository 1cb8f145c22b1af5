//! Satisfaction surveys: the public answer endpoints (the link's token is the
//! capability; no sign-in), the list, statistics and settings for managers,
//! and the improvement register.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yunwei_core::CoreError;
use yunwei_core::improvement::{self, ImprovementPatch, ImprovementQuery, ImprovementView, NewImprovement};
use yunwei_core::store::sql::Page;
use yunwei_core::survey::{self, AnswerInput, PublicSurvey, Stats, StatsQuery, SurveyQuery, SurveyView};
use yunwei_domain::ids::{ImprovementId, SurveyId};
use yunwei_domain::survey::SurveySettings;

/// An unknown or malformed link is `survey_not_found`, so a requester's mistyped URL says what it is.
pub fn public_error(e: CoreError) -> ApiError {
    match e {
        CoreError::NotFound("survey") => ApiError::new(StatusCode::NOT_FOUND, "survey_not_found"),
        other => other.into(),
    }
}

/// `GET /api/v1/surveys/answer/{token}`: the survey if it can still be answered.
pub async fn open(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> ApiResult<Json<PublicSurvey>> {
    Ok(Json(survey::open(&state.core, &token).await.map_err(public_error)?))
}

/// `POST /api/v1/surveys/answer/{token}` with `{score, comment}`: once.
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(token): ApiPath<String>,
    ApiJson(body): ApiJson<AnswerInput>,
) -> ApiResult<Json<PublicSurvey>> {
    Ok(Json(survey::answer(&state.core, &caller.ctx, &token, body).await.map_err(public_error)?))
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<SurveyQuery>) -> ApiResult<Json<Page<SurveyView>>> {
    Ok(Json(survey::list(&state.core, &caller.ctx, &q).await?))
}

pub async fn get(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<SurveyView>> {
    Ok(Json(survey::get(&state.core, &caller.ctx, SurveyId(id)).await?))
}

pub async fn stats(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<StatsQuery>) -> ApiResult<Json<Stats>> {
    Ok(Json(survey::stats(&state.core, &caller.ctx, &q).await?))
}

pub async fn get_settings(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SurveySettings>> {
    Ok(Json(survey::read_settings(&state.core, &caller.ctx).await?))
}

pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SurveySettings>,
) -> ApiResult<Json<SurveySettings>> {
    Ok(Json(survey::put_settings(&state.core, &caller.ctx, body).await?))
}

// ---- the improvement register ----

/// `/improvements/{id}` takes the number (`IMP-000012`) or the bare id.
pub fn improvement_id(text: &str) -> Result<ImprovementId, ApiError> {
    yunwei_domain::improvement::parse_number(text).map(ImprovementId).ok_or_else(ApiError::not_found)
}

pub async fn list_improvements(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ImprovementQuery>,
) -> ApiResult<Json<Page<ImprovementView>>> {
    Ok(Json(improvement::list(&state.core, &caller.ctx, &q).await?))
}

pub async fn create_improvement(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewImprovement>,
) -> ApiResult<(StatusCode, Json<ImprovementView>)> {
    Ok((StatusCode::CREATED, Json(improvement::create(&state.core, &caller.ctx, body).await?)))
}

pub async fn get_improvement(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ImprovementView>> {
    Ok(Json(improvement::get(&state.core, &caller.ctx, improvement_id(&id)?).await?))
}

pub async fn patch_improvement(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ImprovementPatch>,
) -> ApiResult<Json<ImprovementView>> {
    Ok(Json(improvement::update(&state.core, &caller.ctx, improvement_id(&id)?, body).await?))
}
