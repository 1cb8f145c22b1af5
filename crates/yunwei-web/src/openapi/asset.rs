//! OpenAPI operations and schemas of asset management: the register, lifecycle steps,
//! history and the purchase approval rules.

use super::frag::{CURSOR, LIMIT, Param, Tag, items_of, ns, page_of, s};
use super::{Op, obj};
use crate::api::asset as h;
use serde_json::{Value, json};

const ASSETS: Tag = Tag("assets");

const STATES: &str =
    "requested, approved, rejected, ordered, accepted, in_stock, deployed, maintenance, retired, scrap_requested, scrapped";

const LIST_Q: &[Param] = &[
    ("state", "string", "comma-separated states"),
    ("category", "string", "server, network, storage, security, desktop, laptop, peripheral, software or other"),
    ("department_id", "integer", ""),
    ("responsible_id", "integer", "the responsible person's user id"),
    ("ci_id", "integer", "the CI it is deployed as"),
    ("q", "string", "part of the tag, name, model or serial number"),
    LIMIT,
    CURSOR,
];

pub(super) fn ops() -> Vec<Op> {
    vec![
        ASSETS.get("/api/v1/assets", h::list, "The asset register within the caller's scope, newest first", "AssetPage").query(LIST_Q),
        ASSETS.create("/api/v1/assets", h::create, "Raise a purchase request, or register an asset already on hand (register: true) into stock", "Asset")
            .body("NewAsset", || json!({
                "tag": "ZH-2026-0042", "name": "核心交换机 A 区", "category": "network", "model": "S12708", "serial_number": "210235A1",
                "location": "总行数据中心 3 楼", "supplier": "华为", "contract_number": "HT-2026-118", "cost": "386000.00",
                "salvage": "19300", "useful_life_months": 60, "purchase_date": "2026-03-01", "warranty_end": "2029-02-28",
                "responsible_id": 12, "department_id": 2
            })).errors(&[409]),
        ASSETS.get("/api/v1/assets/{id}", h::get, "One asset, with its book value today and the lifecycle actions the caller may take", "Asset"),
        ASSETS.patch("/api/v1/assets/{id}", h::update, "Edit an asset's fields (not its state; the amount and category are locked while a decision is awaited)", "Asset")
            .body("AssetPatch", || json!({ "version": 3, "location": "同城灾备中心 2 楼", "warranty_end": "2030-02-28" })).errors(&[409]),
        ASSETS.post("/api/v1/assets/{id}/steps", h::act, "Take one lifecycle step: approve / reject (asset:approve, never one's own request; a purchase request by the role its amount and category require), order, accept, stock, deploy (with ci_id or ci_class_id: the CMDB is updated, source asset), maintain, retire, request_scrap (approving a scrapping request scraps the asset)", "Asset")
            .body("AssetStep", || json!({ "action": "deploy", "version": 5, "ci_class_id": 4, "note": "上架至 A-12 机柜" })).errors(&[409]),
        ASSETS.get("/api/v1/assets/{id}/history", h::history, "Every step of the asset, oldest first", "AssetHistory"),
        ASSETS.get("/api/v1/assets/by-tag/{tag}", h::by_tag, "The asset with this tag (what a barcode scanner reads)", "Asset"),
        ASSETS.get("/api/v1/assets/approval-rules", h::approval_rules, "Who approves purchase requests: amount thresholds × category → role", "AssetApprovalRuleList"),
    ]
}

pub(super) fn schemas() -> Value {
    let state = json!({ "type": "string", "description": STATES });
    let category = json!({ "enum": ["server", "network", "storage", "security", "desktop", "laptop", "peripheral", "software", "other"] });
    let date = json!({ "type": ["string", "null"], "format": "date" });
    let money = json!({ "type": "string", "description": "yuan, up to two decimals", "example": "12345.67" });
    json!({
        "Asset": obj(&["id", "tag", "name", "category", "state", "cost_fen", "version"], json!({
            "id": s("integer"), "tag": s("string"), "name": s("string"), "category": category.clone(), "model": s("string"),
            "serial_number": s("string"), "location": s("string"), "supplier": s("string"), "contract_number": s("string"),
            "cost_fen": { "type": "integer", "description": "the cost in fen (分)" }, "cost": money.clone(),
            "salvage_fen": s("integer"), "salvage": money.clone(), "useful_life_months": s("integer"),
            "book_value_fen": { "type": "integer", "description": "straight-line book value today" }, "book_value": money.clone(),
            "purchase_date": date.clone(), "warranty_end": date.clone(),
            "responsible_id": ns("integer"), "responsible_name": ns("string"), "department_id": ns("integer"), "department_name": ns("string"),
            "ci_id": ns("integer"), "ci_name": ns("string"), "state": state.clone(),
            "pending_by": { "type": ["integer", "null"], "description": "who asked for the decision awaited; they cannot give it" },
            "notes": s("string"), "created_by": ns("integer"), "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer"),
            "actions": { "type": "array", "items": s("string"), "description": "the lifecycle actions the caller may take now" }
        })),
        "AssetPage": page_of("Asset"),
        "NewAsset": obj(&["tag", "name", "category"], json!({
            "tag": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,40}$" }, "name": s("string"), "category": category.clone(),
            "model": s("string"), "serial_number": s("string"), "location": s("string"), "supplier": s("string"),
            "contract_number": s("string"), "cost": money.clone(), "salvage": money.clone(), "useful_life_months": ns("integer"),
            "purchase_date": date.clone(), "warranty_end": date.clone(), "responsible_id": ns("integer"), "department_id": ns("integer"),
            "notes": s("string"), "register": { "type": "boolean", "description": "already on hand: straight into stock, no approval" }
        })),
        "AssetPatch": obj(&["version"], json!({
            "version": s("integer"), "tag": s("string"), "name": s("string"), "category": category, "model": s("string"),
            "serial_number": s("string"), "location": s("string"), "supplier": s("string"), "contract_number": s("string"),
            "cost": money.clone(), "salvage": money, "useful_life_months": s("integer"), "purchase_date": date.clone(),
            "warranty_end": date, "responsible_id": ns("integer"), "department_id": ns("integer"), "notes": s("string")
        })),
        "AssetStep": obj(&["action", "version"], json!({
            "action": { "enum": ["approve", "reject", "order", "accept", "stock", "deploy", "maintain", "retire", "request_scrap"] },
            "version": s("integer"), "note": { "type": "string", "description": "required to reject and to request scrapping" },
            "ci_id": ns("integer"), "ci_class_id": { "type": ["integer", "null"], "description": "deploy: the class of a new CI to create" }
        })),
        "AssetHistoryEntry": obj(&["id", "at", "action", "to_state"], json!({
            "id": s("integer"), "asset_id": s("integer"), "at": s("integer"), "actor_id": ns("integer"), "actor_name": ns("string"),
            "action": s("string"), "from_state": { "type": ["string", "null"] }, "to_state": state, "note": s("string")
        })),
        "AssetHistory": items_of("AssetHistoryEntry"),
        "AssetApprovalRule": obj(&["category", "min_cost_fen", "role_key"], json!({
            "category": { "type": "string", "description": "a category, or * for any" }, "min_cost_fen": s("integer"),
            "min_cost": s("string"), "role_key": s("string")
        })),
        "AssetApprovalRuleList": items_of("AssetApprovalRule"),
    })
}
