//! CIs and relations: rows, writes and the list with filters on any attribute.

use super::CiRelation;
use crate::sql::{Page, Sql, Value};
use crate::table::{Table, insert_returning_key, update_row};
use crate::{Backend, Result};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::ids::{CiClassId, CiId, CiRelationId, CiRelationTypeId, TeamId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct Ci in "cis" {
        pub id: CiId,
        pub class_id: CiClassId,
        pub name: String,
        pub name_en: String,
        pub description: String,
        /// `yunwei_domain::cmdb::CiStatus` as text.
        pub status: String,
        pub owner_team_id: Option<TeamId>,
        pub criticality: String,
        pub environment: String,
        pub location_id: Option<CiId>,
        /// For a pool or cluster: the healthy members that keep it up (`None` = 1).
        pub min_healthy: Option<i64>,
        pub tags: Vec<String>,
        /// The class's attribute values, by code.
        pub attributes: serde_json::Value,
        pub version: i64,
        pub deleted: bool,
        pub created_by: Option<UserId>,
        pub created_at: i64,
        pub updated_at: i64,
        pub deleted_at: Option<i64>,
    }
}

/// The fields history compares (everything a person edits), as one JSON object.
pub const TRACKED: &[&str] = &[
    "class_id",
    "name",
    "name_en",
    "description",
    "status",
    "owner_team_id",
    "criticality",
    "environment",
    "location_id",
    "min_healthy",
    "tags",
    "attributes",
];

impl Ci {
    /// The state history records: [`TRACKED`] fields and `deleted`.
    pub fn state(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        if let Ok(serde_json::Value::Object(all)) = serde_json::to_value(self) {
            for (k, v) in all {
                if TRACKED.contains(&k.as_str()) {
                    m.insert(k, v);
                }
            }
        }
        m
    }

    /// This CI with the tracked fields of `state` (a state read back from history).
    pub fn with_state(&self, state: &serde_json::Map<String, serde_json::Value>) -> Ci {
        let mut all = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        for k in TRACKED {
            all.insert((*k).to_string(), state.get(*k).cloned().unwrap_or(serde_json::Value::Null));
        }
        Ci::from_json(serde_json::Value::Object(all)).unwrap_or_else(|| self.clone())
    }

    fn from_json(v: serde_json::Value) -> Option<Ci> {
        let g = |k: &str| v.get(k).cloned().unwrap_or(serde_json::Value::Null);
        let s = |k: &str| g(k).as_str().unwrap_or_default().to_string();
        let i = |k: &str| g(k).as_i64();
        Some(Ci {
            id: CiId(i("id")?),
            class_id: CiClassId(i("class_id")?),
            name: s("name"),
            name_en: s("name_en"),
            description: s("description"),
            status: s("status"),
            owner_team_id: i("owner_team_id").map(TeamId),
            criticality: s("criticality"),
            environment: s("environment"),
            location_id: i("location_id").map(CiId),
            min_healthy: i("min_healthy"),
            tags: serde_json::from_value(g("tags")).unwrap_or_default(),
            attributes: match g("attributes") {
                serde_json::Value::Null => serde_json::json!({}),
                a => a,
            },
            version: i("version").unwrap_or(1),
            deleted: g("deleted").as_bool().unwrap_or(false),
            created_by: i("created_by").map(UserId),
            created_at: i("created_at").unwrap_or(0),
            updated_at: i("updated_at").unwrap_or(0),
            deleted_at: i("deleted_at"),
        })
    }
}

pub async fn insert(conn: &mut AnyConnection, ci: &Ci) -> Result<CiId> {
    Ok(CiId(insert_returning_key(conn, ci).await?))
}

