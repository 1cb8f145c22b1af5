//! Major incidents (INC-7, 应急响应): a P1 declared automatically, the
//! commander moving the response through its phases, the war-room log and who
//! may write it, stakeholder updates with their notices and mails, the
//! scheduler's overdue reminder on the fake clock, and the emergency report.

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use yunwei_core::{CoreConfig, FixedClock};
use yunwei_domain::ids::UserId;
use yunwei_testkit::bad_input::{assert_problem, check_json_endpoint};
use yunwei_testkit::hidden;
use yunwei_testkit::smtp::SmtpSink;
use yunwei_testkit::{ADMIN_PASSWORD, Client, Options, TestApp, spawn_app_with};

const START: &str = "2026-11-20T09:00:00+08:00";
const MIN: i64 = 60_000;

fn ms(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().expect("time").as_millisecond()
}

fn page() -> yunwei_domain::page::PageRequest {
    yunwei_domain::page::PageRequest::parse(Some(200), None, true).expect("page")
}

/// The people of a bank's emergency response: the desk (ops director), the network team with its
/// manager, a commander from the duty team, an engineer of another team, and a branch user watching.
struct Cast {
    desk: Client,
    desk_id: i64,
    engineer: Client,
    manager_id: i64,
    commander: Client,
    commander_id: i64,
    outsider: Client,
    teller: Client,
    teller_id: i64,
    team: i64,
}

