//! Tables declared once (ADR 0013). [`table!`] takes a struct with the table's name and
//! makes, from that one declaration, the struct, its column list, the decoding of a row and
//! the values to bind in column order, so a column is named in one place and the columns of
//! an insert or update cannot come in another order than their values.
//!
//! How a Rust type is stored is [`Column`]'s business: `i64` and text as they are, the id
//! newtypes as `BIGINT`, `bool` as `BIGINT` 0/1 and JSON as `TEXT` (ADR 0001), each with its
//! `Option` for a nullable column. Hand-written queries read single columns with [`column`].

use crate::sql::{Sql, Value};
use crate::{Result, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A Rust type as one column of the portable subset.
pub trait Column: Sized {
    fn decode(row: &AnyRow, col: &str) -> Result<Self>;
    fn encode(&self) -> Value;
}

/// Reads one column of a row, whatever its stored form: `column::<Option<UserId>>(r, "actor_id")`.
pub fn column<T: Column>(row: &AnyRow, col: &str) -> Result<T> {
    T::decode(row, col)
}

impl Column for i64 {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        Ok(row.try_get(col)?)
    }
    fn encode(&self) -> Value {
        (*self).into()
    }
}

impl Column for Option<i64> {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        Ok(row.try_get(col)?)
    }
    fn encode(&self) -> Value {
        (*self).into()
    }
}

impl Column for String {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        Ok(row.try_get(col)?)
    }
    fn encode(&self) -> Value {
        self.clone().into()
    }
}

impl Column for Option<String> {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        Ok(row.try_get(col)?)
    }
    fn encode(&self) -> Value {
        self.clone().into()
    }
}

/// `DOUBLE PRECISION`; SQLite may hand back an integer for a whole number, so both are read.
impl Column for Option<f64> {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        match row.try_get::<Option<f64>, _>(col) {
            Ok(v) => Ok(v),
            Err(_) => Ok(row.try_get::<Option<i64>, _>(col)?.map(|v| v as f64)),
        }
    }
    fn encode(&self) -> Value {
        (*self).into()
    }
}

/// `BIGINT` 0/1: the `Any` driver has no boolean both engines store alike.
impl Column for bool {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        Ok(row.try_get::<i64, _>(col)? != 0)
    }
    fn encode(&self) -> Value {
        i64::from(*self).into()
    }
}

/// JSON as `TEXT`; text that does not parse is corrupt data, not a default.
impl Column for serde_json::Value {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        json(row, col)
    }
    fn encode(&self) -> Value {
        self.to_string().into()
    }
}

/// Nullable JSON: SQL NULL is `None` (a JSON `null` would read as `Some(Null)`).
impl Column for Option<serde_json::Value> {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        match row.try_get::<Option<String>, _>(col)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| StoreError::Corrupt(format!("{col}: {e}"))),
        }
    }
    fn encode(&self) -> Value {
        self.as_ref().map(|v| v.to_string()).into()
    }
}

/// Lists stored as JSON text, strictly: text that does not parse is corrupt data.
macro_rules! json_columns {
    ($($t:ty),* $(,)?) => {$(
        impl Column for $t {
            fn decode(row: &AnyRow, col: &str) -> Result<Self> {
                json(row, col)
            }
            fn encode(&self) -> Value {
                // These lists always serialise; "[]" keeps the column valid if one ever did not.
                serde_json::to_string(self).unwrap_or_else(|_| "[]".into()).into()
            }
        }
    )*};
}

json_columns!(
    Vec<yunwei_domain::permission::Permission>,
    Vec<yunwei_domain::permission::TokenScope>,
    Vec<String>,
    Vec<yunwei_domain::cmdb::EnumValue>,
    serde_json::Map<String, serde_json::Value>,
    yunwei_domain::sla::SlaRules,
    std::collections::BTreeMap<String, String>,
    yunwei_domain::alert::SeverityMap,
    Vec<yunwei_domain::alert::Matcher>,
    Vec<yunwei_domain::escalation::Level>,
);

