use yunwei_domain::DomainError;
use yunwei_store::StoreError;

/// Everything a use case can answer instead of success. `code()` is stable:
/// the web layer maps it to an HTTP status and a translated message.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failed attempts (sign-in, second factor, current password): held back until
    /// `until` (unix ms). The same answer whether or not the account exists.
    #[error("too many attempts; held back until {until}")]
    TooManyAttempts { until: i64, retry_after_s: i64 },
    #[error("account disabled")]
    AccountDisabled,
    #[error("wrong second-factor code")]
    BadSecondFactor,
    #[error("the session has expired")]
    SessionExpired,
    #[error("the password must be changed first")]
    PasswordChangeRequired,
    #[error("two-factor enrolment is required by your role")]
    TotpEnrolmentRequired,
    #[error("missing permission {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Going ahead would remove data others hold or depend on: `count` records, named in
    /// `names` (the first few). The same request with confirmation goes ahead.
    #[error("needs confirmation: {code} ({count})")]
    NeedsConfirmation { code: &'static str, count: i64, names: Vec<String> },
    /// It existed but is no longer usable (an expired link); the text is the code.
    #[error("gone: {0}")]
    Gone(&'static str),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(d) => d.code(),
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad_credentials",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::AccountDisabled => "account_disabled",
            Self::BadSecondFactor => "bad_second_factor",
            Self::SessionExpired => "session_expired",
            Self::PasswordChangeRequired => "password_change_required",
            Self::TotpEnrolmentRequired => "totp_enrolment_required",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(c) | Self::Gone(c) => c,
            Self::NeedsConfirmation { code, .. } => code,
            Self::Store(e) if e.is_storage_full() => "storage_full",
            Self::Store(e) if e.is_busy() => "database_busy",
            Self::Store(StoreError::IdempotencyKeyTaken) => "idempotency_key_in_use",
            Self::Store(_) | Self::Internal(_) => "internal_error",
        }
    }

    /// Held back until `until` (unix ms), said as whole seconds from `now` too.
    pub fn too_many_attempts(until: i64, now: i64) -> Self {
        Self::TooManyAttempts { until, retry_after_s: ((until - now + 999) / 1000).max(1) }
    }

    /// Maps unique-constraint failures to a 409 with the given code.
    pub fn unique_as(code: &'static str) -> impl FnOnce(StoreError) -> CoreError {
        move |e| {
            if e.is_unique_violation() { CoreError::Conflict(code) } else { CoreError::Store(e) }
        }
    }
}

impl From<yunwei_store::SqlxError> for CoreError {
    fn from(e: yunwei_store::SqlxError) -> Self {
        CoreError::Store(StoreError::Sql(e))
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
