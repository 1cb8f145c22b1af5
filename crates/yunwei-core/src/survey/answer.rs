//! The requester's side: open a survey link and answer it once, without
//! signing in. The token is the capability; it is looked up by its hash.

use super::{settings, subject_path};
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{IncidentId, UserId};
use yunwei_domain::incident::ActivityKind;
use yunwei_domain::survey::{MAX_COMMENT, Refusal, SurveyState, check_answerable, check_score, state_of};
use yunwei_domain::validate::Checker;
use yunwei_store::survey::{self as store, Survey};

/// What the answer page shows: the ticket, never who else is involved.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSurvey {
    pub subject_type: String,
    pub subject_ref: String,
    pub subject_title: String,
    pub state: SurveyState,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
    pub score: Option<i64>,
    pub comment: Option<String>,
}

fn public(s: &Survey, now: i64) -> PublicSurvey {
    PublicSurvey {
        subject_type: s.subject_type.clone(),
        subject_ref: s.subject_ref.clone(),
        subject_title: s.subject_title.clone(),
        state: state_of(s.state == "answered", s.expires_at, now),
        expires_at: s.expires_at,
        answered_at: s.answered_at,
        score: s.score,
        comment: s.comment.clone(),
    }
}

/// Tokens are 64 hex digits; anything else is unknown without asking the database.
fn token_hash(token: &str) -> Result<String> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(crate::crypto::sha256_hex(&token.to_ascii_lowercase()))
    } else {
        Err(CoreError::NotFound("survey"))
    }
}

fn refused(r: Refusal) -> CoreError {
    match r {
        Refusal::AlreadyAnswered => CoreError::Conflict("survey_already_answered"),
        Refusal::Expired => CoreError::Gone("survey_expired"),
    }
}

async fn find(core: &Core, token: &str) -> Result<Survey> {
    store::by_token_hash(&core.db.read, &token_hash(token)?).await?.ok_or(CoreError::NotFound("survey"))
}

/// A survey link that can still be answered: 404 unknown, 409 answered, 410 expired.
pub async fn open(core: &Core, token: &str) -> Result<PublicSurvey> {
    let s = find(core, token).await?;
    let now = core.now_ms();
    check_answerable(s.state == "answered", s.expires_at, now).map_err(refused)?;
    Ok(public(&s, now))
}

/// As [`open`], but an answered or expired survey is returned as it is (for the thank-you page).
pub async fn peek(core: &Core, token: &str) -> Result<PublicSurvey> {
    let s = find(core, token).await?;
    Ok(public(&s, core.now_ms()))
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: i64,
    pub comment: Option<String>,
}

/// Answers a survey once. In one transaction: the answer, a timeline entry on the
/// ticket, the audit entry (actor: the requester through the link), the
/// `survey.answered` event, and for a low score an improvement item.
/// Not authorised here: the link's token is the requester's credential (whoever holds it
/// answers once, before it expires); the context names the source in the audit entry.
pub async fn answer(core: &Core, ctx: &Ctx, token: &str, input: AnswerInput) -> Result<PublicSurvey> {
    let s = find(core, token).await?;
    let now = core.now_ms();
    check_answerable(s.state == "answered", s.expires_at, now).map_err(refused)?;
    let mut c = Checker::new();
    let score = match check_score(input.score) {
        Ok(v) => v,
        Err(e) => {
            c.push(e);
            0
        }
    };
    let comment = input.comment.as_deref().map(|t| c.text("comment", t.trim(), MAX_COMMENT)).filter(|t| !t.is_empty());
    c.finish()?;
    let settings = settings(core).await?;
    let mut tx = core.db.begin().await?;
    if !store::record_answer(&mut tx, s.id, i64::from(score), comment.as_deref(), now).await? {
        // Another answer won the race, or the link expired meanwhile.
        let fresh = store::get(&mut *tx, s.id).await?.ok_or(CoreError::NotFound("survey"))?;
        return Err(match check_answerable(fresh.state == "answered", fresh.expires_at, now) {
            Err(r) => refused(r),
            Ok(()) => CoreError::Conflict("survey_already_answered"),
        });
    }
    let after = store::get(&mut *tx, s.id).await?.ok_or(CoreError::NotFound("survey"))?;
    let who = s.requester_email.clone().or(s.requester_name.clone()).unwrap_or_default();
    let requester = match s.requester_id {
        Some(u) => yunwei_store::admin::get_user(&mut *tx, u).await?.map(|u| u.display_name).unwrap_or_default(),
        None => who.clone(),
    };
    if s.subject_type == "incident" {
        let a = yunwei_store::incident::NewActivity {
            incident_id: IncidentId(s.subject_id),
            at: now,
            actor_id: s.requester_id,
            kind: ActivityKind::SurveyAnswered.as_str(),
            public: true,
            body: comment.as_deref().unwrap_or_default(),
            data: serde_json::json!({ "score": score, "survey_id": s.id, "requester": requester }),
        };
        yunwei_store::incident::add_activity(&mut tx, &a).await?;
    } else if s.subject_type == "service_request" {
        let data = serde_json::json!({ "score": score, "survey_id": s.id, "requester": requester });
        let id = yunwei_domain::ids::ServiceRequestId(s.subject_id);
        yunwei_store::request::add_activity(
            &mut tx,
            id,
            now,
            s.requester_id,
            "survey_answered",
            true,
            comment.as_deref().unwrap_or_default(),
            &data,
        )
        .await?;
    }
    // Nobody signed in: the link speaks for the requester it was sent to.
    let actor_name = match s.requester_id {
        Some(u) => format!("survey-link:user:{u}"),
        None => format!("survey-link:{who}"),
    };
    audit::write_as(
        core,
        &mut tx,
        ctx,
        None,
        actor_name,
        Change::new("survey", s.id, "answer").before(&super::view(&s, now)).after(&super::view(&after, now)),
    )
    .await?;
    let mut to: Vec<UserId> = s.assignee_id.into_iter().collect();
    if let Some(t) = s.team_id
        && let Some(m) = yunwei_store::admin::get_team(&mut *tx, t).await?.and_then(|t| t.manager_id)
    {
        to.push(m);
    }
    to.sort();
    to.dedup();
    let payload = serde_json::json!({
        "number": s.subject_ref,
        "title": s.subject_title,
        "score": score,
        "comment": comment.as_deref().map(|c| c.chars().take(200).collect::<String>()).unwrap_or_default(),
        "requester": requester,
        "path": subject_path(&s.subject_type, &s.subject_ref),
        "recipients": to,
    });
    emit(core, &mut tx, ctx, Event::new(EventType::SurveyAnswered, "survey", s.id).with(payload)).await?;
    if settings.is_low(score) {
        crate::improvement::open_from_survey(core, &mut tx, ctx, &after, &settings).await?;
    }
    core.commit(tx).await?;
    Ok(public(&after, now))
}
