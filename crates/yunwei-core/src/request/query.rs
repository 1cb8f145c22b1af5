//! Reading requests: one request with its approvals, tasks and timeline, and
//! the lists (mine, awaiting my approval, my teams' fulfilment work).

use super::{RequestView, scope_allows, view};
use crate::incident::scope_filter;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::DomainError;
use yunwei_domain::ids::{CatalogItemId, ServiceRequestId, TeamId};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::request::{Decision, ItemDefinition, Label, RequestAction, RequestState};
use yunwei_store::request::{self as store, Approval, RequestFilter, Task};
use yunwei_store::sql::Page;
use yunwei_store::ticket::Activity;

/// A request with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestView,
    pub item_name: Label,
    /// The form as it was when the request was made (labels for the answers).
    pub definition: ItemDefinition,
    pub approvals: Vec<Approval>,
    pub tasks: Vec<Task>,
    pub timeline: Vec<Activity>,
    /// Whether the caller is an approver the current step waits on.
    pub can_decide: bool,
    pub allowed_actions: Vec<RequestAction>,
}

pub async fn get(core: &Core, ctx: &Ctx, id: ServiceRequestId) -> Result<RequestDetail> {
    let me = ctx.me()?.user_id;
    // One snapshot: the row, approvals, tasks and timeline as of one moment.
    let mut rd = core.db.snapshot().await?;
    let r = super::load_read(&mut rd, ctx, id).await?;
    let desk = scope_allows(ctx, Action::Update, &r);
    let approvals = store::approvals(&mut *rd, id).await?;
    let state = r.state;
    let can_decide = state == RequestState::PendingApproval
        && approvals.iter().any(|a| Some(a.step) == r.approval_step && a.approver_id == me && a.decision == Decision::Pending.as_str());
    let own = r.requester_id == Some(me) || r.reporter_id == Some(me);
    let may_act = own || scope_allows(ctx, Action::Transition, &r);
    let allowed_actions =
        RequestAction::ALL.iter().copied().filter(|a| may_act && yunwei_domain::request::next_state(state, *a).is_ok()).collect();
    let item = store::get_item(&mut *rd, r.item_id).await?;
    let detail = RequestDetail {
        item_name: item.map(|i| Label { zh: i.name_zh, en: i.name_en }).unwrap_or_default(),
        definition: super::definition_of(&r)?,
        approvals,
        tasks: store::tasks(&mut *rd, id).await?,
        timeline: yunwei_store::ticket::activities(&mut *rd, &yunwei_domain::ticket::SERVICE_REQUEST, id.0, desk).await?,
        can_decide,
        allowed_actions,
        request: view(&r)?,
    };
    rd.commit().await?;
    Ok(detail)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestQueue {
    /// Everything the caller may see.
    #[default]
    All,
    /// Requests I made (or that were made for me).
    Mine,
    /// Requests waiting on my approval now.
    Approvals,
    /// Requests with unfinished fulfilment tasks for my teams.
    MyTeams,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    #[serde(default)]
    pub queue: RequestQueue,
    /// Comma-separated states, e.g. `pending_approval,in_fulfilment`.
    pub state: Option<String>,
    pub item_id: Option<CatalogItemId>,
    pub team_id: Option<TeamId>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn parse_states(s: Option<&str>) -> Result<Vec<String>> {
    let Some(s) = s.filter(|s| !s.is_empty()) else { return Ok(Vec::new()) };
    s.split(',')
        .map(|p| p.trim().parse::<RequestState>().map(|st| st.as_str().to_string()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| DomainError::field("state", "not_allowed_value").into())
}

/// May the caller open `queue`? Anyone may list their own requests and what awaits their
/// approval; wider lists need read rights (their scope is returned). Pages offer a queue only
/// when this allows it, so a tab never leads to 403.
pub fn queue_scope(ctx: &Ctx, queue: RequestQueue) -> Result<Option<yunwei_domain::permission::Scope>> {
    match ctx.authorize(ObjectType::ServiceRequest, Action::Read) {
        Ok((_, scope)) => Ok(Some(scope)),
        Err(_) if matches!(queue, RequestQueue::Mine | RequestQueue::Approvals) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn list(core: &Core, ctx: &Ctx, q: &RequestQuery) -> Result<Page<RequestView>> {
    let actor = ctx.me()?;
    let scope = queue_scope(ctx, q.queue)?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), true)?;
    let mut f = RequestFilter { states: parse_states(q.state.as_deref())?, item_id: q.item_id, team_id: q.team_id, ..Default::default() };
    match q.queue {
        RequestQueue::All => {}
        RequestQueue::Mine => f.requester_id = Some(actor.user_id),
        RequestQueue::Approvals => f.awaiting_approver = Some(actor.user_id),
        RequestQueue::MyTeams => f.open_task_teams = Some(actor.place.teams.clone()),
    }
    f.scope = match (q.queue, scope) {
        (RequestQueue::Mine | RequestQueue::Approvals, _) => None,
        (_, Some(scope)) => scope_filter(actor, scope),
        (_, None) => return Err(CoreError::Forbidden("service_request:read".into())),
    };
    let rows = store::list(&core.db.read, &f, &page).await?;
    let items = rows.items.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: rows.next_cursor })
}
