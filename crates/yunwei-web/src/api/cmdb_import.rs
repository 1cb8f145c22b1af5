//! `/api/v1/cmdb/imports`: CIs from a spreadsheet (CSV, XLSX, XLS), with a dry run.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Caller, body_error};
use crate::i18n::Tr;
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use yunwei_core::cmdb::import::{self, ImportMode, ImportOptions, ImportReport};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Required, but checked after the caller's rights (a missing class is `class: not_found`).
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub mode: ImportMode,
    #[serde(default)]
    pub dry_run: bool,
    /// A JSON object: column heading → field code ("" skips the column).
    pub mapping: Option<String>,
}

/// `POST /api/v1/cmdb/imports?class=…[&mode=per_row|all_or_nothing][&dry_run=true][&mapping={…}]`
/// with the file as the body.
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    req: Request,
) -> ApiResult<Json<Value>> {
    let bytes = axum::body::Bytes::from_request(req, &()).await.map_err(|e| body_error(&e.body_text()))?;
    let mapping = match q.mapping.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => serde_json::from_str(m).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").detail("mapping: a JSON object of column heading → field")
        })?,
        None => Default::default(),
    };
    let opts = ImportOptions { class: q.class, mode: q.mode, dry_run: q.dry_run, mapping };
    let report = import::import(&state.core, &caller.ctx, &bytes, &opts).await?;
    Ok(Json(localized(&report, caller.tr)))
}

/// The report with a message in the reader's language beside each row error's code.
pub fn localized(report: &ImportReport, tr: Tr) -> Value {
    worded(serde_json::to_value(report).unwrap_or(Value::Null), "rows", tr)
}

/// A report (import, discovery) with a message in the reader's language beside the code of
/// each error of each entry of `list`.
pub fn worded(mut v: Value, list: &str, tr: Tr) -> Value {
    for row in v.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
        for e in row.get_mut("errors").and_then(Value::as_array_mut).into_iter().flatten() {
            let code = e["code"].as_str().unwrap_or_default().to_string();
            let params: Vec<(String, String)> = serde_json::from_value(e["params"].clone()).unwrap_or_default();
            e["message"] = Value::String(tr.with(&format!("error.{code}"), &params));
        }
    }
    v
}
