//! One change request's page: the form's content, the risk assessment with its reasoning,
//! the impact analysis of its CIs (business services, and whether redundancy keeps them up),
//! the implementation steps, the votes, the timeline, files and watchers — and only the
//! moves, votes and edits its reader may make.

use super::change::{ACTIVE, allows, form_fields, state_label, to_input, window};
use super::desk::Names;
use super::ticket_parts;
use super::{Button, Cell, Field, FormSection, Layout, Pairs, Posted, Section, TableSection, TimelineEntry, time};
use crate::AppState;
use crate::api::change::change_id;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm};
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::response::Response;
use yunwei_core::change::{self, ChangeTransitionInput, ChangeView, StepInput, VoteInput};
use yunwei_core::ticket::Comment;
use yunwei_domain::change::{self as rules, ChangeState, ChangeTransition, ChangeType, Position};
use yunwei_domain::ids::{ChangeId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::ticket::CHANGE;

fn page_of(v: &ChangeView) -> String {
    format!("{ACTIVE}/{}", v.number)
}

/// The transitions the reader may make now.
fn offered(caller: &Caller, v: &ChangeView) -> Vec<ChangeTransition> {
    let p = Position { state: v.state, change_type: v.change_type, approved: v.approved_at.is_some() };
    ChangeTransition::ALL
        .iter()
        .copied()
        .filter(|t| rules::next(p, *t).is_some())
        .filter(|t| match t {
            ChangeTransition::Submit | ChangeTransition::Revise | ChangeTransition::Cancel => allows(caller, Action::Update),
            _ => allows(caller, Action::Transition),
        })
        .collect()
}

/// May the reader vote now (approve right, not their own change, not voted yet, open for votes)?
fn may_vote(caller: &Caller, v: &ChangeView) -> bool {
    let me = caller.ctx.actor_id().map(UserId);
    let retro = v.change_type == ChangeType::Emergency
        && matches!(v.state, ChangeState::Implementing | ChangeState::Completed | ChangeState::RolledBack);
    let open = v.approved_at.is_none() && (v.state == ChangeState::PendingApproval || retro);
    let cast: Vec<rules::Cast> = v.approvals.iter().map(|a| rules::Cast { voter: a.approver_id, vote: a.vote }).collect();
    // The approval matrix: only an approver of the current stage.
    let in_stage = |me: UserId| v.approval.iter().find(|s| s.status == "current").is_some_and(|s| s.eligible.contains(&me));
    open && allows(caller, Action::Approve)
        && me.is_some_and(|me| rules::may_vote(me, v.requester_id, v.implementer_id, &cast).is_ok() && in_stage(me))
}

fn reason_text(caller: &Caller, r: &serde_json::Value) -> String {
    let tr = caller.tr;
    let code = r["code"].as_str().unwrap_or_default();
    let params: Vec<(String, String)> = r["params"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string())))
                .map(|(k, val)| if k == "level" { (k, tr.t(&format!("change.risk.{val}"))) } else { (k, val) })
                .collect()
        })
        .unwrap_or_default();
    tr.with(&format!("change.reason.{code}"), &params)
}

async fn assessment(state: &AppState, caller: &Caller, v: &ChangeView) -> Vec<Section> {
    let tr = caller.tr;
    let mut out = vec![Section::Heading(tr.t("change.assessment"))];
    out.push(Section::Badges(vec![(tr.t(&format!("change.risk.{}", v.risk_level)), format!("risk risk-{}", v.risk_level))]));
    let reasons: Vec<String> = v.risk_reasons.as_array().map(|a| a.iter().map(|r| reason_text(caller, r)).collect()).unwrap_or_default();
    out.push(Section::Prose(reasons.join("\n")));
    if v.ci_ids.is_empty() {
        out.push(Section::Text(tr.t("change.no_cis")));
        return out;
    }
    out.push(Section::Heading(tr.t("change.impact")));
    let Ok(Some(impact)) = change::impact(&state.core, &caller.ctx, v.id).await else { return out };
    let en = !tr.is_zh();
    let mut rows = Vec::new();
    for ci in &v.ci_ids {
        let name = super::ci_pick::shown(state, caller, Some(*ci)).await;
        rows.push(vec![Cell::link(name, format!("/cmdb/cis/{ci}")), Cell::text(tr.t("change.impact_changed"))]);
    }
    for s in &impact.business_services {
        let state_key = if s.state == yunwei_domain::cmdb::impact::State::Down { "change.impact_down" } else { "change.impact_kept_up" };
        let name = yunwei_core::cmdb::pick(&s.name, &s.name_en, en).to_string();
        rows.push(vec![Cell::link(name, format!("/cmdb/cis/{}", s.id)), Cell::text(tr.t(state_key))]);
    }
    if impact.business_services.is_empty() {
        out.push(Section::Text(tr.t("change.no_services")));
    }
    out.push(Section::Table(TableSection { columns: vec![tr.t("field.name"), tr.t("change.impact_effect")], rows, next: None }));
    if impact.hidden > 0 {
        out.push(Section::Text(tr.with("change.impact_hidden", &[("count".into(), impact.hidden.to_string())])));
    }
    out
}

