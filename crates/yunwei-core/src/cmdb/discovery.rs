//! Discovery reconciliation (CMDB-5; ADR 0020): a scanner reports CIs in bulk for a
//! discovery source; each item is matched to a CI by its class's identifying attributes
//! ([`super::keys`]), created when none matches, and updated only in the fields this source
//! has precedence for. A field a person set, or a source of higher precedence, is kept and
//! the difference recorded as drift. Reporting the same thing again changes nothing: no
//! history row, no event. Bad items are reported one by one; the others are kept.
//! CIs a source stops reporting are flagged stale by the `cmdb.discovery_stale` job.

use super::ci::{CiInput, CiPatch, create_in, update_in};
use super::keys::{self, Found};
use super::{Channel, Schema};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use yunwei_domain::cmdb::AttrDef;
use yunwei_domain::cmdb::discovery::{self as rules, Decision, Holder};
use yunwei_domain::ids::CiId;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::cmdb::discovery::{self as store, DiscoverySource, Drift};

/// The most items one report may carry.
pub const MAX_ITEMS: usize = 10_000;
/// Items reconciled per transaction, so that a large report does not hold the writer long.
const CHUNK: usize = 500;
/// The attribute whose value names a new CI when the report gives no name.
const HOST_NAME: &str = "hostname";

/// One CI as a scanner reports it: its class's code, identifying attributes (they may also
/// be given among `attributes`) and attributes; `name` defaults to the first key's value.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryItem {
    pub class: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub identifying: Map<String, Value>,
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

/// A scanner's report. Items are read one by one, so a malformed item is that item's error.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryReport {
    pub items: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    Create,
    Update,
    Unchanged,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    /// The item's place in `items`, from 0.
    pub index: usize,
    pub outcome: ItemOutcome,
    pub ci_id: Option<CiId>,
    /// Fields this source reported differently from the value kept (drift).
    pub drift: Vec<String>,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiscoveryRun {
    pub source: String,
    pub total: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Items with drift.
    pub drifted: usize,
    pub items: Vec<ItemResult>,
}

fn refuse(field: impl Into<String>, code: &str) -> CoreError {
    DomainError::Validation(vec![FieldError::new(field, code)]).into()
}

/// Reconciles a scanner's report for the source `code`. Needs `ci_discovery:create`
/// (scanner tokens are API tokens of a service account holding it).
pub async fn reconcile(core: &Core, ctx: &Ctx, code: &str, report: DiscoveryReport) -> Result<DiscoveryRun> {
    ctx.authorize(ObjectType::CiDiscovery, Action::Create)?;
    if report.items.len() > MAX_ITEMS {
        return Err(DomainError::Validation(vec![FieldError::new("items", "too_many").with("max", MAX_ITEMS)]).into());
    }
    let mut tx = core.db.begin().await?;
    let sources = store::sources(&mut *tx).await?;
    let source = sources.iter().find(|s| s.code == code).cloned().ok_or(CoreError::NotFound("discovery_source"))?;
    let schema = Schema::load(&mut tx).await?;
    let mut run = DiscoveryRun {
        source: source.code.clone(),
        total: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: 0,
        drifted: 0,
        items: Vec::new(),
    };
    for (index, raw) in report.items.into_iter().enumerate() {
        run.total += 1;
        let done = item(core, &mut tx, ctx, &schema, &source, &sources, raw).await;
        let (outcome, ci_id, drift, errors) = match done {
            Ok((outcome, id, drift)) => (outcome, Some(id), drift, Vec::new()),
            Err(e) => (ItemOutcome::Error, None, Vec::new(), super::import::row_errors(e)?),
        };
        match outcome {
            ItemOutcome::Create => run.created += 1,
            ItemOutcome::Update => run.updated += 1,
            ItemOutcome::Unchanged => run.unchanged += 1,
            ItemOutcome::Error => run.failed += 1,
        }
        run.drifted += usize::from(!drift.is_empty());
        run.items.push(ItemResult { index, outcome, ci_id, drift, errors });
        if (index + 1) % CHUNK == 0 {
            core.commit(tx).await?;
            super::graph::note_write(core);
            tx = core.db.begin().await?;
        }
    }
    core.commit(tx).await?;
    super::graph::note_write(core);
    Ok(run)
}

