//! What history records of a change, and how a CI is read back as it was. A CI's state is
//! one JSON object (its fixed fields and an `attributes` object); a change keeps only the
//! fields that changed, before and after, with `attributes` compared key by key. Reading a
//! CI as of a moment starts from its state now and undoes, newest first, every change made
//! after that moment: only the `before` side is needed.

use serde::Serialize;
use serde_json::{Map, Value};

const ATTRIBUTES: &str = "attributes";

/// The fields of `old` and `new` that differ, as (before, after); `None` when nothing did.
/// A field missing on one side reads as `null` there.
pub fn changes(old: &Map<String, Value>, new: &Map<String, Value>) -> Option<(Value, Value)> {
    let mut before = Map::new();
    let mut after = Map::new();
    let keys = old.keys().chain(new.keys().filter(|k| !old.contains_key(*k)));
    for k in keys {
        let (o, n) = (old.get(k).unwrap_or(&Value::Null), new.get(k).unwrap_or(&Value::Null));
        if o == n {
            continue;
        }
        if k == ATTRIBUTES
            && let (Some(oa), Some(na)) = (as_object(o), as_object(n))
        {
            if let Some((b, a)) = changes(&oa, &na) {
                before.insert(k.clone(), b);
                after.insert(k.clone(), a);
            }
            continue;
        }
        before.insert(k.clone(), o.clone());
        after.insert(k.clone(), n.clone());
    }
    (!before.is_empty()).then(|| (Value::Object(before), Value::Object(after)))
}

fn as_object(v: &Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m.clone()),
        Value::Null => Some(Map::new()),
        _ => None,
    }
}

/// Applies one side of a change to a state: fields replaced, attributes key by key
/// (`null` removes one).
pub fn apply(state: &mut Map<String, Value>, side: &Value) {
    let Value::Object(side) = side else { return };
    for (k, v) in side {
        if k == ATTRIBUTES
            && let Value::Object(attrs) = v
        {
            let entry = state.entry(ATTRIBUTES).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(target) = entry {
                for (ak, av) in attrs {
                    if av.is_null() {
                        target.remove(ak);
                    } else {
                        target.insert(ak.clone(), av.clone());
                    }
                }
            }
            continue;
        }
        state.insert(k.clone(), v.clone());
    }
}

/// One field that differs between two states, for a page or the API: `field` is the fixed
/// field's name or `attributes.<code>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// The fields that differ between two states, fixed fields first, then attributes, each by name.
pub fn field_changes(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<FieldChange> {
    let Some((Value::Object(b), Value::Object(a))) = changes(old, new) else { return Vec::new() };
    let mut out = Vec::new();
    let mut attrs = Vec::new();
    for (k, after) in &a {
        let before = b.get(k).cloned().unwrap_or(Value::Null);
        if k == ATTRIBUTES
            && let (Value::Object(ba), Value::Object(aa)) = (&before, after)
        {
            for (ak, av) in aa {
                attrs.push(FieldChange {
                    field: format!("{ATTRIBUTES}.{ak}"),
                    before: ba.get(ak).cloned().unwrap_or(Value::Null),
                    after: av.clone(),
                });
            }
            continue;
        }
        out.push(FieldChange { field: k.clone(), before, after: after.clone() });
    }
    out.sort_by(|x, y| x.field.cmp(&y.field));
    attrs.sort_by(|x, y| x.field.cmp(&y.field));
    out.extend(attrs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn only_changed_fields_are_kept() {
        let old = obj(json!({"name": "db01", "status": "production", "attributes": {"cpu": 8, "os": "RHEL"}}));
        let new = obj(json!({"name": "db01", "status": "maintenance", "attributes": {"cpu": 16, "os": "RHEL", "ip": "10.0.0.1"}}));
        let (b, a) = changes(&old, &new).unwrap();
        assert_eq!(b, json!({"status": "production", "attributes": {"cpu": 8, "ip": null}}));
        assert_eq!(a, json!({"status": "maintenance", "attributes": {"cpu": 16, "ip": "10.0.0.1"}}));
        assert!(changes(&old, &old).is_none());
        let fields: Vec<String> = field_changes(&old, &new).into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["status", "attributes.cpu", "attributes.ip"]);
    }

    fn state() -> impl Strategy<Value = Map<String, Value>> {
        let attrs = prop::collection::btree_map("[a-c]", prop_oneof![Just(json!(1)), Just(json!("x")), Just(json!(true))], 0..3);
        ("[ab]", prop_oneof![Just("planned"), Just("retired")], attrs).prop_map(|(name, status, attrs)| {
            obj(json!({"name": name, "status": status, "attributes": attrs.into_iter().collect::<Map<_, _>>()}))
        })
    }

    proptest! {
        /// Undoing a change (applying its `before` to the new state) gives the old state
        /// back, and applying `after` to the old state gives the new: history can be replayed
        /// both ways.
        #[test]
        fn changes_undo_and_redo(old in state(), new in state()) {
            match changes(&old, &new) {
                None => prop_assert_eq!(&old, &new),
                Some((before, after)) => {
                    let mut undone = new.clone();
                    apply(&mut undone, &before);
                    prop_assert_eq!(&undone, &old);
                    let mut redone = old.clone();
                    apply(&mut redone, &after);
                    prop_assert_eq!(&redone, &new);
                }
            }
        }
    }
}
