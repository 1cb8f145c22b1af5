//! Relations between CIs (checked against the class rules) and history: the list of
//! changes, the difference between two versions, and a CI with its relations as they were
//! at a moment.

use super::{Channel, Schema, load_ci, origin, pick};
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::cmdb::history::{FieldChange, field_changes};
use yunwei_domain::cmdb::relation_allowed;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{CiId, CiRelationId, CiRelationTypeId, UserId};
use yunwei_domain::permission::Action;
use yunwei_store::cmdb::CiRelation;
use yunwei_store::cmdb::ci::{self as store, Ci};
use yunwei_store::cmdb::history::{self, HistoryRow, Moment};

/// A relation seen from one CI: its type in the reader's words for that direction, and the CI
/// at the other end.
#[derive(Debug, Clone, Serialize)]
pub struct RelationView {
    pub id: CiRelationId,
    pub type_id: CiRelationTypeId,
    pub type_code: String,
    /// `outgoing`: this CI is the source (it "depends on" the other); `incoming`: the target.
    pub direction: &'static str,
    /// The type's name for this direction (`depends on` / `is needed by`), both languages.
    pub label: String,
    pub label_en: String,
    pub other_id: CiId,
    pub other_name: String,
    pub other_class: String,
    pub other_class_en: String,
    /// The other CI is hidden from the reader (a restricted class): its name is withheld.
    pub hidden: bool,
}

async fn views(
    conn: &mut yunwei_store::Conn,
    schema: &Schema,
    ctx: &Ctx,
    ci: CiId,
    rels: &[(CiRelationId, CiRelationTypeId, CiId, CiId)],
) -> Result<Vec<RelationView>> {
    let others: Vec<CiId> = rels.iter().map(|(_, _, f, t)| if *f == ci { *t } else { *f }).collect();
    let found = store::get_many(&mut *conn, &others).await?;
    let mut out = Vec::new();
    for (id, type_id, from, to) in rels {
        let outgoing = *from == ci;
        let other_id = if outgoing { *to } else { *from };
        let other = found.iter().find(|c| c.id == other_id);
        let t = schema.relation_type(*type_id);
        let class = other.and_then(|o| schema.class(o.class_id));
        let hidden = other.is_none_or(|o| !schema.visible(ctx, o.class_id));
        out.push(RelationView {
            id: *id,
            type_id: *type_id,
            type_code: t.map(|t| t.code.clone()).unwrap_or_default(),
            direction: if outgoing { "outgoing" } else { "incoming" },
            label: t.map(|t| if outgoing { t.name.clone() } else { t.reverse_name.clone() }).unwrap_or_default(),
            label_en: t.map(|t| if outgoing { t.name_en.clone() } else { t.reverse_name_en.clone() }).unwrap_or_default(),
            other_id,
            other_name: if hidden { String::new() } else { other.map(|o| o.name.clone()).unwrap_or_default() },
            other_class: class.map(|c| c.name.clone()).unwrap_or_default(),
            other_class_en: class.map(|c| pick(&c.name, &c.name_en, true).to_string()).unwrap_or_default(),
            hidden,
        });
    }
    Ok(out)
}

