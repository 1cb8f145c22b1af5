//! The workbench home (issue 15): an engineer sees their work, what is about to breach and
//! their teams' queues with one-click "assign to me"; a requester sees their tickets and the
//! catalogue; readers of reports see 30-day charts; processes not built are not offered.

use serde_json::json;
use yunwei_testkit::csrf;
use yunwei_testkit::{ADMIN_PASSWORD, Client, spawn_app};

async fn incident(reporter: &Client, title: &str, team: Option<i64>) -> String {
    let r = reporter
        .post(
            "/api/v1/incidents",
            &json!({ "title": title, "description": "首页测试", "impact": "high", "urgency": "high", "team_id": team }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["number"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_home_is_a_workbench_for_engineers_and_a_portal_for_requesters() {
    let app = spawn_app().await;
    let (eng_id, _) = app.user_with_roles("wang.wangluo", &["network_engineer"]).await;
    let (_, requester) = app.user_with_roles("he.guiyuan", &["business_user"]).await;
    let (director_id, director_api) = app.user_with_roles("zhao.zongjian", &["ops_director"]).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "网络组", "members": [eng_id] })).await;
    assert_eq!(team.status, 201, "{}", team.text());
    let team = team.json()["id"].as_i64().unwrap_or_default();
    let mine = incident(&director_api, "核心交换机端口丢包", Some(team)).await;
    let waiting = incident(&director_api, "汇聚交换机风扇告警", Some(team)).await;
    let reported = incident(&requester, "柜面打印机卡纸", None).await;
    let r = director_api.post(&format!("/api/v1/incidents/{mine}/assignment"), &json!({ "assignee_id": eng_id })).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // The engineer: their incident, the team's queue counted, the unassigned one offered to take.
    let eng = app.session("wang.wangluo", ADMIN_PASSWORD).await;
    let home = eng.get("/").await;
    assert_eq!(home.status, 200, "{}", home.text());
    let html = home.text();
    for part in ["我的事件（1）", "即将超时", "我的处理组队列", "网络组", "未分派（1）", &mine, &waiting] {
        assert!(html.contains(part), "{part} missing from the engineer's home: {html}");
    }
    assert!(html.contains(&format!("/incidents?queue=unassigned&#38;team_id={team}")), "{html}");
    let take = format!("action=\"/incidents/{waiting}/take\"");
    assert!(html.contains(&take), "assign to me is offered on the unassigned incident");
    assert!(!html.contains(&format!("action=\"/incidents/{mine}/take\"")), "not on one already held");
    assert!(!html.contains("class=\"chart trend\""), "no charts without report:read:all");
    for unbuilt in ["发布管理", "巡检管理", "href=\"/p/"] {
        assert!(!html.contains(unbuilt), "{unbuilt}: processes not built are not in the menu");
    }
    // One click: assigned to me, the team kept, and the home counts it.
    let taken = eng.post_form(&format!("/incidents/{waiting}/take"), &[("csrf_token", &csrf(&html))]).await;
    assert_eq!(taken.status, 303, "{}", taken.text());
    assert_eq!(taken.header("location"), Some(format!("/incidents/{waiting}?ok=assigned").as_str()));
    let detail = director_api.get(&format!("/api/v1/incidents/{waiting}")).await.json();
    assert_eq!((detail["assignee_id"].as_i64(), detail["team_id"].as_i64()), (Some(eng_id), Some(team)), "{detail}");
    let html = eng.get("/").await.text();
    assert!(html.contains("我的事件（2）") && html.contains("您的处理组没有未分派的事件。"), "{html}");

    // The requester: their tickets and the catalogue, none of the desk's lists.
    let req = app.session("he.guiyuan", ADMIN_PASSWORD).await;
    let html = req.get("/").await.text();
    for part in ["我提交的（1）", &reported, "可申请的服务", "VPN 开通", "href=\"/catalog\""] {
        assert!(html.contains(part), "{part} missing from the requester's home");
    }
    for part in ["我的处理组队列", "即将超时", "/take\"", "待我审批"] {
        assert!(!html.contains(part), "{part} is not for requesters");
    }

    // A director reads reports across the desk: three charts of the last 30 days, in English too.
    let director = app.session("zhao.zongjian", ADMIN_PASSWORD).await;
    let html = director.get("/").await.text();
    assert_eq!(html.matches("class=\"chart trend\"").count(), 3, "{html}");
    assert!(html.contains("近 30 天每日新增事件") && html.contains("SLA 达成率"), "{html}");
    let en = app.admin().patch(&format!("/api/v1/users/{director_id}"), &json!({ "locale": "en" })).await;
    assert_eq!(en.status, 200, "{}", en.text());
    let html = director.get("/").await.text();
    for part in ["Service desk trends", "New incidents per day, last 30 days", "Open incidents, last 30 days", "SLA attainment"] {
        assert!(html.contains(part), "{part} missing in English");
    }
    assert!(!html.contains("近 30 天"), "no Chinese on the English home");
    app.stop().await;
}

/// "Assign to me" refuses what it must, in words and without losing the page: a number that is
/// no incident, a closed incident, another team's incident (issue 15, defect 14).
#[tokio::test]
async fn assign_to_me_refuses_bad_numbers_closed_incidents_and_other_teams() {
    let app = spawn_app().await;
    let (eng_id, _) = app.user_with_roles("wang.wangluo", &["network_engineer"]).await;
    let (other_id, _) = app.user_with_roles("li.xitong", &["system_engineer"]).await;
    let (_, director) = app.user_with_roles("zhao.zongjian", &["ops_director"]).await;
    let net = app.admin().post("/api/v1/teams", &json!({ "name": "网络组", "members": [eng_id] })).await.json()["id"].as_i64().unwrap();
    let sys = app.admin().post("/api/v1/teams", &json!({ "name": "系统组", "members": [other_id] })).await.json()["id"].as_i64().unwrap();
    let theirs = incident(&director, "存储阵列告警", Some(sys)).await;
    let closed = incident(&director, "已处理的端口告警", Some(net)).await;
    for (path, body) in [
        (format!("/api/v1/incidents/{closed}/transitions/resolve"), json!({ "resolution_code": "fixed", "resolution": "已更换模块" })),
        (
            format!("/api/v1/incidents/{closed}/transitions/close"),
            json!({ "summary": { "cause": "光模块老化", "handling": "更换", "lessons": "备件", "prevention": "巡检" } }),
        ),
    ] {
        let r = director.post(&path, &body).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    let eng = app.session("wang.wangluo", ADMIN_PASSWORD).await;
    let token = csrf(&eng.get("/").await.text());
    for (number, status, words) in [
        ("INC-XYZ", 404, "未找到"),
        ("INC-999999", 404, "未找到"),
        ("%E2%80%AE", 404, "未找到"),
        (closed.as_str(), 409, "已关闭"),
        (theirs.as_str(), 403, "您无权执行此操作"),
    ] {
        let r = eng.post_form(&format!("/incidents/{number}/take"), &[("csrf_token", &token)]).await;
        let body = r.text();
        assert_eq!(r.status, status, "{number}: {body}");
        assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/html")), "{number}: a page, not problem+json: {body}");
        assert!(body.contains(words), "{number}: {body}");
        assert!(body.contains("href=\"/\""), "{number}: the page keeps its way home");
    }
    // Nothing changed: the other team's incident is still unassigned, the closed one still closed.
    let t = director.get(&format!("/api/v1/incidents/{theirs}")).await.json();
    assert!(t["assignee_id"].is_null(), "{t}");
    let c = director.get(&format!("/api/v1/incidents/{closed}")).await.json();
    assert_eq!(c["state"], "closed", "{c}");
    // Without the form's token the request is refused before anything is looked up.
    let r = eng.post_form(&format!("/incidents/{theirs}/take"), &[]).await;
    assert_eq!(r.status, 403, "{}", r.text());
    app.stop().await;
}
