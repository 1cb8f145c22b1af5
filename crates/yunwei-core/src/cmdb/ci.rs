//! CIs: list with filters on any attribute, read, create, update (version checked) and
//! delete (refused while others depend on it unless confirmed). Each write is one
//! transaction: the row, its history row, the audit entry and the outbox event.

use super::{Channel, Schema, load_ci, origin};
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yunwei_domain::FieldError;
use yunwei_domain::cmdb::{AttrKind, CiStatus, Criticality, Environment, LOCATION_CLASS, attr, check_tags};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{CiClassId, CiId, TeamId, UserId};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::validate::{Checker, is_key};
use yunwei_store::Conn;
use yunwei_store::cmdb::ci::{self as store, AttrFilter, Ci, CiFilter};
use yunwei_store::cmdb::history;
use yunwei_store::sql::Page;

pub const MAX_NAME: usize = 200;
pub const MAX_DESCRIPTION: usize = 5000;

/// A CI as the API gives it: ids with the names a reader needs beside them.
#[derive(Debug, Clone, Serialize)]
pub struct CiView {
    #[serde(flatten)]
    pub ci: Ci,
    pub class_code: String,
    pub class_name: String,
    pub class_name_en: String,
    pub owner_team_name: Option<String>,
    pub location_name: Option<String>,
}

/// Names for views, looked up once per page.
pub(crate) struct Names {
    teams: BTreeMap<TeamId, String>,
    cis: BTreeMap<CiId, String>,
}

impl Names {
    pub async fn load(conn: &mut Conn, cis: &[&Ci]) -> Result<Names> {
        let mut teams = BTreeMap::new();
        for t in cis.iter().filter_map(|c| c.owner_team_id) {
            if !teams.contains_key(&t)
                && let Some(team) = yunwei_store::admin::get_team(&mut *conn, t).await?
            {
                teams.insert(t, team.name);
            }
        }
        let mut wanted: Vec<CiId> = cis.iter().filter_map(|c| c.location_id).collect();
        wanted.sort();
        wanted.dedup();
        let cis = store::get_many(&mut *conn, &wanted).await?.into_iter().map(|c| (c.id, c.name)).collect();
        Ok(Names { teams, cis })
    }
}

