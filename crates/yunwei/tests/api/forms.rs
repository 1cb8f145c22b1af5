//! The form helper over HTTP: a failed form comes back with every field as typed (text,
//! chosen options, ticked boxes) and each message beside its field, in zh-CN and en; filter
//! forms with empty fields mean "any", never a 400.

use serde_json::json;
use yunwei_testkit::hidden;
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, TestResponse, spawn_app};

/// A page session (cookie) for `username`, whose pages speak `locale`, and its CSRF token.
async fn page_session(app: &TestApp, username: &str, roles: &[&str], locale: &str) -> (Client, String) {
    app.user_with_roles(username, roles).await;
    let c = app.session(username, ADMIN_PASSWORD).await;
    // Administrators' accounts are changed by their holders only.
    let patched = c.patch("/api/v1/me", &json!({ "locale": locale })).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let home = c.get("/").await;
    assert_eq!(home.status, 200, "{}", home.text());
    let csrf = hidden(&home.text(), "csrf_token");
    (c, csrf)
}

/// The message shown beside field `name` of form `form`, if any.
fn field_error(html: &str, form: &str, name: &str) -> Option<String> {
    let marker = format!("class=\"field-error\" id=\"e-{form}-{name}\">");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split("</small>").next().unwrap_or_default().to_string())
}

fn ticked(html: &str, name: &str, value: &str) -> bool {
    html.contains(&format!("name=\"{name}\" value=\"{value}\" checked"))
}

fn assert_kept(r: &TestResponse, department: &str, roles: &[&str], untouched: &[&str]) {
    let html = r.text();
    for typed in ["value=\"李 雷\"", "value=\"李雷\"", "value=\"li@bank.example\"", "value=\"13800000000\""] {
        assert!(html.contains(typed), "{typed} kept: {html}");
    }
    assert!(html.contains(&format!("<option value=\"{department}\" selected>")), "the department stays chosen");
    assert!(html.contains("<option value=\"en\" selected>English</option>"), "the language stays chosen");
    for role in roles {
        assert!(ticked(&html, "roles", role), "{role} stays ticked");
    }
    for role in untouched {
        assert!(!ticked(&html, "roles", role), "{role} was not ticked");
    }
}

async fn new_user_journey(app: &TestApp, c: &Client, csrf: &str, zh: bool) {
    let dept = c.post_form("/admin/departments", &[("csrf_token", csrf), ("name", "网络部"), ("code", ""), ("parent_id", "")]).await;
    assert_eq!(dept.status, 303, "{}", dept.text());
    let departments = app.admin().get("/api/v1/departments").await.json();
    let department = departments["items"].as_array().and_then(|a| a.iter().find(|d| d["name"] == "网络部")).map(|d| d["id"].to_string());
    let department = department.unwrap_or_default();
    let form = |username: &'static str, roles: &'static [&'static str]| {
        let mut pairs = vec![
            ("csrf_token", csrf.to_string()),
            ("username", username.to_string()),
            ("display_name", "李雷".to_string()),
            ("email", "li@bank.example".to_string()),
            ("phone", "13800000000".to_string()),
            ("department_id", department.clone()),
            ("locale", "en".to_string()),
        ];
        pairs.extend(roles.iter().map(|r| ("roles", r.to_string())));
        pairs
    };
    let send = |pairs: Vec<(&'static str, String)>| async move {
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.post_form("/admin/users", &borrowed).await
    };

    // A bad user name: 422, everything as typed, the message beside the user name.
    let bad = send(form("李 雷", &["ops_manager", "business_user"])).await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert_kept(&bad, &department, &["ops_manager", "business_user"], &["system_admin", "audit_admin"]);
    let html = bad.text();
    let message = field_error(&html, "user", "username").unwrap_or_else(|| panic!("no message by the user name: {html}"));
    let expected = if zh { "须为 2 到 64 位字母、数字" } else { "2 to 64 letters, digits" };
    assert!(message.contains(expected), "{message}");
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"e-user-username\""), "the input points at its message");
    assert!(field_error(&html, "user", "display_name").is_none(), "no message where nothing is wrong");

    // Two duties in one account: 409, everything as typed, the refusal beside the roles.
    let mut pairs = form("li.lei", &["system_admin", "audit_admin"]);
    pairs[1].1 = "李 雷".into();
    let sod = send(pairs.clone()).await;
    assert_eq!(sod.status, 422, "the bad user name is still refused first");
    pairs[1].1 = "li.lei".into();
    let sod = send(pairs).await;
    assert_eq!(sod.status, 409, "{}", sod.text());
    let html = sod.text();
    assert!(ticked(&html, "roles", "system_admin") && ticked(&html, "roles", "audit_admin"));
    assert!(html.contains("value=\"li.lei\"") && html.contains("value=\"13800000000\""));
    let message = field_error(&html, "user", "roles").unwrap_or_else(|| panic!("no message by the roles: {html}"));
    let expected = if zh { "违反三权分立" } else { "Separation of duties" };
    assert!(message.contains(expected), "{message}");
    assert!(app.admin().get("/api/v1/users?q=li.lei").await.json()["items"].as_array().is_some_and(Vec::is_empty), "nobody was created");

    // Fixed: created, with what was typed.
    let ok = send(form("li.lei", &["ops_manager"])).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let list = app.admin().get("/api/v1/users?q=li.lei").await.json();
    let user = &list["items"][0];
    assert_eq!(
        (user["display_name"].as_str(), user["phone"].as_str(), user["locale"].as_str()),
        (Some("李雷"), Some("13800000000"), Some("en"))
    );
    assert_eq!(user["department_id"].to_string(), department);
}

