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
    assert_problem(&watcher.get("/api/v1/events/stream?topic=release:1").await, 422, "validation_failed");
    assert_problem(&watcher.get("/api/v1/events/stream").await, 400, "invalid_query");
    assert_problem(&watcher.get("/api/v1/events/stream?topic=incident:999999").await, 404, "not_found");
    assert_problem(&app.anonymous().get(&format!("/api/v1/events/stream?topic={topic}")).await, 401, "unauthenticated");

    // The page carries what app.js needs, with the banner text in the reader's language.
    let page = app.session("live.watcher", yunwei_testkit::ADMIN_PASSWORD).await.get(&format!("/incidents/{number}")).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(&format!("data-live-topic=\"{topic}\"")) && html.contains("data-live-text=\"已被 {actor} 更新\""), "{html}");
    assert!(html.contains("data-live-reload=\"刷新\""));
    app.stop().await;
}

/// A second server process on the same database: a change made through node A
/// reaches a stream held open on node B (each node tails the outbox itself).
#[tokio::test]
async fn a_change_on_one_node_reaches_a_stream_on_another() {
    let app = spawn_app().await;
    let db = yunwei_store::Db::connect(&app.fresh.url, 4).await.expect("connect node B");
    let config = yunwei_core::CoreConfig { node_id: Some("node-b".into()), ..app.core.config.as_ref().clone() };
    let node_b = yunwei_core::Core::new(db, config, std::sync::Arc::new(yunwei_core::SystemClock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr_b = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(yunwei_web::serve(node_b.clone(), yunwei_web::WebConfig::default(), listener, async move {
        let _ = stopped.await;
    }));

    let (_, director) = app.user_with_roles("multi.director", &["ops_director"]).await;
    let (_, watcher) = app.user_with_roles("multi.watcher", &["ops_director"]).await;
    let inc = director
        .post("/api/v1/incidents", &json!({ "title": "两节点", "description": "同一数据库", "impact": "low", "urgency": "low" }))
        .await
        .json();
    let topic = format!("incident:{}", inc["id"]);
    let auth = watcher.header_value("authorization").unwrap().to_string();
    let mut on_b = SseStream::open(addr_b, &format!("/api/v1/events/stream?topic={topic}"), &[("authorization", &auth)]).await;
    assert_eq!(on_b.status, 200);
    comment(&director, inc["number"].as_str().unwrap(), "在节点 A 上评论").await;
    let event = on_b.next_event(WAIT).await.expect("node B hears of node A's change");
    assert_eq!(event.event.as_deref(), Some("incident.commented"));
    assert!(event.data.contains("multi.director"), "{event:?}");
    // Stopping a node ends its open streams instead of waiting for them.
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("node B stops with a stream open").ok();
    assert_eq!(on_b.next_event(Duration::from_secs(2)).await, None, "the stream ended");
    node_b.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_requester_follows_their_service_request_live() {
    let app = spawn_app().await;
    let (_, requester) = app.user_with_roles("live.req", &["business_user"]).await;
    let (_, other) = app.user_with_roles("live.other", &["business_user"]).await;
    let (ops_id, ops) = app.user_with_roles("live.ops", &["ops_manager"]).await;
    let item = ops
        .post(
            "/api/v1/catalog-items",
            &json!({ "code": "live_item", "name": { "zh": "实时测试", "en": "Live test" }, "fields": [], "approvals": [], "tasks": [] }),
        )
        .await;
    assert_eq!(item.status, 201, "{}", item.text());
    let created = requester.post("/api/v1/service-requests", &json!({ "item_id": item.json()["id"], "answers": {} })).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let req = created.json();
    let topic = format!("service_request:{}", req["id"]);
    let mut stream = open(&app, &requester, &topic, None).await;
    assert_eq!(stream.status, 200);
    let number = req["number"].as_str().unwrap();
    let r = ops.post(&format!("/api/v1/service-requests/{number}/comments"), &json!({ "body": "已受理", "public": true })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let event = stream.next_event(WAIT).await.expect("the reply arrives live");
    assert_eq!(event.event.as_deref(), Some("service_request.commented"));
    let data: Value = serde_json::from_str(&event.data).expect("JSON");
    assert_eq!(data["actor_id"], ops_id);
    // A work note is not the requester's news: it does not reach their stream; the next reply
    // does. Someone who may see notes follows too, to learn the note's and the reply's event ids:
    // the requester's next event is the reply, so a note event cannot just be late.
    let mut insider = open(&app, &ops, &topic, None).await;
    assert_eq!(insider.status, 200);
    let note = ops.post(&format!("/api/v1/service-requests/{number}/comments"), &json!({ "body": "内部核实", "public": false })).await;
    assert_eq!(note.status, 201, "{}", note.text());
    let r = ops.post(&format!("/api/v1/service-requests/{number}/comments"), &json!({ "body": "已处理", "public": true })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let note_event = insider.next_event(WAIT).await.expect("the note reaches who may see it");
    let reply_event = insider.next_event(WAIT).await.expect("then the reply");
    assert!(note_event.id.is_some() && note_event.id != reply_event.id, "{note_event:?} {reply_event:?}");
    let next = stream.next_event(WAIT).await.expect("the reply arrives");
    assert_eq!(next.event.as_deref(), Some("service_request.commented"));
    assert_eq!(next.id, reply_event.id, "the requester's next event is the reply, not the note: {next:?}");
    drop(insider);
    drop(stream);
    let refused = open(&app, &other, &topic, None).await;
    assert_eq!(refused.status, 403, "another requester may not follow it");
    app.stop().await;
}
