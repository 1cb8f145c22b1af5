//! Service requests (SPEC REQ): a requester picks a catalogue item and fills in
//! its form; approval steps run in order (any one or all approvers); once
//! approved, fulfilment tasks go to teams; when every task is finished the
//! request is fulfilled. Approvers are fixed when the request is submitted, so
//! the trail shows who was asked, and a requester never approves their own.

mod catalog;
mod query;
mod templates;
mod ticket;
mod workflow;

pub(crate) use templates::TEMPLATES;

pub use catalog::*;
pub use query::*;
pub use workflow::*;

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use base64::Engine;
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{CatalogItemId, ServiceRequestId, TeamId, UserId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::request::{Answers, Approver, FieldKind, ItemDefinition, RequestState, TaskState, check_answers};
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::request::{self as store, ServiceRequest, Task};

/// A new request for a catalogue item.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub item_id: CatalogItemId,
    /// Keyed by the form's field keys. Attachment fields take
    /// `{"filename": …, "content_type": …, "content_base64": …}`.
    #[serde(default)]
    pub answers: Answers,
    /// Requesting on someone's behalf (the service desk taking a call); defaults to the caller.
    pub requester_id: Option<UserId>,
    /// Defaults to the item's name.
    pub title: Option<String>,
}

/// One request as the API and pages show it: the stored row (without its definition and
/// assignee) and its number. Field access reaches the row (`v.title`).
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    #[serde(flatten)]
    pub row: ServiceRequest,
    pub number: String,
}

impl std::ops::Deref for RequestView {
    type Target = ServiceRequest;
    fn deref(&self) -> &ServiceRequest {
        &self.row
    }
}

pub(crate) fn corrupt(what: &str) -> CoreError {
    CoreError::Internal(format!("stored service request has an invalid {what}"))
}

pub fn view(r: &ServiceRequest) -> Result<RequestView> {
    Ok(RequestView { number: yunwei_domain::request::number(r.id.0), row: r.clone() })
}

pub(crate) fn definition_of(r: &ServiceRequest) -> Result<ItemDefinition> {
    serde_json::from_str(&r.definition).map_err(|_| corrupt("definition"))
}

/// Where a request sits for its policy ([`policy::SERVICE_REQUEST`]), without the approvers
/// and tasks (those only widen reading; see [`holders_for_reading`]).
pub(crate) fn holders(r: &ServiceRequest) -> Holders {
    Holders {
        owners: [r.requester_id, r.reporter_id, r.assignee_id].into_iter().flatten().collect(),
        team: r.team_id,
        department: r.department_id,
        ..Holders::default()
    }
}

/// As [`holders`], with the request's approvers and its tasks' assignees and teams.
async fn holders_for_reading(conn: &mut Conn, r: &ServiceRequest) -> Result<Holders> {
    let mut h = holders(r);
    h.readers = store::approvals(&mut *conn, r.id).await?.iter().map(|a| a.approver_id).collect();
    h.workers = store::tasks(&mut *conn, r.id).await?.iter().map(|t| (t.assignee_id, t.team_id)).collect();
    Ok(h)
}

/// May the caller do `action` on this request by record scope (approvers and tasks aside)?
pub(crate) fn scope_allows(ctx: &Ctx, action: Action, r: &ServiceRequest) -> bool {
    ctx.decide(&policy::SERVICE_REQUEST, action, &holders(r)).is_ok()
}

/// Reading: by record scope, or as one of the request's approvers, or as a member of a team
/// (or the assignee) of one of its tasks.
pub(crate) async fn authorize_read(ctx: &Ctx, conn: &mut Conn, r: &ServiceRequest) -> Result<()> {
    if scope_allows(ctx, Action::Read, r) {
        return Ok(());
    }
    let h = holders_for_reading(conn, r).await?;
    ctx.decide(&policy::SERVICE_REQUEST, Action::Read, &h).map(|_| ())
}

/// Working a task: update rights reaching the task's team or assignee, or the request itself.
pub(crate) fn authorize_task(ctx: &Ctx, r: &ServiceRequest, t: &Task) -> Result<()> {
    let task = Holders { owners: t.assignee_id.into_iter().collect(), team: t.team_id, department: r.department_id, ..Holders::default() };
    ctx.decide(&policy::SERVICE_REQUEST, Action::Update, &task)
        .or_else(|_| ctx.decide(&policy::SERVICE_REQUEST, Action::Update, &holders(r)))?;
    Ok(())
}

