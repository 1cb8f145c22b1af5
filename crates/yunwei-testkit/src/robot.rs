//! Stand-ins for the chat services Yunwei's robots post to (DingTalk, WeCom, Feishu, Slack),
//! which cannot be reached from here. Each checks what it is sent as its service documents
//! it — path, body shape, size, signature and timestamp, rate limit — and answers as the
//! service does, including its "200 with an error code inside". Written from the services'
//! documentation, not from Yunwei's code, so that a mistake in one is not repeated here.

use crate::webhook::{Received, Responder, WebhookSink};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DingTalk,
    WeCom,
    Feishu,
    Slack,
}

/// A robot stand-in: the service, the secret it expects (DingTalk, Feishu), its limit of
/// messages a minute, and the time it believes it is (ms), for the one-hour timestamp check.
pub struct Robot {
    pub service: Service,
    pub secret: Option<String>,
    pub per_minute: usize,
    pub now_ms: i64,
}

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn query(path: &str, key: &str) -> Option<String> {
    let q = path.split_once('?')?.1;
    let raw = q.split('&').find_map(|p| p.strip_prefix(&format!("{key}=")))?;
    percent_encoding::percent_decode_str(raw).decode_utf8().ok().map(|s| s.into_owned())
}

const HOUR_MS: i64 = 3_600_000;

impl Robot {
    /// Starts the stand-in; its URL path is what the service's robot URLs look like.
    pub async fn start(self) -> (WebhookSink, String) {
        let path = match self.service {
            Service::DingTalk => "/robot/send?access_token=test-token",
            Service::WeCom => "/cgi-bin/webhook/send?key=test-key",
            Service::Feishu => "/open-apis/bot/v2/hook/test-hook",
            Service::Slack => "/services/T000/B000/XXXX",
        };
        let responder: Responder = Box::new(move |r, before| self.answer(r, before));
        let sink = WebhookSink::answering(responder).await;
        let url = sink.url(path);
        (sink, url)
    }

    fn answer(&self, r: &Received, before: &[Received]) -> (u16, String) {
        // Messages the service took in the minute before this one. DingTalk's signed requests
        // say when they were sent; others are counted whenever they came.
        let sent_at = |x: &Received| query(&x.path, "timestamp").and_then(|t| t.parse::<i64>().ok());
        let recent = match sent_at(r) {
            Some(at) => before.iter().filter(|b| taken(self.service, b) && sent_at(b).is_some_and(|t| t > at - 60_000)).count(),
            None => before.iter().filter(|b| taken(self.service, b)).count(),
        };
        let over = recent >= self.per_minute;
        match self.check(r) {
            Err(refusal) => refusal,
            Ok(()) if over => self.too_fast(),
            Ok(()) => self.ok(),
        }
    }

    /// Whether an answer of 200 was an acceptance, not an error code inside a 200.
    fn accepted(service: Service, r: &Received) -> bool {
        let answer: Value = serde_json::from_str(&r.answer).unwrap_or(Value::Null);
        match service {
            Service::Slack => r.answer == "ok",
            Service::DingTalk | Service::WeCom => answer["errcode"] == 0,
            Service::Feishu => answer["code"] == 0,
        }
    }

    fn ok(&self) -> (u16, String) {
        match self.service {
            Service::DingTalk | Service::WeCom => (200, json!({ "errcode": 0, "errmsg": "ok" }).to_string()),
            Service::Feishu => (200, json!({ "code": 0, "data": {}, "msg": "success" }).to_string()),
            Service::Slack => (200, "ok".into()),
        }
    }

    fn too_fast(&self) -> (u16, String) {
        match self.service {
            Service::DingTalk => (200, json!({ "errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute" }).to_string()),
            Service::WeCom => (200, json!({ "errcode": 45009, "errmsg": "api freq out of limit" }).to_string()),
            Service::Feishu => (200, json!({ "code": 11232, "msg": "frequency limited" }).to_string()),
            Service::Slack => (429, "rate_limited".into()),
        }
    }

