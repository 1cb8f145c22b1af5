//! `/api/v1`: everything the pages can do. JSON in and out, problem+json errors.

pub mod admin;
pub mod audit;
pub mod cmdb;
pub mod cmdb_impact;
pub mod cmdb_import;
pub mod files;
pub mod incident;
pub mod live;
pub mod major;
pub mod me;
pub mod notify;
pub mod ops;
pub mod queue_tools;
pub mod request;
pub mod session;
pub mod sla;
pub mod survey;
pub mod watchers;
pub mod webhook;

use crate::AppState;
use axum::Router;
use axum::routing::MethodRouter;

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
