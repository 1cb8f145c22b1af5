//! The service catalogue: items with data-defined forms, approval steps and
//! fulfilment tasks, and the items every installation starts with.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::ids::{CatalogItemId, ServiceId, TeamId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::request::{ApprovalMode, ApprovalStep, Approver, FieldKind, FormField, ItemDefinition, Label, TaskTemplate};
use yunwei_domain::validate::{Checker, is_key};
use yunwei_store::Conn;
use yunwei_store::request::{self as store, CatalogItem};

#[derive(Debug, Clone, Serialize)]
pub struct CatalogItemView {
    pub id: CatalogItemId,
    pub code: String,
    pub name: Label,
    pub description: Label,
    pub category: String,
    #[serde(flatten)]
    pub definition: ItemDefinition,
    pub team_id: Option<TeamId>,
    pub service_id: Option<ServiceId>,
    pub active: bool,
    pub sort_order: i64,
    pub version: i64,
}

pub fn item_view(i: &CatalogItem) -> Result<CatalogItemView> {
    Ok(CatalogItemView {
        id: i.id,
        code: i.code.clone(),
        name: Label { zh: i.name_zh.clone(), en: i.name_en.clone() },
        description: Label { zh: i.description_zh.clone(), en: i.description_en.clone() },
        category: i.category.clone(),
        definition: with_shipped_days(
            &i.code,
            serde_json::from_str(&i.definition).map_err(|_| CoreError::Internal("catalogue item definition".into()))?,
        ),
        team_id: i.team_id,
        service_id: i.service_id,
        active: i.active,
        sort_order: i.sort_order,
        version: i.version,
    })
}

/// A catalogue item as administrators write it (create and full replace).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogItemInput {
    /// Stable key, e.g. `vpn_access`; cannot change once created.
    pub code: String,
    pub name: Label,
    pub description: Option<Label>,
    #[serde(default)]
    pub category: String,
    #[serde(flatten)]
    pub definition: ItemDefinition,
    /// The team fulfilment tasks go to unless a task names its own.
    pub team_id: Option<TeamId>,
    pub service_id: Option<ServiceId>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub sort_order: i64,
    /// On replace: the version last read; a mismatch is refused (409).
    pub version: Option<i64>,
}

fn yes() -> bool {
    true
}

/// Whoever may request from the catalogue may read it, and so may whoever holds catalogue read.
/// Pages offer the catalogue only when this allows it.
pub fn may_browse(ctx: &Ctx) -> Result<()> {
    if ctx.authorize(ObjectType::ServiceRequest, Action::Create).is_err() {
        ctx.authorize(ObjectType::CatalogItem, Action::Read)?;
    }
    Ok(())
}

/// What may request from the catalogue may read it; administrators also see retired items.
pub async fn list_items(core: &Core, ctx: &Ctx, include_inactive: bool) -> Result<Vec<CatalogItemView>> {
    if include_inactive {
        ctx.authorize(ObjectType::CatalogItem, Action::Update)?;
    } else {
        may_browse(ctx)?;
    }
    store::list_items(&core.db.read, !include_inactive).await?.iter().map(item_view).collect()
}

pub async fn get_item(core: &Core, ctx: &Ctx, id: CatalogItemId) -> Result<CatalogItemView> {
    let item = store::get_item(&core.db.read, id).await?.ok_or(CoreError::NotFound("catalog_item"))?;
    let manager = ctx.authorize(ObjectType::CatalogItem, Action::Update).is_ok();
    if !manager {
        if ctx.authorize(ObjectType::ServiceRequest, Action::Create).is_err() {
            ctx.authorize(ObjectType::CatalogItem, Action::Read)?;
        }
        if !item.active {
            return Err(CoreError::NotFound("catalog_item"));
        }
    }
    item_view(&item)
}