    fn refuse(&self, code: i64, message: &str) -> (u16, String) {
        match self.service {
            Service::DingTalk | Service::WeCom => (200, json!({ "errcode": code, "errmsg": message }).to_string()),
            Service::Feishu => (200, json!({ "code": code, "msg": message }).to_string()),
            Service::Slack => (400, message.to_string()),
        }
    }

    fn check(&self, r: &Received) -> Result<(), (u16, String)> {
        if r.method != "POST" || !r.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
            return Err(self.refuse(40035, "invalid method or content type"));
        }
        let body: Value = serde_json::from_str(&r.body).map_err(|_| self.refuse(40035, "invalid_payload: not JSON"))?;
        match self.service {
            Service::DingTalk => {
                if query(&r.path, "access_token").as_deref() != Some("test-token") {
                    return Err(self.refuse(300001, "token is not exist"));
                }
                if let Some(secret) = &self.secret {
                    let ts: i64 = query(&r.path, "timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
                    let sign = query(&r.path, "sign").unwrap_or_default();
                    if (ts - self.now_ms).abs() > HOUR_MS {
                        return Err(self.refuse(310000, "timestamp is not within one hour"));
                    }
                    if sign != hmac_base64(secret.as_bytes(), format!("{ts}\n{secret}").as_bytes()) {
                        return Err(self.refuse(310000, "sign not match"));
                    }
                }
                let md = &body["markdown"];
                if body["msgtype"] != "markdown" || md["title"].as_str().is_none_or(str::is_empty) || !md["text"].is_string() {
                    return Err(self.refuse(40035, "missing markdown title or text"));
                }
                if r.body.len() > 20_000 {
                    return Err(self.refuse(460101, "message too long"));
                }
            }
            Service::WeCom => {
                if query(&r.path, "key").as_deref() != Some("test-key") {
                    return Err(self.refuse(93000, "invalid webhook url"));
                }
                let content = body["markdown"]["content"].as_str();
                if body["msgtype"] != "markdown" || content.is_none_or(str::is_empty) {
                    return Err(self.refuse(40008, "invalid message type"));
                }
                if content.is_some_and(|c| c.len() > 4096) {
                    return Err(self.refuse(40058, "content exceed max length 4096"));
                }
            }
            Service::Feishu => {
                if let Some(secret) = &self.secret {
                    let ts: i64 = body["timestamp"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
                    let sign = body["sign"].as_str().unwrap_or_default();
                    if (ts * 1000 - self.now_ms).abs() > HOUR_MS || sign != hmac_base64(format!("{ts}\n{secret}").as_bytes(), b"") {
                        return Err(self.refuse(19021, "sign match fail or timestamp is not within one hour from current time"));
                    }
                }
                if body["msg_type"] != "text" || body["content"]["text"].as_str().is_none_or(str::is_empty) {
                    return Err(self.refuse(9499, "Bad Request"));
                }
            }
            Service::Slack => {
                if body["text"].as_str().is_none_or(str::is_empty) {
                    return Err(self.refuse(0, "invalid_payload"));
                }
            }
        }
        Ok(())
    }
}

/// The text a robot message shows, whatever the service: for assertions.
pub fn shown_text(service: Service, r: &Received) -> String {
    let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    match service {
        Service::DingTalk => {
            format!("{}\n{}", body["markdown"]["title"].as_str().unwrap_or_default(), body["markdown"]["text"].as_str().unwrap_or_default())
        }
        Service::WeCom => body["markdown"]["content"].as_str().unwrap_or_default().to_string(),
        Service::Feishu => body["content"]["text"].as_str().unwrap_or_default().to_string(),
        Service::Slack => body["text"].as_str().unwrap_or_default().to_string(),
    }
}

/// Whether the stand-in took this request (answered as the service does when it accepts).
pub fn taken(service: Service, r: &Received) -> bool {
    r.answered == 200 && Robot::accepted(service, r)
}
