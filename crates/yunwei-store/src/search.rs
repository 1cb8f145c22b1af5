//! The full-text index behind one interface for both engines: FTS5 on SQLite,
//! a tsvector with a GIN index on PostgreSQL. Documents arrive as terms made
//! by `yunwei_domain::search`; queries as the terms that must all match.
//! The index is derived data: it can be dropped and rebuilt from the records.

use crate::incident::ScopeFilter;
use crate::sql::Sql;
use crate::{Backend, Db, Result, Stage};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Row};
use yunwei_domain::search::Term;
use yunwei_domain::ticket::{self, TicketKind};

/// What tells one kind of document from another: its object type and its number in the key.
#[derive(Debug, Clone, Copy)]
struct DocKind {
    object_type: &'static str,
    search_kind: i64,
}

impl From<&TicketKind> for DocKind {
    fn from(k: &TicketKind) -> Self {
        DocKind { object_type: k.object_type, search_kind: k.search_kind }
    }
}

/// Configuration items (CMDB): not tickets, so numbered from the top of the 1–15 range
/// that ticket kinds count up from (`yunwei_domain::ticket`).
const CI_DOCS: DocKind = DocKind { object_type: CI_OBJECT_TYPE, search_kind: 15 };
/// As migration 0019 named it in the PostgreSQL partial index of CI documents.
pub const CI_OBJECT_TYPE: &str = "ci";

/// Knowledge articles (their published text), numbered down from the CIs.
const KB_DOCS: DocKind = DocKind { object_type: KB_OBJECT_TYPE, search_kind: 14 };
pub const KB_OBJECT_TYPE: &str = "knowledge";

/// The search-kind number of a queued object type (tickets and CIs), if this version indexes it.
pub fn search_kind_of(object_type: &str) -> Option<i64> {
    match object_type {
        CI_OBJECT_TYPE => Some(CI_DOCS.search_kind),
        KB_OBJECT_TYPE => Some(KB_DOCS.search_kind),
        other => ticket::by_object_type(other).map(|k| k.search_kind),
    }
}

/// The document of record `id` of `kind`: its declared `search_kind` tells kinds apart.
fn doc_key(kind: DocKind, id: i64) -> i64 {
    id * 16 + kind.search_kind
}

/// Writes the documents of records, replacing what was indexed for them: one staged
/// statement per 500 documents (on SQLite, with one delete of the old ones before).
pub async fn put_docs(s: &mut impl Stage, kind: &TicketKind, docs: &[(i64, String)]) -> Result<()> {
    put_docs_of(s, kind.into(), docs).await
}

/// Writes the documents of configuration items (a deleted CI's document is empty).
pub async fn put_ci_docs(s: &mut impl Stage, docs: &[(i64, String)]) -> Result<()> {
    put_docs_of(s, CI_DOCS, docs).await
}

/// Writes the documents of knowledge articles (one without a published version is empty).
pub async fn put_article_docs(s: &mut impl Stage, docs: &[(i64, String)]) -> Result<()> {
    put_docs_of(s, KB_DOCS, docs).await
}

async fn put_docs_of(s: &mut impl Stage, kind: DocKind, docs: &[(i64, String)]) -> Result<()> {
    for chunk in docs.chunks(500) {
        let sql = match s.backend() {
            Backend::Sqlite => {
                let mut old = s.statement("DELETE FROM search_fts WHERE rowid IN (");
                old.bind_list(chunk.iter().map(|(id, _)| doc_key(kind, *id)));
                s.stage(old).await?;
                docs_insert(Backend::Sqlite, kind, chunk)
            }
            Backend::Postgres => {
                let mut sql = docs_insert(Backend::Postgres, kind, chunk);
                sql.push(" ON CONFLICT (doc_key) DO UPDATE SET terms = excluded.terms");
                sql
            }
        };
        s.stage(sql).await?;
    }
    Ok(())
}

/// Adds documents for records never indexed before (bulk load), many rows per statement.
pub async fn insert_new_docs(conn: &mut AnyConnection, backend: Backend, kind: &TicketKind, docs: &[(i64, String)]) -> Result<()> {
    for chunk in docs.chunks(1000) {
        docs_insert(backend, kind.into(), chunk).execute(&mut *conn).await?;
    }
    Ok(())
}

