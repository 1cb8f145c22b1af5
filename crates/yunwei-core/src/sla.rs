//! Service levels: business calendars, SLA policies, and the clocks on each
//! incident. Deadlines are stored on the ticket and recomputed in the same
//! transaction as every change that moves them; the timer (`run_sla_timer`)
//! fires warnings and breaches from the stored `sla_check_at`, so a restart
//! loses nothing.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use yunwei_calendar::sla::SlaClock;
use yunwei_calendar::{Calendar, CalendarSpec};
use yunwei_domain::FieldError;
use yunwei_domain::ids::{CalendarId, DepartmentId, ServiceId, SlaPolicyId};
use yunwei_domain::incident::{IncidentState, PendingReason, Priority};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::sla::{PolicyScope, SlaRules, SlaTarget, choose_policy};
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::sla::{self as store, CalendarRow, PolicyFields, PolicyRow};

// ---- calendars ----

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    pub name: String,
    /// The English name; absent or empty: English readers see `name`.
    #[serde(default)]
    pub name_en: String,
    pub spec: CalendarSpec,
    #[serde(default)]
    pub is_default: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalendarView {
    pub id: CalendarId,
    pub name: String,
    pub name_en: String,
    pub spec: CalendarSpec,
    pub is_default: bool,
    /// This year and next, where the calendar observes public holidays but the year is not
    /// known to be complete (neither confirmed nor holding the shipped notice): deadlines
    /// there may ignore holidays and make-up days until the whole notice is imported.
    pub missing_holiday_years: Vec<i16>,
    /// The years an administrator confirmed as complete.
    pub confirmed_years: Vec<i16>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn calendar_view(core: &Core, row: CalendarRow, confirmed_years: Vec<i16>) -> Result<CalendarView> {
    let spec: CalendarSpec = serde_json::from_str(&row.spec).map_err(|e| CoreError::Internal(format!("calendar {}: {e}", row.id)))?;
    let zone = jiff::tz::TimeZone::get(&spec.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let this_year = jiff::Timestamp::from_millisecond(core.now_ms()).unwrap_or_default().to_zoned(zone).year();
    Ok(CalendarView {
        id: row.id,
        name: row.name,
        name_en: row.name_en,
        missing_holiday_years: spec.years_incomplete([this_year, this_year + 1], &confirmed_years),
        confirmed_years,
        spec,
        is_default: row.is_default,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn vet_calendar(input: &CalendarInput) -> Result<(String, String)> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let name_en = c.optional_name("name_en", &input.name_en, 100);
    if !crate::is_known_time_zone(&input.spec.time_zone) {
        c.push(FieldError::new("spec.time_zone", "unknown_time_zone"));
    } else if let Err(e) = Calendar::new(&input.spec) {
        let code = match e {
            yunwei_calendar::CalendarError::NoWorkingTime => "no_working_time",
            yunwei_calendar::CalendarError::Overlap => "spans_overlap",
            yunwei_calendar::CalendarError::BadSpan => "bad_span",
            yunwei_calendar::CalendarError::UnknownTimeZone(_) => "unknown_time_zone",
        };
        c.push(FieldError::new("spec", code));
    }
    if input.spec.holidays.len() + input.spec.makeup_days.len() > 5000 {
        c.push(FieldError::new("spec", "too_long").with("max", 5000));
    }
    c.finish()?;
    Ok((name, name_en))
}

pub async fn list_calendars(core: &Core, ctx: &Ctx) -> Result<Vec<CalendarView>> {
    ctx.authorize(ObjectType::Sla, Action::Read)?;
    let confirmed = store::all_confirmed_years(&core.db.read).await?;
    let years = |id: CalendarId| confirmed.iter().filter(|(c, _)| *c == id).map(|(_, y)| *y).collect();
    store::calendars(&core.db.read)
        .await?
        .into_iter()
        .map(|row| {
            let confirmed = years(row.id);
            calendar_view(core, row, confirmed)
        })
        .collect()
}

/// A calendar as the connection sees it (inside a transaction: with its own changes).
async fn load_calendar(core: &Core, conn: &mut Conn, id: CalendarId) -> Result<CalendarView> {
    let row = store::get_calendar(&mut *conn, id).await?.ok_or(CoreError::NotFound("calendar"))?;
    let years = store::confirmed_years(&mut *conn, id).await?;
    calendar_view(core, row, years)
}

pub async fn get_calendar(core: &Core, ctx: &Ctx, id: CalendarId) -> Result<CalendarView> {
    ctx.authorize(ObjectType::Sla, Action::Read)?;
    let row = store::get_calendar(&core.db.read, id).await?.ok_or(CoreError::NotFound("calendar"))?;
    calendar_view(core, row, store::confirmed_years(&core.db.read, id).await?)
}

pub async fn create_calendar(core: &Core, ctx: &Ctx, input: CalendarInput) -> Result<CalendarView> {
    ctx.authorize(ObjectType::Sla, Action::Create)?;
    let (name, name_en) = vet_calendar(&input)?;
    let spec = serde_json::to_string(&input.spec).map_err(|e| CoreError::Internal(e.to_string()))?;
    let mut tx = core.db.begin().await?;
    let id = store::insert_calendar(&mut tx, store::Names { name: &name, name_en: &name_en }, &spec, input.is_default, core.now_ms())
        .await
        .map_err(CoreError::unique_as("calendar_name_taken"))?;
    let view = load_calendar(core, &mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("calendar", id, "create").after(&view)).await?;
    core.commit(tx).await?;
    core.config_cache.clear();
    Ok(view)
}

pub async fn update_calendar(core: &Core, ctx: &Ctx, id: CalendarId, input: CalendarInput) -> Result<CalendarView> {
    ctx.authorize(ObjectType::Sla, Action::Update)?;
    let (name, name_en) = vet_calendar(&input)?;
    let spec = serde_json::to_string(&input.spec).map_err(|e| CoreError::Internal(e.to_string()))?;
    let mut tx = core.db.begin().await?;
    let before = load_calendar(core, &mut tx, id).await?;
    store::update_calendar(&mut tx, id, store::Names { name: &name, name_en: &name_en }, &spec, input.is_default, core.now_ms())
        .await
        .map_err(CoreError::unique_as("calendar_name_taken"))?;
    let after = load_calendar(core, &mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("calendar", id, "update").before(&before).after(&after)).await?;
    schedule_rebuild(&mut tx, core, None, Some(id)).await?;
    core.commit(tx).await?;
    core.config_cache.clear();
    Ok(after)
}

pub async fn delete_calendar(core: &Core, ctx: &Ctx, id: CalendarId) -> Result<()> {
    ctx.authorize(ObjectType::Sla, Action::Delete)?;
    let mut tx = core.db.begin().await?;
    let before = load_calendar(core, &mut tx, id).await?;
    store::delete_calendar(&mut tx, id)
        .await
        .map_err(|e| if e.is_foreign_key_violation() { CoreError::Conflict("calendar_in_use") } else { e.into() })?;
    audit::write(core, &mut tx, ctx, Change::new("calendar", id, "delete").before(&before)).await?;
    core.commit(tx).await?;
    core.config_cache.clear();
    Ok(())
}

/// File formats for holidays and make-up working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DaysFormat {
    Ics,
    Csv,
}

/// What a pasted or uploaded day list looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Nothing but white space, a byte-order mark or comment lines.
    Empty,
    /// Neither an iCalendar file nor a `date,kind,name` CSV.
    Unknown,
    Format(DaysFormat),
}

impl DaysFormat {
    /// The format the text is in: iCalendar starts with `BEGIN:VCALENDAR`; our CSV's
    /// first line that is not a comment is its `date,kind,name` header or a dated row.
    pub fn sniff(text: &str) -> Sniffed {
        let mut lines = text.trim_start_matches('\u{feff}').lines().map(str::trim).filter(|l| !l.is_empty());
        let Some(first) = lines.clone().next() else { return Sniffed::Empty };
        if first.len() >= 15 && first.is_char_boundary(15) && first[..15].eq_ignore_ascii_case("BEGIN:VCALENDAR") {
            return Sniffed::Format(DaysFormat::Ics);
        }
        let Some(first) = lines.find(|l| !l.starts_with('#')) else { return Sniffed::Empty };
        let head = first.trim_start_matches('"').to_ascii_lowercase();
        let dated = first.len() >= 10 && first.as_bytes()[..4].iter().all(u8::is_ascii_digit) && first.as_bytes()[4] == b'-';
        if head.starts_with("date") || dated { Sniffed::Format(DaysFormat::Csv) } else { Sniffed::Unknown }
    }

    /// How the format is named to people (the same in both languages).
    pub fn label(self) -> &'static str {
        match self {
            DaysFormat::Ics => "iCalendar",
            DaysFormat::Csv => "CSV",
        }
    }
}

/// The calendar's holidays and make-up working days as iCalendar or CSV text.
pub async fn export_days(core: &Core, ctx: &Ctx, id: CalendarId, format: DaysFormat) -> Result<(String, String)> {
    ctx.authorize(ObjectType::Sla, Action::Export)?;
    let cal = get_calendar(core, ctx, id).await?;
    let text = match format {
        DaysFormat::Ics => yunwei_calendar::ics::export_ics(
            &cal.spec,
            &cal.name,
            Timestamp::from_millisecond(cal.updated_at).unwrap_or(Timestamp::UNIX_EPOCH),
        ),
        // Excel opens UTF-8 CSV correctly only with a byte-order mark.
        DaysFormat::Csv => format!("{}{}", yunwei_calendar::csv::UTF8_BOM, yunwei_calendar::csv::export_csv(&cal.spec)),
    };
    let mut tx = core.db.begin().await?;
    audit::write(core, &mut tx, ctx, Change::new("calendar", id, "export").after(&serde_json::json!({ "format": format }))).await?;
    core.commit(tx).await?;
    Ok((text, cal.name))
}

/// Imports holidays and make-up working days into a calendar. With `replace`, the
/// calendar's listed days become exactly the file's; otherwise they are merged (the file wins).
/// The file may be UTF-8 or, as Excel on a Chinese Windows saves "CSV", GB18030/GBK.
pub async fn import_days(core: &Core, ctx: &Ctx, id: CalendarId, format: DaysFormat, bytes: &[u8], replace: bool) -> Result<CalendarView> {
    ctx.authorize(ObjectType::Sla, Action::Update)?;
    let (text, _) = yunwei_sheet::decode_text(bytes);
    let text = text.as_str();
    let refuse = |e: FieldError| CoreError::from(yunwei_domain::DomainError::Validation(vec![e]));
    // The text says what it is: a file chosen with the wrong format (or pasted without
    // changing the default) is read as what it is instead of yielding nothing.
    let format = match DaysFormat::sniff(text) {
        Sniffed::Empty => return Err(refuse(FieldError::new("body", "import_empty"))),
        Sniffed::Unknown => return Err(refuse(FieldError::new("body", "import_unknown_format").with("format", format.label()))),
        Sniffed::Format(found) => found,
    };
    let imported = match format {
        DaysFormat::Ics => yunwei_calendar::ics::import_ics(text),
        DaysFormat::Csv => yunwei_calendar::csv::import_csv(text),
    }
    .map_err(|e| yunwei_domain::DomainError::Validation(vec![FieldError::new("body", e.reason.code()).with("line", e.line)]))?;
    // Zero days is never a success: the administrator would believe the year is in.
    if imported.is_empty() {
        return Err(refuse(FieldError::new("body", "import_no_days").with("format", format.label())));
    }
    let current = get_calendar(core, ctx, id).await?;
    let mut spec = current.spec.clone();
    if replace {
        spec.holidays.clear();
        spec.makeup_days.clear();
        spec.day_names.clear();
    }
    imported.apply_to(&mut spec);
    update_calendar(core, ctx, id, CalendarInput { name: current.name, name_en: current.name_en, spec, is_default: current.is_default })
        .await
}

/// The years an administrator may confirm: a notice is published for one year at a time.
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

/// Records that the calendar holds the whole State Council notice for `year` (every holiday
/// and make-up working day), so the year is no longer shown as missing. Audited: who said
/// the year is complete, and when.
pub async fn confirm_year(core: &Core, ctx: &Ctx, id: CalendarId, year: i16) -> Result<CalendarView> {
    ctx.authorize(ObjectType::Sla, Action::Update)?;
    mark_year(core, ctx, id, year, true).await
}

/// Withdraws a confirmation (the year turns out to be incomplete); audited.
pub async fn withdraw_year(core: &Core, ctx: &Ctx, id: CalendarId, year: i16) -> Result<CalendarView> {
    ctx.authorize(ObjectType::Sla, Action::Update)?;
    mark_year(core, ctx, id, year, false).await
}

/// The caller is checked by `confirm_year` and `withdraw_year`.
async fn mark_year(core: &Core, ctx: &Ctx, id: CalendarId, year: i16, complete: bool) -> Result<CalendarView> {
    if !YEARS.contains(&year) {
        let e = FieldError::new("year", "out_of_range").with("min", YEARS.start()).with("max", YEARS.end());
        return Err(yunwei_domain::DomainError::Validation(vec![e]).into());
    }
    let mut tx = core.db.begin().await?;
    load_calendar(core, &mut tx, id).await?;
    let changed = if complete {
        store::confirm_year(&mut tx, id, year, ctx.actor_id(), core.now_ms()).await?
    } else {
        store::withdraw_year(&mut tx, id, year).await?
    };
    let view = load_calendar(core, &mut tx, id).await?;
    // Saying it twice changes nothing and is not recorded twice.
    if changed {
        let action = if complete { "confirm_year" } else { "withdraw_year" };
        audit::write(core, &mut tx, ctx, Change::new("calendar", id, action).after(&serde_json::json!({ "year": year }))).await?;
        core.commit(tx).await?;
        core.config_cache.clear();
    }
    Ok(view)
}

// ---- policies ----

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    pub name: String,
    /// The English name; absent or empty: English readers see `name`.
    #[serde(default)]
    pub name_en: String,
    pub service_id: Option<ServiceId>,
    pub department_id: Option<DepartmentId>,
    /// Absent: targets run 24×7.
    pub calendar_id: Option<CalendarId>,
    pub rules: SlaRules,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A policy as clients see it: the stored row, its rules typed (the store reads and writes
/// them as JSON text).
pub type PolicyView = PolicyRow;

/// The row to write from an input and its checked name and English name.
fn policy_fields<'a>(input: &'a PolicyInput, (name, name_en): &'a (String, String)) -> PolicyFields<'a> {
    PolicyFields {
        name,
        name_en,
        service_id: input.service_id,
        department_id: input.department_id,
        calendar_id: input.calendar_id,
        rules: &input.rules,
        active: input.active,
    }
}

async fn vet_policy(core: &Core, input: &PolicyInput) -> Result<(String, String)> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let name_en = c.optional_name("name_en", &input.name_en, 100);
    if let Err(yunwei_domain::DomainError::Validation(errors)) = input.rules.validate() {
        for e in errors {
            c.push(FieldError { field: format!("rules.{}", e.field), ..e });
        }
    }
    if let Some(s) = input.service_id
        && yunwei_store::service::get(&core.db.read, s).await?.is_none()
    {
        c.push(FieldError::new("service_id", "not_found"));
    }
    if let Some(d) = input.department_id
        && yunwei_store::admin::get_department(&core.db.read, d).await?.is_none()
    {
        c.push(FieldError::new("department_id", "not_found"));
    }
    if let Some(cal) = input.calendar_id
        && store::get_calendar(&core.db.read, cal).await?.is_none()
    {
        c.push(FieldError::new("calendar_id", "not_found"));
    }
    c.finish()?;
    Ok((name, name_en))
}

pub async fn list_policies(core: &Core, ctx: &Ctx) -> Result<Vec<PolicyView>> {
    ctx.authorize(ObjectType::Sla, Action::Read)?;
    Ok(store::policies(&core.db.read).await?)
}

pub async fn get_policy(core: &Core, ctx: &Ctx, id: SlaPolicyId) -> Result<PolicyView> {
    ctx.authorize(ObjectType::Sla, Action::Read)?;
    store::get_policy(&core.db.read, id).await?.ok_or(CoreError::NotFound("sla_policy"))
}

pub async fn create_policy(core: &Core, ctx: &Ctx, input: PolicyInput) -> Result<PolicyView> {
    ctx.authorize(ObjectType::Sla, Action::Create)?;
    let vetted = vet_policy(core, &input).await?;
    let fields = policy_fields(&input, &vetted);
    let mut tx = core.db.begin().await?;
    let id = store::insert_policy(&mut tx, &fields, core.now_ms()).await.map_err(CoreError::unique_as("sla_policy_name_taken"))?;
    let view = store::get_policy(&mut *tx, id).await?.ok_or(CoreError::NotFound("sla_policy"))?;
    audit::write(core, &mut tx, ctx, Change::new("sla_policy", id, "create").after(&view)).await?;
    core.commit(tx).await?;
    core.config_cache.clear();
    Ok(view)
}

pub async fn update_policy(core: &Core, ctx: &Ctx, id: SlaPolicyId, input: PolicyInput) -> Result<PolicyView> {
    ctx.authorize(ObjectType::Sla, Action::Update)?;
    let vetted = vet_policy(core, &input).await?;
    let fields = policy_fields(&input, &vetted);
    let mut tx = core.db.begin().await?;
    let before = store::get_policy(&mut *tx, id).await?.ok_or(CoreError::NotFound("sla_policy"))?;
    store::update_policy(&mut tx, id, &fields, core.now_ms()).await.map_err(CoreError::unique_as("sla_policy_name_taken"))?;
    let after = store::get_policy(&mut *tx, id).await?.ok_or(CoreError::NotFound("sla_policy"))?;
    audit::write(core, &mut tx, ctx, Change::new("sla_policy", id, "update").before(&before).after(&after)).await?;
    schedule_rebuild(&mut tx, core, Some(id), before.calendar_id.or(after.calendar_id)).await?;
    core.commit(tx).await?;
    core.config_cache.clear();
    Ok(after)
}

/// A durable job recomputes the deadlines of open incidents after a policy or calendar changed.
async fn schedule_rebuild(tx: &mut Conn, core: &Core, policy: Option<SlaPolicyId>, calendar: Option<CalendarId>) -> Result<()> {
    let payload = serde_json::json!({ "policy_id": policy, "calendar_id": calendar });
    let now = core.now_ms();
    yunwei_store::jobs::schedule(tx, "sla.rebuild", None, &payload, now, None, now).await?;
    Ok(())
}

// ---- the clocks on a ticket ----

/// Both clocks of a ticket and how far their warnings have gone (percent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlaState {
    pub response: Option<SlaClock>,
    pub resolution: Option<SlaClock>,
    #[serde(default)]
    pub response_warned: u8,
    #[serde(default)]
    pub resolution_warned: u8,
}

