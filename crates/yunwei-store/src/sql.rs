//! A small builder for statements whose shape depends on the request (filters,
//! keyset paging), numbering placeholders `$1, $2…` as both engines accept.

use crate::Result;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use yunwei_domain::page::PageRequest;

#[derive(Debug, Clone)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    /// `DOUBLE PRECISION` (CMDB attribute bounds).
    Float(Option<f64>),
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        Value::Float(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(Some(v))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

pub(crate) fn bind_value(q: Query<'_>, v: Value) -> Query<'_> {
    match v {
        Value::Int(v) => q.bind(v),
        Value::Text(v) => q.bind(v),
        Value::Bytes(v) => q.bind(v),
        Value::Float(v) => q.bind(v),
    }
}

#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    binds: Vec<Value>,
    anonymous: bool,
}

/// The placeholder of the `n`th parameter (from 1) of a statement with many parameters.
/// SQLite finds `$n` by a linear search of the statement's parameter names, for each one
/// bound, so a 10,000-parameter insert costs 10⁸ steps; anonymous `?` in order costs none.
pub fn placeholder(backend: crate::Backend, n: usize) -> String {
    match backend {
        crate::Backend::Sqlite => "?".to_string(),
        crate::Backend::Postgres => format!("${n}"),
    }
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_string(), binds: Vec::new(), anonymous: false }
    }

    /// For multi-row statements: placeholders as `placeholder` numbers them.
    pub fn bulk(text: &str, backend: crate::Backend) -> Self {
        Self { text: text.to_string(), binds: Vec::new(), anonymous: backend == crate::Backend::Sqlite }
    }

    #[cfg(test)]
    pub(crate) fn binds(&self) -> &[Value] {
        &self.binds
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// For batches: the statement text, its binds kept.
    pub(crate) fn set_text(&mut self, text: String) {
        self.text = text;
    }

    /// For batches: `other`'s binds after these (its text is the caller's to join).
    pub(crate) fn extend_binds(&mut self, other: Sql) {
        self.binds.extend(other.binds);
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.binds.push(value.into());
        if self.anonymous {
            self.text.push('?');
        } else {
            self.text.push('$');
            self.text.push_str(&self.binds.len().to_string());
        }
        self
    }

    /// `v1, v2, …` bound one by one, then `)`: the list of an `IN (` the text has opened. The
    /// caller makes sure it is not empty (`IN ()` is not SQL).
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        for (n, v) in values.into_iter().enumerate() {
            if n > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }

    /// ` AND column IN (…)` over `values`; nothing at all when there are none (no filter).
    /// `column` is a trusted column name, never user input.
    pub fn and_in<V: Clone + Into<Value>>(&mut self, column: &str, values: &[V]) -> &mut Self {
        if values.is_empty() {
            return self;
        }
        self.push(&format!(" AND {column} IN ("));
        self.bind_list(values.iter().cloned())
    }

    /// `AND (key, id) > (cursor)` and the matching `ORDER BY … LIMIT`, fetching one
    /// row more than the page so the caller knows whether another page follows.
    /// `key_column` is a trusted column name, never user input.
    pub fn keyset(&mut self, page: &PageRequest, key_column: Option<&str>) -> &mut Self {
        let (cmp, dir) = if page.descending { ("<", "DESC") } else { (">", "ASC") };
        if let Some(after) = &page.after {
            match (key_column, &after.key) {
                (Some(col), Some(key)) => {
                    self.push(&format!(" AND ({col}, id) {cmp} (")).bind(key.clone()).push(", ").bind(after.id).push(")");
                }
                _ => {
                    self.push(&format!(" AND id {cmp} ")).bind(after.id);
                }
            }
        }
        match key_column {
            Some(col) => self.push(&format!(" ORDER BY {col} {dir}, id {dir} LIMIT ")),
            None => self.push(&format!(" ORDER BY id {dir} LIMIT ")),
        };
        self.bind(page.limit + 1)
    }

    fn query(&self) -> Query<'_> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for b in &self.binds {
            q = bind_value(q, b.clone());
        }
        q
    }

    pub async fn fetch_all<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(&self, ex: E) -> Result<Vec<AnyRow>> {
        Ok(self.query().fetch_all(ex).await?)
    }

    pub async fn fetch_one<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(&self, ex: E) -> Result<AnyRow> {
        Ok(self.query().fetch_one(ex).await?)
    }

    pub async fn execute<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(&self, ex: E) -> Result<u64> {
        Ok(self.query().execute(ex).await?.rows_affected())
    }

    /// As [`Sql::execute`], handing text and values over rather than copying them (batches are large).
    pub(crate) async fn execute_owned<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(self, ex: E) -> Result<u64> {
        let mut q = sqlx::query(AssertSqlSafe(self.text));
        for b in self.binds {
            q = bind_value(q, b);
        }
        Ok(q.execute(ex).await?.rows_affected())
    }
}

/// A page of rows and the cursor of the next one.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` holds up to `limit + 1` items; `key` gives each item's cursor.
    pub fn from_rows(mut rows: Vec<T>, page: &PageRequest, key: impl Fn(&T) -> yunwei_domain::page::Cursor) -> Self {
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next_cursor = if more { rows.last().map(|r| key(r).encode()) } else { None };
        Self { items: rows, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}
