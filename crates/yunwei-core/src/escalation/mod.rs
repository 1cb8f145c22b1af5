//! Escalation (升级, issue 12): policies of ordered levels that page the people on call, a
//! named user or a team until someone acknowledges the incident ([`engine`]), and the alert
//! routing rules that choose a team and a policy ([`routes`]).
//!
//! Permissions: policies are on-call duty data — `duty:read` sees them, `duty:update` manages
//! them (at `team` scope: the policies of one's own teams). Routing rules are alert
//! configuration: `alert_integration:read` / `alert_integration:update`.

pub mod engine;
pub mod routes;

pub use engine::{EscalationView, acknowledge, escalation_of};

use crate::audit::{self, Change};
use crate::duty::authorize_manage;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::escalation::{Level, TargetKind, check};
use yunwei_domain::ids::{DutyScheduleId, TeamId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::Conn;
use yunwei_store::escalation::{self as store, EscalationPolicy};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub team_id: Option<i64>,
    pub levels: Vec<Level>,
    /// How many more times the whole policy runs after the last level (0–9).
    #[serde(default)]
    pub repeat: u32,
    /// For an update: the version read.
    pub version: Option<i64>,
}

pub async fn list_policies(core: &Core, ctx: &Ctx) -> Result<Vec<EscalationPolicy>> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    Ok(store::policies(&core.db.read).await?)
}

pub async fn get_policy(core: &Core, ctx: &Ctx, id: i64) -> Result<EscalationPolicy> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    store::policy(&core.db.read, id).await?.ok_or(CoreError::NotFound("escalation_policy"))
}

/// Whether the caller may manage a policy of `team` (for pages offering the forms).
pub fn may_manage(ctx: &Ctx, team: Option<i64>) -> bool {
    authorize_manage(ctx, team.map(TeamId)).is_ok()
}

async fn check_input(conn: &mut Conn, input: &PolicyInput) -> Result<(String, String)> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let description = c.text("description", &input.description, 2000);
    for e in check(&input.levels, input.repeat) {
        c.push(e);
    }
    if let Some(t) = input.team_id
        && yunwei_store::admin::get_team(&mut *conn, TeamId(t)).await?.is_none()
    {
        c.push(FieldError::new("team_id", "not_found"));
    }
    for (i, l) in input.levels.iter().enumerate() {
        for (j, t) in l.targets.iter().enumerate() {
            let found = match t.kind {
                TargetKind::User => yunwei_store::admin::get_user(&mut *conn, UserId(t.id)).await?.is_some_and(|u| !u.disabled),
                TargetKind::Team => yunwei_store::admin::get_team(&mut *conn, TeamId(t.id)).await?.is_some(),
                TargetKind::Schedule => yunwei_store::duty::get_schedule(&mut *conn, DutyScheduleId(t.id)).await?.is_some(),
            };
            if !found {
                c.push(FieldError::new(format!("levels[{i}].targets[{j}]"), "not_found"));
            }
        }
    }
    c.finish()?;
    Ok((name, description))
}

pub async fn create_policy(core: &Core, ctx: &Ctx, input: PolicyInput) -> Result<EscalationPolicy> {
    authorize_manage(ctx, input.team_id.map(TeamId))?;
    let mut tx = core.db.begin().await?;
    let (name, description) = check_input(&mut tx, &input).await?;
    let now = core.now_ms();
    let mut p = EscalationPolicy {
        id: 0,
        name,
        description,
        team_id: input.team_id,
        levels: input.levels,
        repeat_count: i64::from(input.repeat),
        created_by: ctx.actor_id(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    p.id = store::insert_policy(&mut tx, &p).await.map_err(CoreError::unique_as("escalation_policy_name_taken"))?;
    audit::write(core, &mut tx, ctx, Change::new("escalation_policy", p.id, "create").after(&p)).await?;
    core.commit(tx).await?;
    Ok(p)
}

/// Changes a policy; the caller must manage both its team and (moving it) the new one.
/// Running escalations follow the new levels from their next page.
pub async fn update_policy(core: &Core, ctx: &Ctx, id: i64, input: PolicyInput) -> Result<EscalationPolicy> {
    ctx.authorize(ObjectType::Duty, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let before = store::policy(&mut *tx, id).await?.ok_or(CoreError::NotFound("escalation_policy"))?;
    authorize_manage(ctx, before.team_id.map(TeamId))?;
    authorize_manage(ctx, input.team_id.map(TeamId))?;
    let (name, description) = check_input(&mut tx, &input).await?;
    let Some(version) = input.version else {
        return Err(DomainError::Validation(vec![FieldError::new("version", "required")]).into());
    };
    let after = EscalationPolicy {
        name,
        description,
        team_id: input.team_id,
        levels: input.levels,
        repeat_count: i64::from(input.repeat),
        updated_at: core.now_ms(),
        version: version + 1,
        ..before.clone()
    };
    if version != before.version
        || !store::update_policy(&mut tx, &after, version).await.map_err(CoreError::unique_as("escalation_policy_name_taken"))?
    {
        return Err(CoreError::Conflict("escalation_policy_changed"));
    }
    audit::write(core, &mut tx, ctx, Change::new("escalation_policy", id, "update").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}
