//! OpenAPI operations and schemas of CMDB impact analysis (CMDB-3).

use super::frag::{Tag, arr, arr_of, s};
use super::{Op, obj};
use crate::api::cmdb_impact;
use serde_json::{Value, json};

const IMPACT_Q: [(&str, &str, &str); 4] = [
    ("direction", "string", "`up` (default): what the CI's failure affects, up to the business services; `down`: what the CI needs"),
    ("depth", "integer", "1–32 relations, default 10"),
    ("class", "string", "a class code or id: list only CIs of it and its subclasses (the walk passes through every class)"),
    ("limit", "integer", "1–1000 CIs listed, default 200 (totals count all)"),
];

const CMDB: Tag = Tag("cmdb");

pub(super) fn ops() -> Vec<Op> {
    vec![
        CMDB.get(
            "/api/v1/cmdb/cis/{id}/impact",
            cmdb_impact::of_ci,
            "Impact analysis of one CI (影响分析): with `direction=up`, every CI its failure takes down or degrades \
                     (a pool is degraded, not down, while it keeps `min_healthy` members) and the business services among \
                     them; with `direction=down`, what it needs. Answered from the in-memory graph, which reflects a change \
                     made on any node within a second. CIs the caller may not read are counted in `hidden`, not named",
            "CiImpact",
        )
        .query(&IMPACT_Q)
        .errors(&[422]),
        CMDB.post(
            "/api/v1/cmdb/impact",
            cmdb_impact::of_failures,
            "What is down if these CIs fail together (1–100 CIs, each readable by the caller)",
            "CiImpact",
        )
        .body("CiImpactInput", || json!({ "failed": [1021, 1022], "depth": 10 }))
        .errors(&[404]),
    ]
}

pub(super) fn schemas() -> Value {
    let state = json!({ "enum": ["ok", "degraded", "down"] });
    json!({
        "CiImpactItem": obj(&["id", "name", "class_code", "state", "depth"], json!({
            "id": s("integer"), "name": s("string"), "name_en": s("string"), "class_code": s("string"),
            "class_name": s("string"), "class_name_en": s("string"), "state": state, "depth": s("integer"),
            "via": { "type": ["integer", "null"], "description": "up: the CI that made this one worse; down: the CI that needs it" },
            "redundant": { "type": "boolean", "description": "down: one member of the pool `via`" }
        })),
        "CiImpact": obj(&["direction", "failed", "depth", "truncated", "total", "down", "degraded", "items", "hidden", "more", "business_services"], json!({
            "direction": { "enum": ["up", "down"] }, "failed": arr_of("integer"), "depth": s("integer"),
            "truncated": { "type": "boolean", "description": "the depth limit cut the walk short" },
            "total": { "type": "integer", "description": "CIs reached, readable or not" },
            "down": s("integer"), "degraded": s("integer"),
            "items": arr("CiImpactItem"),
            "hidden": { "type": "integer", "description": "CIs examined that the caller may not read" },
            "more": { "type": "boolean", "description": "more CIs than `limit` were reached" },
            "business_services": arr("CiImpactItem")
        })),
        "CiImpactInput": obj(&["failed"], json!({
            "failed": { "type": "array", "items": s("integer"), "minItems": 1, "maxItems": 100 },
            "depth": { "type": "integer", "minimum": 1, "maximum": 32 },
            "class": s("string"), "limit": { "type": "integer", "minimum": 1, "maximum": 1000 }
        })),
    })
}