/// The duty as its stable text; text this binary does not know reads as no duty.
impl Column for Option<yunwei_domain::admin::AdminDuty> {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        Ok(row.try_get::<Option<String>, _>(col)?.and_then(|d| d.parse().ok()))
    }
    fn encode(&self) -> Value {
        self.map(|d| d.as_str().to_string()).into()
    }
}

/// The domain's `string_enum!` types as their stable text, so a row holds the typed value
/// and a view built from the row writes no field again. Text this binary does not know is
/// corrupt data (a view could not show it either).
macro_rules! text_enum_columns {
    ($($t:ty),* $(,)?) => {$(
        impl Column for $t {
            fn decode(row: &AnyRow, col: &str) -> Result<Self> {
                let text: String = row.try_get(col)?;
                text.parse().map_err(|_| StoreError::Corrupt(format!("{col}: {text:?}")))
            }
            fn encode(&self) -> Value {
                self.as_str().to_string().into()
            }
        }
        impl Column for Option<$t> {
            fn decode(row: &AnyRow, col: &str) -> Result<Self> {
                match row.try_get::<Option<String>, _>(col)? {
                    None => Ok(None),
                    Some(text) => text.parse().map(Some).map_err(|_| StoreError::Corrupt(format!("{col}: {text:?}"))),
                }
            }
            fn encode(&self) -> Value {
                self.map(|v| v.as_str().to_string()).into()
            }
        }
        impl Sample for $t {
            fn sample(fill: Fill, n: i64) -> Self {
                let all = <$t>::ALL;
                match fill {
                    Fill::Full => all[n.unsigned_abs() as usize % all.len()],
                    Fill::Empty => all[0],
                }
            }
        }
    )*};
}

text_enum_columns!(
    yunwei_domain::incident::IncidentState,
    yunwei_domain::incident::PendingReason,
    yunwei_domain::incident::Level,
    yunwei_domain::incident::Channel,
    yunwei_domain::improvement::ImprovementState,
    yunwei_domain::improvement::ImprovementSource,
    yunwei_domain::major::MajorPhase,
    yunwei_domain::request::RequestState,
    yunwei_domain::request::Decision,
    yunwei_domain::request::TaskState,
    yunwei_domain::survey::SubjectType,
    yunwei_domain::survey::SurveyState,
    yunwei_domain::cmdb::AttrKind,
    yunwei_domain::cmdb::CiStatus,
    yunwei_domain::cmdb::Criticality,
    yunwei_domain::cmdb::Environment,
    yunwei_domain::alert::Severity,
    yunwei_domain::alert::AlertStatus,
    yunwei_domain::asset::AssetState,
    yunwei_domain::asset::AssetCategory,
    yunwei_domain::asset::licence::LicenceKind,
    yunwei_domain::asset::stocktake::StocktakeState,
    yunwei_domain::asset::stocktake::ItemResult,
    yunwei_domain::webhook::WebhookFormat,
    yunwei_domain::change::ChangeType,
    yunwei_domain::change::ChangeState,
    yunwei_domain::change::Vote,
    yunwei_domain::change::risk::RiskLevel,
    yunwei_domain::duty::RotationKind,
    yunwei_domain::duty::DayRestriction,
    yunwei_domain::duty::swap::SwapState,
    yunwei_domain::duty::log::LogKind,
    yunwei_domain::duty::log::HandoverState,
    yunwei_domain::problem::ProblemState,
    yunwei_domain::problem::suggest::Basis,
    yunwei_domain::knowledge::VersionState,
    yunwei_domain::knowledge::Visibility,
    yunwei_domain::knowledge::ArticleType,
    yunwei_domain::escalation::EscalationState,
);

/// Priority 1–4 as `BIGINT`; another number is corrupt data.
impl Column for yunwei_domain::incident::Priority {
    fn decode(row: &AnyRow, col: &str) -> Result<Self> {
        let n: i64 = row.try_get(col)?;
        u8::try_from(n).ok().and_then(Self::new).ok_or_else(|| StoreError::Corrupt(format!("{col}: {n}")))
    }
    fn encode(&self) -> Value {
        i64::from(self.get()).into()
    }
}

