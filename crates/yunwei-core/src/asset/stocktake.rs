//! Stocktake campaigns (盘点): the list of assets a scope expects, scans that mark tags found
//! (or record them as found elsewhere or unexpected), and closing, which reports the
//! differences and, with `asset:approve`, applies them to the register: missing assets are
//! retired (written off), assets found elsewhere move to the counted location. Every scan,
//! the closing and each change are audited. Authorised as assets are: work is
//! `asset:transition`, reading `asset:read`, the export `asset:export`.

use super::lifecycle::{self, StepInput};
use crate::audit::{self, Change};
use crate::incident::{ExportFormat, Exported};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::asset::stocktake::{self as rules, ItemResult, StocktakeState};
use yunwei_domain::asset::{self as asset_rules, AssetAction, AssetCategory, AssetState};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{DepartmentId, StocktakeId, UserId};
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::validate::Checker;
use yunwei_sheet::{Column, Kind, Sheet};
use yunwei_store::Conn;
use yunwei_store::asset::stocktake::{self as store, Item, Stocktake};

/// The most assets one campaign lists; narrow the scope for more.
pub const MAX_EXPECTED: i64 = 20_000;

fn holders(s: &Stocktake) -> Holders {
    Holders { owners: s.created_by.into_iter().collect(), department: s.department_id, ..Holders::default() }
}

async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: StocktakeId, action: Action, lock: bool) -> Result<Stocktake> {
    ctx.may_any(&policy::ASSET, action)?;
    let found = if lock { store::get_for_update(conn, &core.db, id).await? } else { store::get(&mut *conn, id).await? };
    let s = found.ok_or(CoreError::NotFound("stocktake"))?;
    ctx.decide(&policy::ASSET, action, &holders(&s))?;
    Ok(s)
}

/// How many tags stand where.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub expected: usize,
    pub pending: usize,
    pub found: usize,
    pub missing: usize,
    pub found_elsewhere: usize,
    pub unexpected: usize,
}

fn counts(items: &[Item]) -> Counts {
    let mut c = Counts { expected: items.iter().filter(|i| i.expected).count(), ..Counts::default() };
    for i in items {
        match i.result {
            ItemResult::Pending => c.pending += 1,
            ItemResult::Found => c.found += 1,
            ItemResult::Missing => c.missing += 1,
            ItemResult::FoundElsewhere => c.found_elsewhere += 1,
            ItemResult::Unexpected => c.unexpected += 1,
        }
    }
    c
}

/// A tag as shown: the item, with the asset's name and who saw it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    #[serde(flatten)]
    pub row: Item,
    pub asset_name: Option<String>,
    pub seen_by_name: Option<String>,
}

impl std::ops::Deref for ItemView {
    type Target = Item;
    fn deref(&self) -> &Item {
        &self.row
    }
}

/// A campaign as shown: the row, its counts, the department's name; with its tags when one is read.
#[derive(Debug, Clone, Serialize)]
pub struct StocktakeView {
    #[serde(flatten)]
    pub row: Stocktake,
    pub department_name: Option<String>,
    pub created_by_name: Option<String>,
    pub counts: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemView>>,
}

impl std::ops::Deref for StocktakeView {
    type Target = Stocktake;
    fn deref(&self) -> &Stocktake {
        &self.row
    }
}

async fn user_name(conn: &mut Conn, u: Option<UserId>) -> Result<Option<String>> {
    Ok(match u {
        Some(u) => yunwei_store::admin::get_user(&mut *conn, u).await?.map(|u| u.display_name),
        None => None,
    })
}

async fn view(conn: &mut Conn, s: Stocktake, with_items: bool) -> Result<StocktakeView> {
    let items = store::items(&mut *conn, s.id).await?;
    let department_name = match s.department_id {
        Some(d) => yunwei_store::admin::get_department(&mut *conn, d).await?.map(|d| d.name),
        None => None,
    };
    let mut shown = None;
    if with_items {
        let mut out = Vec::with_capacity(items.len());
        let mut names: std::collections::HashMap<UserId, Option<String>> = std::collections::HashMap::new();
        for i in &items {
            let asset_name = match i.asset_id {
                Some(a) => yunwei_store::asset::get(&mut *conn, a).await?.map(|a| a.name),
                None => None,
            };
            let seen_by_name = match i.seen_by {
                Some(u) => match names.get(&u) {
                    Some(n) => n.clone(),
                    None => {
                        let n = user_name(conn, Some(u)).await?;
                        names.insert(u, n.clone());
                        n
                    }
                },
                None => None,
            };
            out.push(ItemView { row: i.clone(), asset_name, seen_by_name });
        }
        shown = Some(out);
    }
    Ok(StocktakeView {
        counts: counts(&items),
        department_name,
        created_by_name: user_name(conn, s.created_by).await?,
        items: shown,
        row: s,
    })
}

