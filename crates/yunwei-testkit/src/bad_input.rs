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

/// 422 validation_failed, and the errors name `field`: refused for that field's text, not by chance.
fn assert_refused_field(r: &TestResponse, field: &str, what: &str) {
    let text = || r.text().chars().take(500).collect::<String>();
    assert_eq!(r.status, 422, "{what}: expected 422, got {}: {}", r.status, text());
    let body = r.json();
    assert_eq!(body["code"], "validation_failed", "{what}: {}", text());
    let named = body["errors"].as_array().is_some_and(|errors| errors.iter().any(|e| e["field"] == field));
    assert!(named, "{what}: the errors name {field}: {}", text());
}

/// `valid` must be a body the endpoint accepts; `text_fields` are its string fields
/// (top-level). Each probe's text is distinct, so unique names don't collide. Every answer is
/// the one exact problem its fault calls for; a text field's probe is stored verbatim or
/// refused as invalid for that field (422 naming it), 409 for a name already taken, or 429
/// when the field is a password the endpoint counts guesses of.
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
    // Invalid UTF-8 where the endpoint reads text: in its first text field, else in a key.
    let invalid_utf8 = match text_fields.first() {
        Some(field) => {
            let mut body = valid.clone();
            body[*field] = Value::from("\u{1}INVALID\u{1}");
            let text = body.to_string();
            let (before, after) = text.split_once("\\u0001INVALID\\u0001").expect("the placeholder");
            [before.as_bytes(), &[0xff, 0xfe, 0xfd], after.as_bytes()].concat()
        }
        None => [b"{\"".as_slice(), &[0xff, 0xfe, 0xfd], b"\": 1}"].concat(),
    };
    let r = client.send(method, path, ct, invalid_utf8).await;
    assert_problem(&r, 400, "malformed_json");
    let r = client.send(method, path, ct, b"[1, 2, 3]".to_vec()).await;
    assert_problem(&r, 422, "invalid_body");
    for field in text_fields {
        let mut long = valid.clone();
        long[*field] = Value::from("长".repeat(70_000));
        let r = client.send(method, path, ct, long.to_string().into_bytes()).await;
        assert_refused_field(&r, field, &format!("over-long {field}"));
        let mut wrong_type = valid.clone();
        wrong_type[*field] = Value::from(vec![1, 2]);
        let r = client.send(method, path, ct, wrong_type.to_string().into_bytes()).await;
        assert_problem(&r, 422, "invalid_body");
        assert!(r.json()["detail"].as_str().is_some_and(|d| d.contains("invalid type")), "wrong type in {field}: {}", r.text());
        for (i, nasty) in NASTY.iter().enumerate() {
            let mut body = valid.clone();
            let text = format!("{nasty} {i}{}", path.len());
            body[*field] = Value::from(text.clone());
            let r = client.send(method, path, ct, body.to_string().into_bytes()).await;
            if (200..300).contains(&r.status) {
                let echoed = r.json();
                assert_eq!(echoed[*field], Value::from(text), "{field} must be stored verbatim");
            } else if r.status == 409 || r.status == 429 {
                // A name already taken; a guessed password held back after a few tries.
                let code = r.json()["code"].as_str().unwrap_or_default().to_string();
                assert!(r.status == 409 || code == "too_many_attempts", "{field} = {nasty}: {}", r.text());
                assert_problem(&r, r.status, &code);
            } else {
                // Refused only as text this field does not take (a code, a time zone, a
                // password), never as anything else.
                assert_refused_field(&r, field, &format!("{field} = {nasty}"));
            }
        }
    }
}