impl Sample for yunwei_domain::incident::Priority {
    fn sample(fill: Fill, n: i64) -> Self {
        match fill {
            Fill::Full => Self::ALL[n.unsigned_abs() as usize % 4],
            Fill::Empty => Self::P4,
        }
    }
}

/// Nullable JSON text read leniently: SQL NULL and text that does not parse are both `None`
/// (an optional part of a record, such as an incident's summary, that must not fail the row).
pub struct LenientOptionalJson;

impl<T: serde::de::DeserializeOwned + serde::Serialize> Codec<Option<T>> for LenientOptionalJson {
    fn decode(row: &AnyRow, col: &str) -> Result<Option<T>> {
        Ok(row.try_get::<Option<String>, _>(col)?.and_then(|text| serde_json::from_str(&text).ok()))
    }
    fn encode(value: &Option<T>) -> Value {
        value.as_ref().and_then(|v| serde_json::to_string(v).ok()).into()
    }
}

impl Sample for yunwei_domain::incident::IncidentSummary {
    fn sample(fill: Fill, n: i64) -> Self {
        Self { cause: String::sample(fill, n), handling: String::sample(fill, n + 1), lessons: String::new(), prevention: "预防".into() }
    }
}

/// Another way than [`Column`]'s to store a `T`, for one field (`as Codec` in [`table!`]).
pub trait Codec<T> {
    fn decode(row: &AnyRow, col: &str) -> Result<T>;
    fn encode(value: &T) -> Value;
}

/// JSON text where text that does not parse reads as the type's default (`null`, an empty
/// list) rather than failing the row: for queues (outbox, jobs), where one bad row must not
/// stop the others, and lists where nothing is the safe reading.
pub struct LenientJson;

impl<T: serde::de::DeserializeOwned + serde::Serialize + Default> Codec<T> for LenientJson {
    fn decode(row: &AnyRow, col: &str) -> Result<T> {
        let text: String = row.try_get(col)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    }
    fn encode(value: &T) -> Value {
        serde_json::to_string(value).unwrap_or_else(|_| "null".into()).into()
    }
}

fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

/// The id newtypes are `BIGINT`, nullable or not (and have samples as `i64` has).
macro_rules! id_columns {
    ($($id:ident),* $(,)?) => {$(
        impl Column for yunwei_domain::ids::$id {
            fn decode(row: &AnyRow, col: &str) -> Result<Self> {
                Ok(Self(row.try_get(col)?))
            }
            fn encode(&self) -> Value {
                self.0.into()
            }
        }
        impl Column for Option<yunwei_domain::ids::$id> {
            fn decode(row: &AnyRow, col: &str) -> Result<Self> {
                Ok(row.try_get::<Option<i64>, _>(col)?.map(yunwei_domain::ids::$id))
            }
            fn encode(&self) -> Value {
                self.map(|v| v.0).into()
            }
        }
        impl Sample for yunwei_domain::ids::$id {
            fn sample(fill: Fill, n: i64) -> Self {
                Self(i64::sample(fill, n))
            }
        }
    )*};
}

yunwei_domain::for_each_id!(id_columns);

/// A struct declared with [`table!`]: one row of `TABLE`.
pub trait Table: Sized {
    /// The table's name.
    const TABLE: &'static str;
    /// Every column, the key (the first field) first, in declaration order.
    const COLUMNS: &'static [&'static str];
    /// Fields a query joins from other tables (`joined { … }`): read, never written; always
    /// `Option`, so a row of the table alone reads them as `None`.
    const JOINED: &'static [&'static str];

    fn from_row(row: &AnyRow) -> Result<Self>;

    /// `SELECT` of every column `FROM` the table, for a query to go on with `WHERE`.
    fn select() -> String {
        format!("SELECT {} FROM {}", Self::COLUMNS.join(", "), Self::TABLE)
    }

    /// The value of one column, `None` for a name the table does not have.
    fn value(&self, col: &str) -> Option<Value>;

    /// Every column's value in `COLUMNS` order.
    fn values(&self) -> Vec<Value>;
}

