//! Reading the untagged responses we need (FETCH, SEARCH, response codes,
//! CAPABILITY) and writing UID sets and mailbox names.

use super::proto::{Line, starts_with_ci};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    Atom(&'a [u8]),
    Quoted(Vec<u8>),
    /// Index into [`Line::literals`].
    Literal(usize),
    Nil,
    Open,
    Close,
}

/// Walks the text of a [`Line`]. Atoms keep a `[...]` section whole, so
/// `BODY[HEADER.FIELDS (FROM SUBJECT)]` is one token.
pub(crate) struct Tokens<'a> {
    text: &'a [u8],
    pos: usize,
    literal: usize,
}

impl<'a> Tokens<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        Self { text, pos: 0, literal: 0 }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.text;
        while self.pos < t.len() && matches!(t[self.pos], b' ' | b'\r' | b'\n') {
            self.pos += 1;
        }
        let c = *t.get(self.pos)?;
        match c {
            b'(' => {
                self.pos += 1;
                Some(Token::Open)
            }
            b')' => {
                self.pos += 1;
                Some(Token::Close)
            }
            b'"' => {
                let mut out = Vec::new();
                self.pos += 1;
                while let Some(&b) = t.get(self.pos) {
                    self.pos += 1;
                    match b {
                        b'"' => break,
                        b'\\' => {
                            if let Some(&n) = t.get(self.pos) {
                                out.push(n);
                                self.pos += 1;
                            }
                        }
                        _ => out.push(b),
                    }
                }
                Some(Token::Quoted(out))
            }
            b'{' => {
                // Skip the marker and its CRLF; the bytes are in `literals`.
                while self.pos < t.len() && t[self.pos] != b'\n' {
                    self.pos += 1;
                }
                self.pos += 1;
                let i = self.literal;
                self.literal += 1;
                Some(Token::Literal(i))
            }
            _ => {
                let start = self.pos;
                let mut depth = 0usize;
                while let Some(&b) = t.get(self.pos) {
                    match b {
                        b'[' => depth += 1,
                        b']' => depth = depth.saturating_sub(1),
                        b' ' | b'(' | b')' | b'\r' | b'\n' if depth == 0 => break,
                        _ => {}
                    }
                    self.pos += 1;
                }
                let atom = &t[start..self.pos];
                Some(if atom.eq_ignore_ascii_case(b"NIL") { Token::Nil } else { Token::Atom(atom) })
            }
        }
    }
}

/// What we ask for in FETCH, from one `* n FETCH (...)` line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FetchItems {
    pub uid: Option<u32>,
    pub size: Option<u64>,
    pub header: Option<Vec<u8>>,
    pub body: Option<Vec<u8>>,
}

pub(crate) fn parse_fetch(line: Line) -> Option<FetchItems> {
    let Line { text, mut literals } = line;
    let mut tokens = Tokens::new(text.strip_prefix(b"* ")?);
    let (Some(Token::Atom(_seq)), Some(Token::Atom(kw)), Some(Token::Open)) = (tokens.next(), tokens.next(), tokens.next()) else {
        return None;
    };
    if !kw.eq_ignore_ascii_case(b"FETCH") {
        return None;
    }
    let mut items = FetchItems::default();
    let text = |a: &[u8]| std::str::from_utf8(a).ok().map(str::to_string);
    loop {
        let key = match tokens.next()? {
            Token::Atom(k) => k.to_ascii_uppercase(),
            Token::Close => return Some(items),
            _ => return None,
        };
        let value = match tokens.next()? {
            Token::Open => {
                // A list (FLAGS): not needed, skip to its end.
                let mut depth = 1;
                while depth > 0 {
                    match tokens.next()? {
                        Token::Open => depth += 1,
                        Token::Close => depth -= 1,
                        _ => {}
                    }
                }
                None
            }
            Token::Atom(a) => text(a).map(String::into_bytes),
            Token::Quoted(q) => Some(q),
            Token::Literal(i) => Some(std::mem::take(literals.get_mut(i)?)),
            Token::Nil => None,
            Token::Close => return None,
        };
        let number = || value.as_deref().and_then(|v| std::str::from_utf8(v).ok()).and_then(|v| v.parse::<u64>().ok());
        if key == b"UID" {
            items.uid = number().and_then(|n| u32::try_from(n).ok());
        } else if key == b"RFC822.SIZE" {
            items.size = number();
        } else if key.starts_with(b"BODY[HEADER") {
            items.header = value;
        } else if key == b"BODY[]" {
            items.body = value;
        }
    }
}

/// `* SEARCH 3 5 9` → UIDs.
pub(crate) fn parse_search(line: &Line) -> Option<Vec<u32>> {
    let rest = line.untagged()?;
    if !starts_with_ci(rest, b"SEARCH") {
        return None;
    }
    Some(std::str::from_utf8(&rest[6..]).ok()?.split_ascii_whitespace().filter_map(|n| n.parse().ok()).collect())
}

