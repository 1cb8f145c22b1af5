//! The CMDB's tables (migration 0019; ADR 0017): the model (classes, attributes, relation
//! types and rules) here, CIs and relations in [`ci`], history and reading the past in
//! [`history`].

pub mod ci;
pub mod discovery;
pub mod history;

use crate::Result;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::cmdb::EnumValue;
use yunwei_domain::ids::{CiAttributeId, CiClassId, CiId, CiRelationId, CiRelationTypeId, TeamId, UserId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct CiClass in "ci_classes" {
        pub id: CiClassId,
        /// Stable key (`server`); names may change.
        pub code: String,
        pub parent_id: Option<CiClassId>,
        pub name: String,
        pub name_en: String,
        /// Groups subclasses; holds no CIs of its own.
        pub is_abstract: bool = "abstract",
        pub builtin: bool,
        pub icon: String,
        /// CIs of this class and below are shown to this team's members only.
        pub restricted_team_id: Option<TeamId>,
        /// Removed: kept so that history names it; never offered for new CIs.
        pub deleted: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct CiAttribute in "ci_attributes" {
        pub id: CiAttributeId,
        pub class_id: CiClassId,
        pub code: String,
        pub name: String,
        pub name_en: String,
        /// `yunwei_domain::cmdb::AttrKind` as text.
        pub kind: String,
        pub required: bool,
        pub unique_in_class: bool,
        pub identifying: bool,
        pub pattern: Option<String>,
        pub min_value: Option<f64>,
        pub max_value: Option<f64>,
        pub enum_values: Vec<EnumValue>,
        pub ref_class_id: Option<CiClassId>,
        pub position: i64,
        pub created_at: i64,
        pub updated_at: i64,
        /// Identifying attributes of one group match only together (migration 0021).
        pub key_group: String,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct CiRelationType in "ci_relation_types" {
        pub id: CiRelationTypeId,
        pub code: String,
        pub name: String,
        pub name_en: String,
        pub reverse_name: String,
        pub reverse_name_en: String,
        /// `source` or `none` (`yunwei_domain::cmdb::Propagation`).
        pub propagation: String,
        /// The source is a member of the target pool or cluster.
        pub pool: bool,
        pub builtin: bool,
        pub created_at: i64,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct CiRelationRule in "ci_relation_rules" {
        pub id: i64,
        pub relation_type_id: CiRelationTypeId,
        pub from_class_id: CiClassId,
        pub to_class_id: CiClassId,
    }
}

table! {
    #[derive(Debug, Clone, Default, Serialize, PartialEq)]
    pub struct CiRelation in "ci_relations" {
        pub id: CiRelationId,
        pub type_id: CiRelationTypeId,
        pub from_ci_id: CiId,
        pub to_ci_id: CiId,
        pub created_by: Option<UserId>,
        pub created_at: i64,
    }
}

impl CiAttribute {
    /// The definition as the domain's rules read it (an unknown kind reads as text).
    pub fn def(&self) -> yunwei_domain::cmdb::AttrDef {
        yunwei_domain::cmdb::AttrDef {
            id: self.id,
            class_id: self.class_id,
            code: self.code.clone(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            kind: self.kind.parse().unwrap_or(yunwei_domain::cmdb::AttrKind::Text),
            required: self.required,
            unique_in_class: self.unique_in_class,
            identifying: self.identifying,
            pattern: self.pattern.clone(),
            min_value: self.min_value,
            max_value: self.max_value,
            enum_values: self.enum_values.clone(),
            ref_class_id: self.ref_class_id,
            position: self.position,
            key_group: self.key_group.clone(),
        }
    }
}

impl CiClass {
    pub fn node(&self) -> yunwei_domain::cmdb::ClassNode {
        yunwei_domain::cmdb::ClassNode { id: self.id, parent_id: self.parent_id, code: self.code.clone(), is_abstract: self.is_abstract }
    }
}

/// The whole model, read at once: small (tens of classes), and every CI write needs it.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub classes: Vec<CiClass>,
    pub attributes: Vec<CiAttribute>,
    pub relation_types: Vec<CiRelationType>,
    pub rules: Vec<CiRelationRule>,
}

pub async fn model(conn: &mut AnyConnection) -> Result<Model> {
    let classes = sqlx::query(sqlx::AssertSqlSafe(format!("{} ORDER BY id", CiClass::select()))).fetch_all(&mut *conn).await?;
    let attributes = sqlx::query(sqlx::AssertSqlSafe(format!("{} ORDER BY class_id, position, id", CiAttribute::select())))
        .fetch_all(&mut *conn)
        .await?;
    let types = sqlx::query(sqlx::AssertSqlSafe(format!("{} ORDER BY id", CiRelationType::select()))).fetch_all(&mut *conn).await?;
    let rules = sqlx::query(sqlx::AssertSqlSafe(format!("{} ORDER BY id", CiRelationRule::select()))).fetch_all(&mut *conn).await?;
    Ok(Model {
        classes: classes.iter().map(CiClass::from_row).collect::<Result<_>>()?,
        attributes: attributes.iter().map(CiAttribute::from_row).collect::<Result<_>>()?,
        relation_types: types.iter().map(CiRelationType::from_row).collect::<Result<_>>()?,
        rules: rules.iter().map(CiRelationRule::from_row).collect::<Result<_>>()?,
    })
}

/// A stamp that changes whenever the model does (for caches): the newest `updated_at` and
/// the row counts.
pub async fn model_stamp<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<String> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM ci_classes) AS c, (SELECT COALESCE(MAX(updated_at), 0) FROM ci_classes) AS cu,
                (SELECT COUNT(*) FROM ci_attributes) AS a, (SELECT COALESCE(MAX(updated_at), 0) FROM ci_attributes) AS au,
                (SELECT COUNT(*) FROM ci_relation_rules) AS r, (SELECT COALESCE(MAX(id), 0) FROM ci_relation_rules) AS ri,
                (SELECT COUNT(*) FROM ci_relation_types) AS t",
    )
    .fetch_one(ex)
    .await?;
    let n = |c: &str| crate::table::column::<i64>(&row, c);
    Ok(format!("{}:{}:{}:{}:{}:{}:{}", n("c")?, n("cu")?, n("a")?, n("au")?, n("r")?, n("ri")?, n("t")?))
}

