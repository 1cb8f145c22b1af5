//! Demo service-desk data: categories and business services of a bank, a few
//! dozen incidents worked through the real commands (so their timelines are
//! genuine), and a bulk loader for large volumes (`yunwei demo --incidents N`)
//! that writes rows, timelines, SLA clocks and search terms in big batches.

use super::Rng;
use crate::incident::{self, AssignInput, CategoryInput, NewIncident, ServiceInput, TransitionInput};
use crate::sla::{self, SlaState, TicketNow};
use crate::{Core, Ctx, Result};
use yunwei_domain::ids::{CategoryId, IncidentId, ServiceId, TeamId, UserId};
use yunwei_domain::incident::{ActivityKind, Channel, IncidentState, Level, PendingReason, Transition};
use yunwei_store::incident::{self as store, Incident};
use yunwei_store::ticket::NewActivity;

/// (category, team that takes it)
const CATEGORIES: &[(&str, &str)] = &[
    ("网络故障", "网络组"),
    ("服务器与操作系统", "系统组"),
    ("数据库", "数据组"),
    ("应用系统", "应用支持组"),
    ("终端与打印", "桌面组"),
    ("安全事件", "安全组"),
];

/// (business service, code, team)
const SERVICES: &[(&str, &str, &str)] = &[
    ("核心业务系统", "CBS", "应用支持组"),
    ("网上银行", "EBANK", "应用支持组"),
    ("手机银行", "MBANK", "应用支持组"),
    ("柜面系统", "TELLER", "应用支持组"),
    ("信贷管理系统", "LOAN", "应用支持组"),
    ("支付清算系统", "PAY", "应用支持组"),
    ("办公网络", "OA-NET", "网络组"),
    ("邮件系统", "MAIL", "系统组"),
];

/// (title, description, category index, service index, impact, urgency)
const SAMPLES: &[(&str, &str, usize, usize, Level, Level)] = &[
    ("核心交换机网络丢包", "同城数据中心核心交换机 CS-01 端口丢包约 5%，柜面交易响应变慢。", 0, 3, Level::High, Level::High),
    ("数据库连接池耗尽", "核心库连接数达到上限，新交易报 ORA-12516。", 2, 0, Level::High, Level::Medium),
    ("网银登录缓慢", "多名客户反映网银登录需 20 秒以上。", 3, 1, Level::Medium, Level::High),
    ("手机银行转账失败", "部分安卓客户转账提示系统繁忙。", 3, 2, Level::Medium, Level::Medium),
    ("营业部打印机无法打印", "朝阳支行柜台 3 号打印机卡纸后无法打印凭条。", 4, 3, Level::Low, Level::Medium),
    ("邮件系统收信延迟", "外部邮件延迟约 30 分钟到达。", 1, 7, Level::Medium, Level::Low),
    ("VPN 拨号失败", "出差员工无法连接 VPN，提示证书过期。", 0, 6, Level::Low, Level::Medium),
    ("信贷系统批处理作业失败", "夜间日终批处理第 12 步报错退出。", 3, 4, Level::Medium, Level::High),
    ("服务器磁盘空间不足", "应用服务器 app-07 /data 使用率 95%。", 1, 0, Level::Low, Level::Medium),
    ("支付清算报文积压", "大额支付报文队列积压 300 笔。", 3, 5, Level::High, Level::High),
    ("疑似钓鱼邮件", "多名员工收到仿冒总行通知的邮件。", 5, 7, Level::Medium, Level::High),
    ("办公网无线信号弱", "总行 12 层无线网络频繁掉线。", 0, 6, Level::Low, Level::Low),
];

pub(super) async fn team_id(core: &Core, name: &str) -> Result<Option<TeamId>> {
    let page = yunwei_domain::page::PageRequest::parse(Some(200), None, false)?;
    Ok(yunwei_store::admin::list_teams(&core.db.read, Some(name), &page).await?.items.into_iter().find(|t| t.name == name).map(|t| t.id))
}

