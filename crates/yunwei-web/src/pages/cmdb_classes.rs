//! Class administration: the tree with each class's attributes, adding a class, adding an
//! attribute to one. Changing them is the system duty's (`ci_class` grants); the data is
//! read by every node's next request, so nothing restarts.

use super::cmdb::ACTIVE;
use super::{Cell, Field, FormSection, Layout, Posted, Section, TableSection, failed_form, redirect, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::cmdb::model::{self, ClassInput};
use yunwei_core::cmdb::pick;
use yunwei_domain::cmdb::AttrKind;
use yunwei_domain::cmdb::attr::AttrInput;
use yunwei_domain::ids::CiClassId;
use yunwei_domain::permission::{Action, ObjectType};

fn en(tr: Tr) -> bool {
    !tr.is_zh()
}

fn may(caller: &Caller, action: Action) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::CiClass, action))
}

async fn classes_layout(state: &AppState, caller: &Caller) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let classes = model::classes(&state.core, &caller.ctx).await?;
    let rows = classes
        .iter()
        .map(|c| {
            vec![
                Cell::link(format!("{}{}", "　".repeat(c.depth), pick(&c.name, &c.name_en, en(tr))), format!("/cmdb/classes/{}", c.id)),
                Cell::text(c.code.clone()),
                Cell::text(if c.is_abstract { tr.t("cmdb.abstract") } else { String::new() }),
                Cell::text(c.attributes.iter().map(|a| a.label(en(tr)).to_string()).collect::<Vec<_>>().join("、")),
            ]
        })
        .collect();
    let mut sections = vec![Section::Links(vec![(ACTIVE.into(), tr.t("cmdb.back_to_list"))])];
    if may(caller, Action::Create) {
        let parents: Vec<(String, String)> = std::iter::once((String::new(), tr.t("field.none")))
            .chain(classes.iter().map(|c| (c.id.to_string(), format!("{}{}", "　".repeat(c.depth), pick(&c.name, &c.name_en, en(tr))))))
            .collect();
        let fields = vec![
            Field::new("text", "code", tr.t("cmdb.class_code"), "").required().help(tr.t("error.invalid_key")),
            Field::new("select", "parent_id", tr.t("cmdb.parent_class"), "").options(parents),
            Field::new("text", "name", tr.t("field.name"), "").required(),
            Field::new("text", "name_en", tr.t("field.name_en"), ""),
            Field::new("checkbox", "abstract", tr.t("cmdb.abstract"), "true"),
        ];
        sections.push(Section::Form(
            FormSection::post("cmdb-class-new", "/cmdb/classes", tr.t("cmdb.add_class"), fields)
                .heading(tr.t("cmdb.add_class"))
                .folded(false)
                .class("cols-2"),
        ));
    }
    let columns = [tr.t("field.name"), tr.t("cmdb.class_code"), String::new(), tr.t("field.attributes")];
    sections.push(Section::Table(TableSection { columns: columns.to_vec(), rows, next: None }));
    Ok(Layout { title: tr.t("cmdb.classes"), sections, ..Layout::default() })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    ok: Option<String>,
}

pub async fn classes(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Notice>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = classes_layout(&state, &caller).await?;
    let notice = q.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    Ok(render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await)
}

pub async fn create_class(State(state): State<AppState>, caller: Caller, form: PageForm<ClassInput>) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| model::create_class(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(c) => Ok(redirect(&format!("/cmdb/classes/{}?ok=saved", c.id))),
        Err(e) => {
            let layout = classes_layout(&state, &caller).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("cmdb-class-new", posted))).await
        }
    }
}

