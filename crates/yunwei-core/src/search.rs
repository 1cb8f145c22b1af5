//! Search (SPEC SEARCH): the indexer drains the index queue written with
//! every change and keeps the full-text index current within about a second;
//! queries run against the index within the caller's record scope.

use crate::{Core, Ctx, Result};
use serde::Serialize;
use std::time::Duration;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::search::{index_text, query_terms};
use yunwei_domain::ticket::{INCIDENT, PROBLEM, SERVICE_REQUEST};
use yunwei_store::Backend;
use yunwei_store::search as store;

/// Indexes what the queue holds, one batch of entries. Returns how many entries it handled.
pub async fn index_pending(core: &Core) -> Result<usize> {
    // Reading and segmenting happen off the writer; it is held only to take the entries
    // and write the documents (a few statements), so commands never queue behind the indexer.
    let queued = store::peek_queue(&core.db.read, INDEX_BATCH).await?;
    if queued.is_empty() {
        return Ok(0);
    }
    let of_kind = |search_kind: i64| {
        let mut ids: Vec<i64> = queued.iter().filter(|(_, k, _)| *k == Some(search_kind)).map(|(_, _, id)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let mut rd = core.db.read.acquire().await?;
    let incidents: Vec<(i64, String)> = store::incident_texts(&mut rd, &of_kind(INCIDENT.search_kind))
        .await?
        .into_iter()
        .map(|(id, parts)| {
            let number = yunwei_domain::incident::number(id);
            let mut all: Vec<&str> = vec![number.as_str()];
            all.extend(parts.iter().flatten().map(String::as_str));
            (id, index_text(&all))
        })
        .collect();
    let requests: Vec<(i64, String)> = store::request_texts(&mut rd, &of_kind(SERVICE_REQUEST.search_kind))
        .await?
        .into_iter()
        .map(|(id, title, answers)| {
            let number = yunwei_domain::request::number(id);
            let mut all = vec![number, title];
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&answers) {
                collect_strings(&value, &mut all);
            }
            (id, index_text(&all.iter().map(String::as_str).collect::<Vec<_>>()))
        })
        .collect();
    let problems: Vec<(i64, String)> = yunwei_store::problem::texts(&mut rd, &of_kind(PROBLEM.search_kind))
        .await?
        .into_iter()
        .map(|(id, parts)| {
            let number = yunwei_domain::problem::number(id);
            let mut all: Vec<&str> = vec![number.as_str()];
            all.extend(parts.iter().map(String::as_str));
            (id, index_text(&all))
        })
        .collect();
    let ci_kind = store::search_kind_of(store::CI_OBJECT_TYPE).unwrap_or_default();
    let cis: Vec<(i64, String)> = store::ci_texts(&mut rd, &of_kind(ci_kind)).await?.into_iter().map(ci_document).collect();
    let kb_kind = store::search_kind_of(store::KB_OBJECT_TYPE).unwrap_or_default();
    let articles: Vec<(i64, String)> = yunwei_store::knowledge::texts(&mut rd, &of_kind(kb_kind))
        .await?
        .into_iter()
        .map(|(id, parts)| (id, index_text(&parts.iter().map(String::as_str).collect::<Vec<_>>())))
        .collect();
    drop(rd);
    let entry_ids: Vec<i64> = queued.iter().map(|(entry, _, _)| *entry).collect();
    match core.db.backend {
        // One writer process: every entry peeked is this node's. The writes join the group
        // commit, so the indexer never waits in line for the writer behind commands.
        Backend::Sqlite => {
            let mut batch = core.db.batch();
            store::drop_entries(&mut batch, &entry_ids).await?;
            store::put_docs(&mut batch, &INCIDENT, &incidents).await?;
            store::put_docs(&mut batch, &SERVICE_REQUEST, &requests).await?;
            store::put_docs(&mut batch, &PROBLEM, &problems).await?;
            store::put_ci_docs(&mut batch, &cis).await?;
            store::put_article_docs(&mut batch, &articles).await?;
            batch.commit().await?;
        }
        // Several nodes: write only the documents whose entries this node took.
        Backend::Postgres => {
            let mut tx = core.db.begin().await?;
            let taken = store::take_entries(&mut tx, &entry_ids).await?;
            let mine = |search_kind: i64, docs: Vec<(i64, String)>| -> Vec<(i64, String)> {
                docs.into_iter().filter(|(id, _)| taken.binary_search(&(search_kind, *id)).is_ok()).collect()
            };
            store::put_docs(&mut tx, &INCIDENT, &mine(INCIDENT.search_kind, incidents)).await?;
            store::put_docs(&mut tx, &SERVICE_REQUEST, &mine(SERVICE_REQUEST.search_kind, requests)).await?;
            store::put_docs(&mut tx, &PROBLEM, &mine(PROBLEM.search_kind, problems)).await?;
            store::put_ci_docs(&mut tx, &mine(ci_kind, cis)).await?;
            store::put_article_docs(&mut tx, &mine(kb_kind, articles)).await?;
            tx.commit().await?;
        }
    }
    Ok(queued.len())
}

/// A CI's document: its names, description, tags and attribute values; a deleted CI's is
/// empty, so it is found no more.
fn ci_document((id, deleted, name, name_en, description, tags, attributes): store::CiText) -> (i64, String) {
    if deleted {
        return (id, String::new());
    }
    let mut all = vec![name, name_en, description];
    for text in [tags, attributes] {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            collect_strings(&value, &mut all);
        }
    }
    (id, index_text(&all.iter().map(String::as_str).collect::<Vec<_>>()))
}

