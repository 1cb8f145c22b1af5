//! Messages the server prints before it serves, in the language of whoever started it:
//! the terminal's (`LC_ALL`, `LC_MESSAGES`, `LANG`), else the configured default locale.

use crate::i18n::{Tr, normalize};
use yunwei_domain::auth::{PasswordPolicy, PasswordRule};

/// The language of the terminal, else `default` (the configuration's `default_locale`).
pub fn terminal_tr(default: &str) -> Tr {
    terminal_tr_from(|name| std::env::var(name).ok(), default)
}

/// As [`terminal_tr`], reading variables through `var` (for tests, which must not set the
/// process environment other test threads read).
pub fn terminal_tr_from(var: impl Fn(&str) -> Option<String>, default: &str) -> Tr {
    // POSIX order: LC_ALL overrides LC_MESSAGES, which overrides LANG. "C" and "POSIX" say nothing.
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| var(name).filter(|v| !v.trim().is_empty()))
        .next()
        .and_then(|v| normalize(&v))
        .map(Tr::new)
        .unwrap_or_else(|| Tr::new(default))
}

/// Why the initial administrator's password from `YUNWEI_ADMIN_PASSWORD` was refused,
/// rule by rule in words, and what the policy asks for.
pub fn weak_admin_password(tr: Tr, username: &str, broken: &[PasswordRule], policy: &PasswordPolicy) -> String {
    let user = [("username".to_string(), username.to_string())];
    let mut out = tr.with("startup.admin_password_weak", &user);
    for rule in broken {
        out.push_str("\n  - ");
        out.push_str(&rule_text(tr, rule));
    }
    out.push('\n');
    out.push_str(&tr.t("startup.admin_password_policy"));
    let mut asks = vec![PasswordRule::TooShort { min: policy.min_length }];
    if policy.min_classes > 0 {
        asks.push(PasswordRule::TooFewClasses { min: policy.min_classes });
    }
    asks.push(PasswordRule::ContainsUsername);
    for rule in &asks {
        out.push_str("\n  - ");
        out.push_str(&rule_text(tr, rule));
    }
    out.push_str("\n  - ");
    out.push_str(&tr.t("startup.admin_password_not_guessable"));
    out.push('\n');
    out.push_str(&tr.t("startup.admin_password_hint"));
    out
}

fn rule_text(tr: Tr, rule: &PasswordRule) -> String {
    let n = |k: &str, v: usize| vec![(k.to_string(), v.to_string())];
    let params = match rule {
        PasswordRule::TooShort { min } | PasswordRule::TooFewClasses { min } => n("min", *min),
        PasswordRule::TooLong { max } => n("max", *max),
        PasswordRule::Reused { last } => n("last", *last),
        PasswordRule::Guessable { min } => n("min", usize::from(*min)),
        PasswordRule::ContainsUsername | PasswordRule::Common => Vec::new(),
    };
    tr.with(&format!("error.{}", rule.code()), &params)
}

/// What is wrong with `public_url`, in the reader's language (the log, the administrator's pages).
pub fn public_url_text(tr: Tr, issue: &yunwei_core::config::PublicUrlIssue) -> String {
    use yunwei_core::config::PublicUrlIssue;
    match issue {
        PublicUrlIssue::Unset { listen } => tr.with(
            "startup.public_url_unset",
            &[("default".into(), yunwei_core::config::DEFAULT_PUBLIC_URL.into()), ("listen".into(), listen.clone())],
        ),
        PublicUrlIssue::Mismatch { public_url, listen } => {
            tr.with("startup.public_url_mismatch", &[("public_url".into(), public_url.clone()), ("listen".into(), listen.clone())])
        }
    }
}

/// Says at start, in the log, that links in e-mail may not reach the server.
pub fn warn_public_url(issue: &yunwei_core::config::PublicUrlIssue) {
    let text = public_url_text(Tr::new("en"), issue);
    tracing::warn!(?issue, "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use yunwei_domain::auth::PasswordProfile;

    #[test]
    fn the_terminal_language_wins_over_the_configured_one() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(terminal_tr_from(env(&[("LANG", "en_US.UTF-8")]), "zh-CN").locale, "en");
        assert_eq!(terminal_tr_from(env(&[("LANG", "en_US.UTF-8"), ("LC_ALL", "zh_CN.UTF-8")]), "en").locale, "zh-CN");
        assert_eq!(terminal_tr_from(env(&[("LANG", "C.UTF-8")]), "en").locale, "en", "C says nothing: the configuration decides");
        assert_eq!(terminal_tr_from(env(&[]), "zh-CN").locale, "zh-CN");
    }

    #[test]
    fn a_weak_admin_password_is_explained_in_words_with_the_policy() {
        let policy = PasswordPolicy::of(PasswordProfile::CnMlps);
        let Err(yunwei_domain::DomainError::WeakPassword(broken)) = policy.check("Admin-2026!", "admin", false, 4) else {
            panic!("contains the user name")
        };
        let zh = weak_admin_password(Tr::new("zh-CN"), "admin", &broken, &policy);
        assert!(zh.contains("YUNWEI_ADMIN_PASSWORD") && zh.contains("（admin）"), "{zh}");
        assert!(zh.contains("  - 不能包含用户名。") && zh.contains("至少 8 个字符") && zh.contains("至少 3 类"), "{zh}");
        assert!(!zh.contains("ContainsUsername") && !zh.contains("password_contains_username"), "{zh}");
        let en = weak_admin_password(Tr::new("en"), "admin", &broken, &policy);
        assert!(en.contains("  - Must not contain the user name.") && en.contains("At least 8 characters."), "{en}");
        assert!(en.contains("The password policy asks for:"), "{en}");
    }
}
