//! The knowledge base (知识库): articles, their versions, the services and CIs they apply
//! to, and readers' votes. Who may read which article is the core's business.

use crate::Result;
use crate::sql::{Page, Sql};
use crate::table::{Table, column, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::ids::{ArticleId, TeamId, UserId};
use yunwei_domain::knowledge::{ArticleType, VersionState, Visibility};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Article in "knowledge_articles" {
        pub id: ArticleId,
        pub article_type: ArticleType,
        pub title: String,
        /// `draft`, `review`, `published` (while a published version exists) or `retired`.
        pub state: VersionState,
        pub category: String,
        pub tags: Vec<String>,
        pub visibility: Visibility,
        pub team_id: Option<TeamId>,
        pub author_id: Option<UserId>,
        pub published_number: Option<i64>,
        pub latest_number: i64,
        /// `YYYY-MM-DD`: review the article by then.
        pub expires_on: Option<String>,
        pub reminded_for: Option<String>,
        pub views: i64,
        pub helpful: i64,
        pub unhelpful: i64,
        pub source_type: String,
        pub source_id: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct ArticleVersion in "knowledge_versions" {
        pub id: i64,
        pub article_id: ArticleId,
        pub number: i64,
        pub title: String,
        /// Markdown as written; rendered and sanitised when shown.
        pub body: String,
        pub state: VersionState,
        pub author_id: Option<UserId>,
        pub reviewer_id: Option<UserId>,
        pub review_note: String,
        pub created_at: i64,
        pub updated_at: i64,
        pub decided_at: Option<i64>,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Link in "knowledge_links" {
        pub id: i64,
        pub article_id: ArticleId,
        /// `service` or `ci`.
        pub target_type: String,
        pub target_id: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Vote in "knowledge_votes" {
        pub id: i64,
        pub article_id: ArticleId,
        pub user_id: UserId,
        pub helpful: bool,
        pub at: i64,
    }
}

const ARTICLE_COLUMNS: [&str; 19] = [
    "article_type",
    "title",
    "state",
    "category",
    "tags",
    "visibility",
    "team_id",
    "author_id",
    "published_number",
    "latest_number",
    "expires_on",
    "reminded_for",
    "views",
    "helpful",
    "unhelpful",
    "source_type",
    "source_id",
    "updated_at",
    "version",
];

pub async fn insert(conn: &mut AnyConnection, a: &Article) -> Result<ArticleId> {
    Ok(ArticleId(insert_returning_key(conn, a).await?))
}

/// Writes the article if nobody changed it since `expected_version`.
pub async fn update(conn: &mut AnyConnection, a: &Article, expected_version: i64) -> Result<bool> {
    update_row(conn, a, &ARTICLE_COLUMNS, Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: ArticleId) -> Result<Option<Article>> {
    let row = sqlx::query("SELECT * FROM knowledge_articles WHERE id = $1").bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(Article::from_row).transpose()
}

/// As [`get`], locking the row on PostgreSQL for the rest of the transaction.
pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: ArticleId) -> Result<Option<Article>> {
    let sql = format!("SELECT * FROM knowledge_articles WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Article::from_row).transpose()
}

pub async fn by_ids<'e, E: Executor<'e, Database = Any>>(ex: E, ids: &[i64]) -> Result<Vec<Article>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT * FROM knowledge_articles WHERE 1=1");
    crate::incident::push_in(&mut sql, " AND", "id", ids);
    sql.fetch_all(ex).await?.iter().map(Article::from_row).collect()
}

#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub states: Vec<String>,
    pub article_type: Option<String>,
    pub visibility: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub author_id: Option<UserId>,
    /// Ids the full-text index found (`None`: no text filter).
    pub ids: Option<Vec<i64>>,
    /// Part of the title (drafts are not in the index).
    pub title_like: Option<String>,
    /// `YYYY-MM-DD`: expiring on or before.
    pub expires_by: Option<String>,
    /// Whose reading narrows the list (`None`: every article).
    pub reader: Option<Reader>,
}

/// A reader below scope `all`: their own articles, public ones, and with `internal` the
/// internal ones and those restricted to one of `teams`.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    pub user: UserId,
    pub teams: Vec<TeamId>,
    pub internal: bool,
}

/// Newest first. Visibility is decided by the caller on the rows returned.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, f: &ArticleFilter, page: &PageRequest) -> Result<Page<Article>> {
    let mut sql = Sql::new("SELECT * FROM knowledge_articles WHERE 1=1");
    sql.and_in("state", &f.states);
    for (col, v) in [("article_type", &f.article_type), ("visibility", &f.visibility), ("category", &f.category)] {
        if let Some(v) = v {
            sql.push(&format!(" AND {col} = ")).bind(v.as_str());
        }
    }
    if let Some(t) = &f.tag {
        // Tags are a JSON array of strings: match the quoted tag.
        sql.push(" AND tags LIKE ").bind(format!("%{}%", like_escape(&serde_json::to_string(t).unwrap_or_default()))).push(" ESCAPE '\\'");
    }
    if let Some(u) = f.author_id {
        sql.push(" AND author_id = ").bind(u.0);
    }
    if let Some(d) = &f.expires_by {
        sql.push(" AND expires_on IS NOT NULL AND expires_on <= ").bind(d.as_str());
    }
    if f.ids.is_some() || f.title_like.is_some() {
        sql.push(" AND (1=0");
        if let Some(ids) = f.ids.as_ref().filter(|ids| !ids.is_empty()) {
            crate::incident::push_in(&mut sql, " OR", "id", ids);
        }
        if let Some(t) = &f.title_like {
            sql.push(" OR LOWER(title) LIKE ").bind(format!("%{}%", like_escape(&t.to_lowercase()))).push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
    if let Some(r) = &f.reader {
        sql.push(" AND (visibility = 'public' OR author_id = ").bind(r.user.0);
        if r.internal {
            sql.push(" OR visibility = 'internal'");
            let teams: Vec<i64> = r.teams.iter().map(|t| t.0).collect();
            if !teams.is_empty() {
                sql.push(" OR (visibility = 'restricted' AND (1=0");
                crate::incident::push_in(&mut sql, " OR", "team_id", &teams);
                sql.push("))");
            }
        }
        sql.push(")");
    }
    sql.keyset(page, None);
    let rows = sql.fetch_all(ex).await?.iter().map(Article::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |a| Cursor { id: a.id.0, key: None }))
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub async fn insert_version(conn: &mut AnyConnection, v: &ArticleVersion) -> Result<i64> {
    insert_returning_key(conn, v).await
}

pub async fn update_version(conn: &mut AnyConnection, v: &ArticleVersion) -> Result<bool> {
    update_row(conn, v, &["title", "body", "state", "reviewer_id", "review_note", "updated_at", "decided_at"], None).await
}

pub async fn version<'e, E: Executor<'e, Database = Any>>(ex: E, id: ArticleId, number: i64) -> Result<Option<ArticleVersion>> {
    let row = sqlx::query("SELECT * FROM knowledge_versions WHERE article_id = $1 AND number = $2")
        .bind(id.0)
        .bind(number)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(ArticleVersion::from_row).transpose()
}

/// Every version of the article, newest first.
pub async fn versions<'e, E: Executor<'e, Database = Any>>(ex: E, id: ArticleId) -> Result<Vec<ArticleVersion>> {
    let rows = sqlx::query("SELECT * FROM knowledge_versions WHERE article_id = $1 ORDER BY number DESC").bind(id.0).fetch_all(ex).await?;
    rows.iter().map(ArticleVersion::from_row).collect()
}

pub async fn links<'e, E: Executor<'e, Database = Any>>(ex: E, id: ArticleId) -> Result<Vec<Link>> {
    let rows = sqlx::query("SELECT * FROM knowledge_links WHERE article_id = $1 ORDER BY id").bind(id.0).fetch_all(ex).await?;
    rows.iter().map(Link::from_row).collect()
}

/// Replaces the article's links with `targets` (`(target_type, id)`).
pub async fn set_links(conn: &mut AnyConnection, id: ArticleId, targets: &[(String, i64)]) -> Result<()> {
    sqlx::query("DELETE FROM knowledge_links WHERE article_id = $1").bind(id.0).execute(&mut *conn).await?;
    for (target_type, target_id) in targets {
        let link = Link { id: 0, article_id: id, target_type: target_type.clone(), target_id: *target_id };
        insert_returning_key(&mut *conn, &link).await?;
    }
    Ok(())
}

/// The reader's earlier vote on the article, if any.
pub async fn vote_of(conn: &mut AnyConnection, id: ArticleId, user: UserId) -> Result<Option<Vote>> {
    let row = sqlx::query("SELECT * FROM knowledge_votes WHERE article_id = $1 AND user_id = $2")
        .bind(id.0)
        .bind(user.0)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(Vote::from_row).transpose()
}

/// Records a vote (replacing the reader's earlier one) and recounts the article's totals.
pub async fn put_vote(conn: &mut AnyConnection, v: &Vote) -> Result<()> {
    sqlx::query("DELETE FROM knowledge_votes WHERE article_id = $1 AND user_id = $2")
        .bind(v.article_id.0)
        .bind(v.user_id.0)
        .execute(&mut *conn)
        .await?;
    insert_returning_key(&mut *conn, v).await?;
    sqlx::query(
        "UPDATE knowledge_articles SET \
         helpful = (SELECT COUNT(*) FROM knowledge_votes WHERE article_id = $1 AND helpful = 1), \
         unhelpful = (SELECT COUNT(*) FROM knowledge_votes WHERE article_id = $1 AND helpful = 0) WHERE id = $1",
    )
    .bind(v.article_id.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts one reading; a counter, so it takes no version and leaves no audit entry.
pub async fn stage_view(s: &mut impl crate::Stage, id: ArticleId) -> Result<()> {
    let mut sql = s.statement("UPDATE knowledge_articles SET views = views + 1 WHERE id = ");
    sql.bind(id.0);
    s.stage(sql).await
}

/// Published articles whose review date is on or before `by` and whose reminder for that
/// date has not been sent.
pub async fn due_for_review<'e, E: Executor<'e, Database = Any>>(ex: E, by: &str, limit: i64) -> Result<Vec<Article>> {
    let rows = sqlx::query(
        "SELECT * FROM knowledge_articles WHERE state = 'published' AND expires_on IS NOT NULL AND expires_on <= $1 \
         AND (reminded_for IS NULL OR reminded_for <> expires_on) ORDER BY id LIMIT $2",
    )
    .bind(by)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter().map(Article::from_row).collect()
}

pub async fn mark_reminded(conn: &mut AnyConnection, id: ArticleId, date: &str) -> Result<()> {
    sqlx::query("UPDATE knowledge_articles SET reminded_for = $1 WHERE id = $2").bind(date).bind(id.0).execute(conn).await?;
    Ok(())
}

/// The text to index for articles: (id, title, body, tags JSON) of the published version;
/// an article without one (a draft, a retired one) gets no text, so it is found no more.
pub async fn texts(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, Vec<String>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT a.id, a.state, a.tags, a.category, v.title, v.body FROM knowledge_articles a \
         LEFT JOIN knowledge_versions v ON v.article_id = a.id AND v.number = a.published_number WHERE 1=1",
    );
    crate::incident::push_in(&mut sql, " AND", "a.id", ids);
    let rows = sql.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = column(r, "id")?;
        let state: String = column(r, "state")?;
        let title: Option<String> = column(r, "title")?;
        let parts = match (state.as_str(), title) {
            ("published", Some(title)) => {
                let tags: Vec<String> = serde_json::from_str(&column::<String>(r, "tags")?).unwrap_or_default();
                let mut p = vec![title, column(r, "body")?, column(r, "category")?];
                p.extend(tags);
                p
            }
            _ => Vec::new(),
        };
        out.push((id, parts));
    }
    Ok(out)
}
