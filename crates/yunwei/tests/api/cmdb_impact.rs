//! CMDB impact analysis through the API: one CI up and down, several failures together,
//! redundancy, and who may see what.

use serde_json::{Value, json};
use yunwei_testkit::spawn_app;

async fn one(app: &yunwei_testkit::TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&app.core.database().read).await.expect(sql).try_get(0).expect("integer")
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().expect("a list").iter().map(|i| i["id"].as_i64().expect("id")).collect()
}

fn state_of(answer: &Value, id: i64) -> Option<String> {
    answer["items"].as_array()?.iter().find(|i| i["id"] == id).map(|i| i["state"].as_str().unwrap_or_default().to_string())
}

/// A cluster with exactly `members` VMs and the default min_healthy (1).
async fn cluster_with(app: &yunwei_testkit::TestApp, members: i64) -> (i64, Vec<i64>) {
    use sqlx::Row;
    let cluster = one(
        app,
        &format!(
            "SELECT MIN(c.id) FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE k.code = 'cluster' AND c.min_healthy IS NULL \
             AND (SELECT COUNT(*) FROM ci_relations r JOIN ci_relation_types t ON t.id = r.type_id WHERE t.code = 'member_of' AND r.to_ci_id = c.id) = {members}"
        ),
    )
    .await;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT r.from_ci_id FROM ci_relations r JOIN ci_relation_types t ON t.id = r.type_id WHERE t.code = 'member_of' AND r.to_ci_id = {cluster} ORDER BY 1"
    )))
    .fetch_all(&app.core.database().read)
    .await
    .unwrap();
    (cluster, rows.iter().map(|r| r.try_get(0).unwrap()).collect())
}

