//! `/integrations/…`: where monitoring systems post alerts, each in its own wire format,
//! authenticated by an integration's token (not a user's): `Authorization: Bearer`,
//! `X-Yunwei-Token`, the URL, or PagerDuty's `routing_key` / `service_key`. Answers as the
//! senders expect them; refusals are problem+json: 401 unknown token, 400 with the reason,
//! 413 too large — never a 5xx for a bad payload, which the sender would retry for ever.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use yunwei_core::alert::ingest::{self, IngestError, Outcome};
use yunwei_core::domain::alert::AlertSource;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/integrations/alertmanager", post(alertmanager))
        .route("/integrations/alertmanager/{token}", post(alertmanager_at))
        .route("/integrations/alertmanager/api/v2/alerts", post(alertmanager_api))
        .route("/integrations/alertmanager/{token}/api/v2/alerts", post(alertmanager_api_at))
        .route("/integrations/pagerduty/v2/enqueue", post(pagerduty_v2))
        .route("/integrations/pagerduty/generic/2010-04-15/create_event.json", post(pagerduty_v1))
        .route("/integrations/generic", post(generic))
        .route("/integrations/generic/{token}", post(generic_at))
}

fn header_token(h: &HeaderMap) -> Option<String> {
    let bearer = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    bearer.or_else(|| h.get("x-yunwei-token").and_then(|v| v.to_str().ok())).map(|t| t.trim().to_string())
}

async fn run(state: &AppState, source: AlertSource, token: Option<String>, body: Body) -> ApiResult<Outcome> {
    let bytes = axum::body::to_bytes(body, state.web.body_limit)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"))?;
    ingest::ingest(&state.core, source, token.as_deref(), &bytes).await.map_err(|e| match e {
        IngestError::Unauthorised => ApiError::new(StatusCode::UNAUTHORIZED, "alert_token_invalid"),
        IngestError::Malformed(reason) => {
            with_param(ApiError::new(StatusCode::BAD_REQUEST, "alert_payload_invalid"), "reason", reason.clone()).detail(reason)
        }
        IngestError::Core(e) => e.into(),
    })
}

fn with_param(mut e: ApiError, name: &str, value: String) -> ApiError {
    e.params.push((name.into(), value));
    e
}

fn ok(o: Outcome) -> Response {
    Json(json!({ "status": "success", "received": o.received, "new": o.new, "changed": o.changed, "repeats": o.repeats })).into_response()
}

async fn alertmanager(State(s): State<AppState>, h: HeaderMap, body: Body) -> ApiResult<Response> {
    Ok(ok(run(&s, AlertSource::Alertmanager, header_token(&h), body).await?))
}

async fn alertmanager_at(State(s): State<AppState>, Path(token): Path<String>, body: Body) -> ApiResult<Response> {
    Ok(ok(run(&s, AlertSource::Alertmanager, Some(token), body).await?))
}

async fn alertmanager_api(State(s): State<AppState>, h: HeaderMap, body: Body) -> ApiResult<Response> {
    Ok(ok(run(&s, AlertSource::AlertmanagerApi, header_token(&h), body).await?))
}

async fn alertmanager_api_at(State(s): State<AppState>, Path(token): Path<String>, body: Body) -> ApiResult<Response> {
    Ok(ok(run(&s, AlertSource::AlertmanagerApi, Some(token), body).await?))
}

async fn generic(State(s): State<AppState>, h: HeaderMap, body: Body) -> ApiResult<Response> {
    Ok(ok(run(&s, AlertSource::Generic, header_token(&h), body).await?))
}

async fn generic_at(State(s): State<AppState>, Path(token): Path<String>, body: Body) -> ApiResult<Response> {
    Ok(ok(run(&s, AlertSource::Generic, Some(token), body).await?))
}

/// PagerDuty Events API v2: 202 `{"status":"success","message":"Event processed","dedup_key":…}`.
async fn pagerduty_v2(State(s): State<AppState>, h: HeaderMap, body: Body) -> ApiResult<Response> {
    let o = run(&s, AlertSource::PagerdutyV2, header_token(&h), body).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "status": "success", "message": "Event processed", "dedup_key": o.dedup_key }))).into_response())
}

/// PagerDuty's v1 generic events: 200 `{"status":"success","message":"Event processed","incident_key":…}`.
async fn pagerduty_v1(State(s): State<AppState>, h: HeaderMap, body: Body) -> ApiResult<Response> {
    let o = run(&s, AlertSource::PagerdutyV1, header_token(&h), body).await?;
    Ok(Json(json!({ "status": "success", "message": "Event processed", "incident_key": o.dedup_key })).into_response())
}