async fn team_with(app: &TestApp, name: &str, members: &[i64], manager: Option<i64>) -> i64 {
    let r = app.admin().post("/api/v1/teams", &json!({ "name": name, "members": members, "manager_id": manager })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().expect("team id")
}

async fn cast(app: &TestApp) -> Cast {
    let (desk_id, desk) = app.user_with_roles("zhao.zongjian", &["ops_director"]).await;
    let (eng_id, engineer) = app.user_with_roles("wang.wu", &["network_engineer"]).await;
    let (manager_id, _) = app.user_with_roles("li.jingli", &["network_engineer"]).await;
    let (commander_id, commander) = app.user_with_roles("zhou.zhihui", &["network_engineer"]).await;
    let (outsider_id, outsider) = app.user_with_roles("sun.waibu", &["system_engineer"]).await;
    let (teller_id, teller) = app.user_with_roles("teller.qian", &["business_user"]).await;
    let team = team_with(app, "网络组", &[eng_id, manager_id], Some(manager_id)).await;
    team_with(app, "值班组", &[commander_id], None).await;
    team_with(app, "系统组", &[outsider_id], None).await;
    Cast { desk, desk_id, engineer, manager_id, commander, commander_id, outsider, teller, teller_id, team }
}

/// A P1 (high × high) on the network team; the desk setting declares it major on creation.
async fn p1(c: &Cast, title: &str) -> (Value, String) {
    let body = json!({ "title": title, "description": "全行柜面交易超时，核心交换机 CS-01 端口大量丢包", "impact": "high", "urgency": "high",
        "team_id": c.team, "impact_scope": "全辖 126 个网点柜面交易", "watchers": [c.teller_id] });
    let r = c.desk.post("/api/v1/incidents", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let inc = r.json();
    let path = format!("/api/v1/incidents/{}", inc["number"].as_str().expect("number"));
    (inc, path)
}

async fn name_commander(c: &Cast, path: &str) {
    let r = c.desk.post(&format!("{path}/major"), &json!({ "commander_id": c.commander_id, "reason": "启动二级应急响应" })).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn resolve(c: &Cast, path: &str) {
    let r = c
        .desk
        .post(&format!("{path}/transitions/resolve"), &json!({ "resolution_code": "config_change", "resolution": "回退 QoS 配置" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

fn kinds(entries: &Value) -> Vec<String> {
    entries["items"].as_array().expect("items").iter().map(|e| e["kind"].as_str().unwrap_or_default().to_string()).collect()
}

async fn notices(app: &TestApp, user: i64, event: &str) -> Vec<String> {
    app.drain_outbox().await;
    let list = yunwei_store::notify::list_notifications(app.core.database(), UserId(user), false, &page()).await.expect("notices");
    list.items.iter().filter(|n| n.event_type == event).map(|n| n.title.clone()).collect()
}

fn clocked(clock: &Arc<FixedClock>, config: Option<CoreConfig>) -> Options {
    let clock: Arc<dyn yunwei_core::Clock> = clock.clone();
    Options { clock: Some(clock), config, ..Default::default() }
}

#[tokio::test]
async fn a_p1_is_declared_automatically_and_the_commander_moves_it_forward_only() {
    let clock = Arc::new(FixedClock::new(ms(START)));
    let app = spawn_app_with(clocked(&clock, None)).await;
    let c = cast(&app).await;
    let (inc, path) = p1(&c, "核心交换机故障").await;
    assert_eq!(inc["priority"], 1);
    assert_eq!(inc["major"], true, "P1 is declared major automatically");
    let detail = c.desk.get(&path).await.json();
    let m = &detail["major_incident"];
    assert_eq!(m["phase"], "declared");
    assert_eq!(m["next_phase"], "containment");
    assert_eq!(m["commander_id"], Value::Null);
    assert_eq!(m["update_interval_minutes"], 30, "the desk setting's default");
    assert_eq!(m["next_update_due_at"], ms(START) + 30 * MIN);
    assert_eq!(m["update_overdue"], false);
    let log = c.desk.get(&format!("{path}/major/war-room")).await.json();
    assert_eq!(kinds(&log), ["phase_change"], "the declaration opens the log");
    assert_eq!(log["items"][0]["data"]["to"], "declared");

    name_commander(&c, &path).await;
    let phase = |to: &str| json!({ "phase": to, "note": format!("进入{to}") });
    assert_problem(&c.outsider.post(&format!("{path}/major/phase"), &phase("containment")).await, 403, "forbidden");
    clock.advance_ms(10 * MIN);
    let contained = c.commander.post(&format!("{path}/major/phase"), &phase("containment")).await;
    assert_eq!(contained.status, 200, "{}", contained.text());
    assert_eq!(contained.json()["phase"], "containment");
    assert_eq!(contained.json()["containment_at"], ms(START) + 10 * MIN);

    // Skipping a phase or going back is refused with the phase names in the reader's language.
    let skip = c.commander.post(&format!("{path}/major/phase"), &phase("review")).await;
    assert_problem(&skip, 409, "illegal_transition");
    let title = skip.json()["title"].as_str().unwrap_or_default().to_string();
    assert!(title.contains("重大事件应急响应") && title.contains("控制") && title.contains("进入总结复盘阶段"), "{title}");
    assert_eq!(skip.json()["from"], "containment");
    assert_problem(&c.commander.post(&format!("{path}/major/phase"), &phase("declared")).await, 409, "illegal_transition");
    assert_problem(&c.commander.post(&format!("{path}/major/phase"), &json!({ "phase": "fixed" })).await, 422, "invalid_body");

    clock.advance_ms(20 * MIN);
    assert_eq!(c.commander.post(&format!("{path}/major/phase"), &phase("recovery")).await.json()["phase"], "recovery");
    // The review looks back on a finished incident.
    let early = c.commander.post(&format!("{path}/major/phase"), &phase("review")).await;
    assert_problem(&early, 409, "major_review_needs_resolution");
    assert!(early.json()["title"].as_str().unwrap_or_default().contains("解决"), "{}", early.text());
    resolve(&c, &path).await;
    let review = c.commander.post(&format!("{path}/major/phase"), &phase("review")).await.json();
    assert_eq!(review["phase"], "review", "the move to review after resolving answered {review}");
    assert_eq!(review["next_update_due_at"], Value::Null, "no updates are expected from the review on");
    let closed = c.desk.post(&format!("{path}/major/phase"), &json!({ "phase": "closed" })).await;
    assert_eq!(closed.status, 200, "whoever may assign the incident may also lead: {}", closed.text());
    assert_eq!(closed.json()["next_phase"], Value::Null);
    assert_problem(&c.commander.post(&format!("{path}/major/phase"), &phase("containment")).await, 409, "illegal_transition");
    let late = c.commander.post(&format!("{path}/major/war-room"), &json!({ "kind": "action", "body": "补记" })).await;
    assert_problem(&late, 409, "major_incident_closed");

    let log = c.desk.get(&format!("{path}/major/war-room")).await.json();
    let moves: Vec<String> =
        log["items"].as_array().unwrap().iter().map(|e| e["data"]["to"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(moves, ["declared", "containment", "recovery", "review", "closed"]);
    assert_eq!(log["items"][1]["body"], "进入containment");
    assert_eq!(log["items"][1]["author_name"], "zhou.zhihui");
    // The audit trail has every move.
    let (_, auditor) = app.user_with_roles("shen.ji", &["audit_admin"]).await;
    let audit = auditor.get(&format!("/api/v1/audit-events?object_type=major_incident&object_id={}", inc["id"])).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["declare", "name_commander", "containment", "recovery", "review", "closed"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    // A move is told to the stakeholders.
    let told = notices(&app, c.teller_id, "incident.major_phase_changed").await;
    assert!(told.iter().any(|t| t.contains("控制")), "{told:?}");
}

#[tokio::test]
async fn war_room_entries_are_ordered_and_written_only_by_the_response() {
    let clock = Arc::new(FixedClock::new(ms(START)));
    let app = spawn_app_with(clocked(&clock, None)).await;
    let c = cast(&app).await;
    let (_, path) = p1(&c, "网银登录失败").await;
    name_commander(&c, &path).await;
    let log_path = format!("{path}/major/war-room");
    clock.advance_ms(MIN);
    let first = c.commander.post(&log_path, &json!({ "kind": "action", "body": "切换至备用链路" })).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.json()["kind"], "action");
    assert_eq!(first.json()["at"], ms(START) + MIN);
    clock.advance_ms(MIN);
    let team_entry = c.engineer.post(&log_path, &json!({ "kind": "decision", "body": "暂停批量代发" })).await;
    assert_eq!(team_entry.status, 201, "the incident's team writes: {}", team_entry.text());
    assert_eq!(c.desk.post(&log_path, &json!({ "kind": "action", "body": "通知分行" })).await.status, 201);

    // Outsiders read (they may read the incident) but do not write; strangers neither.
    assert_problem(&c.outsider.post(&log_path, &json!({ "kind": "action", "body": "我来看看" })).await, 403, "forbidden");
    assert_eq!(c.outsider.get(&log_path).await.status, 200);
    let (_, stranger) = app.user_with_roles("teller.li", &["business_user"]).await;
    assert_problem(&stranger.get(&log_path).await, 403, "forbidden");
    // Stakeholder updates and phase changes have their own commands.
    let wrong = c.commander.post(&log_path, &json!({ "kind": "phase_change", "body": "x" })).await;
    assert_problem(&wrong, 422, "validation_failed");
    assert_eq!(wrong.json()["errors"][0]["field"], "kind");
    assert_problem(&c.commander.post(&log_path, &json!({ "kind": "action", "body": "  " })).await, 422, "validation_failed");

    let log = c.commander.get(&log_path).await.json();
    assert_eq!(kinds(&log), ["phase_change", "action", "decision", "action"]);
    // Readers who do not work the response see only what was sent to stakeholders (none yet),
    // as they see no work notes.
    assert_eq!(kinds(&c.outsider.get(&log_path).await.json()), Vec::<String>::new());
    let bodies: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["body"].as_str().unwrap_or_default()).collect();
    assert_eq!(bodies, ["", "切换至备用链路", "暂停批量代发", "通知分行"]);
    let authors: Vec<&str> =
        log["items"].as_array().unwrap().iter().skip(1).map(|e| e["author_name"].as_str().unwrap_or_default()).collect();
    assert_eq!(authors, ["zhou.zhihui", "wang.wu", "zhao.zongjian"]);

    // An ordinary incident has no war room.
    let minor = c
        .desk
        .post("/api/v1/incidents", &json!({ "title": "打印机卡纸", "description": "3 号柜台", "impact": "low", "urgency": "low" }))
        .await
        .json();
    let minor_log = format!("/api/v1/incidents/{}/major/war-room", minor["number"].as_str().unwrap());
    assert_problem(&c.desk.get(&minor_log).await, 409, "incident_not_major");
    assert!(c.desk.get(&format!("/api/v1/incidents/{}", minor["number"].as_str().unwrap())).await.json().get("major_incident").is_none());
}

#[tokio::test]
async fn a_stakeholder_update_reaches_every_stakeholder_in_app_and_by_mail() {
    let sink = SmtpSink::start().await;
    let clock = Arc::new(FixedClock::new(ms(START)));
    let config = CoreConfig { smtp: Some(sink.settings()), ..Default::default() };
    let app = spawn_app_with(clocked(&clock, Some(config))).await;
    let c = cast(&app).await;
    // The branch user reads English.
    let en = app.admin().patch(&format!("/api/v1/users/{}", c.teller_id), &json!({ "locale": "en" })).await;
    assert_eq!(en.status, 200, "{}", en.text());
    let (_, path) = p1(&c, "Core banking outage").await;
    name_commander(&c, &path).await;
    app.drain_outbox().await;
    let before = sink.messages().len();

    clock.advance_ms(20 * MIN);
    let text = "14:20 核心系统已恢复 80% 交易，预计 15:00 前全部恢复。";
    let posted = c.commander.post(&format!("{path}/major/stakeholder-updates"), &json!({ "body": text })).await;
    assert_eq!(posted.status, 201, "{}", posted.text());
    assert_eq!(posted.json()["kind"], "stakeholder_update");
    assert_eq!(posted.json()["body"], text);
    let m = c.desk.get(&path).await.json()["major_incident"].clone();
    assert_eq!(m["last_update_at"], ms(START) + 20 * MIN);
    assert_eq!(m["next_update_due_at"], ms(START) + 50 * MIN, "the interval starts again");

    // Watchers, the team's manager and the operations directors hear of it; the author does not.
    for (who, title) in [(c.teller_id, "Major incident update"), (c.manager_id, "进展通报"), (c.desk_id, "进展通报")] {
        let got = notices(&app, who, "incident.major_update_posted").await;
        assert!(got.iter().any(|t| t.contains(title)), "user {who}: {got:?}");
    }
    assert!(notices(&app, c.commander_id, "incident.major_update_posted").await.is_empty());
    // Mail arrives after the dispatcher's round; other mails (accounts, tokens) may come in between.
    let update_mails =
        |to: &str, marker: &str| sink.messages().iter().filter(|m| m.to.iter().any(|t| t == to) && body_of(m).contains(marker)).count();
    for _ in 0..200 {
        if update_mails("teller.qian@bank.example", "posted an update on major incident") > 0
            && update_mails("li.jingli@bank.example", text) > 0
            && update_mails("zhao.zongjian@bank.example", text) > 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(update_mails("teller.qian@bank.example", "posted an update on major incident"), 1, "one English mail to the watcher");
    assert!(sink.messages().len() > before);
    for address in ["li.jingli@bank.example", "zhao.zongjian@bank.example"] {
        assert_eq!(update_mails(address, "发布重大事件"), 1, "one Chinese mail with the update to {address}");
        assert_eq!(update_mails(address, text), 1, "the update's text is in the mail to {address}");
    }

    // The commander changes the rhythm; it counts from the last update.
    let interval = c.commander.put(&format!("{path}/major/interval"), &json!({ "update_interval_minutes": 15 })).await;
    assert_eq!(interval.status, 200, "{}", interval.text());
    assert_eq!(interval.json()["update_interval_minutes"], 15);
    assert_eq!(interval.json()["next_update_due_at"], ms(START) + 35 * MIN);
    assert_problem(&c.outsider.put(&format!("{path}/major/interval"), &json!({ "update_interval_minutes": 60 })).await, 403, "forbidden");
    let bad = c.commander.put(&format!("{path}/major/interval"), &json!({ "update_interval_minutes": 2 })).await;
    assert_problem(&bad, 422, "validation_failed");
    assert_eq!(bad.json()["errors"][0]["field"], "update_interval_minutes");
}

/// The text of a mail, whatever its transfer encoding (Chinese bodies travel as base64).
fn body_of(m: &yunwei_testkit::smtp::ReceivedMail) -> String {
    use base64::Engine;
    let body = m.data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    if m.header("Content-Transfer-Encoding").is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
        let raw: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD.decode(raw).unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    } else {
        // Quoted-printable: soft line breaks, then =XX bytes.
        let joined = body.replace("=\r\n", "");
        let mut bytes = Vec::new();
        let mut rest = joined.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            let hex = tail.get(..2).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
            match (b, hex) {
                (b'=', Some(v)) => {
                    bytes.push(v);
                    rest = &tail[2..];
                }
                _ => {
                    bytes.push(b);
                    rest = tail;
                }
            }
        }
        String::from_utf8(bytes).unwrap_or_default()
    }
}

async fn wait_for_reminders(app: &TestApp, commander: i64, n: usize) -> usize {
    for _ in 0..60 {
        let got = notices(app, commander, "incident.major_update_due").await.len();
        if got >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    notices(app, commander, "incident.major_update_due").await.len()
}

/// The reminders the commander holds once every event so far has become a notice. A check
/// that a reminder did *not* come uses this: when the outbox is drained, one that had been
/// sent would be here, so it cannot merely be late.
async fn reminders_now(app: &TestApp, commander: i64) -> usize {
    app.drain_outbox().await;
    notices(app, commander, "incident.major_update_due").await.len()
}

/// Three scheduler rounds, run here to their end (the server's own loop may run too).
async fn let_scheduler_run(app: &TestApp) {
    for _ in 0..3 {
        yunwei_core::scheduler::run_due(&app.core).await.expect("scheduler round");
    }
}

#[tokio::test]
async fn a_late_update_reminds_the_commander_once_per_missed_interval() {
    let clock = Arc::new(FixedClock::new(ms(START)));
    let app = spawn_app_with(clocked(&clock, None)).await;
    let c = cast(&app).await;
    let (_, path) = p1(&c, "ATM 前置系统中断").await;
    name_commander(&c, &path).await;
    let_scheduler_run(&app).await;
    assert_eq!(reminders_now(&app, c.commander_id).await, 0, "nothing is late yet");

    clock.advance_ms(31 * MIN);
    assert_eq!(wait_for_reminders(&app, c.commander_id, 1).await, 1, "the first missed interval reminds");
    let titles = notices(&app, c.commander_id, "incident.major_update_due").await;
    assert!(titles[0].contains("逾期"), "{titles:?}");
    let m = c.desk.get(&path).await.json()["major_incident"].clone();
    assert_eq!(m["update_overdue"], true);
    // The page highlights it.
    let session = app.session("zhou.zhihui", ADMIN_PASSWORD).await;
    let html = session.get(&format!("/incidents/{}", path.rsplit('/').next().unwrap())).await.text();
    assert!(html.contains("通报逾期") && html.contains("badge bad"), "overdue is highlighted");

    // Within the same interval the scheduler stays quiet however often it runs.
    clock.advance_ms(5 * MIN);
    let_scheduler_run(&app).await;
    assert_eq!(reminders_now(&app, c.commander_id).await, 1);
    // A restarted node (a fresh core on the same database) knows the reminder was sent: nothing is due.
    let clock_dyn: Arc<dyn yunwei_core::Clock> = clock.clone();
    let db = yunwei_store::Db::connect(&app.fresh.url, 2).await.expect("second connection");
    let restarted = yunwei_core::Core::new(db, CoreConfig::default(), clock_dyn);
    yunwei_core::incident::major::remind_late_updates(&restarted).await.expect("reminder round");
    assert_eq!(reminders_now(&app, c.commander_id).await, 1, "no second reminder after a restart");
    // The next missed interval reminds again, once, whichever node gets there first.
    clock.advance_ms(25 * MIN);
    yunwei_core::incident::major::remind_late_updates(&restarted).await.expect("reminder round");
    assert_eq!(wait_for_reminders(&app, c.commander_id, 2).await, 2);
    let_scheduler_run(&app).await;
    yunwei_core::incident::major::remind_late_updates(&restarted).await.expect("reminder round");
    assert_eq!(reminders_now(&app, c.commander_id).await, 2);

    // An update restarts the rhythm; from the review on there are no reminders at all.
    assert_eq!(c.commander.post(&format!("{path}/major/stakeholder-updates"), &json!({ "body": "已恢复" })).await.status, 201);
    for p in ["containment", "recovery"] {
        assert_eq!(c.commander.post(&format!("{path}/major/phase"), &json!({ "phase": p })).await.status, 200);
    }
    resolve(&c, &path).await;
    assert_eq!(c.commander.post(&format!("{path}/major/phase"), &json!({ "phase": "review" })).await.status, 200);
    clock.advance_ms(3 * 60 * MIN);
    let_scheduler_run(&app).await;
    assert_eq!(reminders_now(&app, c.commander_id).await, 2, "no reminders after the review started");
}

#[tokio::test]
async fn the_emergency_report_holds_the_record_as_json_and_as_a_printable_page() {
    let clock = Arc::new(FixedClock::new(ms(START)));
    let app = spawn_app_with(clocked(&clock, None)).await;
    let c = cast(&app).await;
    let nasty_title = "<script>alert('核心')</script> 交换机故障";
    let (inc, path) = p1(&c, nasty_title).await;
    let number = inc["number"].as_str().unwrap().to_string();
    name_commander(&c, &path).await;
    clock.advance_ms(12 * MIN);
    c.commander.post(&format!("{path}/major/phase"), &json!({ "phase": "containment" })).await;
    c.commander.post(&format!("{path}/major/war-room"), &json!({ "kind": "decision", "body": "<b>切换</b> & 观察" })).await;
    clock.advance_ms(18 * MIN);
    c.commander.post(&format!("{path}/major/phase"), &json!({ "phase": "recovery" })).await;
    c.commander.post(&format!("{path}/major/stakeholder-updates"), &json!({ "body": "交易已恢复 <95%>" })).await;
    resolve(&c, &path).await;
    let summary = json!({ "cause": "QoS 配置错误", "handling": "回退配置", "lessons": "变更前须评审", "prevention": "纳入变更检查单" });
    let closed = c.desk.post(&format!("{path}/transitions/close"), &json!({ "summary": summary })).await;
    assert_eq!(closed.status, 200, "{}", closed.text());

    let report = c.engineer.get(&format!("{path}/emergency-report")).await;
    assert_eq!(report.status, 200, "{}", report.text());
    let r = report.json();
    assert_eq!(r["number"], number);
    assert_eq!(r["title"], nasty_title);
    assert_eq!(r["priority"], 1);
    assert_eq!(r["commander"]["name"], "zhou.zhihui");
    assert_eq!(r["reporter"]["name"], "zhao.zongjian");
    assert_eq!(r["impact_scope"], "全辖 126 个网点柜面交易");
    assert_eq!(r["times"]["reported"], ms(START));
    assert_eq!(r["times"]["containment"], ms(START) + 12 * MIN);
    assert_eq!(r["times"]["recovery"], ms(START) + 30 * MIN);
    assert_eq!(r["durations"]["to_contain_secs"], 12 * 60);
    assert_eq!(r["durations"]["to_recover_secs"], 30 * 60);
    assert_eq!(r["durations"]["total_secs"], 30 * 60);
    assert_eq!(
        kinds(&json!({ "items": r["timeline"] })),
        ["phase_change", "phase_change", "decision", "phase_change", "stakeholder_update"]
    );
    assert_eq!(r["stakeholder_updates"].as_array().unwrap().len(), 1);
    assert_eq!(r["stakeholder_updates"][0]["body"], "交易已恢复 <95%>");
    assert_eq!(r["summary"], summary);
    assert_problem(&c.teller.get(&format!("{path}/emergency-report")).await, 403, "forbidden");

    // The page, in Chinese and then in English, with every text escaped and a link from the incident.
    let session = app.session("wang.wu", ADMIN_PASSWORD).await;
    let ticket = session.get(&format!("/incidents/{number}")).await.text();
    assert!(ticket.contains(&format!("href=\"/incidents/{number}/emergency-report\"")), "the incident page links the report");
    assert!(ticket.contains("作战室"));
    let zh = session.get(&format!("/incidents/{number}/emergency-report")).await;
    assert_eq!(zh.status, 200, "{}", zh.text());
    let html = zh.text();
    for text in ["紧急事件处理结果报告", "宣布至控制", "12 分钟", "QoS 配置错误", "纳入变更检查单", "全辖 126 个网点柜面交易"]
    {
        assert!(html.contains(text), "{text} in the report");
    }
    assert!(shows_escaped(&html, "<script>alert('核心')</script>") || html.contains("&lt;script&gt;"), "title escaped");
    assert!(!html.contains("<script>alert") && !html.contains("<b>切换</b>") && !html.contains("<95%>"), "nothing raw");
    assert!(html.contains("&lt;b&gt;切换&lt;/b&gt;") || html.contains("&#60;b&#62;切换&#60;/b&#62;"));
    assert!(html.contains("data-print") && html.contains("no-print"), "print button outside the printout");
    let en = session.patch("/api/v1/me", &json!({ "locale": "en" })).await;
    assert_eq!(en.status, 200, "{}", en.text());
    let html = session.get(&format!("/incidents/{number}/emergency-report")).await.text();
    for text in ["Emergency incident report", "Declared to containment", "Stakeholder updates", "QoS 配置错误"] {
        assert!(html.contains(text), "{text} in the English report");
    }
    assert!(!html.contains("<script>alert"));
}

fn shows_escaped(html: &str, raw: &str) -> bool {
    let named = raw.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&#x27;");
    let numeric = raw.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('\'', "&#39;");
    (html.contains(&named) || html.contains(&numeric)) && !html.contains(raw)
}

#[tokio::test]
async fn every_major_endpoint_refuses_bad_input() {
    let clock = Arc::new(FixedClock::new(ms(START)));
    let app = spawn_app_with(clocked(&clock, None)).await;
    let c = cast(&app).await;
    let (_, path) = p1(&c, "数据中心空调告警").await;
    name_commander(&c, &path).await;
    // A move the response cannot make yet: every probe is refused, none reaches a 5xx.
    check_json_endpoint(&c.commander, "POST", &format!("{path}/major/phase"), &json!({ "phase": "recovery", "note": "x" }), &["note"])
        .await;
    check_json_endpoint(
        &c.commander,
        "POST",
        &format!("{path}/major/war-room"),
        &json!({ "kind": "action", "body": "重启空调" }),
        &["body"],
    )
    .await;
    check_json_endpoint(&c.commander, "POST", &format!("{path}/major/stakeholder-updates"), &json!({ "body": "温度已回落" }), &["body"])
        .await;
    check_json_endpoint(&c.commander, "PUT", &format!("{path}/major/interval"), &json!({ "update_interval_minutes": 20 }), &[]).await;
    let too_long = c.commander.post(&format!("{path}/major/war-room"), &json!({ "kind": "decision", "body": "长".repeat(4001) })).await;
    assert_problem(&too_long, 422, "validation_failed");
    assert_eq!(too_long.json()["errors"][0]["code"], "too_long");
    assert_problem(
        &c.commander.put(&format!("{path}/major/interval"), &json!({ "update_interval_minutes": "30" })).await,
        422,
        "invalid_body",
    );
    // The desk setting: refused out of range, and new major incidents take a changed default.
    let mut settings = c.desk.get("/api/v1/service-desk/settings").await.json();
    assert_eq!(settings["major_update_interval_minutes"], 30);
    settings["major_update_interval_minutes"] = json!(3);
    let refused = c.desk.put("/api/v1/service-desk/settings", &settings).await;
    assert_problem(&refused, 422, "validation_failed");
    assert_eq!(refused.json()["errors"][0]["field"], "major_update_interval_minutes");
    settings["major_update_interval_minutes"] = json!(45);
    assert_eq!(c.desk.put("/api/v1/service-desk/settings", &settings).await.status, 200);
    let (_, second) = p1(&c, "机房供电告警").await;
    assert_eq!(c.desk.get(&second).await.json()["major_incident"]["update_interval_minutes"], 45);
    assert_eq!(c.commander.get("/api/v1/incidents/INC-99999x/emergency-report").await.status, 404);
    assert_problem(&c.commander.get("/api/v1/incidents/INC-999999/major/war-room").await, 404, "not_found");
    // The log still reads in order after all that.
    let log = c.desk.get(&format!("{path}/major/war-room")).await.json();
    assert_eq!(log["items"][0]["kind"], "phase_change");
    assert!(log["items"].as_array().unwrap().iter().any(|e| e["body"].as_str().is_some_and(|b| b.starts_with("'; DROP TABLE users; --"))));
}

#[tokio::test]
async fn the_war_room_panel_works_through_the_page_forms() {
    let clock = Arc::new(FixedClock::new(ms(START)));
    let app = spawn_app_with(clocked(&clock, None)).await;
    let c = cast(&app).await;
    let (inc, path) = p1(&c, "支付系统中断").await;
    name_commander(&c, &path).await;
    let number = inc["number"].as_str().unwrap().to_string();
    let session = app.session("zhou.zhihui", ADMIN_PASSWORD).await;
    let page = session.get(&format!("/incidents/{number}")).await.text();
    for text in ["作战室（应急指挥）", "推进到「控制」", "记录处置行动或决策", "向相关方通报进展", "下次通报时间"]
    {
        assert!(page.contains(text), "{text} on the page");
    }
    let csrf = hidden(&page, "csrf_token");
    let form = |fields: &[(&'static str, &'static str)]| {
        let mut pairs = vec![("csrf_token", csrf.as_str())];
        pairs.extend_from_slice(fields);
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()
    };
    let post = |to: String, pairs: Vec<(String, String)>| {
        let session = session.clone();
        async move {
            let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            session.post_form(&to, &refs).await
        }
    };
    let moved = post(format!("/incidents/{number}/major/phase"), form(&[("phase", "containment"), ("note", "切换至灾备")])).await;
    assert_eq!(moved.status, 303, "{}", moved.text());
    assert!(moved.header("location").unwrap_or_default().ends_with("?ok=major_phase_changed"));
    let noted = post(format!("/incidents/{number}/major/entry"), form(&[("kind", "decision"), ("body", "<i>暂停</i>代发")])).await;
    assert_eq!(noted.status, 303, "{}", noted.text());
    let sent = post(format!("/incidents/{number}/major/update"), form(&[("body", "已恢复 50%")])).await;
    assert_eq!(sent.status, 303, "{}", sent.text());
    // A failed form shows the page again with the message and what was typed.
    let empty = post(format!("/incidents/{number}/major/update"), form(&[("body", "  ")])).await;
    assert_eq!(empty.status, 422);
    assert!(empty.text().contains("role=\"alert\""), "the refusal is shown");
    let bad = post(format!("/incidents/{number}/major/interval"), form(&[("update_interval_minutes", "abc")])).await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("5") && bad.text().contains("1440"), "the allowed range is named");
    let skipped = post(format!("/incidents/{number}/major/phase"), form(&[("phase", "review")])).await;
    assert_eq!(skipped.status, 409);

    let page = session.get(&format!("/incidents/{number}?ok=major_update_sent")).await.text();
    assert!(page.contains("进展通报已发送。"));
    assert!(page.contains("应急阶段：已宣布 → 控制") && page.contains("切换至灾备"));
    assert!(page.contains("&lt;i&gt;暂停&lt;/i&gt;代发") || page.contains("&#60;i&#62;暂停&#60;/i&#62;代发"), "escaped");
    assert!(!page.contains("<i>暂停</i>"));
    assert!(page.contains("推进到「恢复」"), "the button offers the next phase only");
    // The outsider reads the panel but gets no forms.
    let outsider = app.session("sun.waibu", ADMIN_PASSWORD).await;
    let theirs = outsider.get(&format!("/incidents/{number}")).await.text();
    assert!(theirs.contains("作战室（应急指挥）") && !theirs.contains("向相关方通报进展"));
}
