//! The knowledge base's pages: the article list with filters (and full-text search), the
//! form that writes an article (blank, from a type's template, or from a resolved incident)
//! and the edit form. One article's page, its versions and comparisons are in
//! `knowledge_record`.

use super::{Cell, Field, FormSection, Layout, NavItem, Posted, Section, TableSection, failed_form, redirect, render, time, url_encode};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::knowledge::edit::{self, ArticlePatch, NewArticle};
use yunwei_core::knowledge::{self, ArticleQuery, ArticleView};
use yunwei_domain::ids::{ArticleId, IncidentId};
use yunwei_domain::knowledge::{ArticleType, VersionState, Visibility};
use yunwei_domain::permission::{Action, ObjectType};

pub const ACTIVE: &str = "/knowledge";

pub(super) fn allows(caller: &Caller, action: Action) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Knowledge, action))
}

pub(super) fn state_label(tr: Tr, s: VersionState) -> String {
    tr.t(&format!("knowledge.state.{s}"))
}

pub(super) fn type_label(tr: Tr, t: ArticleType) -> String {
    tr.t(&format!("knowledge.type.{t}"))
}

pub(super) fn visibility_label(tr: Tr, v: Visibility) -> String {
    tr.t(&format!("knowledge.visibility.{v}"))
}

fn any(tr: Tr, rest: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), tr.t("incident.filter.any"))];
    out.extend(rest);
    out
}

fn types(tr: Tr) -> Vec<(String, String)> {
    ArticleType::ALL.iter().map(|t| (t.to_string(), type_label(tr, *t))).collect()
}

fn visibilities(tr: Tr) -> Vec<(String, String)> {
    Visibility::ALL.iter().map(|v| (v.to_string(), visibility_label(tr, *v))).collect()
}

#[derive(Deserialize, Default)]
pub struct ListForm {
    state: Option<String>,
    article_type: Option<ArticleType>,
    visibility: Option<Visibility>,
    tag: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
}

impl ListForm {
    fn query(&self, state: &str) -> String {
        let mut out = format!("state={state}");
        if let Some(t) = self.article_type {
            out.push_str(&format!("&article_type={t}"));
        }
        if let Some(v) = self.visibility {
            out.push_str(&format!("&visibility={v}"));
        }
        for (k, v) in [("tag", &self.tag), ("q", &self.q)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                out.push_str(&format!("&{k}={}", url_encode(v)));
            }
        }
        out
    }
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<ListForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let current = f.state.as_deref().map(str::trim).unwrap_or_default().to_string();
    let q = ArticleQuery {
        state: Some(current.clone()).filter(|s| !s.is_empty()),
        article_type: f.article_type,
        visibility: f.visibility,
        tag: f.tag.clone(),
        q: f.q.clone(),
        limit: Some(50),
        cursor: f.cursor.clone(),
        ..ArticleQuery::default()
    };
    let list = knowledge::list(&state.core, &caller.ctx, &q).await?;
    let rows = list
        .items
        .iter()
        .map(|a| {
            vec![
                Cell::link(a.title.clone(), format!("{ACTIVE}/{}", a.id)),
                Cell::text(type_label(tr, a.article_type)),
                Cell::badge(state_label(tr, a.state), &format!("kb kb-{}", a.state)),
                Cell::text(visibility_label(tr, a.visibility)),
                Cell::text(if a.tags.is_empty() { "—".into() } else { a.tags.join("、") }),
                Cell::text(a.helpful.to_string()),
                Cell::text(a.views.to_string()),
                Cell::text(time(a.updated_at, &caller)),
            ]
        })
        .collect();
    let next = list.next_cursor.map(|c| format!("{ACTIVE}?{}&cursor={}", f.query(&current), url_encode(&c)));
    let mut sections = Vec::new();
    let editor = [Action::Create, Action::Update, Action::Approve].iter().any(|a| allows(&caller, *a));
    if editor {
        let mut tabs =
            vec![NavItem { href: format!("{ACTIVE}?{}", f.query("")), label: tr.t("incident.filter.any"), active: current.is_empty() }];
        tabs.extend([VersionState::Draft, VersionState::Review, VersionState::Published, VersionState::Retired].iter().map(|s| NavItem {
            href: format!("{ACTIVE}?{}", f.query(s.as_str())),
            label: state_label(tr, *s),
            active: current == s.as_str(),
        }));
        sections.push(Section::Tabs(tr.t("field.state"), tabs));
    }
    let filter = FormSection::get(
        "knowledge-filter",
        ACTIVE,
        tr.t("action.filter"),
        vec![
            Field::new("hidden", "state", String::new(), current.clone()),
            Field::new("search", "q", tr.t("knowledge.search"), f.q.clone().unwrap_or_default()),
            Field::new("select", "article_type", tr.t("knowledge.article_type"), f.article_type.map(|t| t.to_string()).unwrap_or_default())
                .options(any(tr, types(tr))),
            Field::new("select", "visibility", tr.t("knowledge.visibility"), f.visibility.map(|v| v.to_string()).unwrap_or_default())
                .options(any(tr, visibilities(tr))),
            Field::new("text", "tag", tr.t("knowledge.tag"), f.tag.clone().unwrap_or_default()),
        ],
    );
    sections.push(Section::Form(filter));
    if allows(&caller, Action::Create) {
        sections.push(Section::Links(vec![(format!("{ACTIVE}/new"), tr.t("knowledge.new"))]));
    }
    let columns = [
        "field.title",
        "knowledge.article_type",
        "field.state",
        "knowledge.visibility",
        "knowledge.tags",
        "knowledge.helpful",
        "knowledge.views",
        "field.updated",
    ];
    sections.push(Section::Table(TableSection { columns: columns.iter().map(|k| tr.t(k)).collect(), rows, next }));
    let layout = Layout { title: tr.t("knowledge.title"), sections, ..Layout::default() };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// The form's fields, filled from `v` (the input of a new article, or what an edit starts from).
