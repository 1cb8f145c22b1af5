//! One article's page: the published text readers see (rendered and sanitised on the
//! server), the version being worked beside it for editors, the review steps the reader may
//! take now (and only those), "did this help?", and the version history with side-by-side
//! comparisons.

use super::knowledge::{ACTIVE, state_label, type_label, visibility_label};
use super::{Button, Cell, Field, FormSection, Layout, Notice, Pairs, Posted, Section, TableSection, failed_form, redirect, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::knowledge::edit::{self, StepInput};
use yunwei_core::knowledge::{self, ArticleView, VersionView, VoteInput};
use yunwei_domain::ids::ArticleId;

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).map_or_else(|| "—".to_string(), str::to_string)
}

fn facts(tr: Tr, caller: &Caller, v: &ArticleView) -> Vec<(String, String)> {
    let f = |key: &str, value: String| (tr.t(key), value);
    let links = |kind: &str| v.links.iter().filter(|l| l.target_type == kind).map(|l| l.name.clone()).collect::<Vec<_>>().join("、");
    vec![
        f("field.state", state_label(tr, v.state)),
        f("knowledge.article_type", type_label(tr, v.article_type)),
        f("knowledge.visibility", visibility_label(tr, v.visibility)),
        f("field.team", or_dash(v.team_name.as_deref())),
        f("field.category", or_dash(Some(&v.category))),
        f("knowledge.tags", or_dash(Some(&v.tags.join("、")))),
        f("field.service", or_dash(Some(&links("service")))),
        f("field.ci_id", or_dash(Some(&links("ci")))),
        f("knowledge.author", or_dash(v.author_name.as_deref())),
        f("knowledge.published_number", v.published_number.map_or_else(|| "—".into(), |n| n.to_string())),
        f("knowledge.expires_on", or_dash(v.expires_on.as_deref())),
        f("knowledge.views", v.views.to_string()),
        f("knowledge.helpful", format!("{} / {}", v.helpful, v.unhelpful)),
        f("field.updated", time(v.updated_at, caller)),
    ]
}

fn step_form(tr: Tr, v: &ArticleView) -> Option<FormSection> {
    let first = *v.actions.first()?;
    let options = v.actions.iter().map(|a| (a.to_string(), tr.t(&format!("knowledge.action.{a}")))).collect();
    let fields = vec![
        Field::new("hidden", "version", String::new(), v.version.to_string()),
        Field::new("select", "action", tr.t("knowledge.step"), first.to_string()).options(options),
        Field::new("textarea", "note", tr.t("knowledge.note"), "").rows(2).wide().help(tr.t("knowledge.note_help")),
    ];
    Some(
        FormSection::post("knowledge-step", format!("{ACTIVE}/{}/steps", v.id), tr.t("knowledge.take_step"), fields)
            .heading(tr.t("knowledge.review")),
    )
}

fn version_heading(tr: Tr, v: &VersionView) -> String {
    tr.with("knowledge.version_heading", &[("n".into(), v.number.to_string()), ("state".into(), state_label(tr, v.state))])
}

fn layout(caller: &Caller, v: &ArticleView) -> Layout {
    let tr = caller.tr;
    let mut main = Vec::new();
    let mut links = vec![(ACTIVE.to_string(), tr.t("knowledge.title"))];
    if v.may_edit {
        links.push((format!("{ACTIVE}/{}/edit", v.id), tr.t("knowledge.edit")));
    }
    links.push((format!("{ACTIVE}/{}/versions", v.id), tr.t("knowledge.versions")));
    main.push(Section::Links(links));
    if let Some(form) = step_form(tr, v) {
        main.push(Section::Form(form));
    } else if v.working.as_ref().is_some_and(|w| w.state == yunwei_domain::knowledge::VersionState::Review) {
        main.push(Section::Text(tr.t("knowledge.awaits_other")));
    }
    if let Some(w) = &v.working {
        main.push(Section::Heading(version_heading(tr, w)));
        if !w.review_note.is_empty() {
            main.push(Section::Prose(tr.with("knowledge.review_note", &[("note".into(), w.review_note.clone())])));
        }
        main.push(Section::Article(w.html.clone()));
    }
    match &v.published {
        Some(p) => {
            if v.working.is_some() {
                main.push(Section::Heading(version_heading(tr, p)));
            }
            main.push(Section::Article(p.html.clone()));
            if v.state == yunwei_domain::knowledge::VersionState::Published {
                main.push(Section::Heading(tr.t("knowledge.did_it_help")));
                main.push(Section::Buttons(vec![
                    Button { action: format!("{ACTIVE}/{}/vote/yes", v.id), label: tr.t("knowledge.vote.yes"), confirm: None },
                    Button { action: format!("{ACTIVE}/{}/vote/no", v.id), label: tr.t("knowledge.vote.no"), confirm: None },
                ]));
            }
        }
        None if v.working.is_none() => main.push(Section::Text(tr.t("knowledge.not_published"))),
        None => {}
    }
    Layout { title: v.title.clone(), sections: main, aside: vec![Section::Facts(facts(tr, caller, v))], data: Vec::new() }
}

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = knowledge::get(&state.core, &caller.ctx, ArticleId(id)).await?;
    Ok(render(&state, &caller, ACTIVE, layout(&caller, &v), q.text(caller.tr), Vec::new()).await)
}