pub(crate) fn view(schema: &Schema, names: &Names, ci: &Ci) -> CiView {
    let class = schema.class(ci.class_id);
    CiView {
        ci: ci.clone(),
        class_code: class.map(|c| c.code.clone()).unwrap_or_default(),
        class_name: class.map(|c| c.name.clone()).unwrap_or_default(),
        class_name_en: class.map(|c| c.name_en.clone()).unwrap_or_default(),
        owner_team_name: ci.owner_team_id.and_then(|t| names.teams.get(&t).cloned()),
        location_name: ci.location_id.and_then(|l| names.cis.get(&l).cloned()),
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CiQuery {
    /// A class code or id: that class and its subclasses.
    pub class: Option<String>,
    /// Comma-separated statuses.
    pub status: Option<String>,
    pub team: Option<TeamId>,
    /// Name contains.
    pub q: Option<String>,
    /// `attr.<code>` parameters: attribute code → value as text.
    #[serde(default)]
    pub attrs: BTreeMap<String, String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The record scope of a read grant: `None` for all, else the reader's teams and own CIs.
fn read_scope(ctx: &Ctx) -> Result<Option<(Option<UserId>, Vec<TeamId>)>> {
    let (actor, scope) = ctx.authorize(ObjectType::ConfigurationItem, Action::Read)?;
    Ok(match scope {
        Scope::All => None,
        Scope::Department | Scope::Team => Some((Some(actor.place.user), actor.place.teams.clone())),
        Scope::Own => Some((Some(actor.place.user), Vec::new())),
    })
}

/// Turns the query into the store's filter; bad values are field errors.
fn filter(schema: &Schema, ctx: &Ctx, q: &CiQuery) -> Result<CiFilter> {
    let mut c = Checker::new();
    let mut f = CiFilter { scope: read_scope(ctx)?, hidden_classes: schema.hidden_classes(ctx), team_id: q.team, ..CiFilter::default() };
    if let Some(class) = q.class.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let found = match class.parse::<i64>() {
            Ok(id) => schema.class(CiClassId(id)),
            Err(_) => schema.class_by_code(class),
        };
        match found {
            Some(k) => f.classes = schema.tree.subtree(k.id),
            None => c.push(FieldError::new("class", "not_found")),
        }
    }
    for s in q.status.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match s.parse::<CiStatus>() {
            Ok(st) => f.statuses.push(st.as_str().to_string()),
            Err(()) => c.push(FieldError::new("status", "not_allowed_value").with("allowed", "planned, production, maintenance, retired")),
        }
    }
    f.q = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect());
    for (code, raw) in &q.attrs {
        let field = format!("attr.{code}");
        // The attribute as the filtered classes have it; without a class filter, any class's.
        let def = schema
            .defs
            .iter()
            .filter(|d| d.code == *code && is_key(code))
            .find(|d| f.classes.is_empty() || f.classes.iter().any(|k| schema.tree.is_a(*k, d.class_id)));
        let Some(def) = def else {
            c.push(FieldError::new(field, "unknown_attribute"));
            continue;
        };
        let one = serde_json::Map::from_iter([(code.clone(), serde_json::Value::String(raw.clone()))]);
        let loose = yunwei_domain::cmdb::AttrDef { required: false, pattern: None, min_value: None, max_value: None, ..def.clone() };
        match attr::validate(&[&loose], &one) {
            Ok(v) => {
                if let Some(value) = v.get(code) {
                    f.attrs.push(AttrFilter { code: code.clone(), value: value.clone() });
                }
            }
            Err(yunwei_domain::DomainError::Validation(errs)) => {
                for e in errs {
                    c.push(FieldError { field: field.clone(), ..e });
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    c.finish()?;
    Ok(f)
}

pub async fn list(core: &Core, ctx: &Ctx, q: &CiQuery) -> Result<Page<CiView>> {
    ctx.authorize(ObjectType::ConfigurationItem, Action::Read)?;
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    let f = filter(&schema, ctx, q)?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), false)?;
    let rows = store::list(&mut *rd, core.db.backend, &f, &page).await?;
    let names = Names::load(&mut rd, &rows.items.iter().collect::<Vec<_>>()).await?;
    let items = rows.items.iter().map(|c| view(&schema, &names, c)).collect();
    Ok(Page { items, next_cursor: rows.next_cursor })
}

/// CIs whose search document matches every term, newest first, only those the caller may
/// read (an empty list without any CI grant: search spans kinds and skips what it may not show).
pub async fn search(core: &Core, ctx: &Ctx, terms: &[yunwei_domain::search::Term], limit: i64) -> Result<Vec<CiView>> {
    if ctx.authorize(ObjectType::ConfigurationItem, Action::Read).is_err() {
        return Ok(Vec::new());
    }
    // Read more than asked: some matches may be hidden from this caller.
    let ids: Vec<CiId> = yunwei_store::search::matching_cis(&core.db, terms, limit * 4).await?.into_iter().map(CiId).collect();
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    let rows = store::get_many(&mut *rd, &ids).await?;
    let found: Vec<&Ci> = ids
        .iter()
        .filter_map(|id| rows.iter().find(|c| c.id == *id))
        .filter(|c| super::impact::readable(&schema, ctx, c))
        .take(limit.max(0) as usize)
        .collect();
    let names = Names::load(&mut rd, &found).await?;
    Ok(found.into_iter().map(|c| view(&schema, &names, c)).collect())
}

pub async fn get(core: &Core, ctx: &Ctx, id: CiId) -> Result<CiView> {
    // One snapshot: the CI read against the schema and names of the same moment.
    let mut rd = core.db.snapshot().await?;
    let schema = Schema::load(&mut rd).await?;
    let ci = load_ci(&mut rd, &schema, ctx, id, Action::Read).await?;
    let names = Names::load(&mut rd, &[&ci]).await?;
    rd.commit().await?;
    Ok(view(&schema, &names, &ci))
}

/// A new CI, or (in [`CiPatch`]) the fields to change.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CiInput {
    pub class_id: CiClassId,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    pub status: Option<CiStatus>,
    pub owner_team_id: Option<TeamId>,
    pub criticality: Option<Criticality>,
    pub environment: Option<Environment>,
    pub location_id: Option<CiId>,
    pub min_healthy: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// Checks every field of `ci` (already merged from the input) and normalises it in place.
async fn vet(conn: &mut Conn, core: &Core, schema: &Schema, ctx: &Ctx, ci: &mut Ci) -> Result<()> {
    let mut c = Checker::new();
    ci.name = c.name("name", &ci.name, MAX_NAME);
    ci.name_en = c.optional_name("name_en", &ci.name_en, MAX_NAME);
    ci.description = c.text("description", &ci.description, MAX_DESCRIPTION);
    ci.tags = check_tags(&mut c, &ci.tags);
    match schema.class(ci.class_id) {
        None => c.push(FieldError::new("class_id", "not_found")),
        Some(k) if k.deleted || !schema.visible(ctx, k.id) => c.push(FieldError::new("class_id", "not_found")),
        Some(k) if k.is_abstract => c.push(FieldError::new("class_id", "abstract_class")),
        Some(_) => {}
    }
    if ci.min_healthy.is_some_and(|n| !(0..=10_000).contains(&n)) {
        c.push(FieldError::new("min_healthy", "out_of_range").with("min", 0).with("max", 10_000));
    }
    if let Some(t) = ci.owner_team_id
        && yunwei_store::admin::get_team(&mut *conn, t).await?.is_none()
    {
        c.push(FieldError::new("owner_team_id", "not_found"));
    }
    if let Some(l) = ci.location_id {
        let location = schema.class_by_code(LOCATION_CLASS).map(|k| k.id);
        let ok =
            store::get(&mut *conn, l).await?.is_some_and(|x| !x.deleted && location.is_some_and(|loc| schema.tree.is_a(x.class_id, loc)));
        if !ok || l == ci.id {
            c.push(FieldError::new("location_id", "not_a_location"));
        }
    }
    let defs = schema.attributes(ci.class_id);
    let input = ci.attributes.as_object().cloned().unwrap_or_default();
    match attr::validate(&defs, &input) {
        Ok(values) => {
            for d in &defs {
                let Some(v) = values.get(&d.code) else { continue };
                let field = format!("attributes.{}", d.code);
                check_reference(conn, schema, &mut c, d, v, &field).await?;
                if d.unique_in_class {
                    let classes = schema.tree.subtree(d.class_id);
                    let f = AttrFilter { code: d.code.clone(), value: v.clone() };
                    let except = (ci.id.0 > 0).then_some(ci.id);
                    if !store::holders_of_value(&mut *conn, core.db.backend, &classes, &f, except).await?.is_empty() {
                        c.push(FieldError::new(field, "taken"));
                    }
                }
            }
            ci.attributes = serde_json::Value::Object(values);
        }
        Err(yunwei_domain::DomainError::Validation(errs)) => errs.into_iter().for_each(|e| c.push(e)),
        Err(e) => return Err(e.into()),
    }
    c.finish()?;
    Ok(())
}

/// A reference attribute names a record that exists (a CI of the attribute's class, if it names one).
async fn check_reference(
    conn: &mut Conn,
    schema: &Schema,
    c: &mut Checker,
    d: &yunwei_domain::cmdb::AttrDef,
    v: &serde_json::Value,
    field: &str,
) -> Result<()> {
    let Some(id) = v.as_i64() else { return Ok(()) };
    let exists = match d.kind {
        AttrKind::CiRef => store::get(&mut *conn, CiId(id))
            .await?
            .is_some_and(|x| !x.deleted && d.ref_class_id.is_none_or(|k| schema.tree.is_a(x.class_id, k))),
        AttrKind::UserRef => yunwei_store::admin::get_user(&mut *conn, UserId(id)).await?.is_some(),
        AttrKind::TeamRef => yunwei_store::admin::get_team(&mut *conn, TeamId(id)).await?.is_some(),
        _ => true,
    };
    if !exists {
        c.push(FieldError::new(field, "not_found"));
    }
    Ok(())
}

/// A team-scoped grant creates and moves CIs within the holder's own teams only.
pub(crate) fn check_team_scope(ctx: &Ctx, action: Action, team: Option<TeamId>) -> Result<()> {
    let (actor, scope) = ctx.authorize(ObjectType::ConfigurationItem, action)?;
    if scope != Scope::All && team.is_none_or(|t| !actor.place.teams.contains(&t)) {
        return Err(CoreError::Forbidden(format!("configuration_item:{action}:{scope}")));
    }
    Ok(())
}

pub async fn create(core: &Core, ctx: &Ctx, input: CiInput, channel: Channel) -> Result<CiView> {
    ctx.authorize(ObjectType::ConfigurationItem, Action::Create)?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    check_team_scope(ctx, Action::Create, input.owner_team_id)?;
    let ci = create_in(core, &mut tx, ctx, &schema, input, channel).await?;
    let names = Names::load(&mut tx, &[&ci]).await?;
    core.commit(tx).await?;
    super::graph::note_write(core);
    Ok(view(&schema, &names, &ci))
}

/// Creates a CI in the caller's transaction (import runs many in one): checked, stored, with
/// its history row, audit entry and event. Nothing is written when a field is refused. The
/// caller authorised it: [`check_team_scope`] for a person, discovery's own permission for a scanner.
pub(crate) async fn create_in(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    schema: &Schema,
    input: CiInput,
    channel: Channel,
) -> Result<Ci> {
    let now = core.now_ms();
    let mut ci = Ci {
        class_id: input.class_id,
        name: input.name,
        name_en: input.name_en,
        description: input.description,
        status: input.status.unwrap_or(CiStatus::Production).as_str().into(),
        owner_team_id: input.owner_team_id,
        criticality: input.criticality.unwrap_or(Criticality::Medium).as_str().into(),
        environment: input.environment.unwrap_or(Environment::Production).as_str().into(),
        location_id: input.location_id,
        min_healthy: input.min_healthy,
        tags: input.tags,
        attributes: serde_json::Value::Object(input.attributes),
        version: 1,
        created_by: ctx.actor_id().map(UserId),
        created_at: now,
        updated_at: now,
        ..Ci::default()
    };
    vet(tx, core, schema, ctx, &mut ci).await?;
    ci.id = store::insert(tx, &ci).await?;
    written(core, tx, ctx, schema, None, Some(&ci), channel).await?;
    Ok(ci)
}

/// History, audit, event and index for one CI write, in the caller's transaction.
pub(crate) async fn written(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    schema: &Schema,
    before: Option<&Ci>,
    after: Option<&Ci>,
    channel: Channel,
) -> Result<()> {
    let Some(ci) = after.or(before) else { return Ok(()) };
    let version = history::record_ci(tx, &origin(ctx, channel, core.now_ms()), before, after).await?;
    let (action, kind) = match (before, after) {
        (None, _) => ("create", EventType::CiCreated),
        (_, None) => ("delete", EventType::CiDeleted),
        _ => ("update", EventType::CiUpdated),
    };
    let mut change = Change::new("ci", ci.id, action);
    if let Some(b) = before {
        change = change.before(b);
    }
    if let Some(a) = after {
        change = change.after(a);
    }
    audit::write(core, tx, ctx, change).await?;
    let class = schema.class(ci.class_id).map(|c| c.code.clone()).unwrap_or_default();
    let payload = serde_json::json!({
        "id": ci.id, "name": ci.name, "class": class, "status": ci.status, "version": ci.version,
        "history_id": version, "path": format!("/cmdb/cis/{}", ci.id),
    });
    emit(core, tx, ctx, Event::new(kind, "ci", ci.id).with(payload)).await?;
    Ok(())
}

/// Absent fields are kept; `null` clears team, location or pool size. `attributes` replaces
/// the values it names (`null` removes one). `version` must be the one the caller saw.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CiPatch {
    pub version: i64,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub status: Option<CiStatus>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub owner_team_id: Option<Option<TeamId>>,
    pub criticality: Option<Criticality>,
    pub environment: Option<Environment>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub location_id: Option<Option<CiId>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub min_healthy: Option<Option<i64>>,
    pub tags: Option<Vec<String>>,
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

pub async fn update(core: &Core, ctx: &Ctx, id: CiId, input: CiPatch, channel: Channel) -> Result<CiView> {
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let before = load_ci(&mut tx, &schema, ctx, id, Action::Update).await?;
    let Some(ci) = update_in(core, &mut tx, ctx, &schema, before.clone(), input, channel).await? else {
        let names = Names::load(&mut tx, &[&before]).await?;
        return Ok(view(&schema, &names, &before));
    };
    let names = Names::load(&mut tx, &[&ci]).await?;
    core.commit(tx).await?;
    super::graph::note_write(core);
    Ok(view(&schema, &names, &ci))
}

/// Applies a patch to a CI the caller loaded (with `load_ci`, for `Action::Update`) in the
/// caller's transaction. `None` when nothing changes: no history row, no event.
pub(crate) async fn update_in(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    schema: &Schema,
    before: Ci,
    input: CiPatch,
    channel: Channel,
) -> Result<Option<Ci>> {
    if input.version != before.version {
        return Err(CoreError::Conflict("ci_changed"));
    }
    let mut ci = before.clone();
    if let Some(v) = input.name {
        ci.name = v;
    }
    if let Some(v) = input.name_en {
        ci.name_en = v;
    }
    if let Some(v) = input.description {
        ci.description = v;
    }
    if let Some(v) = input.status {
        ci.status = v.as_str().into();
    }
    if let Some(t) = input.owner_team_id {
        // Handing a CI to another team takes a grant that reaches that team too.
        check_team_scope(ctx, Action::Update, t)?;
        ci.owner_team_id = t;
    }
    if let Some(v) = input.criticality {
        ci.criticality = v.as_str().into();
    }
    if let Some(v) = input.environment {
        ci.environment = v.as_str().into();
    }
    if let Some(v) = input.location_id {
        ci.location_id = v;
    }
    if let Some(v) = input.min_healthy {
        ci.min_healthy = v;
    }
    if let Some(v) = input.tags {
        ci.tags = v;
    }
    if let Some(values) = input.attributes {
        let mut merged = ci.attributes.as_object().cloned().unwrap_or_default();
        for (k, v) in values {
            if v.is_null() {
                merged.remove(&k);
            } else {
                merged.insert(k, v);
            }
        }
        ci.attributes = serde_json::Value::Object(merged);
    }
    vet(tx, core, schema, ctx, &mut ci).await?;
    if ci.state() == before.state() {
        return Ok(None);
    }
    ci.version = before.version + 1;
    ci.updated_at = core.now_ms();
    if !store::update(tx, &ci, before.version).await? {
        return Err(CoreError::Conflict("ci_changed"));
    }
    written(core, tx, ctx, schema, Some(&before), Some(&ci), channel).await?;
    Ok(Some(ci))
}

/// Deletes a CI. While other CIs depend on it (a propagating relation points at it) the
/// answer is 409 naming them, unless `confirm`; the confirmed delete is audited with them.
pub async fn delete(core: &Core, ctx: &Ctx, id: CiId, confirm: bool, channel: Channel) -> Result<()> {
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let ci = load_ci(&mut tx, &schema, ctx, id, Action::Delete).await?;
    if ci.id.0 > 0 && is_service_ci(&mut tx, ci.id).await? {
        return Err(CoreError::Conflict("ci_is_business_service"));
    }
    let dependants = store::dependants(&mut *tx, id).await?;
    if !dependants.is_empty() && !confirm {
        let ids: Vec<CiId> = dependants.iter().map(|r| r.from_ci_id).collect();
        let names = store::get_many(&mut *tx, &ids).await?.into_iter().map(|c| c.name).take(20).collect();
        return Err(CoreError::NeedsConfirmation { code: "ci_has_dependants", count: dependants.len() as i64, names });
    }
    delete_in(core, &mut tx, ctx, &schema, &ci, channel).await?;
    core.commit(tx).await?;
    super::graph::note_write(core);
    Ok(())
}

async fn is_service_ci(conn: &mut Conn, id: CiId) -> Result<bool> {
    Ok(yunwei_store::service::list(&mut *conn, None).await?.iter().any(|s| s.ci_id == Some(id)))
}

/// Marks the CI deleted and removes its relations, each with its history row and event.
pub(crate) async fn delete_in(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, schema: &Schema, ci: &Ci, channel: Channel) -> Result<()> {
    for r in store::relations_of(&mut **tx, ci.id).await? {
        super::relation::remove_in(core, tx, ctx, &r, channel).await?;
    }
    let mut after = ci.clone();
    after.deleted = true;
    after.deleted_at = Some(core.now_ms());
    after.version += 1;
    after.updated_at = core.now_ms();
    if !store::update(tx, &after, ci.version).await? {
        return Err(CoreError::Conflict("ci_changed"));
    }
    written(core, tx, ctx, schema, Some(ci), None, channel).await
}
