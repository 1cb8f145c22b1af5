//! Problem management (问题管理): problems, their analysis, measures, closure review, known
//! errors, and the suggestions raised from recurring incidents.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, OptionalJson};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use yunwei_core::problem::{
    self, AcceptInput, DismissInput, MeasureInput, ProblemInput, ProblemQuery, ProblemTransitionInput, ProblemView, ReviewInput,
    SuggestionQuery,
};
use yunwei_core::ticket;
use yunwei_domain::ids::{ProblemId, ProblemMeasureId, ProblemSuggestionId};
use yunwei_domain::problem::{ProblemSettings, ProblemTransition, Rca, parse_number};
use yunwei_domain::ticket::PROBLEM;

/// `/problems/{number}` takes the number (`PRB-000123`) or the bare id.
pub fn problem_id(text: &str) -> Result<ProblemId, ApiError> {
    parse_number(text).map(ProblemId).ok_or_else(ApiError::not_found)
}

/// `POST /problems/{number}/incidents`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentLink {
    /// `INC-000123` or the bare id.
    pub incident: String,
    /// False takes the link away.
    #[serde(default = "yes")]
    pub link: bool,
}

fn yes() -> bool {
    true
}

fn incident_of(text: &str) -> Result<yunwei_domain::ids::IncidentId, ApiError> {
    crate::api::incident::incident_id(text)
}

/// `GET /known-errors?q=`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownErrorQuery {
    pub q: String,
    pub limit: Option<i64>,
}

handlers! {
    list(ApiQuery(q: ProblemQuery)) -> json: problem::list(&q);
    create(ApiJson(body: ProblemInput)) -> created: problem::create(body);
    get(ApiPath(id: String)) -> json: problem::get(problem_id(&id)?);
    patch(ApiPath(id: String), ApiJson(body: ProblemInput)) -> json: problem::update(problem_id(&id)?, body);
    link_incident(ApiPath(id: String), ApiJson(body: IncidentLink)) -> json: problem::link_incident(problem_id(&id)?, incident_of(&body.incident)?, body.link);
    put_rca(ApiPath(id: String), ApiJson(body: Rca)) -> json: problem::put_rca(problem_id(&id)?, body);
    add_measure(ApiPath(id: String), ApiJson(body: MeasureInput)) -> created: problem::put_measure(problem_id(&id)?, None, body);
    patch_measure(ApiPath((id, m): (String, i64)), ApiJson(body: MeasureInput)) -> json: problem::put_measure(problem_id(&id)?, Some(ProblemMeasureId(m)), body);
    review(ApiPath(id: String), ApiJson(body: ReviewInput)) -> json: problem::review(problem_id(&id)?, body);
    comment(ApiPath(id: String), ApiJson(body: ticket::Comment)) -> created: ticket::comment(&PROBLEM, problem_id(&id)?.0, body);
    overdue() -> items: problem::overdue_measures();
    known_errors(ApiQuery(q: KnownErrorQuery)) -> items: problem::search_known_errors(&q.q, q.limit.unwrap_or(20));
    incident_known_errors(ApiPath(id: String)) -> items: problem::known_errors_for_incident(incident_of(&id)?);
    suggestions(ApiQuery(q: SuggestionQuery)) -> items: problem::suggestions(&q);
    scan() -> json: problem::scan_now();
    accept(ApiPath(id: i64), ApiJson(body: AcceptInput)) -> created: problem::accept(ProblemSuggestionId(id), body);
    dismiss(ApiPath(id: i64), ApiJson(body: DismissInput)) -> json: problem::dismiss(ProblemSuggestionId(id), body);
    get_settings() -> json: problem::read_settings();
    put_settings(ApiJson(body: ProblemSettings)) -> json: problem::put_settings(body);
}

/// `POST /problems/{number}/transitions/{transition}`: start, known_error, resolve, close, reopen.
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, t)): ApiPath<(String, String)>,
    OptionalJson(input): OptionalJson<ProblemTransitionInput>,
) -> ApiResult<Json<ProblemView>> {
    let t: ProblemTransition = t.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(problem::transition(&state.core, &caller.ctx, problem_id(&id)?, t, input).await?))
}
