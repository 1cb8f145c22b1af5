//! Demo data: a realistic Chinese-language organisation (a bank's IT
//! operations centre) with a user in every built-in role. Idempotent.

pub mod cmdb;
mod incidents;
mod requests;

pub use incidents::{load_desk, load_incidents};
pub use requests::load_requests;

use crate::admin::{self, DepartmentInput, NewUser, TeamInput};
use crate::{Core, Ctx, Result};
use yunwei_domain::ids::{DepartmentId, TeamId};
use yunwei_domain::page::PageRequest;

/// The password of every demo account (documented in the README; demo only).
pub const DEMO_PASSWORD: &str = "Yunwei@Demo2026";

const DEPARTMENTS: &[(&str, &str)] = &[
    ("信息科技部", "IT"),
    ("运营管理部", "OPS"),
    ("零售银行部", "RETAIL"),
    ("公司银行部", "CORP"),
    ("风险管理部", "RISK"),
    ("财务会计部", "FIN"),
    ("审计部", "AUDIT"),
];

const TEAMS: &[(&str, &str)] = &[
    ("系统组", "服务器、操作系统、中间件运维"),
    ("网络组", "核心交换、广域网、负载均衡"),
    ("安全组", "安全设备、漏洞管理、安全事件处置"),
    ("桌面组", "终端、打印机、办公软件支持"),
    ("应用支持组", "核心业务系统与渠道系统应用支持"),
    ("数据组", "数据库、备份与数据运维"),
    ("值班室", "7×24 值班与事件受理"),
];

/// (username, display name, department, team, roles)
type DemoUser = (&'static str, &'static str, &'static str, Option<&'static str>, &'static [&'static str]);

const USERS: &[DemoUser] = &[
    ("secadmin", "钱安全", "信息科技部", Some("安全组"), &["security_admin"]),
    ("auditadmin", "孙审计", "审计部", None, &["audit_admin"]),
    ("director", "赵总监", "信息科技部", None, &["ops_director"]),
    ("manager", "李经理", "信息科技部", Some("值班室"), &["ops_manager"]),
    ("sys01", "王系统", "信息科技部", Some("系统组"), &["system_engineer"]),
    ("net01", "刘网络", "信息科技部", Some("网络组"), &["network_engineer"]),
    ("sec01", "陈安全", "信息科技部", Some("安全组"), &["network_engineer"]),
    ("desk01", "杨桌面", "信息科技部", Some("桌面组"), &["desktop_engineer"]),
    ("app01", "黄应用", "信息科技部", Some("应用支持组"), &["application_support"]),
    ("dba01", "周数据", "信息科技部", Some("数据组"), &["dba_engineer"]),
    ("duty01", "吴值班", "信息科技部", Some("值班室"), &["duty_officer"]),
    ("duty02", "郑值班", "信息科技部", Some("值班室"), &["duty_officer"]),
    ("cab01", "冯委员", "风险管理部", None, &["cab_member"]),
    ("biz01", "何柜员", "零售银行部", None, &["business_user"]),
    ("biz02", "高客户经理", "公司银行部", None, &["business_user"]),
    ("branch01", "马行长", "零售银行部", None, &["business_user"]),
    ("auditor01", "林审计员", "审计部", None, &["auditor"]),
];

/// (user, line manager): who approves whose service requests.
const MANAGERS: &[(&str, &str)] =
    &[("biz01", "branch01"), ("biz02", "branch01"), ("sys01", "manager"), ("net01", "manager"), ("desk01", "manager")];

/// Loads the demo organisation; skips what already exists. Returns users created.
pub async fn load(core: &Core) -> Result<usize> {
    let ctx = Ctx::system();
    let all = PageRequest::parse(Some(200), None, false)?;
    let mut departments: Vec<(String, DepartmentId)> =
        admin::list_departments(core, &ctx, None, &all).await?.items.into_iter().map(|d| (d.name, d.id)).collect();
    for (name, code) in DEPARTMENTS {
        if !departments.iter().any(|(n, _)| n == name) {
            let d =
                admin::create_department(core, &ctx, DepartmentInput { name: (*name).into(), code: Some((*code).into()), parent_id: None })
                    .await?;
            departments.push((d.name, d.id));
        }
    }
    let mut teams: Vec<(String, TeamId)> =
        admin::list_teams(core, &ctx, None, &all).await?.items.into_iter().map(|t| (t.name, t.id)).collect();
    for (name, description) in TEAMS {
        if !teams.iter().any(|(n, _)| n == name) {
            let t = admin::create_team(
                core,
                &ctx,
                TeamInput {
                    name: (*name).into(),
                    name_en: String::new(),
                    description: (*description).into(),
                    email: None,
                    manager_id: None,
                    members: None,
                },
            )
            .await?;
            teams.push((t.team.name, t.team.id));
        }
    }
    let mut created = 0;
    for (username, display, dept, team, roles) in USERS {
        if yunwei_store::admin::get_user_by_username(&core.db.read, username).await?.is_some() {
            continue;
        }
        let input = NewUser {
            username: (*username).into(),
            display_name: (*display).into(),
            email: Some(format!("{username}@bank.example")),
            phone: None,
            department_id: departments.iter().find(|(n, _)| n == dept).map(|(_, id)| *id),
            manager_id: None,
            locale: Some("zh-CN".into()),
            time_zone: Some("Asia/Shanghai".into()),
            password: Some(DEMO_PASSWORD.into()),
            roles: roles.iter().map(|r| (*r).to_string()).collect(),
            teams: team.and_then(|t| teams.iter().find(|(n, _)| n == t).map(|(_, id)| *id)).into_iter().collect(),
        };
        let user = admin::create_user(core, &ctx, input).await?;
        // Demo accounts skip the forced first-sign-in password change.
        let mut conn = core.db.writer().await?;
        let hash = crate::crypto::hash_password(DEMO_PASSWORD.into()).await?;
        yunwei_store::admin::set_password(&mut conn, user.user.user.id, &hash, false, core.now_ms()).await?;
        created += 1;
    }
    for (user, manager) in MANAGERS {
        let (Some(u), Some(m)) = (
            yunwei_store::admin::get_user_by_username(&core.db.read, user).await?,
            yunwei_store::admin::get_user_by_username(&core.db.read, manager).await?,
        ) else {
            continue;
        };
        if u.manager_id.is_none() {
            admin::update_user(core, &ctx, u.id, admin::UserPatch { manager_id: Some(Some(m.id)), ..Default::default() }).await?;
        }
    }
    Ok(created)
}

/// Deterministic pseudo-random numbers (xorshift), so every demo load is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
