//! Business calendars and SLA policies.

use crate::AppState;
use crate::api::incident::Items;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, body_error};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yunwei_core::sla::{self, CalendarInput, CalendarView, DaysFormat, PolicyInput, PolicyView};
use yunwei_domain::ids::{CalendarId, SlaPolicyId};

pub async fn list_calendars(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Items<CalendarView>>> {
    Ok(Json(Items { items: sla::list_calendars(&state.core, &caller.ctx).await? }))
}

pub async fn create_calendar(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CalendarInput>,
) -> ApiResult<(StatusCode, Json<CalendarView>)> {
    Ok((StatusCode::CREATED, Json(sla::create_calendar(&state.core, &caller.ctx, body).await?)))
}

pub async fn get_calendar(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<CalendarView>> {
    Ok(Json(sla::get_calendar(&state.core, &caller.ctx, CalendarId(id)).await?))
}

pub async fn put_calendar(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CalendarInput>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(sla::update_calendar(&state.core, &caller.ctx, CalendarId(id), body).await?))
}

pub async fn delete_calendar(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    sla::delete_calendar(&state.core, &caller.ctx, CalendarId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /calendars/{id}/years/{year}`: the year's whole notice is in the calendar.
pub async fn confirm_year(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, year)): ApiPath<(i64, i16)>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(sla::confirm_year(&state.core, &caller.ctx, CalendarId(id), year).await?))
}

/// `DELETE /calendars/{id}/years/{year}`: the confirmation is withdrawn.
pub async fn withdraw_year(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, year)): ApiPath<(i64, i16)>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(sla::withdraw_year(&state.core, &caller.ctx, CalendarId(id), year).await?))
}

pub async fn list_policies(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Items<PolicyView>>> {
    Ok(Json(Items { items: sla::list_policies(&state.core, &caller.ctx).await? }))
}

pub async fn create_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PolicyInput>,
) -> ApiResult<(StatusCode, Json<PolicyView>)> {
    Ok((StatusCode::CREATED, Json(sla::create_policy(&state.core, &caller.ctx, body).await?)))
}

pub async fn get_policy(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<PolicyView>> {
    Ok(Json(sla::get_policy(&state.core, &caller.ctx, SlaPolicyId(id)).await?))
}

pub async fn put_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PolicyInput>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(sla::update_policy(&state.core, &caller.ctx, SlaPolicyId(id), body).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    pub format: DaysFormat,
    /// Import only: replace the listed days instead of merging.
    #[serde(default)]
    pub replace: bool,
}

/// `GET /calendars/{id}/days?format=ics|csv`: holidays and make-up working days as a file.
pub async fn export_days(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Response> {
    let (text, _) = sla::export_days(&state.core, &caller.ctx, CalendarId(id), q.format).await?;
    let (mime, ext) = match q.format {
        DaysFormat::Ics => ("text/calendar; charset=utf-8", "ics"),
        DaysFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let disposition = format!("attachment; filename=\"calendar-{id}.{ext}\"");
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], text).into_response())
}

/// `PUT /calendars/{id}/days?format=ics|csv[&replace=true]` with the file as the body (UTF-8, or GB18030/GBK from Chinese Excel).
pub async fn import_days(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DaysQuery>,
    req: Request,
) -> ApiResult<Json<CalendarView>> {
    let bytes = axum::body::Bytes::from_request(req, &()).await.map_err(|e| body_error(&e.body_text()))?;
    Ok(Json(sla::import_days(&state.core, &caller.ctx, CalendarId(id), q.format, &bytes, q.replace).await?))
}