/// `[CODE value]` in a status line, e.g. `* OK [UIDVALIDITY 3857529045] UIDs valid`.
pub(crate) fn response_code<'a>(line: &'a Line, code: &str) -> Option<&'a str> {
    let text = std::str::from_utf8(line.untagged()?).ok()?;
    let start = text.find('[')?;
    let inner = &text[start + 1..start + text[start..].find(']')?];
    let (name, value) = inner.split_once(' ').unwrap_or((inner, ""));
    name.eq_ignore_ascii_case(code).then_some(value.trim())
}

/// `* CAPABILITY IMAP4rev1 MOVE UIDPLUS` → upper-cased names.
pub(crate) fn parse_capabilities(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.untagged())
        .filter(|u| starts_with_ci(u, b"CAPABILITY "))
        .flat_map(|u| String::from_utf8_lossy(&u[11..]).split_ascii_whitespace().map(str::to_ascii_uppercase).collect::<Vec<_>>())
        .collect()
}

/// `1:5,7,9:10` for UID commands.
pub(crate) fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end.wrapping_add(1) {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Mailbox names travel in modified UTF-7 (RFC 3501 5.1.3), so a Chinese
/// folder such as 已处理 works.
pub(crate) fn encode_mailbox(name: &str) -> String {
    use base64::Engine;
    let engine = base64::engine::GeneralPurpose::new(&base64::alphabet::IMAP_MUTF7, base64::engine::general_purpose::NO_PAD);
    let mut out = String::new();
    let mut wide: Vec<u16> = Vec::new();
    let flush = |wide: &mut Vec<u16>, out: &mut String| {
        if !wide.is_empty() {
            let bytes: Vec<u8> = wide.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&engine.encode(bytes));
            out.push('-');
            wide.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut wide, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            wide.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut wide, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, literals: &[&[u8]]) -> Line {
        Line { text: text.as_bytes().to_vec(), literals: literals.iter().map(|l| l.to_vec()).collect() }
    }

    #[test]
    fn fetch_with_header_literal_and_flags() {
        let l = line(
            "* 4 FETCH (UID 17 RFC822.SIZE 2048 FLAGS (\\Seen \\Recent) BODY[HEADER.FIELDS (FROM SUBJECT)] {10}\r\n)\r\n",
            &[b"Subject: x"],
        );
        let items = parse_fetch(l).unwrap();
        assert_eq!(items.uid, Some(17));
        assert_eq!(items.size, Some(2048));
        assert_eq!(items.header.as_deref(), Some(&b"Subject: x"[..]));
        assert_eq!(items.body, None);
    }

    #[test]
    fn fetch_body_quoted_and_nil() {
        let items = parse_fetch(line("* 1 FETCH (BODY[] \"a \\\"b\\\"\" UID 3)\r\n", &[])).unwrap();
        assert_eq!(items.body.as_deref(), Some(&b"a \"b\""[..]));
        assert_eq!(items.uid, Some(3));
        let items = parse_fetch(line("* 1 FETCH (UID 3 BODY[] NIL)\r\n", &[])).unwrap();
        assert_eq!(items.body, None);
        assert!(parse_fetch(line("* 1 EXISTS\r\n", &[])).is_none());
        assert!(parse_fetch(line("* 1 FETCH (UID\r\n", &[])).is_none());
    }

    #[test]
    fn search_codes_and_capabilities() {
        assert_eq!(parse_search(&line("* SEARCH 3 5 9\r\n", &[])), Some(vec![3, 5, 9]));
        assert_eq!(parse_search(&line("* SEARCH\r\n", &[])), Some(vec![]));
        assert_eq!(response_code(&line("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n", &[]), "UIDVALIDITY"), Some("3857529045"));
        assert_eq!(response_code(&line("* OK [UIDNEXT 4] Predicted\r\n", &[]), "UIDVALIDITY"), None);
        let caps = parse_capabilities(&[line("* CAPABILITY IMAP4rev1 Move uidplus\r\n", &[])]);
        assert_eq!(caps, vec!["IMAP4REV1", "MOVE", "UIDPLUS"]);
    }

    #[test]
    fn uid_sets() {
        assert_eq!(uid_set(&[9, 1, 2, 3, 5, 10, 3]), "1:3,5,9:10");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[u32::MAX, u32::MAX - 1]), format!("{}:{}", u32::MAX - 1, u32::MAX));
    }

    #[test]
    fn mailbox_names_in_modified_utf7() {
        assert_eq!(encode_mailbox("INBOX"), "INBOX");
        assert_eq!(encode_mailbox("A&B"), "A&-B");
        // RFC 3501's example, and a Chinese folder name.
        assert_eq!(encode_mailbox("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(encode_mailbox("已处理"), "&XfJZBHQG-");
    }
}