/// A CI's relations, both directions, by type.
pub async fn list(core: &Core, ctx: &Ctx, ci: CiId) -> Result<Vec<RelationView>> {
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    load_ci(&mut rd, &schema, ctx, ci, Action::Read).await?;
    let rels: Vec<_> = store::relations_of(&mut *rd, ci).await?.into_iter().map(|r| (r.id, r.type_id, r.from_ci_id, r.to_ci_id)).collect();
    views(&mut rd, &schema, ctx, ci, &rels).await
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RelationInput {
    /// A type id or code.
    pub type_id: Option<CiRelationTypeId>,
    pub type_code: Option<String>,
    pub from_ci_id: CiId,
    pub to_ci_id: CiId,
}

/// Relates two CIs. Takes an update grant reaching the source CI and read on the target;
/// the class rules must allow the pair.
pub async fn create(core: &Core, ctx: &Ctx, input: RelationInput, channel: Channel) -> Result<RelationView> {
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let from = load_ci(&mut tx, &schema, ctx, input.from_ci_id, Action::Update).await?;
    let to = load_ci(&mut tx, &schema, ctx, input.to_ci_id, Action::Read).await.map_err(|e| match e {
        CoreError::NotFound(_) => yunwei_domain::DomainError::field("to_ci_id", "not_found").into(),
        other => other,
    })?;
    let t = match (&input.type_id, &input.type_code) {
        (Some(id), _) => schema.relation_type(*id),
        (None, Some(code)) => schema.model.relation_types.iter().find(|t| &t.code == code),
        (None, None) => None,
    }
    .cloned()
    .ok_or_else(|| yunwei_domain::DomainError::field("type_id", "not_found"))?;
    if from.id == to.id {
        return Err(yunwei_domain::DomainError::field("to_ci_id", "same_ci").into());
    }
    if !relation_allowed(&schema.tree, &schema.rules(), t.id, from.class_id, to.class_id) {
        let names = |c: &Ci| schema.class(c.class_id).map(|k| k.code.clone()).unwrap_or_default();
        return Err(yunwei_domain::DomainError::Validation(vec![
            FieldError::new("type_id", "relation_not_allowed").with("type", &t.code).with("from", names(&from)).with("to", names(&to)),
        ])
        .into());
    }
    if store::find_relation(&mut *tx, t.id, from.id, to.id).await?.is_some() {
        return Err(CoreError::Conflict("ci_relation_exists"));
    }
    let mut r = CiRelation {
        id: CiRelationId(0),
        type_id: t.id,
        from_ci_id: from.id,
        to_ci_id: to.id,
        created_by: ctx.actor_id().map(UserId),
        created_at: core.now_ms(),
    };
    r.id = store::insert_relation(&mut tx, &r).await.map_err(CoreError::unique_as("ci_relation_exists"))?;
    let version = history::record_relation(&mut tx, &origin(ctx, channel, core.now_ms()), &r, true).await?;
    audit::write(core, &mut tx, ctx, Change::new("ci_relation", r.id, "create").after(&r)).await?;
    let payload = relation_payload(&r, &t.code, version);
    emit(core, &mut tx, ctx, Event::new(EventType::CiRelationCreated, "ci_relation", r.id).with(payload)).await?;
    core.commit(tx).await?;
    super::graph::note_write(core);
    let mut rd = core.db.read.acquire().await?;
    let mut v = views(&mut rd, &schema, ctx, from.id, &[(r.id, r.type_id, r.from_ci_id, r.to_ci_id)]).await?;
    v.pop().ok_or(CoreError::NotFound("ci_relation"))
}

fn relation_payload(r: &CiRelation, type_code: &str, history_id: i64) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "type": type_code, "from_ci_id": r.from_ci_id, "to_ci_id": r.to_ci_id, "history_id": history_id,
        "path": format!("/cmdb/cis/{}", r.from_ci_id),
    })
}

/// Removes a relation: takes an update grant reaching its source CI.
pub async fn delete(core: &Core, ctx: &Ctx, id: CiRelationId, channel: Channel) -> Result<()> {
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    ctx.may_any(&yunwei_domain::policy::CONFIGURATION_ITEM, Action::Update)?;
    let r = store::get_relation(&mut *tx, id).await?.ok_or(CoreError::NotFound("ci_relation"))?;
    load_ci(&mut tx, &schema, ctx, r.from_ci_id, Action::Update).await?;
    remove_in(core, &mut tx, ctx, &r, channel).await?;
    core.commit(tx).await?;
    super::graph::note_write(core);
    Ok(())
}

/// Deletes the relation with its history row, audit entry and event.
pub(crate) async fn remove_in(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, r: &CiRelation, channel: Channel) -> Result<()> {
    store::delete_relation(tx, r.id).await?;
    let version = history::record_relation(tx, &origin(ctx, channel, core.now_ms()), r, false).await?;
    audit::write(core, tx, ctx, Change::new("ci_relation", r.id, "delete").before(r)).await?;
    let code =
        yunwei_store::cmdb::model(tx).await?.relation_types.into_iter().find(|t| t.id == r.type_id).map(|t| t.code).unwrap_or_default();
    emit(core, tx, ctx, Event::new(EventType::CiRelationDeleted, "ci_relation", r.id).with(relation_payload(r, &code, version))).await
}

/// One change as history shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// The version: pass it to `diff` or `as_of`.
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub source: String,
    pub source_ref: Option<String>,
    pub op: String,
    /// `ci` or `relation`.
    pub subject: &'static str,
    pub relation: Option<RelationView>,
    /// Field by field: for a CI the fields that changed, for a relation nothing.
    pub changes: Vec<FieldChange>,
}