/// Checks an item against the form rules and that the roles, users, teams and service it names exist.
async fn check(conn: &mut Conn, input: &CatalogItemInput) -> Result<()> {
    let mut c = Checker::new();
    if !is_key(&input.code) {
        c.push(FieldError::new("code", "invalid_key"));
    }
    let mut labels = Vec::new();
    for (field, label, max) in [("name", Some(&input.name), 100), ("description", input.description.as_ref(), 2000)] {
        let Some(label) = label else { continue };
        for (lang, text) in [("zh", &label.zh), ("en", &label.en)] {
            if field == "name" && text.trim().is_empty() {
                labels.push(FieldError::new(format!("{field}.{lang}"), "required"));
            } else if text.chars().count() > max {
                labels.push(FieldError::new(format!("{field}.{lang}"), "too_long").with("max", max));
            }
        }
    }
    for e in labels.into_iter().chain(input.definition.validate()) {
        c.push(e);
    }
    if input.category.chars().count() > 100 {
        c.push(FieldError::new("category", "too_long").with("max", 100));
    }
    for (n, step) in input.definition.approvals.iter().enumerate() {
        match &step.approver {
            Approver::Role { role } if is_key(role) && yunwei_store::admin::get_role_by_key(&mut *conn, role).await?.is_none() => {
                c.push(FieldError::new(format!("approvals[{n}].approver.role"), "not_found"));
            }
            Approver::Users { user_ids } => {
                for (m, u) in user_ids.iter().enumerate() {
                    if yunwei_store::admin::get_user(&mut *conn, yunwei_domain::ids::UserId(*u)).await?.is_none() {
                        c.push(FieldError::new(format!("approvals[{n}].approver.user_ids[{m}]"), "not_found"));
                    }
                }
            }
            _ => {}
        }
    }
    let teams = input.team_id.into_iter().map(|t| ("team_id".to_string(), t)).chain(
        input.definition.tasks.iter().enumerate().filter_map(|(n, t)| t.team_id.map(|id| (format!("tasks[{n}].team_id"), TeamId(id)))),
    );
    for (field, team) in teams.collect::<Vec<_>>() {
        if yunwei_store::admin::get_team(&mut *conn, team).await?.is_none() {
            c.push(FieldError::new(field, "not_found"));
        }
    }
    if let Some(s) = input.service_id
        && yunwei_store::service::get(&mut *conn, s).await?.is_none()
    {
        c.push(FieldError::new("service_id", "not_found"));
    }
    c.finish()?;
    Ok(())
}

fn to_row(input: &CatalogItemInput, now: i64) -> Result<CatalogItem> {
    let description = input.description.clone().unwrap_or_default();
    Ok(CatalogItem {
        code: input.code.clone(),
        name_zh: input.name.zh.trim().to_string(),
        name_en: input.name.en.trim().to_string(),
        description_zh: description.zh,
        description_en: description.en,
        category: input.category.trim().to_string(),
        definition: serde_json::to_string(&input.definition).map_err(|e| CoreError::Internal(e.to_string()))?,
        team_id: input.team_id,
        service_id: input.service_id,
        active: input.active,
        sort_order: input.sort_order,
        created_at: now,
        updated_at: now,
        version: 1,
        ..CatalogItem::default()
    })
}

pub async fn create_item(core: &Core, ctx: &Ctx, input: CatalogItemInput) -> Result<CatalogItemView> {
    ctx.authorize(ObjectType::CatalogItem, Action::Create)?;
    let mut tx = core.db.begin().await?;
    check(&mut tx, &input).await?;
    let mut row = to_row(&input, core.now_ms())?;
    row.id = store::insert_item(&mut tx, &row).await.map_err(CoreError::unique_as("catalog_item_code_taken"))?;
    let v = item_view(&row)?;
    audit::write(core, &mut tx, ctx, Change::new("catalog_item", row.id, "create").after(&v)).await?;
    core.commit(tx).await?;
    Ok(v)
}

