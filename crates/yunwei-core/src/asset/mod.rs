//! Asset management (资产管理, SPEC AST): the register and its use cases. The lifecycle
//! steps, approvals and the CMDB link live in [`lifecycle`]; the rules in
//! `yunwei_domain::asset`.

pub mod labels;
pub mod licence;
pub mod lifecycle;
pub mod reminders;
pub mod stocktake;

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::asset::{self as rules, AssetAction, AssetCategory, AssetState};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{AssetId, CiId, DepartmentId, UserId};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::asset::{self as store, Asset, AssetFilter, AssetStep};
use yunwei_store::sql::Page;

pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 10_000;
/// Fifty years: longer is a typing mistake.
pub const MAX_LIFE_MONTHS: i64 = 600;

/// An asset as the API and pages show it: the stored row, money in yuan, today's book value,
/// the names behind its ids, and the lifecycle actions the caller may take now.
#[derive(Debug, Clone, Serialize)]
pub struct AssetView {
    #[serde(flatten)]
    pub row: Asset,
    pub cost: String,
    pub salvage: String,
    pub book_value_fen: i64,
    pub book_value: String,
    pub responsible_name: Option<String>,
    pub department_name: Option<String>,
    pub ci_name: Option<String>,
    pub actions: Vec<AssetAction>,
}

impl std::ops::Deref for AssetView {
    type Target = Asset;
    fn deref(&self) -> &Asset {
        &self.row
    }
}

/// Today in the configured zone.
pub(crate) fn today(core: &Core) -> jiff::civil::Date {
    let tz = jiff::tz::TimeZone::get(&core.config.default_time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(core.now_ms()).map(|t| t.to_zoned(tz).date()).unwrap_or_default()
}

fn book_value(a: &Asset, at: jiff::civil::Date) -> i64 {
    match a.purchase_date.as_deref().and_then(|d| d.parse::<jiff::civil::Date>().ok()) {
        Some(start) => rules::book_value(a.cost_fen, a.salvage_fen, a.useful_life_months, start, at),
        None => a.cost_fen,
    }
}

async fn view(core: &Core, conn: &mut Conn, ctx: &Ctx, a: &Asset, with_actions: bool) -> Result<AssetView> {
    let responsible_name = match a.responsible_id {
        Some(u) => yunwei_store::admin::get_user(&mut *conn, u).await?.map(|u| u.display_name),
        None => None,
    };
    let department_name = match a.department_id {
        Some(d) => yunwei_store::admin::get_department(&mut *conn, d).await?.map(|d| d.name),
        None => None,
    };
    let ci_name = match a.ci_id {
        Some(c) => yunwei_store::cmdb::ci::get(&mut *conn, c).await?.map(|c| c.name),
        None => None,
    };
    let actions = if with_actions { lifecycle::allowed_actions(conn, ctx, a).await? } else { Vec::new() };
    let value = book_value(a, today(core));
    Ok(AssetView {
        cost: rules::format_money(a.cost_fen),
        salvage: rules::format_money(a.salvage_fen),
        book_value_fen: value,
        book_value: rules::format_money(value),
        responsible_name,
        department_name,
        ci_name,
        actions,
        row: a.clone(),
    })
}

pub(crate) fn holders(a: &Asset) -> Holders {
    Holders { owners: [a.responsible_id, a.created_by].into_iter().flatten().collect(), department: a.department_id, ..Holders::default() }
}

/// The asset, if the caller may do `action` on it; refused before the lookup without the
/// permission at any scope. `lock` takes it for a command.
pub(crate) async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: AssetId, action: Action, lock: bool) -> Result<Asset> {
    ctx.may_any(&policy::ASSET, action)?;
    let found = if lock { store::get_for_update(conn, &core.db, id).await? } else { store::get(&mut *conn, id).await? };
    let a = found.ok_or(CoreError::NotFound("asset"))?;
    ctx.decide(&policy::ASSET, action, &holders(&a))?;
    Ok(a)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AssetQuery {
    /// Comma-separated states.
    pub state: Option<String>,
    pub category: Option<AssetCategory>,
    pub department_id: Option<DepartmentId>,
    pub responsible_id: Option<UserId>,
    pub ci_id: Option<CiId>,
    /// Part of the tag, name, model or serial number.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub async fn list(core: &Core, ctx: &Ctx, q: &AssetQuery) -> Result<Page<AssetView>> {
    let (actor, scope) = ctx.authorize(ObjectType::Asset, Action::Read)?;
    let mut states = Vec::new();
    for s in q.state.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let st: AssetState = s.parse().map_err(|_| {
            let allowed = AssetState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            yunwei_domain::DomainError::Validation(vec![FieldError::new("state", "not_allowed_value").with("allowed", allowed)])
        })?;
        states.push(st.as_str().to_string());
    }
    let scope = match scope {
        Scope::All => None,
        Scope::Department | Scope::Team => Some((Some(actor.place.user), actor.place.department)),
        Scope::Own => Some((Some(actor.place.user), None)),
    };
    let filter = AssetFilter {
        states,
        category: q.category.map(|c| c.as_str().to_string()),
        department_id: q.department_id,
        responsible_id: q.responsible_id,
        ci_id: q.ci_id,
        q: q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(100).collect()),
        scope,
    };
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), true)?;
    let rows = store::list(&core.db.read, &filter, &page).await?;
    let mut conn = core.db.read.acquire().await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for a in &rows.items {
        items.push(view(core, &mut conn, ctx, a, false).await?);
    }
    Ok(Page { items, next_cursor: rows.next_cursor })
}

