use serde::Serialize;

/// One invalid field: `field` is the JSON name, `code` a stable i18n key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    /// Values the message needs, e.g. `max` for a too-long string.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(String, String)>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str) -> Self {
        Self { field: field.into(), code: code.to_string(), params: Vec::new() }
    }

    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.params.push((key.to_string(), value.to_string()));
        self
    }
}

/// A rule said no. Every variant maps to one stable error code, which is also
/// the translation key of its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("separation of duties: {0:?} and {1:?} cannot be held by one account")]
    SeparationOfDuties(crate::admin::AdminDuty, crate::admin::AdminDuty),
    /// Nobody changes their own roles, or the rights of a role they hold.
    #[error("nobody changes their own rights")]
    OwnRights,
    /// The one who asked for a duty grant cannot also approve it.
    #[error("a request is approved by a second person")]
    OwnRequest,
    /// The account holds this duty: only its holder (or the command line) may do that.
    #[error("the account holds the {0:?} duty")]
    ProtectedAccount(crate::admin::AdminDuty),
    /// Granting, changing or taking away a duty takes the security duty.
    #[error("only the security duty grants duties")]
    DutyGrantNeedsSecurity,
    /// Accounts are created with ordinary roles; duties are granted afterwards.
    #[error("an account is never created holding a duty")]
    DutyOnCreate,
    #[error("password does not meet the policy: {0:?}")]
    WeakPassword(Vec<crate::auth::PasswordRule>),
    #[error("not allowed")]
    Forbidden,
    #[error("cannot {action} from state {from}")]
    /// `object` names the state machine (`incident`, `request`, `request_task`): it keys the translations.
    IllegalTransition { object: &'static str, from: &'static str, action: &'static str },
    #[error("the incident summary is required before closing")]
    SummaryRequired(Vec<FieldError>),
    #[error("the reopen period of {days} days has passed")]
    ReopenWindowPassed { days: u32 },
}

impl DomainError {
    pub fn field(field: &str, code: &str) -> Self {
        Self::Validation(vec![FieldError::new(field, code)])
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::SeparationOfDuties(..) => "separation_of_duties",
            Self::OwnRights => "own_rights",
            Self::OwnRequest => "own_request",
            Self::ProtectedAccount(_) => "protected_account",
            Self::DutyGrantNeedsSecurity => "duty_grant_needs_security",
            Self::DutyOnCreate => "duty_on_create",
            Self::WeakPassword(_) => "weak_password",
            Self::Forbidden => "forbidden",
            Self::IllegalTransition { .. } => "illegal_transition",
            Self::SummaryRequired(_) => "summary_required",
            Self::ReopenWindowPassed { .. } => "reopen_window_passed",
        }
    }
}
