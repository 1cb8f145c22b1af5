//! Service-request pages: the catalogue, the form of an item (built from its
//! fields), the request lists, and the request page with approvals, tasks,
//! conversation and every action. Failed forms show the page again with the messages.

use super::desk::{Names, file_size};
use super::{
    Button, Cell, Field, FormSection, Layout, NavItem, Pairs, Posted, Section, TableSection, TimelineEntry, failed_form, local_name,
    redirect, render, time, url_encode,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};
use yunwei_core::request::{
    self, CatalogItemView, DecisionInput, NewRequest, RequestDetail, RequestQuery, RequestQueue, RequestTransitionInput, TaskInput,
};
use yunwei_domain::ids::{CatalogItemId, RequestTaskId, ServiceRequestId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::request::{FieldKind, FormField, RequestAction, RequestState, TaskAction, TaskState};

pub const ACTIVE: &str = "/requests";

fn get<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

fn state_badge(tr: Tr, s: &str) -> Cell {
    Cell::badge(tr.t(&format!("request.state.{s}")), &format!("state state-{s}"))
}

const QUEUES: [(&str, RequestQueue); 4] =
    [("mine", RequestQueue::Mine), ("approvals", RequestQueue::Approvals), ("my_teams", RequestQueue::MyTeams), ("all", RequestQueue::All)];

#[derive(Deserialize, Default)]
pub struct ListForm {
    queue: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
    ok: Option<String>,
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<ListForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let key = f.queue.as_deref().filter(|q| !q.is_empty()).unwrap_or("mine").to_string();
    let queue = QUEUES
        .iter()
        .find(|q| q.0 == key)
        .map(|q| q.1)
        .ok_or_else(|| ApiError::from(yunwei_core::CoreError::from(yunwei_domain::DomainError::field("queue", "not_allowed_value"))))?;
    let st = f.state.clone().filter(|s| !s.is_empty());
    let q = RequestQuery {
        queue,
        state: st.clone(),
        limit: Some(50),
        cursor: f.cursor.clone().filter(|c| !c.is_empty()),
        ..Default::default()
    };
    let list = request::list(&state.core, &caller.ctx, &q).await?;
    let mut names = Names::load(&state, &caller).await;
    let mut rows = Vec::new();
    for r in &list.items {
        rows.push(vec![
            Cell::link(r.number.clone(), format!("/requests/{}", r.number)),
            Cell::text(r.title.clone()),
            state_badge(tr, r.state.as_str()),
            Cell::text(names.user_or_dash(&state, &caller, r.requester_id).await),
            Cell::text(names.team_or_dash(r.team_id)),
            Cell::text(time(r.created_at, &caller)),
            Cell::text(time(r.updated_at, &caller)),
        ]);
    }
    let base = format!("/requests?queue={key}&state={}", url_encode(st.as_deref().unwrap_or_default()));
    let next = list.next_cursor.map(|c| format!("{base}&cursor={}", url_encode(&c)));
    // Offered: the queues and the catalogue the loaders would open for this reader.
    let tabs = QUEUES
        .iter()
        .filter(|(_, q)| request::queue_scope(&caller.ctx, *q).is_ok())
        .map(|(k, _)| NavItem { href: format!("/requests?queue={k}"), label: tr.t(&format!("request.queue.{k}")), active: *k == key })
        .collect();
    let mut states = vec![(String::new(), tr.t("incident.filter.any"))];
    states.extend(RequestState::ALL.iter().map(|s| (s.as_str().to_string(), tr.t(&format!("request.state.{s}")))));
    let filter = FormSection::get(
        "request-filter",
        "/requests",
        tr.t("action.filter"),
        vec![
            Field::new("hidden", "queue", String::new(), key.clone()),
            Field::new("select", "state", tr.t("field.state"), st.unwrap_or_default()).options(states),
        ],
    );
    let columns = ["field.number", "field.title", "field.state", "field.requester_id", "field.team", "field.created", "field.updated"];
    let sections = vec![
        Section::Links(if request::may_browse(&caller.ctx).is_ok() { vec![("/catalog".into(), tr.t("request.new"))] } else { Vec::new() }),
        Section::Tabs(tr.t("request.queues"), tabs),
        Section::Form(filter),
        if rows.is_empty() {
            Section::Text(tr.t("request.none"))
        } else {
            Section::Table(TableSection { columns: columns.iter().map(|c| tr.t(c)).collect(), rows, next })
        },
    ];
    let notice = f.ok.map(|k| format!("notice.{k}")).filter(|k| tr.has(k)).map(|k| tr.t(&k));
    Ok(render(&state, &caller, ACTIVE, Layout { title: tr.t("process.request.title"), sections, ..Layout::default() }, notice, Vec::new())
        .await)
}

// ---- the catalogue and an item's form ----

fn input_of(f: &FormField, tr: Tr, value: &str) -> Field {
    let label = f.label.get(tr.locale).to_string();
    let name = format!("answers.{}", f.key);
    let mut field = match f.kind {
        FieldKind::Textarea => Field::new("textarea", &name, label, value).rows(4).wide(),
        FieldKind::Number => Field::new("number", &name, label, value),
        FieldKind::Date => Field::new("date", &name, label, value),
        FieldKind::Choice => {
            let mut options = vec![(String::new(), "—".to_string())];
            options.extend(f.options.iter().map(|o| (o.value.clone(), o.label.get(tr.locale).to_string())));
            Field::new("select", &name, label, value).options(options)
        }
        FieldKind::User => Field::new("text", &name, label, value).help(tr.t("request.user_help")),
        FieldKind::Attachment => Field::new("file", &format!("upload.{}", f.key), label, "").help(tr.t("request.file_help")),
        FieldKind::Text | FieldKind::Ci => Field::new("text", &name, label, value),
    };
    if let Some(h) = &f.help {
        field = field.help(h.get(tr.locale).to_string());
    }
    if f.required {
        field = field.required();
    }
    field
}

fn item_form(item: &CatalogItemView, tr: Tr, posted: Option<&Pairs>) -> Vec<Section> {
    let value = |name: &str| posted.map(|p| get(p, name).to_string()).unwrap_or_default();
    let mut fields: Vec<Field> = item.definition.fields.iter().map(|f| input_of(f, tr, &value(&format!("answers.{}", f.key)))).collect();
    // The browser script puts a chosen file here as JSON (name, type, base64 content).
    fields.extend(
        item.definition
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Attachment)
            .map(|f| Field::new("hidden", &format!("attach.{}", f.key), String::new(), "")),
    );
    let mut sections = vec![Section::Prose(item.description.get(tr.locale).to_string())];
    if !item.definition.approvals.is_empty() {
        let steps: Vec<String> =
            item.definition.approvals.iter().enumerate().map(|(n, s)| format!("{}. {}", n + 1, s.name.get(tr.locale))).collect();
        sections.push(Section::Facts(vec![(tr.t("request.approval"), steps.join(" → "))]));
    }
    sections.push(Section::Form(
        FormSection::post("request-new", format!("/catalog/{}", item.id), tr.t("request.submit"), fields).class("cols-2"),
    ));
    sections
}

