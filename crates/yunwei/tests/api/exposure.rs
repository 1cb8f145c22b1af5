//! What callers may see and reach beyond their rights: other users' tokens and
//! contact details, the metrics endpoint, the demo password in the log, and
//! incidents linked or watched from outside the caller's scope.

use serde_json::json;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Options, spawn_app, spawn_app_with};

#[tokio::test]
async fn other_users_tokens_and_contact_details_need_user_update() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (engineer_id, engineer) = app.user_with_roles("contact.engineer", &["network_engineer"]).await;
    let (other_id, _) = app.user_with_roles("contact.other", &["business_user"]).await;
    // user:read only: not the administrator's tokens, still their own.
    assert_problem(&engineer.get("/api/v1/users/1/tokens").await, 403, "forbidden");
    let own = engineer.get(&format!("/api/v1/users/{engineer_id}/tokens")).await;
    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(own.json().as_array().map(Vec::len), Some(1));
    let admins = admin.get("/api/v1/users/1/tokens").await;
    assert_eq!((admins.status, admins.json()[0]["name"].as_str()), (200, Some("tests")), "{}", admins.text());

    // Names for everyone; e-mail and phone only of oneself, unless user:update.
    let listed = engineer.get("/api/v1/users?limit=200").await.json();
    let find = |list: &serde_json::Value, id: i64| list["items"].as_array().unwrap().iter().find(|u| u["id"] == id).cloned().unwrap();
    let other = find(&listed, other_id);
    assert_eq!(other["display_name"], "contact.other");
    assert!(other["email"].is_null() && other["phone"].is_null(), "{other}");
    assert_eq!(find(&listed, engineer_id)["email"], "contact.engineer@bank.example");
    let one = engineer.get(&format!("/api/v1/users/{other_id}")).await.json();
    assert!(one["email"].is_null() && one["username"] == "contact.other", "{one}");
    let by_admin = admin.get("/api/v1/users?limit=200").await.json();
    assert_eq!(find(&by_admin, other_id)["email"], "contact.other@bank.example");
    assert_eq!(admin.get(&format!("/api/v1/users/{other_id}")).await.json()["email"], "contact.other@bank.example");
    app.stop().await;
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let web = yunwei_web::WebConfig { metrics_token: Some("scrape-Secret-42".into()), ..Default::default() };
    let app = spawn_app_with(Options { web: Some(web), ..Default::default() }).await;
    let anonymous = app.anonymous();
    let r = anonymous.get("/metrics").await;
    assert_problem(&r, 401, "unauthenticated");
    assert!(r.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")), "{:?}", r.header("www-authenticate"));
    assert_problem(&anonymous.clone().bearer("scrape-Secret-4").get("/metrics").await, 401, "unauthenticated");
    // An API token is not the metrics token, even the administrator's.
    assert_problem(&app.admin().get("/metrics").await, 401, "unauthenticated");
    let ok = anonymous.clone().bearer("scrape-Secret-42").get("/metrics").await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(ok.text().contains("yunwei_db_pool_connections{pool=\"write\"}"));
    // Other paths still treat a bearer as an API token.
    assert_problem(&anonymous.clone().bearer("scrape-Secret-42").get("/api/v1/me").await, 401, "unauthenticated");
    app.stop().await;
}

