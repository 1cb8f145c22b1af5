//! Every request passes: request id, security headers and metrics; then
//! authentication (session cookie or bearer token, CSRF on cookie writes);
//! then error localisation; then idempotency keys for POST.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, SessionInfo};
use crate::i18n::{self, Tr};
use crate::session::{SESSION_COOKIE, cookie};
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Instant;
use yunwei_core::auth::SessionState;
use yunwei_core::idempotency;
use yunwei_core::{Ctx, RequestMeta};

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// On a response whose write failed for want of space, for `request_context` to tell the
/// database's readiness (a statement before the commit may be the one that failed).
#[derive(Clone, Copy)]
struct StorageFull;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

pub async fn request_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(|| yunwei_core::crypto::random_secret::<8>().unwrap_or_default());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let mut res = match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(r) => r,
        Err(_) => {
            tracing::error!(request_id = %id, "handler panicked");
            problem_response(&ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error"), Tr::new(i18n::DEFAULT_LOCALE), &id)
        }
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CSP));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    // Served over https (the public address says so): browsers must never fall back to http.
    if state.core.config.public_url.starts_with("https://") {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if res.extensions().get::<StorageFull>().is_some() {
        yunwei_core::ops::mark_storage_full(&state.core);
    }
    state.metrics.record(&method, &route, res.status().as_u16(), started.elapsed().as_secs_f64() * 1000.0);
    res
}

fn meta(state: &AppState, req: &Request) -> RequestMeta {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
    let forwarded = state
        .web
        .trust_proxy_headers
        .then(|| {
            req.headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(|v| v.trim().to_string())
        })
        .flatten();
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(512).collect();
    RequestMeta { source_ip: forwarded.unwrap_or(peer), user_agent }
}

fn request_locale(req: &Request) -> Option<&'static str> {
    cookie(req.headers(), "yunwei_lang")
        .and_then(|l| i18n::normalize(&l))
        .or_else(|| req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(i18n::from_accept_language))
}

pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let meta = meta(&state, &req);
    let fallback_locale = request_locale(&req).unwrap_or(i18n::DEFAULT_LOCALE);
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let fail = |e: ApiError, locale: &str| problem_response(&e, Tr::new(locale), &request_id);
    // `/metrics` takes its own bearer token (`[web] metrics_token`), not an API token.
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        // Monitoring senders' tokens are their integration's, read by the intake itself.
        .filter(|_| req.uri().path() != "/metrics" && !req.uri().path().starts_with("/integrations/"))
        .map(str::to_string);
    let mut caller = Caller { ctx: Ctx::anonymous(meta.clone()), session: None, pending_session: None, tr: Tr::new(fallback_locale) };
    if let Some(token) = bearer {
        match yunwei_core::auth::authenticate_token(&state.core, token.trim()).await {
            Ok(actor) => {
                // A program sends Accept-Language on purpose (browsers send it on every request,
                // which is why sessions keep the profile's language): the header wins for tokens.
                let asked = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(i18n::from_accept_language);
                caller.tr = Tr::new(asked.unwrap_or(&actor.locale));
                caller.ctx.actor = Some(actor);
            }
            Err(e) => return fail(e.into(), fallback_locale),
        }
    } else if let Some(secret) = cookie(req.headers(), SESSION_COOKIE) {
        match yunwei_core::auth::authenticate_session(&state.core, &secret).await {
            Ok(SessionState::Active { actor, csrf_token }) => {
                caller.tr = Tr::new(&actor.locale);
                caller.ctx.actor = Some(*actor);
                caller.session = Some(SessionInfo { secret, csrf_token });
            }
            Ok(SessionState::SecondFactorPending) => caller.pending_session = Some(secret),
            Err(
                yunwei_core::CoreError::SessionExpired | yunwei_core::CoreError::AccountDisabled | yunwei_core::CoreError::Unauthenticated,
            ) => {}
            Err(e) => return fail(e.into(), fallback_locale),
        }
        // Cookie-authenticated API writes must echo the session's CSRF token in a header.
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if let Some(s) = &caller.session
            && unsafe_method
            && req.uri().path().starts_with("/api/")
        {
            let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if !yunwei_core::crypto::constant_time_eq(sent.as_bytes(), s.csrf_token.as_bytes()) {
                return fail(ApiError::new(StatusCode::FORBIDDEN, "csrf_failed"), caller.tr.locale);
            }
        }
    }
    // A person who must change a temporary or expired password is sent to the page that says
    // so from the first page on (the home page too), not after a click that answers "forbidden".
    if req.method() == Method::GET
        && caller.ctx.actor.as_ref().is_some_and(|a| a.must_change_password)
        && needs_password_first(req.uri().path())
    {
        return axum::response::Redirect::to("/profile").into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// Pages (not the API, assets, the profile itself or signing out) that wait for a password change.
fn needs_password_first(path: &str) -> bool {
    const OPEN: [&str; 11] =
        ["/api/", "/integrations/", "/static/", "/profile", "/logout", "/login", "/lang/", "/healthz", "/readyz", "/metrics", "/favicon"];
    !OPEN.iter().any(|p| path.starts_with(p))
}

/// Every API operation the document does not mark public answers 401 to a caller who is not
/// signed in, before any handler runs: no lookup, validation or query parsing first.
pub async fn require_sign_in(req: Request, next: Next) -> Response {
    // (METHOD, path) → public? Only documented operations: a wrong method still answers 405.
    static OPERATIONS: std::sync::OnceLock<std::collections::HashMap<(String, String), bool>> = std::sync::OnceLock::new();
    let path = req.uri().path();
    if path.starts_with("/api/v1/")
        && req.extensions().get::<Caller>().is_some_and(|c| c.ctx.actor.is_none())
        && let Some(route) = req.extensions().get::<MatchedPath>()
    {
        let operations = OPERATIONS.get_or_init(|| {
            let public = crate::openapi::public_operations();
            crate::openapi::operations()
                .into_iter()
                .map(|(m, p)| {
                    let m = m.to_uppercase();
                    let open = public.iter().any(|(pm, pp)| *pm == m && *pp == p);
                    ((m, p), open)
                })
                .collect()
        });
        if operations.get(&(req.method().as_str().to_string(), route.as_str().to_string())) == Some(&false) {
            return ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated").into_response();
        }
    }
    next.run(req).await
}

/// Audits a request refused for want of a permission when the operation is sensitive: every
/// write, and reads of administration data (accounts, roles, the audit log, integrations).
pub async fn audit_refusals(State(state): State<AppState>, req: Request, next: Next) -> Response {
    const ADMIN_READS: [&str; 10] = [
        "/api/v1/users",
        "/api/v1/roles",
        "/api/v1/audit-events",
        "/api/v1/duty-grants",
        "/api/v1/webhooks",
        "/api/v1/deliveries",
        "/api/v1/jobs",
        "/api/v1/notification-templates",
        "/api/v1/outbox",
        "/admin/",
    ];
    let sensitive = req.method() != Method::GET || ADMIN_READS.iter().any(|p| req.uri().path().starts_with(p));
    if !sensitive {
        return next.run(req).await;
    }
    // Only for sensitive requests: the context is kept to name who was refused.
    let ctx = req.extensions().get::<Caller>().map(|c| c.ctx.clone());
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let res = next.run(req).await;
    if let (Some(ctx), Some(e)) = (ctx.filter(|c| c.actor.is_some()), res.extensions().get::<ApiError>())
        && e.code == "forbidden"
    {
        let permission = e.extra.as_deref().and_then(|x| x.get("permission")).and_then(serde_json::Value::as_str).unwrap_or_default();
        if let Err(err) = yunwei_core::audit::record_forbidden(&state.core, &ctx, method.as_str(), &path, permission).await {
            tracing::warn!(error = %err, "could not audit a refused request");
        }
    }
    res
}

/// Turns an `ApiError` left by a handler (or a bare error status) into the
/// problem body in the caller's language; page requests get an HTML page.
pub async fn localize_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Kept only for pages: an error page carries the reader's navigation.
    let caller = req.extensions().get::<Caller>().cloned();
    let tr = caller.as_ref().map(|c| c.tr).unwrap_or(Tr::new(i18n::DEFAULT_LOCALE));
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let path = req.uri().path();
    // Pages' forms post too: a refused form answers with a page (navigation, a link home), not
    // problem+json in the browser window.
    let is_page = !path.starts_with("/api/") && !path.starts_with("/integrations/") && path != "/metrics";
    let is_get = req.method() == Method::GET;
    let path = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
    let res = next.run(req).await;
    let error = match res.extensions().get::<ApiError>() {
        Some(e) => e.clone(),
        None if res.status().is_client_error() || res.status().is_server_error() => {
            if res.headers().contains_key(header::CONTENT_TYPE) {
                return res;
            }
            let code = match res.status() {
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
                s if s.is_server_error() => "internal_error",
                _ => "bad_request",
            };
            ApiError::new(res.status(), code)
        }
        None => return res,
    };
    if error.status.is_server_error() {
        tracing::error!(request_id = %request_id, code = %error.code, path = %path, "request failed");
    }
    let full = error.code == "storage_full";
    let mut res = match (&caller, is_page) {
        (Some(caller), true) if caller.ctx.actor.is_some() && is_plain_error(&error) => {
            crate::pages::error_page(&state, caller, &error, &request_id).await
        }
        _ => localized(error, tr, &request_id, is_page, if is_get { path.as_str() } else { "/" }),
    };
    if full {
        res.extensions_mut().insert(StorageFull);
    }
    res
}

