//! The service desk: the incident queue and the ticket page. The forms of the
//! ticket and their handlers are in `incident_form`.

use super::desk::{DeskData, category_options, service_options};
use super::desk::{Names, category_path, opt_text, priority_badge, remaining, resolution_label, service_name, state_label};
use super::incident_form;
use super::{Cell, Field, FormSection, Layout, NavItem, Section, TableSection, TimelineEntry, render, time, url_encode};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::incident::{self, IncidentDetail, Queue, QueueQuery};
use yunwei_core::store::ticket::Activity;
use yunwei_domain::ids::{CategoryId, ServiceId, TeamId, UserId};
use yunwei_domain::incident::{DeskSettings, IncidentState, Priority};
use yunwei_domain::permission::{Action, ObjectType};

pub const ACTIVE: &str = "/incidents";

/// The queues in the order of the tabs; the first fits people who work incidents.
const QUEUES: [(&str, Queue); 7] = [
    ("mine", Queue::Mine),
    ("my_teams", Queue::MyTeams),
    ("unassigned", Queue::Unassigned),
    ("breaching_soon", Queue::BreachingSoon),
    ("recent", Queue::Recent),
    ("requested", Queue::Requested),
    ("all", Queue::All),
];

const SORTS: [&str; 4] = ["sla_due", "updated", "created", "priority"];

/// Resolution due within this many milliseconds counts as "due soon" (as the breaching-soon queue).
const DUE_SOON_MS: i64 = 2 * 3_600_000;

// ---- the queue ----