#[tokio::test]
async fn a_parent_and_other_watchers_need_rights_on_the_records() {
    let app = spawn_app().await;
    let (teller_a_id, teller_a) = app.user_with_roles("parent.teller.a", &["business_user"]).await;
    let (teller_b_id, teller_b) = app.user_with_roles("parent.teller.b", &["business_user"]).await;
    let (_, engineer) = app.user_with_roles("parent.engineer", &["network_engineer"]).await;
    let (_, director) = app.user_with_roles("parent.director", &["ops_director"]).await;
    let new = |extra: serde_json::Value| {
        let mut body = json!({ "title": "网银无法登录", "description": "d", "impact": "low", "urgency": "low" });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let a = teller_a.post("/api/v1/incidents", &new(json!({}))).await.json();
    // B cannot see A's incident: linking to it is "not found"; watchers other than B are refused.
    let r = teller_b.post("/api/v1/incidents", &new(json!({ "parent_id": a["id"] }))).await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!((r.json()["errors"][0]["field"].as_str(), r.json()["errors"][0]["code"].as_str()), (Some("parent_id"), Some("not_found")));
    assert_problem(&teller_b.post("/api/v1/incidents", &new(json!({ "watchers": [teller_a_id] }))).await, 403, "forbidden");
    let own = teller_b.post("/api/v1/incidents", &new(json!({ "watchers": [teller_b_id] }))).await;
    assert_eq!(own.status, 201, "watching one's own report is fine: {}", own.text());
    // The engineer may read A's incident but not update it (no team of theirs holds it).
    assert_problem(&engineer.post("/api/v1/incidents", &new(json!({ "parent_id": a["id"] }))).await, 403, "forbidden");
    let b = own.json();
    assert_problem(&engineer.patch(&format!("/api/v1/incidents/{}", b["id"]), &json!({ "parent_id": a["id"] })).await, 403, "forbidden");
    // The director may update both: linking and adding watchers work.
    let child = director.post("/api/v1/incidents", &new(json!({ "parent_id": a["id"], "watchers": [teller_a_id] }))).await;
    assert_eq!(child.status, 201, "{}", child.text());
    assert_eq!(child.json()["parent_id"], a["id"]);
    let mut conn = app.core.database().read.acquire().await.unwrap();
    let child_id = yunwei_domain::ids::IncidentId(child.json()["id"].as_i64().unwrap());
    let watchers = yunwei_store::incident::watchers(&mut *conn, child_id).await.unwrap();
    assert!(watchers.contains(&yunwei_domain::ids::UserId(teller_a_id)), "{watchers:?}");
    drop(conn);
    let linked = director.patch(&format!("/api/v1/incidents/{}", b["id"]), &json!({ "parent_id": a["id"] })).await;
    assert_eq!((linked.status, &linked.json()["parent_id"]), (200, &a["id"]), "{}", linked.text());
    app.stop().await;
}

/// `serve --demo` prints the shared demo password once on the terminal (stdout),
/// never into the log (stderr, possibly shipped to a log store).
#[tokio::test]
async fn the_demo_password_is_printed_not_logged() {
    use std::process::{Command, Stdio};
    let fresh = yunwei_store::testing::FreshDatabase::create().await.unwrap();
    let dir = std::env::temp_dir().join(format!("yunwei-demo-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = Command::new(crate::cli::BIN)
        .args(["serve", "--demo", "--listen", &addr.to_string(), "--database-url", &fresh.url, "--data-dir"])
        .arg(&dir)
        .env("YUNWEI_ADMIN_PASSWORD", yunwei_testkit::ADMIN_PASSWORD)
        .env("YUNWEI_LOG", "info")
        .env("YUNWEI_LOG_FORMAT", "json")
        .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
        .spawn()
        .unwrap();
    let client = yunwei_testkit::Client::new(addr);
    let mut ready = false;
    for _ in 0..300 {
        if client.try_send("GET", "/readyz", None, Vec::new()).await.is_ok_and(|r| r.status == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let (stdout, stderr) = (std::fs::read_to_string(&out).unwrap(), std::fs::read_to_string(&err).unwrap());
    assert!(ready, "the demo server did not start: {stderr}");
    assert!(stderr.contains("demo organisation loaded"), "the load is still logged: {stderr}");
    assert!(!stderr.contains(yunwei_core::demo::DEMO_PASSWORD), "the demo password is in the log: {stderr}");
    assert_eq!(stdout.matches(yunwei_core::demo::DEMO_PASSWORD).count(), 1, "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    fresh.drop_now().await.unwrap();
}
