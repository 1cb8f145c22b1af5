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
use yunwei_core::improvement::{self, ImprovementPatch, ImprovementQuery, NewImprovement};
use yunwei_core::survey::{self, AnswerInput, PublicSurvey, StatsQuery, SurveyQuery};
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

handlers! {
    list(ApiQuery(q: SurveyQuery)) -> json: survey::list(&q);
    get(ApiPath(id: i64)) -> json: survey::get(SurveyId(id));
    stats(ApiQuery(q: StatsQuery)) -> json: survey::stats(&q);
    get_settings() -> json: survey::read_settings();
    put_settings(ApiJson(body: SurveySettings)) -> json: survey::put_settings(body);
}

// ---- the improvement register ----

/// `/improvements/{id}` takes the number (`IMP-000012`) or the bare id.
pub fn improvement_id(text: &str) -> Result<ImprovementId, ApiError> {
    yunwei_domain::improvement::parse_number(text).map(ImprovementId).ok_or_else(ApiError::not_found)
}

handlers! {
    list_improvements(ApiQuery(q: ImprovementQuery)) -> json: improvement::list(&q);
    create_improvement(ApiJson(body: NewImprovement)) -> created: improvement::create(body);
    get_improvement(ApiPath(id: String)) -> json: improvement::get(improvement_id(&id)?);
    patch_improvement(ApiPath(id: String), ApiJson(body: ImprovementPatch)) -> json: improvement::update(improvement_id(&id)?, body);
}
