//! Stocktake pages (盘点): the campaigns and the form that starts one; one campaign with the
//! scan box (it takes a barcode scanner's typing or a label's QR content, and keeps the
//! focus for the next scan, so it works from a phone), the tags with their results
//! (differences first), the export, and closing. Also the QR label sheet of assets.

use super::asset::{allows, category_label, people};
use super::{Cell, Field, FormSection, Layout, Notice, Posted, Section, TableSection, failed_form, redirect, render, time};
use crate::AppState;
use crate::api::asset_licence::{LabelQuery, export_format};
use crate::api::queue_tools::download;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use yunwei_core::asset::stocktake::{self, CloseInput, NewStocktake, ScanInput, StocktakeView};
use yunwei_domain::asset::AssetCategory;
use yunwei_domain::asset::stocktake::{ItemResult, StocktakeState, is_difference};
use yunwei_domain::ids::StocktakeId;
use yunwei_domain::permission::Action;

pub const PATH: &str = "/assets/stocktakes";
const ACTIVE: &str = super::asset::ACTIVE;

fn result_label(tr: Tr, r: ItemResult) -> String {
    tr.t(&format!("stocktake.result.{r}"))
}

fn result_class(r: ItemResult) -> &'static str {
    match r {
        ItemResult::Found => "ok",
        ItemResult::Pending => "",
        ItemResult::Missing => "breach",
        ItemResult::FoundElsewhere | ItemResult::Unexpected => "warn",
    }
}

fn state_label(tr: Tr, s: StocktakeState) -> String {
    tr.t(&format!("stocktake.state.{s}"))
}

async fn list_layout(state: &AppState, caller: &Caller) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let items = stocktake::list(&state.core, &caller.ctx).await?;
    let rows = items
        .iter()
        .map(|s| {
            vec![
                Cell::link(s.name.clone(), format!("{PATH}/{}", s.id)),
                Cell::badge(state_label(tr, s.state), &format!("stocktake-{}", s.state)),
                Cell::text(if s.location.is_empty() { tr.t("incident.filter.any") } else { s.location.clone() }),
                Cell::text(format!("{} / {}", s.counts.found, s.counts.expected)),
                Cell::text((s.counts.missing + s.counts.found_elsewhere + s.counts.unexpected).to_string()),
                Cell::text(time(s.created_at, caller)),
            ]
        })
        .collect();
    let columns = ["field.name", "field.state", "asset.location", "stocktake.found_of_expected", "stocktake.differences", "field.created"];
    let mut sections = vec![
        Section::Links(vec![(ACTIVE.to_string(), tr.t("asset.title"))]),
        Section::Table(TableSection { columns: columns.iter().map(|k| tr.t(k)).collect(), rows, next: None }),
    ];
    if allows(caller, Action::Transition) {
        let (departments, _) = people(state, caller, "incident.filter.any").await;
        let mut categories = vec![(String::new(), tr.t("incident.filter.any"))];
        categories.extend(AssetCategory::ALL.iter().map(|c| (c.to_string(), category_label(tr, *c))));
        let fields = vec![
            Field::new("text", "name", tr.t("field.name"), "").required(),
            Field::new("text", "location", tr.t("asset.location"), "").help(tr.t("stocktake.location_help")),
            Field::new("select", "department_id", tr.t("field.department"), "").options(departments),
            Field::new("select", "category", tr.t("field.category"), "").options(categories),
        ];
        let form =
            FormSection::post("stocktake-new", PATH, tr.t("stocktake.start"), fields).heading(tr.t("stocktake.start")).class("cols-2");
        sections.push(Section::Form(form));
    }
    Ok(Layout { title: tr.t("stocktake.title"), sections, ..Layout::default() })
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = list_layout(&state, &caller).await?;
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

pub async fn start(State(state): State<AppState>, caller: Caller, form: PageForm<NewStocktake>) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| stocktake::start(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{PATH}/{}?ok=saved", v.id))),
        Err(e) => {
            let layout = list_layout(&state, &caller).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("stocktake-new", posted))).await
        }
    }
}