/// Campaigns within the caller's scope, newest first (at most 200).
pub async fn list(core: &Core, ctx: &Ctx) -> Result<Vec<StocktakeView>> {
    let (actor, scope) = ctx.authorize(ObjectType::Asset, Action::Read)?;
    let scope = match scope {
        Scope::All => None,
        Scope::Department | Scope::Team => Some((Some(actor.place.user), actor.place.department)),
        Scope::Own => Some((Some(actor.place.user), None)),
    };
    let mut conn = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for s in store::list(&mut *conn, scope, 200).await? {
        out.push(view(&mut conn, s, false).await?);
    }
    Ok(out)
}

pub async fn get(core: &Core, ctx: &Ctx, id: StocktakeId) -> Result<StocktakeView> {
    let mut conn = core.db.read.acquire().await?;
    let s = load(core, &mut conn, ctx, id, Action::Read, false).await?;
    view(&mut conn, s, true).await
}

/// What a campaign counts: a location (as the register writes it), a department, a category;
/// blank is any. A grant narrower than `all` counts the holder's own department only.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewStocktake {
    pub name: String,
    #[serde(default)]
    pub location: String,
    pub department_id: Option<DepartmentId>,
    pub category: Option<AssetCategory>,
}

pub async fn start(core: &Core, ctx: &Ctx, input: NewStocktake) -> Result<StocktakeView> {
    let (actor, scope) = ctx.authorize(ObjectType::Asset, Action::Transition)?;
    let mut department = input.department_id;
    if scope != Scope::All {
        match (department, actor.place.department) {
            (None, Some(mine)) => department = Some(mine),
            (Some(d), Some(mine)) if d == mine => {}
            _ => return Err(CoreError::Forbidden(format!("asset:transition:{scope}"))),
        }
    }
    let mut c = Checker::new();
    let name = c.name("name", &input.name, super::MAX_NAME);
    let location = c.optional_name("location", &input.location, super::MAX_NAME);
    let mut tx = core.db.begin().await?;
    if let Some(d) = department
        && yunwei_store::admin::get_department(&mut *tx, d).await?.is_none()
    {
        c.push(FieldError::new("department_id", "not_found"));
    }
    c.finish()?;
    let now = core.now_ms();
    let mut s = Stocktake {
        name,
        location,
        department_id: department,
        category: input.category,
        state: StocktakeState::Open,
        created_by: ctx.actor_id().map(UserId),
        created_at: now,
        version: 1,
        ..Stocktake::default()
    };
    s.id = store::insert(&mut tx, &s).await?;
    let states: Vec<String> = AssetState::ALL.iter().filter(|st| rules::on_hand(**st)).map(|st| st.as_str().to_string()).collect();
    let expected = yunwei_store::asset::in_scope(&mut *tx, &s.location, department, s.category, &states, MAX_EXPECTED).await?;
    for a in &expected {
        let item = Item {
            stocktake_id: s.id,
            tag: a.tag.clone(),
            asset_id: Some(a.id),
            expected: true,
            result: ItemResult::Pending,
            location: a.location.clone(),
            ..Item::default()
        };
        store::insert_item(&mut tx, &item).await?;
    }
    let described = serde_json::json!({ "stocktake": s, "expected": expected.len() });
    audit::write(core, &mut tx, ctx, Change::new("stocktake", s.id, "start").after(&described)).await?;
    let data = serde_json::json!({ "id": s.id, "name": s.name, "location": s.location, "expected": expected.len(), "path": format!("/assets/stocktakes/{}", s.id) });
    emit(core, &mut tx, ctx, Event::new(EventType::StocktakeOpened, "stocktake", s.id).with(data)).await?;
    let v = view(&mut tx, s, false).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// A scan: what a barcode scanner typed, or a label's QR code (its address).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    pub code: String,
}

/// What a scan came to.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    pub tag: String,
    pub result: ItemResult,
    /// Scanned before: nothing changed.
    pub repeated: bool,
    pub asset_id: Option<yunwei_domain::ids::AssetId>,
    pub asset_name: Option<String>,
    pub counts: Counts,
}

