//! The form helper: a failed form comes back as it was typed (text, chosen options, ticked
//! boxes; never a password) with each message next to the field it concerns, in the
//! reader's language. Handlers bind the posted pairs with [`crate::extract::PageForm`] to
//! the API's input type, and on an error answer with [`super::failed_form`].

use super::{Field, Layout, Section, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::i18n::Tr;
use axum::http::StatusCode;
use axum::response::Response;

pub use crate::form::Pairs;

/// The form that just failed, as it was posted.
pub struct Posted {
    /// The `id` of its [`super::FormSection`].
    pub form: &'static str,
    pub values: Pairs,
    /// Refusals that concern one field without naming it, as (error code, field): e.g. the
    /// separation-of-duties refusal belongs beside the roles.
    pub refers: &'static [(&'static str, &'static str)],
    /// Where it posts, when several forms on a page share an id (one per task).
    pub action: Option<String>,
}

/// A reply or work note (incident and request pages): `visibility` is `public` or `internal`.
#[derive(serde::Deserialize)]
pub struct ReplyForm {
    pub body: String,
    pub visibility: Option<String>,
}

impl ReplyForm {
    pub fn public(&self) -> bool {
        self.visibility.as_deref() != Some("internal")
    }
}

impl Posted {
    pub fn new(form: &'static str, values: Pairs) -> Self {
        Self { form, values, refers: &[], action: None }
    }

    /// Names the one form (by where it posts) among several with the same id.
    pub fn at(mut self, action: String) -> Self {
        self.action = Some(action);
        self
    }

    /// Where refusals without a field belong on this form.
    pub fn refers(mut self, refers: &'static [(&'static str, &'static str)]) -> Self {
        self.refers = refers;
        self
    }

    /// The value typed in `name` if `form` is the one that failed.
    pub fn value(&self, form: &str, name: &str) -> Option<&str> {
        if self.form != form {
            return None;
        }
        self.values.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn ticked(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }
}

fn forms_mut(sections: &mut [Section]) -> impl Iterator<Item = &mut super::FormSection> {
    sections.iter_mut().filter_map(|s| if let Section::Form(f) = s { Some(f) } else { None })
}

/// Shows `posted` in its form again. Hidden fields (a record's version) keep the page's
/// value, so a resubmission is checked against the record as it is now.
pub fn refill(sections: &mut [Section], posted: &Posted) {
    for f in forms_mut(sections).filter(|f| f.id == posted.form && posted.action.as_ref().is_none_or(|a| *a == f.action)) {
        if f.fold.is_some() {
            f.fold = Some(true);
        }
        for field in f.fields.iter_mut().filter(|field| !field.disabled) {
            match field.kind {
                "hidden" => {}
                "password" => field.value.clear(),
                "checkbox" => field.checked = posted.ticked(&field.name, &field.value),
                _ => {
                    if let Some(v) = posted.value(posted.form, &field.name) {
                        field.value = v.to_string();
                    }
                }
            }
        }
    }
}

/// The field an error names: `teams[2]` and `summary.cause` are the `teams` and `cause` inputs
/// (or `summary.cause` if a form has a field of that very name).
fn names_of(error_field: &str) -> [String; 3] {
    let base = error_field.split(['[', '.']).next().unwrap_or(error_field).to_string();
    let last = error_field.rsplit('.').next().unwrap_or(error_field).split('[').next().unwrap_or_default().to_string();
    [error_field.to_string(), base, last]
}

/// The last input called `name` (a group of checkboxes shows its message after the group).
fn field_named<'a>(sections: &'a mut [Section], form: Option<&str>, name: &str) -> Option<&'a mut Field> {
    forms_mut(sections)
        .filter(|f| form.is_none_or(|id| f.id == id))
        .flat_map(|f| f.fields.iter_mut())
        .filter(|field| field.kind != "hidden" && field.name == name)
        .last()
}