async fn class_layout(state: &AppState, caller: &Caller, id: CiClassId) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let d = model::class(&state.core, &caller.ctx, id).await?;
    let rows = d
        .all_attributes
        .iter()
        .map(|a| {
            let mut rules = Vec::new();
            if a.required {
                rules.push(tr.t("cmdb.rule.required"));
            }
            if a.unique_in_class {
                rules.push(tr.t("cmdb.rule.unique"));
            }
            if let Some(p) = &a.pattern {
                rules.push(p.clone());
            }
            if a.min_value.is_some() || a.max_value.is_some() {
                let n = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
                rules.push(format!("{}–{}", n(a.min_value), n(a.max_value)));
            }
            let choices = a.enum_values.iter().map(|e| pick(&e.name, &e.name_en, en(tr)).to_string()).collect::<Vec<_>>().join("、");
            if !choices.is_empty() {
                rules.push(choices);
            }
            let inherited = if a.class_id == id { String::new() } else { tr.t("cmdb.inherited") };
            vec![
                Cell::text(a.label(en(tr)).to_string()),
                Cell::text(a.code.clone()),
                Cell::text(tr.t(&format!("cmdb.kind.{}", a.kind))),
                Cell::text(rules.join("；")),
                Cell::text(inherited),
            ]
        })
        .collect();
    let mut sections = vec![
        Section::Links(vec![
            ("/cmdb/classes".into(), tr.t("cmdb.classes")),
            (format!("/cmdb?class={}", d.class.code), tr.t("cmdb.cis_of_class")),
        ]),
        Section::Facts(vec![(tr.t("cmdb.class_code"), d.class.code.clone()), (tr.t("cmdb.ci_count"), d.ci_count.to_string())]),
        Section::Table(TableSection {
            columns: vec![tr.t("field.name"), tr.t("cmdb.class_code"), tr.t("field.kind"), tr.t("cmdb.rules"), String::new()],
            rows,
            next: None,
        }),
    ];
    if may(caller, Action::Create) {
        let kinds = AttrKind::ALL.iter().map(|k| (k.as_str().to_string(), tr.t(&format!("cmdb.kind.{k}")))).collect();
        let fields = vec![
            Field::new("text", "code", tr.t("cmdb.class_code"), "").required(),
            Field::new("text", "name", tr.t("field.name"), "").required(),
            Field::new("text", "name_en", tr.t("field.name_en"), ""),
            Field::new("select", "kind", tr.t("field.kind"), "text").options(kinds),
            Field::new("checkbox", "required", tr.t("cmdb.rule.required"), "true"),
            Field::new("checkbox", "unique_in_class", tr.t("cmdb.rule.unique"), "true"),
            Field::new("text", "pattern", tr.t("field.pattern"), ""),
            Field::new("number", "min_value", tr.t("field.min_value"), ""),
            Field::new("number", "max_value", tr.t("field.max_value"), ""),
        ];
        sections.push(Section::Form(
            FormSection::post("cmdb-attr-new", format!("/cmdb/classes/{id}/attributes"), tr.t("cmdb.add_attribute"), fields)
                .heading(tr.t("cmdb.add_attribute"))
                .folded(false)
                .class("cols-2"),
        ));
    }
    Ok(Layout { title: pick(&d.class.name, &d.class.name_en, en(tr)).to_string(), sections, ..Layout::default() })
}

pub async fn class(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = class_layout(&state, &caller, CiClassId(id)).await?;
    let notice = q.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    Ok(render(&state, &caller, ACTIVE, layout, notice, Vec::new()).await)
}

/// The attribute form: blank numbers and pattern are absent.
#[derive(Deserialize, Default)]
pub struct AttrForm {
    code: String,
    name: String,
    #[serde(default)]
    name_en: String,
    kind: String,
    #[serde(default)]
    required: Option<String>,
    #[serde(default)]
    unique_in_class: Option<String>,
    #[serde(default)]
    pattern: String,
    #[serde(default)]
    min_value: String,
    #[serde(default)]
    max_value: String,
}

pub async fn create_attribute(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<AttrForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form
        .run(|f| {
            let num = |s: &str| s.trim().parse::<f64>().ok();
            let input = AttrInput {
                code: f.code.trim().to_string(),
                name: f.name,
                name_en: f.name_en,
                kind: f.kind,
                required: f.required.is_some(),
                unique_in_class: f.unique_in_class.is_some(),
                pattern: Some(f.pattern).filter(|p| !p.trim().is_empty()),
                min_value: num(&f.min_value),
                max_value: num(&f.max_value),
                ..AttrInput::default()
            };
            model::create_attribute(&state.core, &caller.ctx, CiClassId(id), input)
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!("/cmdb/classes/{id}?ok=saved"))),
        Err(e) => {
            let layout = class_layout(&state, &caller, CiClassId(id)).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("cmdb-attr-new", posted))).await
        }
    }
}
