//! Software licences (软件许可): the register, assignments to CIs and users, and compliance
//! (used against owned, over-use flagged). Authorised as assets are (`asset:*`, the ASSET
//! policy: the responsible person, whoever registered it, its department).

use super::{check_date, check_money};
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::asset::licence::{self as rules, Compliance, LicenceKind};
use yunwei_domain::asset::{format_money, licence::compliance};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{CiId, DepartmentId, LicenceAssignmentId, LicenceId, UserId};
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::asset::licence::{self as store, Assignment, Licence};

/// A thousand years of seats is a typing mistake.
const MAX_QUANTITY: i64 = 10_000_000;
const MAX_REMIND_DAYS: i64 = 365;

/// A licence as shown: the row, cost in yuan, compliance, days to its end, names behind ids.
#[derive(Debug, Clone, Serialize)]
pub struct LicenceView {
    #[serde(flatten)]
    pub row: Licence,
    pub cost: String,
    pub compliance: Compliance,
    /// Days until `end_date` (negative once expired); none without an end.
    pub days_left: Option<i64>,
    pub expired: bool,
    pub responsible_name: Option<String>,
    pub department_name: Option<String>,
}

impl std::ops::Deref for LicenceView {
    type Target = Licence;
    fn deref(&self) -> &Licence {
        &self.row
    }
}

/// An assignment as shown: to a CI or a user, by name.
#[derive(Debug, Clone, Serialize)]
pub struct AssignmentView {
    #[serde(flatten)]
    pub row: Assignment,
    pub ci_name: Option<String>,
    pub user_name: Option<String>,
}

fn holders(l: &Licence) -> Holders {
    Holders { owners: [l.responsible_id, l.created_by].into_iter().flatten().collect(), department: l.department_id, ..Holders::default() }
}

async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: LicenceId, action: Action, lock: bool) -> Result<Licence> {
    ctx.may_any(&policy::ASSET, action)?;
    let found = if lock { store::get_for_update(conn, &core.db, id).await? } else { store::get(&mut *conn, id).await? };
    let l = found.ok_or(CoreError::NotFound("licence"))?;
    ctx.decide(&policy::ASSET, action, &holders(&l))?;
    Ok(l)
}

fn end_of(l: &Licence) -> Option<jiff::civil::Date> {
    l.end_date.as_deref().and_then(|d| d.parse().ok())
}

async fn view(core: &Core, conn: &mut Conn, l: Licence, used: i64) -> Result<LicenceView> {
    let responsible_name = match l.responsible_id {
        Some(u) => yunwei_store::admin::get_user(&mut *conn, u).await?.map(|u| u.display_name),
        None => None,
    };
    let department_name = match l.department_id {
        Some(d) => yunwei_store::admin::get_department(&mut *conn, d).await?.map(|d| d.name),
        None => None,
    };
    let days_left = end_of(&l).map(|e| rules::days_left(e, super::today(core)));
    Ok(LicenceView {
        cost: format_money(l.cost_fen),
        compliance: compliance(l.kind, l.quantity, used),
        expired: days_left.is_some_and(|d| d < 0),
        days_left,
        responsible_name,
        department_name,
        row: l,
    })
}

