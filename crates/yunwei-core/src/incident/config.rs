//! What administrators shape the service desk with: the desk settings
//! (priority matrix, labels, closing rules), the category tree with its
//! automatic assignment, and the business services.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::ids::{CategoryId, ServiceId, TeamId};
use yunwei_domain::incident::DeskSettings;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::incident::{self as store, Category, CategoryFields};
use yunwei_store::service::{self as services, BusinessService, ServiceFields};

const DESK_SETTINGS_KEY: &str = "service_desk";

/// The desk settings in force (defaults until an administrator saves some).
pub async fn desk_settings(core: &Core) -> Result<DeskSettings> {
    if let Some(s) = core.config_cache.desk() {
        return Ok(s);
    }
    let settings: DeskSettings = crate::settings::stored(core, DESK_SETTINGS_KEY).await?;
    core.config_cache.put_desk(settings.clone());
    Ok(settings)
}

/// Reading the settings is open to anyone who may report an incident (the form needs the labels).
pub async fn read_desk_settings(core: &Core, ctx: &Ctx) -> Result<DeskSettings> {
    ctx.authorize(ObjectType::Incident, Action::Read)?;
    desk_settings(core).await
}

pub async fn put_desk_settings(core: &Core, ctx: &Ctx, input: DeskSettings) -> Result<DeskSettings> {
    ctx.authorize(ObjectType::Setting, Action::Update)?;
    input.validate()?;
    let before = desk_settings(core).await?;
    crate::settings::save(core, ctx, DESK_SETTINGS_KEY, &before, &input).await?;
    core.config_cache.clear();
    Ok(input)
}

// ---- categories ----

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: String,
    /// The English name; absent or empty: English readers see `name`.
    #[serde(default)]
    pub name_en: String,
    pub parent_id: Option<CategoryId>,
    /// New incidents in this category are assigned to this team.
    pub team_id: Option<TeamId>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The tree is open to reporters (they pick a category); editing it is administration.
pub async fn list_categories(core: &Core, ctx: &Ctx) -> Result<Vec<Category>> {
    ctx.authorize(ObjectType::Incident, Action::Read)?;
    Ok(store::categories(&core.db.read).await?)
}

async fn vet_category(core: &Core, id: Option<CategoryId>, input: &CategoryInput) -> Result<CategoryFields> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let name_en = c.optional_name("name_en", &input.name_en, 100);
    let all = store::categories(&core.db.read).await?;
    if let Some(parent) = input.parent_id {
        if !all.iter().any(|x| x.id == parent) {
            c.push(FieldError::new("parent_id", "not_found"));
        } else if let Some(me) = id {
            // Walk up from the new parent: meeting ourselves would make a cycle.
            let mut at = Some(parent);
            let mut steps = 0;
            while let Some(p) = at {
                if p == me {
                    c.push(FieldError::new("parent_id", "cycle"));
                    break;
                }
                steps += 1;
                at = all.iter().find(|x| x.id == p).and_then(|x| x.parent_id).filter(|_| steps < 64);
            }
        }
    }
    if all.iter().any(|x| Some(x.id) != id && x.parent_id == input.parent_id && x.name == name) {
        c.push(FieldError::new("name", "category_name_taken"));
    }
    if let Some(t) = input.team_id
        && yunwei_store::admin::get_team(&core.db.read, t).await?.is_none()
    {
        c.push(FieldError::new("team_id", "not_found"));
    }
    c.finish()?;
    Ok(CategoryFields { name, name_en, parent_id: input.parent_id, team_id: input.team_id, active: input.active })
}

pub async fn create_category(core: &Core, ctx: &Ctx, input: CategoryInput) -> Result<Category> {
    ctx.authorize(ObjectType::Setting, Action::Create)?;
    let fields = vet_category(core, None, &input).await?;
    let mut tx = core.db.begin().await?;
    let id = store::insert_category(&mut tx, &fields, core.now_ms()).await?;
    let after = store::get_category(&mut *tx, id).await?.ok_or(CoreError::NotFound("category"))?;
    audit::write(core, &mut tx, ctx, Change::new("incident_category", id, "create").after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}

pub async fn update_category(core: &Core, ctx: &Ctx, id: CategoryId, input: CategoryInput) -> Result<Category> {
    ctx.authorize(ObjectType::Setting, Action::Update)?;
    let fields = vet_category(core, Some(id), &input).await?;
    let mut tx = core.db.begin().await?;
    let before = store::get_category(&mut *tx, id).await?.ok_or(CoreError::NotFound("category"))?;
    store::update_category(&mut tx, id, &fields, core.now_ms()).await?;
    let after = store::get_category(&mut *tx, id).await?.ok_or(CoreError::NotFound("category"))?;
    audit::write(core, &mut tx, ctx, Change::new("incident_category", id, "update").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}

// ---- business services ----

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub name: String,
    /// The English name; absent or empty: English readers see `name`.
    #[serde(default)]
    pub name_en: String,
    pub code: Option<String>,
    #[serde(default)]
    pub description: String,
    pub team_id: Option<TeamId>,
    /// Downtime allowed per year, minutes (default 1200 = 20 h).
    pub downtime_budget_minutes: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

pub async fn list_services(core: &Core, ctx: &Ctx, q: Option<&str>) -> Result<Vec<BusinessService>> {
    ctx.authorize(ObjectType::Incident, Action::Read)?;
    Ok(services::list(&core.db.read, q).await?)
}

async fn vet_service(core: &Core, input: &ServiceInput) -> Result<ServiceFields> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let name_en = c.optional_name("name_en", &input.name_en, 100);
    let code = input.code.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| c.name("code", s, 40));
    let description = c.text("description", &input.description, 2000);
    let budget = input.downtime_budget_minutes.unwrap_or(1200);
    if !(0..=525_600).contains(&budget) {
        c.push(FieldError::new("downtime_budget_minutes", "out_of_range").with("min", 0).with("max", 525_600));
    }
    if let Some(t) = input.team_id
        && yunwei_store::admin::get_team(&core.db.read, t).await?.is_none()
    {
        c.push(FieldError::new("team_id", "not_found"));
    }
    c.finish()?;
    Ok(ServiceFields { name, name_en, code, description, team_id: input.team_id, downtime_budget_minutes: budget, active: input.active })
}

pub async fn create_service(core: &Core, ctx: &Ctx, input: ServiceInput) -> Result<BusinessService> {
    ctx.authorize(ObjectType::Setting, Action::Create)?;
    let fields = vet_service(core, &input).await?;
    let mut tx = core.db.begin().await?;
    let id = services::insert(&mut tx, &fields, core.now_ms()).await.map_err(CoreError::unique_as("service_name_taken"))?;
    let created = services::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("service"))?;
    crate::cmdb::service::sync(core, &mut tx, ctx, &created).await?;
    let after = services::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("service"))?;
    audit::write(core, &mut tx, ctx, Change::new("business_service", id, "create").after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}

pub async fn update_service(core: &Core, ctx: &Ctx, id: ServiceId, input: ServiceInput) -> Result<BusinessService> {
    ctx.authorize(ObjectType::Setting, Action::Update)?;
    let fields = vet_service(core, &input).await?;
    let mut tx = core.db.begin().await?;
    let before = services::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("service"))?;
    services::update(&mut tx, id, &fields, core.now_ms()).await.map_err(CoreError::unique_as("service_name_taken"))?;
    let after = services::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("service"))?;
    crate::cmdb::service::sync(core, &mut tx, ctx, &after).await?;
    audit::write(core, &mut tx, ctx, Change::new("business_service", id, "update").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}
