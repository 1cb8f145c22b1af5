//! The improvement register's pages: the list with filters and a form to open
//! an item by hand, and one item with its edit form (measures, owner, due date
//! and the next state).

use super::desk::Names;
use super::survey::tabs;
use super::{Cell, Field, FormSection, Layout, NavItem, Section, TableSection, failed_layout, redirect, render, time, url_encode};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::improvement::{self, ImprovementPatch, ImprovementQuery, ImprovementView, NewImprovement};
use yunwei_core::store::admin::UserFilter;
use yunwei_domain::ids::{TeamId, UserId};
use yunwei_domain::improvement::{ImprovementState, can_move};
use yunwei_domain::permission::{Action, ObjectType};

pub const ACTIVE: &str = "/improvements";

type Pairs = Vec<(String, String)>;

fn get<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

fn id(pairs: &Pairs, name: &str) -> Option<i64> {
    get(pairs, name).trim().parse().ok()
}

fn opt(pairs: &Pairs, name: &str) -> Option<String> {
    Some(get(pairs, name).trim().to_string()).filter(|s| !s.is_empty())
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn state_label(tr: Tr, s: ImprovementState) -> String {
    tr.t(&format!("improvement.state.{s}"))
}

fn allows(caller: &Caller, action: Action) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Improvement, action))
}

/// Team and owner choices (an empty first option: none).
async fn choices(state: &AppState, caller: &Caller, names: &Names) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let tr = caller.tr;
    let mut teams = vec![(String::new(), tr.t("field.none"))];
    teams.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
    let mut owners = vec![(String::new(), tr.t("improvement.unassigned"))];
    if let Ok(req) = page_request(Some(200), None, None, "username") {
        let filter = UserFilter { disabled: Some(false), ..Default::default() };
        if let Ok(users) = yunwei_core::admin::list_users(&state.core, &caller.ctx, &filter, &req).await {
            owners.extend(users.items.into_iter().map(|u| (u.id.to_string(), u.display_name)));
        }
    }
    (teams, owners)
}

#[derive(Deserialize, Default)]
pub struct ListForm {
    state: Option<String>,
    team_id: Option<String>,
    cursor: Option<String>,
    ok: Option<String>,
}