fn steps(caller: &Caller, v: &ChangeView) -> Vec<Section> {
    let tr = caller.tr;
    let act = v.state == ChangeState::Implementing && allows(caller, Action::Transition);
    let mut rows = Vec::new();
    for (n, s) in v.steps.as_array().cloned().unwrap_or_default().iter().enumerate() {
        let status = s["status"].as_str().unwrap_or("pending");
        let at = |k: &str| s[k].as_i64().map(|ms| time(ms, caller)).unwrap_or_else(|| "—".into());
        let mut row = vec![
            Cell::text(format!("{}. {}", n + 1, s["title"].as_str().unwrap_or_default())),
            Cell::badge(tr.t(&format!("change.step.{status}")), &format!("step step-{status}")),
            Cell::text(at("started_at")),
            Cell::text(at("finished_at")),
        ];
        if act {
            let next = if status == "pending" { "in_progress" } else { "done" };
            let label = tr.t(&format!("change.step_to.{next}"));
            row.push(Cell::button(format!("{}/steps/{}?status={next}", page_of(v), n + 1), label, String::new()));
        }
        rows.push(row);
    }
    let mut columns = vec![tr.t("change.field.steps"), tr.t("field.state"), tr.t("change.step_started"), tr.t("change.step_finished")];
    if act {
        columns.push(String::new());
    }
    vec![Section::Heading(tr.t("change.field.steps")), Section::Table(TableSection { columns, rows, next: None })]
}

