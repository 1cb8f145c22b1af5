#![recursion_limit = "512"]
//! The HTTP edge: parse, authenticate, render. Decisions are made in core.

pub mod api;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod pages;
pub mod session;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use yunwei_core::Core;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` entry, the one your own
    /// proxy appended (earlier entries are whatever the client sent). Only behind a proxy.
    pub trust_proxy_headers: bool,
    /// Largest request body in bytes.
    pub body_limit: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { secure_cookies: false, trust_proxy_headers: false, body_limit: 1024 * 1024 }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub web: Arc<WebConfig>,
    pub metrics: Arc<metrics::Metrics>,
}

pub fn router(core: Core, web: WebConfig) -> Router {
    let state = AppState { core, web: Arc::new(web), metrics: Arc::default() };
    let limit = state.web.body_limit;
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(api::ops::healthz))
        .route("/readyz", get(api::ops::readyz))
        .route("/metrics", get(api::ops::metrics))
        .fallback(|| async { error::ApiError::not_found() })
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::idempotency))
        .layer(axum::middleware::from_fn(middleware::localize_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::authenticate))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::request_context))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves until `shutdown` resolves, with the dispatcher, scheduler, SLA timer, search indexer, webhook sender,
/// audit checkpointer and live-update poller beside it;
/// in-flight requests finish before it returns, then a last audit checkpoint is written.
pub async fn serve(
    core: Core,
    web: WebConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let audit_checkpoints = Arc::new(yunwei_core::audit_checkpoint::Checkpointer::open(&core.config).map_err(std::io::Error::other)?);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if let Err(e) = yunwei_core::scheduler::declare_recurring(&core).await {
        tracing::error!(error = %e, "could not declare recurring jobs");
    }
    let dispatcher = tokio::spawn(yunwei_core::notify::run_dispatcher(core.clone(), stop_rx.clone()));
    let scheduler = tokio::spawn(yunwei_core::scheduler::run_scheduler(core.clone(), stop_rx.clone()));
    let sla_timer = tokio::spawn(yunwei_core::sla::run_sla_timer(core.clone(), stop_rx.clone()));
    let indexer = tokio::spawn(yunwei_core::search::run_indexer(core.clone(), stop_rx.clone()));
    let webhooks = tokio::spawn(yunwei_core::webhook::run_sender(core.clone(), stop_rx.clone()));
    let checkpointer = tokio::spawn(yunwei_core::scheduler::run_wal_checkpointer(core.clone(), stop_rx.clone()));
    let checkpoints =
        tokio::spawn(yunwei_core::audit_checkpoint::run_checkpointer(core.clone(), audit_checkpoints.clone(), stop_rx.clone()));
    let live = tokio::spawn(yunwei_core::live::run_poller(core.clone(), stop_rx));
    let hub = core.live.clone();
    let app = router(core.clone(), web).into_make_service_with_connect_info::<SocketAddr>();
    // Open event streams never finish by themselves: end them when shutdown begins.
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    let _ = stop_tx.send(true);
    let _ = tokio::join!(dispatcher, scheduler, sla_timer, indexer, webhooks, checkpointer, checkpoints, live);
    // Every writer here has stopped: seal the chain as it is now, so that entries removed
    // while the server is down are found (ADR 0008).
    if let Err(e) = audit_checkpoints.write_if_moved(&core).await {
        tracing::error!(error = %e, "final audit checkpoint failed");
    }
    result
}
