//! The bulk demo loader (`yunwei demo --incidents N`) on both engines: what it writes is
//! complete and searchable, and the indexes it drops for speed come back.

use serde_json::Value;
use yunwei_testkit::spawn_app;

async fn index_names(app: &yunwei_testkit::TestApp) -> Vec<String> {
    let sql = if app.core.database().backend == yunwei_store::Backend::Sqlite {
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('incidents', 'incident_activities') ORDER BY name"
    } else {
        "SELECT indexname::text AS name FROM pg_indexes WHERE tablename IN ('incidents', 'incident_activities') ORDER BY indexname"
    };
    let rows = sqlx::query(sql).fetch_all(&app.core.database().read).await.unwrap();
    rows.iter().map(|r| yunwei_store::Row::get::<String, _>(r, "name")).collect()
}

#[tokio::test]
async fn bulk_demo_load_writes_searchable_incidents_and_restores_indexes() {
    let app = spawn_app().await;
    yunwei_core::demo::load(&app.core).await.unwrap();
    yunwei_core::demo::load_desk(&app.core).await.unwrap();
    let before = index_names(&app).await;
    assert!(before.iter().any(|n| n == "ix_incidents_team_state_due"), "{before:?}");
    let existing = yunwei_store::incident::max_id(&app.core.database().read).await.unwrap();

    let mut reported = Vec::new();
    let written = yunwei_core::demo::load_incidents(&app.core, 2500, |n| reported.push(n)).await.unwrap();
    assert_eq!(written, 2500);
    assert_eq!(reported.last(), Some(&2500), "{reported:?}");
    assert_eq!(index_names(&app).await, before, "every dropped index is rebuilt");

    let (_, director) = app.user_with_roles("load.director", &["ops_director"]).await;
    let newest = director.get("/api/v1/incidents?sort=created&limit=1").await;
    assert_eq!(newest.status, 200, "{}", newest.text());
    let top = &newest.json()["items"][0];
    assert_eq!(top["id"], existing + 2500, "{top}");
    let detail = director.get(&format!("/api/v1/incidents/{}", top["number"].as_str().unwrap())).await.json();
    assert!(detail["timeline"].as_array().is_some_and(|t| !t.is_empty()), "{detail}");

    // Loaded rows are in the search index; a new incident gets the next number.
    let number = top["number"].as_str().unwrap().to_string();
    let found = director.get(&format!("/api/v1/search?q={number}")).await.json();
    assert_eq!(found["incidents"][0]["number"], number.as_str(), "{found}");
    let created = director
        .post(
            "/api/v1/incidents",
            &serde_json::json!({ "title": "加载后新建", "description": "检查编号", "impact": "low", "urgency": "low" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id: &Value = &created.json()["id"];
    assert_eq!(id.as_i64(), Some(existing + 2501));
    app.stop().await;
}

#[tokio::test]
async fn demo_major_incidents_have_a_commander() {
    let app = spawn_app().await;
    yunwei_core::demo::load(&app.core).await.unwrap();
    yunwei_core::demo::load_desk(&app.core).await.unwrap();
    let (_, director) = app.user_with_roles("look.director", &["ops_director"]).await;
    let majors = director.get("/api/v1/incidents?major=true&queue=all").await.json();
    let items = majors["items"].as_array().expect("items");
    assert!(!items.is_empty(), "the demo's P1 incidents are major: {majors}");
    for i in items {
        let detail = director.get(&format!("/api/v1/incidents/{}", i["number"].as_str().unwrap())).await.json();
        assert!(detail["major_incident"]["commander_id"].as_i64().is_some(), "a commander is named: {detail}");
    }
    app.stop().await;
}