/// Categories, services and a few dozen incidents in every state; skipped if incidents exist.
pub async fn load_desk(core: &Core) -> Result<usize> {
    if store::max_id(&core.db.read).await? > 0 {
        return Ok(0);
    }
    let ctx = Ctx::system();
    let mut categories = Vec::new();
    for (name, team) in CATEGORIES {
        let team_id = team_id(core, team).await?;
        let c =
            incident::create_category(core, &ctx, CategoryInput { name: (*name).into(), parent_id: None, team_id, active: true }).await?;
        categories.push(c.id);
    }
    let mut services = Vec::new();
    for (name, code, team) in SERVICES {
        let team_id = team_id(core, team).await?;
        let input = ServiceInput {
            name: (*name).into(),
            code: Some((*code).into()),
            description: String::new(),
            team_id,
            downtime_budget_minutes: Some(1200),
            active: true,
        };
        services.push(incident::create_service(core, &ctx, input).await?.id);
    }
    let duty = yunwei_store::admin::get_user_by_username(&core.db.read, "duty01").await?.map(|u| u.id);
    let requester = yunwei_store::admin::get_user_by_username(&core.db.read, "biz01").await?.map(|u| u.id);
    let mut n = 0;
    for (k, (title, description, cat, svc, impact, urgency)) in SAMPLES.iter().enumerate() {
        let input = NewIncident {
            title: (*title).into(),
            description: (*description).into(),
            impact: *impact,
            urgency: *urgency,
            category_id: categories.get(*cat).copied(),
            service_id: services.get(*svc).copied(),
            ci_ref: None,
            channel: Some(if k % 3 == 0 { Channel::Phone } else { Channel::Portal }),
            requester_id: requester,
            requester_name: None,
            requester_contact: None,
            location: Some("总行".into()),
            impact_scope: None,
            occurred_at: None,
            team_id: None,
            assignee_id: None,
            parent_id: None,
            watchers: duty.into_iter().collect(),
        };
        let created = incident::create(core, &ctx, input).await?;
        work_sample(core, &ctx, created.id, created.team_id, k).await?;
        n += 1;
    }
    Ok(n)
}

/// Moves a sample incident along so the demo shows every state.
async fn work_sample(core: &Core, ctx: &Ctx, id: IncidentId, team: Option<TeamId>, k: usize) -> Result<()> {
    let members = match team {
        Some(t) => yunwei_store::admin::team_members(&core.db.read, t).await?,
        None => Vec::new(),
    };
    let Some(engineer) = members.first().copied() else { return Ok(()) };
    if k.is_multiple_of(6) {
        return Ok(()); // left assigned to the team: the "unassigned" queue
    }
    incident::assign(core, ctx, id, AssignInput { team_id: None, assignee_id: Some(engineer), note: Some("值班室分派".into()) }).await?;
    if k % 6 == 1 {
        return Ok(());
    }
    incident::transition(core, ctx, id, Transition::Start, TransitionInput::default()).await?;
    let reply = crate::ticket::Comment { body: "已受理，正在排查。".into(), public: true };
    crate::ticket::comment(core, ctx, &yunwei_domain::ticket::INCIDENT, id.0, reply).await?;
    if k % 6 == 2 {
        let pend = TransitionInput {
            pending_reason: Some(PendingReason::Requester),
            comment: Some("请提供报错截图。".into()),
            ..Default::default()
        };
        incident::transition(core, ctx, id, Transition::Pend, pend).await?;
        return Ok(());
    }
    if k % 6 == 3 {
        return Ok(());
    }
    let resolve =
        TransitionInput {
            resolution_code: Some("fixed".into()), resolution: Some("已处理，业务恢复正常。".into()), ..Default::default()
        };
    incident::transition(core, ctx, id, Transition::Resolve, resolve).await?;
    Ok(())
}

const SYSTEMS: &[&str] = &[
    "核心业务系统",
    "网上银行",
    "手机银行",
    "柜面系统",
    "信贷管理系统",
    "支付清算系统",
    "数据仓库",
    "OA 办公系统",
    "邮件系统",
    "统一认证平台",
    "ATM 前置",
    "反洗钱系统",
];
const SYMPTOMS: &[&str] = &[
    "交易响应缓慢",
    "登录失败",
    "数据库连接池耗尽",
    "网络丢包",
    "服务器宕机",
    "磁盘空间不足",
    "证书过期",
    "批处理作业失败",
    "CPU 使用率过高",
    "内存泄漏",
    "页面报 500 错误",
    "接口超时",
    "报文积压",
    "备份作业失败",
    "主备切换异常",
    "打印机无法打印",
];
const PLACES: &[&str] = &["总行", "同城数据中心", "异地灾备中心", "北京分行", "上海分行", "朝阳支行", "海淀支行", "浦东支行"];

