//! OpenAPI operations and schemas of software licences, stocktakes and asset labels
//! (asset management, slice 2; ADR 0030).

use super::Method::Get;
use super::frag::{Param, Tag, items_of, ns, s};
use super::{Op, obj};
use crate::api::asset_licence as h;
use serde_json::{Value, json};

const LICENCES: Tag = Tag("licences");
const STOCKTAKES: Tag = Tag("stocktakes");
const ASSETS: Tag = Tag("assets");

const LICENCE_Q: &[Param] = &[
    ("q", "string", "part of the product or vendor"),
    ("over_used", "boolean", "only licences used beyond what is owned"),
    ("ending_within_days", "integer", "only licences ending within this many days (expired ones included)"),
];

const LABEL_Q: &[Param] = &[
    ("ids", "string", "comma-separated asset ids; without them, the asset list's filters below choose"),
    ("state", "string", "comma-separated states"),
    ("category", "string", ""),
    ("department_id", "integer", ""),
    ("q", "string", "part of the tag, name, model or serial number"),
];

pub(super) fn ops() -> Vec<Op> {
    let licence = || {
        json!({
            "product": "Oracle Database Enterprise Edition", "vendor": "Oracle", "kind": "per_core", "quantity": 64,
            "cost": "1280000.00", "contract_number": "HT-2026-207", "start_date": "2026-01-01", "end_date": "2026-12-31",
            "remind_days": 60, "responsible_id": 12, "department_id": 2
        })
    };
    vec![
        LICENCES.get("/api/v1/licences", h::list_licences, "Software licences within the caller's scope, soonest end first, with compliance (used against owned)", "LicenceList").query(LICENCE_Q),
        LICENCES.create("/api/v1/licences", h::create_licence, "Register a software licence (asset:create)", "Licence").body("LicenceInput", licence),
        LICENCES.get("/api/v1/licences/{id}", h::get_licence, "One licence with its compliance and days left", "Licence"),
        LICENCES.put("/api/v1/licences/{id}", h::update_licence, "Replace a licence's fields (asset:update; `version` required)", "Licence")
            .body("LicenceInput", || json!({ "version": 1, "product": "Oracle Database EE", "kind": "per_core", "quantity": 96, "end_date": "2027-12-31" }))
            .errors(&[409]),
        LICENCES.get("/api/v1/licences/{id}/assignments", h::assignments, "Who and what uses the licence", "LicenceAssignmentList"),
        LICENCES.post("/api/v1/licences/{id}/assignments", h::assign, "Assign the licence to one CI or one user (asset:update); over-use is recorded and flagged, not refused", "Licence")
            .body("LicenceAssign", || json!({ "ci_id": 7, "quantity": 16, "note": "核心账务库主节点" }))
            .errors(&[409]),
        LICENCES.delete("/api/v1/licences/{id}/assignments/{other}", h::unassign, "End one assignment (asset:update)"),
        STOCKTAKES.get("/api/v1/stocktakes", h::list_stocktakes, "Stocktake campaigns within the caller's scope, newest first", "StocktakeList"),
        STOCKTAKES.create("/api/v1/stocktakes", h::start_stocktake, "Start a stocktake (asset:transition): the assets on hand in the scope become its expected list", "Stocktake")
            .body("NewStocktake", || json!({ "name": "2026 年末盘点 · 总行机房", "location": "总行数据中心 3 楼", "department_id": 2 })),
        STOCKTAKES.get("/api/v1/stocktakes/{id}", h::get_stocktake, "One campaign with its counts and every tag", "Stocktake"),
        STOCKTAKES.post("/api/v1/stocktakes/{id}/scans", h::scan, "Record a scan: a tag as typed or scanned, or a label's QR content (asset:transition); a repeated scan changes nothing", "StocktakeScan")
            .body("StocktakeScanInput", || json!({ "code": "ZH-2026-0042" }))
            .errors(&[409]),
        STOCKTAKES.post("/api/v1/stocktakes/{id}/close", h::close_stocktake, "Close the campaign: tags not seen become missing; with apply (asset:approve) missing assets are retired and assets found elsewhere move here, each audited", "Stocktake")
            .body("StocktakeClose", || json!({ "version": 1, "apply": false, "note": "年末盘点结束" }))
            .errors(&[409]),
        STOCKTAKES.op(Get, "/api/v1/stocktakes/{id}/export/{format}", h::export_stocktake, "The campaign's tags, differences first, as `csv` or `xlsx` (formula-escaped; asset:export; audited)", (200, None)),
        ASSETS.get("/api/v1/assets/labels", h::labels, "QR labels of the chosen assets (or of the list's filter): the QR code as SVG, the address it holds, tag and name", "AssetLabelList").query(LABEL_Q),
    ]
}