fn facts(tr: Tr, caller: &Caller, v: &StocktakeView) -> Vec<(String, String)> {
    let f = |key: &str, value: String| (tr.t(key), value);
    let any = tr.t("incident.filter.any");
    vec![
        f("field.state", state_label(tr, v.state)),
        f("asset.location", if v.location.is_empty() { any.clone() } else { v.location.clone() }),
        f("field.department", v.department_name.clone().unwrap_or_else(|| any.clone())),
        f("field.category", v.category.map_or(any, |c| category_label(tr, c))),
        f("stocktake.expected", v.counts.expected.to_string()),
        f("stocktake.result.found", v.counts.found.to_string()),
        f("stocktake.result.pending", v.counts.pending.to_string()),
        f("stocktake.result.missing", v.counts.missing.to_string()),
        f("stocktake.result.found_elsewhere", v.counts.found_elsewhere.to_string()),
        f("stocktake.result.unexpected", v.counts.unexpected.to_string()),
        f("stocktake.started_by", v.created_by_name.clone().unwrap_or_else(|| "—".into())),
        f("field.created", time(v.created_at, caller)),
    ]
}

fn item_layout(caller: &Caller, v: &StocktakeView) -> Layout {
    let tr = caller.tr;
    let open = v.state == StocktakeState::Open;
    let mut links = vec![(PATH.to_string(), tr.t("stocktake.title"))];
    if allows(caller, Action::Export) {
        links.push((format!("{PATH}/{}/export.xlsx", v.id), tr.t("stocktake.export_xlsx")));
        links.push((format!("{PATH}/{}/export.csv", v.id), tr.t("stocktake.export_csv")));
    }
    let mut sections = vec![Section::Links(links)];
    let may_work = allows(caller, Action::Transition);
    if open && may_work {
        let code = Field::new("text", "code", tr.t("stocktake.code"), "").required().help(tr.t("stocktake.code_help")).autocomplete("off");
        let form = FormSection::post("stocktake-scan", format!("{PATH}/{}/scans", v.id), tr.t("stocktake.scan"), vec![code])
            .heading(tr.t("stocktake.scan"));
        sections.push(Section::Form(form));
    }
    if !open {
        let key = if v.applied { "stocktake.closed_applied" } else { "stocktake.closed_report" };
        sections.push(Section::Text(tr.t(key)));
    }
    let mut items = v.items.clone().unwrap_or_default();
    items.sort_by_key(|i| (!is_difference(i.result), i.result == ItemResult::Found, i.tag.clone()));
    let rows = items
        .iter()
        .map(|i| {
            let tag = match i.asset_id {
                Some(a) => Cell::link(i.tag.clone(), format!("{ACTIVE}/{a}")),
                None => Cell::text(i.tag.clone()),
            };
            vec![
                tag,
                Cell::text(i.asset_name.clone().unwrap_or_else(|| "—".into())),
                Cell::badge(result_label(tr, i.result), result_class(i.result)),
                Cell::text(if i.location.is_empty() { "—".into() } else { i.location.clone() }),
                Cell::text(i.seen_at.map(|t| time(t, caller)).unwrap_or_else(|| "—".into())),
            ]
        })
        .collect();
    let columns = ["asset.tag", "field.name", "stocktake.result", "stocktake.location_on_record", "stocktake.seen_at"];
    sections.push(Section::Table(TableSection::new(tr, &columns, rows)));
    if open && may_work {
        let mut fields = vec![
            Field::new("hidden", "version", String::new(), v.version.to_string()),
            Field::new("text", "note", tr.t("asset.note"), "").wide(),
        ];
        if allows(caller, Action::Approve) {
            fields.extend(Field::flag("apply", tr.t("stocktake.apply"), false));
        }
        let form = FormSection::post("stocktake-close", format!("{PATH}/{}/close", v.id), tr.t("stocktake.close"), fields)
            .heading(tr.t("stocktake.close"))
            .confirm(tr.t("stocktake.close_confirm"));
        sections.push(Section::Text(tr.t("stocktake.close_help")));
        sections.push(Section::Form(form));
    }
    Layout { title: v.name.clone(), sections, aside: vec![Section::Facts(facts(tr, caller, v))], data: Vec::new() }
}

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = stocktake::get(&state.core, &caller.ctx, StocktakeId(id)).await?;
    Ok(render(&state, &caller, ACTIVE, item_layout(&caller, &v), q.text(caller.tr), Vec::new()).await)
}

