//! Raw message → [`ParsedMail`] (mail-parser does the MIME work, including
//! RFC 2047/2231 and the GB18030/GBK/GB2312 charsets Chinese clients use).

use mail_parser::{Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAddress {
    /// As written, e.g. `zhang.san@bank.example`; compare case-insensitively.
    pub address: String,
    /// Decoded display name, e.g. `张三`.
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Normal,
    /// Out-of-office, autoresponder, read receipt, another system's notice:
    /// record it, never answer it (mail loops).
    AutoReply,
    /// Delivery failure report: record it, never answer it.
    Bounce,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Decoded and made safe to use as a file name (no path, no control characters).
    pub filename: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: MailAddress,
    pub reply_to: Option<MailAddress>,
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    /// Decoded; empty when the mail has none.
    pub subject: String,
    pub date: Option<jiff::Timestamp>,
    /// The text/plain body, or the HTML body reduced to text when there is no plain one.
    pub text: String,
    pub text_from_html: bool,
    pub attachments: Vec<Attachment>,
    pub kind: MailKind,
    /// Which rule made it an auto-reply or bounce, for the record.
    pub kind_reason: Option<String>,
}

/// A message that cannot become a ticket. Keep the raw bytes with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed mail: {reason}")]
pub struct MalformedMail {
    pub reason: String,
}

fn malformed(reason: impl Into<String>) -> MalformedMail {
    MalformedMail { reason: reason.into() }
}

/// Parses one RFC 5322 message. Never panics; anything that cannot be read as
/// a mail with a sender comes back as [`MalformedMail`].
pub fn parse_mail(raw: &[u8]) -> Result<ParsedMail, MalformedMail> {
    if raw.is_empty() {
        return Err(malformed("empty message"));
    }
    // mail-parser is panic-free by design; the guard keeps a bug there from
    // taking the poller down with it.
    match std::panic::catch_unwind(|| parse_inner(raw)) {
        Ok(result) => result,
        Err(_) => Err(malformed("the MIME parser failed on this message")),
    }
}

fn parse_inner(raw: &[u8]) -> Result<ParsedMail, MalformedMail> {
    if !raw_starts_with_header(raw) {
        return Err(malformed("no header fields: not an e-mail message"));
    }
    let msg = MessageParser::default().parse(raw).ok_or_else(|| malformed("no message could be read"))?;
    if msg.headers().is_empty() {
        return Err(malformed("no header fields: not an e-mail message"));
    }
    check_mime(&msg)?;
    let from = first_address(msg.from()).or_else(|| first_address(msg.sender())).ok_or_else(|| malformed("no sender address (From)"))?;
    let (kind, kind_reason) = super::classify::classify(&msg, &from.address);
    let (text, text_from_html) = body_text(&msg);
    Ok(ParsedMail {
        message_id: msg.message_id().map(str::to_string),
        in_reply_to: id_list(msg.in_reply_to()),
        references: id_list(msg.references()),
        reply_to: first_address(msg.reply_to()),
        to: msg.all_to().flat_map(addresses).collect(),
        cc: msg.all_cc().flat_map(addresses).collect(),
        subject: msg.subject().map(|s| s.trim().to_string()).unwrap_or_default(),
        date: msg.date().filter(|d| d.is_valid()).and_then(|d| jiff::Timestamp::from_second(d.to_timestamp()).ok()),
        text,
        text_from_html,
        attachments: msg.attachments().enumerate().map(|(i, part)| attachment(raw, i + 1, part)).collect(),
        from,
        kind,
        kind_reason,
    })
}

/// The first line must look like `Name: value` (or an mbox `From ` line):
/// binary junk or a bare text file is not a mail even if a parser copes.
fn raw_starts_with_header(raw: &[u8]) -> bool {
    let first = raw.split(|&b| b == b'\n').next().unwrap_or_default();
    if first.starts_with(b"From ") {
        return true;
    }
    match first.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => first[..colon].iter().all(|&b| b.is_ascii_graphic()),
        _ => false,
    }
}

/// A multipart whose boundary is missing or never appears comes out of the
/// parser as a leaf: its parts (and attachments) would be silently lost.
fn check_mime(msg: &Message<'_>) -> Result<(), MalformedMail> {
    for part in &msg.parts {
        let multipart_type = part.content_type().filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"));
        if let Some(ct) = multipart_type {
            let subtype = ct.subtype().unwrap_or("?");
            match &part.body {
                PartType::Multipart(children) if !children.is_empty() => {}
                _ if ct.attribute("boundary").is_none() => {
                    return Err(malformed(format!("broken MIME: multipart/{subtype} without a boundary")));
                }
                _ => return Err(malformed(format!("broken MIME: the multipart/{subtype} boundary never appears"))),
            }
        }
    }
    Ok(())
}

