//! Change management through the API (issue 13): a change request from draft through joint
//! review to implementation and closure; the approval attacked (the requester, an
//! administrator's account, a user outside the approvers, a second vote); the window, the
//! required plans and the retrospective approval of an emergency; the risk from the CMDB; and
//! the approved windows the alerting asks about.

use serde_json::{Value, json};
use yunwei_testkit::{TestApp, spawn_app};

const HOUR: i64 = 3_600_000;

fn form(answer: u8, from: i64, to: i64) -> Value {
    let answers: serde_json::Map<String, Value> = ["complexity", "untested", "rollback_difficulty", "business_hours", "novelty"]
        .iter()
        .map(|k| (k.to_string(), json!(answer)))
        .collect();
    json!({
        "title": "核心交换机固件升级",
        "change_type": "normal",
        "content": "升级 CS-01 固件。",
        "reason": "修复端口异常重启缺陷。",
        "expected_effect": "业务无感知。",
        "impact_scope": "数据中心核心网络",
        "steps": ["备份配置", "升级固件", "回切观察"],
        "window_start": from,
        "window_end": to,
        "backup_plan": "导出运行配置。",
        "rollback_plan": "以备份镜像回退。",
        "test_plan": "连通性与交易抽测。",
        "risk_answers": answers
    })
}

fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect()).unwrap_or_default()
}

async fn mgr_id(app: &TestApp) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT id FROM users WHERE username = 'chg.mgr'")
        .fetch_one(&app.core.database().read)
        .await
        .expect("user")
        .try_get(0)
        .expect("id")
}

async fn outbox_count(app: &TestApp, event: &str) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) FROM outbox WHERE event_type = $1")
        .bind(event)
        .fetch_one(&app.core.database().read)
        .await
        .expect("outbox")
        .try_get(0)
        .expect("count")
}