/// A scan, answered on the campaign's page with what it came to; the box is empty and
/// focused again for the next one.
pub async fn scan(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<ScanInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = StocktakeId(id);
    let tr = caller.tr;
    let (result, posted) = form.run(|input| stocktake::scan(&state.core, &caller.ctx, id, input)).await;
    let v = stocktake::get(&state.core, &caller.ctx, id).await?;
    match result {
        Ok(s) => {
            let key = if s.repeated { "stocktake.scanned_again".to_string() } else { format!("stocktake.scanned.{}", s.result) };
            let name = s.asset_name.unwrap_or_default();
            let notice = tr.with(&key, &[("tag".into(), s.tag), ("name".into(), name)]);
            Ok(render(&state, &caller, ACTIVE, item_layout(&caller, &v), Some(notice), Vec::new()).await)
        }
        Err(e) => failed_form(&state, &caller, e, item_layout(&caller, &v), ACTIVE, Some(&Posted::new("stocktake-scan", posted))).await,
    }
}

pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<CloseInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = StocktakeId(id);
    let (result, posted) = form.run(|input| stocktake::close(&state.core, &caller.ctx, id, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{PATH}/{}?ok=stocktake_closed", v.id))),
        Err(e) => {
            let v = stocktake::get(&state.core, &caller.ctx, id).await?;
            failed_form(&state, &caller, e, item_layout(&caller, &v), ACTIVE, Some(&Posted::new("stocktake-close", posted))).await
        }
    }
}

/// `/assets/stocktakes/{id}/export.csv` and `.xlsx`.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, file)): ApiPath<(i64, String)>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let format = export_format(file.strip_prefix("export.").unwrap_or(""))?;
    let out = stocktake::export(&state.core, &caller.ctx, StocktakeId(id), format).await?;
    Ok(download(out.content_type, &out.filename, out.bytes, out.rows))
}

/// A label's address: the asset's page.
pub async fn by_tag(State(state): State<AppState>, caller: Caller, ApiPath(tag): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require()?;
    let v = yunwei_core::asset::by_tag(&state.core, &caller.ctx, &tag).await?;
    Ok(redirect(&format!("{ACTIVE}/{}", v.id)))
}

/// The label sheet: A4, three labels a row, each a QR code with the tag and name beneath;
/// `ids` (repeated, from the list's ticks) or the list's filter choose the assets.
pub async fn labels(State(state): State<AppState>, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let pairs = crate::form::decode(uri.query().unwrap_or("").as_bytes());
    let ids: Vec<String> = pairs.iter().filter(|(k, _)| k == "ids").map(|(_, v)| v.clone()).collect();
    let rest: Vec<(String, String)> = pairs.into_iter().filter(|(k, v)| k != "ids" && !v.is_empty()).collect();
    let mut q: LabelQuery = crate::form::bind(&rest).map_err(crate::extract::form_error)?;
    q.ids = Some(ids.join(","));
    let labels = yunwei_core::asset::labels::labels(&state.core, &caller.ctx, &q.ids(), &q.filter()).await?;
    let xml = super::chart::xml;
    let mut sheet = String::from("<div class=\"label-sheet\">");
    for l in &labels {
        sheet.push_str(&format!(
            "<figure class=\"label\">{}<figcaption><strong>{}</strong><span>{}</span></figcaption></figure>",
            l.svg,
            xml(&l.tag),
            xml(&l.name)
        ));
    }
    sheet.push_str("</div>");
    let mut sections = vec![
        Section::Links(vec![(ACTIVE.to_string(), tr.t("asset.title"))]),
        Section::Text(tr.with("asset.labels_help", &[("n".into(), labels.len().to_string())])),
    ];
    sections.push(Section::Svg(sheet));
    let layout = Layout { title: tr.t("asset.labels"), sections, ..Layout::default() };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}