/// `COLUMNS` without the key: what an insert writes when the database numbers the row.
pub fn columns_but_key<T: Table>() -> &'static [&'static str] {
    T::COLUMNS.get(1..).unwrap_or(&[])
}

/// `INSERT INTO table (cols) VALUES (…)` of `row`'s values for `cols`, on `sql` (which is
/// empty, or a staged statement from [`crate::Stage::statement`]). Each value is looked up
/// by its column's name, so the two lists cannot disagree; a name the table does not have
/// is a bug the round-trip tests catch, and fails here rather than writing a wrong column.
pub fn insert_into<T: Table>(mut sql: Sql, row: &T, cols: &[&str]) -> Result<Sql> {
    sql.push(&format!("INSERT INTO {} ({}) VALUES (", T::TABLE, cols.join(", ")));
    for (n, col) in cols.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(lookup(row, col)?);
    }
    sql.push(")");
    Ok(sql)
}

/// `UPDATE table SET c1 = …, c2 = …` of `row`'s values for `cols`; the caller adds `WHERE`.
pub fn update_set<T: Table>(row: &T, cols: &[&str]) -> Result<Sql> {
    let mut sql = Sql::new(&format!("UPDATE {} SET ", T::TABLE));
    for (n, col) in cols.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.push(col).push(" = ").bind(lookup(row, col)?);
    }
    Ok(sql)
}

/// Inserts `row` but its key, which the database numbers, and returns that key.
pub async fn insert_returning_key<T: Table>(conn: &mut sqlx::AnyConnection, row: &T) -> Result<i64> {
    let mut sql = insert_into(Sql::new(""), row, columns_but_key::<T>())?;
    sql.push(" RETURNING ").push(T::COLUMNS.first().copied().unwrap_or("id"));
    Ok(sql.fetch_one(conn).await?.try_get(0)?)
}

/// Writes `cols` of the row with `row`'s key (and, given one, only at `expected_version`):
/// whether a row was written.
pub async fn update_row<T: Table>(conn: &mut sqlx::AnyConnection, row: &T, cols: &[&str], expected_version: Option<i64>) -> Result<bool> {
    let key = T::COLUMNS.first().copied().unwrap_or("id");
    let mut sql = update_set(row, cols)?;
    sql.push(&format!(" WHERE {key} = ")).bind(lookup(row, key)?);
    if let Some(v) = expected_version {
        sql.push(" AND version = ").bind(v);
    }
    Ok(sql.execute(conn).await? == 1)
}

fn lookup<T: Table>(row: &T, col: &str) -> Result<Value> {
    row.value(col).ok_or_else(|| StoreError::Corrupt(format!("{} has no column {col}", T::TABLE)))
}

