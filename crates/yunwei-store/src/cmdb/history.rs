//! ci_history: one row per change of a CI or a relation, written in the change's own
//! transaction; and reading a CI and its relations as they were at a moment.

use super::CiRelation;
use super::ci::Ci;
use crate::Result;
use crate::table::{Table, insert_returning_key};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use std::collections::BTreeMap;
use yunwei_domain::cmdb::{HistoryOp, HistorySource, history};
use yunwei_domain::ids::{CiId, CiRelationId, CiRelationTypeId, UserId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct HistoryRow in "ci_history" {
        pub id: i64,
        /// The CI changed, or the source of the relation changed.
        pub ci_id: CiId,
        pub relation_id: Option<CiRelationId>,
        /// The relation's target.
        pub peer_ci_id: Option<CiId>,
        pub at: i64,
        pub actor_id: Option<UserId>,
        /// `yunwei_domain::cmdb::HistorySource` as text.
        pub source: String,
        /// The change record (or import run) that caused it.
        pub source_ref: Option<String>,
        pub op: String,
        pub before: Option<serde_json::Value>,
        pub after: Option<serde_json::Value>,
    }
}

/// Who made a change, from where.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub actor: Option<UserId>,
    pub source: HistorySource,
    pub source_ref: Option<String>,
    pub at: i64,
}

impl HistoryRow {
    fn new(o: &Origin, ci: CiId, op: HistoryOp) -> Self {
        HistoryRow {
            id: 0,
            ci_id: ci,
            relation_id: None,
            peer_ci_id: None,
            at: o.at,
            actor_id: o.actor,
            source: o.source.as_str().into(),
            source_ref: o.source_ref.clone(),
            op: op.as_str().into(),
            before: None,
            after: None,
        }
    }
}

async fn insert(conn: &mut AnyConnection, row: &HistoryRow) -> Result<i64> {
    insert_returning_key(conn, row).await
}

/// Records a CI created (`before` None), changed or deleted (`after` None). An update that
/// changed nothing tracked records nothing; returns the row's id if one was written.
pub async fn record_ci(conn: &mut AnyConnection, o: &Origin, before: Option<&Ci>, after: Option<&Ci>) -> Result<Option<i64>> {
    let (ci, op, b, a) = match (before, after) {
        (None, Some(a)) => (a.id, HistoryOp::Create, None, Some(serde_json::Value::Object(a.state()))),
        (Some(b), None) => (b.id, HistoryOp::Delete, Some(serde_json::Value::Object(b.state())), None),
        (Some(b), Some(a)) => match history::changes(&b.state(), &a.state()) {
            Some((bv, av)) => (a.id, HistoryOp::Update, Some(bv), Some(av)),
            None => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    let row = HistoryRow { before: b, after: a, ..HistoryRow::new(o, ci, op) };
    let id = insert(conn, &row).await?;
    // Every change of a CI is also a change of its search document.
    crate::search::enqueue_ci(conn, ci.0).await?;
    Ok(Some(id))
}

/// What a relation's history row holds: enough to draw it as it was.
fn relation_json(r: &CiRelation) -> serde_json::Value {
    serde_json::json!({"type_id": r.type_id, "from_ci_id": r.from_ci_id, "to_ci_id": r.to_ci_id})
}

/// Records a relation made (`created`) or removed.
pub async fn record_relation(conn: &mut AnyConnection, o: &Origin, r: &CiRelation, created: bool) -> Result<i64> {
    let op = if created { HistoryOp::Create } else { HistoryOp::Delete };
    let mut row = HistoryRow { relation_id: Some(r.id), peer_ci_id: Some(r.to_ci_id), ..HistoryRow::new(o, r.from_ci_id, op) };
    if created {
        row.after = Some(relation_json(r));
    } else {
        row.before = Some(relation_json(r));
    }
    insert(conn, &row).await
}

/// The history of a CI and of its relations, newest first, `limit` rows before `before_id`.
pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, ci: CiId, before_id: Option<i64>, limit: i64) -> Result<Vec<HistoryRow>> {
    let sql = format!("{} WHERE (ci_id = $1 OR peer_ci_id = $1) AND id < $2 ORDER BY id DESC LIMIT $3", HistoryRow::select());
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ci.0).bind(before_id.unwrap_or(i64::MAX)).bind(limit).fetch_all(ex).await?;
    rows.iter().map(HistoryRow::from_row).collect()
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: i64) -> Result<Option<HistoryRow>> {
    let sql = format!("{} WHERE id = $1", HistoryRow::select());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?.as_ref().map(HistoryRow::from_row).transpose()
}