#[tokio::test]
async fn a_change_goes_through_joint_review_and_nobody_approves_their_own() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("chg.eng", &["system_engineer"]).await;
    let (_, cab1) = app.user_with_roles("chg.cab1", &["cab_member"]).await;
    let (_, cab2) = app.user_with_roles("chg.cab2", &["cab_member"]).await;
    let (_, outsider) = app.user_with_roles("chg.biz", &["business_user"]).await;
    let (_, roleless) = app.user_with_roles("chg.none", &[]).await;
    let now = app.core.now_ms();

    // High answers: high risk, two approvals (joint review).
    let r = eng.post("/api/v1/changes", &form(2, now - HOUR, now + 2 * HOUR)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json();
    let number = c["number"].as_str().expect("number").to_string();
    assert!(number.starts_with("CHG-"), "{c}");
    assert_eq!((c["state"].as_str(), c["risk_level"].as_str(), c["approvals_needed"].as_i64()), (Some("draft"), Some("high"), Some(2)));
    assert!(c["risk_reasons"].as_array().expect("reasons").iter().any(|r| r["code"] == "questionnaire"), "{c}");
    let base = format!("/api/v1/changes/{number}");

    // No implementation before approval.
    let r = eng.post(&format!("{base}/transitions/start"), &json!({})).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("illegal_transition")), "{}", r.text());
    let r = eng.post(&format!("{base}/transitions/submit"), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["state"], "pending_approval");
    app.drain_outbox().await;
    assert!(outbox_count(&app, "change.approval_requested").await >= 1);

    // The requester, an administrator's account, a user outside the approvers, nobody signed in.
    let approve = json!({ "vote": "approve", "comment": "同意" });
    let r = eng.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!((r.status, r.json()["permission"].as_str()), (403, Some("change:approve")), "{}", r.text());
    // A requester who holds the approve right (an operations manager) still may not.
    let (_, mgr) = app.user_with_roles("chg.mgr", &["ops_manager"]).await;
    let own = mgr.post("/api/v1/changes", &form(0, now - HOUR, now + HOUR)).await.json();
    let own_base = format!("/api/v1/changes/{}", own["number"].as_str().expect("number"));
    assert_eq!(mgr.post(&format!("{own_base}/transitions/submit"), &json!({})).await.status, 200);
    let r = mgr.post(&format!("{own_base}/approvals"), &approve).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (403, Some("own_request")), "{}", r.text());
    // Named implementer of someone else's change: not a voter on it either.
    let mut named = form(0, now - HOUR, now + HOUR);
    named["implementer_id"] = json!(mgr_id(&app).await);
    let theirs = eng.post("/api/v1/changes", &named).await.json();
    let theirs_base = format!("/api/v1/changes/{}", theirs["number"].as_str().expect("number"));
    eng.post(&format!("{theirs_base}/transitions/submit"), &json!({})).await;
    let r = mgr.post(&format!("{theirs_base}/approvals"), &approve).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (403, Some("own_request")), "{}", r.text());
    for (who, client) in [("admin", app.admin()), ("business user", outsider), ("roleless", roleless)] {
        let r = client.post(&format!("{base}/approvals"), &approve).await;
        assert_eq!(r.status, 403, "{who}: {}", r.text());
        assert_eq!(r.json()["code"], "forbidden", "{who}");
    }
    assert_eq!(app.anonymous().post(&format!("{base}/approvals"), &approve).await.status, 401);

    // One approval is not enough; the same person twice is refused.
    let r = cab1.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!((r.status, r.json()["state"].as_str()), (200, Some("pending_approval")), "{}", r.text());
    let r = cab1.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("change_already_voted")), "{}", r.text());
    // A rejection needs its reason, by the field.
    let r = cab2.post(&format!("{base}/approvals"), &json!({ "vote": "reject" })).await;
    assert_eq!((r.status, r.json()["errors"][0]["field"].as_str()), (422, Some("comment")), "{}", r.text());
    let r = cab2.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    assert_eq!(r.json()["approvals"].as_array().map(Vec::len), Some(2));

    // Implementation inside the window, step by step, then closed.
    let r = eng.post(&format!("{base}/transitions/start"), &json!({})).await;
    assert_eq!((r.status, r.json()["state"].as_str()), (200, Some("implementing")), "{}", r.text());
    assert_eq!(r.json()["start_override"], "");
    let r = eng.post(&format!("{base}/steps/1"), &json!({ "status": "done" })).await;
    assert_eq!(r.json()["steps"][0]["status"], "done", "{}", r.text());
    assert!(r.json()["steps"][0]["finished_at"].is_i64());
    assert_eq!(eng.post(&format!("{base}/transitions/complete"), &json!({})).await.status, 200);
    let r = eng.post(&format!("{base}/transitions/close"), &json!({})).await;
    assert_eq!(r.json()["state"], "closed", "{}", r.text());
    let detail = cab1.get(&base).await.json();
    let kinds: Vec<&str> = detail["timeline"].as_array().expect("timeline").iter().filter_map(|a| a["kind"].as_str()).collect();
    for k in ["created", "submit", "vote", "start", "step", "complete", "close"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_input_and_the_window_are_refused_by_the_field() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("chg.eng2", &["system_engineer"]).await;
    let (_, cab) = app.user_with_roles("chg.cab3", &["cab_member"]).await;
    let now = app.core.now_ms();

    let r = eng.post("/api/v1/changes", &form(0, now + 2 * HOUR, now + HOUR)).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let e = &r.json()["errors"][0];
    assert_eq!((e["field"].as_str(), e["code"].as_str()), (Some("window_end"), Some("ends_before_start")), "{}", r.text());
    let r = eng.post("/api/v1/changes", &json!({ "title": "x", "risk_answers": { "colour": 1, "complexity": 9 } })).await;
    let fields = error_fields(&r.json());
    assert!(fields.contains(&"risk_answers.colour".to_string()) && fields.contains(&"risk_answers.complexity".to_string()), "{}", r.text());

    // Submitting a bare draft names every missing field.
    let r = eng.post("/api/v1/changes", &json!({ "title": "空申请" })).await;
    let bare = r.json()["number"].as_str().expect("number").to_string();
    let r = eng.post(&format!("/api/v1/changes/{bare}/transitions/submit"), &json!({})).await;
    let fields = error_fields(&r.json());
    assert_eq!(fields, ["content", "reason", "rollback_plan", "steps", "window_start"], "{}", r.text());

    // Approved for tomorrow: starting now needs a reason, which is kept.
    let r = eng.post("/api/v1/changes", &form(0, now + 24 * HOUR, now + 26 * HOUR)).await;
    let number = r.json()["number"].as_str().expect("number").to_string();
    let base = format!("/api/v1/changes/{number}");
    eng.post(&format!("{base}/transitions/submit"), &json!({})).await;
    let r = cab.post(&format!("{base}/approvals"), &json!({ "vote": "approve" })).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    let r = eng.post(&format!("{base}/transitions/start"), &json!({})).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("change_outside_window")), "{}", r.text());
    let r = eng.post(&format!("{base}/transitions/start"), &json!({ "reason": "厂商工程师提前到场，经值班经理同意" })).await;
    assert_eq!(r.json()["start_override"], "厂商工程师提前到场，经值班经理同意", "{}", r.text());
    // Stop and roll back from a step; a draft is no longer editable.
    let r = eng.post(&format!("{base}/transitions/roll_back"), &json!({})).await;
    assert_eq!(r.json()["state"], "rolled_back");
    let r = eng.patch(&base, &json!({ "title": "改" })).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("change_not_draft")));
    // Unknown transitions are not found; the Chinese message names the field in Chinese.
    assert_eq!(eng.post(&format!("{base}/transitions/fly"), &json!({})).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn an_emergency_is_implemented_first_and_approved_afterwards() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("chg.eng3", &["system_engineer"]).await;
    let (_, cab) = app.user_with_roles("chg.cab4", &["cab_member"]).await;
    let body = json!({ "title": "更换故障电源", "change_type": "emergency", "content": "更换 PSU", "reason": "电源告警",
                       "steps": ["更换电源"], "rollback_plan": "换回原电源", "backup_plan": "无需数据备份，记录序列号" });
    let number = eng.post("/api/v1/changes", &body).await.json()["number"].as_str().expect("number").to_string();
    let base = format!("/api/v1/changes/{number}");
    assert_eq!(eng.post(&format!("{base}/transitions/submit"), &json!({})).await.json()["state"], "pending_approval");
    let r = eng.post(&format!("{base}/transitions/start"), &json!({})).await;
    assert_eq!(r.json()["state"], "implementing", "{}", r.text());
    eng.post(&format!("{base}/transitions/complete"), &json!({})).await;
    // Not closed while the retrospective approval is missing.
    let r = eng.post(&format!("{base}/transitions/close"), &json!({})).await;
    assert_eq!(r.status, 409, "{}", r.text());
    let r = cab.post(&format!("{base}/approvals"), &json!({ "vote": "approve", "comment": "补批" })).await;
    assert_eq!(r.json()["state"], "completed", "{}", r.text());
    assert!(r.json()["approved_at"].is_i64());
    assert_eq!(eng.post(&format!("{base}/transitions/close"), &json!({})).await.json()["state"], "closed");
    let overdue = eng.get("/api/v1/changes/overdue-approvals").await;
    assert_eq!(overdue.status, 200, "{}", overdue.text());
    app.stop().await;
}

