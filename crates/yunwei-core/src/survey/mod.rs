//! Satisfaction surveys (SPEC SAT, 用户满意度): a survey link to the requester
//! when a ticket is resolved, answered once without signing in; the list for
//! managers; the statistics by period and group (`stats`); and the settings.

mod answer;
mod stats;

pub use answer::*;
pub use stats::*;

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{DepartmentId, ServiceId, SurveyId, TeamId, UserId};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::policy::{self, Holders};
use yunwei_domain::survey::{Parties, Recipient, SubjectType, SurveySettings, SurveyState, recipient, state_of};

use yunwei_store::incident::{Incident, ScopeFilter};
use yunwei_store::sql::Page;
use yunwei_store::survey::{self as store, Survey, SurveyFilter};

const SETTINGS_KEY: &str = "survey";

/// The survey settings in force (defaults until an administrator saves some).
pub(crate) async fn settings(core: &Core) -> Result<SurveySettings> {
    crate::settings::stored(core, SETTINGS_KEY).await
}

/// The score at or below which an answer counts as low, for whoever reads surveys (the list
/// marks such answers); the rest of the settings need `setting:read`.
pub async fn low_score_threshold(core: &Core, ctx: &Ctx) -> Result<u8> {
    ctx.authorize(ObjectType::Survey, Action::Read)?;
    Ok(settings(core).await?.low_score_threshold)
}

pub async fn read_settings(core: &Core, ctx: &Ctx) -> Result<SurveySettings> {
    ctx.authorize(ObjectType::Setting, Action::Read)?;
    settings(core).await
}

pub async fn put_settings(core: &Core, ctx: &Ctx, input: SurveySettings) -> Result<SurveySettings> {
    ctx.authorize(ObjectType::Setting, Action::Update)?;
    input.validate()?;
    let before = settings(core).await?;
    crate::settings::save(core, ctx, SETTINGS_KEY, &before, &input).await?;
    Ok(input)
}

/// The ticket a survey asks about, as it stands when resolved.
#[derive(Debug, Clone)]
pub struct Subject {
    pub kind: SubjectType,
    pub id: i64,
    /// The human number, `INC-000123`.
    pub reference: String,
    pub title: String,
    pub requester_id: Option<UserId>,
    pub reporter_id: Option<UserId>,
    pub requester_name: Option<String>,
    pub requester_contact: Option<String>,
    pub team_id: Option<TeamId>,
    pub service_id: Option<ServiceId>,
    pub assignee_id: Option<UserId>,
    pub department_id: Option<DepartmentId>,
}

impl Subject {
    pub fn incident(i: &Incident) -> Subject {
        Subject {
            kind: SubjectType::Incident,
            id: i.id.0,
            reference: yunwei_domain::incident::number(i.id.0),
            title: i.title.clone(),
            requester_id: i.requester_id,
            reporter_id: i.reporter_id,
            requester_name: i.requester_name.clone(),
            requester_contact: i.requester_contact.clone(),
            team_id: i.team_id,
            service_id: i.service_id,
            assignee_id: i.assignee_id,
            department_id: i.department_id,
        }
    }
}

impl Subject {
    pub fn service_request(r: &yunwei_store::request::ServiceRequest) -> Subject {
        Subject {
            kind: SubjectType::ServiceRequest,
            id: r.id.0,
            reference: yunwei_domain::request::number(r.id.0),
            title: r.title.clone(),
            requester_id: r.requester_id,
            reporter_id: r.reporter_id,
            requester_name: None,
            requester_contact: None,
            team_id: r.team_id,
            service_id: None,
            assignee_id: r.assignee_id,
            department_id: r.department_id,
        }
    }
}

/// The page of the ticket a survey is about.
pub fn subject_path(kind: &str, reference: &str) -> String {
    match kind {
        "service_request" => format!("/requests/{reference}"),
        _ => format!("/incidents/{reference}"),
    }
}