pub async fn get(core: &Core, ctx: &Ctx, id: AssetId) -> Result<AssetView> {
    let mut conn = core.db.read.acquire().await?;
    let a = load(core, &mut conn, ctx, id, Action::Read, false).await?;
    view(core, &mut conn, ctx, &a, true).await
}

/// The asset with this tag (what a barcode scanner reads).
pub async fn by_tag(core: &Core, ctx: &Ctx, tag: &str) -> Result<AssetView> {
    ctx.may_any(&policy::ASSET, Action::Read)?;
    let tag = rules::check_tag("tag", tag).map_err(|_| CoreError::NotFound("asset"))?;
    let id = store::by_tag(&core.db.read, &tag).await?.ok_or(CoreError::NotFound("asset"))?.id;
    get(core, ctx, id).await
}

/// A step of the asset's history as shown: who, when, what, and the note.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    #[serde(flatten)]
    pub row: AssetStep,
    pub actor_name: Option<String>,
}

impl std::ops::Deref for StepView {
    type Target = AssetStep;
    fn deref(&self) -> &AssetStep {
        &self.row
    }
}

pub async fn history(core: &Core, ctx: &Ctx, id: AssetId) -> Result<Vec<StepView>> {
    let mut conn = core.db.read.acquire().await?;
    load(core, &mut conn, ctx, id, Action::Read, false).await?;
    let mut out = Vec::new();
    for s in store::history(&mut *conn, id).await? {
        let actor_name = match s.actor_id {
            Some(u) => yunwei_store::admin::get_user(&mut *conn, u).await?.map(|u| u.display_name),
            None => None,
        };
        out.push(StepView { row: s, actor_name });
    }
    Ok(out)
}

/// A new asset: a purchase request (the default), or one already on hand registered
/// straight into stock (`register: true`, which needs no approval: it was bought before).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    pub tag: String,
    pub name: String,
    pub category: AssetCategory,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub serial_number: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub supplier: String,
    #[serde(default)]
    pub contract_number: String,
    /// Yuan, up to two decimals (`12345.67`).
    #[serde(default)]
    pub cost: String,
    #[serde(default)]
    pub salvage: String,
    pub useful_life_months: Option<i64>,
    pub purchase_date: Option<String>,
    pub warranty_end: Option<String>,
    pub responsible_id: Option<UserId>,
    pub department_id: Option<DepartmentId>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub register: bool,
}

/// `YYYY-MM-DD`, a real date; blank is none.
pub(crate) fn check_date(c: &mut Checker, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    if v.len() != 10 || v.parse::<jiff::civil::Date>().is_err() {
        c.push(FieldError::new(field, "invalid_date"));
    }
    Some(v.to_string())
}

