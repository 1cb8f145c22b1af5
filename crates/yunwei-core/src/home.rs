//! The workbench home: what the reader should look at first, read with their own rights.
//! Each part is there only when the reader may see it; nothing here asks for a role name.

use crate::incident::{self, IncidentView, Queue, QueueQuery};
use crate::request::{self, CatalogItemView, RequestQuery, RequestQueue, RequestView};
use crate::{Core, Ctx, Result};
use yunwei_domain::ids::TeamId;
use yunwei_domain::incident::IncidentState;
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_store::incident::{IncidentFilter, QueueSort};

/// Rows shown per list; each list links to its full queue.
pub const LIST_ROWS: i64 = 8;
/// Days covered by the managers' charts.
pub const TREND_DAYS: usize = 30;
const DAY_MS: i64 = 86_400_000;

const OPEN: [IncidentState; 4] = [IncidentState::New, IncidentState::Assigned, IncidentState::InProgress, IncidentState::Pending];

/// A team's queue: its open incidents and how many wait for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamQueue {
    pub team_id: TeamId,
    pub open: i64,
    pub unassigned: i64,
}

/// The last `TREND_DAYS` days, oldest first, in the reader's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Trends {
    /// Start of each day (unix ms).
    pub days: Vec<i64>,
    /// Incidents opened per day.
    pub inflow: Vec<i64>,
    /// Open incidents at the end of each day (today: now).
    pub backlog: Vec<i64>,
    /// Resolved within target / resolved, per day (`None`: nothing resolved that day).
    pub attainment: Vec<Option<f64>>,
    /// Over the whole period.
    pub attainment_total: Option<f64>,
}

/// What the home page shows. Empty lists are parts the reader has nothing in (or may not see).
#[derive(Debug, Clone, Default)]
pub struct Workbench {
    /// The reader works incidents (may update them); otherwise the home is a requester's.
    pub works_incidents: bool,
    pub my_incidents: Vec<IncidentView>,
    pub breaching: Vec<IncidentView>,
    pub unassigned: Vec<IncidentView>,
    pub teams: Vec<TeamQueue>,
    pub approvals: Vec<RequestView>,
    pub team_tasks: Vec<RequestView>,
    pub my_requests: Vec<RequestView>,
    pub reported: Vec<IncidentView>,
    /// For requesters: what they can ask for.
    pub catalog: Vec<CatalogItemView>,
    /// For those who may take the desk's reports away (`report:export:all`) and read every incident.
    pub trends: Option<Trends>,
}

/// The open incident states, as the store's filters take them.
fn open_states() -> Vec<&'static str> {
    OPEN.iter().map(|s| s.as_str()).collect()
}

async fn incidents(core: &Core, ctx: &Ctx, queue: Queue) -> Result<Vec<IncidentView>> {
    let q = QueueQuery { queue, limit: Some(LIST_ROWS), ..QueueQuery::default() };
    Ok(incident::list(core, ctx, &q).await?.items)
}

/// Open incidents of the reader's teams (of everything they may read, for a reader in no team)
/// that `narrow` picks, the next deadline first.
async fn team_work(core: &Core, ctx: &Ctx, narrow: impl FnOnce(&mut IncidentFilter)) -> Result<Vec<IncidentView>> {
    let (actor, scope) = ctx.authorize(ObjectType::Incident, Action::Read)?;
    let mut f = IncidentFilter {
        states: OPEN.iter().map(|s| s.as_str().to_string()).collect(),
        team_ids: Some(actor.place.teams.clone()).filter(|t| !t.is_empty()),
        scope: incident::scope_filter(actor, scope),
        ..IncidentFilter::default()
    };
    narrow(&mut f);
    let page = PageRequest::parse(Some(LIST_ROWS), None, false)?;
    let rows = yunwei_store::incident::list(&core.db.read, &f, QueueSort::SlaDue, &page).await?;
    rows.items.iter().map(incident::view).collect()
}

async fn requests(core: &Core, ctx: &Ctx, queue: RequestQueue, state: Option<&str>) -> Result<Vec<RequestView>> {
    let q = RequestQuery { queue, state: state.map(str::to_string), limit: Some(LIST_ROWS), ..RequestQuery::default() };
    Ok(request::list(core, ctx, &q).await?.items)
}

