//! Reading incidents: one ticket with its timeline and remaining SLA time,
//! and the queues (my work, my team, unassigned, breaching soon, recent).

use super::{IncidentView, authorize_on, governing_of, view};
use crate::sla::{self, SlaState};
use crate::{Core, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::ids::{CategoryId, IncidentId, ServiceId, TeamId, UserId};
use yunwei_domain::incident::{IncidentState, Transition, allowed_transitions};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_store::incident::{self as store, IncidentFilter, QueueSort, ScopeFilter};
use yunwei_store::sql::Page;
use yunwei_store::ticket::Activity;

/// A ticket with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: IncidentView,
    pub allowed_transitions: Vec<Transition>,
    pub timeline: Vec<Activity>,
    pub watchers: Vec<UserId>,
    pub related: Vec<IncidentId>,
    pub children: Vec<IncidentId>,
    /// The emergency response, when the incident is major (INC-7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major_incident: Option<super::MajorView>,
}

pub async fn get(core: &Core, ctx: &Ctx, id: IncidentId) -> Result<IncidentDetail> {
    // One snapshot: the row, its timeline and links as of one moment (no timeline entry newer than the row).
    let mut rd = core.db.snapshot().await?;
    let i = super::load_read(&mut rd, ctx, id, Action::Read).await?;
    // Work notes are for the desk: whoever may update the incident sees them.
    let internal = authorize_on(ctx, Action::Update, &i).is_ok();
    let mut v = view(&i)?;
    if let Some(g) = governing_of(core, &mut rd, &i).await? {
        let state: SlaState = i.sla.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        let (response, resolution) = sla::remaining(&g, &state, core.now_ms());
        v.sla.response_remaining_secs = if i.responded_at.is_some() { None } else { response };
        v.sla.resolution_remaining_secs = if v.state.is_open() { resolution } else { None };
    }
    let major_incident = match yunwei_store::major::get(&mut *rd, id).await? {
        Some(m) => Some(super::major::major_view(&m, core.now_ms())?),
        None => None,
    };
    let detail = IncidentDetail {
        major_incident,
        allowed_transitions: allowed_transitions(v.state),
        incident: v,
        timeline: yunwei_store::ticket::activities(&mut *rd, &yunwei_domain::ticket::INCIDENT, id.0, internal).await?,
        watchers: yunwei_store::ticket::watchers(&mut *rd, &yunwei_domain::ticket::INCIDENT, id.0).await?,
        related: store::related(&mut *rd, id).await?,
        children: store::children(&mut *rd, id).await?,
    };
    rd.commit().await?;
    Ok(detail)
}

/// The named queues of the service desk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Everything the caller may see.
    #[default]
    All,
    /// Open incidents assigned to me.
    Mine,
    /// Open incidents of my teams.
    MyTeams,
    /// Open incidents no person owns yet.
    Unassigned,
    /// Open incidents whose resolution deadline falls within the next 2 hours (or has passed).
    BreachingSoon,
    /// Changed in the last 24 hours.
    Recent,
    /// Incidents I asked for.
    Requested,
}

/// Queue parameters (API query string and the queue page).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    #[serde(default)]
    pub queue: Queue,
    /// Comma-separated states, e.g. `assigned,in_progress`.
    pub state: Option<String>,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub priority: Option<u8>,
    pub category_id: Option<CategoryId>,
    pub service_id: Option<ServiceId>,
    pub major: Option<bool>,
    /// `sla_due` (default), `updated`, `created`, `priority`.
    pub sort: Option<String>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Resolution due within this many milliseconds counts as "breaching soon".
pub const DUE_SOON_MS: i64 = 2 * 3_600_000;

const OPEN: [IncidentState; 4] = [IncidentState::New, IncidentState::Assigned, IncidentState::InProgress, IncidentState::Pending];

