use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::spawn_app;

#[tokio::test]
async fn probes_run_once_each_and_bad_counts_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin();
    assert_problem(&admin.post("/api/v1/jobs/probes", &serde_json::json!({ "count": 0 })).await, 422, "validation_failed");
    assert_problem(&admin.post("/api/v1/jobs/probes", &serde_json::json!({ "count": 5, "hold_ms": 5000 })).await, 422, "validation_failed");
    assert_eq!(admin.post("/api/v1/jobs/probes", &serde_json::json!({ "count": 15 })).await.status, 202);
    let mut total = 0;
    for _ in 0..100 {
        let runs = admin.get("/api/v1/jobs/runs?kind=system.probe").await.json();
        total = runs.as_array().unwrap().iter().map(|r| r["runs"].as_i64().unwrap()).sum::<i64>();
        if total >= 15 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(total, 15);
    let (_, reader) = app.user_with_roles("job.reader", &["auditor"]).await;
    assert_problem(&reader.post("/api/v1/jobs/probes", &serde_json::json!({ "count": 1 })).await, 403, "forbidden");
    app.stop().await;
}