pub async fn item(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> Result<Response, ApiError> {
    caller.require()?;
    let item = request::get_item(&state.core, &caller.ctx, CatalogItemId(id)).await?;
    let title = item.name.get(caller.tr.locale).to_string();
    Ok(render(
        &state,
        &caller,
        ACTIVE,
        Layout { title, sections: item_form(&item, caller.tr, None), ..Layout::default() },
        None,
        Vec::new(),
    )
    .await)
}

pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let item = request::get_item(&state.core, &caller.ctx, CatalogItemId(id)).await?;
    // Not `PageForm`: a catalogue item's fields are data its owner defines at run time, so no
    // serde type can name them. The pairs are read by the item's own definition into the API's
    // `NewRequest`, and core checks them by that definition (`check_answers`) exactly as it
    // checks a JSON request: one input type and one validation, only the reading differs.
    let mut answers = Map::new();
    for f in &item.definition.fields {
        let v = if f.kind == FieldKind::Attachment {
            serde_json::from_str::<Value>(get(&pairs, &format!("attach.{}", f.key))).unwrap_or(Value::Null)
        } else {
            Value::String(get(&pairs, &format!("answers.{}", f.key)).to_string())
        };
        answers.insert(f.key.clone(), v);
    }
    let input = NewRequest { item_id: item.id, answers, requester_id: None, title: None };
    match request::create(&state.core, &caller.ctx, input).await {
        Ok(r) => Ok(redirect(&format!("/requests/{}?ok=requested", r.number))),
        Err(e) => {
            let title = item.name.get(caller.tr.locale).to_string();
            let layout = Layout { title, sections: item_form(&item, caller.tr, Some(&pairs)), ..Layout::default() };
            failed_form(&state, &caller, e.into(), layout, ACTIVE, Some(&Posted::new("request-new", pairs))).await
        }
    }
}

// ---- one request ----

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    ok: Option<String>,
}

