//! Discovery sources as data (name, precedence per attribute, stale-after period), and what
//! reconciliation found: drift and stale CIs, for a list and for one CI's page. Sources are
//! part of the CMDB's model: read like it, changed with `ci_class` grants (system duty).

use super::{Schema, authorize_model_read, load_ci, pick};
use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use yunwei_domain::FieldError;
use yunwei_domain::ids::CiId;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::{Checker, is_key};
use yunwei_store::cmdb::discovery::{self as store, DiscoverySource, Drift, Sighting};

const MAX_PRECEDENCE: i64 = 1000;
const MAX_STALE_HOURS: i64 = 24 * 3650;

pub async fn sources(core: &Core, ctx: &Ctx) -> Result<Vec<DiscoverySource>> {
    authorize_model_read(ctx)?;
    Ok(store::sources(&core.db.read).await?)
}

/// A new source, or (every field optional but `code`) the changes to one.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    #[serde(default)]
    pub code: String,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub precedence: Option<i64>,
    /// Field (`name`, `description`) or attribute code → precedence where it differs.
    pub attribute_precedence: Option<Map<String, Value>>,
    pub stale_after_hours: Option<i64>,
}

fn apply(c: &mut Checker, s: &mut DiscoverySource, input: SourceInput) {
    if let Some(v) = input.name {
        s.name = v;
    }
    if let Some(v) = input.name_en {
        s.name_en = v;
    }
    s.name = c.name("name", &s.name, 100);
    s.name_en = c.optional_name("name_en", &s.name_en, 100);
    if let Some(v) = input.precedence {
        s.precedence = v;
    }
    if !(0..=MAX_PRECEDENCE).contains(&s.precedence) {
        c.push(FieldError::new("precedence", "out_of_range").with("min", 0).with("max", MAX_PRECEDENCE));
    }
    if let Some(v) = input.stale_after_hours {
        s.stale_after_hours = v;
    }
    if !(1..=MAX_STALE_HOURS).contains(&s.stale_after_hours) {
        c.push(FieldError::new("stale_after_hours", "out_of_range").with("min", 1).with("max", MAX_STALE_HOURS));
    }
    if let Some(m) = input.attribute_precedence {
        for (k, v) in &m {
            let field = format!("attribute_precedence.{k}");
            if !is_key(k) {
                c.push(FieldError::new(field, "invalid_key"));
            } else if !v.as_i64().is_some_and(|n| (0..=MAX_PRECEDENCE).contains(&n)) {
                c.push(FieldError::new(field, "out_of_range").with("min", 0).with("max", MAX_PRECEDENCE));
            }
        }
        s.attribute_precedence = m;
    }
}

pub async fn create_source(core: &Core, ctx: &Ctx, input: SourceInput) -> Result<DiscoverySource> {
    ctx.authorize(ObjectType::CiClass, Action::Create)?;
    let mut c = Checker::new();
    let now = core.now_ms();
    let mut s = DiscoverySource {
        code: input.code.trim().to_string(),
        precedence: 50,
        stale_after_hours: 168,
        created_at: now,
        updated_at: now,
        ..DiscoverySource::default()
    };
    if !is_key(&s.code) {
        c.push(FieldError::new("code", "invalid_key"));
    }
    if input.name.is_none() {
        c.push(FieldError::new("name", "required"));
    }
    apply(&mut c, &mut s, input);
    c.finish()?;
    let mut tx = core.db.begin().await?;
    if store::sources(&mut *tx).await?.iter().any(|x| x.code == s.code) {
        return Err(CoreError::Conflict("discovery_source_code_taken"));
    }
    s.id = store::insert_source(&mut tx, &s).await?;
    audit::write(core, &mut tx, ctx, Change::new("ci_discovery_source", s.id, "create").after(&s)).await?;
    core.commit(tx).await?;
    Ok(s)
}