/// Writes `count` incidents in batches with timelines, SLA clocks and search terms.
/// Returns how many were written. Time runs from a year ago to now.
pub async fn load_incidents(core: &Core, count: u64, mut progress: impl FnMut(u64)) -> Result<u64> {
    let ctx = Ctx::system();
    let mut rd = core.db.read.acquire().await?;
    let governing = sla::governing_for(core, &mut rd, None, None).await?;
    let categories = store::categories(&mut *rd).await?;
    let services = yunwei_store::service::list(&mut *rd, None).await?;
    let mut teams: Vec<(TeamId, Vec<UserId>)> = Vec::new();
    let page = yunwei_domain::page::PageRequest::parse(Some(200), None, false)?;
    for t in yunwei_store::admin::list_teams(&mut *rd, None, &page).await?.items {
        teams.push((t.id, yunwei_store::admin::team_members(&mut *rd, t.id).await?));
    }
    let first_id = store::max_id(&mut *rd).await? + 1;
    drop(rd);
    let pools = Pools { settings: incident::desk_settings(core).await?, governing, categories, services, teams };
    let now = core.now_ms();
    // Generation runs on a blocking thread while this task writes: two cores, two jobs.
    let (send, mut batches) = tokio::sync::mpsc::channel::<Batch>(2);
    let generator = tokio::task::spawn_blocking(move || {
        let span = 365 * 86_400_000i64;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut made = 0u64;
        while made < count {
            let n = LOAD_BATCH.min(count - made);
            let mut b = Batch { rows: Vec::with_capacity(n as usize), notes: Vec::new(), docs: Vec::with_capacity(n as usize) };
            for k in 0..n {
                let id = first_id + (made + k) as i64;
                let created = now - span + span * (made + k) as i64 / count as i64;
                let (row, notes) = fake_incident(&mut rng, id, created, now, &pools);
                b.docs.push((id, yunwei_domain::search::index_text(&[&yunwei_domain::incident::number(id), &row.title, &row.description])));
                b.notes.extend(notes.into_iter().map(|(at, kind, public, body, data)| (id, at, kind, public, body, data)));
                b.rows.push(row);
            }
            made += n;
            if send.blocking_send(b).is_err() {
                break;
            }
        }
    });
    let mut conn = core.db.writer().await?;
    let suspended = yunwei_store::bulk_load::suspend(&mut conn, core.db.backend, &["incidents", "incident_activities"]).await?;
    let mut written = 0u64;
    let mut failure = None;
    while let Some(b) = batches.recv().await {
        if let Err(e) = write_batch(&mut conn, core.db.backend, &b).await {
            failure = Some(e);
            break;
        }
        written += b.rows.len() as u64;
        progress(written);
    }
    drop(batches);
    let _ = generator.await;
    // The indexes come back even if the load failed part-way.
    yunwei_store::bulk_load::restore(&mut conn, core.db.backend, suspended).await?;
    drop(conn);
    if let Some(e) = failure {
        return Err(e);
    }
    let mut tx = core.db.begin().await?;
    yunwei_store::sync_id_sequence(&mut tx, core.db.backend, "incidents").await?;
    let change =
        crate::audit::Change::new("incident", "demo", "bulk_load").after(&serde_json::json!({ "count": written, "first_id": first_id }));
    crate::audit::write(core, &mut tx, &ctx, change).await?;
    tx.commit().await?;
    Ok(written)
}

