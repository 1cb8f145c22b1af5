//! Errors as `application/problem+json` (RFC 9457) with a stable `code` that is
//! also the i18n key of the message. Handlers return `ApiError`; the
//! `localize_errors` middleware writes the body in the caller's language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yunwei_core::CoreError;
use yunwei_domain::{DomainError, FieldError};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: Option<String>,
    pub fields: Vec<FieldError>,
    /// Extra members of the problem (e.g. `locked_until`).
    pub extra: Option<Box<serde_json::Value>>,
    /// Values for the message's `{placeholders}`; a value that is an i18n key is translated.
    pub params: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str) -> Self {
        Self { status, code: code.to_string(), detail: None, fields: Vec::new(), extra: None, params: Vec::new() }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let status = match &e {
            CoreError::Domain(DomainError::Validation(_) | DomainError::WeakPassword(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            CoreError::Domain(DomainError::SeparationOfDuties(..)) => StatusCode::CONFLICT,
            CoreError::Domain(DomainError::IllegalTransition { .. } | DomainError::ReopenWindowPassed { .. }) => StatusCode::CONFLICT,
            CoreError::Domain(DomainError::SummaryRequired(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            CoreError::Domain(DomainError::Forbidden) | CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
            CoreError::Domain(
                DomainError::OwnRights
                | DomainError::OwnRequest
                | DomainError::ProtectedAccount(_)
                | DomainError::DutyGrantNeedsSecurity
                | DomainError::DutyOnCreate,
            ) => StatusCode::FORBIDDEN,
            CoreError::PasswordChangeRequired | CoreError::TotpEnrolmentRequired => StatusCode::FORBIDDEN,
            CoreError::Unauthenticated | CoreError::BadCredentials | CoreError::SessionExpired | CoreError::BadSecondFactor => {
                StatusCode::UNAUTHORIZED
            }
            CoreError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            CoreError::AccountDisabled => StatusCode::FORBIDDEN,
            CoreError::NotFound(_) => StatusCode::NOT_FOUND,
            CoreError::Conflict(_) | CoreError::NeedsConfirmation { .. } => StatusCode::CONFLICT,
            CoreError::Gone(_) => StatusCode::GONE,
            CoreError::Store(e) if e.is_busy() || e.is_storage_full() => StatusCode::SERVICE_UNAVAILABLE,
            CoreError::Store(yunwei_core::store::StoreError::IdempotencyKeyTaken) => StatusCode::CONFLICT,
            CoreError::Store(_) | CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut out = ApiError::new(status, e.code());
        match e {
            CoreError::Domain(DomainError::Validation(fields)) => out.fields = fields,
            CoreError::Domain(DomainError::WeakPassword(rules)) => {
                out.fields = rules
                    .iter()
                    .map(|r| {
                        let f = FieldError::new("password", r.code());
                        match r {
                            yunwei_domain::auth::PasswordRule::TooShort { min }
                            | yunwei_domain::auth::PasswordRule::TooFewClasses { min } => f.with("min", min),
                            yunwei_domain::auth::PasswordRule::TooLong { max } => f.with("max", max),
                            yunwei_domain::auth::PasswordRule::Reused { last } => f.with("last", last),
                            _ => f,
                        }
                    })
                    .collect();
            }
            CoreError::Domain(DomainError::SeparationOfDuties(a, b)) => {
                out.extra = Some(Box::new(serde_json::json!({ "duties": [a, b] })));
                out.params = vec![("first".into(), format!("duty.{a}")), ("second".into(), format!("duty.{b}"))];
            }
            CoreError::Domain(DomainError::ProtectedAccount(duty)) => {
                out.extra = Some(Box::new(serde_json::json!({ "duty": duty })));
                out.params = vec![("duty".into(), format!("duty.{duty}"))];
            }
            CoreError::Domain(DomainError::IllegalTransition { object, from, action }) => {
                out.extra = Some(Box::new(serde_json::json!({ "from": from, "action": action })));
                out.params = vec![
                    ("object".into(), format!("object.{object}")),
                    ("from".into(), format!("{object}.state.{from}")),
                    ("action".into(), format!("{object}.action.{action}")),
                ];
            }
            CoreError::Domain(DomainError::ReopenWindowPassed { days }) => {
                out.extra = Some(Box::new(serde_json::json!({ "days": days })));
                out.params = vec![("days".into(), days.to_string())];
            }
            CoreError::Domain(DomainError::SummaryRequired(fields)) => out.fields = fields,
            CoreError::TooManyAttempts { until, retry_after_s } => {
                out.extra = Some(Box::new(serde_json::json!({ "retry_at": until, "retry_after": retry_after_s })));
                out.params = vec![("minutes".into(), ((retry_after_s + 59) / 60).to_string())];
            }
            CoreError::NeedsConfirmation { count, names, .. } => {
                out.extra = Some(Box::new(serde_json::json!({ "count": count, "names": names })));
                out.params = vec![("count".into(), count.to_string())];
            }
            CoreError::NotFound(what) => out.extra = Some(Box::new(serde_json::json!({ "object": what }))),
            CoreError::Forbidden(p) => out.extra = Some(Box::new(serde_json::json!({ "permission": p }))),
            CoreError::Store(err) if err.is_storage_full() => {
                tracing::error!(error = %err, "storage full: writes fail until there is space")
            }
            CoreError::Store(err) if err.is_busy() => tracing::warn!(error = %err, "database busy"),
            CoreError::Store(yunwei_core::store::StoreError::IdempotencyKeyTaken) => {}
            CoreError::Store(err) => tracing::error!(error = %err, "storage error"),
            CoreError::Internal(err) => tracing::error!(error = %err, "internal error"),
            _ => {}
        }
        out
    }
}

impl IntoResponse for ApiError {
    /// The body is written later by `localize_errors`, which knows the language.
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