pub(super) fn request_id(number: &str) -> Result<ServiceRequestId, ApiError> {
    crate::api::request::request_id(number)
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let d = request::get(&state.core, &caller.ctx, request_id(&number)?).await?;
    let layout = request_layout(&state, &caller, &d).await;
    let notice = q.ok.map(|k| format!("notice.{k}")).filter(|k| caller.tr.has(k)).map(|k| caller.tr.t(&k));
    Ok(render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await)
}

async fn answer_text(state: &AppState, caller: &Caller, names: &mut Names, f: &FormField, v: &Value, number: &str) -> Cell {
    let tr = caller.tr;
    match (f.kind, v) {
        (FieldKind::Choice, Value::String(s)) => {
            Cell::text(f.options.iter().find(|o| &o.value == s).map_or(s.clone(), |o| o.label.get(tr.locale).to_string()))
        }
        (FieldKind::User, v) => Cell::text(names.user_or_dash(state, caller, v.as_i64().map(UserId)).await),
        (FieldKind::Attachment, Value::Object(o)) => {
            let name = o.get("filename").and_then(Value::as_str).unwrap_or("file");
            let size = o.get("size").and_then(Value::as_i64).map(file_size).unwrap_or_default();
            let href =
                format!("/api/v1/service-requests/{number}/attachments/{}", o.get("attachment_id").and_then(Value::as_i64).unwrap_or(0));
            Cell::link(format!("{name} ({size})"), href)
        }
        (_, Value::String(s)) => Cell::text(s.clone()),
        (_, Value::Null) => Cell::text("—"),
        (_, other) => Cell::text(other.to_string()),
    }
}

