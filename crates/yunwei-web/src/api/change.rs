//! Change management (变更管理): change requests, their risk, votes, implementation and the
//! windows the alerting asks about.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, OptionalJson};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use yunwei_core::change::{self, ChangeInput, ChangeQuery, ChangeTransitionInput, ChangeView, StepInput, VoteInput};
use yunwei_core::ticket;
use yunwei_domain::change::{ChangeSettings, ChangeTransition, parse_number};
use yunwei_domain::ids::{ChangeId, CiId};
use yunwei_domain::ticket::CHANGE;

/// `/changes/{number}` takes the number (`CHG-000123`) or the bare id.
pub fn change_id(text: &str) -> Result<ChangeId, ApiError> {
    parse_number(text).map(ChangeId).ok_or_else(ApiError::not_found)
}

/// `POST /changes/{number}/incidents`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentLink {
    /// `INC-000123` or the bare id.
    pub incident: String,
    /// `cause` (the incident asked for the change) or `caused_by` (the change caused it).
    pub relation: String,
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

/// `GET /cmdb/cis/{id}/change-windows?at=`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowQuery {
    /// Unix milliseconds or RFC 3339; default now.
    pub at: Option<String>,
}

/// `at` as unix milliseconds or RFC 3339 text; anything else is a 400 naming it.
fn instant(text: &str) -> Result<i64, ApiError> {
    let t = text.trim();
    t.parse::<i64>().ok().or_else(|| t.parse::<jiff::Timestamp>().ok().map(|ts| ts.as_millisecond())).ok_or_else(|| {
        let mut e = ApiError::new(axum::http::StatusCode::BAD_REQUEST, "invalid_query");
        e.fields.push(yunwei_domain::FieldError::new("at", "invalid_time"));
        e
    })
}

handlers! {
    list(ApiQuery(q: ChangeQuery)) -> json: change::list(&q);
    create(ApiJson(body: ChangeInput)) -> created: change::create(body);
    get(ApiPath(id: String)) -> json: change::get(change_id(&id)?);
    patch(ApiPath(id: String), ApiJson(body: ChangeInput)) -> json: change::update(change_id(&id)?, body);
    vote(ApiPath(id: String), ApiJson(body: VoteInput)) -> json: change::vote(change_id(&id)?, body);
    step(ApiPath((id, n): (String, usize)), ApiJson(body: StepInput)) -> json: change::set_step(change_id(&id)?, n.saturating_sub(1), body);
    impact(ApiPath(id: String)) -> json: change::impact(change_id(&id)?);
    link_incident(ApiPath(id: String), ApiJson(body: IncidentLink)) -> json: change::link_incident(change_id(&id)?, incident_of(&body.incident)?, &body.relation, body.link);
    comment(ApiPath(id: String), ApiJson(body: ticket::Comment)) -> created: ticket::comment(&CHANGE, change_id(&id)?.0, body);
    overdue() -> items: change::overdue_approvals();
    get_settings() -> json: change::read_settings();
    put_settings(ApiJson(body: ChangeSettings)) -> json: change::put_settings(body);
    schedule(ApiPath(id: String)) -> json: change::schedule_check(change_id(&id)?);
    feed_token() -> created_secret: change::new_feed_token();
}

/// `POST /changes/{number}/transitions/{transition}`: submit, revise, start, complete, roll_back, close, cancel.
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, t)): ApiPath<(String, String)>,
    OptionalJson(input): OptionalJson<ChangeTransitionInput>,
) -> ApiResult<Json<ChangeView>> {
    let t: ChangeTransition = t.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(change::transition(&state.core, &caller.ctx, change_id(&id)?, t, input).await?))
}

/// `GET /cmdb/cis/{id}/change-windows`: approved change windows active for the CI at `at`.
pub async fn windows(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ci): ApiPath<i64>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> ApiResult<Json<crate::api::Items<change::ActiveWindow>>> {
    let at = match q.at.as_deref() {
        Some(t) => instant(t)?,
        None => state.core.now_ms(),
    };
    Ok(Json(crate::api::Items { items: change::active_windows(&state.core, &caller.ctx, CiId(ci), at).await? }))
}

/// `GET /change-calendar?from=&to=` (unix ms or RFC 3339; default: this month and the next).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

const DAY_MS: i64 = 86_400_000;

/// The range asked for, named by the field when unreadable.
pub fn range(state: &AppState, q: &CalendarQuery) -> Result<(i64, i64), ApiError> {
    let field = |name: &str, v: &Option<String>| -> Result<Option<i64>, ApiError> {
        match v.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => instant(t).map(Some).map_err(|mut e| {
                e.fields = vec![yunwei_domain::FieldError::new(name, "invalid_time")];
                e
            }),
        }
    };
    let now = state.core.now_ms();
    let from = field("from", &q.from)?.unwrap_or(now - now.rem_euclid(DAY_MS));
    let to = field("to", &q.to)?.unwrap_or(from + 62 * DAY_MS);
    Ok((from, to))
}

/// `GET /change-calendar`: scheduled changes and freezes in the range.
pub async fn calendar(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<change::ChangeCalendar>> {
    let (from, to) = range(&state, &q)?;
    Ok(Json(change::calendar(&state.core, &caller.ctx, from, to).await?))
}

fn ics(text: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let headers = [
        (axum::http::header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
        (axum::http::header::CONTENT_DISPOSITION, "inline; filename=\"changes.ics\""),
    ];
    (headers, text).into_response()
}

/// `GET /change-calendar.ics`: the caller's feed (a session or an API token).
pub async fn calendar_ics(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::response::Response> {
    caller.require()?;
    Ok(ics(change::feed(&state.core, &caller.ctx, !caller.tr.is_zh()).await?))
}

/// `GET /change-calendar/feed/{token}`: no sign-in, the token is the capability (read-only).
pub async fn feed(State(state): State<AppState>, caller: Caller, ApiPath(token): ApiPath<String>) -> ApiResult<axum::response::Response> {
    let token = token.trim_end_matches(".ics");
    let text = change::feed_by_token(&state.core, caller.ctx.meta.clone(), token, !caller.tr.is_zh()).await?;
    Ok(ics(text))
}
