//! Field validation shared by every record type. Text is kept verbatim (HTML,
//! SQL metacharacters and all): it is escaped where it is rendered, not here.
//! The exception is invisible formatting (bidirectional overrides, zero-width
//! characters): escaping cannot make it visible, so names and titles lose it on input.

use crate::FieldError;

/// Collects field errors so a form can show all of them at once.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    /// A required single-line text: trimmed, 1..=max characters, no control characters,
    /// invisible formatting ([`is_invisible_format`]) removed.
    pub fn name(&mut self, field: &str, value: &str, max: usize) -> String {
        let visible = strip_invisible(value);
        let trimmed = visible.trim();
        if trimmed.is_empty() {
            self.errors.push(FieldError::new(field, "required"));
        } else if trimmed.chars().count() > max {
            self.errors.push(FieldError::new(field, "too_long").with("max", max));
        } else if trimmed.chars().any(char::is_control) {
            self.errors.push(FieldError::new(field, "control_characters"));
        }
        trimmed.to_string()
    }

    /// An optional single-line text (a second-language name): empty is allowed, anything
    /// else is held to [`Checker::name`]'s rules.
    pub fn optional_name(&mut self, field: &str, value: &str, max: usize) -> String {
        if strip_invisible(value).trim().is_empty() { String::new() } else { self.name(field, value, max) }
    }

    /// An optional multi-line text of at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        if value.chars().count() > max {
            self.errors.push(FieldError::new(field, "too_long").with("max", max));
        }
        value.to_string()
    }

    /// A login name: 2..=64 of letters, digits, `.`, `_`, `-`, `@`.
    pub fn username(&mut self, field: &str, value: &str) -> String {
        let v = value.trim();
        let ok_chars = v.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
        if v.is_empty() {
            self.errors.push(FieldError::new(field, "required"));
        } else if v.len() < 2 || v.len() > 64 || !ok_chars {
            self.errors.push(FieldError::new(field, "invalid_username"));
        }
        v.to_lowercase()
    }

    /// An optional e-mail address with one `@`, a dotless-or-dotted domain and no spaces.
    pub fn email(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        let valid = v.len() <= 254
            && v.split('@').count() == 2
            && v.split('@').all(|p| !p.is_empty())
            && !v.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\",;".contains(c));
        if !valid {
            self.errors.push(FieldError::new(field, "invalid_email"));
        }
        Some(v.to_string())
    }

    /// One of a closed set of values.
    pub fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.errors.push(FieldError::new(field, "not_allowed_value").with("allowed", allowed.join(", ")));
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    pub fn finish(self) -> Result<(), crate::DomainError> {
        if self.errors.is_empty() { Ok(()) } else { Err(crate::DomainError::Validation(self.errors)) }
    }
}

/// Characters that change how the text around them is shown without being seen:
/// bidirectional embeddings, overrides, isolates and marks (U+202A–U+202E,
/// U+2066–U+2069, U+200E/U+200F, U+061C), zero-width and joining characters
/// (U+200B–U+200D, U+2060–U+2064, U+FEFF), the soft hyphen and the Mongolian
/// vowel separator. `invoice\u{202E}gpj.exe` shows as `invoiceexe.jpg`; in a
/// name or title none of them is ever needed.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// `text` without [`is_invisible_format`] characters (borrowed when it has none).
pub fn strip_invisible(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_invisible_format) {
        std::borrow::Cow::Owned(text.chars().filter(|c| !is_invisible_format(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A stable key: 1..=40 of lower-case ASCII letters, digits and `_`.
pub fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

/// IANA zone names only: letters, `/`, `_`, `-`, `+` and digits.
pub fn looks_like_time_zone(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c))
}

/// File types that run when opened (programs, scripts, installers): refused as attachments,
/// because a desk engineer opening a requester's file must not start a program.
pub const REFUSED_FILE_TYPES: [&str; 16] =
    ["exe", "com", "bat", "cmd", "scr", "pif", "msi", "dll", "vbs", "vbe", "js", "jse", "wsf", "ps1", "hta", "jar"];

/// Is this file name one of [`REFUSED_FILE_TYPES`] (by its last extension, any case)?
pub fn refused_file_type(name: &str) -> bool {
    let ext = name.trim().trim_end_matches('.').rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    ext.is_some_and(|e| REFUSED_FILE_TYPES.contains(&e.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        let mut c = Checker::new();
        assert_eq!(c.name("name", "  网络组 ", 10), "网络组");
        c.name("a", "   ", 10);
        c.name("b", "一二三四五六七八九十十", 10);
        c.name("c", "x\u{0007}y", 10);
        let Err(crate::DomainError::Validation(errs)) = c.finish() else { panic!("expected errors") };
        let codes: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(codes, vec![("a", "required"), ("b", "too_long"), ("c", "control_characters")]);
    }

    #[test]
    fn invisible_formatting_is_removed_from_names() {
        let mut c = Checker::new();
        assert_eq!(c.name("title", "invoice\u{202E}gpj.exe", 100), "invoicegpj.exe");
        assert_eq!(c.name("title", "\u{FEFF} 网络\u{200B}故障\u{2066}x\u{2069} ", 100), "网络故障x");
        c.name("empty", "\u{200B}\u{202E}", 100);
        let Err(crate::DomainError::Validation(errs)) = c.finish() else { panic!("expected an error") };
        assert_eq!((errs[0].field.as_str(), errs[0].code.as_str()), ("empty", "required"));
        assert!(matches!(strip_invisible("普通标题"), std::borrow::Cow::Borrowed(_)));
        for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{200F}', '\u{FEFF}', '\u{061C}'] {
            assert!(is_invisible_format(c), "{c:?}");
        }
        for c in ['a', '网', ' ', '\u{3000}', '😀', '\u{2028}'] {
            assert!(!is_invisible_format(c), "{c:?}");
        }
    }

    #[test]
    fn markup_is_kept_verbatim() {
        let mut c = Checker::new();
        let v = c.name("name", "<script>alert(1)</script>'; DROP TABLE users;--", 200);
        assert!(c.finish().is_ok());
        assert_eq!(v, "<script>alert(1)</script>'; DROP TABLE users;--");
    }

    #[test]
    fn usernames_and_emails() {
        let mut c = Checker::new();
        assert_eq!(c.username("u", "Zhang.San"), "zhang.san");
        assert!(c.finish().is_ok());
        let mut c = Checker::new();
        c.username("u", "张三");
        c.email("e", Some("a@b@c"));
        c.email("e2", Some("ops@bank.example"));
        let Err(crate::DomainError::Validation(errs)) = c.finish() else { panic!() };
        assert_eq!(errs.len(), 2);
    }

    #[test]
    fn programs_are_refused_as_attachments_and_documents_are_not() {
        for bad in ["setup.exe", "RUN.BAT", "a.tar.js", "x.ps1.", "报表.Exe"] {
            assert!(refused_file_type(bad), "{bad}");
        }
        for ok in ["故障截图.png", "log.txt", "exe", "report.exe.pdf", "noext", ".bashrc"] {
            assert!(!refused_file_type(ok), "{ok}");
        }
    }
}
