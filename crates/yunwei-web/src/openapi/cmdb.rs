//! OpenAPI operations and schemas of the CMDB: classes and attributes (the model), CIs,
//! relations and history.

use super::Method::*;
use super::{Op, e, obj, op, q, schema_ref, with_body};
use crate::api::cmdb as h;
use serde_json::{Value, json};

const CONFIRM_Q: &[(&str, &str, &str)] = &[("confirm", "boolean", "go ahead although data would go with it (else 409 with the count)")];

const LIST_Q: &[(&str, &str, &str)] = &[
    ("class", "string", "class code or id: that class and its subclasses"),
    ("status", "string", "comma-separated: planned, production, maintenance, retired"),
    ("team", "integer", "owner team id"),
    ("q", "string", "name contains"),
    ("attr.<code>", "string", "an attribute's value, any number of them (attr.os=RHEL&attr.cpu_cores=16)"),
    ("limit", "integer", "1–200, default 50"),
    ("cursor", "string", "`next_cursor` of the previous page"),
];

pub(super) fn ops() -> Vec<Op> {
    vec![
        op(
            Get,
            "/api/v1/cmdb/classes",
            h::classes,
            "cmdb",
            "Every CI class in tree order, with its own attributes",
            (200, Some("CiClassList")),
        ),
        Op {
            errors: &[409, 422],
            ..with_body(
                op(Post, "/api/v1/cmdb/classes", h::create_class, "cmdb", "Add a class (system duty)", (201, Some("CiClass"))),
                "NewCiClass",
                || json!({ "code": "san_switch", "parent_id": 4, "name": "SAN 交换机", "name_en": "SAN switch" }),
            )
        },
        e(
            op(
                Get,
                "/api/v1/cmdb/classes/{id}",
                h::class,
                "cmdb",
                "One class with every attribute it has, inherited first",
                (200, Some("CiClassDetail")),
            ),
            &[404],
        ),
        Op {
            errors: &[404, 422],
            ..with_body(
                op(
                    Patch,
                    "/api/v1/cmdb/classes/{id}",
                    h::update_class,
                    "cmdb",
                    "Rename, move or restrict a class (system duty)",
                    (200, Some("CiClass")),
                ),
                "CiClassPatch",
                || json!({ "name_en": "SAN switch", "restricted_team_id": null }),
            )
        },
        e(
            q(
                op(
                    Delete,
                    "/api/v1/cmdb/classes/{id}",
                    h::delete_class,
                    "cmdb",
                    "Remove a class without subclasses; its CIs go too only with confirm=true",
                    (204, None),
                ),
                CONFIRM_Q,
            ),
            &[404, 409],
        ),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/cmdb/classes/{id}/attributes",
                    h::create_attribute,
                    "cmdb",
                    "Add an attribute to a class",
                    (201, Some("CiAttribute")),
                ),
                "NewCiAttribute",
                || json!({ "code": "firmware", "name": "固件版本", "name_en": "Firmware", "kind": "text", "pattern": "^[0-9.]+$" }),
            )
        },
        Op {
            errors: &[404, 422],
            ..with_body(
                op(
                    Put,
                    "/api/v1/cmdb/attributes/{id}",
                    h::update_attribute,
                    "cmdb",
                    "Change an attribute's names, rules or choices (code and kind stay)",
                    (200, Some("CiAttribute")),
                ),
                "NewCiAttribute",
                || json!({ "code": "firmware", "name": "固件版本", "name_en": "Firmware version", "kind": "text", "required": true }),
            )
        },
        e(
            q(
                op(
                    Delete,
                    "/api/v1/cmdb/attributes/{id}",
                    h::delete_attribute,
                    "cmdb",
                    "Remove an attribute; CIs' values go too only with confirm=true",
                    (204, None),
                ),
                CONFIRM_Q,
            ),
            &[404, 409],
        ),
        op(
            Get,
            "/api/v1/cmdb/relation-types",
            h::relation_types,
            "cmdb",
            "Relation types with the class pairs each may join",
            (200, Some("CiRelationTypeList")),
        ),
        Op {
            errors: &[409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/cmdb/relation-rules",
                    h::add_rule,
                    "cmdb",
                    "Allow a relation type between two classes and their subclasses",
                    (201, Some("CiRelationRule")),
                ),
                "NewCiRelationRule",
                || json!({ "relation_type_id": 2, "from_class_id": 13, "to_class_id": 3 }),
            )
        },
        e(
            op(Delete, "/api/v1/cmdb/relation-rules/{id}", h::delete_rule, "cmdb", "Remove a rule (relations made stay)", (204, None)),
            &[404],
        ),
        e(
            q(
                op(
                    Get,
                    "/api/v1/cmdb/cis",
                    h::list_cis,
                    "cmdb",
                    "CIs by name, filtered on class, status, team, name and any attribute",
                    (200, Some("CiPage")),
                ),
                LIST_Q,
            ),
            &[422],
        ),
        Op {
            errors: &[422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/cmdb/cis",
                    h::create_ci,
                    "cmdb",
                    "Create a CI; its attributes are checked against its class's",
                    (201, Some("Ci")),
                ),
                "NewCi",
                || {
                    json!({
                        "class_id": 3, "name": "核心账务数据库主机 01", "owner_team_id": 2, "criticality": "critical",
                        "tags": ["核心系统"], "attributes": { "hostname": "acct-db-01", "management_ip": "10.10.1.21", "cpu_cores": 64 }
                    })
                },
            )
        },
        Op {
            errors: &[422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/cmdb/cis/bulk",
                    h::bulk_cis,
                    "cmdb",
                    "Change status, owner team, environment or tags of many CIs; one history entry per CI, refusals reported per CI",
                    (200, Some("CiBulkResult")),
                ),
                "CiBulkInput",
                || json!({ "ids": [12, 13, 14], "status": "maintenance", "add_tags": ["年度巡检"] }),
            )
        },
        e(op(Get, "/api/v1/cmdb/cis/{id}", h::get_ci, "cmdb", "One CI", (200, Some("Ci"))), &[404]),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Patch,
                    "/api/v1/cmdb/cis/{id}",
                    h::update_ci,
                    "cmdb",
                    "Change a CI; `version` must be the one you read",
                    (200, Some("Ci")),
                ),
                "CiPatch",
                || json!({ "version": 3, "status": "maintenance", "attributes": { "memory_gb": 512 } }),
            )
        },
        e(
            q(
                op(
                    Delete,
                    "/api/v1/cmdb/cis/{id}",
                    h::delete_ci,
                    "cmdb",
                    "Delete a CI and its relations; while others depend on it, 409 names them unless confirm=true",
                    (204, None),
                ),
                CONFIRM_Q,
            ),
            &[404, 409],
        ),
        e(
            op(
                Get,
                "/api/v1/cmdb/cis/{id}/relations",
                h::relations,
                "cmdb",
                "A CI's relations, both directions",
                (200, Some("CiRelationList")),
            ),
            &[404],
        ),
        Op {
            errors: &[404, 409, 422],
            ..with_body(
                op(
                    Post,
                    "/api/v1/cmdb/relations",
                    h::create_relation,
                    "cmdb",
                    "Relate two CIs; the class rules must allow it",
                    (201, Some("CiRelationView")),
                ),
                "NewCiRelation",
                || json!({ "type_code": "runs_on", "from_ci_id": 12, "to_ci_id": 7 }),
            )
        },
        e(op(Delete, "/api/v1/cmdb/relations/{id}", h::delete_relation, "cmdb", "Remove a relation", (204, None)), &[404]),
        e(
            q(
                op(
                    Get,
                    "/api/v1/cmdb/cis/{id}/history",
                    h::history,
                    "cmdb",
                    "Changes of a CI and its relations, newest first",
                    (200, Some("CiHistoryList")),
                ),
                &[("before", "integer", "a version id: older entries only"), ("limit", "integer", "1–200, default 50")],
            ),
            &[404, 422],
        ),
        e(
            q(
                op(
                    Get,
                    "/api/v1/cmdb/cis/{id}/diff",
                    h::diff,
                    "cmdb",
                    "Fields that differ between two versions",
                    (200, Some("CiFieldChangeList")),
                ),
                &[("from", "integer", "a version (history id)"), ("to", "integer", "another version")],
            ),
            &[404, 422],
        ),
        e(
            q(
                op(
                    Get,
                    "/api/v1/cmdb/cis/{id}/as-of",
                    h::as_of,
                    "cmdb",
                    "The CI and its relations as they were at a moment",
                    (200, Some("CiAsOf")),
                ),
                &[("at", "integer", "unix milliseconds; now when left out")],
            ),
            &[404],
        ),
    ]
}