/// The policy and calendar that govern a ticket, ready to compute with.
#[derive(Clone)]
pub struct Governing {
    pub policy_id: SlaPolicyId,
    pub rules: SlaRules,
    pub calendar: Arc<Calendar>,
}

/// The best active policy for a ticket's service and department, if any.
pub async fn governing_for(
    core: &Core,
    conn: &mut Conn,
    service: Option<ServiceId>,
    department: Option<DepartmentId>,
) -> Result<Option<Governing>> {
    let all = policies_cached(core, conn).await?;
    let rows: Vec<&PolicyRow> = all.iter().filter(|p| p.active).collect();
    let scopes: Vec<(i64, PolicyScope)> = rows
        .iter()
        .map(|p| (p.id.0, PolicyScope { service_id: p.service_id.map(|s| s.0), department_id: p.department_id.map(|d| d.0) }))
        .collect();
    let ticket = PolicyScope { service_id: service.map(|s| s.0), department_id: department.map(|d| d.0) };
    let Some(id) = choose_policy(&scopes, ticket) else { return Ok(None) };
    let Some(row) = rows.into_iter().find(|p| p.id.0 == id) else { return Ok(None) };
    governing_from(core, conn, row.clone()).await.map(Some)
}

pub async fn governing_by_id(core: &Core, conn: &mut Conn, id: SlaPolicyId) -> Result<Option<Governing>> {
    match policies_cached(core, conn).await?.iter().find(|p| p.id == id) {
        Some(row) => governing_from(core, conn, row.clone()).await.map(Some),
        None => Ok(None),
    }
}

