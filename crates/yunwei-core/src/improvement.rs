//! The improvement register (服务改进汇总表): items opened automatically by a
//! low satisfaction score or by hand, with owner, due date, measures and a
//! state (open → in progress → done / rejected). The KPI process extends it.

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ImprovementId, TeamId, UserId};
use yunwei_domain::improvement::{self as rules, ImprovementSource, ImprovementState};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::survey::SurveySettings;
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::improvement::{self as store, Improvement, ImprovementFilter};
use yunwei_store::sql::Page;
use yunwei_store::survey::Survey;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 20_000;

/// An item as the API and pages show it: the stored row and its number. Field access
/// reaches the row (`v.title`).
#[derive(Debug, Clone, Serialize)]
pub struct ImprovementView {
    #[serde(flatten)]
    pub row: Improvement,
    pub number: String,
}

impl std::ops::Deref for ImprovementView {
    type Target = Improvement;
    fn deref(&self) -> &Improvement {
        &self.row
    }
}

pub fn view(i: &Improvement) -> Result<ImprovementView> {
    Ok(ImprovementView { number: rules::number(i.id.0), row: i.clone() })
}

/// Where an item sits for its policy ([`policy::IMPROVEMENT`]).
fn holders(i: &Improvement) -> Holders {
    Holders { owners: [i.owner_id, i.created_by].into_iter().flatten().collect(), team: i.team_id, ..Holders::default() }
}

/// The item, if the caller may do `action` on it; refused before the lookup without the
/// permission at any scope. `lock` takes it for a command.
async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: ImprovementId, action: Action, lock: bool) -> Result<Improvement> {
    ctx.may_any(&policy::IMPROVEMENT, action)?;
    let found = if lock { store::get_for_update(conn, &core.db, id).await? } else { store::get(&mut *conn, id).await? };
    let i = found.ok_or(CoreError::NotFound("improvement"))?;
    ctx.decide(&policy::IMPROVEMENT, action, &holders(&i))?;
    Ok(i)
}

/// `YYYY-MM-DD`, a real date.
fn check_date(c: &mut Checker, field: &str, v: &str) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    if v.len() != 10 || v.parse::<jiff::civil::Date>().is_err() {
        c.push(FieldError::new(field, "invalid_date"));
    }
    Some(v.to_string())
}

/// Today plus `days` in the configured zone.
fn due_in(core: &Core, days: u32) -> Option<String> {
    let tz = jiff::tz::TimeZone::get(&core.config.default_time_zone).ok()?;
    let today = jiff::Timestamp::from_millisecond(core.now_ms()).ok()?.to_zoned(tz).date();
    today.checked_add(jiff::Span::new().days(i64::from(days))).ok().map(|d| d.to_string())
}

/// The team hears of a new item (its members and manager), and the owner.
async fn audience(conn: &mut Conn, i: &Improvement, actor: Option<UserId>) -> Result<Vec<UserId>> {
    let mut to: Vec<UserId> = i.owner_id.into_iter().collect();
    if let Some(t) = i.team_id {
        to.extend(yunwei_store::admin::team_members(&mut *conn, t).await?);
        to.extend(yunwei_store::admin::get_team(&mut *conn, t).await?.and_then(|t| t.manager_id));
    }
    to.retain(|u| Some(*u) != actor);
    to.sort();
    to.dedup();
    Ok(to)
}

async fn opened(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, i: &Improvement, score: Option<u8>) -> Result<()> {
    let v = view(i)?;
    audit::write(core, tx, ctx, Change::new("improvement", i.id, "create").after(&v)).await?;
    let to = audience(tx, i, ctx.actor_id().map(UserId)).await?;
    let payload = serde_json::json!({
        "number": v.number,
        "title": i.title,
        "source": i.source,
        "subject_ref": i.subject_ref.clone().unwrap_or_default(),
        "score": score,
        "due_on": i.due_on.clone().unwrap_or_default(),
        "path": format!("/improvements/{}", v.number),
        "recipients": to,
    });
    emit(core, tx, ctx, Event::new(EventType::ImprovementOpened, "improvement", i.id).with(payload)).await?;
    Ok(())
}

