//! The change calendar (变更日历, CHG-5): scheduled changes and freeze windows (封网期) by
//! month, week or as a list, in the reader's time zone, and the iCalendar feed to subscribe
//! to. Server-rendered; the month grid narrows to day numbers at 390 px and the lists below
//! carry the detail.

use super::change::{ACTIVE, state_label};
use super::{Cell, Layout, NavItem, Section, TableSection, local_name, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, CsrfForm};
use axum::extract::State;
use axum::response::Response;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use yunwei_core::change::{self, CalendarEntry, ChangeCalendar};
use yunwei_domain::change::schedule::Freeze;

pub const PATH: &str = "/changes/calendar";

#[derive(Deserialize, Default)]
pub struct CalendarForm {
    view: Option<String>,
    date: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum View {
    Month,
    Week,
    List,
}

impl View {
    const ALL: [(View, &'static str); 3] = [(View::Month, "month"), (View::Week, "week"), (View::List, "list")];
    fn word(self) -> &'static str {
        Self::ALL.iter().find(|(v, _)| *v == self).map_or("month", |(_, w)| w)
    }
}

fn start_of(d: Date, tz: &TimeZone) -> i64 {
    d.to_zoned(tz.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or_default()
}

fn next_day(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}

/// The days the view shows: `[first, end)`.
fn span(view: View, d: Date) -> (Date, Date) {
    match view {
        View::Month => {
            let first = d.first_of_month();
            (first, next_day(d.last_of_month()))
        }
        View::Week => {
            let monday = d.checked_sub(jiff::Span::new().days(i64::from(d.weekday().to_monday_zero_offset()))).unwrap_or(d);
            (monday, monday.checked_add(jiff::Span::new().days(7)).unwrap_or(d))
        }
        View::List => (d, d.checked_add(jiff::Span::new().days(31)).unwrap_or(d)),
    }
}

fn shift(view: View, d: Date, forward: bool) -> Date {
    let n = if forward { 1 } else { -1 };
    let step = match view {
        View::Month => jiff::Span::new().months(n),
        View::Week => jiff::Span::new().days(7 * n),
        View::List => jiff::Span::new().days(31 * n),
    };
    d.checked_add(step).unwrap_or(d)
}

fn on_day(from: i64, to: i64, day: (i64, i64)) -> bool {
    from < day.1 && to > day.0
}

fn freeze_name(caller: &Caller, f: &Freeze) -> String {
    local_name(caller.tr, &f.name, &f.name_en)
}

fn entry_row(caller: &Caller, c: &CalendarEntry) -> Vec<Cell> {
    let tr = caller.tr;
    vec![
        Cell::text(format!("{} – {}", time(c.window_start, caller), time(c.window_end, caller))),
        Cell::link(c.number.clone(), format!("{ACTIVE}/{}", c.number)),
        Cell::text(c.title.clone()),
        Cell::badge(tr.t(&format!("change.risk.{}", c.risk_level)), &format!("risk risk-{}", c.risk_level)),
        Cell::badge(state_label(caller, c.state), &format!("chg chg-{}", c.state)),
    ]
}

fn month_grid(
    caller: &Caller,
    cal: &ChangeCalendar,
    first: Date,
    end: Date,
    tz: &TimeZone,
    href: &dyn Fn(View, Date) -> String,
) -> Section {
    let tr = caller.tr;
    let columns: Vec<String> = (1..=7).map(|d| tr.t(&format!("change.cal.weekday.{d}"))).collect();
    let mut rows = Vec::new();
    let mut row: Vec<Cell> = (0..first.weekday().to_monday_zero_offset()).map(|_| Cell::text("")).collect();
    let mut d = first;
    while d < end {
        let day = (start_of(d, tz), start_of(next_day(d), tz));
        let count = cal.changes.iter().filter(|c| on_day(c.window_start, c.window_end, day)).count();
        let label = if count > 0 { format!("{} · {count}", d.day()) } else { d.day().to_string() };
        let mut cell = Cell::link(label, href(View::Week, d));
        if let Some(f) = cal.freezes.iter().find(|f| on_day(f.start, f.end, day)) {
            cell = cell.tag(freeze_name(caller, f), "freeze");
        }
        row.push(cell);
        if row.len() == 7 {
            rows.push(std::mem::take(&mut row));
        }
        d = next_day(d);
    }
    if !row.is_empty() {
        row.resize_with(7, || Cell::text(""));
        rows.push(row);
    }
    Section::Table(TableSection { columns, rows, next: None })
}

fn week_rows(caller: &Caller, cal: &ChangeCalendar, first: Date, end: Date, tz: &TimeZone) -> Vec<Vec<Cell>> {
    let tr = caller.tr;
    let mut rows = Vec::new();
    let mut d = first;
    while d < end {
        let day = (start_of(d, tz), start_of(next_day(d), tz));
        let weekday = tr.t(&format!("change.cal.weekday.{}", d.weekday().to_monday_one_offset()));
        let frozen: Vec<String> = cal.freezes.iter().filter(|f| on_day(f.start, f.end, day)).map(|f| freeze_name(caller, f)).collect();
        let date_cell = || {
            let cell = Cell::text(format!("{d} {weekday}"));
            if frozen.is_empty() { cell } else { cell.tag(frozen.join("、"), "freeze") }
        };
        let entries: Vec<&CalendarEntry> = cal.changes.iter().filter(|c| on_day(c.window_start, c.window_end, day)).collect();
        if entries.is_empty() {
            rows.push(vec![date_cell(), Cell::text("—"), Cell::text(""), Cell::text(""), Cell::text(""), Cell::text("")]);
        }
        for (n, c) in entries.iter().enumerate() {
            let mut row = vec![if n == 0 { date_cell() } else { Cell::text("") }];
            row.extend(entry_row(caller, c));
            rows.push(row);
        }
        d = next_day(d);
    }
    rows
}

async fn layout(state: &AppState, caller: &Caller, f: &CalendarForm, feed: Option<String>) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let tz = TimeZone::get(super::desk::zone(caller)).unwrap_or(TimeZone::UTC);
    let today = jiff::Timestamp::from_millisecond(state.core.now_ms()).unwrap_or_default().to_zoned(tz.clone()).date();
    let view = View::ALL.iter().find(|(_, w)| Some(*w) == f.view.as_deref()).map_or(View::Month, |(v, _)| *v);
    let date = f.date.as_deref().and_then(|d| d.trim().parse::<Date>().ok()).unwrap_or(today);
    let (first, end) = span(view, date);
    let cal = change::calendar(&state.core, &caller.ctx, start_of(first, &tz), start_of(end, &tz)).await?;
    let href = |v: View, d: Date| format!("{PATH}?view={}&date={d}", v.word());
    let tabs = View::ALL
        .iter()
        .map(|(v, w)| NavItem { href: href(*v, date), label: tr.t(&format!("change.cal.view.{w}")), active: *v == view })
        .collect();
    let mut sections = vec![
        Section::Tabs(tr.t("change.cal.views"), tabs),
        Section::Links(vec![
            (href(view, shift(view, date, false)), tr.t("change.cal.previous")),
            (href(view, today), tr.t("change.cal.today")),
            (href(view, shift(view, date, true)), tr.t("change.cal.next")),
        ]),
    ];
    let heading = match view {
        View::Month => {
            tr.with("change.cal.month_of", &[("year".into(), first.year().to_string()), ("month".into(), first.month().to_string())])
        }
        _ => format!("{first} – {}", end.yesterday().unwrap_or(end)),
    };
    sections.push(Section::Heading(heading));
    let columns = |first: &str| -> Vec<String> {
        let mut c = if first.is_empty() { Vec::new() } else { vec![tr.t(first)] };
        c.extend(["change.field.window", "field.number", "field.title", "change.field.risk_level", "field.state"].iter().map(|k| tr.t(k)));
        c
    };
    match view {
        View::Month => {
            sections.push(month_grid(caller, &cal, first, end, &tz, &href));
            let rows = cal.changes.iter().map(|c| entry_row(caller, c)).collect();
            sections.push(Section::Table(TableSection { columns: columns(""), rows, next: None }));
        }
        View::Week => {
            let rows = week_rows(caller, &cal, first, end, &tz);
            sections.push(Section::Table(TableSection { columns: columns("change.cal.day"), rows, next: None }));
        }
        View::List => {
            let rows: Vec<Vec<Cell>> = cal.changes.iter().map(|c| entry_row(caller, c)).collect();
            if rows.is_empty() {
                sections.push(Section::Text(tr.t("change.cal.none")));
            }
            sections.push(Section::Table(TableSection { columns: columns(""), rows, next: None }));
        }
    }
    if cal.more {
        sections.push(Section::Text(tr.t("change.cal.more")));
    }
    sections.push(Section::Heading(tr.t("change.cal.freezes")));
    let rows: Vec<Vec<Cell>> = cal
        .freezes
        .iter()
        .map(|f| {
            vec![
                Cell::text(freeze_name(caller, f)),
                Cell::text(tr.t(&format!(
                    "change.freeze_kind.{}",
                    serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
                ))),
                Cell::text(format!("{} – {}", time(f.start, caller), time(f.end, caller))),
            ]
        })
        .collect();
    if rows.is_empty() {
        sections.push(Section::Text(tr.t("change.cal.no_freezes")));
    } else {
        sections.push(Section::Table(TableSection {
            columns: vec![tr.t("field.name"), tr.t("change.cal.freeze_kind"), tr.t("change.cal.period")],
            rows,
            next: None,
        }));
    }
    sections.push(Section::Heading(tr.t("change.cal.subscribe")));
    sections.push(Section::Text(tr.t("change.cal.subscribe_help")));
    sections.push(Section::Links(vec![("/api/v1/change-calendar.ics".into(), tr.t("change.cal.download"))]));
    if let Some(url) = feed {
        sections.push(Section::Facts(vec![(tr.t("change.cal.feed_url"), url)]));
    }
    sections.push(Section::Buttons(vec![super::Button {
        action: format!("{PATH}/feed"),
        label: tr.t("change.cal.new_feed"),
        confirm: Some(tr.t("change.cal.new_feed_confirm")),
    }]));
    Ok(Layout { title: tr.t("change.cal.title"), sections, ..Layout::default() })
}

pub async fn page(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<CalendarForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = layout(&state, &caller, &f, None).await?;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// A new feed URL, shown once on the calendar page.
pub async fn new_feed(State(state): State<AppState>, caller: Caller, CsrfForm(_): CsrfForm<super::Pairs>) -> Result<Response, ApiError> {
    caller.require()?;
    let t = change::new_feed_token(&state.core, &caller.ctx).await?;
    let base = state.core.config.public_url.trim_end_matches('/').to_string();
    let layout = layout(&state, &caller, &CalendarForm::default(), Some(format!("{base}{}", t.path))).await?;
    let notice = Some(caller.tr.t("change.cal.feed_created"));
    let mut res = render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await;
    res.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The schedule warnings on a change's page (CHG-5): freezes its window meets, other changes
/// at the same time on the same CI or impact path (number and shared CIs by name), the peak.
pub async fn warnings(state: &AppState, caller: &Caller, v: &yunwei_core::change::ChangeView) -> Vec<Section> {
    let tr = caller.tr;
    if v.window_start.is_none() {
        return Vec::new();
    }
    let Ok(check) = change::schedule_check(&state.core, &caller.ctx, v.id).await else { return Vec::new() };
    let mut out = vec![Section::Heading(tr.t("change.schedule.title"))];
    let mut badges = Vec::new();
    for f in &check.freezes {
        badges.push((tr.with("change.schedule.in_freeze", &[("freeze".into(), freeze_name(caller, f))]), "warn".to_string()));
    }
    if check.in_peak {
        badges.push((tr.t("change.schedule.in_peak"), "warn".to_string()));
    }
    let en = !tr.is_zh();
    let mut rows = Vec::new();
    for c in &check.conflicts {
        let mut shared: Vec<String> = c
            .shared
            .iter()
            .map(|s| {
                let name = yunwei_core::cmdb::pick(&s.name, &s.name_en, en).to_string();
                if s.same_ci { tr.with("change.schedule.same_ci", &[("name".into(), name)]) } else { name }
            })
            .collect();
        if c.hidden > 0 {
            shared.push(tr.with("change.impact_hidden", &[("count".into(), c.hidden.to_string())]));
        }
        let window = match (c.window_start, c.window_end) {
            (Some(a), Some(b)) => format!("{} – {}", time(a, caller), time(b, caller)),
            _ => "—".into(),
        };
        rows.push(vec![
            Cell::link(c.number.clone(), format!("{ACTIVE}/{}", c.number)),
            Cell::text(c.title.clone()),
            Cell::text(window),
            Cell::text(shared.join("、")),
        ]);
    }
    if badges.is_empty() && rows.is_empty() {
        out.push(Section::Text(tr.t("change.schedule.clear")));
        return out;
    }
    if !badges.is_empty() {
        out.push(Section::Badges(badges));
    }
    if !rows.is_empty() {
        out.push(Section::Text(tr.t("change.schedule.conflicts")));
        let columns = vec![tr.t("field.number"), tr.t("field.title"), tr.t("change.field.window"), tr.t("change.schedule.shared")];
        out.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    out
}