/// Every policy (active or not), from the configuration cache.
async fn policies_cached(core: &Core, conn: &mut Conn) -> Result<Arc<Vec<PolicyRow>>> {
    if let Some(p) = core.config_cache.policies() {
        return Ok(p);
    }
    let all = Arc::new(store::policies(&mut *conn).await?);
    core.config_cache.put_policies(all.clone());
    Ok(all)
}

async fn governing_from(core: &Core, conn: &mut Conn, view: PolicyRow) -> Result<Governing> {
    let calendar = match view.calendar_id {
        Some(id) => match core.config_cache.calendar(id) {
            Some(c) => c,
            None => {
                let cal =
                    calendar_view(core, store::get_calendar(&mut *conn, id).await?.ok_or(CoreError::NotFound("calendar"))?, Vec::new())?;
                let built = Arc::new(Calendar::new(&cal.spec).map_err(|e| CoreError::Internal(format!("calendar {id}: {e}")))?);
                core.config_cache.put_calendar(id, built.clone());
                built
            }
        },
        None => Arc::new(Calendar::always()),
    };
    Ok(Governing { policy_id: view.id, rules: view.rules, calendar })
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// What the clocks must do given where the ticket is now. Pure apart from the calendar.
pub fn settle(g: &Governing, state: &mut SlaState, s: TicketNow, now_ms: i64) {
    let now = ts(now_ms);
    let cal = &g.calendar;
    if state.response.is_none() {
        state.response = Some(SlaClock::start(g.rules.target_secs(s.priority, SlaTarget::Response), now));
    }
    if state.resolution.is_none() {
        state.resolution = Some(SlaClock::start(g.rules.target_secs(s.priority, SlaTarget::Resolution), now));
    }
    let paused = s.state == IncidentState::Pending && g.rules.pauses(s.pending_reason);
    let finished = !s.state.is_open();
    for (which, clock) in [(SlaTarget::Response, &mut state.response), (SlaTarget::Resolution, &mut state.resolution)] {
        let Some(clock) = clock.as_mut() else { continue };
        clock.retarget(g.rules.target_secs(s.priority, which));
        let stopped = finished || paused || (which == SlaTarget::Response && s.responded);
        if stopped {
            clock.pause(cal, now);
        } else {
            clock.resume(now);
        }
    }
}

/// Where a ticket stands, as the clocks need to know it.
#[derive(Debug, Clone, Copy)]
pub struct TicketNow {
    pub state: IncidentState,
    pub pending_reason: Option<PendingReason>,
    pub priority: Priority,
    pub responded: bool,
    pub response_breached: bool,
    pub resolve_breached: bool,
}

/// Writes the incident's SLA columns from its clocks: the policy, the clocks as JSON, the
/// deadlines and the next instant the timer must look (the next warning or breach).
pub fn set_columns(g: &Governing, state: &SlaState, s: TicketNow, i: &mut yunwei_store::incident::Incident) {
    let cal = &g.calendar;
    let next = |clock: Option<&SlaClock>, warned: u8, breached: bool| -> Option<i64> {
        let clock = clock?;
        if breached {
            return None;
        }
        let warn = g.rules.warn_at.iter().find(|p| **p > warned).and_then(|p| clock.due_at_fraction(cal, f64::from(*p) / 100.0));
        warn.or_else(|| clock.deadline(cal)).map(ms)
    };
    let response_next = if s.responded { None } else { next(state.response.as_ref(), state.response_warned, s.response_breached) };
    let resolution_next = next(state.resolution.as_ref(), state.resolution_warned, s.resolve_breached);
    i.sla_policy_id = Some(g.policy_id);
    i.sla = serde_json::to_string(state).ok();
    i.response_due_at = if s.responded { None } else { state.response.as_ref().and_then(|c| c.deadline(cal)).map(ms) };
    i.resolve_due_at = state.resolution.as_ref().and_then(|c| c.deadline(cal)).map(ms);
    i.sla_check_at = [response_next, resolution_next].into_iter().flatten().min();
}

/// Business seconds left on each clock (negative once breached), for the ticket page.
pub fn remaining(g: &Governing, state: &SlaState, now_ms: i64) -> (Option<i64>, Option<i64>) {
    let now = ts(now_ms);
    (state.response.map(|c| c.remaining_at(&g.calendar, now)), state.resolution.map(|c| c.remaining_at(&g.calendar, now)))
}

/// What the timer found on one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firing {
    Warning { target: SlaTarget, percent: u8 },
    Breach { target: SlaTarget },
}

