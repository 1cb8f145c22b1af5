//! Files on tickets of every kind (the kernel's attachments) and the record of mail taken in.

use crate::AppState;
use crate::api::incident::Items;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Caller, body_error};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yunwei_core::store::attachment::AttachmentMeta;
use yunwei_core::ticket;
use yunwei_domain::ticket::TicketKind;

// Each handler takes the ticket kind first: the route table binds it (`openapi::attachment_ops`).

/// The id in a path's number (`INC-000012` under `/incidents`), or 404.
fn id_of(kind: &TicketKind, number: &str) -> ApiResult<i64> {
    kind.parse_number(number).ok_or_else(ApiError::not_found)
}

pub async fn list_attachments(
    kind: &'static TicketKind,
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
) -> ApiResult<Json<Items<AttachmentMeta>>> {
    Ok(Json(Items { items: ticket::attachments(&state.core, &caller.ctx, kind, id_of(kind, &number)?).await? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    pub filename: String,
}

/// `POST …/attachments?filename=x.png` with the file as the body and its type as Content-Type.
pub async fn upload(
    kind: &'static TicketKind,
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> ApiResult<(StatusCode, Json<AttachmentMeta>)> {
    let id = id_of(kind, &number)?;
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream").to_string();
    let bytes = axum::body::Bytes::from_request(req, &()).await.map_err(|e| body_error(&e.body_text()))?;
    if bytes.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "empty_file"));
    }
    let file = ticket::Upload { filename: &q.filename, content_type: &content_type, bytes: &bytes };
    Ok((StatusCode::CREATED, Json(ticket::attach(&state.core, &caller.ctx, kind, id, file).await?)))
}

/// Served as a download, never rendered in our origin: `attachment`, `nosniff` and a sandbox CSP.
pub async fn download(
    kind: &'static TicketKind,
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, file)): ApiPath<(String, i64)>,
) -> ApiResult<Response> {
    let (meta, bytes) = ticket::attachment(&state.core, &caller.ctx, kind, id_of(kind, &number)?, file).await?;
    Ok(file_response(&meta, bytes))
}

/// A stored file as a download that a browser will neither render nor run.
pub fn file_response(meta: &yunwei_core::store::attachment::AttachmentMeta, bytes: Vec<u8>) -> Response {
    // Names stored before invisible formatting was removed on upload lose it here.
    let name = ticket::clean_filename(&meta.filename);
    let ascii: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::pages::url_encode(&name));
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    h.insert("x-content-sha256", HeaderValue::from_str(&meta.sha256).unwrap_or(HeaderValue::from_static("")));
    res
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailQuery {
    pub status: Option<String>,
}

handlers! {
    list_mails(ApiQuery(q: MailQuery)) -> items: yunwei_core::mail_in::list(q.status.as_deref());
}

pub async fn raw_mail(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    let raw = yunwei_core::mail_in::raw(&state.core, &caller.ctx, id).await?;
    Ok(([(header::CONTENT_TYPE, "message/rfc822"), (header::CONTENT_DISPOSITION, "attachment; filename=\"mail.eml\"")], raw)
        .into_response())
}

handlers! {
    /// Polls the mailbox now (besides the scheduled polls).
    poll_now() -> json: yunwei_core::mail_in::poll_now();
}
