//! Idempotency keys are written with the record, in the command's own commit: a retry of a
//! request that committed but was never answered finds the key instead of doing the work twice.

use serde_json::json;
use std::collections::BTreeMap;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::spawn_app;

async fn incident_count(desk: &yunwei_testkit::http::Client, title: &str) -> usize {
    let page = desk.get("/api/v1/incidents?limit=200").await.json();
    page["items"].as_array().unwrap().iter().filter(|i| i["title"] == title).count()
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_incident() {
    let app = spawn_app().await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "网络组" })).await.json()["id"].as_i64().unwrap();
    let body = json!({ "title": "核心交换机端口抖动", "description": "d", "impact": "low", "urgency": "low", "team_id": team });
    let (_, desk) = app.user_with_roles("desk", &["ops_director"]).await;
    let client = desk.clone().header("idempotency-key", "inc-race-1");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (client, body) = (client.clone(), body.clone());
        tasks.spawn(async move { client.post("/api/v1/incidents", &body).await });
    }
    let answers = tasks.join_all().await;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for a in &answers {
        let kind = match a.status {
            201 if a.header("idempotent-replayed").is_some() => "replayed".to_string(),
            201 => "created".to_string(),
            _ => a.json()["code"].as_str().unwrap_or("?").to_string(),
        };
        *seen.entry(kind).or_default() += 1;
    }
    assert_eq!(seen.get("created"), Some(&1), "exactly one request did the work: {seen:?}");
    assert!(
        seen.keys().all(|k| ["created", "replayed", "idempotency_key_in_use", "idempotent_request_applied"].contains(&k.as_str())),
        "{seen:?}"
    );
    assert_eq!(incident_count(&desk, "核心交换机端口抖动").await, 1);
    // Once answered, every retry replays the first answer.
    let again = client.post("/api/v1/incidents", &body).await;
    let created = answers.iter().find(|a| a.status == 201 && a.header("idempotent-replayed").is_none()).unwrap();
    assert_eq!(
        (again.status, again.header("idempotent-replayed"), again.json()["id"].clone()),
        (201, Some("true"), created.json()["id"].clone())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_request_committed_but_never_answered_is_not_done_twice() {
    use yunwei_store::idempotency;
    let app = spawn_app().await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "系统组" })).await.json()["id"].as_i64().unwrap();
    let body = json!({ "title": "备份作业超时", "description": "d", "impact": "low", "urgency": "low", "team_id": team });
    let (admin_id, desk) = app.user_with_roles("desk", &["ops_director"]).await;
    // The handler runs and commits, and then the answer is lost (the client timed out, the
    // server was killed): only what the commit wrote remains.
    let hash = yunwei_core::crypto::sha256_hex(&format!("POST /api/v1/incidents\n{body}"));
    let scope = idempotency::IdempotencyScope::new(admin_id, "inc-lost-1".into(), hash, app.core.now_ms());
    let ctx = yunwei_core::auth::build_actor(&app.core, yunwei_domain::ids::UserId(admin_id), yunwei_core::auth::Via::Session, None)
        .await
        .map(|actor| yunwei_core::Ctx { actor: Some(actor), meta: Default::default() })
        .unwrap();
    let input = serde_json::from_value(body.clone()).unwrap();
    let made = idempotency::scoped(scope.clone(), yunwei_core::incident::create(&app.core, &ctx, input)).await.unwrap();
    assert!(scope.claimed(), "the commit wrote the key");
    assert_eq!(incident_count(&desk, "备份作业超时").await, 1);

    let retry = desk.clone().header("idempotency-key", "inc-lost-1").post("/api/v1/incidents", &body).await;
    assert_problem(&retry, 409, "idempotent_request_applied");
    assert_eq!(
        (retry.json()["object_type"].as_str(), retry.json()["object_id"].as_str()),
        (Some("incident"), Some(serde_json::to_value(&made).unwrap()["id"].to_string().as_str()))
    );
    assert_eq!(incident_count(&desk, "备份作业超时").await, 1, "the retry did not create a second incident");
    // The same key with another body is still refused as reuse.
    let other = desk
        .clone()
        .header("idempotency-key", "inc-lost-1")
        .post("/api/v1/incidents", &json!({ "title": "x", "description": "d", "impact": "low", "urgency": "low", "team_id": team }))
        .await;
    assert_problem(&other, 422, "idempotency_key_reused");
    app.stop().await;
}

#[tokio::test]
async fn an_error_answer_does_not_keep_the_key() {
    let app = spawn_app().await;
    // The refusal is audited (a commit that writes the key), then answered 403: the key is
    // released, so the retry is judged again rather than told it was done.
    let keyed = app.admin().header("idempotency-key", "puppet-1");
    let body = json!({ "username": "puppet", "display_name": "p", "roles": ["audit_admin"] });
    let first = keyed.post("/api/v1/users", &body).await;
    assert_problem(&first, 403, "duty_on_create");
    let again = keyed.post("/api/v1/users", &body).await;
    assert_problem(&again, 403, "duty_on_create");
    assert!(again.header("idempotent-replayed").is_none());
    // With the body corrected, the same key now does the work once.
    let fixed = json!({ "username": "puppet", "display_name": "p", "roles": ["auditor"] });
    let made = app.admin().header("idempotency-key", "puppet-2").post("/api/v1/users", &fixed).await;
    assert_eq!(made.status, 201, "{}", made.text());
    let replay = app.admin().header("idempotency-key", "puppet-2").post("/api/v1/users", &fixed).await;
    assert_eq!((replay.status, replay.header("idempotent-replayed")), (201, Some("true")));
    app.stop().await;
}