pub async fn put_item(core: &Core, ctx: &Ctx, id: CatalogItemId, input: CatalogItemInput) -> Result<CatalogItemView> {
    ctx.authorize(ObjectType::CatalogItem, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let before = store::get_item(&mut *tx, id).await?.ok_or(CoreError::NotFound("catalog_item"))?;
    if input.code != before.code {
        return Err(yunwei_domain::DomainError::field("code", "immutable").into());
    }
    if input.version.is_some_and(|v| v != before.version) {
        return Err(CoreError::Conflict("catalog_item_changed"));
    }
    check(&mut tx, &input).await?;
    let mut row = to_row(&input, core.now_ms())?;
    row.id = id;
    row.created_at = before.created_at;
    row.version = before.version + 1;
    if !store::update_item(&mut tx, &row, before.version).await? {
        return Err(CoreError::Conflict("catalog_item_changed"));
    }
    let v = item_view(&row)?;
    audit::write(core, &mut tx, ctx, Change::new("catalog_item", id, "update").before(&item_view(&before)?).after(&v)).await?;
    core.commit(tx).await?;
    Ok(v)
}

// ---- the items every installation starts with ----

fn field(key: &str, zh: &str, en: &str, kind: FieldKind, required: bool) -> FormField {
    FormField::new(key, Label::new(zh, en), kind, required)
}

fn step(zh: &str, en: &str, approver: Approver, mode: ApprovalMode) -> ApprovalStep {
    ApprovalStep { name: Label::new(zh, en), approver, mode }
}

fn task(zh: &str, en: &str) -> TaskTemplate {
    TaskTemplate { title: Label::new(zh, en), team_id: None }
}

const SYSTEMS: &[(&str, &str, &str)] = &[
    ("oa", "OA 办公系统", "OA office system"),
    ("email", "电子邮件", "Email"),
    ("core_banking", "核心业务系统", "Core business system"),
    ("crm", "客户关系管理系统", "CRM"),
    ("other", "其他", "Other"),
];

/// (code, zh, en, description zh, description en, category, definition)
fn seeded_items() -> Vec<(&'static str, Label, Label, &'static str, ItemDefinition)> {
    let manager = || step("直属主管审批", "Line manager approval", Approver::Manager, ApprovalMode::Any);
    let security =
        || step("安全管理员审批", "Security administrator approval", Approver::Role { role: "security_admin".into() }, ApprovalMode::Any);
    let reason = || field("reason", "申请理由", "Reason", FieldKind::Textarea, true);
    vec![
        (
            "account_creation",
            Label::new("账号开通", "Account creation"),
            Label::new("为新员工或新岗位开通业务系统账号。", "Open a business-system account for a new starter or a new post."),
            "account",
            ItemDefinition {
                fields: vec![
                    field("system", "业务系统", "System", FieldKind::Choice, true).with_options(SYSTEMS),
                    field("account_holder", "账号使用人", "Account holder", FieldKind::User, true),
                    field("start_date", "启用日期", "Start date", FieldKind::Date, true),
                    reason(),
                ],
                approvals: vec![manager(), security()],
                tasks: vec![task("开通账号并通知使用人", "Create the account and tell the holder")],
                expected_days: Some(3),
            },
        ),
        (
            "permission_request",
            Label::new("权限申请", "Permission request"),
            Label::new("申请业务系统或服务器的访问权限，须写明期限。", "Ask for access to a business system or server, with an end date."),
            "account",
            ItemDefinition {
                fields: vec![
                    field("system", "业务系统", "System", FieldKind::Choice, true).with_options(SYSTEMS),
                    field("permission", "权限级别", "Permission level", FieldKind::Choice, true).with_options(&[
                        ("read", "只读", "Read only"),
                        ("write", "读写", "Read and write"),
                        ("admin", "管理员", "Administrator"),
                    ]),
                    field("ci", "服务器/配置项", "Server / CI", FieldKind::Ci, false),
                    field("end_date", "到期日期", "Expires on", FieldKind::Date, true),
                    reason(),
                ],
                approvals: vec![manager(), security()],
                tasks: vec![task("授予权限并登记到期日", "Grant the permission and record its expiry")],
                expected_days: Some(2),
            },
        ),
        (
            "password_reset",
            Label::new("密码重置", "Password reset"),
            Label::new("忘记密码或账号被锁定时申请重置。", "Reset a forgotten password or unlock an account."),
            "account",
            ItemDefinition {
                fields: vec![
                    field("system", "业务系统", "System", FieldKind::Choice, true).with_options(SYSTEMS),
                    field("account", "账号", "Account name", FieldKind::Text, true),
                    field("contact_phone", "联系电话（核实身份用）", "Phone (to verify identity)", FieldKind::Text, true),
                ],
                approvals: vec![],
                tasks: vec![task("核实身份后重置密码", "Verify identity, then reset the password")],
                expected_days: Some(1),
            },
        ),
        (
            "equipment_request",
            Label::new("设备申领", "Equipment request"),
            Label::new("申领办公电脑、显示器、打印机等设备。", "Ask for a computer, monitor, printer or other equipment."),
            "equipment",
            ItemDefinition {
                fields: vec![
                    field("equipment", "设备类型", "Equipment", FieldKind::Choice, true).with_options(&[
                        ("laptop", "笔记本电脑", "Laptop"),
                        ("desktop", "台式电脑", "Desktop computer"),
                        ("monitor", "显示器", "Monitor"),
                        ("printer", "打印机", "Printer"),
                        ("other", "其他", "Other"),
                    ]),
                    field("quantity", "数量", "Quantity", FieldKind::Number, true).with_range(1.0, 20.0),
                    field("needed_by", "需要日期", "Needed by", FieldKind::Date, false),
                    field("location", "使用地点", "Location", FieldKind::Text, true),
                    reason(),
                ],
                approvals: vec![manager()],
                tasks: vec![
                    task("准备设备并登记资产", "Prepare the equipment and record the asset"),
                    task("送达并安装", "Deliver and set up"),
                ],
                expected_days: Some(5),
            },
        ),
        (
            "vpn_access",
            Label::new("VPN 开通", "VPN access"),
            Label::new(
                "远程办公或运维需要的 VPN 账号，须附审批单。",
                "A VPN account for remote work or operations; attach the signed form.",
            ),
            "network",
            ItemDefinition {
                fields: vec![
                    field("vpn_user", "VPN 使用人", "VPN user", FieldKind::User, true),
                    field("start_date", "开始日期", "From", FieldKind::Date, true),
                    field("end_date", "结束日期", "Until", FieldKind::Date, true),
                    field("form", "审批单扫描件", "Signed form (scan)", FieldKind::Attachment, false),
                    reason(),
                ],
                approvals: vec![manager(), security()],
                tasks: vec![task("开通 VPN 账号并下发配置", "Open the VPN account and send the settings")],
                expected_days: Some(3),
            },
        ),
    ]
}

/// Standard items seeded before the catalogue showed expected times promise the shipped time
/// until an administrator sets one.
fn with_shipped_days(code: &str, mut d: ItemDefinition) -> ItemDefinition {
    if d.expected_days.is_none() {
        d.expected_days = seeded_items().into_iter().find(|i| i.0 == code).and_then(|i| i.4.expected_days);
    }
    d
}

/// Inserts the standard items that are missing (by code); never overwrites edits.
pub(crate) async fn seed_items(tx: &mut Conn, now: i64) -> Result<()> {
    for (n, (code, name, description, category, definition)) in seeded_items().into_iter().enumerate() {
        if store::item_code_exists(&mut *tx, code).await? {
            continue;
        }
        let input = CatalogItemInput {
            code: code.into(),
            name,
            description: Some(description),
            category: category.into(),
            definition,
            team_id: None,
            service_id: None,
            active: true,
            sort_order: (n as i64 + 1) * 10,
            version: None,
        };
        store::insert_item(tx, &to_row(&input, now)?).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn seeded_items_are_valid() {
        for (code, _, _, _, d) in super::seeded_items() {
            assert!(d.validate().is_empty(), "{code}: {:?}", d.validate());
            assert!(!d.tasks.is_empty(), "{code} has no fulfilment task");
        }
    }
}
