//! Outbound webhooks: which events a subscription wants, and what of an event
//! may leave the building. Sending and the address checks live in yunwei-connect.

use crate::FieldError;
use crate::event::EventType;
use serde_json::{Map, Value};

/// The event `POST /api/v1/webhooks/{id}/test` sends; it is never in the outbox filter.
pub const PING: &str = "ping";

/// Payload keys that never leave: routing for notices (`recipients`, `email_to`), and
/// capability links (a survey's `path` carries its one-time token).
const PRIVATE_KEYS: [&str; 6] = ["recipients", "email_to", "path", "token", "secret", "password"];

/// Checks an event-type filter; empty means every event. Returns it sorted and deduplicated.
pub fn parse_filter(field: &str, types: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for (i, t) in types.iter().enumerate() {
        match t.parse::<EventType>() {
            Ok(e) => out.push(e.as_str().to_string()),
            Err(()) => errors.push(FieldError::new(format!("{field}[{i}]"), "unknown_event_type")),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Whether a subscription with `filter` (empty: all) receives `event_type`.
pub fn wants(filter: &[String], event_type: &str) -> bool {
    filter.is_empty() || filter.iter().any(|f| f == event_type)
}

fn is_private(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    PRIVATE_KEYS.contains(&k.as_str()) || k.ends_with("_token") || k.ends_with("_secret") || k.ends_with("_url") || k == "url"
}

/// The event payload without private keys, at any depth.
pub fn public_data(payload: &Value) -> Value {
    match payload {
        Value::Object(map) => {
            Value::Object(map.iter().filter(|(k, _)| !is_private(k)).map(|(k, v)| (k.clone(), public_data(v))).collect::<Map<_, _>>())
        }
        Value::Array(items) => Value::Array(items.iter().map(public_data).collect()),
        other => other.clone(),
    }
}

/// The JSON body receivers get: `{ id, type, occurred_at, data }` (`occurred_at` RFC 3339 text).
pub fn body(event_id: i64, event_type: &str, occurred_at: &str, object_type: &str, object_id: &str, payload: &Value) -> Value {
    let mut data = public_data(payload);
    if let Value::Object(map) = &mut data {
        map.insert("object_type".into(), Value::from(object_type));
        map.insert("object_id".into(), Value::from(object_id));
    }
    serde_json::json!({ "id": event_id, "type": event_type, "occurred_at": occurred_at, "data": data })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn survey_links_and_routing_never_leave() {
        let payload = json!({ "number": "INC-000001", "path": "/surveys/abc", "recipients": [1], "email_to": [{ "address": "a@b" }],
            "nested": { "answer_token": "x", "callback_url": "http://x", "ok": 1 } });
        let data = public_data(&payload);
        assert_eq!(data, json!({ "number": "INC-000001", "nested": { "ok": 1 } }));
    }

    #[test]
    fn filter_is_checked_and_empty_means_all() {
        assert_eq!(parse_filter("event_types", &["incident.created".into(), "incident.created".into()]).unwrap(), vec!["incident.created"]);
        let errs = parse_filter("event_types", &["nope".into()]).unwrap_err();
        assert_eq!(errs[0].field, "event_types[0]");
        assert!(wants(&[], "incident.created"));
        assert!(!wants(&["incident.commented".into()], "incident.created"));
    }
}