#[tokio::test]
async fn impact_up_and_down_with_redundancy_and_several_failures() {
    let app = spawn_app().await;
    yunwei_core::demo::cmdb::load_cis(&app.core, 600, 1800, |_, _| {}).await.expect("demo CMDB");
    let (_, eng) = app.user_with_roles("impact.eng", &["system_engineer"]).await;

    // One VM of a two-VM pool fails: the pool and everything on it is degraded, not down.
    let (cluster, vms) = cluster_with(&app, 2).await;
    let r = eng.get(&format!("/api/v1/cmdb/cis/{}/impact", vms[0])).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(a["direction"], "up");
    assert_eq!(state_of(&a, vms[0]).as_deref(), Some("down"));
    assert_eq!(state_of(&a, cluster).as_deref(), Some("degraded"), "{a}");
    assert!(a["down"] == 1 && a["degraded"].as_u64().unwrap() >= 2, "{a}");
    let services = a["business_services"].as_array().unwrap();
    assert!(!services.is_empty() && services.iter().all(|s| s["state"] == "degraded" && s["class_code"] == "business_service"), "{a}");
    assert!(services[0]["name"].as_str().unwrap().contains('-') && !services[0]["name_en"].as_str().unwrap().is_empty());
    let cluster_item = a["items"].as_array().unwrap().iter().find(|i| i["id"] == cluster).unwrap();
    assert_eq!(cluster_item["via"], vms[0], "the pool was made worse by its member");
    assert_eq!(cluster_item["depth"], 1);

    // Both fail together: the pool and its services are down.
    let r = eng.post("/api/v1/cmdb/impact", &json!({ "failed": vms })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let both = r.json();
    assert_eq!(state_of(&both, cluster).as_deref(), Some("down"));
    assert!(both["business_services"].as_array().unwrap().iter().any(|s| s["state"] == "down"), "{both}");
    assert_eq!(
        ids(&both["business_services"]).iter().collect::<std::collections::BTreeSet<_>>(),
        ids(&a["business_services"]).iter().collect()
    );

    // The class filter lists only business services (and the failed CI itself).
    let r = eng.get(&format!("/api/v1/cmdb/cis/{}/impact?class=business_service&depth=10", vms[0])).await;
    let only = r.json();
    assert!(only["items"].as_array().unwrap().iter().all(|i| i["class_code"] == "business_service" || i["id"] == vms[0]), "{only}");
    assert_eq!(only["total"], a["total"], "the filter narrows the list, not the walk");

    // Down: what the cluster needs — its members (redundant), their servers and storage.
    let r = eng.get(&format!("/api/v1/cmdb/cis/{cluster}/impact?direction=down&depth=2")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let needs = r.json();
    let items = needs["items"].as_array().unwrap();
    for vm in &vms {
        let it = items.iter().find(|i| i["id"] == *vm).expect("a member is needed");
        assert_eq!(it["redundant"], true);
        assert_eq!(it["depth"], 1);
    }
    assert!(items.iter().any(|i| i["class_code"] == "server" && i["depth"] == 2), "{needs}");
    assert!(needs["truncated"].as_bool().unwrap(), "racks lie beyond depth 2");
    app.stop().await;
}

#[tokio::test]
async fn impact_names_only_what_the_caller_may_read() {
    let app = spawn_app().await;
    yunwei_core::demo::cmdb::load_cis(&app.core, 300, 900, |_, _| {}).await.expect("demo CMDB");
    let (_, eng) = app.user_with_roles("impact.sys", &["system_engineer"]).await;
    let (_, biz) = app.user_with_roles("impact.biz", &["business_user"]).await;
    let rack = one(&app, "SELECT MIN(c.id) FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE k.code = 'rack'").await;

    // Without a CI grant: refused, both ways in.
    let r = biz.get(&format!("/api/v1/cmdb/cis/{rack}/impact")).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = biz.post("/api/v1/cmdb/impact", &json!({ "failed": [rack] })).await;
    assert_eq!(r.status, 403, "{}", r.text());

    let open = eng.get(&format!("/api/v1/cmdb/cis/{rack}/impact?limit=1000")).await.json();
    assert!(open["items"].as_array().unwrap().iter().any(|i| i["class_code"] == "server"), "{open}");
    assert_eq!(open["hidden"], 0);

    // Servers restricted to a team the engineer is not in: counted as hidden, never named.
    let input = yunwei_core::admin::TeamInput {
        name: "安全组".into(),
        name_en: String::new(),
        description: String::new(),
        email: None,
        manager_id: None,
        members: None,
    };
    let team = yunwei_core::admin::create_team(&app.core, &yunwei_core::Ctx::system(), input).await.unwrap().team.id.0;
    let mut w = app.core.database().writer().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE ci_classes SET restricted_team_id = {team} WHERE code = 'server'")))
        .execute(&mut *w)
        .await
        .unwrap();
    drop(w);
    let closed = eng.get(&format!("/api/v1/cmdb/cis/{rack}/impact?limit=1000")).await.json();
    assert!(!closed["items"].as_array().unwrap().iter().any(|i| i["class_code"] == "server"), "{closed}");
    assert!(closed["hidden"].as_u64().unwrap() >= 1, "{closed}");
    assert_eq!(closed["total"], open["total"]);
    let text = closed.to_string();
    assert!(!text.contains("srv-"), "no server name leaks: {text}");
    // A `via` never points at a hidden CI: every one given is listed itself.
    let listed = ids(&closed["items"]);
    let vias: Vec<i64> = closed["items"].as_array().unwrap().iter().filter_map(|i| i["via"].as_i64()).collect();
    assert!(!vias.is_empty() && vias.iter().all(|v| listed.contains(v)), "{closed}");
    assert!(
        closed["items"].as_array().unwrap().iter().any(|i| i["class_code"] == "virtual_machine" && i["via"].is_null()),
        "VMs on hidden servers: {closed}"
    );
    // Failing a hidden CI is the same as failing one that does not exist.
    let server = one(&app, "SELECT MIN(c.id) FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE k.code = 'server'").await;
    let r = eng.get(&format!("/api/v1/cmdb/cis/{server}/impact")).await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = eng.post("/api/v1/cmdb/impact", &json!({ "failed": [rack, server] })).await;
    assert_eq!(r.status, 404, "{}", r.text());
    app.stop().await;
}

#[tokio::test]
async fn bad_impact_questions_get_field_errors() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("impact.bad", &["system_engineer"]).await;
    let r = eng.get("/api/v1/cmdb/cis/999999/impact").await;
    assert_eq!(r.status, 404, "{}", r.text());
    yunwei_core::demo::cmdb::load_cis(&app.core, 50, 100, |_, _| {}).await.unwrap();
    let ci = one(&app, "SELECT MIN(id) FROM cis").await;
    let r = eng.get(&format!("/api/v1/cmdb/cis/{ci}/impact?direction=sideways&depth=99&limit=0&class=nope")).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let body = r.json();
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["direction", "depth", "limit", "class"] {
        assert!(fields.contains(&f), "{f} in {body}");
    }
    let r = eng.post("/api/v1/cmdb/impact", &json!({ "failed": [] })).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "failed");
    let many: Vec<i64> = (1..=101).collect();
    assert_eq!(eng.post("/api/v1/cmdb/impact", &json!({ "failed": many })).await.status, 422);
    assert_eq!(eng.post("/api/v1/cmdb/impact", &json!({ "failed": [ci], "extra": 1 })).await.status, 422);
    let r = eng.get("/api/v1/cmdb/cis/abc/impact").await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["code"], "not_found");
    app.stop().await;
}
