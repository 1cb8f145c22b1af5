//! Asset management's pages: the register with filters (names, not ids), the form that
//! raises a purchase request or registers an asset on hand, and the edit form. One asset's
//! page, with its lifecycle steps, is in `asset_record`.

use super::{Cell, Field, FormSection, Layout, NavItem, Posted, Section, TableSection, failed_form, redirect, render, url_encode};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::asset::{self, AssetPatch, AssetQuery, AssetView, NewAsset};
use yunwei_core::store::admin::UserFilter;
use yunwei_domain::asset::{AssetCategory, AssetState};
use yunwei_domain::ids::{AssetId, DepartmentId};
use yunwei_domain::permission::{Action, ObjectType};

pub const ACTIVE: &str = "/assets";
/// The list's ticks belong to the label form (`form-` + its id).
const LABELS_FORM: &str = "form-asset-labels";

pub(super) fn allows(caller: &Caller, action: Action) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Asset, action))
}

pub(super) fn state_label(tr: Tr, s: AssetState) -> String {
    tr.t(&format!("asset.state.{s}"))
}

pub(super) fn category_label(tr: Tr, c: AssetCategory) -> String {
    tr.t(&format!("asset.category.{c}"))
}

fn with_blank(tr: Tr, blank_key: &str, rest: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), tr.t(blank_key))];
    out.extend(rest);
    out
}

/// Departments and people to choose from (what the reader may list; an empty first option).
pub(super) async fn people(state: &AppState, caller: &Caller, blank_key: &str) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let tr = caller.tr;
    let mut departments = Vec::new();
    let mut users = Vec::new();
    if let Ok(req) = page_request(Some(200), None, None, "name")
        && let Ok(list) = yunwei_core::admin::list_departments(&state.core, &caller.ctx, None, &req).await
    {
        departments.extend(list.items.into_iter().map(|d| (d.id.to_string(), d.name)));
    }
    let filter = UserFilter { disabled: Some(false), ..Default::default() };
    if let Ok(req) = page_request(Some(200), None, None, "username")
        && let Ok(list) = yunwei_core::admin::list_users(&state.core, &caller.ctx, &filter, &req).await
    {
        users.extend(list.items.into_iter().map(|u| (u.id.to_string(), u.display_name)));
    }
    (with_blank(tr, blank_key, departments), with_blank(tr, blank_key, users))
}

fn categories(tr: Tr) -> Vec<(String, String)> {
    AssetCategory::ALL.iter().map(|c| (c.to_string(), category_label(tr, *c))).collect()
}

#[derive(Deserialize, Default)]
pub struct ListForm {
    state: Option<String>,
    category: Option<AssetCategory>,
    department_id: Option<DepartmentId>,
    q: Option<String>,
    cursor: Option<String>,
}