pub async fn insert_class(conn: &mut AnyConnection, c: &CiClass) -> Result<CiClassId> {
    Ok(CiClassId(insert_returning_key(conn, c).await?))
}

pub async fn update_class(conn: &mut AnyConnection, c: &CiClass) -> Result<bool> {
    update_row(conn, c, &["parent_id", "name", "name_en", "is_abstract", "icon", "restricted_team_id", "updated_at"].map(col), None).await
}

/// `is_abstract` is stored as `abstract`.
fn col(field: &str) -> &str {
    if field == "is_abstract" { "abstract" } else { field }
}

/// Marks a class removed and drops its relation rules; its attributes stay, for history.
pub async fn delete_class(conn: &mut AnyConnection, id: CiClassId, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM ci_relation_rules WHERE from_class_id = $1 OR to_class_id = $1").bind(id.0).execute(&mut *conn).await?;
    sqlx::query("UPDATE ci_classes SET deleted = 1, updated_at = $2 WHERE id = $1").bind(id.0).bind(now).execute(&mut *conn).await?;
    Ok(())
}

pub async fn insert_attribute(conn: &mut AnyConnection, a: &CiAttribute) -> Result<CiAttributeId> {
    Ok(CiAttributeId(insert_returning_key(conn, a).await?))
}

pub async fn update_attribute(conn: &mut AnyConnection, a: &CiAttribute) -> Result<bool> {
    let cols = [
        "name",
        "name_en",
        "required",
        "unique_in_class",
        "identifying",
        "pattern",
        "min_value",
        "max_value",
        "enum_values",
        "ref_class_id",
        "position",
        "updated_at",
        "key_group",
    ];
    update_row(conn, a, &cols, None).await
}

pub async fn delete_attribute(conn: &mut AnyConnection, id: CiAttributeId) -> Result<()> {
    sqlx::query("DELETE FROM ci_attributes WHERE id = $1").bind(id.0).execute(&mut *conn).await?;
    Ok(())
}

pub async fn insert_rule(conn: &mut AnyConnection, r: &CiRelationRule) -> Result<i64> {
    insert_returning_key(conn, r).await
}

pub async fn delete_rule(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM ci_relation_rules WHERE id = $1").bind(id).execute(&mut *conn).await?.rows_affected() == 1)
}