#[tokio::test]
async fn the_cmdb_sets_the_risk_and_approved_windows_silence_a_ci() {
    use sqlx::Row;
    let app = spawn_app().await;
    yunwei_core::demo::cmdb::load_cis(&app.core, 600, 1800, |_, _| {}).await.expect("demo CMDB");
    let (_, eng) = app.user_with_roles("chg.eng4", &["system_engineer"]).await;
    let (_, cab) = app.user_with_roles("chg.cab5", &["cab_member"]).await;
    // A VM of a two-VM pool: its services are degraded, kept up by redundancy.
    let sql = "SELECT MIN(r.from_ci_id) FROM ci_relations r JOIN ci_relation_types t ON t.id = r.type_id JOIN cis c ON c.id = r.to_ci_id \
               WHERE t.code = 'member_of' AND c.min_healthy IS NULL \
               AND (SELECT COUNT(*) FROM ci_relations x WHERE x.type_id = t.id AND x.to_ci_id = c.id) = 2";
    let vm: i64 = sqlx::query(sql).fetch_one(&app.core.database().read).await.expect("vm").try_get(0).expect("id");
    let now = app.core.now_ms();
    let mut body = form(0, now - HOUR, now + HOUR);
    body["ci_ids"] = json!([vm]);
    let r = eng.post("/api/v1/changes", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json();
    assert_eq!(c["ci_ids"], json!([vm]));
    assert!(c["risk_reasons"].as_array().expect("reasons").iter().any(|r| r["code"] == "redundancy"), "{c}");
    let base = format!("/api/v1/changes/{}", c["number"].as_str().expect("number"));
    let impact = eng.get(&format!("{base}/impact")).await.json();
    assert!(impact["business_services"].as_array().is_some_and(|s| !s.is_empty()), "{impact}");

    let windows = |at: i64| format!("/api/v1/cmdb/cis/{vm}/change-windows?at={at}");
    assert_eq!(eng.get(&windows(now)).await.json()["items"], json!([]), "a draft holds no window");
    eng.post(&format!("{base}/transitions/submit"), &json!({})).await;
    cab.post(&format!("{base}/approvals"), &json!({ "vote": "approve" })).await;
    let r = eng.get(&windows(now)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["items"][0]["number"], c["number"]);
    assert_eq!(eng.get(&windows(now + 2 * HOUR)).await.json()["items"], json!([]));
    let (_, roleless) = app.user_with_roles("chg.none2", &[]).await;
    assert_eq!(roleless.get(&windows(now)).await.status, 403);
    app.stop().await;
}