/// Writes the editable fields if nobody changed the row since `expected_version`.
pub async fn update(conn: &mut AnyConnection, ci: &Ci, expected_version: i64) -> Result<bool> {
    let mut cols: Vec<&str> = TRACKED.to_vec();
    cols.extend(["version", "updated_at", "deleted", "deleted_at"]);
    update_row(conn, ci, &cols, Some(expected_version)).await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: CiId) -> Result<Option<Ci>> {
    let sql = format!("{} WHERE id = $1", Ci::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(ex).await?.as_ref().map(Ci::from_row).transpose()
}

/// As [`get`], locking the row on PostgreSQL for the rest of the transaction.
pub async fn get_for_update(conn: &mut AnyConnection, db: &crate::Db, id: CiId) -> Result<Option<Ci>> {
    let sql = format!("{} WHERE id = $1{}", Ci::select(), db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(conn).await?.as_ref().map(Ci::from_row).transpose()
}

/// Several CIs by id (names for a page), deleted ones included.
pub async fn get_many<'e, E: Executor<'e, Database = Any>>(ex: E, ids: &[CiId]) -> Result<Vec<Ci>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("{} WHERE id IN (", Ci::select()));
    sql.bind_list(ids.iter().take(1000).map(|id| id.0));
    sql.fetch_all(ex).await?.iter().map(Ci::from_row).collect()
}

/// A filter on one attribute's value, normalised as the attribute stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrFilter {
    /// A validated key (`is_key`); bound, never spliced.
    pub code: String,
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct CiFilter {
    /// The class and its subclasses.
    pub classes: Vec<CiClassId>,
    /// Classes the reader may not see (restricted to a team they are not in).
    pub hidden_classes: Vec<CiClassId>,
    pub statuses: Vec<String>,
    pub team_id: Option<TeamId>,
    /// Name contains (case-insensitive on ASCII).
    pub q: Option<String>,
    pub attrs: Vec<AttrFilter>,
    /// A grant narrower than `all`: CIs created by this user or owned by these teams.
    pub scope: Option<(Option<UserId>, Vec<TeamId>)>,
    /// Only these CIs (full-text matches).
    pub ids: Option<Vec<CiId>>,
    pub include_deleted: bool,
}

/// The one per-engine part of an attribute filter: the attribute's value as SQL, and the
/// filter value bound as that engine's JSON read gives it back (SQLite's `json_extract`
/// keeps numbers and booleans as numbers; PostgreSQL's `->>` gives text).
pub fn push_attr_match(sql: &mut Sql, backend: Backend, f: &AttrFilter) {
    use serde_json::Value as J;
    match backend {
        Backend::Sqlite => {
            sql.push("json_extract(attributes, ").bind(format!("$.\"{}\"", f.code)).push(") = ");
            let v: Value = match &f.value {
                J::Bool(b) => i64::from(*b).into(),
                J::Number(n) => match n.as_i64() {
                    Some(i) => i.into(),
                    None => n.as_f64().into(),
                },
                J::String(s) => s.clone().into(),
                other => other.to_string().into(),
            };
            sql.bind(v);
        }
        Backend::Postgres => {
            sql.push("(attributes::json ->> ").bind(f.code.clone()).push(") = ");
            let v = match &f.value {
                J::String(s) => s.clone(),
                other => other.to_string(),
            };
            sql.bind(v);
        }
    }
}

fn push_ids(sql: &mut Sql, col: &str, not: bool, ids: &[i64]) {
    sql.push(&format!(" AND {col} {}IN (", if not { "NOT " } else { "" })).bind_list(ids.iter().copied());
}