/// The queue page's query: every filter is optional and arrives as text from a GET form.
#[derive(Deserialize, Default, Clone)]
pub struct QueueForm {
    queue: Option<String>,
    state: Option<String>,
    priority: Option<String>,
    team_id: Option<String>,
    category_id: Option<String>,
    service_id: Option<String>,
    /// Incidents linked to this CI (from the CI's page).
    ci_id: Option<String>,
    /// Incidents whose CI this business service needs.
    affected_service_id: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    /// What was just done (`view_saved`), shown as a notice.
    ok: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl QueueForm {
    /// The query string of these filters (without the cursor), for tabs and paging.
    fn query(&self, queue: &str) -> String {
        let mut out = format!("queue={queue}");
        for (k, v) in [
            ("state", &self.state),
            ("priority", &self.priority),
            ("team_id", &self.team_id),
            ("category_id", &self.category_id),
            ("service_id", &self.service_id),
            ("ci_id", &self.ci_id),
            ("affected_service_id", &self.affected_service_id),
            ("q", &self.q),
            ("sort", &self.sort),
        ] {
            if let Some(v) = nonempty(v) {
                out.push_str(&format!("&{k}={}", url_encode(v)));
            }
        }
        out
    }
}

fn invalid(field: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").detail(format!("{field} is not valid"))
}

fn parse_id(v: &Option<String>, field: &str) -> Result<Option<i64>, ApiError> {
    nonempty(v).map(|s| s.parse::<i64>().map_err(|_| invalid(field))).transpose()
}

pub async fn queue(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<QueueForm>) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let tr = caller.tr;
    let works = me.permissions.allows(ObjectType::Incident, Action::Update);
    let default_queue = if works { "mine" } else { "requested" };
    let queue_key = nonempty(&f.queue).unwrap_or(default_queue).to_string();
    let queue = QUEUES.iter().find(|q| q.0 == queue_key).map(|q| q.1).ok_or_else(|| invalid("queue"))?;
    let states = match nonempty(&f.state) {
        Some("open") => Some("new,assigned,in_progress,pending".to_string()),
        Some(s) => Some(s.parse::<IncidentState>().map_err(|_| invalid("state"))?.as_str().to_string()),
        None => None,
    };
    let sort = nonempty(&f.sort).map(str::to_string);
    if sort.as_deref().is_some_and(|s| !SORTS.contains(&s)) {
        return Err(invalid("sort"));
    }
    let q = QueueQuery {
        queue,
        state: states,
        team_id: parse_id(&f.team_id, "team_id")?.map(TeamId),
        priority: nonempty(&f.priority).map(|p| p.parse::<u8>().map_err(|_| invalid("priority"))).transpose()?,
        category_id: parse_id(&f.category_id, "category_id")?.map(CategoryId),
        service_id: parse_id(&f.service_id, "service_id")?.map(ServiceId),
        ci_id: parse_id(&f.ci_id, "ci_id")?.map(yunwei_domain::ids::CiId),
        affected_service_id: parse_id(&f.affected_service_id, "affected_service_id")?.map(ServiceId),
        sort,
        q: nonempty(&f.q).map(str::to_string),
        limit: Some(50),
        cursor: nonempty(&f.cursor).map(str::to_string),
        ..QueueQuery::default()
    };
    let list = incident::list(&state.core, &caller.ctx, &q).await?;
    let data = DeskData::load(&state, &caller).await?;
    let (settings, categories, services) = (&data.settings, &data.categories, &data.services);
    let mut names = Names::load(&state, &caller).await;
    let now = state.core.now_ms();
    let mut rows = Vec::new();
    let bulk = super::incident_queue::may_bulk(&me.permissions);
    for v in &list.items {
        let (label, class) = priority_badge(settings, v.priority, tr);
        let mut title = Cell::text(v.title.clone());
        if v.major {
            title = title.tag(tr.t("incident.major"), "major");
        }
        let mut due = Cell::text(v.sla.resolve_due_at.map(|t| time(t, &caller)).unwrap_or_else(|| "—".into()));
        if v.sla.resolve_breached || v.sla.response_breached {
            due = due.tag(tr.t("sla.breached"), "bad");
        } else if v.state.is_open() && v.sla.paused {
            due = due.tag(tr.t("sla.paused"), "muted");
        } else if v.state.is_open() && v.sla.resolve_due_at.is_some_and(|d| d - now < DUE_SOON_MS) {
            due = due.tag(tr.t("sla.due_soon"), "warn");
        }
        let mut row = Vec::with_capacity(9);
        if bulk {
            row.push(Cell::check("form-bulk", "ids", v.id.to_string(), v.number.clone()));
        }
        row.extend([
            Cell::link(v.number.clone(), format!("/incidents/{}", v.number)),
            Cell::badge(label, &class),
            title,
            Cell::badge(state_label(tr, v.state), &format!("state state-{}", v.state)),
            Cell::text(names.team_or_dash(v.team_id)),
            Cell::text(names.user_or_dash(&state, &caller, v.assignee_id).await),
            due,
            Cell::text(time(v.updated_at, &caller)),
        ]);
        rows.push(row);
    }
    let next = list.next_cursor.map(|c| format!("/incidents?{}&cursor={}", f.query(&queue_key), url_encode(&c)));
    let tabs = QUEUES
        .iter()
        .map(|(key, _)| NavItem {
            href: format!("/incidents?{}", f.query(key)),
            label: tr.t(&format!("incident.queue.{key}")),
            active: *key == queue_key,
        })
        .collect();
    let mut state_options = vec![(String::new(), tr.t("incident.filter.any")), ("open".into(), tr.t("incident.filter.open"))];
    state_options.extend(IncidentState::ALL.iter().map(|s| (s.as_str().to_string(), state_label(tr, *s))));
    let mut priority_options = vec![(String::new(), tr.t("incident.filter.any"))];
    priority_options.extend(Priority::ALL.iter().map(|p| (p.get().to_string(), settings.label(*p, tr.is_zh()).to_string())));
    let mut team_options = vec![(String::new(), tr.t("incident.filter.any"))];
    team_options.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
    let mut category = category_options(categories, tr, false);
    category[0].1 = tr.t("incident.filter.any");
    let mut service = service_options(services, tr, false);
    service[0].1 = tr.t("incident.filter.any");
    let mut affected = service.clone();
    affected[0].1 = tr.t("incident.filter.any");
    let val = |v: &Option<String>| nonempty(v).unwrap_or_default().to_string();
    let mut sort_options = vec![(String::new(), tr.t("incident.sort.default"))];
    sort_options.extend(SORTS.iter().map(|s| (s.to_string(), tr.t(&format!("incident.sort.{s}")))));
    let filters = FormSection::get(
        "filter",
        "/incidents",
        tr.t("action.filter"),
        vec![
            Field::new("hidden", "queue", String::new(), queue_key.clone()),
            Field::new("search", "q", tr.t("action.search"), val(&f.q)),
            Field::new("select", "state", tr.t("field.state"), val(&f.state)).options(state_options),
            Field::new("select", "priority", tr.t("field.priority"), val(&f.priority)).options(priority_options),
            Field::new("select", "team_id", tr.t("field.team"), val(&f.team_id)).options(team_options),
            Field::new("select", "category_id", tr.t("field.category"), val(&f.category_id)).options(category),
            Field::new("select", "service_id", tr.t("field.service"), val(&f.service_id)).options(service),
            Field::new("select", "affected_service_id", tr.t("field.affected_service"), val(&f.affected_service_id)).options(affected),
            Field::new("hidden", "ci_id", String::new(), val(&f.ci_id)),
            Field::new("select", "sort", tr.t("field.sort"), val(&f.sort)).options(sort_options),
        ],
    );
    let mut sections = Vec::new();
    if me.permissions.allows(ObjectType::Incident, Action::Create) {
        sections.push(Section::Links(vec![("/incidents/new".into(), tr.t("incident.new"))]));
    }
    sections.push(Section::Tabs(tr.t("incident.queues"), tabs));
    sections.push(Section::Form(filters));
    if let Some(ci) = parse_id(&f.ci_id, "ci_id")?.map(yunwei_domain::ids::CiId) {
        let name = super::ci_pick::shown(&state, &caller, Some(ci)).await;
        sections.push(Section::Text(tr.with("incident.filter.by_ci", &[("ci".into(), name)])));
        let mut without = QueueForm { ci_id: None, ..f.clone() };
        without.cursor = None;
        sections.push(Section::Links(vec![(format!("/incidents?{}", without.query(&queue_key)), tr.t("incident.filter.clear_ci"))]));
    }
    let (above, below) = super::incident_queue::sections(&state, &caller, &names, &f.query(&queue_key)).await;
    sections.extend(above);
    let columns: Vec<&str> =
        bulk.then_some("incident.bulk.select").into_iter().chain(super::TICKET_COLUMNS.iter().copied()).chain(["field.updated"]).collect();
    sections.push(Section::Table(TableSection { next, ..TableSection::new(tr, &columns, rows) }));
    sections.extend(below);
    let layout = Layout { title: tr.t("process.incident.title"), sections, ..Layout::default() };
    // Only known notices are shown: the query string is the visitor's to edit.
    let notice = nonempty(&f.ok).map(|k| format!("notice.{k}")).filter(|k| tr.has(k)).map(|k| tr.t(&k));
    Ok(render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await)
}

