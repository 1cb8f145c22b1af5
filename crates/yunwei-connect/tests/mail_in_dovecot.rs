//! Mail in against a real Dovecot (Debian package dovecot-imapd) on loopback.

use encoding_rs::GB18030;
use yunwei_connect::mail_in::testing::{Dovecot, DovecotOptions};
use yunwei_connect::mail_in::{
    FetchedMail, ImapClient, ImapSecurity, MailInError, MailKind, ParsedMail, parse_mail, strip_reply_prefixes, ticket_reference,
};

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// RFC 2047 B-encoded word in GB18030, as Foxmail and Chinese webmail send.
fn gb_word(text: &str) -> String {
    format!("=?GB18030?B?{}?=", b64(&GB18030.encode(text).0))
}

fn plain_mail() -> Vec<u8> {
    concat!(
        "From: =?UTF-8?B?5byg5LiJ?= <zhang.san@bank.example>\r\n",
        "To: servicedesk@bank.example\r\n",
        "Subject: =?UTF-8?B?5qC45b+D57O757uf5p+c6Z2i5Lqk5piT57yT5oWi?=\r\n",
        "Message-ID: <plain-1@mail.bank.example>\r\n",
        "Date: Tue, 3 Mar 2026 09:15:00 +0800\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "Content-Transfer-Encoding: 8bit\r\n\r\n",
        "今天上午9点起，柜面交易明显变慢，请尽快排查。\r\n"
    )
    .as_bytes()
    .to_vec()
}

fn gb18030_mail() -> Vec<u8> {
    let mut raw = format!(
        "From: {} <li.si@bank.example>\r\nTo: servicedesk@bank.example\r\nSubject: {}\r\n\
         Message-ID: <gb-1@mail.bank.example>\r\nIn-Reply-To: <INC-000123@yunwei.bank.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=GB18030\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        gb_word("李四"),
        gb_word("回复：[INC-000123] 网银转账失败"),
    )
    .into_bytes();
    // 😀 needs GB18030's four-byte form: plain GBK could not carry it.
    raw.extend_from_slice(&GB18030.encode("转账时提示“交易超时”，已重试三次 😀\r\n").0);
    raw
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

fn attachment_mail() -> Vec<u8> {
    let log = "2026-03-03 09:15:02 交易超时 txn=88231\n";
    format!(
        "From: wang.wu@bank.example\r\nTo: servicedesk@bank.example\r\nSubject: ATM 吞卡，附截图和日志\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"=_part\"\r\n\r\n\
         --=_part\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n见附件。\r\n\
         --=_part\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename*=UTF-8''%E6%95%85%E9%9A%9C%E6%88%AA%E5%9B%BE.png\r\n\r\n{}\r\n\
         --=_part\r\nContent-Type: text/plain; charset=GB18030; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n{}\r\n--=_part--\r\n",
        b64(PNG),
        b64(&GB18030.encode(log).0),
        name = gb_word("交易日志.txt"),
    )
    .into_bytes()
}

fn auto_reply_mail() -> Vec<u8> {
    concat!(
        "From: =?UTF-8?B?6LW15YWt?= <zhao.liu@bank.example>\r\n",
        "To: servicedesk@bank.example\r\n",
        "Subject: =?UTF-8?B?6Ieq5Yqo562U5aSNOiBbSU5DLTAwMDEyM10g572R6ZO26L2s6LSm5aSx6LSl?=\r\n",
        "Auto-Submitted: auto-replied\r\n",
        "X-Auto-Response-Suppress: All\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n\r\n",
        "我正在休假，3月10日返回。\r\n"
    )
    .as_bytes()
    .to_vec()
}

fn bounce_mail() -> Vec<u8> {
    concat!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.bank.example>\r\n",
        "To: servicedesk@bank.example\r\n",
        "Subject: Undelivered Mail Returned to Sender\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"BOUND\"\r\n\r\n",
        "--BOUND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
        "<nobody@bank.example>: host mx.bank.example said: 550 5.1.1 User unknown\r\n",
        "--BOUND\r\nContent-Type: message/delivery-status\r\n\r\n",
        "Reporting-MTA: dns; mx.bank.example\r\n\r\nFinal-Recipient: rfc822; nobody@bank.example\r\nAction: failed\r\nStatus: 5.1.1\r\n",
        "--BOUND\r\nContent-Type: message/rfc822\r\n\r\n",
        "From: servicedesk@bank.example\r\nTo: nobody@bank.example\r\nSubject: [INC-000123] ticket accepted\r\n\r\nYour ticket was accepted.\r\n",
        "--BOUND--\r\n"
    )
    .as_bytes()
    .to_vec()
}

