//! Classes, attributes and relation rules changed at run time (ADR 0017): data, read by the
//! next use case on every node, so nothing restarts. Changing them is the system duty's
//! (`ci_class` grants); removing one that holds data is refused with the count (409)
//! unless confirmed, and the confirmed removal is audited with that count.

use super::{ClassView, Schema, class_view, tree_order};
use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::cmdb::attr::{AttrInput, check_def};
use yunwei_domain::cmdb::{AttrDef, check_class};
use yunwei_domain::ids::{CiAttributeId, CiClassId, CiRelationTypeId, TeamId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::cmdb::{self as store, CiAttribute, CiClass, CiRelationRule, CiRelationType};

/// The classes in tree order, with their own attributes. Not authorised beyond reading
/// the model ([`super::authorize_model_read`]).
pub async fn classes(core: &Core, ctx: &Ctx) -> Result<Vec<ClassView>> {
    super::authorize_model_read(ctx)?;
    let schema = Schema::load(&mut *core.db.read.acquire().await?).await?;
    Ok(tree_order(&schema).into_iter().filter(|c| !c.deleted).map(|c| class_view(&schema, c)).collect())
}

/// One class with every attribute it has (inherited first).
#[derive(Debug, Clone, Serialize)]
pub struct ClassDetail {
    #[serde(flatten)]
    pub class: ClassView,
    /// Its ancestors' attributes and its own, in form order.
    pub all_attributes: Vec<AttrDef>,
    /// Live CIs of this class and its subclasses.
    pub ci_count: i64,
}

pub async fn class(core: &Core, ctx: &Ctx, id: CiClassId) -> Result<ClassDetail> {
    super::authorize_model_read(ctx)?;
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    let c = schema.class(id).filter(|c| !c.deleted).ok_or(CoreError::NotFound("ci_class"))?;
    let ci_count = yunwei_store::cmdb::ci::count_in_classes(&mut *rd, &schema.tree.subtree(id)).await?;
    Ok(ClassDetail { class: class_view(&schema, c), all_attributes: schema.attributes(id).into_iter().cloned().collect(), ci_count })
}

/// A relation type with the class pairs it may join.
#[derive(Debug, Clone, Serialize)]
pub struct RelationTypeView {
    #[serde(flatten)]
    pub relation_type: CiRelationType,
    pub rules: Vec<CiRelationRule>,
}

pub async fn relation_types(core: &Core, ctx: &Ctx) -> Result<Vec<RelationTypeView>> {
    super::authorize_model_read(ctx)?;
    let schema = Schema::load(&mut *core.db.read.acquire().await?).await?;
    Ok(schema
        .model
        .relation_types
        .iter()
        .map(|t| RelationTypeView {
            relation_type: t.clone(),
            rules: schema.model.rules.iter().filter(|r| r.relation_type_id == t.id).cloned().collect(),
        })
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassInput {
    pub code: String,
    pub parent_id: Option<CiClassId>,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default, rename = "abstract")]
    pub is_abstract: bool,
    #[serde(default)]
    pub icon: String,
    pub restricted_team_id: Option<TeamId>,
}

async fn check_team(conn: &mut yunwei_store::Conn, c: &mut Checker, team: Option<TeamId>) -> Result<()> {
    if let Some(t) = team
        && yunwei_store::admin::get_team(&mut *conn, t).await?.is_none()
    {
        c.push(FieldError::new("restricted_team_id", "not_found"));
    }
    Ok(())
}

pub async fn create_class(core: &Core, ctx: &Ctx, input: ClassInput) -> Result<ClassView> {
    ctx.authorize(ObjectType::CiClass, Action::Create)?;
    let (name, name_en) = check_class(&input.code, &input.name, &input.name_en)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let mut c = Checker::new();
    if let Some(p) = input.parent_id
        && schema.class(p).is_none_or(|p| p.deleted)
    {
        c.push(FieldError::new("parent_id", "not_found"));
    }
    check_team(&mut tx, &mut c, input.restricted_team_id).await?;
    c.finish()?;
    let now = core.now_ms();
    let mut row = CiClass {
        code: input.code.clone(),
        parent_id: input.parent_id,
        name,
        name_en,
        is_abstract: input.is_abstract,
        icon: input.icon.chars().take(40).collect(),
        restricted_team_id: input.restricted_team_id,
        created_at: now,
        updated_at: now,
        ..CiClass::default()
    };
    row.id = store::insert_class(&mut tx, &row).await.map_err(CoreError::unique_as("ci_class_code_taken"))?;
    audit::write(core, &mut tx, ctx, Change::new("ci_class", row.id, "create").after(&row)).await?;
    core.commit(tx).await?;
    let schema = Schema::load(&mut *core.db.read.acquire().await?).await?;
    Ok(class_view(&schema, &row))
}

/// Absent fields are kept; `null` clears the parent or the restriction.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassPatch {
    pub name: Option<String>,
    pub name_en: Option<String>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub parent_id: Option<Option<CiClassId>>,
    #[serde(rename = "abstract")]
    pub is_abstract: Option<bool>,
    pub icon: Option<String>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub restricted_team_id: Option<Option<TeamId>>,
}

