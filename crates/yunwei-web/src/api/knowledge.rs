//! `/api/v1/knowledge`: articles, their versions and review steps, suggestions while a form
//! is typed, "did this help?" votes, templates, and a draft prefilled from an incident.

use crate::extract::{ApiJson, ApiPath, ApiQuery};
use serde::Deserialize;
use yunwei_core::knowledge::edit::{self, ArticlePatch, NewArticle, StepInput};
use yunwei_core::knowledge::{self, ArticleQuery, VoteInput};
use yunwei_domain::ids::{ArticleId, IncidentId};

/// `?q=` (and `limit`) of the suggestion endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestQuery {
    #[serde(default)]
    pub q: String,
    pub limit: Option<i64>,
}

/// `?from=&to=` of a comparison (by default the newest version and the one before it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

handlers! {
    list(ApiQuery(q: ArticleQuery)) -> json: knowledge::list(&q);
    create(ApiJson(body: NewArticle)) -> created: edit::create(body);
    get(ApiPath(id: i64)) -> json: knowledge::get(ArticleId(id));
    update(ApiPath(id: i64), ApiJson(body: ArticlePatch)) -> json: edit::update(ArticleId(id), body);
    act(ApiPath(id: i64), ApiJson(body: StepInput)) -> json: edit::act(ArticleId(id), body);
    versions(ApiPath(id: i64)) -> items: knowledge::versions(ArticleId(id));
    version(ApiPath((id, n): (i64, i64))) -> json: knowledge::version(ArticleId(id), n);
    diff(ApiPath(id: i64), ApiQuery(q: DiffQuery)) -> json: knowledge::diff(ArticleId(id), q.from, q.to);
    vote(ApiPath(id: i64), ApiJson(body: VoteInput)) -> json: knowledge::vote(ArticleId(id), body);
    suggest(ApiQuery(q: SuggestQuery)) -> items: knowledge::suggest(&q.q, q.limit);
    draft_from_incident(ApiPath(id: i64)) -> json: edit::draft_from_incident(IncidentId(id));
    templates() -> items: knowledge::templates();
}
