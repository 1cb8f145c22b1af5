//! The knowledge base (知识库, SPEC KB): articles in versions, who reads which, full-text
//! search and suggestions while a form is typed, "did this help?" votes and view counts.
//! Writing and the review steps are in [`edit`]; Markdown and diffs in [`render`]; the
//! rules in `yunwei_domain::knowledge`.
//!
//! Permissions: read — `knowledge:read` (scope `own`: public articles only, as requesters
//! hold it; `team`: internal ones and those restricted to the reader's teams; `all`:
//! every article); write and submit — `knowledge:update` (create: `knowledge:create`);
//! publish or send back — `knowledge:approve`, never on one's own text; retire —
//! `knowledge:transition`.

pub mod edit;
pub mod render;

use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::ids::{ArticleId, UserId};
use yunwei_domain::knowledge::{self as rules, ArticleType, KbAction, VersionState, Visibility};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::policy::{self, Holders};
use yunwei_store::Conn;
use yunwei_store::knowledge::{self as store, Article, ArticleFilter, ArticleVersion};
use yunwei_store::sql::Page;

pub use render::DiffRow;

/// Where an article sits for its policy: its author, and the team it is restricted to.
fn holders(a: &Article) -> Holders {
    Holders { owners: a.author_id.into_iter().collect(), team: a.team_id, ..Holders::default() }
}

/// May the caller read `a` at all (its visibility, their `knowledge:read` scope and teams)?
fn may_read(ctx: &Ctx, a: &Article) -> bool {
    let Ok((actor, scope)) = ctx.authorize(ObjectType::Knowledge, Action::Read) else { return false };
    let in_team = a.team_id.is_some_and(|t| actor.place.teams.contains(&t));
    rules::may_read(a.visibility, Some(scope), a.author_id == Some(actor.user_id), in_team)
}

/// Editors (who may write or review articles) see drafts and every version; other readers
/// see published articles, and of them the published version only.
fn is_editor(ctx: &Ctx) -> bool {
    [Action::Update, Action::Approve, Action::Create].iter().any(|a| ctx.authorize(ObjectType::Knowledge, *a).is_ok())
}

/// Whether the caller sees `a` now: readable, and published unless they are an editor.
fn visible(ctx: &Ctx, a: &Article) -> bool {
    may_read(ctx, a) && (a.state == VersionState::Published || is_editor(ctx))
}

/// The article if the caller may do `action` on it. A reader who may not see it gets 404,
/// as if it did not exist (its title is not theirs to learn); without any grant, 403 first.
pub(crate) async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: ArticleId, action: Action, lock: bool) -> Result<Article> {
    ctx.may_any(&policy::KNOWLEDGE, action)?;
    let found = if lock { store::get_for_update(conn, &core.db, id).await? } else { store::get(&mut *conn, id).await? };
    let a = found.filter(|a| visible(ctx, a)).ok_or(CoreError::NotFound("article"))?;
    // Reading is decided by the visibility above (scope `own` reads public articles, not
    // only one's own); every other action by the policy's scopes.
    if action != Action::Read {
        ctx.decide(&policy::KNOWLEDGE, action, &holders(&a))?;
    }
    Ok(a)
}

/// One version as shown: its Markdown and the safe HTML it renders to.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    #[serde(flatten)]
    pub row: ArticleVersion,
    pub html: String,
    pub author_name: Option<String>,
    pub reviewer_name: Option<String>,
}

impl std::ops::Deref for VersionView {
    type Target = ArticleVersion;
    fn deref(&self) -> &ArticleVersion {
        &self.row
    }
}

/// A business service or CI the article applies to, by name.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub target_type: String,
    pub target_id: i64,
    pub name: String,
}

