//! The document built from the API table: paths with their parameters, bodies and answers.

use super::op::{media, path_param_text, schema_ref, status_text};
use super::{Method, schemas, table};
use serde_json::{Value, json};

pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for o in table() {
        let mut params: Vec<Value> = o
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": if name == "id" || name == "file" { "integer" } else { "string" } }, "description": path_param_text(name) }))
            .collect();
        params.extend(
            o.query
                .iter()
                .map(|(n, t, d)| json!({ "name": n, "in": "query", "required": *n == "kind" || *n == "format" || (*n == "q" && o.path == "/api/v1/search"), "description": d, "schema": { "type": t } })),
        );
        if o.method == Method::Post {
            params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false, "description": "replays the first answer for a retried request; 1–255 characters, else 400 invalid_idempotency_key", "schema": { "type": "string", "minLength": 1, "maxLength": 255 } }));
        }
        let mut responses = serde_json::Map::new();
        let (status, schema) = o.ok;
        let mut ok = json!({ "description": status_text(status) });
        if let Some(sc) = schema {
            ok["content"] = json!({ media(sc): { "schema": schema_ref(sc) } });
        }
        responses.insert(status.to_string(), ok);
        if let Some(sc) = o.accepted {
            responses.insert("202".into(), json!({ "description": "Accepted: waits for a second person's approval (duty grant)", "content": { media(sc): { "schema": schema_ref(sc) } } }));
        }
        for (status, sc) in o.also {
            responses.insert(
                status.to_string(),
                json!({ "description": status_text(*status), "content": { media(sc): { "schema": schema_ref(sc) } } }),
            );
        }
        // Any operation: a malformed request, an unexpected error, a busy or full database.
        let mut errors: Vec<u16> = vec![400, 500, 503];
        if !o.public {
            errors.extend([401, 403]);
        }
        // A JSON body: too large, not JSON, or not the documented shape.
        if o.body.is_some() {
            errors.extend([413, 415, 422]);
        }
        // Idempotency-Key: 409 while the first request with the key is unanswered, 422 for
        // the same key with another body.
        if o.method == Method::Post {
            errors.extend([409, 422]);
        }
        // A path with a parameter names something that may not exist.
        if o.path.contains('{') {
            errors.push(404);
        }
        errors.extend(o.errors.iter().copied());
        errors.retain(|e| !o.also.iter().any(|(s, _)| s == e));
        // A paged list refuses a bad `limit` or `cursor` with 422 validation_failed.
        if o.query.iter().any(|(name, ..)| *name == "limit" || *name == "cursor") {
            errors.push(422);
        }
        errors.sort_unstable();
        errors.dedup();
        for e in errors {
            responses.insert(
                e.to_string(),
                json!({ "description": status_text(e), "content": { "application/problem+json": { "schema": schema_ref("Problem") } } }),
            );
        }
        let mut operation = json!({
            "tags": [o.tag],
            "summary": o.summary,
            "operationId": format!("{}_{}", o.method.as_str(), o.path.trim_start_matches('/').replace(['/', '-', '.'], "_").replace(['{', '}'], "")),
            "parameters": params,
            "responses": responses,
        });
        if o.public {
            operation["security"] = json!([]);
        }
        if o.file_body {
            operation["requestBody"] =
                json!({ "required": true, "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } } });
        }
        if let Some((schema, example)) = o.body {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": schema_ref(schema), "example": example() } } });
        }
        let entry = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        entry[o.method.as_str()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Yunwei API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "IT operations and service management. Authenticate with `Authorization: Bearer yw_…` (API token) or the session cookie plus `X-CSRF-Token` on writes. Lists page with `limit` and `cursor` (keyset; follow `next_cursor`). Errors are application/problem+json with a stable `code`; messages follow the user's language or Accept-Language (zh-CN, en). POST accepts `Idempotency-Key`.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "API token `yw_…`" },
                "session": { "type": "apiKey", "in": "cookie", "name": "yunwei_session" }
            }
        }
    })
}
