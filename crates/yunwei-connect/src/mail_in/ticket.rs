//! Ticket numbers in subjects (`[INC-000123]`) and Message-IDs, both ways:
//! outgoing notifications carry the tag, incoming replies are matched by it.

/// `[INC-000123]`: the tag to put in outgoing subjects (at least six digits).
pub fn ticket_tag(prefix: &str, number: u64) -> String {
    format!("[{}-{number:06}]", prefix.to_ascii_uppercase())
}

/// `[INC-000123] subject`, unless the subject already carries that ticket.
pub fn tag_subject(prefix: &str, number: u64, subject: &str) -> String {
    if ticket_reference(subject).is_some_and(|(p, n)| p.eq_ignore_ascii_case(prefix) && n == number) {
        return subject.to_string();
    }
    format!("{} {}", ticket_tag(prefix, number), subject.trim())
}

/// Reply and forward prefixes of the usual clients, English and Chinese.
const REPLY_PREFIXES: &[&str] = &["re", "aw", "fw", "fwd", "回复", "答复", "转发", "回覆", "轉寄"];

/// The subject without any leading `Re: 回复: 答复: Fwd: 转发:` chain (ASCII or
/// full-width colon, any case, `Re[2]:` too): the title for a new ticket.
pub fn strip_reply_prefixes(subject: &str) -> &str {
    let mut s = subject.trim_start();
    'outer: loop {
        for p in REPLY_PREFIXES {
            let Some(head) = s.get(..p.len()) else { continue };
            if !head.eq_ignore_ascii_case(p) {
                continue;
            }
            let mut rest = &s[p.len()..];
            // Outlook's counted form: `RE[2]:`.
            if let Some(after) = rest.strip_prefix('[')
                && let Some(close) = after.find(']')
                && after[..close].chars().all(|c| c.is_ascii_digit())
            {
                rest = &after[close + 1..];
            }
            let rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：')) {
                s = after.trim_start();
                continue 'outer;
            }
        }
        return s.trim_end();
    }
}

/// Finds the first ticket tag in a subject: `[INC-000123]`, `【REQ-45】`, also
/// with full-width brackets, hyphen or digits, after any `Re:`/`回复:` chain.
/// Returns the upper-cased prefix and the number.
pub fn ticket_reference(subject: &str) -> Option<(String, u64)> {
    // Full-width ASCII forms (［ＩＮＣ－０１］) as typed by Chinese input methods.
    let folded: String = subject
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '【' | '〔' => '[',
            '】' | '〕' => ']',
            _ => c,
        })
        .collect();
    let mut rest = folded.as_str();
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        if let Some(found) = parse_tag(&rest[..close]) {
            return Some(found);
        }
    }
    None
}

/// `INC-000123` (inside the brackets, spaces allowed around it).
fn parse_tag(inner: &str) -> Option<(String, u64)> {
    let (prefix, digits) = inner.trim().split_once('-')?;
    let prefix_ok = (2..=10).contains(&prefix.len()) && prefix.chars().all(|c| c.is_ascii_alphabetic());
    let digits_ok = !digits.is_empty() && digits.len() <= 19 && digits.chars().all(|c| c.is_ascii_digit());
    if !prefix_ok || !digits_ok {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    (number > 0).then(|| (prefix.to_ascii_uppercase(), number))
}

/// The ticket a reply belongs to from its In-Reply-To/References, when our
/// notifications were sent with a thread id of the form `INC-000123` (see
/// [`crate::mail::OutgoingMail::thread_id`]): `INC-000123@host` or
/// `INC-000123.anything@host`. Catches replies whose subject lost the tag.
/// The most recent reference (last) wins.
pub fn ticket_reference_in_ids(ids: &[String]) -> Option<(String, u64)> {
    ids.iter().rev().find_map(|id| {
        let local = id.trim().trim_start_matches('<').split('@').next()?;
        parse_tag(local.split('.').next()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Option<(String, u64)> {
        ticket_reference(s)
    }

    fn inc(n: u64) -> Option<(String, u64)> {
        Some(("INC".into(), n))
    }

    #[test]
    fn finds_tags_behind_reply_chains() {
        assert_eq!(r("[INC-000123] 核心系统慢"), inc(123));
        assert_eq!(r("Re: [INC-000123] 核心系统慢"), inc(123));
        assert_eq!(r("回复: 答复: RE: Fwd: 转发：[INC-000123] x"), inc(123));
        assert_eq!(r("RE: 核心系统慢 [REQ-000045]"), Some(("REQ".into(), 45)));
        assert_eq!(r("【INC-000123】网银无法登录"), inc(123));
        assert_eq!(r("回复：［ＩＮＣ－０００１２３］"), inc(123));
        assert_eq!(r("[ inc-42 ]"), inc(42));
        assert_eq!(r("[INC-1234567890123]"), inc(1234567890123));
    }

    #[test]
    fn first_valid_tag_wins() {
        assert_eq!(r("[外部] [INC-000200] 回复: [INC-000123]"), inc(200));
        assert_eq!(r("[INC-] [INC-000007]"), inc(7));
    }

    #[test]
    fn rejects_non_tags() {
        for s in [
            "",
            "核心系统慢",
            "INC-000123 without brackets",
            "[INC000123]",
            "[INC-00A123]",
            "[INC-000000]",
            "[I-000123]",
            "[TOOLONGPREFIX-1]",
            "[INC-99999999999999999999]",
            "[INC-000123",
            "[信息-000123]",
            "[INC-12-3]",
        ] {
            assert_eq!(r(s), None, "{s}");
        }
    }

    #[test]
    fn tags_round_trip() {
        assert_eq!(ticket_tag("inc", 123), "[INC-000123]");
        assert_eq!(ticket_tag("REQ", 1234567), "[REQ-1234567]");
        assert_eq!(tag_subject("INC", 123, " 核心系统慢"), "[INC-000123] 核心系统慢");
        assert_eq!(tag_subject("INC", 123, "Re: [INC-000123] x"), "Re: [INC-000123] x");
        assert_eq!(r(&tag_subject("REQ", 45, "申请开通VPN")), Some(("REQ".into(), 45)));
    }

    #[test]
    fn strips_reply_chains() {
        assert_eq!(strip_reply_prefixes("Re: 回复: 答复：RE[2]: Fwd: 转发: 核心系统慢 "), "核心系统慢");
        assert_eq!(strip_reply_prefixes("AW: Reboot"), "Reboot");
        assert_eq!(strip_reply_prefixes("Regarding the VPN"), "Regarding the VPN");
        assert_eq!(strip_reply_prefixes("回复"), "回复");
        assert_eq!(strip_reply_prefixes("Re:"), "");
    }

    #[test]
    fn references_carry_the_ticket() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(ticket_reference_in_ids(&ids(&["abc@mail.example", "INC-000123@yunwei.bank.example"])), inc(123));
        assert_eq!(ticket_reference_in_ids(&ids(&["<REQ-000045.7@yunwei>"])), Some(("REQ".into(), 45)));
        assert_eq!(ticket_reference_in_ids(&ids(&["INC-000001@a", "INC-000002@a"])), inc(2));
        assert_eq!(ticket_reference_in_ids(&ids(&["20260301.abc@mail", "x@y"])), None);
        assert_eq!(ticket_reference_in_ids(&[]), None);
    }
}