/// An article as the API and pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    #[serde(flatten)]
    pub row: Article,
    pub author_name: Option<String>,
    pub team_name: Option<String>,
    /// What readers see (absent until first published, and for readers of a retired one).
    pub published: Option<VersionView>,
    /// The newest version when it is not the published one (editors only): a draft or a
    /// version under review.
    pub working: Option<VersionView>,
    pub links: Vec<LinkView>,
    /// The review steps the caller may take now.
    pub actions: Vec<KbAction>,
    pub may_edit: bool,
    /// The caller's "did this help?" answer, if given.
    pub my_vote: Option<bool>,
}

impl std::ops::Deref for ArticleView {
    type Target = Article;
    fn deref(&self) -> &Article {
        &self.row
    }
}

async fn user_name(conn: &mut Conn, id: Option<UserId>) -> Result<Option<String>> {
    Ok(match id {
        Some(u) => yunwei_store::admin::get_user(&mut *conn, u).await?.map(|u| u.display_name),
        None => None,
    })
}

async fn version_view(conn: &mut Conn, v: ArticleVersion) -> Result<VersionView> {
    Ok(VersionView {
        html: render::to_html(&v.body),
        author_name: user_name(conn, v.author_id).await?,
        reviewer_name: user_name(conn, v.reviewer_id).await?,
        row: v,
    })
}

