//! Satisfaction surveys (SPEC SAT) and the improvement register, through the API:
//! a survey link on resolution, answered once without signing in, expiry, low
//! scores opening improvement items, statistics by period and group, permissions.

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use yunwei_core::{Clock, FixedClock};
use yunwei_testkit::bad_input::{assert_problem, check_json_endpoint};
use yunwei_testkit::{Client, Options, TestApp, spawn_app_with};

fn ms(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().expect("time").as_millisecond()
}

/// A desk: a director who logs and assigns, a team with a manager and two engineers, and a requester.
pub struct Desk {
    pub director: Client,
    pub team: i64,
    pub manager: (i64, Client),
    pub engineer: (i64, Client),
    pub engineer2: (i64, Client),
    pub requester: (i64, Client),
}

pub async fn desk(app: &TestApp, prefix: &str) -> Desk {
    let (_, director) = app.user_with_roles(&format!("{prefix}.director"), &["ops_director"]).await;
    let manager = app.user_with_roles(&format!("{prefix}.manager"), &["ops_manager"]).await;
    let engineer = app.user_with_roles(&format!("{prefix}.eng"), &["network_engineer"]).await;
    let engineer2 = app.user_with_roles(&format!("{prefix}.eng2"), &["network_engineer"]).await;
    let requester = app.user_with_roles(&format!("{prefix}.teller"), &["business_user"]).await;
    let team = app
        .admin()
        .post(
            "/api/v1/teams",
            &json!({ "name": format!("{prefix} 网络组"), "members": [engineer.0, engineer2.0], "manager_id": manager.0 }),
        )
        .await;
    assert_eq!(team.status, 201, "{}", team.text());
    Desk { director, team: team.json()["id"].as_i64().unwrap_or_default(), manager, engineer, engineer2, requester }
}