/// Takes a review step from the form bound to the API's step input.
pub async fn step(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<StepInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = ArticleId(id);
    let (result, posted) = form.run(|input| edit::act(&state.core, &caller.ctx, id, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=knowledge_step", v.id))),
        Err(e) => {
            let v = knowledge::get(&state.core, &caller.ctx, id).await?;
            failed_form(&state, &caller, e, layout(&caller, &v), ACTIVE, Some(&Posted::new("knowledge-step", posted))).await
        }
    }
}

/// "Did this help?" — yes or no.
pub async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, answer)): ApiPath<(i64, String)>,
    _form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let input = VoteInput { helpful: answer == "yes" };
    let v = knowledge::vote(&state.core, &caller.ctx, ArticleId(id), input).await?;
    Ok(redirect(&format!("{ACTIVE}/{}?ok=knowledge_vote", v.id)))
}

pub async fn versions(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let v = knowledge::get(&state.core, &caller.ctx, ArticleId(id)).await?;
    let list = knowledge::versions(&state.core, &caller.ctx, v.id).await?;
    let rows = list
        .iter()
        .map(|r| {
            let compare = if r.number > 1 && list.iter().any(|o| o.number == r.number - 1) {
                Cell::link(tr.t("knowledge.compare_previous"), format!("{ACTIVE}/{}/diff?from={}&to={}", v.id, r.number - 1, r.number))
            } else {
                Cell::text("—")
            };
            vec![
                Cell::text(r.number.to_string()),
                Cell::text(r.title.clone()),
                Cell::badge(state_label(tr, r.state), &format!("kb kb-{}", r.state)),
                Cell::text(or_dash(r.author_name.as_deref())),
                Cell::text(or_dash(r.reviewer_name.as_deref())),
                Cell::text(time(r.created_at, &caller)),
                compare,
            ]
        })
        .collect();
    let columns =
        ["knowledge.number", "field.title", "field.state", "knowledge.author", "knowledge.reviewer", "field.created", "knowledge.compare"];
    let sections = vec![
        Section::Links(vec![(format!("{ACTIVE}/{}", v.id), tr.t("knowledge.back"))]),
        Section::Table(TableSection { columns: columns.iter().map(|k| tr.t(k)).collect(), rows, next: None }),
    ];
    let layout = Layout { title: tr.with("knowledge.versions_of", &[("title".into(), v.title.clone())]), sections, ..Layout::default() };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

#[derive(Deserialize)]
pub struct DiffForm {
    from: Option<i64>,
    to: Option<i64>,
}

/// Two versions side by side: removed lines on the left, added ones on the right.
pub async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let d = knowledge::diff(&state.core, &caller.ctx, ArticleId(id), q.from, q.to).await?;
    let cell = |text: &Option<String>, tag: &str| match text {
        Some(t) if tag != "equal" => Cell::badge(t.clone(), &format!("diff-{tag}")),
        Some(t) => Cell::text(t.clone()),
        None => Cell::text(""),
    };
    let no = |n: Option<usize>| Cell::text(n.map(|n| n.to_string()).unwrap_or_default());
    let rows = d.rows.iter().map(|r| vec![no(r.left_no), cell(&r.left, r.tag), no(r.right_no), cell(&r.right, r.tag)]).collect();
    let n = |k: i64| tr.with("knowledge.version_n", &[("n".into(), k.to_string())]);
    let columns = vec![String::new(), n(d.from), String::new(), n(d.to)];
    let mut sections = vec![Section::Links(vec![(format!("{ACTIVE}/{}/versions", id), tr.t("knowledge.versions"))])];
    if d.from_title != d.to_title {
        sections.push(Section::Facts(vec![(n(d.from), d.from_title.clone()), (n(d.to), d.to_title.clone())]));
    }
    sections.push(Section::Table(TableSection { columns, rows, next: None }));
    let layout = Layout { title: tr.t("knowledge.compare"), sections, ..Layout::default() };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}
