//! Duty grants that wait for a second person (四眼原则): a change that grants, alters or
//! takes away an administrator duty is recorded, the approvers are told, and it takes
//! effect only when someone who is neither the requester nor affected approves it.

use super::duties::{refused, role_duty};
use super::{RoleInput, apply_role_update, apply_user_roles, check_role_holders, resolve_roles, user_view, vet_role};
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::Serialize;
use yunwei_domain::admin::duties::{duty_of_account, judge_approval};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{RoleId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::admin as org;
use yunwei_store::duty_grant::{self as store, DutyGrantRow, NewDutyGrant};

pub const KIND_USER_ROLES: &str = "user_roles";
pub const KIND_ROLE: &str = "role";
const PATH: &str = "/admin/duty-grants";

/// What a command that may need a second person did.
#[derive(Debug, Clone)]
pub enum Outcome<T> {
    Applied(T),
    Pending(Box<DutyGrant>),
}

/// A duty grant as people read it: names beside the ids.
#[derive(Debug, Clone, Serialize)]
pub struct DutyGrant {
    pub id: i64,
    /// `DG-000042`: the number people quote.
    pub number: String,
    pub kind: String,
    pub target_id: i64,
    /// The user's display name, or the role's name in both languages.
    pub target_name: String,
    pub requested_change: serde_json::Value,
    pub state_before: serde_json::Value,
    pub requested_by: UserId,
    pub requested_by_name: String,
    pub requested_at: i64,
    pub status: String,
    pub decided_by: Option<UserId>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub note: String,
}

async fn display_name(conn: &mut yunwei_store::Conn, user: UserId) -> Result<String> {
    Ok(org::get_user(&mut *conn, user).await?.map(|u| u.display_name).unwrap_or_else(|| format!("#{}", user.0)))
}

async fn view(conn: &mut yunwei_store::Conn, g: DutyGrantRow) -> Result<DutyGrant> {
    let target_name = if g.kind == KIND_ROLE {
        org::get_role(&mut *conn, RoleId(g.target_id))
            .await?
            .map(|r| format!("{} / {}", r.name_zh, r.name_en))
            .unwrap_or_else(|| format!("#{}", g.target_id))
    } else {
        display_name(conn, UserId(g.target_id)).await?
    };
    let requested_by_name = display_name(conn, g.requested_by).await?;
    let decided_by_name = match g.decided_by {
        Some(u) => Some(display_name(conn, u).await?),
        None => None,
    };
    Ok(DutyGrant {
        id: g.id,
        number: format!("DG-{:06}", g.id),
        target_name,
        requested_change: serde_json::from_str(&g.requested_change).unwrap_or_default(),
        state_before: serde_json::from_str(&g.state_before).unwrap_or_default(),
        requested_by: g.requested_by,
        requested_by_name,
        requested_at: g.requested_at,
        status: g.status,
        decided_by: g.decided_by,
        decided_by_name,
        decided_at: g.decided_at,
        note: g.note,
        kind: g.kind,
        target_id: g.target_id,
    })
}

/// Everyone who may approve, less the requester and the target.
async fn approvers(core: &Core, requester: UserId, target: Option<UserId>) -> Result<Vec<i64>> {
    let all = org::holders_of_permission(&core.db.read, "role:approve").await?;
    Ok(all.into_iter().filter(|u| *u != requester && Some(*u) != target).map(|u| u.0).collect())
}

/// Records a request instead of applying it, and tells the approvers.
pub(super) async fn request(
    core: &Core,
    ctx: &Ctx,
    kind: &'static str,
    target_id: i64,
    change: &serde_json::Value,
    before: &serde_json::Value,
) -> Result<DutyGrant> {
    let me = ctx.me()?;
    let target_user = (kind == KIND_USER_ROLES).then_some(UserId(target_id));
    let recipients = approvers(core, me.user_id, target_user).await?;
    let (change_text, before_text) = (change.to_string(), before.to_string());
    let new = NewDutyGrant { kind, target_id, requested_change: &change_text, state_before: &before_text, requested_by: me.user_id };
    let mut tx = core.db.begin().await?;
    let id = store::insert(&mut tx, &new, core.now_ms()).await.map_err(CoreError::unique_as("grant_pending"))?;
    let entry = Change::new("duty_grant", id, "request")
        .before(before)
        .after(&serde_json::json!({ "kind": kind, "target_id": target_id, "change": change }));
    audit::write(core, &mut tx, ctx, entry).await?;
    let row = store::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("duty_grant"))?;
    let grant = view(&mut tx, row).await?;
    let payload = serde_json::json!({
        "recipients": recipients, "path": PATH, "id": id, "number": grant.number, "target": grant.target_name,
        "requested_by": grant.requested_by_name,
    });
    emit(core, &mut tx, ctx, Event::new(EventType::DutyGrantRequested, "duty_grant", id).with(payload)).await?;
    core.commit(tx).await?;
    Ok(grant)
}