async fn fields(state: &AppState, caller: &Caller, v: &NewArticle, version: Option<i64>) -> Vec<Field> {
    let tr = caller.tr;
    let mut teams = vec![(String::new(), tr.t("field.none"))];
    if let Ok(req) = page_request(Some(200), None, None, "name")
        && let Ok(list) = yunwei_core::admin::list_teams(&state.core, &caller.ctx, None, &req).await
    {
        teams.extend(list.items.into_iter().map(|t| (t.id.to_string(), t.name)));
    }
    let mut services = vec![(String::new(), tr.t("field.none"))];
    if let Ok(list) = yunwei_core::incident::list_services(&state.core, &caller.ctx, None).await {
        services.extend(list.into_iter().map(|s| (s.id.to_string(), s.name)));
    }
    let mut out = vec![
        Field::new("select", "article_type", tr.t("knowledge.article_type"), v.article_type.to_string()).options(types(tr)),
        Field::new("text", "title", tr.t("field.title"), v.title.clone()).required().wide(),
        Field::new("textarea", "body", tr.t("knowledge.body"), v.body.clone()).rows(18).wide().help(tr.t("knowledge.body_help")),
        Field::new("text", "category", tr.t("field.category"), v.category.clone()),
        Field::new("text", "tags", tr.t("knowledge.tags"), v.tags.join(", ")).help(tr.t("knowledge.tags_help")),
        Field::new("select", "visibility", tr.t("knowledge.visibility"), v.visibility.to_string()).options(visibilities(tr)),
        Field::new("select", "team_id", tr.t("field.team"), v.team_id.map(|t| t.to_string()).unwrap_or_default())
            .options(teams)
            .help(tr.t("knowledge.team_help")),
        Field::new("date", "expires_on", tr.t("knowledge.expires_on"), v.expires_on.clone().unwrap_or_default())
            .help(tr.t("knowledge.expires_help")),
        Field::new("select", "service_ids", tr.t("field.service"), v.service_ids.first().map(|s| s.to_string()).unwrap_or_default())
            .options(services),
    ];
    match version {
        Some(n) => out.insert(0, Field::new("hidden", "version", String::new(), n.to_string())),
        None => {
            if let Some(i) = v.source_incident_id {
                out.push(Field::new("hidden", "source_incident_id", String::new(), i.to_string()));
            }
            for c in &v.ci_ids {
                out.push(Field::new("hidden", "ci_ids", String::new(), c.to_string()));
            }
        }
    }
    out
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// Start from this type's template.
    article_type: Option<ArticleType>,
    /// Prefill from this resolved incident.
    incident: Option<i64>,
}

