//! Text to search terms, the same way for documents and queries. Chinese has
//! no spaces, so runs of CJK characters become overlapping two-character
//! terms (bigrams): 核心交换机网络丢包 gives 核心 心交 交换 换机 机网 网络 络丢 丢包,
//! and a search for 网络 or 数据库 (数据 据库) finds it without a dictionary.
//! Latin letters and digits form words, lower-cased; everything else separates.

/// Is this a character of a CJK script (Han, kana, Hangul, CJK punctuation excluded)?
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF        // Hiragana, Katakana
        | 0x3400..=0x4DBF      // CJK Extension A
        | 0x4E00..=0x9FFF      // CJK Unified Ideographs
        | 0xAC00..=0xD7AF      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F) // Extensions B and later
}

/// Longest Latin word kept; longer runs are cut (hashes, base64 blobs).
const MAX_WORD: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    /// A lone CJK character in a query matches any bigram starting with it.
    pub prefix: bool,
}

/// Terms of a text in order of appearance (duplicates kept).
fn scan(text: &str, mut emit: impl FnMut(String, bool)) {
    let mut cjk: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_cjk = |cjk: &mut Vec<char>, emit: &mut dyn FnMut(String, bool)| {
        match cjk.len() {
            0 => {}
            1 => emit(cjk[0].to_string(), true),
            n => {
                for pair in cjk.windows(2) {
                    emit(pair.iter().collect(), false);
                }
                // The last character starts no bigram: indexed alone so a one-character query finds it.
                emit(cjk[n - 1].to_string(), true);
            }
        }
        cjk.clear();
    };
    let flush_word = |word: &mut String, emit: &mut dyn FnMut(String, bool)| {
        if !word.is_empty() {
            emit(word.chars().take(MAX_WORD).collect(), false);
            word.clear();
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut emit);
            cjk.push(c);
        } else if c.is_alphanumeric() {
            flush_cjk(&mut cjk, &mut emit);
            word.extend(c.to_lowercase());
        } else {
            flush_cjk(&mut cjk, &mut emit);
            flush_word(&mut word, &mut emit);
        }
    }
    flush_cjk(&mut cjk, &mut emit);
    flush_word(&mut word, &mut emit);
}

/// The terms to index for a document, distinct, space-separated. A lone CJK
/// character between non-CJK text is kept as a one-character term.
pub fn index_text(parts: &[&str]) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::new();
    for part in parts {
        scan(part, |t, _| {
            if seen.insert(t.clone()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&t);
            }
        });
    }
    out
}

/// The terms a query must all match. At most 16, so a pasted paragraph stays cheap.
pub fn query_terms(q: &str) -> Vec<Term> {
    let mut terms: Vec<Term> = Vec::new();
    let mut previous_lone: Option<String> = None;
    scan(q, |text, lone| {
        // The trailing single character of a query run is already inside its last bigram.
        let is_tail = lone && previous_lone.as_deref().is_some_and(|p| p.chars().count() == 2 && p.ends_with(text.as_str()));
        previous_lone = Some(text.clone());
        if !is_tail && terms.len() < 16 && !terms.iter().any(|t| t.text == text) {
            terms.push(Term { prefix: lone && text.chars().count() == 1, text });
        }
    });
    terms
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(s: &str) -> Vec<&str> {
        s.split(' ').collect()
    }

    #[test]
    fn chinese_becomes_bigrams() {
        let doc = index_text(&["核心交换机网络丢包"]);
        assert_eq!(words(&doc), ["核心", "心交", "交换", "换机", "机网", "网络", "络丢", "丢包", "包"]);
        let q: Vec<String> = query_terms("数据库").into_iter().map(|t| t.text).collect();
        assert_eq!(q, ["数据", "据库"]);
        let doc = index_text(&["数据库连接池耗尽"]);
        assert!(q.iter().all(|t| words(&doc).contains(&t.as_str())));
    }

    #[test]
    fn mixed_text_and_ticket_numbers() {
        let doc = index_text(&["INC-000123 Oracle RAC 节点宕机", "ERR_CONN_RESET"]);
        assert_eq!(words(&doc), ["inc", "000123", "oracle", "rac", "节点", "点宕", "宕机", "机", "err", "conn", "reset"]);
        let q = query_terms("oracle 宕机");
        assert_eq!(q.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["oracle", "宕机"]);
        assert!(q.iter().all(|t| !t.prefix));
    }

    #[test]
    fn a_lone_character_is_a_prefix_query() {
        assert_eq!(query_terms("网"), vec![Term { text: "网".into(), prefix: true }]);
        assert_eq!(query_terms("  "), vec![]);
        assert_eq!(query_terms("'; DROP TABLE x; --"), query_terms("drop table x"));
    }

    proptest! {
        /// Every query made of a piece of a document's text finds that document.
        #[test]
        fn any_substring_of_a_document_finds_it(text in "[a-z0-9 网络数据库核心交换机丢包故障]{1,40}", start in 0usize..40, len in 2usize..10) {
            let chars: Vec<char> = text.chars().collect();
            let s = start.min(chars.len().saturating_sub(1));
            let e = (s + len).min(chars.len());
            let piece: String = chars[s..e].iter().collect();
            let doc = index_text(&[&text]);
            let doc_terms: Vec<&str> = doc.split(' ').collect();
            for t in query_terms(&piece) {
                // A piece can cut a Latin word: only whole words are promised, and those are.
                let latin = t.text.chars().all(|c| c.is_ascii_alphanumeric());
                let whole_word = text.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == t.text);
                let found = if t.prefix { doc_terms.iter().any(|d| d.starts_with(&t.text)) } else { doc_terms.contains(&t.text.as_str()) };
                prop_assert!(found || (latin && !whole_word), "{} in {:?}", t.text, doc);
            }
        }
    }
}
