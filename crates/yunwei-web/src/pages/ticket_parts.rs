//! Parts every ticket page has, whatever its kind (the kernel's watchers and files): who
//! follows it, with follow / stop following and, for the desk, adding and removing others;
//! its files with the upload form; and reading that form. Each page says what its reader may
//! do (the kind's policy), so nothing offered answers 403.

use super::desk::{Names, file_size};
use super::{Button, Cell, Field, FormSection, Section, TableSection, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use yunwei_core::CoreError;
use yunwei_domain::ids::UserId;
use yunwei_domain::ticket::TicketKind;
use yunwei_domain::{DomainError, FieldError};

/// A ticket page's address (`/requests/REQ-000005`) and its file API (`/api/v1/service-requests/REQ-000005/attachments`).
pub struct Place<'a> {
    pub kind: &'static TicketKind,
    pub id: i64,
    pub page: &'a str,
    pub files_api: &'a str,
}

pub fn invalid(field: &str, code: &str) -> ApiError {
    CoreError::from(DomainError::Validation(vec![FieldError::new(field, code)])).into()
}

/// Who follows the ticket, by name; "follow"/"stop following" for the reader, and adding or
/// removing others when `name_others` (the desk's assign right on the record).
pub async fn watchers(
    state: &AppState,
    caller: &Caller,
    page: &str,
    watchers: &[UserId],
    name_others: bool,
    names: &mut Names,
) -> Vec<Section> {
    let tr = caller.tr;
    let me = UserId(caller.ctx.actor_id().unwrap_or_default());
    let mut rows = Vec::new();
    for w in watchers {
        let name = names.user(state, caller, *w).await;
        // One's own row says "stop watching"; others' rows "remove" (for those who may assign).
        let label = if *w == me { "incident.unwatch" } else { "incident.watcher_remove" };
        let remove = (*w == me || name_others).then(|| Cell::button(format!("{page}/unwatch?user_id={}", w.0), tr.t(label), String::new()));
        rows.push(vec![Cell::text(name), remove.unwrap_or_else(|| Cell::text(""))]);
    }
    let mut out = vec![Section::Heading(tr.t("incident.watchers"))];
    if rows.is_empty() {
        out.push(Section::Text(tr.t("incident.no_watchers")));
    } else {
        out.push(Section::Table(TableSection { columns: vec![tr.t("field.name"), String::new()], rows, next: None }));
    }
    if !watchers.contains(&me) {
        out.push(Section::Buttons(vec![Button { action: format!("{page}/watch"), label: tr.t("incident.watch"), confirm: None }]));
    }
    if name_others {
        // The people of the desk's teams, as the assign list offers them.
        let mut people: Vec<(UserId, String)> = Vec::new();
        for (team, _) in names.teams.clone() {
            people.extend(names.members(state, caller, team).await);
        }
        people.sort_by(|a, b| a.1.cmp(&b.1));
        people.dedup_by_key(|p| p.0);
        people.retain(|p| !watchers.contains(&p.0));
        if !people.is_empty() {
            let mut options = vec![(String::new(), tr.t("field.none"))];
            options.extend(people.iter().map(|(id, n)| (id.to_string(), n.clone())));
            let field = Field::new("select", "user_id", tr.t("incident.watcher_add"), String::new()).options(options).required();
            out.push(Section::Form(
                FormSection::post("watcher", format!("{page}/watch"), tr.t("action.add"), vec![field]).class("inline-edit"),
            ));
        }
    }
    out
}

/// Whom a watch form or an unwatch button names (`user_id`); absent or empty: the reader.
#[derive(serde::Deserialize, Default)]
pub struct WhoQuery {
    pub user_id: Option<String>,
}

