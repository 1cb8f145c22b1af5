//! The API table: every `/api` operation's handler together with its OpenAPI 3.1
//! description (ADR 0015). The router is built from this table and so is the document, so a
//! route cannot exist undocumented and a documented operation cannot lack its route. The
//! document is written as plain JSON, not derived with macros, to stay small to compile
//! (ADR 0002).
//!
//! `op.rs` holds the vocabulary of a row, `build.rs` turns the rows into the document, and
//! one file per area lists its rows and schemas.

mod account;
mod admin;
mod alert;
mod asset;
mod asset_licence;
mod build;
mod change;
mod cmdb;
mod cmdb_discovery;
mod cmdb_impact;
mod cmdb_import;
mod duty;
mod duty_grant;
mod escalation;
mod frag;
mod knowledge;
mod major;
mod op;
mod problem;
mod request;
mod satisfaction;
mod schemas;
mod service_desk;
mod sla;
mod webhook;

pub use build::build;
pub use op::{Method, Op};

use op::{PAGE_Q, obj, schema_ref};
// The first spelling of a row (`e(q(with_body(op(…))))`), kept while branches written with it
// merge; new rows use the builder in `frag.rs`.
#[allow(unused_imports)]
use op::{e, op, q, with_body};

use axum::Json;
use serde_json::Value;
use yunwei_domain::ticket::{CHANGE, INCIDENT, PROBLEM, SERVICE_REQUEST};

/// Every operation of the API, in the document's order.
pub fn table() -> Vec<Op> {
    let mut all = account::ops();
    all.extend(admin::ops());
    all.extend(service_desk::ops());
    all.extend(op::attachment_ops(
        &INCIDENT,
        "/api/v1/incidents/{number}/attachments",
        "/api/v1/incidents/{number}/attachments/{file}",
        "incidents",
    ));
    all.extend(op::watcher_ops(&INCIDENT, "/api/v1/incidents/{number}/watchers", "incidents"));
    all.extend(sla::ops());
    all.extend(major::ops());
    all.extend(duty_grant::ops());
    all.extend(request::ops());
    all.extend(op::attachment_ops(
        &SERVICE_REQUEST,
        "/api/v1/service-requests/{number}/attachments",
        "/api/v1/service-requests/{number}/attachments/{file}",
        "service-requests",
    ));
    all.extend(op::watcher_ops(&SERVICE_REQUEST, "/api/v1/service-requests/{number}/watchers", "service-requests"));
    all.extend(satisfaction::ops());
    all.extend(webhook::ops());
    all.extend(cmdb::ops());
    all.extend(cmdb_impact::ops());
    all.extend(cmdb_import::ops());
    all.extend(cmdb_discovery::ops());
    all.extend(alert::ops());
    all.extend(asset::ops());
    all.extend(asset_licence::ops());
    all.extend(change::ops());
    all.extend(op::attachment_ops(
        &CHANGE,
        "/api/v1/changes/{number}/attachments",
        "/api/v1/changes/{number}/attachments/{file}",
        "changes",
    ));
    all.extend(op::watcher_ops(&CHANGE, "/api/v1/changes/{number}/watchers", "changes"));
    all.extend(duty::ops());
    all.extend(problem::ops());
    all.extend(op::attachment_ops(
        &PROBLEM,
        "/api/v1/problems/{number}/attachments",
        "/api/v1/problems/{number}/attachments/{file}",
        "problems",
    ));
    all.extend(op::watcher_ops(&PROBLEM, "/api/v1/problems/{number}/watchers", "problems"));
    all.extend(knowledge::ops());
    all.extend(escalation::ops());
    all
}

fn schemas() -> Value {
    let mut all = schemas::foundation();
    for more in [
        service_desk::schemas(),
        major::schemas(),
        request::schemas(),
        satisfaction::schemas(),
        webhook::schemas(),
        duty_grant::schemas(),
        cmdb::schemas(),
        cmdb_impact::schemas(),
        cmdb_import::schemas(),
        cmdb_discovery::schemas(),
        alert::schemas(),
        asset::schemas(),
        asset_licence::schemas(),
        change::schemas(),
        duty::schemas(),
        problem::schemas(),
        knowledge::schemas(),
        escalation::schemas(),
    ] {
        if let (Some(a), Value::Object(b)) = (all.as_object_mut(), more) {
            a.extend(b);
        }
    }
    all
}

/// `GET /api/openapi.json`: the document, built once.
pub async fn document() -> Json<Value> {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(build).clone())
}

/// (method, path) of every operation, method in lower case as in the document.
pub fn operations() -> Vec<(String, String)> {
    table().iter().map(|o| (o.method.as_str().to_string(), o.path.to_string())).collect()
}

/// (METHOD, path) of the operations that need no sign-in (sign-in itself, survey links…).
pub fn public_operations() -> Vec<(String, String)> {
    table().iter().filter(|o| o.public).map(|o| (o.method.as_str().to_uppercase(), o.path.to_string())).collect()
}

#[cfg(test)]
mod tests {
    /// Each (method, path) is in the table once, and the router built from the table starts
    /// (axum refuses a method registered twice on one path, or a path twice).
    #[test]
    fn the_table_names_each_operation_once_and_the_router_builds() {
        let ops = super::operations();
        let mut unique = ops.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ops.len(), "an operation is in the table twice");
        let _router = crate::api::router();
    }
}