/// Declares a table once. The first field is the key; a field whose column has another
/// name says so after its type (`pub at: i64 = "at_ms"`), and one stored otherwise than its
/// type's [`Column`] says names a [`Codec`] (`pub payload: serde_json::Value as LenientJson`). Fields that queries join from
/// other tables follow in `joined { … }`: decoded, never written.
///
/// ```text
/// table! {
///     #[derive(Debug, Clone, Serialize, PartialEq)]
///     pub struct Team in "teams" {
///         pub id: TeamId,
///         pub name: String,
///         pub manager_id: Option<UserId>,
///         pub created_at: i64 = "created_at",
///     }
/// }
/// ```
macro_rules! table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident in $table:literal {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $fty:ty $(= $col:literal)? $(as $codec:ty)?
            ),+ $(,)?
        }
        $(joined {
            $(
                $(#[$jmeta:meta])*
                $jvis:vis $jfield:ident : Option<$jty:ty>
            ),+ $(,)?
        })?
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $fty, )+
            $($( $(#[$jmeta])* $jvis $jfield: Option<$jty>, )+)?
        }

        impl $crate::table::Table for $name {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$( $crate::table::table!(@col $field $($col)?) ),+];
            const JOINED: &'static [&'static str] = &[$($( stringify!($jfield) ),+)?];

            fn from_row(row: &sqlx::any::AnyRow) -> $crate::Result<Self> {
                Ok(Self {
                    $( $field: $crate::table::table!(@decode row, $crate::table::table!(@col $field $($col)?), $fty $(, $codec)?)?, )+
                    $($( $jfield: $crate::table::Column::decode(row, stringify!($jfield))?, )+)?
                })
            }

            fn value(&self, col: &str) -> Option<$crate::sql::Value> {
                match col {
                    $( $crate::table::table!(@col $field $($col)?) => Some($crate::table::table!(@encode &self.$field, $fty $(, $codec)?)), )+
                    _ => None,
                }
            }

            fn values(&self) -> Vec<$crate::sql::Value> {
                vec![$( $crate::table::table!(@encode &self.$field, $fty $(, $codec)?) ),+]
            }
        }

        impl $crate::table::Sample for $name {
            fn sample(fill: $crate::table::Fill, seed: i64) -> Self {
                let mut n = seed;
                Self {
                    $( $field: { n += 1; $crate::table::Sample::sample(fill, n) }, )+
                    $($( $jfield: None, )+)?
                }
            }
        }
    };
    (@col $field:ident) => { stringify!($field) };
    (@col $field:ident $col:literal) => { $col };
    (@decode $row:ident, $col:expr, $fty:ty) => { <$fty as $crate::table::Column>::decode($row, $col) };
    (@decode $row:ident, $col:expr, $fty:ty, $codec:ty) => { <$codec as $crate::table::Codec<$fty>>::decode($row, $col) };
    (@encode $v:expr, $fty:ty) => { <$fty as $crate::table::Column>::encode($v) };
    (@encode $v:expr, $fty:ty, $codec:ty) => { <$codec as $crate::table::Codec<$fty>>::encode($v) };
}

pub(crate) use table;

/// Writes `row` (with `extra` values for NOT NULL columns the struct leaves out), reads it
/// back by its key and returns what came back: the round trip the tests of every declared
/// table run on both engines.
pub async fn round_trip<T: Table>(conn: &mut sqlx::AnyConnection, row: &T, extra: &[(&str, Value)]) -> Result<T> {
    let mut sql = Sql::new(&format!("INSERT INTO {} ({}", T::TABLE, T::COLUMNS.join(", ")));
    for (col, _) in extra {
        sql.push(", ").push(col);
    }
    sql.push(") VALUES (");
    for (n, v) in row.values().into_iter().chain(extra.iter().map(|(_, v)| v.clone())).enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(v);
    }
    sql.push(")").execute(&mut *conn).await?;
    let key = T::COLUMNS.first().copied().unwrap_or("id");
    let joined: String = T::JOINED.iter().map(|j| format!(", NULL AS {j}")).collect();
    let back = Sql::new(&format!("SELECT {}{joined} FROM {} WHERE {key} = ", T::COLUMNS.join(", "), T::TABLE))
        .bind(lookup(row, key)?)
        .fetch_one(&mut *conn)
        .await?;
    T::from_row(&back)
}

/// Multi-row inserts of whole rows, key included (demo data, imports): `rows_per_statement`
/// rows a statement, placeholders as [`crate::sql::placeholder`] numbers them.
pub async fn insert_many<T: Table>(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    rows: &[T],
    rows_per_statement: usize,
) -> Result<()> {
    let head = format!("INSERT INTO {} ({}) VALUES ", T::TABLE, T::COLUMNS.join(", "));
    for chunk in rows.chunks(rows_per_statement.max(1)) {
        let mut sql = Sql::bulk(&head, backend);
        for (r, row) in chunk.iter().enumerate() {
            sql.push(if r == 0 { "(" } else { ", (" });
            for (c, v) in row.values().into_iter().enumerate() {
                if c > 0 {
                    sql.push(", ");
                }
                sql.bind(v);
            }
            sql.push(")");
        }
        sql.execute_owned(&mut *conn).await?;
    }
    Ok(())
}