/// A CI's history, newest first: `before` a version to page back.
pub async fn history(core: &Core, ctx: &Ctx, ci: CiId, before: Option<i64>, limit: Option<i64>) -> Result<Vec<HistoryEntry>> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(
            yunwei_domain::DomainError::Validation(vec![FieldError::new("limit", "out_of_range").with("min", 1).with("max", 200)]).into()
        );
    }
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    load_ci(&mut rd, &schema, ctx, ci, Action::Read).await?;
    let rows = history::list(&mut *rd, ci, before, limit).await?;
    entries(&mut rd, &schema, ctx, ci, rows).await
}

async fn entries(conn: &mut yunwei_store::Conn, schema: &Schema, ctx: &Ctx, ci: CiId, rows: Vec<HistoryRow>) -> Result<Vec<HistoryEntry>> {
    let mut out = Vec::new();
    for row in rows {
        let actor_name = match row.actor_id {
            Some(u) => yunwei_store::admin::get_user(&mut *conn, u).await?.map(|u| u.display_name),
            None => None,
        };
        let (subject, relation, changes) = match row.relation_id {
            Some(rid) => {
                let side = row.after.as_ref().or(row.before.as_ref());
                let n = |k: &str| side.and_then(|s| s.get(k)).and_then(serde_json::Value::as_i64);
                let rel = match (n("type_id"), n("from_ci_id"), n("to_ci_id")) {
                    (Some(t), Some(f), Some(to)) => {
                        views(conn, schema, ctx, ci, &[(rid, CiRelationTypeId(t), CiId(f), CiId(to))]).await?.pop()
                    }
                    _ => None,
                };
                ("relation", rel, Vec::new())
            }
            None => {
                let obj = |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.as_object().cloned()).unwrap_or_default();
                ("ci", None, field_changes(&obj(&row.before), &obj(&row.after)))
            }
        };
        out.push(HistoryEntry {
            id: row.id,
            at: row.at,
            actor_id: row.actor_id,
            actor_name,
            source: row.source,
            source_ref: row.source_ref,
            op: row.op,
            subject,
            relation,
            changes,
        });
    }
    Ok(out)
}

/// The fields that differ between two versions of a CI (history ids; either order).
pub async fn diff(core: &Core, ctx: &Ctx, ci: CiId, from: Option<i64>, to: Option<i64>) -> Result<Vec<FieldChange>> {
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    let now = load_ci(&mut rd, &schema, ctx, ci, Action::Read).await?;
    let mut c = yunwei_domain::validate::Checker::new();
    for (field, v) in [("from", from), ("to", to)] {
        match v {
            None => c.push(FieldError::new(field, "required")),
            Some(v) if history::get(&mut *rd, v).await?.is_none_or(|h| h.ci_id != ci && h.peer_ci_id != Some(ci)) => {
                c.push(FieldError::new(field, "not_found"))
            }
            Some(_) => {}
        }
    }
    c.finish()?;
    let (Some(from), Some(to)) = (from, to) else { return Ok(Vec::new()) };
    let old = history::ci_state_at(&mut rd, &now, Moment::Version(from.min(to))).await?;
    let new = history::ci_state_at(&mut rd, &now, Moment::Version(from.max(to))).await?;
    let state = |c: Option<Ci>| c.map(|c| c.state()).unwrap_or_default();
    Ok(field_changes(&state(old), &state(new)))
}

/// A CI and its relations as they were.
#[derive(Debug, Clone, Serialize)]
pub struct AsOf {
    pub at: i64,
    /// `None`: the CI did not exist then.
    pub ci: Option<super::ci::CiView>,
    pub relations: Vec<RelationView>,
}

/// The CI and its relations at `at` (unix ms).
pub async fn as_of(core: &Core, ctx: &Ctx, ci: CiId, at: Option<i64>) -> Result<AsOf> {
    let at = at.unwrap_or_else(|| core.now_ms());
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    let now = load_ci(&mut rd, &schema, ctx, ci, Action::Read).await?;
    let then = history::ci_state_at(&mut rd, &now, Moment::At(at)).await?;
    let rels: Vec<_> = history::relations_at(&mut rd, ci, Moment::At(at))
        .await?
        .into_iter()
        .map(|r| (r.id, r.type_id, r.from_ci_id, r.to_ci_id))
        .collect();
    let relations = if then.is_some() { views(&mut rd, &schema, ctx, ci, &rels).await? } else { Vec::new() };
    let view = match &then {
        Some(c) => {
            let names = super::ci::Names::load(&mut rd, &[c]).await?;
            Some(super::ci::view(&schema, &names, c))
        }
        None => None,
    };
    Ok(AsOf { at, ci: view, relations })
}
