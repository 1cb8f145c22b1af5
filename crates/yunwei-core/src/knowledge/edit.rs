//! Writing articles: a new article (blank, from a type's template, or from a resolved
//! incident), edits (a published article gets a new draft version; readers keep the
//! published one until the new one is published), the review steps with the rule that
//! nobody reviews their own text, and the review reminder before an article expires.

use super::{ArticleView, holders, load, view};
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ArticleId, CiId, IncidentId, ServiceId, TeamId, UserId};
use yunwei_domain::knowledge::{self as rules, ArticleType, KbAction, VersionState, Visibility};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::policy;
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::knowledge::{self as store, Article, ArticleVersion};

pub const MAX_TITLE: usize = 200;
/// About a hundred pages of text; attachments carry the rest.
pub const MAX_BODY: usize = 200_000;
/// How long before the review date its author is reminded.
pub const REMIND_DAYS: i64 = 14;

/// A new article. A blank body starts from the type's template in the author's language.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    pub article_type: ArticleType,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub visibility: Visibility,
    pub team_id: Option<TeamId>,
    /// `YYYY-MM-DD`: the date by which the article is to be reviewed.
    pub expires_on: Option<String>,
    #[serde(default)]
    pub service_ids: Vec<ServiceId>,
    #[serde(default)]
    pub ci_ids: Vec<CiId>,
    /// The resolved incident the article was written from.
    pub source_incident_id: Option<IncidentId>,
}

/// Absent fields are kept; `null` clears the team or the review date.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    pub version: i64,
    pub article_type: Option<ArticleType>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub team_id: Option<Option<TeamId>>,
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub expires_on: Option<Option<String>>,
    pub service_ids: Option<Vec<ServiceId>>,
    pub ci_ids: Option<Vec<CiId>>,
}

/// The article's fields checked and normalised in place; links checked to exist.
async fn vet(conn: &mut Conn, c: &mut Checker, a: &mut Article, links: &[(String, i64)]) -> Result<()> {
    a.title = c.name("title", &a.title, MAX_TITLE);
    a.category = c.optional_name("category", &a.category, 100);
    a.tags = rules::parse_tags(&a.tags.join(","));
    if let Some(d) = a.expires_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        if d.len() != 10 || d.parse::<jiff::civil::Date>().is_err() {
            c.push(FieldError::new("expires_on", "invalid_date"));
        }
        a.expires_on = Some(d.to_string());
    } else {
        a.expires_on = None;
    }
    match (a.visibility, a.team_id) {
        (Visibility::Restricted, None) => c.push(FieldError::new("team_id", "required")),
        (Visibility::Restricted, Some(t)) if yunwei_store::admin::get_team(&mut *conn, t).await?.is_none() => {
            c.push(FieldError::new("team_id", "not_found"))
        }
        (Visibility::Restricted, Some(_)) => {}
        // Only a restricted article names a team.
        _ => a.team_id = None,
    }
    for (kind, id) in links {
        let found = match kind.as_str() {
            "service" => yunwei_store::service::get(&mut *conn, ServiceId(*id)).await?.is_some(),
            _ => yunwei_store::cmdb::ci::get(&mut *conn, CiId(*id)).await?.is_some_and(|ci| !ci.deleted),
        };
        if !found {
            c.push(FieldError::new(if kind == "service" { "service_ids" } else { "ci_ids" }, "not_found").with("id", *id));
        }
    }
    Ok(())
}

fn check_body(c: &mut Checker, body: &str) -> String {
    if body.chars().count() > MAX_BODY {
        c.push(FieldError::new("body", "too_long").with("max", MAX_BODY));
    }
    body.replace("\r\n", "\n")
}

fn link_targets(services: &[ServiceId], cis: &[CiId]) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = services.iter().map(|s| ("service".to_string(), s.0)).collect();
    out.extend(cis.iter().map(|c| ("ci".to_string(), c.0)));
    out.sort();
    out.dedup();
    out
}

/// The event payload (webhooks, notices): who to tell goes in `recipients`.
fn event_for(kind: EventType, a: &Article, number: i64, recipients: &[UserId], note: &str) -> Event {
    Event::new(kind, "knowledge", a.id).with(serde_json::json!({
        "id": a.id, "number": format!("KB-{:06}", a.id.0), "title": a.title, "article_type": a.article_type, "state": a.state, "version_number": number,
        "visibility": a.visibility, "expires_on": a.expires_on, "comment": note,
        "path": format!("/knowledge/{}", a.id), "recipients": recipients,
    }))
}

