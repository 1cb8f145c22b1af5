//! Mail in end to end: a real Dovecot on loopback, the server's poller, tickets.

use serde_json::json;
use yunwei_core::CoreConfig;
use yunwei_core::mail_in::{AddressRule, MailInSettings};
use yunwei_domain::incident::Level;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::imap::Dovecot;
use yunwei_testkit::{Options, spawn_app, spawn_app_with};

fn mail(from: &str, to: &str, subject: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@mail.bank.example>\r\n{extra_headers}MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        subject.len() * 7919 + body.len()
    )
    .into_bytes()
}

fn with_attachment(from: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: servicedesk@bank.example\r\nSubject: {subject}\r\nMessage-ID: <att-1@mail.bank.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n见附件日志。\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename*=UTF-8''%E6%97%A5%E5%BF%97.txt\r\n\r\n\
         2026-11-20 09:20 ORA-12516\r\n--b1--\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn mail_opens_incidents_threads_replies_and_ignores_loops() {
    let dovecot = Dovecot::start().await;
    let mut imap = dovecot.settings();
    imap.max_message_bytes = 64 * 1024;
    let settings = MailInSettings {
        imap,
        poll_seconds: 3600,
        own_addresses: vec!["yunwei@bank.example".into()],
        rules: vec![AddressRule {
            to: "netops@bank.example".into(),
            category_id: None,
            service_id: None,
            impact: Level::High,
            urgency: Level::High,
        }],
    };
    let app =
        spawn_app_with(Options { config: Some(CoreConfig { mail_in: Some(settings), ..Default::default() }), ..Default::default() }).await;
    let (teller_id, teller) = app.user_with_roles("teller.mail", &["business_user"]).await;
    let (_, desk) = app.user_with_roles("desk.mail", &["ops_director"]).await;
    let teller_address = "teller.mail@bank.example";

    dovecot
        .deliver(&mail(
            &format!("何柜员 <{teller_address}>"),
            "servicedesk@bank.example",
            "网银登录失败",
            "",
            "客户无法登录网银，提示证书错误。",
        ))
        .await;
    dovecot.deliver(&mail("王行长 <wang@branch.example>", "netops@bank.example", "分行网络中断", "", "分行整体断网。")).await;
    dovecot
        .deliver(&mail(
            "Out of office <boss@bank.example>",
            "servicedesk@bank.example",
            "自动回复: 网银登录失败",
            "Auto-Submitted: auto-replied\r\n",
            "我在休假。",
        ))
        .await;
    dovecot.deliver(&mail("运维平台 <yunwei@bank.example>", "servicedesk@bank.example", "[INC-000001] 新事件", "", "loop")).await;
    dovecot.deliver(b"this is not a mail at all \xff\xfe").await;
    dovecot.deliver(&mail("big@bank.example", "servicedesk@bank.example", "大邮件", "", &"很长".repeat(40_000))).await;
    dovecot.deliver(&with_attachment(teller_address, "数据库报错")).await;

    let report = desk.post("/api/v1/inbound-mails/poll", &json!({})).await;
    assert_eq!(report.status, 200, "{}", report.text());
    let r = report.json();
    assert_eq!(r["fetched"], 7);
    assert_eq!(r["incidents_created"], 3);
    assert_eq!(r["ignored"], 4);
    assert_eq!(r["failed"], 0);

    let mails = desk.get("/api/v1/inbound-mails").await.json();
    let statuses: Vec<String> =
        mails["items"].as_array().unwrap().iter().rev().map(|m| m["status"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        statuses,
        ["incident_created", "incident_created", "ignored_auto_reply", "ignored_own", "malformed", "oversize", "incident_created"]
    );
    let malformed = mails["items"].as_array().unwrap().iter().find(|m| m["status"] == "malformed").unwrap();
    assert!(malformed["reason"].as_str().is_some_and(|r| !r.is_empty()));
    let raw = desk.get(&format!("/api/v1/inbound-mails/{}/raw", malformed["id"])).await;
    assert_eq!(raw.status, 200);
    assert!(raw.text().starts_with("this is not a mail"), "malformed mail is kept as it came");

    // The teller's mail is their incident; the branch manager is not a user, so they are named.
    let mine = teller.get("/api/v1/incidents?queue=requested").await.json();
    let titles: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    let first = mine["items"].as_array().unwrap().iter().find(|i| i["title"] == "网银登录失败").unwrap().clone();
    assert_eq!(first["channel"], "email");
    assert_eq!(first["requester_id"], teller_id);
    assert_eq!(first["description"], "客户无法登录网银，提示证书错误。");
    let all = desk.get("/api/v1/incidents?sort=created").await.json();
    let branch = all["items"].as_array().unwrap().iter().find(|i| i["title"] == "分行网络中断").unwrap().clone();
    assert_eq!(branch["priority"], 1, "the netops@ rule sets high impact and urgency");
    assert_eq!(branch["requester_name"], "王行长");
    assert_eq!(branch["requester_contact"], "wang@branch.example");

    // The attachment is kept on its incident and served as a download.
    let db_incident = all["items"].as_array().unwrap().iter().find(|i| i["title"] == "数据库报错").unwrap().clone();
    let files = desk.get(&format!("/api/v1/incidents/{}/attachments", db_incident["id"])).await.json();
    assert_eq!(files["items"][0]["filename"], "日志.txt");
    let file = desk.get(&format!("/api/v1/incidents/{}/attachments/{}", db_incident["id"], files["items"][0]["id"])).await;
    assert_eq!(file.text().trim(), "2026-11-20 09:20 ORA-12516");
    assert!(file.header("content-disposition").unwrap().starts_with("attachment;"));
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));

    // A reply with the number in the subject lands on the incident, quoted history cut.
    let number = first["number"].as_str().unwrap();
    let reply = mail(
        teller_address,
        "servicedesk@bank.example",
        &format!("回复：[{number}] 网银登录失败"),
        "",
        "已经可以登录了，谢谢。\r\n\r\n在 2026年11月20日 写道：\r\n> 请重试",
    );
    dovecot.deliver(&reply).await;
    let again = desk.post("/api/v1/inbound-mails/poll", &json!({})).await.json();
    assert_eq!(again["fetched"], 1);
    assert_eq!(again["replies_added"], 1);
    let detail = teller.get(&format!("/api/v1/incidents/{number}")).await.json();
    let last = detail["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "reply");
    assert_eq!(last["body"], "已经可以登录了，谢谢。");
    assert_eq!(last["actor_id"], teller_id);
    assert_eq!(last["data"]["via"], "email");

    // Nothing is fetched twice.
    assert_eq!(desk.post("/api/v1/inbound-mails/poll", &json!({})).await.json()["fetched"], 0);
    assert_problem(&teller.get("/api/v1/inbound-mails").await, 403, "forbidden");
}

#[tokio::test]
async fn attachments_are_checked_and_served_safely() {
    let app = spawn_app().await;
    let (_, desk) = app.user_with_roles("desk.files", &["ops_director"]).await;
    let (_, other) = app.user_with_roles("other.teller", &["business_user"]).await;
    let inc =
        desk.post("/api/v1/incidents", &json!({ "title": "截图", "description": "d", "impact": "low", "urgency": "low" })).await.json();
    let base = format!("/api/v1/incidents/{}/attachments", inc["number"].as_str().unwrap());
    let html =
        desk.send("POST", &format!("{base}?filename=..%2F..%2Fevil.html"), Some("text/html"), b"<script>alert(1)</script>".to_vec()).await;
    assert_eq!(html.status, 201, "{}", html.text());
    assert_eq!(html.json()["filename"], "evil.html", "no path survives");
    let got = desk.get(&format!("{base}/{}", html.json()["id"])).await;
    assert_eq!(got.text(), "<script>alert(1)</script>");
    assert!(got.header("content-security-policy").unwrap().contains("sandbox"));
    assert!(got.header("content-disposition").unwrap().starts_with("attachment;"));
    assert_problem(
        &desk.send("POST", &format!("{base}?filename=x.bin"), Some("application/octet-stream"), Vec::new()).await,
        422,
        "empty_file",
    );
    assert_problem(&desk.send("POST", &base, Some("application/octet-stream"), b"x".to_vec()).await, 400, "invalid_query");
    assert_problem(&other.get(&base).await, 403, "forbidden");
    assert_problem(&desk.get(&format!("{base}/999999")).await, 404, "not_found");
    assert_problem(&desk.post("/api/v1/inbound-mails/poll", &json!({})).await, 409, "mail_in_not_configured");
}
