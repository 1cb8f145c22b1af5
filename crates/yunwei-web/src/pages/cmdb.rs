//! The CMDB's pages: the CI list with class, status and attribute filters and its CSV
//! export; a CI with its attributes in the reader's language, relations by type, history
//! field by field and the CI as it was at a chosen time; the create and edit forms built
//! from the class's attributes. Class administration is in `cmdb_classes`.

use super::{Cell, Field, FormSection, Layout, Posted, Section, TableSection, failed_form, redirect, render, time, url_encode};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::cmdb::ci::{self, CiInput, CiPatch, CiQuery, CiView};
use yunwei_core::cmdb::relation::RelationInput;
use yunwei_core::cmdb::{Channel, ClassView, model, pick};
use yunwei_domain::cmdb::{AttrDef, AttrKind, CiStatus, Criticality, Environment};
use yunwei_domain::ids::{CiClassId, CiId, CiRelationTypeId};
use yunwei_domain::permission::{Action, ObjectType};

pub const ACTIVE: &str = "/cmdb";

fn en(tr: Tr) -> bool {
    !tr.is_zh()
}

fn allows(caller: &Caller, action: Action) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::ConfigurationItem, action))
}

fn class_label(tr: Tr, c: &ClassView) -> String {
    pick(&c.name, &c.name_en, en(tr)).to_string()
}

fn ci_name(tr: Tr, v: &CiView) -> String {
    pick(&v.ci.name, &v.ci.name_en, en(tr)).to_string()
}

