//! "Import CIs" under /cmdb: upload a CSV (UTF-8 or GBK), XLSX or XLS file for one class,
//! preview what each row would do (create, update, unchanged, or its errors in the reader's
//! language), then import. Columns are mapped by their headings (a field's or attribute's
//! code or name in either language); the preview shows the mapping.

use super::{Cell, Field, FormSection, Layout, Section, TableSection, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::i18n::Tr;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_core::cmdb::import::{self, ImportMode, ImportOptions, ImportReport, RowOutcome};
use yunwei_core::cmdb::{model, pick};
use yunwei_domain::permission::{Action, ObjectType};

const ACTIVE: &str = "/cmdb";

fn may_import(caller: &Caller) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| {
        a.permissions.allows(ObjectType::ConfigurationItem, Action::Create)
            || a.permissions.allows(ObjectType::ConfigurationItem, Action::Update)
    })
}

/// What the form held, kept when it is shown again.
#[derive(Default)]
struct Posted {
    class: String,
    mode: String,
    dry_run: bool,
}

async fn form(state: &AppState, caller: &Caller, posted: &Posted) -> Result<FormSection, ApiError> {
    let tr = caller.tr;
    let classes = model::classes(&state.core, &caller.ctx).await?;
    let options = classes
        .iter()
        .filter(|c| !c.is_abstract)
        .map(|c| (c.code.clone(), format!("{}{}", "　".repeat(c.depth), pick(&c.name, &c.name_en, !tr.is_zh()))))
        .collect();
    let modes =
        vec![("per_row".to_string(), tr.t("cmdb.import.per_row")), ("all_or_nothing".to_string(), tr.t("cmdb.import.all_or_nothing"))];
    let fields = vec![
        Field::new("select", "class", tr.t("field.class"), posted.class.clone()).options(options).required(),
        Field::new("file", "file", tr.t("field.file"), String::new()).required().help(tr.t("cmdb.import.file_help")),
        Field::new("select", "mode", tr.t("cmdb.import.mode"), posted.mode.clone()).options(modes),
        Field::new("checkbox", "dry_run", tr.t("cmdb.import.dry_run"), "true").checked(posted.dry_run),
    ];
    Ok(FormSection::post("cmdb-import", "/cmdb/import", tr.t("cmdb.import.submit"), fields).multipart())
}

pub async fn page(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require()?;
    if !may_import(&caller) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let tr = caller.tr;
    let form = form(&state, &caller, &Posted { dry_run: true, ..Posted::default() }).await?;
    let layout = Layout {
        title: tr.t("cmdb.import.title"),
        sections: vec![Section::Prose(tr.t("cmdb.import.intro")), Section::Form(form)],
        ..Layout::default()
    };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    form_data: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let mut data = form_data.map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body"))?;
    let (mut csrf, mut file, mut posted) = (None, Vec::new(), Posted::default());
    loop {
        match data.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::new(e.status(), "body_too_large")
                    } else {
                        ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body")
                    }
                })?;
                let text = || String::from_utf8_lossy(&bytes).to_string();
                match name.as_str() {
                    crate::form::CSRF_FIELD => csrf = Some(text()),
                    "class" => posted.class = text(),
                    "mode" => posted.mode = text(),
                    "dry_run" => posted.dry_run = true,
                    "file" => file = bytes.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "unreadable_body" };
                return Err(ApiError::new(e.status(), code));
            }
        }
    }
    let expected = caller.session.as_ref().map(|s| s.csrf_token.as_bytes());
    if !matches!((expected, &csrf), (Some(e), Some(got)) if yunwei_core::crypto::constant_time_eq(e, got.as_bytes())) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_failed"));
    }
    let mode = if posted.mode == "all_or_nothing" { ImportMode::AllOrNothing } else { ImportMode::PerRow };
    let opts = ImportOptions { class: posted.class.clone(), mode, dry_run: posted.dry_run, mapping: Default::default() };
    let done = if file.is_empty() {
        Err(ApiError::from(yunwei_core::CoreError::from(yunwei_domain::DomainError::Validation(vec![yunwei_domain::FieldError::new(
            "file", "required",
        )]))))
    } else {
        import::import(&state.core, &caller.ctx, &file, &opts).await.map_err(ApiError::from)
    };
    let (report, errors) = match done {
        Ok(r) => (Some(r), Vec::new()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let errors = e
                .fields
                .iter()
                .map(|f| tr.labelled(&field_label(tr, &f.field), &tr.with(&format!("error.{}", f.code), &f.params)))
                .collect();
            (None, errors)
        }
        Err(e) => return Err(e),
    };
    let mut sections = Vec::new();
    if let Some(r) = &report {
        let labels = labels(&state, &caller).await?;
        sections.extend(report_sections(tr, r, &labels));
    }
    // The form again, as it was: a preview is followed by the same file without "preview only".
    posted.dry_run = report.as_ref().is_none_or(|r| !r.dry_run) && posted.dry_run;
    sections.push(Section::Form(form(&state, &caller, &posted).await?));
    let layout = Layout { title: tr.t("cmdb.import.title"), sections, ..Layout::default() };
    let notice = report.as_ref().map(|r| summary(tr, r));
    Ok(render(&state, &caller, ACTIVE, layout, notice, errors).await)
}