const BROKEN_MIME: &[u8] =
    b"From: chen.qi@bank.example\r\nSubject: broken\r\nContent-Type: multipart/mixed\r\n\r\nthe boundary parameter is missing\r\n";
const GARBAGE: &[u8] = b"\x7fELF\x02\x01\x01 this is a binary, not a mail \xff\xfe\x80\r\n";

fn oversize_mail() -> Vec<u8> {
    let mut raw = format!(
        "From: {} <sun.ba@bank.example>\r\nTo: servicedesk@bank.example\r\nSubject: {}\r\nContent-Type: text/plain\r\n\r\n",
        gb_word("孙八"),
        gb_word("月度报表（超大）"),
    )
    .into_bytes();
    for i in 0..2000 {
        raw.extend_from_slice(format!("line {i:05} of a very large report that nobody should download\r\n").as_bytes());
    }
    raw
}

fn parsed(mail: &FetchedMail) -> ParsedMail {
    parse_mail(mail.raw().expect("a downloaded message")).expect("parses")
}

#[tokio::test]
async fn fetches_classifies_and_marks_processed() {
    let dovecot = Dovecot::start().await;
    let oversize = oversize_mail();
    let deliveries: Vec<Vec<u8>> = vec![
        plain_mail(),
        gb18030_mail(),
        attachment_mail(),
        auto_reply_mail(),
        bounce_mail(),
        BROKEN_MIME.to_vec(),
        GARBAGE.to_vec(),
        oversize.clone(),
    ];
    for raw in &deliveries {
        dovecot.deliver(raw).await;
    }
    let mut settings = dovecot.settings();
    settings.max_message_bytes = 64 * 1024;
    let mut client = ImapClient::connect(&settings).await.unwrap();
    let validity = client.uid_validity();
    assert_ne!(validity, 0);
    let mails = client.fetch_new().await.unwrap();
    assert_eq!(mails.len(), 8, "{mails:?}");
    assert!(mails.iter().all(|m| m.uid_validity() == validity));
    let uids: Vec<u32> = mails.iter().map(FetchedMail::uid).collect();
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "oldest first: {uids:?}");
    // The server hands back exactly what was delivered.
    for (mail, raw) in mails.iter().zip(&deliveries).take(7) {
        assert_eq!(mail.raw(), Some(raw.as_slice()));
        assert_eq!(mail.size(), Some(raw.len() as u64));
    }

    let plain = parsed(&mails[0]);
    assert_eq!(plain.kind, MailKind::Normal);
    assert_eq!(plain.from.address, "zhang.san@bank.example");
    assert_eq!(plain.from.name.as_deref(), Some("张三"));
    assert_eq!(plain.subject, "核心系统柜面交易缓慢");
    assert_eq!(plain.text.trim(), "今天上午9点起，柜面交易明显变慢，请尽快排查。");
    assert_eq!(plain.message_id.as_deref(), Some("plain-1@mail.bank.example"));
    assert_eq!(ticket_reference(&plain.subject), None);

    let gb = parsed(&mails[1]);
    assert_eq!(gb.kind, MailKind::Normal);
    assert_eq!(gb.from.name.as_deref(), Some("李四"));
    assert_eq!(gb.subject, "回复：[INC-000123] 网银转账失败");
    assert_eq!(ticket_reference(&gb.subject), Some(("INC".into(), 123)));
    assert_eq!(strip_reply_prefixes(&gb.subject), "[INC-000123] 网银转账失败");
    assert_eq!(gb.text.trim(), "转账时提示“交易超时”，已重试三次 😀");
    assert_eq!(gb.in_reply_to, vec!["INC-000123@yunwei.bank.example"]);

    let att = parsed(&mails[2]);
    assert_eq!(att.kind, MailKind::Normal);
    assert_eq!(att.subject, "ATM 吞卡，附截图和日志");
    assert_eq!(att.text.trim(), "见附件。");
    assert_eq!(att.attachments.len(), 2);
    assert_eq!(att.attachments[0].filename, "故障截图.png");
    assert_eq!(att.attachments[0].content_type, "image/png");
    assert_eq!(att.attachments[0].content, PNG);
    assert_eq!(att.attachments[1].filename, "交易日志.txt");
    // Bytes are kept as sent (GB18030 here), not re-encoded.
    assert_eq!(att.attachments[1].content, GB18030.encode("2026-03-03 09:15:02 交易超时 txn=88231\n").0.as_ref());

    let auto = parsed(&mails[3]);
    assert_eq!(auto.kind, MailKind::AutoReply);
    assert!(auto.kind_reason.as_deref().unwrap().contains("Auto-Submitted"), "{:?}", auto.kind_reason);
    assert_eq!(auto.subject, "自动答复: [INC-000123] 网银转账失败");

    let bounce = parsed(&mails[4]);
    assert_eq!(bounce.kind, MailKind::Bounce);
    assert!(bounce.kind_reason.as_deref().unwrap().contains("delivery-status"), "{:?}", bounce.kind_reason);
    assert!(bounce.text.contains("550 5.1.1 User unknown"));
    let original = bounce.attachments.iter().find(|a| a.content_type == "message/rfc822").expect("original kept");
    assert!(original.filename.ends_with(".eml"));
    assert!(String::from_utf8_lossy(&original.content).contains("Subject: [INC-000123] ticket accepted"));

    let broken = parse_mail(mails[5].raw().unwrap()).unwrap_err();
    assert!(broken.reason.contains("multipart/mixed without a boundary"), "{}", broken.reason);
    let garbage = parse_mail(mails[6].raw().unwrap()).unwrap_err();
    assert!(garbage.reason.contains("no header fields"), "{}", garbage.reason);

    match &mails[7] {
        FetchedMail::Oversize { size, subject, from, .. } => {
            assert_eq!(*size, oversize.len() as u64);
            assert!(*size > 64 * 1024);
            assert_eq!(subject.as_deref(), Some("月度报表（超大）"));
            assert_eq!(from.as_deref(), Some("孙八 <sun.ba@bank.example>"));
        }
        other => panic!("expected oversize, got {other:?}"),
    }
    assert_eq!(mails[7].raw(), None);

    client.mark_processed(validity, &uids).await.unwrap();
    assert!(client.fetch_new().await.unwrap().is_empty());
    client.logout().await.unwrap();
    // A new session agrees, and nothing was deleted from the server.
    let mut again = ImapClient::connect(&settings).await.unwrap();
    assert!(again.fetch_new().await.unwrap().is_empty());
    assert_eq!(again.uid_validity(), validity);
    assert_eq!(dovecot.message_count("INBOX"), 8);
}