pub(super) fn schemas() -> Value {
    let s = |t: &str| json!({ "type": t });
    let ns = |t: &str| json!({ "type": [t, "null"] });
    let list = |item: &str| obj(&["items"], json!({ "items": { "type": "array", "items": schema_ref(item) } }));
    let kinds = json!({ "enum": ["text", "integer", "decimal", "boolean", "date", "enum", "ip", "cidr", "ci_ref", "user_ref", "team_ref", "json"] });
    let choices = json!({ "type": "array", "items": obj(&["code", "name"], json!({ "code": s("string"), "name": s("string"), "name_en": s("string") })) });
    let attribute = obj(
        &["id", "class_id", "code", "name", "kind", "required"],
        json!({
            "id": s("integer"), "class_id": s("integer"), "code": s("string"), "name": s("string"), "name_en": s("string"),
            "kind": kinds.clone(), "required": s("boolean"), "unique_in_class": s("boolean"),
            "identifying": { "type": "boolean", "description": "a key import will match on" }, "pattern": ns("string"),
            "min_value": ns("number"), "max_value": ns("number"), "enum_values": choices.clone(), "ref_class_id": ns("integer"),
            "position": s("integer")
        }),
    );
    let class_props = json!({
        "id": s("integer"), "code": s("string"), "parent_id": ns("integer"), "name": s("string"), "name_en": s("string"),
        "abstract": { "type": "boolean", "description": "groups subclasses; holds no CIs" }, "builtin": s("boolean"), "icon": s("string"),
        "restricted_team_id": { "type": ["integer", "null"], "description": "only this team's members see CIs of the class and below" },
        "depth": s("integer"), "attributes": { "type": "array", "items": schema_ref("CiAttribute") }
    });
    let mut detail = obj(&["id", "code", "name", "all_attributes", "ci_count"], class_props.clone());
    detail["properties"]["all_attributes"] = json!({ "type": "array", "items": schema_ref("CiAttribute") });
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
        "CiClassList": list("CiClass"),
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
            "builtin": s("boolean"), "created_at": s("integer"), "rules": { "type": "array", "items": schema_ref("CiRelationRule") }
        })),
        "CiRelationTypeList": list("CiRelationType"),
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
        "CiPage": obj(&["items"], json!({ "items": { "type": "array", "items": schema_ref("Ci") }, "next_cursor": ns("string") })),
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
        "CiRelationList": list("CiRelationView"),
        "NewCiRelation": obj(&["from_ci_id", "to_ci_id"], json!({
            "type_id": s("integer"), "type_code": { "type": "string", "description": "instead of type_id" }, "from_ci_id": s("integer"),
            "to_ci_id": s("integer")
        })),
        "CiFieldChange": change,
        "CiFieldChangeList": list("CiFieldChange"),
        "CiHistoryEntry": obj(&["id", "at", "source", "op", "subject", "changes"], json!({
            "id": { "type": "integer", "description": "the version" }, "at": s("integer"), "actor_id": ns("integer"), "actor_name": ns("string"),
            "source": { "enum": ["ui", "api", "import", "reconciliation", "change", "system"] }, "source_ref": ns("string"),
            "op": { "enum": ["create", "update", "delete"] }, "subject": { "enum": ["ci", "relation"] },
            "relation": { "oneOf": [schema_ref("CiRelationView"), { "type": "null" }] },
            "changes": { "type": "array", "items": schema_ref("CiFieldChange") }
        })),
        "CiHistoryList": list("CiHistoryEntry"),
        "CiAsOf": obj(&["at", "ci", "relations"], json!({
            "at": s("integer"), "ci": { "oneOf": [schema_ref("Ci"), { "type": "null" }], "description": "null: it did not exist then" },
            "relations": { "type": "array", "items": schema_ref("CiRelationView") }
        })),
    })
}
