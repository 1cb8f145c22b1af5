//! Discovery reconciliation (CMDB-5; ADR 0020): which writer holds each field of a CI, and
//! whether a discovery source may overwrite it.
//!
//! A field (`name`, `description` or `attributes.<code>`) is held by whoever wrote it last:
//! a person (a page, the API, an import, a change) or a discovery source. A source writes a
//! field that nobody holds, that it holds itself, or that a source of no higher precedence
//! for that field holds. A value a person set is never overwritten by a scanner. Anything
//! else is drift: the source reports a value that differs from the one kept.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The fields a scanner may report besides attributes.
pub const FIXED_FIELDS: [&str; 2] = ["name", "description"];

/// Who wrote a field last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "source_id")]
pub enum Holder {
    Person,
    Source(i64),
}

/// A source's precedence: a default, and per field (`name`, `description` or an attribute
/// code) where it differs. Higher wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precedence {
    pub default: i64,
    #[serde(default)]
    pub fields: BTreeMap<String, i64>,
}

impl Precedence {
    /// The precedence for a field key (`attributes.<code>` reads the attribute's code).
    pub fn of(&self, field: &str) -> i64 {
        let code = field.strip_prefix("attributes.").unwrap_or(field);
        self.fields.get(code).copied().unwrap_or(self.default)
    }
}

/// What reconciliation does with one reported field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The CI already has this value.
    Same,
    /// The source may write it.
    Write,
    /// Kept as it is; the difference is drift held by this writer.
    Drift(Holder),
}

/// Decides for one field. `rank` gives a source's precedence for the field.
pub fn decide(
    source: i64,
    field: &str,
    reported: &Value,
    current: &Value,
    holder: Option<Holder>,
    rank: impl Fn(i64, &str) -> i64,
) -> Decision {
    if reported == current {
        return Decision::Same;
    }
    match holder {
        None => Decision::Write,
        Some(Holder::Source(s)) if s == source || rank(s, field) <= rank(source, field) => Decision::Write,
        Some(h) => Decision::Drift(h),
    }
}

/// The holder of every field from a CI's history, oldest row first: each row's `after` side
/// names the fields it wrote (attributes key by key).
pub fn holders<'a>(rows: impl IntoIterator<Item = (Holder, &'a Value)>) -> BTreeMap<String, Holder> {
    let mut out = BTreeMap::new();
    for (who, after) in rows {
        for key in field_keys(after) {
            out.insert(key, who);
        }
    }
    out
}

/// The field keys a history side names: fixed fields by name, attributes as `attributes.<code>`.
pub fn field_keys(side: &Value) -> Vec<String> {
    let Value::Object(m) = side else { return Vec::new() };
    let mut keys = Vec::new();
    for (k, v) in m {
        match (k.as_str(), v) {
            ("attributes", Value::Object(attrs)) => keys.extend(attrs.keys().map(|a| format!("attributes.{a}"))),
            _ => keys.push(k.clone()),
        }
    }
    keys
}

/// A field's value in a CI state (`attributes.<code>` reads inside the attributes).
pub fn value_of<'a>(state: &'a Map<String, Value>, field: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    match field.strip_prefix("attributes.") {
        Some(code) => state.get("attributes").and_then(|a| a.get(code)).unwrap_or(&NULL),
        None => state.get(field).unwrap_or(&NULL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rank(s: i64, field: &str) -> i64 {
        match (s, field) {
            (1, "attributes.os") => 90,
            (1, _) => 50,
            (2, _) => 70,
            _ => 0,
        }
    }

    #[test]
    fn a_source_writes_what_nobody_holds_and_what_it_holds_itself() {
        assert_eq!(decide(1, "name", &json!("a"), &Value::Null, None, rank), Decision::Write);
        assert_eq!(decide(1, "name", &json!("a"), &json!("b"), Some(Holder::Source(1)), rank), Decision::Write);
        assert_eq!(decide(1, "name", &json!("a"), &json!("a"), Some(Holder::Person), rank), Decision::Same);
    }

    #[test]
    fn a_lower_source_or_any_source_against_a_person_is_drift() {
        assert_eq!(decide(1, "name", &json!("a"), &json!("b"), Some(Holder::Source(2)), rank), Decision::Drift(Holder::Source(2)));
        assert_eq!(decide(2, "name", &json!("a"), &json!("b"), Some(Holder::Source(1)), rank), Decision::Write);
        assert_eq!(decide(2, "name", &json!("a"), &json!("b"), Some(Holder::Person), rank), Decision::Drift(Holder::Person));
    }

    #[test]
    fn precedence_is_per_attribute() {
        // Source 1 is below source 2 by default but above it for the operating system.
        assert_eq!(decide(1, "attributes.os", &json!("x"), &json!("y"), Some(Holder::Source(2)), rank), Decision::Write);
        assert_eq!(decide(2, "attributes.os", &json!("x"), &json!("y"), Some(Holder::Source(1)), rank), Decision::Drift(Holder::Source(1)));
        let p = Precedence { default: 50, fields: BTreeMap::from([("os".to_string(), 90)]) };
        assert_eq!((p.of("attributes.os"), p.of("name")), (90, 50));
    }

    #[test]
    fn the_last_writer_holds_each_field() {
        let create = json!({"name": "a", "attributes": {"os": "x", "cpu": 4}});
        let edit = json!({"attributes": {"os": "y"}});
        let h = holders([(Holder::Source(1), &create), (Holder::Person, &edit)]);
        assert_eq!(h.get("attributes.os"), Some(&Holder::Person));
        assert_eq!(h.get("attributes.cpu"), Some(&Holder::Source(1)));
        assert_eq!(h.get("name"), Some(&Holder::Source(1)));
        let state = create.as_object().cloned().unwrap_or_default();
        assert_eq!(value_of(&state, "attributes.cpu"), &json!(4));
        assert_eq!(value_of(&state, "description"), &Value::Null);
    }
}