#[tokio::test]
async fn unmarked_mail_comes_back_until_marked() {
    let dovecot = Dovecot::start().await;
    dovecot.deliver(&plain_mail()).await;
    let settings = dovecot.settings();
    let first = ImapClient::connect(&settings).await.unwrap().fetch_new().await.unwrap();
    assert_eq!(first.len(), 1);
    // The poller "crashed" before mark_processed: the next session sees the same message.
    let mut client = ImapClient::connect(&settings).await.unwrap();
    let second = client.fetch_new().await.unwrap();
    assert_eq!(second, first);
    let err = client.mark_processed(first[0].uid_validity().wrapping_add(1), &[first[0].uid()]).await.unwrap_err();
    assert!(matches!(err, MailInError::UidValidityChanged { .. }), "{err}");
    assert_eq!(client.fetch_new().await.unwrap().len(), 1, "a refused mark changes nothing");
    client.mark_processed(first[0].uid_validity(), &[first[0].uid()]).await.unwrap();
    assert!(client.fetch_new().await.unwrap().is_empty());
    client.mark_processed(first[0].uid_validity(), &[]).await.unwrap();
}

#[tokio::test]
async fn a_message_the_server_cannot_read_does_not_block_the_others() {
    use std::os::unix::fs::PermissionsExt;
    let dovecot = Dovecot::start().await;
    dovecot.deliver(&plain_mail()).await;
    let files = dovecot.message_files("INBOX");
    assert_eq!(files.len(), 1);
    // Damage it on the server: Dovecot can no longer read the file.
    std::fs::set_permissions(&files[0], std::fs::Permissions::from_mode(0o000)).unwrap();
    dovecot.deliver(&gb18030_mail()).await;

    let mut client = ImapClient::connect(&dovecot.settings()).await.unwrap();
    let mails = client.fetch_new().await.unwrap();
    assert_eq!(mails.len(), 2, "{mails:?}");
    match &mails[0] {
        // Dovecot hangs up on this one; the client reconnects and moves on.
        FetchedMail::Unreadable { reason, .. } => assert!(reason.contains("hangs up") && reason.contains("Internal error"), "{reason}"),
        other => panic!("expected unreadable, got {other:?}"),
    }
    assert_eq!(parsed(&mails[1]).subject, "回复：[INC-000123] 网银转账失败");
    let uids: Vec<u32> = mails.iter().map(FetchedMail::uid).collect();
    client.mark_processed(client.uid_validity(), &uids).await.unwrap();
    assert!(client.fetch_new().await.unwrap().is_empty());
    assert_eq!(dovecot.message_count("INBOX"), 2, "kept on the server");
}

