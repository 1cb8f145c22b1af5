//! On-call duty (值班) through the API and the pages: a supervisor builds a schedule of
//! layers (weekly days, a night layer on top), overrides one shift, and anyone on duty asks
//! who is on call at a time; members added later move no past shift. The controls: engineers
//! read but do not manage the roster, others read nothing; every refusal and every field
//! error is problem+json.

use serde_json::{Value, json};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, spawn_app};

/// Unix ms of a Beijing wall-clock time.
fn bj(text: &str) -> i64 {
    let dt: jiff::civil::DateTime = text.parse().expect("a local time");
    dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone")).expect("in zone").timestamp().as_millisecond()
}

async fn who(c: &Client, schedule: i64, at: &str) -> Vec<String> {
    let r = c.get(&format!("/api/v1/duty/schedules/{schedule}/on-call?at={}", bj(at))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["users"].as_array().expect("users").iter().map(|u| u["name"].as_str().unwrap_or_default().to_string()).collect()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A user with a Chinese display name (user names themselves are ASCII).
async fn person(app: &yunwei_testkit::TestApp, username: &str, name: &str, roles: &[&str]) -> (i64, Client) {
    let (id, client) = app.user_with_roles(username, roles).await;
    let r = app
        .admin()
        .send("PATCH", &format!("/api/v1/users/{id}"), Some("application/json"), json!({ "display_name": name }).to_string().into_bytes())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    (id, client)
}

async fn created(r: yunwei_testkit::TestResponse) -> Value {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn a_supervisor_builds_a_layered_schedule_and_anyone_on_duty_asks_who_is_on_call() {
    let app = spawn_app().await;
    let (_, manager) = app.user_with_roles("duty.manager", &["ops_manager"]).await;
    let (a, engineer) = person(&app, "zhang.wei", "张伟", &["network_engineer"]).await;
    let (b, _) = person(&app, "li.na", "李娜", &["network_engineer"]).await;
    let (c, _) = person(&app, "wang.qiang", "王强", &["system_engineer"]).await;
    let (d, _) = person(&app, "zhao.min", "赵敏", &["system_engineer"]).await;
    let (_, teller) = app.user_with_roles("duty.teller", &["business_user"]).await;
    let s = created(manager.post("/api/v1/duty/schedules", &json!({ "name": "核心系统值班", "time_zone": "Asia/Shanghai" })).await).await;
    let id = s["id"].as_i64().expect("id");
    let day = json!({ "name": "白班", "rotation": "weekly", "starts_local": "2026-01-05T09:00", "members": [a, b] });
    created(manager.post(&format!("/api/v1/duty/schedules/{id}/layers"), &day).await).await;
    let night = json!({
        "name": "夜班", "rotation": "daily", "starts_local": "2026-01-05T18:00", "members": [c, d],
        "window_from": "18:00", "window_to": "08:00"
    });
    let v = created(manager.post(&format!("/api/v1/duty/schedules/{id}/layers"), &night).await).await;
    assert_eq!(v["layers"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["layers"][1]["precedence"], 2, "a new layer goes on top: {v}");

    assert_eq!(who(&engineer, id, "2026-01-05T08:59").await, Vec::<String>::new(), "before the first handoff");
    assert_eq!(who(&engineer, id, "2026-01-05T10:00").await, names(&["张伟"]));
    assert_eq!(who(&engineer, id, "2026-01-05T19:00").await, names(&["王强"]), "the night layer on top");
    assert_eq!(who(&engineer, id, "2026-01-06T07:59").await, names(&["王强"]));
    assert_eq!(who(&engineer, id, "2026-01-06T08:00").await, names(&["张伟"]));
    assert_eq!(who(&engineer, id, "2026-01-06T18:00").await, names(&["赵敏"]));
    assert_eq!(who(&engineer, id, "2026-01-12T09:00").await, names(&["李娜"]), "the weekly handoff");

    // 赵敏 stands in for 张伟 on the 7th, 10:00–12:00.
    let o = json!({ "user_id": d, "replaces_user_id": a, "starts_at": bj("2026-01-07T10:00"), "ends_at": bj("2026-01-07T12:00"), "reason": "体检" });
    let v = created(manager.post(&format!("/api/v1/duty/schedules/{id}/overrides"), &o).await).await;
    let now = engineer.get(&format!("/api/v1/duty/schedules/{id}/on-call?at={}", bj("2026-01-07T11:00"))).await.json();
    assert_eq!((now["users"][0]["name"].as_str(), now["layer_name"].as_str()), (Some("赵敏"), Some("白班")), "{now}");
    assert_eq!(now["overrides"].as_array().map(Vec::len), Some(1));
    assert_eq!(who(&engineer, id, "2026-01-07T12:00").await, names(&["张伟"]), "the end is exclusive");

    // The shifts of three days: contiguous, merged, the gap before the start included.
    let r =
        engineer.get(&format!("/api/v1/duty/schedules/{id}/shifts?from={}&to={}", bj("2026-01-05T00:00"), bj("2026-01-08T00:00"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let shifts = r.json()["items"].as_array().cloned().expect("items");
    assert_eq!(shifts[0]["users"], json!([]));
    assert_eq!(shifts[0]["ends_at"], bj("2026-01-05T09:00"));
    assert!(shifts.windows(2).all(|w| w[0]["ends_at"] == w[1]["starts_at"]), "{shifts:?}");
    assert!(shifts.iter().any(|s| s["overridden"] == true));
    assert_eq!(shifts.last().map(|s| s["ends_at"].clone()), Some(json!(bj("2026-01-08T00:00"))));

    // A member added now changes no past shift.
    let layer = v["layers"][0]["id"].as_i64().expect("layer id");
    let (e, _) = person(&app, "sun.li", "孙丽", &["network_engineer"]).await;
    let before = who(&engineer, id, "2026-01-12T09:00").await;
    created(manager.post(&format!("/api/v1/duty/layers/{layer}/members"), &json!({ "user_id": e })).await).await;
    assert_eq!(who(&engineer, id, "2026-01-12T09:00").await, before);
    let again = manager.post(&format!("/api/v1/duty/layers/{layer}/members"), &json!({ "user_id": e })).await;
    assert_problem(&again, 409, "duty_member_already");
    let removed = manager.delete(&format!("/api/v1/duty/layers/{layer}/members/{e}")).await;
    assert_eq!(removed.status, 200, "{}", removed.text());
    assert_eq!(who(&engineer, id, "2026-01-12T09:00").await, before);

    // Engineers read the roster but do not manage it; a teller reads nothing.
    let refused = engineer.post(&format!("/api/v1/duty/schedules/{id}/layers"), &day).await;
    assert_problem(&refused, 403, "forbidden");
    let refused = engineer.post(&format!("/api/v1/duty/schedules/{id}/overrides"), &o).await;
    assert_problem(&refused, 403, "forbidden");
    let refused = engineer.post("/api/v1/duty/schedules", &json!({ "name": "自排" })).await;
    assert_problem(&refused, 403, "forbidden");
    assert_problem(&teller.get(&format!("/api/v1/duty/schedules/{id}/on-call")).await, 403, "forbidden");
    assert_problem(&app.anonymous().get("/api/v1/duty/schedules").await, 401, "unauthenticated");
    // The engine's entry answers the same as the API.
    let at = bj("2026-01-05T19:00");
    let ids = yunwei_core::duty::who_is_on_call(&app.core, yunwei_domain::ids::DutyScheduleId(id), at).await.expect("on call");
    assert_eq!(ids, vec![yunwei_domain::ids::UserId(c)]);
    app.stop().await;
}

#[tokio::test]
async fn bad_layers_and_schedules_are_refused_by_field() {
    let app = spawn_app().await;
    let (_, manager) = app.user_with_roles("duty.mgr2", &["ops_manager"]).await;
    let s = created(manager.post("/api/v1/duty/schedules", &json!({ "name": "网络值班" })).await).await;
    let id = s["id"].as_i64().expect("id");
    assert_eq!(s["time_zone"], "Asia/Shanghai", "the server's zone by default: {s}");
    let layers = format!("/api/v1/duty/schedules/{id}/layers");
    for (body, field, code) in [
        (
            json!({ "name": "x", "rotation": "custom", "rrule": "FREQ=MONTHLY", "starts_local": "2026-01-05T09:00" }),
            "rrule",
            "unsupported_rrule",
        ),
        (
            json!({ "name": "x", "rotation": "daily", "rotation_length": 0, "starts_local": "2026-01-05T09:00" }),
            "rotation_length",
            "out_of_range",
        ),
        (json!({ "name": "x", "rotation": "daily", "starts_local": "明天" }), "starts_local", "invalid_datetime"),
        (
            json!({ "name": "x", "rotation": "daily", "starts_local": "2026-01-05T09:00", "window_from": "18:00" }),
            "window_to",
            "invalid_window",
        ),
        (json!({ "name": "x", "rotation": "daily", "starts_local": "2026-01-05T09:00", "responders": 11 }), "responders", "out_of_range"),
        (json!({ "name": "x", "rotation": "daily", "starts_local": "2026-01-05T09:00", "members": [999_999] }), "members", "not_found"),
    ] {
        let r = manager.post(&layers, &body).await;
        assert_problem(&r, 422, "validation_failed");
        let errors = r.json()["errors"].clone();
        assert!(errors.as_array().into_iter().flatten().any(|e| e["field"] == field && e["code"] == code), "{field} {code}: {errors}");
    }
    let zone = manager.post("/api/v1/duty/schedules", &json!({ "name": "火星值班", "time_zone": "Mars/Olympus" })).await;
    assert_problem(&zone, 422, "validation_failed");
    let taken = manager.post("/api/v1/duty/schedules", &json!({ "name": "网络值班" })).await;
    assert_problem(&taken, 409, "duty_schedule_name_taken");
    app.stop().await;
}

/// A signed-in page session in `locale`.
async fn pages_as(app: &yunwei_testkit::TestApp, username: &str, locale: &str) -> Client {
    let c = app.session(username, yunwei_testkit::ADMIN_PASSWORD).await;
    let r = c.send("PATCH", "/api/v1/me", Some("application/json"), json!({ "locale": locale }).to_string().into_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    c
}

#[tokio::test]
async fn the_schedule_page_names_the_coming_shifts_and_offers_forms_only_to_managers() {
    let app = spawn_app().await;
    let (_, manager) = person(&app, "duty.lead", "周主管", &["ops_manager"]).await;
    let (a, _) = person(&app, "duty.eng", "张伟", &["network_engineer"]).await;
    let (b, _) = person(&app, "duty.eng2", "李娜", &["network_engineer"]).await;
    let s = created(manager.post("/api/v1/duty/schedules", &json!({ "name": "数据中心值班" })).await).await;
    let id = s["id"].as_i64().expect("id");
    let day = json!({ "name": "日常轮值", "rotation": "daily", "starts_local": "2026-01-05T09:00", "members": [a, b] });
    created(manager.post(&format!("/api/v1/duty/schedules/{id}/layers"), &day).await).await;

    let lead = pages_as(&app, "duty.lead", "zh-CN").await;
    let list = lead.get("/duty").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let text = list.text();
    assert!(text.contains("数据中心值班") && (text.contains("张伟") || text.contains("李娜")), "on call now, by name");
    let page = lead.get(&format!("/duty/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    for words in ["未来两周排班", "日常轮值", "每 1 天轮换", "添加排班层", "安排替班", "张伟", "李娜"] {
        assert!(text.contains(words), "{words} on the manager's page");
    }
    // A failed override keeps what was typed and says why by the field.
    let csrf = yunwei_testkit::hidden(&text, "csrf_token");
    let bad = lead
        .post_form(
            &format!("/duty/{id}/overrides"),
            &[
                ("csrf_token", &csrf),
                ("user_id", &b.to_string()),
                ("replaces_user_id", ""),
                ("starts_local", "2026-02-01T10:00"),
                ("ends_local", "2026-02-01T09:00"),
                ("reason", "培训"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(bad.text().contains("结束时间须晚于开始时间") && bad.text().contains("培训"), "{}", bad.text());

    let eng = pages_as(&app, "duty.eng", "en").await;
    let page = eng.get(&format!("/duty/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    assert!(text.contains("The coming two weeks") && text.contains("Every 1 days"), "the engineer reads it in English");
    for absent in ["Add a layer", "Add an override", "Add a member", "/remove"] {
        assert!(!text.contains(absent), "{absent} is not offered to an engineer");
    }
    let refused = eng
        .post_form(
            &format!("/duty/{id}/layers"),
            &[
                ("csrf_token", &yunwei_testkit::hidden(&text, "csrf_token")),
                ("name", "x"),
                ("rotation", "daily"),
                ("starts_local", "2026-01-05T09:00"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    app.stop().await;
}

async fn step(c: &Client, swap: i64, action: &str) -> yunwei_testkit::TestResponse {
    c.post(&format!("/api/v1/duty/swaps/{swap}/{action}"), &json!({})).await
}

/// 12-hour shifts (08:00 and 20:00) handed round 张伟, 李娜, 王强 from 2026-01-05: on
/// 2027-03-01 张伟 has the day, 李娜 the night, 王强 the next day (and the night before).
#[tokio::test]
async fn a_swap_is_accepted_by_the_counterpart_only_and_approved_by_a_third_supervisor_only() {
    let app = spawn_app().await;
    let (_, manager) = person(&app, "swap.lead", "周主管", &["ops_manager"]).await;
    let (a, zhang) = person(&app, "swap.zhang", "张伟", &["network_engineer"]).await;
    let (b, li) = person(&app, "swap.li", "李娜", &["network_engineer"]).await;
    let (c, wang) = person(&app, "swap.wang", "王强", &["network_engineer"]).await;
    let (_, third) = person(&app, "swap.third", "赵敏", &["network_engineer"]).await;
    let (_, auditor) = app.user_with_roles("swap.audit", &["audit_admin"]).await;
    let s = created(manager.post("/api/v1/duty/schedules", &json!({ "name": "两班倒", "min_rest_hours": 8 })).await).await;
    let id = s["id"].as_i64().expect("id");
    let layer = json!({ "name": "十二小时班", "rotation": "custom", "rrule": "FREQ=DAILY;BYHOUR=8,20", "starts_local": "2026-01-05T08:00", "members": [a, b, c] });
    created(manager.post(&format!("/api/v1/duty/schedules/{id}/layers"), &layer).await).await;
    assert_eq!(who(&zhang, id, "2027-03-01T10:00").await, names(&["张伟"]));
    assert_eq!(who(&zhang, id, "2027-03-01T21:00").await, names(&["李娜"]));
    assert_eq!(who(&zhang, id, "2027-03-02T10:00").await, names(&["王强"]));
    let swaps = format!("/api/v1/duty/schedules/{id}/swaps");

    // 李娜 asks 王强 to take her night.
    let night =
        json!({ "counterpart_id": c, "starts_at": bj("2027-03-01T20:00"), "ends_at": bj("2027-03-02T08:00"), "reason": "家中有事" });
    let swap = created(li.post(&swaps, &night).await).await;
    let sid = swap["id"].as_i64().expect("swap id");
    assert_eq!((swap["state"].as_str(), swap["needs_approval"].as_bool()), (Some("proposed"), Some(true)), "{swap}");
    // A third person cannot accept it, nor the requester; nobody approves before acceptance.
    let r = step(&third, sid, "accept").await;
    assert_problem(&r, 403, "forbidden");
    assert_eq!(r.json()["permission"], "duty_swap_not_counterpart", "{}", r.text());
    assert_problem(&step(&li, sid, "accept").await, 403, "forbidden");
    assert_problem(&step(&manager, sid, "approve").await, 409, "duty_swap_illegal_step");
    let accepted = step(&wang, sid, "accept").await;
    assert_eq!((accepted.status, accepted.json()["state"].clone()), (200, json!("accepted")), "{}", accepted.text());
    assert_eq!(who(&zhang, id, "2027-03-01T21:00").await, names(&["李娜"]), "nothing changes before approval");
    // The requester cannot approve their own swap, nor the counterpart, nor the system administrator.
    assert_problem(&step(&li, sid, "approve").await, 403, "forbidden");
    assert_problem(&step(&wang, sid, "approve").await, 403, "forbidden");
    assert_problem(&app.admin().post(&format!("/api/v1/duty/swaps/{sid}/approve"), &json!({})).await, 403, "forbidden");
    let approved = step(&manager, sid, "approve").await;
    assert_eq!((approved.status, approved.json()["state"].clone()), (200, json!("approved")), "{}", approved.text());
    assert_eq!(who(&zhang, id, "2027-03-01T21:00").await, names(&["王强"]), "the approved swap is on the roster");
    assert_problem(&step(&manager, sid, "approve").await, 409, "duty_swap_illegal_step");

    // Into a gap of rest: with 16 hours asked, 张伟 asks 李娜 to take his day shift, which
    // would leave her 12 hours after her own day shift before it.
    let put = manager.put(&format!("/api/v1/duty/schedules/{id}"), &json!({ "name": "两班倒", "min_rest_hours": 16 })).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let day = json!({ "counterpart_id": b, "starts_at": bj("2027-03-01T08:00"), "ends_at": bj("2027-03-01T20:00") });
    let r = zhang.post(&swaps, &day).await;
    assert_problem(&r, 422, "validation_failed");
    assert!(r.text().contains("rest_too_short"), "{}", r.text());
    // Not one's own shift, or already begun: refused by field.
    let r =
        zhang.post(&swaps, &json!({ "counterpart_id": b, "starts_at": bj("2027-03-02T08:00"), "ends_at": bj("2027-03-02T20:00") })).await;
    assert!(r.status == 422 && r.text().contains("not_on_call"), "{}", r.text());
    let r =
        zhang.post(&swaps, &json!({ "counterpart_id": b, "starts_at": bj("2026-01-05T08:00"), "ends_at": bj("2026-01-05T20:00") })).await;
    assert!(r.status == 422 && r.text().contains("in_the_past"), "{}", r.text());

    // Every step is in the audit log.
    let log = auditor.get("/api/v1/audit-events?object_type=duty_swap").await.json();
    let actions: Vec<&str> = log["items"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
    for a in ["request", "accept", "approve"] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
    app.stop().await;
}
