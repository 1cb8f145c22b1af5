//! Language, both ways (issue 15): a zh-CN page shows no English code and an en page no
//! Chinese master data; the audit log speaks in words, in the reader's zone, field by field.

use serde_json::json;
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, spawn_app};

/// The text a reader sees: tags, scripts and styles removed, entities left as they are.
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let tail = &rest[open..];
        let skip_to = ["<script", "<style"].iter().find(|t| tail.starts_with(**t)).map(|t| format!("</{}>", &t[1..]));
        let end = match skip_to {
            Some(close) => tail.find(&close).map(|e| e + close.len()),
            None => tail.find('>').map(|e| e + 1),
        };
        rest = &tail[end.unwrap_or(tail.len())..];
    }
    out.push_str(rest);
    out
}

/// The whole ASCII words of `text` that are in `codes`.
pub fn codes_in(text: &str, codes: &[&str]) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| codes.contains(w)).map(str::to_string).collect()
}

async fn page_session(app: &TestApp, username: &str, roles: &[&str], locale: &str) -> Client {
    app.user_with_roles(username, roles).await;
    let c = app.session(username, ADMIN_PASSWORD).await;
    let patched = c.patch("/api/v1/me", &json!({ "locale": locale })).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    c
}

#[tokio::test]
async fn the_audit_log_speaks_the_readers_language_in_words_and_local_times() {
    let app = spawn_app().await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "系统组", "description": "机房" })).await.json();
    let id = team["id"].as_i64().unwrap();
    app.admin().put(&format!("/api/v1/teams/{id}"), &json!({ "name": "系统组", "description": "服务器" })).await;
    let _ = app.anonymous().post("/api/v1/session", &json!({ "username": "admin", "password": "wrong" })).await;
    let zh = page_session(&app, "audit.zh", &["audit_admin"], "zh-CN").await;
    let en = page_session(&app, "audit.en", &["audit_admin"], "en").await;
    let codes = ["session", "login", "login_failed", "password_change", "team", "create", "update", "description", "updated_at"];

    let page = zh.get("/admin/audit").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = visible_text(&page.text());
    assert_eq!(codes_in(&text, &codes), Vec::<String>::new(), "codes on the zh-CN audit page: {text}");
    assert!(text.contains("登录失败") && text.contains("处理组 #"), "actions and objects in words: {text}");
    assert!(text.contains("说明：机房 → 服务器"), "the change field by field: {text}");
    assert!(!text.contains("{\""), "no raw JSON: {text}");

    let page = en.get("/admin/audit").await;
    let text = visible_text(&page.text());
    assert!(text.contains("Failed to sign in") && text.contains("Teams #"), "{text}");
    assert!(text.contains("Description: 机房 → 服务器"), "{text}");
    assert!(!text.contains("{\""), "no raw JSON: {text}");

    // The export: headings in the reader's language, times in their zone (default Asia/Shanghai).
    let csv = zh.get("/api/v1/audit-events/export?object_type=team").await.text();
    let header = csv.trim_start_matches('\u{feff}').lines().next().unwrap_or_default().to_string();
    assert_eq!(header, "序号,时间,操作人编号,操作人,来源 IP,客户端,对象类型,对象编号,操作,变更前,变更后,哈希");
    let row = csv.lines().nth(1).unwrap_or_default();
    assert!(row.contains("+08:00") && row.contains(",处理组,") && row.contains(",新建,"), "{row}");
    assert!(!csv.contains("time_utc_ms"), "{csv}");
    let csv = en.get("/api/v1/audit-events/export?object_type=team").await.text();
    assert!(csv.trim_start_matches('\u{feff}').starts_with("No.,Time,User ID,User,"), "{csv}");
    app.stop().await;
}

#[tokio::test]
async fn seeded_master_data_is_named_in_the_readers_language_only() {
    let app = spawn_app().await;
    let me = app.admin().get("/api/v1/me").await.json();
    assert_eq!(me["display_name"], "系统管理员", "{me}");
    let zh = page_session(&app, "lang.zh", &["system_admin", "ops_director"], "zh-CN").await;
    let en = page_session(&app, "lang.en", &["system_admin", "ops_director"], "en").await;

    let sla = zh.get("/admin/sla").await;
    assert_eq!(sla.status, 200, "{}", sla.text());
    let text = visible_text(&sla.text());
    assert!(text.contains("标准 SLA") && text.contains("中国大陆工作日历"), "{text}");
    assert_eq!(
        codes_in(&text, &["Standard", "China", "mainland", "office"]),
        Vec::<String>::new(),
        "English on the zh-CN SLA page: {text}"
    );
    let text = visible_text(&en.get("/admin/sla").await.text());
    assert!(text.contains("Standard SLA") && text.contains("China mainland office"), "{text}");
    assert!(!text.contains("标准") && !text.contains("中国大陆工作日历"), "Chinese names on the en SLA page: {text}");

    // Both names are kept and edited through the API; an empty English name falls back.
    let policies = zh.get("/api/v1/sla-policies").await.json();
    let p = &policies["items"][0];
    assert_eq!((p["name"].as_str(), p["name_en"].as_str()), (Some("标准 SLA"), Some("Standard SLA")), "{policies}");
    let calendars = zh.get("/api/v1/calendars").await.json();
    assert_eq!(calendars["items"][0]["name_en"], "China mainland office", "{calendars}");

    // Roles are labelled by name, not by key.
    let form = zh.get("/admin/users/new").await.text();
    let text = visible_text(&form);
    assert!(text.contains("网络工程师") || text.contains("系统管理员"), "{text}");
    assert!(!text.contains("(network_engineer)") && !text.contains("(system_admin)"), "role keys on the zh-CN page: {text}");
    app.stop().await;
}