pub async fn update_source(core: &Core, ctx: &Ctx, code: &str, input: SourceInput) -> Result<DiscoverySource> {
    ctx.authorize(ObjectType::CiClass, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let before = store::sources(&mut *tx).await?.into_iter().find(|x| x.code == code).ok_or(CoreError::NotFound("discovery_source"))?;
    let mut c = Checker::new();
    let mut after = before.clone();
    apply(&mut c, &mut after, SourceInput { code: String::new(), ..input });
    c.finish()?;
    after.updated_at = core.now_ms();
    store::update_source(&mut tx, &after).await?;
    audit::write(core, &mut tx, ctx, Change::new("ci_discovery_source", after.id, "update").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}

/// Drift as a reader sees it: names beside the ids.
#[derive(Debug, Clone, Serialize)]
pub struct DriftView {
    #[serde(flatten)]
    pub drift: Drift,
    pub ci_name: String,
    pub source_code: String,
    pub source_name: String,
    /// Who holds the kept value: the source's name, or `None` for a person.
    pub holder_name: Option<String>,
}

/// A sighting as a reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SightingView {
    #[serde(flatten)]
    pub sighting: Sighting,
    pub ci_name: String,
    pub source_code: String,
    pub source_name: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriftQuery {
    /// A source's code.
    pub source: Option<String>,
    pub limit: Option<i64>,
}

/// What the discovery page lists: drift and stale CIs, newest first, only CIs the caller may read.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    pub drift: Vec<DriftView>,
    /// Stale sightings in the list; every source's sighting of one CI.
    pub sightings: Vec<SightingView>,
}

struct Names {
    sources: Vec<DiscoverySource>,
    english: bool,
}

impl Names {
    fn source(&self, id: i64) -> (String, String) {
        self.sources
            .iter()
            .find(|s| s.id == id)
            .map(|s| (s.code.clone(), pick(&s.name, &s.name_en, self.english).to_string()))
            .unwrap_or_default()
    }
}

/// Drift and stale CIs across the CMDB (or of one source).
pub async fn findings(core: &Core, ctx: &Ctx, q: &DriftQuery, english: bool) -> Result<Findings> {
    ctx.authorize(ObjectType::ConfigurationItem, Action::Read)?;
    let mut rd = core.db.read.acquire().await?;
    let sources = store::sources(&mut *rd).await?;
    let source = match q.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => Some(sources.iter().find(|s| s.code == code).map(|s| s.id).ok_or(CoreError::NotFound("discovery_source"))?),
        None => None,
    };
    let schema = Schema::load(&mut rd).await?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let drift = store::drift(&mut *rd, None, source, limit).await?;
    let mut stale = store::sightings(&mut *rd, None, true, limit).await?;
    stale.retain(|s| source.is_none_or(|id| s.source_id == id));
    named(ctx, &schema, &mut rd, Names { sources, english }, drift, stale).await
}

/// What discovery says about one CI: every source's sighting and its drift.
pub async fn of_ci(core: &Core, ctx: &Ctx, id: CiId, english: bool) -> Result<Findings> {
    let mut rd = core.db.read.acquire().await?;
    let schema = Schema::load(&mut rd).await?;
    load_ci(&mut rd, &schema, ctx, id, Action::Read).await?;
    let sources = store::sources(&mut *rd).await?;
    let drift = store::drift(&mut *rd, Some(id), None, 1000).await?;
    let seen = store::sightings(&mut *rd, Some(id), false, 1000).await?;
    named(ctx, &schema, &mut rd, Names { sources, english }, drift, seen).await
}

/// Names beside ids, leaving out CIs the caller may not read.
async fn named(
    ctx: &Ctx,
    schema: &Schema,
    rd: &mut yunwei_store::Conn,
    names: Names,
    drift: Vec<Drift>,
    seen: Vec<Sighting>,
) -> Result<Findings> {
    let mut ids: Vec<CiId> = drift.iter().map(|d| d.ci_id).chain(seen.iter().map(|s| s.ci_id)).collect();
    ids.sort();
    ids.dedup();
    let cis = yunwei_store::cmdb::ci::get_many(&mut *rd, &ids).await?;
    let readable = |id: CiId| cis.iter().find(|c| c.id == id).filter(|c| super::impact::readable(schema, ctx, c)).map(|c| c.name.clone());
    let drift = drift
        .into_iter()
        .filter_map(|d| {
            let ci_name = readable(d.ci_id)?;
            let (source_code, source_name) = names.source(d.source_id);
            let holder_name = d.holder_source_id.map(|h| names.source(h).1);
            Some(DriftView { drift: d, ci_name, source_code, source_name, holder_name })
        })
        .collect();
    let stale = seen
        .into_iter()
        .filter_map(|s| {
            let ci_name = readable(s.ci_id)?;
            let (source_code, source_name) = names.source(s.source_id);
            Some(SightingView { sighting: s, ci_name, source_code, source_name })
        })
        .collect();
    Ok(Findings { drift, sightings: stale })
}
