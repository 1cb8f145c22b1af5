//! Operations: health, readiness, metrics, the scheduler's jobs.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use yunwei_core::store::jobs::Job;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Ready when the database answers, its schema is the one this binary expects, and writes
/// are not failing for want of space (re-probed here, so readiness returns with the space).
pub async fn readyz(State(state): State<AppState>) -> Response {
    use yunwei_core::ops::Readiness;
    match yunwei_core::ops::readiness(&state.core).await {
        Readiness::StorageFull { since_ms } => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "storage_full", "since_ms": since_ms, "detail": "writes fail: the disk holding the database is full" })),
        )
            .into_response(),
        Readiness::Ready { schema } => Json(serde_json::json!({ "status": "ready", "schema": schema })).into_response(),
        Readiness::SchemaMismatch { schema, expected } => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "schema_mismatch", "schema": schema, "expected": expected })))
                .into_response()
        }
        Readiness::Unreachable { error } => {
            tracing::warn!(error = %error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "database_unreachable" }))).into_response()
        }
    }
}

/// Prometheus text. With `[web] metrics_token` set, only for `Authorization: Bearer <token>`
/// (the `authenticate` middleware leaves this path's bearer to us: it is not an API token).
pub async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(expected) = state.web.metrics_token.as_deref().filter(|t| !t.is_empty()) {
        let sent = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
        if !yunwei_core::crypto::constant_time_eq(sent.trim().as_bytes(), expected.as_bytes()) {
            return crate::error::ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated").into_response();
        }
    }
    let mut out = String::new();
    state.metrics.render(&mut out);
    out.push_str("# HELP yunwei_queue_rows Outbox and delivery rows by status.\n# TYPE yunwei_queue_rows gauge\n");
    if let Ok(depths) = yunwei_core::ops::queue_depths(&state.core).await {
        for (queue, status, n) in depths {
            out.push_str(&format!("yunwei_queue_rows{{queue=\"{queue}\",status=\"{status}\"}} {n}\n"));
        }
    }
    let (read, write) = yunwei_core::ops::pool_connections(&state.core);
    out.push_str(&format!("# HELP yunwei_db_pool_connections Open database connections.\n# TYPE yunwei_db_pool_connections gauge\nyunwei_db_pool_connections{{pool=\"read\"}} {}\nyunwei_db_pool_connections{{pool=\"write\"}} {}\n", read, write));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

pub async fn list_jobs(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Job>>> {
    Ok(Json(yunwei_core::scheduler::list_jobs(&state.core, &caller.ctx).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeBody {
    pub count: i64,
    /// How long each probe holds its lease (0–1000 ms), to watch nodes share work.
    #[serde(default)]
    pub hold_ms: i64,
}

pub async fn schedule_probes(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ProbeBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let n = yunwei_core::scheduler::schedule_probes(&state.core, &caller.ctx, body.count, body.hold_ms).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "scheduled": n }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    pub kind: String,
}

#[derive(Serialize)]
pub struct NodeRuns {
    pub node: String,
    pub runs: i64,
}

pub async fn job_runs(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<RunsQuery>) -> ApiResult<Json<Vec<NodeRuns>>> {
    let rows = yunwei_core::scheduler::runs_by_node(&state.core, &caller.ctx, &q.kind).await?;
    Ok(Json(rows.into_iter().map(|(node, runs)| NodeRuns { node, runs }).collect()))
}
