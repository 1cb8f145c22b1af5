//! The change calendar and the approval matrix through the API (issue 13, CHG-4/CHG-5, ADR
//! 0028): windows in a freeze refused by the field in both languages unless an emergency
//! passes its freeze exception first; conflicts on the same CI and on the same impact path;
//! the business peak; the calendar, its iCalendar feed and the secret feed URL; approval
//! stages from the matrix, attacked by the requester, another team's manager, a CAB member
//! out of turn, the roleless and the anonymous.

use serde_json::{Value, json};
use yunwei_testkit::{Client, TestApp, spawn_app};

const HOUR: i64 = 3_600_000;

/// Local Shanghai time as unix milliseconds.
fn at(y: i16, m: i8, d: i8, h: i8) -> i64 {
    jiff::civil::date(y, m, d).at(h, 0, 0, 0).in_tz("Asia/Shanghai").expect("zone").timestamp().as_millisecond()
}

fn form(from: i64, to: i64) -> Value {
    json!({
        "title": "数据库参数调整",
        "change_type": "normal",
        "content": "调整连接池参数。",
        "reason": "高峰期连接耗尽。",
        "steps": ["备份参数", "调整参数", "观察"],
        "window_start": from,
        "window_end": to,
        "backup_plan": "导出参数文件。",
        "rollback_plan": "恢复原参数。"
    })
}

/// The change settings as they stand (the administrator may write them, not read changes).
async fn current(app: &TestApp) -> Value {
    serde_json::to_value(yunwei_core::change::change_settings(&app.core).await.expect("settings")).expect("json")
}

