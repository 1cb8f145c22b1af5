//! The CMDB (配置管理, issue 11): classes and attributes as data ([`model`]), CIs
//! ([`ci`]), relations and history ([`relation`]). Every write goes through one
//! transaction with its history row, audit entry and outbox event.
//!
//! Who sees what: CIs by the `configuration_item` policy ([`policy::CONFIGURATION_ITEM`]),
//! and a class restricted to a team (security devices for the security team) shows its
//! CIs, and its subclasses', to that team's members only; to anyone else they do not
//! exist (404). The model is read with `configuration_item:read` or `ci_class:read` and
//! changed with `ci_class` grants, which belong to the system duty.

pub mod bulk;
pub mod ci;
pub mod discovery;
pub mod discovery_sources;
pub mod graph;
pub mod impact;
pub mod import;
pub mod keys;
pub mod model;
pub mod neighbourhood;
pub mod relation;
pub mod service;

use crate::{CoreError, Ctx, Result};
use serde::Serialize;
use yunwei_domain::cmdb::{AttrDef, ClassTree, HistorySource, RelationRule};
use yunwei_domain::ids::{CiClassId, CiRelationTypeId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::policy::{self, Holders};
use yunwei_store::Conn;
use yunwei_store::cmdb::ci::Ci;
use yunwei_store::cmdb::history::Origin;
use yunwei_store::cmdb::{CiClass, CiRelationType, Model};

/// The model with its tree, read for one use case (tens of rows; always current, so a
/// class or attribute added on another node counts at once).
pub(crate) struct Schema {
    pub model: Model,
    pub tree: ClassTree,
    pub defs: Vec<AttrDef>,
}

impl Schema {
    pub async fn load(conn: &mut Conn) -> Result<Schema> {
        let model = yunwei_store::cmdb::model(conn).await?;
        let tree = ClassTree::new(model.classes.iter().map(CiClass::node));
        let defs = model.attributes.iter().map(|a| a.def()).collect();
        Ok(Schema { model, tree, defs })
    }

    pub fn class(&self, id: CiClassId) -> Option<&CiClass> {
        self.model.classes.iter().find(|c| c.id == id)
    }

    pub fn class_by_code(&self, code: &str) -> Option<&CiClass> {
        self.model.classes.iter().find(|c| c.code == code)
    }

    /// The business-service class and its subclasses: where impact walks end.
    pub fn service_classes(&self) -> std::collections::HashSet<i64> {
        let subtree = self.class_by_code(yunwei_domain::cmdb::BUSINESS_SERVICE_CLASS).map(|k| self.tree.subtree(k.id));
        subtree.unwrap_or_default().into_iter().map(|c| c.0).collect()
    }

    pub fn relation_type(&self, id: CiRelationTypeId) -> Option<&CiRelationType> {
        self.model.relation_types.iter().find(|t| t.id == id)
    }

    /// A class's attributes, inherited ones first.
    pub fn attributes(&self, class: CiClassId) -> Vec<&AttrDef> {
        self.tree.attributes(class, &self.defs)
    }

    pub fn rules(&self) -> Vec<RelationRule> {
        self.model
            .rules
            .iter()
            .map(|r| RelationRule { type_id: r.relation_type_id, from_class: r.from_class_id, to_class: r.to_class_id })
            .collect()
    }

    /// The team a class is restricted to: its own, or the nearest ancestor's.
    pub fn restricted_to(&self, class: CiClassId) -> Option<yunwei_domain::ids::TeamId> {
        self.tree.lineage(class).into_iter().find_map(|c| self.class(c).and_then(|c| c.restricted_team_id))
    }

    /// Classes whose CIs the caller may not see.
    pub(crate) fn hidden_classes(&self, ctx: &Ctx) -> Vec<CiClassId> {
        self.model.classes.iter().map(|c| c.id).filter(|c| !self.visible(ctx, *c)).collect()
    }

    pub(crate) fn visible(&self, ctx: &Ctx, class: CiClassId) -> bool {
        let Some(team) = self.restricted_to(class) else { return true };
        match &ctx.actor {
            Some(a) if a.via == crate::context::Via::System => true,
            Some(a) => a.place.teams.contains(&team),
            None => false,
        }
    }
}

/// Where a CI sits for its policy.
pub(crate) fn holders(ci: &Ci) -> Holders {
    Holders { owners: ci.created_by.into_iter().collect(), team: ci.owner_team_id, ..Holders::default() }
}

/// The CI, if the caller may do `action` on it: 403 before the lookup without the grant at
/// any scope; 404 for a deleted CI or one of a class hidden from the caller.
pub(crate) async fn load_ci(conn: &mut Conn, schema: &Schema, ctx: &Ctx, id: yunwei_domain::ids::CiId, action: Action) -> Result<Ci> {
    ctx.may_any(&policy::CONFIGURATION_ITEM, action)?;
    let ci = yunwei_store::cmdb::ci::get(&mut *conn, id).await?.filter(|c| !c.deleted).ok_or(CoreError::NotFound("ci"))?;
    if !schema.visible(ctx, ci.class_id) {
        return Err(CoreError::NotFound("ci"));
    }
    ctx.decide(&policy::CONFIGURATION_ITEM, action, &holders(&ci))?;
    Ok(ci)
}

/// Reading the model: whoever reads CIs, or holds `ci_class:read`.
pub(crate) fn authorize_model_read(ctx: &Ctx) -> Result<()> {
    match ctx.authorize(ObjectType::ConfigurationItem, Action::Read) {
        Ok(_) => Ok(()),
        Err(CoreError::Forbidden(_)) => ctx.authorize(ObjectType::CiClass, Action::Read).map(|_| ()),
        Err(e) => Err(e),
    }
}

/// How the change came in: from a page, through the API, a spreadsheet import, discovery
/// reconciliation, or by the system itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    #[default]
    Api,
    Ui,
    Import,
    /// Discovery reconciliation for the source with this id (history's `source_ref`).
    Reconciliation(i64),
    /// Asset management deploying an asset onto its CI.
    Asset,
}

