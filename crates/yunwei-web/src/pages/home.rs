//! The workbench home (different for people who work tickets and for requesters), the
//! placeholder of processes still to come (notifications: `notice`).

use super::chart::{self, Kind};
use super::desk::{Names, priority_badge, remaining, state_label};
use super::{Cell, Layout, PROCESSES, Section, TableSection, page, process_href, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::incident::{self, IncidentView};
use yunwei_core::request::RequestView;
use yunwei_domain::ids::TeamId;
use yunwei_domain::incident::DeskSettings;
use yunwei_domain::permission::{Action, ObjectType};

pub async fn home(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let tr = caller.tr;
    let w = yunwei_core::home::workbench(&state.core, &caller.ctx).await?;
    let mut names = Names::load(&state, &caller).await;
    let settings = incident::read_desk_settings(&state.core, &caller.ctx).await.ok();
    let now = state.core.now_ms();
    let can_take = me.permissions.allows(ObjectType::Incident, Action::Assign);
    let mut sections = vec![Section::Text(tr.with("home.welcome", &[("name".into(), me.display_name.clone())]))];
    let mut links = Vec::new();
    if me.permissions.allows(ObjectType::Incident, Action::Create) {
        links.push(("/incidents/new".to_string(), tr.t("incident.new")));
    }
    if me.permissions.allows(ObjectType::ServiceRequest, Action::Create) {
        links.push(("/catalog".to_string(), tr.t("request.new")));
    }
    if links.is_empty() && !w.works_incidents && me.permissions.iter().next().is_none() {
        sections.push(Section::Text(tr.t("home.no_roles")));
    }
    if !links.is_empty() {
        sections.push(Section::Links(links));
    }
    // What waits on the reader's decision comes first; an empty list is not shown.
    if !w.approvals.is_empty() {
        sections.push(heading(tr, "home.approvals", w.approvals.len(), "/requests?queue=approvals"));
        sections.push(requests(tr, &caller, &w.approvals, "home.empty.approvals"));
    }
    let ctx = Rows { state: &state, caller: &caller, settings: settings.as_ref(), now, teams: &me.place.teams, can_take };
    if w.works_incidents {
        sections.push(heading(tr, "home.my_incidents", w.my_incidents.len(), "/incidents?queue=mine"));
        sections.push(ctx.incidents(&w.my_incidents, &mut names, false, "home.empty.mine").await);
        sections.push(heading(tr, "home.breaching", w.breaching.len(), "/incidents?queue=breaching_soon"));
        sections.push(ctx.incidents(&w.breaching, &mut names, true, "home.empty.breaching").await);
        if !w.teams.is_empty() {
            sections.push(Section::Heading(tr.t("home.team_queues")));
            let rows = w
                .teams
                .iter()
                .map(|t| {
                    vec![
                        Cell::link(names.team(t.team_id), format!("/incidents?queue=my_teams&team_id={}", t.team_id)),
                        Cell::text(t.open.to_string()),
                        Cell::link(t.unassigned.to_string(), format!("/incidents?queue=unassigned&team_id={}", t.team_id)),
                    ]
                })
                .collect();
            let columns = vec![tr.t("field.team"), tr.t("home.open"), tr.t("incident.queue.unassigned")];
            sections.push(Section::Table(TableSection { columns, rows, next: None }));
        }
        sections.push(heading(tr, "home.unassigned", w.unassigned.len(), "/incidents?queue=unassigned"));
        sections.push(ctx.incidents(&w.unassigned, &mut names, true, "home.empty.unassigned").await);
    }
    if !w.team_tasks.is_empty() {
        sections.push(heading(tr, "home.team_tasks", w.team_tasks.len(), "/requests?queue=my_teams"));
        sections.push(requests(tr, &caller, &w.team_tasks, "home.empty.approvals"));
    }
    if !w.works_incidents || !w.my_requests.is_empty() || !w.reported.is_empty() {
        sections.push(heading(tr, "home.my_tickets", w.my_requests.len() + w.reported.len(), "/requests?queue=mine"));
        sections.push(my_tickets(&ctx, &w, &mut names).await);
    }
    if !w.catalog.is_empty() {
        sections.push(Section::Heading(tr.t("home.catalog")));
        let rows = w
            .catalog
            .iter()
            .map(|i| vec![Cell::link(i.name.get(tr.locale), format!("/catalog/{}", i.id)), Cell::text(i.description.get(tr.locale))])
            .collect();
        sections.push(Section::Table(TableSection { columns: vec![tr.t("field.title"), tr.t("field.description")], rows, next: None }));
    }
    if let Some(t) = &w.trends {
        sections.push(Section::Heading(tr.t("home.trends")));
        sections.extend(trend_charts(tr, &caller, t));
    }
    // `data-view` lets the stylesheet show the lists as cards on a phone.
    let layout = Layout { title: tr.t("nav.home"), sections, aside: Vec::new(), data: vec![("data-view", "workbench".into())] };
    // Whoever maintains the settings is told when links in e-mail cannot reach the server.
    let warnings =
        if me.permissions.allows(ObjectType::Setting, Action::Update) { super::system::public_url_warning(&state, tr) } else { Vec::new() };
    Ok(render(&state, &caller, "/", layout, None, warnings).await)
}

/// "My incidents (3)" with a link to the whole queue; a full list says "8+".
fn heading(tr: Tr, key: &str, count: usize, href: &str) -> Section {
    let more = if count as i64 >= yunwei_core::home::LIST_ROWS { "+" } else { "" };
    let p = |k: &str, v: String| (k.to_string(), v);
    let text = tr.with("home.count", &[p("label", tr.t(key)), p("count", format!("{count}{more}"))]);
    Section::HeadingLink(text, href.to_string(), tr.t("home.see_all"))
}

struct Rows<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    settings: Option<&'a DeskSettings>,
    now: i64,
    teams: &'a [TeamId],
    can_take: bool,
}