/// CIs by name (then id), a page at a time.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, backend: Backend, f: &CiFilter, page: &PageRequest) -> Result<Page<Ci>> {
    let mut sql = Sql::new(&format!("{} WHERE 1=1", Ci::select()));
    if !f.include_deleted {
        sql.push(" AND deleted = 0");
    }
    if !f.classes.is_empty() {
        push_ids(&mut sql, "class_id", false, &f.classes.iter().map(|c| c.0).collect::<Vec<_>>());
    }
    if !f.hidden_classes.is_empty() {
        push_ids(&mut sql, "class_id", true, &f.hidden_classes.iter().map(|c| c.0).collect::<Vec<_>>());
    }
    if !f.statuses.is_empty() {
        sql.push(" AND status IN (").bind_list(f.statuses.iter().map(|s| s.as_str()));
    }
    if let Some(t) = f.team_id {
        sql.push(" AND owner_team_id = ").bind(t.0);
    }
    if let Some((user, teams)) = &f.scope {
        sql.push(" AND (owner_team_id IN (").bind_list(teams.iter().map(|t| t.0).chain([-1]));
        if let Some(u) = user {
            sql.push(" OR created_by = ").bind(u.0);
        }
        sql.push(")");
    }
    if let Some(ids) = &f.ids {
        push_ids(&mut sql, "id", false, &ids.iter().map(|t| t.0).chain([-1]).collect::<Vec<_>>());
    }
    if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
        sql.push(" AND LOWER(name) LIKE ").bind(format!("%{}%", crate::admin::escape_like(&q.to_lowercase()))).push(" ESCAPE '\\'");
    }
    for a in &f.attrs {
        sql.push(" AND ");
        push_attr_match(&mut sql, backend, a);
    }
    sql.keyset(page, Some("name"));
    let rows = sql.fetch_all(ex).await?.iter().map(Ci::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |c| Cursor { id: c.id.0, key: Some(c.name.clone()) }))
}

/// Live CIs of these classes holding this value of an attribute, other than `except`
/// (unique within the class).
pub async fn holders_of_value<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    backend: Backend,
    classes: &[CiClassId],
    f: &AttrFilter,
    except: Option<CiId>,
) -> Result<Vec<CiId>> {
    holders_of_values(ex, backend, classes, std::slice::from_ref(f), except).await
}

/// Live CIs of these classes holding every one of these values (an identifying key of
/// several attributes: host name + domain), other than `except`; at most five.
pub async fn holders_of_values<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    backend: Backend,
    classes: &[CiClassId],
    filters: &[AttrFilter],
    except: Option<CiId>,
) -> Result<Vec<CiId>> {
    let mut sql = Sql::new("SELECT id FROM cis WHERE deleted = 0");
    push_ids(&mut sql, "class_id", false, &classes.iter().map(|c| c.0).chain([-1]).collect::<Vec<_>>());
    if let Some(e) = except {
        sql.push(" AND id <> ").bind(e.0);
    }
    for f in filters {
        sql.push(" AND ");
        push_attr_match(&mut sql, backend, f);
    }
    sql.push(" LIMIT 5");
    sql.fetch_all(ex).await?.iter().map(|r| crate::table::column::<CiId>(r, "id")).collect()
}

/// Live CIs of these classes (a class or attribute about to be removed holds data?).
pub async fn count_in_classes<'e, E: Executor<'e, Database = Any>>(ex: E, classes: &[CiClassId]) -> Result<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM cis WHERE deleted = 0");
    push_ids(&mut sql, "class_id", false, &classes.iter().map(|c| c.0).chain([-1]).collect::<Vec<_>>());
    crate::table::column::<i64>(&sql.fetch_one(ex).await?, "n")
}

/// Live CIs of these classes that hold a value for the attribute `code`.
pub async fn count_with_attribute<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    backend: Backend,
    classes: &[CiClassId],
    code: &str,
) -> Result<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM cis WHERE deleted = 0");
    push_ids(&mut sql, "class_id", false, &classes.iter().map(|c| c.0).chain([-1]).collect::<Vec<_>>());
    match backend {
        Backend::Sqlite => sql.push(" AND json_extract(attributes, ").bind(format!("$.\"{code}\"")).push(") IS NOT NULL"),
        Backend::Postgres => sql.push(" AND (attributes::json -> ").bind(code.to_string()).push(") IS NOT NULL"),
    };
    crate::table::column::<i64>(&sql.fetch_one(ex).await?, "n")
}

