//! Chat-group robots: the URL, body and signature each service wants, and how to read its
//! answer. DingTalk and WeCom answer `200` with an error code inside, so a 2xx alone proves
//! nothing. Sending goes through [`crate::webhook::post`] and its SSRF guard.
//!
//! - DingTalk custom robot: `sign = base64(HmacSHA256(key = secret, "<ms>\n<secret>"))`,
//!   URL-encoded into `&timestamp=<ms>&sign=…`; body `msgtype: markdown`.
//! - WeCom group robot: the key is in the URL, no signature; body `msgtype: markdown`.
//! - Feishu custom bot: `sign = base64(HmacSHA256(key = "<s>\n<secret>", ""))` with
//!   `timestamp` (seconds, as text) in the body; `msg_type: text`.
//! - Slack incoming webhook: `{ "text": … }` with `&`, `<`, `>` escaped.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use sha2::Sha256;
use yunwei_domain::webhook::{WebhookFormat, cut_to_bytes};

/// A message in words, already in the group's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub text: String,
    pub link: Option<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// One request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// Why a robot did not take a message, and whether waiting may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub retry: bool,
    pub error: String,
}

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// DingTalk's signature for `timestamp_ms` (before URL encoding).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    hmac_base64(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes())
}

/// Feishu's signature for `timestamp_s`: the key is the signed text, the message empty.
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The request for a chat robot; `None` for formats that are not robots (Yunwei, SMS).
pub fn wire(format: WebhookFormat, url: &str, secret: &str, msg: &Message, now_ms: i64) -> Option<Wire> {
    let max = format.max_text_bytes();
    let json_headers = vec![("content-type", "application/json; charset=utf-8".to_string())];
    let (url, body) = match format {
        WebhookFormat::DingTalk => {
            let mut text = format!("#### {}\n\n{}", msg.title, msg.text);
            if let Some(l) = &msg.link {
                text.push_str(&format!("\n\n[{}]({})", l.label, l.url));
            }
            let body =
                json!({ "msgtype": "markdown", "markdown": { "title": cut_to_bytes(&msg.title, 200), "text": cut_to_bytes(&text, max) } });
            let url = if secret.is_empty() {
                url.to_string()
            } else {
                let sign = utf8_percent_encode(&dingtalk_sign(secret, now_ms), NON_ALPHANUMERIC).to_string();
                let joiner = if url.contains('?') { '&' } else { '?' };
                format!("{url}{joiner}timestamp={now_ms}&sign={sign}")
            };
            (url, body)
        }
        WebhookFormat::WeCom => {
            let mut content = format!("**{}**\n{}", msg.title, msg.text);
            if let Some(l) = &msg.link {
                content.push_str(&format!("\n[{}]({})", l.label, l.url));
            }
            (url.to_string(), json!({ "msgtype": "markdown", "markdown": { "content": cut_to_bytes(&content, max) } }))
        }
        WebhookFormat::Feishu => {
            let mut text = format!("{}\n{}", msg.title, msg.text);
            if let Some(l) = &msg.link {
                text.push_str(&format!("\n{}：{}", l.label, l.url));
            }
            let mut body = json!({ "msg_type": "text", "content": { "text": cut_to_bytes(&text, max) } });
            if !secret.is_empty() {
                let seconds = now_ms.div_euclid(1000);
                body["timestamp"] = Value::from(seconds.to_string());
                body["sign"] = Value::from(feishu_sign(secret, seconds));
            }
            (url.to_string(), body)
        }
        WebhookFormat::Slack => {
            let mut text = format!("*{}*\n{}", slack_escape(&msg.title), slack_escape(&msg.text));
            if let Some(l) = &msg.link {
                text.push_str(&format!("\n<{}|{}>", l.url, slack_escape(&l.label)));
            }
            (url.to_string(), json!({ "text": cut_to_bytes(&text, max) }))
        }
        WebhookFormat::Yunwei | WebhookFormat::Sms => return None,
    };
    Some(Wire { url, headers: json_headers, body: body.to_string() })
}

/// Codes that mean "too many messages, try later": DingTalk 130101, WeCom 45009,
/// Feishu 9499 and 11232.
const RATE_LIMITED: [i64; 4] = [130_101, 45_009, 9_499, 11_232];