/// Queue entries per indexing round: enough to keep up with thousands of new tickets a
/// second, few enough that the documents' write holds the writer for milliseconds only.
const INDEX_BATCH: i64 = 200;

/// The text a request's form answers hold (field values, attachment file names).
fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Keeps the index current: drains the queue, then sleeps briefly when idle.
pub async fn run_indexer(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let busy = match index_pending(&core).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "search indexing failed");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = shutdown.changed() => {}
            }
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Empties the index and queues every record again (`yunwei search rebuild`).
pub async fn rebuild(core: &Core) -> Result<u64> {
    let mut tx = core.db.begin().await?;
    store::clear(&mut tx, core.db.backend).await?;
    let n = store::enqueue_all(&mut tx).await?;
    tx.commit().await?;
    while index_pending(core).await? > 0 {}
    Ok(n)
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    /// The terms the query was split into (shows users how Chinese text was read).
    pub terms: Vec<String>,
    pub incidents: Vec<crate::incident::IncidentView>,
    /// Empty for callers without read rights on service requests.
    pub service_requests: Vec<crate::request::RequestView>,
    /// Configuration items the caller may read (names, description, tags, attribute values).
    pub configuration_items: Vec<crate::cmdb::ci::CiView>,
}

/// Incidents and service requests matching every term of `q` (newest first); a ticket
/// number matches that ticket.
pub async fn search(core: &Core, ctx: &Ctx, q: &str, limit: i64) -> Result<SearchResults> {
    let (actor, scope) = ctx.authorize(ObjectType::Incident, Action::Read)?;
    let q: String = q.trim().chars().take(200).collect();
    if q.is_empty() {
        return Err(yunwei_domain::DomainError::field("q", "required").into());
    }
    if !(1..=200).contains(&limit) {
        return Err(yunwei_domain::DomainError::Validation(vec![
            yunwei_domain::FieldError::new("limit", "out_of_range").with("min", 1).with("max", 200),
        ])
        .into());
    }
    let scope_filter = crate::incident::scope_filter(actor, scope);
    let terms = query_terms(&q);
    let mut ids = store::matching(&core.db, &INCIDENT, &terms, scope_filter.as_ref(), limit).await?;
    if let Some(n) = yunwei_domain::incident::parse_number(&q) {
        ids.retain(|i| *i != n);
        ids.insert(0, n);
    }
    let rows = yunwei_store::incident::by_ids(&core.db.read, &ids).await?;
    // In the order found; a number typed by someone who may not see that incident finds nothing.
    let incidents = ids
        .iter()
        .filter_map(|id| rows.iter().find(|r| r.id.0 == *id))
        .filter(|r| crate::incident::authorize_on(ctx, Action::Read, r).is_ok())
        .map(crate::incident::view)
        .collect::<Result<Vec<_>>>()?;
    let service_requests = match ctx.authorize(ObjectType::ServiceRequest, Action::Read) {
        Ok((actor, scope)) => search_requests(core, ctx, &q, &terms, crate::incident::scope_filter(actor, scope), limit).await?,
        Err(_) => Vec::new(),
    };
    let configuration_items = crate::cmdb::ci::search(core, ctx, &terms, limit).await?;
    Ok(SearchResults { query: q, terms: terms.into_iter().map(|t| t.text).collect(), incidents, service_requests, configuration_items })
}

async fn search_requests(
    core: &Core,
    ctx: &Ctx,
    q: &str,
    terms: &[yunwei_domain::search::Term],
    scope: Option<yunwei_store::incident::ScopeFilter>,
    limit: i64,
) -> Result<Vec<crate::request::RequestView>> {
    let mut ids = store::matching(&core.db, &SERVICE_REQUEST, terms, scope.as_ref(), limit).await?;
    if let Some(n) = yunwei_domain::request::parse_number(q) {
        ids.retain(|i| *i != n);
        ids.insert(0, n);
    }
    let rows = yunwei_store::request::by_ids(&core.db.read, &ids).await?;
    // In the order found, as for incidents.
    ids.iter()
        .filter_map(|id| rows.iter().find(|r| r.id.0 == *id))
        .filter(|r| crate::request::scope_allows(ctx, Action::Read, r))
        .map(crate::request::view)
        .collect()
}