/// An attribute's value as a reader sees it: enum choices by name, booleans as yes/no.
pub(super) fn show_value(tr: Tr, d: &AttrDef, v: &serde_json::Value) -> String {
    match (d.kind, v) {
        (_, serde_json::Value::Null) => "—".into(),
        (AttrKind::Enum, serde_json::Value::String(code)) => {
            d.enum_values.iter().find(|e| &e.code == code).map(|e| pick(&e.name, &e.name_en, en(tr)).to_string()).unwrap_or(code.clone())
        }
        (AttrKind::Boolean, serde_json::Value::Bool(b)) => tr.t(if *b { "cmdb.yes" } else { "cmdb.no" }),
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

fn choices<T: Copy + std::fmt::Display>(tr: Tr, prefix: &str, all: &[T]) -> Vec<(String, String)> {
    all.iter().map(|v| (v.to_string(), tr.t(&format!("{prefix}.{v}")))).collect()
}

async fn teams(state: &AppState, caller: &Caller) -> Vec<(String, String)> {
    let names = super::desk::Names::load(state, caller).await;
    let mut out = vec![(String::new(), caller.tr.t("field.none"))];
    out.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
    out
}

// ---- the list ----

/// The API's query from the page's: the filter form names one attribute (`attr`) and its
/// value (`value`); the API's own `attr.<code>=` works too.
fn page_query(query: &str) -> Result<(CiQuery, String, String), ApiError> {
    let pairs = crate::form::decode(query.as_bytes());
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let rest: String =
        pairs.iter().filter(|(k, _)| k != "attr" && k != "value").map(|(k, v)| format!("{}={}&", url_encode(k), url_encode(v))).collect();
    let mut q = crate::api::cmdb::ci_query(&rest)?;
    let (attr_code, attr_value) = (get("attr"), get("value"));
    if !attr_code.is_empty() && !attr_value.is_empty() {
        q.attrs.insert(attr_code.clone(), attr_value.clone());
    }
    Ok((q, attr_code, attr_value))
}

async fn list_layout(state: &AppState, caller: &Caller, query: &str) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let (mut q, attr_code, attr_value) = page_query(query)?;
    let pairs = crate::form::decode(query.as_bytes());
    q.limit = Some(50);
    let classes = model::classes(&state.core, &caller.ctx).await?;
    let list = ci::list(&state.core, &caller.ctx, &q).await?;
    let ticks = super::cmdb_list_tools::may_edit(caller);
    let rows = list
        .items
        .iter()
        .map(|v| {
            let mut row = vec![
                Cell::link(ci_name(tr, v), format!("/cmdb/cis/{}", v.ci.id)),
                Cell::text(pick(&v.class_name, &v.class_name_en, en(tr)).to_string()),
                Cell::badge(tr.t(&format!("cmdb.status.{}", v.ci.status)), &format!("ci-status ci-{}", v.ci.status)),
                Cell::text(tr.t(&format!("cmdb.criticality.{}", v.ci.criticality))),
                Cell::text(v.owner_team_name.clone().unwrap_or_else(|| "—".into())),
                Cell::text(v.location_name.clone().unwrap_or_else(|| "—".into())),
                Cell::text(time(v.ci.updated_at, caller)),
            ];
            if ticks {
                row.insert(0, super::cmdb_list_tools::tick(v.ci.id, ci_name(tr, v)));
            }
            row
        })
        .collect();
    let mut class_options = vec![(String::new(), tr.t("incident.filter.any"))];
    class_options.extend(classes.iter().map(|c| (c.code.clone(), format!("{}{}", "　".repeat(c.depth), class_label(tr, c)))));
    let mut status_options = vec![(String::new(), tr.t("incident.filter.any"))];
    status_options.extend(choices(tr, "cmdb.status", CiStatus::ALL));
    let mut attr_options = vec![(String::new(), tr.t("cmdb.attr_none"))];
    let mut seen = Vec::new();
    for c in &classes {
        for a in &c.attributes {
            if !seen.contains(&a.code) {
                seen.push(a.code.clone());
                attr_options.push((a.code.clone(), format!("{}{}", a.label(en(tr)), tr.aside(&class_label(tr, c)))));
            }
        }
    }
    let mut team_options = teams(state, caller).await;
    let all_teams = team_options.clone();
    team_options[0].1 = tr.t("incident.filter.any");
    let filter = FormSection::get(
        "cmdb-filter",
        ACTIVE,
        tr.t("action.filter"),
        vec![
            Field::new("select", "class", tr.t("field.class"), q.class.clone().unwrap_or_default()).options(class_options),
            Field::new("select", "status", tr.t("field.status"), q.status.clone().unwrap_or_default()).options(status_options),
            Field::new("select", "team", tr.t("field.owner_team_id"), q.team.map(|t| t.to_string()).unwrap_or_default())
                .options(team_options),
            Field::new("search", "q", tr.t("field.name"), q.q.clone().unwrap_or_default()),
            Field::new("select", "attr", tr.t("field.attr"), attr_code).options(attr_options),
            Field::new("text", "value", tr.t("cmdb.attr_value"), attr_value),
        ],
    )
    .class("cols-3");
    let plain: String = pairs.iter().filter(|(k, _)| k != "cursor").map(|(k, v)| format!("{}={}&", url_encode(k), url_encode(v))).collect();
    let next = list.next_cursor.map(|c| format!("{ACTIVE}?{plain}cursor={}", url_encode(&c)));
    let mut links = vec![
        (format!("/cmdb/export.csv?{plain}"), tr.t("cmdb.export_csv")),
        (format!("/cmdb/export.xlsx?{plain}"), tr.t("cmdb.export_xlsx")),
    ];
    if allows(caller, Action::Create) {
        links.insert(0, ("/cmdb/new".into(), tr.t("cmdb.new")));
    }
    if allows(caller, Action::Create) || allows(caller, Action::Update) {
        links.push(("/cmdb/import".into(), tr.t("cmdb.import.title")));
    }
    if caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::CiClass, Action::Read)) {
        links.push(("/cmdb/classes".into(), tr.t("cmdb.classes")));
    }
    links.push((super::cmdb_discovery::PATH.into(), tr.t("cmdb.discovery.title")));
    let columns =
        ["field.name", "field.class", "field.status", "field.criticality", "field.owner_team_id", "field.location_id", "field.updated"];
    let mut columns: Vec<String> = columns.iter().map(|k| tr.t(k)).collect();
    if ticks {
        columns.insert(0, tr.t("incident.bulk.select"));
    }
    let table = TableSection { columns, rows, next };
    // A saved view keeps the filter only (not the page or a notice), as core accepts it.
    let view_query: Vec<String> = pairs
        .iter()
        .filter(|(k, v)| ["class", "status", "team", "q", "attr", "value"].contains(&k.as_str()) && !v.is_empty())
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect();
    let (above, below) = super::cmdb_list_tools::sections(state, caller, &all_teams, &view_query.join("&")).await;
    let mut sections = vec![Section::Links(links), Section::Form(filter)];
    sections.extend(above);
    sections.push(Section::Table(table));
    sections.extend(below);
    Ok(Layout { title: tr.t("process.cmdb.title"), sections, ..Layout::default() })
}