fn attach(field: &mut Field, message: String) {
    match &mut field.error {
        Some(e) => {
            e.push(' ');
            e.push_str(&message);
        }
        None => field.error = Some(message),
    }
}

/// Puts the error's messages beside the fields they concern, in `form` (or the first form
/// that has such a field). Returns whether any message found its field.
pub fn mark(sections: &mut [Section], posted: Option<&Posted>, e: &ApiError, tr: Tr) -> bool {
    let form = posted.map(|p| p.form);
    let mut placed = false;
    for f in &e.fields {
        let message = tr.with(&format!("error.{}", f.code), &f.params);
        let name = names_of(&f.field).into_iter().find(|n| field_named(sections, form, n).is_some());
        if let Some(field) = name.and_then(|n| field_named(sections, form, &n)) {
            attach(field, message);
            placed = true;
        }
    }
    let refused = posted.and_then(|p| p.refers.iter().find(|(code, _)| *code == e.code));
    if let Some(field) = refused.and_then(|(_, name)| field_named(sections, form, name)) {
        attach(field, crate::middleware::error_title(e, tr));
        placed = true;
    }
    placed
}

/// The messages of an error, in the caller's language, for the banner above a form.
pub fn messages(e: &ApiError, tr: Tr) -> Vec<String> {
    messages_on(e, tr, &mut [], None)
}

/// As [`messages`], naming each field as the form on the page labels it (申请理由, not the
/// API's `answers`), where the page has that field.
fn messages_on(e: &ApiError, tr: Tr, sections: &mut [Section], form: Option<&str>) -> Vec<String> {
    let mut out = vec![crate::middleware::error_title(e, tr)];
    for f in &e.fields {
        let shown = names_of(&f.field)
            .into_iter()
            .find_map(|n| field_named(sections, form, &n).filter(|x| x.kind != "checkbox" && !x.label.is_empty()).map(|x| x.label.clone()));
        let label = shown.unwrap_or_else(|| field_label(&f.field, tr));
        out.push(tr.labelled(&label, &tr.with(&format!("error.{}", f.code), &f.params)));
    }
    out
}

/// The label of an error's field: `summary.cause` by its own key if there is one, else by its first
/// part (`members[2]` → members); positions in lists are shown counting from 1.
fn field_label(field: &str, tr: Tr) -> String {
    let parts: Vec<&str> = field.split(['[', '.', ']']).filter(|s| !s.is_empty()).collect();
    let (names, indices): (Vec<&str>, Vec<&str>) = parts.iter().partition(|s| !s.chars().all(|c| c.is_ascii_digit()));
    let full = format!("field.{}", names.join("."));
    let label = if tr.has(&full) { tr.t(&full) } else { tr.t(&format!("field.{}", names.first().copied().unwrap_or(field))) };
    let positions: Vec<String> = indices.iter().filter_map(|n| n.parse::<usize>().ok()).map(|n| (n + 1).to_string()).collect();
    if positions.is_empty() { label } else { format!("{label}{}", tr.aside(&positions.join(", "))) }
}

/// After a failed form: `sections` again with the error's messages on top, at the error's
/// status. Server errors and a lost session pass on to the error page and the sign-in.
pub async fn failed(
    state: &AppState,
    caller: &Caller,
    e: ApiError,
    sections: Vec<Section>,
    title: String,
    active: &str,
) -> Result<Response, ApiError> {
    failed_layout(state, caller, e, Layout { title, sections, ..Layout::default() }, active).await
}

/// As [`failed`], with the form as it was `posted`: typed values back, messages by the field.
pub async fn failed_posted(
    state: &AppState,
    caller: &Caller,
    e: ApiError,
    sections: Vec<Section>,
    title: String,
    active: &str,
    posted: Posted,
) -> Result<Response, ApiError> {
    failed_form(state, caller, e, Layout { title, sections, ..Layout::default() }, active, Some(&posted)).await
}

