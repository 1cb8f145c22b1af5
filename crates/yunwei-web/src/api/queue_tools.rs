//! Working a queue as a whole: export (CSV, XLSX), bulk assign and transition,
//! and saved views.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use yunwei_core::incident::{self, BulkInput, ExportFormat, QueueQuery};
use yunwei_core::saved_view::{self, NewView};

/// `GET /api/v1/incidents/export/{csv|xlsx}` with the queue's filters.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(format): ApiPath<String>,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Response> {
    let format = match format.as_str() {
        "csv" => ExportFormat::Csv,
        "xlsx" => ExportFormat::Xlsx,
        _ => return Err(ApiError::not_found()),
    };
    let out = incident::export(&state.core, &caller.ctx, &q, format).await?;
    Ok(download(out.content_type, &out.filename, out.bytes, out.rows))
}

pub fn download(content_type: &'static str, filename: &str, bytes: Vec<u8>, rows: usize) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&rows.to_string()) {
        h.insert("x-row-count", v);
    }
    res
}

#[derive(Serialize)]
pub struct BulkItem {
    pub id: i64,
    pub number: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Serialize)]
pub struct BulkResult {
    pub succeeded: usize,
    pub failed: usize,
    pub results: Vec<BulkItem>,
}

pub async fn bulk_result(state: &AppState, caller: &Caller, input: BulkInput) -> Result<BulkResult, ApiError> {
    let done = incident::bulk(&state.core, &caller.ctx, input).await?;
    let results: Vec<BulkItem> = done
        .into_iter()
        .map(|(id, r)| {
            let number = yunwei_domain::incident::number(id.0);
            match r {
                Ok(v) => BulkItem { id: id.0, number, ok: true, state: Some(v.state.as_str().into()), code: None, message: None },
                Err(e) => {
                    let e = ApiError::from(e);
                    let message = crate::middleware::error_title(&e, caller.tr);
                    BulkItem { id: id.0, number, ok: false, state: None, code: Some(e.code), message: Some(message) }
                }
            }
        })
        .collect();
    let succeeded = results.iter().filter(|r| r.ok).count();
    Ok(BulkResult { failed: results.len() - succeeded, succeeded, results })
}

pub async fn bulk(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<BulkInput>) -> ApiResult<Json<BulkResult>> {
    Ok(Json(bulk_result(&state, &caller, body).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewQuery {
    pub object_type: String,
}

handlers! {
    list_views(ApiQuery(q: ViewQuery)) -> items: saved_view::list(&q.object_type);
    create_view(ApiJson(body: NewView)) -> created: saved_view::create(body);
    delete_view(ApiPath(id: i64)) -> no_content: saved_view::delete(id);
}