pub async fn list(State(state): State<AppState>, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    caller.require()?;
    // `ok` says what was just done (a view saved); the rest is the filter.
    let pairs = crate::form::decode(uri.query().unwrap_or("").as_bytes());
    let notice = pairs.iter().find(|(k, v)| k == "ok" && v == "view_saved").map(|_| caller.tr.t("notice.view_saved"));
    let query: Vec<String> = pairs.iter().filter(|(k, _)| k != "ok").map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v))).collect();
    let layout = list_layout(&state, &caller, &query.join("&")).await?;
    Ok(render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await)
}

/// The filtered list as CSV (every page of it, up to 10,000 rows), cells formula-escaped.
pub async fn export_csv(State(state): State<AppState>, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    export(&state, &caller, &uri, false).await
}

/// The same as XLSX: typed columns, frozen header with filters (`yunwei-sheet`).
pub async fn export_xlsx(State(state): State<AppState>, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    export(&state, &caller, &uri, true).await
}

async fn export(state: &AppState, caller: &Caller, uri: &Uri, xlsx: bool) -> Result<Response, ApiError> {
    use yunwei_core::sheet::{Column, Kind, Sheet};
    caller.require()?;
    let tr = caller.tr;
    let (mut q, _, _) = page_query(uri.query().unwrap_or(""))?;
    let headers = [
        ("field.name", 30.0),
        ("field.class", 16.0),
        ("field.status", 12.0),
        ("field.criticality", 12.0),
        ("field.environment", 12.0),
        ("field.owner_team_id", 18.0),
        ("field.location_id", 18.0),
        ("field.tags", 20.0),
        ("field.attributes", 60.0),
    ];
    let columns = headers.iter().map(|(k, w)| Column::new(tr.t(k), Kind::Text, *w)).collect();
    let mut sheet = Sheet::new(tr.t("process.cmdb.title"), columns);
    q.limit = Some(200);
    for _ in 0..50 {
        let page = ci::list(&state.core, &caller.ctx, &q).await?;
        for v in &page.items {
            sheet.rows.push(vec![
                ci_name(tr, v),
                pick(&v.class_name, &v.class_name_en, en(tr)).to_string(),
                tr.t(&format!("cmdb.status.{}", v.ci.status)),
                tr.t(&format!("cmdb.criticality.{}", v.ci.criticality)),
                tr.t(&format!("cmdb.environment.{}", v.ci.environment)),
                v.owner_team_name.clone().unwrap_or_default(),
                v.location_name.clone().unwrap_or_default(),
                v.ci.tags.join(", "),
                v.ci.attributes.to_string(),
            ]);
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let rows = sheet.rows.len();
    if xlsx {
        let bytes = sheet.to_xlsx().map_err(|e| ApiError::from(yunwei_core::CoreError::Internal(e.to_string())))?;
        return Ok(crate::api::queue_tools::download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "cmdb.xlsx",
            bytes,
            rows,
        ));
    }
    Ok(crate::api::queue_tools::download("text/csv; charset=utf-8", "cmdb.csv", sheet.to_csv(), rows))
}

// ---- the create and edit forms ----

/// Typed inputs for a class's attributes (inherited first), named `attributes.<code>`.
fn attribute_fields(tr: Tr, defs: &[AttrDef], values: &serde_json::Value) -> Vec<Field> {
    defs.iter()
        .map(|d| {
            let name = format!("attributes.{}", d.code);
            let current = values.get(&d.code).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let label = d.label(en(tr)).to_string();
            let (kind, value) = match d.kind {
                AttrKind::Integer | AttrKind::Decimal => ("number", current.unwrap_or_default()),
                AttrKind::Date => ("date", current.unwrap_or_default()),
                AttrKind::Boolean | AttrKind::Enum => ("select", current.unwrap_or_default()),
                AttrKind::Json => ("textarea", current.unwrap_or_default()),
                _ => ("text", current.unwrap_or_default()),
            };
            let mut f = Field::new(kind, &name, label, value);
            if d.kind == AttrKind::Enum {
                let mut opts = vec![(String::new(), "—".to_string())];
                opts.extend(d.enum_values.iter().map(|e| (e.code.clone(), pick(&e.name, &e.name_en, en(tr)).to_string())));
                f = f.options(opts);
            }
            if d.kind == AttrKind::Boolean {
                f = f.options(vec![(String::new(), "—".into()), ("true".into(), tr.t("cmdb.yes")), ("false".into(), tr.t("cmdb.no"))]);
            }
            if d.required {
                f = f.required();
            }
            if let Some(p) = &d.pattern {
                f = f.help(tr.with("cmdb.pattern_help", &[("pattern".into(), p.clone())]));
            }
            f
        })
        .collect()
}

fn common_fields(tr: Tr, v: Option<&CiView>, teams: Vec<(String, String)>, locations: Vec<(String, String)>) -> Vec<Field> {
    let s = |f: fn(&CiView) -> String| v.map(f).unwrap_or_default();
    vec![
        Field::new("text", "name", tr.t("field.name"), s(|v| v.ci.name.clone())).required(),
        Field::new("text", "name_en", tr.t("field.name_en"), s(|v| v.ci.name_en.clone())),
        Field::new("select", "status", tr.t("field.status"), v.map_or("production".into(), |v| v.ci.status.clone())).options(choices(
            tr,
            "cmdb.status",
            CiStatus::ALL,
        )),
        Field::new("select", "criticality", tr.t("field.criticality"), v.map_or("medium".into(), |v| v.ci.criticality.clone()))
            .options(choices(tr, "cmdb.criticality", Criticality::ALL)),
        Field::new("select", "environment", tr.t("field.environment"), v.map_or("production".into(), |v| v.ci.environment.clone()))
            .options(choices(tr, "cmdb.environment", Environment::ALL)),
        Field::new(
            "select",
            "owner_team_id",
            tr.t("field.owner_team_id"),
            s(|v| v.ci.owner_team_id.map(|t| t.to_string()).unwrap_or_default()),
        )
        .options(teams),
        Field::new("select", "location_id", tr.t("field.location_id"), s(|v| v.ci.location_id.map(|t| t.to_string()).unwrap_or_default()))
            .options(locations),
        Field::new("number", "min_healthy", tr.t("field.min_healthy"), s(|v| v.ci.min_healthy.map(|t| t.to_string()).unwrap_or_default()))
            .help(tr.t("cmdb.min_healthy_help")),
        Field::new("text", "tags", tr.t("field.tags"), s(|v| v.ci.tags.join(", "))).help(tr.t("cmdb.tags_help")),
        Field::new("textarea", "description", tr.t("field.description"), s(|v| v.ci.description.clone())).rows(3).wide(),
    ]
}

async fn locations(state: &AppState, caller: &Caller) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), caller.tr.t("field.none"))];
    let q = CiQuery { class: Some("location".into()), limit: Some(200), ..CiQuery::default() };
    if let Ok(page) = ci::list(&state.core, &caller.ctx, &q).await {
        out.extend(page.items.iter().map(|v| (v.ci.id.to_string(), ci_name(caller.tr, v))));
    }
    out
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewQuery {
    class: Option<i64>,
}

