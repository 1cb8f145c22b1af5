//! The senders' wire formats, read into [`Incoming`] alerts: Alertmanager's webhook
//! (payload version 4) and its `POST /api/v2/alerts`, PagerDuty Events API v2 and v1, and
//! Yunwei's generic JSON. Fields a format does not define are accepted and flagged; a
//! payload that is not the format is refused with the reason (the sender sees a 400 and a
//! human can fix the configuration; a 5xx would be retried for ever).

use super::{AlertStatus, FLAG_EXTRA_FIELDS, Incoming, fingerprint};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a payload is not the format it was sent to; shown to the sender.
#[derive(Debug, Clone, PartialEq)]
pub struct WireError(pub String);

type Labels = BTreeMap<String, String>;
type Extra = BTreeMap<String, Value>;
type Parsed<T> = Result<T, WireError>;

fn err<T>(reason: impl Into<String>) -> Parsed<T> {
    Err(WireError(reason.into()))
}

fn typed<T: DeserializeOwned>(v: &Value, what: &str) -> Parsed<T> {
    T::deserialize(v).map_err(|e| WireError(format!("{what}: {e}")))
}

/// RFC 3339 to milliseconds; Go's zero time (`0001-01-01T00:00:00Z`, "no end") and empty are none.
fn time(field: &str, text: Option<&str>) -> Parsed<Option<i64>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let t: jiff::Timestamp = text.parse().map_err(|e| WireError(format!("{field}: not an RFC 3339 time ({e})")))?;
    Ok((t.as_second() > -62_000_000_000).then(|| t.as_millisecond()))
}

fn extra_names(extra: &Extra) -> Vec<String> {
    extra.keys().cloned().collect()
}

fn first_of(maps: &[&Labels], keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| maps.iter().find_map(|m| m.get(*k)).filter(|v| !v.trim().is_empty()).cloned())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmAlert {
    status: Option<String>,
    labels: Labels,
    #[serde(default)]
    annotations: Labels,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    generator_url: Option<String>,
    fingerprint: Option<String>,
    #[serde(flatten)]
    extra: Extra,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmWebhook {
    version: Option<String>,
    #[allow(dead_code)]
    group_key: Option<String>,
    #[allow(dead_code)]
    truncated_alerts: Option<u64>,
    #[allow(dead_code)]
    status: Option<String>,
    #[allow(dead_code)]
    receiver: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    group_labels: Labels,
    #[serde(default)]
    common_labels: Labels,
    #[serde(default)]
    common_annotations: Labels,
    #[serde(rename = "externalURL")]
    #[allow(dead_code)]
    external_url: Option<String>,
    alerts: Vec<Value>,
    #[serde(flatten)]
    extra: Extra,
}

fn status_word(field: &str, s: Option<&str>, ends_at: Option<i64>, now: i64) -> Parsed<AlertStatus> {
    match s {
        Some("firing") => Ok(AlertStatus::Firing),
        Some("resolved") => Ok(AlertStatus::Resolved),
        Some(other) => err(format!("{field}: \"{other}\" is neither firing nor resolved")),
        // The API's alerts say it by their end: past means resolved.
        None => Ok(if ends_at.is_some_and(|e| e <= now) { AlertStatus::Resolved } else { AlertStatus::Firing }),
    }
}

fn am_alert(i: usize, raw: &Value, common: (&Labels, &Labels), now: i64, outer_extra: &[String]) -> Parsed<Incoming> {
    let a: AmAlert = typed(raw, &format!("alerts[{i}]"))?;
    let starts_at = time(&format!("alerts[{i}].startsAt"), a.starts_at.as_deref())?;
    let ends_at = time(&format!("alerts[{i}].endsAt"), a.ends_at.as_deref())?;
    let status = status_word(&format!("alerts[{i}].status"), a.status.as_deref(), ends_at, now)?;
    let title = first_of(&[&a.annotations, common.1], &["summary", "title", "message"])
        .or_else(|| first_of(&[&a.labels, common.0], &["alertname"]))
        .unwrap_or_else(|| "alert".into());
    let description = first_of(&[&a.annotations, common.1], &["description", "message"]).unwrap_or_default();
    let mut extra_fields: Vec<String> = outer_extra.to_vec();
    extra_fields.extend(extra_names(&a.extra).into_iter().map(|n| format!("alerts[].{n}")));
    Ok(Incoming {
        dedup_key: a.fingerprint.filter(|f| !f.trim().is_empty()).unwrap_or_else(|| fingerprint(&a.labels)),
        status,
        source_severity: a.labels.get("severity").cloned(),
        title,
        description,
        labels: a.labels,
        annotations: a.annotations,
        starts_at,
        ends_at,
        link: a.generator_url.filter(|u| !u.is_empty()),
        extra_fields,
        raw: raw.clone(),
    })
}

fn json(body: &[u8]) -> Parsed<Value> {
    serde_json::from_slice(body).map_err(|e| WireError(format!("not JSON: {e}")))
}

/// Alertmanager's webhook receiver, payload version 4. Every POST holds the whole group.
pub fn alertmanager_webhook(body: &[u8], now: i64) -> Parsed<Vec<Incoming>> {
    let v = json(body)?;
    let w: AmWebhook = typed(&v, "payload")?;
    let mut outer = extra_names(&w.extra);
    if w.version.as_deref().is_some_and(|v| v != "4") {
        outer.push("version".into());
    }
    w.alerts.iter().enumerate().map(|(i, a)| am_alert(i, a, (&w.common_labels, &w.common_annotations), now, &outer)).collect()
}

/// Alertmanager's own `POST /api/v2/alerts` (what Prometheus and vmalert send): a list of
/// alerts without status, resolved when `endsAt` is past.
pub fn alertmanager_api(body: &[u8], now: i64) -> Parsed<Vec<Incoming>> {
    let v = json(body)?;
    let Value::Array(items) = &v else { return err("payload: expected a JSON array of alerts") };
    let none = Labels::new();
    items
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut x = am_alert(i, a, (&none, &none), now, &[])?;
            // Its fingerprint is always computed: the API has no such field.
            x.dedup_key = fingerprint(&x.labels);
            Ok(x)
        })
        .collect()
}