/// The check before any lookup: a read grant on requests at some scope, or being asked to
/// approve one. Anyone else gets 403 whether or not the request exists.
async fn may_read_any(conn: &mut Conn, ctx: &Ctx) -> Result<()> {
    let me = ctx.me()?;
    match ctx.may_any(&policy::SERVICE_REQUEST, Action::Read) {
        Ok(_) => Ok(()),
        Err(_) if store::is_approver(&mut *conn, me.user_id).await? => Ok(()),
        Err(refused) => Err(refused),
    }
}

pub(crate) fn event_for(kind: EventType, r: &ServiceRequest, recipients: &[UserId], extra: serde_json::Value) -> Event {
    let mut payload = serde_json::json!({
        "number": yunwei_domain::request::number(r.id.0),
        "title": r.title,
        "state": r.state,
        "recipients": recipients,
    });
    if let (Some(p), serde_json::Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    Event::new(kind, "service_request", r.id).with(payload)
}

/// What a command leaves besides the row: the audit action, a timeline entry and events.
pub(crate) struct Effects<'a> {
    pub action: &'a str,
    pub timeline: Option<(&'a str, serde_json::Value)>,
    pub events: Vec<Event>,
}

/// Writes a changed request through the kernel's save (version check, timeline, audit, events).
pub(crate) async fn save(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    before: &ServiceRequest,
    after: &mut ServiceRequest,
    fx: Effects<'_>,
) -> Result<()> {
    let Effects { action, timeline, events } = fx;
    let notes = timeline.map(|(kind, data)| crate::ticket::Note { kind, public: true, body: "", data }).into_iter().collect();
    crate::ticket::save(core, tx, ctx, before, after, crate::ticket::Effects { action, notes, events }).await
}

/// The request, locked for a command; refused before the lookup unless the caller may read
/// some request ([`may_read_any`]). The command then checks its own action on the record.
pub(crate) async fn load(core: &Core, tx: &mut Conn, ctx: &Ctx, id: ServiceRequestId) -> Result<ServiceRequest> {
    may_read_any(tx, ctx).await?;
    store::get_for_update(tx, &core.db, id).await?.ok_or(CoreError::NotFound("service_request"))
}

/// The request as it is, if the caller may read it; refused before the lookup as [`load`].
pub(crate) async fn load_read(conn: &mut Conn, ctx: &Ctx, id: ServiceRequestId) -> Result<ServiceRequest> {
    may_read_any(conn, ctx).await?;
    let r = store::get(&mut *conn, id).await?.ok_or(CoreError::NotFound("service_request"))?;
    authorize_read(ctx, conn, &r).await?;
    Ok(r)
}

/// The users who decide one approval step, without the requester (nobody approves their own request).
async fn approvers_of(conn: &mut Conn, step: &Approver, requester: Option<UserId>) -> Result<Vec<UserId>> {
    let mut users = match step {
        // The line manager; without one, the leads of the requester's teams (who know the work).
        Approver::Manager => match requester {
            Some(r) => match yunwei_store::admin::get_user(&mut *conn, r).await?.and_then(|u| u.manager_id) {
                Some(m) => vec![m],
                None => yunwei_store::admin::team_leads_of(&mut *conn, r).await?,
            },
            None => Vec::new(),
        },
        Approver::Role { role } => yunwei_store::admin::role_holders(&mut *conn, role).await?,
        Approver::Users { user_ids } => user_ids.iter().map(|u| UserId(*u)).collect(),
    };
    let mut enabled = Vec::with_capacity(users.len());
    for u in users.drain(..) {
        if Some(u) != requester && yunwei_store::admin::get_user(&mut *conn, u).await?.is_some_and(|x| !x.disabled) {
            enabled.push(u);
        }
    }
    enabled.sort();
    enabled.dedup();
    Ok(enabled)
}

/// Creates the item's fulfilment tasks and returns the teams' members to tell.
pub(crate) async fn open_tasks(core: &Core, tx: &mut Conn, r: &ServiceRequest, item_team: Option<TeamId>) -> Result<Vec<UserId>> {
    let def = definition_of(r)?;
    let now = core.now_ms();
    let mut tell = Vec::new();
    for (n, t) in def.tasks.iter().enumerate() {
        let team = t.team_id.map(TeamId).or(item_team);
        let task = Task {
            request_id: r.id,
            seq: n as i64 + 1,
            title: t.title.zh.clone(),
            title_en: t.title.en.clone(),
            team_id: team,
            state: TaskState::Open.as_str().into(),
            created_at: now,
            updated_at: now,
            ..Task::default()
        };
        store::insert_task(tx, &task).await?;
        if let Some(team) = team {
            tell.extend(yunwei_store::admin::team_members(&mut *tx, team).await?);
        }
    }
    tell.sort();
    tell.dedup();
    Ok(tell)
}

pub async fn create(core: &Core, ctx: &Ctx, input: NewRequest) -> Result<RequestView> {
    let (actor, _) = ctx.authorize(ObjectType::ServiceRequest, Action::Create)?;
    let me = actor.user_id;
    let locale = actor.locale.clone();
    let mut c = Checker::new();
    let title = input.title.as_deref().map(|t| c.name("title", t, 200));
    if input.requester_id.is_some_and(|r| r != me) {
        ctx.authorize(ObjectType::ServiceRequest, Action::Assign)?;
    }
    let mut rd = core.db.read.acquire().await?;
    let item = store::get_item(&mut *rd, input.item_id).await?.filter(|i| i.active);
    let Some(item) = item else {
        c.push(FieldError::new("item_id", "not_found"));
        c.finish()?;
        return Err(CoreError::NotFound("catalog_item"));
    };
    let def: ItemDefinition =
        serde_json::from_str(&item.definition).map_err(|_| CoreError::Internal("catalogue item definition".into()))?;
    let requester_id = input.requester_id.unwrap_or(me);
    let requester = yunwei_store::admin::get_user(&mut *rd, requester_id).await?.filter(|u| !u.disabled);
    if requester.is_none() {
        c.push(FieldError::new("requester_id", "not_found"));
    }
    let mut answers = match check_answers(&def.fields, &input.answers) {
        Ok(a) => a,
        Err(errors) => {
            for e in errors {
                c.push(e);
            }
            Answers::new()
        }
    };
    let mut files = Vec::new();
    let mut resolved = Vec::new();
    for f in &def.fields {
        match (f.kind, answers.get(&f.key)) {
            (FieldKind::User, Some(v)) => {
                let found = match (v.as_i64(), v.as_str()) {
                    (Some(id), _) => yunwei_store::admin::get_user(&mut *rd, UserId(id)).await?,
                    (None, Some(name)) => yunwei_store::admin::get_user_by_username(&mut *rd, name).await?,
                    _ => None,
                };
                match found.filter(|u| !u.disabled) {
                    Some(u) => resolved.push((f.key.clone(), serde_json::Value::from(u.id.0))),
                    None => c.push(FieldError::new(format!("answers.{}", f.key), "not_found")),
                }
            }
            (FieldKind::Attachment, Some(v)) => {
                let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
                match base64::engine::general_purpose::STANDARD.decode(text("content_base64").as_bytes()) {
                    Ok(bytes) if !bytes.is_empty() => files.push((f.key.clone(), text("filename"), text("content_type"), bytes)),
                    _ => c.push(FieldError::new(format!("answers.{}", f.key), "expected_attachment")),
                }
            }
            _ => {}
        }
    }
    answers.extend(resolved);
    // Approvers are fixed now. A step whose approver cannot be found goes to the configured
    // fallback role, and without one waits for the desk: the requester is never the dead end,
    // and never their own approver (`approvers_of` leaves them out).
    let fallback_role = crate::incident::desk_settings(core).await?.approval_fallback_role;
    let mut steps = Vec::new();
    let mut stand_ins = Vec::new();
    for (n, step) in def.approvals.iter().enumerate() {
        let mut who = approvers_of(&mut rd, &step.approver, Some(requester_id)).await?;
        if who.is_empty() {
            if !fallback_role.is_empty() {
                who = approvers_of(&mut rd, &Approver::Role { role: fallback_role.clone() }, Some(requester_id)).await?;
            }
            let kind = if who.is_empty() { "approval_unassigned" } else { "approval_fallback" };
            stand_ins.push((kind, serde_json::json!({ "step": n + 1, "name": step.name.get(&locale), "role": fallback_role })));
        }
        steps.push(who);
    }
    c.finish()?;
    let department_id = requester.as_ref().and_then(|u| u.department_id);
    drop(rd);
    let now = core.now_ms();
    let name = if locale.starts_with("zh") { &item.name_zh } else { &item.name_en };
    // An item with neither approvals nor tasks (information only) is done when made.
    let state = match (steps.is_empty(), def.tasks.is_empty()) {
        (false, _) => RequestState::PendingApproval,
        (true, false) => RequestState::InFulfilment,
        (true, true) => RequestState::Fulfilled,
    };
    let mut r = ServiceRequest {
        item_id: item.id,
        title: title.unwrap_or_else(|| name.clone()),
        state,
        requester_id: Some(requester_id),
        reporter_id: Some(me),
        department_id,
        team_id: item.team_id,
        definition: item.definition.clone(),
        approval_step: (!steps.is_empty()).then_some(0),
        created_at: now,
        updated_at: now,
        approved_at: steps.is_empty().then_some(now),
        fulfilled_at: (state == RequestState::Fulfilled).then_some(now),
        version: 1,
        ..ServiceRequest::default()
    };
    let mut tx = core.db.begin().await?;
    r.id = store::insert(&mut tx, &r).await?;
    yunwei_store::search::enqueue(&mut tx, &yunwei_domain::ticket::SERVICE_REQUEST, r.id.0).await?;
    for (key, filename, content_type, bytes) in &files {
        let meta =
            crate::ticket::store_file(core, &mut tx, ctx, (&yunwei_domain::ticket::SERVICE_REQUEST, r.id.0), filename, content_type, bytes)
                .await?;
        answers.insert(key.clone(), serde_json::json!({ "attachment_id": meta.id, "filename": meta.filename, "size": meta.size }));
    }
    r.answers = answers;
    // The answers carry attachment ids only known after the insert.
    if !store::update_answers(&mut tx, &r).await? {
        return Err(CoreError::Conflict("service_request_changed"));
    }
    for (n, who) in steps.iter().enumerate() {
        for u in who {
            store::add_approval(&mut tx, r.id, n as i64, *u, now).await?;
        }
    }
    yunwei_store::ticket::add_activity(
        &mut tx,
        &yunwei_domain::ticket::SERVICE_REQUEST,
        &yunwei_store::ticket::NewActivity {
            ticket_id: r.id.0,
            at: now,
            actor_id: Some(me),
            kind: "created",
            public: true,
            body: "",
            data: serde_json::json!({ "item": item.code }),
        },
    )
    .await?;
    for (kind, data) in &stand_ins {
        let activity = yunwei_store::ticket::NewActivity {
            ticket_id: r.id.0,
            at: now,
            actor_id: None,
            kind,
            public: true,
            body: "",
            data: data.clone(),
        };
        yunwei_store::ticket::add_activity(&mut tx, &yunwei_domain::ticket::SERVICE_REQUEST, &activity).await?;
    }
    let v = view(&r)?;
    audit::write(core, &mut tx, ctx, Change::new("service_request", r.id, "create").after(&v)).await?;
    if !stand_ins.is_empty() {
        // A step that went to the fallback (or to nobody yet) is on record, by step.
        let missing: Vec<serde_json::Value> =
            stand_ins.iter().map(|(kind, d)| serde_json::json!({ "outcome": kind, "step": d["step"], "role": d["role"] })).collect();
        let change = Change::new("service_request", r.id, "approver_missing").after(&serde_json::json!({ "steps": missing }));
        audit::write(core, &mut tx, ctx, change).await?;
    }
    match steps.first() {
        Some(first) => {
            emit(core, &mut tx, ctx, event_for(EventType::ServiceRequestApprovalRequested, &r, first, serde_json::json!({ "step": 1 })))
                .await?;
        }
        None if !def.tasks.is_empty() => {
            let tell = open_tasks(core, &mut tx, &r, item.team_id).await?;
            emit(core, &mut tx, ctx, event_for(EventType::ServiceRequestTaskAssigned, &r, &tell, serde_json::json!({}))).await?;
        }
        None => {}
    }
    let to_requester: Vec<UserId> = (requester_id != me).then_some(requester_id).into_iter().collect();
    emit(core, &mut tx, ctx, event_for(EventType::ServiceRequestCreated, &r, &to_requester, serde_json::json!({}))).await?;
    core.commit(tx).await?;
    Ok(v)
}
