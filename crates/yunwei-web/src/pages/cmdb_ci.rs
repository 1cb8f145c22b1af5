//! One CI's page: facts, attributes in the reader's language, relations grouped by type
//! (reverse names for incoming ones), history field by field, the CI as it was at a chosen
//! time, and the edit, relate and delete forms.

use super::cmdb::{ACTIVE, edit_form, patch_from, relation_input, show_value};
use super::{Cell, Field, FormSection, Layout, Posted, Section, TableSection, TimelineEntry, failed_form, redirect, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::cmdb::ci::{self, CiView};
use yunwei_core::cmdb::relation::{self, HistoryEntry, RelationView};
use yunwei_core::cmdb::{Channel, model, pick};
use yunwei_domain::ids::{CiId, CiRelationId};
use yunwei_domain::permission::{Action, ObjectType};

fn en(tr: Tr) -> bool {
    !tr.is_zh()
}

/// The graph around the CI: what its failure affects, up to the business services, and
/// what it needs; CIs the reader may not see are counted under it, never named.
pub async fn impact_section(state: &AppState, caller: &Caller, ci: &CiView) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let n = yunwei_core::cmdb::neighbourhood::around(&state.core, &caller.ctx, ci.ci.id).await?;
    let mut out = vec![Section::Heading(tr.t("cmdb.graph.title")), Section::Text(tr.t("cmdb.graph.help"))];
    out.push(Section::Svg(super::cmdb_graph::draw(tr, &n)));
    if n.hidden > 0 {
        out.push(Section::Text(tr.with("cmdb.graph.hidden", &[("count".into(), n.hidden.to_string())])));
    }
    Ok(out)
}

