//! The request page's watchers and file upload (the ticket kernel's, as on the incident page).
//! Whoever may read a request may follow it and add a file (a file is a reply); naming
//! others as watchers is the desk's (`assign` on the request), so only they are offered it.

use super::desk::Names;
use super::request::{finish, request_id};
use super::ticket_parts;
use super::{Field, FormSection, Posted, Section};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller};
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::response::Response;
use yunwei_core::request::{self, NameApproverInput, RequestDetail};
use yunwei_domain::ticket::SERVICE_REQUEST;

/// The side column's watchers and the files with their upload form.
pub async fn parts(state: &AppState, caller: &Caller, d: &RequestDetail, names: &mut Names) -> (Vec<Section>, Vec<Section>) {
    let r = &d.request;
    let page = format!("/requests/{}", r.number);
    let watchers = ticket_parts::watchers(state, caller, &page, &d.watchers, d.may_assign, names).await;
    let files_api = format!("/api/v1/service-requests/{}/attachments", r.number);
    let at = ticket_parts::Place { kind: &SERVICE_REQUEST, id: r.id.0, page: &page, files_api: &files_api };
    // Readers of the request may reply on it, and a file is a reply (`ticket::attach`).
    let files = ticket_parts::files(state, caller, &at, true, names).await;
    (watchers, files)
}

ticket_parts::ticket_handlers!(request_id, &SERVICE_REQUEST, "request-comment");

/// The upload form.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = request_id(&number)?;
    // The request must be readable before anything is read from the body.
    request::get(&state.core, &caller.ctx, id).await?;
    let result = ticket_parts::upload(&state, &caller, &SERVICE_REQUEST, id.0, form).await?;
    finish(&state, &caller, id, result, "file_added", Posted::new("attach", Vec::new())).await
}

/// For the desk (`assign` on the request): a form to name the approver of each step that waits
/// for one, from the current step on (earlier steps are decided).
pub async fn approver_forms(state: &AppState, caller: &Caller, d: &RequestDetail, unassigned: &[usize]) -> Vec<Section> {
    let tr = caller.tr;
    let current = d.request.approval_step.unwrap_or(i64::MAX);
    let open: Vec<usize> = unassigned.iter().copied().filter(|n| *n as i64 >= current).collect();
    let own = d.request.requester_id.is_some_and(|r| Some(r.0) == caller.ctx.actor_id());
    if !d.may_assign || own || open.is_empty() {
        return Vec::new();
    }
    let Ok(people) = yunwei_core::directory::approver_candidates(&state.core, &caller.ctx).await else { return Vec::new() };
    let mut options = vec![(String::new(), tr.t("field.none"))];
    options.extend(people.into_iter().filter(|(id, _)| Some(*id) != d.request.requester_id).map(|(id, n)| (id.to_string(), n)));
    let steps: Vec<(String, String)> = open
        .iter()
        .map(|n| {
            (
                format!("{}", n + 1),
                format!("{}. {}", n + 1, d.definition.approvals.get(*n).map(|s| s.name.get(tr.locale).to_string()).unwrap_or_default()),
            )
        })
        .collect();
    let first = steps.first().map(|s| s.0.clone()).unwrap_or_default();
    let fields = vec![
        Field::new("select", "step", tr.t("field.step"), first).options(steps).required(),
        Field::new("select", "approver_id", tr.t("field.approver_id"), String::new())
            .options(options)
            .required()
            .help(tr.t("request.name_approver_help")),
    ];
    let form =
        FormSection::post("request-approver", format!("/requests/{}/approvers", d.request.number), tr.t("request.name_approver"), fields);
    vec![Section::Form(form.heading(tr.t("request.name_approver")).folded(false).class("cols-2"))]
}

super::ticket_parts::form_handlers! { request_id;
    /// The desk names a step's approver.
    name_approver(NameApproverInput) -> request::name_approver => "approver_named", "request-approver";
}
