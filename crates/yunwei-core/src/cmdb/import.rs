//! CI import from a spreadsheet (CSV in UTF-8 or GB18030/GBK, XLSX, XLS): columns mapped to
//! fields (pre-filled from headings that name a field or attribute in either language), each
//! row matched to an existing CI of the class by its identifying attributes (data:
//! `ci_attributes.identifying` — serial number, asset tag, host name, management IP …) and
//! created, updated or left unchanged. A dry run reports what would happen and writes
//! nothing; `per_row` commits the valid rows and reports the bad ones, `all_or_nothing`
//! commits only a file without errors. Every write goes through the one CI write path
//! ([`super::ci`]) with history source `import`.

use super::ci::{CiInput, CiPatch, create_in, update_in};
use super::{Channel, Schema, load_ci};
use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yunwei_domain::cmdb::{AttrDef, CiStatus, Criticality, Environment};
use yunwei_domain::ids::{CiClassId, CiId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::{DomainError, FieldError};

/// Rows written per transaction in `per_row` mode, so that a large file does not hold the
/// writer for its whole length.
const CHUNK: usize = 500;
/// The most rows one report lists (errors first); the counts cover every row.
pub const MAX_REPORTED_ROWS: usize = 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Valid rows are written, bad rows reported.
    #[default]
    PerRow,
    /// Nothing is written unless every row is valid.
    AllOrNothing,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// The class code or id every row belongs to.
    pub class: String,
    #[serde(default)]
    pub mode: ImportMode,
    #[serde(default)]
    pub dry_run: bool,
    /// Column heading → field (`name`, `name_en`, `description`, `status`, `criticality`,
    /// `environment`, `tags`, or an attribute code; empty to skip the column). Headings not
    /// named here are matched by their text.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Create,
    Update,
    Unchanged,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportRow {
    /// The row's line in the file (1 is the heading row).
    pub line: usize,
    pub outcome: RowOutcome,
    pub ci_id: Option<CiId>,
    pub name: String,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnMap {
    pub heading: String,
    /// The field the column fills; `None` when it is skipped.
    pub field: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub class_id: CiClassId,
    pub class_code: String,
    pub mode: ImportMode,
    pub dry_run: bool,
    /// Whether rows were written (false for a dry run, or all-or-nothing with errors).
    pub committed: bool,
    pub total: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub columns: Vec<ColumnMap>,
    /// Rows with errors first, then the others, at most [`MAX_REPORTED_ROWS`].
    pub rows: Vec<ImportRow>,
}

/// The fixed fields an import fills, with their headings in Chinese and English (the words
/// the CI list's CSV export uses for its headings).
const FIXED: [(&str, &str, &str); 7] = [
    ("name", "名称", "Name"),
    ("name_en", "英文名称", "English name"),
    ("description", "说明", "Description"),
    ("status", "状态", "Status"),
    ("criticality", "重要程度", "Criticality"),
    ("environment", "环境", "Environment"),
    ("tags", "标签", "Tags"),
];
const STATUS: [(&str, &str, &str); 4] = [
    ("planned", "规划中", "Planned"),
    ("production", "运行中", "In production"),
    ("maintenance", "维护中", "Maintenance"),
    ("retired", "已退役", "Retired"),
];
const CRITICALITY: [(&str, &str, &str); 4] =
    [("critical", "关键", "Critical"), ("high", "高", "High"), ("medium", "中", "Medium"), ("low", "低", "Low")];
const ENVIRONMENT: [(&str, &str, &str); 5] = [
    ("production", "生产", "Production"),
    ("staging", "预发布", "Staging"),
    ("test", "测试", "Test"),
    ("development", "开发", "Development"),
    ("disaster_recovery", "灾备", "Disaster recovery"),
];

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The field a heading names by itself: a field or attribute code, or its name in either language.
fn field_of(heading: &str, defs: &[&AttrDef]) -> Option<String> {
    if let Some((code, _, _)) = FIXED.iter().find(|(code, zh, en)| same(heading, code) || same(heading, zh) || same(heading, en)) {
        return Some(code.to_string());
    }
    defs.iter().find(|d| same(heading, &d.code) || same(heading, &d.name) || same(heading, &d.name_en)).map(|d| d.code.clone())
}

/// A value given as its code or its label in either language.
fn choice<T: std::str::FromStr>(table: &[(&str, &str, &str)], text: &str) -> Option<T> {
    table.iter().find(|(code, zh, en)| same(text, code) || same(text, zh) || same(text, en)).and_then(|(code, _, _)| code.parse().ok())
}

/// Reads, maps and checks the file, then creates or updates each row (or only says what it
/// would do). Needs `configuration_item:create` or `:update`; each row is then authorised as
/// its own create or update, so a team-scoped grant writes only its teams' CIs.
pub async fn import(core: &Core, ctx: &Ctx, bytes: &[u8], opts: &ImportOptions) -> Result<ImportReport> {
    if ctx.authorize(ObjectType::ConfigurationItem, Action::Create).is_err() {
        ctx.authorize(ObjectType::ConfigurationItem, Action::Update)?;
    }
    let refuse = |field: &str, code: &str| CoreError::from(DomainError::Validation(vec![FieldError::new(field, code)]));
    let table = yunwei_sheet::read_table(bytes).map_err(|e| match e {
        yunwei_sheet::SheetError::BadQuote { line } | yunwei_sheet::SheetError::Csv { line, .. } => {
            CoreError::from(DomainError::Validation(vec![FieldError::new("file", e.code()).with("line", line)]))
        }
        _ => refuse("file", e.code()),
    })?;
    let mut tx = core.db.begin().await?;
    let schema = Schema::load(&mut tx).await?;
    let class = opts.class.trim();
    let class = match class.parse::<i64>() {
        Ok(id) => schema.class(CiClassId(id)),
        Err(_) => schema.class_by_code(class),
    }
    .filter(|k| !k.deleted && schema.visible(ctx, k.id))
    .ok_or_else(|| refuse("class", "not_found"))?;
    if class.is_abstract {
        return Err(refuse("class", "abstract_class"));
    }
    let (class_id, class_code) = (class.id, class.code.clone());
    let defs = schema.attributes(class_id);
    let mut rows = table.into_iter();
    let headings = rows.next().ok_or_else(|| refuse("file", "sheet_empty"))?.cells;
    let mut bad = Vec::new();
    let columns: Vec<ColumnMap> = headings
        .iter()
        .map(|h| {
            let field = match opts.mapping.get(h) {
                Some(f) if f.trim().is_empty() => None,
                Some(f) => {
                    let known = FIXED.iter().any(|(c, _, _)| c == f) || defs.iter().any(|d| d.code == *f);
                    if !known {
                        bad.push(FieldError::new(format!("mapping.{h}"), "unknown_attribute"));
                    }
                    Some(f.clone())
                }
                None => field_of(h, &defs),
            };
            ColumnMap { heading: h.clone(), field }
        })
        .collect();
    for (i, c) in columns.iter().enumerate() {
        if c.field.is_some() && columns[..i].iter().any(|earlier| earlier.field == c.field) {
            bad.push(FieldError::new(format!("mapping.{}", c.heading), "mapped_twice"));
        }
    }
    if !bad.is_empty() {
        return Err(DomainError::Validation(bad).into());
    }
    let mut report = ImportReport {
        class_id,
        class_code: class_code.clone(),
        mode: opts.mode,
        dry_run: opts.dry_run,
        committed: false,
        total: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: 0,
        columns,
        rows: Vec::new(),
    };
    let mut listed = Vec::new();
    let mut pending = 0;
    for row in rows {
        report.total += 1;
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        for (c, cell) in report.columns.iter().zip(&row.cells) {
            if let Some(f) = c.field.as_deref() {
                fields.insert(f, yunwei_sheet::unescape(cell.trim()));
            }
        }
        let name = fields.get("name").copied().unwrap_or_default().to_string();
        let done = import_row(core, &mut tx, ctx, &schema, class_id, &defs, &fields).await;
        let (outcome, ci_id, errors) = match done {
            Ok((outcome, id)) => (outcome, Some(id), Vec::new()),
            Err(e) => (RowOutcome::Error, None, row_errors(e)?),
        };
        match outcome {
            RowOutcome::Create => report.created += 1,
            RowOutcome::Update => report.updated += 1,
            RowOutcome::Unchanged => report.unchanged += 1,
            RowOutcome::Error => report.failed += 1,
        }
        listed.push(ImportRow { line: row.line, outcome, ci_id, name, errors });
        pending += 1;
        if !opts.dry_run && opts.mode == ImportMode::PerRow && pending >= CHUNK {
            core.commit(tx).await?;
            super::graph::note_write(core);
            tx = core.db.begin().await?;
            (pending, report.committed) = (0, true);
        }
    }
    let commit = !opts.dry_run && (opts.mode == ImportMode::PerRow || report.failed == 0);
    if commit {
        let summary = serde_json::json!({ "class": class_code, "mode": opts.mode, "rows": report.total,
            "created": report.created, "updated": report.updated, "unchanged": report.unchanged, "failed": report.failed });
        audit::write(core, &mut tx, ctx, Change::new("ci", "*", "import").after(&summary)).await?;
        core.commit(tx).await?;
        super::graph::note_write(core);
        report.committed = true;
    }
    listed.sort_by_key(|r| (r.outcome != RowOutcome::Error, r.line));
    listed.truncate(MAX_REPORTED_ROWS);
    report.rows = listed;
    Ok(report)
}

/// A row's refusal as field errors; failures that are not about the row end the import.
pub(crate) fn row_errors(e: CoreError) -> Result<Vec<FieldError>> {
    Ok(match e {
        CoreError::Domain(DomainError::Validation(errs)) => errs,
        CoreError::Forbidden(_) => vec![FieldError::new("row", "forbidden")],
        CoreError::NotFound(_) => vec![FieldError::new("row", "not_found")],
        CoreError::Conflict(code) => vec![FieldError::new("row", code)],
        other => return Err(other),
    })
}

async fn import_row(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    schema: &Schema,
    class_id: CiClassId,
    defs: &[&AttrDef],
    fields: &BTreeMap<&str, &str>,
) -> Result<(RowOutcome, CiId)> {
    let mut errs = Vec::new();
    let text = |f: &str| fields.get(f).map(|s| s.to_string()).filter(|s| !s.is_empty());
    let mut pick = |f: &str, table: &[(&str, &str, &str)]| -> Option<String> {
        let t = text(f)?;
        let found = table.iter().find(|(code, zh, en)| same(&t, code) || same(&t, zh) || same(&t, en)).map(|x| x.0.to_string());
        if found.is_none() {
            let allowed = table.iter().map(|x| x.0).collect::<Vec<_>>().join(", ");
            errs.push(FieldError::new(f, "not_allowed_value").with("allowed", allowed));
        }
        found
    };
    let status = pick("status", &STATUS).and_then(|s| choice::<CiStatus>(&STATUS, &s));
    let criticality = pick("criticality", &CRITICALITY).and_then(|s| choice::<Criticality>(&CRITICALITY, &s));
    let environment = pick("environment", &ENVIRONMENT).and_then(|s| choice::<Environment>(&ENVIRONMENT, &s));
    if !errs.is_empty() {
        return Err(DomainError::Validation(errs).into());
    }
    let tags = text("tags").map(|t| t.split([',', '，', ';', '；']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect());
    let attributes: serde_json::Map<String, serde_json::Value> =
        defs.iter().filter_map(|d| text(&d.code).map(|v| (d.code.clone(), serde_json::Value::String(v)))).collect();
    // The first identifying key the row fills (in the class's order) finds the CI.
    let found = match super::keys::find(tx, core.db.backend, schema, class_id, &attributes).await? {
        super::keys::Found::Nothing => None,
        super::keys::Found::One(id) => Some(id),
        super::keys::Found::Several(code) => {
            return Err(DomainError::Validation(vec![FieldError::new(format!("attributes.{code}"), "ambiguous_match")]).into());
        }
    };
    match found {
        Some(id) => {
            let before = load_ci(tx, schema, ctx, id, Action::Update).await?;
            let patch = CiPatch {
                version: before.version,
                name: text("name"),
                name_en: text("name_en"),
                description: text("description"),
                status,
                criticality,
                environment,
                tags,
                attributes: Some(attributes),
                ..CiPatch::default()
            };
            match update_in(core, tx, ctx, schema, before, patch, Channel::Import).await? {
                Some(ci) => Ok((RowOutcome::Update, ci.id)),
                None => Ok((RowOutcome::Unchanged, id)),
            }
        }
        None => {
            let input = CiInput {
                class_id,
                name: text("name").unwrap_or_default(),
                name_en: text("name_en").unwrap_or_default(),
                description: text("description").unwrap_or_default(),
                status,
                criticality,
                environment,
                tags: tags.unwrap_or_default(),
                attributes,
                ..CiInput::default()
            };
            super::ci::check_team_scope(ctx, Action::Create, input.owner_team_id)?;
            let ci = create_in(core, tx, ctx, schema, input, Channel::Import).await?;
            Ok((RowOutcome::Create, ci.id))
        }
    }
}