/// A low score opens an item for the ticket's team, owned by the team's manager if there is one.
pub(crate) async fn open_from_survey(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    s: &Survey,
    settings: &SurveySettings,
) -> Result<ImprovementId> {
    let owner = match s.team_id {
        Some(t) => yunwei_store::admin::get_team(&mut **tx, t).await?.and_then(|t| t.manager_id),
        None => None,
    };
    let score = s.score.and_then(|v| u8::try_from(v).ok());
    let now = core.now_ms();
    let mut i = Improvement {
        title: format!("{} {}", s.subject_ref, s.subject_title).chars().take(MAX_TITLE).collect(),
        description: s.comment.clone().unwrap_or_default(),
        source: ImprovementSource::Survey,
        survey_id: Some(s.id),
        subject_type: Some(s.subject_type.clone()),
        subject_id: Some(s.subject_id),
        subject_ref: Some(s.subject_ref.clone()),
        team_id: s.team_id,
        owner_id: owner,
        state: ImprovementState::Open,
        due_on: due_in(core, settings.improvement_due_days),
        created_at: now,
        updated_at: now,
        version: 1,
        ..Improvement::default()
    };
    i.id = store::insert(tx, &i).await?;
    opened(core, tx, ctx, &i, score).await?;
    Ok(i.id)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImprovementQuery {
    /// Comma-separated states: open, in_progress, done, rejected.
    pub state: Option<String>,
    pub team_id: Option<TeamId>,
    pub source: Option<ImprovementSource>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub async fn list(core: &Core, ctx: &Ctx, q: &ImprovementQuery) -> Result<Page<ImprovementView>> {
    let (actor, scope) = ctx.authorize(ObjectType::Improvement, Action::Read)?;
    let mut states = Vec::new();
    for s in q.state.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let st: ImprovementState = s.parse().map_err(|_| {
            yunwei_domain::DomainError::Validation(vec![
                FieldError::new("state", "not_allowed_value").with("allowed", "open, in_progress, done, rejected"),
            ])
        })?;
        states.push(st.as_str().to_string());
    }
    let scope = match scope {
        Scope::All => None,
        Scope::Department | Scope::Team => Some((Some(actor.place.user), actor.place.teams.clone())),
        Scope::Own => Some((Some(actor.place.user), Vec::new())),
    };
    let filter = ImprovementFilter { states, team_id: q.team_id, source: q.source.map(|s| s.as_str().to_string()), scope };
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), true)?;
    let rows = store::list(&core.db.read, &filter, &page).await?;
    let items = rows.items.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: rows.next_cursor })
}