/// An error shown as a page with the navigation (not a redirect to sign-in or the profile).
fn is_plain_error(error: &ApiError) -> bool {
    error.status != StatusCode::UNAUTHORIZED && error.code != "password_change_required" && error.code != "totp_enrolment_required"
}

fn localized(error: ApiError, tr: Tr, request_id: &str, is_page: bool, path: &str) -> Response {
    if is_page {
        if error.status == StatusCode::UNAUTHORIZED {
            let target = format!("/login?next={}", crate::pages::url_encode(path));
            return axum::response::Redirect::to(&target).into_response();
        }
        if error.code == "password_change_required" || error.code == "totp_enrolment_required" {
            return axum::response::Redirect::to("/profile").into_response();
        }
        return crate::pages::bare_error_page(&error, tr, request_id);
    }
    problem_response(&error, tr, request_id)
}

/// The error's message with its placeholders filled (translating values that are message keys).
pub fn error_title(e: &ApiError, tr: Tr) -> String {
    let params: Vec<(String, String)> = e.params.iter().map(|(k, v)| (k.clone(), if tr.has(v) { tr.t(v) } else { v.clone() })).collect();
    tr.with(&format!("error.{}", e.code), &params)
}

pub fn problem_json(e: &ApiError, tr: Tr, request_id: &str) -> serde_json::Value {
    let errors: Vec<serde_json::Value> = e
        .fields
        .iter()
        .map(|f| serde_json::json!({ "field": f.field, "code": f.code, "message": tr.with(&format!("error.{}", f.code), &f.params) }))
        .collect();
    let mut body = serde_json::json!({
        "type": format!("urn:yunwei:problem:{}", e.code),
        "title": error_title(e, tr),
        "status": e.status.as_u16(),
        "code": e.code,
        "request_id": request_id,
    });
    if let Some(obj) = body.as_object_mut() {
        if let Some(d) = &e.detail {
            obj.insert("detail".into(), d.clone().into());
        }
        if !errors.is_empty() {
            obj.insert("errors".into(), errors.into());
        }
        if let Some(serde_json::Value::Object(extra)) = e.extra.as_deref() {
            for (k, v) in extra {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    body
}

pub fn problem_response(e: &ApiError, tr: Tr, request_id: &str) -> Response {
    let body = problem_json(e, tr, request_id).to_string();
    let mut res = (e.status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    if e.status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"yunwei\""));
    }
    if e.status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    if let Some(seconds) = e.extra.as_deref().and_then(|x| x.get("retry_after")).and_then(serde_json::Value::as_i64)
        && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The request size limit: `[web] body_limit`, or `bulk_body_limit` on the bulk routes (CI
/// imports, discovery reports). A declared length above it is answered 413 at once; a body
/// that grows past it fails where it is read, also as 413 `body_too_large`.
pub async fn body_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.web.limit_for(req.uri().path());
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<usize>().ok());
    // Bulk routes refuse an oversized body before reading it; elsewhere the extractor meets the
    // limit, so that a page form answers with its page and the error by the field.
    if limit != state.web.body_limit && declared.is_some_and(|n| n > limit) {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").into_response();
    }
    let (parts, body) = req.into_parts();
    next.run(Request::from_parts(parts, Body::new(http_body_util::Limited::new(body, limit)))).await
}

/// `Idempotency-Key` on POST: the first answer is kept for 24 h and replayed for
/// the same key and body; the same key with another body is refused.
/// Marks a response that carries a secret shown once (an API token, a webhook secret): it is
/// not kept for idempotent replay, so the secret is never stored in clear.
#[derive(Debug, Clone, Copy)]
pub struct SecretInside;

/// The answer for a key seen before: the stored response, 422 for the same key with another
/// body, or — when the first request committed but its answer was never stored (a timeout, a
/// crash; or it is still finishing) — 409 naming what it did, after a short wait for the answer.
async fn replay(state: &AppState, user: i64, key: &str, hash: &str) -> Option<Response> {
    for attempt in 0..20 {
        let stored = match idempotency::find(&state.core, user, key).await {
            Ok(Some(stored)) => stored,
            Ok(None) => return None,
            Err(e) => return Some(ApiError::from(e).into_response()),
        };
        if stored.request_hash != hash {
            return Some(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").into_response());
        }
        if stored.status > 0 {
            let mut res = (StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK), stored.body).into_response();
            if let Ok(ct) = HeaderValue::from_str(&stored.content_type) {
                res.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Some(res);
        }
        if attempt == 19 {
            let mut e = ApiError::new(StatusCode::CONFLICT, "idempotent_request_applied");
            e.extra = Some(Box::new(serde_json::json!({ "object_type": stored.object_type, "object_id": stored.object_id })));
            return Some(e.into_response());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let user = req.extensions().get::<Caller>().and_then(|c| c.ctx.actor.as_ref().map(|a| a.user_id.0));
    let (Some(key), Some(user), true) = (key, user, req.method() == Method::POST) else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 255 {
        return ApiError::new(StatusCode::BAD_REQUEST, "invalid_idempotency_key").into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.web.limit_for(parts.uri.path())).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").into_response();
        }
    };
    let hash = yunwei_core::crypto::sha256_hex(&format!("{} {}\n{}", parts.method, parts.uri.path(), String::from_utf8_lossy(&bytes)));
    if let Some(answer) = replay(&state, user, &key, &hash).await {
        return answer;
    }
    // The command's own commit writes the key with the record (see `yunwei_core::idempotency`).
    let scope = idempotency::IdempotencyScope::new(user, key.clone(), hash.clone(), state.core.now_ms());
    let res = idempotency::scoped(scope.clone(), next.run(Request::from_parts(parts, Body::from(bytes)))).await;
    let failed = res.status().is_server_error() || res.extensions().get::<ApiError>().is_some();
    if failed || res.extensions().get::<SecretInside>().is_some() {
        // A secret shown once is never kept: its retry learns the request was done. An error is
        // not replayed: if a side write (a refusal's audit entry) wrote the key, forget it.
        if failed
            && scope.claimed()
            && let Err(e) = idempotency::release(&state.core, user, &key).await
        {
            tracing::warn!(error = %e, "idempotency key not released");
        }
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json").to_string();
    let stored = idempotency::StoredResponse {
        request_hash: hash,
        status: parts.status.as_u16(),
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        object_type: None,
        object_id: None,
    };
    if let Err(e) = idempotency::store(&state.core, user, &key, &stored).await {
        tracing::warn!(error = %e, "idempotency key not stored");
    }
    Response::from_parts(parts, Body::from(bytes))
}
