//! On-call schedules (值班排班表): schedules, their layers, layer memberships (never
//! rewritten: leaving sets `left_at`) and overrides.

use crate::Result;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::duty::swap::SwapState;
use yunwei_domain::duty::{DayRestriction, RotationKind};
use yunwei_domain::ids::{CalendarId, DutyLayerId, DutyOverrideId, DutyScheduleId, DutySwapId, TeamId, UserId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Schedule in "duty_schedules" {
        pub id: DutyScheduleId,
        pub name: String,
        pub description: String,
        pub team_id: Option<TeamId>,
        pub time_zone: String,
        pub calendar_id: Option<CalendarId>,
        /// Swaps wait for a supervisor's approval.
        pub swap_needs_approval: bool,
        /// Least rest between two shifts of one person that a swap may leave.
        pub min_rest_hours: i64,
        pub created_by: Option<UserId>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Layer in "duty_layers" {
        pub id: DutyLayerId,
        pub schedule_id: DutyScheduleId,
        pub name: String,
        pub precedence: i64,
        pub rotation: RotationKind,
        pub rotation_length: i64,
        pub rrule: String,
        /// Local `YYYY-MM-DDTHH:MM` in the schedule's zone.
        pub starts_local: String,
        pub ends_local: Option<String>,
        pub responders: i64,
        pub restrict_days: DayRestriction,
        /// `HH:MM`.
        pub window_from: Option<String>,
        pub window_to: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Member in "duty_members" {
        pub id: i64,
        pub layer_id: DutyLayerId,
        pub user_id: UserId,
        pub turn_order: i64,
        pub joined_at: i64,
        pub left_at: Option<i64>,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Override in "duty_overrides" {
        pub id: DutyOverrideId,
        pub schedule_id: DutyScheduleId,
        pub user_id: UserId,
        pub replaces_user_id: Option<UserId>,
        pub starts_at: i64,
        pub ends_at: i64,
        pub reason: String,
        pub created_by: Option<UserId>,
        pub created_at: i64,
    }
}

/// A schedule with everything the shift maths needs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Loaded {
    pub schedule: Schedule,
    pub layers: Vec<Layer>,
    pub members: Vec<Member>,
    pub overrides: Vec<Override>,
}

pub async fn insert_schedule(conn: &mut AnyConnection, s: &Schedule) -> Result<DutyScheduleId> {
    Ok(DutyScheduleId(insert_returning_key(conn, s).await?))
}

pub async fn update_schedule(conn: &mut AnyConnection, s: &Schedule, expected_version: i64) -> Result<bool> {
    let cols =
        ["name", "description", "team_id", "time_zone", "calendar_id", "swap_needs_approval", "min_rest_hours", "updated_at", "version"];
    update_row(conn, s, &cols, Some(expected_version)).await
}

pub async fn insert_layer(conn: &mut AnyConnection, l: &Layer) -> Result<DutyLayerId> {
    Ok(DutyLayerId(insert_returning_key(conn, l).await?))
}

pub async fn update_layer(conn: &mut AnyConnection, l: &Layer) -> Result<bool> {
    let cols = [
        "name",
        "precedence",
        "rotation",
        "rotation_length",
        "rrule",
        "starts_local",
        "ends_local",
        "responders",
        "restrict_days",
        "window_from",
        "window_to",
        "updated_at",
    ];
    update_row(conn, l, &cols, None).await
}

pub async fn insert_member(conn: &mut AnyConnection, m: &Member) -> Result<i64> {
    insert_returning_key(conn, m).await
}

/// Ends a membership at `at` (the member stays on for the shift in progress: the maths
/// takes the change at the next handoff).
pub async fn end_member(conn: &mut AnyConnection, layer: DutyLayerId, user: UserId, at: i64) -> Result<u64> {
    let q = sqlx::query("UPDATE duty_members SET left_at = $1 WHERE layer_id = $2 AND user_id = $3 AND left_at IS NULL")
        .bind(at)
        .bind(layer.0)
        .bind(user.0);
    Ok(conn.execute(q).await?.rows_affected())
}

pub async fn insert_override(conn: &mut AnyConnection, o: &Override) -> Result<DutyOverrideId> {
    Ok(DutyOverrideId(insert_returning_key(conn, o).await?))
}

pub async fn delete_override(conn: &mut AnyConnection, id: DutyOverrideId) -> Result<bool> {
    Ok(conn.execute(sqlx::query("DELETE FROM duty_overrides WHERE id = $1").bind(id.0)).await?.rows_affected() == 1)
}

pub async fn get_override<'e, E: Executor<'e, Database = Any>>(ex: E, id: DutyOverrideId) -> Result<Option<Override>> {
    let row = sqlx::query("SELECT * FROM duty_overrides WHERE id = $1").bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(Override::from_row).transpose()
}

pub async fn get_schedule<'e, E: Executor<'e, Database = Any>>(ex: E, id: DutyScheduleId) -> Result<Option<Schedule>> {
    let row = sqlx::query("SELECT * FROM duty_schedules WHERE id = $1").bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(Schedule::from_row).transpose()
}

pub async fn get_layer<'e, E: Executor<'e, Database = Any>>(ex: E, id: DutyLayerId) -> Result<Option<Layer>> {
    let row = sqlx::query("SELECT * FROM duty_layers WHERE id = $1").bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(Layer::from_row).transpose()
}

pub async fn schedules<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<Schedule>> {
    let rows = sqlx::query("SELECT * FROM duty_schedules ORDER BY name, id").fetch_all(ex).await?;
    rows.iter().map(Schedule::from_row).collect()
}

/// The schedule, its layers (by precedence), every membership and the overrides ending after `since`.
pub async fn load(conn: &mut AnyConnection, id: DutyScheduleId, since: i64) -> Result<Option<Loaded>> {
    let Some(schedule) = get_schedule(&mut *conn, id).await? else { return Ok(None) };
    let layers = sqlx::query("SELECT * FROM duty_layers WHERE schedule_id = $1 ORDER BY precedence, id")
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(Layer::from_row)
        .collect::<Result<Vec<_>>>()?;
    let members = sqlx::query(
        "SELECT m.* FROM duty_members m JOIN duty_layers l ON l.id = m.layer_id WHERE l.schedule_id = $1 ORDER BY m.layer_id, m.turn_order, m.id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(Member::from_row)
    .collect::<Result<Vec<_>>>()?;
    let overrides = sqlx::query("SELECT * FROM duty_overrides WHERE schedule_id = $1 AND ends_at > $2 ORDER BY starts_at, id")
        .bind(id.0)
        .bind(since)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(Override::from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Loaded { schedule, layers, members, overrides }))
}

/// The schedules a user is a current member of, or has an override in, ending after `since`.
pub async fn schedules_of<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId, since: i64) -> Result<Vec<DutyScheduleId>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT l.schedule_id FROM duty_members m JOIN duty_layers l ON l.id = m.layer_id \
         WHERE m.user_id = $1 AND (m.left_at IS NULL OR m.left_at > $2) \
         UNION SELECT schedule_id FROM duty_overrides WHERE user_id = $1 AND ends_at > $2",
    )
    .bind(user.0)
    .bind(since)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|(id,)| DutyScheduleId(id)).collect())
}

