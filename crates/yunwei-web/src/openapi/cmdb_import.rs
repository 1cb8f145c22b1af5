//! OpenAPI operations and schemas of CI import (CMDB-5).

use super::Method::*;
use super::{Op, e, obj, op, q, schema_ref};
use crate::api::cmdb_import;
use serde_json::{Value, json};

const IMPORT_Q: [(&str, &str, &str); 4] = [
    ("class", "string", "the class code or id of every row (required: without it, 422 on `class`)"),
    (
        "mode",
        "string",
        "`per_row` (default): valid rows are written, bad rows reported; `all_or_nothing`: nothing is written unless every row is valid",
    ),
    ("dry_run", "boolean", "report what would happen and write nothing"),
    (
        "mapping",
        "string",
        "a JSON object, column heading → field (`name`, `name_en`, `description`, `status`, `criticality`, `environment`, `tags` or an attribute code; \"\" skips the column). Headings not named are matched by the field's code or its name in either language",
    ),
];

pub(super) fn ops() -> Vec<Op> {
    vec![e(
        q(
            op(
                Post,
                "/api/v1/cmdb/imports",
                cmdb_import::import,
                "cmdb",
                "Import CIs from a spreadsheet (body: the CSV — UTF-8 or GB18030/GBK —, XLSX or XLS file; first row: headings). \
                 Each row is matched to a CI of the class by its identifying attributes (serial number, asset tag, host name, \
                 management IP …) and created, updated or left unchanged, with history source `import`. Needs \
                 configuration_item create or update; each row is authorised as its own create or update",
                (200, Some("CiImportReport")),
            ),
            &IMPORT_Q,
        ),
        &[400, 413, 422],
    )]
}

pub(super) fn schemas() -> Value {
    let s = |t: &str| json!({ "type": t });
    let error = obj(
        &["field", "code", "message"],
        json!({ "field": { "type": "string", "description": "a field, attributes.<code>, or row" }, "code": s("string"),
                "params": {}, "message": { "type": "string", "description": "in the reader's language" } }),
    );
    json!({
        "CiImportRow": obj(&["line", "outcome", "errors"], json!({
            "line": { "type": "integer", "description": "the row's line in the file (1 = headings)" },
            "outcome": { "enum": ["create", "update", "unchanged", "error"] },
            "ci_id": { "type": ["integer", "null"] }, "name": s("string"),
            "errors": { "type": "array", "items": error }
        })),
        "CiImportReport": obj(&["class_id", "class_code", "mode", "dry_run", "committed", "total", "created", "updated", "unchanged", "failed", "columns", "rows"], json!({
            "class_id": s("integer"), "class_code": s("string"), "mode": { "enum": ["per_row", "all_or_nothing"] },
            "dry_run": s("boolean"), "committed": { "type": "boolean", "description": "rows were written" },
            "total": s("integer"), "created": s("integer"), "updated": s("integer"), "unchanged": s("integer"), "failed": s("integer"),
            "columns": { "type": "array", "items": obj(&["heading", "field"], json!({ "heading": s("string"), "field": { "type": ["string", "null"] } })) },
            "rows": { "type": "array", "items": schema_ref("CiImportRow"), "description": "rows with errors first, at most 1000" }
        })),
    })
}
