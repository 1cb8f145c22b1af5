//! Home, the process pages still to come, and the notification list.

use super::{Cell, PROCESSES, Section, TableSection, offered, page, process_href, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, page_request};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

pub async fn home(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let tr = caller.tr;
    let roles = yunwei_core::admin::get_user(&state.core, &caller.ctx, me.user_id).await?.roles;
    let role_names: Vec<String> = roles.iter().map(|r| tr.t(&format!("role.name.{r}"))).collect();
    let mut sections = vec![
        Section::Text(tr.with("home.welcome", &[("name".into(), me.display_name.clone())])),
        Section::Facts(vec![
            (
                tr.t("home.roles"),
                if role_names.is_empty() { tr.t("home.no_roles") } else { role_names.join(tr.t("list.separator").as_str()) },
            ),
            (tr.t("home.unread"), yunwei_core::notify::my_unread_count(&state.core, &caller.ctx).await?.to_string()),
        ]),
        Section::Heading(tr.t("home.processes")),
    ];
    let rows = PROCESSES
        .iter()
        .filter(|p| offered(&caller.ctx, p.0))
        .map(|p| {
            vec![
                Cell::link(tr.t(&format!("process.{}.title", p.0)), process_href(p.0)),
                Cell::text(tr.t(&format!("process.{}.about", p.0))),
            ]
        })
        .collect();
    sections.push(Section::Table(TableSection { columns: vec![tr.t("home.process"), tr.t("home.about")], rows, next: None }));
    Ok(page(&state, &caller, "/", tr.t("nav.home"), sections, None, Vec::new()).await)
}

/// A process not built yet says what will live there; it shows no invented data.
pub async fn process(State(state): State<AppState>, caller: Caller, ApiPath(process): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require()?;
    if !PROCESSES.iter().any(|p| p.0 == process) {
        return Err(ApiError::not_found());
    }
    // Built processes have moved to their own pages; old links still arrive.
    let href = process_href(&process);
    if href != format!("/p/{process}") {
        return Ok(super::redirect(&href));
    }
    let tr = caller.tr;
    let sections = vec![Section::Text(tr.t(&format!("process.{process}.about"))), Section::Text(tr.t("process.coming"))];
    Ok(page(&state, &caller, &format!("/p/{process}"), tr.t(&format!("process.{process}.title")), sections, None, Vec::new()).await)
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

pub async fn notifications(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let req = page_request(Some(50), q.cursor.as_deref(), Some("-id"), "id")?;
    let list = yunwei_core::notify::my_notifications(&state.core, &caller.ctx, false, &req).await?;
    let rows = list
        .items
        .iter()
        .map(|n| {
            vec![
                Cell::text(time(n.created_at, &caller)),
                if n.read_at.is_none() { Cell::badge(n.title.clone(), "new") } else { Cell::text(n.title.clone()) },
                Cell::text(n.body.clone()),
            ]
        })
        .collect();
    let next = list.next_cursor.map(|c| format!("/notifications?cursor={c}"));
    let sections = vec![
        Section::Form(super::FormSection::post("readall", "/notifications/read-all", tr.t("notifications.read_all"), Vec::new())),
        Section::Table(TableSection { columns: vec![tr.t("field.time"), tr.t("field.title"), tr.t("field.body")], rows, next }),
    ];
    Ok(page(&state, &caller, "/notifications", tr.t("nav.notifications"), sections, None, Vec::new()).await)
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn read_all(State(state): State<AppState>, caller: Caller, CsrfForm(_): CsrfForm<Empty>) -> Result<Response, ApiError> {
    yunwei_core::notify::mark_read(&state.core, &caller.ctx, None).await?;
    Ok(super::redirect("/notifications").into_response())
}