/// Display names of the given users.
pub async fn user_names(conn: &mut AnyConnection, ids: &[UserId]) -> Result<Vec<(UserId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = crate::sql::Sql::new("SELECT id, display_name FROM users WHERE id IN (");
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(id.0);
    }
    sql.push(")");
    let rows = sql.fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok((UserId(crate::table::column::<i64>(r, "id")?), crate::table::column::<String>(r, "display_name")?))).collect()
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Swap in "duty_swaps" {
        pub id: DutySwapId,
        pub schedule_id: DutyScheduleId,
        pub requester_id: UserId,
        pub counterpart_id: UserId,
        pub starts_at: i64,
        pub ends_at: i64,
        pub return_starts_at: Option<i64>,
        pub return_ends_at: Option<i64>,
        pub reason: String,
        pub state: SwapState,
        pub needs_approval: bool,
        pub decided_by: Option<UserId>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

pub async fn insert_swap(conn: &mut AnyConnection, s: &Swap) -> Result<DutySwapId> {
    Ok(DutySwapId(insert_returning_key(conn, s).await?))
}

/// Writes the state and who decided if nobody changed the row since `expected_version`.
pub async fn update_swap(conn: &mut AnyConnection, s: &Swap, expected_version: i64) -> Result<bool> {
    update_row(conn, s, &["state", "decided_by", "updated_at", "version"], Some(expected_version)).await
}

pub async fn get_swap<'e, E: Executor<'e, Database = Any>>(ex: E, id: DutySwapId) -> Result<Option<Swap>> {
    let row = sqlx::query("SELECT * FROM duty_swaps WHERE id = $1").bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(Swap::from_row).transpose()
}

/// The schedule's swaps, newest first (at most 100).
pub async fn swaps<'e, E: Executor<'e, Database = Any>>(ex: E, schedule: DutyScheduleId) -> Result<Vec<Swap>> {
    let rows =
        sqlx::query("SELECT * FROM duty_swaps WHERE schedule_id = $1 ORDER BY id DESC LIMIT 100").bind(schedule.0).fetch_all(ex).await?;
    rows.iter().map(Swap::from_row).collect()
}

/// What a cached roster depends on, read in one query: the schedule's version (every write
/// to the schedule, its layers, members, overrides or swaps bumps it) and a stamp of the
/// business calendars (working-day layers follow them). `None`: the schedule is gone.
pub async fn stamp<'e, E: Executor<'e, Database = Any>>(ex: E, id: DutyScheduleId) -> Result<Option<(i64, i64, i64)>> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT s.version, (SELECT COALESCE(MAX(updated_at), 0) FROM calendars), (SELECT COUNT(*) FROM calendars) \
         FROM duty_schedules s WHERE s.id = $1",
    )
    .bind(id.0)
    .fetch_optional(ex)
    .await?;
    Ok(row)
}