/// Warnings and breaches due at `now` that have not fired yet; marks them fired in `state`.
pub fn due_firings(g: &Governing, state: &mut SlaState, s: TicketNow, now_ms: i64) -> Vec<Firing> {
    let now = ts(now_ms);
    let cal = &g.calendar;
    let mut out = Vec::new();
    let clocks = [
        (SlaTarget::Response, state.response, &mut state.response_warned, s.response_breached || s.responded),
        (SlaTarget::Resolution, state.resolution, &mut state.resolution_warned, s.resolve_breached),
    ];
    for (target, clock, warned, done) in clocks {
        let Some(clock) = clock else { continue };
        if done {
            continue;
        }
        let used = clock.consumed_at(cal, now);
        if clock.target_secs > 0 && used >= clock.target_secs {
            out.push(Firing::Breach { target });
            continue;
        }
        let percent = if clock.target_secs > 0 { (used * 100 / clock.target_secs).clamp(0, 100) } else { 100 };
        if let Some(p) = g.rules.warn_at.iter().rev().find(|p| i64::from(**p) <= percent && **p > *warned) {
            *warned = *p;
            out.push(Firing::Warning { target, percent: *p });
        }
    }
    out
}

/// Marks a missed target on the incident row.
pub fn record_breach(i: &mut yunwei_store::incident::Incident, target: SlaTarget) {
    match target {
        SlaTarget::Response => i.response_breached = true,
        SlaTarget::Resolution => i.resolve_breached = true,
    }
}

// ---- the timer ----

/// Fires due SLA warnings and breaches about once a second (well inside the 5 s promise).
pub async fn run_sla_timer(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let busy = match crate::incident::fire_due_slas(&core).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "sla timer round failed");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(1000)) => {}
                _ = shutdown.changed() => {}
            }
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
