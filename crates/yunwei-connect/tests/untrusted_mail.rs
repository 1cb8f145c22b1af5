//! Mail in reads what strangers send: arbitrary bytes as a message, arbitrary
//! subjects and Message-IDs must never panic, and the ticket tags we write must
//! be read back.

use proptest::prelude::*;
use yunwei_connect::mail_in::{parse_mail, strip_reply_prefixes, tag_subject, ticket_reference, ticket_reference_in_ids, ticket_tag};

/// Header-and-MIME-shaped text, so generated input reaches the body parser.
fn mail_text() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop::sample::select(vec![
        "From: ",
        "To: ",
        "Subject: ",
        "Content-Type: ",
        "multipart/mixed; boundary=\"b\"",
        "text/plain; charset=gb18030",
        "Content-Transfer-Encoding: ",
        "base64",
        "quoted-printable",
        "=?GB18030?B?",
        "?=",
        "=?utf-8?Q?=E4=BD",
        "\r\n",
        "\n",
        "--b",
        "--b--",
        "a@b.example",
        "<x@y>",
        "张三",
        "=",
        "==",
        "Auto-Submitted: auto-replied",
        "Content-Disposition: attachment; filename=",
        "\u{202e}",
        ":",
        " ",
        "\u{0}",
    ]);
    prop::collection::vec(piece, 0..80).prop_map(|v| v.concat().into_bytes())
}

fn subjects() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "[",
        "]",
        "【",
        "】",
        "［",
        "］",
        "INC",
        "ｉｎｃ",
        "-",
        "－",
        "0",
        "０",
        "9",
        "Re:",
        "回复：",
        "RE[2]:",
        " ",
        "é",
        "\u{0}",
        "99999999999999999999",
    ]);
    prop::collection::vec(piece, 0..30).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_are_a_mail_or_malformed(raw in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_mail(&raw);
    }

    #[test]
    fn mime_shaped_bytes_are_a_mail_or_malformed(raw in mail_text()) {
        let _ = parse_mail(&raw);
    }

    #[test]
    fn arbitrary_subjects_never_panic(subject in any::<String>(), tagged in subjects()) {
        for s in [&subject, &tagged] {
            let _ = ticket_reference(s);
            let stripped = strip_reply_prefixes(s);
            prop_assert!(s.contains(stripped));
            let _ = ticket_reference_in_ids(std::slice::from_ref(s));
        }
    }

    #[test]
    fn a_tag_we_write_is_read_back(number in 1u64..10_000_000_000, subject in "\\PC{0,40}", prefix in "INC|REQ|CHG|inc") {
        let tagged = tag_subject(&prefix, number, &subject);
        prop_assert_eq!(ticket_reference(&tagged), Some((prefix.to_ascii_uppercase(), number)));
        prop_assert!(tagged.starts_with(&ticket_tag(&prefix, number)) || ticket_reference(&subject).is_some());
        let thread = format!("<{}.7@desk.example>", ticket_tag(&prefix, number).trim_matches(['[', ']']));
        prop_assert_eq!(ticket_reference_in_ids(&[thread]), Some((prefix.to_ascii_uppercase(), number)));
    }
}