async fn new_layout(state: &AppState, caller: &Caller, v: &NewArticle) -> Layout {
    let tr = caller.tr;
    let templates = ArticleType::ALL.iter().map(|t| (format!("{ACTIVE}/new?article_type={t}"), type_label(tr, *t))).collect();
    let form = FormSection::post("knowledge-new", ACTIVE, tr.t("action.save"), fields(state, caller, v, None).await).class("cols-2");
    Layout {
        title: tr.t("knowledge.new"),
        sections: vec![Section::Text(tr.t("knowledge.new_help")), Section::Links(templates), Section::Form(form)],
        ..Layout::default()
    }
}

pub async fn new_page(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<NewQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    if !allows(&caller, Action::Create) {
        return Err(yunwei_core::CoreError::Forbidden("knowledge:create".into()).into());
    }
    let v = match q.incident {
        Some(i) => edit::draft_from_incident(&state.core, &caller.ctx, IncidentId(i)).await?,
        None => {
            let t = q.article_type.unwrap_or_default();
            let body = yunwei_domain::knowledge::template(t, caller.tr.is_zh()).to_string();
            NewArticle { article_type: t, body, ..NewArticle::default() }
        }
    };
    let layout = new_layout(&state, &caller, &v).await;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<NewArticle>) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| edit::create(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.id))),
        Err(e) => {
            let layout = new_layout(&state, &caller, &NewArticle::default()).await;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("knowledge-new", posted))).await
        }
    }
}

/// What the edit form starts from: the newest version's text and the article's settings.
fn as_input(v: &ArticleView) -> NewArticle {
    let text = v.working.as_ref().or(v.published.as_ref());
    NewArticle {
        article_type: v.article_type,
        title: text.map(|t| t.title.clone()).unwrap_or_else(|| v.title.clone()),
        body: text.map(|t| t.body.clone()).unwrap_or_default(),
        category: v.category.clone(),
        tags: v.tags.clone(),
        visibility: v.visibility,
        team_id: v.team_id,
        expires_on: v.expires_on.clone(),
        service_ids: v.links.iter().filter(|l| l.target_type == "service").map(|l| yunwei_domain::ids::ServiceId(l.target_id)).collect(),
        ..NewArticle::default()
    }
}

async fn edit_layout(state: &AppState, caller: &Caller, v: &ArticleView) -> Layout {
    let tr = caller.tr;
    let action = format!("{ACTIVE}/{}/edit", v.id);
    let form = FormSection::post("knowledge-edit", action, tr.t("action.save"), fields(state, caller, &as_input(v), Some(v.version)).await)
        .class("cols-2");
    let mut sections = vec![Section::Links(vec![(format!("{ACTIVE}/{}", v.id), tr.t("knowledge.back"))])];
    if v.state == VersionState::Published && v.working.is_none() {
        sections.push(Section::Text(tr.t("knowledge.edit_published_help")));
    }
    sections.push(Section::Form(form));
    Layout { title: v.title.clone(), sections, ..Layout::default() }
}

pub async fn edit_page(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> Result<Response, ApiError> {
    caller.require()?;
    let v = knowledge::get(&state.core, &caller.ctx, ArticleId(id)).await?;
    let layout = edit_layout(&state, &caller, &v).await;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// Saves the edit form bound to the API's `ArticlePatch` (every field is sent: a blank team,
/// date or service clears it).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<ArticlePatch>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = ArticleId(id);
    let (result, posted) = form
        .run(|mut patch| {
            patch.team_id.get_or_insert(None);
            patch.expires_on.get_or_insert(None);
            patch.tags.get_or_insert_with(Vec::new);
            patch.service_ids.get_or_insert_with(Vec::new);
            patch.category.get_or_insert_with(String::new);
            edit::update(&state.core, &caller.ctx, id, patch)
        })
        .await;
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.id))),
        Err(e) => {
            let v = knowledge::get(&state.core, &caller.ctx, id).await?;
            let layout = edit_layout(&state, &caller, &v).await;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("knowledge-edit", posted))).await
        }
    }
}
