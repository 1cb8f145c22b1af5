//! One problem's page: its assessment, the known error (symptom, root cause, workaround), the
//! linked incidents, the root-cause analysis (five whys, fishbone, hypotheses), the solution
//! measures with overdue ones marked, the closure review, the timeline, files and watchers —
//! and only the moves and edits its reader may make.

use super::desk::{Names, parse_local};
use super::problem::{ACTIVE, allows, level_options, state_label, to_input};
use super::{Button, Cell, Field, FormSection, Layout, Pairs, Posted, Section, TableSection, TimelineEntry, ticket_parts, time};
use crate::AppState;
use crate::api::problem::problem_id;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller, PageForm};
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::response::Response;
use yunwei_core::problem::{self, MeasureInput, ProblemTransitionInput, ProblemView, ReviewInput};
use yunwei_domain::FieldError;
use yunwei_domain::ids::{ProblemId, ProblemMeasureId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::problem::{self as rules, Cause, Fishbone, Hypothesis, HypothesisStatus, ProblemState, ProblemTransition, Rca};
use yunwei_domain::ticket::PROBLEM;

fn page_of(v: &ProblemView) -> String {
    format!("{ACTIVE}/{}", v.number)
}

fn moves(caller: &Caller, v: &ProblemView) -> Vec<Section> {
    let tr = caller.tr;
    if !allows(caller, Action::Transition) {
        return Vec::new();
    }
    let buttons: Vec<Button> = ProblemTransition::ALL
        .iter()
        .filter(|t| rules::next(v.state, **t).is_some())
        .map(|t| Button { action: format!("{}/transition/{t}", page_of(v)), label: tr.t(&format!("problem.action.{t}")), confirm: None })
        .collect();
    if buttons.is_empty() { Vec::new() } else { vec![Section::Buttons(buttons)] }
}

fn prose(text: &str) -> Section {
    Section::Prose(if text.trim().is_empty() { "—".into() } else { text.to_string() })
}

fn rca_sections(caller: &Caller, v: &ProblemView, edit: bool) -> Vec<Section> {
    let tr = caller.tr;
    let rca = problem::rca_of(v);
    let mut out = vec![Section::Heading(tr.t("problem.rca"))];
    if !rca.timeline.is_empty() {
        let rows = rca.timeline.iter().map(|e| vec![Cell::text(time(e.at, caller)), Cell::text(e.text.clone())]).collect();
        out.push(Section::Table(TableSection { columns: vec![tr.t("field.at"), tr.t("problem.rca_event")], rows, next: None }));
    }
    let whys: Vec<String> = rca.whys.iter().enumerate().map(|(n, w)| format!("{}. {w}", n + 1)).collect();
    out.push(Section::Heading(tr.t("problem.whys")));
    out.push(prose(&whys.join("\n")));
    let rows: Vec<Vec<Cell>> = Fishbone::ALL
        .iter()
        .map(|f| {
            let causes: Vec<&str> = rca.causes.iter().filter(|c| c.category == *f).map(|c| c.text.as_str()).collect();
            vec![
                Cell::text(tr.t(&format!("problem.fishbone.{f}"))),
                Cell::text(if causes.is_empty() { "—".into() } else { causes.join("；") }),
            ]
        })
        .collect();
    out.push(Section::Heading(tr.t("problem.fishbone")));
    out.push(Section::Table(TableSection { columns: vec![tr.t("problem.fishbone_category"), tr.t("problem.causes")], rows, next: None }));
    if !rca.hypotheses.is_empty() {
        let rows = rca
            .hypotheses
            .iter()
            .map(|h| {
                vec![
                    Cell::text(h.text.clone()),
                    Cell::badge(tr.t(&format!("problem.hypothesis.{}", h.status)), &format!("hyp hyp-{}", h.status)),
                    Cell::text(h.evidence.clone()),
                ]
            })
            .collect();
        let columns = vec![tr.t("problem.hypotheses"), tr.t("field.state"), tr.t("problem.evidence")];
        out.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    if edit {
        let lines = |items: Vec<String>| items.join("\n");
        let mut fields = vec![
            Field::new("textarea", "whys", tr.t("problem.whys"), lines(rca.whys.clone())).rows(5).wide().help(tr.t("problem.one_per_line")),
        ];
        for f in Fishbone::ALL {
            let mine = rca.causes.iter().filter(|c| c.category == *f).map(|c| c.text.clone()).collect();
            fields.push(Field::new("textarea", &format!("cause.{f}"), tr.t(&format!("problem.fishbone.{f}")), lines(mine)).rows(2));
        }
        let hyp = rca.hypotheses.iter().map(|h| format!("{}|{}|{}", h.status, h.text, h.evidence)).collect();
        fields.push(
            Field::new("textarea", "hypotheses", tr.t("problem.hypotheses"), lines(hyp))
                .rows(3)
                .wide()
                .help(tr.t("problem.hypotheses_help")),
        );
        let form =
            FormSection::post("problem-rca", format!("{}/rca", page_of(v)), tr.t("action.save"), fields).heading(tr.t("problem.edit_rca"));
        out.push(Section::Form(form.class("cols-2")));
    }
    out
}

async fn measures(state: &AppState, caller: &Caller, v: &ProblemView, names: &mut Names, edit: bool) -> Vec<Section> {
    let tr = caller.tr;
    let mut out = vec![Section::Heading(tr.t("problem.measures"))];
    let mut rows = Vec::new();
    for m in &v.measures {
        let status = if m.row.done_at.is_some() {
            "done"
        } else if m.overdue {
            "overdue"
        } else {
            "open"
        };
        let mut row = vec![
            Cell::text(m.row.title.clone()),
            Cell::text(names.user_or_dash(state, caller, m.row.owner_id).await),
            Cell::text(m.row.due_at.map(|d| time(d, caller)).unwrap_or_else(|| "—".into())),
            Cell::badge(tr.t(&format!("problem.measure.{status}")), &format!("measure measure-{status}")),
        ];
        if edit && m.row.done_at.is_none() {
            row.push(Cell::button(format!("{}/measures/{}/done", page_of(v), m.row.id.0), tr.t("problem.mark_done"), String::new()));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        out.push(Section::Text(tr.t("problem.no_measures")));
    } else {
        let mut columns: Vec<String> =
            ["field.title", "problem.field.owner_id", "problem.field.due_at", "field.state"].iter().map(|k| tr.t(k)).collect();
        if edit {
            columns.push(String::new());
        }
        out.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    if edit {
        let mut people = vec![(String::new(), tr.t("field.none"))];
        if let Some(t) = v.team_id {
            people.extend(names.members(state, caller, t).await.into_iter().map(|(id, n)| (id.0.to_string(), n)));
        }
        let fields = vec![
            Field::new("text", "title", tr.t("field.title"), "").required().wide(),
            Field::new("select", "owner_id", tr.t("problem.field.owner_id"), "").options(people),
            Field::new("datetime-local", "due_at", tr.t("problem.field.due_at"), ""),
        ];
        out.push(Section::Form(
            FormSection::post("problem-measure", format!("{}/measures", page_of(v)), tr.t("problem.add_measure"), fields).class("cols-2"),
        ));
    }
    out
}

fn review_sections(caller: &Caller, v: &ProblemView) -> Vec<Section> {
    let tr = caller.tr;
    let mut out = Vec::new();
    if !v.review_lessons.is_empty() {
        out.push(Section::Heading(tr.t("problem.review")));
        out.push(prose(&v.review_lessons));
        out.push(Section::Text(tr.t(&format!("problem.review_improvement.{}", v.review_improvement))));
    }
    if v.state == ProblemState::Resolved && allows(caller, Action::Transition) {
        let yes_no = vec![("false".to_string(), tr.t("problem.no")), ("true".to_string(), tr.t("problem.yes"))];
        let fields = vec![
            Field::new("textarea", "lessons", tr.t("problem.field.lessons"), v.review_lessons.clone()).rows(3).wide().required(),
            Field::new("select", "improvement", tr.t("problem.field.improvement"), "false")
                .options(yes_no)
                .help(tr.t("problem.improvement_help")),
        ];
        out.push(Section::Form(
            FormSection::post("problem-review", format!("{}/review", page_of(v)), tr.t("problem.save_review"), fields)
                .heading(tr.t("problem.review"))
                .folded(false)
                .class("cols-2"),
        ));
    }
    out
}

async fn record_layout(state: &AppState, caller: &Caller, v: &ProblemView) -> Layout {
    let tr = caller.tr;
    let mut names = Names::load(state, caller).await;
    let edit = allows(caller, Action::Update) && v.state != ProblemState::Closed;
    let facts = vec![
        (tr.t("field.number"), v.number.clone()),
        (tr.t("field.state"), state_label(caller, v.state)),
        (tr.t("field.priority"), format!("P{}", v.priority)),
        (tr.t("field.impact"), tr.t(&format!("incident.level.{}", v.impact))),
        (tr.t("problem.field.severity"), tr.t(&format!("incident.level.{}", v.severity))),
        (tr.t("problem.field.owner_id"), names.user_or_dash(state, caller, v.owner_id).await),
        (tr.t("field.team"), names.team_or_dash(v.team_id)),
        (
            tr.t("problem.field.ci_ref"),
            if let Some(ci) = v.ci_id {
                super::ci_pick::shown(state, caller, Some(ci)).await
            } else if v.ci_ref.is_empty() {
                "—".into()
            } else {
                v.ci_ref.clone()
            },
        ),
        (tr.t("field.created"), time(v.created_at, caller)),
    ];
    let mut main = moves(caller, v);
    main.push(Section::Heading(tr.t("field.description")));
    main.push(prose(&v.description));
    main.push(Section::Heading(if v.known_error { tr.t("problem.known_error") } else { tr.t("problem.known_error_draft") }));
    for key in ["symptom", "root_cause", "workaround"] {
        let text = match key {
            "symptom" => &v.symptom,
            "root_cause" => &v.root_cause,
            _ => &v.workaround,
        };
        main.push(Section::Text(tr.t(&format!("problem.field.{key}"))));
        main.push(prose(text));
    }
    main.push(Section::Heading(tr.t("problem.incidents")));
    let rows = v
        .incidents
        .iter()
        .map(|i| {
            let number = i["number"].as_str().unwrap_or_default().to_string();
            vec![
                Cell::link(number.clone(), format!("/incidents/{number}")),
                Cell::text(i["title"].as_str().unwrap_or_default().to_string()),
            ]
        })
        .collect();
    main.push(Section::Table(TableSection { columns: vec![tr.t("field.number"), tr.t("field.title")], rows, next: None }));
    if allows(caller, Action::Assign) && v.state != ProblemState::Closed {
        let fields = vec![Field::new("text", "incident", tr.t("problem.link_incident"), "").help(tr.t("problem.incidents_help"))];
        main.push(Section::Form(
            FormSection::post("problem-link", format!("{}/incidents", page_of(v)), tr.t("action.add"), fields).class("cols-2"),
        ));
    }
    main.extend(rca_sections(caller, v, edit));
    main.extend(measures(state, caller, v, &mut names, edit).await);
    main.extend(review_sections(caller, v));
    if edit {
        let mut people = vec![(String::new(), tr.t("field.none"))];
        if let Some(t) = v.team_id {
            people.extend(names.members(state, caller, t).await.into_iter().map(|(id, n)| (id.0.to_string(), n)));
        }
        let owner = v.owner_id.map(|u| u.0.to_string()).unwrap_or_default();
        let teams: Vec<(String, String)> = names.teams.iter().map(|(id, n)| (id.0.to_string(), n.clone())).collect();
        let team = v.team_id.map(|t| t.0.to_string()).unwrap_or_default();
        let fields = vec![
            Field::new("text", "title", tr.t("field.title"), v.title.clone()).required().wide(),
            Field::new("textarea", "description", tr.t("field.description"), v.description.clone()).rows(3).wide(),
            Field::new("select", "impact", tr.t("field.impact"), v.impact.as_str()).options(level_options(caller)),
            Field::new("select", "severity", tr.t("problem.field.severity"), v.severity.as_str())
                .options(level_options(caller))
                .help(tr.t("problem.priority_help")),
            Field::new("select", "team_id", tr.t("field.team"), team).options(teams),
            Field::new("select", "owner_id", tr.t("problem.field.owner_id"), owner).options(people),
            Field::new("text", "ci_ref", tr.t("problem.field.ci_ref"), v.ci_ref.clone()).help(tr.t("problem.ci_ref_help")),
            Field::new("textarea", "symptom", tr.t("problem.field.symptom"), v.symptom.clone()).rows(2).wide(),
            Field::new("textarea", "root_cause", tr.t("problem.field.root_cause"), v.root_cause.clone()).rows(2).wide(),
            Field::new("textarea", "workaround", tr.t("problem.field.workaround"), v.workaround.clone()).rows(2).wide(),
            Field::new("hidden", "version", String::new(), v.version.to_string()),
        ];
        let form = FormSection::post("problem-edit", page_of(v), tr.t("action.save"), fields).heading(tr.t("problem.edit"));
        main.push(Section::Form(form.class("cols-2")));
    }
    main.push(Section::Heading(tr.t("incident.timeline")));
    let entries = v
        .timeline
        .iter()
        .map(|a| TimelineEntry {
            time: time(a.at, caller),
            actor: a.actor_name.clone().unwrap_or_else(|| tr.t("incident.system")),
            what: tr.t(&format!("problem.activity.{}", a.kind)),
            body: a.body.clone(),
            internal: !a.public,
        })
        .collect();
    main.push(Section::Timeline(entries));
    let kinds = vec![("false".to_string(), tr.t("change.work_note")), ("true".to_string(), tr.t("change.reply"))];
    let comment = vec![
        Field::new("textarea", "body", tr.t("field.body"), "").rows(3).wide().required(),
        Field::new("select", "public", tr.t("change.comment_kind"), "false").options(kinds),
    ];
    main.push(Section::Form(
        FormSection::post("problem-comment", format!("{}/comment", page_of(v)), tr.t("action.add"), comment).class("cols-2"),
    ));
    let page = page_of(v);
    let files_api = format!("/api/v1/problems/{}/attachments", v.number);
    let at = ticket_parts::Place { kind: &PROBLEM, id: v.id.0, page: &page, files_api: &files_api };
    main.extend(ticket_parts::files(state, caller, &at, true, &mut names).await);
    let watchers = yunwei_core::ticket::watchers(&state.core, &caller.ctx, &PROBLEM, v.id.0).await.unwrap_or_default();
    let mut aside = vec![Section::Facts(facts)];
    aside.extend(ticket_parts::watchers(state, caller, &page, &watchers, allows(caller, Action::Assign), &mut names).await);
    Layout { title: format!("{} {}", v.number, v.title), sections: main, aside, data: Vec::new() }
}

ticket_parts::record_page!(problem_id, ProblemId, problem::get);

ticket_parts::ticket_handlers!(problem_id, &PROBLEM, "problem-comment");

super::ticket_parts::form_handlers! { problem_id;
    /// The closure review.
    review(ReviewInput) -> problem::review => "saved", "problem-review";
}

pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, t)): ApiPath<(String, String)>,
    form: PageForm<ProblemTransitionInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = problem_id(&number)?;
    let t: ProblemTransition = t.parse().map_err(|_| ApiError::not_found())?;
    let (result, posted) = form.run(|input| problem::transition(&state.core, &caller.ctx, id, t, input)).await;
    finish(&state, &caller, id, result, "problem_moved", Posted::new("problem-move", posted)).await
}

/// Saves the edit form.
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = problem_id(&number)?;
    let pairs = form.input?;
    let result = match to_input(&pairs) {
        Ok(input) => problem::update(&state.core, &caller.ctx, id, input).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    finish(&state, &caller, id, result, "saved", Posted::new("problem-edit", pairs)).await
}

pub async fn link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = problem_id(&number)?;
    let pairs = form.input?;
    let text = pairs.iter().find(|(k, _)| k == "incident").map(|(_, v)| v.clone()).unwrap_or_default();
    let result = match yunwei_domain::incident::parse_number(&text) {
        Some(i) => {
            problem::link_incident(&state.core, &caller.ctx, id, yunwei_domain::ids::IncidentId(i), true).await.map_err(ApiError::from)
        }
        None => Err(yunwei_core::CoreError::from(yunwei_domain::DomainError::field("incident", "not_found")).into()),
    };
    finish(&state, &caller, id, result, "saved", Posted::new("problem-link", pairs)).await
}

