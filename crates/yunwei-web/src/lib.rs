#![recursion_limit = "512"]
//! The HTTP edge: parse, authenticate, render. Decisions are made in core.

pub mod api;
pub mod audit_text;
pub mod conn;
pub mod error;
pub mod extract;
pub mod form;
pub mod i18n;
mod json_body;
pub mod metrics;
pub mod middleware;
pub mod notice_text;
pub mod openapi;
pub mod pages;
pub mod session;
pub mod startup;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use yunwei_core::Core;

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` entry, the one your own
    /// proxy appended (earlier entries are whatever the client sent). Only behind a proxy.
    pub trust_proxy_headers: bool,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Largest request body of the routes that take bulk data (CI imports, discovery
    /// reports): [`BULK_ROUTES`].
    pub bulk_body_limit: usize,
    /// Seconds a client has to send a request's line and headers (and the longest a
    /// kept-alive connection may sit idle) before the connection is closed.
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a request's body once its headers are in;
    /// after that the request is answered 408 `body_timeout`.
    pub body_read_timeout_secs: u64,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy_headers", &self.trust_proxy_headers)
            .field("body_limit", &self.body_limit)
            .field("bulk_body_limit", &self.bulk_body_limit)
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("body_read_timeout_secs", &self.body_read_timeout_secs)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            trust_proxy_headers: false,
            body_limit: 1024 * 1024,
            bulk_body_limit: 64 * 1024 * 1024,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 60,
            metrics_token: None,
        }
    }
}

/// Path prefixes whose bodies are bulk data, limited by `bulk_body_limit` instead of `body_limit`.
pub const BULK_ROUTES: &[&str] = &["/api/v1/cmdb/imports", "/api/v1/cmdb/discovery/", "/cmdb/import"];

impl WebConfig {
    /// The largest body a request to `path` may carry.
    pub fn limit_for(&self, path: &str) -> usize {
        if BULK_ROUTES.iter().any(|p| path.starts_with(p)) { self.bulk_body_limit } else { self.body_limit }
    }

    /// The read timeouts (a zero in the configuration is taken as one second).
    pub fn timeouts(&self) -> conn::Timeouts {
        conn::Timeouts {
            header: std::time::Duration::from_secs(self.header_read_timeout_secs.max(1)),
            body: std::time::Duration::from_secs(self.body_read_timeout_secs.max(1)),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub web: Arc<WebConfig>,
    pub metrics: Arc<metrics::Metrics>,
    /// Why links in e-mail may not reach this server (shown to administrators), if they may not.
    pub public_url_issue: Option<yunwei_core::config::PublicUrlIssue>,
}

pub fn router(core: Core, web: WebConfig) -> Router {
    router_at(core, web, None)
}

/// The router of a server listening on `listen`: `public_url` is checked against it.
pub fn router_at(core: Core, web: WebConfig, listen: Option<std::net::SocketAddr>) -> Router {
    let public_url_issue = listen.and_then(|at| yunwei_core::config::check_public_url(&core.config.public_url, at));
    core.install_wording(Arc::new(notice_text::NoticeWording));
    let state = AppState { core, web: Arc::new(web), metrics: Arc::default(), public_url_issue };
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .fallback(|| async { error::ApiError::not_found() })
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::idempotency))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::audit_refusals))
        .layer(axum::middleware::from_fn(middleware::require_sign_in))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::localize_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::authenticate))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::request_context))
        // `middleware::body_limit` limits each route's body instead (bulk routes take more).
        .layer(DefaultBodyLimit::disable())
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
    let cmdb_graph = tokio::spawn(yunwei_core::cmdb::graph::run_poller(core.clone(), stop_rx.clone()));
    let live = tokio::spawn(yunwei_core::live::run_poller(core.clone(), stop_rx));
    let hub = core.live.clone();
    let timeouts = web.timeouts();
    let listen = listener.local_addr().ok();
    if let Some(issue) = listen.and_then(|at| yunwei_core::config::check_public_url(&core.config.public_url, at)) {
        startup::warn_public_url(&issue);
    }
    let app = router_at(core.clone(), web, listen);
    // Open event streams never finish by themselves: end them when shutdown begins.
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    conn::serve_connections(listener, app, timeouts, shutdown).await;
    let _ = stop_tx.send(true);
    let _ = tokio::join!(dispatcher, scheduler, sla_timer, indexer, webhooks, checkpointer, checkpoints, live, cmdb_graph);
    // Every writer here has stopped: seal the chain as it is now, so that entries removed
    // while the server is down are found (ADR 0008).
    if let Err(e) = audit_checkpoints.write_if_moved(&core).await {
        tracing::error!(error = %e, "final audit checkpoint failed");
    }
    Ok(())
}
