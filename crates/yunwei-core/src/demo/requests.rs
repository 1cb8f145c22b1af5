//! Demo service requests: the seeded catalogue items pointed at the demo teams,
//! and a few requests at different points (awaiting approval, in fulfilment, closed).

use crate::auth::build_actor;
use crate::context::{RequestMeta, Via};
use crate::request::{self, DecisionInput, NewRequest, TaskInput, Verdict};
use crate::{Core, Ctx, Result};
use serde_json::json;
use yunwei_domain::ids::{CatalogItemId, UserId};
use yunwei_domain::request::{RequestAction, TaskAction};

const ITEM_TEAMS: &[(&str, &str)] = &[
    ("account_creation", "系统组"),
    ("permission_request", "系统组"),
    ("password_reset", "桌面组"),
    ("equipment_request", "桌面组"),
    ("vpn_access", "网络组"),
];

async fn as_user(core: &Core, username: &str) -> Result<Option<(UserId, Ctx)>> {
    let Some(u) = yunwei_store::admin::get_user_by_username(&core.db.read, username).await? else { return Ok(None) };
    let actor = build_actor(core, u.id, Via::Session, None).await?;
    Ok(Some((u.id, Ctx { actor: Some(actor), meta: RequestMeta::default() })))
}

async fn item(core: &Core, code: &str) -> Result<Option<CatalogItemId>> {
    Ok(yunwei_store::request::list_items(&core.db.read, true).await?.into_iter().find(|i| i.code == code).map(|i| i.id))
}

/// Skipped if any request exists. Returns the requests made.
pub async fn load_requests(core: &Core) -> Result<usize> {
    let mut conn = core.db.writer().await?;
    for (code, team) in ITEM_TEAMS {
        if let Some(t) = super::incidents::team_id(core, team).await? {
            yunwei_store::request::set_item_team(&mut conn, code, t).await?;
        }
    }
    drop(conn);
    let page = yunwei_domain::page::PageRequest::parse(Some(1), None, true)?;
    if !yunwei_store::request::list(&core.db.read, &Default::default(), &page).await?.items.is_empty() {
        return Ok(0);
    }
    let (Some((biz01, teller)), Some((_, banker)), Some((_, branch)), Some((_, desk))) =
        (as_user(core, "biz01").await?, as_user(core, "biz02").await?, as_user(core, "branch01").await?, as_user(core, "desk01").await?)
    else {
        return Ok(0);
    };
    let (Some(reset), Some(equipment), Some(vpn)) =
        (item(core, "password_reset").await?, item(core, "equipment_request").await?, item(core, "vpn_access").await?)
    else {
        return Ok(0);
    };
    let new = |item_id, answers: serde_json::Value| NewRequest {
        item_id,
        answers: answers.as_object().cloned().unwrap_or_default(),
        requester_id: None,
        title: None,
    };
    let approve = || DecisionInput { decision: Verdict::Approve, comment: "同意".into() };

    // A password reset, worked by the desktop team.
    let r = request::create(
        core,
        &teller,
        new(reset, json!({ "system": "core_banking", "account": "biz01", "contact_phone": "138 0000 0001" })),
    )
    .await?;
    let task = request::get(core, &desk, r.id).await?.tasks.first().map(|t| t.id);
    if let Some(t) = task {
        request::work_task(
            core,
            &desk,
            r.id,
            t,
            TaskInput { action: Some(TaskAction::Start), assignee_id: None, note: "已电话核实身份".into() },
        )
        .await?;
    }
    // Two laptops for a new branch desk, waiting on the branch manager.
    request::create(
        core,
        &banker,
        new(equipment, json!({ "equipment": "laptop", "quantity": 2, "needed_by": "2026-12-15", "location": "公司银行部 3 楼", "reason": "新增两名客户经理" })),
    )
    .await?;
    // A VPN account: the manager approved, the security administrator decides next.
    let v = request::create(
        core,
        &teller,
        new(
            vpn,
            json!({ "vpn_user": biz01.0, "start_date": "2026-12-01", "end_date": "2027-02-28", "reason": "春节期间远程处理对公业务" }),
        ),
    )
    .await?;
    request::decide(core, &branch, v.id, approve()).await?;
    // An equipment request done and closed.
    let done = request::create(
        core,
        &teller,
        new(equipment, json!({ "equipment": "monitor", "quantity": 1, "location": "营业部柜台", "reason": "显示器花屏" })),
    )
    .await?;
    request::decide(core, &branch, done.id, approve()).await?;
    for t in request::get(core, &desk, done.id).await?.tasks {
        request::work_task(
            core,
            &desk,
            done.id,
            t.id,
            TaskInput { action: Some(TaskAction::Complete), assignee_id: None, note: "已更换".into() },
        )
        .await?;
    }
    request::act(core, &teller, done.id, RequestAction::Close, Default::default()).await?;
    Ok(4)
}