impl ListForm {
    /// The filters as a query string, with `state` replaced.
    fn query(&self, state: &str) -> String {
        let mut out = format!("state={state}");
        if let Some(c) = self.category {
            out.push_str(&format!("&category={c}"));
        }
        if let Some(d) = self.department_id {
            out.push_str(&format!("&department_id={d}"));
        }
        if let Some(q) = self.q.as_deref().filter(|q| !q.is_empty()) {
            out.push_str(&format!("&q={}", url_encode(q)));
        }
        out
    }
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<ListForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let current = f.state.as_deref().map(str::trim).unwrap_or_default().to_string();
    let q = AssetQuery {
        state: Some(current.clone()).filter(|s| !s.is_empty()),
        category: f.category,
        department_id: f.department_id,
        q: f.q.clone(),
        limit: Some(50),
        cursor: f.cursor.clone(),
        ..AssetQuery::default()
    };
    let list = asset::list(&state.core, &caller.ctx, &q).await?;
    let rows = list
        .items
        .iter()
        .map(|a| {
            vec![
                Cell::check(LABELS_FORM, "ids", a.id.to_string(), format!("{} {}", a.tag, a.name)),
                Cell::link(a.tag.clone(), format!("{ACTIVE}/{}", a.id)),
                Cell::text(a.name.clone()),
                Cell::text(category_label(tr, a.category)),
                Cell::badge(state_label(tr, a.state), &format!("asset asset-{}", a.state)),
                Cell::text(a.responsible_name.clone().unwrap_or_else(|| "—".into())),
                Cell::text(a.department_name.clone().unwrap_or_else(|| "—".into())),
                Cell::text(if a.location.is_empty() { "—".into() } else { a.location.clone() }),
                Cell::text(a.book_value.clone()),
            ]
        })
        .collect();
    let next = list.next_cursor.map(|c| format!("{ACTIVE}?{}&cursor={}", f.query(&current), url_encode(&c)));
    let mut state_tabs =
        vec![NavItem { href: format!("{ACTIVE}?{}", f.query("")), label: tr.t("incident.filter.any"), active: current.is_empty() }];
    state_tabs.extend(AssetState::ALL.iter().map(|s| NavItem {
        href: format!("{ACTIVE}?{}", f.query(s.as_str())),
        label: state_label(tr, *s),
        active: current == s.as_str(),
    }));
    let (departments, _) = people(&state, &caller, "incident.filter.any").await;
    let filter = FormSection::get(
        "asset-filter",
        ACTIVE,
        tr.t("action.filter"),
        vec![
            Field::new("hidden", "state", String::new(), current.clone()),
            Field::new("search", "q", tr.t("asset.search"), f.q.clone().unwrap_or_default()),
            Field::new("select", "category", tr.t("field.category"), f.category.map(|c| c.to_string()).unwrap_or_default())
                .options(with_blank(tr, "incident.filter.any", categories(tr))),
            Field::new("select", "department_id", tr.t("field.department"), f.department_id.map(|d| d.to_string()).unwrap_or_default())
                .options(departments),
        ],
    );
    let mut sections = vec![Section::Tabs(tr.t("field.state"), state_tabs), Section::Form(filter)];
    let mut links = Vec::new();
    if allows(&caller, Action::Create) {
        links.push((format!("{ACTIVE}/new"), tr.t("asset.new")));
    }
    links.push((super::asset_licence::PATH.to_string(), tr.t("licence.title")));
    links.push((super::asset_stocktake::PATH.to_string(), tr.t("stocktake.title")));
    links.push((format!("{ACTIVE}/labels?{}", f.query(&current)), tr.t("asset.labels_filtered")));
    sections.push(Section::Links(links));
    // The ticks below belong to this form: it opens the label sheet of the ticked assets.
    sections.push(Section::Form(
        FormSection::get("asset-labels", format!("{ACTIVE}/labels"), tr.t("asset.labels_ticked"), Vec::new()).class("inline"),
    ));
    let columns = [
        "asset.label_tick",
        "asset.tag",
        "field.name",
        "field.category",
        "field.state",
        "asset.responsible",
        "field.department",
        "asset.location",
        "asset.book_value",
    ];
    sections.push(Section::Table(TableSection { columns: columns.iter().map(|k| tr.t(k)).collect(), rows, next }));
    let layout = Layout { title: tr.t("asset.title"), sections, ..Layout::default() };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// The fields an asset has on its create and edit forms (`v`: the asset being edited).
async fn fields(state: &AppState, caller: &Caller, v: Option<&AssetView>) -> Vec<Field> {
    let tr = caller.tr;
    let (departments, users) = people(state, caller, "field.none").await;
    let text = |name: &str, key: &str, value: String| Field::new("text", name, tr.t(key), value);
    let id = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut out = vec![
        text("tag", "asset.tag", v.map(|a| a.tag.clone()).unwrap_or_default()).required().help(tr.t("asset.tag_help")),
        text("name", "field.name", v.map(|a| a.name.clone()).unwrap_or_default()).required(),
        Field::new("select", "category", tr.t("field.category"), v.map(|a| a.category.to_string()).unwrap_or_default())
            .options(categories(tr)),
        text("model", "asset.model", v.map(|a| a.model.clone()).unwrap_or_default()),
        text("serial_number", "asset.serial_number", v.map(|a| a.serial_number.clone()).unwrap_or_default()),
        text("location", "asset.location", v.map(|a| a.location.clone()).unwrap_or_default()),
        text("supplier", "asset.supplier", v.map(|a| a.supplier.clone()).unwrap_or_default()),
        text("contract_number", "asset.contract_number", v.map(|a| a.contract_number.clone()).unwrap_or_default()),
        text("cost", "asset.cost", v.map(|a| a.cost.replace(',', "")).unwrap_or_default()).help(tr.t("asset.money_help")),
        text("salvage", "asset.salvage", v.map(|a| a.salvage.replace(',', "")).unwrap_or_default()),
        Field::new(
            "number",
            "useful_life_months",
            tr.t("asset.useful_life_months"),
            v.map(|a| a.useful_life_months.to_string()).unwrap_or_default(),
        ),
        Field::new("date", "purchase_date", tr.t("asset.purchase_date"), v.and_then(|a| a.purchase_date.clone()).unwrap_or_default()),
        Field::new("date", "warranty_end", tr.t("asset.warranty_end"), v.and_then(|a| a.warranty_end.clone()).unwrap_or_default()),
        Field::new("select", "responsible_id", tr.t("asset.responsible"), id(v.and_then(|a| a.responsible_id).map(|u| u.0))).options(users),
        Field::new("select", "department_id", tr.t("field.department"), id(v.and_then(|a| a.department_id).map(|d| d.0)))
            .options(departments),
        Field::new("textarea", "notes", tr.t("asset.notes"), v.map(|a| a.notes.clone()).unwrap_or_default()).rows(3).wide(),
    ];
    if let Some(a) = v {
        out.insert(0, Field::new("hidden", "version", String::new(), a.version.to_string()));
    } else {
        out.extend(Field::flag("register", tr.t("asset.register"), false));
    }
    out
}

async fn new_layout(state: &AppState, caller: &Caller) -> Layout {
    let tr = caller.tr;
    let form = FormSection::post("asset-new", ACTIVE, tr.t("action.save"), fields(state, caller, None).await).class("cols-2");
    Layout { title: tr.t("asset.new"), sections: vec![Section::Text(tr.t("asset.new_help")), Section::Form(form)], ..Layout::default() }
}

pub async fn new_page(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require()?;
    if !allows(&caller, Action::Create) {
        return Err(yunwei_core::CoreError::Forbidden("asset:create".into()).into());
    }
    let layout = new_layout(&state, &caller).await;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// Raises the request (or registers the asset) from the form bound to the API's `NewAsset`.
pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<NewAsset>) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| asset::create(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.id))),
        Err(e) => {
            let layout = new_layout(&state, &caller).await;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("asset-new", posted))).await
        }
    }
}

