//! One row of the API table: the handler and what the document says about it.

use crate::AppState;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Value, json};
use yunwei_domain::ticket::TicketKind;

/// An HTTP method the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The lower-case name the OpenAPI document uses as the operation's key.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        }
    }
}

/// A request body: schema name and a function giving its example.
type Body = (&'static str, fn() -> Value);

/// One operation: the route the router serves and its entry in the document, made together
/// by [`op`] so that neither can exist without the other.
pub struct Op {
    pub(super) method: Method,
    pub(super) path: &'static str,
    /// The handler, bound to `method`.
    pub(super) route: MethodRouter<AppState>,
    pub(super) tag: &'static str,
    pub(super) summary: &'static str,
    /// Request body schema name and example.
    pub(super) body: Option<Body>,
    /// Success status and response schema name (None: no body).
    pub(super) ok: (u16, Option<&'static str>),
    pub(super) query: &'static [(&'static str, &'static str, &'static str)],
    /// A 202 answer's schema, where the change may wait for a second person.
    pub(super) accepted: Option<&'static str>,
    /// Other answers with a body of their own (not a problem): status and schema name.
    pub(super) also: &'static [(u16, &'static str)],
    /// The body is a file (any Content-Type), not JSON.
    pub(super) file_body: bool,
    /// Error statuses besides 400/401/403/500, which every operation can answer.
    pub(super) errors: &'static [u16],
    pub(super) public: bool,
}

impl Op {
    /// The operation's route for the router: its path and its handler.
    pub fn into_route(self) -> (&'static str, MethodRouter<AppState>) {
        (self.path, self.route)
    }
}

pub(super) const PAGE_Q: [(&str, &str, &str); 3] =
    [super::frag::LIMIT, super::frag::CURSOR, ("sort", "string", "the list's sort key, `-key` for descending")];

/// An operation: `handler` answers `method path`; the rest documents it.
pub(super) fn op<H, T>(
    method: Method,
    path: &'static str,
    handler: H,
    tag: &'static str,
    summary: &'static str,
    ok: (u16, Option<&'static str>),
) -> Op
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Op {
        method,
        path,
        route: on(method.filter(), handler),
        tag,
        summary,
        body: None,
        ok,
        query: &[],
        accepted: None,
        also: &[],
        file_body: false,
        errors: &[],
        public: false,
    }
}

#[allow(dead_code)] // the first spelling of a row, kept while branches written with it merge
pub(super) fn with_body(mut o: Op, schema: &'static str, ex: fn() -> Value) -> Op {
    o.body = Some((schema, ex));
    o.errors = &[422];
    o
}

pub(super) fn q(mut o: Op, query: &'static [(&'static str, &'static str, &'static str)]) -> Op {
    o.query = query;
    o
}

/// An upload: the body is the file itself.
pub(super) fn file(mut o: Op) -> Op {
    o.file_body = true;
    o
}

pub(super) fn e(mut o: Op, errors: &'static [u16]) -> Op {
    o.errors = errors;
    o
}

/// The ticket kernel's file operations on one kind (ADR 0012): list, attach and download
/// under `base` (`/api/v1/incidents/{number}/attachments`) and `one` (`…/{file}`).
pub(super) fn attachment_ops(kind: &'static TicketKind, base: &'static str, one: &'static str, tag: &'static str) -> [Op; 3] {
    use crate::api::files;
    use Method::{Get, Post};
    let list = move |s, c, p| files::list_attachments(kind, s, c, p);
    let upload = move |s, c, p, q, r| files::upload(kind, s, c, p, q, r);
    let download = move |s, c, p| files::download(kind, s, c, p);
    let attach = "Attach a file (whoever may reply may attach): the body is the file, Content-Type its type (at most 20 MiB)";
    [
        e(op(Get, base, list, tag, "Files on the ticket", (200, Some("AttachmentList"))), &[404]),
        e(
            file(q(op(Post, base, upload, tag, attach, (201, Some("Attachment"))), &[("filename", "string", "the file's name")])),
            &[404, 413, 422],
        ),
        e(op(Get, one, download, tag, "Download a file (always as an attachment, never rendered)", (200, Some("Binary"))), &[404]),
    ]
}

/// The ticket kernel's watcher operations on one kind: list, watch and stop watching under
/// `path` (`/api/v1/incidents/{number}/watchers`).
pub(super) fn watcher_ops(kind: &'static TicketKind, path: &'static str, tag: &'static str) -> [Op; 3] {
    use crate::api::watchers;
    use Method::{Delete, Get, Post};
    let list = move |s, c, p| watchers::list(kind, s, c, p);
    let watch = move |s, c, p, b| watchers::set(kind, true, s, c, p, b);
    let unwatch = move |s, c, p, b| watchers::set(kind, false, s, c, p, b);
    let example = || json!({ "user_id": 12 });
    let watch_text = "Watch (yourself; another user with assign rights on the record)";
    [
        e(op(Get, path, list, tag, "Who watches the ticket", (200, Some("Watchers"))), &[404]),
        e(with_body(op(Post, path, watch, tag, watch_text, (200, Some("Watchers"))), "WatcherBody", example), &[404, 422]),
        e(
            with_body(
                op(Delete, path, unwatch, tag, "Stop watching (yourself, or another user with assign rights)", (200, Some("Watchers"))),
                "WatcherBody",
                || json!({}),
            ),
            &[404, 422],
        ),
    ]
}

pub(super) fn path_param_text(name: &str) -> &'static str {
    match name {
        "number" | "other" => "incident number (INC-000123) or id",
        "transition" => "start, pend, resume, resolve, close or reopen",
        "token" => "the 64 hex digits of a survey link",
        _ => "",
    }
}

pub(crate) fn schema_ref(name: &str) -> Value {
    match name {
        "Csv" | "Text" | "EventStream" => json!({ "type": "string" }),
        "Binary" => json!({ "type": "string", "format": "binary" }),
        "Object" => json!({ "type": "object" }),
        other => json!({ "$ref": format!("#/components/schemas/{other}") }),
    }
}

pub(super) fn media(name: &str) -> &'static str {
    match name {
        "Csv" => "text/csv",
        "Text" => "text/plain",
        "Binary" => "application/octet-stream",
        "EventStream" => "text/event-stream",
        _ => "application/json",
    }
}

pub(super) fn status_text(s: u16) -> &'static str {
    match s {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No content",
        400 => "Malformed request (bad JSON, query or idempotency key)",
        401 => "Not signed in, or the session or token is not valid",
        403 => "Not allowed (permission, CSRF, disabled account, password change or 2FA enrolment due)",
        404 => "Not found",
        409 => "Conflict with the current state (duplicate name, separation of duties, in use, illegal transition, changed meanwhile)",
        410 => "Gone: the link has expired",
        413 => "Body larger than the limit",
        415 => "Content-Type must be application/json",
        422 => "Validation failed; `errors` lists the fields",
        429 => "Too many attempts: held back; see Retry-After",
        503 => "Unavailable for now: the database is busy or its disk is full; retry later",
        _ => "Unexpected error",
    }
}

pub(crate) fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props })
}