/// A multi-row insert of documents.
fn docs_insert(backend: Backend, kind: DocKind, docs: &[(i64, String)]) -> Sql {
    let table = match backend {
        Backend::Sqlite => "search_fts (rowid, object_type, object_id, terms)",
        Backend::Postgres => "search_docs (doc_key, object_type, object_id, terms)",
    };
    let mut sql = Sql::bulk(&format!("INSERT INTO {table} VALUES "), backend);
    for (n, (id, terms)) in docs.iter().enumerate() {
        sql.push(if n == 0 { "(" } else { ", (" });
        sql.bind(doc_key(kind, *id)).push(", ").bind(kind.object_type).push(", ").bind(*id).push(", ").bind(terms.as_str()).push(")");
    }
    sql
}

/// Empties the index (before a rebuild).
pub async fn clear(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
    let sql = match backend {
        Backend::Sqlite => "DELETE FROM search_fts",
        Backend::Postgres => "DELETE FROM search_docs",
    };
    sqlx::query(sql).execute(conn).await?;
    Ok(())
}

/// The engine's query text. Terms hold only letters and digits (the tokenizer
/// guarantees it), so quoting them is enough; it is still bound, never spliced.
pub fn match_expression(backend: Backend, terms: &[Term]) -> String {
    let clean = |t: &str| t.chars().filter(|c| c.is_alphanumeric()).collect::<String>();
    match backend {
        Backend::Sqlite => terms
            .iter()
            .map(|t| format!("terms : \"{}\"{}", clean(&t.text), if t.prefix { " *" } else { "" }))
            .collect::<Vec<_>>()
            .join(" AND "),
        Backend::Postgres => {
            terms.iter().map(|t| format!("'{}'{}", clean(&t.text), if t.prefix { ":*" } else { "" })).collect::<Vec<_>>().join(" & ")
        }
    }
}

/// Ids of records of one kind matching all terms, newest first, within the caller's scope.
pub async fn matching(db: &Db, kind: &TicketKind, terms: &[Term], scope: Option<&ScopeFilter>, limit: i64) -> Result<Vec<i64>> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    if db.backend == Backend::Postgres && kind.object_type == ticket::INCIDENT.object_type {
        // The GIN index yields every match unordered, and the planner takes the bigrams of one
        // word as independent, so a common word read 80,000 rows to return 20. Walking the
        // newest documents first finds common words at once; rarer ones fall back to the index.
        let recent = matching_sql(db.backend, kind, terms, scope, limit, Some(RECENT_WINDOW)).fetch_all(&db.read).await?;
        if recent.len() as i64 >= limit {
            return recent.iter().map(|r| Ok(r.try_get(0)?)).collect();
        }
    }
    let rows = matching_sql(db.backend, kind, terms, scope, limit, None).fetch_all(&db.read).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// How a list's text filter uses the index. A rare word: its few matches as a list of ids,
/// so it costs no scan of the table. A common word: each term as a substring of the record's
/// indexed text, checked on the rows the list's other filters leave, which is cheap per row
/// (the index, asked row by row, cost 50–150 µs a row; reading all 62,000 matches of 网络
/// first took 0.76 s for one team's open incidents on a million).
#[derive(Debug, Clone)]
pub enum TextMatch {
    Ids(Vec<i64>),
    Substrings(Backend, Vec<String>),
}

/// Matches beyond which a word counts as common (as many ids are bound into the list query).
const ID_LIST_MAX: i64 = 2000;

/// The incident columns the index holds (besides the number), in the order indexed.
pub const INCIDENT_TEXT_COLUMNS: [&str; 7] = ["title", "description", "ci_ref", "location", "impact_scope", "requester_name", "resolution"];

/// Asks the index whether more than [`ID_LIST_MAX`] records of `kind` match `terms`, and
/// chooses how the list applies them.
pub async fn text_match(read: &AnyPool, backend: Backend, kind: &TicketKind, terms: Vec<Term>) -> Result<TextMatch> {
    let index = match backend {
        Backend::Sqlite => "search_fts",
        Backend::Postgres => "search_docs",
    };
    let mut sql = Sql::new(&format!("SELECT object_id FROM {index} WHERE "));
    push_match(&mut sql, backend, kind.into(), &terms, "");
    sql.push(" LIMIT ").bind(ID_LIST_MAX + 1);
    let rows = sql.fetch_all(read).await?;
    if rows.len() as i64 > ID_LIST_MAX {
        return Ok(TextMatch::Substrings(backend, terms.into_iter().map(|t| t.text).collect()));
    }
    Ok(TextMatch::Ids(rows.iter().map(|r| r.try_get(0)).collect::<std::result::Result<_, _>>()?))
}