pub async fn scan(core: &Core, ctx: &Ctx, id: StocktakeId, input: ScanInput) -> Result<Scanned> {
    let mut tx = core.db.begin().await?;
    let s = load(core, &mut tx, ctx, id, Action::Transition, true).await?;
    if s.state != StocktakeState::Open {
        return Err(CoreError::Conflict("stocktake_closed"));
    }
    let Some(tag) = rules::tag_from_scan(&input.code) else {
        let code = if input.code.trim().is_empty() { "required" } else { "invalid_asset_tag" };
        return Err(yunwei_domain::DomainError::Validation(vec![FieldError::new("code", code)]).into());
    };
    let now = core.now_ms();
    let me = ctx.actor_id().map(UserId);
    let known = yunwei_store::asset::by_tag(&mut *tx, &tag).await?;
    let (item, repeated) = match store::item_by_tag(&mut *tx, id, &tag).await? {
        Some(i) if i.result != ItemResult::Pending => (i, true),
        Some(mut i) => {
            i.result = rules::scanned(true, true);
            i.seen_by = me;
            i.seen_at = Some(now);
            store::update_item(&mut tx, &i).await?;
            (i, false)
        }
        None => {
            let mut i = Item {
                stocktake_id: id,
                tag: tag.clone(),
                asset_id: known.as_ref().map(|a| a.id),
                expected: false,
                result: rules::scanned(false, known.is_some()),
                location: known.as_ref().map(|a| a.location.clone()).unwrap_or_default(),
                seen_by: me,
                seen_at: Some(now),
                ..Item::default()
            };
            i.id = store::insert_item(&mut tx, &i).await?;
            (i, false)
        }
    };
    if !repeated {
        audit::write(core, &mut tx, ctx, Change::new("stocktake", id, "scan").after(&item)).await?;
    }
    let counts = counts(&store::items(&mut *tx, id).await?);
    let out = Scanned { tag, result: item.result, repeated, asset_id: item.asset_id, asset_name: known.map(|a| a.name), counts };
    core.commit(tx).await?;
    Ok(out)
}

/// Closing: `apply` also changes the register (needs `asset:approve`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    pub version: i64,
    #[serde(default)]
    pub apply: bool,
    #[serde(default)]
    pub note: String,
}

pub async fn close(core: &Core, ctx: &Ctx, id: StocktakeId, input: CloseInput) -> Result<StocktakeView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Transition, true).await?;
    if input.version != before.version {
        return Err(CoreError::Conflict("stocktake_changed"));
    }
    if before.state != StocktakeState::Open {
        return Err(CoreError::Conflict("stocktake_closed"));
    }
    if input.apply {
        ctx.authorize(ObjectType::Asset, Action::Approve)?;
    }
    let mut c = Checker::new();
    let note = c.text("note", &input.note, super::MAX_TEXT);
    c.finish()?;
    store::mark_missing(&mut tx, id).await?;
    let mut s = before.clone();
    s.state = StocktakeState::Closed;
    s.applied = input.apply;
    s.closed_by = ctx.actor_id().map(UserId);
    s.closed_at = Some(core.now_ms());
    s.version += 1;
    if !store::update(&mut tx, &s, before.version).await? {
        return Err(CoreError::Conflict("stocktake_changed"));
    }
    let items = store::items(&mut *tx, id).await?;
    let mut changed = Vec::new();
    if input.apply {
        for i in items.iter().filter(|i| rules::is_difference(i.result)) {
            if let Some(tag) = apply_one(core, &mut tx, ctx, &s, i, &note).await? {
                changed.push(tag);
            }
        }
    }
    let report = counts(&items);
    let described = serde_json::json!({ "counts": report, "applied": input.apply, "changed": changed, "note": note });
    audit::write(core, &mut tx, ctx, Change::new("stocktake", id, "close").before(&before).after(&described)).await?;
    let data = serde_json::json!({ "id": id, "name": s.name, "counts": report, "applied": input.apply, "path": format!("/assets/stocktakes/{id}") });
    emit(core, &mut tx, ctx, Event::new(EventType::StocktakeClosed, "stocktake", id).with(data)).await?;
    let v = view(&mut tx, s, true).await?;
    core.commit(tx).await?;
    if !changed.is_empty() {
        crate::cmdb::graph::note_write(core);
    }
    Ok(v)
}

