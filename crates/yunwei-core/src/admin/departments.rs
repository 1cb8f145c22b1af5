//! Departments (the organisation tree).

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::DepartmentId;
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::admin::{self as store, Department};
use yunwei_store::sql::Page;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentInput {
    pub name: String,
    pub code: Option<String>,
    pub parent_id: Option<DepartmentId>,
}

async fn vet_department(core: &Core, id: Option<DepartmentId>, input: &DepartmentInput) -> Result<(String, Option<String>)> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let code = input.code.as_deref().filter(|s| !s.trim().is_empty()).map(|s| c.name("code", s, 40));
    if let Some(parent) = input.parent_id {
        if store::get_department(&core.db.read, parent).await?.is_none() {
            c.push(FieldError::new("parent_id", "not_found"));
        } else if let Some(id) = id
            && (parent == id || store::department_ancestors(&core.db.read, parent).await?.contains(&id))
        {
            c.push(FieldError::new("parent_id", "cycle"));
        }
    }
    c.finish()?;
    Ok((name, code))
}

pub async fn create_department(core: &Core, ctx: &Ctx, input: DepartmentInput) -> Result<Department> {
    ctx.authorize(ObjectType::Department, Action::Create)?;
    let (name, code) = vet_department(core, None, &input).await?;
    let mut tx = core.db.begin().await?;
    let id = store::insert_department(&mut tx, &name, code.as_deref(), input.parent_id, core.now_ms())
        .await
        .map_err(CoreError::unique_as("department_name_taken"))?;
    let d = store::get_department(&mut *tx, id).await?.ok_or(CoreError::NotFound("department"))?;
    audit::write(core, &mut tx, ctx, Change::new("department", id, "create").after(&d)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::DepartmentCreated, "department", id).with(serde_json::json!({ "name": d.name })))
        .await?;
    core.commit(tx).await?;
    Ok(d)
}

pub async fn update_department(core: &Core, ctx: &Ctx, id: DepartmentId, input: DepartmentInput) -> Result<Department> {
    ctx.authorize(ObjectType::Department, Action::Update)?;
    let before = store::get_department(&core.db.read, id).await?.ok_or(CoreError::NotFound("department"))?;
    let (name, code) = vet_department(core, Some(id), &input).await?;
    let mut tx = core.db.begin().await?;
    store::update_department(&mut tx, id, &name, code.as_deref(), input.parent_id, core.now_ms())
        .await
        .map_err(CoreError::unique_as("department_name_taken"))?;
    let after = store::get_department(&mut *tx, id).await?.ok_or(CoreError::NotFound("department"))?;
    audit::write(core, &mut tx, ctx, Change::new("department", id, "update").before(&before).after(&after)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::DepartmentUpdated, "department", id).with(serde_json::json!({ "name": after.name })))
        .await?;
    core.commit(tx).await?;
    Ok(after)
}

pub async fn delete_department(core: &Core, ctx: &Ctx, id: DepartmentId) -> Result<()> {
    ctx.authorize(ObjectType::Department, Action::Delete)?;
    let before = store::get_department(&core.db.read, id).await?.ok_or(CoreError::NotFound("department"))?;
    let mut tx = core.db.begin().await?;
    store::delete_department(&mut tx, id)
        .await
        .map_err(|e| if e.is_foreign_key_violation() { CoreError::Conflict("department_in_use") } else { e.into() })?;
    audit::write(core, &mut tx, ctx, Change::new("department", id, "delete").before(&before)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::DepartmentDeleted, "department", id).with(serde_json::json!({ "name": before.name })))
        .await?;
    core.commit(tx).await
}

pub async fn get_department(core: &Core, ctx: &Ctx, id: DepartmentId) -> Result<Department> {
    ctx.authorize(ObjectType::Department, Action::Read)?;
    store::get_department(&core.db.read, id).await?.ok_or(CoreError::NotFound("department"))
}

pub async fn list_departments(core: &Core, ctx: &Ctx, q: Option<&str>, page: &PageRequest) -> Result<Page<Department>> {
    ctx.authorize(ObjectType::Department, Action::Read)?;
    Ok(store::list_departments(&core.db.read, q, page).await?)
}