pub async fn create(core: &Core, ctx: &Ctx, input: NewArticle) -> Result<ArticleView> {
    let (actor, _) = ctx.authorize(ObjectType::Knowledge, Action::Create)?;
    let me = actor.user_id;
    let zh = actor.locale.starts_with("zh");
    let now = core.now_ms();
    let mut c = Checker::new();
    let body = if input.body.trim().is_empty() { rules::template(input.article_type, zh).to_string() } else { input.body };
    let body = check_body(&mut c, &body);
    let mut tx = core.db.begin().await?;
    if let Some(i) = input.source_incident_id {
        // The incident must be one the caller may read, and resolved: an article records what worked.
        let inc = crate::incident::load_read(&mut tx, ctx, i, Action::Read).await.map_err(|_| CoreError::NotFound("incident"))?;
        if inc.state.is_open() {
            c.push(FieldError::new("source_incident_id", "not_resolved"));
        }
    }
    let mut a = Article {
        article_type: input.article_type,
        title: input.title,
        state: VersionState::Draft,
        category: input.category,
        tags: input.tags,
        visibility: input.visibility,
        team_id: input.team_id,
        author_id: Some(me),
        latest_number: 1,
        expires_on: input.expires_on,
        source_type: if input.source_incident_id.is_some() { "incident".into() } else { String::new() },
        source_id: input.source_incident_id.map(|i| i.0),
        created_at: now,
        updated_at: now,
        version: 1,
        ..Article::default()
    };
    let links = link_targets(&input.service_ids, &input.ci_ids);
    vet(&mut tx, &mut c, &mut a, &links).await?;
    c.finish()?;
    a.id = store::insert(&mut tx, &a).await?;
    let v = ArticleVersion {
        article_id: a.id,
        number: 1,
        title: a.title.clone(),
        body,
        state: VersionState::Draft,
        author_id: Some(me),
        created_at: now,
        updated_at: now,
        ..ArticleVersion::default()
    };
    store::insert_version(&mut tx, &v).await?;
    store::set_links(&mut tx, a.id, &links).await?;
    audit::write(core, &mut tx, ctx, Change::new("knowledge", a.id, "create").after(&a)).await?;
    emit(core, &mut tx, ctx, event_for(EventType::KnowledgeCreated, &a, 1, &[], "")).await?;
    let out = view(&mut tx, ctx, &a).await?;
    core.commit(tx).await?;
    Ok(out)
}

/// Edits the article. Text edits go to the newest version while it is a draft; on a
/// published (or retired) article they start a new draft version; under review they wait
/// (send it back first). Settings (type, tags, visibility, links, review date) apply at once.
pub async fn update(core: &Core, ctx: &Ctx, id: ArticleId, input: ArticlePatch) -> Result<ArticleView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, Action::Update, true).await?;
    if input.version != before.version {
        return Err(CoreError::Conflict("article_changed"));
    }
    let now = core.now_ms();
    let me = ctx.me()?.user_id;
    let mut c = Checker::new();
    let mut a = before.clone();
    if let Some(v) = input.article_type {
        a.article_type = v;
    }
    if let Some(v) = input.category {
        a.category = v;
    }
    if let Some(v) = input.tags {
        a.tags = v;
    }
    if let Some(v) = input.visibility {
        a.visibility = v;
    }
    if let Some(v) = input.team_id {
        a.team_id = v;
    }
    if let Some(v) = input.expires_on {
        a.expires_on = v;
    }
    let old_links: Vec<(String, i64)> = store::links(&mut *tx, id).await?.into_iter().map(|l| (l.target_type, l.target_id)).collect();
    let links = match (&input.service_ids, &input.ci_ids) {
        (None, None) => old_links.clone(),
        (s, cis) => {
            let keep = |kind: &str| old_links.iter().filter(|(k, _)| k == kind).map(|(_, i)| *i).collect::<Vec<_>>();
            let s = s.clone().unwrap_or_else(|| keep("service").into_iter().map(ServiceId).collect());
            let cis = cis.clone().unwrap_or_else(|| keep("ci").into_iter().map(CiId).collect());
            link_targets(&s, &cis)
        }
    };
    let latest = store::version(&mut *tx, id, before.latest_number).await?.ok_or(CoreError::NotFound("article_version"))?;
    let text_changed = input.title.as_ref().is_some_and(|t| *t != latest.title) || input.body.as_ref().is_some_and(|b| *b != latest.body);
    let mut new_text = latest.clone();
    if let Some(t) = input.title {
        new_text.title = c.name("title", &t, MAX_TITLE);
    }
    if let Some(b) = input.body {
        new_text.body = check_body(&mut c, &b);
    }
    vet(&mut tx, &mut c, &mut a, &links).await?;
    c.finish()?;
    if text_changed {
        match latest.state {
            VersionState::Draft => {
                new_text.updated_at = now;
                store::update_version(&mut tx, &new_text).await?;
            }
            VersionState::Review => return Err(CoreError::Conflict("article_in_review")),
            _ => {
                a.latest_number = before.latest_number + 1;
                let draft = ArticleVersion {
                    id: 0,
                    article_id: id,
                    number: a.latest_number,
                    state: VersionState::Draft,
                    author_id: Some(me),
                    reviewer_id: None,
                    review_note: String::new(),
                    created_at: now,
                    updated_at: now,
                    decided_at: None,
                    ..new_text.clone()
                };
                store::insert_version(&mut tx, &draft).await?;
            }
        }
        if a.published_number.is_none() {
            a.title = new_text.title.clone();
        }
    }
    if a == before && links == old_links && !text_changed {
        return view(&mut tx, ctx, &before).await;
    }
    a.version = before.version + 1;
    a.updated_at = now;
    if !store::update(&mut tx, &a, before.version).await? {
        return Err(CoreError::Conflict("article_changed"));
    }
    if links != old_links {
        store::set_links(&mut tx, id, &links).await?;
    }
    yunwei_store::search::enqueue_article(&mut tx, id.0).await?;
    audit::write(core, &mut tx, ctx, Change::new("knowledge", id, "update").before(&before).after(&a)).await?;
    emit(core, &mut tx, ctx, event_for(EventType::KnowledgeUpdated, &a, a.latest_number, &[], "")).await?;
    let out = view(&mut tx, ctx, &a).await?;
    core.commit(tx).await?;
    Ok(out)
}

