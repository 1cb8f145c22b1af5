//! Master data in both languages: a team's English name is edited on its page and shown to
//! English readers (lists, filters, exports); Chinese readers see the Chinese name, and an
//! empty English name falls back to it.

use serde_json::json;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

fn csrf(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    html[html.find(marker).expect("csrf") + marker.len()..].split('"').next().unwrap_or_default().to_string()
}

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