/// The analysis form: whys and causes one per line, hypotheses as `status|text|evidence`.
fn rca_of_form(pairs: &Pairs, keep: &Rca) -> Rca {
    let lines = |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect::<Vec<_>>();
    let mut rca = Rca { timeline: keep.timeline.clone(), ..Rca::default() };
    for (k, v) in pairs {
        if k == "whys" {
            rca.whys = lines(v);
        } else if k == "hypotheses" {
            for l in lines(v) {
                let mut parts = l.splitn(3, '|');
                let (a, b, c) = (parts.next().unwrap_or_default(), parts.next(), parts.next());
                let (status, text, evidence) = match (a.trim().parse::<HypothesisStatus>(), b) {
                    (Ok(s), Some(t)) => (s, t.trim().to_string(), c.unwrap_or_default().trim().to_string()),
                    _ => (HypothesisStatus::Open, l.clone(), String::new()),
                };
                rca.hypotheses.push(Hypothesis { text, status, evidence });
            }
        } else if let Some(f) = k.strip_prefix("cause.").and_then(|f| f.parse::<Fishbone>().ok()) {
            rca.causes.extend(lines(v).into_iter().map(|text| Cause { category: f, text }));
        }
    }
    rca
}

pub async fn rca(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = problem_id(&number)?;
    let pairs = form.input?;
    let current = problem::get(&state.core, &caller.ctx, id).await?;
    let input = rca_of_form(&pairs, &problem::rca_of(&current));
    let result = problem::put_rca(&state.core, &caller.ctx, id, input).await.map_err(ApiError::from);
    finish(&state, &caller, id, result, "saved", Posted::new("problem-rca", pairs)).await
}

