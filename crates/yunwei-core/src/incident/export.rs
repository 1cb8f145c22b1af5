//! Exporting a queue as CSV or XLSX: the same filters and record scope as the
//! list, names instead of ids, formula-escaped cells, and an audit entry.

use super::query::{QueueQuery, list};
use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use std::collections::HashMap;
use yunwei_domain::ids::UserId;
use yunwei_domain::incident::IncidentState;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_sheet::{Column, Kind, Sheet};

/// The most rows one export holds; narrow the filters for more.
pub const MAX_EXPORT_ROWS: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

pub struct Exported {
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub rows: usize,
}

const HEADER_ZH: [&str; 15] = [
    "编号",
    "标题",
    "状态",
    "优先级",
    "分类",
    "业务服务",
    "处理组",
    "处理人",
    "报告人",
    "部门",
    "登记时间",
    "解决时限",
    "已超时",
    "更新时间",
    "解决代码",
];
/// A state as the pages name it (the web's `incident.state.*`; a test there keeps the two equal).
pub fn state_label(s: IncidentState, zh: bool) -> &'static str {
    use IncidentState::*;
    match (s, zh) {
        (New, true) => "新建",
        (Assigned, true) => "已分派",
        (InProgress, true) => "处理中",
        (Pending, true) => "挂起",
        (Resolved, true) => "已解决",
        (Closed, true) => "已关闭",
        (New, false) => "New",
        (Assigned, false) => "Assigned",
        (InProgress, false) => "In progress",
        (Pending, false) => "Pending",
        (Resolved, false) => "Resolved",
        (Closed, false) => "Closed",
    }
}

const HEADER_EN: [&str; 15] = [
    "Number",
    "Title",
    "State",
    "Priority",
    "Category",
    "Service",
    "Team",
    "Assignee",
    "Requester",
    "Department",
    "Created",
    "Resolution due",
    "Breached",
    "Updated",
    "Resolution code",
];

/// Each column's cell type and width (characters) in XLSX, in the order of the headers.
const COLUMNS: [(Kind, f64); 15] = [
    (Kind::Text, 13.0),
    (Kind::Text, 40.0),
    (Kind::Text, 10.0),
    (Kind::Text, 8.0),
    (Kind::Text, 14.0),
    (Kind::Text, 16.0),
    (Kind::Text, 14.0),
    (Kind::Text, 12.0),
    (Kind::Text, 12.0),
    (Kind::Text, 14.0),
    (Kind::DateTime, 17.0),
    (Kind::DateTime, 17.0),
    (Kind::Text, 8.0),
    (Kind::DateTime, 17.0),
    (Kind::Text, 14.0),
];

pub async fn export(core: &Core, ctx: &Ctx, q: &QueueQuery, format: ExportFormat) -> Result<Exported> {
    let (actor, _) = ctx.authorize(ObjectType::Incident, Action::Export)?;
    let (zh, zone) = (actor.locale.starts_with("zh"), actor.time_zone.clone());
    let settings = super::desk_settings(core).await?;
    let mut rd = core.db.read.acquire().await?;
    let local = |name: String, name_en: String| if zh || name_en.trim().is_empty() { name } else { name_en };
    let categories: HashMap<i64, String> =
        yunwei_store::incident::categories(&mut *rd).await?.into_iter().map(|c| (c.id.0, local(c.name, c.name_en))).collect();
    let services: HashMap<i64, String> =
        yunwei_store::service::list(&mut *rd, None).await?.into_iter().map(|s| (s.id.0, local(s.name, s.name_en))).collect();
    let page = yunwei_domain::page::PageRequest::parse(Some(200), None, false)?;
    let teams: HashMap<i64, String> = yunwei_store::admin::list_teams(&mut *rd, None, &page)
        .await?
        .items
        .into_iter()
        .map(|t| (t.id.0, local(t.name, t.name_en)))
        .collect();
    let departments: HashMap<i64, String> =
        yunwei_store::admin::list_departments(&mut *rd, None, &page).await?.items.into_iter().map(|d| (d.id.0, d.name)).collect();
    let mut users: HashMap<UserId, String> = HashMap::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut q = QueueQuery { limit: Some(200), cursor: None, ..q.clone() };
    let time = |ms: Option<i64>| ms.map(|t| crate::format_time(t, &zone)).unwrap_or_default();
    loop {
        let batch = list(core, ctx, &q).await?;
        for v in &batch.items {
            let mut name = async |u: Option<UserId>| -> Result<String> {
                let Some(u) = u else { return Ok(String::new()) };
                if let Some(n) = users.get(&u) {
                    return Ok(n.clone());
                }
                let n = yunwei_store::admin::get_user(&mut *rd, u).await?.map(|x| x.display_name).unwrap_or_else(|| format!("#{u}"));
                users.insert(u, n.clone());
                Ok(n)
            };
            let (assignee, requester) = (name(v.assignee_id).await?, name(v.requester_id).await?);
            let lookup = |m: &HashMap<i64, String>, id: Option<i64>| id.and_then(|i| m.get(&i).cloned()).unwrap_or_default();
            rows.push(vec![
                v.number.clone(),
                v.title.clone(),
                state_label(v.state, zh).to_string(),
                format!("P{}", v.priority.get()),
                lookup(&categories, v.category_id.map(|c| c.0)),
                lookup(&services, v.service_id.map(|s| s.0)),
                lookup(&teams, v.team_id.map(|t| t.0)),
                assignee,
                v.requester_name.clone().filter(|_| v.requester_id.is_none()).unwrap_or(requester),
                lookup(&departments, v.department_id.map(|d| d.0)),
                time(Some(v.created_at)),
                time(v.sla.resolve_due_at),
                if v.sla.resolve_breached || v.sla.response_breached { (if zh { "是" } else { "Yes" }).into() } else { String::new() },
                time(Some(v.updated_at)),
                v.resolution_code.as_deref().map(|c| settings.resolution_name(c, zh)).unwrap_or_default(),
            ]);
        }
        if rows.len() > MAX_EXPORT_ROWS {
            rows.truncate(MAX_EXPORT_ROWS);
            break;
        }
        match batch.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    drop(rd);
    let count = rows.len();
    let mut tx = core.db.begin().await?;
    let described = serde_json::json!({ "queue": q.queue, "state": q.state, "team_id": q.team_id, "q": q.q, "rows": count, "format": format!("{format:?}").to_lowercase() });
    audit::write(core, &mut tx, ctx, Change::new("incident", "*", "export").after(&described)).await?;
    core.commit(tx).await?;
    let stamp = jiff::Timestamp::from_millisecond(core.now_ms()).map(|t| t.strftime("%Y%m%d-%H%M").to_string()).unwrap_or_default();
    let header = if zh { HEADER_ZH } else { HEADER_EN };
    let columns = header.iter().zip(COLUMNS).map(|(h, (kind, width))| Column::new(*h, kind, width)).collect();
    let sheet = Sheet { name: (if zh { "事件" } else { "Incidents" }).into(), columns, rows };
    Ok(match format {
        ExportFormat::Csv => Exported {
            filename: format!("incidents-{stamp}.csv"),
            content_type: "text/csv; charset=utf-8",
            bytes: sheet.to_csv(),
            rows: count,
        },
        ExportFormat::Xlsx => Exported {
            filename: format!("incidents-{stamp}.xlsx"),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes: sheet.to_xlsx().map_err(|e| CoreError::Internal(e.to_string()))?,
            rows: count,
        },
    })
}