async fn edit_layout(state: &AppState, caller: &Caller, v: &AssetView) -> Layout {
    let tr = caller.tr;
    let action = format!("{ACTIVE}/{}/edit", v.id);
    let form = FormSection::post("asset-edit", action, tr.t("action.save"), fields(state, caller, Some(v)).await).class("cols-2");
    let back = Section::Links(vec![(format!("{ACTIVE}/{}", v.id), tr.t("asset.back"))]);
    Layout { title: format!("{} {}", v.tag, v.name), sections: vec![back, Section::Form(form)], ..Layout::default() }
}

pub async fn edit_page(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> Result<Response, ApiError> {
    caller.require()?;
    let v = asset::get(&state.core, &caller.ctx, AssetId(id)).await?;
    let layout = edit_layout(&state, &caller, &v).await;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

/// Saves the edit form, bound to the API's `AssetPatch` (every field is sent: blank dates,
/// person and department clear).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<AssetPatch>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = AssetId(id);
    let (result, posted) = form
        .run(|mut patch| {
            for text in [
                &mut patch.model,
                &mut patch.serial_number,
                &mut patch.location,
                &mut patch.supplier,
                &mut patch.contract_number,
                &mut patch.notes,
                &mut patch.cost,
                &mut patch.salvage,
            ] {
                text.get_or_insert_with(String::new);
            }
            for date in [&mut patch.purchase_date, &mut patch.warranty_end] {
                date.get_or_insert(None);
            }
            patch.responsible_id.get_or_insert(None);
            patch.department_id.get_or_insert(None);
            patch.useful_life_months.get_or_insert(0);
            asset::update(&state.core, &caller.ctx, id, patch)
        })
        .await;
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.id))),
        Err(e) => {
            let v = asset::get(&state.core, &caller.ctx, id).await?;
            let layout = edit_layout(&state, &caller, &v).await;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("asset-edit", posted))).await
        }
    }
}
