//! An asset's lifecycle steps: who may take which step, the approvals (by amount and
//! category for purchase requests, always for scrapping; never by the one who asked), the
//! history row, audit entry and event of each step, and the CMDB kept in line with it.

use super::{AssetView, load, view};
use crate::audit::{self, Change};
use crate::cmdb::Channel;
use crate::cmdb::ci::{CiInput, CiPatch};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::asset::{self as rules, ApprovalRule, AssetAction, AssetState};
use yunwei_domain::cmdb::CiStatus;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{AssetId, CiClassId, CiId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::asset::{self as store, Asset, AssetStep};

/// The approval rules as the domain reads them.
async fn approval_rules(conn: &mut Conn) -> Result<Vec<ApprovalRule>> {
    Ok(store::approval_rules(&mut *conn)
        .await?
        .into_iter()
        .map(|r| ApprovalRule { category: r.category, min_cost_fen: r.min_cost_fen, role_key: r.role_key })
        .collect())
}

/// Whether the caller may decide on what `a` awaits: `asset:approve`, not their own request,
/// and (for a purchase request a rule covers) holding the rule's role. The refusal says which.
async fn may_decide(conn: &mut Conn, ctx: &Ctx, a: &Asset) -> Result<()> {
    let (actor, _) = ctx.authorize(ObjectType::Asset, Action::Approve)?;
    let me = actor.user_id;
    if a.pending_by == Some(me) || (a.state == AssetState::Requested && a.created_by == Some(me)) {
        return Err(yunwei_domain::DomainError::OwnRequest.into());
    }
    if a.state == AssetState::Requested {
        let rules = approval_rules(conn).await?;
        if let Some(rule) = rules::rule_for(&rules, a.category, a.cost_fen) {
            let roles = yunwei_store::admin::roles_of_user(&mut *conn, me).await?;
            if !roles.iter().any(|r| r.key == rule.role_key) {
                return Err(CoreError::Forbidden(format!("asset:approve:role:{}", rule.role_key)));
            }
        }
    }
    Ok(())
}

/// The actions open from the asset's state that the caller may take (what a page offers).
pub(crate) async fn allowed_actions(conn: &mut Conn, ctx: &Ctx, a: &Asset) -> Result<Vec<AssetAction>> {
    let mut out = Vec::new();
    for action in rules::actions_from(a.state) {
        let ok = match rules::permission_for(action) {
            Action::Approve => may_decide(conn, ctx, a).await.is_ok(),
            other => ctx.authorize(ObjectType::Asset, other).is_ok(),
        };
        if ok {
            out.push(action);
        }
    }
    Ok(out)
}

/// The event payload of an asset change (webhooks and notices).
pub(crate) fn payload(a: &Asset, action: &str) -> serde_json::Value {
    serde_json::json!({
        "id": a.id, "tag": a.tag, "name": a.name, "category": a.category, "state": a.state,
        "action": action, "cost_fen": a.cost_fen, "ci_id": a.ci_id, "version": a.version,
        "path": format!("/assets/{}", a.id),
    })
}

/// The history row of a step (or the registration), in the caller's transaction.
pub(crate) async fn record(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    a: &Asset,
    from: Option<AssetState>,
    action: &str,
    note: &str,
) -> Result<()> {
    let step = AssetStep {
        asset_id: a.id,
        at: core.now_ms(),
        actor_id: ctx.actor_id().map(UserId),
        action: action.to_string(),
        from_state: from,
        to_state: a.state,
        note: note.to_string(),
        ..AssetStep::default()
    };
    store::record_step(tx, &step).await?;
    Ok(())
}

/// One lifecycle step. Deploying names the CI the asset becomes (`ci_id`), or the class of a
/// new CI the step creates (`ci_class_id`); the CMDB records the asset as the change's source.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub action: AssetAction,
    /// The version the caller last saw; a mismatch is refused (409).
    pub version: i64,
    #[serde(default)]
    pub note: String,
    pub ci_id: Option<CiId>,
    pub ci_class_id: Option<CiClassId>,
}

