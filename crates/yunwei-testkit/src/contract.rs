//! The API's contract in tests: every JSON answer a test client receives is checked
//! against the OpenAPI document (ADR 0015). The operation is found by method and path
//! template, the answer's status must be one the operation documents, and a JSON body must
//! match the documented schema for that status — with no undocumented fields, since a
//! document that lags behind the code is what this is for.
//!
//! Compiled with the `contract` feature (the test build); without it [`check`] accepts
//! everything, so `yunwei bench` carries no schema validator.

/// Checks one answer; `Err` says what the document gets wrong (or the code does).
#[cfg(not(feature = "contract"))]
pub fn check(_method: &str, _path: &str, _status: u16, _content_type: Option<&str>, _body: &[u8]) -> Result<(), String> {
    Ok(())
}

#[cfg(feature = "contract")]
pub use checked::check;

/// Fails the test with what [`check`] found; with `YUNWEI_CONTRACT_LOG=<file>` it appends
/// there instead and lets the test go on, to list every mismatch of a whole run at once.
pub fn broken(what: String) {
    match std::env::var_os("YUNWEI_CONTRACT_LOG") {
        Some(file) => {
            use std::io::Write;
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&file)
                .and_then(|mut f| writeln!(f, "{}\n---", what.replace('\n', "\n  ")));
            if let Err(e) = appended {
                panic!("{what}\n(and writing it to YUNWEI_CONTRACT_LOG failed: {e})");
            }
        }
        None => panic!("{what}"),
    }
}

#[cfg(feature = "contract")]
mod checked {
    use serde_json::Value;
    use std::collections::HashMap;
    use std::sync::LazyLock;

    const BASE: &str = "file:///yunwei/openapi.json";

    struct Operation {
        method: String,
        segments: Vec<String>,
        /// status → the JSON schema of its body (None: no JSON body documented).
        responses: HashMap<u16, Option<Value>>,
    }

    struct Contract {
        operations: Vec<Operation>,
        schemas: boon::Schemas,
        /// `$ref` name → compiled schema.
        compiled: HashMap<String, boon::SchemaIndex>,
    }

    static CONTRACT: LazyLock<Result<Contract, String>> = LazyLock::new(load);

    /// Closes every documented object to undocumented fields (the published document leaves
    /// them open so that adding a field is not a breaking change for clients).
    fn close_objects(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(close_objects);
            }
            Value::Array(items) => items.iter_mut().for_each(close_objects),
            _ => {}
        }
    }

    fn json_schema(response: &Value) -> Option<Value> {
        let content = response.get("content")?.as_object()?;
        content.iter().find(|(media, _)| media.ends_with("json")).map(|(_, c)| c["schema"].clone())
    }

    fn load() -> Result<Contract, String> {
        let doc = yunwei_web::openapi::build();
        let mut components = doc["components"]["schemas"].clone();
        close_objects(&mut components);
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        compiler
            .add_resource(BASE, serde_json::json!({ "components": { "schemas": components } }))
            .map_err(|e| format!("the document's schemas: {e}"))?;
        let mut schemas = boon::Schemas::new();
        let mut compiled = HashMap::new();
        for name in components.as_object().into_iter().flat_map(|m| m.keys()) {
            let idx = compiler
                .compile(&format!("{BASE}#/components/schemas/{name}"), &mut schemas)
                .map_err(|e| format!("schema {name}: {e:#}"))?;
            compiled.insert(name.clone(), idx);
        }
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let responses = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(status, r)| Some((status.parse::<u16>().ok()?, json_schema(r))))
                    .collect();
                operations.push(Operation {
                    method: method.to_uppercase(),
                    segments: path.split('/').map(str::to_string).collect(),
                    responses,
                });
            }
        }
        Ok(Contract { operations, schemas, compiled })
    }

    /// The operation answering `method path`. As in the router, the path is matched first (a
    /// literal segment beats a parameter), then the method. `Err(())`: no documented path
    /// matches at all; `Ok(None)`: the path is documented, the method is not (405).
    fn find<'a>(operations: &'a [Operation], method: &str, path: &str) -> Result<Option<&'a Operation>, ()> {
        let segments: Vec<&str> = path.split('/').collect();
        let matches = |o: &&Operation| {
            o.segments.len() == segments.len() && o.segments.iter().zip(&segments).all(|(t, s)| t.starts_with('{') || t == s)
        };
        let literals = |o: &Operation| o.segments.iter().filter(|t| !t.starts_with('{')).count();
        let best = operations.iter().filter(matches).max_by_key(|o| literals(o)).ok_or(())?;
        Ok(operations.iter().filter(matches).find(|o| o.method == method && o.segments == best.segments))
    }

    pub fn check(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
        let contract = CONTRACT.as_ref().map_err(Clone::clone)?;
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let op = match find(&contract.operations, &method.to_uppercase(), path) {
            Ok(Some(op)) => op,
            // A documented path, another method: the router's 405.
            Ok(None) => return Ok(()),
            // Under /api/ only the router's 404 may answer a path the document does not have:
            // anything else is a route registered beside the API table.
            Err(()) if path.starts_with("/api/") && status != 404 => {
                return Err(format!("{method} {path} answered {status}, but the document has no such path"));
            }
            // Pages, integrations, and paths the router does not serve.
            Err(()) => return Ok(()),
        };
        let Some(documented) = op.responses.get(&status) else {
            let shown: String = String::from_utf8_lossy(body).chars().take(300).collect();
            return Err(format!("{method} {path} answered {status}, which the document does not list for it: {shown}"));
        };
        let is_json = content_type.is_some_and(|ct| ct.split(';').next().is_some_and(|m| m.trim().ends_with("json")));
        if !is_json {
            return Ok(());
        }
        let Some(schema) = documented else {
            return Err(format!("{method} {path} answered {status} with a JSON body the document does not describe"));
        };
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("{method} {path} answered {status} with bad JSON: {e}"))?;
        let name = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/"));
        let Some(idx) = name.and_then(|n| contract.compiled.get(n)) else {
            // An inline schema (`{"type": "object"}`): nothing more to check than JSON.
            return Ok(());
        };
        contract.schemas.validate(&value, *idx).map_err(|e| {
            let shown: String = value.to_string().chars().take(600).collect();
            format!("{method} {path} answered {status} with a body that does not match {}:\n{e}\nbody: {shown}", name.unwrap_or_default())
        })
    }
}