pub async fn list_grants(core: &Core, ctx: &Ctx, status: Option<&str>) -> Result<Vec<DutyGrant>> {
    ctx.authorize(ObjectType::Role, Action::Read)?;
    if let Some(s) = status {
        let mut c = Checker::new();
        c.one_of("status", s, &["pending", "approved", "rejected", "cancelled"]);
        c.finish()?;
    }
    let rows = store::list(&core.db.read, status, 200).await?;
    let mut conn = core.db.read.acquire().await?;
    let mut out = Vec::with_capacity(rows.len());
    for g in rows {
        out.push(view(&mut conn, g).await?);
    }
    Ok(out)
}

pub async fn get_grant(core: &Core, ctx: &Ctx, id: i64) -> Result<DutyGrant> {
    ctx.authorize(ObjectType::Role, Action::Read)?;
    let mut conn = core.db.read.acquire().await?;
    let g = store::get(&mut *conn, id).await?.ok_or(CoreError::NotFound("duty_grant"))?;
    view(&mut conn, g).await
}

async fn pending(core: &Core, id: i64) -> Result<DutyGrantRow> {
    let g = store::get(&core.db.read, id).await?.ok_or(CoreError::NotFound("duty_grant"))?;
    if g.status != "pending" {
        return Err(CoreError::Conflict("grant_decided"));
    }
    Ok(g)
}

fn json_field<T: serde::de::DeserializeOwned>(text: &str, field: Option<&str>) -> Result<T> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| CoreError::Internal(e.to_string()))?;
    let v = match field {
        Some(f) => v.get(f).cloned().unwrap_or_default(),
        None => v,
    };
    serde_json::from_value(v).map_err(|e| CoreError::Internal(e.to_string()))
}

/// The second person approves: the change is checked again against today's data and
/// applied in the same transaction that closes the request.
pub async fn approve_grant(core: &Core, ctx: &Ctx, id: i64) -> Result<DutyGrant> {
    let (me, _) = ctx.authorize(ObjectType::Role, Action::Approve)?;
    let me = me.user_id;
    let g = pending(core, id).await?;
    let affected = match g.kind.as_str() {
        KIND_USER_ROLES => me.0 == g.target_id,
        _ => org::holders_of_role(&core.db.read, RoleId(g.target_id)).await?.contains(&me),
    };
    if let Err(e) = judge_approval(me, g.requested_by, affected) {
        return Err(refused(core, ctx, "duty_grant", id, "approve", e).await);
    }
    if g.kind == KIND_USER_ROLES {
        let user = UserId(g.target_id);
        let keys: Vec<String> = json_field(&g.requested_change, Some("roles"))?;
        let was: Vec<String> = json_field(&g.state_before, Some("roles"))?;
        let mut conn = core.db.read.acquire().await?;
        if user_view(&mut conn, user).await?.roles != was {
            return Err(CoreError::Conflict("grant_stale"));
        }
        drop(conn);
        let mut c = Checker::new();
        let roles = resolve_roles(core, &mut c, &keys).await?;
        c.finish()?;
        duty_of_account(roles.iter().map(role_duty))?;
        apply_user_roles(core, ctx, user, &roles, Some(&g)).await?;
    } else {
        let role = RoleId(g.target_id);
        let input: RoleInput = json_field(&g.requested_change, None)?;
        let before = org::get_role(&core.db.read, role).await?.ok_or(CoreError::NotFound("role"))?;
        let was: serde_json::Value = json_field(&g.state_before, None)?;
        if was != rights_of(&before) {
            return Err(CoreError::Conflict("grant_stale"));
        }
        let fields = vet_role(&input, false)?;
        check_role_holders(core, role, fields.duty).await?;
        apply_role_update(core, ctx, role, &before, &fields, Some(&g)).await?;
    }
    get_grant(core, ctx, id).await
}

