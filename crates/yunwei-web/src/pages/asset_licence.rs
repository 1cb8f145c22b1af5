//! Software licence pages: the list (compliance and expiry at a glance), one licence with
//! its assignments, the forms to register, edit and assign. Only what the reader may do is
//! offered: editing and assigning need `asset:update`, registering `asset:create`.

use super::asset::{allows, people};
use super::{Cell, Field, FormSection, Layout, Notice, Posted, Section, TableSection, failed_form, redirect, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::asset::licence::{self, AssignInput, LicenceInput, LicenceQuery, LicenceView};
use yunwei_domain::asset::licence::LicenceKind;
use yunwei_domain::ids::{LicenceAssignmentId, LicenceId};
use yunwei_domain::permission::Action;

pub const PATH: &str = "/assets/licences";
const ACTIVE: &str = super::asset::ACTIVE;

fn kind_label(tr: Tr, k: LicenceKind) -> String {
    tr.t(&format!("licence.kind.{k}"))
}

/// "12 / 10" (used / owned), or "12 / —" for a site licence.
fn usage(v: &LicenceView) -> String {
    match v.compliance.owned {
        Some(owned) => format!("{} / {owned}", v.compliance.used),
        None => format!("{} / ∞", v.compliance.used),
    }
}

/// The expiry in words: the date, and days left or "expired".
fn expiry(tr: Tr, v: &LicenceView) -> Cell {
    let Some(end) = v.end_date.clone() else { return Cell::text("—") };
    match v.days_left {
        Some(d) if d < 0 => Cell::text(end).tag(tr.t("licence.expired"), "breach"),
        Some(d) if d <= v.remind_days => Cell::text(end).tag(tr.with("licence.days_left", &[("days".into(), d.to_string())]), "warn"),
        _ => Cell::text(end),
    }
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<LicenceQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let items = licence::list(&state.core, &caller.ctx, &q).await?;
    let rows = items
        .iter()
        .map(|v| {
            let mut used = Cell::text(usage(v));
            if v.compliance.over_used {
                used = used.tag(tr.with("licence.over_by", &[("n".into(), v.compliance.over_by.to_string())]), "breach");
            }
            vec![
                Cell::link(v.product.clone(), format!("{PATH}/{}", v.id)),
                Cell::text(if v.vendor.is_empty() { "—".into() } else { v.vendor.clone() }),
                Cell::text(kind_label(tr, v.kind)),
                used,
                expiry(tr, v),
                Cell::text(v.responsible_name.clone().unwrap_or_else(|| "—".into())),
            ]
        })
        .collect();
    let filter = FormSection::get(
        "licence-filter",
        PATH,
        tr.t("action.filter"),
        vec![
            Field::new("search", "q", tr.t("licence.search"), q.q.clone().unwrap_or_default()),
            Field::new("select", "over_used", tr.t("licence.over_used"), q.over_used.map(|b| b.to_string()).unwrap_or_default())
                .options(vec![(String::new(), tr.t("incident.filter.any")), ("true".into(), tr.t("licence.only_over_used"))]),
            Field::new(
                "number",
                "ending_within_days",
                tr.t("licence.ending_within_days"),
                q.ending_within_days.map(|d| d.to_string()).unwrap_or_default(),
            ),
        ],
    )
    .class("cols-3");
    let mut links = vec![(ACTIVE.to_string(), tr.t("asset.title"))];
    if allows(&caller, Action::Create) {
        links.push((format!("{PATH}/new"), tr.t("licence.new")));
    }
    let columns = ["licence.product", "licence.vendor", "licence.kind", "licence.used_owned", "licence.end_date", "asset.responsible"];
    let sections = vec![
        Section::Links(links),
        Section::Form(filter),
        Section::Table(TableSection { columns: columns.iter().map(|k| tr.t(k)).collect(), rows, next: None }),
    ];
    let layout = Layout { title: tr.t("licence.title"), sections, ..Layout::default() };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

async fn fields(state: &AppState, caller: &Caller, v: Option<&LicenceView>) -> Vec<Field> {
    let tr = caller.tr;
    let (departments, users) = people(state, caller, "field.none").await;
    let text = |name: &str, key: &str, value: String| Field::new("text", name, tr.t(key), value);
    let id = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let kinds = LicenceKind::ALL.iter().map(|k| (k.to_string(), kind_label(tr, *k))).collect();
    let mut out = vec![
        text("product", "licence.product", v.map(|l| l.product.clone()).unwrap_or_default()).required(),
        text("vendor", "licence.vendor", v.map(|l| l.vendor.clone()).unwrap_or_default()),
        Field::new("select", "kind", tr.t("licence.kind"), v.map(|l| l.kind.to_string()).unwrap_or_default()).options(kinds),
        Field::new("number", "quantity", tr.t("licence.quantity"), v.map(|l| l.quantity.to_string()).unwrap_or_default())
            .help(tr.t("licence.quantity_help")),
        text("cost", "asset.cost", v.map(|l| l.cost.replace(',', "")).unwrap_or_default()).help(tr.t("asset.money_help")),
        text("contract_number", "asset.contract_number", v.map(|l| l.contract_number.clone()).unwrap_or_default()),
        Field::new("date", "start_date", tr.t("licence.start_date"), v.and_then(|l| l.start_date.clone()).unwrap_or_default()),
        Field::new("date", "end_date", tr.t("licence.end_date"), v.and_then(|l| l.end_date.clone()).unwrap_or_default()),
        Field::new("number", "remind_days", tr.t("licence.remind_days"), v.map_or_else(|| "30".to_string(), |l| l.remind_days.to_string()))
            .help(tr.t("licence.remind_days_help")),
        Field::new("select", "responsible_id", tr.t("asset.responsible"), id(v.and_then(|l| l.responsible_id).map(|u| u.0))).options(users),
        Field::new("select", "department_id", tr.t("field.department"), id(v.and_then(|l| l.department_id).map(|d| d.0)))
            .options(departments),
        Field::new("textarea", "notes", tr.t("asset.notes"), v.map(|l| l.notes.clone()).unwrap_or_default()).rows(3).wide(),
    ];
    if let Some(l) = v {
        out.insert(0, Field::new("hidden", "version", String::new(), l.version.to_string()));
    }
    out
}

async fn form_layout(state: &AppState, caller: &Caller, v: Option<&LicenceView>) -> Layout {
    let tr = caller.tr;
    let (id, action, title) = match v {
        Some(l) => ("licence-edit", format!("{PATH}/{}/edit", l.id), l.product.clone()),
        None => ("licence-new", PATH.to_string(), tr.t("licence.new")),
    };
    let form = FormSection::post(id, action, tr.t("action.save"), fields(state, caller, v).await).class("cols-2");
    let back = Section::Links(vec![(PATH.to_string(), tr.t("licence.title"))]);
    Layout { title, sections: vec![back, Section::Form(form)], ..Layout::default() }
}

pub async fn new_page(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require()?;
    if !allows(&caller, Action::Create) {
        return Err(yunwei_core::CoreError::Forbidden("asset:create".into()).into());
    }
    let layout = form_layout(&state, &caller, None).await;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<LicenceInput>) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| licence::create(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{PATH}/{}?ok=saved", v.id))),
        Err(e) => {
            let layout = form_layout(&state, &caller, None).await;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("licence-new", posted))).await
        }
    }
}