async fn list_layout(state: &AppState, caller: &Caller, f: &ListForm, posted: Option<&Pairs>) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let bad = |field: &str| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").detail(format!("{field} is not valid"));
    let current = nonempty(&f.state).unwrap_or_default().to_string();
    let q = ImprovementQuery {
        state: Some(current.clone()).filter(|s| !s.is_empty()),
        team_id: nonempty(&f.team_id).map(|t| t.parse::<i64>().map(TeamId).map_err(|_| bad("team_id"))).transpose()?,
        limit: Some(50),
        cursor: nonempty(&f.cursor).map(str::to_string),
        ..ImprovementQuery::default()
    };
    let list = improvement::list(&state.core, &caller.ctx, &q).await?;
    let mut names = Names::load(state, caller).await;
    let mut rows = Vec::new();
    for i in &list.items {
        rows.push(vec![
            Cell::link(i.number.clone(), format!("/improvements/{}", i.number)),
            Cell::text(i.title.clone()),
            Cell::text(tr.t(&format!("improvement.source.{}", i.source))),
            Cell::text(i.subject_ref.clone().unwrap_or_else(|| "—".into())),
            Cell::text(names.team_or_dash(i.team_id)),
            Cell::text(names.user_or_dash(state, caller, i.owner_id).await),
            Cell::badge(state_label(tr, i.state), &format!("imp imp-{}", i.state)),
            Cell::text(i.due_on.clone().unwrap_or_else(|| "—".into())),
        ]);
    }
    let query = |s: &str| {
        let mut out = format!("state={s}");
        if let Some(t) = nonempty(&f.team_id) {
            out.push_str(&format!("&team_id={}", url_encode(t)));
        }
        out
    };
    let next = list.next_cursor.map(|c| format!("{ACTIVE}?{}&cursor={}", query(&current), url_encode(&c)));
    let mut state_tabs =
        vec![NavItem { href: format!("{ACTIVE}?{}", query("")), label: tr.t("incident.filter.any"), active: current.is_empty() }];
    state_tabs.extend(ImprovementState::ALL.iter().map(|s| NavItem {
        href: format!("{ACTIVE}?{}", query(s.as_str())),
        label: state_label(tr, *s),
        active: current == s.as_str(),
    }));
    let (teams, owners) = choices(state, caller, &names).await;
    let mut team_filter = teams.clone();
    team_filter[0].1 = tr.t("incident.filter.any");
    let mut sections = vec![tabs(tr, ACTIVE), Section::Tabs(tr.t("field.state"), state_tabs)];
    sections.push(Section::Form(FormSection::get(
        "improvement-filter",
        ACTIVE,
        tr.t("action.filter"),
        vec![
            Field::new("hidden", "state", String::new(), current.clone()),
            Field::new("select", "team_id", tr.t("field.team"), nonempty(&f.team_id).unwrap_or_default()).options(team_filter),
        ],
    )));
    if allows(caller, Action::Create) {
        let v = |name: &str| posted.map(|p| get(p, name).to_string()).unwrap_or_default();
        let fields = vec![
            Field::new("text", "title", tr.t("field.title"), v("title")).required().wide(),
            Field::new("textarea", "description", tr.t("field.description"), v("description")).rows(3).wide(),
            Field::new("select", "team_id", tr.t("field.team"), v("team_id")).options(teams),
            Field::new("select", "owner_id", tr.t("field.owner"), v("owner_id")).options(owners),
            Field::new("date", "due_on", tr.t("field.due_on"), v("due_on")),
            Field::new("text", "subject_ref", tr.t("field.ticket"), v("subject_ref")),
            Field::new("textarea", "measures", tr.t("field.measures"), v("measures")).rows(3).wide(),
        ];
        let form = FormSection::post("improvement-new", ACTIVE, tr.t("improvement.new"), fields)
            .heading(tr.t("improvement.new"))
            .folded(posted.is_some())
            .class("cols-2");
        sections.push(Section::Form(form));
    }
    sections.push(Section::Table(TableSection {
        columns: [
            "field.number",
            "field.title",
            "field.source",
            "field.ticket",
            "field.team",
            "field.owner",
            "field.state",
            "field.due_on",
        ]
        .iter()
        .map(|k| tr.t(k))
        .collect(),
        rows,
        next,
    }));
    Ok(Layout { title: tr.t("improvement.title"), sections, ..Layout::default() })
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<ListForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = list_layout(&state, &caller, &f, None).await?;
    let notice = f.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    Ok(render(&state, &caller, super::survey::ACTIVE, layout, notice, Vec::new()).await)
}

pub async fn create(State(state): State<AppState>, caller: Caller, CsrfForm(pairs): CsrfForm<Pairs>) -> Result<Response, ApiError> {
    caller.require()?;
    let input = NewImprovement {
        title: get(&pairs, "title").to_string(),
        description: get(&pairs, "description").to_string(),
        team_id: id(&pairs, "team_id").map(TeamId),
        owner_id: id(&pairs, "owner_id").map(UserId),
        due_on: opt(&pairs, "due_on"),
        measures: get(&pairs, "measures").to_string(),
        subject_ref: opt(&pairs, "subject_ref"),
    };
    match improvement::create(&state.core, &caller.ctx, input).await {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.number))),
        Err(e) => {
            let layout = list_layout(&state, &caller, &ListForm::default(), Some(&pairs)).await?;
            failed_layout(&state, &caller, e.into(), layout, super::survey::ACTIVE).await
        }
    }
}

