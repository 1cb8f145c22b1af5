//! The roster cache behind `duty::who_is_on_call` (ADR 0029): a node answers its own writes
//! at once and another node's within a second, without asking the database on every call.

use serde_json::json;
use std::time::{Duration, Instant};
use yunwei_domain::ids::{DutyScheduleId, UserId};
use yunwei_testkit::spawn_app;

fn bj(text: &str) -> i64 {
    let dt: jiff::civil::DateTime = text.parse().expect("a local time");
    dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone")).expect("in zone").timestamp().as_millisecond()
}

#[tokio::test]
async fn a_roster_written_on_one_node_is_answered_by_another_within_a_second() {
    let app = spawn_app().await;
    let (_, manager) = app.user_with_roles("cache.manager", &["ops_manager"]).await;
    let (a, _) = app.user_with_roles("cache.a", &["network_engineer"]).await;
    let (b, _) = app.user_with_roles("cache.b", &["network_engineer"]).await;
    let (c, _) = app.user_with_roles("cache.c", &["network_engineer"]).await;
    let r = manager.post("/api/v1/duty/schedules", &json!({ "name": "缓存值班", "time_zone": "Asia/Shanghai" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    let layer = json!({ "name": "日班", "rotation": "daily", "starts_local": "2027-01-05T09:00", "members": [a, b] });
    let r = manager.post(&format!("/api/v1/duty/schedules/{id}/layers"), &layer).await;
    assert_eq!(r.status, 201, "{}", r.text());

    let db = yunwei_store::Db::connect(&app.fresh.url, 4).await.expect("connect node B");
    let config = yunwei_core::CoreConfig { node_id: Some("node-b".into()), ..app.core.config.as_ref().clone() };
    let node_b = yunwei_core::Core::new(db, config, std::sync::Arc::new(yunwei_core::SystemClock));
    let sched = DutyScheduleId(id);
    let at = bj("2027-01-05T10:00");
    let ask = async |core: &yunwei_core::Core| yunwei_core::duty::who_is_on_call(core, sched, at).await.expect("on call");
    assert_eq!(ask(&app.core).await, vec![UserId(a)]);
    assert_eq!(ask(&node_b).await, vec![UserId(a)], "node B loads the roster");

    // Warm answers come from memory: a thousand in well under a second even in a debug build.
    let mut took: Vec<Duration> = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        assert_eq!(ask(&node_b).await, vec![UserId(a)]);
        took.push(t.elapsed());
    }
    took.sort();
    eprintln!("warm who_is_on_call (debug build): p50 {:?}, p99 {:?}", took[500], took[990]);
    assert!(took[500] < Duration::from_millis(1), "p50 {:?}", took[500]);

    // c stands in for a, written through node A's API.
    let o = json!({ "user_id": c, "replaces_user_id": a, "starts_at": bj("2027-01-05T09:30"), "ends_at": bj("2027-01-05T12:00") });
    let r = manager.post(&format!("/api/v1/duty/schedules/{id}/overrides"), &o).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(ask(&app.core).await, vec![UserId(c)], "node A reads its own write at once");
    let started = Instant::now();
    while ask(&node_b).await != vec![UserId(c)] {
        assert!(started.elapsed() < Duration::from_secs(1), "node B never saw the override");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("node B saw node A's override after {:?}", started.elapsed());

    // A removed override likewise; an unknown schedule is not found, not an empty roster.
    let v = r.json();
    let oid = v["overrides"][0]["id"].as_i64().expect("override id");
    let r = manager.delete(&format!("/api/v1/duty/overrides/{oid}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let started = Instant::now();
    while ask(&node_b).await != vec![UserId(a)] {
        assert!(started.elapsed() < Duration::from_secs(1), "node B kept the deleted override");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let gone = yunwei_core::duty::who_is_on_call(&node_b, DutyScheduleId(id + 1000), at).await;
    assert!(matches!(gone, Err(yunwei_core::CoreError::NotFound("duty_schedule"))), "{gone:?}");
    node_b.close().await;
    app.stop().await;
}
