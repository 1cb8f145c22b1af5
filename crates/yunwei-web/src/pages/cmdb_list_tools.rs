//! Tools of the CI list page: saved views (shared with the incident queue) and bulk edit of
//! the ticked CIs — status, owner team, environment, tags — with one result per CI.

use super::saved_views::{self, ViewForm};
use super::{Cell, Field, FormSection, Layout, Section, TableSection, render, safe_next};
use crate::AppState;
use crate::api::cmdb::bulk_result;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller, CsrfForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::cmdb::Channel;
use yunwei_core::cmdb::bulk::BulkCiInput;
use yunwei_domain::cmdb::{CiStatus, Environment};
use yunwei_domain::ids::{CiId, TeamId};
use yunwei_domain::permission::{Action, ObjectType};

const ACTIVE: &str = "/cmdb";
/// The bulk form's id: the list's checkboxes belong to `form-cmdb-bulk`.
pub const BULK_FORM: &str = "form-cmdb-bulk";

pub fn may_edit(caller: &Caller) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::ConfigurationItem, Action::Update))
}

fn choices<T: std::fmt::Display>(tr: Tr, prefix: &str, all: &[T]) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), tr.t("cmdb.bulk.keep"))];
    out.extend(all.iter().map(|v| (v.to_string(), tr.t(&format!("{prefix}.{v}")))));
    out
}

/// Above the list: saved views. Below it: the bulk form, for those who may change CIs.
pub async fn sections(state: &AppState, caller: &Caller, teams: &[(String, String)], query: &str) -> (Vec<Section>, Vec<Section>) {
    let tr = caller.tr;
    let above = saved_views::sections(state, caller, &saved_views::CIS, query).await;
    let mut below = Vec::new();
    if may_edit(caller) {
        let mut team_options = vec![(String::new(), tr.t("cmdb.bulk.keep")), ("none".into(), tr.t("cmdb.bulk.no_team"))];
        team_options.extend(teams.iter().filter(|(id, _)| !id.is_empty()).cloned());
        let fields = vec![
            Field::new("select", "status", tr.t("field.status"), "").options(choices(tr, "cmdb.status", CiStatus::ALL)),
            Field::new("select", "owner_team_id", tr.t("field.owner_team_id"), "").options(team_options),
            Field::new("select", "environment", tr.t("field.environment"), "").options(choices(tr, "cmdb.environment", Environment::ALL)),
            Field::new("text", "add_tags", tr.t("cmdb.bulk.add_tags"), "").help(tr.t("cmdb.tags_help")),
            Field::new("text", "remove_tags", tr.t("cmdb.bulk.remove_tags"), ""),
            Field::new("hidden", "back", String::new(), format!("{ACTIVE}?{query}")),
        ];
        below.push(Section::Form(
            FormSection::post("cmdb-bulk", "/cmdb/bulk", tr.t("cmdb.bulk.apply"), fields).heading(tr.t("cmdb.bulk.title")).class("cols-3"),
        ));
    }
    (above, below)
}

/// The list's checkbox cell of one CI.
pub fn tick(id: CiId, label: String) -> Cell {
    Cell::check(BULK_FORM, "ids", id.to_string(), label)
}

fn tags(text: &str) -> Vec<String> {
    text.split([',', '，', '、']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

/// A form value as the enum it names (`None` when blank or unknown: the core then sees no change).
fn parsed<T: serde::de::DeserializeOwned>(v: &str) -> Option<T> {
    let v = v.trim();
    (!v.is_empty()).then(|| serde_json::from_value(serde_json::Value::String(v.into())).ok()).flatten()
}

pub async fn bulk(State(state): State<AppState>, caller: Caller, CsrfForm(pairs): CsrfForm<super::Pairs>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or_default();
    let back = safe_next(get("back"));
    let input = BulkCiInput {
        ids: pairs.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.trim().parse().ok()).map(CiId).collect(),
        status: parsed(get("status")),
        owner_team_id: match get("owner_team_id").trim() {
            "" => None,
            "none" => Some(None),
            id => id.parse().ok().map(|i| Some(TeamId(i))),
        },
        environment: parsed(get("environment")),
        add_tags: tags(get("add_tags")),
        remove_tags: tags(get("remove_tags")),
    };
    let back_link = || Section::Links(vec![(back.clone(), tr.t("cmdb.back_to_list"))]);
    let result = match bulk_result(&state, &caller, input, Channel::Ui).await {
        Ok(r) => r,
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::UNAUTHORIZED => {
            let layout = Layout { title: tr.t("cmdb.bulk.title"), sections: vec![back_link()], ..Layout::default() };
            return super::failed_layout(&state, &caller, e, layout, ACTIVE).await;
        }
        Err(e) => return Err(e),
    };
    let summary =
        tr.with("incident.bulk.summary", &[("ok".into(), result.succeeded.to_string()), ("failed".into(), result.failed.to_string())]);
    let rows = result
        .results
        .iter()
        .map(|r| {
            let ci = Cell::link(r.name.clone().unwrap_or_else(|| format!("#{}", r.id)), format!("/cmdb/cis/{}", r.id));
            super::incident_queue::outcome_row(tr, ci, r.ok, r.message.as_deref())
        })
        .collect();
    let sections = vec![
        Section::Text(summary),
        Section::Table(TableSection {
            columns: vec![tr.t("field.name"), tr.t("field.state"), tr.t("incident.bulk.reason")],
            rows,
            next: None,
        }),
        back_link(),
    ];
    Ok(render(&state, &caller, ACTIVE, Layout { title: tr.t("cmdb.bulk.title"), sections, ..Layout::default() }, None, Vec::new()).await)
}

pub async fn save_view(State(state): State<AppState>, caller: Caller, CsrfForm(f): CsrfForm<ViewForm>) -> Result<Response, ApiError> {
    caller.require()?;
    saved_views::save(&state, &caller, &saved_views::CIS, f).await
}

pub async fn delete_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<super::Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    saved_views::delete(&state, &caller, &saved_views::CIS, id).await
}