/// Replaces part of the change settings (as the process owner's administrator would).
async fn settings(app: &TestApp, f: impl FnOnce(&mut Value)) {
    let mut s = current(app).await;
    f(&mut s);
    let r = app.admin().put("/api/v1/change-settings", &s).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

fn no_rules(s: &mut Value) {
    s["schedule"]["month_end_days"] = json!(0);
    s["schedule"]["quarter_end_days"] = json!(0);
    s["schedule"]["holiday_freeze"] = json!(false);
}

async fn created(c: &Client, body: &Value) -> (String, Value) {
    let r = c.post("/api/v1/changes", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    (format!("/api/v1/changes/{}", v["number"].as_str().expect("number")), v)
}

#[tokio::test]
async fn freezes_refuse_a_window_unless_an_emergency_passes_its_exception_first() {
    let app = spawn_app().await;
    let (_, eng) = app.user_with_roles("cal.eng", &["system_engineer"]).await;
    let (_, cab) = app.user_with_roles("cal.cab", &["cab_member"]).await;
    let now = app.core.now_ms();
    settings(&app, |s| {
        no_rules(s);
        s["schedule"]["freezes"] =
            json!([{ "name": "年终决算封网", "name_en": "Year-end closing", "start": now + 48 * HOUR, "end": now + 96 * HOUR }]);
    })
    .await;

    // A normal change inside the named freeze: refused by the field, the freeze named in both languages.
    let r = eng.post("/api/v1/changes", &form(now + 60 * HOUR, now + 62 * HOUR)).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let e = &r.json()["errors"][0];
    assert_eq!((e["field"].as_str(), e["code"].as_str()), (Some("window_start"), Some("change_in_freeze")), "{}", r.text());
    assert!(e["message"].as_str().is_some_and(|m| m.contains("年终决算封网")), "{}", r.text());
    let r = eng.clone().header("accept-language", "en").post("/api/v1/changes", &form(now + 60 * HOUR, now + 62 * HOUR)).await;
    assert!(r.json()["errors"][0]["message"].as_str().is_some_and(|m| m.contains("Year-end closing")), "{}", r.text());
    // Moving a draft into the freeze is refused too; before and after it is fine.
    let (base, _) = created(&eng, &form(now + 24 * HOUR, now + 26 * HOUR)).await;
    let r = eng.patch(&base, &json!({ "window_start": now + 95 * HOUR, "window_end": now + 97 * HOUR })).await;
    assert_eq!((r.status, r.json()["errors"][0]["code"].as_str()), (422, Some("change_in_freeze")), "{}", r.text());
    let r = eng.get(&format!("{base}/schedule")).await;
    assert_eq!((r.status, r.json()["freezes"].as_array().map(Vec::len)), (200, Some(0)), "{}", r.text());

    // An emergency may be scheduled there: one approval more, its freeze exception first.
    let mut body = form(now - HOUR, now + HOUR);
    settings(&app, |s| s["schedule"]["freezes"][0]["start"] = json!(now - 2 * HOUR)).await;
    body["change_type"] = json!("emergency");
    let (base, v) = created(&eng, &body).await;
    assert_eq!(v["approvals_needed"], 2, "{v}");
    let r = eng.post(&format!("{base}/transitions/submit"), &json!({})).await;
    assert_eq!(r.json()["approval"][0]["name"], "封网例外审批", "{}", r.text());
    let r = eng.post(&format!("{base}/transitions/start"), &json!({})).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("change_freeze_needs_approval")), "{}", r.text());
    let check = eng.get(&format!("{base}/schedule")).await.json();
    assert_eq!(check["freezes"][0]["kind"], "named", "{check}");
    let r = cab.post(&format!("{base}/approvals"), &json!({ "vote": "approve", "comment": "同意封网期紧急实施" })).await;
    assert_eq!((r.json()["state"].as_str(), r.json()["approval"][0]["status"].as_str()), (Some("pending_approval"), Some("passed")));
    let r = eng.post(&format!("{base}/transitions/start"), &json!({})).await;
    assert_eq!(r.json()["state"], "implementing", "{}", r.text());

    // Month-end as a rule of working days: Friday 29 January 2027 is January's last one.
    settings(&app, |s| {
        s["schedule"]["freezes"] = json!([]);
        s["schedule"]["month_end_days"] = json!(1);
    })
    .await;
    let r = eng.post("/api/v1/changes", &form(at(2027, 1, 29, 2), at(2027, 1, 29, 4))).await;
    assert!(r.json()["errors"][0]["message"].as_str().is_some_and(|m| m.contains("月末封网（2027年1月）")), "{}", r.text());
    assert_eq!(eng.post("/api/v1/changes", &form(at(2027, 1, 28, 2), at(2027, 1, 28, 4))).await.status, 201);
    // Settings are checked by the field.
    let mut bad = current(&app).await;
    bad["schedule"]["peak"] = json!([{ "weekdays": [8], "start": "18:00", "end": "09:00" }]);
    let r = app.admin().put("/api/v1/change-settings", &bad).await;
    let problem = r.json();
    let fields: Vec<&str> = problem["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["schedule.peak[0].weekdays", "schedule.peak[0].end"], "{}", r.text());
    app.stop().await;
}

#[tokio::test]
async fn conflicts_on_the_same_ci_and_the_same_impact_path_are_warned_by_name() {
    use sqlx::Row;
    let app = spawn_app().await;
    yunwei_core::demo::cmdb::load_cis(&app.core, 600, 1800, |_, _| {}).await.expect("demo CMDB");
    settings(&app, no_rules).await;
    let (_, eng) = app.user_with_roles("cal.eng2", &["system_engineer"]).await;
    let (_, mgr) = app.user_with_roles("cal.mgr", &["ops_manager"]).await;
    // Two VMs of one two-member pool: changing both at once takes the pool's redundancy away.
    let sql = "SELECT r.to_ci_id, MIN(r.from_ci_id), MAX(r.from_ci_id) FROM ci_relations r JOIN ci_relation_types t ON t.id = r.type_id \
               WHERE t.code = 'member_of' GROUP BY r.to_ci_id HAVING COUNT(*) = 2 ORDER BY r.to_ci_id LIMIT 1";
    let row = sqlx::query(sql).fetch_one(&app.core.database().read).await.expect("pool");
    let (pool, a, b): (i64, i64, i64) = (row.try_get(0).expect("pool"), row.try_get(1).expect("a"), row.try_get(2).expect("b"));
    let pool_name: String = sqlx::query("SELECT name FROM cis WHERE id = $1")
        .bind(pool)
        .fetch_one(&app.core.database().read)
        .await
        .expect("name")
        .try_get(0)
        .expect("name");
    let from = at(2030, 6, 1, 1);
    let with = |cis: &[i64], from: i64, to: i64| {
        let mut f = form(from, to);
        f["ci_ids"] = json!(cis);
        f
    };
    // The manager's change on VM A is waiting for approval.
    let (first, one) = created(&mgr, &with(&[a], from, from + 2 * HOUR)).await;
    assert_eq!(mgr.post(&format!("{first}/transitions/submit"), &json!({})).await.status, 200);
    // The same CI at an overlapping time; the pool's other member; the same CI the next day.
    let (same, _) = created(&eng, &with(&[a], from + HOUR, from + 3 * HOUR)).await;
    let (path, _) = created(&eng, &with(&[b], from + HOUR, from + 3 * HOUR)).await;
    let (later, _) = created(&eng, &with(&[a], from + 24 * HOUR, from + 26 * HOUR)).await;
    let check = eng.get(&format!("{same}/schedule")).await.json();
    let c = &check["conflicts"][0];
    assert_eq!(c["number"], one["number"], "{check}");
    assert_eq!(c["title"], one["title"], "engineers read every change");
    assert_eq!(c["shared"][0]["same_ci"], true, "{check}");
    let check = eng.get(&format!("{path}/schedule")).await.json();
    let shared: Vec<&str> = check["conflicts"][0]["shared"].as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert!(shared.contains(&pool_name.as_str()), "{pool_name} in {check}");
    assert_eq!(check["in_peak"], false, "01:00 on a Saturday");
    assert_eq!(eng.get(&format!("{later}/schedule")).await.json()["conflicts"], json!([]));
    // The owner of the first sees the others' conflicts once they wait too.
    eng.post(&format!("{same}/transitions/submit"), &json!({})).await;
    let check = mgr.get(&format!("{first}/schedule")).await.json();
    assert_eq!(check["conflicts"].as_array().map(Vec::len), Some(1), "{check}");

    // The business peak: 10:00 on a Wednesday.
    let (peak, _) = created(&eng, &form(at(2027, 1, 27, 10), at(2027, 1, 27, 11))).await;
    assert_eq!(eng.get(&format!("{peak}/schedule")).await.json()["in_peak"], true);
    // The change page shows the warnings by name.
    let page = eng.get(&format!("/changes/{}", path.rsplit('/').next().expect("number"))).await;
    assert!(page.text().contains(&pool_name) && page.text().contains(one["number"].as_str().expect("n")), "conflict on the page");
    app.stop().await;
}

#[tokio::test]
async fn the_calendar_its_feed_and_the_secret_url_show_what_the_reader_may_read() {
    let app = spawn_app().await;
    settings(&app, |s| {
        no_rules(s);
        s["schedule"]["freezes"] =
            json!([{ "name": "国庆保障", "name_en": "National Day", "start": at(2030, 10, 1, 0), "end": at(2030, 10, 8, 0) }]);
    })
    .await;
    let (_, eng) = app.user_with_roles("cal.eng3", &["system_engineer"]).await;
    // A reader of their own teams' changes only.
    let (other_id, other) = app.user_with_roles("cal.reader", &[]).await;
    let (_, sec) = app.user_with_roles("cal.sec", &["security_admin"]).await;
    let role =
        json!({ "key": "change_team_reader", "name_en": "Change reader", "name_zh": "变更查看", "permissions": ["change:read:team"] });
    assert_eq!(sec.post("/api/v1/roles", &role).await.status, 201);
    let ctx = yunwei_core::Ctx::system();
    let keys = ["change_team_reader".to_string()];
    yunwei_core::admin::set_user_roles(&app.core, &ctx, yunwei_domain::ids::UserId(other_id), &keys).await.expect("role");
    let (_, roleless) = app.user_with_roles("cal.none", &[]).await;
    let (base, v) = created(&eng, &form(at(2030, 9, 20, 1), at(2030, 9, 20, 3))).await;
    eng.post(&format!("{base}/transitions/submit"), &json!({})).await;
    let range = format!("/api/v1/change-calendar?from={}&to={}", at(2030, 9, 1, 0), at(2030, 11, 1, 0));
    let cal = eng.get(&range).await.json();
    assert_eq!(cal["changes"][0]["number"], v["number"], "{cal}");
    assert_eq!((cal["freezes"][0]["name"].as_str(), cal["freezes"][0]["kind"].as_str()), (Some("国庆保障"), Some("named")));
    // A reader outside the team sees the freeze, not the change; the roleless nothing.
    let theirs = other.get(&range).await.json();
    assert_eq!((theirs["changes"].as_array().map(Vec::len), theirs["freezes"].as_array().map(Vec::len)), (Some(0), Some(1)), "{theirs}");
    let r = roleless.get(&range).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(app.anonymous().get(&range).await.status, 401);
    let r = eng.get("/api/v1/change-calendar?from=2030-09-02T00:00:00Z&to=2030-09-01T00:00:00Z").await;
    assert_eq!((r.status, r.json()["errors"][0]["field"].as_str()), (422, Some("to")), "{}", r.text());
    let r = eng.get("/api/v1/change-calendar?from=yesterday").await;
    assert_eq!((r.status, r.json()["errors"][0]["field"].as_str()), (400, Some("from")), "{}", r.text());

    // The pages: month, week, list, at any width.
    for view in ["month", "week", "list"] {
        let page = eng.get(&format!("/changes/calendar?view={view}&date=2030-09-20")).await;
        assert_eq!(page.status, 200, "{view}");
        assert!(page.text().contains(v["number"].as_str().expect("number")), "{view}");
    }
    assert!(eng.get("/changes/calendar?view=month&date=2030-10-01").await.text().contains("国庆保障"));

    // The iCalendar feed (RFC 5545) with stable UIDs, and the secret URL for calendar programs.
    let id = v["id"].as_i64().expect("id");
    let feed = eng.get("/api/v1/change-calendar.ics").await;
    assert!(feed.header("content-type").is_some_and(|c| c.starts_with("text/calendar")), "{}", feed.text());
    assert!(feed.text().contains("END:VCALENDAR"));
    let r = eng.post("/api/v1/change-calendar/feed-token", &json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let path = r.json()["path"].as_str().expect("path").to_string();
    assert_eq!(roleless.post("/api/v1/change-calendar/feed-token", &json!({})).await.status, 403);
    // The feed covers the coming half year: a change next week appears under its own UID.
    let now = app.core.now_ms();
    let (soon, s) = created(&eng, &form(now + 7 * 24 * HOUR, now + 7 * 24 * HOUR + HOUR)).await;
    eng.post(&format!("{soon}/transitions/submit"), &json!({})).await;
    let text = app.anonymous().get(&path).await.text();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(text.contains(&format!("UID:change-{}@yunwei", s["id"])), "{text}");
    assert!(!text.contains(&format!("UID:change-{id}@yunwei")), "September 2030 is beyond the feed");
    assert_eq!(app.anonymous().get(&path).await.text(), text, "the same bytes while nothing changes");
    assert_eq!(app.anonymous().get("/api/v1/change-calendar/feed/ywcal_nope").await.status, 404);
    eng.post("/api/v1/change-calendar/feed-token", &json!({})).await;
    assert_eq!(app.anonymous().get(&path).await.status, 404, "a new URL retires the old one");
    app.stop().await;
}

#[tokio::test]
async fn the_approval_matrix_runs_stages_in_order_and_only_their_approvers_vote() {
    let app = spawn_app().await;
    let (eng_id, eng) = app.user_with_roles("mx.eng", &["system_engineer"]).await;
    let (mgr_id, mgr) = app.user_with_roles("mx.mgr", &["ops_manager"]).await;
    let (_, other_mgr) = app.user_with_roles("mx.mgr2", &["ops_manager"]).await;
    let (_, cab1) = app.user_with_roles("mx.cab1", &["cab_member"]).await;
    let (_, cab2) = app.user_with_roles("mx.cab2", &["cab_member"]).await;
    let (_, roleless) = app.user_with_roles("mx.none", &[]).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "数据库组", "members": [eng_id], "manager_id": mgr_id })).await;
    let team = team.json()["id"].as_i64().expect("team");
    // Low-risk normal changes: the team's manager, then two of the CAB.
    settings(&app, |s| {
        no_rules(s);
        let row = json!({ "risk": "low", "change_type": "normal", "stages": [
            { "name": "部门经理审批", "name_en": "Manager", "approvers": ["manager"], "rule": "any" },
            { "name": "CAB 评审", "name_en": "CAB", "approvers": [{ "role": "cab_member" }], "rule": { "quorum": 2 } }
        ] });
        s["approval_matrix"].as_array_mut().expect("matrix").push(row);
    })
    .await;
    let now = app.core.now_ms();
    let mut body = form(now + 24 * HOUR, now + 26 * HOUR);
    body["team_id"] = json!(team);
    let (base, v) = created(&eng, &body).await;
    assert_eq!((v["risk_level"].as_str(), v["approvals_needed"].as_i64()), (Some("low"), Some(3)), "{v}");
    let r = eng.post(&format!("{base}/transitions/submit"), &json!({})).await;
    let stages: Vec<(String, String)> = r.json()["approval"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| (s["name_en"].as_str().unwrap_or("").to_string(), s["status"].as_str().unwrap_or("").to_string()))
        .collect();
    let want = [("Manager", "current"), ("CAB", "waiting")].map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(stages, want, "{}", r.text());

    let approve = json!({ "vote": "approve", "comment": "同意" });
    // Out of turn (the CAB before the manager), another team's manager, the requester, the roleless, nobody.
    for (who, c) in [("cab out of turn", &cab1), ("other manager", &other_mgr)] {
        let r = c.post(&format!("{base}/approvals"), &approve).await;
        assert_eq!((r.status, r.json()["permission"].as_str()), (403, Some("change:approve:stage:1")), "{who}: {}", r.text());
    }
    let r = eng.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!((r.status, r.json()["permission"].as_str()), (403, Some("change:approve")), "{}", r.text());
    assert_eq!(roleless.post(&format!("{base}/approvals"), &approve).await.json()["code"], "forbidden");
    assert_eq!(app.anonymous().post(&format!("{base}/approvals"), &approve).await.status, 401);
    // The manager passes stage 1; the CAB needs two of its members.
    let r = mgr.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!(r.json()["approval"][0]["status"], "passed", "{}", r.text());
    assert_eq!(r.json()["approval"][1]["status"], "current");
    let r = cab1.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!((r.json()["state"].as_str(), r.json()["approval"][1]["have"].as_i64()), (Some("pending_approval"), Some(1)));
    let r = cab1.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (409, Some("change_already_voted")));
    let r = cab2.post(&format!("{base}/approvals"), &approve).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());

    // A manager's own change: never approved by its requester, whatever the matrix says.
    let (own, _) = created(&mgr, &form(now + 24 * HOUR, now + 26 * HOUR)).await;
    mgr.post(&format!("{own}/transitions/submit"), &json!({})).await;
    let r = mgr.post(&format!("{own}/approvals"), &approve).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (403, Some("own_request")), "{}", r.text());
    // High and critical rows need joint review: a single approval is refused by the field.
    let mut bad = current(&app).await;
    bad["approval_matrix"][2]["stages"][0]["rule"] = json!("any");
    let r = app.admin().put("/api/v1/change-settings", &bad).await;
    let e = &r.json()["errors"][0];
    assert_eq!(
        (r.status, e["field"].as_str(), e["code"].as_str()),
        (422, Some("approval_matrix[2].stages"), Some("joint_review_required"))
    );
    app.stop().await;
}
