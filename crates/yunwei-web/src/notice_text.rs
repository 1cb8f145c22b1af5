//! A notification in the reader's language, written from the event behind it (states by name,
//! the actor by name, no e-mail wording): the bell, the notifications page and
//! `GET /api/v1/notifications` all say the same. The e-mail keeps its template's text.

use crate::i18n::Tr;
use serde_json::Value;
use yunwei_core::notify::Notice;

fn s<'a>(p: &'a Value, k: &str) -> &'a str {
    p.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn num(p: &Value, k: &str) -> String {
    p.get(k).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_default()
}

/// A state code of the record's kind by its name in the reader's language.
fn state_name(tr: Tr, object_type: &str, code: &str) -> String {
    let key = match object_type {
        "incident" => format!("incident.state.{code}"),
        "service_request" => format!("request.state.{code}"),
        _ => String::new(),
    };
    if !code.is_empty() && tr.has(&key) { tr.t(&key) } else { code.to_string() }
}

/// What happened ("事件状态变更") and the record ("INC-000012 核心交换机丢包").
pub fn headline(tr: Tr, n: &Notice) -> String {
    let key = format!("event.{}", n.event_type);
    let what = if tr.has(&key) { tr.t(&key) } else { n.title.clone() };
    let number = s(&n.payload, "number");
    let title = s(&n.payload, "title");
    match (number.is_empty(), title.is_empty()) {
        (false, false) => tr.labelled(&what, &format!("{number} {title}")),
        (false, true) => tr.labelled(&what, number),
        _ => what,
    }
}

/// The detail in words: who did what, states by name.
pub fn detail(tr: Tr, n: &Notice) -> String {
    let p = &n.payload;
    let actor = n.actor.clone().unwrap_or_else(|| tr.t("notice_text.system"));
    let kind = n.object_type.as_deref().unwrap_or_default();
    let with = |key: &str, extra: &[(&str, String)]| {
        let mut params = vec![("actor".to_string(), actor.clone())];
        params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        tr.with(key, &params)
    };
    match n.event_type.as_str() {
        "incident.state_changed" | "service_request.state_changed" => {
            let to = if p.get("to").is_some() { s(p, "to") } else { s(p, "state") };
            with("notice_text.state_changed", &[("from", state_name(tr, kind, s(p, "from"))), ("to", state_name(tr, kind, to))])
        }
        "incident.assigned" => with("notice_text.assigned", &[]),
        "incident.commented" | "service_request.commented" => with("notice_text.commented", &[("excerpt", s(p, "excerpt").to_string())]),
        "incident.sla_warning" => with("notice_text.sla_warning", &[("percent", num(p, "percent"))]),
        "incident.sla_breached" => with("notice_text.sla_breached", &[]),
        "incident.escalated" => with("notice_text.escalated", &[("reason", s(p, "reason").to_string())]),
        "incident.paged" => with("notice_text.paged", &[("level", num(p, "level")), ("policy", s(p, "policy").to_string())]),
        "survey.answered" => with("notice_text.survey_answered", &[("score", num(p, "score"))]),
        "service_request.rejected" => with("notice_text.rejected", &[("comment", s(p, "comment").to_string())]),
        "service_request.approver_missing" => {
            with("notice_text.approver_missing", &[("step", num(p, "step")), ("step_name", s(p, "step_name").to_string())])
        }
        "account.locked" => with(
            "notice_text.account_locked",
            &[("ip", s(p, "source_ip").to_string()), ("failures", num(p, "failures")), ("minutes", num(p, "minutes"))],
        ),
        "licence.expiring" => with("notice_text.expiring", &[("date", s(p, "end_date").to_string()), ("days", num(p, "days_left"))]),
        "asset.warranty_expiring" => {
            with("notice_text.expiring", &[("date", s(p, "warranty_end").to_string()), ("days", num(p, "days_left"))])
        }
        "survey.requested" => with("notice_text.survey_requested", &[("expires_on", s(p, "expires_on").to_string())]),
        "improvement.opened" if s(p, "source") == "survey" => {
            with("notice_text.improvement_from_survey", &[("subject", s(p, "subject_ref").to_string()), ("score", num(p, "score"))])
        }
        _ if n.actor.is_some() => with("notice_text.by", &[]),
        _ => String::new(),
    }
}

/// The bell's words, for what core writes outside a request (chat robots): installed into
/// core when the router is built.
pub struct NoticeWording;

impl yunwei_core::notify::Wording for NoticeWording {
    fn notice(&self, locale: &str, notice: &Notice) -> (String, String) {
        let tr = Tr::new(locale);
        (headline(tr, notice), detail(tr, notice))
    }

    fn phrase(&self, locale: &str, key: &str, params: &[(&str, String)]) -> String {
        let params: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        Tr::new(locale).with(key, &params)
    }
}
