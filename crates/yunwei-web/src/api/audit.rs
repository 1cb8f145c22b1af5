//! The audit log: filter, export as CSV, verify the hash chain.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Caller, page_request};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yunwei_core::store::audit::{AuditFilter, AuditRecord};
use yunwei_core::store::sql::Page;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub actor_id: Option<i64>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
    /// Unix milliseconds, inclusive.
    pub from: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub to: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub sort: Option<String>,
}

impl AuditQuery {
    pub fn filter(&self) -> AuditFilter {
        let text = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        AuditFilter {
            actor_id: self.actor_id,
            object_type: text(&self.object_type),
            object_id: text(&self.object_id),
            action: text(&self.action),
            from_ms: self.from,
            to_ms: self.to,
        }
    }
}

/// Newest first by default (`sort=-seq`); `sort=seq` for oldest first.
pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult<Json<Page<AuditRecord>>> {
    let page = page_request(q.limit, q.cursor.as_deref(), Some(q.sort.as_deref().unwrap_or("-seq")), "seq")?;
    Ok(Json(yunwei_core::audit::list(&state.core, &caller.ctx, &q.filter(), &page).await?))
}

pub async fn export(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult<Response> {
    let tr = caller.tr;
    let zone = caller.ctx.actor.as_ref().map_or("Asia/Shanghai", |a| a.time_zone.as_str()).to_string();
    let time = move |ms: i64| yunwei_core::format_time_exact(ms, &zone);
    let object_type = move |t: &str| crate::audit_text::object_type(tr, t);
    let action = move |a: &str| crate::audit_text::action(tr, a);
    let text =
        yunwei_core::audit::CsvText { header: crate::audit_text::csv_header(tr), time: &time, object_type: &object_type, action: &action };
    let csv = yunwei_core::audit::export_csv(&state.core, &caller.ctx, &q.filter(), &text).await?;
    let name = format!("attachment; filename=\"audit-{}.csv\"", state.core.now_ms() / 1000);
    // A BOM so that spreadsheet programs read the Chinese text as UTF-8.
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], format!("\u{feff}{csv}"))
        .into_response())
}

handlers! {
    verify() -> json: yunwei_core::audit::verify();
}
