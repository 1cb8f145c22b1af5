//! Identity rules: password policy profiles, lockout and session lifetimes.
//! Hashing and random numbers live in core; here are only the decisions.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// One rule a password broke; the code is the i18n key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PasswordRule {
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    TooFewClasses {
        min: usize,
    },
    ContainsUsername,
    Common,
    /// A strength estimate (zxcvbn, 0–4) below the policy's minimum: a pattern, a dictionary
    /// word with substitutions, a date, a keyboard walk…
    Guessable {
        min: u8,
    },
    Reused {
        last: usize,
    },
}

impl PasswordRule {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "password_too_short",
            Self::TooLong { .. } => "password_too_long",
            Self::TooFewClasses { .. } => "password_too_few_classes",
            Self::ContainsUsername => "password_contains_username",
            Self::Common => "password_common",
            Self::Guessable { .. } => "password_guessable",
            Self::Reused { .. } => "password_reused",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordProfile {
    /// China's MLPS 2.0 (等保) practice: ≥ 8, three of four classes, 90-day expiry, last 5 not reused.
    CnMlps,
    /// OWASP ASVS 5: ≥ 12, no composition rule, no forced expiry.
    Asvs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub min_classes: usize,
    pub expiry_days: Option<u32>,
    pub history: usize,
    /// The least strength estimate (zxcvbn score, 0–4) accepted.
    pub min_strength: u8,
}

/// Passwords attackers try first; refused by every profile.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword1",
    "123456789",
    "1234567890",
    "12345678",
    "qwerty123",
    "qwertyuiop",
    "1qaz2wsx",
    "1qaz@wsx",
    "abc12345",
    "abcd1234",
    "admin123",
    "admin@123",
    "aa123456",
    "a1234567",
    "iloveyou",
    "welcome1",
    "changeme",
    "letmein1",
    "root1234",
    "woaini1314",
    "qwe123!@#",
    "p@ssw0rd123",
    "admin@1234",
    "administrator",
];

pub const MAX_PASSWORD_LENGTH: usize = 128;

impl PasswordPolicy {
    pub fn of(profile: PasswordProfile) -> Self {
        match profile {
            PasswordProfile::CnMlps => Self { min_length: 8, min_classes: 3, expiry_days: Some(90), history: 5, min_strength: 3 },
            PasswordProfile::Asvs => Self { min_length: 12, min_classes: 0, expiry_days: None, history: 0, min_strength: 3 },
        }
    }

    /// Checks a new password; `reused` says whether it matches one of the last `history` hashes
    /// (the caller compares hashes, which this crate cannot do), `strength` is the caller's
    /// estimate (zxcvbn score 0–4, which needs dictionaries this crate does not carry).
    pub fn check(&self, password: &str, username: &str, reused: bool, strength: u8) -> Result<(), DomainError> {
        let mut broken = Vec::new();
        let length = password.chars().count();
        if length < self.min_length {
            broken.push(PasswordRule::TooShort { min: self.min_length });
        }
        if length > MAX_PASSWORD_LENGTH {
            broken.push(PasswordRule::TooLong { max: MAX_PASSWORD_LENGTH });
        }
        if character_classes(password) < self.min_classes {
            broken.push(PasswordRule::TooFewClasses { min: self.min_classes });
        }
        let lower = password.to_lowercase();
        if username.len() >= 3 && lower.contains(&username.to_lowercase()) {
            broken.push(PasswordRule::ContainsUsername);
        }
        if COMMON.contains(&lower.as_str()) {
            broken.push(PasswordRule::Common);
        } else if strength < self.min_strength && length >= self.min_length {
            broken.push(PasswordRule::Guessable { min: self.min_strength });
        }
        if reused && self.history > 0 {
            broken.push(PasswordRule::Reused { last: self.history });
        }
        if broken.is_empty() { Ok(()) } else { Err(DomainError::WeakPassword(broken)) }
    }

    /// Whether a password set at `changed_at` (unix seconds) must be changed at `now`.
    pub fn is_expired(&self, changed_at: i64, now: i64) -> bool {
        self.expiry_days.is_some_and(|days| now - changed_at >= i64::from(days) * 86_400)
    }
}

/// Lower case, upper case, digits, everything else (symbols and CJK alike).
pub fn character_classes(password: &str) -> usize {
    let lower = password.chars().any(|c| c.is_lowercase());
    let upper = password.chars().any(|c| c.is_uppercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let other = password.chars().any(|c| !c.is_alphanumeric() || (!c.is_ascii() && !c.is_lowercase() && !c.is_uppercase()));
    [lower, upper, digit, other].into_iter().filter(|x| *x).count()
}

/// Locks an account after repeated failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lock_seconds: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self { max_failures: 5, lock_seconds: 30 * 60 }
    }
}

impl LockoutPolicy {
    /// After a failed sign-in that brings the run of failures to `failures`, the lock's end, if any.
    pub fn lock_after(&self, failures: u32, now: i64) -> Option<i64> {
        (self.max_failures > 0 && failures >= self.max_failures).then_some(now + self.lock_seconds)
    }

