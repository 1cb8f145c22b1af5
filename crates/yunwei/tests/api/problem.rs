//! Problem management through the API (issue 14): a problem opened from incidents, recorded
//! as a known error that the symptom finds in both languages and the incident page shows,
//! analysed, solved through measures and closed after its review; the controls attacked
//! (roleless, another team, the requester); and suggestions from recurring incidents and
//! major incidents, raised once per window, dismissed and accepted.

use serde_json::{Value, json};
use yunwei_testkit::{Client, TestApp, spawn_app};

async fn team(app: &TestApp, name: &str, members: &[i64]) -> i64 {
    let r = app.admin().post("/api/v1/teams", &json!({ "name": name, "members": members })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().expect("team id")
}

fn fields(r: &Value) -> Vec<String> {
    r["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect()).unwrap_or_default()
}

async fn incident(c: &Client, title: &str, category: i64, team: i64) -> String {
    let body = json!({ "title": title, "description": "办公网中断", "impact": "medium", "urgency": "medium", "category_id": category, "team_id": team });
    let r = c.post("/api/v1/incidents", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["number"].as_str().expect("number").to_string()
}

fn encode(q: &str) -> String {
    q.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn scan(c: &Client) -> Value {
    c.post("/api/v1/problem-suggestions/scan", &json!({})).await.json()
}

fn id_of(number: &str) -> i64 {
    number.rsplit('-').next().and_then(|d| d.parse().ok()).expect("number")
}

/// The known errors the symptom's words find, once the indexer has caught up.
async fn known(c: &Client, q: &str, want: &str) -> Value {
    for _ in 0..200 {
        let r = c.get(&format!("/api/v1/known-errors?q={}", encode(q))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        if v["items"].as_array().is_some_and(|a| a.iter().any(|k| k["number"] == want)) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{q} never found {want}");
}

#[tokio::test]
async fn a_problem_from_incidents_becomes_a_known_error_and_closes_after_review() {
    let app = spawn_app().await;
    let (eng_id, eng) = app.user_with_roles("prb.eng", &["network_engineer"]).await;
    let (_, director) = app.user_with_roles("prb.director", &["ops_director"]).await;
    let net = team(&app, "网络组", &[eng_id]).await;
    let cat = director.post("/api/v1/incident-categories", &json!({ "name": "网络故障", "team_id": net })).await.json()["id"]
        .as_i64()
        .expect("category");
    let inc1 = incident(&director, "办公网中断", cat, net).await;
    let inc2 = incident(&director, "办公网再次中断", cat, net).await;

    let r = eng
        .post(
            "/api/v1/problems",
            &json!({ "title": "CS-01 端口反复重启", "impact": "high", "severity": "medium", "incident_ids": [id_of(&inc1), 999_999] }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(fields(&r.json()), ["incident_ids[1]"]);
    let r = eng.post("/api/v1/problems", &json!({ "title": "CS-01 端口反复重启", "impact": "high", "severity": "medium", "ci_ref": "CS-01", "incident_ids": [id_of(&inc1)] })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let p = r.json();
    let number = p["number"].as_str().expect("number").to_string();
    assert!(number.starts_with("PRB-"), "{p}");
    assert_eq!(
        (p["state"].as_str(), p["priority"].as_i64(), p["team_id"].as_i64(), p["owner_id"].as_i64()),
        (Some("new"), Some(2), Some(net), Some(eng_id))
    );
    assert_eq!(p["incidents"][0]["number"], inc1.as_str());
    let base = format!("/api/v1/problems/{number}");
    let r = eng.post(&format!("{base}/incidents"), &json!({ "incident": inc2 })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["incidents"].as_array().map(Vec::len), Some(2));

    // A known error needs its symptom, root cause and workaround.
    assert_eq!(eng.post(&format!("{base}/transitions/start"), &json!({})).await.json()["state"], "investigating");
    let r = eng.post(&format!("{base}/transitions/known_error"), &json!({})).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(fields(&r.json()), ["symptom", "root_cause", "workaround"]);
    let ke = json!({ "symptom": "交换机端口反复重启 port flapping", "root_cause": "固件 9.3(8) 缺陷", "workaround": "将下联切换至 CS-02 备用端口" });
    let r = eng.patch(&base, &ke).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = eng.post(&format!("{base}/transitions/known_error"), &json!({ "note": "厂商已确认" })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["state"].as_str(), r.json()["known_error"].as_bool()), (Some("known_error"), Some(true)));

    // Found by the symptom in Chinese (a two-character word) and in English.
    for q in ["端口", "重启", "flapping", "Port Flapping"] {
        let found = known(&eng, q, &number).await;
        assert!(found["items"][0]["workaround"].as_str().is_some_and(|w| w.contains("CS-02")), "{found}");
    }
    // The incident shows the workaround to the engineer, on the API and on its page.
    let r = director.get(&format!("/api/v1/incidents/{inc2}/known-errors")).await;
    assert_eq!(r.json()["items"][0]["workaround"], "将下联切换至 CS-02 备用端口", "{}", r.text());
    let page = app.session("prb.director", yunwei_testkit::ADMIN_PASSWORD).await.get(&format!("/incidents/{inc2}")).await;
    assert!(page.text().contains("将下联切换至 CS-02 备用端口") && page.text().contains(&number), "incident page lacks the workaround");

    // The analysis record.
    let rca = json!({
        "whys": ["为什么中断？端口重启", "为什么重启？固件缺陷"],
        "causes": [{ "category": "technology", "text": "固件缺陷" }, { "category": "supplier", "text": "厂商公告未推送" }],
        "hypotheses": [{ "text": "光模块老化", "status": "refuted", "evidence": "更换后仍复现" }]
    });
    let r = eng.put(&format!("{base}/rca"), &rca).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["rca"]["causes"][1]["category"], "supplier");
    let r = eng.put(&format!("{base}/rca"), &json!({ "causes": [{ "category": "weather", "text": "x" }] })).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (422, Some("invalid_body")), "{}", r.text());

    // A measure past its due date is overdue, and holds the resolution back until done.
    let r = eng
        .post(&format!("{base}/measures"), &json!({ "title": "升级固件", "owner_id": eng_id, "due_at": app.core.now_ms() - 1000 }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let m = r.json()["measures"][0].clone();
    assert_eq!(m["overdue"], true, "{m}");
    let overdue = eng.get("/api/v1/problems/overdue-measures").await.json();
    assert_eq!(overdue["items"][0]["number"], number.as_str(), "{overdue}");
    let r = eng.post(&format!("{base}/transitions/resolve"), &json!({})).await;
    assert_eq!((r.status, fields(&r.json())), (422, vec!["measures".to_string()]), "{}", r.text());
    let r = eng.patch(&format!("{base}/measures/{}", m["id"]), &json!({ "done": true })).await;
    assert_eq!(r.json()["measures"][0]["overdue"], false, "{}", r.text());
    assert_eq!(eng.post(&format!("{base}/transitions/resolve"), &json!({})).await.json()["state"], "resolved");

    // Closing needs the review.
    let r = eng.post(&format!("{base}/transitions/close"), &json!({})).await;
    assert_eq!((r.status, fields(&r.json())), (422, vec!["review_lessons".to_string(), "review_improvement".to_string()]));
    let r = eng.post(&format!("{base}/review"), &json!({ "lessons": "厂商公告纳入每周巡检", "improvement": false })).await;
    assert_eq!(r.json()["review_improvement"], "no", "{}", r.text());
    assert_eq!(eng.post(&format!("{base}/transitions/close"), &json!({})).await.json()["state"], "closed");
    let r = eng.patch(&base, &json!({ "title": "改" })).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("problem_closed")));
    let r = eng.post(&format!("{base}/transitions/start"), &json!({})).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("illegal_transition")));

    // The timeline tells the story; the audit log has every step.
    let p = eng.get(&base).await.json();
    let kinds: Vec<&str> = p["timeline"].as_array().expect("timeline").iter().filter_map(|a| a["kind"].as_str()).collect();
    for k in ["created", "incident_linked", "state", "measure_add", "measure_done", "review"] {
        assert!(kinds.contains(&k), "{k} missing: {kinds:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn strangers_other_teams_and_requesters_are_stopped() {
    let app = spawn_app().await;
    let (eng_id, eng) = app.user_with_roles("prb.a", &["network_engineer"]).await;
    let (other_id, other) = app.user_with_roles("prb.b", &["network_engineer"]).await;
    let (_, requester) = app.user_with_roles("prb.req", &["business_user"]).await;
    let (_, nobody) = app.user_with_roles("prb.none", &[]).await;
    team(&app, "网络组", &[eng_id]).await;
    team(&app, "主机组", &[other_id]).await;
    let r = requester
        .post("/api/v1/incidents", &json!({ "title": "我的电脑连不上网", "description": "办公网中断", "impact": "low", "urgency": "low" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let inc = r.json()["number"].as_str().expect("number").to_string();
    let p = eng.post("/api/v1/problems", &json!({ "title": "办公网中断", "workaround": "重启交换机端口" })).await.json();
    let base = format!("/api/v1/problems/{}", p["number"].as_str().expect("number"));

    for (who, c) in [("roleless", &nobody), ("requester", &requester)] {
        for path in
            ["/api/v1/problems".to_string(), base.clone(), "/api/v1/problem-suggestions".into(), "/api/v1/known-errors?q=网络".into()]
        {
            let r = c.get(&path).await;
            assert_eq!((r.status, r.json()["code"].as_str()), (403, Some("forbidden")), "{who} {path}: {}", r.text());
        }
        let r = c.post("/api/v1/problems", &json!({ "title": "x" })).await;
        assert_eq!(r.status, 403, "{who}: {}", r.text());
    }
    // The requester's own incident shows no internal problem to them.
    let r = requester.get(&format!("/api/v1/incidents/{inc}/known-errors")).await;
    assert_eq!((r.status, r.json()["items"].as_array().map(Vec::len)), (200, Some(0)), "{}", r.text());
    // Another team reads (engineers read every problem) but neither edits nor links nor moves.
    assert_eq!(other.get(&base).await.status, 200);
    let r = other.patch(&base, &json!({ "title": "改名" })).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (403, Some("forbidden")), "{}", r.text());
    let r = other.post(&format!("{base}/incidents"), &json!({ "incident": inc })).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = other.post(&format!("{base}/transitions/start"), &json!({})).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = other.post(&format!("{base}/comments"), &json!({ "body": "看看", "public": false })).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(app.anonymous().get(&base).await.status, 401);
    // Nothing changed.
    assert_eq!(eng.get(&base).await.json()["title"], "办公网中断");
    app.stop().await;
}

#[tokio::test]
async fn recurring_incidents_suggest_a_problem_once_per_window() {
    let app = spawn_app().await;
    let (eng_id, eng) = app.user_with_roles("sug.eng", &["network_engineer"]).await;
    let (_, director) = app.user_with_roles("sug.director", &["ops_director"]).await;
    let (_, requester) = app.user_with_roles("sug.req", &["business_user"]).await;
    let net = team(&app, "网络组", &[eng_id]).await;
    let cat = director.post("/api/v1/incident-categories", &json!({ "name": "网络故障", "team_id": net })).await.json()["id"]
        .as_i64()
        .expect("category");
    let rules = |threshold: i64| json!({ "rules": [{ "basis": "category", "threshold": threshold, "window_days": 7 }], "matrix": { "cells": [[1, 2, 3], [2, 3, 4], [3, 4, 4]] } });
    let r = app.admin().put("/api/v1/problem-settings", &rules(1)).await;
    assert_eq!((r.status, fields(&r.json())), (422, vec!["rules[0].threshold".to_string()]), "{}", r.text());
    assert_eq!(eng.put("/api/v1/problem-settings", &rules(3)).await.status, 403);
    assert_eq!(app.admin().put("/api/v1/problem-settings", &rules(3)).await.status, 200);

    let mut first = Vec::new();
    for n in 0..3 {
        first.push(incident(&director, &format!("办公网中断 {n}"), cat, net).await);
    }
    assert_eq!(scan(&eng).await["raised"], 1);
    assert_eq!(scan(&eng).await["raised"], 0, "a pending suggestion is not raised twice");
    let list = eng.get("/api/v1/problem-suggestions").await.json();
    let s = &list["items"][0];
    assert_eq!(
        (s["basis"].as_str(), s["subject_id"].as_i64(), s["subject"].as_str()),
        (Some("category"), Some(cat), Some("网络故障")),
        "{list}"
    );
    let numbers: Vec<&str> = s["incidents"].as_array().expect("incidents").iter().filter_map(|i| i["number"].as_str()).collect();
    assert_eq!(numbers, first.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(requester.get("/api/v1/problem-suggestions").await.status, 403);

    // Dismissed: recorded, and that window is not suggested again; a fresh run of three is.
    let sid = s["id"].as_i64().expect("id");
    let r = eng.post(&format!("/api/v1/problem-suggestions/{sid}/dismiss"), &json!({ "reason": "线路施工，已知原因" })).await;
    assert_eq!(r.json()["state"], "dismissed", "{}", r.text());
    assert_eq!(scan(&eng).await["raised"], 0);
    let dismissed = eng.get("/api/v1/problem-suggestions?state=dismissed").await.json();
    assert_eq!(dismissed["items"][0]["reason"], "线路施工，已知原因");
    let r = eng.post(&format!("/api/v1/problem-suggestions/{sid}/dismiss"), &json!({})).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("suggestion_decided")));
    let mut second = vec![incident(&director, "办公网中断 3", cat, net).await];
    assert_eq!(scan(&eng).await["raised"], 0, "one more is not a new run");
    second.push(incident(&director, "办公网中断 4", cat, net).await);
    second.push(incident(&director, "办公网中断 5", cat, net).await);
    assert_eq!(scan(&eng).await["raised"], 1);

    // Accepted: the problem opens with the incidents linked, and they are not suggested again.
    let s = eng.get("/api/v1/problem-suggestions").await.json()["items"][0].clone();
    let r = eng.post(&format!("/api/v1/problem-suggestions/{}/accept", s["id"]), &json!({ "severity": "high" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let p = r.json();
    let linked: Vec<&str> = p["incidents"].as_array().expect("incidents").iter().filter_map(|i| i["number"].as_str()).collect();
    assert_eq!(linked, second.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(p["title"].as_str().is_some_and(|t| t.contains("网络故障")), "{p}");
    assert_eq!(scan(&eng).await["raised"], 0);
    assert_eq!(eng.get("/api/v1/problem-suggestions?state=accepted").await.json()["items"][0]["problem_id"], p["id"]);

    // A major incident always suggests a problem.
    let major = incident(&director, "核心交易中断", cat, net).await;
    let r = director.post(&format!("/api/v1/incidents/{major}/major"), &json!({ "commander_id": eng_id, "reason": "启动应急响应" })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(scan(&eng).await["raised"], 1);
    let s = eng.get("/api/v1/problem-suggestions").await.json()["items"][0].clone();
    assert_eq!((s["basis"].as_str(), s["subject"].as_str()), (Some("major"), Some(major.as_str())), "{s}");
    app.stop().await;
}