/// What a role grants, as recorded with a request against it.
pub(super) fn rights_of(role: &org::Role) -> serde_json::Value {
    serde_json::json!({ "permissions": role.permissions, "require_totp": role.require_totp })
}

/// A second person turns the request down, or the requester withdraws it.
pub async fn reject_grant(core: &Core, ctx: &Ctx, id: i64, note: &str) -> Result<DutyGrant> {
    let me = ctx.authorize(ObjectType::Role, Action::Read)?.0.user_id;
    let g = pending(core, id).await?;
    let status = if g.requested_by == me {
        "cancelled"
    } else {
        ctx.authorize(ObjectType::Role, Action::Approve)?;
        "rejected"
    };
    let mut c = Checker::new();
    let note = c.text("note", note, 1000);
    c.finish()?;
    let mut tx = core.db.begin().await?;
    close(core, &mut tx, ctx, &g, status, &note).await?;
    core.commit(tx).await?;
    get_grant(core, ctx, id).await
}

/// Closes a pending request in the caller's transaction, audited, and tells the requester.
pub(super) async fn close(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, g: &DutyGrantRow, status: &str, note: &str) -> Result<()> {
    let me = ctx.me()?.user_id;
    if !store::decide(tx, g.id, status, me, note, core.now_ms()).await? {
        return Err(CoreError::Conflict("grant_decided"));
    }
    let action = match status {
        "approved" => "approve",
        "cancelled" => "cancel",
        _ => "reject",
    };
    let entry = Change::new("duty_grant", g.id, action).after(&serde_json::json!({ "status": status, "note": note }));
    audit::write(core, &mut *tx, ctx, entry).await?;
    let row = store::get(&mut **tx, g.id).await?.ok_or(CoreError::NotFound("duty_grant"))?;
    let grant = view(tx, row).await?;
    let recipients: Vec<i64> = [g.requested_by].into_iter().filter(|u| *u != me).map(|u| u.0).collect();
    let payload = serde_json::json!({
        "recipients": recipients, "path": PATH, "id": g.id, "number": grant.number, "target": grant.target_name, "status": status,
        "decided_by": grant.decided_by_name, "note": note,
    });
    emit(core, &mut *tx, ctx, Event::new(EventType::DutyGrantDecided, "duty_grant", g.id).with(payload)).await
}

/// Notification templates of duty grants, per event and language.
pub const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "duty_grant.requested",
        "zh-CN",
        "【{{ payload.number }}】待您批准：{{ payload.requested_by }} 申请变更「{{ payload.target }}」的管理职责",
        "{{ user.display_name }}，您好：\n\n{{ payload.requested_by }} 申请变更「{{ payload.target }}」的管理职责（三权分立），需要第二人批准后才生效。\n请核对申请内容后批准或驳回：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "duty_grant.requested",
        "en",
        "[{{ payload.number }}] Awaiting your approval: {{ payload.requested_by }} asks to change the duties of {{ payload.target }}",
        "Hello {{ user.display_name }},\n\n{{ payload.requested_by }} asks to change the administrator duties of {{ payload.target }} (separation of duties). The change takes effect only when a second person approves it.\nReview it and approve or reject: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "duty_grant.decided",
        "zh-CN",
        "【{{ payload.number }}】职责变更申请{% if payload.status == 'approved' %}已批准{% else %}未获批准{% endif %}：「{{ payload.target }}」",
        "{{ user.display_name }}，您好：\n\n您对「{{ payload.target }}」的职责变更申请{% if payload.status == 'approved' %}已由 {{ payload.decided_by }} 批准并生效{% else %}已被 {{ payload.decided_by }} 驳回{% endif %}。{% if payload.note %}\n说明：{{ payload.note }}{% endif %}\n详情：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "duty_grant.decided",
        "en",
        "[{{ payload.number }}] Duty change {% if payload.status == 'approved' %}approved{% else %}not approved{% endif %}: {{ payload.target }}",
        "Hello {{ user.display_name }},\n\nYour request to change the duties of {{ payload.target }} was {% if payload.status == 'approved' %}approved by {{ payload.decided_by }} and is now in force{% else %}rejected by {{ payload.decided_by }}{% endif %}.{% if payload.note %}\nNote: {{ payload.note }}{% endif %}\nDetails: {{ public_url }}{{ payload.path }}\n",
    ),
];