    /// How long (seconds) to hold back a key after `failures` failures in the last hour.
    ///
    /// One account from one address is locked for `lock_seconds` at `max_failures` (等保's
    /// 登录失败处理) — but only from that address, so nobody locks someone else out from
    /// elsewhere. An address trying many names, and one name tried from many addresses, are
    /// slowed by delays that double from 1 s (capped at 15 min) past 4× and 10× `max_failures`.
    pub fn hold_after(&self, kind: ThrottleKind, failures: u32) -> Option<i64> {
        if self.max_failures == 0 {
            return None;
        }
        let growing = |threshold: u32| {
            (failures >= threshold).then(|| 1_i64.checked_shl(failures - threshold).unwrap_or(i64::MAX).min(MAX_DELAY_SECONDS))
        };
        match kind {
            ThrottleKind::AccountAtAddress | ThrottleKind::CurrentPassword => (failures >= self.max_failures).then_some(self.lock_seconds),
            ThrottleKind::Address => growing(self.max_failures.saturating_mul(4)),
            ThrottleKind::Account => growing(self.max_failures.saturating_mul(10)),
        }
    }
}

/// The longest delay growing throttles reach.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// What a failure is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleKind {
    /// One name (known or not) from one address.
    AccountAtAddress,
    /// Any names from one address.
    Address,
    /// One name from any address.
    Account,
    /// Guesses of a signed-in user's current password.
    CurrentPassword,
}

/// Server-side session lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionPolicy {
    pub idle_seconds: i64,
    pub absolute_seconds: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle_seconds: 30 * 60, absolute_seconds: 12 * 3600 }
    }
}

impl SessionPolicy {
    pub fn is_live(&self, created_at: i64, last_seen_at: i64, now: i64) -> bool {
        now - last_seen_at < self.idle_seconds && now - created_at < self.absolute_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules(policy: &PasswordPolicy, pw: &str, user: &str, reused: bool) -> Vec<&'static str> {
        match policy.check(pw, user, reused, 4) {
            Ok(()) => vec![],
            Err(DomainError::WeakPassword(r)) => r.iter().map(PasswordRule::code).collect(),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn cn_mlps_profile() {
        let p = PasswordPolicy::of(PasswordProfile::CnMlps);
        assert_eq!(rules(&p, "Abc123!x", "zhangsan", false), Vec::<&str>::new());
        assert_eq!(rules(&p, "abcdefgh", "zhangsan", false), vec!["password_too_few_classes"]);
        assert_eq!(rules(&p, "Ab1!", "zhangsan", false), vec!["password_too_short"]);
        assert_eq!(rules(&p, "Zhangsan#2026", "zhangsan", false), vec!["password_contains_username"]);
        assert_eq!(rules(&p, "P@ssw0rd", "x", false), vec!["password_common"]);
        assert_eq!(rules(&p, "Abc123!x", "zhangsan", true), vec!["password_reused"]);
        assert!(
            matches!(p.check("Qwerty@123456", "x", false, 1), Err(DomainError::WeakPassword(r)) if r == vec![PasswordRule::Guessable { min: 3 }])
        );
        assert!(p.check("Kx7#vQ2m!Lp9", "x", false, 4).is_ok());
        assert!(p.is_expired(0, 90 * 86_400));
        assert!(!p.is_expired(0, 89 * 86_400));
    }

    #[test]
    fn asvs_profile() {
        let p = PasswordPolicy::of(PasswordProfile::Asvs);
        assert_eq!(rules(&p, "correct horse battery", "li", false), Vec::<&str>::new());
        assert_eq!(rules(&p, "Abc123!x", "li", false), vec!["password_too_short"]);
        assert!(!p.is_expired(0, 10_000 * 86_400));
        assert_eq!(rules(&p, &"a".repeat(129), "li", false), vec!["password_too_long"]);
    }

    #[test]
    fn lockout_and_sessions() {
        let l = LockoutPolicy::default();
        assert_eq!(l.lock_after(4, 100), None);
        assert_eq!(l.lock_after(5, 100), Some(100 + 1800));
        let s = SessionPolicy::default();
        assert!(s.is_live(0, 0, 1799));
        assert!(!s.is_live(0, 0, 1800));
        assert!(!s.is_live(0, 43_190, 43_200), "absolute lifetime ends a busy session too");
        assert_eq!(l.hold_after(ThrottleKind::AccountAtAddress, 4), None);
        assert_eq!(l.hold_after(ThrottleKind::AccountAtAddress, 5), Some(1800));
        assert_eq!(l.hold_after(ThrottleKind::Address, 19), None);
        assert_eq!((l.hold_after(ThrottleKind::Address, 20), l.hold_after(ThrottleKind::Address, 23)), (Some(1), Some(8)));
        assert_eq!(l.hold_after(ThrottleKind::Address, 200), Some(MAX_DELAY_SECONDS));
        assert_eq!(l.hold_after(ThrottleKind::Account, 49), None);
        assert_eq!(l.hold_after(ThrottleKind::Account, 50), Some(1));
        assert_eq!(LockoutPolicy { max_failures: 0, lock_seconds: 60 }.hold_after(ThrottleKind::Address, 1000), None);
    }

    proptest! {
        #[test]
        fn classes_between_zero_and_four(s in "\\PC{0,40}") {
            prop_assert!(character_classes(&s) <= 4);
        }

        #[test]
        fn longer_passwords_never_fail_on_length(s in "[a-zA-Z0-9!]{12,40}") {
            let p = PasswordPolicy::of(PasswordProfile::Asvs);
            let failed = match p.check(&s, "", false, 4) { Err(DomainError::WeakPassword(r)) => r, _ => vec![] };
            let too_short = failed.iter().any(|r| matches!(r, PasswordRule::TooShort { .. }));
            prop_assert!(!too_short);
        }
    }
}