async fn used_of(conn: &mut Conn, id: LicenceId) -> Result<i64> {
    Ok(store::used(&mut *conn, &[id]).await?.first().map_or(0, |(_, n)| *n))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceQuery {
    /// Part of the product or vendor.
    pub q: Option<String>,
    /// Only over-used licences.
    pub over_used: Option<bool>,
    /// Only licences ending within this many days (expired ones included).
    pub ending_within_days: Option<i64>,
}

/// Licences within the caller's scope, soonest end first (at most 500).
pub async fn list(core: &Core, ctx: &Ctx, q: &LicenceQuery) -> Result<Vec<LicenceView>> {
    let (actor, scope) = ctx.authorize(ObjectType::Asset, Action::Read)?;
    let scope = match scope {
        Scope::All => None,
        Scope::Department | Scope::Team => Some((Some(actor.place.user), actor.place.department)),
        Scope::Own => Some((Some(actor.place.user), None)),
    };
    let text = q.q.as_deref().map(str::trim).map(|s| s.chars().take(100).collect::<String>());
    let mut conn = core.db.read.acquire().await?;
    let rows = store::list(&mut *conn, scope, text.as_deref(), 500).await?;
    let used = store::used(&mut *conn, &rows.iter().map(|l| l.id).collect::<Vec<_>>()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for l in rows {
        let n = used.iter().find(|(id, _)| *id == l.id).map_or(0, |(_, n)| *n);
        let v = view(core, &mut conn, l, n).await?;
        let ending = q.ending_within_days.is_none_or(|d| v.days_left.is_some_and(|left| left <= d));
        if ending && (q.over_used != Some(true) || v.compliance.over_used) {
            out.push(v);
        }
    }
    Ok(out)
}

pub async fn get(core: &Core, ctx: &Ctx, id: LicenceId) -> Result<LicenceView> {
    let mut conn = core.db.read.acquire().await?;
    let l = load(core, &mut conn, ctx, id, Action::Read, false).await?;
    let used = used_of(&mut conn, id).await?;
    view(core, &mut conn, l, used).await
}

/// A new licence, or (all fields sent) a licence's fields replaced.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceInput {
    /// Required when editing: the version last seen.
    pub version: Option<i64>,
    pub product: String,
    #[serde(default)]
    pub vendor: String,
    pub kind: LicenceKind,
    /// Seats or cores owned (ignored for a site licence).
    #[serde(default)]
    pub quantity: i64,
    /// Yuan, up to two decimals.
    #[serde(default)]
    pub cost: String,
    #[serde(default)]
    pub contract_number: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// Days before the end that the reminder goes out (default 30).
    pub remind_days: Option<i64>,
    pub responsible_id: Option<UserId>,
    pub department_id: Option<DepartmentId>,
    #[serde(default)]
    pub notes: String,
}

async fn vet(conn: &mut Conn, input: LicenceInput, into: &mut Licence) -> Result<()> {
    let mut c = Checker::new();
    into.product = c.name("product", &input.product, super::MAX_NAME);
    into.vendor = c.optional_name("vendor", &input.vendor, super::MAX_NAME);
    into.contract_number = c.optional_name("contract_number", &input.contract_number, super::MAX_NAME);
    into.notes = c.text("notes", &input.notes, super::MAX_TEXT);
    into.kind = input.kind;
    if !(0..=MAX_QUANTITY).contains(&input.quantity) {
        c.push(FieldError::new("quantity", "out_of_range").with("min", 0).with("max", MAX_QUANTITY));
    }
    into.quantity = input.quantity;
    into.cost_fen = check_money(&mut c, "cost", &input.cost);
    into.start_date = check_date(&mut c, "start_date", input.start_date.as_deref());
    into.end_date = check_date(&mut c, "end_date", input.end_date.as_deref());
    if let (Some(s), Some(e)) = (&into.start_date, &into.end_date)
        && e < s
    {
        c.push(FieldError::new("end_date", "before_start"));
    }
    if input.kind == LicenceKind::Subscription && into.end_date.is_none() {
        c.push(FieldError::new("end_date", "required"));
    }
    into.remind_days = input.remind_days.unwrap_or(30);
    if !(0..=MAX_REMIND_DAYS).contains(&into.remind_days) {
        c.push(FieldError::new("remind_days", "out_of_range").with("min", 0).with("max", MAX_REMIND_DAYS));
    }
    into.responsible_id = input.responsible_id;
    into.department_id = input.department_id;
    if let Some(u) = input.responsible_id
        && yunwei_store::admin::get_user(&mut *conn, u).await?.is_none_or(|u| u.disabled)
    {
        c.push(FieldError::new("responsible_id", "not_found"));
    }
    if let Some(d) = input.department_id
        && yunwei_store::admin::get_department(&mut *conn, d).await?.is_none()
    {
        c.push(FieldError::new("department_id", "not_found"));
    }
    Ok(c.finish()?)
}

/// A grant narrower than `all` keeps a licence in the holder's own department.
fn authorize_department(ctx: &Ctx, action: Action, department: Option<DepartmentId>) -> Result<()> {
    let (actor, scope) = ctx.authorize(ObjectType::Asset, action)?;
    if scope != Scope::All && department.is_some_and(|d| Some(d) != actor.place.department) {
        return Err(CoreError::Forbidden(format!("asset:{action}:{scope}")));
    }
    Ok(())
}

fn payload(l: &Licence, action: &str) -> serde_json::Value {
    serde_json::json!({
        "id": l.id, "product": l.product, "vendor": l.vendor, "kind": l.kind, "quantity": l.quantity,
        "end_date": l.end_date, "action": action, "version": l.version, "path": format!("/assets/licences/{}", l.id),
    })
}

pub async fn create(core: &Core, ctx: &Ctx, input: LicenceInput) -> Result<LicenceView> {
    authorize_department(ctx, Action::Create, input.department_id)?;
    let now = core.now_ms();
    let mut l = Licence { created_by: ctx.actor_id().map(UserId), created_at: now, updated_at: now, version: 1, ..Licence::default() };
    let mut tx = core.db.begin().await?;
    vet(&mut tx, input, &mut l).await?;
    l.id = store::insert(&mut tx, &l).await?;
    audit::write(core, &mut tx, ctx, Change::new("licence", l.id, "create").after(&l)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::LicenceCreated, "licence", l.id).with(payload(&l, "create"))).await?;
    let v = view(core, &mut tx, l, 0).await?;
    core.commit(tx).await?;
    Ok(v)
}

