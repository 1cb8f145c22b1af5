//! Discovery under /cmdb: the sources (precedence, stale-after period), the drift they
//! reported and the CIs they stopped reporting; on a CI's page, what each source says of it.
//! Adding a source is the CMDB model's administration (`ci_class` grants).

use super::cmdb::ACTIVE;
use super::{Cell, Field, FormSection, Layout, Posted, Section, TableSection, failed_form, redirect, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use yunwei_core::cmdb::discovery_sources::{self as sources, DriftQuery, DriftView, Findings, SourceInput};
use yunwei_core::cmdb::{model, pick};
use yunwei_domain::ids::CiId;
use yunwei_domain::permission::{Action, ObjectType};

pub const PATH: &str = "/cmdb/discovery";

fn en(tr: Tr) -> bool {
    !tr.is_zh()
}

fn drift_table(
    tr: Tr,
    caller: &Caller,
    drift: &[DriftView],
    label: &(dyn Fn(&str) -> String + Sync),
    value: &(dyn Fn(&str, &Value) -> String + Sync),
    with_ci: bool,
) -> Section {
    let rows = drift
        .iter()
        .map(|d| {
            let mut row = vec![
                Cell::text(label(&d.drift.field)),
                Cell::text(d.source_name.clone()),
                Cell::text(value(&d.drift.field, &d.drift.reported)),
                Cell::text(value(&d.drift.field, &d.drift.kept)),
                Cell::text(d.holder_name.clone().unwrap_or_else(|| tr.t("cmdb.discovery.person"))),
                Cell::text(time(d.drift.detected_at, caller)),
            ];
            if with_ci {
                row.insert(0, Cell::link(d.ci_name.clone(), format!("/cmdb/cis/{}", d.drift.ci_id)));
            }
            row
        })
        .collect();
    let mut columns: Vec<String> = [
        "cmdb.discovery.field",
        "cmdb.discovery.source",
        "cmdb.discovery.reported",
        "cmdb.discovery.kept",
        "cmdb.discovery.held_by",
        "cmdb.discovery.detected",
    ]
    .iter()
    .map(|k| tr.t(k))
    .collect();
    if with_ci {
        columns.insert(0, tr.t("field.name"));
    }
    Section::Table(TableSection { columns, rows, next: None })
}

/// On a CI's page: each source's sighting (stale or current) and its drift; nothing when no
/// source has reported the CI.
pub async fn ci_sections(
    state: &AppState,
    caller: &Caller,
    id: CiId,
    label: &(dyn Fn(&str) -> String + Sync),
    value: &(dyn Fn(&str, &Value) -> String + Sync),
) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let f = sources::of_ci(&state.core, &caller.ctx, id, en(tr)).await?;
    if f.sightings.is_empty() && f.drift.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![Section::Heading(tr.t("cmdb.discovery.title"))];
    let rows = f
        .sightings
        .iter()
        .map(|s| {
            let state = if s.sighting.stale { "cmdb.discovery.stale" } else { "cmdb.discovery.current" };
            vec![
                Cell::text(s.source_name.clone()),
                Cell::text(time(s.sighting.first_seen, caller)),
                Cell::text(time(s.sighting.last_seen, caller)),
                Cell::text(tr.t(state)),
            ]
        })
        .collect();
    let columns = ["cmdb.discovery.source", "cmdb.discovery.first_seen", "cmdb.discovery.last_seen", "field.status"]
        .iter()
        .map(|k| tr.t(k))
        .collect();
    out.push(Section::Table(TableSection { columns, rows, next: None }));
    if !f.drift.is_empty() {
        out.push(Section::Text(tr.t("cmdb.discovery.drift_help")));
        out.push(drift_table(tr, caller, &f.drift, label, value, false));
    }
    Ok(out)
}

fn may_configure(caller: &Caller) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::CiClass, Action::Create))
}

