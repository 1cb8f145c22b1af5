//! OpenAPI operations and schemas of the CMDB: classes and attributes (the model), CIs,
//! relations and history.

use super::frag::{CURSOR, LIMIT, Param, Tag, arr, items_of, ns, page_of, ref_or_null, s};
use super::{Op, obj, schema_ref};
use crate::api::cmdb as h;
use serde_json::{Value, json};

const CONFIRM_Q: &[Param] = &[("confirm", "boolean", "go ahead although data would go with it (else 409 with the count)")];

const LIST_Q: &[Param] = &[
    ("class", "string", "class code or id: that class and its subclasses"),
    ("status", "string", "comma-separated: planned, production, maintenance, retired"),
    ("team", "integer", "owner team id"),
    ("q", "string", "name contains"),
    ("attr.<code>", "string", "an attribute's value, any number of them (attr.os=RHEL&attr.cpu_cores=16)"),
    LIMIT,
    CURSOR,
];

const CMDB: Tag = Tag("cmdb");

pub(super) fn ops() -> Vec<Op> {
    vec![
        CMDB.get("/api/v1/cmdb/classes", h::classes, "Every CI class in tree order, with its own attributes", "CiClassList"),
        CMDB.create("/api/v1/cmdb/classes", h::create_class, "Add a class (system duty)", "CiClass")
            .body("NewCiClass", || json!({ "code": "san_switch", "parent_id": 4, "name": "SAN 交换机", "name_en": "SAN switch" })),
        CMDB.get("/api/v1/cmdb/classes/{id}", h::class, "One class with every attribute it has, inherited first", "CiClassDetail"),
        CMDB.patch("/api/v1/cmdb/classes/{id}", h::update_class, "Rename, move or restrict a class (system duty)", "CiClass")
            .body("CiClassPatch", || json!({ "name_en": "SAN switch", "restricted_team_id": null })),
        CMDB.delete(
            "/api/v1/cmdb/classes/{id}",
            h::delete_class,
            "Remove a class without subclasses; its CIs go too only with confirm=true",
        )
        .query(CONFIRM_Q)
        .errors(&[409]),
        CMDB.create("/api/v1/cmdb/classes/{id}/attributes", h::create_attribute, "Add an attribute to a class", "CiAttribute").body(
            "NewCiAttribute",
            || json!({ "code": "firmware", "name": "固件版本", "name_en": "Firmware", "kind": "text", "pattern": "^[0-9.]+$" }),
        ),
        CMDB.put(
            "/api/v1/cmdb/attributes/{id}",
            h::update_attribute,
            "Change an attribute's names, rules or choices (code and kind stay)",
            "CiAttribute",
        )
        .body(
            "NewCiAttribute",
            || json!({ "code": "firmware", "name": "固件版本", "name_en": "Firmware version", "kind": "text", "required": true }),
        ),
        CMDB.delete("/api/v1/cmdb/attributes/{id}", h::delete_attribute, "Remove an attribute; CIs' values go too only with confirm=true")
            .query(CONFIRM_Q)
            .errors(&[409]),
        CMDB.get(
            "/api/v1/cmdb/relation-types",
            h::relation_types,
            "Relation types with the class pairs each may join",
            "CiRelationTypeList",
        ),
        CMDB.create(
            "/api/v1/cmdb/relation-rules",
            h::add_rule,
            "Allow a relation type between two classes and their subclasses",
            "CiRelationRule",
        )
        .body("NewCiRelationRule", || json!({ "relation_type_id": 2, "from_class_id": 13, "to_class_id": 3 })),
        CMDB.delete("/api/v1/cmdb/relation-rules/{id}", h::delete_rule, "Remove a rule (relations made stay)"),
        CMDB.get("/api/v1/cmdb/cis", h::list_cis, "CIs by name, filtered on class, status, team, name and any attribute", "CiPage")
            .query(LIST_Q)
            .errors(&[422]),
        CMDB.post(
            "/api/v1/cmdb/cis/bulk",
            h::bulk_cis,
            "Change status, owner team, environment or tags of many CIs; one history entry per CI, refusals reported per CI",
            "CiBulkResult",
        )
        .body("CiBulkInput", || json!({ "ids": [12, 13, 14], "status": "maintenance", "add_tags": ["年度巡检"] }))
        .errors(&[422]),
        CMDB.create("/api/v1/cmdb/cis", h::create_ci, "Create a CI; its attributes are checked against its class's", "Ci").body(
            "NewCi",
            || {
                json!({
                    "class_id": 3, "name": "核心账务数据库主机 01", "owner_team_id": 2, "criticality": "critical",
                    "tags": ["核心系统"], "attributes": { "hostname": "acct-db-01", "management_ip": "10.10.1.21", "cpu_cores": 64 }
                })
            },
        ),
        CMDB.get("/api/v1/cmdb/cis/{id}", h::get_ci, "One CI", "Ci"),
        CMDB.patch("/api/v1/cmdb/cis/{id}", h::update_ci, "Change a CI; `version` must be the one you read", "Ci")
            .body("CiPatch", || json!({ "version": 3, "status": "maintenance", "attributes": { "memory_gb": 512 } }))
            .errors(&[409]),
        CMDB.delete(
            "/api/v1/cmdb/cis/{id}",
            h::delete_ci,
            "Delete a CI and its relations; while others depend on it, 409 names them unless confirm=true",
        )
        .query(CONFIRM_Q)
        .errors(&[409]),
        CMDB.get("/api/v1/cmdb/cis/{id}/relations", h::relations, "A CI's relations, both directions", "CiRelationList"),
        CMDB.create("/api/v1/cmdb/relations", h::create_relation, "Relate two CIs; the class rules must allow it", "CiRelationView")
            .body("NewCiRelation", || json!({ "type_code": "runs_on", "from_ci_id": 12, "to_ci_id": 7 }))
            .errors(&[404]),
        CMDB.delete("/api/v1/cmdb/relations/{id}", h::delete_relation, "Remove a relation"),
        CMDB.get("/api/v1/cmdb/cis/{id}/history", h::history, "Changes of a CI and its relations, newest first", "CiHistoryList")
            .query(&[("before", "integer", "a version id: older entries only"), LIMIT])
            .errors(&[422]),
        CMDB.get("/api/v1/cmdb/cis/{id}/diff", h::diff, "Fields that differ between two versions", "CiFieldChangeList")
            .query(&[("from", "integer", "a version (history id)"), ("to", "integer", "another version")])
            .errors(&[422]),
        CMDB.get("/api/v1/cmdb/cis/{id}/as-of", h::as_of, "The CI and its relations as they were at a moment", "CiAsOf").query(&[(
            "at",
            "integer",
            "unix milliseconds; now when left out",
        )]),
    ]
}

