//! The search page (SPEC SEARCH): one box in the top bar, incidents, service requests and
//! configuration items found by full-text search, each list within the caller's read rights.

use super::desk::{DeskData, Names, priority_badge, state_label};
use super::{Cell, Field, FormSection, Layout, Section, TableSection, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

pub const ACTIVE: &str = "/search";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchForm {
    q: Option<String>,
}

pub async fn page(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<SearchForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let q = f.q.as_deref().map(str::trim).unwrap_or_default().to_string();
    let form =
        FormSection::get("search", ACTIVE, tr.t("action.search"), vec![Field::new("search", "q", tr.t("search.words"), q.clone()).wide()]);
    let mut sections = vec![Section::Form(form)];
    if !q.is_empty() {
        let found = yunwei_core::search::search(&state.core, &caller.ctx, &q, 50).await?;
        let data = DeskData::load(&state, &caller).await?;
        let names = Names::load(&state, &caller).await;
        let mut incidents = Vec::new();
        for v in &found.incidents {
            let (label, class) = priority_badge(&data.settings, v.priority, tr);
            incidents.push(vec![
                Cell::link(v.number.clone(), format!("/incidents/{}", v.number)),
                Cell::badge(label, &class),
                Cell::text(v.title.clone()),
                Cell::badge(state_label(tr, v.state), &format!("state state-{}", v.state)),
                Cell::text(names.team_or_dash(v.team_id)),
                Cell::text(time(v.updated_at, &caller)),
            ]);
        }
        sections.push(Section::Heading(tr.with("search.incidents", &[("n".into(), found.incidents.len().to_string())])));
        sections.push(table(
            tr,
            &["field.number", "field.priority", "field.title", "field.state", "field.team", "field.updated"],
            incidents,
        ));
        let mut requests = Vec::new();
        for r in &found.service_requests {
            requests.push(vec![
                Cell::link(r.number.clone(), format!("/requests/{}", r.number)),
                Cell::text(r.title.clone()),
                Cell::badge(tr.t(&format!("request.state.{}", r.state)), &format!("state state-{}", r.state)),
                Cell::text(names.team_or_dash(r.team_id)),
                Cell::text(time(r.created_at, &caller)),
            ]);
        }
        sections.push(Section::Heading(tr.with("search.requests", &[("n".into(), found.service_requests.len().to_string())])));
        sections.push(table(tr, &["field.number", "field.title", "field.state", "field.team", "field.created"], requests));
        // Configuration items, for those who may read them (the CMDB's names, tags and attributes).
        if super::ci_pick::may_pick(&caller) {
            let en = !tr.is_zh();
            let cis = found
                .configuration_items
                .iter()
                .map(|c| {
                    vec![
                        Cell::link(yunwei_core::cmdb::pick(&c.ci.name, &c.ci.name_en, en).to_string(), format!("/cmdb/cis/{}", c.ci.id)),
                        Cell::text(yunwei_core::cmdb::pick(&c.class_name, &c.class_name_en, en).to_string()),
                        Cell::text(tr.t(&format!("cmdb.status.{}", c.ci.status))),
                        Cell::text(c.owner_team_name.clone().unwrap_or_else(|| "—".into())),
                    ]
                })
                .collect();
            sections.push(Section::Heading(tr.with("search.cis", &[("n".into(), found.configuration_items.len().to_string())])));
            sections.push(table(tr, &["field.name", "field.class", "field.status", "field.owner_team_id"], cis));
        }
    }
    let layout = Layout { title: tr.t("search.title"), sections, ..Layout::default() };
    Ok(render(&state, &caller, ACTIVE, layout, None, Vec::new()).await)
}

fn table(tr: crate::i18n::Tr, columns: &[&str], rows: Vec<Vec<Cell>>) -> Section {
    if rows.is_empty() {
        return Section::Text(tr.t("search.none"));
    }
    Section::Table(TableSection { columns: columns.iter().map(|k| tr.t(k)).collect(), rows, next: None })
}
