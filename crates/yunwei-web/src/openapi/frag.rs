//! What the area files share, so that a row or a schema says only what is its own: a row
//! builder bound to its tag, the common query parameters, and the schema pieces every area
//! repeats (typed fields, lists, pages).
//!
//! A row reads as one sentence: `SLA.get("/api/v1/calendars/{id}", sla::get_calendar, "One
//! calendar", "Calendar")`, then `.body(…)`, `.query(…)` or `.errors(…)` where it has them.
//! Answers every row shares (400, 401, 403, 500, 503; 404 on a path with a parameter; the
//! body's 413/415/422; a POST's idempotency 409/422) are added by `build.rs`.

use super::op::{Method, Op, op};
use super::schema_ref;
use crate::AppState;
use axum::handler::Handler;
use serde_json::{Value, json};

/// One query parameter: name, type and description.
pub(super) type Param = (&'static str, &'static str, &'static str);

pub(super) const LIMIT: Param = ("limit", "integer", "1–200, default 50");
pub(super) const CURSOR: Param = ("cursor", "string", "`next_cursor` of the previous page");

/// The rows of one tag (one area of the document).
#[derive(Clone, Copy)]
pub(super) struct Tag(pub &'static str);

impl Tag {
    /// Any operation: `ok` is the success status and its schema (None: no body).
    pub(super) fn op<H: Handler<T, AppState>, T: 'static>(
        self,
        method: Method,
        path: &'static str,
        handler: H,
        summary: &'static str,
        ok: (u16, Option<&'static str>),
    ) -> Op {
        op(method, path, handler, self.0, summary, ok)
    }

    /// `DELETE` answering 204.
    pub(super) fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H, summary: &'static str) -> Op {
        self.op(Method::Delete, path, h, summary, (204, None))
    }
}

/// The verbs that answer with a schema: one declaration each of method and success status,
/// so the five builders cannot drift apart.
macro_rules! verbs {
    ($($(#[$doc:meta])* $name:ident => $method:ident, $status:literal;)*) => {
        impl Tag {
            $(
                $(#[$doc])*
                pub(super) fn $name<H: Handler<T, AppState>, T: 'static>(
                    self,
                    path: &'static str,
                    h: H,
                    summary: &'static str,
                    schema: &'static str,
                ) -> Op {
                    self.op(Method::$method, path, h, summary, ($status, Some(schema)))
                }
            )*
        }
    };
}

verbs! {
    /// `GET` answering 200 with `schema`.
    get => Get, 200;
    /// `POST` answering 200 with `schema` (an action on something that exists).
    post => Post, 200;
    /// `POST` answering 201 with what it made.
    create => Post, 201;
    /// `PUT` answering 200 with `schema`.
    put => Put, 200;
    /// `PATCH` answering 200 with `schema`.
    patch => Patch, 200;
}

/// The parts of a row besides its method, path, handler and answer.
impl Op {
    /// A JSON request body: its schema and an example.
    pub(super) fn body(mut self, schema: &'static str, example: fn() -> Value) -> Op {
        self.body = Some((schema, example));
        self
    }

    /// Query parameters.
    pub(super) fn query(mut self, params: &'static [Param]) -> Op {
        self.query = params;
        self
    }

    /// Error statuses besides those every row of its kind answers (see the module's comment).
    pub(super) fn errors(mut self, statuses: &'static [u16]) -> Op {
        self.errors = statuses;
        self
    }

    /// A change that may wait for a second person answers 202 with `schema`.
    pub(super) fn accepted(mut self, schema: &'static str) -> Op {
        self.accepted = Some(schema);
        self
    }

    /// Other answers with a body of their own (not a problem).
    pub(super) fn also(mut self, answers: &'static [(u16, &'static str)]) -> Op {
        self.also = answers;
        self
    }

    /// No sign-in needed.
    pub(super) fn public(mut self) -> Op {
        self.public = true;
        self
    }
}

/// `{ "type": t }`.
pub(super) fn s(t: &str) -> Value {
    json!({ "type": t })
}

/// `{ "type": [t, "null"] }`.
pub(super) fn ns(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

/// An array of the named schema.
pub(super) fn arr(name: &str) -> Value {
    json!({ "type": "array", "items": schema_ref(name) })
}

/// An array of values of a plain type (`"string"`, `"integer"`).
pub(super) fn arr_of(t: &str) -> Value {
    json!({ "type": "array", "items": s(t) })
}

/// The named schema or null.
pub(super) fn ref_or_null(name: &str) -> Value {
    json!({ "oneOf": [schema_ref(name), { "type": "null" }] })
}

/// `{ items: [name] }`: a whole list.
pub(super) fn items_of(name: &str) -> Value {
    super::obj(&["items"], json!({ "items": arr(name) }))
}

/// `{ items: [name], next_cursor }`: one page of a keyset-paged list.
pub(super) fn page_of(name: &str) -> Value {
    super::obj(&["items"], json!({ "items": arr(name), "next_cursor": ns("string") }))
}