/// A PagerDuty event: its routing key, its alert, and the key to answer with.
#[derive(Debug)]
pub struct PagerDutyEvent {
    pub routing_key: Option<String>,
    pub acknowledge: bool,
    pub alert: Incoming,
}

#[derive(Deserialize)]
struct PdV2Payload {
    summary: Option<String>,
    source: Option<String>,
    severity: Option<String>,
    timestamp: Option<String>,
    component: Option<String>,
    group: Option<String>,
    class: Option<String>,
    #[serde(default)]
    custom_details: Option<Value>,
    #[serde(flatten)]
    extra: Extra,
}

#[derive(Deserialize)]
struct PdV2 {
    routing_key: Option<String>,
    event_action: Option<String>,
    dedup_key: Option<String>,
    payload: Option<PdV2Payload>,
    #[allow(dead_code)]
    images: Option<Value>,
    links: Option<Vec<Value>>,
    client: Option<String>,
    client_url: Option<String>,
    #[serde(flatten)]
    extra: Extra,
}

fn action(field: &str, a: Option<&str>) -> Parsed<(AlertStatus, bool)> {
    match a {
        Some("trigger") => Ok((AlertStatus::Firing, false)),
        Some("acknowledge") => Ok((AlertStatus::Firing, true)),
        Some("resolve") => Ok((AlertStatus::Resolved, false)),
        Some(other) => err(format!("{field}: \"{other}\" is not trigger, acknowledge or resolve")),
        None => err(format!("{field} is required")),
    }
}