pub(super) fn schemas() -> Value {
    let kind = json!({ "enum": ["per_seat", "per_core", "site", "subscription"] });
    let date = json!({ "type": ["string", "null"], "format": "date" });
    let result = json!({ "enum": ["pending", "found", "missing", "found_elsewhere", "unexpected"] });
    let counts = obj(
        &["expected", "pending", "found", "missing", "found_elsewhere", "unexpected"],
        json!({
            "expected": s("integer"), "pending": s("integer"), "found": s("integer"), "missing": s("integer"),
            "found_elsewhere": s("integer"), "unexpected": s("integer")
        }),
    );
    json!({
        "Licence": obj(&["id", "product", "kind", "quantity", "compliance", "version"], json!({
            "id": s("integer"), "product": s("string"), "vendor": s("string"), "kind": kind.clone(), "quantity": s("integer"),
            "cost_fen": { "type": "integer", "description": "the cost in fen (分)" }, "cost": s("string"), "contract_number": s("string"),
            "start_date": date.clone(), "end_date": date.clone(), "remind_days": s("integer"),
            "responsible_id": ns("integer"), "responsible_name": ns("string"), "department_id": ns("integer"), "department_name": ns("string"),
            "notes": s("string"), "created_by": ns("integer"), "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer"),
            "days_left": ns("integer"), "expired": s("boolean"),
            "compliance": obj(&["used", "over_by", "over_used"], json!({
                "used": s("integer"), "owned": { "type": ["integer", "null"], "description": "null for a site licence" },
                "over_by": s("integer"), "over_used": s("boolean")
            }))
        })),
        "LicenceList": items_of("Licence"),
        "LicenceInput": obj(&["product", "kind"], json!({
            "version": { "type": ["integer", "null"], "description": "required when editing" }, "product": s("string"), "vendor": s("string"),
            "kind": kind, "quantity": s("integer"), "cost": { "type": "string", "description": "yuan, up to two decimals" },
            "contract_number": s("string"), "start_date": date.clone(), "end_date": date,
            "remind_days": { "type": ["integer", "null"], "description": "0–365, default 30" },
            "responsible_id": ns("integer"), "department_id": ns("integer"), "notes": s("string")
        })),
        "LicenceAssign": obj(&[], json!({
            "ci_id": ns("integer"), "user_id": ns("integer"),
            "quantity": { "type": ["integer", "null"], "description": "seats or cores; a seat licence defaults to 1" }, "note": s("string")
        })),
        "LicenceAssignment": obj(&["id", "licence_id", "quantity"], json!({
            "id": s("integer"), "licence_id": s("integer"), "ci_id": ns("integer"), "ci_name": ns("string"), "user_id": ns("integer"),
            "user_name": ns("string"), "quantity": s("integer"), "note": s("string"), "created_by": ns("integer"), "created_at": s("integer")
        })),
        "LicenceAssignmentList": items_of("LicenceAssignment"),
        "NewStocktake": obj(&["name"], json!({
            "name": s("string"), "location": { "type": "string", "description": "as the register writes it; blank: any" },
            "department_id": ns("integer"), "category": { "type": ["string", "null"] }
        })),
        "StocktakeItem": obj(&["tag", "expected", "result"], json!({
            "id": s("integer"), "stocktake_id": s("integer"), "tag": s("string"), "asset_id": ns("integer"), "asset_name": ns("string"), "expected": s("boolean"),
            "result": result.clone(), "location": s("string"), "seen_by": ns("integer"), "seen_by_name": ns("string"), "seen_at": ns("integer")
        })),
        "Stocktake": obj(&["id", "name", "state", "counts", "version"], json!({
            "id": s("integer"), "name": s("string"), "location": s("string"), "department_id": ns("integer"), "department_name": ns("string"),
            "category": { "type": ["string", "null"] }, "state": { "enum": ["open", "closed"] }, "applied": s("boolean"),
            "created_by": ns("integer"), "created_by_name": ns("string"), "created_at": s("integer"), "closed_by": ns("integer"),
            "closed_at": ns("integer"), "version": s("integer"), "counts": counts.clone(),
            "items": { "type": "array", "items": { "$ref": "#/components/schemas/StocktakeItem" }, "description": "one campaign's tags" }
        })),
        "StocktakeList": items_of("Stocktake"),
        "StocktakeScanInput": obj(&["code"], json!({ "code": { "type": "string", "description": "a tag, or a label's QR content (…/assets/tag/<TAG>)" } })),
        "StocktakeScan": obj(&["tag", "result", "repeated", "counts"], json!({
            "tag": s("string"), "result": result, "repeated": s("boolean"), "asset_id": ns("integer"), "asset_name": ns("string"), "counts": counts
        })),
        "StocktakeClose": obj(&["version"], json!({
            "version": s("integer"), "apply": { "type": "boolean", "description": "change the register (asset:approve)" }, "note": s("string")
        })),
        "AssetLabel": obj(&["id", "tag", "name", "url", "svg"], json!({
            "id": s("integer"), "tag": s("string"), "name": s("string"), "url": s("string"), "svg": s("string")
        })),
        "AssetLabelList": items_of("AssetLabel"),
    })
}