pub async fn act(core: &Core, ctx: &Ctx, id: AssetId, input: StepInput) -> Result<AssetView> {
    let needed = rules::permission_for(input.action);
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, needed, true).await?;
    if input.version != before.version {
        return Err(CoreError::Conflict("asset_changed"));
    }
    let to = rules::next(before.state, input.action).ok_or(CoreError::Conflict("asset_illegal_transition"))?;
    if needed == Action::Approve {
        may_decide(&mut tx, ctx, &before).await?;
    }
    let mut c = Checker::new();
    let note = c.text("note", &input.note, super::MAX_TEXT);
    if matches!(input.action, AssetAction::Reject | AssetAction::RequestScrap) && note.trim().is_empty() {
        c.push(FieldError::new("note", "required"));
    }
    if input.action == AssetAction::Deploy && input.ci_id.or(before.ci_id).is_none() && input.ci_class_id.is_none() {
        c.push(FieldError::new("ci_id", "required"));
    }
    c.finish()?;
    let mut a = before.clone();
    a.state = to;
    a.pending_by = match input.action {
        AssetAction::RequestScrap => ctx.actor_id().map(UserId),
        _ if rules::awaits_decision(to) => before.pending_by,
        _ => None,
    };
    a.version = before.version + 1;
    a.updated_at = core.now_ms();
    sync_ci(core, &mut tx, ctx, &mut a, &input).await?;
    if !store::update(&mut tx, &a, before.version).await? {
        return Err(CoreError::Conflict("asset_changed"));
    }
    let action = input.action.as_str();
    record(core, &mut tx, ctx, &a, Some(before.state), action, &note).await?;
    audit::write(core, &mut tx, ctx, Change::new("asset", a.id, action).before(&before).after(&a)).await?;
    let mut data = payload(&a, action);
    data["from_state"] = serde_json::json!(before.state);
    emit(core, &mut tx, ctx, Event::new(EventType::AssetTransitioned, "asset", a.id).with(data)).await?;
    let v = view(core, &mut tx, ctx, &a, true).await?;
    core.commit(tx).await?;
    if a.ci_id != before.ci_id || a.state != before.state {
        crate::cmdb::graph::note_write(core);
    }
    Ok(v)
}

/// What the CI's status becomes when its asset arrives in `state`.
fn ci_status(state: AssetState) -> Option<CiStatus> {
    match state {
        AssetState::Deployed => Some(CiStatus::Production),
        AssetState::Maintenance => Some(CiStatus::Maintenance),
        AssetState::Retired | AssetState::Scrapped => Some(CiStatus::Retired),
        _ => None,
    }
}

/// Deploying creates or links the asset's CI; later steps move a linked CI's status. The
/// CMDB's own checks run as the caller (creating a CI needs `configuration_item:create`),
/// with history source `asset`.
pub(crate) async fn sync_ci(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, a: &mut Asset, input: &StepInput) -> Result<()> {
    let Some(status) = ci_status(a.state) else { return Ok(()) };
    let schema = crate::cmdb::Schema::load(tx).await?;
    if input.action == AssetAction::Deploy {
        if let Some(ci) = input.ci_id {
            a.ci_id = Some(ci);
        } else if a.ci_id.is_none()
            && let Some(class_id) = input.ci_class_id
        {
            let mut attributes = serde_json::Map::new();
            // The CI carries the asset's identity where its class declares those attributes.
            for (code, value) in [("asset_tag", &a.tag), ("serial_number", &a.serial_number), ("model", &a.model)] {
                if !value.is_empty() && schema.attributes(class_id).iter().any(|d| d.code == code) {
                    attributes.insert(code.to_string(), serde_json::json!(value));
                }
            }
            let new = CiInput { class_id, name: a.name.clone(), status: Some(status), attributes, ..CiInput::default() };
            // Creating the CI needs the CMDB's own right, as from the CMDB's pages.
            crate::cmdb::ci::check_team_scope(ctx, Action::Create, new.owner_team_id).map_err(|e| field_of_ci(e, "ci_class_id"))?;
            let ci =
                crate::cmdb::ci::create_in(core, tx, ctx, &schema, new, Channel::Asset).await.map_err(|e| field_of_ci(e, "ci_class_id"))?;
            a.ci_id = Some(ci.id);
            return Ok(());
        }
    }
    let Some(ci_id) = a.ci_id else { return Ok(()) };
    let ci = crate::cmdb::load_ci(tx, &schema, ctx, ci_id, Action::Update).await.map_err(|e| field_of_ci(e, "ci_id"))?;
    if ci.status == status.as_str() {
        return Ok(());
    }
    let patch = CiPatch { version: ci.version, status: Some(status), ..CiPatch::default() };
    crate::cmdb::ci::update_in(core, tx, ctx, &schema, ci, patch, Channel::Asset).await?;
    Ok(())
}

/// A CI that is not there, for the step's form: the field that named it.
fn field_of_ci(e: CoreError, field: &str) -> CoreError {
    match e {
        CoreError::NotFound(_) => yunwei_domain::DomainError::Validation(vec![FieldError::new(field, "not_found")]).into(),
        other => other,
    }
}
