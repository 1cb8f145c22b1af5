//! The bad-input checks every endpoint that takes a JSON body must pass:
//! malformed JSON, wrong content type, unknown fields, too-large bodies,
//! invalid UTF-8, over-long strings, SQL metacharacters and markup. Each must
//! answer a 4xx problem+json (never 5xx); accepted text must come back verbatim.

use crate::http::{Client, TestResponse};
use serde_json::Value;

pub const NASTY: [&str; 4] = ["'; DROP TABLE users; --", "<script>alert('x')</script>", "\" OR 1=1 --", "運維 ✓ ${jndi:ldap://x} {{7*7}}"];

/// A 4xx answer in problem+json with a code and a non-empty, translated title.
pub fn assert_problem(r: &TestResponse, status: u16, code: &str) {
    assert_eq!(r.status, status, "expected {status} {code}, got {}: {}", r.status, r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"), "{}", r.text());
    let body = r.json();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty() && !t.starts_with("error.")), "untranslated title: {body}");
}

fn assert_4xx_problem(r: &TestResponse, what: &str) {
    assert!((400..500).contains(&r.status), "{what}: expected 4xx, got {}: {}", r.status, r.text().chars().take(500).collect::<String>());
    assert_eq!(r.header("content-type"), Some("application/problem+json"), "{what}: {}", r.text());
    assert!(r.json()["code"].as_str().is_some_and(|c| !c.is_empty()), "{what}: no code");
}

/// `valid` must be a body the endpoint accepts; `text_fields` are its string fields
/// (top-level). `unique` makes each probe's text distinct so unique names don't collide.
pub async fn check_json_endpoint(client: &Client, method: &str, path: &str, valid: &Value, text_fields: &[&str]) {
    let ct = Some("application/json");
    let r = client.send(method, path, ct, b"{".to_vec()).await;
    assert_problem(&r, 400, "malformed_json");
    let r = client.send(method, path, Some("text/plain"), valid.to_string().into_bytes()).await;
    assert_problem(&r, 415, "unsupported_media_type");
    let r = client.send(method, path, None, valid.to_string().into_bytes()).await;
    assert_problem(&r, 415, "unsupported_media_type");
    let mut unknown = valid.clone();
    unknown["definitely_not_a_field"] = Value::from(1);
    let r = client.send(method, path, ct, unknown.to_string().into_bytes()).await;
    assert_problem(&r, 422, "invalid_body");
    let r = client.send(method, path, ct, format!("{{\"x\": \"{}\"}}", "a".repeat(1024 * 1024 + 10)).into_bytes()).await;
    assert_problem(&r, 413, "body_too_large");
    let mut invalid_utf8 = b"{\"name\": \"".to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xfd]);
    invalid_utf8.extend_from_slice(b"\"}");
    let r = client.send(method, path, ct, invalid_utf8).await;
    assert_4xx_problem(&r, "invalid utf-8");
    let r = client.send(method, path, ct, b"[1, 2, 3]".to_vec()).await;
    assert_4xx_problem(&r, "wrong JSON type");
    for field in text_fields {
        let mut long = valid.clone();
        long[*field] = Value::from("长".repeat(70_000));
        let r = client.send(method, path, ct, long.to_string().into_bytes()).await;
        assert_4xx_problem(&r, &format!("over-long {field}"));
        let mut wrong_type = valid.clone();
        wrong_type[*field] = Value::from(vec![1, 2]);
        let r = client.send(method, path, ct, wrong_type.to_string().into_bytes()).await;
        assert_4xx_problem(&r, &format!("wrong type in {field}"));
        for (i, nasty) in NASTY.iter().enumerate() {
            let mut body = valid.clone();
            let text = format!("{nasty} {i}{}", path.len());
            body[*field] = Value::from(text.clone());
            let r = client.send(method, path, ct, body.to_string().into_bytes()).await;
            if (200..300).contains(&r.status) {
                let echoed = r.json();
                assert_eq!(echoed[*field], Value::from(text), "{field} must be stored verbatim");
            } else {
                assert_4xx_problem(&r, &format!("{field} = {nasty}"));
            }
        }
    }
}
