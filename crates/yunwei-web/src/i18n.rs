//! Two languages, zh-CN and en, for every screen, message and error. Messages
//! live in `locales/*.json`; `{name}` placeholders are filled from parameters.
//!
//! A key missing from the reader's locale falls back to English, then to the key itself, so a
//! page never breaks in production. Under test it is loud instead: [`set_strict`] (the testkit
//! turns it on, and this crate's own tests run with it) makes a missing key panic, naming it.
//! `used_keys` tests that every key the code asks for, including the ones it builds at run
//! time (`event.{}`, `notice.{}`, `field.{}`, `process.{}.title`, states…), is in both locales.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub const LOCALES: [&str; 2] = ["zh-CN", "en"];
pub const DEFAULT_LOCALE: &str = "zh-CN";

type Catalogue = HashMap<String, String>;

fn catalogues() -> &'static HashMap<&'static str, Catalogue> {
    static C: OnceLock<HashMap<&'static str, Catalogue>> = OnceLock::new();
    C.get_or_init(|| {
        let parse = |text: &str| serde_json::from_str::<Catalogue>(text).unwrap_or_default();
        HashMap::from([("zh-CN", parse(include_str!("../locales/zh-CN.json"))), ("en", parse(include_str!("../locales/en.json")))])
    })
}

static STRICT: AtomicBool = AtomicBool::new(false);

/// Makes a missing key panic (tests) instead of falling back (production).
pub fn set_strict(on: bool) {
    STRICT.store(on, Ordering::SeqCst);
}

fn strict() -> bool {
    cfg!(test) || STRICT.load(Ordering::Relaxed)
}

/// The keys of one locale (for the completeness test).
pub fn keys(locale: &str) -> Vec<String> {
    let mut k: Vec<String> = catalogues().get(locale).map(|c| c.keys().cloned().collect()).unwrap_or_default();
    k.sort();
    k
}

/// A translator bound to one locale; cheap to copy into templates.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub locale: &'static str,
}

impl Tr {
    pub fn new(locale: &str) -> Self {
        Self { locale: normalize(locale).unwrap_or(DEFAULT_LOCALE) }
    }

    /// The message for `key`; if missing, the English one or the key itself (visible, never a
    /// crash), or a panic naming the key when strict (under test).
    pub fn t(&self, key: &str) -> String {
        if let Some(text) = catalogues().get(self.locale).and_then(|c| c.get(key)) {
            return text.clone();
        }
        if strict() {
            panic!("translation key {key:?} is missing from locales/{}.json", self.locale);
        }
        catalogues().get("en").and_then(|c| c.get(key)).cloned().unwrap_or_else(|| key.to_string())
    }

    pub fn has(&self, key: &str) -> bool {
        catalogues().get(self.locale).is_some_and(|c| c.contains_key(key))
    }

    pub fn with(&self, key: &str, params: &[(String, String)]) -> String {
        params.iter().fold(self.t(key), |text, (k, v)| text.replace(&format!("{{{k}}}"), v))
    }

    /// "label: text" with the language's colon (full-width in Chinese).
    pub fn labelled(&self, label: &str, text: &str) -> String {
        if self.is_zh() { format!("{label}：{text}") } else { format!("{label}: {text}") }
    }

    /// An aside in brackets (full-width in Chinese), after a space in English.
    pub fn aside(&self, text: &str) -> String {
        if self.is_zh() { format!("（{text}）") } else { format!(" ({text})") }
    }

    pub fn is_zh(&self) -> bool {
        self.locale == "zh-CN"
    }
}

/// `zh`, `zh-cn`, `zh-Hans-CN` → zh-CN; `en-US` → en.
pub fn normalize(tag: &str) -> Option<&'static str> {
    let t = tag.trim().to_ascii_lowercase();
    if t.starts_with("zh") {
        Some("zh-CN")
    } else if t.starts_with("en") {
        Some("en")
    } else {
        None
    }
}

/// The best of our locales for an Accept-Language header, by q-value.
pub fn from_accept_language(header: &str) -> Option<&'static str> {
    let mut choices: Vec<(f32, &'static str)> = header
        .split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let tag = normalize(it.next()?)?;
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok())).unwrap_or(1.0);
            Some((q, tag))
        })
        .collect();
    choices.sort_by(|a, b| b.0.total_cmp(&a.0));
    choices.first().map(|c| c.1)
}

#[cfg(test)]
#[path = "i18n_used_keys.rs"]
mod used_keys;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_locales_have_the_same_keys() {
        let zh = keys("zh-CN");
        let en = keys("en");
        assert!(zh.len() > 100, "catalogue parsed ({})", zh.len());
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        assert!(only_zh.is_empty() && only_en.is_empty(), "zh only: {only_zh:?}, en only: {only_en:?}");
    }

    #[test]
    fn accept_language() {
        assert_eq!(from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"), Some("en"));
        assert_eq!(from_accept_language("fr;q=1, zh-Hans-CN;q=0.5"), Some("zh-CN"));
        assert_eq!(from_accept_language("de"), None);
        assert_eq!(Tr::new("en").with("error.too_long", &[("max".into(), "5".into())]), "At most 5 characters.");
    }

    #[test]
    fn a_missing_key_is_loud_under_test() {
        let missing = std::panic::catch_unwind(|| Tr::new("zh-CN").t("no.such.key"));
        let message = missing.err().and_then(|e| e.downcast_ref::<String>().cloned()).unwrap_or_default();
        assert!(message.contains("\"no.such.key\"") && message.contains("zh-CN.json"), "{message}");
        assert_eq!(Tr::new("zh-CN").t("app.name"), catalogues()["zh-CN"]["app.name"], "a present key is found");
    }
}