/// `AND` the text filter, as [`text_match`] chose: on `id_column`, or on `text_columns`.
pub fn push_text_match(sql: &mut Sql, m: &TextMatch, id_column: &str, text_columns: &[&str]) {
    match m {
        TextMatch::Ids(ids) => crate::incident::push_in(sql, " AND", id_column, ids),
        TextMatch::Substrings(backend, terms) => {
            // The index folds ASCII case; SQLite's LIKE does too, PostgreSQL's ILIKE likewise.
            let like = if *backend == Backend::Postgres { "ILIKE" } else { "LIKE" };
            for term in terms {
                let pattern = format!("%{}%", crate::admin::escape_like(term));
                for (n, column) in text_columns.iter().enumerate() {
                    sql.push(if n == 0 { " AND (" } else { " OR " });
                    sql.push(&format!("{column} {like} ")).bind(pattern.as_str()).push(" ESCAPE '\\'");
                }
                sql.push(")");
            }
        }
    }
}

/// The index condition: every term, documents of this kind only. The kind is a trusted
/// constant, written as a literal so that PostgreSQL can use the partial index of its
/// documents; on SQLite it is an indexed column of the MATCH. `alias` prefixes the
/// PostgreSQL columns (`"f."` or `""`).
fn push_match(sql: &mut Sql, backend: Backend, kind: DocKind, terms: &[Term], alias: &str) {
    let (expr, object_type) = (match_expression(backend, terms), kind.object_type);
    match backend {
        Backend::Sqlite => {
            sql.push("search_fts MATCH ").bind(format!("object_type : \"{object_type}\" AND {expr}"));
        }
        Backend::Postgres => {
            sql.push(&format!("{alias}tsv @@ CAST(")).bind(expr).push(&format!(" AS tsquery) AND {alias}object_type = '{object_type}'"));
        }
    }
}

/// How many of the newest PostgreSQL documents the first pass of [`matching`] reads.
const RECENT_WINDOW: i64 = 5000;

fn matching_sql(backend: Backend, kind: &TicketKind, terms: &[Term], scope: Option<&ScopeFilter>, limit: i64, window: Option<i64>) -> Sql {
    let table = kind.table;
    let mut sql = match (backend, window) {
        (Backend::Sqlite, _) => Sql::new("SELECT i.id FROM search_fts f"),
        (Backend::Postgres, None) => Sql::new("SELECT i.id FROM search_docs f"),
        (Backend::Postgres, Some(n)) => {
            let mut s =
                Sql::new("SELECT i.id FROM (SELECT doc_key, object_type, object_id, tsv FROM search_docs ORDER BY doc_key DESC LIMIT ");
            s.bind(n).push(") f");
            s
        }
    };
    sql.push(&format!(" JOIN {table} i ON i.id = f.object_id WHERE "));
    push_match(&mut sql, backend, kind.into(), terms, "f.");
    crate::incident::push_scope(&mut sql, "i.", scope);
    sql.push(match backend {
        Backend::Sqlite => " ORDER BY f.rowid DESC LIMIT ",
        Backend::Postgres => " ORDER BY f.doc_key DESC LIMIT ",
    });
    sql.bind(limit);
    sql
}

/// Notes that a record must be (re)indexed; call in the transaction that changed it.
pub async fn enqueue(tx: &mut impl crate::Stage, kind: &TicketKind, id: i64) -> Result<()> {
    let mut sql = tx.statement("INSERT INTO index_queue (object_type, object_id) VALUES (");
    sql.bind(kind.object_type).push(", ").bind(id).push(")");
    tx.stage(sql).await
}

/// Up to `limit` queued entries, oldest first, left in the queue: (entry id, search kind, record id).
/// A kind this version does not index (written by a newer node) comes as `None`.
pub async fn peek_queue<'e, E: Executor<'e, Database = Any>>(ex: E, limit: i64) -> Result<Vec<(i64, Option<i64>, i64)>> {
    let rows = sqlx::query("SELECT id, object_type, object_id FROM index_queue ORDER BY id LIMIT $1").bind(limit).fetch_all(ex).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, search_kind_of(&r.try_get::<String, _>(1)?), r.try_get(2)?))).collect()
}

/// Stages the deletion of the queue entries `ids` (SQLite, where one process indexes).
pub async fn drop_entries(s: &mut impl Stage, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut sql = s.statement("DELETE FROM index_queue WHERE id IN (");
    sql.bind_list(ids.iter().copied());
    s.stage(sql).await
}

/// Deletes the queue entries `ids` and returns the distinct (search kind, record) of those this
/// transaction deleted: an entry another node took meanwhile is not this node's to index.
pub async fn take_entries(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("DELETE FROM index_queue WHERE 1=1");
    crate::incident::push_in(&mut sql, " AND", "id", ids);
    sql.push(" RETURNING object_type, object_id");
    let mut records = Vec::new();
    for r in sql.fetch_all(&mut *conn).await? {
        if let Some(kind) = search_kind_of(&r.try_get::<String, _>(0)?) {
            records.push((kind, r.try_get::<i64, _>(1)?));
        }
    }
    records.sort_unstable();
    records.dedup();
    Ok(records)
}