/// Reconciles one item in the report's transaction.
async fn item(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    schema: &Schema,
    source: &DiscoverySource,
    sources: &[DiscoverySource],
    raw: Value,
) -> Result<(ItemOutcome, CiId, Vec<String>)> {
    let item: DiscoveryItem = serde_json::from_value(raw).map_err(|e| {
        CoreError::from(DomainError::Validation(vec![FieldError::new("item", "malformed_item").with("detail", e.to_string())]))
    })?;
    let class = schema
        .class_by_code(item.class.trim())
        .filter(|k| !k.deleted && schema.visible(ctx, k.id))
        .ok_or_else(|| refuse("class", "not_found"))?;
    if class.is_abstract {
        return Err(refuse("class", "abstract_class"));
    }
    let defs = schema.attributes(class.id);
    let mut reported: Map<String, Value> = item.identifying.into_iter().chain(item.attributes).filter(|(_, v)| !v.is_null()).collect();
    reported = normalise(&defs, &reported)?;
    let found = match keys::find(tx, core.db.backend, schema, class.id, &reported).await? {
        Found::Several(code) => return Err(refuse(format!("attributes.{code}"), "ambiguous_match")),
        Found::One(id) => id,
        Found::Nothing => {
            // Without a key the next report could not find what this one creates.
            let Some(key) = keys::groups(&defs).iter().filter_map(|g| g.first()).find_map(|d| reported.get(&d.code)) else {
                return Err(refuse("identifying", "required"));
            };
            // A scanner knows hosts by their names: the host name, else the first key.
            let key = reported.get(HOST_NAME).unwrap_or(key);
            let name = item.name.clone().unwrap_or_else(|| key.as_str().map_or_else(|| key.to_string(), str::to_string));
            let input = CiInput {
                class_id: class.id,
                name,
                description: item.description.unwrap_or_default(),
                attributes: reported,
                ..CiInput::default()
            };
            let ci = create_in(core, tx, ctx, schema, input, Channel::Reconciliation(source.id)).await?;
            store::sighted(tx, source.id, ci.id, core.now_ms()).await?;
            return Ok((ItemOutcome::Create, ci.id, Vec::new()));
        }
    };
    let ci = yunwei_store::cmdb::ci::get(&mut **tx, found).await?.filter(|c| !c.deleted).ok_or(CoreError::NotFound("ci"))?;
    if !schema.visible(ctx, ci.class_id) {
        return Err(CoreError::NotFound("ci"));
    }
    let holders = holders(&yunwei_store::cmdb::discovery::writers(&mut **tx, ci.id).await?);
    let state = ci.state();
    let rank = |s: i64, field: &str| sources.iter().find(|x| x.id == s).map_or(0, |x| x.precedence().of(field));
    let mut fields: Vec<(String, Value)> = Vec::new();
    for (f, v) in [("name", item.name), ("description", item.description)] {
        if let Some(v) = v {
            fields.push((f.to_string(), Value::String(v.trim().to_string())));
        }
    }
    fields.extend(reported.into_iter().map(|(k, v)| (format!("attributes.{k}"), v)));
    let mut patch = CiPatch { version: ci.version, ..CiPatch::default() };
    let mut attrs = Map::new();
    let mut drift = Vec::new();
    let mut same = Vec::new();
    for (field, value) in fields {
        let kept = rules::value_of(&state, &field).clone();
        match rules::decide(source.id, &field, &value, &kept, holders.get(&field).copied(), rank) {
            Decision::Same => same.push(field),
            Decision::Write => {
                same.push(field.clone());
                match (field.as_str(), field.strip_prefix("attributes."), value) {
                    ("name", _, Value::String(s)) => patch.name = Some(s),
                    ("description", _, Value::String(s)) => patch.description = Some(s),
                    (_, Some(code), v) => {
                        attrs.insert(code.to_string(), v);
                    }
                    _ => {}
                }
            }
            Decision::Drift(holder) => {
                let holder_source_id = match holder {
                    Holder::Source(s) => Some(s),
                    Holder::Person => None,
                };
                drift.push(Drift {
                    source_id: source.id,
                    ci_id: ci.id,
                    field,
                    reported: value,
                    kept,
                    holder_source_id,
                    detected_at: core.now_ms(),
                });
            }
        }
    }
    if !attrs.is_empty() {
        patch.attributes = Some(attrs);
    }
    let changed = update_in(core, tx, ctx, schema, ci.clone(), patch, Channel::Reconciliation(source.id)).await?.is_some();
    for field in &same {
        store::clear_drift(tx, source.id, ci.id, field).await?;
    }
    for d in &drift {
        store::put_drift(tx, d).await?;
    }
    store::sighted(tx, source.id, ci.id, core.now_ms()).await?;
    let outcome = if changed { ItemOutcome::Update } else { ItemOutcome::Unchanged };
    Ok((outcome, ci.id, drift.into_iter().map(|d| d.field).collect()))
}

/// The reported attributes as the class stores them (each checked by itself: a report may
/// leave out what it does not know, so nothing is required here).
fn normalise(defs: &[&AttrDef], reported: &Map<String, Value>) -> Result<Map<String, Value>> {
    let loose: Vec<AttrDef> = defs.iter().map(|d| AttrDef { required: false, ..(*d).clone() }).collect();
    let loose: Vec<&AttrDef> = loose.iter().collect();
    Ok(yunwei_domain::cmdb::attr::validate(&loose, reported)?)
}

/// Who holds each field of a CI, from its history: changes from reconciliation are their
/// source's; everything else (a page, the API, an import, a change, the system) a person's.
fn holders(writers: &[(String, Option<String>, Value)]) -> std::collections::BTreeMap<String, Holder> {
    let reconciliation = yunwei_domain::cmdb::HistorySource::Reconciliation.as_str();
    rules::holders(writers.iter().map(|(source, source_ref, after)| {
        let who = match source_ref.as_deref().and_then(|r| r.parse().ok()) {
            Some(id) if source == reconciliation => Holder::Source(id),
            _ => Holder::Person,
        };
        (who, after)
    }))
}

/// Flags stale the CIs each source has not reported within its period (the job
/// `cmdb.discovery_stale`, on the leased scheduler). Returns how many it flagged.
pub async fn flag_stale(core: &Core) -> Result<u64> {
    let mut conn = core.db.writer().await?;
    Ok(store::flag_stale(&mut conn, core.now_ms()).await?)
}
