//! In-app notifications, preferences, templates and the dead-letter list.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_request};
use crate::notice_text::{detail, headline};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use yunwei_core::notify::{self, DeadLetters, PreferenceInput, TemplateInput};
use yunwei_core::store::notify::Notification;
use yunwei_core::store::sql::Page;
use yunwei_domain::ids::{DeliveryId, NotificationId, OutboxEventId};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub unread: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The caller's notifications as the bell shows them: the stored rows, with title and body
/// written from the event in the reader's language (the e-mail's wording stays in the e-mail).
pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Page<Notification>>> {
    let page = page_request(q.limit, q.cursor.as_deref(), Some("-id"), "id")?;
    let tr = caller.tr;
    let list = notify::my_notices(&state.core, &caller.ctx, q.unread.unwrap_or(false), &page).await?;
    Ok(Json(list.map(|n| {
        let (title, body) = (headline(tr, &n), detail(tr, &n));
        Notification { title, body, ..n.notification }
    })))
}

#[derive(Serialize)]
pub struct Count {
    pub unread: i64,
}

pub async fn unread_count(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Count>> {
    Ok(Json(Count { unread: notify::my_unread_count(&state.core, &caller.ctx).await? }))
}

#[derive(Serialize)]
pub struct Marked {
    pub marked: u64,
}

pub async fn read_all(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Marked>> {
    Ok(Json(Marked { marked: notify::mark_read(&state.core, &caller.ctx, None).await? }))
}

handlers! {
    read_one(ApiPath(id: i64)) -> no_content: notify::mark_read(Some(NotificationId(id)));
    get_preferences() -> json: notify::my_preferences();
    put_preferences(ApiJson(body: Vec<PreferenceInput>)) -> json: notify::set_my_preferences(body);
    list_templates() -> json: notify::list_templates();
    put_template(ApiPath((event, locale): (String, String)), ApiJson(body: TemplateInput)) -> json: notify::put_template(&event, &locale, body);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub async fn dead_letters(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<PageQuery>) -> ApiResult<Json<DeadLetters>> {
    let page = page_request(q.limit, q.cursor.as_deref(), Some("-id"), "id")?;
    Ok(Json(notify::dead_letters(&state.core, &caller.ctx, &page).await?))
}

pub async fn retry_delivery(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    notify::retry_delivery(&state.core, &caller.ctx, DeliveryId(id)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn retry_event(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    notify::retry_event(&state.core, &caller.ctx, OutboxEventId(id)).await?;
    Ok(StatusCode::ACCEPTED)
}
