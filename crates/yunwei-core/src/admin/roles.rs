//! Roles and the permissions they grant.

use super::duties::{party, refused, role_duty};
use super::grants::Outcome;
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::admin::AdminDuty;
use yunwei_domain::admin::duties::{Decision, duty_of_account, duty_of_set, judge_role_edit};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::RoleId;
use yunwei_domain::permission::{Action, ObjectType, Permission};
use yunwei_domain::validate::Checker;
use yunwei_store::admin::{self as store, Role, RoleFields};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// Fixed after creation.
    pub key: Option<String>,
    pub name_en: String,
    pub name_zh: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub require_totp: bool,
    pub permissions: Vec<String>,
}

/// Checks a role's fields; its duty is what its permissions carry, and never two.
pub(crate) fn vet_role(input: &RoleInput, creating: bool) -> Result<RoleFields> {
    let mut c = Checker::new();
    let key = match (&input.key, creating) {
        (Some(k), true) => {
            let k = k.trim().to_string();
            if !yunwei_domain::validate::is_key(&k) {
                c.push(FieldError::new("key", "invalid_key"));
            }
            k
        }
        (None, true) => {
            c.push(FieldError::new("key", "required"));
            String::new()
        }
        _ => String::new(),
    };
    let name_en = c.name("name_en", &input.name_en, 100);
    let name_zh = c.name("name_zh", &input.name_zh, 100);
    let description = c.text("description", &input.description, 2000);
    let mut permissions = Vec::new();
    for (i, p) in input.permissions.iter().enumerate() {
        match p.parse::<Permission>() {
            Ok(p) => permissions.push(p),
            Err(_) => c.push(FieldError::new(format!("permissions[{i}]"), "invalid_permission")),
        }
    }
    permissions.sort();
    permissions.dedup();
    c.finish()?;
    let duty = duty_of_set(&permissions)?;
    Ok(RoleFields { key, name_en, name_zh, description, duty, require_totp: input.require_totp, permissions })
}

pub async fn create_role(core: &Core, ctx: &Ctx, input: RoleInput) -> Result<Role> {
    ctx.authorize(ObjectType::Role, Action::Create)?;
    let fields = vet_role(&input, true)?;
    let mut tx = core.db.begin().await?;
    let id = store::insert_role(&mut tx, &fields, false, core.now_ms()).await.map_err(CoreError::unique_as("role_key_taken"))?;
    let role = store::get_role(&mut *tx, id).await?.ok_or(CoreError::NotFound("role"))?;
    audit::write(core, &mut tx, ctx, Change::new("role", id, "permission_change").after(&role)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::RoleCreated, "role", id).with(serde_json::json!({ "key": role.key }))).await?;
    core.commit(tx).await?;
    Ok(role)
}

/// Changes a role. Nobody changes the rights of a role they hold; a change to the rights of a
/// role that carries a duty, before or after, waits for a second person (see [`super::grants`]).
pub async fn update_role(core: &Core, ctx: &Ctx, id: RoleId, input: RoleInput) -> Result<Outcome<Role>> {
    ctx.authorize(ObjectType::Role, Action::Update)?;
    let before = store::get_role(&core.db.read, id).await?.ok_or(CoreError::NotFound("role"))?;
    if input.key.as_ref().is_some_and(|k| *k != before.key) {
        return Err(yunwei_domain::DomainError::field("key", "immutable").into());
    }
    let fields = vet_role(&input, false)?;
    check_role_holders(core, id, fields.duty).await?;
    let mut was = before.permissions.clone();
    was.sort();
    let rights_changed = fields.permissions != was || fields.require_totp != before.require_totp;
    let decision = match party(ctx)? {
        None => Decision::Allowed,
        Some(me) => {
            let holds = store::holders_of_role(&core.db.read, id).await?.contains(&me.user);
            match judge_role_edit(holds, role_duty(&before), fields.duty, rights_changed, core.config.four_eyes) {
                Ok(d) => d,
                Err(e) => return Err(refused(core, ctx, "role", id.0, "update", e).await),
            }
        }
    };
    match decision {
        Decision::Allowed => Ok(Outcome::Applied(apply_role_update(core, ctx, id, &before, &fields, None).await?)),
        Decision::NeedsSecondPerson => {
            let change = serde_json::to_value(&input).map_err(|e| CoreError::Internal(e.to_string()))?;
            let grant =
                super::grants::request(core, ctx, super::grants::KIND_ROLE, id.0, &change, &super::grants::rights_of(&before)).await?;
            Ok(Outcome::Pending(Box::new(grant)))
        }
    }
}

/// Refuses a duty for a role if any holder's other roles already carry another one.
pub(crate) async fn check_role_holders(core: &Core, id: RoleId, duty: Option<AdminDuty>) -> Result<()> {
    if duty.is_none() {
        return Ok(());
    }
    for user in store::holders_of_role(&core.db.read, id).await? {
        let others = store::roles_of_user(&core.db.read, user).await?;
        duty_of_account(others.iter().filter(|r| r.id != id).map(role_duty).chain([duty]))?;
    }
    Ok(())
}

/// Writes a role's new fields, audited, and closes the approved request they came from.
pub(crate) async fn apply_role_update(
    core: &Core,
    ctx: &Ctx,
    id: RoleId,
    before: &Role,
    fields: &RoleFields,
    grant: Option<&yunwei_store::duty_grant::DutyGrantRow>,
) -> Result<Role> {
    let mut tx = core.db.begin().await?;
    store::update_role(&mut tx, id, fields, core.now_ms()).await?;
    let after = store::get_role(&mut *tx, id).await?.ok_or(CoreError::NotFound("role"))?;
    let mut entry = serde_json::to_value(&after).map_err(|e| CoreError::Internal(e.to_string()))?;
    if let Some(g) = grant {
        super::grants::close(core, &mut tx, ctx, g, "approved", "").await?;
        entry["duty_grant"] = g.id.into();
        entry["requested_by"] = g.requested_by.0.into();
    }
    audit::write(core, &mut tx, ctx, Change::new("role", id, "permission_change").before(before).after(&entry)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::RoleUpdated, "role", id).with(serde_json::json!({ "key": after.key }))).await?;
    core.commit(tx).await?;
    core.tokens.clear();
    Ok(after)
}

pub async fn delete_role(core: &Core, ctx: &Ctx, id: RoleId) -> Result<()> {
    ctx.authorize(ObjectType::Role, Action::Delete)?;
    let before = store::get_role(&core.db.read, id).await?.ok_or(CoreError::NotFound("role"))?;
    if before.builtin {
        return Err(CoreError::Conflict("builtin_role"));
    }
    if store::count_role_holders(&core.db.read, id).await? > 0 {
        return Err(CoreError::Conflict("role_in_use"));
    }
    let mut tx = core.db.begin().await?;
    store::delete_role(&mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("role", id, "permission_change").before(&before)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::RoleDeleted, "role", id).with(serde_json::json!({ "key": before.key }))).await?;
    core.commit(tx).await
}

pub async fn get_role(core: &Core, ctx: &Ctx, id: RoleId) -> Result<Role> {
    ctx.authorize(ObjectType::Role, Action::Read)?;
    store::get_role(&core.db.read, id).await?.ok_or(CoreError::NotFound("role"))
}

pub async fn list_roles(core: &Core, ctx: &Ctx) -> Result<Vec<Role>> {
    ctx.authorize(ObjectType::Role, Action::Read)?;
    Ok(store::list_roles(&core.db.read).await?)
}