pub(crate) async fn view(conn: &mut Conn, ctx: &Ctx, a: &Article) -> Result<ArticleView> {
    let editor = is_editor(ctx);
    let published = match a.published_number.filter(|_| a.state != VersionState::Retired || editor) {
        Some(n) => match store::version(&mut *conn, a.id, n).await? {
            Some(v) => Some(version_view(conn, v).await?),
            None => None,
        },
        None => None,
    };
    let working = match (editor, a.published_number == Some(a.latest_number)) {
        (true, false) => match store::version(&mut *conn, a.id, a.latest_number).await? {
            Some(v) => Some(version_view(conn, v).await?),
            None => None,
        },
        _ => None,
    };
    let mut links = Vec::new();
    for l in store::links(&mut *conn, a.id).await? {
        let name = match l.target_type.as_str() {
            "service" => yunwei_store::service::get(&mut *conn, yunwei_domain::ids::ServiceId(l.target_id)).await?.map(|s| s.name),
            _ => yunwei_store::cmdb::ci::get(&mut *conn, yunwei_domain::ids::CiId(l.target_id)).await?.map(|c| c.name),
        };
        links.push(LinkView { target_type: l.target_type, target_id: l.target_id, name: name.unwrap_or_default() });
    }
    let team_name = match a.team_id {
        Some(t) => yunwei_store::admin::get_team(&mut *conn, t).await?.map(|t| t.name),
        None => None,
    };
    let my_vote = match ctx.actor_id() {
        Some(me) => store::vote_of(conn, a.id, UserId(me)).await?.map(|v| v.helpful),
        None => None,
    };
    let working_state = working.as_ref().map(|w| w.state).unwrap_or(a.state);
    let actions = edit::allowed_actions(ctx, a, working_state, working.as_ref().or(published.as_ref()).and_then(|v| v.author_id));
    let may_edit = a.state != VersionState::Retired && ctx.decide(&policy::KNOWLEDGE, Action::Update, &holders(a)).is_ok();
    Ok(ArticleView {
        author_name: user_name(conn, a.author_id).await?,
        team_name,
        published,
        working,
        links,
        actions,
        may_edit,
        my_vote,
        row: a.clone(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleQuery {
    /// Comma-separated: draft, review, published, retired.
    pub state: Option<String>,
    pub article_type: Option<ArticleType>,
    pub visibility: Option<Visibility>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub author_id: Option<UserId>,
    /// Words of the published text (Chinese or English), or part of a title.
    pub q: Option<String>,
    /// `YYYY-MM-DD`: only articles to be reviewed by then.
    pub expires_by: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Articles the caller may see, newest first.
pub async fn list(core: &Core, ctx: &Ctx, q: &ArticleQuery) -> Result<Page<Article>> {
    let (actor, scope) = ctx.authorize(ObjectType::Knowledge, Action::Read)?;
    let mut states = Vec::new();
    for s in q.state.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match s.parse::<VersionState>() {
            Ok(st @ (VersionState::Draft | VersionState::Review | VersionState::Published | VersionState::Retired)) => {
                states.push(st.as_str().to_string())
            }
            _ => return Err(yunwei_domain::DomainError::field("state", "not_allowed_value").into()),
        }
    }
    if !is_editor(ctx) {
        states = vec!["published".into()];
    }
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(100).collect::<String>());
    let ids = match &text {
        Some(t) => Some(yunwei_store::search::matching_articles(&core.db, &yunwei_domain::search::query_terms(t), 500).await?),
        None => None,
    };
    if let Some(d) = &q.expires_by
        && d.parse::<jiff::civil::Date>().is_err()
    {
        return Err(yunwei_domain::DomainError::field("expires_by", "invalid_date").into());
    }
    let filter = ArticleFilter {
        states,
        article_type: q.article_type.map(|t| t.as_str().to_string()),
        visibility: q.visibility.map(|v| v.as_str().to_string()),
        category: q.category.clone().filter(|c| !c.is_empty()),
        tag: q.tag.clone().filter(|t| !t.is_empty()),
        author_id: q.author_id,
        ids,
        title_like: text,
        expires_by: q.expires_by.clone(),
        reader: reader_filter(actor, scope),
    };
    let page = PageRequest::parse(q.limit, q.cursor.as_deref(), true)?;
    Ok(store::list(&core.db.read, &filter, &page).await?)
}

/// What the list query narrows to for this reader (the SQL twin of `rules::may_read`).
fn reader_filter(actor: &crate::context::Actor, scope: Scope) -> Option<store::Reader> {
    (scope != Scope::All).then(|| store::Reader { user: actor.user_id, teams: actor.place.teams.clone(), internal: scope >= Scope::Team })
}

/// One article; a reader shown its published version counts as a view.
pub async fn get(core: &Core, ctx: &Ctx, id: ArticleId) -> Result<ArticleView> {
    let mut conn = core.db.read.acquire().await?;
    let a = load(core, &mut conn, ctx, id, Action::Read, false).await?;
    let v = view(&mut conn, ctx, &a).await?;
    drop(conn);
    if v.published.is_some() && a.state == VersionState::Published {
        let mut batch = core.db.batch();
        store::stage_view(&mut batch, id).await?;
        core.commit_batch(batch).await?;
    }
    Ok(v)
}

/// A version in the history list (without its text).
#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    pub number: i64,
    pub title: String,
    pub state: VersionState,
    pub author_id: Option<UserId>,
    pub author_name: Option<String>,
    pub reviewer_name: Option<String>,
    pub review_note: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

/// The versions the caller may see, newest first (readers: the published one only).
pub async fn versions(core: &Core, ctx: &Ctx, id: ArticleId) -> Result<Vec<VersionSummary>> {
    let mut conn = core.db.read.acquire().await?;
    let a = load(core, &mut conn, ctx, id, Action::Read, false).await?;
    let editor = is_editor(ctx);
    let mut out = Vec::new();
    for v in store::versions(&mut *conn, a.id).await? {
        if !editor && Some(v.number) != a.published_number {
            continue;
        }
        out.push(VersionSummary {
            author_name: user_name(&mut conn, v.author_id).await?,
            reviewer_name: user_name(&mut conn, v.reviewer_id).await?,
            number: v.number,
            title: v.title,
            state: v.state,
            author_id: v.author_id,
            review_note: v.review_note,
            created_at: v.created_at,
            decided_at: v.decided_at,
        });
    }
    Ok(out)
}

async fn version_for(core: &Core, conn: &mut Conn, ctx: &Ctx, a: &Article, n: i64) -> Result<ArticleVersion> {
    if !is_editor(ctx) && Some(n) != a.published_number {
        return Err(CoreError::NotFound("article_version"));
    }
    let _ = core;
    store::version(&mut *conn, a.id, n).await?.ok_or(CoreError::NotFound("article_version"))
}

/// One version with its rendered text.
pub async fn version(core: &Core, ctx: &Ctx, id: ArticleId, n: i64) -> Result<VersionView> {
    let mut conn = core.db.read.acquire().await?;
    let a = load(core, &mut conn, ctx, id, Action::Read, false).await?;
    let v = version_for(core, &mut conn, ctx, &a, n).await?;
    version_view(&mut conn, v).await
}

/// Two versions side by side: the title and the text, line by line.
#[derive(Debug, Clone, Serialize)]
pub struct DiffView {
    pub article_id: ArticleId,
    pub from: i64,
    pub to: i64,
    pub from_title: String,
    pub to_title: String,
    pub rows: Vec<DiffRow>,
}

/// `to` defaults to the newest version the caller may see, `from` to the one before `to`.
pub async fn diff(core: &Core, ctx: &Ctx, id: ArticleId, from: Option<i64>, to: Option<i64>) -> Result<DiffView> {
    let mut conn = core.db.read.acquire().await?;
    let a = load(core, &mut conn, ctx, id, Action::Read, false).await?;
    let newest = if is_editor(ctx) { a.latest_number } else { a.published_number.unwrap_or(0) };
    let to = to.unwrap_or(newest);
    let from = from.unwrap_or(to - 1);
    let old = version_for(core, &mut conn, ctx, &a, from).await?;
    let new = version_for(core, &mut conn, ctx, &a, to).await?;
    Ok(DiffView { article_id: id, from, to, rows: render::diff_rows(&old.body, &new.body), from_title: old.title, to_title: new.title })
}

/// A matching published article, as offered while a form is typed.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: ArticleId,
    pub title: String,
    pub snippet: String,
    pub article_type: ArticleType,
    pub helpful: i64,
    pub views: i64,
    pub path: String,
}

/// Published articles the caller may read whose text matches every word of `q` (Chinese by
/// bigrams, no spaces needed), those readers found helpful and read most first.
pub async fn suggest(core: &Core, ctx: &Ctx, q: &str, limit: Option<i64>) -> Result<Vec<Suggestion>> {
    ctx.authorize(ObjectType::Knowledge, Action::Read)?;
    let limit = limit.unwrap_or(5);
    if !(1..=20).contains(&limit) {
        return Err(yunwei_domain::DomainError::Validation(vec![
            yunwei_domain::FieldError::new("limit", "out_of_range").with("min", 1).with("max", 20),
        ])
        .into());
    }
    let q: String = q.trim().chars().take(200).collect();
    let terms = yunwei_domain::search::query_terms(&q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let ids = yunwei_store::search::matching_articles(&core.db, &terms, 100).await?;
    let mut rows: Vec<Article> =
        store::by_ids(&core.db.read, &ids).await?.into_iter().filter(|a| a.state == VersionState::Published && may_read(ctx, a)).collect();
    rows.sort_by_key(|a| std::cmp::Reverse((a.helpful - a.unhelpful, a.views)));
    rows.truncate(usize::try_from(limit).unwrap_or(5));
    let mut conn = core.db.read.acquire().await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let body = match a.published_number {
            Some(n) => store::version(&mut *conn, a.id, n).await?.map(|v| v.body).unwrap_or_default(),
            None => String::new(),
        };
        out.push(Suggestion {
            id: a.id,
            snippet: render::snippet(&body, 120),
            title: a.title,
            article_type: a.article_type,
            helpful: a.helpful,
            views: a.views,
            path: format!("/knowledge/{}", a.id),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    pub helpful: bool,
}

/// The reader's "did this help?" (a second answer replaces the first). Only on a published
/// article the caller may read.
pub async fn vote(core: &Core, ctx: &Ctx, id: ArticleId, input: VoteInput) -> Result<ArticleView> {
    let mut tx = core.db.begin().await?;
    let a = load(core, &mut tx, ctx, id, Action::Read, true).await?;
    if a.state != VersionState::Published {
        return Err(CoreError::Conflict("article_not_published"));
    }
    let me = ctx.me()?.user_id;
    let v = store::Vote { id: 0, article_id: id, user_id: me, helpful: input.helpful, at: core.now_ms() };
    store::put_vote(&mut tx, &v).await?;
    crate::audit::write(core, &mut tx, ctx, crate::audit::Change::new("knowledge", id, "vote").after(&v)).await?;
    let after = store::get(&mut *tx, id).await?.ok_or(CoreError::NotFound("article"))?;
    let out = view(&mut tx, ctx, &after).await?;
    core.commit(tx).await?;
    Ok(out)
}

/// The template an article of each type starts from, in the caller's language.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateView {
    pub article_type: ArticleType,
    pub body: String,
}

pub async fn templates(_core: &Core, ctx: &Ctx) -> Result<Vec<TemplateView>> {
    let (actor, _) = ctx.authorize(ObjectType::Knowledge, Action::Create)?;
    let zh = actor.locale.starts_with("zh");
    Ok(ArticleType::ALL.iter().map(|t| TemplateView { article_type: *t, body: rules::template(*t, zh).to_string() }).collect())
}

/// Built-in notification templates of the knowledge base (event, locale, subject, body).
pub const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "knowledge.review_requested",
        "zh-CN",
        "【{{ payload.number }}】待您审核的知识文章：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 提交知识文章「{{ payload.title }}」（第 {{ payload.version_number }} 版）审核。\n审核：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.review_requested",
        "en",
        "[{{ payload.number }}] Knowledge article awaiting your review: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} submitted the knowledge article \"{{ payload.title }}\" (version {{ payload.version_number }}) for review at {{ time }}.\nReview: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.published",
        "zh-CN",
        "【{{ payload.number }}】知识文章已发布：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 审核通过并发布了知识文章「{{ payload.title }}」（第 {{ payload.version_number }} 版）。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.published",
        "en",
        "[{{ payload.number }}] Knowledge article published: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} reviewed and published the knowledge article \"{{ payload.title }}\" (version {{ payload.version_number }}) at {{ time }}.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.rejected",
        "zh-CN",
        "【{{ payload.number }}】知识文章被退回修改：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 退回了知识文章「{{ payload.title }}」。\n{% if payload.comment %}意见：{{ payload.comment }}\n{% endif %}修改：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.rejected",
        "en",
        "[{{ payload.number }}] Knowledge article sent back: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} sent the knowledge article \"{{ payload.title }}\" back at {{ time }}.\n{% if payload.comment %}Comment: {{ payload.comment }}\n{% endif %}Edit: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.review_due",
        "zh-CN",
        "【{{ payload.number }}】知识文章即将到期，请复审：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n知识文章「{{ payload.title }}」的复审日期为 {{ payload.expires_on }}，请确认内容仍然有效，修改后重新发布或将其停用。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.review_due",
        "en",
        "[{{ payload.number }}] Knowledge article due for review: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nThe knowledge article \"{{ payload.title }}\" is due for review on {{ payload.expires_on }}. Check it is still right, then republish an edited version or retire it.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.created",
        "zh-CN",
        "【{{ payload.number }}】新的知识文章：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 撰写了知识文章「{{ payload.title }}」。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.created",
        "en",
        "[{{ payload.number }}] New knowledge article: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} wrote the knowledge article \"{{ payload.title }}\" at {{ time }}.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.updated",
        "zh-CN",
        "【{{ payload.number }}】知识文章已修改：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 修改了知识文章「{{ payload.title }}」。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.updated",
        "en",
        "[{{ payload.number }}] Knowledge article changed: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} changed the knowledge article \"{{ payload.title }}\" at {{ time }}.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.retired",
        "zh-CN",
        "【{{ payload.number }}】知识文章已停用：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 停用了知识文章「{{ payload.title }}」，读者将不再看到它。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "knowledge.retired",
        "en",
        "[{{ payload.number }}] Knowledge article retired: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} retired the knowledge article \"{{ payload.title }}\" at {{ time }}; readers no longer see it.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
];