type FakeNote = (i64, &'static str, bool, String, serde_json::Value);

const LOAD_BATCH: u64 = 2000;

/// One batch of generated incidents with their timelines and search terms.
struct Batch {
    rows: Vec<Incident>,
    notes: Vec<(i64, i64, &'static str, bool, String, serde_json::Value)>,
    docs: Vec<(i64, String)>,
}

async fn write_batch(conn: &mut yunwei_store::Conn, backend: yunwei_store::Backend, b: &Batch) -> Result<()> {
    let activities: Vec<NewActivity<'_>> = b
        .notes
        .iter()
        .map(|(id, at, kind, public, body, data)| NewActivity {
            ticket_id: *id,
            at: *at,
            actor_id: None,
            kind,
            public: *public,
            body,
            data: data.clone(),
        })
        .collect();
    Ok(yunwei_store::bulk_load::incidents(conn, backend, &b.rows, &activities, &b.docs).await?)
}

/// What generated incidents draw from.
struct Pools {
    settings: yunwei_domain::incident::DeskSettings,
    governing: Option<sla::Governing>,
    categories: Vec<yunwei_store::incident::Category>,
    services: Vec<yunwei_store::service::BusinessService>,
    teams: Vec<(TeamId, Vec<UserId>)>,
}

fn fake_incident(rng: &mut Rng, id: i64, created: i64, now: i64, pools: &Pools) -> (Incident, Vec<FakeNote>) {
    let Pools { settings, governing, categories, services, teams } = pools;
    let levels = [Level::High, Level::Medium, Level::Medium, Level::Low, Level::Low, Level::Low];
    let impact = *rng.pick(&levels);
    let urgency = *rng.pick(&levels);
    let priority = settings.matrix.priority(impact, urgency);
    let system = rng.pick(SYSTEMS);
    let symptom = rng.pick(SYMPTOMS);
    let place = rng.pick(PLACES);
    let category: Option<CategoryId> = (!categories.is_empty()).then(|| rng.pick(categories).id);
    let service: Option<ServiceId> = (!services.is_empty()).then(|| rng.pick(services).id);
    let (team, members) = match teams.is_empty() {
        true => (None, Vec::new()),
        false => {
            let (t, m) = rng.pick(teams);
            (Some(*t), m.clone())
        }
    };
    let assignee = (!members.is_empty()).then(|| *rng.pick(&members));
    let age = now - created;
    let state = if age > 7 * 86_400_000 {
        if rng.below(20) == 0 { IncidentState::Resolved } else { IncidentState::Closed }
    } else {
        *rng.pick(&[
            IncidentState::New,
            IncidentState::Assigned,
            IncidentState::InProgress,
            IncidentState::Pending,
            IncidentState::Resolved,
        ])
    };
    let mut i = Incident {
        id: IncidentId(id),
        title: format!("{system}{symptom}"),
        description: format!("{place}报告：{system}{symptom}，影响部分业务，请尽快处理。"),
        state,
        impact,
        urgency,
        priority,
        category_id: category,
        service_id: service,
        channel: *rng.pick(&[Channel::Phone, Channel::Portal, Channel::Email, Channel::Monitoring]),
        location: Some((*place).into()),
        occurred_at: Some(created - 60_000 * rng.below(30) as i64),
        team_id: if state == IncidentState::New { None } else { team },
        assignee_id: if matches!(state, IncidentState::New | IncidentState::Assigned) { None } else { assignee },
        created_at: created,
        updated_at: created,
        version: 1,
        ..Incident::default()
    };
    let mut notes: Vec<FakeNote> =
        vec![(created, ActivityKind::Created.as_str(), true, String::new(), serde_json::json!({ "priority": i.priority }))];
    if state == IncidentState::Pending {
        i.pending_reason = Some(PendingReason::Requester);
    }
    let responded = created + 60_000 * (1 + rng.below(45) as i64);
    if !matches!(state, IncidentState::New | IncidentState::Assigned) {
        i.responded_at = Some(responded.min(now));
        notes.push((responded.min(now), ActivityKind::Reply.as_str(), true, "已受理，正在排查。".into(), serde_json::json!({})));
    }
    if let Some(g) = governing.as_ref() {
        // The clocks as the real commands would have left them: started at creation,
        // stopped at resolution (or still running for open incidents).
        let mut clocks = SlaState::default();
        let open = TicketNow {
            state: IncidentState::Assigned,
            pending_reason: None,
            priority,
            responded: false,
            response_breached: false,
            resolve_breached: false,
        };
        sla::settle(g, &mut clocks, open, created);
        let mut ticket = TicketNow { state, pending_reason: i.pending_reason, responded: i.responded_at.is_some(), ..open };
        if !state.is_open() {
            let resolved = responded + 60_000 * (10 + rng.below(600) as i64);
            i.resolved_at = Some(resolved);
            i.restored_at = Some(resolved);
            i.updated_at = resolved;
            i.resolution_code = Some("fixed".into());
            i.resolution = Some("已处理，业务恢复正常。".into());
            let due = clocks.resolution.and_then(|c| c.deadline(&g.calendar)).map(|t| t.as_millisecond());
            i.resolve_breached = due.is_some_and(|d| resolved > d);
            ticket.resolve_breached = i.resolve_breached;
            notes.push((
                resolved,
                ActivityKind::StateChanged.as_str(),
                true,
                "已处理，业务恢复正常。".into(),
                serde_json::json!({ "to": "resolved" }),
            ));
            sla::settle(g, &mut clocks, ticket, resolved);
            if state == IncidentState::Closed {
                i.closed_at = Some(resolved + 86_400_000);
                i.updated_at = resolved + 86_400_000;
            }
        } else {
            sla::settle(g, &mut clocks, ticket, now.min(created + 1));
            // What the timer would already have fired happened in the past: record it, do not replay it.
            for f in sla::due_firings(g, &mut clocks, ticket, now) {
                if let sla::Firing::Breach { target } = f {
                    sla::record_breach(&mut i, target);
                }
            }
            ticket.response_breached = i.response_breached;
            ticket.resolve_breached = i.resolve_breached;
        }
        sla::set_columns(g, &clocks, ticket, &mut i);
    }
    (i, notes)
}