fn addresses(a: &Address<'_>) -> Vec<MailAddress> {
    a.iter()
        .filter_map(|addr| {
            let address = addr.address()?.trim();
            (!address.is_empty()).then(|| MailAddress {
                address: address.to_string(),
                name: addr.name().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string),
            })
        })
        .collect()
}

fn first_address(a: Option<&Address<'_>>) -> Option<MailAddress> {
    a.and_then(|a| addresses(a).into_iter().next())
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn body_text(msg: &Message<'_>) -> (String, bool) {
    let Some(&index) = msg.text_body.first() else {
        return (String::new(), false);
    };
    let from_html = matches!(msg.parts.get(index as usize).map(|p| &p.body), Some(PartType::Html(_)));
    (msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(), from_html)
}

fn attachment(raw: &[u8], n: usize, part: &MessagePart<'_>) -> Attachment {
    let content_type = part
        .content_type()
        .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")).to_ascii_lowercase())
        .unwrap_or_else(|| "application/octet-stream".into());
    let content = match &part.body {
        // A forwarded or bounced mail: keep it whole, as an .eml file.
        PartType::Message(inner) => inner.raw_message().to_vec(),
        // The parser turns text into UTF-8; a file is kept in its own charset.
        PartType::Text(_) | PartType::Html(_) => original_bytes(raw, part).unwrap_or_else(|| part.contents().to_vec()),
        _ => part.contents().to_vec(),
    };
    let fallback = if content_type == "message/rfc822" { format!("message-{n}.eml") } else { format!("attachment-{n}.bin") };
    let filename = part.attachment_name().map(safe_filename).filter(|f| !f.is_empty()).unwrap_or(fallback);
    Attachment { filename, content_type, content }
}

/// The body of a part with only the transfer encoding undone.
fn original_bytes(raw: &[u8], part: &MessagePart<'_>) -> Option<Vec<u8>> {
    use mail_parser::decoders::{base64::base64_decode, quoted_printable::quoted_printable_decode};
    let body = raw.get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)?;
    match part.content_transfer_encoding().map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        Some("base64") => base64_decode(body),
        Some("quoted-printable") => quoted_printable_decode(body),
        _ => Some(body.to_vec()),
    }
}

