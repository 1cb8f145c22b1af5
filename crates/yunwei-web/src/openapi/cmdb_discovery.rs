//! OpenAPI operations and schemas of discovery reconciliation (CMDB-5).

use super::frag::{Tag, items_of, ns, s};
use super::{Op, obj, schema_ref};
use crate::api::cmdb_discovery as h;
use serde_json::{Value, json};

const CMDB: Tag = Tag("cmdb");

pub(super) fn ops() -> Vec<Op> {
    vec![
        CMDB.post(
            "/api/v1/cmdb/discovery/{source}",
            h::reconcile,
            "Reconcile a scanner's report for a discovery source (needs ci_discovery:create; scanner tokens are API tokens of a \
             service account). Each item is matched to a CI by its class's identifying attributes (serial number, host name + \
             domain, asset tag, management IP), created when none matches, and updated only where this source has precedence \
             for the field; elsewhere the difference is recorded as drift. The same report twice changes nothing. Bad items are \
             reported each with its errors; the others are kept. History source `reconciliation`, source_ref the source's id",
            "DiscoveryRun",
        )
        .body("DiscoveryReport", || {
            json!({ "items": [
                { "class": "server", "name": "acct-db-01", "identifying": { "serial_number": "SN-20931" },
                  "attributes": { "hostname": "acct-db-01", "domain": "bank.local", "management_ip": "10.10.1.21", "cpu_cores": 64, "os": "RHEL 8.8" } }
            ] })
        })
        .errors(&[404, 413, 422]),
        CMDB.get("/api/v1/cmdb/discovery-sources", h::list_sources, "Discovery sources with their precedence and stale-after period", "DiscoverySourceList"),
        CMDB.create("/api/v1/cmdb/discovery-sources", h::create_source, "Add a discovery source (system duty: ci_class:create)", "DiscoverySource")
            .body("NewDiscoverySource", || {
                json!({ "code": "netscan", "name": "网络扫描", "name_en": "Network scan", "precedence": 40,
                        "attribute_precedence": { "os": 80 }, "stale_after_hours": 72 })
            })
            .errors(&[409]),
        CMDB.patch(
            "/api/v1/cmdb/discovery-sources/{code}",
            h::update_source,
            "Change a source's names, precedence (per attribute too) or stale-after period",
            "DiscoverySource",
        )
        .body("DiscoverySourcePatch", || json!({ "precedence": 60, "attribute_precedence": { "os": 90, "cpu_cores": 20 } })),
        CMDB.get(
            "/api/v1/cmdb/discovery-findings",
            h::findings,
            "Drift (fields a source reports differently from the kept value) and stale CIs, newest first, only CIs you may read",
            "DiscoveryFindings",
        )
        .query(&[("source", "string", "a source's code"), ("limit", "integer", "1–1000, default 200")])
        .errors(&[404]),
        CMDB.get("/api/v1/cmdb/cis/{id}/discovery", h::of_ci, "What each discovery source says of one CI: sightings and drift", "DiscoveryFindings"),
    ]
}

pub(super) fn schemas() -> Value {
    let error =
        obj(&["field", "code", "message"], json!({ "field": s("string"), "code": s("string"), "params": {}, "message": s("string") }));
    let source = json!({
        "id": s("integer"), "code": s("string"), "name": s("string"), "name_en": s("string"),
        "precedence": { "type": "integer", "description": "higher wins a field over another source (0–1000)" },
        "attribute_precedence": { "type": "object", "description": "field or attribute code → precedence where it differs" },
        "stale_after_hours": s("integer"), "created_at": s("integer"), "updated_at": s("integer")
    });
    let input = json!({
        "code": s("string"), "name": s("string"), "name_en": s("string"), "precedence": s("integer"),
        "attribute_precedence": { "type": "object" }, "stale_after_hours": s("integer")
    });
    json!({
        "DiscoveryReport": obj(&["items"], json!({ "items": { "type": "array", "maxItems": 10000, "items": obj(&["class"], json!({
            "class": { "type": "string", "description": "the class's code" }, "name": s("string"), "description": s("string"),
            "identifying": { "type": "object", "description": "identifying attribute values (may also be given in attributes)" },
            "attributes": { "type": "object", "description": "attribute code → value; null or absent: not reported" }
        })) } })),
        "DiscoveryItemResult": obj(&["index", "outcome", "drift", "errors"], json!({
            "index": s("integer"), "outcome": { "enum": ["create", "update", "unchanged", "error"] }, "ci_id": ns("integer"),
            "drift": { "type": "array", "items": s("string"), "description": "fields kept against this report" },
            "errors": { "type": "array", "items": error }
        })),
        "DiscoveryRun": obj(&["source", "total", "created", "updated", "unchanged", "failed", "drifted", "items"], json!({
            "source": s("string"), "total": s("integer"), "created": s("integer"), "updated": s("integer"), "unchanged": s("integer"),
            "failed": s("integer"), "drifted": s("integer"), "items": { "type": "array", "items": schema_ref("DiscoveryItemResult") }
        })),
        "DiscoverySource": obj(&["id", "code", "name", "precedence", "stale_after_hours"], source),
        "DiscoverySourceList": items_of("DiscoverySource"),
        "NewDiscoverySource": obj(&["code", "name"], input.clone()),
        "DiscoverySourcePatch": obj(&[], input),
        "DiscoveryFindings": obj(&["drift", "sightings"], json!({
            "drift": { "type": "array", "items": obj(&["source_id", "ci_id", "field", "reported", "kept"], json!({
                "source_id": s("integer"), "ci_id": s("integer"), "field": { "type": "string", "description": "name, description or attributes.<code>" },
                "reported": {}, "kept": {}, "holder_source_id": { "type": ["integer", "null"], "description": "null: a person set the kept value" },
                "detected_at": s("integer"), "ci_name": s("string"), "source_code": s("string"), "source_name": s("string"), "holder_name": ns("string")
            })) },
            "sightings": { "type": "array", "description": "in the list, the stale ones; of one CI, every source's", "items": obj(&["source_id", "ci_id", "last_seen", "stale"], json!({
                "source_id": s("integer"), "ci_id": s("integer"), "first_seen": s("integer"), "last_seen": s("integer"), "stale": s("boolean"),
                "ci_name": s("string"), "source_code": s("string"), "source_name": s("string")
            })) }
        })),
    })
}
