//! Saved views: a user names a queue's filters to come back to them. Views are
//! personal; what they show is still limited by the user's record scope.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::ids::UserId;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::saved_view::{self as store, SavedView};

pub const MAX_VIEWS_PER_USER: i64 = 50;

/// The query keys each list accepts (as its page and API do).
fn allowed_keys(object_type: &str) -> Option<(ObjectType, &'static [&'static str])> {
    match object_type {
        "incident" => Some((
            ObjectType::Incident,
            &[
                "queue",
                "state",
                "team_id",
                "assignee_id",
                "priority",
                "category_id",
                "service_id",
                "ci_id",
                "affected_service_id",
                "major",
                "sort",
                "q",
            ],
        )),
        "service_request" => Some((ObjectType::ServiceRequest, &["queue", "state", "item_id", "team_id"])),
        // The CI list page's filter: class, status, owner team, name, one attribute and its value.
        "configuration_item" => Some((ObjectType::ConfigurationItem, &["class", "status", "team", "q", "attr", "value"])),
        _ => None,
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    /// `incident`, `service_request` or `configuration_item`.
    pub object_type: String,
    pub name: String,
    /// The list's query string, e.g. `queue=my_teams&state=open&sort=sla_due`.
    pub query: String,
}

pub async fn list(core: &Core, ctx: &Ctx, object_type: &str) -> Result<Vec<SavedView>> {
    let me = ctx.me()?.user_id;
    if allowed_keys(object_type).is_none() {
        return Err(yunwei_domain::DomainError::field("object_type", "not_allowed_value").into());
    }
    Ok(store::list(&core.db.read, me, object_type).await?)
}

pub async fn create(core: &Core, ctx: &Ctx, input: NewView) -> Result<SavedView> {
    let me = UserId(ctx.me()?.user_id.0);
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 60);
    let query = input.query.trim().trim_start_matches('?').to_string();
    if query.chars().count() > 1000 {
        c.push(FieldError::new("query", "too_long").with("max", 1000));
    }
    match allowed_keys(&input.object_type) {
        None => {
            c.push(FieldError::new("object_type", "not_allowed_value").with("allowed", "incident, service_request, configuration_item"))
        }
        Some((object, keys)) => {
            ctx.authorize(object, Action::Read)?;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let key = pair.split('=').next().unwrap_or_default();
                if !keys.contains(&key) {
                    c.push(FieldError::new("query", "unknown_parameter").with("name", key));
                }
            }
        }
    }
    c.finish()?;
    let mut tx = core.db.begin().await?;
    if store::count(&mut *tx, me).await? >= MAX_VIEWS_PER_USER {
        return Err(yunwei_domain::DomainError::field("name", "too_many").into());
    }
    let now = core.now_ms();
    let id =
        store::insert(&mut tx, me, &input.object_type, &name, &query, now).await.map_err(CoreError::unique_as("saved_view_name_taken"))?;
    let view = SavedView { id, object_type: input.object_type.clone(), name, query, created_at: now };
    audit::write(core, &mut tx, ctx, Change::new("saved_view", id, "create").after(&view)).await?;
    core.commit(tx).await?;
    Ok(view)
}

pub async fn delete(core: &Core, ctx: &Ctx, id: i64) -> Result<()> {
    let me = UserId(ctx.me()?.user_id.0);
    let mut tx = core.db.begin().await?;
    if !store::delete(&mut tx, me, id).await? {
        return Err(CoreError::NotFound("saved_view"));
    }
    audit::write(core, &mut tx, ctx, Change::new("saved_view", id, "delete")).await?;
    core.commit(tx).await
}
