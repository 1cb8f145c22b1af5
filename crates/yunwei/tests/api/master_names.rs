//! Master data in both languages: a team's English name is edited on its page and shown to
//! English readers (lists, filters, exports); Chinese readers see the Chinese name, and an
//! empty English name falls back to it.

use serde_json::json;
use yunwei_testkit::csrf;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn team_names_follow_the_readers_language_with_the_chinese_name_as_fallback() {
    let app = spawn_app().await;
    let admin = app.admin();
    let net = admin.post("/api/v1/teams", &json!({ "name": "网络组" })).await.json();
    let desk = admin.post("/api/v1/teams", &json!({ "name": "桌面组" })).await.json();
    let net_id = net["id"].as_i64().expect("team");
    assert_eq!(net["name_en"], "", "no English name yet");
    // The English name is typed on the team's page.
    let c = app.admin_session().await;
    let page = c.get(&format!("/admin/teams/{net_id}")).await.text();
    assert!(page.contains("name=\"name_en\""), "{page}");
    let saved = c
        .post_form(
            &format!("/admin/teams/{net_id}"),
            &[
                ("csrf_token", &csrf(&page)),
                ("name", "网络组"),
                ("name_en", "Network team"),
                ("description", ""),
                ("email", ""),
                ("manager_id", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert_eq!(admin.get(&format!("/api/v1/teams/{net_id}")).await.json()["name_en"], "Network team");

    app.user_with_roles("zh.reader", &["ops_director"]).await;
    let (_, en_api) = app.user_with_roles("en.reader", &["ops_director"]).await;
    assert_eq!(en_api.patch("/api/v1/me", &json!({ "locale": "en" })).await.status, 200);
    let zh = app.session("zh.reader", ADMIN_PASSWORD).await.get("/incidents?queue=all").await.text();
    let en = app.session("en.reader", ADMIN_PASSWORD).await.get("/incidents?queue=all").await.text();
    let option = |id: &serde_json::Value, name: &str| format!("<option value=\"{id}\">{name}</option>");
    assert!(zh.contains(&option(&net["id"], "网络组")) && !zh.contains("Network team"), "{zh}");
    assert!(en.contains(&option(&net["id"], "Network team")), "{en}");
    assert!(en.contains(&option(&desk["id"], "桌面组")), "an empty English name falls back to the Chinese one: {en}");

    // Exports too.
    let r = en_api
        .post("/api/v1/incidents", &json!({ "title": "丢包", "description": "核心", "impact": "low", "urgency": "low", "team_id": net_id }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let csv = en_api.get("/api/v1/incidents/export/csv?queue=all").await.text();
    assert!(csv.contains(",Network team,"), "{csv}");
    app.stop().await;
}

#[tokio::test]
async fn categories_and_services_carry_both_names_in_forms_lists_exports_and_the_api() {
    let app = spawn_app().await;
    // The desk's settings are the operations manager's (the system administrator reads no incidents).
    let (_, admin) = app.user_with_roles("svc.admin", &["ops_manager"]).await;
    let cat = admin.post("/api/v1/incident-categories", &json!({ "name": "网络故障", "name_en": "Network faults" })).await;
    assert_eq!(cat.status, 201, "{}", cat.text());
    let cat = cat.json();
    assert_eq!(cat["name_en"], "Network faults");
    let bare = admin.post("/api/v1/incident-categories", &json!({ "name": "终端与打印" })).await.json();
    assert_eq!(bare["name_en"], "", "no English name yet");
    let svc = admin.post("/api/v1/business-services", &json!({ "name": "网上银行", "name_en": "Internet banking" })).await;
    assert_eq!(svc.status, 201, "{}", svc.text());
    let svc = svc.json();
    let too_long = admin.post("/api/v1/business-services", &json!({ "name": "长名", "name_en": "x".repeat(101) })).await;
    assert_eq!(too_long.status, 422, "{}", too_long.text());
    assert_eq!(too_long.json()["errors"][0]["field"], "name_en");

    // The admin forms edit the English name (and keep it on a later save).
    let c = app.session("svc.admin", ADMIN_PASSWORD).await;
    let page = c.get(&format!("/admin/business-services/{}", svc["id"])).await.text();
    assert!(page.contains("name=\"name_en\"") && page.contains("value=\"Internet banking\""), "{page}");
    let saved = c
        .post_form(
            &format!("/admin/business-services/{}", svc["id"]),
            &[
                ("csrf_token", &csrf(&page)),
                ("name", "网上银行"),
                ("name_en", "Online banking"),
                ("code", "EBANK"),
                ("description", ""),
                ("team_id", ""),
                ("downtime_budget_minutes", "1200"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert_eq!(admin.get("/api/v1/business-services").await.json()["items"][0]["name_en"], "Online banking");
    let page = c.get(&format!("/admin/incident-categories/{}", cat["id"])).await.text();
    assert!(page.contains("value=\"Network faults\""), "{page}");

    app.user_with_roles("zh.reader", &["ops_director"]).await;
    let (_, en_api) = app.user_with_roles("en.reader", &["ops_director"]).await;
    assert_eq!(en_api.patch("/api/v1/me", &json!({ "locale": "en" })).await.status, 200);
    let body = json!({ "title": "网银登录慢", "description": "多名客户", "impact": "low", "urgency": "low", "category_id": cat["id"], "service_id": svc["id"] });
    let created = en_api.post("/api/v1/incidents", &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let number = created.json()["number"].as_str().unwrap().to_string();
    let zh_c = app.session("zh.reader", ADMIN_PASSWORD).await;
    let en_c = app.session("en.reader", ADMIN_PASSWORD).await;
    let zh = zh_c.get("/incidents?queue=all").await.text();
    let en = en_c.get("/incidents?queue=all").await.text();
    let option = |id: &serde_json::Value, name: &str| format!("<option value=\"{id}\">{name}</option>");
    assert!(zh.contains(&option(&cat["id"], "网络故障")) && !zh.contains("Network faults") && !zh.contains("Online banking"), "{zh}");
    assert!(en.contains(&option(&cat["id"], "Network faults")) && en.contains(&option(&svc["id"], "Online banking")), "{en}");
    assert!(en.contains(&option(&bare["id"], "终端与打印")), "an empty English name falls back to the Chinese one: {en}");
    let record = en_c.get(&format!("/incidents/{number}")).await.text();
    assert!(record.contains("Network faults") && record.contains("Online banking"), "{record}");
    let record = zh_c.get(&format!("/incidents/{number}")).await.text();
    assert!(record.contains("网络故障") && record.contains("网上银行") && !record.contains("Online banking"), "{record}");
    let admin_en = en_c.get("/admin/business-services").await;
    assert!(admin_en.status == 403 || admin_en.text().contains("Online banking"), "{}", admin_en.text());

    let csv = en_api.get("/api/v1/incidents/export/csv?queue=all").await.text();
    assert!(csv.contains(",Network faults,") && csv.contains(",Online banking,"), "{csv}");
    let (_, zh_api) = app.user_with_roles("zh.exporter", &["ops_director"]).await;
    let csv = zh_api.get("/api/v1/incidents/export/csv?queue=all").await.text();
    assert!(csv.contains(",网络故障,") && csv.contains(",网上银行,"), "{csv}");
    app.stop().await;
}
