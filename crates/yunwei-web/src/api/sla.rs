//! Business calendars and SLA policies.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, body_error};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yunwei_core::sla::{self, CalendarInput, CalendarView, DaysFormat, PolicyInput};
use yunwei_domain::ids::{CalendarId, SlaPolicyId};

handlers! {
    list_calendars() -> items: sla::list_calendars();
    create_calendar(ApiJson(body: CalendarInput)) -> created: sla::create_calendar(body);
    get_calendar(ApiPath(id: i64)) -> json: sla::get_calendar(CalendarId(id));
    put_calendar(ApiPath(id: i64), ApiJson(body: CalendarInput)) -> json: sla::update_calendar(CalendarId(id), body);
    delete_calendar(ApiPath(id: i64)) -> no_content: sla::delete_calendar(CalendarId(id));
    /// `POST /calendars/{id}/years/{year}`: the year's whole notice is in the calendar.
    confirm_year(ApiPath((id, year): (i64, i16))) -> json: sla::confirm_year(CalendarId(id), year);
    /// `DELETE /calendars/{id}/years/{year}`: the confirmation is withdrawn.
    withdraw_year(ApiPath((id, year): (i64, i16))) -> json: sla::withdraw_year(CalendarId(id), year);
    list_policies() -> items: sla::list_policies();
    create_policy(ApiJson(body: PolicyInput)) -> created: sla::create_policy(body);
    get_policy(ApiPath(id: i64)) -> json: sla::get_policy(SlaPolicyId(id));
    put_policy(ApiPath(id: i64), ApiJson(body: PolicyInput)) -> json: sla::update_policy(SlaPolicyId(id), body);
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