pub async fn get(core: &Core, ctx: &Ctx, id: ImprovementId) -> Result<ImprovementView> {
    let i = load(core, &mut *core.db.read.acquire().await?, ctx, id, Action::Read, false).await?;
    view(&i)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewImprovement {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub team_id: Option<TeamId>,
    pub owner_id: Option<UserId>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    #[serde(default)]
    pub measures: String,
    /// The ticket or finding it is about, as text (`INC-000123`).
    pub subject_ref: Option<String>,
}

async fn check_people(conn: &mut Conn, c: &mut Checker, team: Option<TeamId>, owner: Option<UserId>) -> Result<()> {
    if let Some(t) = team
        && yunwei_store::admin::get_team(&mut *conn, t).await?.is_none()
    {
        c.push(FieldError::new("team_id", "not_found"));
    }
    if let Some(u) = owner
        && yunwei_store::admin::get_user(&mut *conn, u).await?.is_none_or(|u| u.disabled)
    {
        c.push(FieldError::new("owner_id", "not_found"));
    }
    Ok(())
}

pub async fn create(core: &Core, ctx: &Ctx, input: NewImprovement) -> Result<ImprovementView> {
    let (actor, scope) = ctx.authorize(ObjectType::Improvement, Action::Create)?;
    let mut c = Checker::new();
    let title = c.name("title", &input.title, MAX_TITLE);
    let description = c.text("description", &input.description, MAX_TEXT);
    let measures = c.text("measures", &input.measures, MAX_TEXT);
    let due_on = input.due_on.as_deref().and_then(|d| check_date(&mut c, "due_on", d));
    let subject_ref = input.subject_ref.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| c.name("subject_ref", s, 40));
    let mut rd = core.db.read.acquire().await?;
    check_people(&mut rd, &mut c, input.team_id, input.owner_id).await?;
    drop(rd);
    c.finish()?;
    let now = core.now_ms();
    let mut i = Improvement {
        title,
        description,
        source: ImprovementSource::Manual,
        subject_ref,
        team_id: input.team_id,
        owner_id: input.owner_id,
        state: ImprovementState::Open,
        due_on,
        measures,
        created_by: ctx.actor_id().map(UserId),
        created_at: now,
        updated_at: now,
        version: 1,
        ..Improvement::default()
    };
    // A grant narrower than `all` opens items for the holder's own teams only.
    if scope != Scope::All && i.team_id.is_some_and(|t| !actor.place.teams.contains(&t)) {
        return Err(CoreError::Forbidden(format!("improvement:create:{scope}")));
    }
    let mut tx = core.db.begin().await?;
    i.id = store::insert(&mut tx, &i).await?;
    opened(core, &mut tx, ctx, &i, None).await?;
    core.commit(tx).await?;
    view(&i)
}

/// Absent fields are kept; `null` clears team, owner or due date. A new `state` is a transition.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImprovementPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub team_id: Option<Option<TeamId>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub owner_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub due_on: Option<Option<String>>,
    pub measures: Option<String>,
    /// The result, or why it was rejected.
    pub outcome: Option<String>,
    pub state: Option<ImprovementState>,
    /// The version the caller last saw; a mismatch is refused (409).
    pub version: Option<i64>,
}

pub async fn update(core: &Core, ctx: &Ctx, id: ImprovementId, input: ImprovementPatch) -> Result<ImprovementView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update, true).await?;
    if input.version.is_some_and(|v| v != before.version) {
        return Err(CoreError::Conflict("improvement_changed"));
    }
    let mut c = Checker::new();
    let mut after = before.clone();
    if let Some(t) = &input.title {
        after.title = c.name("title", t, MAX_TITLE);
    }
    if let Some(d) = &input.description {
        after.description = c.text("description", d, MAX_TEXT);
    }
    if let Some(m) = &input.measures {
        after.measures = c.text("measures", m, MAX_TEXT);
    }
    if let Some(o) = &input.outcome {
        after.outcome = c.text("outcome", o, MAX_TEXT);
    }
    if let Some(d) = &input.due_on {
        after.due_on = d.as_deref().and_then(|d| check_date(&mut c, "due_on", d));
    }
    if let Some(t) = input.team_id {
        after.team_id = t;
    }
    if let Some(o) = input.owner_id {
        after.owner_id = o;
    }
    check_people(&mut tx, &mut c, input.team_id.flatten(), input.owner_id.flatten()).await?;
    let from = before.state;
    let to = input.state.unwrap_or(from);
    if to != from {
        ctx.authorize(ObjectType::Improvement, Action::Transition)?;
        if !rules::can_move(from, to) {
            return Err(CoreError::Conflict("improvement_illegal_transition"));
        }
        for e in rules::requirements(to, &after.measures, &after.outcome) {
            c.push(e);
        }
    }
    c.finish()?;
    let now = core.now_ms();
    after.state = to;
    after.closed_at = if to.is_open() { None } else { before.closed_at.filter(|_| to == from).or(Some(now)) };
    after.updated_at = now;
    after.version = before.version + 1;
    if !store::update(&mut tx, &after, before.version).await? {
        return Err(CoreError::Conflict("improvement_changed"));
    }
    let action = if to != from { to.as_str() } else { "update" };
    audit::write(core, &mut tx, ctx, Change::new("improvement", id, action).before(&view(&before)?).after(&view(&after)?)).await?;
    core.commit(tx).await?;
    view(&after)
}
