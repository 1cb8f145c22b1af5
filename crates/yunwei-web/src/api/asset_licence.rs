//! `/api/v1/licences`, `/api/v1/stocktakes` and `/api/v1/assets/labels`: software licences
//! with their assignments, stocktake campaigns, and the QR labels of assets.

use super::queue_tools::download;
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::asset::AssetQuery;
use yunwei_core::asset::labels;
use yunwei_core::asset::licence::{self, AssignInput, LicenceInput, LicenceQuery};
use yunwei_core::asset::stocktake::{self, CloseInput, NewStocktake, ScanInput};
use yunwei_core::incident::ExportFormat;
use yunwei_domain::asset::AssetCategory;
use yunwei_domain::ids::{AssetId, DepartmentId, LicenceAssignmentId, LicenceId, StocktakeId};

handlers! {
    list_licences(ApiQuery(q: LicenceQuery)) -> items: licence::list(&q);
    create_licence(ApiJson(body: LicenceInput)) -> created: licence::create(body);
    get_licence(ApiPath(id: i64)) -> json: licence::get(LicenceId(id));
    update_licence(ApiPath(id: i64), ApiJson(body: LicenceInput)) -> json: licence::update(LicenceId(id), body);
    assignments(ApiPath(id: i64)) -> items: licence::assignments(LicenceId(id));
    assign(ApiPath(id: i64), ApiJson(body: AssignInput)) -> json: licence::assign(LicenceId(id), body);
    unassign(ApiPath((id, other): (i64, i64))) -> no_content: licence::unassign(LicenceId(id), LicenceAssignmentId(other));
    list_stocktakes() -> items: stocktake::list();
    start_stocktake(ApiJson(body: NewStocktake)) -> created: stocktake::start(body);
    get_stocktake(ApiPath(id: i64)) -> json: stocktake::get(StocktakeId(id));
    scan(ApiPath(id: i64), ApiJson(body: ScanInput)) -> json: stocktake::scan(StocktakeId(id), body);
    close_stocktake(ApiPath(id: i64), ApiJson(body: CloseInput)) -> json: stocktake::close(StocktakeId(id), body);
}

/// `GET /api/v1/stocktakes/{id}/export/{csv|xlsx}`.
pub async fn export_stocktake(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, format)): ApiPath<(i64, String)>,
) -> ApiResult<Response> {
    let format = export_format(&format)?;
    let out = stocktake::export(&state.core, &caller.ctx, StocktakeId(id), format).await?;
    Ok(download(out.content_type, &out.filename, out.bytes, out.rows))
}

pub fn export_format(text: &str) -> Result<ExportFormat, ApiError> {
    match text {
        "csv" => Ok(ExportFormat::Csv),
        "xlsx" => Ok(ExportFormat::Xlsx),
        _ => Err(ApiError::not_found()),
    }
}

/// Which assets get labels: chosen ids, or else the asset list's filter.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelQuery {
    /// Comma-separated asset ids.
    pub ids: Option<String>,
    pub state: Option<String>,
    pub category: Option<AssetCategory>,
    pub department_id: Option<DepartmentId>,
    pub q: Option<String>,
}

impl LabelQuery {
    pub fn ids(&self) -> Vec<AssetId> {
        self.ids.as_deref().unwrap_or("").split(',').filter_map(|s| s.trim().parse().ok()).map(AssetId).collect()
    }
    pub fn filter(&self) -> AssetQuery {
        AssetQuery {
            state: self.state.clone().filter(|s| !s.is_empty()),
            category: self.category,
            department_id: self.department_id,
            q: self.q.clone(),
            ..AssetQuery::default()
        }
    }
}

/// `GET /api/v1/assets/labels`: each asset's QR code (SVG), address, tag and name.
pub async fn labels(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<LabelQuery>) -> ApiResult<Response> {
    let items = labels::labels(&state.core, &caller.ctx, &q.ids(), &q.filter()).await?;
    Ok(axum::response::IntoResponse::into_response(Json(super::Items { items })))
}