#[tokio::test]
async fn a_failed_new_user_form_keeps_every_field_and_says_what_is_wrong_in_chinese() {
    let app = spawn_app().await;
    let (c, csrf) = page_session(&app, "sys.zh", &["system_admin"], "zh-CN").await;
    new_user_journey(&app, &c, &csrf, true).await;
    app.stop().await;
}

#[tokio::test]
async fn a_failed_new_user_form_keeps_every_field_and_says_what_is_wrong_in_english() {
    let app = spawn_app().await;
    let (c, csrf) = page_session(&app, "sys.en", &["system_admin"], "en").await;
    new_user_journey(&app, &c, &csrf, false).await;
    app.stop().await;
}

#[tokio::test]
async fn a_form_value_of_the_wrong_kind_is_a_message_by_its_field_not_an_error_page() {
    let app = spawn_app().await;
    let (c, csrf) = page_session(&app, "sys.kind", &["system_admin"], "en").await;
    let r = c.post_form("/admin/departments", &[("csrf_token", &csrf), ("name", "Branch IT"), ("code", "B1"), ("parent_id", "x")]).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let html = r.text();
    assert!(field_error(&html, "dept", "parent_id").is_some_and(|m| !m.is_empty()), "{html}");
    assert!(html.contains("value=\"Branch IT\"") && html.contains("value=\"B1\""), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn filters_with_empty_fields_mean_any() {
    let app = spawn_app().await;
    let (c, _) = page_session(&app, "audit.page", &["audit_admin"], "zh-CN").await;
    // The audit filter as the browser sends it: only the object type typed.
    let r = c.get("/admin/audit?object_type=user&object_id=&action=&actor_id=").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(html.contains("name=\"object_type\" value=\"user\""), "the filter shows what was typed");
    assert!(!html.contains("查询参数不正确"), "{html}");
    let all = c.get("/admin/audit?object_type=&object_id=&action=&actor_id=").await;
    assert_eq!(all.status, 200, "{}", all.text());
    // The API reads the same parameters the same way; text where a number belongs is still refused.
    let api = app.admin().get("/api/v1/audit-events?actor_id=&from=&to=&limit=").await;
    assert_eq!(api.status, 403, "the system administrator may not read the audit log: {}", api.text());
    let api = c.get("/api/v1/audit-events?actor_id=&from=&to=&limit=").await;
    assert_eq!(api.status, 200, "{}", api.text());
    let bad = c.get("/api/v1/audit-events?actor_id=abc").await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(bad.json()["errors"][0]["field"], "actor_id", "{}", bad.text());
    // The desk's queue filter: empty team, category and service mean any.
    let (d, _) = page_session(&app, "desk.page", &["ops_director"], "zh-CN").await;
    let q = d.get("/incidents?q=&state=&priority=&team_id=&category_id=&service_id=&sort=").await;
    assert_eq!(q.status, 200, "{}", q.text());
    app.stop().await;
}