/// Called by a resolving command in its own transaction: asks the requester
/// (a user, or a caller's e-mail address) unless a survey of this ticket is
/// still waiting for its answer — a reopen-then-resolve does not ask twice.
pub(crate) async fn on_resolved(core: &Core, tx: &mut yunwei_store::Tx, ctx: &Ctx, subject: &Subject) -> Result<Option<SurveyId>> {
    let settings = settings(core).await?;
    if !settings.enabled {
        return Ok(None);
    }
    let parties = Parties {
        requester: subject.requester_id,
        reporter: subject.reporter_id,
        named_caller: subject.requester_name.as_deref().is_some_and(|n| !n.trim().is_empty()),
        contact: subject.requester_contact.as_deref(),
        resolver: ctx.actor_id().map(UserId),
    };
    let Some(to) = recipient(parties) else { return Ok(None) };
    let now = core.now_ms();
    if store::pending_for(&mut **tx, subject.kind.as_str(), subject.id, now).await?.is_some() {
        return Ok(None);
    }
    let token = crate::crypto::random_secret::<32>()?;
    let (requester_id, requester_email) = match &to {
        Recipient::User(u) => (Some(*u), None),
        Recipient::Email(e) => (None, Some(e.clone())),
    };
    let mut s = Survey {
        subject_type: subject.kind.as_str().into(),
        subject_id: subject.id,
        subject_ref: subject.reference.clone(),
        subject_title: subject.title.clone(),
        requester_id,
        requester_email: requester_email.clone(),
        requester_name: subject.requester_name.clone().filter(|_| requester_id.is_none()),
        team_id: subject.team_id,
        service_id: subject.service_id,
        assignee_id: subject.assignee_id,
        department_id: subject.department_id,
        state: SurveyState::Sent.as_str().into(),
        sent_at: now,
        expires_at: now + settings.expiry_ms(),
        ..Survey::default()
    };
    s.id = store::insert(tx, &s, &crate::crypto::sha256_hex(&token)).await?;
    audit::write(core, tx, ctx, Change::new("survey", s.id, "send").after(&view(&s, now))).await?;
    // The link travels in the event (it is written into the notice and the mail after commit);
    // the table keeps only its hash.
    let mut payload = serde_json::json!({
        "number": s.subject_ref,
        "title": s.subject_title,
        "subject_type": s.subject_type,
        "path": format!("/surveys/{token}"),
        "expires_on": crate::format_time(s.expires_at, &core.config.default_time_zone),
        "recipients": requester_id.into_iter().collect::<Vec<_>>(),
    });
    if let Some(address) = requester_email {
        let name = s.requester_name.clone().unwrap_or_else(|| address.clone());
        payload["email_to"] = serde_json::json!([{ "address": address, "name": name }]);
    }
    emit(core, tx, ctx, Event::new(EventType::SurveyRequested, "survey", s.id).with(payload)).await?;
    Ok(Some(s.id))
}

/// One survey as managers see it (never the link): the stored row with its state as of
/// now. Field access reaches the row (`v.subject_ref`); `v.state` is the view's.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyView {
    #[serde(flatten)]
    pub row: Survey,
    pub state: SurveyState,
}

impl std::ops::Deref for SurveyView {
    type Target = Survey;
    fn deref(&self) -> &Survey {
        &self.row
    }
}

pub fn view(s: &Survey, now: i64) -> SurveyView {
    SurveyView { state: state_of(s.state == "answered", s.expires_at, now), row: s.clone() }
}

/// The scope filter of a survey read: `own` is what I asked or handled, `team` adds my
/// teams' surveys, `department` my department's.
fn scope_filter(ctx: &Ctx) -> Result<Option<ScopeFilter>> {
    let (actor, scope) = ctx.authorize(ObjectType::Survey, Action::Read)?;
    let p = &actor.place;
    Ok(match scope {
        Scope::All => None,
        Scope::Department => Some(ScopeFilter { user_id: Some(p.user), team_ids: p.teams.clone(), department_id: p.department }),
        Scope::Team => Some(ScopeFilter { user_id: Some(p.user), team_ids: p.teams.clone(), department_id: None }),
        Scope::Own => Some(ScopeFilter { user_id: Some(p.user), team_ids: Vec::new(), department_id: None }),
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyQuery {
    pub state: Option<SurveyState>,
    pub team_id: Option<TeamId>,
    pub subject_type: Option<SubjectType>,
    pub subject_id: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Surveys the caller may see, newest first.
pub async fn list(core: &Core, ctx: &Ctx, q: &SurveyQuery) -> Result<Page<SurveyView>> {
    let scope = scope_filter(ctx)?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), true)?;
    let filter = SurveyFilter {
        state: q.state,
        team_id: q.team_id,
        subject_type: q.subject_type.map(|t| t.as_str().to_string()),
        subject_id: q.subject_id,
        scope,
    };
    let now = core.now_ms();
    Ok(store::list(&core.db.read, &filter, now, &page).await?.map(|s| view(&s, now)))
}

/// Where a survey sits for its policy ([`policy::SURVEY`]).
fn holders(s: &Survey) -> Holders {
    Holders {
        owners: [s.requester_id, s.assignee_id].into_iter().flatten().collect(),
        team: s.team_id,
        department: s.department_id,
        ..Holders::default()
    }
}

pub async fn get(core: &Core, ctx: &Ctx, id: SurveyId) -> Result<SurveyView> {
    ctx.may_any(&policy::SURVEY, Action::Read)?;
    let s = store::get(&core.db.read, id).await?.ok_or(CoreError::NotFound("survey"))?;
    ctx.decide(&policy::SURVEY, Action::Read, &holders(&s))?;
    Ok(view(&s, core.now_ms()))
}
