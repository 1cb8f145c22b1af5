//! CMDB set-up the API tests share: a class by code, a CI made through the API, a relation
//! between two CIs. Each checks the answer, so a broken set-up fails where it happens.

use crate::Client;
use serde_json::{Value, json};

/// The id of the CI class `code` (a built-in or one the test made).
pub async fn class_id(c: &Client, code: &str) -> i64 {
    let r = c.get("/api/v1/cmdb/classes").await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"].as_array().expect("classes").iter().find(|k| k["code"] == code).unwrap_or_else(|| panic!("class {code}"))["id"]
        .as_i64()
        .expect("class id")
}

/// Makes a CI (`201`) and answers its JSON.
pub async fn create_ci(c: &Client, body: Value) -> Value {
    let r = c.post("/api/v1/cmdb/cis", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// Makes a CI (`201`) and answers its id.
pub async fn ci(c: &Client, body: Value) -> i64 {
    create_ci(c, body).await["id"].as_i64().expect("CI id")
}

/// Relates `from` to `to` with the relation type `ty` (`201`).
pub async fn relate(c: &Client, ty: &str, from: i64, to: i64) {
    let r = c.post("/api/v1/cmdb/relations", &json!({ "type_code": ty, "from_ci_id": from, "to_ci_id": to })).await;
    assert_eq!(r.status, 201, "{}", r.text());
}
