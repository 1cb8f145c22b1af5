//! The one paging convention of the API: keyset cursors, `limit` 1..=200 (default 50).

use crate::{DomainError, FieldError};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// Position after the last row of a page: the sort key (if not the id) and the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: Option<String>,
    pub id: i64,
}

impl Cursor {
    /// Opaque to clients: hex of `id` or `id\tkey`.
    pub fn encode(&self) -> String {
        let raw = match &self.key {
            Some(k) => format!("{}\t{}", self.id, k),
            None => self.id.to_string(),
        };
        raw.bytes().map(|b| format!("{b:02x}")).collect()
    }

    pub fn decode(text: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::Validation(vec![FieldError::new("cursor", "invalid_cursor")]);
        // Bytes, not `str` slices: a cursor is untrusted text, and slicing a multi-byte
        // character in the middle panics.
        if !text.is_ascii() || !text.len().is_multiple_of(2) || text.len() > 1024 {
            return Err(bad());
        }
        let bytes: Option<Vec<u8>> =
            text.as_bytes().chunks_exact(2).map(|pair| Some(hex_value(pair[0])? << 4 | hex_value(pair[1])?)).collect();
        let raw = String::from_utf8(bytes.ok_or_else(bad)?).map_err(|_| bad())?;
        let (id, key) = match raw.split_once('\t') {
            Some((id, key)) => (id, Some(key.to_string())),
            None => (raw.as_str(), None),
        };
        Ok(Self { id: id.parse().map_err(|_| bad())?, key })
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Cursor>,
    pub descending: bool,
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>, descending: bool) -> Result<Self, DomainError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(DomainError::Validation(vec![FieldError::new("limit", "out_of_range").with("min", 1).with("max", MAX_LIMIT)]));
        }
        let after = cursor.filter(|c| !c.is_empty()).map(Cursor::decode).transpose()?;
        Ok(Self { limit, after, descending })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cursor_round_trips(id in any::<i64>(), key in proptest::option::of("\\PC{0,30}")) {
            let c = Cursor { id, key: key.filter(|k| !k.contains('\t')) };
            prop_assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
    }

    proptest! {
        #[test]
        fn any_cursor_text_decodes_or_is_refused(text in "\\PC{0,80}|[0-9a-fA-F]{0,80}") {
            match Cursor::decode(&text) {
                Ok(c) => prop_assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c)),
                Err(DomainError::Validation(fields)) => prop_assert_eq!(fields[0].code.as_str(), "invalid_cursor"),
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
        }

        #[test]
        fn any_page_request_is_answered(limit in proptest::option::of(any::<i64>()), cursor in proptest::option::of(any::<String>())) {
            let _ = PageRequest::parse(limit, cursor.as_deref(), false);
        }
    }

    #[test]
    fn non_ascii_cursors_are_refused_not_a_panic() {
        for text in ["€€", "é1", "0€", "\u{0}\u{0}", "+1", "-1"] {
            assert!(Cursor::decode(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn bad_pages_are_refused() {
        assert!(PageRequest::parse(Some(0), None, false).is_err());
        assert!(PageRequest::parse(Some(201), None, false).is_err());
        assert!(PageRequest::parse(None, Some("zz"), false).is_err());
        assert_eq!(PageRequest::parse(None, None, true).unwrap().limit, 50);
    }
}
