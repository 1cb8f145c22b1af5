//! Two languages, zh-CN and en, for every screen, message and error. Messages
//! live in `locales/*.json`; `{name}` placeholders are filled from parameters.

use std::collections::HashMap;
use std::sync::OnceLock;

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

    /// The message for `key`, or the key itself if missing (visible, never a crash).
    pub fn t(&self, key: &str) -> String {
        catalogues()
            .get(self.locale)
            .and_then(|c| c.get(key))
            .or_else(|| catalogues().get("en").and_then(|c| c.get(key)))
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    pub fn has(&self, key: &str) -> bool {
        catalogues().get(self.locale).is_some_and(|c| c.contains_key(key))
    }

    pub fn with(&self, key: &str, params: &[(String, String)]) -> String {
        params.iter().fold(self.t(key), |text, (k, v)| text.replace(&format!("{{{k}}}"), v))
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
}
