//! The improvement register's pages: the list with filters and a form to open
//! an item by hand, and one item with its edit form (measures, owner, due date
//! and the next state).

use super::desk::Names;
use super::survey::tabs;
use super::{
    Cell, Field, FormSection, Layout, NavItem, Notice, Posted, Section, TableSection, failed_form, redirect, render, time, url_encode,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::improvement::{self, ImprovementPatch, ImprovementQuery, ImprovementView, NewImprovement};
use yunwei_core::store::admin::UserFilter;
use yunwei_domain::ids::TeamId;
use yunwei_domain::improvement::{ImprovementState, can_move};
use yunwei_domain::permission::{Action, ObjectType};

pub const ACTIVE: &str = "/improvements";

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
    team_id: Option<TeamId>,
    cursor: Option<String>,
    ok: Option<String>,
}

async fn list_layout(state: &AppState, caller: &Caller, f: &ListForm) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let current = f.state.as_deref().map(str::trim).unwrap_or_default().to_string();
    let q = ImprovementQuery {
        state: Some(current.clone()).filter(|s| !s.is_empty()),
        team_id: f.team_id,
        limit: Some(50),
        cursor: f.cursor.clone(),
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
        if let Some(t) = f.team_id {
            out.push_str(&format!("&team_id={t}"));
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
    let mut sections = vec![tabs(caller, ACTIVE), Section::Tabs(tr.t("field.state"), state_tabs)];
    sections.push(Section::Form(FormSection::get(
        "improvement-filter",
        ACTIVE,
        tr.t("action.filter"),
        vec![
            Field::new("hidden", "state", String::new(), current.clone()),
            Field::new("select", "team_id", tr.t("field.team"), f.team_id.map(|t| t.to_string()).unwrap_or_default()).options(team_filter),
        ],
    )));
    if allows(caller, Action::Create) {
        let fields = vec![
            Field::new("text", "title", tr.t("field.title"), "").required().wide(),
            Field::new("textarea", "description", tr.t("field.description"), "").rows(3).wide(),
            Field::new("select", "team_id", tr.t("field.team"), "").options(teams),
            Field::new("select", "owner_id", tr.t("field.owner"), "").options(owners),
            Field::new("date", "due_on", tr.t("field.due_on"), ""),
            Field::new("text", "subject_ref", tr.t("field.ticket"), ""),
            Field::new("textarea", "measures", tr.t("field.measures"), "").rows(3).wide(),
        ];
        // Folded until used; a failed submit opens it again as typed.
        let form = FormSection::post("improvement-new", ACTIVE, tr.t("improvement.new"), fields)
            .heading(tr.t("improvement.new"))
            .folded(false)
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
    let layout = list_layout(&state, &caller, &f).await?;
    let notice = f.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    Ok(render(&state, &caller, super::survey::ACTIVE, layout, notice, Vec::new()).await)
}

/// Opens an item from the form bound to the API's `NewImprovement`.
pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<NewImprovement>) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| improvement::create(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.number))),
        Err(e) => {
            let layout = list_layout(&state, &caller, &ListForm::default()).await?;
            let posted = Posted::new("improvement-new", posted);
            failed_form(&state, &caller, e, layout, super::survey::ACTIVE, Some(&posted)).await
        }
    }
}

async fn item_layout(state: &AppState, caller: &Caller, v: &ImprovementView) -> Layout {
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
    let mut main = vec![tabs(caller, ACTIVE)];
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
        let id_text = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let mut states = vec![(v.state.as_str().to_string(), state_label(tr, v.state))];
        if allows(caller, Action::Transition) {
            states.extend(
                ImprovementState::ALL.iter().filter(|s| can_move(v.state, **s)).map(|s| (s.as_str().to_string(), state_label(tr, *s))),
            );
        }
        let fields = vec![
            Field::new("hidden", "version", String::new(), v.version.to_string()),
            Field::new("select", "state", tr.t("field.state"), v.state.as_str()).options(states),
            Field::new("text", "title", tr.t("field.title"), v.title.clone()).required().wide(),
            Field::new("textarea", "description", tr.t("field.description"), v.description.clone()).rows(3).wide(),
            Field::new("select", "team_id", tr.t("field.team"), id_text(v.team_id.map(|t| t.0))).options(teams),
            Field::new("select", "owner_id", tr.t("field.owner"), id_text(v.owner_id.map(|u| u.0))).options(owners),
            Field::new("date", "due_on", tr.t("field.due_on"), v.due_on.clone().unwrap_or_default()),
            Field::new("textarea", "measures", tr.t("field.measures"), v.measures.clone())
                .rows(4)
                .wide()
                .help(tr.t("improvement.measures_help")),
            Field::new("textarea", "outcome", tr.t("field.outcome"), v.outcome.clone())
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

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = improvement::get(&state.core, &caller.ctx, crate::api::survey::improvement_id(&number)?).await?;
    let layout = item_layout(&state, &caller, &v).await;
    let notice = q.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    Ok(render(&state, &caller, super::survey::ACTIVE, layout, notice, Vec::new()).await)
}

/// Saves the edit form, bound to the API's `ImprovementPatch` (the form sends every field:
/// blank ones clear, a blank title is refused by core).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<ImprovementPatch>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let item = crate::api::survey::improvement_id(&number)?;
    let (result, posted) = form
        .run(|mut patch| {
            for text in [&mut patch.title, &mut patch.description, &mut patch.measures, &mut patch.outcome] {
                text.get_or_insert_with(String::new);
            }
            improvement::update(&state.core, &caller.ctx, item, patch)
        })
        .await;
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.number))),
        Err(e) => {
            let v = improvement::get(&state.core, &caller.ctx, item).await?;
            let layout = item_layout(&state, &caller, &v).await;
            failed_form(&state, &caller, e, layout, super::survey::ACTIVE, Some(&Posted::new("improvement", posted))).await
        }
    }
}