fn field_label(tr: Tr, field: &str) -> String {
    match field {
        "class" => tr.t("field.class"),
        "file" => tr.t("field.file"),
        "row" => tr.t("cmdb.import.row"),
        f if f.starts_with("mapping.") => tr.t("cmdb.import.columns"),
        other => other.to_string(),
    }
}

/// Field and attribute names in the reader's language, by code (`name`, `attributes.<code>`).
async fn labels(state: &AppState, caller: &Caller) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    let tr = caller.tr;
    let mut out = std::collections::BTreeMap::new();
    for f in ["name", "name_en", "description", "status", "criticality", "environment", "tags"] {
        out.insert(f.to_string(), tr.t(&format!("field.{f}")));
    }
    for c in model::classes(&state.core, &caller.ctx).await? {
        for a in &c.attributes {
            out.entry(format!("attributes.{}", a.code)).or_insert_with(|| a.label(!tr.is_zh()).to_string());
            out.entry(a.code.clone()).or_insert_with(|| a.label(!tr.is_zh()).to_string());
        }
    }
    Ok(out)
}

fn summary(tr: Tr, r: &ImportReport) -> String {
    let counts = [("total", r.total), ("created", r.created), ("updated", r.updated), ("unchanged", r.unchanged), ("failed", r.failed)]
        .map(|(k, n)| (k.to_string(), n.to_string()));
    let key = match (r.dry_run, r.committed) {
        (true, _) => "cmdb.import.previewed",
        (false, true) => "cmdb.import.done",
        (false, false) => "cmdb.import.not_committed",
    };
    tr.with(key, &counts)
}

fn outcome_label(tr: Tr, o: RowOutcome) -> String {
    tr.t(match o {
        RowOutcome::Create => "cmdb.import.outcome.create",
        RowOutcome::Update => "cmdb.import.outcome.update",
        RowOutcome::Unchanged => "cmdb.import.outcome.unchanged",
        RowOutcome::Error => "cmdb.import.outcome.error",
    })
}

fn report_sections(tr: Tr, r: &ImportReport, labels: &std::collections::BTreeMap<String, String>) -> Vec<Section> {
    let label = |f: &str| labels.get(f).cloned().unwrap_or_else(|| field_label(tr, f));
    let columns = r
        .columns
        .iter()
        .map(|c| {
            vec![Cell::text(c.heading.clone()), Cell::text(c.field.as_deref().map(label).unwrap_or_else(|| tr.t("cmdb.import.skipped")))]
        })
        .collect();
    let rows = r
        .rows
        .iter()
        .map(|row| {
            let errors: Vec<String> =
                row.errors.iter().map(|e| tr.labelled(&label(&e.field), &tr.with(&format!("error.{}", e.code), &e.params))).collect();
            let name = match row.ci_id {
                Some(id) if !r.dry_run || row.outcome != RowOutcome::Create => Cell::link(row.name.clone(), format!("/cmdb/cis/{id}")),
                _ => Cell::text(row.name.clone()),
            };
            vec![
                Cell::text(row.line.to_string()),
                Cell::badge(outcome_label(tr, row.outcome), &format!("import-{}", format!("{:?}", row.outcome).to_lowercase())),
                name,
                Cell::text(errors.join(if tr.is_zh() { "；" } else { "; " })),
            ]
        })
        .collect();
    vec![
        Section::Heading(tr.t("cmdb.import.columns")),
        Section::Table(TableSection { columns: vec![tr.t("cmdb.import.heading"), tr.t("cmdb.import.field")], rows: columns, next: None }),
        Section::Heading(tr.t("cmdb.import.rows")),
        Section::Table(TableSection {
            columns: vec![tr.t("cmdb.import.line"), tr.t("cmdb.import.outcome"), tr.t("field.name"), tr.t("cmdb.import.errors")],
            rows,
            next: None,
        }),
    ]
}
