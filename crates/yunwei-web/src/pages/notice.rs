//! In-app notifications (issue 15, defect 8): written from the event in the reader's language
//! (states by name, the actor by name, no e-mail wording), each a link to its record, and the
//! header bell as a dropdown of the latest ones (a `<details>`, no script needed).

use super::{Cell, FormSection, Section, TableSection, page, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, page_request};
use crate::notice_text::{detail, headline};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yunwei_core::notify;
use yunwei_domain::ids::NotificationId;

/// How many notices the bell shows.
pub const BELL_ITEMS: i64 = 6;

/// One line of the bell's list.
pub struct BellItem {
    pub href: String,
    pub what: String,
    pub detail: String,
    pub when: String,
    pub unread: bool,
}

/// Where a notice leads: its record's page (same-site paths only), else the list.
fn target(link: Option<&str>) -> String {
    link.filter(|l| l.starts_with('/') && !l.starts_with("//")).unwrap_or("/notifications").to_string()
}

/// The latest notices for the bell; empty when they cannot be read (the page still renders).
pub async fn bell(state: &AppState, caller: &Caller) -> Vec<BellItem> {
    let tr = caller.tr;
    let Ok(req) = page_request(Some(BELL_ITEMS), None, Some("-id"), "id") else { return Vec::new() };
    let Ok(list) = notify::my_notices(&state.core, &caller.ctx, false, &req).await else { return Vec::new() };
    list.items
        .iter()
        .map(|n| BellItem {
            href: format!("/notifications/{}/open", n.id),
            what: headline(tr, n),
            detail: detail(tr, n),
            when: time(n.created_at, caller),
            unread: n.read_at.is_none(),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

pub async fn list(state: axum::extract::State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let req = page_request(Some(50), q.cursor.as_deref(), Some("-id"), "id")?;
    let list = notify::my_notices(&state.core, &caller.ctx, false, &req).await?;
    let rows = list
        .items
        .iter()
        .map(|n| {
            let what = headline(tr, n);
            let href = format!("/notifications/{}/open", n.id);
            vec![
                Cell::text(time(n.created_at, &caller)),
                Cell::link(what, href),
                Cell::text(detail(tr, n)),
                if n.read_at.is_none() { Cell::badge(tr.t("notifications.unread"), "new") } else { Cell::text(tr.t("notifications.read")) },
            ]
        })
        .collect::<Vec<_>>();
    let next = list.next_cursor.map(|c| format!("/notifications?cursor={c}"));
    let mut sections = Vec::new();
    if rows.is_empty() {
        sections.push(Section::Text(tr.t("notifications.none")));
    } else {
        sections.push(Section::Form(FormSection::post("readall", "/notifications/read-all", tr.t("notifications.read_all"), Vec::new())));
        let columns = ["field.time", "notifications.what", "notifications.detail", "field.state"];
        sections.push(Section::Table(TableSection { columns: columns.iter().map(|c| tr.t(c)).collect(), rows, next }));
    }
    Ok(page(&state, &caller, "/notifications", tr.t("nav.notifications"), sections, None, Vec::new()).await)
}

/// Follows a notice: marks it read and goes to its record.
pub async fn open(state: axum::extract::State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> Result<Response, ApiError> {
    caller.require()?;
    let id = NotificationId(id);
    let link = notify::my_notice_link(&state.core, &caller.ctx, id).await?;
    notify::mark_read(&state.core, &caller.ctx, Some(id)).await.or_else(|e| match e {
        // Already read: following it again is fine.
        yunwei_core::CoreError::NotFound(_) => Ok(0),
        e => Err(e),
    })?;
    Ok(super::redirect(&target(link.as_deref())))
}

#[derive(Deserialize)]
pub struct Back {
    #[serde(default)]
    back: Option<String>,
}

/// Marks every notice read; back to the page the bell was opened on, or the list.
pub async fn read_all(state: axum::extract::State<AppState>, caller: Caller, CsrfForm(f): CsrfForm<Back>) -> Result<Response, ApiError> {
    notify::mark_read(&state.core, &caller.ctx, None).await?;
    let back = f.back.filter(|b| b.starts_with('/') && !b.starts_with("//")).unwrap_or_else(|| "/notifications".into());
    Ok(super::redirect(&back).into_response())
}
