//! Business calendars and SLA policies. Both keep their rules as JSON text
//! (validated in core), so the tables stay the same as the rules grow.

use crate::Result;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{CalendarId, DepartmentId, ServiceId, SlaPolicyId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct CalendarRow in "calendars" {
        pub id: CalendarId,
        pub name: String,
        /// The English name; empty: English readers see `name`.
        pub name_en: String,
        /// JSON of `yunwei_calendar::CalendarSpec`.
        pub spec: String,
        pub is_default: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// A calendar's names: `name` (the one it is known by, unique) and the English one.
pub struct Names<'a> {
    pub name: &'a str,
    pub name_en: &'a str,
}

pub async fn insert_calendar(conn: &mut AnyConnection, name: Names<'_>, spec: &str, is_default: bool, now: i64) -> Result<CalendarId> {
    if is_default {
        sqlx::query("UPDATE calendars SET is_default = 0 WHERE is_default = 1").execute(&mut *conn).await?;
    }
    let row = calendar_row(CalendarId(0), name, spec, is_default, now);
    Ok(CalendarId(insert_returning_key(conn, &row).await?))
}

fn calendar_row(id: CalendarId, name: Names<'_>, spec: &str, is_default: bool, now: i64) -> CalendarRow {
    CalendarRow {
        id,
        name: name.name.to_string(),
        name_en: name.name_en.to_string(),
        spec: spec.to_string(),
        is_default,
        created_at: now,
        updated_at: now,
    }
}

pub async fn update_calendar(
    conn: &mut AnyConnection,
    id: CalendarId,
    name: Names<'_>,
    spec: &str,
    is_default: bool,
    now: i64,
) -> Result<bool> {
    if is_default {
        sqlx::query("UPDATE calendars SET is_default = 0 WHERE is_default = 1 AND id <> $1").bind(id.0).execute(&mut *conn).await?;
    }
    let row = calendar_row(id, name, spec, is_default, now);
    update_row(conn, &row, &["name", "name_en", "spec", "is_default", "updated_at"], None).await
}

pub async fn calendars<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<CalendarRow>> {
    sqlx::query("SELECT * FROM calendars ORDER BY name, id").fetch_all(ex).await?.iter().map(CalendarRow::from_row).collect()
}

pub async fn get_calendar<'e, E: Executor<'e, Database = Any>>(ex: E, id: CalendarId) -> Result<Option<CalendarRow>> {
    sqlx::query("SELECT * FROM calendars WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(CalendarRow::from_row)
        .transpose()
}

pub async fn delete_calendar(conn: &mut AnyConnection, id: CalendarId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM calendars WHERE id = $1").bind(id.0).execute(&mut *conn).await?.rows_affected() == 1)
}

/// The years an administrator confirmed as complete for a calendar, in order.
pub async fn confirmed_years<'e, E: Executor<'e, Database = Any>>(ex: E, id: CalendarId) -> Result<Vec<i16>> {
    let rows = sqlx::query("SELECT year FROM calendar_years WHERE calendar_id = $1 ORDER BY year").bind(id.0).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(i16::try_from(r.try_get::<i64, _>(0)?).unwrap_or_default())).collect()
}

/// Every calendar's confirmed years, for the list: `(calendar, year)` in order.
pub async fn all_confirmed_years<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<(CalendarId, i16)>> {
    let rows = sqlx::query("SELECT calendar_id, year FROM calendar_years ORDER BY calendar_id, year").fetch_all(ex).await?;
    rows.iter().map(|r| Ok((CalendarId(r.try_get(0)?), i16::try_from(r.try_get::<i64, _>(1)?).unwrap_or_default()))).collect()
}

/// Records that `year` of the calendar is complete; false when it already was.
pub async fn confirm_year(conn: &mut AnyConnection, id: CalendarId, year: i16, by: Option<i64>, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO calendar_years (calendar_id, year, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (calendar_id, year) DO NOTHING",
    )
    .bind(id.0)
    .bind(i64::from(year))
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws the confirmation; false when there was none.
pub async fn withdraw_year(conn: &mut AnyConnection, id: CalendarId, year: i16) -> Result<bool> {
    let done = sqlx::query("DELETE FROM calendar_years WHERE calendar_id = $1 AND year = $2")
        .bind(id.0)
        .bind(i64::from(year))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct PolicyRow in "sla_policies" {
        pub id: SlaPolicyId,
        pub name: String,
        /// The English name; empty: English readers see `name`.
        pub name_en: String,
        pub service_id: Option<ServiceId>,
        pub department_id: Option<DepartmentId>,
        pub calendar_id: Option<CalendarId>,
        /// Stored as JSON text.
        pub rules: yunwei_domain::sla::SlaRules,
        pub active: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub struct PolicyFields<'a> {
    pub name: &'a str,
    pub name_en: &'a str,
    pub service_id: Option<ServiceId>,
    pub department_id: Option<DepartmentId>,
    pub calendar_id: Option<CalendarId>,
    pub rules: &'a yunwei_domain::sla::SlaRules,
    pub active: bool,
}

impl PolicyFields<'_> {
    fn row(&self, id: SlaPolicyId, now: i64) -> PolicyRow {
        PolicyRow {
            id,
            name: self.name.to_string(),
            name_en: self.name_en.to_string(),
            service_id: self.service_id,
            department_id: self.department_id,
            calendar_id: self.calendar_id,
            rules: self.rules.clone(),
            active: self.active,
            created_at: now,
            updated_at: now,
        }
    }
}

pub async fn insert_policy(conn: &mut AnyConnection, f: &PolicyFields<'_>, now: i64) -> Result<SlaPolicyId> {
    Ok(SlaPolicyId(insert_returning_key(conn, &f.row(SlaPolicyId(0), now)).await?))
}

pub async fn update_policy(conn: &mut AnyConnection, id: SlaPolicyId, f: &PolicyFields<'_>, now: i64) -> Result<bool> {
    let cols = ["name", "name_en", "service_id", "department_id", "calendar_id", "rules", "active", "updated_at"];
    update_row(conn, &f.row(id, now), &cols, None).await
}

pub async fn policies<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<PolicyRow>> {
    sqlx::query("SELECT * FROM sla_policies ORDER BY name, id").fetch_all(ex).await?.iter().map(PolicyRow::from_row).collect()
}

pub async fn get_policy<'e, E: Executor<'e, Database = Any>>(ex: E, id: SlaPolicyId) -> Result<Option<PolicyRow>> {
    sqlx::query("SELECT * FROM sla_policies WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(PolicyRow::from_row)
        .transpose()
}

/// Open incidents under a policy or calendar, for the rebuild after either changes.
pub async fn open_incidents_under<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    policy: Option<SlaPolicyId>,
    calendar: Option<CalendarId>,
) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT i.id FROM incidents i LEFT JOIN sla_policies p ON p.id = i.sla_policy_id \
         WHERE i.state NOT IN ('resolved', 'closed') AND (i.sla_policy_id = $1 OR p.calendar_id = $2) ORDER BY i.id",
    )
    .bind(policy.map(|p| p.0))
    .bind(calendar.map(|c| c.0))
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