pub async fn add_measure(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = problem_id(&number)?;
    let pairs = form.input?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let due = get("due_at");
    let result = match (due.is_empty(), parse_local(&due, &caller)) {
        (false, None) => {
            Err(yunwei_core::CoreError::from(yunwei_domain::DomainError::Validation(vec![FieldError::new("due_at", "invalid_time")]))
                .into())
        }
        (_, at) => {
            let input = MeasureInput {
                title: Some(get("title")),
                owner_id: get("owner_id").parse::<i64>().ok().map(UserId),
                due_at: at.map(yunwei_core::incident::Instant),
                done: None,
            };
            problem::put_measure(&state.core, &caller.ctx, id, None, input).await.map_err(ApiError::from)
        }
    };
    finish(&state, &caller, id, result, "saved", Posted::new("problem-measure", pairs)).await
}

pub async fn measure_done(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, m)): ApiPath<(String, i64)>,
    form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = problem_id(&number)?;
    let pairs = form.input?;
    let input = MeasureInput { done: Some(true), ..MeasureInput::default() };
    let result = problem::put_measure(&state.core, &caller.ctx, id, Some(ProblemMeasureId(m)), input).await.map_err(ApiError::from);
    finish(&state, &caller, id, result, "saved", Posted::new("problem-measure-done", pairs)).await
}

/// The upload form.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = problem_id(&number)?;
    // The problem must be readable before anything is read from the body.
    problem::get(&state.core, &caller.ctx, id).await?;
    let result = ticket_parts::upload(&state, &caller, &PROBLEM, id.0, form).await?;
    finish(&state, &caller, id, result, "file_added", Posted::new("attach", Vec::new())).await
}
