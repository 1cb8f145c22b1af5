//! The service catalogue as requesters know it from other portals: a search box and cards
//! (an icon for the kind of service, the title, what it is for, how long it takes),
//! grouped by category. The search runs on the server (`GET /catalog?q=`), so it works
//! without script and on a phone.

use super::request::ACTIVE;
use super::{Card, Field, FormSection, Layout, Section, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::request::{self, CatalogItemView};

/// 24×24 line icons drawn in the text colour (no image requests, no script).
const ICON_ACCOUNT: &str = r#"<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><circle cx="9" cy="8" r="4"/><path d="M2 21v-1a6 6 0 0 1 10-4.5"/><circle cx="17" cy="15" r="2.5"/><path d="M18.8 16.8 22 20m-2-2 1.5-1.5"/></svg>"#;
const ICON_EQUIPMENT: &str = r#"<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><rect x="4" y="4" width="16" height="11" rx="1.5"/><path d="M2 19h20M9 19l1-4h4l1 4"/></svg>"#;
const ICON_NETWORK: &str = r#"<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9c-2.5-2.6-3.8-5.6-3.8-9S9.5 5.6 12 3z"/></svg>"#;
const ICON_OTHER: &str = r#"<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 8 12 3 3 8v8l9 5 9-5z"/><path d="M3 8l9 5 9-5M12 13v8"/></svg>"#;

/// The icon of a category; categories an administrator invents get the parcel.
pub fn icon(category: &str) -> &'static str {
    match category {
        "account" => ICON_ACCOUNT,
        "equipment" => ICON_EQUIPMENT,
        "network" => ICON_NETWORK,
        _ => ICON_OTHER,
    }
}

/// A category's name in the reader's language; one the product does not know is shown as named.
fn category_label(tr: Tr, category: &str) -> String {
    let key = format!("catalog.category.{category}");
    if category.is_empty() {
        tr.t("catalog.category.other")
    } else if tr.has(&key) {
        tr.t(&key)
    } else {
        category.to_string()
    }
}

fn card(tr: Tr, i: &CatalogItemView) -> Card {
    let mut meta = Vec::new();
    if let Some(days) = i.definition.expected_days {
        meta.push(tr.with("catalog.expected_days", &[("days".into(), days.to_string())]));
    }
    meta.push(if i.definition.approvals.is_empty() {
        tr.t("request.no_approval")
    } else {
        tr.with("request.approval_steps", &[("n".into(), i.definition.approvals.len().to_string())])
    });
    Card {
        href: format!("/catalog/{}", i.id),
        icon: icon(&i.category),
        title: i.name.get(tr.locale).to_string(),
        text: i.description.get(tr.locale).to_string(),
        meta,
    }
}

#[derive(Deserialize, Default)]
pub struct CatalogQuery {
    q: Option<String>,
}

pub async fn catalog(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<CatalogQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let items = request::list_items(&state.core, &caller.ctx, false).await?;
    let q = f.q.as_deref().map(str::trim).unwrap_or_default().to_string();
    let found: Vec<&CatalogItemView> = items
        .iter()
        .filter(|i| {
            let category = category_label(tr, &i.category);
            let texts = [i.name.zh.as_str(), &i.name.en, &i.description.zh, &i.description.en, &i.category, &category];
            yunwei_domain::request::catalog_match(&texts, &q)
        })
        .collect();
    let search = Field::new("search", "q", tr.t("catalog.search"), q.clone()).help(tr.t("catalog.search_help"));
    let mut sections = vec![
        Section::Text(tr.t("request.catalog_intro")),
        Section::Form(FormSection::get("catalog-search", "/catalog", tr.t("action.search"), vec![search])),
    ];
    if !q.is_empty() {
        sections.push(Section::Text(tr.with("catalog.found", &[("n".into(), found.len().to_string()), ("q".into(), q.clone())])));
    }
    if found.is_empty() {
        sections.push(Section::Text(tr.t(if items.is_empty() { "catalog.empty" } else { "catalog.none_found" })));
        sections.push(Section::Links(vec![("/catalog".into(), tr.t("catalog.show_all"))]));
    }
    // Categories in the order their first item sorts (the administrator's sort order).
    let mut categories: Vec<&str> = Vec::new();
    for i in &found {
        if !categories.contains(&i.category.as_str()) {
            categories.push(&i.category);
        }
    }
    for c in categories {
        sections.push(Section::Heading(category_label(tr, c)));
        sections.push(Section::Cards(found.iter().filter(|i| i.category == c).map(|i| card(tr, i)).collect()));
    }
    let layout = Layout { title: tr.t("request.catalog"), sections, ..Layout::default() };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_have_names_and_icons_in_both_languages() {
        for (lang, account, other) in [("zh-CN", "账号与权限", "其他服务"), ("en", "Accounts and access", "Other services")] {
            let tr = Tr::new(lang);
            assert_eq!(category_label(tr, "account"), account);
            assert_eq!(category_label(tr, ""), other);
            assert_eq!(category_label(tr, "设施"), "设施", "an administrator's own category keeps its name");
        }
        assert_ne!(icon("account"), icon("network"));
        assert_eq!(icon("设施"), ICON_OTHER);
    }
}