pub async fn edit_page(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> Result<Response, ApiError> {
    caller.require()?;
    let v = licence::get(&state.core, &caller.ctx, LicenceId(id)).await?;
    let layout = form_layout(&state, &caller, Some(&v)).await;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<LicenceInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = LicenceId(id);
    let (result, posted) = form.run(|input| licence::update(&state.core, &caller.ctx, id, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{PATH}/{}?ok=saved", v.id))),
        Err(e) => {
            let v = licence::get(&state.core, &caller.ctx, id).await?;
            let layout = form_layout(&state, &caller, Some(&v)).await;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("licence-edit", posted))).await
        }
    }
}

fn facts(tr: Tr, v: &LicenceView) -> Vec<(String, String)> {
    let f = |key: &str, value: String| (tr.t(key), value);
    let dash = |s: &str| if s.is_empty() { "—".to_string() } else { s.to_string() };
    let state = if v.compliance.over_used {
        tr.with("licence.over_by", &[("n".into(), v.compliance.over_by.to_string())])
    } else {
        tr.t("licence.compliant")
    };
    vec![
        f("licence.kind", kind_label(tr, v.kind)),
        f("licence.used_owned", usage(v)),
        f("licence.compliance", state),
        f("licence.vendor", dash(&v.vendor)),
        f("asset.cost", format!("¥{}", v.cost)),
        f("asset.contract_number", dash(&v.contract_number)),
        f("licence.start_date", dash(v.start_date.as_deref().unwrap_or(""))),
        f("licence.end_date", dash(v.end_date.as_deref().unwrap_or(""))),
        f("licence.remind_days", v.remind_days.to_string()),
        f("asset.responsible", dash(v.responsible_name.as_deref().unwrap_or(""))),
        f("field.department", dash(v.department_name.as_deref().unwrap_or(""))),
    ]
}