/// The review steps the caller may take on `a` whose newest version is in `working` and
/// was written by `writer`.
pub(crate) fn allowed_actions(ctx: &Ctx, a: &Article, working: VersionState, writer: Option<UserId>) -> Vec<KbAction> {
    let me = ctx.actor_id().map(UserId);
    KbAction::ALL
        .iter()
        .copied()
        .filter(|act| {
            let from = if *act == KbAction::Retire { a.state } else { working };
            rules::next(from, *act).is_some()
                && ctx.decide(&policy::KNOWLEDGE, rules::permission_for(*act), &holders(a)).is_ok()
                && !(rules::needs_second_person(*act) && (me == writer || me == a.author_id))
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub action: KbAction,
    /// The version the caller last saw; a mismatch is refused (409).
    pub version: i64,
    /// The reviewer's comment; required to send a version back.
    #[serde(default)]
    pub note: String,
}

/// One review step: submit (the newest draft goes to review), publish or reject (a second
/// person's decision), retire (readers see it no more).
pub async fn act(core: &Core, ctx: &Ctx, id: ArticleId, input: StepInput) -> Result<ArticleView> {
    let mut tx = core.db.begin().await?;
    let before = load(core, &mut tx, ctx, id, rules::permission_for(input.action), true).await?;
    if input.version != before.version {
        return Err(CoreError::Conflict("article_changed"));
    }
    let me = ctx.me()?.user_id;
    let now = core.now_ms();
    let note: String = input.note.trim().chars().take(2000).collect();
    let mut latest = store::version(&mut *tx, id, before.latest_number).await?.ok_or(CoreError::NotFound("article_version"))?;
    let from = if input.action == KbAction::Retire { before.state } else { latest.state };
    let illegal =
        || yunwei_domain::DomainError::IllegalTransition { object: "article", from: from.as_str(), action: input.action.as_str() };
    let to = rules::next(from, input.action).ok_or_else(illegal)?;
    if rules::needs_second_person(input.action) && (latest.author_id == Some(me) || before.author_id == Some(me)) {
        return Err(yunwei_domain::DomainError::OwnRequest.into());
    }
    if input.action == KbAction::Reject && note.is_empty() {
        return Err(yunwei_domain::DomainError::field("note", "required").into());
    }
    let mut a = before.clone();
    let author: Vec<UserId> = latest.author_id.into_iter().chain(before.author_id).filter(|u| *u != me).collect();
    let event = match input.action {
        KbAction::Submit => {
            latest.state = to;
            let reviewers = yunwei_store::admin::holders_of_permission(&core.db.read, "knowledge:approve").await?;
            let reviewers: Vec<UserId> =
                reviewers.into_iter().filter(|u| Some(*u) != latest.author_id && Some(*u) != before.author_id).collect();
            EventType::KnowledgeReviewRequested.then_to(reviewers)
        }
        KbAction::Publish => {
            if let Some(old) = before.published_number.filter(|n| *n != latest.number)
                && let Some(mut prev) = store::version(&mut *tx, id, old).await?
            {
                prev.state = VersionState::Superseded;
                prev.updated_at = now;
                store::update_version(&mut tx, &prev).await?;
            }
            latest.state = to;
            latest.reviewer_id = Some(me);
            latest.review_note = note.clone();
            latest.decided_at = Some(now);
            a.published_number = Some(latest.number);
            a.title = latest.title.clone();
            EventType::KnowledgePublished.then_to(author)
        }
        KbAction::Reject => {
            latest.state = to;
            latest.reviewer_id = Some(me);
            latest.review_note = note.clone();
            latest.decided_at = Some(now);
            EventType::KnowledgeRejected.then_to(author)
        }
        KbAction::Retire => {
            if let Some(n) = before.published_number
                && let Some(mut p) = store::version(&mut *tx, id, n).await?
            {
                p.state = VersionState::Retired;
                p.updated_at = now;
                store::update_version(&mut tx, &p).await?;
                if n == latest.number {
                    latest = p;
                }
            }
            EventType::KnowledgeRetired.then_to(author)
        }
    };
    latest.updated_at = now;
    store::update_version(&mut tx, &latest).await?;
    a.state = match input.action {
        KbAction::Retire => VersionState::Retired,
        _ if a.published_number.is_some() && a.state != VersionState::Retired => VersionState::Published,
        _ if a.published_number.is_some() && input.action == KbAction::Publish => VersionState::Published,
        _ => latest.state,
    };
    a.version = before.version + 1;
    a.updated_at = now;
    if !store::update(&mut tx, &a, before.version).await? {
        return Err(CoreError::Conflict("article_changed"));
    }
    yunwei_store::search::enqueue_article(&mut tx, id.0).await?;
    audit::write(core, &mut tx, ctx, Change::new("knowledge", id, input.action.as_str()).before(&before).after(&a)).await?;
    emit(core, &mut tx, ctx, event_for(event.0, &a, latest.number, &event.1, &note)).await?;
    let out = view(&mut tx, ctx, &a).await?;
    core.commit(tx).await?;
    Ok(out)
}

/// An event kind with who is to be told.
trait ThenTo {
    fn then_to(self, to: Vec<UserId>) -> (EventType, Vec<UserId>);
}

impl ThenTo for EventType {
    fn then_to(self, to: Vec<UserId>) -> (EventType, Vec<UserId>) {
        (self, to)
    }
}

/// A new article's fields prefilled from a resolved incident the caller may read: its
/// title, symptoms, resolution and CI, as a fault diagnosis report. Nothing is saved.
/// (Problems: `source_type` `problem` is reserved for the same step from a closed problem,
/// to be added when the problem API exists.)
pub async fn draft_from_incident(core: &Core, ctx: &Ctx, incident: IncidentId) -> Result<NewArticle> {
    let (actor, _) = ctx.authorize(ObjectType::Knowledge, Action::Create)?;
    let zh = actor.locale.starts_with("zh");
    let mut rd = core.db.read.acquire().await?;
    let i = crate::incident::load_read(&mut rd, ctx, incident, Action::Read).await?;
    if i.state.is_open() {
        return Err(CoreError::Conflict("incident_not_resolved"));
    }
    let number = yunwei_domain::incident::number(i.id.0);
    let resolution = i.resolution.clone().unwrap_or_default();
    let body = if zh {
        format!(
            "## 故障现象\n\n{}\n\n## 影响范围\n\n{}\n\n## 处理措施\n\n{}\n\n## 来源\n\n事件 {number}\n",
            i.description,
            i.impact_scope.as_deref().unwrap_or(""),
            resolution
        )
    } else {
        format!(
            "## Symptoms\n\n{}\n\n## Impact\n\n{}\n\n## Fix\n\n{}\n\n## Source\n\nIncident {number}\n",
            i.description,
            i.impact_scope.as_deref().unwrap_or(""),
            resolution
        )
    };
    Ok(NewArticle {
        article_type: ArticleType::FaultReport,
        title: i.title.clone(),
        body,
        visibility: Visibility::Internal,
        service_ids: i.service_id.into_iter().collect(),
        ci_ids: i.ci_id.into_iter().collect(),
        source_incident_id: Some(i.id),
        ..NewArticle::default()
    })
}

/// The scheduler's job: tells each author whose published article is to be reviewed within
/// [`REMIND_DAYS`] (once per review date), through the notification outbox.
pub async fn remind_due(core: &Core) -> Result<usize> {
    let by = crate::asset::today(core).checked_add(jiff::Span::new().days(REMIND_DAYS)).unwrap_or_default().to_string();
    let due = store::due_for_review(&core.db.read, &by, 100).await?;
    let ctx = Ctx::system();
    for a in &due {
        let mut tx = core.db.begin().await?;
        let Some(date) = a.expires_on.clone() else { continue };
        store::mark_reminded(&mut tx, a.id, &date).await?;
        let to: Vec<UserId> = a.author_id.into_iter().collect();
        emit(core, &mut tx, &ctx, event_for(EventType::KnowledgeReviewDue, a, a.published_number.unwrap_or(0), &to, "")).await?;
        core.commit(tx).await?;
    }
    Ok(due.len())
}