impl Rows<'_> {
    async fn incidents(&self, list: &[IncidentView], names: &mut Names, take: bool, empty: &str) -> Section {
        let tr = self.caller.tr;
        let mut rows = Vec::new();
        for v in list {
            let mut due = Cell::text(v.sla.resolve_due_at.map(|d| time(d, self.caller)).unwrap_or_else(|| "—".into()));
            if let Some(s) = v.sla.resolution_remaining_secs.filter(|_| v.sla.resolve_due_at.is_some()) {
                let p = |k: &str, v: String| (k.to_string(), v);
                due.text = tr.with("home.due_left", &[p("due", due.text.clone()), p("left", remaining(tr, s))]);
            }
            if v.sla.resolve_breached || v.sla.response_breached {
                due = due.tag(tr.t("sla.breached"), "bad");
            } else if v.sla.resolve_due_at.is_some_and(|d| d - self.now < incident::DUE_SOON_MS) {
                due = due.tag(tr.t("sla.due_soon"), "warn");
            }
            let (plabel, pclass) = match self.settings {
                Some(s) => priority_badge(s, v.priority, tr),
                None => (v.priority.get().to_string(), String::new()),
            };
            let mut row = vec![
                Cell::link(v.number.clone(), format!("/incidents/{}", v.number)),
                Cell::badge(plabel, &pclass),
                Cell::text(v.title.clone()),
                Cell::badge(state_label(tr, v.state), &format!("state state-{}", v.state)),
                Cell::text(names.team_or_dash(v.team_id)),
                Cell::text(names.user_or_dash(self.state, self.caller, v.assignee_id).await),
                due,
            ];
            if take {
                let mine = v.team_id.is_none_or(|t| self.teams.contains(&t));
                row.push(if self.can_take && v.assignee_id.is_none() && mine {
                    Cell::button(format!("/incidents/{}/take", v.number), tr.t("incident.take"), String::new())
                } else {
                    Cell::text("")
                });
            }
            rows.push(row);
        }
        if rows.is_empty() {
            return Section::Text(tr.t(empty));
        }
        let mut table = TableSection::new(tr, &super::TICKET_COLUMNS, rows);
        if take {
            table.columns.push(tr.t("home.action"));
        }
        Section::Table(table)
    }
}