/// How [`Sample`] fills a row: every field set to an edge value, or every field empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Large and negative integers, unicode and quotes, `true`, nested JSON, `Some`.
    Full,
    /// Zero, empty text, `false`, JSON `null`, `None`.
    Empty,
}

/// Values that test a column's round trip; [`table!`] fills whole rows with them.
pub trait Sample {
    fn sample(fill: Fill, n: i64) -> Self;
}

impl Sample for i64 {
    fn sample(fill: Fill, n: i64) -> Self {
        match fill {
            Fill::Full if n % 2 == 0 => i64::MAX - n,
            Fill::Full => i64::MIN + n,
            Fill::Empty => 0,
        }
    }
}

impl Sample for String {
    fn sample(fill: Fill, n: i64) -> Self {
        match fill {
            Fill::Full => format!("网络故障 {n}: ‘全角’ 'single' \"double\" \\ %_ 😀\n\ttab"),
            Fill::Empty => String::new(),
        }
    }
}

impl Sample for bool {
    fn sample(fill: Fill, _: i64) -> Self {
        fill == Fill::Full
    }
}

impl Sample for serde_json::Value {
    fn sample(fill: Fill, n: i64) -> Self {
        match fill {
            Fill::Full => serde_json::json!({"键": [n, "二", null, true, 1.5], "big": i64::MAX, "nested": {"a": []}}),
            Fill::Empty => serde_json::Value::Null,
        }
    }
}

impl Sample for Vec<String> {
    fn sample(fill: Fill, n: i64) -> Self {
        match fill {
            Fill::Full => vec!["incident.created".into(), format!("事件 {n}")],
            Fill::Empty => Vec::new(),
        }
    }
}

impl Sample for serde_json::Map<String, serde_json::Value> {
    fn sample(fill: Fill, n: i64) -> Self {
        match serde_json::Value::sample(fill, n) {
            serde_json::Value::Object(map) => map,
            _ => Self::new(),
        }
    }
}

impl Sample for Vec<yunwei_domain::permission::Permission> {
    fn sample(fill: Fill, _: i64) -> Self {
        let all = ["incident:read:all", "role:update:all", "request:approve:own"];
        match fill {
            Fill::Full => all.iter().filter_map(|p| p.parse().ok()).collect(),
            Fill::Empty => Vec::new(),
        }
    }
}

impl Sample for Vec<yunwei_domain::permission::TokenScope> {
    fn sample(fill: Fill, _: i64) -> Self {
        match fill {
            Fill::Full => ["*", "read", "incident:update"].iter().filter_map(|p| p.parse().ok()).collect(),
            Fill::Empty => Vec::new(),
        }
    }
}

impl Sample for yunwei_domain::admin::AdminDuty {
    fn sample(_: Fill, _: i64) -> Self {
        Self::Security
    }
}

impl Sample for f64 {
    fn sample(fill: Fill, n: i64) -> Self {
        match fill {
            Fill::Full if n % 2 == 0 => -1.5e300 - n as f64,
            Fill::Full => 0.1 + n as f64,
            Fill::Empty => 0.0,
        }
    }
}

impl Sample for Vec<yunwei_domain::cmdb::EnumValue> {
    fn sample(fill: Fill, n: i64) -> Self {
        match fill {
            Fill::Full => {
                vec![yunwei_domain::cmdb::EnumValue {
                    code: format!("c{n}"), name: "交换机 ‘全角’".into(), name_en: "Switch \"x\"".into()
                }]
            }
            Fill::Empty => Vec::new(),
        }
    }
}

impl Sample for yunwei_domain::sla::SlaRules {
    fn sample(_: Fill, _: i64) -> Self {
        Self::standard()
    }
}

impl<T: Sample> Sample for Option<T> {
    fn sample(fill: Fill, n: i64) -> Self {
        match fill {
            Fill::Full => Some(T::sample(fill, n)),
            Fill::Empty => None,
        }
    }
}