pub(super) fn schemas() -> Value {
    let kinds = json!({ "enum": ["text", "integer", "decimal", "boolean", "date", "enum", "ip", "cidr", "ci_ref", "user_ref", "team_ref", "json"] });
    let choices = json!({ "type": "array", "items": obj(&["code", "name"], json!({ "code": s("string"), "name": s("string"), "name_en": s("string") })) });
    let attribute = obj(
        &["id", "class_id", "code", "name", "kind", "required"],
        json!({
            "id": s("integer"), "class_id": s("integer"), "code": s("string"), "name": s("string"), "name_en": s("string"),
            "kind": kinds.clone(), "required": s("boolean"), "unique_in_class": s("boolean"),
            "identifying": { "type": "boolean", "description": "a key import will match on" }, "pattern": ns("string"),
            "min_value": ns("number"), "max_value": ns("number"), "enum_values": choices.clone(), "ref_class_id": ns("integer"),
            "position": s("integer"),
            "key_group": { "type": "string", "description": "identifying attributes of one group match only together (host name + domain)" }
        }),
    );
    let class_props = json!({
        "id": s("integer"), "code": s("string"), "parent_id": ns("integer"), "name": s("string"), "name_en": s("string"),
        "abstract": { "type": "boolean", "description": "groups subclasses; holds no CIs" }, "builtin": s("boolean"), "icon": s("string"),
        "restricted_team_id": { "type": ["integer", "null"], "description": "only this team's members see CIs of the class and below" },
        "depth": s("integer"), "attributes": arr("CiAttribute")
    });
    let mut detail = obj(&["id", "code", "name", "all_attributes", "ci_count"], class_props.clone());
    detail["properties"]["all_attributes"] = arr("CiAttribute");
    detail["properties"]["ci_count"] = s("integer");
    let status = json!({ "enum": ["planned", "production", "maintenance", "retired"] });
    let criticality = json!({ "enum": ["low", "medium", "high", "critical"] });
    let environment = json!({ "enum": ["production", "disaster_recovery", "staging", "test", "development"] });
    let tags = json!({ "type": "array", "items": s("string"), "maxItems": 30 });
    let ci = obj(
        &["id", "class_id", "class_code", "name", "status", "criticality", "environment", "tags", "attributes", "version"],
        json!({
            "id": s("integer"), "class_id": s("integer"), "class_code": s("string"), "class_name": s("string"), "class_name_en": s("string"),
            "name": s("string"), "name_en": s("string"), "description": s("string"), "status": status.clone(),
            "owner_team_id": ns("integer"), "owner_team_name": ns("string"), "criticality": criticality.clone(),
            "environment": environment.clone(), "location_id": ns("integer"), "location_name": ns("string"),
            "min_healthy": { "type": ["integer", "null"], "description": "pool or cluster: healthy members that keep it up (null = 1)" },
            "tags": tags.clone(), "attributes": { "type": "object", "description": "the class's attribute values by code" },
            "version": s("integer"), "deleted": s("boolean"), "created_by": ns("integer"), "created_at": s("integer"),
            "updated_at": s("integer"), "deleted_at": ns("integer")
        }),
    );
    let relation = obj(
        &["id", "type_id", "type_code", "direction", "label", "other_id", "other_name", "hidden"],
        json!({
            "id": s("integer"), "type_id": s("integer"), "type_code": s("string"), "direction": { "enum": ["outgoing", "incoming"] },
            "label": { "type": "string", "description": "the type's name for this direction" }, "label_en": s("string"),
            "other_id": s("integer"), "other_name": s("string"), "other_class": s("string"), "other_class_en": s("string"),
            "hidden": { "type": "boolean", "description": "the other CI is in a class hidden from you: its name is withheld" }
        }),
    );
    let change = obj(
        &["field", "before", "after"],
        json!({ "field": { "type": "string", "description": "a field or attributes.<code>" }, "before": {}, "after": {} }),
    );
    let rule = obj(
        &["id", "relation_type_id", "from_class_id", "to_class_id"],
        json!({ "id": s("integer"), "relation_type_id": s("integer"), "from_class_id": s("integer"), "to_class_id": s("integer") }),
    );
    json!({
        "CiAttribute": attribute,
        "CiClass": obj(&["id", "code", "name", "attributes"], class_props),
        "CiClassDetail": detail,
        "CiClassList": items_of("CiClass"),
        "NewCiClass": obj(&["code", "name"], json!({
            "code": { "type": "string", "pattern": "^[a-z0-9_]{1,40}$" }, "parent_id": ns("integer"), "name": { "type": "string", "maxLength": 100 },
            "name_en": s("string"), "abstract": s("boolean"), "icon": s("string"), "restricted_team_id": ns("integer")
        })),
        "CiClassPatch": obj(&[], json!({
            "name": s("string"), "name_en": s("string"), "parent_id": ns("integer"), "abstract": s("boolean"), "icon": s("string"),
            "restricted_team_id": ns("integer")
        })),
        "NewCiAttribute": obj(&["code", "name", "kind"], json!({
            "code": { "type": "string", "pattern": "^[a-z0-9_]{1,40}$" }, "name": s("string"), "name_en": s("string"), "kind": kinds,
            "required": s("boolean"), "unique_in_class": s("boolean"), "identifying": s("boolean"),
            "pattern": { "type": ["string", "null"], "description": "a regular expression text values must match" },
            "min_value": ns("number"), "max_value": ns("number"), "enum_values": choices, "ref_class_id": ns("integer"), "position": s("integer")
        })),
        "CiRelationRule": rule,
        "NewCiRelationRule": obj(&["relation_type_id", "from_class_id", "to_class_id"], json!({
            "relation_type_id": s("integer"), "from_class_id": s("integer"), "to_class_id": s("integer")
        })),
        "CiRelationType": obj(&["id", "code", "name", "reverse_name", "propagation", "pool", "rules"], json!({
            "id": s("integer"), "code": s("string"), "name": s("string"), "name_en": s("string"), "reverse_name": s("string"),
            "reverse_name_en": s("string"),
            "propagation": { "enum": ["source", "none"], "description": "source: a failure of the target affects the source" },
            "pool": { "type": "boolean", "description": "the source is a member of the target pool or cluster" },
            "builtin": s("boolean"), "created_at": s("integer"), "rules": arr("CiRelationRule")
        })),
        "CiRelationTypeList": items_of("CiRelationType"),
        "Ci": ci,
        "CiBulkInput": obj(&["ids"], json!({
            "ids": { "type": "array", "items": s("integer"), "minItems": 1, "maxItems": 200 },
            "status": { "enum": ["planned", "production", "maintenance", "retired", null] },
            "owner_team_id": { "type": ["integer", "null"], "description": "null clears the owner team; absent leaves it" },
            "environment": { "enum": ["production", "staging", "test", "development", "disaster_recovery", null] },
            "add_tags": { "type": "array", "items": s("string") }, "remove_tags": { "type": "array", "items": s("string") }
        })),
        "CiBulkResult": obj(&["succeeded", "failed", "results"], json!({
            "succeeded": s("integer"), "failed": s("integer"),
            "results": { "type": "array", "items": obj(&["id", "ok"], json!({
                "id": s("integer"), "name": s("string"), "ok": s("boolean"), "version": s("integer"), "code": s("string"), "message": s("string")
            })) }
        })),
        "CiPage": page_of("Ci"),
        "NewCi": obj(&["class_id", "name"], json!({
            "class_id": s("integer"), "name": { "type": "string", "maxLength": 200 }, "name_en": s("string"), "description": s("string"),
            "status": status.clone(), "owner_team_id": ns("integer"), "criticality": criticality.clone(), "environment": environment.clone(),
            "location_id": ns("integer"), "min_healthy": ns("integer"), "tags": tags.clone(),
            "attributes": { "type": "object", "description": "values by attribute code; errors come per field as attributes.<code>" }
        })),
        "CiPatch": obj(&["version"], json!({
            "version": s("integer"), "name": s("string"), "name_en": s("string"), "description": s("string"), "status": status,
            "owner_team_id": ns("integer"), "criticality": criticality, "environment": environment, "location_id": ns("integer"),
            "min_healthy": ns("integer"), "tags": tags,
            "attributes": { "type": "object", "description": "the values to change; null removes one" }
        })),
        "CiRelationView": relation,
        "CiRelationList": items_of("CiRelationView"),
        "NewCiRelation": obj(&["from_ci_id", "to_ci_id"], json!({
            "type_id": s("integer"), "type_code": { "type": "string", "description": "instead of type_id" }, "from_ci_id": s("integer"),
            "to_ci_id": s("integer")
        })),
        "CiFieldChange": change,
        "CiFieldChangeList": items_of("CiFieldChange"),
        "CiHistoryEntry": obj(&["id", "at", "source", "op", "subject", "changes"], json!({
            "id": { "type": "integer", "description": "the version" }, "at": s("integer"), "actor_id": ns("integer"), "actor_name": ns("string"),
            "source": { "enum": ["ui", "api", "import", "reconciliation", "change", "system"] }, "source_ref": ns("string"),
            "op": { "enum": ["create", "update", "delete"] }, "subject": { "enum": ["ci", "relation"] },
            "relation": ref_or_null("CiRelationView"),
            "changes": arr("CiFieldChange")
        })),
        "CiHistoryList": items_of("CiHistoryEntry"),
        "CiAsOf": obj(&["at", "ci", "relations"], json!({
            "at": s("integer"), "ci": { "oneOf": [schema_ref("Ci"), { "type": "null" }], "description": "null: it did not exist then" },
            "relations": arr("CiRelationView")
        })),
    })
}
