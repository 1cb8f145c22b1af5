//! The knowledge base through the API: versions reviewed by a second person (never the
//! author, an administrator with every grant included), edits of a published article waiting
//! as a draft while readers keep the published text, visibility attacks (requesters, other
//! teams, roleless and anonymous callers), stored XSS attempts coming out inert, suggestions
//! while typing in Chinese, votes and views, articles from resolved incidents and the review
//! reminder.

use serde_json::{Value, json};
use sqlx::Row;
use std::time::Duration;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, TestApp, spawn_app};

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&app.core.database().read).await.expect(sql);
    row.try_get(0).expect("an integer")
}

fn enc(q: &str) -> String {
    q.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn create(c: &Client, body: Value) -> Value {
    let r = c.post("/api/v1/knowledge", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// Takes a review step at the article's current version; the answer as it came.
async fn step(c: &Client, id: i64, action: &str, note: &str) -> yunwei_testkit::TestResponse {
    let version = c.get(&format!("/api/v1/knowledge/{id}")).await.json()["version"].clone();
    c.post(&format!("/api/v1/knowledge/{id}/steps"), &json!({ "action": action, "version": version, "note": note })).await
}

async fn ok_step(c: &Client, id: i64, action: &str) -> Value {
    let r = step(c, id, action, "").await;
    assert_eq!(r.status, 200, "{action}: {}", r.text());
    r.json()
}

/// Writes an article as `author` and has `reviewer` publish it.
async fn published(author: &Client, reviewer: &Client, body: Value) -> i64 {
    let id = create(author, body).await["id"].as_i64().unwrap();
    ok_step(author, id, "submit").await;
    ok_step(reviewer, id, "publish").await;
    id
}

/// Asks for suggestions until `want` come back (the indexer runs after commit).
async fn suggest_until(c: &Client, q: &str, want: usize) -> Value {
    let mut found = Value::Null;
    for _ in 0..100 {
        let r = c.get(&format!("/api/v1/knowledge/suggest?q={}", enc(q))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        found = r.json();
        if found["items"].as_array().map_or(0, Vec::len) == want {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{q}: wanted {want}, got {found}");
}

fn titles(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_second_person_reviews_and_edits_of_a_published_article_wait_as_drafts() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("kb.eng", &["system_engineer"]).await;
    let (_, manager) = app.user_with_roles("kb.manager", &["ops_manager"]).await;
    let (_, director) = app.user_with_roles("kb.director", &["ops_director"]).await;
    let (_, requester) = app.user_with_roles("kb.user", &["business_user"]).await;
    // A blank body starts from the type's template.
    let a = create(
        &eng,
        json!({ "article_type": "ops_manual", "title": "VPN 客户端无法连接", "visibility": "public", "tags": ["VPN, 远程办公"] }),
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!((a["state"].as_str(), a["latest_number"].as_i64()), (Some("draft"), Some(1)));
    assert!(a["working"]["body"].as_str().unwrap().starts_with("## "), "{a}");
    assert_eq!(a["tags"], json!(["VPN", "远程办公"]));
    assert_eq!(a["actions"], json!(["submit"]));
    // Nothing is published unreviewed; an engineer holds no knowledge:approve.
    assert_problem(&step(&manager, id, "publish", "").await, 409, "illegal_transition");
    ok_step(&eng, id, "submit").await;
    assert_problem(&step(&eng, id, "publish", "").await, 403, "forbidden");
    // A reader does not see it before it is published.
    assert_problem(&requester.get(&format!("/api/v1/knowledge/{id}")).await, 404, "not_found");
    // Sending back needs a comment.
    let r = step(&manager, id, "reject", "").await;
    assert_eq!(r.json()["errors"][0]["field"], "note", "{}", r.text());
    let back = step(&manager, id, "reject", "补充验证方法").await.json();
    assert_eq!((back["state"].as_str(), back["working"]["review_note"].as_str()), (Some("draft"), Some("补充验证方法")));
    let body1 = "## 操作步骤\n\n1. 检查网络\n2. 重启客户端\n";
    let r = eng.patch(&format!("/api/v1/knowledge/{id}"), &json!({ "version": back["version"], "body": body1 })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["latest_number"], 1, "a draft is edited in place");
    ok_step(&eng, id, "submit").await;
    let p = ok_step(&manager, id, "publish").await;
    assert_eq!((p["state"].as_str(), p["published_number"].as_i64()), (Some("published"), Some(1)));
    assert_eq!(p["published"]["reviewer_name"], "kb.manager");
    // Readers see it now; an edit starts version 2, and readers keep version 1 meanwhile.
    let seen = requester.get(&format!("/api/v1/knowledge/{id}")).await.json();
    assert!(seen["published"]["html"].as_str().unwrap().contains("<li>重启客户端</li>"), "{seen}");
    let edited = eng
        .patch(&format!("/api/v1/knowledge/{id}"), &json!({ "version": p["version"], "title": "VPN 客户端无法连接（新版）", "body": "## 操作步骤\n\n1. 检查网络\n2. 重新安装客户端\n" }))
        .await
        .json();
    assert_eq!((edited["latest_number"].as_i64(), edited["published_number"].as_i64()), (Some(2), Some(1)), "{edited}");
    assert_eq!((edited["state"].as_str(), edited["working"]["state"].as_str()), (Some("published"), Some("draft")));
    let seen = requester.get(&format!("/api/v1/knowledge/{id}")).await.json();
    assert_eq!((seen["title"].as_str(), seen["working"].clone()), (Some("VPN 客户端无法连接"), Value::Null), "{seen}");
    assert!(seen["published"]["body"].as_str().unwrap().contains("重启客户端"));
    // Under review the text waits for the reviewer.
    ok_step(&eng, id, "submit").await;
    let v = eng.get(&format!("/api/v1/knowledge/{id}")).await.json();
    assert_problem(
        &eng.patch(&format!("/api/v1/knowledge/{id}"), &json!({ "version": v["version"], "body": "x" })).await,
        409,
        "article_in_review",
    );
    ok_step(&director, id, "publish").await;
    let seen = requester.get(&format!("/api/v1/knowledge/{id}")).await.json();
    assert_eq!((seen["title"].as_str(), seen["published_number"].as_i64()), (Some("VPN 客户端无法连接（新版）"), Some(2)));
    // History: editors see both versions, readers the published one.
    let versions = eng.get(&format!("/api/v1/knowledge/{id}/versions")).await.json();
    let states: Vec<&str> = versions["items"].as_array().unwrap().iter().map(|v| v["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["published", "superseded"]);
    assert_eq!(requester.get(&format!("/api/v1/knowledge/{id}/versions")).await.json()["items"].as_array().unwrap().len(), 1);
    assert_problem(&requester.get(&format!("/api/v1/knowledge/{id}/versions/1")).await, 404, "not_found");
    let diff = eng.get(&format!("/api/v1/knowledge/{id}/diff?from=1&to=2")).await.json();
    let changed: Vec<(&str, &str)> = diff["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tag"] != "equal")
        .map(|r| (r["tag"].as_str().unwrap(), r["left"].as_str().or(r["right"].as_str()).unwrap()))
        .collect();
    assert_eq!(changed, [("delete", "2. 重启客户端"), ("insert", "2. 重新安装客户端")]);
    // Retiring hides it from readers.
    ok_step(&manager, id, "retire").await;
    assert_problem(&requester.get(&format!("/api/v1/knowledge/{id}")).await, 404, "not_found");
    let audited = count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE object_type = 'knowledge' AND object_id = '{id}'")).await;
    assert_eq!(audited, 10, "create, the edit in place, 3 submits, the return, 2 publications, the new version, retirement");
    app.drain_outbox().await;
    let told = count(&app, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'kb.eng'").await;
    assert!(told >= 3, "the author hears of the return, both publications and the retirement: {told}");
}

#[tokio::test]
async fn nobody_publishes_their_own_article_not_even_the_director() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("own.director", &["ops_director"]).await;
    let (_, manager) = app.user_with_roles("own.manager", &["ops_manager"]).await;
    let id = create(&director, json!({ "article_type": "security_doc", "title": "口令策略" })).await["id"].as_i64().unwrap();
    let submitted = ok_step(&director, id, "submit").await;
    assert_eq!(submitted["actions"], json!([]), "no review step offered on one's own text");
    assert_problem(&step(&director, id, "publish", "").await, 403, "own_request");
    assert_problem(&step(&director, id, "reject", "自己退回").await, 403, "own_request");
    // The manager edits the author's published article: the new version is the manager's,
    // so the director may review it, the manager may not.
    ok_step(&manager, id, "publish").await;
    let a = manager.get(&format!("/api/v1/knowledge/{id}")).await.json();
    manager.patch(&format!("/api/v1/knowledge/{id}"), &json!({ "version": a["version"], "body": "## 要求\n\n至少 12 位\n" })).await;
    ok_step(&manager, id, "submit").await;
    assert_problem(&step(&manager, id, "publish", "").await, 403, "own_request");
    assert_problem(&step(&director, id, "publish", "").await, 403, "own_request");
}

#[tokio::test]
async fn readers_see_only_what_their_visibility_allows() {
    let app = spawn_app().await;
    let (eng_a_id, eng_a) = app.user_with_roles("vis.eng.a", &["system_engineer"]).await;
    let (_, eng_b) = app.user_with_roles("vis.eng.b", &["network_engineer"]).await;
    let (_, manager) = app.user_with_roles("vis.manager", &["ops_manager"]).await;
    let (_, requester) = app.user_with_roles("vis.user", &["business_user"]).await;
    let (_, roleless) = app.user_with_roles("vis.nobody", &[]).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "数据库组", "members": [eng_a_id] })).await;
    assert_eq!(team.status, 201, "{}", team.text());
    let team = team.json()["id"].as_i64().unwrap();
    let public = published(
        &eng_a,
        &manager,
        json!({ "article_type": "ops_manual", "title": "打印机卡纸处理", "body": "打开后盖取出纸张", "visibility": "public" }),
    )
    .await;
    let internal = published(
        &eng_a,
        &manager,
        json!({ "article_type": "ops_manual", "title": "打印服务器重启步骤", "body": "登录打印服务器", "visibility": "internal" }),
    )
    .await;
    let restricted = published(&eng_a, &manager, json!({ "article_type": "system_doc", "title": "打印数据库口令轮换", "body": "口令保管在密码柜", "visibility": "restricted", "team_id": team })).await;
    // A restricted article names its team.
    let r = eng_a.post("/api/v1/knowledge", &json!({ "article_type": "system_doc", "title": "x", "visibility": "restricted" })).await;
    assert_eq!((r.status, r.json()["errors"][0]["field"].as_str()), (422, Some("team_id")), "{}", r.text());

    let get = |c: &Client, id: i64| {
        let c = c.clone();
        async move { c.get(&format!("/api/v1/knowledge/{id}")).await }
    };
    // Requesters: public only; a hidden article answers as if it did not exist.
    assert_eq!(get(&requester, public).await.status, 200);
    for id in [internal, restricted] {
        let r = get(&requester, id).await;
        assert_problem(&r, 404, "not_found");
        assert!(!r.text().contains("打印"), "nothing of the article leaks: {}", r.text());
    }
    assert_eq!(titles(&requester.get("/api/v1/knowledge").await.json()), ["打印机卡纸处理"]);
    assert_eq!(titles(&requester.get("/api/v1/knowledge?visibility=internal").await.json()), Vec::<String>::new());
    // Engineers: internal ones, and their own team's restricted ones only.
    assert_eq!(get(&eng_b, internal).await.status, 200);
    assert_problem(&get(&eng_b, restricted).await, 404, "not_found");
    assert_eq!(titles(&eng_b.get("/api/v1/knowledge").await.json()), ["打印服务器重启步骤", "打印机卡纸处理"]);
    assert_eq!(get(&eng_a, restricted).await.status, 200);
    assert_eq!(get(&manager, restricted).await.status, 200, "scope all reads every article");
    // Suggestions honour the same rules.
    assert_eq!(titles(&suggest_until(&eng_a, "打印", 3).await).len(), 3);
    let seen_b = titles(&suggest_until(&eng_b, "打印", 2).await);
    assert!(!seen_b.iter().any(|t| t == "打印数据库口令轮换"), "another team's restricted article: {seen_b:?}");
    assert_eq!(titles(&suggest_until(&requester, "打印", 1).await), ["打印机卡纸处理"]);
    // Requesters may not write, vote on what they cannot see, or review.
    assert_problem(&requester.post("/api/v1/knowledge", &json!({ "article_type": "ops_manual", "title": "x" })).await, 403, "forbidden");
    assert_problem(&requester.post(&format!("/api/v1/knowledge/{internal}/votes"), &json!({ "helpful": true })).await, 404, "not_found");
    assert_problem(&step(&requester, public, "retire", "").await, 403, "forbidden");
    // No role: refused before any lookup; anonymous: 401.
    for path in [format!("/api/v1/knowledge/{public}"), "/api/v1/knowledge".into(), "/api/v1/knowledge/suggest?q=打印".into()] {
        assert_problem(&roleless.get(&path).await, 403, "forbidden");
        assert_eq!(app.anonymous().get(&path).await.status, 401);
    }
}

/// No element of `html` is a script, frame or SVG, carries an event handler or points at a
/// `javascript:` address; what was typed as markup is text between the elements.
fn assert_inert(html: &str) {
    for tag in html.split('<').skip(1).map(|t| t.split('>').next().unwrap_or_default()) {
        let name = tag.split_whitespace().next().unwrap_or_default();
        assert!(!["script", "iframe", "svg", "object", "embed"].contains(&name), "<{tag}>");
        assert!(!tag.split_whitespace().skip(1).any(|attr| attr.starts_with("on")), "<{tag}>");
        assert!(!tag.contains("javascript:") && !tag.contains("data:text"), "<{tag}>");
    }
}

#[tokio::test]
async fn stored_xss_attempts_come_out_inert() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("xss.eng", &["system_engineer"]).await;
    let (_, manager) = app.user_with_roles("xss.manager", &["ops_manager"]).await;
    let attack = "# 攻击\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[点我](javascript:alert(1))\n\n\
                  <a href=\"javascript:alert(2)\">链接</a>\n\n![图](javascript:alert(3))\n\n<iframe src=\"https://evil.example\"></iframe>\n\n\
                  | a | b |\n| - | - |\n| <svg onload=alert(4)> | ok |\n";
    let id = published(
        &eng,
        &manager,
        json!({ "article_type": "ops_manual", "title": "<script>alert('t')</script>", "body": attack, "visibility": "public" }),
    )
    .await;
    let a = eng.get(&format!("/api/v1/knowledge/{id}")).await.json();
    let html = a["published"]["html"].as_str().unwrap().to_lowercase();
    assert_inert(&html);
    assert!(html.contains("<table>") && html.contains("&lt;script&gt;"), "markup kept as text: {html}");
    // The page shows the title and text escaped, and no script of the article runs.
    let page = eng.get(&format!("/knowledge/{id}")).await;
    assert_eq!(page.status, 200);
    let body = page.text();
    let at = body.find("<div class=\"article\">").expect("the article's text");
    let article = &body[at..at + body[at..].find("</div>").expect("its end")];
    assert_inert(&article.to_lowercase());
    assert!(!body.contains("<script>alert"), "the title is escaped too");
    assert!(body.contains("&lt;script&gt;alert"), "the typed markup is visible as text");
}

#[tokio::test]
async fn suggestions_votes_and_views() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("sg.eng", &["system_engineer"]).await;
    let (_, manager) = app.user_with_roles("sg.manager", &["ops_manager"]).await;
    let (_, user1) = app.user_with_roles("sg.user1", &["business_user"]).await;
    let (_, user2) = app.user_with_roles("sg.user2", &["business_user"]).await;
    let vpn = published(
        &eng,
        &manager,
        json!({ "article_type": "ops_manual", "title": "VPN 无法连接的处理", "body": "检查客户端证书", "visibility": "public" }),
    )
    .await;
    let mail = published(
        &eng,
        &manager,
        json!({ "article_type": "ops_manual", "title": "邮箱无法登录", "body": "重置口令后连接", "visibility": "public" }),
    )
    .await;
    // Chinese typed without spaces finds both; "VPN" only one; a draft is never offered.
    create(&eng, json!({ "article_type": "ops_manual", "title": "VPN 草稿", "visibility": "public" })).await;
    let both = suggest_until(&user1, "无法", 2).await;
    assert!(both["items"][0]["path"].as_str().unwrap().starts_with("/knowledge/"));
    assert_eq!(titles(&suggest_until(&user1, "vpn连接", 1).await), ["VPN 无法连接的处理"]);
    assert_eq!(user1.get("/api/v1/knowledge/suggest?q=").await.json()["items"], json!([]));
    assert_problem(&user1.get("/api/v1/knowledge/suggest?q=x&limit=99").await, 422, "validation_failed");
    // Votes: one per reader, a second replaces the first; helpful ones rank first.
    let r = user1.post(&format!("/api/v1/knowledge/{mail}/votes"), &json!({ "helpful": true })).await.json();
    assert_eq!((r["helpful"].as_i64(), r["my_vote"].as_bool()), (Some(1), Some(true)));
    user2.post(&format!("/api/v1/knowledge/{mail}/votes"), &json!({ "helpful": true })).await;
    let r = user1.post(&format!("/api/v1/knowledge/{mail}/votes"), &json!({ "helpful": false })).await.json();
    assert_eq!((r["helpful"].as_i64(), r["unhelpful"].as_i64()), (Some(1), Some(1)));
    user1.post(&format!("/api/v1/knowledge/{vpn}/votes"), &json!({ "helpful": false })).await;
    let ranked = suggest_until(&user1, "无法", 2).await;
    assert_eq!(ranked["items"][0]["id"], mail, "{ranked}");
    // Views count readings of the published text.
    let before = eng.get(&format!("/api/v1/knowledge/{vpn}")).await.json()["views"].as_i64().unwrap();
    user1.get(&format!("/api/v1/knowledge/{vpn}")).await;
    assert_eq!(eng.get(&format!("/api/v1/knowledge/{vpn}")).await.json()["views"].as_i64().unwrap(), before + 2);
}

#[tokio::test]
async fn an_article_starts_from_a_resolved_incident_and_reminds_before_review() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("inc.director", &["ops_director"]).await;
    let (_, manager) = app.user_with_roles("inc.manager", &["ops_manager"]).await;
    let inc = director
        .post("/api/v1/incidents", &json!({ "title": "网银登录超时", "description": "高峰期登录页超时", "impact": "high", "urgency": "high", "impact_scope": "全部个人网银用户" }))
        .await
        .json();
    let (id, number) = (inc["id"].as_i64().unwrap(), inc["number"].as_str().unwrap().to_string());
    assert_problem(&director.get(&format!("/api/v1/knowledge/from-incident/{id}")).await, 409, "incident_not_resolved");
    director.post(&format!("/api/v1/incidents/{number}/transitions/start"), &json!({})).await;
    let r = director
        .post(
            &format!("/api/v1/incidents/{number}/transitions/resolve"),
            &json!({ "resolution_code": "config_change", "resolution": "扩容连接池后恢复" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let draft = director.get(&format!("/api/v1/knowledge/from-incident/{id}")).await.json();
    assert_eq!((draft["article_type"].as_str(), draft["title"].as_str()), (Some("fault_report"), Some("网银登录超时")));
    let body = draft["body"].as_str().unwrap();
    assert!(body.contains("高峰期登录页超时") && body.contains("扩容连接池后恢复") && body.contains(&number), "{body}");
    let mut input = draft.clone();
    input["expires_on"] = json!("2000-01-01");
    let a = create(&director, input).await;
    assert_eq!((a["source_type"].as_str(), a["source_id"].as_i64()), (Some("incident"), Some(id)));
    let aid = a["id"].as_i64().unwrap();
    ok_step(&director, aid, "submit").await;
    ok_step(&manager, aid, "publish").await;
    // The reminder goes once per review date, through the outbox.
    assert_eq!(yunwei_core::knowledge::edit::remind_due(&app.core).await.expect("remind"), 1);
    assert_eq!(yunwei_core::knowledge::edit::remind_due(&app.core).await.expect("remind"), 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox WHERE event_type = 'knowledge.review_due'").await, 1);
    // Bad input is refused by field.
    let r = director
        .post(
            "/api/v1/knowledge",
            &json!({ "article_type": "ops_manual", "title": "x", "expires_on": "2026-13-01", "service_ids": [99999] }),
        )
        .await;
    let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["expires_on", "service_ids"], "{}", r.text());
    assert_problem(&director.post("/api/v1/knowledge", &json!({ "article_type": "poem", "title": "x" })).await, 422, "invalid_body");
}