/// Reads a robot's answer: `Ok` only when the service says it took the message.
pub fn judge(format: WebhookFormat, status: u16, body: &str) -> Result<(), Refusal> {
    let short: String = body.chars().take(300).collect();
    if status == 429 || status == 408 || status >= 500 {
        return Err(Refusal { retry: true, error: format!("HTTP {status}: {short}") });
    }
    if !(200..300).contains(&status) {
        return Err(Refusal { retry: false, error: format!("HTTP {status}: {short}") });
    }
    let code_field: &[&str] = match format {
        WebhookFormat::DingTalk | WebhookFormat::WeCom => &["errcode"],
        WebhookFormat::Feishu => &["code", "StatusCode"],
        WebhookFormat::Slack | WebhookFormat::Yunwei | WebhookFormat::Sms => return Ok(()),
    };
    let answer: Value = serde_json::from_str(body).map_err(|_| Refusal { retry: true, error: format!("not JSON: {short}") })?;
    let Some(code) = code_field.iter().find_map(|f| answer.get(*f).and_then(Value::as_i64)) else {
        return Err(Refusal { retry: true, error: format!("no result code: {short}") });
    };
    if code == 0 {
        return Ok(());
    }
    let message = ["errmsg", "msg", "StatusMessage"].iter().find_map(|f| answer.get(*f).and_then(Value::as_str)).unwrap_or_default();
    Err(Refusal { retry: RATE_LIMITED.contains(&code), error: format!("code {code}: {message}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> Message {
        Message {
            title: "事件已指派：INC-000012 核心交换机丢包".into(),
            text: "张三 指派给 网络组 <网络>".into(),
            link: Some(Link { label: "查看".into(), url: "https://yunwei.example/incidents/INC-000012".into() }),
        }
    }

    #[test]
    fn signatures_match_the_services_reference_code() {
        // Computed independently with Python's hmac/base64 as each service documents it:
        // base64(hmac(b"SECabc", b"1700000000000\nSECabc", sha256))
        assert_eq!(dingtalk_sign("SECabc", 1_700_000_000_000), "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM=");
        // base64(hmac(b"1700000000\nfeishu-secret", b"", sha256))
        assert_eq!(feishu_sign("feishu-secret", 1_700_000_000), "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU=");
    }

    #[test]
    fn each_robot_gets_its_own_shape() {
        let d = wire(WebhookFormat::DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=t", "SECabc", &msg(), 1_700_000_000_000)
            .unwrap();
        assert_eq!(
            d.url,
            "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign=jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D"
        );
        let body: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["msgtype"], "markdown");
        assert_eq!(body["markdown"]["title"], "事件已指派：INC-000012 核心交换机丢包");
        assert!(body["markdown"]["text"].as_str().unwrap().ends_with("[查看](https://yunwei.example/incidents/INC-000012)"));

        let f = wire(WebhookFormat::Feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/x", "feishu-secret", &msg(), 1_700_000_000_999)
            .unwrap();
        let body: Value = serde_json::from_str(&f.body).unwrap();
        assert_eq!(
            (body["timestamp"].as_str(), body["sign"].as_str()),
            (Some("1700000000"), Some("OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="))
        );
        assert_eq!(body["msg_type"], "text");
        let unsigned = wire(WebhookFormat::Feishu, "https://open.feishu.cn/x", "", &msg(), 1).unwrap();
        assert!(!unsigned.body.contains("sign"), "no secret, no signature fields");

        let w = wire(WebhookFormat::WeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "", &msg(), 1).unwrap();
        assert_eq!(w.url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k");
        let body: Value = serde_json::from_str(&w.body).unwrap();
        assert!(body["markdown"]["content"].as_str().unwrap().starts_with("**事件已指派"));

        let s = wire(WebhookFormat::Slack, "https://hooks.slack.com/services/x", "", &msg(), 1).unwrap();
        let body: Value = serde_json::from_str(&s.body).unwrap();
        assert!(body["text"].as_str().unwrap().contains("&lt;网络&gt;"), "Slack's control characters are escaped");
        assert!(wire(WebhookFormat::Yunwei, "https://x", "", &msg(), 1).is_none());
    }

    #[test]
    fn wecom_text_stays_inside_its_limit() {
        let long = Message { title: "t".into(), text: "告警".repeat(3_000), link: None };
        let w = wire(WebhookFormat::WeCom, "https://q/x", "", &long, 1).unwrap();
        let body: Value = serde_json::from_str(&w.body).unwrap();
        assert!(body["markdown"]["content"].as_str().unwrap().len() <= 4_096);
    }

    #[test]
    fn a_200_with_an_error_code_is_a_failure() {
        assert_eq!(judge(WebhookFormat::DingTalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#), Ok(()));
        let too_fast = judge(WebhookFormat::DingTalk, 200, r#"{"errcode":130101,"errmsg":"send too fast"}"#).unwrap_err();
        assert!(too_fast.retry && too_fast.error.contains("130101"));
        let bad_sign = judge(WebhookFormat::DingTalk, 200, r#"{"errcode":310000,"errmsg":"sign not match"}"#).unwrap_err();
        assert!(!bad_sign.retry, "a wrong secret does not heal by waiting");
        assert!(judge(WebhookFormat::WeCom, 200, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#).unwrap_err().retry);
        assert_eq!(judge(WebhookFormat::Feishu, 200, r#"{"code":0,"msg":"success","data":{}}"#), Ok(()));
        assert_eq!(judge(WebhookFormat::Feishu, 200, r#"{"StatusCode":0,"StatusMessage":"success"}"#), Ok(()));
        assert!(!judge(WebhookFormat::Feishu, 200, r#"{"code":19021,"msg":"sign match fail"}"#).unwrap_err().retry);
        assert_eq!(judge(WebhookFormat::Slack, 200, "ok"), Ok(()));
        assert!(!judge(WebhookFormat::Slack, 400, "invalid_payload").unwrap_err().retry);
        assert!(judge(WebhookFormat::Slack, 429, "rate_limited").unwrap_err().retry);
        assert!(judge(WebhookFormat::DingTalk, 502, "bad gateway").unwrap_err().retry);
        assert!(judge(WebhookFormat::DingTalk, 200, "<html>").unwrap_err().retry);
    }
}