pub async fn update(core: &Core, ctx: &Ctx, id: LicenceId, input: LicenceInput) -> Result<LicenceView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update, true).await?;
    if input.version != Some(before.version) {
        return Err(CoreError::Conflict("licence_changed"));
    }
    authorize_department(ctx, Action::Update, input.department_id)?;
    let mut l = before.clone();
    vet(&mut tx, input, &mut l).await?;
    let used = used_of(&mut tx, id).await?;
    if l == before {
        return view(core, &mut tx, before, used).await;
    }
    l.version = before.version + 1;
    l.updated_at = core.now_ms();
    if !store::update(&mut tx, &l, before.version).await? {
        return Err(CoreError::Conflict("licence_changed"));
    }
    audit::write(core, &mut tx, ctx, Change::new("licence", l.id, "update").before(&before).after(&l)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::LicenceUpdated, "licence", l.id).with(payload(&l, "update"))).await?;
    let v = view(core, &mut tx, l, used).await?;
    core.commit(tx).await?;
    Ok(v)
}

pub async fn assignments(core: &Core, ctx: &Ctx, id: LicenceId) -> Result<Vec<AssignmentView>> {
    let mut conn = core.db.read.acquire().await?;
    load(core, &mut conn, ctx, id, Action::Read, false).await?;
    let mut out = Vec::new();
    for a in store::assignments(&mut *conn, id).await? {
        let ci_name = match a.ci_id {
            Some(c) => yunwei_store::cmdb::ci::get(&mut *conn, c).await?.map(|c| c.name),
            None => None,
        };
        let user_name = match a.user_id {
            Some(u) => yunwei_store::admin::get_user(&mut *conn, u).await?.map(|u| u.display_name),
            None => None,
        };
        out.push(AssignmentView { row: a, ci_name, user_name });
    }
    Ok(out)
}