fn requests(tr: Tr, caller: &Caller, list: &[RequestView], empty: &str) -> Section {
    if list.is_empty() {
        return Section::Text(tr.t(empty));
    }
    let rows = list
        .iter()
        .map(|r| {
            vec![
                Cell::link(r.number.clone(), format!("/requests/{}", r.number)),
                Cell::badge(tr.t(&format!("request.state.{}", r.state)), &format!("state state-{}", r.state)),
                Cell::text(r.title.clone()),
                Cell::text(time(r.created_at, caller)),
            ]
        })
        .collect();
    // The title third in every list of the home, where a phone gives it a line of its own.
    let columns = vec![tr.t("field.number"), tr.t("field.state"), tr.t("field.title"), tr.t("field.created")];
    Section::Table(TableSection { columns, rows, next: None })
}

/// A requester's open requests and incidents, newest first, in one list.
async fn my_tickets(ctx: &Rows<'_>, w: &yunwei_core::home::Workbench, names: &mut Names) -> Section {
    let tr = ctx.caller.tr;
    let mut rows: Vec<(i64, Vec<Cell>)> = Vec::new();
    for r in &w.my_requests {
        rows.push((
            r.updated_at,
            vec![
                Cell::link(r.number.clone(), format!("/requests/{}", r.number)),
                Cell::badge(tr.t(&format!("request.state.{}", r.state)), &format!("state state-{}", r.state)),
                Cell::text(r.title.clone()),
                Cell::text(names.team_or_dash(r.team_id)),
                Cell::text(time(r.updated_at, ctx.caller)),
            ],
        ));
    }
    for v in &w.reported {
        rows.push((
            v.updated_at,
            vec![
                Cell::link(v.number.clone(), format!("/incidents/{}", v.number)),
                Cell::badge(state_label(tr, v.state), &format!("state state-{}", v.state)),
                Cell::text(v.title.clone()),
                Cell::text(names.team_or_dash(v.team_id)),
                Cell::text(time(v.updated_at, ctx.caller)),
            ],
        ));
    }
    if rows.is_empty() {
        return Section::Text(tr.t("home.empty.tickets"));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let columns = vec![tr.t("field.number"), tr.t("field.state"), tr.t("field.title"), tr.t("field.team"), tr.t("field.updated")];
    Section::Table(TableSection { columns, rows: rows.into_iter().map(|r| r.1).collect(), next: None })
}

fn trend_charts(tr: Tr, caller: &Caller, t: &yunwei_core::home::Trends) -> Vec<Section> {
    let zone = super::desk::zone(caller);
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let labels: Vec<String> = t
        .days
        .iter()
        .map(|d| jiff::Timestamp::from_millisecond(*d).map(|ts| ts.to_zoned(tz.clone()).strftime("%m-%d").to_string()).unwrap_or_default())
        .collect();
    let f = |v: &[i64]| v.iter().map(|n| Some(*n as f64)).collect::<Vec<_>>();
    let pct: Vec<Option<f64>> = t.attainment.iter().map(|a| a.map(|a| (a * 100.0).round())).collect();
    let total = t.attainment_total.map(|a| format!("{:.1}%", a * 100.0)).unwrap_or_else(|| "—".into());
    vec![
        Section::Svg(chart::series(&tr.t("home.chart.inflow"), Kind::Columns, &labels, &f(&t.inflow), None, "")),
        Section::Svg(chart::series(&tr.t("home.chart.backlog"), Kind::Line, &labels, &f(&t.backlog), None, "")),
        Section::Svg(chart::series(
            &tr.with("home.chart.attainment", &[("total".into(), total)]),
            Kind::Line,
            &labels,
            &pct,
            Some(100.0),
            "%",
        )),
    ]
}

/// A process not built yet says what will live there; it shows no invented data.
pub async fn process(State(state): State<AppState>, caller: Caller, ApiPath(process): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require()?;
    if !PROCESSES.iter().any(|p| p.0 == process) {
        return Err(ApiError::not_found());
    }
    // Built processes have moved to their own pages; old links still arrive.
    let href = process_href(&process);
    if href != format!("/p/{process}") {
        return Ok(super::redirect(&href));
    }
    let tr = caller.tr;
    let sections = vec![Section::Text(tr.t(&format!("process.{process}.about"))), Section::Text(tr.t("process.coming"))];
    Ok(page(&state, &caller, &format!("/p/{process}"), tr.t(&format!("process.{process}.title")), sections, None, Vec::new()).await)
}
