//! Outbound webhooks: which events a subscription wants, and what of an event
//! may leave the building. Sending and the address checks live in yunwei-connect.

use crate::FieldError;
use crate::event::EventType;
use crate::permission::{defaults, string_enum};
use serde_json::{Map, Value};

string_enum!(
    /// What a subscription's receiver speaks: Yunwei's own signed JSON, a chat group's robot
    /// (DingTalk, WeCom, Feishu, Slack: a message in words) or an SMS gateway.
    WebhookFormat {
        Yunwei = "yunwei",
        DingTalk = "dingtalk",
        WeCom = "wecom",
        Feishu = "feishu",
        Slack = "slack",
        Sms = "sms",
    }
);
defaults!(WebhookFormat = WebhookFormat::Yunwei);

impl WebhookFormat {
    /// Receivers that want a message in words (title, text, link) rather than the event's data.
    pub fn speaks_words(self) -> bool {
        !matches!(self, Self::Yunwei)
    }

    /// The robot signs with a secret the chat service issued (typed in by the administrator,
    /// optional: a robot may be secured by keyword or address instead).
    pub fn takes_robot_secret(self) -> bool {
        matches!(self, Self::DingTalk | Self::Feishu)
    }

    /// Yunwei makes the HMAC secret, shows it once and signs `X-Yunwei-Signature` with it.
    pub fn has_generated_secret(self) -> bool {
        matches!(self, Self::Yunwei | Self::Sms)
    }

    /// Messages a minute the service accepts before it refuses (0: no limit). DingTalk and WeCom
    /// document 20 a minute; Feishu 100 a minute but 5 a second, so 20 keeps clear of both;
    /// Slack about one a second.
    pub fn default_per_minute(self) -> i64 {
        match self {
            Self::DingTalk | Self::WeCom | Self::Feishu => 20,
            Self::Slack => 60,
            Self::Yunwei | Self::Sms => 0,
        }
    }

    /// Bytes of text one message may carry; longer text is cut with an ellipsis.
    /// WeCom's markdown takes 4,096 bytes; DingTalk and Feishu refuse bodies over 20 KB.
    pub fn max_text_bytes(self) -> usize {
        match self {
            Self::WeCom => 4_000,
            Self::DingTalk | Self::Feishu => 18_000,
            Self::Slack => 35_000,
            Self::Sms => 600,
            Self::Yunwei => usize::MAX,
        }
    }
}

/// What the sender does with the messages waiting for one receiver that has a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendPlan {
    /// Send each on its own.
    Each,
    /// Merge them into one digest message.
    Digest,
    /// The budget is spent: nothing may go before this time (ms).
    WaitUntil(i64),
}

/// The window a per-minute budget counts.
pub const BUDGET_WINDOW_MS: i64 = 60_000;

/// Decides how `pending` messages go out when `sent` (send times in ms) went in the last
/// minute and the receiver takes `per_minute` (0: no limit). One slot is kept spare so that
/// a burst becomes a digest before the budget runs out, not after.
pub fn plan_send(per_minute: i64, pending: usize, sent: &[i64], now: i64) -> SendPlan {
    if per_minute <= 0 {
        return SendPlan::Each;
    }
    let recent: Vec<i64> = sent.iter().copied().filter(|t| *t > now - BUDGET_WINDOW_MS).collect();
    let room = per_minute - recent.len() as i64;
    if room <= 0 {
        let oldest = recent.iter().copied().min().unwrap_or(now);
        return SendPlan::WaitUntil(oldest + BUDGET_WINDOW_MS);
    }
    if pending <= 1 || (pending as i64) < room { SendPlan::Each } else { SendPlan::Digest }
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when cut.
pub fn cut_to_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let budget = max.saturating_sub('…'.len_utf8());
    let end = text.char_indices().map(|(i, c)| i + c.len_utf8()).take_while(|e| *e <= budget).last().unwrap_or(0);
    format!("{}…", &text[..end])
}

/// Checks the phone numbers an SMS subscription texts: digits with an optional leading `+`,
/// 5 to 20 long. Returns them trimmed and deduplicated.
pub fn parse_phones(field: &str, phones: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for (i, p) in phones.iter().enumerate() {
        let p = p.trim();
        let digits = p.strip_prefix('+').unwrap_or(p);
        if (5..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            if !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        } else {
            errors.push(FieldError::new(format!("{field}[{i}]"), "invalid_phone"));
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

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
    fn a_budget_turns_a_burst_into_digests_and_never_overspends() {
        let now = 1_000_000;
        assert_eq!(plan_send(0, 500, &[], now), SendPlan::Each, "no budget: no limit");
        assert_eq!(plan_send(20, 1, &[], now), SendPlan::Each);
        assert_eq!(plan_send(20, 19, &[], now), SendPlan::Each);
        assert_eq!(plan_send(20, 20, &[], now), SendPlan::Digest, "one slot stays spare");
        let nineteen: Vec<i64> = (0..19).map(|i| now - 1_000 * i).collect();
        assert_eq!(plan_send(20, 1, &nineteen, now), SendPlan::Each);
        assert_eq!(plan_send(20, 2, &nineteen, now), SendPlan::Digest);
        let twenty: Vec<i64> = (0..20).map(|i| now - 1_000 * i).collect();
        assert_eq!(plan_send(20, 1, &twenty, now), SendPlan::WaitUntil(now - 19_000 + BUDGET_WINDOW_MS));
        // Sends older than the window no longer count.
        let old: Vec<i64> = (0..20).map(|i| now - BUDGET_WINDOW_MS - i).collect();
        assert_eq!(plan_send(20, 3, &old, now), SendPlan::Each);
        // Simulated: 200 events arriving 20 at a time never send more than 20 messages a minute.
        let mut sent: Vec<i64> = Vec::new();
        let mut t = now;
        let mut waiting = 0usize;
        for _ in 0..10 {
            waiting += 20;
            match plan_send(20, waiting, &sent, t) {
                SendPlan::Each => sent.extend(std::iter::repeat_n(t, std::mem::take(&mut waiting))),
                SendPlan::Digest => {
                    sent.push(t);
                    waiting = 0;
                }
                SendPlan::WaitUntil(_) => {}
            }
            t += 1_000;
            assert!(sent.iter().filter(|s| **s > t - BUDGET_WINDOW_MS).count() <= 20);
        }
        assert_eq!(waiting, 0, "everything went out, merged");
    }

    #[test]
    fn text_is_cut_on_character_boundaries() {
        assert_eq!(cut_to_bytes("核心交换机", 100), "核心交换机");
        let cut = cut_to_bytes("核心交换机丢包", 10);
        assert!(cut.len() <= 10, "{cut}");
        assert_eq!(cut, "核心…");
        assert_eq!(cut_to_bytes("abcdef", 4), "a…");
    }

    #[test]
    fn phones_are_digits() {
        assert_eq!(parse_phones("phones", &[" +8613800138000".into(), "13800138000".into(), "13800138000".into()]).unwrap().len(), 2);
        let errs = parse_phones("phones", &["138-0013".into(), "12".into()]).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["phones[0]", "phones[1]"]);
        assert!(WebhookFormat::DingTalk.takes_robot_secret() && !WebhookFormat::WeCom.takes_robot_secret());
        assert_eq!("feishu".parse::<WebhookFormat>(), Ok(WebhookFormat::Feishu));
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
