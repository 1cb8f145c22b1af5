//! One asset's page: its facts (money in yuan, today's book value, names not ids), the
//! lifecycle steps the reader may take now (and only those), and its history.

use super::Pairs;
use super::asset::{ACTIVE, allows, category_label, state_label};
use super::{Field, FormSection, Layout, Notice, Posted, Section, TimelineEntry, failed_form, redirect, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::asset::lifecycle::{self, StepInput};
use yunwei_core::asset::{self, AssetView};
use yunwei_core::cmdb::{model, pick};
use yunwei_domain::asset::AssetAction;
use yunwei_domain::ids::AssetId;
use yunwei_domain::permission::Action;

fn action_label(tr: Tr, a: AssetAction) -> String {
    tr.t(&format!("asset.action.{a}"))
}

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).map_or_else(|| "—".to_string(), str::to_string)
}

fn facts(tr: Tr, caller: &Caller, v: &AssetView) -> Vec<(String, String)> {
    let f = |key: &str, value: String| (tr.t(key), value);
    vec![
        f("field.state", state_label(tr, v.state)),
        f("asset.tag", v.tag.clone()),
        f("field.category", category_label(tr, v.category)),
        f("asset.model", or_dash(Some(&v.model))),
        f("asset.serial_number", or_dash(Some(&v.serial_number))),
        f("asset.location", or_dash(Some(&v.location))),
        f("asset.responsible", or_dash(v.responsible_name.as_deref())),
        f("field.department", or_dash(v.department_name.as_deref())),
        f("asset.ci", or_dash(v.ci_name.as_deref())),
        f("asset.supplier", or_dash(Some(&v.supplier))),
        f("asset.contract_number", or_dash(Some(&v.contract_number))),
        f("asset.cost", format!("¥{}", v.cost)),
        f("asset.book_value", format!("¥{}", v.book_value)),
        f("asset.salvage", format!("¥{}", v.salvage)),
        f("asset.useful_life_months", v.useful_life_months.to_string()),
        f("asset.purchase_date", or_dash(v.purchase_date.as_deref())),
        f("asset.warranty_end", or_dash(v.warranty_end.as_deref())),
        f("field.created", time(v.created_at, caller)),
        f("field.updated", time(v.updated_at, caller)),
    ]
}

/// The step form: only the actions the reader may take now; the CI fields when deploying is one.
async fn step_form(state: &AppState, caller: &Caller, v: &AssetView) -> Option<FormSection> {
    let tr = caller.tr;
    let first = *v.actions.first()?;
    let options = v.actions.iter().map(|a| (a.to_string(), action_label(tr, *a))).collect();
    let mut fields = vec![
        Field::new("hidden", "version", String::new(), v.version.to_string()),
        Field::new("select", "action", tr.t("asset.step"), first.to_string()).options(options),
        Field::new("textarea", "note", tr.t("asset.note"), "").rows(2).wide().help(tr.t("asset.note_help")),
    ];
    if v.actions.contains(&AssetAction::Deploy) && v.ci_id.is_none() {
        let cis = super::ci_pick::options(state, caller).await.unwrap_or_default();
        fields.push(Field::new("text", "ci_id", tr.t("asset.ci"), "").options(cis).help(tr.t("asset.ci_help")));
        let classes = model::classes(&state.core, &caller.ctx).await.unwrap_or_default();
        let mut choices = vec![(String::new(), tr.t("field.none"))];
        choices.extend(
            classes.iter().filter(|c| !c.is_abstract).map(|c| (c.id.to_string(), pick(&c.name, &c.name_en, !tr.is_zh()).to_string())),
        );
        fields.push(Field::new("select", "ci_class_id", tr.t("asset.ci_class"), "").options(choices).help(tr.t("asset.ci_class_help")));
    }
    Some(
        FormSection::post("asset-step", format!("{ACTIVE}/{}/steps", v.id), tr.t("asset.take_step"), fields)
            .heading(tr.t("asset.lifecycle"))
            .class("cols-2"),
    )
}

async fn layout(state: &AppState, caller: &Caller, v: &AssetView) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let mut main = Vec::new();
    let mut links = vec![(ACTIVE.to_string(), tr.t("asset.title"))];
    if allows(caller, Action::Update) {
        links.push((format!("{ACTIVE}/{}/edit", v.id), tr.t("asset.edit")));
    }
    main.push(Section::Links(links));
    if yunwei_domain::asset::awaits_decision(v.state) && !v.actions.contains(&AssetAction::Approve) {
        main.push(Section::Text(tr.t("asset.awaits_other")));
    }
    if let Some(form) = step_form(state, caller, v).await {
        main.push(Section::Form(form));
    }
    if !v.notes.is_empty() {
        main.push(Section::Heading(tr.t("asset.notes")));
        main.push(Section::Prose(v.notes.clone()));
    }
    main.push(Section::Heading(tr.t("asset.history")));
    let steps = asset::history(&state.core, &caller.ctx, v.id).await?;
    let entries = steps
        .iter()
        .rev()
        .map(|s| {
            let done = match s.action.parse::<AssetAction>() {
                Ok(a) => action_label(tr, a),
                Err(_) => tr.t(&format!("asset.action.{}", s.action)),
            };
            // The registration has no state before it: its name says where the asset starts.
            let what = if s.from_state.is_some() { format!("{done} → {}", state_label(tr, s.to_state)) } else { done };
            TimelineEntry { time: time(s.at, caller), actor: or_dash(s.actor_name.as_deref()), what, body: s.note.clone(), internal: false }
        })
        .collect();
    main.push(Section::Timeline(entries));
    Ok(Layout {
        title: format!("{} {}", v.tag, v.name),
        sections: main,
        aside: vec![Section::Facts(facts(tr, caller, v))],
        data: Vec::new(),
    })
}

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = asset::get(&state.core, &caller.ctx, AssetId(id)).await?;
    let layout = layout(&state, &caller, &v).await?;
    Ok(render(&state, &caller, ACTIVE, layout, q.text(caller.tr), Vec::new()).await)
}

/// Takes the step from the form bound to the API's step input (the CI typed by name).
pub async fn step(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = AssetId(id);
    let mut pairs = form.input?;
    let typed = pairs.clone();
    let result = match super::ci_pick::resolve_pairs(&state, &caller, &mut pairs, "ci_id").await {
        Ok(()) => match crate::form::bind::<StepInput>(&pairs).map_err(crate::extract::form_error) {
            Ok(input) => lifecycle::act(&state.core, &caller.ctx, id, input).await.map_err(ApiError::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=asset_step", v.id))),
        Err(e) => {
            let v = asset::get(&state.core, &caller.ctx, id).await?;
            let layout = layout(&state, &caller, &v).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("asset-step", typed))).await
        }
    }
}