async fn new_layout(state: &AppState, caller: &Caller, class: Option<CiClassId>) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let classes = model::classes(&state.core, &caller.ctx).await?;
    let options: Vec<(String, String)> = classes
        .iter()
        .filter(|c| !c.is_abstract)
        .map(|c| (c.id.to_string(), format!("{}{}", "　".repeat(c.depth), class_label(tr, c))))
        .collect();
    let chooser = FormSection::get(
        "cmdb-class",
        "/cmdb/new",
        tr.t("cmdb.choose_class"),
        vec![Field::new("select", "class", tr.t("field.class"), class.map(|c| c.to_string()).unwrap_or_default()).options(options)],
    );
    let mut sections = vec![Section::Form(chooser)];
    if let Some(c) = class {
        let detail = model::class(&state.core, &caller.ctx, c).await?;
        let mut fields = vec![Field::new("hidden", "class_id", String::new(), c.to_string())];
        fields.extend(common_fields(tr, None, teams(state, caller).await, locations(state, caller).await));
        fields.extend(attribute_fields(tr, &detail.all_attributes, &serde_json::json!({})));
        let heading = tr.with("cmdb.new_of_class", &[("class".into(), class_label(tr, &detail.class))]);
        sections.push(Section::Form(FormSection::post("cmdb-ci", ACTIVE, tr.t("action.save"), fields).heading(heading).class("cols-2")));
    }
    Ok(Layout { title: tr.t("cmdb.new"), sections, ..Layout::default() })
}