fn relation_sections(tr: Tr, rels: &[RelationView], removable: bool, ci: CiId) -> Vec<Section> {
    let mut out = vec![Section::Heading(tr.t("cmdb.relations"))];
    if rels.is_empty() {
        out.push(Section::Text(tr.t("cmdb.no_relations")));
        return out;
    }
    let mut labels: Vec<String> = Vec::new();
    for r in rels {
        let l = pick(&r.label, &r.label_en, en(tr)).to_string();
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    let mut rows = Vec::new();
    for label in labels {
        for r in rels.iter().filter(|r| pick(&r.label, &r.label_en, en(tr)) == label) {
            let other = if r.hidden {
                Cell::text(tr.t("cmdb.hidden_ci"))
            } else {
                Cell::link(r.other_name.clone(), format!("/cmdb/cis/{}", r.other_id))
            };
            let mut row = vec![Cell::text(label.clone()), other, Cell::text(pick(&r.other_class, &r.other_class_en, en(tr)).to_string())];
            if removable {
                row.push(Cell::button(
                    format!("/cmdb/cis/{ci}/relations/{}/delete", r.id),
                    tr.t("action.delete"),
                    tr.t("action.delete_confirm"),
                ));
            }
            rows.push(row);
        }
    }
    let mut columns = vec![tr.t("field.type_id"), tr.t("field.to_ci_id"), tr.t("field.class")];
    if removable {
        columns.push(String::new());
    }
    out.push(Section::Table(TableSection { columns, rows, next: None }));
    out
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if s.is_empty() => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How history names a change: the field's label, each value in the reader's words.
pub(super) struct Wording<'a> {
    pub label: &'a (dyn Fn(&str) -> String + Sync),
    pub value: &'a (dyn Fn(&str, &serde_json::Value) -> String + Sync),
    /// The discovery source a reconciliation's `source_ref` names.
    pub source: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

fn history_section(tr: Tr, caller: &Caller, entries: &[HistoryEntry], words: &Wording) -> Section {
    Section::Timeline(
        entries
            .iter()
            .map(|h| {
                let what = match (h.subject, h.relation.as_ref()) {
                    ("relation", Some(r)) => tr.with(
                        &format!("cmdb.history.relation_{}", h.op),
                        &[("label".into(), pick(&r.label, &r.label_en, en(tr)).to_string()), ("other".into(), r.other_name.clone())],
                    ),
                    _ => tr.t(&format!("cmdb.history.{}", h.op)),
                };
                let body = h
                    .changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{}：{} → {}",
                            (words.label)(&c.field),
                            (words.value)(&c.field, &c.before),
                            (words.value)(&c.field, &c.after)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let mut source = tr.t(&format!("cmdb.source.{}", h.source));
                if let Some(name) = h.source_ref.as_deref().filter(|_| h.source == "reconciliation").and_then(words.source) {
                    source = tr.with("cmdb.source.reconciliation_by", &[("source".into(), name)]);
                }
                TimelineEntry {
                    time: format!("{} · v{} · {}", time(h.at, caller), h.id, source),
                    actor: h.actor_name.clone().unwrap_or_else(|| tr.t("cmdb.source.system")),
                    what,
                    body,
                    internal: false,
                }
            })
            .collect(),
    )
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    ok: Option<String>,
    /// `YYYY-MM-DDTHH:MM` in the reader's zone: show the CI as it was then.
    at: Option<String>,
}

async fn item_layout(state: &AppState, caller: &Caller, id: CiId, at: Option<&str>) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let v = ci::get(&state.core, &caller.ctx, id).await?;
    let detail = model::class(&state.core, &caller.ctx, v.ci.class_id).await?;
    let defs = detail.all_attributes.clone();
    let label_of = |field: &str| -> String {
        match field.strip_prefix("attributes.") {
            Some(code) => defs.iter().find(|d| d.code == code).map(|d| d.label(en(tr)).to_string()).unwrap_or(code.to_string()),
            None => tr.t(&format!("field.{field}")),
        }
    };
    let attr_rows = |values: &serde_json::Value| -> Vec<(String, String)> {
        defs.iter()
            .map(|d| (d.label(en(tr)).to_string(), show_value(tr, d, values.get(&d.code).unwrap_or(&serde_json::Value::Null))))
            .collect()
    };
    // Status, criticality, environment and enum values in the reader's words, not their codes.
    let value_of = |field: &str, v: &serde_json::Value| -> String {
        match (field.strip_prefix("attributes."), v) {
            (_, serde_json::Value::Null) => "—".into(),
            (Some(code), _) => defs.iter().find(|d| d.code == code).map_or_else(|| show(v), |d| show_value(tr, d, v)),
            (None, serde_json::Value::String(s)) if !s.is_empty() && matches!(field, "status" | "criticality" | "environment") => {
                tr.t(&format!("cmdb.{field}.{s}"))
            }
            _ => show(v),
        }
    };
    let mut facts = vec![
        (tr.t("field.class"), pick(&v.class_name, &v.class_name_en, en(tr)).to_string()),
        (tr.t("field.status"), tr.t(&format!("cmdb.status.{}", v.ci.status))),
        (tr.t("field.criticality"), tr.t(&format!("cmdb.criticality.{}", v.ci.criticality))),
        (tr.t("field.environment"), tr.t(&format!("cmdb.environment.{}", v.ci.environment))),
        (tr.t("field.owner_team_id"), v.owner_team_name.clone().unwrap_or_else(|| "—".into())),
        (tr.t("field.location_id"), v.location_name.clone().unwrap_or_else(|| "—".into())),
        (tr.t("field.tags"), if v.ci.tags.is_empty() { "—".into() } else { v.ci.tags.join("、") }),
        (tr.t("cmdb.version"), v.ci.version.to_string()),
        (tr.t("field.updated"), time(v.ci.updated_at, caller)),
    ];
    if let Some(n) = v.ci.min_healthy {
        facts.push((tr.t("field.min_healthy"), n.to_string()));
    }
    let mut links = vec![(ACTIVE.into(), tr.t("cmdb.back_to_list"))];
    if caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Incident, Action::Read)) {
        links.push((format!("/incidents?queue=all&ci_id={id}"), tr.t("cmdb.incidents_on_ci")));
    }
    let mut main = vec![Section::Links(links)];
    if !v.ci.description.is_empty() {
        main.push(Section::Prose(v.ci.description.clone()));
    }
    main.push(Section::Heading(tr.t("field.attributes")));
    main.push(Section::Facts(attr_rows(&v.ci.attributes)));
    main.extend(super::cmdb_discovery::ci_sections(state, caller, id, &label_of, &value_of).await?);
    main.extend(impact_section(state, caller, &v).await?);
    let rels = relation::list(&state.core, &caller.ctx, id).await?;
    let can_update = caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::ConfigurationItem, Action::Update));
    main.extend(relation_sections(tr, &rels, can_update, id));
    if can_update {
        let types = model::relation_types(&state.core, &caller.ctx).await?;
        let type_opts: Vec<(String, String)> = types
            .iter()
            .map(|t| (t.relation_type.id.to_string(), pick(&t.relation_type.name, &t.relation_type.name_en, en(tr)).to_string()))
            .collect();
        let others = ci::list(&state.core, &caller.ctx, &yunwei_core::cmdb::ci::CiQuery { limit: Some(200), ..Default::default() }).await?;
        let ci_opts: Vec<(String, String)> = others
            .items
            .iter()
            .filter(|o| o.ci.id != id)
            .map(|o| (o.ci.id.to_string(), format!("{}（{}）", o.ci.name, pick(&o.class_name, &o.class_name_en, en(tr)))))
            .collect();
        let dir = vec![("outgoing".into(), tr.t("cmdb.direction.outgoing")), ("incoming".into(), tr.t("cmdb.direction.incoming"))];
        main.push(Section::Form(
            FormSection::post(
                "cmdb-relate",
                format!("/cmdb/cis/{id}/relations"),
                tr.t("cmdb.relate"),
                vec![
                    Field::new("select", "direction", tr.t("cmdb.direction"), "outgoing").options(dir),
                    Field::new("select", "type_id", tr.t("field.type_id"), "").options(type_opts),
                    Field::new("select", "other_id", tr.t("field.to_ci_id"), "").options(ci_opts),
                ],
            )
            .heading(tr.t("cmdb.relate"))
            .folded(false)
            .class("cols-3"),
        ));
    }
    // As of a moment.
    main.push(Section::Heading(tr.t("cmdb.as_of")));
    main.push(Section::Form(FormSection::get(
        "cmdb-as-of",
        format!("/cmdb/cis/{id}"),
        tr.t("cmdb.show_as_of"),
        vec![Field::new("datetime-local", "at", tr.t("cmdb.as_of_time"), at.unwrap_or_default())],
    )));
    if let Some(text) = at.filter(|t| !t.is_empty()) {
        let zone = caller.ctx.actor.as_ref().map(|a| a.time_zone.clone()).unwrap_or_else(|| "Asia/Shanghai".into());
        let ms = as_of_ms(text, &zone).ok_or_else(|| {
            let mut e = ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            e.fields.push(yunwei_domain::FieldError::new("at", "invalid_date"));
            e
        })?;
        let then = relation::as_of(&state.core, &caller.ctx, id, Some(ms)).await?;
        match &then.ci {
            None => main.push(Section::Text(tr.t("cmdb.did_not_exist"))),
            Some(c) => {
                let mut rows = vec![
                    (tr.t("field.name"), c.ci.name.clone()),
                    (tr.t("field.status"), tr.t(&format!("cmdb.status.{}", c.ci.status))),
                    (tr.t("field.owner_team_id"), c.owner_team_name.clone().unwrap_or_else(|| "—".into())),
                ];
                rows.extend(attr_rows(&c.ci.attributes));
                main.push(Section::Facts(rows));
                main.extend(relation_sections(tr, &then.relations, false, id).into_iter().skip(1));
            }
        }
    }
    main.push(Section::Heading(tr.t("cmdb.history")));
    let history = relation::history(&state.core, &caller.ctx, id, None, Some(50)).await?;
    let sources = yunwei_core::cmdb::discovery_sources::sources(&state.core, &caller.ctx).await.unwrap_or_default();
    let source_of = |r: &str| sources.iter().find(|s| s.id.to_string() == r).map(|s| pick(&s.name, &s.name_en, en(tr)).to_string());
    let words = Wording { label: &label_of, value: &value_of, source: &source_of };
    main.push(history_section(tr, caller, &history, &words));
    if let Some(form) = edit_form(state, caller, &v).await? {
        main.push(Section::Form(form));
    }
    if caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::ConfigurationItem, Action::Delete)) {
        main.push(Section::Form(FormSection::delete(tr, format!("/cmdb/cis/{id}/delete"))));
    }
    Ok(Layout {
        title: pick(&v.ci.name, &v.ci.name_en, en(tr)).to_string(),
        sections: main,
        aside: vec![Section::Facts(facts)],
        data: Vec::new(),
    })
}