pub async fn update_class(core: &Core, ctx: &Ctx, id: CiClassId, input: ClassPatch) -> Result<ClassView> {
    ctx.authorize(ObjectType::CiClass, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let before = schema.class(id).filter(|c| !c.deleted).cloned().ok_or(CoreError::NotFound("ci_class"))?;
    let mut after = before.clone();
    let (name, name_en) =
        check_class(&before.code, input.name.as_deref().unwrap_or(&before.name), input.name_en.as_deref().unwrap_or(&before.name_en))?;
    after.name = name;
    after.name_en = name_en;
    let mut c = Checker::new();
    if let Some(parent) = input.parent_id {
        if let Some(p) = parent
            && (schema.class(p).is_none_or(|p| p.deleted) || schema.tree.would_cycle(id, p))
        {
            c.push(FieldError::new("parent_id", "invalid_parent"));
        }
        after.parent_id = parent;
    }
    if let Some(a) = input.is_abstract {
        after.is_abstract = a;
    }
    if let Some(i) = &input.icon {
        after.icon = i.chars().take(40).collect();
    }
    if let Some(t) = input.restricted_team_id {
        check_team(&mut tx, &mut c, t).await?;
        after.restricted_team_id = t;
    }
    c.finish()?;
    after.updated_at = core.now_ms();
    store::update_class(&mut tx, &after).await?;
    audit::write(core, &mut tx, ctx, Change::new("ci_class", id, "update").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(class_view(&schema, &after))
}

/// Removes a class that has no subclasses. If CIs of it live, refused with their count
/// unless `confirm`; confirmed, they are deleted with it (each with its history row).
pub async fn delete_class(core: &Core, ctx: &Ctx, id: CiClassId, confirm: bool, channel: super::Channel) -> Result<()> {
    ctx.authorize(ObjectType::CiClass, Action::Delete)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let class = schema.class(id).filter(|c| !c.deleted).cloned().ok_or(CoreError::NotFound("ci_class"))?;
    if schema.model.classes.iter().any(|c| c.parent_id == Some(id) && !c.deleted) {
        return Err(CoreError::Conflict("ci_class_has_subclasses"));
    }
    let live = yunwei_store::cmdb::ci::list(
        &mut *tx,
        core.db.backend,
        &yunwei_store::cmdb::ci::CiFilter { classes: vec![id], ..Default::default() },
        &yunwei_domain::page::PageRequest { limit: 10_000, after: None, descending: false },
    )
    .await?
    .items;
    if !live.is_empty() && !confirm {
        let names = live.iter().take(10).map(|c| c.name.clone()).collect();
        return Err(CoreError::NeedsConfirmation { code: "ci_class_holds_data", count: live.len() as i64, names });
    }
    let now = core.now_ms();
    for ci in &live {
        super::ci::delete_in(core, &mut tx, ctx, &schema, ci, channel).await?;
    }
    store::delete_class(&mut tx, id, now).await?;
    let after = serde_json::json!({ "deleted_cis": live.len() });
    audit::write(core, &mut tx, ctx, Change::new("ci_class", id, "delete").before(&class).after(&after)).await?;
    core.commit(tx).await?;
    Ok(())
}

fn attribute_row(input: &AttrInput, kind: yunwei_domain::cmdb::AttrKind, class: CiClassId, now: i64) -> CiAttribute {
    CiAttribute {
        id: CiAttributeId(0),
        class_id: class,
        code: input.code.clone(),
        name: input.name.clone(),
        name_en: input.name_en.clone(),
        kind: kind.as_str().into(),
        required: input.required,
        unique_in_class: input.unique_in_class,
        identifying: input.identifying,
        pattern: input.pattern.clone(),
        min_value: input.min_value,
        max_value: input.max_value,
        enum_values: input.enum_values.clone(),
        ref_class_id: input.ref_class_id,
        position: input.position,
        created_at: now,
        updated_at: now,
        key_group: input.key_group.clone(),
    }
}

/// Adds an attribute to a class. Its code may not repeat one the class already has through
/// its ancestors, nor one of its subclasses' (they would inherit two).
pub async fn create_attribute(core: &Core, ctx: &Ctx, class: CiClassId, input: AttrInput) -> Result<AttrDef> {
    ctx.authorize(ObjectType::CiClass, Action::Create)?;
    let (kind, input) = check_def(&input)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    schema.class(class).filter(|c| !c.deleted).ok_or(CoreError::NotFound("ci_class"))?;
    let clash =
        schema.defs.iter().any(|a| a.code == input.code && (schema.tree.is_a(class, a.class_id) || schema.tree.is_a(a.class_id, class)));
    let mut c = Checker::new();
    if clash {
        c.push(FieldError::new("code", "taken"));
    }
    if let Some(r) = input.ref_class_id
        && schema.class(r).is_none()
    {
        c.push(FieldError::new("ref_class_id", "not_found"));
    }
    c.finish()?;
    let mut row = attribute_row(&input, kind, class, core.now_ms());
    row.id = store::insert_attribute(&mut tx, &row).await.map_err(CoreError::unique_as("ci_attribute_code_taken"))?;
    audit::write(core, &mut tx, ctx, Change::new("ci_attribute", row.id, "create").after(&row)).await?;
    core.commit(tx).await?;
    Ok(row.def())
}

/// Changes an attribute's names, rules or choices. Code and kind stay (values are stored
/// by code and typed by kind); a new rule applies to the next write of each CI.
pub async fn update_attribute(core: &Core, ctx: &Ctx, id: CiAttributeId, input: AttrInput) -> Result<AttrDef> {
    ctx.authorize(ObjectType::CiClass, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let before = schema.model.attributes.iter().find(|a| a.id == id).cloned().ok_or(CoreError::NotFound("ci_attribute"))?;
    let (kind, input) = check_def(&AttrInput { code: before.code.clone(), kind: before.kind.clone(), ..input })?;
    let mut after = attribute_row(&input, kind, before.class_id, core.now_ms());
    after.id = id;
    after.created_at = before.created_at;
    store::update_attribute(&mut tx, &after).await?;
    audit::write(core, &mut tx, ctx, Change::new("ci_attribute", id, "update").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(after.def())
}

/// Removes an attribute. If CIs hold values of it, refused with their count unless
/// `confirm`; confirmed, the values go too, each CI's removal in its history.
pub async fn delete_attribute(core: &Core, ctx: &Ctx, id: CiAttributeId, confirm: bool, channel: super::Channel) -> Result<()> {
    ctx.authorize(ObjectType::CiClass, Action::Delete)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let attr = schema.model.attributes.iter().find(|a| a.id == id).cloned().ok_or(CoreError::NotFound("ci_attribute"))?;
    let classes = schema.tree.subtree(attr.class_id);
    let holding = yunwei_store::cmdb::ci::count_with_attribute(&mut *tx, core.db.backend, &classes, &attr.code).await?;
    if holding > 0 && !confirm {
        return Err(CoreError::NeedsConfirmation { code: "ci_attribute_holds_data", count: holding, names: Vec::new() });
    }
    let changed = yunwei_store::cmdb::ci::strip_attribute(&mut tx, core.db.backend, &classes, &attr.code).await?;
    let origin = super::origin(ctx, channel, core.now_ms());
    for before in &changed {
        let mut after = before.clone();
        if let Some(m) = after.attributes.as_object_mut() {
            m.remove(&attr.code);
        }
        after.version += 1;
        yunwei_store::cmdb::history::record_ci(&mut tx, &origin, Some(before), Some(&after)).await?;
    }
    store::delete_attribute(&mut tx, id).await?;
    let after = serde_json::json!({ "cleared_values": changed.len() });
    audit::write(core, &mut tx, ctx, Change::new("ci_attribute", id, "delete").before(&attr).after(&after)).await?;
    core.commit(tx).await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub relation_type_id: CiRelationTypeId,
    pub from_class_id: CiClassId,
    pub to_class_id: CiClassId,
}

/// Allows a relation type between two classes (and their subclasses).
pub async fn add_rule(core: &Core, ctx: &Ctx, input: RuleInput) -> Result<CiRelationRule> {
    ctx.authorize(ObjectType::CiClass, Action::Create)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let mut c = Checker::new();
    if schema.relation_type(input.relation_type_id).is_none() {
        c.push(FieldError::new("relation_type_id", "not_found"));
    }
    for (field, class) in [("from_class_id", input.from_class_id), ("to_class_id", input.to_class_id)] {
        if schema.class(class).is_none_or(|c| c.deleted) {
            c.push(FieldError::new(field, "not_found"));
        }
    }
    c.finish()?;
    let mut rule = CiRelationRule {
        id: 0,
        relation_type_id: input.relation_type_id,
        from_class_id: input.from_class_id,
        to_class_id: input.to_class_id,
    };
    rule.id = store::insert_rule(&mut tx, &rule).await.map_err(CoreError::unique_as("ci_relation_rule_exists"))?;
    audit::write(core, &mut tx, ctx, Change::new("ci_relation_rule", rule.id, "create").after(&rule)).await?;
    core.commit(tx).await?;
    Ok(rule)
}

/// Removes a rule; relations already made stay (they were allowed when made).
pub async fn delete_rule(core: &Core, ctx: &Ctx, id: i64) -> Result<()> {
    ctx.authorize(ObjectType::CiClass, Action::Delete)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let rule = schema.model.rules.iter().find(|r| r.id == id).cloned().ok_or(CoreError::NotFound("ci_relation_rule"))?;
    store::delete_rule(&mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("ci_relation_rule", id, "delete").before(&rule)).await?;
    core.commit(tx).await?;
    Ok(())
}