/// One CI or one user taking seats or cores of the licence. Over-use is allowed (the
/// licence is then flagged), since the use is a fact to record, not a wish to refuse.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    pub ci_id: Option<CiId>,
    pub user_id: Option<UserId>,
    /// Seats or cores taken (a seat licence: 1 if not given; a core licence: required).
    pub quantity: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// The licence as it stands after the assignment.
pub async fn assign(core: &Core, ctx: &Ctx, id: LicenceId, input: AssignInput) -> Result<LicenceView> {
    let mut tx = core.db.begin().await?;
    let l = load(core, &mut tx, ctx, id, Action::Update, true).await?;
    let mut c = Checker::new();
    let note = c.text("note", &input.note, super::MAX_TEXT);
    let quantity = rules::assignment_quantity(l.kind, input.quantity);
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        c.push(FieldError::new("quantity", "out_of_range").with("min", 1).with("max", MAX_QUANTITY));
    }
    match (input.ci_id, input.user_id) {
        (Some(_), Some(_)) => c.push(FieldError::new("user_id", "one_of_ci_or_user")),
        (None, None) => c.push(FieldError::new("ci_id", "required")),
        _ => {}
    }
    if let Some(u) = input.user_id
        && yunwei_store::admin::get_user(&mut *tx, u).await?.is_none_or(|u| u.disabled)
    {
        c.push(FieldError::new("user_id", "not_found"));
    }
    if let Some(ci) = input.ci_id {
        // The CI must be one the caller may see: a hidden class is "not found" by the field.
        let schema = crate::cmdb::Schema::load(&mut tx).await?;
        if let Err(e) = crate::cmdb::load_ci(&mut tx, &schema, ctx, ci, Action::Read).await {
            match e {
                CoreError::NotFound(_) => c.push(FieldError::new("ci_id", "not_found")),
                other => return Err(other),
            }
        }
    }
    c.finish()?;
    let a = Assignment {
        licence_id: id,
        ci_id: input.ci_id,
        user_id: input.user_id,
        quantity,
        note,
        created_by: ctx.actor_id().map(UserId),
        created_at: core.now_ms(),
        ..Assignment::default()
    };
    let mut a = a;
    a.id = store::assign(&mut tx, &a).await.map_err(CoreError::unique_as("licence_already_assigned"))?;
    let used = used_of(&mut tx, id).await?;
    let state = compliance(l.kind, l.quantity, used);
    audit::write(core, &mut tx, ctx, Change::new("licence", l.id, "assign").after(&a)).await?;
    let mut data = payload(&l, "assign");
    data["assignment"] = serde_json::json!(a);
    data["used"] = serde_json::json!(used);
    data["over_used"] = serde_json::json!(state.over_used);
    emit(core, &mut tx, ctx, Event::new(EventType::LicenceAssigned, "licence", l.id).with(data)).await?;
    let v = view(core, &mut tx, l, used).await?;
    core.commit(tx).await?;
    Ok(v)
}

pub async fn unassign(core: &Core, ctx: &Ctx, id: LicenceId, assignment: LicenceAssignmentId) -> Result<LicenceView> {
    let mut tx = core.db.begin().await?;
    let l = load(core, &mut tx, ctx, id, Action::Update, true).await?;
    let a = store::get_assignment(&mut *tx, assignment).await?.filter(|a| a.licence_id == id).ok_or(CoreError::NotFound("assignment"))?;
    store::unassign(&mut tx, assignment).await?;
    audit::write(core, &mut tx, ctx, Change::new("licence", l.id, "unassign").before(&a)).await?;
    let mut data = payload(&l, "unassign");
    data["assignment"] = serde_json::json!(a);
    emit(core, &mut tx, ctx, Event::new(EventType::LicenceUnassigned, "licence", l.id).with(data)).await?;
    let used = used_of(&mut tx, id).await?;
    let v = view(core, &mut tx, l, used).await?;
    core.commit(tx).await?;
    Ok(v)
}