async fn request_layout(state: &AppState, caller: &Caller, d: &RequestDetail) -> Layout {
    let tr = caller.tr;
    let r = &d.request;
    let mut names = Names::load(state, caller).await;
    let base = format!("/requests/{}", r.number);
    let mut sections = vec![Section::Badges(vec![(tr.t(&format!("request.state.{}", r.state)), format!("state state-{}", r.state))])];
    // The answers, labelled by the form as it was when the request was made.
    let mut rows = Vec::new();
    for f in &d.definition.fields {
        let v = r.answers.get(&f.key).cloned().unwrap_or(Value::Null);
        rows.push(vec![Cell::text(f.label.get(tr.locale).to_string()), answer_text(state, caller, &mut names, f, &v, &r.number).await]);
    }
    if !rows.is_empty() {
        sections.push(Section::Heading(tr.t("request.answers")));
        sections.push(Section::Table(TableSection { columns: vec![tr.t("request.question"), tr.t("request.answer")], rows, next: None }));
    }
    // A step nobody could be found for is shown as waiting for the desk, not left out.
    let unassigned: Vec<usize> = (0..d.definition.approvals.len()).filter(|n| !d.approvals.iter().any(|a| a.step as usize == *n)).collect();
    if !d.approvals.is_empty() || !unassigned.is_empty() {
        let step_name = |n: usize| d.definition.approvals.get(n).map(|s| s.name.get(tr.locale).to_string()).unwrap_or_default();
        let mut rows: Vec<(usize, Vec<Cell>)> = Vec::new();
        for a in &d.approvals {
            let n = a.step as usize;
            let approver = match &a.approver_name {
                Some(name) => name.clone(),
                None => names.user(state, caller, a.approver_id).await,
            };
            let row = vec![
                Cell::text(format!("{}. {}", n + 1, step_name(n))),
                Cell::text(approver),
                Cell::badge(tr.t(&format!("request.decision.{}", a.decision)), &format!("state decision-{}", a.decision)),
                Cell::text(a.comment.clone()),
                Cell::text(a.decided_at.map(|t| time(t, caller)).unwrap_or_else(|| "—".into())),
            ];
            rows.push((n, row));
        }
        rows.extend(unassigned.iter().map(|n| {
            let row = vec![
                Cell::text(format!("{}. {}", n + 1, step_name(*n))),
                Cell::text("—"),
                Cell::badge(tr.t("request.awaiting_approver"), "warn"),
                Cell::text(String::new()),
                Cell::text("—"),
            ];
            (*n, row)
        }));
        rows.sort_by_key(|(n, _)| *n);
        let rows = rows.into_iter().map(|(_, row)| row).collect();
        sections.push(Section::Heading(tr.t("request.approval")));
        let columns = ["request.step", "request.approver", "request.decision", "request.comment", "request.decided_at"];
        sections.push(Section::Table(TableSection { columns: columns.iter().map(|c| tr.t(c)).collect(), rows, next: None }));
        sections.extend(super::request_record::approver_forms(state, caller, d, &unassigned).await);
    }
    if d.can_decide {
        // Approving is one click (a comment may go with it); rejecting asks for the reason.
        sections.push(Section::Heading(tr.t("request.your_decision")));
        let approve = vec![
            Field::new("hidden", "decision", String::new(), "approve"),
            Field::new("textarea", "comment", tr.t("request.comment"), "").rows(2),
        ];
        sections.push(Section::Form(
            FormSection::post("request-approve", format!("{base}/decide"), tr.t("request.action.approve"), approve).class("inline-edit"),
        ));
        let reject = vec![
            Field::new("hidden", "decision", String::new(), "reject"),
            Field::new("textarea", "comment", tr.t("request.reject_reason"), "").rows(2).required(),
        ];
        sections.push(Section::Form(
            FormSection::post("request-reject", format!("{base}/decide"), tr.t("request.action.reject"), reject).class("inline-edit"),
        ));
    }
    if !d.tasks.is_empty() {
        sections.push(Section::Heading(tr.t("request.tasks")));
        let mut rows = Vec::new();
        for t in &d.tasks {
            rows.push(vec![
                Cell::text(format!("{}. {}", t.seq, local_name(tr, &t.title, &t.title_en))),
                Cell::text(names.team_or_dash(t.team_id)),
                Cell::text(names.user_or_dash(state, caller, t.assignee_id).await),
                Cell::badge(tr.t(&format!("request_task.state.{}", t.state)), &format!("state task-{}", t.state)),
                Cell::text(t.note.clone()),
            ]);
        }
        let columns = ["request.task", "field.team", "field.assignee", "field.state", "request.note"];
        sections.push(Section::Table(TableSection { columns: columns.iter().map(|c| tr.t(c)).collect(), rows, next: None }));
        if r.state == RequestState::InFulfilment {
            for t in d.tasks.iter().filter(|t| t.state.parse().is_ok_and(|s: TaskState| !s.is_finished())) {
                let actions: Vec<(String, String)> = TaskAction::ALL
                    .iter()
                    .filter(|a| t.state.parse().is_ok_and(|s| yunwei_domain::request::next_task_state(s, **a).is_ok()))
                    .map(|a| (a.as_str().to_string(), tr.t(&format!("request_task.action.{a}"))))
                    .collect();
                let fields = vec![
                    Field::new("select", "action", tr.t("request.task_action"), "").options(actions),
                    Field::new("text", "note", tr.t("request.note"), ""),
                ];
                let heading = format!("{} {}. {}", tr.t("request.work_task"), t.seq, local_name(tr, &t.title, &t.title_en));
                sections.push(Section::Form(
                    FormSection::post("request-task", format!("{base}/tasks/{}", t.id), tr.t("action.save"), fields)
                        .heading(heading)
                        .folded(false)
                        .class("cols-2"),
                ));
            }
        }
    }
    let (watchers, files) = super::request_record::parts(state, caller, d, &mut names).await;
    sections.extend(files);
    sections.push(Section::Heading(tr.t("incident.timeline")));
    let mut timeline = Vec::new();
    for a in &d.timeline {
        timeline.push(TimelineEntry {
            time: time(a.at, caller),
            actor: a.actor_name.clone().unwrap_or_default(),
            what: activity_text(state, caller, &mut names, &a.kind, &a.data).await,
            body: if a.body.is_empty() {
                a.data.get("comment").or(a.data.get("note")).and_then(Value::as_str).unwrap_or_default().to_string()
            } else {
                a.body.clone()
            },
            internal: !a.public,
        });
    }
    sections.push(Section::Timeline(timeline));
    let mut fields = vec![Field::new("textarea", "body", tr.t("field.message"), "").rows(4).required()];
    // Work notes are the desk's: only those who may update requests are offered them.
    if caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::ServiceRequest, Action::Update)) {
        let visibility = vec![
            ("public".to_string(), tr.t("incident.visibility.public")),
            ("internal".to_string(), tr.t("incident.visibility.internal")),
        ];
        fields.push(Field::new("select", "visibility", tr.t("field.visibility"), "public").options(visibility));
    }
    sections.push(Section::Form(FormSection::post("request-comment", format!("{base}/comment"), tr.t("incident.send"), fields)));
    let facts = vec![
        (tr.t("field.number"), r.number.clone()),
        (tr.t("request.item"), d.item_name.get(tr.locale).to_string()),
        (tr.t("field.requester_id"), names.user_or_dash(state, caller, r.requester_id).await),
        (tr.t("field.team"), names.team_or_dash(r.team_id)),
        (tr.t("field.created"), time(r.created_at, caller)),
        (tr.t("request.fulfilled_at"), r.fulfilled_at.map(|t| time(t, caller)).unwrap_or_else(|| "—".into())),
    ];
    let buttons = d
        .allowed_actions
        .iter()
        .map(|a| Button {
            action: format!("{base}/transition/{a}"),
            label: tr.t(&format!("request.action.{a}")),
            confirm: (*a == RequestAction::Cancel).then(|| tr.t("request.confirm_cancel")),
        })
        .collect();
    Layout {
        title: format!("{} {}", r.number, r.title),
        sections,
        aside: [vec![Section::Facts(facts), Section::Buttons(buttons)], watchers].into_iter().flatten().collect(),
        data: [
            vec![("data-request", r.number.clone()), ("data-request-version", r.version.to_string())],
            super::live_data(caller, format!("service_request:{}", r.id)),
        ]
        .concat(),
    }
}