pub fn parse_sort(s: Option<&str>) -> Result<QueueSort> {
    Ok(match s.unwrap_or("sla_due") {
        "sla_due" => QueueSort::SlaDue,
        "updated" => QueueSort::Updated,
        "created" => QueueSort::Created,
        "priority" => QueueSort::Priority,
        _ => return Err(yunwei_domain::DomainError::field("sort", "not_allowed_value").into()),
    })
}

pub fn parse_states(s: Option<&str>) -> Result<Vec<String>> {
    let Some(s) = s.filter(|s| !s.is_empty()) else { return Ok(Vec::new()) };
    s.split(',')
        .map(|p| p.trim().parse::<IncidentState>().map(|st| st.as_str().to_string()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| yunwei_domain::DomainError::field("state", "not_allowed_value").into())
}

pub async fn list(core: &Core, ctx: &Ctx, q: &QueueQuery) -> Result<Page<IncidentView>> {
    let (actor, scope) = ctx.authorize(ObjectType::Incident, Action::Read)?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), false)?;
    let sort = parse_sort(q.sort.as_deref())?;
    let mut f = IncidentFilter {
        states: parse_states(q.state.as_deref())?,
        team_id: q.team_id,
        assignee_id: q.assignee_id,
        priority: q.priority.map(i64::from),
        category_id: q.category_id,
        service_id: q.service_id,
        major: q.major,
        ..IncidentFilter::default()
    };
    // Through the search index when the text has words (a rare word must not scan a million
    // rows); as a substring when it has none (punctuation only).
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let text: String = text.chars().take(100).collect();
        let terms = yunwei_domain::search::query_terms(&text);
        if terms.is_empty() {
            f.text = Some(text);
        } else {
            let kind = &yunwei_domain::ticket::INCIDENT;
            f.matching = Some(yunwei_store::search::text_match(&core.db.read, core.db.backend, kind, terms).await?);
        }
    }
    if let Some(p) = q.priority
        && !(1..=4).contains(&p)
    {
        return Err(yunwei_domain::DomainError::field("priority", "out_of_range").into());
    }
    let open = || OPEN.iter().map(|s| s.as_str().to_string()).collect::<Vec<_>>();
    let now = core.now_ms();
    match q.queue {
        Queue::All => {}
        Queue::Mine => f.assignee_id = Some(actor.user_id),
        Queue::MyTeams => f.team_ids = Some(actor.place.teams.clone()),
        Queue::Unassigned => f.unassigned = true,
        Queue::BreachingSoon => f.due_before = Some(now + DUE_SOON_MS),
        Queue::Recent => f.updated_after = Some(now - 86_400_000),
        Queue::Requested => f.requester_id = Some(actor.user_id),
    }
    // Work queues show open incidents unless the caller names states.
    if f.states.is_empty() && matches!(q.queue, Queue::Mine | Queue::MyTeams | Queue::Unassigned | Queue::BreachingSoon) {
        f.states = open();
    }
    f.scope = scope_filter(actor, scope);
    let sort = if q.queue == Queue::Recent && q.sort.is_none() { QueueSort::Updated } else { sort };
    let rows = store::list(&core.db.read, &f, sort, &page).await?;
    let items = rows.items.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: rows.next_cursor })
}

/// The rows a read grant of `scope` reaches, as a query filter (`None`: everything).
pub(crate) fn scope_filter(actor: &crate::Actor, scope: Scope) -> Option<ScopeFilter> {
    let teams = || actor.place.teams.clone();
    match scope {
        Scope::All => None,
        Scope::Department => Some(ScopeFilter { user_id: Some(actor.user_id), team_ids: teams(), department_id: actor.place.department }),
        Scope::Team => Some(ScopeFilter { user_id: Some(actor.user_id), team_ids: teams(), department_id: None }),
        Scope::Own => Some(ScopeFilter { user_id: Some(actor.user_id), team_ids: Vec::new(), department_id: None }),
    }
}