async fn item_layout(state: &AppState, caller: &Caller, v: &LicenceView) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let may_edit = allows(caller, Action::Update);
    let mut links = vec![(PATH.to_string(), tr.t("licence.title"))];
    if may_edit {
        links.push((format!("{PATH}/{}/edit", v.id), tr.t("licence.edit")));
    }
    let mut sections = vec![Section::Links(links)];
    if v.compliance.over_used {
        sections
            .push(Section::Badges(vec![(tr.with("licence.over_by", &[("n".into(), v.compliance.over_by.to_string())]), "breach".into())]));
    }
    sections.push(Section::Heading(tr.t("licence.assignments")));
    let assigned = licence::assignments(&state.core, &caller.ctx, v.id).await?;
    let rows = assigned
        .iter()
        .map(|a| {
            let who = match (&a.ci_name, &a.user_name, a.row.ci_id) {
                (Some(ci), _, Some(id)) => Cell::link(ci.clone(), format!("/cmdb/cis/{id}")),
                (_, Some(user), _) => Cell::text(user.clone()),
                _ => Cell::text("—"),
            };
            let mut row = vec![
                who,
                Cell::text(a.row.quantity.to_string()),
                Cell::text(if a.row.note.is_empty() { "—".into() } else { a.row.note.clone() }),
                Cell::text(time(a.row.created_at, caller)),
            ];
            if may_edit {
                row.push(Cell::button(
                    format!("{PATH}/{}/assignments/{}/delete", v.id, a.row.id),
                    tr.t("licence.unassign"),
                    tr.t("licence.unassign_confirm"),
                ));
            }
            row
        })
        .collect();
    let mut columns = vec!["licence.assigned_to", "licence.quantity", "asset.note", "field.created"];
    if may_edit {
        columns.push("licence.actions");
    }
    sections.push(Section::Table(TableSection::new(tr, &columns, rows)));
    if may_edit {
        let (_, users) = people(state, caller, "field.none").await;
        let cis = super::ci_pick::options(state, caller).await.unwrap_or_default();
        let fields = vec![
            Field::new("text", "ci_id", tr.t("asset.ci"), "").options(cis).help(tr.t("licence.ci_help")),
            Field::new("select", "user_id", tr.t("licence.user"), "").options(users),
            Field::new("number", "quantity", tr.t("licence.quantity"), "").help(tr.t("licence.assign_quantity_help")),
            Field::new("text", "note", tr.t("asset.note"), ""),
        ];
        let form = FormSection::post("licence-assign", format!("{PATH}/{}/assignments", v.id), tr.t("licence.assign"), fields)
            .heading(tr.t("licence.assign"))
            .class("cols-2");
        sections.push(Section::Form(form));
    }
    if !v.notes.is_empty() {
        sections.push(Section::Heading(tr.t("asset.notes")));
        sections.push(Section::Prose(v.notes.clone()));
    }
    Ok(Layout { title: v.product.clone(), sections, aside: vec![Section::Facts(facts(tr, v))], data: Vec::new() })
}

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = licence::get(&state.core, &caller.ctx, LicenceId(id)).await?;
    let layout = item_layout(&state, &caller, &v).await?;
    Ok(render(&state, &caller, ACTIVE, layout, q.text(caller.tr), Vec::new()).await)
}

/// Assigns from the form, the CI typed by name (as on the asset's deploy step).
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<super::Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = LicenceId(id);
    let mut pairs = form.input?;
    let typed = pairs.clone();
    let result = match super::ci_pick::resolve_pairs(&state, &caller, &mut pairs, "ci_id").await {
        Ok(()) => match crate::form::bind::<AssignInput>(&pairs).map_err(crate::extract::form_error) {
            Ok(input) => licence::assign(&state.core, &caller.ctx, id, input).await.map_err(ApiError::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(redirect(&format!("{PATH}/{}?ok=saved", v.id))),
        Err(e) => {
            let v = licence::get(&state.core, &caller.ctx, id).await?;
            let layout = item_layout(&state, &caller, &v).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("licence-assign", typed))).await
        }
    }
}

pub async fn unassign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, a)): ApiPath<(i64, i64)>,
    CsrfForm(_): CsrfForm<super::Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    licence::unassign(&state.core, &caller.ctx, LicenceId(id), LicenceAssignmentId(a)).await?;
    Ok(redirect(&format!("{PATH}/{id}?ok=saved")))
}