/// Removes an attribute's values from every CI of these classes (after the admin confirmed).
/// Returns the CIs it changed, with their values before, for history.
pub async fn strip_attribute(conn: &mut AnyConnection, backend: Backend, classes: &[CiClassId], code: &str) -> Result<Vec<Ci>> {
    let mut sql = Sql::new(&format!("{} WHERE 1=1", Ci::select()));
    push_ids(&mut sql, "class_id", false, &classes.iter().map(|c| c.0).chain([-1]).collect::<Vec<_>>());
    match backend {
        Backend::Sqlite => sql.push(" AND json_extract(attributes, ").bind(format!("$.\"{code}\"")).push(") IS NOT NULL"),
        Backend::Postgres => sql.push(" AND (attributes::json -> ").bind(code.to_string()).push(") IS NOT NULL"),
    };
    let holders = sql.fetch_all(&mut *conn).await?.iter().map(Ci::from_row).collect::<Result<Vec<_>>>()?;
    for ci in &holders {
        let mut attrs = ci.attributes.clone();
        if let Some(m) = attrs.as_object_mut() {
            m.remove(code);
        }
        sqlx::query("UPDATE cis SET attributes = $1, version = version + 1 WHERE id = $2")
            .bind(attrs.to_string())
            .bind(ci.id.0)
            .execute(&mut *conn)
            .await?;
    }
    Ok(holders)
}

pub async fn insert_relation(conn: &mut AnyConnection, r: &CiRelation) -> Result<CiRelationId> {
    Ok(CiRelationId(insert_returning_key(conn, r).await?))
}

pub async fn get_relation<'e, E: Executor<'e, Database = Any>>(ex: E, id: CiRelationId) -> Result<Option<CiRelation>> {
    let sql = format!("{} WHERE id = $1", CiRelation::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(ex).await?.as_ref().map(CiRelation::from_row).transpose()
}

pub async fn find_relation<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    type_id: CiRelationTypeId,
    from: CiId,
    to: CiId,
) -> Result<Option<CiRelation>> {
    let sql = format!("{} WHERE type_id = $1 AND from_ci_id = $2 AND to_ci_id = $3", CiRelation::select());
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(type_id.0).bind(from.0).bind(to.0).fetch_optional(ex).await?;
    row.as_ref().map(CiRelation::from_row).transpose()
}

pub async fn delete_relation(conn: &mut AnyConnection, id: CiRelationId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM ci_relations WHERE id = $1").bind(id.0).execute(&mut *conn).await?.rows_affected() == 1)
}

/// Every relation of a CI, either side.
pub async fn relations_of<'e, E: Executor<'e, Database = Any>>(ex: E, ci: CiId) -> Result<Vec<CiRelation>> {
    let sql = format!("{} WHERE from_ci_id = $1 OR to_ci_id = $1 ORDER BY type_id, id", CiRelation::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ci.0).fetch_all(ex).await?.iter().map(CiRelation::from_row).collect()
}

/// Relations through which a failure of `ci` reaches another CI: the CIs that depend on it
/// (the sources of its incoming propagating relations).
pub async fn dependants<'e, E: Executor<'e, Database = Any>>(ex: E, ci: CiId) -> Result<Vec<CiRelation>> {
    sqlx::query(
        "SELECT r.id, r.type_id, r.from_ci_id, r.to_ci_id, r.created_by, r.created_at FROM ci_relations r
         JOIN ci_relation_types t ON t.id = r.type_id WHERE r.to_ci_id = $1 AND t.propagation = 'source' ORDER BY r.id",
    )
    .bind(ci.0)
    .fetch_all(ex)
    .await?
    .iter()
    .map(CiRelation::from_row)
    .collect()
}

/// The CI of that name (not deleted), the lowest id if several: how an alert's host label
/// finds its CI.
pub async fn id_by_name<'e, E: Executor<'e, Database = Any>>(ex: E, name: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT id FROM cis WHERE name = $1 AND deleted = 0 ORDER BY id LIMIT 1").bind(name).fetch_optional(ex).await?;
    row.map(|r| crate::table::column(&r, "id")).transpose()
}
