//! Live page updates over server-sent events: a watcher sees another user's
//! comment, outsiders are refused, and `Last-Event-ID` replays what was missed.

use serde_json::{Value, json};
use std::time::Duration;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::webhook::SseStream;
use yunwei_testkit::{Client, TestApp, spawn_app};

const WAIT: Duration = Duration::from_secs(10);

async fn open(app: &TestApp, client: &Client, topic: &str, last_event_id: Option<&str>) -> SseStream {
    let auth = client.header_value("authorization").expect("a token client").to_string();
    let mut headers = vec![("authorization", auth.as_str())];
    if let Some(id) = last_event_id {
        headers.push(("last-event-id", id));
    }
    SseStream::open(app.addr, &format!("/api/v1/events/stream?topic={topic}"), &headers).await
}

async fn comment(client: &Client, number: &str, text: &str) {
    let r = client.post(&format!("/api/v1/incidents/{number}/comments"), &json!({ "body": text })).await;
    assert_eq!(r.status, 201, "{}", r.text());
}

#[tokio::test]
async fn a_watcher_sees_another_users_comment_and_can_catch_up() {
    let app = spawn_app().await;
    let (director_id, director) = app.user_with_roles("live.director", &["ops_director"]).await;
    let (_, watcher) = app.user_with_roles("live.watcher", &["ops_director"]).await;
    let (_, outsider) = app.user_with_roles("live.teller", &["business_user"]).await;
    let created = director
        .post(
            "/api/v1/incidents",
            &json!({ "title": "网银登录缓慢", "description": "多个网点反馈", "impact": "medium", "urgency": "medium" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let inc = created.json();
    let (id, number) = (inc["id"].as_i64().unwrap(), inc["number"].as_str().unwrap().to_string());
    let topic = format!("incident:{id}");

    let mut stream = open(&app, &watcher, &topic, None).await;
    assert_eq!(stream.status, 200);
    assert!(stream.header("content-type").is_some_and(|c| c.starts_with("text/event-stream")), "{:?}", stream.headers);
    comment(&director, &number, "已重启认证服务").await;
    let event = stream.next_event(WAIT).await.expect("the comment arrives live");
    assert!(event.lines.contains(&"event: incident.commented".to_string()), "{event:?}");
    assert!(event.lines.iter().any(|l| l.starts_with("data: {")), "{event:?}");
    let data: Value = serde_json::from_str(&event.data).expect("JSON data");
    assert_eq!(data["type"], "incident.commented");
    assert_eq!(data["actor_id"], director_id);
    assert_eq!(data["actor"], "live.director");
    let seen = event.id.clone().expect("an id to resume from");
    assert_eq!(data["id"].to_string(), seen);
    drop(stream);

    // Missed while away: replayed from the outbox on reconnect, nothing older.
    comment(&director, &number, "用户确认恢复").await;
    let mut again = open(&app, &watcher, &topic, Some(&seen)).await;
    assert_eq!(again.status, 200);
    let missed = again.next_event(WAIT).await.expect("the missed comment is replayed");
    assert_eq!(missed.event.as_deref(), Some("incident.commented"));
    assert!(missed.id.as_deref().and_then(|i| i.parse::<i64>().ok()).unwrap() > seen.parse::<i64>().unwrap(), "{missed:?}");
    drop(again);

    // Someone who may not read the incident may not follow it either.
    let refused = open(&app, &outsider, &topic, None).await;
    assert_eq!(refused.status, 403);
    let body = refused.body_text().await;
    assert!(body.contains("\"code\":\"forbidden\""), "{body}");
    assert_problem(&watcher.get("/api/v1/events/stream?topic=change:1").await, 422, "validation_failed");
    assert_problem(&watcher.get("/api/v1/events/stream").await, 400, "invalid_query");
    assert_problem(&watcher.get("/api/v1/events/stream?topic=incident:999999").await, 404, "not_found");
    assert_problem(&app.anonymous().get(&format!("/api/v1/events/stream?topic={topic}")).await, 401, "unauthenticated");
    app.stop().await;
}