fn details_text(v: &Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// PagerDuty Events API v2 (`/v2/enqueue`).
pub fn pagerduty_v2(body: &[u8], now: i64) -> Parsed<PagerDutyEvent> {
    let v = json(body)?;
    let e: PdV2 = typed(&v, "event")?;
    let (status, acknowledge) = action("event_action", e.event_action.as_deref())?;
    let dedup = e.dedup_key.filter(|k| !k.trim().is_empty());
    let mut extra_fields = extra_names(&e.extra);
    let mut labels = Labels::new();
    let (title, severity, description, starts_at) = match (&e.payload, status, acknowledge) {
        (Some(p), AlertStatus::Firing, false) => {
            let Some(summary) = p.summary.clone().filter(|s| !s.trim().is_empty()) else { return err("payload.summary is required") };
            let Some(source) = p.source.clone().filter(|s| !s.trim().is_empty()) else { return err("payload.source is required") };
            labels.insert("source".into(), source);
            for (k, val) in [("component", &p.component), ("group", &p.group), ("class", &p.class)] {
                if let Some(val) = val {
                    labels.insert(k.into(), val.clone());
                }
            }
            extra_fields.extend(extra_names(&p.extra).into_iter().map(|n| format!("payload.{n}")));
            (summary, p.severity.clone(), details_text(&p.custom_details), time("payload.timestamp", p.timestamp.as_deref())?)
        }
        (None, AlertStatus::Firing, false) => return err("payload is required to trigger"),
        _ => (String::new(), None, String::new(), None),
    };
    let dedup_key = match dedup {
        Some(k) => k,
        None if status == AlertStatus::Firing && !acknowledge => fingerprint(&with_title(&labels, &title)),
        None => return err("dedup_key is required to acknowledge or resolve"),
    };
    let link = e.client_url.clone().or_else(|| e.links.as_ref().and_then(|l| l.first()).and_then(|l| l["href"].as_str().map(String::from)));
    if let Some(c) = &e.client {
        labels.insert("client".into(), c.clone());
    }
    Ok(PagerDutyEvent {
        routing_key: e.routing_key,
        acknowledge,
        alert: Incoming {
            dedup_key,
            status,
            source_severity: severity,
            title,
            description,
            labels,
            annotations: Labels::new(),
            starts_at: starts_at.or(Some(now).filter(|_| status == AlertStatus::Firing && !acknowledge)),
            ends_at: None,
            link,
            extra_fields,
            raw: v,
        },
    })
}

fn with_title(labels: &Labels, title: &str) -> Labels {
    let mut l = labels.clone();
    l.insert("title".into(), title.into());
    l
}

#[derive(Deserialize)]
struct PdV1 {
    service_key: Option<String>,
    event_type: Option<String>,
    incident_key: Option<String>,
    description: Option<String>,
    details: Option<Value>,
    client: Option<String>,
    client_url: Option<String>,
    #[serde(flatten)]
    extra: Extra,
}

/// PagerDuty's older generic events API (`/generic/2010-04-15/create_event.json`).
pub fn pagerduty_v1(body: &[u8], now: i64) -> Parsed<PagerDutyEvent> {
    let v = json(body)?;
    let e: PdV1 = typed(&v, "event")?;
    let (status, acknowledge) = action("event_type", e.event_type.as_deref())?;
    let title = e.description.clone().unwrap_or_default();
    let triggers = status == AlertStatus::Firing && !acknowledge;
    if triggers && title.trim().is_empty() {
        return err("description is required to trigger");
    }
    let mut labels = Labels::new();
    if let Some(c) = &e.client {
        labels.insert("client".into(), c.clone());
    }
    let dedup_key = match e.incident_key.filter(|k| !k.trim().is_empty()) {
        Some(k) => k,
        None if triggers => fingerprint(&with_title(&labels, &title)),
        None => return err("incident_key is required to acknowledge or resolve"),
    };
    let severity = e.details.as_ref().and_then(|d| d["severity"].as_str()).map(String::from);
    Ok(PagerDutyEvent {
        routing_key: e.service_key,
        acknowledge,
        alert: Incoming {
            dedup_key,
            status,
            source_severity: severity,
            title,
            description: details_text(&e.details),
            labels,
            annotations: Labels::new(),
            starts_at: Some(now).filter(|_| triggers),
            ends_at: None,
            link: e.client_url,
            extra_fields: extra_names(&e.extra),
            raw: v,
        },
    })
}

#[derive(Deserialize)]
struct Generic {
    source: Option<String>,
    dedup_key: Option<String>,
    status: Option<String>,
    severity: Option<String>,
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    labels: Labels,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(default)]
    links: Vec<String>,
    #[serde(flatten)]
    extra: Extra,
}

/// Yunwei's generic JSON: one alert, a list, or `{"alerts": [...]}` (API guide).
pub fn generic(body: &[u8], now: i64) -> Parsed<Vec<Incoming>> {
    let v = json(body)?;
    let items: Vec<&Value> = match &v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("alerts") {
            Some(Value::Array(a)) => a.iter().collect(),
            _ => vec![&v],
        },
        _ => return err("payload: expected an alert object or a list of them"),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let g: Generic = typed(raw, &format!("alerts[{i}]"))?;
            let Some(title) = g.title.filter(|t| !t.trim().is_empty()) else { return err(format!("alerts[{i}].title is required")) };
            let ends_at = time(&format!("alerts[{i}].ends_at"), g.ends_at.as_deref())?;
            let status = status_word(&format!("alerts[{i}].status"), g.status.as_deref(), ends_at, now)?;
            let mut labels = g.labels;
            if let Some(s) = g.source {
                labels.entry("source".into()).or_insert(s);
            }
            Ok(Incoming {
                dedup_key: g.dedup_key.filter(|k| !k.trim().is_empty()).unwrap_or_else(|| fingerprint(&with_title(&labels, &title))),
                status,
                source_severity: g.severity,
                title,
                description: g.description.unwrap_or_default(),
                labels,
                annotations: Labels::new(),
                starts_at: time(&format!("alerts[{i}].starts_at"), g.starts_at.as_deref())?,
                ends_at,
                link: g.links.into_iter().next(),
                extra_fields: extra_names(&g.extra),
                raw: raw.clone(),
            })
        })
        .collect()
}