/// As [`failed`], for a page with a side column.
pub async fn failed_layout(state: &AppState, caller: &Caller, e: ApiError, layout: Layout, active: &str) -> Result<Response, ApiError> {
    failed_form(state, caller, e, layout, active, None).await
}

/// After a failed form: the page again with the form as `posted` (typed values, chosen
/// options, ticked boxes), each message beside its field and all of them above the page, at
/// the error's status. Server errors and a lost session pass on to the error page and the sign-in.
pub async fn failed_form(
    state: &AppState,
    caller: &Caller,
    e: ApiError,
    mut layout: Layout,
    active: &str,
    posted: Option<&Posted>,
) -> Result<Response, ApiError> {
    if e.status.is_server_error() || e.status == StatusCode::UNAUTHORIZED {
        return Err(e);
    }
    if let Some(p) = posted {
        refill(&mut layout.sections, p);
        refill(&mut layout.aside, p);
    }
    if !mark(&mut layout.sections, posted, &e, caller.tr) {
        mark(&mut layout.aside, posted, &e, caller.tr);
    }
    let msgs = messages_on(&e, caller.tr, &mut layout.sections, posted.map(|p| p.form));
    let mut res = render(state, caller, active, layout, None, msgs).await;
    *res.status_mut() = e.status;
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::super::FormSection;
    use super::*;
    use axum::http::StatusCode;
    use yunwei_domain::FieldError;

    fn form() -> Vec<Section> {
        let tr = Tr::new("en");
        vec![Section::Form(FormSection::post(
            "user",
            "/x",
            "Go".into(),
            vec![
                Field::new("hidden", "version", String::new(), "3"),
                Field::new("text", "username", tr.t("field.username"), ""),
                Field::new("password", "password", tr.t("field.password"), ""),
                Field::new("select", "locale", tr.t("field.locale"), "zh-CN")
                    .options(vec![("zh-CN".into(), "中文".into()), ("en".into(), "English".into())]),
                Field::new("checkbox", "roles", "A".into(), "a"),
                Field::new("checkbox", "roles", "B".into(), "b").checked(true),
            ],
        ))]
    }

    fn fields(s: &[Section]) -> &[Field] {
        match &s[0] {
            Section::Form(f) => &f.fields,
            _ => &[],
        }
    }

    #[test]
    fn a_failed_form_comes_back_as_typed_with_messages_by_field() {
        let mut s = form();
        let values = [("version", "1"), ("username", "Bad Name"), ("password", "secret"), ("locale", "en"), ("roles", "a")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let posted = Posted::new("user", values).refers(&[("separation_of_duties", "roles")]);
        refill(&mut s, &posted);
        let f = fields(&s);
        assert_eq!(f[0].value, "3", "the version stays the record's");
        assert_eq!(f[1].value, "Bad Name");
        assert_eq!(f[2].value, "", "passwords are never sent back");
        assert_eq!(f[3].value, "en");
        assert!(f[4].checked && !f[5].checked);

        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        e.fields = vec![FieldError::new("username", "invalid_username"), FieldError::new("roles[1]", "unknown_role")];
        assert!(mark(&mut s, Some(&posted), &e, Tr::new("zh-CN")));
        let f = fields(&s);
        assert!(f[1].error.as_deref().is_some_and(|m| !m.is_empty() && !m.starts_with("error.")), "{:?}", f[1].error);
        assert!(f[4].error.is_none() && f[5].error.is_some(), "a group's message follows the group");

        let sod = ApiError::new(StatusCode::CONFLICT, "separation_of_duties");
        let mut s = form();
        assert!(mark(&mut s, Some(&posted), &sod, Tr::new("en")));
        assert!(fields(&s)[5].error.as_deref().is_some_and(|m| m.contains("Separation of duties")));
        let mut s = form();
        assert!(!mark(&mut s, None, &sod, Tr::new("en")), "without a form's word a refusal stays in the banner");
    }
}