#[tokio::test]
async fn processed_mailbox_receives_mail_even_if_already_read() {
    let dovecot = Dovecot::start().await;
    dovecot.deliver(&plain_mail()).await;
    dovecot.deliver(&gb18030_mail()).await;
    // A person reads the first mail in webmail before the poller gets to it.
    let mut reader = ImapClient::connect(&dovecot.settings()).await.unwrap();
    let seen = reader.fetch_new().await.unwrap();
    reader.mark_processed(seen[0].uid_validity(), &[seen[0].uid()]).await.unwrap();
    reader.logout().await.unwrap();

    let mut settings = dovecot.settings();
    settings.processed_mailbox = Some("已处理".into());
    let mut client = ImapClient::connect(&settings).await.unwrap();
    let mails = client.fetch_new().await.unwrap();
    let subjects: Vec<String> = mails.iter().map(|m| parsed(m).subject).collect();
    assert_eq!(subjects, vec!["核心系统柜面交易缓慢", "回复：[INC-000123] 网银转账失败"]);
    let uids: Vec<u32> = mails.iter().map(FetchedMail::uid).collect();
    client.mark_processed(client.uid_validity(), &uids).await.unwrap();
    assert!(client.fetch_new().await.unwrap().is_empty());
    assert_eq!(dovecot.message_count("INBOX"), 0);
    assert_eq!(dovecot.message_count("已处理"), 2);
    // Reconnecting with the folder already present works too.
    let mut again = ImapClient::connect(&settings).await.unwrap();
    assert!(again.fetch_new().await.unwrap().is_empty());
}

#[tokio::test]
async fn batches_and_mail_arriving_mid_session() {
    let dovecot = Dovecot::start().await;
    let mut settings = dovecot.settings();
    settings.batch_size = 2;
    let mut client = ImapClient::connect(&settings).await.unwrap();
    assert!(client.fetch_new().await.unwrap().is_empty());
    for raw in [plain_mail(), gb18030_mail(), attachment_mail()] {
        dovecot.deliver(&raw).await;
    }
    let batch = client.fetch_new().await.unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(parsed(&batch[0]).subject, "核心系统柜面交易缓慢");
    let uids: Vec<u32> = batch.iter().map(FetchedMail::uid).collect();
    client.mark_processed(client.uid_validity(), &uids).await.unwrap();
    let rest = client.fetch_new().await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(parsed(&rest[0]).subject, "ATM 吞卡，附截图和日志");
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let dovecot = Dovecot::start().await;
    let mut settings = dovecot.settings();
    settings.password = "wrong".into();
    let err = ImapClient::connect(&settings).await.unwrap_err();
    assert!(matches!(err, MailInError::Auth(_)), "{err}");
    assert!(!err.is_transient());
    assert!(!format!("{err} {settings:?}").contains("Imap#Test2026"));
}

#[tokio::test]
async fn starttls_and_implicit_tls_with_an_internal_ca() {
    let dovecot = Dovecot::start_with(DovecotOptions { tls: true }).await;
    dovecot.deliver(&gb18030_mail()).await;
    for security in [ImapSecurity::Starttls, ImapSecurity::Tls] {
        let settings = dovecot.tls_settings(security);
        let mut client = ImapClient::connect(&settings).await.unwrap_or_else(|e| panic!("{security:?}: {e}\n{}", dovecot.log()));
        let mails = client.fetch_new().await.unwrap();
        assert_eq!(parsed(&mails[0]).subject, "回复：[INC-000123] 网银转账失败", "{security:?}");
        client.logout().await.unwrap();

        // Without the internal CA the certificate is not trusted.
        let mut untrusted = settings.clone();
        untrusted.tls_ca_file = None;
        let err = ImapClient::connect(&untrusted).await.unwrap_err();
        assert!(matches!(err, MailInError::Tls(_)), "{security:?}: {err}");
    }
}