pub async fn new_form(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<NewQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = new_layout(&state, &caller, q.class.map(CiClassId)).await?;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// The posted fields as the API's input: `attributes.<code>` into the attributes (blank ones
/// left out when creating, sent as `null` to clear when editing), tags split on commas.
fn read_form(
    pairs: &[(String, String)],
    editing: bool,
) -> (serde_json::Map<String, serde_json::Value>, serde_json::Map<String, serde_json::Value>) {
    let mut top = serde_json::Map::new();
    let mut attrs = serde_json::Map::new();
    for (k, v) in pairs {
        if let Some(code) = k.strip_prefix("attributes.") {
            if !v.trim().is_empty() {
                attrs.insert(code.to_string(), serde_json::Value::String(v.clone()));
            } else if editing {
                attrs.insert(code.to_string(), serde_json::Value::Null);
            }
            continue;
        }
        let value = match k.as_str() {
            _ if k == crate::form::CSRF_FIELD => continue,
            "tags" => serde_json::json!(v.split([',', '，']).map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>()),
            "class_id" | "version" | "owner_team_id" | "location_id" | "min_healthy" => match v.trim() {
                "" => serde_json::Value::Null,
                n => n.parse::<i64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::String(n.into())),
            },
            _ => serde_json::Value::String(v.clone()),
        };
        top.insert(k.clone(), value);
    }
    (top, attrs)
}

fn bind<T: serde::de::DeserializeOwned>(top: serde_json::Map<String, serde_json::Value>) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::Object(top))
        .map_err(|e| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_form").detail(e.to_string()))
}

pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<Vec<(String, String)>>) -> Result<Response, ApiError> {
    caller.require()?;
    let (top, attrs) = read_form(&form.posted, false);
    let class = top.get("class_id").and_then(serde_json::Value::as_i64).map(CiClassId);
    let result = match bind::<CiInput>(top) {
        Ok(mut input) => {
            input.attributes = attrs;
            ci::create(&state.core, &caller.ctx, input, Channel::Ui).await.map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(redirect(&format!("/cmdb/cis/{}?ok=saved", v.ci.id))),
        Err(e) => {
            let layout = new_layout(&state, &caller, class).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("cmdb-ci", form.posted))).await
        }
    }
}

pub(super) async fn edit_form(state: &AppState, caller: &Caller, v: &CiView) -> Result<Option<FormSection>, ApiError> {
    let tr = caller.tr;
    if !allows(caller, Action::Update) {
        return Ok(None);
    }
    let detail = model::class(&state.core, &caller.ctx, v.ci.class_id).await?;
    let mut fields = vec![Field::new("hidden", "version", String::new(), v.ci.version.to_string())];
    fields.extend(common_fields(tr, Some(v), teams(state, caller).await, locations(state, caller).await));
    fields.extend(attribute_fields(tr, &detail.all_attributes, &v.ci.attributes));
    Ok(Some(
        FormSection::post("cmdb-ci", format!("/cmdb/cis/{}", v.ci.id), tr.t("action.save"), fields)
            .heading(tr.t("cmdb.edit"))
            .class("cols-2")
            .folded(false),
    ))
}

pub(super) fn patch_from(pairs: &[(String, String)]) -> Result<CiPatch, ApiError> {
    let (top, attrs) = read_form(pairs, true);
    let mut patch: CiPatch = bind(top)?;
    patch.attributes = Some(attrs);
    // Blank text fields on the form clear, as the form always sends every field.
    patch.name_en.get_or_insert_with(String::new);
    patch.description.get_or_insert_with(String::new);
    patch.tags.get_or_insert_with(Vec::new);
    Ok(patch)
}

pub(super) fn relation_input(pairs: &[(String, String)], ci: CiId) -> RelationInput {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let other = CiId(get("other_id").parse().unwrap_or(0));
    let (from, to) = if get("direction") == "incoming" { (other, ci) } else { (ci, other) };
    RelationInput { type_id: get("type_id").parse().ok().map(CiRelationTypeId), type_code: None, from_ci_id: from, to_ci_id: to }
}