async fn approvals(state: &AppState, caller: &Caller, v: &ChangeView, names: &mut Names) -> Vec<Section> {
    let tr = caller.tr;
    let have = v.approvals.iter().filter(|a| a.vote == rules::Vote::Approve).count();
    let need = tr.with("change.approvals_needed", &[("have".into(), have.to_string()), ("need".into(), v.approvals_needed.to_string())]);
    let mut out = vec![Section::Heading(tr.t("change.approvals")), Section::Text(need)];
    if v.state != ChangeState::Draft && !v.approval.is_empty() {
        let rows = v
            .approval
            .iter()
            .enumerate()
            .map(|(n, s)| {
                let rule = match s.stage.rule {
                    yunwei_domain::change::matrix::Rule::Any => tr.t("change.rule.any"),
                    yunwei_domain::change::matrix::Rule::All => tr.t("change.rule.all"),
                    yunwei_domain::change::matrix::Rule::Quorum(q) => tr.with("change.rule.quorum", &[("count".into(), q.to_string())]),
                };
                vec![
                    Cell::text(format!("{}. {}", n + 1, super::local_name(tr, &s.stage.name, &s.stage.name_en))),
                    Cell::text(rule),
                    Cell::text(format!("{}/{}", s.have, s.need)),
                    Cell::badge(tr.t(&format!("change.stage.{}", s.status)), &format!("step step-{}", s.status)),
                ]
            })
            .collect();
        let columns = ["change.stage_name", "change.stage_rule", "change.stage_count", "field.state"].iter().map(|k| tr.t(k)).collect();
        out.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    let mut rows = Vec::new();
    for a in &v.approvals {
        rows.push(vec![
            Cell::text(names.user(state, caller, a.approver_id).await),
            Cell::text(tr.t(&format!("change.vote.{}", a.vote))),
            Cell::text(a.comment.clone()),
            Cell::text(time(a.at_ms, caller)),
        ]);
    }
    if !rows.is_empty() {
        let columns = ["change.approver", "change.field.vote", "field.comment", "field.at"].iter().map(|k| tr.t(k)).collect();
        out.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    if may_vote(caller, v) {
        let votes = vec![("approve".to_string(), tr.t("change.vote.approve")), ("reject".to_string(), tr.t("change.vote.reject"))];
        let fields = vec![
            Field::new("select", "vote", tr.t("change.field.vote"), "approve").options(votes).required(),
            Field::new("textarea", "comment", tr.t("field.comment"), "").rows(2).wide().help(tr.t("change.vote_help")),
        ];
        out.push(Section::Form(
            FormSection::post("change-vote", format!("{}/vote", page_of(v)), tr.t("change.cast_vote"), fields).class("cols-2"),
        ));
    }
    out
}

fn moves(caller: &Caller, v: &ChangeView, now: i64) -> Vec<Section> {
    let tr = caller.tr;
    let mut out = Vec::new();
    let mut buttons = Vec::new();
    for t in offered(caller, v) {
        let action = format!("{}/transition/{t}", page_of(v));
        if t == ChangeTransition::Start {
            let inside = rules::start_allowed(now, (v.window_start, v.window_end), v.change_type, "").is_ok();
            let mut fields = Vec::new();
            if !inside {
                fields.push(
                    Field::new("textarea", "reason", tr.t("change.override_reason"), "").rows(2).wide().help(tr.t("change.override_help")),
                );
            }
            out.push(Section::Form(FormSection::post("change-start", action, tr.t("change.action.start"), fields).class("cols-2")));
        } else {
            let confirm = matches!(t, ChangeTransition::Cancel | ChangeTransition::RollBack).then(|| tr.t("change.confirm"));
            buttons.push(Button { action, label: tr.t(&format!("change.action.{t}")), confirm });
        }
    }
    if !buttons.is_empty() {
        out.insert(0, Section::Buttons(buttons));
    }
    out
}

async fn record_layout(state: &AppState, caller: &Caller, v: &ChangeView) -> Layout {
    let tr = caller.tr;
    let mut names = Names::load(state, caller).await;
    let mut facts = vec![
        (tr.t("field.number"), v.number.clone()),
        (tr.t("change.field.change_type"), tr.t(&format!("change.type.{}", v.change_type))),
        (tr.t("field.state"), state_label(caller, v.state)),
        (tr.t("change.field.risk_level"), tr.t(&format!("change.risk.{}", v.risk_level))),
        (tr.t("change.field.window"), window(caller, v)),
        (tr.t("change.field.requester"), names.user_or_dash(state, caller, v.requester_id).await),
        (tr.t("change.field.implementer_id"), names.user_or_dash(state, caller, v.implementer_id).await),
        (tr.t("field.team"), names.team_or_dash(v.team_id)),
        (tr.t("field.created"), time(v.created_at, caller)),
    ];
    if let Some(s) = v.started_at {
        facts.push((tr.t("change.started_at"), time(s, caller)));
    }
    if !v.start_override.is_empty() {
        facts.push((tr.t("change.override_reason"), v.start_override.clone()));
    }
    for i in &v.incidents {
        let rel = i["relation"].as_str().unwrap_or("cause");
        let number = i["number"].as_str().unwrap_or_default().to_string();
        facts.push((tr.t(&format!("change.incident.{rel}")), number));
    }
    let mut main = moves(caller, v, state.core.now_ms());
    for key in ["content", "reason", "expected_effect", "impact_scope", "risk_mitigation", "backup_plan", "rollback_plan", "test_plan"] {
        let text = match key {
            "content" => &v.content,
            "reason" => &v.reason,
            "expected_effect" => &v.expected_effect,
            "impact_scope" => &v.impact_scope,
            "risk_mitigation" => &v.risk_mitigation,
            "backup_plan" => &v.backup_plan,
            "rollback_plan" => &v.rollback_plan,
            _ => &v.test_plan,
        };
        main.push(Section::Heading(tr.t(&format!("change.field.{key}"))));
        main.push(Section::Prose(if text.is_empty() { "—".into() } else { text.clone() }));
    }
    main.extend(steps(caller, v));
    main.extend(assessment(state, caller, v).await);
    main.extend(super::change_calendar::warnings(state, caller, v).await);
    main.extend(approvals(state, caller, v, &mut names).await);
    if v.state == ChangeState::Draft && allows(caller, Action::Update) {
        let fields = form_fields(state, caller, Some(v)).await;
        let form = FormSection::post("change-edit", page_of(v), tr.t("action.save"), fields).heading(tr.t("change.edit")).folded(false);
        main.push(Section::Form(form.class("cols-2")));
    }
    main.push(Section::Heading(tr.t("incident.timeline")));
    let entries = v
        .timeline
        .iter()
        .map(|a| TimelineEntry {
            time: time(a.at, caller),
            actor: a.actor_name.clone().unwrap_or_else(|| tr.t("incident.system")),
            what: tr.t(&format!("change.activity.{}", a.kind)),
            body: a.body.clone(),
            internal: !a.public,
        })
        .collect();
    main.push(Section::Timeline(entries));
    let kinds = vec![("true".to_string(), tr.t("change.reply")), ("false".to_string(), tr.t("change.work_note"))];
    let comment = vec![
        Field::new("textarea", "body", tr.t("field.comment"), "").rows(3).wide().required(),
        Field::new("select", "public", tr.t("change.comment_kind"), "true").options(kinds),
    ];
    main.push(Section::Form(
        FormSection::post("change-comment", format!("{}/comment", page_of(v)), tr.t("action.add"), comment).class("cols-2"),
    ));
    let page = page_of(v);
    let files_api = format!("/api/v1/changes/{}/attachments", v.number);
    let at = ticket_parts::Place { kind: &CHANGE, id: v.id.0, page: &page, files_api: &files_api };
    main.extend(ticket_parts::files(state, caller, &at, true, &mut names).await);
    let watchers = yunwei_core::ticket::watchers(&state.core, &caller.ctx, &CHANGE, v.id.0).await.unwrap_or_default();
    let may_assign = super::change::allows(caller, Action::Assign);
    let mut aside = vec![Section::Facts(facts)];
    aside.extend(ticket_parts::watchers(state, caller, &page, &watchers, may_assign, &mut names).await);
    Layout { title: format!("{} {}", v.number, v.title), sections: main, aside, data: Vec::new() }
}

ticket_parts::record_page!(change_id, ChangeId, change::get);

/// Saves the draft's edit form.
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = change_id(&number)?;
    let pairs = form.input?;
    let result = match to_input(&state, &caller, pairs.clone()).await {
        Ok(input) => change::update(&state.core, &caller.ctx, id, input).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    finish(&state, &caller, id, result, "saved", Posted::new("change-edit", pairs)).await
}

pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, t)): ApiPath<(String, String)>,
    form: PageForm<ChangeTransitionInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = change_id(&number)?;
    let t: ChangeTransition = t.parse().map_err(|_| ApiError::not_found())?;
    let (result, posted) = form.run(|input| change::transition(&state.core, &caller.ctx, id, t, input)).await;
    finish(&state, &caller, id, result, "change_moved", Posted::new("change-start", posted)).await
}