// ---- the ticket ----

pub async fn ticket(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<super::Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let detail = incident::get(&state.core, &caller.ctx, id).await?;
    let layout = ticket_layout(&state, &caller, &detail).await?;
    // Only known notices are shown: the query string is the visitor's to edit.
    let notice = q.text(caller.tr);
    Ok(render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await)
}

/// The ticket page (a failed form is shown again as typed by `failed_form`).
pub async fn ticket_layout(state: &AppState, caller: &Caller, d: &IncidentDetail) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let v = &d.incident;
    let data = DeskData::load(state, caller).await?;
    let (settings, categories, services) = (&data.settings, &data.categories, &data.services);
    let mut names = Names::load(state, caller).await;

    let mut badges = vec![priority_badge(settings, v.priority, tr), (state_label(tr, v.state), format!("state state-{}", v.state))];
    if let Some(r) = v.pending_reason.filter(|_| v.state == IncidentState::Pending) {
        badges.push((tr.t(&format!("incident.pending_reason.{r}")), "muted".into()));
    }
    if v.major {
        badges.push((tr.t("incident.major"), "major".into()));
    }
    if v.sla.response_breached || v.sla.resolve_breached {
        badges.push((tr.t("sla.breached"), "bad".into()));
    }
    let mut main = vec![Section::Badges(badges), Section::Heading(tr.t("field.description")), Section::Prose(v.description.clone())];
    main.extend(super::incident_major::sections(state, caller, d, &mut names).await);
    main.extend(super::incident_ci::sections(state, caller, v).await);
    main.extend(super::problem::incident_sections(state, caller, v).await);
    if let Some(resolution) = &v.resolution {
        main.push(Section::Heading(tr.t("incident.resolution")));
        main.push(Section::Facts(vec![
            (tr.t("field.resolution_code"), v.resolution_code.as_deref().map(|c| resolution_label(tr, settings, c)).unwrap_or_default()),
            (tr.t("field.restored_at"), v.restored_at.map(|t| time(t, caller)).unwrap_or_else(|| "—".into())),
        ]));
        main.push(Section::Prose(resolution.clone()));
        // What worked, written up once for the next person (a prefilled fault diagnosis report).
        if !v.state.is_open() && super::knowledge::allows(caller, Action::Create) {
            main.push(Section::Links(vec![(format!("/knowledge/new?incident={}", v.id), tr.t("knowledge.write_from_incident"))]));
        }
    }
    if let Some(s) = &v.summary {
        main.push(Section::Heading(tr.t("incident.summary")));
        main.push(Section::Facts(vec![
            (tr.t("field.summary.cause"), s.cause.clone()),
            (tr.t("field.summary.handling"), s.handling.clone()),
            (tr.t("field.summary.lessons"), s.lessons.clone()),
            (tr.t("field.summary.prevention"), s.prevention.clone()),
        ]));
    }
    let offer = super::incident_record::Offer::of(caller, v);
    main.extend(super::incident_record::family(state, caller, d, &offer).await);
    main.extend(super::incident_record::files(state, caller, v, &offer, &mut names).await);
    main.push(Section::Heading(tr.t("incident.timeline")));
    let mut entries = Vec::new();
    for a in &d.timeline {
        entries.push(TimelineEntry {
            time: time(a.at, caller),
            actor: a.actor_name.clone().unwrap_or_else(|| tr.t("incident.system")),
            what: activity_text(state, caller, settings, &mut names, a).await,
            body: a.body.clone(),
            internal: !a.public,
        });
    }
    main.push(Section::Timeline(entries));

    let requester = match (&v.requester_name, v.requester_id) {
        (Some(n), _) => n.clone(),
        (None, id) => names.user_or_dash(state, caller, id).await,
    };
    let mut facts = vec![
        (tr.t("field.requester"), requester),
        (tr.t("field.requester_contact"), opt_text(&v.requester_contact)),
        (tr.t("field.reporter"), names.user_or_dash(state, caller, v.reporter_id).await),
        (tr.t("field.channel"), tr.t(&format!("incident.channel.{}", v.channel))),
        (tr.t("field.team"), names.team_or_dash(v.team_id)),
        (tr.t("field.assignee"), names.user_or_dash(state, caller, v.assignee_id).await),
        (tr.t("field.category"), v.category_id.map(|c| category_path(categories, c, tr)).unwrap_or_else(|| "—".into())),
        (tr.t("field.service"), v.service_id.map(|s| service_name(services, s, tr)).unwrap_or_else(|| "—".into())),
        (tr.t("field.ci_ref"), opt_text(&v.ci_ref)),
        (tr.t("field.location"), opt_text(&v.location)),
        (tr.t("field.impact_scope"), opt_text(&v.impact_scope)),
        (
            tr.t("incident.impact_urgency"),
            format!("{} / {}", tr.t(&format!("incident.level.{}", v.impact)), tr.t(&format!("incident.level.{}", v.urgency))),
        ),
        (tr.t("field.occurred_at"), v.occurred_at.map(|t| time(t, caller)).unwrap_or_else(|| "—".into())),
        (tr.t("field.restored_at"), v.restored_at.map(|t| time(t, caller)).unwrap_or_else(|| "—".into())),
        (tr.t("field.created"), time(v.created_at, caller)),
        (tr.t("field.updated"), time(v.updated_at, caller)),
    ];
    // Empty facts are left out to keep the column short; who holds the ticket always shows.
    let always = [tr.t("field.team"), tr.t("field.assignee"), tr.t("field.category")];
    facts.retain(|(k, v)| v != "—" || always.contains(k));
    if let Some(c) = v.commander_id.filter(|_| v.major) {
        facts.push((tr.t("field.commander"), names.user(state, caller, c).await));
    }
    let numbers = |ids: &[yunwei_domain::ids::IncidentId]| ids.iter().map(|i| yunwei_domain::incident::number(i.0)).collect::<Vec<_>>();
    if !d.related.is_empty() {
        facts.push((tr.t("incident.related"), numbers(&d.related).join(", ")));
    }

    let mut sla = Vec::new();
    let breached = |b: bool| if b { format!(" · {}", tr.t("sla.breached")) } else { String::new() };
    match (v.sla.responded_at, v.sla.response_due_at) {
        (Some(at), _) => sla.push((tr.t("sla.responded"), format!("{}{}", time(at, caller), breached(v.sla.response_breached)))),
        (None, Some(due)) => {
            let left = v.sla.response_remaining_secs.map(|s| tr.aside(&remaining(tr, s))).unwrap_or_default();
            sla.push((tr.t("sla.response_due"), format!("{}{left}{}", time(due, caller), breached(v.sla.response_breached))));
        }
        (None, None) => {}
    }
    if let Some(due) = v.sla.resolve_due_at {
        let left = v.sla.resolution_remaining_secs.map(|s| tr.aside(&remaining(tr, s))).unwrap_or_default();
        sla.push((tr.t("sla.resolution_due"), format!("{}{left}{}", time(due, caller), breached(v.sla.resolve_breached))));
    }
    if v.state.is_open() && v.sla.paused {
        // A paused clock has no deadline; what is left still matters.
        let left = v.sla.resolution_remaining_secs.filter(|_| v.sla.resolve_due_at.is_none()).map(|s| tr.aside(&remaining(tr, s)));
        sla.push((tr.t("sla.clock"), format!("{}{}", tr.t("sla.paused"), left.unwrap_or_default())));
    }
    if v.sla.policy_id.is_none() {
        sla.push((tr.t("sla.policy"), tr.t("sla.no_policy")));
    }

    let forms = incident_form::ticket_forms(state, caller, d, &data, &mut names).await;
    if !forms.bar.is_empty() {
        main.insert(1, Section::Buttons(forms.bar));
    }
    main.extend(forms.main);
    // What is edited in place is shown by its form, not twice.
    let edited = |key: &str| match key {
        "field.team" | "field.assignee" => offer.assign && v.state.is_open(),
        "field.category" | "field.ci_ref" => offer.update,
        _ => false,
    };
    let hidden: Vec<String> =
        ["field.team", "field.assignee", "field.category", "field.ci_ref"].into_iter().filter(|k| edited(k)).map(|k| tr.t(k)).collect();
    facts.retain(|(k, _)| !hidden.contains(k));
    let mut aside = vec![Section::Facts(facts)];
    aside.extend(forms.edit);
    aside.extend([Section::Heading(tr.t("sla.title")), Section::Facts(sla)]);
    aside.extend(super::incident_record::watchers(state, caller, d, &offer, &mut names).await);
    if !forms.aside.is_empty() {
        aside.push(Section::Heading(tr.t("incident.actions")));
        aside.extend(forms.aside);
    }
    Ok(Layout {
        title: format!("{} {}", v.number, v.title),
        sections: main,
        aside,
        data: [
            vec![("data-incident", v.number.clone()), ("data-incident-version", v.version.to_string())],
            super::live_data(caller, format!("incident:{}", v.id)),
        ]
        .concat(),
    })
}
/// What one timeline entry says happened, in the reader's language.
async fn activity_text(state: &AppState, caller: &Caller, settings: &DeskSettings, names: &mut Names, a: &Activity) -> String {
    let tr = caller.tr;
    let d = &a.data;
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let team = |k: &str| d.get(k).and_then(|v| v.as_i64()).map(TeamId);
    let priority = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_u64())
            .and_then(|p| u8::try_from(p).ok())
            .and_then(Priority::new)
            .map(|p| settings.label(p, tr.is_zh()).to_string())
            .unwrap_or_default()
    };
    let p = |pairs: &[(&str, String)]| pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>();
    match a.kind.as_str() {
        "created" => tr.with(
            "incident.activity.created",
            &p(&[("priority", priority("priority")), ("channel", tr.t(&format!("incident.channel.{}", s("channel"))))]),
        ),
        "reply" if s("via") == "email" => tr.with("incident.activity.reply_mail", &p(&[("from", s("from"))])),
        "reply" => tr.t("incident.activity.reply"),
        "work_note" => tr.t("incident.activity.work_note"),
        "state_changed" => {
            let state = |k: &str| s(k).parse::<IncidentState>().map(|st| state_label(tr, st)).unwrap_or_else(|_| s(k));
            let mut text = tr.with("incident.activity.state_changed", &p(&[("from", state("from")), ("to", state("to"))]));
            let reason = s("pending_reason");
            if s("to") == "pending" && !reason.is_empty() {
                text.push_str(
                    &tr.with("incident.activity.waiting_for", &p(&[("reason", tr.t(&format!("incident.pending_reason.{reason}")))])),
                );
            }
            let code = s("resolution_code");
            if s("to") == "resolved" && !code.is_empty() {
                text.push_str(&tr.with("incident.activity.with_code", &p(&[("code", resolution_label(tr, settings, &code))])));
            }
            let parent = s("by_parent");
            if !parent.is_empty() {
                text.push_str(&tr.with("incident.activity.by_parent", &p(&[("number", parent)])));
            }
            text
        }
        "assigned" => {
            let person = match d.get("to_assignee").and_then(|v| v.as_i64()) {
                Some(u) => names.user(state, caller, UserId(u)).await,
                None => "—".into(),
            };
            tr.with("incident.activity.assigned", &p(&[("team", names.team_or_dash(team("to_team"))), ("person", person)]))
        }
        "escalated" if s("kind") == "hierarchical" => tr.t("incident.activity.escalated_hierarchical"),
        "escalated" => tr.with("incident.activity.escalated_functional", &p(&[("team", names.team_or_dash(team("to_team")))])),
        "priority_changed" => tr.with("incident.activity.priority_changed", &p(&[("from", priority("from")), ("to", priority("to"))])),
        "updated" => tr.t("incident.activity.updated"),
        "sla_warning" => tr.with(
            "incident.activity.sla_warning",
            &p(&[
                ("target", tr.t(&format!("sla.{}", s("target")))),
                ("percent", d.get("percent").and_then(|v| v.as_u64()).unwrap_or_default().to_string()),
            ]),
        ),
        "sla_breached" => tr.with("incident.activity.sla_breached", &p(&[("target", tr.t(&format!("sla.{}", s("target"))))])),
        "major_declared" => match d.get("commander_id").and_then(|v| v.as_i64()) {
            Some(c) => tr.with("incident.activity.major_declared", &p(&[("commander", names.user(state, caller, UserId(c)).await)])),
            None => tr.t("incident.activity.major_automatic"),
        },
        "survey_answered" => tr.with(
            "incident.activity.survey_answered",
            &p(&[("score", d.get("score").and_then(|v| v.as_u64()).unwrap_or_default().to_string())]),
        ),
        "paged" => {
            let who: Vec<String> =
                d.get("names").and_then(|v| v.as_array()).into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
            let num = |k: &str| d.get(k).and_then(|v| v.as_u64()).unwrap_or_default().to_string();
            let who = if who.is_empty() { tr.t("incident.activity.paged_nobody") } else { who.join(if tr.is_zh() { "、" } else { ", " }) };
            tr.with(
                "incident.activity.paged",
                &p(&[("level", num("level")), ("round", num("round")), ("policy", s("policy")), ("who", who)]),
            )
        }
        "acknowledged" => tr.t("incident.activity.acknowledged"),
        other => other.to_string(),
    }
}