/// The title and form answers (JSON) of service requests to index, by id.
pub async fn request_texts(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, title, answers FROM service_requests WHERE 1=1");
    crate::incident::push_in(&mut sql, " AND", "id", ids);
    let rows = sql.fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
}

/// The text of incidents to index, by id.
pub async fn incident_texts(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, Vec<Option<String>>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT id, {} FROM incidents WHERE id IN (", INCIDENT_TEXT_COLUMNS.join(", ")));
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    let rows = sql.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let texts =
                (1..=INCIDENT_TEXT_COLUMNS.len()).map(|i| r.try_get::<Option<String>, _>(i)).collect::<std::result::Result<Vec<_>, _>>()?;
            Ok((r.try_get(0)?, texts))
        })
        .collect()
}

/// Queues every incident, service request, problem and CI for indexing (after the index was cleared).
pub async fn enqueue_all(conn: &mut AnyConnection) -> Result<u64> {
    let incidents = sqlx::query("INSERT INTO index_queue (object_type, object_id) SELECT 'incident', id FROM incidents ORDER BY id")
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let requests =
        sqlx::query("INSERT INTO index_queue (object_type, object_id) SELECT 'service_request', id FROM service_requests ORDER BY id")
            .execute(&mut *conn)
            .await?
            .rows_affected();
    let problems = sqlx::query("INSERT INTO index_queue (object_type, object_id) SELECT 'problem', id FROM problems ORDER BY id")
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let cis = sqlx::query("INSERT INTO index_queue (object_type, object_id) SELECT 'ci', id FROM cis ORDER BY id")
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let articles =
        sqlx::query("INSERT INTO index_queue (object_type, object_id) SELECT 'knowledge', id FROM knowledge_articles ORDER BY id")
            .execute(&mut *conn)
            .await?
            .rows_affected();
    Ok(incidents + requests + problems + cis + articles)
}

/// Notes that a knowledge article must be (re)indexed, in the transaction that changed it.
pub async fn enqueue_article(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("INSERT INTO index_queue (object_type, object_id) VALUES ($1, $2)").bind(KB_OBJECT_TYPE).bind(id).execute(conn).await?;
    Ok(())
}

/// Notes that a configuration item must be (re)indexed; call in the transaction that changed it.
pub async fn enqueue_ci(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("INSERT INTO index_queue (object_type, object_id) VALUES ($1, $2)").bind(CI_OBJECT_TYPE).bind(id).execute(conn).await?;
    Ok(())
}

/// What a CI's document holds: (id, deleted, name, English name, description, tags JSON, attributes JSON).
pub type CiText = (i64, bool, String, String, String, String, String);

/// The text of configuration items to index, by id.
pub async fn ci_texts(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<CiText>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, deleted, name, name_en, description, tags, attributes FROM cis WHERE 1=1");
    crate::incident::push_in(&mut sql, " AND", "id", ids);
    let rows = sql.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let deleted: i64 = r.try_get::<i64, _>(1).or_else(|_| r.try_get::<bool, _>(1).map(i64::from))?;
            Ok((r.try_get(0)?, deleted != 0, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?))
        })
        .collect()
}

/// Ids of configuration items matching every term, newest first (who may read them is
/// decided by the caller, after).
pub async fn matching_cis(db: &Db, terms: &[Term], limit: i64) -> Result<Vec<i64>> {
    matching_of(db, CI_DOCS, terms, limit).await
}

/// Ids of knowledge articles whose published text matches every term, newest first.
pub async fn matching_articles(db: &Db, terms: &[Term], limit: i64) -> Result<Vec<i64>> {
    matching_of(db, KB_DOCS, terms, limit).await
}

async fn matching_of(db: &Db, kind: DocKind, terms: &[Term], limit: i64) -> Result<Vec<i64>> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let (table, order) = match db.backend {
        Backend::Sqlite => ("search_fts", "rowid"),
        Backend::Postgres => ("search_docs", "doc_key"),
    };
    let mut sql = Sql::new(&format!("SELECT object_id FROM {table} WHERE "));
    push_match(&mut sql, db.backend, kind, terms, "");
    sql.push(&format!(" ORDER BY {order} DESC LIMIT ")).bind(limit);
    let rows = sql.fetch_all(&db.read).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