pub(crate) fn origin(ctx: &Ctx, channel: Channel, at: i64) -> Origin {
    let system = ctx.actor.as_ref().is_none_or(|a| a.via == crate::context::Via::System);
    let source = match channel {
        _ if system => HistorySource::System,
        Channel::Ui => HistorySource::Ui,
        Channel::Api => HistorySource::Api,
        Channel::Import => HistorySource::Import,
        Channel::Reconciliation(_) => HistorySource::Reconciliation,
        Channel::Asset => HistorySource::Asset,
    };
    let source_ref = match channel {
        Channel::Reconciliation(source) => Some(source.to_string()),
        _ => None,
    };
    Origin { actor: ctx.actor_id().map(yunwei_domain::ids::UserId), source, source_ref, at }
}

/// A name in the reader's language: English falls back to the Chinese name.
pub fn pick<'a>(name: &'a str, name_en: &'a str, english: bool) -> &'a str {
    if english && !name_en.is_empty() { name_en } else { name }
}

/// A class as the API and pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ClassView {
    pub id: CiClassId,
    pub code: String,
    pub parent_id: Option<CiClassId>,
    pub name: String,
    pub name_en: String,
    #[serde(rename = "abstract")]
    pub is_abstract: bool,
    pub builtin: bool,
    pub icon: String,
    pub restricted_team_id: Option<yunwei_domain::ids::TeamId>,
    /// Depth in the tree (0 for a root), for indenting.
    pub depth: usize,
    /// Its own attributes (inherited ones are its ancestors').
    pub attributes: Vec<AttrDef>,
}

pub(crate) fn class_view(schema: &Schema, c: &CiClass) -> ClassView {
    let mut attributes: Vec<AttrDef> = schema.defs.iter().filter(|a| a.class_id == c.id).cloned().collect();
    attributes.sort_by_key(|a| (a.position, a.id));
    ClassView {
        id: c.id,
        code: c.code.clone(),
        parent_id: c.parent_id,
        name: c.name.clone(),
        name_en: c.name_en.clone(),
        is_abstract: c.is_abstract,
        builtin: c.builtin,
        icon: c.icon.clone(),
        restricted_team_id: c.restricted_team_id,
        depth: schema.tree.lineage(c.id).len().saturating_sub(1),
        attributes,
    }
}

/// The classes in tree order (each followed by its subclasses, siblings by name).
pub(crate) fn tree_order(schema: &Schema) -> Vec<&CiClass> {
    fn walk<'a>(schema: &'a Schema, parent: Option<CiClassId>, seen: &mut Vec<CiClassId>, out: &mut Vec<&'a CiClass>) {
        let mut kids: Vec<&CiClass> = schema.model.classes.iter().filter(|c| c.parent_id == parent && !seen.contains(&c.id)).collect();
        kids.sort_by(|a, b| a.code.cmp(&b.code));
        for k in kids {
            seen.push(k.id);
            out.push(k);
            walk(schema, Some(k.id), seen, out);
        }
    }
    let mut out = Vec::new();
    let mut seen = Vec::new();
    walk(schema, None, &mut seen, &mut out);
    // Classes in a loop an editor made have no root: listed last rather than lost.
    for c in &schema.model.classes {
        if !seen.contains(&c.id) {
            out.push(c);
        }
    }
    out
}

/// Linking a record (an incident) to a CI needs read on the CI: 403 without any CI grant,
/// `<field>: not_found` for a CI that does not exist or that the caller may not see.
pub(crate) async fn authorize_link(
    conn: &mut Conn,
    ctx: &Ctx,
    c: &mut yunwei_domain::validate::Checker,
    field: &str,
    id: yunwei_domain::ids::CiId,
) -> Result<()> {
    ctx.may_any(&policy::CONFIGURATION_ITEM, Action::Read)?;
    let schema = Schema::load(conn).await?;
    match load_ci(conn, &schema, ctx, id, Action::Read).await {
        Ok(_) => Ok(()),
        Err(CoreError::NotFound(_) | CoreError::Forbidden(_)) => {
            c.push(yunwei_domain::FieldError::new(field, "not_found"));
            Ok(())
        }
        Err(e) => Err(e),
    }
}