/// `YYYY-MM-DDTHH:MM` (a datetime-local input) in `zone` as unix ms.
fn as_of_ms(text: &str, zone: &str) -> Option<i64> {
    let dt: jiff::civil::DateTime = text.trim().parse().ok()?;
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    // The whole minute the reader chose counts.
    Some(dt.to_zoned(tz).ok()?.timestamp().as_millisecond() + 59_999)
}

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ItemQuery>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = item_layout(&state, &caller, CiId(id), q.at.as_deref()).await?;
    let notice = q.ok.as_deref().filter(|k| ["saved", "deleted"].contains(k)).map(|k| caller.tr.t(&format!("notice.{k}")));
    Ok(render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await)
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let result = match patch_from(&form.posted) {
        Ok(patch) => ci::update(&state.core, &caller.ctx, CiId(id), patch, Channel::Ui).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(redirect(&format!("/cmdb/cis/{id}?ok=saved"))),
        Err(e) => {
            let layout = item_layout(&state, &caller, CiId(id), None).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("cmdb-ci", form.posted))).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: Option<String>,
}

/// Deletes after the browser's confirmation; if others depend on the CI, the page names
/// them and offers a second, explicit confirmation.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<DeleteForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let confirm = form.input.as_ref().ok().and_then(|f| f.confirm.as_deref()) == Some("yes");
    match ci::delete(&state.core, &caller.ctx, CiId(id), confirm, Channel::Ui).await {
        Ok(()) => Ok(redirect(&format!("{ACTIVE}?ok=deleted"))),
        Err(yunwei_core::CoreError::NeedsConfirmation { names, count, .. }) => {
            let tr = caller.tr;
            let mut layout = item_layout(&state, &caller, CiId(id), None).await?;
            let text = tr.with("cmdb.delete_dependants", &[("count".into(), count.to_string()), ("names".into(), names.join("、"))]);
            let again = FormSection::confirmed(
                "cmdb-delete-anyway",
                format!("/cmdb/cis/{id}/delete"),
                tr.t("cmdb.delete_anyway"),
                tr.t("action.delete_confirm"),
            );
            let mut again = again;
            again.fields.push(Field::new("hidden", "confirm", String::new(), "yes"));
            layout.sections.insert(0, Section::Form(again));
            layout.sections.insert(0, Section::Text(text));
            Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_relation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let input = relation_input(&form.posted, CiId(id));
    match relation::create(&state.core, &caller.ctx, input, Channel::Ui).await {
        Ok(_) => Ok(redirect(&format!("/cmdb/cis/{id}?ok=saved"))),
        Err(e) => {
            let layout = item_layout(&state, &caller, CiId(id), None).await?;
            failed_form(&state, &caller, e.into(), layout, ACTIVE, Some(&Posted::new("cmdb-relate", form.posted))).await
        }
    }
}

pub async fn remove_relation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, rel)): ApiPath<(i64, i64)>,
    _form: PageForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require()?;
    relation::delete(&state.core, &caller.ctx, CiRelationId(rel), Channel::Ui).await?;
    Ok(redirect(&format!("/cmdb/cis/{id}?ok=saved")))
}