/// Yuan text to fen; blank is zero.
pub(crate) fn check_money(c: &mut Checker, field: &str, v: &str) -> i64 {
    if v.trim().is_empty() {
        return 0;
    }
    rules::parse_money(v).unwrap_or_else(|| {
        c.push(FieldError::new(field, "invalid_amount"));
        0
    })
}

/// Every field of `a` (merged from the input) checked and normalised in place.
async fn vet(conn: &mut Conn, c: &mut Checker, a: &mut Asset) -> Result<()> {
    match rules::check_tag("tag", &a.tag) {
        Ok(t) => a.tag = t,
        Err(e) => c.push(e),
    }
    a.name = c.name("name", &a.name, MAX_NAME);
    for (field, v) in [
        ("model", &mut a.model),
        ("serial_number", &mut a.serial_number),
        ("location", &mut a.location),
        ("supplier", &mut a.supplier),
        ("contract_number", &mut a.contract_number),
    ] {
        *v = c.optional_name(field, v, MAX_NAME);
    }
    a.notes = c.text("notes", &a.notes, MAX_TEXT);
    if !(0..=MAX_LIFE_MONTHS).contains(&a.useful_life_months) {
        c.push(FieldError::new("useful_life_months", "out_of_range").with("min", 0).with("max", MAX_LIFE_MONTHS));
    }
    if a.salvage_fen > a.cost_fen {
        c.push(FieldError::new("salvage", "above_cost"));
    }
    if let (Some(p), Some(w)) = (&a.purchase_date, &a.warranty_end)
        && w < p
    {
        c.push(FieldError::new("warranty_end", "before_purchase"));
    }
    if let Some(u) = a.responsible_id
        && yunwei_store::admin::get_user(&mut *conn, u).await?.is_none_or(|u| u.disabled)
    {
        c.push(FieldError::new("responsible_id", "not_found"));
    }
    if let Some(d) = a.department_id
        && yunwei_store::admin::get_department(&mut *conn, d).await?.is_none()
    {
        c.push(FieldError::new("department_id", "not_found"));
    }
    if let Some(other) = store::by_tag(&mut *conn, &a.tag).await?
        && other.id != a.id
    {
        c.push(FieldError::new("tag", "taken"));
    }
    Ok(())
}

pub async fn create(core: &Core, ctx: &Ctx, input: NewAsset) -> Result<AssetView> {
    let (actor, scope) = ctx.authorize(ObjectType::Asset, Action::Create)?;
    let me = actor.user_id;
    let mut c = Checker::new();
    let now = core.now_ms();
    let state = if input.register { AssetState::InStock } else { AssetState::Requested };
    let mut a = Asset {
        tag: input.tag,
        name: input.name,
        category: input.category,
        model: input.model,
        serial_number: input.serial_number,
        location: input.location,
        supplier: input.supplier,
        contract_number: input.contract_number,
        cost_fen: check_money(&mut c, "cost", &input.cost),
        salvage_fen: check_money(&mut c, "salvage", &input.salvage),
        useful_life_months: input.useful_life_months.unwrap_or(0),
        purchase_date: check_date(&mut c, "purchase_date", input.purchase_date.as_deref()),
        warranty_end: check_date(&mut c, "warranty_end", input.warranty_end.as_deref()),
        responsible_id: input.responsible_id,
        department_id: input.department_id,
        state,
        pending_by: (state == AssetState::Requested).then_some(me),
        notes: input.notes,
        created_by: Some(me),
        created_at: now,
        updated_at: now,
        version: 1,
        ..Asset::default()
    };
    // A grant narrower than `all` registers assets for the holder's own department only.
    if scope != Scope::All && a.department_id.is_some_and(|d| Some(d) != actor.place.department) {
        return Err(CoreError::Forbidden(format!("asset:create:{scope}")));
    }
    let mut tx = core.db.begin().await?;
    vet(&mut tx, &mut c, &mut a).await?;
    c.finish()?;
    a.id = store::insert(&mut tx, &a).await.map_err(CoreError::unique_as("asset_tag_taken"))?;
    let action = if input.register { "register" } else { "request" };
    lifecycle::record(core, &mut tx, ctx, &a, None, action, "").await?;
    audit::write(core, &mut tx, ctx, Change::new("asset", a.id, "create").after(&a)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::AssetCreated, "asset", a.id).with(lifecycle::payload(&a, action))).await?;
    let v = view(core, &mut tx, ctx, &a, true).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// Absent fields are kept; `null` clears a date, the responsible person or the department.
