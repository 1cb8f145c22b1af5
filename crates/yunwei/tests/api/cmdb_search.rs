//! Configuration items in the full-text index: found by Chinese words (bigrams), English
//! names, tags and attribute values, through the API and the search page, only by those who
//! may read them; a deleted CI is found no more.

use serde_json::{Value, json};
use std::time::Duration;
use yunwei_testkit::cmdb::class_id;
use yunwei_testkit::{ADMIN_PASSWORD, Client, spawn_app};

fn enc(q: &str) -> String {
    q.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn names(found: &Value) -> Vec<String> {
    found["configuration_items"].as_array().expect("a list").iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
}

/// Searches until `want` CIs come back (the indexer runs after commit, within about a second).
async fn search_until(c: &Client, q: &str, want: usize) -> Value {
    let mut found = Value::Null;
    for _ in 0..100 {
        let r = c.get(&format!("/api/v1/search?q={}", enc(q))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        found = r.json();
        if found["configuration_items"].as_array().map_or(0, Vec::len) == want {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{q}: wanted {want} CIs, got {found}");
}

#[tokio::test]
async fn cis_are_found_by_words_names_tags_and_attributes_within_read_rights() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("search.director", &["ops_director"]).await;
    let admin = app.admin();
    let server = class_id(&admin, "server").await;
    let body = json!({
        "class_id": server, "name": "核心账务主机", "name_en": "Core ledger host", "tags": ["同城机房"],
        "attributes": { "hostname": "acct-db-01", "os": "麒麟操作系统" }
    });
    let r = director.post("/api/v1/cmdb/cis", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();

    for q in ["账务", "ledger", "同城机房", "麒麟", "acct-db-01"] {
        let found = search_until(&director, q, 1).await;
        assert_eq!(names(&found), ["核心账务主机"], "{q}: {found}");
        assert_eq!(found["configuration_items"][0]["class_code"], "server");
    }
    // Only CIs the caller may read: a requester reads none; a restricted class hides them.
    let (_, requester) = app.user_with_roles("search.requester", &["business_user"]).await;
    let r = requester.get(&format!("/api/v1/search?q={}", enc("账务"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["configuration_items"], json!([]));
    let team = admin.post("/api/v1/teams", &json!({ "name": "机房组" })).await.json()["id"].as_i64().unwrap();
    let (_, sys) = app.user_with_roles("search.sys", &["system_admin"]).await;
    assert_eq!(sys.patch(&format!("/api/v1/cmdb/classes/{server}"), &json!({ "restricted_team_id": team })).await.status, 200);
    let hidden = director.get(&format!("/api/v1/search?q={}", enc("账务"))).await.json();
    assert_eq!(hidden["configuration_items"], json!([]), "{hidden}");
    assert_eq!(sys.patch(&format!("/api/v1/cmdb/classes/{server}"), &json!({ "restricted_team_id": null })).await.status, 200);

    // The search page lists it with a link, in the reader's language.
    let c = app.session("search.director", ADMIN_PASSWORD).await;
    let page = c.get(&format!("/search?q={}", enc("账务"))).await.text();
    assert!(page.contains("配置项（1）") && page.contains(&format!("href=\"/cmdb/cis/{id}\"")), "{page}");
    let page = app.session("search.requester", ADMIN_PASSWORD).await.get(&format!("/search?q={}", enc("账务"))).await.text();
    assert!(!page.contains("配置项（"), "no CI list for who may read no CI: {page}");

    // Renamed: found by the new name only. Deleted: found no more.
    let v = director.get(&format!("/api/v1/cmdb/cis/{id}")).await.json()["version"].as_i64().unwrap();
    let r = director.patch(&format!("/api/v1/cmdb/cis/{id}"), &json!({ "version": v, "name": "清算前置主机" })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    search_until(&director, "清算", 1).await;
    search_until(&director, "账务", 0).await;
    assert_eq!(director.delete(&format!("/api/v1/cmdb/cis/{id}")).await.status, 204);
    search_until(&director, "清算", 0).await;
    app.stop().await;
}