/// Keeps the last path component, drops control characters and characters
/// Windows forbids, and caps the length, so the name can be shown and saved.
pub(crate) fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        last.chars().filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|')).take(200).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    trimmed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ParsedMail, MalformedMail> {
        parse_mail(s.as_bytes())
    }

    #[test]
    fn plain_utf8_mail() {
        let m = parse(concat!(
            "From: =?UTF-8?B?5byg5LiJ?= <zhang.san@bank.example>\r\n",
            "To: servicedesk@bank.example, \"李四\" <li.si@bank.example>\r\n",
            "Cc: ops@bank.example\r\n",
            "Subject: =?UTF-8?Q?=E6=A0=B8=E5=BF=83=E7=B3=BB=E7=BB=9F=E6=85=A2?=\r\n",
            "Message-ID: <abc@mail.bank.example>\r\n",
            "In-Reply-To: <INC-000123@yunwei.bank.example>\r\n",
            "References: <x@a> <INC-000123@yunwei.bank.example>\r\n",
            "Date: Tue, 3 Mar 2026 09:15:00 +0800\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n\r\n",
            "柜面系统登录很慢。\r\n"
        ))
        .unwrap();
        assert_eq!(m.from, MailAddress { address: "zhang.san@bank.example".into(), name: Some("张三".into()) });
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.to[1].name.as_deref(), Some("李四"));
        assert_eq!(m.cc[0].address, "ops@bank.example");
        assert_eq!(m.subject, "核心系统慢");
        assert_eq!(m.message_id.as_deref(), Some("abc@mail.bank.example"));
        assert_eq!(m.in_reply_to, vec!["INC-000123@yunwei.bank.example"]);
        assert_eq!(m.references, vec!["x@a", "INC-000123@yunwei.bank.example"]);
        assert_eq!(m.date.map(|d| d.as_second()), Some(1772500500));
        assert_eq!(m.text.trim(), "柜面系统登录很慢。");
        assert!(!m.text_from_html);
        assert_eq!(m.kind, MailKind::Normal);
        assert!(m.attachments.is_empty());
    }

    #[test]
    fn html_only_becomes_text_without_script() {
        let m = parse(concat!(
            "From: a@bank.example\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n",
            "<html><head><script>alert('x')</script><style>p{color:red}</style></head>",
            "<body><p>网银 &amp; 手机银行</p><br>无法登录</body></html>\r\n"
        ))
        .unwrap();
        assert!(m.text_from_html);
        assert!(m.text.contains("网银 & 手机银行"), "{:?}", m.text);
        assert!(m.text.contains("无法登录"));
        assert!(!m.text.contains("alert") && !m.text.contains('<') && !m.text.contains("color"), "{:?}", m.text);
    }

    #[test]
    fn alternative_prefers_plain() {
        let m = parse(concat!(
            "From: a@bank.example\r\nSubject: alt\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n",
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n",
            "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html version</p>\r\n--b--\r\n"
        ))
        .unwrap();
        assert_eq!(m.text.trim(), "plain version");
        assert!(!m.text_from_html);
    }

    #[test]
    fn gbk_and_rfc2231_attachment_names() {
        let m = parse(concat!(
            "From: a@bank.example\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n",
            "--b\r\nContent-Type: application/pdf; name=\"=?GBK?B?sai45g==?=.pdf\"\r\n",
            "Content-Disposition: attachment; filename=\"=?GBK?B?sai45g==?=.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n",
            "--b\r\nContent-Type: text/plain\r\n",
            "Content-Disposition: attachment; filename*=UTF-8''%E6%97%A5%E5%BF%97.txt\r\n\r\nlog line\r\n",
            "--b\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            "Content-Disposition: attachment; filename=\"gbk.txt\"\r\n\r\n=C4=E3=BA=C3\r\n",
            "--b\r\nContent-Type: application/octet-stream\r\n",
            "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nx\r\n--b--\r\n"
        ))
        .unwrap();
        let names: Vec<_> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(names, vec!["报告.pdf", "日志.txt", "gbk.txt", "passwd"]);
        assert_eq!(m.attachments[0].content_type, "application/pdf");
        assert_eq!(m.attachments[0].content, b"%PDF");
        assert_eq!(m.attachments[1].content, b"log line");
        // 你好 in GBK, kept as GBK bytes.
        assert_eq!(m.attachments[2].content, b"\xc4\xe3\xba\xc3");
        assert_eq!(m.text.trim(), "see attached");
    }

    #[test]
    fn malformed_inputs_are_reported_not_panicked() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"\xff\xfe\x00garbage\r\n\x01\x02", "no header"),
            (b"just a text file\r\n\r\nwith lines", "no header"),
            (b"Subject: no sender\r\n\r\nbody", "no sender"),
            (b"From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\nbody", "without a boundary"),
            (b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nno parts", "never appears"),
        ];
        for (raw, want) in cases {
            let err = parse_mail(raw).unwrap_err();
            assert!(err.reason.contains(want), "{raw:?}: {}", err.reason);
        }
    }

    #[test]
    fn lenient_where_nothing_is_lost() {
        // Bare LF line ends and an mbox separator line are common in exports.
        let m = parse("From a@b Mon Jan  1 00:00:00 2026\nFrom: a@b.example\nSubject: lf\n\nbody\n").unwrap();
        assert_eq!(m.subject, "lf");
        assert_eq!(m.text.trim(), "body");
    }

    #[test]
    fn truncated_and_mangled_mail_never_panics() {
        let mail = concat!(
            "From: =?GB18030?B?wO7LxA==?= <a@bank.example>\r\nSubject: =?UTF-8?Q?=E6=A0=B8?= x\r\n",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=gb18030\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>=C4=E3</p>\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n",
            "From: b@c\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n",
            "--b\r\nContent-Disposition: attachment; filename*0*=gb18030''%C4%E3; filename*1=.txt\r\n",
            "Content-Transfer-Encoding: base64\r\n\r\nxOM=\r\n--b--\r\n"
        )
        .as_bytes();
        let check = |raw: &[u8]| {
            if let Err(e) = parse_mail(raw) {
                assert_ne!(e.reason, "the MIME parser failed on this message", "{raw:?}");
            }
        };
        for len in 0..mail.len() {
            check(&mail[..len]);
        }
        for pos in 0..mail.len() {
            for b in [0u8, b'\n', b'=', b'-', b'"', 0xff] {
                let mut mangled = mail.to_vec();
                mangled[pos] = b;
                check(&mangled);
            }
        }
        let whole = parse_mail(mail).unwrap();
        assert_eq!(whole.from.name.as_deref(), Some("李四"));
        assert_eq!(whole.attachments.iter().find(|a| a.filename == "你.txt").map(|a| a.content.clone()), Some(b"\xc4\xe3".to_vec()));
    }

    #[test]
    fn filenames_are_made_safe() {
        assert_eq!(safe_filename("C:\\Users\\x\\报表.xlsx"), "报表.xlsx");
        assert_eq!(safe_filename("a\u{0}b\r\n.txt"), "ab.txt");
        assert_eq!(safe_filename("..."), "");
        assert_eq!(safe_filename(".bashrc"), "bashrc");
        assert_eq!(safe_filename(&"长".repeat(500)).chars().count(), 200);
    }
}
