//! `/api/v1`: everything the pages can do. JSON in and out, problem+json errors.

/// Declares thin handlers, one line each: the extractors after the caller, the answer's
/// kind, and the core use case, which gets `&state.core` and `&caller.ctx` before the
/// arguments written. Errors map as in any handler (`?` on the core's error).
///
/// ```ignore
/// handlers! {
///     list_calendars() -> items: sla::list_calendars();
///     create_calendar(ApiJson(body: CalendarInput)) -> created: sla::create_calendar(body);
///     get_calendar(ApiPath(id: i64)) -> json: sla::get_calendar(CalendarId(id));
///     delete_calendar(ApiPath(id: i64)) -> no_content: sla::delete_calendar(CalendarId(id));
/// }
/// ```
///
/// Answers: `json` (200 with the value), `items` (200 with `{items: value}`), `created`
/// (201 with the value), `accepted` (202 with the value), `no_content` (204), and
/// `secret`/`created_secret` (200/201 with a value holding a secret, see [`with_secret`]). A
/// handler that does more than call one use case is written out as a function.
macro_rules! handlers {
    ($($(#[$doc:meta])* $name:ident($($extract:ident($arg:tt: $ty:ty)),*) -> $answer:ident: $($call:ident)::+($($a:expr),*);)*) => {
        $(
            $(#[$doc])*
            pub async fn $name(
                axum::extract::State(state): axum::extract::State<$crate::AppState>,
                caller: $crate::extract::Caller,
                $($extract($arg): $extract<$ty>),*
            ) -> $crate::error::ApiResult<axum::response::Response> {
                let value = $($call)::+(&state.core, &caller.ctx, $($a),*).await?;
                Ok(handlers!(@answer $answer value))
            }
        )*
    };
    (@answer json $v:ident) => { axum::response::IntoResponse::into_response(axum::Json($v)) };
    (@answer items $v:ident) => { axum::response::IntoResponse::into_response(axum::Json($crate::api::Items { items: $v })) };
    (@answer created $v:ident) => { axum::response::IntoResponse::into_response((axum::http::StatusCode::CREATED, axum::Json($v))) };
    (@answer accepted $v:ident) => { axum::response::IntoResponse::into_response((axum::http::StatusCode::ACCEPTED, axum::Json($v))) };
    (@answer created_secret $v:ident) => { $crate::api::with_secret(axum::http::StatusCode::CREATED, $v) };
    (@answer secret $v:ident) => { $crate::api::with_secret(axum::http::StatusCode::OK, $v) };
    (@answer no_content $v:ident) => {{
        // What the use case returns (a count, a unit) is not sent.
        let _ = $v;
        axum::response::IntoResponse::into_response(axum::http::StatusCode::NO_CONTENT)
    }};
}

pub mod admin;
pub mod alert;
pub mod asset;
pub mod asset_licence;
pub mod audit;
pub mod change;
pub mod cmdb;
pub mod cmdb_discovery;
pub mod cmdb_impact;
pub mod cmdb_import;
pub mod duty;
pub mod escalation;
pub mod files;
pub mod incident;
pub mod knowledge;
pub mod live;
pub mod major;
pub mod me;
pub mod notify;
pub mod ops;
pub mod problem;
pub mod queue_tools;
pub mod request;
pub mod session;
pub mod sla;
pub mod survey;
pub mod watchers;
pub mod webhook;

use crate::AppState;
use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde::Serialize;

/// A whole list: `{ "items": [...] }`.
#[derive(Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// An answer holding a secret shown once (a new token, a webhook's signing secret): marked so
/// that the idempotency replay does not store it.
pub fn with_secret<T: Serialize>(status: StatusCode, value: T) -> Response {
    (status, axum::Extension(crate::middleware::SecretInside), Json(value)).into_response()
}

/// The API router, built from the API table (`crate::openapi::table`): each operation's
/// handler is registered together with its documentation. A method registered twice on one
/// path panics at start-up (axum refuses the overlap), so every test catches it.
pub fn router() -> Router<AppState> {
    let mut paths: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for op in crate::openapi::table() {
        let (path, route) = op.into_route();
        match paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, methods)) => *methods = std::mem::take(methods).merge(route),
            None => paths.push((path, route)),
        }
    }
    paths.into_iter().fold(Router::new(), |router, (path, methods)| router.route(path, methods))
}
