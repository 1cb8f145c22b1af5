//! One business calendar as a year view: twelve month grids with the public holidays and
//! make-up working days marked and named, whether the year's notice is complete, and the
//! administrator's confirmation that it is (a year with one imported day is not complete).

use super::widgets::{DayCell, MonthGrid, YearView};
use super::{Button, Cell, NavItem, Section, TableSection, local_name, page, redirect};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use yunwei_core::sla::{self, CalendarView};
use yunwei_domain::ids::CalendarId;
use yunwei_domain::permission::{Action, ObjectType};

const ACTIVE: &str = "/admin/sla";

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<i16>,
    ok: Option<String>,
}

/// What a day is in the calendar: its CSS class and name.
fn day_kind(c: &CalendarView, d: Date) -> (&'static str, String) {
    let name = c.spec.day_names.get(&d).cloned().unwrap_or_default();
    if c.spec.holidays.contains(&d) {
        ("off", name)
    } else if c.spec.makeup_days.contains(&d) {
        ("work", name)
    } else if c.spec.week[usize::from(d.weekday().to_monday_zero_offset().unsigned_abs())].is_empty() {
        ("weekend", name)
    } else {
        ("", name)
    }
}

fn day_text(tr: Tr, d: Date) -> String {
    tr.with("calendar.day", &[("month".into(), tr.t(&format!("calendar.month.{}", d.month()))), ("day".into(), d.day().to_string())])
}

fn year_view(tr: Tr, c: &CalendarView, year: i16, today: Date) -> Option<YearView> {
    let mut months = Vec::with_capacity(12);
    for m in 1..=12 {
        let first = Date::new(year, m, 1).ok()?;
        let mut week: Vec<DayCell> = (0..first.weekday().to_monday_zero_offset()).map(|_| blank()).collect();
        let mut weeks = Vec::new();
        for d in first.series(jiff::Span::new().days(1)).take_while(|d| d.month() == m) {
            let (mut class, title) = day_kind(c, d);
            if d == today && class.is_empty() {
                class = "today";
            }
            week.push(DayCell { day: u8::try_from(d.day()).unwrap_or_default(), class, title });
            if d.weekday() == Weekday::Sunday {
                weeks.push(std::mem::take(&mut week));
            }
        }
        if !week.is_empty() {
            week.resize_with(7, blank);
            weeks.push(week);
        }
        months.push(MonthGrid { title: tr.t(&format!("calendar.month.{m}")), weeks });
    }
    let weekdays = (1..=7).map(|w| tr.t(&format!("calendar.weekday.{w}"))).collect();
    let legend = ["off", "work", "weekend", "today"].iter().map(|k| (k.to_string(), tr.t(&format!("calendar.legend.{k}")))).collect();
    Some(YearView { weekdays, months, legend })
}

fn blank() -> DayCell {
    DayCell { day: 0, class: "", title: String::new() }
}