/// The flags an incoming alert carries before severity mapping.
pub fn flags_of(a: &Incoming) -> Vec<&'static str> {
    if a.extra_fields.is_empty() { Vec::new() } else { vec![FLAG_EXTRA_FIELDS] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;

    fn am_payload() -> Value {
        json!({
            "version": "4", "groupKey": "{}:{alertname=\"HostDown\"}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "yunwei", "groupLabels": {"alertname": "HostDown"}, "commonLabels": {"alertname": "HostDown"},
            "commonAnnotations": {"summary": "主机宕机"}, "externalURL": "http://am:9093",
            "alerts": [{
                "status": "firing", "labels": {"alertname": "HostDown", "instance": "10.1.2.3:9100", "severity": "critical"},
                "annotations": {"description": "10.1.2.3 无响应"}, "startsAt": "2026-12-07T08:00:00.123Z",
                "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom:9090/graph", "fingerprint": "1a2b3c4d5e6f7a8b"
            }]
        })
    }

    #[test]
    fn alertmanager_webhook_v4_reads_every_field() {
        let a = alertmanager_webhook(am_payload().to_string().as_bytes(), NOW).unwrap();
        assert_eq!(a.len(), 1);
        let a = &a[0];
        assert_eq!(
            (a.dedup_key.as_str(), a.status, a.source_severity.as_deref()),
            ("1a2b3c4d5e6f7a8b", AlertStatus::Firing, Some("critical"))
        );
        assert_eq!((a.title.as_str(), a.description.as_str()), ("主机宕机", "10.1.2.3 无响应"));
        assert_eq!(a.starts_at, Some(1_796_630_400_123));
        assert_eq!(a.ends_at, None, "Go's zero time is no end");
        assert!(a.extra_fields.is_empty());
    }

    #[test]
    fn unknown_fields_are_flagged_and_malformed_payloads_say_why() {
        let mut p = am_payload();
        p["newField"] = json!(1);
        p["alerts"][0]["silencedBy"] = json!([]);
        let a = alertmanager_webhook(p.to_string().as_bytes(), NOW).unwrap();
        assert_eq!(a[0].extra_fields, vec!["newField".to_string(), "alerts[].silencedBy".to_string()]);
        let mut bad = am_payload();
        bad["alerts"][0]["startsAt"] = json!("yesterday");
        assert!(alertmanager_webhook(bad.to_string().as_bytes(), NOW).unwrap_err().0.contains("alerts[0].startsAt"));
        assert!(alertmanager_webhook(b"{", NOW).unwrap_err().0.starts_with("not JSON"));
        assert!(alertmanager_webhook(b"{\"version\":\"4\"}", NOW).unwrap_err().0.contains("alerts"));
    }

    #[test]
    fn the_api_computes_fingerprints_and_resolves_by_end() {
        let body = json!([{ "labels": {"alertname": "DiskFull"}, "endsAt": "2020-01-01T00:00:00Z" }]).to_string();
        let a = alertmanager_api(body.as_bytes(), NOW).unwrap();
        assert_eq!(a[0].status, AlertStatus::Resolved);
        assert_eq!(a[0].dedup_key, fingerprint(&a[0].labels));
        assert!(alertmanager_api(b"{}", NOW).is_err());
    }

    #[test]
    fn pagerduty_events() {
        let body = json!({"routing_key": "k", "event_action": "trigger", "payload": {"summary": "核心库 CPU 95%", "source": "db01", "severity": "error"}});
        let e = pagerduty_v2(body.to_string().as_bytes(), NOW).unwrap();
        assert_eq!((e.routing_key.as_deref(), e.alert.status, e.acknowledge), (Some("k"), AlertStatus::Firing, false));
        let again = pagerduty_v2(body.to_string().as_bytes(), NOW).unwrap();
        assert_eq!(e.alert.dedup_key, again.alert.dedup_key, "no dedup_key: the same event gets the same key");
        let resolve = json!({"routing_key": "k", "event_action": "resolve"});
        assert!(pagerduty_v2(resolve.to_string().as_bytes(), NOW).unwrap_err().0.contains("dedup_key"));
        let v1 = json!({"service_key": "k", "event_type": "acknowledge", "incident_key": "z-1"});
        let e = pagerduty_v1(v1.to_string().as_bytes(), NOW).unwrap();
        assert!(e.acknowledge);
        assert_eq!(e.alert.dedup_key, "z-1");
    }

    #[test]
    fn generic_takes_one_or_many() {
        let one = json!({"title": "批量交易量低", "severity": "P2", "labels": {"ci": "核心系统"}});
        assert_eq!(generic(one.to_string().as_bytes(), NOW).unwrap().len(), 1);
        let many = json!({"alerts": [{"title": "a", "dedup_key": "x"}, {"title": "b", "status": "resolved"}]});
        let a = generic(many.to_string().as_bytes(), NOW).unwrap();
        assert_eq!((a[0].dedup_key.as_str(), a[1].status), ("x", AlertStatus::Resolved));
        assert!(generic(b"[{\"severity\":\"x\"}]", NOW).unwrap_err().0.contains("title"));
    }
}