pub async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<VoteInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = change_id(&number)?;
    let (result, posted) = form.run(|input| change::vote(&state.core, &caller.ctx, id, input)).await;
    finish(&state, &caller, id, result, "change_voted", Posted::new("change-vote", posted)).await
}

pub async fn step(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, n)): ApiPath<(String, usize)>,
    ApiQuery(q): ApiQuery<StepInput>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = change_id(&number)?;
    let result = change::set_step(&state.core, &caller.ctx, id, n.saturating_sub(1), q).await.map_err(ApiError::from);
    finish(&state, &caller, id, result, "saved", Posted::new("change-step", pairs)).await
}

pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<Comment>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = change_id(&number)?;
    let (result, posted) = form.run(|input| yunwei_core::ticket::comment(&state.core, &caller.ctx, &CHANGE, id.0, input)).await;
    finish(&state, &caller, id, result, "comment_added", Posted::new("change-comment", posted)).await
}

async fn set_watching(
    state: AppState,
    caller: Caller,
    number: String,
    pairs: Pairs,
    user: Option<String>,
    watch: bool,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = change_id(&number)?;
    let user = ticket_parts::watcher_of(user.as_deref())?;
    let result = yunwei_core::ticket::set_watching(&state.core, &caller.ctx, &CHANGE, id.0, user, watch).await.map_err(ApiError::from);
    let notice = ticket_parts::watch_notice(&caller, user, watch);
    finish(&state, &caller, id, result, notice, Posted::new("watcher", pairs)).await
}

#[derive(serde::Deserialize, Default)]
pub struct WhoQuery {
    user_id: Option<String>,
}

pub async fn watch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    let user = pairs.iter().find(|(k, _)| k == "user_id").map(|(_, v)| v.clone());
    set_watching(state, caller, number, pairs, user, true).await
}

pub async fn unwatch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<WhoQuery>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    set_watching(state, caller, number, pairs, q.user_id, false).await
}

pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = change_id(&number)?;
    change::get(&state.core, &caller.ctx, id).await?;
    let result = ticket_parts::upload(&state, &caller, &CHANGE, id.0, form).await?;
    finish(&state, &caller, id, result, "file_added", Posted::new("attach", Vec::new())).await
}
