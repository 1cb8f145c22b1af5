//! Escalation (issue 12): an alert's incident nobody takes on pages level after level of its
//! policy — the person on call on a roster, a named user — on the leased scheduler, each page
//! on the incident's timeline and in the paged person's notices; acknowledging (explicitly,
//! or by starting work) stops it. The controls: the roleless, another team's engineer and
//! nobody signed in cannot acknowledge; a team-scoped supervisor edits only their own
//! team's policies; bad policies are refused by the field.

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use yunwei_core::FixedClock;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, Options, TestApp, spawn_app, spawn_app_with};

const MIN: i64 = 60_000;

/// Unix ms of a Beijing wall-clock time.
fn bj(text: &str) -> i64 {
    let dt: jiff::civil::DateTime = text.parse().expect("a local time");
    dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone")).expect("in zone").timestamp().as_millisecond()
}

async fn clocked_app() -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(bj("2026-12-07T10:00")));
    let dyn_clock: Arc<dyn yunwei_core::Clock> = clock.clone();
    (spawn_app_with(Options { clock: Some(dyn_clock), ..Default::default() }).await, clock)
}

async fn created(r: yunwei_testkit::TestResponse) -> Value {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn rename(app: &TestApp, id: i64, name: &str) {
    let body = json!({ "display_name": name }).to_string().into_bytes();
    assert_eq!(app.admin().send("PATCH", &format!("/api/v1/users/{id}"), Some("application/json"), body).await.status, 200);
}

/// Posts one firing Alertmanager alert for `instance`.
async fn fire(app: &TestApp, token: &str, instance: &str, labels: Value) {
    let mut l = json!({ "alertname": "HostDown", "instance": instance, "severity": "critical" });
    if let (Some(l), Some(extra)) = (l.as_object_mut(), labels.as_object()) {
        l.extend(extra.clone());
    }
    let alert = json!({ "status": "firing", "labels": l, "annotations": { "summary": format!("{instance} 宕机") },
                        "startsAt": "2026-12-07T02:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": format!("fp-{instance}") });
    let body = json!({ "version": "4", "groupKey": "g", "status": "firing", "receiver": "yunwei", "groupLabels": {}, "commonLabels": {},
                       "commonAnnotations": {}, "externalURL": "http://am", "truncatedAlerts": 0, "alerts": [alert] });
    let r = app
        .anonymous()
        .bearer(token)
        .send("POST", "/integrations/alertmanager", Some("application/json"), body.to_string().into_bytes())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// Waits (10 s at most) for the alert's incident number.
async fn incident_of(reader: &Client, key: &str) -> String {
    for _ in 0..100 {
        let items = reader.get("/api/v1/alerts").await.json()["items"].as_array().cloned().unwrap_or_default();
        if let Some(n) = items.iter().find(|a| a["dedup_key"] == key).and_then(|a| a["id"].as_i64())
            && let Some(number) = reader.get(&format!("/api/v1/alerts/{n}")).await.json()["incident_number"].as_str()
        {
            return number.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{key} opened no incident");
}

/// Waits (10 s at most) until the incident's escalation satisfies `done`.
async fn escalation_until(reader: &Client, number: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let r = reader.get(&format!("/api/v1/incidents/{number}/escalation")).await;
        last = r.json();
        if r.status == 200 && done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{number}'s escalation never got there: {last}");
}

async fn pages(reader: &Client, number: &str) -> Vec<Value> {
    let detail = reader.get(&format!("/api/v1/incidents/{number}")).await.json();
    detail["timeline"].as_array().expect("timeline").iter().filter(|a| a["kind"] == "paged").cloned().collect()
}

/// A team of `members`, a roster with `on_call` on duty around the clock (made by an
/// operations manager: the system administrator holds no duty rights), an integration
/// sending the team's alerts: the pieces every scenario needs. Answers the manager too.
async fn setup(app: &TestApp, members: &[i64], on_call: i64) -> (i64, i64, String, Client) {
    let admin = app.admin();
    let (_, lead) = app.user_with_roles("esc.lead", &["ops_manager"]).await;
    let team =
        created(admin.post("/api/v1/teams", &json!({ "name": "主机组", "members": members })).await).await["id"].as_i64().expect("team");
    let s =
        created(lead.post("/api/v1/duty/schedules", &json!({ "name": "主机组值班", "team_id": team, "time_zone": "Asia/Shanghai" })).await)
            .await;
    let schedule = s["id"].as_i64().expect("schedule");
    let layer = json!({ "name": "全天", "rotation": "weekly", "starts_local": "2026-01-05T09:00", "members": [on_call] });
    created(lead.post(&format!("/api/v1/duty/schedules/{schedule}/layers"), &layer).await).await;
    let i =
        created(admin.post("/api/v1/alert-integrations", &json!({ "name": "am", "incident_severity": "major", "team_id": team })).await)
            .await;
    (team, schedule, i["token"].as_str().expect("token").to_string(), lead)
}

#[tokio::test]
async fn nobody_answering_pages_the_roster_then_the_next_level_in_time() {
    let (app, clock) = clocked_app().await;
    let (zhang, zhang_c) = app.user_with_roles("esc.zhang", &["system_engineer"]).await;
    let (boss, boss_c) = app.user_with_roles("esc.boss", &["ops_manager"]).await;
    rename(&app, zhang, "张伟").await;
    rename(&app, boss, "王经理").await;
    let (team, schedule, token, lead) = setup(&app, &[zhang], zhang).await;
    let policy = json!({ "name": "主机组升级", "team_id": team, "levels": [
        { "delay_minutes": 10, "targets": [{ "kind": "schedule", "id": schedule }] },
        { "delay_minutes": 0, "targets": [{ "kind": "user", "id": boss }] } ] });
    let p = created(lead.post("/api/v1/escalation-policies", &policy).await).await;
    assert_eq!((p["repeat_count"].as_i64(), p["levels"][0]["targets"][0]["kind"].as_str()), (Some(0), Some("schedule")), "{p}");

    fire(&app, &token, "10.0.0.1:9100", json!({})).await;
    let number = incident_of(&boss_c, "fp-10.0.0.1:9100").await;
    let e = escalation_until(&boss_c, &number, |e| e["pages_sent"] == 1).await;
    assert_eq!(
        (e["state"].as_str(), e["pages_total"].as_i64(), e["policy_name"].as_str()),
        (Some("active"), Some(2), Some("主机组升级")),
        "{e}"
    );
    assert_eq!(e["next_at"].as_i64(), Some(bj("2026-12-07T10:10")), "{e}");
    let paged = pages(&boss_c, &number).await;
    assert_eq!((paged.len(), paged[0]["data"]["names"].clone()), (1, json!(["张伟"])), "{paged:?}");
    app.drain_outbox().await;
    let notices = zhang_c.get("/api/v1/notifications").await.json();
    assert!(notices["items"].as_array().expect("items").iter().any(|n| n["event_type"] == "incident.paged"), "{notices}");
    // Not yet ten minutes: the manager is not paged.
    clock.advance_ms(9 * MIN);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(pages(&boss_c, &number).await.len(), 1);
    clock.advance_ms(MIN);
    let e = escalation_until(&boss_c, &number, |e| e["state"] == "exhausted").await;
    assert_eq!((e["pages_sent"].as_i64(), e["next_at"].clone()), (Some(2), Value::Null), "{e}");
    let paged = pages(&boss_c, &number).await;
    assert_eq!((paged[1]["data"]["level"].as_i64(), paged[1]["data"]["names"].clone()), (Some(2), json!(["王经理"])), "{paged:?}");
    app.drain_outbox().await;
    let notices = boss_c.get("/api/v1/notifications").await.json();
    assert!(notices["items"].as_array().expect("items").iter().any(|n| n["event_type"] == "incident.paged"), "{notices}");
    // The page reads in words on the incident page, in both languages.
    let boss_s = app.session("esc.boss", yunwei_testkit::ADMIN_PASSWORD).await;
    let page = boss_s.get(&format!("/incidents/{number}")).await.text();
    assert!(page.contains("张伟") && page.contains("主机组升级"), "the timeline names who was paged");
    app.stop().await;
}

#[tokio::test]
async fn acknowledging_stops_the_pages_and_only_those_who_may_work_the_incident_can() {
    let (app, clock) = clocked_app().await;
    let (zhang, zhang_c) = app.user_with_roles("ack.zhang", &["system_engineer"]).await;
    let (_, officer) = app.user_with_roles("ack.officer", &["duty_officer"]).await;
    let (_, roleless) = app.user_with_roles("ack.none", &[]).await;
    let (other, other_c) = app.user_with_roles("ack.other", &["network_engineer"]).await;
    let (team, schedule, token, lead) = setup(&app, &[zhang], zhang).await;
    created(app.admin().post("/api/v1/teams", &json!({ "name": "网络组", "members": [other] })).await).await;
    let policy = json!({ "name": "反复提醒", "team_id": team, "repeat": 2,
                         "levels": [{ "delay_minutes": 5, "targets": [{ "kind": "schedule", "id": schedule }] }] });
    created(lead.post("/api/v1/escalation-policies", &policy).await).await;

    fire(&app, &token, "10.0.0.2:9100", json!({})).await;
    let number = incident_of(&officer, "fp-10.0.0.2:9100").await;
    escalation_until(&officer, &number, |e| e["pages_sent"] == 1 && e["pages_total"] == 3).await;
    let ack = format!("/api/v1/incidents/{number}/acknowledge");
    assert_problem(&roleless.post(&ack, &json!({})).await, 403, "forbidden");
    let r = other_c.post(&ack, &json!({})).await;
    assert!(r.status == 403 || r.status == 404, "another team's engineer: {}", r.text());
    assert_eq!(app.anonymous().post(&ack, &json!({})).await.status, 401);
    let r = zhang_c.post(&ack, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["state"].as_str(), r.json()["acknowledged_by"].as_i64()), (Some("acknowledged"), Some(zhang)), "{}", r.text());
    assert_problem(&zhang_c.post(&ack, &json!({})).await, 409, "escalation_not_active");
    clock.advance_ms(30 * MIN);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(pages(&officer, &number).await.len(), 1, "no page after the acknowledgement");
    let kinds: Vec<String> = officer.get(&format!("/api/v1/incidents/{number}")).await.json()["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|a| a["kind"].as_str().map(String::from))
        .collect();
    assert!(kinds.contains(&"acknowledged".to_string()), "{kinds:?}");

    // Taking the incident on is an acknowledgement too: the next round finds it in progress.
    fire(&app, &token, "10.0.0.3:9100", json!({})).await;
    let second = incident_of(&officer, "fp-10.0.0.3:9100").await;
    escalation_until(&officer, &second, |e| e["pages_sent"] == 1).await;
    let r = officer.post(&format!("/api/v1/incidents/{second}/assignment"), &json!({ "team_id": team, "assignee_id": zhang })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = zhang_c.post(&format!("/api/v1/incidents/{second}/transitions/start"), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    clock.advance_ms(5 * MIN);
    let e = escalation_until(&officer, &second, |e| e["state"] == "acknowledged").await;
    assert_eq!((e["pages_sent"].as_i64(), e["acknowledged_by"].as_i64()), (Some(1), Some(zhang)), "{e}");
    app.stop().await;
}

#[tokio::test]
async fn a_team_supervisor_manages_only_their_own_teams_policies() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (sup, sup_c) = app.user_with_roles("pol.sup", &[]).await;
    let (_, engineer) = app.user_with_roles("pol.eng", &["system_engineer"]).await;
    let (_, roleless) = app.user_with_roles("pol.none", &[]).await;
    let (_, manager) = app.user_with_roles("pol.mgr", &["ops_manager"]).await;
    // The system administrator holds no duty rights (separation of duties).
    assert_problem(&admin.post("/api/v1/escalation-policies", &json!({ "name": "x", "levels": [] })).await, 403, "forbidden");
    let role = json!({ "key": "team_duty_lead", "name_en": "Team duty lead", "name_zh": "组值班负责人",
                       "permissions": ["duty:read:all", "duty:update:team", "team:read:all", "user:read:all"] });
    yunwei_core::admin::create_role(&app.core, &yunwei_core::Ctx::system(), serde_json::from_value(role).expect("role"))
        .await
        .expect("role");
    yunwei_core::admin::set_user_roles(
        &app.core,
        &yunwei_core::Ctx::system(),
        yunwei_domain::ids::UserId(sup),
        &["team_duty_lead".to_string()],
    )
    .await
    .expect("roles");
    let mine = created(admin.post("/api/v1/teams", &json!({ "name": "甲组", "members": [sup] })).await).await["id"].as_i64().expect("team");
    let theirs = created(admin.post("/api/v1/teams", &json!({ "name": "乙组" })).await).await["id"].as_i64().expect("team");
    let body = |name: &str, team: i64| json!({ "name": name, "team_id": team, "levels": [{ "delay_minutes": 0, "targets": [{ "kind": "team", "id": team }] }] });

    assert_problem(&roleless.get("/api/v1/escalation-policies").await, 403, "forbidden");
    assert_problem(&engineer.post("/api/v1/escalation-policies", &body("工程师的", mine)).await, 403, "forbidden");
    assert_problem(&sup_c.post("/api/v1/escalation-policies", &body("别组的", theirs)).await, 403, "forbidden");
    let own = created(sup_c.post("/api/v1/escalation-policies", &body("甲组升级", mine)).await).await;
    let other = created(manager.post("/api/v1/escalation-policies", &body("乙组升级", theirs)).await).await;
    let put = |p: &Value, team: i64| {
        let mut b = body(p["name"].as_str().unwrap_or_default(), team);
        b["version"] = p["version"].clone();
        b
    };
    let r = sup_c.put(&format!("/api/v1/escalation-policies/{}", other["id"]), &put(&other, theirs)).await;
    assert_problem(&r, 403, "forbidden");
    // Nor moved away to another team.
    let r = sup_c.put(&format!("/api/v1/escalation-policies/{}", own["id"]), &put(&own, theirs)).await;
    assert_problem(&r, 403, "forbidden");
    let mut changed = put(&own, mine);
    changed["repeat"] = json!(1);
    changed["levels"][0]["delay_minutes"] = json!(5);
    let r = sup_c.put(&format!("/api/v1/escalation-policies/{}", own["id"]), &changed).await;
    assert_eq!((r.status, r.json()["version"].as_i64(), r.json()["repeat_count"].as_i64()), (200, Some(2), Some(1)), "{}", r.text());
    // The version read is checked.
    assert_problem(&sup_c.put(&format!("/api/v1/escalation-policies/{}", own["id"]), &changed).await, 409, "escalation_policy_changed");
    assert_problem(&sup_c.post("/api/v1/escalation-policies", &body("甲组升级", mine)).await, 409, "escalation_policy_name_taken");

    // Bad policies, by the field, in the reader's language.
    let bad = json!({ "name": "坏的", "team_id": mine, "repeat": 3, "levels": [
        { "delay_minutes": 0, "targets": [] }, { "delay_minutes": 0, "targets": [{ "kind": "schedule", "id": 999 }] } ] });
    let r = sup_c.clone().header("accept-language", "zh-CN").post("/api/v1/escalation-policies", &bad).await;
    assert_problem(&r, 422, "validation_failed");
    let fields: Vec<(String, String)> = r.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["field"].as_str().unwrap_or_default().to_string(), e["code"].as_str().unwrap_or_default().to_string()))
        .collect();
    for want in [("levels[0].targets", "required"), ("repeat", "repeat_needs_delay"), ("levels[1].targets[0]", "not_found")] {
        assert!(fields.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} in {fields:?}");
    }
    let list = engineer.get("/api/v1/escalation-policies").await.json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");
    // The page offers the form to the supervisor, not to the engineer.
    let page = app.session("pol.sup", yunwei_testkit::ADMIN_PASSWORD).await.get("/duty/escalation").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("甲组升级") && page.text().contains("escalation-new"));
    let seen = app.session("pol.eng", yunwei_testkit::ADMIN_PASSWORD).await.get("/duty/escalation").await;
    assert!(seen.status == 200 && seen.text().contains("甲组升级") && !seen.text().contains("escalation-new"));
    app.stop().await;
}