pub async fn workbench(core: &Core, ctx: &Ctx) -> Result<Workbench> {
    let actor = ctx.me()?;
    let perms = &actor.permissions;
    let mut w = Workbench { works_incidents: perms.allows(ObjectType::Incident, Action::Update), ..Workbench::default() };
    // Anyone may see what waits on their approval and what they asked for.
    w.approvals = requests(core, ctx, RequestQueue::Approvals, None).await?;
    let open_requests = "pending_approval,in_fulfilment,fulfilled";
    w.my_requests = requests(core, ctx, RequestQueue::Mine, Some(open_requests)).await?;
    if perms.allows(ObjectType::Incident, Action::Read) {
        w.reported = incidents(core, ctx, Queue::Requested).await?.into_iter().filter(|i| i.state.is_open()).collect();
    }
    if w.works_incidents {
        w.my_incidents = incidents(core, ctx, Queue::Mine).await?;
        let soon = core.now_ms() + incident::DUE_SOON_MS;
        w.breaching = team_work(core, ctx, |f| f.due_before = Some(soon)).await?;
        w.unassigned = team_work(core, ctx, |f| f.unassigned = true).await?;
        let counts = yunwei_store::incident::open_by_team(&core.db.read, &actor.place.teams, &open_states()).await?;
        w.teams = actor
            .place
            .teams
            .iter()
            .map(|t| {
                let c = counts.iter().find(|c| c.team_id == *t);
                TeamQueue { team_id: *t, open: c.map_or(0, |c| c.open), unassigned: c.map_or(0, |c| c.unassigned) }
            })
            .collect();
    } else if perms.allows(ObjectType::ServiceRequest, Action::Create) {
        w.catalog = request::list_items(core, ctx, false).await?;
    }
    if perms.allows(ObjectType::ServiceRequest, Action::Read) && !actor.place.teams.is_empty() {
        w.team_tasks = requests(core, ctx, RequestQueue::MyTeams, Some("in_fulfilment")).await?;
    }
    // Engineers read reports too; managers (and auditors) are those who may export them.
    let everywhere = |o, a| perms.scope_for(o, a) == Some(Scope::All);
    if everywhere(ObjectType::Report, Action::Export) && everywhere(ObjectType::Incident, Action::Read) {
        w.trends = Some(trends(core, &actor.time_zone).await?);
    }
    Ok(w)
}

/// Inflow and resolutions per day from two indexed range scans; the backlog walks back
/// from today's open count (opened that day added back, resolved that day taken off).
pub async fn trends(core: &Core, zone: &str) -> Result<Trends> {
    let now = core.now_ms();
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::from_millisecond(now)
        .ok()
        .map(|t| t.to_zoned(tz))
        .and_then(|z| z.start_of_day().ok())
        .map_or(now - now.rem_euclid(DAY_MS), |z| z.timestamp().as_millisecond());
    let from = today - DAY_MS * (TREND_DAYS as i64 - 1);
    let daily = yunwei_store::incident::daily(&core.db.read, from, DAY_MS, TREND_DAYS).await?;
    let mut open = yunwei_store::incident::open_count(&core.db.read, &open_states()).await?;
    let mut backlog = vec![0; TREND_DAYS];
    for d in (0..TREND_DAYS).rev() {
        backlog[d] = open.max(0);
        open = open - daily.created[d] + daily.resolved[d];
    }
    let ratio = |ok: i64, all: i64| if all > 0 { Some(ok as f64 / all as f64) } else { None };
    let attainment = (0..TREND_DAYS).map(|d| ratio(daily.resolved_in_time[d], daily.resolved[d])).collect();
    let attainment_total = ratio(daily.resolved_in_time.iter().sum(), daily.resolved.iter().sum());
    Ok(Trends {
        days: (0..TREND_DAYS as i64).map(|d| from + d * DAY_MS).collect(),
        inflow: daily.created,
        backlog,
        attainment,
        attainment_total,
    })
}