/// After a form on the request page: back to it with a notice, or the page again with the
/// form as typed and the messages beside its fields.
pub(super) async fn finish<T>(
    state: &AppState,
    caller: &Caller,
    id: ServiceRequestId,
    result: Result<T, ApiError>,
    notice: &str,
    posted: Posted,
) -> Result<Response, ApiError> {
    let e = match result {
        Ok(_) => return Ok(redirect(&format!("/requests/{}?ok={notice}", yunwei_domain::request::number(id.0)))),
        Err(e) => e,
    };
    if e.status.is_server_error() || e.status == axum::http::StatusCode::UNAUTHORIZED {
        return Err(e);
    }
    let d = request::get(&state.core, &caller.ctx, id).await?;
    let layout = request_layout(state, caller, &d).await;
    failed_form(state, caller, e, layout, ACTIVE, Some(&posted)).await
}

pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<DecisionInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = request_id(&number)?;
    let (result, posted) = form.run(|i| request::decide(&state.core, &caller.ctx, id, i)).await;
    let form = if posted.iter().any(|(k, v)| k == "decision" && v == "reject") { "request-reject" } else { "request-approve" };
    finish(&state, &caller, id, result, "decided", Posted::new(form, posted)).await
}

pub async fn task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, task)): ApiPath<(String, i64)>,
    form: PageForm<TaskInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = request_id(&number)?;
    let (result, posted) = form.run(|i| request::work_task(&state.core, &caller.ctx, id, RequestTaskId(task), i)).await;
    let posted = Posted::new("request-task", posted).at(format!("/requests/{number}/tasks/{task}"));
    finish(&state, &caller, id, result, "saved", posted).await
}

pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, action)): ApiPath<(String, String)>,
    form: PageForm<RequestTransitionInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = request_id(&number)?;
    let action: RequestAction = action.parse().map_err(|_| ApiError::not_found())?;
    let (result, posted) = form.run(|i| request::act(&state.core, &caller.ctx, id, action, i)).await;
    // The notice says what happened to the request, not only that something was saved.
    let notice = match action {
        RequestAction::Cancel => "request_cancelled",
        RequestAction::Close => "request_closed",
    };
    finish(&state, &caller, id, result, notice, Posted::new("transition", posted)).await
}

/// What a history entry did, in words: the new state by name ("状态改为「已关闭」"), the task
/// by its title and what became of it, or who it went to.
async fn activity_text(state: &AppState, caller: &Caller, names: &mut Names, kind: &str, data: &Value) -> String {
    let tr = caller.tr;
    let text = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let p = |k: &str, v: String| (k.to_string(), v);
    match kind {
        "state_changed" if !text("to").is_empty() => {
            let key = format!("request.state.{}", text("to"));
            let to = if tr.has(&key) { tr.t(&key) } else { text("to") };
            tr.with("request.activity.state_changed_to", &[p("state", to)])
        }
        "task" => {
            let title = local_name(tr, &text("title"), &text("title_en"));
            let key = format!("request_task.state.{}", text("state"));
            if tr.has(&key) {
                tr.with("request.activity.task_state", &[p("task", title), p("state", tr.t(&key))])
            } else if let Some(a) = data.get("assignee_id").and_then(Value::as_i64) {
                let person = names.user(state, caller, yunwei_domain::ids::UserId(a)).await;
                tr.with("request.activity.task_assigned", &[p("task", title), p("person", person)])
            } else {
                tr.t("request.activity.task")
            }
        }
        "approver_named" => {
            let person = match data.get("approver_id").and_then(Value::as_i64) {
                Some(a) => names.user(state, caller, yunwei_domain::ids::UserId(a)).await,
                None => "—".into(),
            };
            let step = data.get("step").and_then(Value::as_i64).unwrap_or_default().to_string();
            tr.with("request.activity.approver_named", &[p("step", step), p("person", person)])
        }
        _ => tr.t(&format!("request.activity.{kind}")),
    }
}
