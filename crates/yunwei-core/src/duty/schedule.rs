//! Schedules, layers, members and overrides: every change audited in its commit. A member
//! joins or leaves "now"; the shift maths applies it at the next handoff, so nothing already
//! worked is rewritten.

use super::authorize_manage;
use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::duty::{DayRestriction, RotationKind, rotation};
use yunwei_domain::ids::{CalendarId, DutyLayerId, DutyOverrideId, DutyScheduleId, TeamId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::duty::{self as store, Layer, Loaded, Member, Override, Schedule};

pub const MAX_LAYERS: usize = 10;
pub const MAX_MEMBERS: usize = 200;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub team_id: Option<TeamId>,
    /// IANA zone; default the server's.
    #[serde(default)]
    pub time_zone: String,
    /// The business calendar whose working days working-day layers follow; default: the default calendar.
    pub calendar_id: Option<CalendarId>,
    /// Swaps wait for a supervisor's approval; default true.
    pub swap_needs_approval: Option<bool>,
    /// Least rest (hours, 0–24) a swap may leave between two shifts of one person; default 8.
    pub min_rest_hours: Option<i64>,
    /// On update: the version last seen (409 if it moved).
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LayerInput {
    pub name: String,
    /// Higher wins where layers overlap; default: above the existing layers.
    pub precedence: Option<i64>,
    pub rotation: RotationKind,
    /// Days (daily) or weeks (weekly) per turn; default 1.
    pub rotation_length: Option<i64>,
    /// Custom rotations: `FREQ=DAILY;BYHOUR=8,20` and the like (ADR 0024).
    #[serde(default)]
    pub rrule: String,
    /// First handoff, local `YYYY-MM-DDTHH:MM` in the schedule's zone.
    pub starts_local: String,
    pub ends_local: Option<String>,
    /// People on call at once; default 1.
    pub responders: Option<i64>,
    #[serde(default)]
    pub restrict_days: DayRestriction,
    /// `HH:MM`; both or neither.
    pub window_from: Option<String>,
    pub window_to: Option<String>,
    /// Members in turn order (creation only; later changes through the member calls).
    #[serde(default)]
    pub members: Vec<UserId>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    pub user_id: UserId,
    /// The person replaced; none: everyone on call then.
    pub replaces_user_id: Option<UserId>,
    /// Unix milliseconds.
    pub starts_at: i64,
    pub ends_at: i64,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub user_id: UserId,
    pub name: String,
    pub turn_order: i64,
    pub joined_at: i64,
    pub left_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerView {
    #[serde(flatten)]
    pub layer: Layer,
    /// Current members, in turn order.
    pub members: Vec<MemberView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverrideView {
    #[serde(flatten)]
    pub row: Override,
    pub user_name: String,
    pub replaces_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduleView {
    #[serde(flatten)]
    pub schedule: Schedule,
    pub layers: Vec<LayerView>,
    /// Overrides not yet over.
    pub overrides: Vec<OverrideView>,
}

impl std::ops::Deref for ScheduleView {
    type Target = Schedule;
    fn deref(&self) -> &Schedule {
        &self.schedule
    }
}

pub(crate) async fn names(conn: &mut Conn, mut ids: Vec<UserId>) -> Result<std::collections::HashMap<UserId, String>> {
    ids.sort();
    ids.dedup();
    Ok(store::user_names(conn, &ids).await?.into_iter().collect())
}

pub(crate) async fn view(conn: &mut Conn, loaded: Loaded) -> Result<ScheduleView> {
    let Loaded { schedule, layers, members, overrides } = loaded;
    let who: Vec<UserId> =
        members.iter().map(|m| m.user_id).chain(overrides.iter().flat_map(|o| [Some(o.user_id), o.replaces_user_id]).flatten()).collect();
    let names = names(conn, who).await?;
    let name = |u: UserId| names.get(&u).cloned().unwrap_or_else(|| format!("#{u}"));
    let layers = layers
        .into_iter()
        .map(|l| {
            let members = members
                .iter()
                .filter(|m| m.layer_id == l.id && m.left_at.is_none())
                .map(|m| MemberView {
                    user_id: m.user_id,
                    name: name(m.user_id),
                    turn_order: m.turn_order,
                    joined_at: m.joined_at,
                    left_at: m.left_at,
                })
                .collect();
            LayerView { layer: l, members }
        })
        .collect();
    let overrides = overrides
        .into_iter()
        .map(|o| OverrideView { user_name: name(o.user_id), replaces_name: o.replaces_user_id.map(name), row: o })
        .collect();
    Ok(ScheduleView { schedule, layers, overrides })
}

async fn load_view(core: &Core, conn: &mut Conn, id: DutyScheduleId) -> Result<ScheduleView> {
    let loaded = store::load(conn, id, core.now_ms()).await?.ok_or(CoreError::NotFound("duty_schedule"))?;
    view(conn, loaded).await
}

pub async fn list(core: &Core, ctx: &Ctx) -> Result<Vec<Schedule>> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    Ok(store::schedules(&core.db.read).await?)
}

pub async fn get(core: &Core, ctx: &Ctx, id: DutyScheduleId) -> Result<ScheduleView> {
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    load_view(core, &mut *core.db.read.acquire().await?, id).await
}

async fn check_schedule(core: &Core, conn: &mut Conn, input: &ScheduleInput) -> Result<(String, String, String)> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let description = c.text("description", &input.description, 2000);
    let zone = if input.time_zone.trim().is_empty() { core.config.default_time_zone.clone() } else { input.time_zone.trim().to_string() };
    if !crate::is_known_time_zone(&zone) {
        c.push(FieldError::new("time_zone", "unknown_time_zone"));
    }
    if let Some(t) = input.team_id
        && yunwei_store::admin::get_team(&mut *conn, t).await?.is_none()
    {
        c.push(FieldError::new("team_id", "not_found"));
    }
    if input.min_rest_hours.is_some_and(|h| !(0..=24).contains(&h)) {
        c.push(FieldError::new("min_rest_hours", "out_of_range").with("min", 0).with("max", 24));
    }
    if let Some(cal) = input.calendar_id
        && yunwei_store::sla::get_calendar(&mut *conn, cal).await?.is_none()
    {
        c.push(FieldError::new("calendar_id", "not_found"));
    }
    c.finish()?;
    Ok((name, description, zone))
}

pub async fn create(core: &Core, ctx: &Ctx, input: ScheduleInput) -> Result<ScheduleView> {
    authorize_manage(ctx, input.team_id)?;
    let mut tx = core.db.begin().await?;
    let (name, description, time_zone) = check_schedule(core, &mut tx, &input).await?;
    let now = core.now_ms();
    let mut s = Schedule {
        name,
        description,
        team_id: input.team_id,
        time_zone,
        calendar_id: input.calendar_id,
        swap_needs_approval: input.swap_needs_approval.unwrap_or(true),
        min_rest_hours: input.min_rest_hours.unwrap_or(8),
        created_by: ctx.actor_id().map(UserId),
        created_at: now,
        updated_at: now,
        version: 1,
        ..Schedule::default()
    };
    s.id = store::insert_schedule(&mut tx, &s).await.map_err(CoreError::unique_as("duty_schedule_name_taken"))?;
    let v = load_view(core, &mut tx, s.id).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_schedule", s.id, "create").after(&v.schedule)).await?;
    core.commit(tx).await?;
    Ok(v)
}

/// The schedule locked for a change, if the caller may manage it (and, moving it to another
/// team, that one too).
pub(crate) async fn authorize_schedule_change(conn: &mut Conn, ctx: &Ctx, id: DutyScheduleId) -> Result<Schedule> {
    ctx.authorize(ObjectType::Duty, Action::Update)?;
    let s = store::get_schedule(&mut *conn, id).await?.ok_or(CoreError::NotFound("duty_schedule"))?;
    authorize_manage(ctx, s.team_id)?;
    Ok(s)
}

/// The schedule locked for a change made by a use case that authorised its caller otherwise (a swap).
pub(crate) async fn schedule_for_swap(conn: &mut Conn, id: DutyScheduleId) -> Result<Schedule> {
    store::get_schedule(&mut *conn, id).await?.ok_or(CoreError::NotFound("duty_schedule"))
}

/// Bumps the schedule's version and time: every change to a part of it is a change of it.
pub(crate) async fn touch(core: &Core, conn: &mut Conn, s: &Schedule) -> Result<()> {
    let mut after = s.clone();
    after.updated_at = core.now_ms();
    after.version = s.version + 1;
    if !store::update_schedule(conn, &after, s.version).await? {
        return Err(CoreError::Conflict("duty_schedule_changed"));
    }
    Ok(())
}

pub async fn update(core: &Core, ctx: &Ctx, id: DutyScheduleId, input: ScheduleInput) -> Result<ScheduleView> {
    let mut tx = core.db.begin().await?;
    let before = authorize_schedule_change(&mut tx, ctx, id).await?;
    authorize_manage(ctx, input.team_id)?;
    if input.version.is_some_and(|v| v != before.version) {
        return Err(CoreError::Conflict("duty_schedule_changed"));
    }
    let (name, description, time_zone) = check_schedule(core, &mut tx, &input).await?;
    let after = Schedule {
        name,
        description,
        team_id: input.team_id,
        time_zone,
        calendar_id: input.calendar_id,
        swap_needs_approval: input.swap_needs_approval.unwrap_or(before.swap_needs_approval),
        min_rest_hours: input.min_rest_hours.unwrap_or(before.min_rest_hours),
        updated_at: core.now_ms(),
        version: before.version + 1,
        ..before.clone()
    };
    let written =
        store::update_schedule(&mut tx, &after, before.version).await.map_err(CoreError::unique_as("duty_schedule_name_taken"))?;
    if !written {
        return Err(CoreError::Conflict("duty_schedule_changed"));
    }
    audit::write(core, &mut tx, ctx, Change::new("duty_schedule", id, "update").before(&before).after(&after)).await?;
    let v = load_view(core, &mut tx, id).await?;
    core.commit(tx).await?;
    super::cache::written(core, v.schedule.id);
    Ok(v)
}

fn local(c: &mut Checker, field: &str, v: &str) -> Option<String> {
    let v = v.trim();
    match v.parse::<jiff::civil::DateTime>() {
        Ok(dt) if v.len() <= 19 => Some(dt.strftime("%Y-%m-%dT%H:%M").to_string()),
        _ => {
            c.push(FieldError::new(field, "invalid_datetime"));
            None
        }
    }
}

fn clock(c: &mut Checker, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    match v.parse::<jiff::civil::Time>() {
        Ok(t) if v.len() <= 8 => Some(t.strftime("%H:%M").to_string()),
        _ => {
            c.push(FieldError::new(field, "invalid_time"));
            None
        }
    }
}

/// The layer as it will be stored, or the field errors.
fn check_layer(input: &LayerInput, schedule: DutyScheduleId, precedence: i64, now: i64) -> Result<Layer> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let starts_local = local(&mut c, "starts_local", &input.starts_local).unwrap_or_default();
    let ends_local = input.ends_local.as_deref().filter(|e| !e.trim().is_empty()).and_then(|e| local(&mut c, "ends_local", e));
    if let Some(e) = &ends_local
        && *e <= starts_local
    {
        c.push(FieldError::new("ends_local", "before_start"));
    }
    let length = input.rotation_length.unwrap_or(1);
    let responders = input.responders.unwrap_or(1);
    if !(1..=10).contains(&responders) {
        c.push(FieldError::new("responders", "out_of_range").with("min", 1).with("max", 10));
    }
    let window_from = clock(&mut c, "window_from", input.window_from.as_deref());
    let window_to = clock(&mut c, "window_to", input.window_to.as_deref());
    if window_from.is_some() != window_to.is_some() || (window_from.is_some() && window_from == window_to) {
        c.push(FieldError::new("window_to", "invalid_window"));
    }
    if let Ok(anchor) = starts_local.parse::<jiff::civil::DateTime>()
        && let Err(e) = rotation::Rotation::new(input.rotation, length, &input.rrule, anchor)
    {
        let field = if e == yunwei_domain::duty::RotationError::Length { "rotation_length" } else { "rrule" };
        c.push(FieldError::new(field, e.code()));
    }
    c.finish()?;
    Ok(Layer {
        schedule_id: schedule,
        name,
        precedence,
        rotation: input.rotation,
        rotation_length: length,
        rrule: if input.rotation == RotationKind::Custom { input.rrule.trim().to_string() } else { String::new() },
        starts_local,
        ends_local,
        responders,
        restrict_days: input.restrict_days,
        window_from,
        window_to,
        created_at: now,
        updated_at: now,
        ..Layer::default()
    })
}

async fn check_users(conn: &mut Conn, field: &str, users: &[UserId]) -> Result<()> {
    let mut c = Checker::new();
    for u in users {
        if yunwei_store::admin::get_user(&mut *conn, *u).await?.is_none_or(|u| u.disabled) {
            c.push(FieldError::new(field, "not_found").with("id", u.0));
        }
    }
    let mut seen = users.to_vec();
    seen.sort();
    seen.dedup();
    if seen.len() != users.len() {
        c.push(FieldError::new(field, "duplicate"));
    }
    if users.len() > MAX_MEMBERS {
        c.push(FieldError::new(field, "too_long").with("max", MAX_MEMBERS as i64));
    }
    c.finish()?;
    Ok(())
}

/// Adds a layer (and its first members, on from the layer's start).
pub async fn add_layer(core: &Core, ctx: &Ctx, id: DutyScheduleId, input: LayerInput) -> Result<ScheduleView> {
    let mut tx = core.db.begin().await?;
    let s = authorize_schedule_change(&mut tx, ctx, id).await?;
    let existing = store::load(&mut tx, id, core.now_ms()).await?.map(|l| l.layers).unwrap_or_default();
    if existing.len() >= MAX_LAYERS {
        return Err(yunwei_domain::DomainError::Validation(vec![FieldError::new("name", "too_many").with("max", MAX_LAYERS as i64)]).into());
    }
    let top = existing.iter().map(|l| l.precedence).max().unwrap_or(0);
    let mut layer = check_layer(&input, id, input.precedence.unwrap_or(top + 1), core.now_ms())?;
    check_users(&mut tx, "members", &input.members).await?;
    layer.id = store::insert_layer(&mut tx, &layer).await?;
    let tz = jiff::tz::TimeZone::get(&s.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let joined = layer.starts_local.parse::<jiff::civil::DateTime>().map(|dt| oncall_start(dt, &tz)).unwrap_or(0);
    for (n, u) in input.members.iter().enumerate() {
        let m = Member { layer_id: layer.id, user_id: *u, turn_order: n as i64 + 1, joined_at: joined, ..Member::default() };
        store::insert_member(&mut tx, &m).await?;
    }
    touch(core, &mut tx, &s).await?;
    audit::write(
        core,
        &mut tx,
        ctx,
        Change::new("duty_layer", layer.id, "create").after(&serde_json::json!({ "layer": layer, "members": input.members })),
    )
    .await?;
    let v = load_view(core, &mut tx, id).await?;
    core.commit(tx).await?;
    super::cache::written(core, v.schedule.id);
    Ok(v)
}

fn oncall_start(dt: jiff::civil::DateTime, tz: &jiff::tz::TimeZone) -> i64 {
    tz.to_ambiguous_timestamp(dt).compatible().map(|t| t.as_millisecond()).unwrap_or(0)
}

async fn authorize_layer_change(conn: &mut Conn, ctx: &Ctx, layer: DutyLayerId) -> Result<(Schedule, Layer)> {
    ctx.authorize(ObjectType::Duty, Action::Update)?;
    let l = store::get_layer(&mut *conn, layer).await?.ok_or(CoreError::NotFound("duty_layer"))?;
    let s = authorize_schedule_change(conn, ctx, l.schedule_id).await?;
    Ok((s, l))
}

/// Changes a layer's rotation, times or restriction (members are changed one by one).
pub async fn update_layer(core: &Core, ctx: &Ctx, layer: DutyLayerId, input: LayerInput) -> Result<ScheduleView> {
    let mut tx = core.db.begin().await?;
    let (s, before) = authorize_layer_change(&mut tx, ctx, layer).await?;
    let mut after = check_layer(&input, s.id, input.precedence.unwrap_or(before.precedence), before.created_at)?;
    after.id = before.id;
    after.updated_at = core.now_ms();
    store::update_layer(&mut tx, &after).await?;
    touch(core, &mut tx, &s).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_layer", layer, "update").before(&before).after(&after)).await?;
    let v = load_view(core, &mut tx, s.id).await?;
    core.commit(tx).await?;
    super::cache::written(core, v.schedule.id);
    Ok(v)
}

/// Adds a member at the end of the turn order, on from the next handoff.
pub async fn add_member(core: &Core, ctx: &Ctx, layer: DutyLayerId, user: UserId) -> Result<ScheduleView> {
    let mut tx = core.db.begin().await?;
    let (s, l) = authorize_layer_change(&mut tx, ctx, layer).await?;
    check_users(&mut tx, "user_id", &[user]).await?;
    let loaded = store::load(&mut tx, s.id, core.now_ms()).await?.unwrap_or_default();
    let current: Vec<&Member> = loaded.members.iter().filter(|m| m.layer_id == layer && m.left_at.is_none()).collect();
    if current.iter().any(|m| m.user_id == user) {
        return Err(CoreError::Conflict("duty_member_already"));
    }
    if current.len() >= MAX_MEMBERS {
        return Err(
            yunwei_domain::DomainError::Validation(vec![FieldError::new("user_id", "too_many").with("max", MAX_MEMBERS as i64)]).into()
        );
    }
    let last = loaded.members.iter().filter(|m| m.layer_id == layer).map(|m| m.turn_order).max().unwrap_or(0);
    let m = Member { layer_id: l.id, user_id: user, turn_order: last + 1, joined_at: core.now_ms(), ..Member::default() };
    store::insert_member(&mut tx, &m).await?;
    touch(core, &mut tx, &s).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_layer", layer, "member_add").after(&m)).await?;
    let v = load_view(core, &mut tx, s.id).await?;
    core.commit(tx).await?;
    super::cache::written(core, v.schedule.id);
    Ok(v)
}

/// Ends a membership now; the member finishes the shift in progress.
pub async fn remove_member(core: &Core, ctx: &Ctx, layer: DutyLayerId, user: UserId) -> Result<ScheduleView> {
    let mut tx = core.db.begin().await?;
    let (s, _) = authorize_layer_change(&mut tx, ctx, layer).await?;
    if store::end_member(&mut tx, layer, user, core.now_ms()).await? == 0 {
        return Err(CoreError::NotFound("duty_member"));
    }
    touch(core, &mut tx, &s).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_layer", layer, "member_remove").before(&serde_json::json!({ "user_id": user })))
        .await?;
    let v = load_view(core, &mut tx, s.id).await?;
    core.commit(tx).await?;
    super::cache::written(core, v.schedule.id);
    Ok(v)
}

pub async fn add_override(core: &Core, ctx: &Ctx, id: DutyScheduleId, input: OverrideInput) -> Result<ScheduleView> {
    let mut tx = core.db.begin().await?;
    let s = authorize_schedule_change(&mut tx, ctx, id).await?;
    let mut c = Checker::new();
    let reason = c.text("reason", &input.reason, 500);
    if input.ends_at <= input.starts_at {
        c.push(FieldError::new("ends_at", "before_start"));
    }
    if input.ends_at - input.starts_at > 31 * 86_400_000 {
        c.push(FieldError::new("ends_at", "too_long").with("max_days", 31));
    }
    if input.replaces_user_id == Some(input.user_id) {
        c.push(FieldError::new("replaces_user_id", "same_person"));
    }
    c.finish()?;
    check_users(&mut tx, "user_id", &[input.user_id]).await?;
    let o = Override {
        schedule_id: id,
        user_id: input.user_id,
        replaces_user_id: input.replaces_user_id,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        reason,
        created_by: ctx.actor_id().map(UserId),
        created_at: core.now_ms(),
        ..Override::default()
    };
    let oid = store::insert_override(&mut tx, &o).await?;
    touch(core, &mut tx, &s).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_override", oid, "create").after(&o)).await?;
    let v = load_view(core, &mut tx, id).await?;
    core.commit(tx).await?;
    super::cache::written(core, v.schedule.id);
    Ok(v)
}

pub async fn delete_override(core: &Core, ctx: &Ctx, id: DutyOverrideId) -> Result<ScheduleView> {
    let mut tx = core.db.begin().await?;
    ctx.authorize(ObjectType::Duty, Action::Update)?;
    let o = store::get_override(&mut *tx, id).await?.ok_or(CoreError::NotFound("duty_override"))?;
    let s = authorize_schedule_change(&mut tx, ctx, o.schedule_id).await?;
    store::delete_override(&mut tx, id).await?;
    touch(core, &mut tx, &s).await?;
    audit::write(core, &mut tx, ctx, Change::new("duty_override", id, "delete").before(&o)).await?;
    let v = load_view(core, &mut tx, s.id).await?;
    core.commit(tx).await?;
    super::cache::written(core, v.schedule.id);
    Ok(v)
}