/// Logs an incident for `requester` with the team and engineer, and has the engineer resolve it.
pub async fn resolved(d: &Desk, engineer: &(i64, Client), extra: Value, title: &str) -> String {
    let mut body = json!({ "title": title, "description": "柜面交易超时", "impact": "low", "urgency": "medium",
        "requester_id": d.requester.0, "team_id": d.team, "assignee_id": engineer.0 });
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        b.extend(e);
    }
    let created = d.director.post("/api/v1/incidents", &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let number = created.json()["number"].as_str().unwrap_or_default().to_string();
    let r = engineer
        .1
        .post(
            &format!("/api/v1/incidents/{number}/transitions/resolve"),
            &json!({ "resolution_code": "fixed", "resolution": "重启前置机后恢复" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    number
}

/// The token in the newest survey notice of a user (after the dispatcher ran).
pub async fn survey_token(app: &TestApp, client: &Client, number: &str) -> String {
    for _ in 0..50 {
        app.drain_outbox().await;
        let list = client.get("/api/v1/notifications").await.json();
        let found = list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["event_type"] == "survey.requested" && n["title"].as_str().is_some_and(|t| t.contains(number)));
        if let Some(n) = found {
            let link = n["link"].as_str().unwrap_or_default();
            let token = link.strip_prefix("/surveys/").unwrap_or_default().to_string();
            assert_eq!(token.len(), 64, "{n}");
            // The in-app notice says what to do; the link leads to the survey (the e-mail carries the full address).
            assert!(n["body"].as_str().unwrap_or_default().contains("1–5"), "{n}");
            return token;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no survey notice for {number}");
}

/// A user's newest notification of a kind, waiting for the dispatcher (which may hold the event's lease).
pub async fn wait_note(app: &TestApp, client: &Client, event_type: &str) -> Value {
    for _ in 0..50 {
        app.drain_outbox().await;
        let list = client.get("/api/v1/notifications").await.json();
        if let Some(n) = list["items"].as_array().into_iter().flatten().find(|n| n["event_type"] == event_type) {
            return n.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {event_type} notification");
}

/// An app whose clock stands at `t` until the test moves it.
async fn app_at(t: &str) -> (Arc<FixedClock>, TestApp) {
    let clock = Arc::new(FixedClock::new(ms(t)));
    (clock.clone(), spawn_app_with(Options { clock: Some(clock), ..Default::default() }).await)
}

#[tokio::test]
async fn resolving_sends_a_link_that_answers_once() {
    let (_, app) = app_at("2026-03-10T10:00:00+08:00").await;
    let d = desk(&app, "a").await;
    let number = resolved(&d, &d.engineer, json!({}), "柜面交易超时").await;
    let token = survey_token(&app, &d.requester.1, &number).await;

    let anon = app.anonymous();
    let path = format!("/api/v1/surveys/answer/{token}");
    let open = anon.get(&path).await;
    assert_eq!(open.status, 200, "{}", open.text());
    assert_eq!(open.json()["subject_ref"], number);
    assert_eq!(open.json()["state"], "sent");
    assert_eq!(open.json()["expires_at"], ms("2026-03-24T10:00:00+08:00"), "14 days by default");

    let bad = anon.post(&path, &json!({ "score": 6 })).await;
    assert_problem(&bad, 422, "validation_failed");
    assert_eq!(bad.json()["errors"][0]["field"], "score");
    assert_problem(&anon.post(&path, &json!({ "score": 0 })).await, 422, "validation_failed");

    let done = anon.post(&path, &json!({ "score": 5, "comment": "工程师响应很快" })).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!((done.json()["state"].as_str(), done.json()["score"].as_i64()), (Some("answered"), Some(5)));
    let again = anon.post(&path, &json!({ "score": 1 })).await;
    assert_problem(&again, 409, "survey_already_answered");
    assert_problem(&anon.get(&path).await, 409, "survey_already_answered");
    assert_problem(&anon.get(&format!("/api/v1/surveys/answer/{}", "0".repeat(64))).await, 404, "survey_not_found");
    assert_problem(&anon.post("/api/v1/surveys/answer/nope", &json!({ "score": 3 })).await, 404, "survey_not_found");

    // The answer is on the incident's timeline, audited as the requester through the link.
    let detail = d.director.get(&format!("/api/v1/incidents/{number}")).await.json();
    let entry = detail["timeline"].as_array().unwrap().iter().find(|a| a["kind"] == "survey_answered").cloned().unwrap_or_default();
    assert_eq!((entry["data"]["score"].as_i64(), entry["body"].as_str()), (Some(5), Some("工程师响应很快")), "{detail}");
    assert_eq!(entry["actor_id"], d.requester.0);
    let (_, auditor) = app.user_with_roles("a.audit", &["audit_admin"]).await;
    let audit = auditor.get("/api/v1/audit-events?object_type=survey&action=answer").await.json();
    assert_eq!(audit["items"][0]["actor_name"], format!("survey-link:user:{}", d.requester.0), "{audit}");
    assert_eq!(audit["items"][0]["actor_id"], Value::Null);

    // The engineer and the team manager hear of the answer.
    let note = wait_note(&app, &d.manager.1, "survey.answered").await;
    assert!(note["title"].as_str().unwrap_or_default().contains(&number), "{note}");
    assert!(note["body"].as_str().unwrap_or_default().contains("满意度评价 5 分"), "{note}");
    assert_eq!(note["link"], format!("/incidents/{number}"));

    // Managers list it; the requester sees their own; nobody sees the token.
    let list = d.director.get(&format!("/api/v1/surveys?state=answered&team_id={}", d.team)).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let items = list.json()["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1);
    assert_eq!((items[0]["score"].as_i64(), items[0]["assignee_id"].as_i64()), (Some(5), Some(d.engineer.0)));
    assert!(!list.text().contains(&token));
    let own = d.requester.1.get("/api/v1/surveys").await;
    assert_eq!(own.json()["items"].as_array().map(Vec::len), Some(1), "{}", own.text());
    let one = d.director.get(&format!("/api/v1/surveys/{}", items[0]["id"])).await;
    assert_eq!(one.json()["subject_ref"], number);
    app.stop().await;
}

#[tokio::test]
async fn a_reopened_ticket_keeps_its_waiting_survey_and_self_resolved_work_is_not_surveyed() {
    let (_, app) = app_at("2026-05-06T09:00:00+08:00").await;
    let d = desk(&app, "b").await;
    let number = resolved(&d, &d.engineer, json!({}), "打印机卡纸").await;
    let path = format!("/api/v1/incidents/{number}/transitions");
    assert_eq!(d.director.post(&format!("{path}/reopen"), &json!({})).await.status, 200);
    let again = d.engineer.1.post(&format!("{path}/resolve"), &json!({ "resolution_code": "fixed", "resolution": "更换硒鼓" })).await;
    assert_eq!(again.status, 200, "{}", again.text());
    let id = again.json()["id"].as_i64().unwrap_or_default();
    let surveys = d.director.get(&format!("/api/v1/surveys?subject_type=incident&subject_id={id}")).await.json();
    assert_eq!(surveys["items"].as_array().map(Vec::len), Some(1), "one waiting survey per ticket: {surveys}");

    // The director logs and resolves their own incident: nobody is asked.
    let own =
        d.director.post("/api/v1/incidents", &json!({ "title": "自报自修", "description": "d", "impact": "low", "urgency": "low" })).await;
    let own_number = own.json()["number"].as_str().unwrap_or_default().to_string();
    let r = d
        .director
        .post(&format!("/api/v1/incidents/{own_number}/transitions/resolve"), &json!({ "resolution_code": "fixed", "resolution": "ok" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let all = d.director.get("/api/v1/surveys").await.json();
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1), "{all}");
    app.stop().await;
}

#[tokio::test]
async fn expired_links_are_gone_and_low_scores_open_improvement_items() {
    let (clock, app) = app_at("2026-06-01T10:00:00+08:00").await;
    let d = desk(&app, "c").await;
    let first = resolved(&d, &d.engineer, json!({}), "网点网络中断").await;
    let old = survey_token(&app, &d.requester.1, &first).await;
    clock.advance_ms(15 * 86_400_000);
    let anon = app.anonymous();
    assert_problem(&anon.get(&format!("/api/v1/surveys/answer/{old}")).await, 410, "survey_expired");
    assert_problem(&anon.post(&format!("/api/v1/surveys/answer/{old}"), &json!({ "score": 4 })).await, 410, "survey_expired");
    let expired = d.director.get("/api/v1/surveys?state=expired").await.json();
    assert_eq!(expired["items"][0]["subject_ref"], first, "{expired}");
    assert_eq!(d.director.get("/api/v1/surveys?state=sent").await.json()["items"].as_array().map(Vec::len), Some(0));

    // A low score opens an item for the team, owned by its manager, due in 30 days.
    let second = resolved(&d, &d.engineer2, json!({}), "ATM 吞卡").await;
    let token = survey_token(&app, &d.requester.1, &second).await;
    let low = anon.post(&format!("/api/v1/surveys/answer/{token}"), &json!({ "score": 1, "comment": "等了两天才有人联系" })).await;
    assert_eq!(low.status, 200, "{}", low.text());
    let register = d.director.get("/api/v1/improvements?state=open").await;
    assert_eq!(register.status, 200, "{}", register.text());
    let item = register.json()["items"][0].clone();
    assert_eq!(item["source"], "survey");
    assert_eq!(item["subject_ref"], second);
    assert_eq!((item["team_id"].as_i64(), item["owner_id"].as_i64()), (Some(d.team), Some(d.manager.0)));
    assert_eq!(item["due_on"], "2026-07-16", "16 June plus 30 days");
    assert_eq!(item["description"], "等了两天才有人联系");
    let number = item["number"].as_str().unwrap_or_default().to_string();
    assert!(number.starts_with("IMP-"), "{item}");
    let opened = wait_note(&app, &d.engineer.1, "improvement.opened").await;
    assert_eq!(opened["link"], format!("/improvements/{number}"), "{opened}");
    assert!(opened["body"].as_str().unwrap_or_default().contains("满意度评价为 1 分"), "{opened}");

    // The register moves open → in progress → done; done needs the measures.
    let path = format!("/api/v1/improvements/{number}");
    assert_problem(&d.manager.1.patch(&path, &json!({ "state": "done" })).await, 409, "improvement_illegal_transition");
    let started = d.manager.1.patch(&path, &json!({ "state": "in_progress", "version": 1 })).await;
    assert_eq!(started.json()["state"], "in_progress", "{}", started.text());
    assert_problem(&d.manager.1.patch(&path, &json!({ "version": 1, "title": "x" })).await, 409, "improvement_changed");
    let no_measures = d.manager.1.patch(&path, &json!({ "state": "done" })).await;
    assert_problem(&no_measures, 422, "validation_failed");
    assert_eq!(no_measures.json()["errors"][0]["field"], "measures");
    let done = d.manager.1.patch(&path, &json!({ "state": "done", "measures": "ATM 故障 2 小时内回电" })).await;
    assert_eq!((done.json()["state"].as_str(), done.json()["closed_at"].as_i64()), (Some("done"), Some(clock.now_ms())), "{}", done.text());

    // By hand: a manager opens one; a bad date is refused; an engineer may not; a teller may not even read.
    let bad_date = d.manager.1.post("/api/v1/improvements", &json!({ "title": "t", "due_on": "2026-02-30" })).await;
    assert_problem(&bad_date, 422, "validation_failed");
    assert_eq!(bad_date.json()["errors"][0]["code"], "invalid_date");
    let manual =
        d.manager.1.post("/api/v1/improvements", &json!({ "title": "桌面支持到场慢", "team_id": d.team, "due_on": "2026-12-31" })).await;
    assert_eq!(manual.status, 201, "{}", manual.text());
    assert_eq!((manual.json()["source"].as_str(), manual.json()["state"].as_str()), (Some("manual"), Some("open")));
    assert_problem(&d.engineer.1.post("/api/v1/improvements", &json!({ "title": "t" })).await, 403, "forbidden");
    assert_eq!(d.engineer.1.get(&path).await.status, 200, "engineers read the register");
    assert_problem(&d.requester.1.get("/api/v1/improvements").await, 403, "forbidden");
    let by_source = d.director.get("/api/v1/improvements?source=manual").await.json();
    assert_eq!(by_source["items"].as_array().map(Vec::len), Some(1));
    assert_problem(&d.director.get("/api/v1/improvements?state=closed").await, 422, "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn a_caller_known_only_by_address_gets_the_link_by_mail() {
    let sink = yunwei_testkit::smtp::SmtpSink::start().await;
    let config = yunwei_core::CoreConfig {
        smtp: Some(yunwei_core::mail::SmtpSettings { from: "yunwei@bank.example".into(), ..sink.settings() }),
        default_locale: "en".into(),
        ..Default::default()
    };
    let app = spawn_app_with(Options { config: Some(config), ..Default::default() }).await;
    let d = desk(&app, "m").await;
    let (_, duty) = app.user_with_roles("m.duty", &["duty_officer"]).await;
    // The duty officer logs a phone call for a branch clerk who is not a user.
    let created = duty
        .post(
            "/api/v1/incidents",
            &json!({ "title": "Branch printer down", "description": "phone call", "impact": "low", "urgency": "low", "channel": "phone",
                "requester_name": "Wang Li", "requester_contact": "wang.li@branch.example", "team_id": d.team, "assignee_id": d.engineer.0 }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let number = created.json()["number"].as_str().unwrap_or_default().to_string();
    let r = d
        .engineer
        .1
        .post(&format!("/api/v1/incidents/{number}/transitions/resolve"), &json!({ "resolution_code": "fixed", "resolution": "toner" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut mail = None;
    for _ in 0..100 {
        mail = sink.messages().into_iter().find(|m| m.to == ["wang.li@branch.example"]);
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = mail.expect("survey mail to the caller");
    assert!(mail.header("Subject").unwrap_or_default().contains(&format!("[{number}] How did we do?")), "{}", mail.data);
    assert!(mail.data.contains("Hello Wang Li"), "{}", mail.data);
    // Quoted-printable: long lines carry soft breaks.
    let body = mail.data.replace("=\r\n", "");
    let start = body.find("/surveys/").expect("link") + "/surveys/".len();
    let token: String = body[start..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 64, "{}", mail.data);
    let done = app.anonymous().post(&format!("/api/v1/surveys/answer/{token}"), &json!({ "score": 4 })).await;
    assert_eq!(done.status, 200, "{}", done.text());
    let list = d.director.get("/api/v1/surveys").await.json();
    assert_eq!(list["items"][0]["requester_email"], "wang.li@branch.example", "{list}");
    assert_eq!(list["items"][0]["requester_id"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn survey_endpoints_refuse_bad_input_cleanly() {
    let (_, app) = app_at("2026-04-01T10:00:00+08:00").await;
    let d = desk(&app, "x").await;
    let number = resolved(&d, &d.engineer, json!({}), "探针").await;
    let token = survey_token(&app, &d.requester.1, &number).await;
    check_json_endpoint(&app.anonymous(), "POST", &format!("/api/v1/surveys/answer/{token}"), &json!({ "score": 4 }), &["comment"]).await;
    let settings = json!({ "enabled": true, "expiry_days": 14, "low_score_threshold": 2, "improvement_due_days": 30 });
    check_json_endpoint(&app.admin(), "PUT", "/api/v1/surveys/settings", &settings, &[]).await;
    let bad = app.admin().put("/api/v1/surveys/settings", &json!({ "expiry_days": 0, "low_score_threshold": 5 })).await;
    assert_problem(&bad, 422, "validation_failed");
    assert_eq!(bad.json()["errors"].as_array().map(Vec::len), Some(2));
    check_json_endpoint(&d.manager.1, "POST", "/api/v1/improvements", &json!({ "title": "改进" }), &["title", "description", "measures"])
        .await;
    let item = d.manager.1.post("/api/v1/improvements", &json!({ "title": "目标" })).await.json();
    check_json_endpoint(
        &d.manager.1,
        "PATCH",
        &format!("/api/v1/improvements/{}", item["number"].as_str().unwrap_or_default()),
        &json!({ "title": "目标" }),
        &["title", "description", "measures", "outcome"],
    )
    .await;
    assert_problem(&d.director.get("/api/v1/surveys?state=lost").await, 400, "invalid_query");
    assert_problem(&d.director.get("/api/v1/surveys/stats?period=week").await, 400, "invalid_query");
    assert_problem(&d.director.get("/api/v1/improvements/IMP-999999").await, 404, "not_found");
    app.stop().await;
}