async fn layout(state: &AppState, caller: &Caller, q: &DriftQuery) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let Findings { drift, sightings: stale } = sources::findings(&state.core, &caller.ctx, q, en(tr)).await?;
    let all = sources::sources(&state.core, &caller.ctx).await?;
    let classes = model::classes(&state.core, &caller.ctx).await?;
    // A drift list spans classes: an attribute is named by the first class that has it.
    let label = |field: &str| -> String {
        match field.strip_prefix("attributes.") {
            Some(code) => classes
                .iter()
                .flat_map(|c| &c.attributes)
                .find(|a| a.code == code)
                .map_or(code.to_string(), |a| a.label(en(tr)).to_string()),
            None => tr.t(&format!("field.{field}")),
        }
    };
    let value = |field: &str, v: &Value| -> String {
        let def = field.strip_prefix("attributes.").and_then(|code| classes.iter().flat_map(|c| &c.attributes).find(|a| a.code == code));
        match def {
            Some(d) => super::cmdb::show_value(tr, d, v),
            None => match v {
                Value::String(s) => s.clone(),
                Value::Null => "—".into(),
                other => other.to_string(),
            },
        }
    };
    let mut sections = vec![Section::Links(vec![(ACTIVE.into(), tr.t("cmdb.back_to_list"))]), Section::Prose(tr.t("cmdb.discovery.intro"))];
    sections.push(Section::Heading(tr.t("cmdb.discovery.sources")));
    let rows = all
        .iter()
        .map(|s| {
            let per: Vec<String> =
                s.attribute_precedence.iter().map(|(k, v)| format!("{} {}", label(&format!("attributes.{k}")), v)).collect();
            vec![
                Cell::link(pick(&s.name, &s.name_en, en(tr)).to_string(), format!("{PATH}?source={}", s.code)),
                Cell::text(s.code.clone()),
                Cell::text(s.precedence.to_string()),
                Cell::text(if per.is_empty() { "—".into() } else { per.join("、") }),
                Cell::text(tr.with("cmdb.discovery.hours", &[("hours".into(), s.stale_after_hours.to_string())])),
            ]
        })
        .collect();
    let columns =
        ["field.name", "cmdb.class_code", "cmdb.discovery.precedence", "cmdb.discovery.attribute_precedence", "cmdb.discovery.stale_after"]
            .iter()
            .map(|k| tr.t(k))
            .collect();
    sections.push(Section::Table(TableSection { columns, rows, next: None }));
    if may_configure(caller) {
        let fields = vec![
            Field::new("text", "code", tr.t("cmdb.class_code"), "").required().help(tr.t("error.invalid_key")),
            Field::new("text", "name", tr.t("field.name"), "").required(),
            Field::new("text", "name_en", tr.t("field.name_en"), ""),
            Field::new("number", "precedence", tr.t("cmdb.discovery.precedence"), "50").help(tr.t("cmdb.discovery.precedence_help")),
            Field::new("number", "stale_after_hours", tr.t("cmdb.discovery.stale_after_hours"), "168"),
        ];
        sections.push(Section::Form(
            FormSection::post("cmdb-source-new", format!("{PATH}/sources"), tr.t("cmdb.discovery.add_source"), fields)
                .heading(tr.t("cmdb.discovery.add_source"))
                .class("cols-2"),
        ));
    }
    sections.push(Section::Heading(tr.t("cmdb.discovery.drift")));
    if drift.is_empty() {
        sections.push(Section::Text(tr.t("cmdb.discovery.no_drift")));
    } else {
        sections.push(Section::Text(tr.t("cmdb.discovery.drift_help")));
        sections.push(drift_table(tr, caller, &drift, &label, &value, true));
    }
    sections.push(Section::Heading(tr.t("cmdb.discovery.stale_list")));
    if stale.is_empty() {
        sections.push(Section::Text(tr.t("cmdb.discovery.no_stale")));
    } else {
        let rows = stale
            .iter()
            .map(|s| {
                vec![
                    Cell::link(s.ci_name.clone(), format!("/cmdb/cis/{}", s.sighting.ci_id)),
                    Cell::text(s.source_name.clone()),
                    Cell::text(time(s.sighting.last_seen, caller)),
                ]
            })
            .collect();
        let columns = ["field.name", "cmdb.discovery.source", "cmdb.discovery.last_seen"].iter().map(|k| tr.t(k)).collect();
        sections.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    Ok(Layout { title: tr.t("cmdb.discovery.title"), sections, ..Layout::default() })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    source: Option<String>,
    ok: Option<String>,
}

pub async fn page(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<PageQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = layout(&state, &caller, &DriftQuery { source: q.source, limit: None }).await?;
    let notice = q.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    Ok(render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await)
}

/// The source form: numbers arrive as text; a blank one takes the default.
#[derive(Deserialize, Default)]
pub struct SourceForm {
    code: String,
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    precedence: String,
    #[serde(default)]
    stale_after_hours: String,
}

pub async fn create_source(State(state): State<AppState>, caller: Caller, form: PageForm<SourceForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form
        .run(|f| {
            let num = |s: &str| s.trim().parse::<i64>().ok();
            let input = SourceInput {
                code: f.code,
                name: Some(f.name),
                name_en: Some(f.name_en),
                precedence: num(&f.precedence),
                stale_after_hours: num(&f.stale_after_hours),
                attribute_precedence: None,
            };
            sources::create_source(&state.core, &caller.ctx, input)
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!("{PATH}?ok=saved"))),
        Err(e) => {
            let layout = layout(&state, &caller, &DriftQuery::default()).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("cmdb-source-new", posted))).await
        }
    }
}