/// Follows or stops following a ticket from its page, through the kernel (which checks the
/// kind's policy): the outcome for the page's `finish`, and the notice to show when it worked.
pub async fn set_watching(
    state: &AppState,
    caller: &Caller,
    kind: &'static TicketKind,
    id: i64,
    user: Option<String>,
    watch: bool,
) -> Result<(Result<(), ApiError>, &'static str), ApiError> {
    let user = watcher_of(user.as_deref())?;
    let result =
        yunwei_core::ticket::set_watching(&state.core, &caller.ctx, kind, id, user, watch).await.map(|_| ()).map_err(ApiError::from);
    Ok((result, watch_notice(caller, user, watch)))
}

/// The user a watch form or button names (`user_id`), or the reader when empty.
pub fn watcher_of(user: Option<&str>) -> Result<Option<UserId>, ApiError> {
    match user.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Ok(Some(UserId(u.parse().map_err(|_| invalid("user_id", "invalid"))?))),
        None => Ok(None),
    }
}

/// The notice after a watch form: following oneself or naming someone else.
pub fn watch_notice(caller: &Caller, user: Option<UserId>, watch: bool) -> &'static str {
    match (watch, user.is_some_and(|u| Some(u.0) != caller.ctx.actor_id())) {
        (true, true) => "watcher_added",
        (false, true) => "watcher_removed",
        (true, false) => "watching",
        (false, false) => "unwatched",
    }
}

/// Posts a reply or a work note from a ticket page's reply form through the kernel: the
/// outcome, the form as posted (to show it again) and the notice (`replied` or `noted`).
pub async fn comment(
    state: &AppState,
    caller: &Caller,
    kind: &'static TicketKind,
    id: i64,
    form: crate::extract::PageForm<super::ReplyForm>,
) -> (Result<(), ApiError>, super::Pairs, &'static str) {
    let public = form.input.as_ref().map_or(true, super::ReplyForm::public);
    let comment = |f: super::ReplyForm| yunwei_core::ticket::Comment { public: f.public(), body: f.body };
    let (result, posted) = form.run(|f| yunwei_core::ticket::comment(&state.core, &caller.ctx, kind, id, comment(f))).await;
    (result.map(|_| ()), posted, if public { "replied" } else { "noted" })
}

