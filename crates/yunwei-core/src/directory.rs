//! The names of people and teams as records show them (处理组, 处理人, 申请人).
//!
//! A requester or an approver cannot read the user and team administration, yet the
//! incidents and requests they may read name people and teams. This lookup gives names
//! only — no username, e-mail, phone, roles or membership — so it widens nothing the
//! administration pages guard.

use crate::{Core, Ctx, Result};
use std::collections::HashMap;
use yunwei_domain::ids::UserId;
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_store::admin::{self as store, Team};

/// Every team, by name, for the caller's pages (queues, filters, record facts). Contact
/// details are left out. Any signed-in caller: team names are printed on every record.
pub async fn teams(core: &Core, ctx: &Ctx) -> Result<Vec<Team>> {
    ctx.me()?;
    let page = PageRequest::parse(Some(yunwei_domain::page::MAX_LIMIT), None, false)?;
    let mut teams = store::list_teams(&core.db.read, None, &page).await?.items;
    for t in &mut teams {
        t.email = None;
        t.manager_id = None;
    }
    Ok(teams)
}

/// The display names of these people (unknown ids are left out). Any signed-in caller: the
/// ids come from records the caller has loaded through core, and a name is all it returns.
pub async fn user_names(core: &Core, ctx: &Ctx, ids: &[UserId]) -> Result<HashMap<UserId, String>> {
    ctx.me()?;
    let mut conn = core.db.read.acquire().await?;
    let mut out = HashMap::new();
    // Pages name a handful of people; a bound of 500 keeps a crafted call cheap.
    for id in ids.iter().take(500) {
        if out.contains_key(id) {
            continue;
        }
        if let Some(u) = store::get_user(&mut *conn, *id).await? {
            out.insert(*id, u.display_name);
        }
    }
    Ok(out)
}

/// Who may command a major incident, by name: every enabled person whose roles let them assign
/// incidents — a director who belongs to no team included (the declaring form once offered only
/// team members, so 赵总监 could not be chosen).
pub async fn commander_candidates(core: &Core, ctx: &Ctx) -> Result<Vec<(UserId, String)>> {
    ctx.authorize(ObjectType::Incident, Action::Assign)?;
    let ids = store::holders_of_permission(&core.db.read, "incident:assign").await?;
    let names = user_names(core, ctx, &ids).await?;
    let mut out: Vec<(UserId, String)> = names.into_iter().collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// Whom the desk may name to approve a step that waits for one, by name: every enabled person
/// (line managers often hold no IT role), the first 200 by user name. The desk only.
pub async fn approver_candidates(core: &Core, ctx: &Ctx) -> Result<Vec<(UserId, String)>> {
    ctx.authorize(ObjectType::ServiceRequest, Action::Assign)?;
    let filter = store::UserFilter { disabled: Some(false), ..store::UserFilter::default() };
    let page = PageRequest::parse(Some(yunwei_domain::page::MAX_LIMIT), None, false)?;
    let users = store::list_users(&core.db.read, &filter, &page, true).await?.items;
    let mut out: Vec<(UserId, String)> = users.into_iter().map(|u| (u.id, u.display_name)).collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}