async fn item_layout(state: &AppState, caller: &Caller, v: &ImprovementView, posted: Option<&Pairs>) -> Layout {
    let tr = caller.tr;
    let mut names = Names::load(state, caller).await;
    let mut facts = vec![
        (tr.t("field.state"), state_label(tr, v.state)),
        (tr.t("field.source"), tr.t(&format!("improvement.source.{}", v.source))),
        (tr.t("field.ticket"), v.subject_ref.clone().unwrap_or_else(|| "—".into())),
        (tr.t("field.team"), names.team_or_dash(v.team_id)),
        (tr.t("field.owner"), names.user_or_dash(state, caller, v.owner_id).await),
        (tr.t("field.due_on"), v.due_on.clone().unwrap_or_else(|| "—".into())),
        (tr.t("field.created"), time(v.created_at, caller)),
        (tr.t("field.updated"), time(v.updated_at, caller)),
    ];
    if let Some(c) = v.closed_at {
        facts.push((tr.t("field.closed_at"), time(c, caller)));
    }
    let mut main = vec![tabs(tr, ACTIVE)];
    if let (Some(r), Some("incident")) = (&v.subject_ref, v.subject_type.as_deref()) {
        main.push(Section::Links(vec![(format!("/incidents/{r}"), tr.with("improvement.open_ticket", &[("number".into(), r.clone())]))]));
    }
    for (key, text) in [("field.description", &v.description), ("field.measures", &v.measures), ("field.outcome", &v.outcome)] {
        if !text.is_empty() {
            main.push(Section::Heading(tr.t(key)));
            main.push(Section::Prose(text.clone()));
        }
    }
    if allows(caller, Action::Update) {
        let (teams, owners) = choices(state, caller, &names).await;
        let val = |name: &str, stored: String| posted.map(|p| get(p, name).to_string()).unwrap_or(stored);
        let id_text = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let mut states = vec![(v.state.as_str().to_string(), state_label(tr, v.state))];
        if allows(caller, Action::Transition) {
            states.extend(
                ImprovementState::ALL.iter().filter(|s| can_move(v.state, **s)).map(|s| (s.as_str().to_string(), state_label(tr, *s))),
            );
        }
        let fields = vec![
            Field::new("hidden", "version", String::new(), v.version.to_string()),
            Field::new("select", "state", tr.t("field.state"), val("state", v.state.as_str().into())).options(states),
            Field::new("text", "title", tr.t("field.title"), val("title", v.title.clone())).required().wide(),
            Field::new("textarea", "description", tr.t("field.description"), val("description", v.description.clone())).rows(3).wide(),
            Field::new("select", "team_id", tr.t("field.team"), val("team_id", id_text(v.team_id.map(|t| t.0)))).options(teams),
            Field::new("select", "owner_id", tr.t("field.owner"), val("owner_id", id_text(v.owner_id.map(|u| u.0)))).options(owners),
            Field::new("date", "due_on", tr.t("field.due_on"), val("due_on", v.due_on.clone().unwrap_or_default())),
            Field::new("textarea", "measures", tr.t("field.measures"), val("measures", v.measures.clone()))
                .rows(4)
                .wide()
                .help(tr.t("improvement.measures_help")),
            Field::new("textarea", "outcome", tr.t("field.outcome"), val("outcome", v.outcome.clone()))
                .rows(3)
                .wide()
                .help(tr.t("improvement.outcome_help")),
        ];
        main.push(Section::Form(
            FormSection::post("improvement", format!("{ACTIVE}/{}", v.number), tr.t("action.save"), fields)
                .heading(tr.t("improvement.edit"))
                .class("cols-2"),
        ));
    }
    Layout { title: format!("{} {}", v.number, v.title), sections: main, aside: vec![Section::Facts(facts)], data: Vec::new() }
}

#[derive(Deserialize, Default)]
pub struct Notice {
    ok: Option<String>,
}

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = improvement::get(&state.core, &caller.ctx, crate::api::survey::improvement_id(&number)?).await?;
    let layout = item_layout(&state, &caller, &v, None).await;
    let notice = q.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    Ok(render(&state, &caller, super::survey::ACTIVE, layout, notice, Vec::new()).await)
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let item = crate::api::survey::improvement_id(&number)?;
    let patch = ImprovementPatch {
        title: Some(get(&pairs, "title").to_string()),
        description: Some(get(&pairs, "description").to_string()),
        team_id: Some(id(&pairs, "team_id").map(TeamId)),
        owner_id: Some(id(&pairs, "owner_id").map(UserId)),
        due_on: Some(opt(&pairs, "due_on")),
        measures: Some(get(&pairs, "measures").to_string()),
        outcome: Some(get(&pairs, "outcome").to_string()),
        state: get(&pairs, "state").parse().ok(),
        version: get(&pairs, "version").parse().ok(),
    };
    match improvement::update(&state.core, &caller.ctx, item, patch).await {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.number))),
        Err(e) => {
            let v = improvement::get(&state.core, &caller.ctx, item).await?;
            let layout = item_layout(&state, &caller, &v, Some(&pairs)).await;
            failed_layout(&state, &caller, e.into(), layout, super::survey::ACTIVE).await
        }
    }
}