/// The ticket's files (downloaded from the API, never shown inline) and, when `attach`, the upload form.
pub async fn files(state: &AppState, caller: &Caller, at: &Place<'_>, attach: bool, names: &mut Names) -> Vec<Section> {
    let tr = caller.tr;
    let files = yunwei_core::ticket::attachments(&state.core, &caller.ctx, at.kind, at.id).await.unwrap_or_default();
    let mut out = vec![Section::Heading(tr.t("incident.attachments"))];
    if files.is_empty() {
        out.push(Section::Text(tr.t("incident.no_attachments")));
    } else {
        let mut rows = Vec::new();
        for f in &files {
            rows.push(vec![
                Cell::link(f.filename.clone(), format!("{}/{}", at.files_api, f.id)),
                Cell::text(file_size(f.size)),
                Cell::text(names.user_or_dash(state, caller, f.created_by.map(UserId)).await),
                Cell::text(time(f.created_at, caller)),
            ]);
        }
        let columns = vec![tr.t("field.file"), tr.t("field.size"), tr.t("field.uploaded_by"), tr.t("field.created")];
        out.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    if attach {
        let help = tr.with("incident.upload_help", &[("max".into(), max_mib(state).to_string())]);
        let field = Field::new("file", "file", tr.t("field.file"), String::new()).required().help(help);
        let form = FormSection::post("attach", format!("{}/attachments", at.page), tr.t("incident.upload"), vec![field]);
        out.push(Section::Form(form.multipart().class("inline-edit")));
    }
    out
}

fn max_mib(state: &AppState) -> usize {
    (yunwei_core::ticket::MAX_ATTACHMENT_BYTES.min(state.web.body_limit) / 1024 / 1024).max(1)
}

/// Reads an upload form (the CSRF token and one file) and attaches the file to the ticket.
/// `Err` when the token is wrong (nothing stored); `Ok(result)` otherwise, where a file too
/// large for the body limit, empty, or a program is a message for the field.
pub async fn upload(
    state: &AppState,
    caller: &Caller,
    kind: &'static TicketKind,
    id: i64,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Result<(), ApiError>, ApiError> {
    let mut form = form.map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body"))?;
    let (mut csrf, mut file) = (None, None);
    let too_large =
        || CoreError::from(DomainError::Validation(vec![FieldError::new("file", "too_large").with("max", max_mib(state))])).into();
    let mut result: Result<(), ApiError> = Ok(());
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let filename = field.file_name().map(str::to_string);
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
                match (name.as_str(), field.bytes().await) {
                    (crate::form::CSRF_FIELD, Ok(b)) => csrf = Some(String::from_utf8_lossy(&b).to_string()),
                    ("file", Ok(b)) => file = Some((filename.unwrap_or_default(), content_type, b)),
                    (_, Ok(_)) => {}
                    (_, Err(e)) => {
                        result = Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { invalid("file", "unreadable") });
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                result = Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { invalid("file", "unreadable") });
                break;
            }
        }
    }
    let expected = caller.session.as_ref().map(|s| s.csrf_token.as_bytes());
    // A form cut short by the size limit may not have reached its token: the message by the field
    // is safe to show, nothing has been stored.
    if result.is_ok() && !matches!((expected, &csrf), (Some(e), Some(got)) if yunwei_core::crypto::constant_time_eq(e, got.as_bytes())) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_failed"));
    }
    if result.is_ok() {
        result = match file {
            Some((name, _, bytes)) if name.trim().is_empty() || bytes.is_empty() => Err(invalid("file", "required")),
            Some((name, content_type, bytes)) => {
                let file = yunwei_core::ticket::Upload { filename: &name, content_type: &content_type, bytes: &bytes };
                yunwei_core::ticket::attach(&state.core, &caller.ctx, kind, id, file).await.map(|_| ()).map_err(ApiError::from)
            }
            None => Err(invalid("file", "required")),
        };
    }
    Ok(result)
}

/// A ticket page's follow and stop-following handlers (`watch`, `unwatch`) and its reply form
/// (`comment`, shown again as form `$reply` when it fails), declared once for every kind:
/// `$id` reads the page's number into the kind's id, and the `finish` in scope at the call
/// shows the outcome as that page does (a macro, because each page's `finish` and id type are
/// its own and axum handlers cannot be generic over an async trait).
macro_rules! ticket_handlers {
    ($id:path, $kind:expr, $reply:literal) => {
        async fn set_watching(
            state: $crate::AppState,
            caller: $crate::extract::Caller,
            number: String,
            pairs: $crate::pages::Pairs,
            user: Option<String>,
            watch: bool,
        ) -> Result<axum::response::Response, $crate::error::ApiError> {
            caller.require()?;
            let id = $id(&number)?;
            let (result, notice) = super::ticket_parts::set_watching(&state, &caller, $kind, id.0, user, watch).await?;
            finish(&state, &caller, id, result, notice, $crate::pages::Posted::new("watcher", pairs)).await
        }

        /// Follow: the reader, or the person chosen in the form (`user_id`).
        pub async fn watch(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            caller: $crate::extract::Caller,
            $crate::extract::ApiPath(number): $crate::extract::ApiPath<String>,
            form: $crate::extract::PageForm<super::ticket_parts::WhoQuery>,
        ) -> Result<axum::response::Response, $crate::error::ApiError> {
            let $crate::extract::PageForm { input, posted } = form;
            set_watching(state, caller, number, posted, input?.user_id, true).await
        }

        /// Stop following: the reader, or the person named in the button's `?user_id=`.
        pub async fn unwatch(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            caller: $crate::extract::Caller,
            $crate::extract::ApiPath(number): $crate::extract::ApiPath<String>,
            $crate::extract::ApiQuery(q): $crate::extract::ApiQuery<super::ticket_parts::WhoQuery>,
            $crate::extract::CsrfForm(pairs): $crate::extract::CsrfForm<$crate::pages::Pairs>,
        ) -> Result<axum::response::Response, $crate::error::ApiError> {
            set_watching(state, caller, number, pairs, q.user_id, false).await
        }

        /// A reply or a work note.
        pub async fn comment(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            caller: $crate::extract::Caller,
            $crate::extract::ApiPath(number): $crate::extract::ApiPath<String>,
            form: $crate::extract::PageForm<$crate::pages::ReplyForm>,
        ) -> Result<axum::response::Response, $crate::error::ApiError> {
            caller.require()?;
            let id = $id(&number)?;
            let (result, posted, notice) = super::ticket_parts::comment(&state, &caller, $kind, id.0, form).await;
            finish(&state, &caller, id, result, notice, $crate::pages::Posted::new($reply, posted)).await
        }
    };
}
pub(super) use ticket_handlers;

