//! Extractors: the caller (who, in which language, which session), JSON bodies
//! that fail as problem+json, and forms that must carry the CSRF token.

use crate::error::ApiError;
use crate::form::Pairs;
use crate::i18n::Tr;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use yunwei_core::Ctx;

/// The session behind a cookie-authenticated request.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub secret: String,
    pub csrf_token: String,
}

/// Who is calling, set by the `authenticate` middleware on every request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub ctx: Ctx,
    pub session: Option<SessionInfo>,
    /// A session that passed the password but still owes the second factor.
    pub pending_session: Option<String>,
    pub tr: Tr,
}

impl Caller {
    /// The actor or 401: for API handlers.
    pub fn require(&self) -> Result<&yunwei_core::Actor, ApiError> {
        self.ctx.actor.as_ref().ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error"))
    }
}

/// A JSON body: `application/json` required, unknown fields refused (by the
/// target type), every failure a 4xx problem.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
            let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        });
        if !json_type {
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| body_error(&e.body_text()))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// As [`ApiJson`], but an empty body (no content) means the type's default:
/// for action endpoints whose body is optional.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let empty = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_none_or(|v| v.trim() == "0")
            && !req.headers().contains_key(header::TRANSFER_ENCODING);
        if empty {
            return Ok(OptionalJson(T::default()));
        }
        ApiJson::from_request(req, state).await.map(|ApiJson(v)| OptionalJson(v))
    }
}

/// Parses a body. A struct must come as a JSON object: serde would also fill one
/// from an array by position (`[null, null]` was a valid `PATCH /me`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    T::deserialize(crate::json_body::ObjectsOnly(&mut de)).and_then(|v| de.end().map(|()| v)).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").detail(e.to_string()),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json").detail(e.to_string())
            }
        }
    })
}

pub fn body_error(text: &str) -> ApiError {
    if text.contains("request body timed out") {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, "body_timeout")
    } else if text.contains("length limit") || text.contains("too large") {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body")
    }
}

/// An HTML form that must carry the session's CSRF token in `csrf_token`, bound to `T`
/// by [`crate::form`] (empty fields are `None`, repeated keys a list).
pub struct CsrfForm<T>(pub T);

/// A page's form, CSRF-checked: the typed input, or why it could not be read (by field),
/// and the pairs as posted, so a failed form can be shown again as it was typed.
pub struct PageForm<T> {
    pub input: Result<T, ApiError>,
    pub posted: Pairs,
}

impl<T> PageForm<T> {
    /// Runs the command on the bound input (a form that could not be read passes its error
    /// on) and hands back the pairs as posted, to show the form again if it failed.
    pub async fn run<U, F: Future<Output = yunwei_core::Result<U>>>(self, command: impl FnOnce(T) -> F) -> (Result<U, ApiError>, Pairs) {
        let result = match self.input {
            Ok(input) => command(input).await.map_err(ApiError::from),
            Err(e) => Err(e),
        };
        (result, self.posted)
    }

    /// The input read on into another type (a page's flat form into the API's input type).
    pub fn and_then<U>(self, read: impl FnOnce(T) -> Result<U, ApiError>) -> PageForm<U> {
        PageForm { input: self.input.and_then(read), posted: self.posted }
    }
}

/// The pairs of a form whose CSRF token matches the session's (or the sign-in cookie's).
async fn checked_pairs<S: Send + Sync>(req: Request, state: &S) -> Result<Pairs, ApiError> {
    let caller = req.extensions().get::<Caller>().cloned();
    let cookie_token = crate::session::cookie(req.headers(), crate::session::LOGIN_CSRF_COOKIE);
    let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| body_error(&e.body_text()))?;
    let pairs = crate::form::decode(&bytes);
    let got = pairs.iter().find(|(k, _)| k == crate::form::CSRF_FIELD).map(|(_, v)| v.as_str());
    let expected = caller.and_then(|c| c.session.map(|s| s.csrf_token)).or(cookie_token);
    match (expected, got) {
        (Some(e), Some(got)) if yunwei_core::crypto::constant_time_eq(e.as_bytes(), got.as_bytes()) => Ok(pairs),
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_failed")),
    }
}

/// A form that could not be bound: 422 with the field it concerns.
pub fn form_error(e: crate::form::BindError) -> ApiError {
    let mut out = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_form").detail(e.to_string());
    if e.field.is_some() {
        out.fields.push(e.field_error());
    }
    out
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let pairs = checked_pairs(req, state).await?;
        crate::form::bind(&pairs).map(CsrfForm).map_err(form_error)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let posted = checked_pairs(req, state).await?;
        Ok(PageForm { input: crate::form::bind(&posted).map_err(form_error), posted })
    }
}

/// Query parameters; unknown or malformed ones are a 400 problem. An empty parameter is
/// absent (`?team_id=` means any team), as a filter form sends its empty fields.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = crate::form::decode(parts.uri.query().unwrap_or("").as_bytes());
        crate::form::bind(&pairs).map(ApiQuery).map_err(|e| {
            let mut out = ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").detail(e.to_string());
            if e.field.is_some() {
                out.fields.push(e.field_error());
            }
            out
        })
    }
}

/// Path parameters; an id that is not a number is "not found", not a 500.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|p| ApiPath(p.0)).map_err(|_| ApiError::not_found())
    }
}

/// The paging convention: `limit` (1–200, default 50), `cursor` (opaque, from
/// `next_cursor`), `sort` = the list's key, `-key` for descending.
pub fn page_request(
    limit: Option<i64>,
    cursor: Option<&str>,
    sort: Option<&str>,
    key: &str,
) -> Result<yunwei_domain::page::PageRequest, ApiError> {
    let descending = match sort {
        None => false,
        Some(s) if s == key => false,
        Some(s) if s.strip_prefix('-') == Some(key) => true,
        Some(_) => {
            return Err(yunwei_core::CoreError::from(yunwei_domain::DomainError::Validation(vec![
                yunwei_domain::FieldError::new("sort", "not_allowed_value").with("allowed", format!("{key}, -{key}")),
            ]))
            .into());
        }
    };
    yunwei_domain::page::PageRequest::parse(limit, cursor, descending).map_err(|e| yunwei_core::CoreError::from(e).into())
}