/// One difference applied to its asset, as a step of its history: a missing asset is retired
/// (if it may be from its state), one found elsewhere moves to the counted location. The
/// caller must be allowed to change that asset. Returns its tag if it changed.
async fn apply_one(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, s: &Stocktake, i: &Item, note: &str) -> Result<Option<String>> {
    let Some(asset_id) = i.asset_id else { return Ok(None) };
    let before = super::load(core, tx, ctx, asset_id, Action::Transition, true).await?;
    let mut a = before.clone();
    let action = match i.result {
        ItemResult::Missing => match asset_rules::next(a.state, AssetAction::Retire) {
            Some(to) => {
                a.state = to;
                a.pending_by = None;
                "stocktake_missing"
            }
            None => return Ok(None),
        },
        ItemResult::FoundElsewhere if !s.location.is_empty() && a.location != s.location => {
            a.location = s.location.clone();
            "stocktake_relocated"
        }
        _ => return Ok(None),
    };
    a.version = before.version + 1;
    a.updated_at = core.now_ms();
    if a.state != before.state {
        let step =
            StepInput { action: AssetAction::Retire, version: before.version, note: note.to_string(), ci_id: None, ci_class_id: None };
        lifecycle::sync_ci(core, tx, ctx, &mut a, &step).await?;
    }
    if !yunwei_store::asset::update(tx, &a, before.version).await? {
        return Err(CoreError::Conflict("asset_changed"));
    }
    let why = format!("{} #{}{}{}", s.name, s.id, if note.is_empty() { "" } else { ": " }, note);
    lifecycle::record(core, tx, ctx, &a, Some(before.state), action, &why).await?;
    audit::write(core, tx, ctx, Change::new("asset", a.id, action).before(&before).after(&a)).await?;
    emit(core, tx, ctx, Event::new(EventType::AssetUpdated, "asset", a.id).with(lifecycle::payload(&a, action))).await?;
    Ok(Some(a.tag))
}

fn result_label(r: ItemResult, zh: bool) -> &'static str {
    use ItemResult::*;
    match (r, zh) {
        (Pending, true) => "待盘",
        (Found, true) => "盘到",
        (Missing, true) => "盘亏",
        (FoundElsewhere, true) => "账外位置盘到",
        (Unexpected, true) => "盘盈（未登记）",
        (Pending, false) => "Not yet seen",
        (Found, false) => "Found",
        (Missing, false) => "Missing",
        (FoundElsewhere, false) => "Found elsewhere",
        (Unexpected, false) => "Unexpected",
    }
}

/// The campaign's tags (differences first) as CSV or XLSX, formula-escaped, audited.
pub async fn export(core: &Core, ctx: &Ctx, id: StocktakeId, format: ExportFormat) -> Result<Exported> {
    let (actor, _) = ctx.authorize(ObjectType::Asset, Action::Export)?;
    let zh = actor.locale.starts_with("zh");
    let v = {
        let mut conn = core.db.read.acquire().await?;
        let s = load(core, &mut conn, ctx, id, Action::Read, false).await?;
        view(&mut conn, s, true).await?
    };
    let header: [&str; 6] = if zh {
        ["资产标签", "资产名称", "盘点结果", "账面位置", "盘点人", "盘点时间"]
    } else {
        ["Asset tag", "Asset name", "Result", "Location on record", "Seen by", "Seen at"]
    };
    let kinds =
        [(Kind::Text, 18.0), (Kind::Text, 30.0), (Kind::Text, 16.0), (Kind::Text, 24.0), (Kind::Text, 14.0), (Kind::DateTime, 18.0)];
    let columns = header.iter().zip(kinds).map(|(h, (k, w))| Column::new(*h, k, w)).collect();
    let zone = jiff::tz::TimeZone::get(&actor.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let time = |ms: Option<i64>| {
        ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok()).map(|t| t.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M").to_string())
    };
    let mut items = v.items.clone().unwrap_or_default();
    items.sort_by_key(|i| (!rules::is_difference(i.result), i.tag.clone()));
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            vec![
                i.tag.clone(),
                i.asset_name.clone().unwrap_or_default(),
                result_label(i.result, zh).to_string(),
                i.location.clone(),
                i.seen_by_name.clone().unwrap_or_default(),
                time(i.seen_at).unwrap_or_default(),
            ]
        })
        .collect();
    let count = rows.len();
    let mut tx = core.db.begin().await?;
    let described = serde_json::json!({ "rows": count, "format": format!("{format:?}").to_lowercase() });
    audit::write(core, &mut tx, ctx, Change::new("stocktake", id, "export").after(&described)).await?;
    core.commit(tx).await?;
    let sheet = Sheet { name: (if zh { "盘点差异" } else { "Stocktake" }).into(), columns, rows };
    Ok(match format {
        ExportFormat::Csv => Exported {
            filename: format!("stocktake-{id}.csv"),
            content_type: "text/csv; charset=utf-8",
            bytes: sheet.to_csv(),
            rows: count,
        },
        ExportFormat::Xlsx => Exported {
            filename: format!("stocktake-{id}.xlsx"),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes: sheet.to_xlsx().map_err(|e| CoreError::Internal(e.to_string()))?,
            rows: count,
        },
    })
}