/// The state moves only through [`lifecycle::act`].
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    pub version: i64,
    pub tag: Option<String>,
    pub name: Option<String>,
    pub category: Option<AssetCategory>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub location: Option<String>,
    pub supplier: Option<String>,
    pub contract_number: Option<String>,
    pub cost: Option<String>,
    pub salvage: Option<String>,
    pub useful_life_months: Option<i64>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub purchase_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub warranty_end: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub responsible_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub department_id: Option<Option<DepartmentId>>,
    pub notes: Option<String>,
}

pub async fn update(core: &Core, ctx: &Ctx, id: AssetId, input: AssetPatch) -> Result<AssetView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update, true).await?;
    if input.version != before.version {
        return Err(CoreError::Conflict("asset_changed"));
    }
    let mut c = Checker::new();
    let mut a = before.clone();
    let texts = [
        (input.tag, &mut a.tag),
        (input.name, &mut a.name),
        (input.model, &mut a.model),
        (input.serial_number, &mut a.serial_number),
        (input.location, &mut a.location),
        (input.supplier, &mut a.supplier),
        (input.contract_number, &mut a.contract_number),
        (input.notes, &mut a.notes),
    ];
    for (new, field) in texts {
        if let Some(v) = new {
            *field = v;
        }
    }
    if let Some(v) = input.category {
        a.category = v;
    }
    if let Some(v) = &input.cost {
        a.cost_fen = check_money(&mut c, "cost", v);
    }
    if let Some(v) = &input.salvage {
        a.salvage_fen = check_money(&mut c, "salvage", v);
    }
    if let Some(v) = input.useful_life_months {
        a.useful_life_months = v;
    }
    if let Some(v) = input.purchase_date {
        a.purchase_date = check_date(&mut c, "purchase_date", v.as_deref());
    }
    if let Some(v) = input.warranty_end {
        a.warranty_end = check_date(&mut c, "warranty_end", v.as_deref());
    }
    if let Some(v) = input.responsible_id {
        a.responsible_id = v;
    }
    if let Some(v) = input.department_id {
        a.department_id = v;
    }
    // A request under decision keeps the amount and category its approver sees.
    if rules::awaits_decision(a.state) && (a.cost_fen != before.cost_fen || a.category != before.category) {
        c.push(FieldError::new("cost", "locked_while_approving"));
    }
    vet(&mut tx, &mut c, &mut a).await?;
    c.finish()?;
    if a == before {
        return view(core, &mut tx, ctx, &before, true).await;
    }
    a.version = before.version + 1;
    a.updated_at = core.now_ms();
    if !store::update(&mut tx, &a, before.version).await.map_err(CoreError::unique_as("asset_tag_taken"))? {
        return Err(CoreError::Conflict("asset_changed"));
    }
    audit::write(core, &mut tx, ctx, Change::new("asset", a.id, "update").before(&before).after(&a)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::AssetUpdated, "asset", a.id).with(lifecycle::payload(&a, "update"))).await?;
    let v = view(core, &mut tx, ctx, &a, true).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// A purchase approval rule as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalRuleView {
    pub category: String,
    pub min_cost_fen: i64,
    pub min_cost: String,
    pub role_key: String,
}

/// Who approves which purchase requests (amount × category → role).
pub async fn approval_rules(core: &Core, ctx: &Ctx) -> Result<Vec<ApprovalRuleView>> {
    ctx.authorize(ObjectType::Asset, Action::Read)?;
    Ok(store::approval_rules(&core.db.read)
        .await?
        .into_iter()
        .map(|r| ApprovalRuleView {
            min_cost: rules::format_money(r.min_cost_fen),
            category: r.category,
            min_cost_fen: r.min_cost_fen,
            role_key: r.role_key,
        })
        .collect())
}