/// A ticket page's form handlers, one line each: the handler, the input type its form binds
/// to (the API's own), the core use case (given the core, the caller's context, the ticket's
/// id and the input), the notice on success and the form's id (to show it again, with the
/// input kept, when it fails). `$id` reads the page's number into the kind's id; the `finish`
/// in scope at the call shows the outcome as that page does.
macro_rules! form_handlers {
    ($id:path; $($(#[$doc:meta])* $name:ident($ty:ty) -> $($call:ident)::+ => $notice:literal, $form:literal;)*) => {$(
        $(#[$doc])*
        pub async fn $name(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            caller: $crate::extract::Caller,
            $crate::extract::ApiPath(number): $crate::extract::ApiPath<String>,
            form: $crate::extract::PageForm<$ty>,
        ) -> Result<axum::response::Response, $crate::error::ApiError> {
            caller.require()?;
            let id = $id(&number)?;
            let (result, posted) = form.run(|input| $($call)::+(&state.core, &caller.ctx, id, input)).await;
            finish(&state, &caller, id, result, $notice, $crate::pages::Posted::new($form, posted)).await
        }
    )*};
}
pub(super) use form_handlers;

/// A ticket page's `record` (the page, with the notice of the last command) and `finish` (after
/// a command: back to the page with a notice, or the page again with the form as typed), for a
/// kind whose page is drawn by `record_layout(state, caller, &view)` in scope, from the view its
/// core `get` returns, under `ACTIVE` in scope.
macro_rules! record_page {
    ($id:path, $id_type:ty, $get:path) => {
        pub async fn record(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            caller: $crate::extract::Caller,
            $crate::extract::ApiPath(number): $crate::extract::ApiPath<String>,
            $crate::extract::ApiQuery(q): $crate::extract::ApiQuery<super::Notice>,
        ) -> Result<axum::response::Response, $crate::error::ApiError> {
            caller.require()?;
            let v = $get(&state.core, &caller.ctx, $id(&number)?).await?;
            let layout = record_layout(&state, &caller, &v).await;
            Ok(super::render(&state, &caller, ACTIVE, layout, q.text(caller.tr), Vec::new()).await)
        }

        async fn finish<T>(
            state: &$crate::AppState,
            caller: &$crate::extract::Caller,
            id: $id_type,
            result: Result<T, $crate::error::ApiError>,
            notice: &str,
            posted: super::Posted,
        ) -> Result<axum::response::Response, $crate::error::ApiError> {
            let e = match result {
                Ok(_) => return Ok(super::redirect(&format!("{ACTIVE}/{}?ok={notice}", rules::number(id.0)))),
                Err(e) => e,
            };
            if e.status.is_server_error() || e.status == axum::http::StatusCode::UNAUTHORIZED {
                return Err(e);
            }
            let v = $get(&state.core, &caller.ctx, id).await?;
            let layout = record_layout(state, caller, &v).await;
            super::failed_form(state, caller, e, layout, ACTIVE, Some(&posted)).await
        }
    };
}
pub(super) use record_page;
