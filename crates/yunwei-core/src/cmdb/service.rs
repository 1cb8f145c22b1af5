//! Business services are CIs of class `business_service`: creating a service creates its
//! CI, renaming it or changing its team or state keeps the CI in step, in the same
//! transaction (migration 0019 made the CIs of the services that existed before).

use super::{Channel, Schema};
use crate::{Core, Ctx, Result};
use yunwei_domain::cmdb::{BUSINESS_SERVICE_CLASS, CiStatus, Criticality, Environment};
use yunwei_domain::ids::UserId;
use yunwei_store::cmdb::ci::{self as store, Ci};
use yunwei_store::service::BusinessService;

/// Creates or updates the service's CI; writes its history, audit entry and event.
/// Not authorised here: called from the service's own use case, which checked its grant.
pub(crate) async fn sync(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, service: &BusinessService) -> Result<()> {
    let schema = Schema::load(tx).await?;
    let Some(class) = schema.class_by_code(BUSINESS_SERVICE_CLASS).map(|c| c.id) else { return Ok(()) };
    let status = if service.active { CiStatus::Production } else { CiStatus::Retired };
    let now = core.now_ms();
    let existing = match service.ci_id {
        Some(id) => store::get(&mut **tx, id).await?.filter(|c| !c.deleted),
        None => None,
    };
    match existing {
        Some(before) => {
            let mut after = before.clone();
            after.name = service.name.clone();
            after.description = service.description.clone();
            after.owner_team_id = service.team_id;
            after.status = status.as_str().into();
            if after.state() == before.state() {
                return Ok(());
            }
            after.version += 1;
            after.updated_at = now;
            store::update(tx, &after, before.version).await?;
            super::ci::written(core, tx, ctx, &schema, Some(&before), Some(&after), Channel::Ui).await
        }
        None => {
            let mut ci = Ci {
                class_id: class,
                name: service.name.clone(),
                description: service.description.clone(),
                status: status.as_str().into(),
                owner_team_id: service.team_id,
                criticality: Criticality::High.as_str().into(),
                environment: Environment::Production.as_str().into(),
                attributes: serde_json::json!({}),
                version: 1,
                created_by: ctx.actor_id().map(UserId),
                created_at: now,
                updated_at: now,
                ..Ci::default()
            };
            ci.id = store::insert(tx, &ci).await?;
            yunwei_store::service::set_ci(tx, service.id, ci.id).await?;
            super::ci::written(core, tx, ctx, &schema, None, Some(&ci), Channel::Ui).await
        }
    }
}
