//! The duty officer's console (值班台), the duty log and handover (值班日志/交接班), the
//! roster report (gaps, fairness) and the iCalendar feeds. The attacks: colleagues off duty
//! write no log, the outgoing officer cannot acknowledge their own handover nor can a third
//! person, people without duty rights see nothing, a feed URL dies with its secret.

use serde_json::{Value, json};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, TestApp, spawn_app};

const HOUR: i64 = 3_600_000;

async fn person(app: &TestApp, username: &str, name: &str, roles: &[&str]) -> (i64, Client) {
    let (id, client) = app.user_with_roles(username, roles).await;
    let body = json!({ "display_name": name }).to_string().into_bytes();
    let r = app.admin().send("PATCH", &format!("/api/v1/users/{id}"), Some("application/json"), body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    (id, client)
}

fn created(r: yunwei_testkit::TestResponse) -> Value {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// A schedule where `b` is on call round the clock and `a` stands in for b from an hour ago
/// to an hour ahead.
async fn roster(app: &TestApp, manager: &Client, name: &str, a: i64, b: i64) -> i64 {
    let s = created(manager.post("/api/v1/duty/schedules", &json!({ "name": name, "time_zone": "Asia/Shanghai" })).await);
    let id = s["id"].as_i64().expect("id");
    let layer = json!({ "name": "全天", "rotation": "daily", "starts_local": "2026-01-05T09:00", "members": [b] });
    created(manager.post(&format!("/api/v1/duty/schedules/{id}/layers"), &layer).await);
    let now = app.core.now_ms();
    let o = json!({ "user_id": a, "replaces_user_id": b, "starts_at": now - HOUR, "ends_at": now + HOUR, "reason": "顶班" });
    created(manager.post(&format!("/api/v1/duty/schedules/{id}/overrides"), &o).await);
    id
}

#[tokio::test]
async fn the_officer_on_duty_logs_hands_over_and_the_next_one_acknowledges() {
    let app = spawn_app().await;
    let (_, manager) = app.user_with_roles("console.manager", &["ops_manager"]).await;
    let (a, officer) = person(&app, "console.a", "张伟", &["network_engineer"]).await;
    let (b, next) = person(&app, "console.b", "李娜", &["network_engineer"]).await;
    let (_, colleague) = person(&app, "console.c", "王强", &["network_engineer"]).await;
    let (_, teller) = app.user_with_roles("console.teller", &["business_user"]).await;
    let id = roster(&app, &manager, "网络值班台", a, b).await;

    let c = officer.get("/api/v1/duty/console").await;
    assert_eq!(c.status, 200, "{}", c.text());
    let c = c.json();
    let s = &c["schedules"][0];
    assert_eq!(
        (s["name"].as_str(), s["now"][0]["name"].as_str(), s["next"][0]["name"].as_str()),
        (Some("网络值班台"), Some("张伟"), Some("李娜")),
        "{c}"
    );
    assert_eq!(s["may_write"], true);
    assert!(c["my_incidents"].is_array() && c["alerts"].is_array(), "{c}");

    // A fault report says when and what it affects (值班制度: 故障现象、发生时间、影响范围).
    let log = format!("/api/v1/duty/schedules/{id}/log");
    let bad = officer.post(&log, &json!({ "kind": "fault_report", "body": "核心交换机端口频繁 up/down" })).await;
    assert_problem(&bad, 422, "validation_failed");
    let problem = bad.json();
    let fields: Vec<&str> = problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["occurred_at", "impact"], "{}", bad.text());
    let now = app.core.now_ms();
    let entry =
        json!({ "kind": "fault_report", "body": "核心交换机端口频繁 up/down", "occurred_at": now - 600_000, "impact": "网银交易延迟" });
    let e = created(officer.post(&log, &entry).await);
    assert_eq!(
        (e["kind"].as_str(), e["author_name"].as_str(), e["impact"].as_str()),
        (Some("fault_report"), Some("张伟"), Some("网银交易延迟"))
    );

    // Off duty (王强 is on no shift here; 李娜's ended within the grace and may finish her
    // record), without duty rights, or signed out: no log.
    let refused = colleague.post(&log, &json!({ "body": "我也写一笔" })).await;
    assert_problem(&refused, 403, "forbidden");
    assert_eq!(refused.json()["permission"], "duty_not_on_duty", "{}", refused.text());
    assert_problem(&teller.post(&log, &json!({ "body": "x" })).await, 403, "forbidden");
    assert_problem(&teller.get("/api/v1/duty/console").await, 403, "forbidden");
    assert_problem(&app.anonymous().post(&log, &json!({ "body": "x" })).await, 401, "unauthenticated");
    // The manager may write (a supervisor's note), and it shows on the console.
    created(manager.post(&log, &json!({ "kind": "note", "body": "已通知厂商" })).await);
    let c = officer.get("/api/v1/duty/console").await.json();
    let bodies: Vec<&str> = c["schedules"][0]["log"].as_array().expect("log").iter().filter_map(|e| e["body"].as_str()).collect();
    assert_eq!(bodies, ["已通知厂商", "核心交换机端口频繁 up/down"], "newest first: {c}");

    // Handover to whoever is on when the officer's shift ends.
    let h = created(officer.post(&format!("/api/v1/duty/schedules/{id}/handovers"), &json!({ "notes": "SW-01 明早更换模块" })).await);
    assert_eq!((h["to_user_id"].as_i64(), h["to_name"].as_str(), h["state"].as_str()), (Some(b), Some("李娜"), Some("pending")), "{h}");
    assert!(h["open"]["incidents"].is_array() && h["open"]["alerts"].is_array(), "{h}");
    assert!((h["shift_ends_at"].as_i64().unwrap_or_default() - (now + HOUR)).abs() < 5_000, "the override's end: {h}");
    let ack = format!("/api/v1/duty/handovers/{}/acknowledge", h["id"]);
    let own = officer.post(&ack, &json!({})).await;
    assert_problem(&own, 403, "forbidden");
    assert_eq!(own.json()["permission"], "duty_handover_own");
    let third = colleague.post(&ack, &json!({})).await;
    assert_problem(&third, 403, "forbidden");
    assert_eq!(third.json()["permission"], "duty_handover_not_yours");
    assert_problem(&teller.post(&ack, &json!({})).await, 403, "forbidden");
    let done = next.post(&ack, &json!({})).await;
    assert_eq!(done.status, 200, "{}", done.text());
    let done = done.json();
    assert_eq!((done["state"].as_str(), done["acknowledged_by_name"].as_str()), (Some("acknowledged"), Some("李娜")), "{done}");
    assert_problem(&next.post(&ack, &json!({})).await, 409, "duty_handover_acknowledged");

    // The console page, in the officer's language.
    let page = officer.get("/duty/console").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("核心交换机端口频繁 up/down") && html.contains("SW-01 明早更换模块"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn gaps_and_fairness_count_hours_per_person() {
    let app = spawn_app().await;
    let (_, manager) = app.user_with_roles("report.manager", &["ops_manager"]).await;
    let (a, engineer) = person(&app, "report.a", "张伟", &["network_engineer"]).await;
    let (b, _) = person(&app, "report.b", "李娜", &["network_engineer"]).await;
    let (_, teller) = app.user_with_roles("report.teller", &["business_user"]).await;
    let id = roster(&app, &manager, "均衡测试", a, b).await;
    let r = engineer.get(&format!("/api/v1/duty/schedules/{id}/report?days=7")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = r.json();
    assert_eq!(r["gaps"], json!([]), "b covers every hour: {r}");
    let fair = r["fairness"].as_array().cloned().expect("fairness");
    assert_eq!(fair[0]["person"]["name"], "李娜", "most hours first: {r}");
    let zhang = fair.iter().find(|l| l["user"] == a).expect("张伟");
    assert_eq!((zhang["shifts"].as_i64(), zhang["hours"].as_f64()), (Some(1), Some(2.0)), "{zhang}");
    let total: f64 = fair.iter().filter_map(|l| l["hours"].as_f64()).sum();
    assert!((total - 14.0 * 24.0).abs() < 0.01, "someone at every hour of the fortnight: {total}");

    // Days only: a layer working 09:00–18:00 leaves the nights uncovered.
    let s = created(manager.post("/api/v1/duty/schedules", &json!({ "name": "白班表" })).await);
    let day_only = s["id"].as_i64().expect("id");
    let layer = json!({ "name": "白班", "rotation": "daily", "starts_local": "2026-01-05T09:00", "members": [a], "window_from": "09:00", "window_to": "18:00" });
    created(manager.post(&format!("/api/v1/duty/schedules/{day_only}/layers"), &layer).await);
    let r = engineer.get(&format!("/api/v1/duty/schedules/{day_only}/report?days=3")).await.json();
    let gaps = r["gaps"].as_array().cloned().expect("gaps");
    assert!((3..=4).contains(&gaps.len()), "a night a day: {r}");
    assert!(gaps.iter().all(|g| g["ends_at"].as_i64() > g["starts_at"].as_i64()));

    let bad = engineer.get(&format!("/api/v1/duty/schedules/{id}/report?days=93")).await;
    assert_problem(&bad, 422, "validation_failed");
    assert_problem(&teller.get(&format!("/api/v1/duty/schedules/{id}/report")).await, 403, "forbidden");
    let page = engineer.get(&format!("/duty/{day_only}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("值班空档") || page.text().contains("Coverage gaps"), "{}", page.text());
    app.stop().await;
}

#[tokio::test]
async fn calendar_feeds_answer_by_secret_and_die_with_it() {
    let app = spawn_app().await;
    let (_, manager) = app.user_with_roles("feed.manager", &["ops_manager"]).await;
    let (a, engineer) = person(&app, "feed.a", "张伟", &["network_engineer"]).await;
    let (b, _) = person(&app, "feed.b", "李娜", &["network_engineer"]).await;
    let (_, teller) = app.user_with_roles("feed.teller", &["business_user"]).await;
    let id = roster(&app, &manager, "订阅测试", a, b).await;
    assert_eq!(engineer.get("/api/v1/duty/feed").await.json()["created_at"], Value::Null);
    let made = created(engineer.post("/api/v1/duty/feed", &json!({})).await);
    let secret = made["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("ywcal_") && secret.len() == 70, "{secret}");
    assert_eq!(engineer.get("/api/v1/duty/feed").await.json()["created_at"], made["created_at"]);

    let anon = app.anonymous();
    let mine = anon.get(&format!("/api/v1/duty/feeds/{secret}/mine")).await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    assert_eq!(mine.header("content-type"), Some("text/calendar; charset=utf-8"));
    let text = mine.text();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"), "{text}");
    let events = text.matches("BEGIN:VEVENT").count();
    assert_eq!(events, 1, "张伟's one stand-in: {text}");
    assert!(text.contains(&format!("UID:duty-s{id}-u{a}-")) && text.contains("SUMMARY:订阅测试 值班"), "{text}");
    assert_eq!(anon.get(&format!("/api/v1/duty/feeds/{secret}/mine")).await.text(), text, "stable across fetches");

    let all = anon.get(&format!("/api/v1/duty/feeds/{secret}/schedules/{id}")).await;
    assert_eq!(all.status, 200, "{}", all.text());
    let all = all.text();
    assert!(all.contains("SUMMARY:值班：张伟") && all.contains("SUMMARY:值班：李娜"), "{all}");
    assert!(all.contains(&format!("UID:duty-s{id}-")), "{all}");

    // Wrong, malformed or replaced secrets: not found, saying nothing more.
    assert_problem(&anon.get("/api/v1/duty/feeds/ywcal_nope/mine").await, 404, "not_found");
    let fake = format!("ywcal_{}", "0".repeat(64));
    assert_problem(&anon.get(&format!("/api/v1/duty/feeds/{fake}/schedules/{id}")).await, 404, "not_found");
    created(engineer.post("/api/v1/duty/feed", &json!({})).await);
    assert_problem(&anon.get(&format!("/api/v1/duty/feeds/{secret}/mine")).await, 404, "not_found");
    // No duty rights, no feed.
    assert_problem(&teller.post("/api/v1/duty/feed", &json!({})).await, 403, "forbidden");
    app.stop().await;
}