/// The graph's change cursor: the newest history row (0 when there is none). A node that
/// keeps the graph in memory reads what came after the cursor it last saw.
pub async fn cursor<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM ci_history").fetch_one(ex).await?;
    crate::table::column::<i64>(&row, "n")
}

/// A moment in a CI's history: a time (`at`, inclusive) or a version (a history row id, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    At(i64),
    Version(i64),
}

impl Moment {
    fn after(self, row: &HistoryRow) -> bool {
        match self {
            Moment::At(t) => row.at > t,
            Moment::Version(v) => row.id > v,
        }
    }
}

/// The CI's tracked fields as they were at `m`, from its state now (`current`) with every
/// later change undone; `None` if it did not exist yet (or was deleted) at that moment.
pub async fn ci_state_at(conn: &mut AnyConnection, current: &Ci, m: Moment) -> Result<Option<Ci>> {
    let later = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{} WHERE ci_id = $1 AND relation_id IS NULL AND {} ORDER BY id DESC",
        HistoryRow::select(),
        match m {
            Moment::At(_) => "at > $2",
            Moment::Version(_) => "id > $2",
        }
    )))
    .bind(current.id.0)
    .bind(match m {
        Moment::At(t) | Moment::Version(t) => t,
    })
    .fetch_all(&mut *conn)
    .await?;
    let mut state = current.state();
    let mut deleted = current.deleted;
    for row in later.iter().map(HistoryRow::from_row) {
        let row = row?;
        debug_assert!(m.after(&row));
        match row.op.parse::<HistoryOp>() {
            Ok(HistoryOp::Create) => return Ok(None),
            Ok(HistoryOp::Delete) => deleted = false,
            _ => {}
        }
        if let Some(b) = &row.before {
            history::apply(&mut state, b);
        }
    }
    if deleted {
        return Ok(None);
    }
    let mut ci = current.with_state(&state);
    ci.deleted = false;
    Ok(Some(ci))
}

/// A relation as history has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastRelation {
    pub id: CiRelationId,
    pub type_id: CiRelationTypeId,
    pub from_ci_id: CiId,
    pub to_ci_id: CiId,
}

/// The relations of `ci` (either side) that existed at `m`: for each relation, its last
/// history row up to then, kept if that row made it.
pub async fn relations_at(conn: &mut AnyConnection, ci: CiId, m: Moment) -> Result<Vec<PastRelation>> {
    let cond = match m {
        Moment::At(_) => "at <= $2",
        Moment::Version(_) => "id <= $2",
    };
    let sql = format!("{} WHERE (ci_id = $1 OR peer_ci_id = $1) AND relation_id IS NOT NULL AND {cond} ORDER BY id", HistoryRow::select());
    let bound = match m {
        Moment::At(t) | Moment::Version(t) => t,
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ci.0).bind(bound).fetch_all(&mut *conn).await?;
    let mut last: BTreeMap<CiRelationId, HistoryRow> = BTreeMap::new();
    for row in rows.iter().map(HistoryRow::from_row) {
        let row = row?;
        if let Some(r) = row.relation_id {
            last.insert(r, row);
        }
    }
    let mut out = Vec::new();
    for (id, row) in last {
        let Some(after) = row.after.as_ref().filter(|_| row.op == HistoryOp::Create.as_str()) else { continue };
        let n = |k: &str| after.get(k).and_then(serde_json::Value::as_i64);
        if let (Some(t), Some(f), Some(to)) = (n("type_id"), n("from_ci_id"), n("to_ci_id")) {
            out.push(PastRelation { id, type_id: CiRelationTypeId(t), from_ci_id: CiId(f), to_ci_id: CiId(to) });
        }
    }
    Ok(out)
}