/// The year's named days as runs ("春节 2月15日–2月23日, 9 天"), in order.
fn runs(tr: Tr, c: &CalendarView, year: i16) -> Vec<Vec<Cell>> {
    let days: Vec<(Date, &'static str, String)> = c
        .spec
        .holidays
        .iter()
        .chain(c.spec.makeup_days.iter())
        .filter(|d| d.year() == year)
        .map(|d| {
            let (class, name) = day_kind(c, *d);
            (*d, class, name)
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut rows: Vec<(Date, Date, &'static str, String)> = Vec::new();
    for (d, class, name) in days {
        match rows.last_mut() {
            Some(last) if last.2 == class && last.3 == name && last.1.tomorrow().ok() == Some(d) => last.1 = d,
            _ => rows.push((d, d, class, name)),
        }
    }
    rows.into_iter()
        .map(|(from, to, class, name)| {
            let when = if from == to { day_text(tr, from) } else { format!("{}–{}", day_text(tr, from), day_text(tr, to)) };
            let count = (to - from).get_days() + 1;
            let kind = if class == "off" { tr.t("calendar.legend.off") } else { tr.t("calendar.legend.work") };
            vec![
                Cell::text(when),
                Cell::text(if name.is_empty() { "—".to_string() } else { name }),
                Cell::badge(kind, if class == "off" { "bad" } else { "new" }),
                Cell::text(tr.with("calendar.days", &[("count".into(), count.to_string())])),
            ]
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let c = sla::get_calendar(&state.core, &caller.ctx, CalendarId(id)).await?;
    let zone = jiff::tz::TimeZone::get(&c.spec.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::from_millisecond(state.core.now_ms()).unwrap_or_default().to_zoned(zone).date();
    let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or(today.year());
    let name = local_name(tr, &c.name, &c.name_en);

    // The years worth picking: last year to next year, and every year with listed days.
    let mut years: std::collections::BTreeSet<i16> = (today.year() - 1..=today.year() + 1).collect();
    years.extend(c.spec.holidays.iter().chain(c.spec.makeup_days.iter()).map(|d| d.year()));
    years.insert(year);
    let tabs = years
        .iter()
        .map(|y| NavItem {
            href: format!("/admin/sla/calendars/{id}?year={y}"),
            label: tr.with("calendar.year", &[("year".into(), y.to_string())]),
            active: *y == year,
        })
        .collect();

    let mut s = vec![Section::Links(vec![("/admin/sla".to_string(), tr.t("calendar.back"))])];
    s.push(Section::Tabs(tr.t("calendar.years"), tabs));
    let y = [("year".into(), year.to_string())];
    let confirmed = c.confirmed_years.contains(&year);
    let incomplete = !c.spec.years_incomplete([year], &c.confirmed_years).is_empty();
    let listed = c.spec.holidays.iter().filter(|d| d.year() == year).count();
    let status = if confirmed {
        (tr.with("calendar.status_confirmed", &y), "on")
    } else if incomplete {
        let counts = [y[0].clone(), ("count".into(), listed.to_string())];
        (tr.with("calendar.status_incomplete", &counts), "warn")
    } else if listed > 0 {
        (tr.with("calendar.status_notice", &y), "on")
    } else {
        (tr.with("calendar.status_none", &y), "muted")
    };
    s.push(Section::Badges(vec![(status.0, status.1.to_string())]));
    if caller.ctx.authorize(ObjectType::Sla, Action::Update).is_ok() && (confirmed || (incomplete && listed > 0)) {
        let action = format!("/admin/sla/calendars/{id}/years/{year}");
        let button = if confirmed {
            Button { action: format!("{action}?complete=false"), label: tr.with("calendar.withdraw", &y), confirm: None }
        } else {
            Button {
                action: format!("{action}?complete=true"),
                label: tr.with("calendar.confirm", &y),
                confirm: Some(tr.with("calendar.confirm_prompt", &y)),
            }
        };
        s.push(Section::Buttons(vec![button]));
    }
    if let Some(view) = year_view(tr, &c, year, today) {
        s.push(Section::Year(view));
    }
    s.push(Section::Heading(tr.with("calendar.named_days", &y)));
    let columns = ["calendar.when", "field.name", "calendar.kind", "calendar.length"].iter().map(|k| tr.t(k)).collect();
    s.push(Section::Table(TableSection { columns, rows: runs(tr, &c, year), next: None }));
    let notice = q.ok.as_deref().map(|k| format!("notice.{k}")).filter(|k| tr.has(k)).map(|k| tr.with(&k, &y));
    Ok(page(&state, &caller, ACTIVE, tr.with("calendar.title", &[("name".into(), name), y[0].clone()]), s, notice, Vec::new()).await)
}

#[derive(Deserialize)]
pub struct Mark {
    complete: bool,
}

/// Confirms (or withdraws) that the year's whole notice is in the calendar.
pub async fn mark(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, year)): ApiPath<(i64, i16)>,
    ApiQuery(m): ApiQuery<Mark>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let (ok, result) = if m.complete {
        ("year_confirmed", sla::confirm_year(&state.core, &caller.ctx, CalendarId(id), year).await)
    } else {
        ("year_withdrawn", sla::withdraw_year(&state.core, &caller.ctx, CalendarId(id), year).await)
    };
    result?;
    Ok(redirect(&format!("/admin/sla/calendars/{id}?year={year}&ok={ok}")))
}
