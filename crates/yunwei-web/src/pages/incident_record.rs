//! The parts of the incident page that were API-only: watchers, files, parent and child
//! incidents, and the fields edited in place. Each part is offered only to readers the
//! incident policy lets use it (`incident::may`), so no button on the page answers 403.

use super::desk::{Names, state_label};
use super::incident_form::{Pairs, finish, ok};
use super::ticket_parts::{self, invalid};
use super::{Cell, Field, FormSection, Posted, Section, TableSection};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller, CsrfForm, PageForm};
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_core::incident::{self, IncidentDetail, IncidentPatch, IncidentView};
use yunwei_domain::ids::IncidentId;
use yunwei_domain::permission::Action;

/// What the reader may do on this incident, asked once per page.
pub struct Offer {
    pub update: bool,
    pub assign: bool,
    pub transition: bool,
    pub attach: bool,
}

impl Offer {
    pub fn of(caller: &Caller, v: &IncidentView) -> Offer {
        let ctx = &caller.ctx;
        Offer {
            update: incident::may(ctx, Action::Update, v),
            assign: incident::may(ctx, Action::Assign, v),
            transition: incident::may(ctx, Action::Transition, v),
            attach: incident::may_attach(ctx, v),
        }
    }
}

// ---- watchers ----

/// Who follows the incident, by name (the kernel's watchers, as on every ticket page).
pub async fn watchers(state: &AppState, caller: &Caller, d: &IncidentDetail, offer: &Offer, names: &mut Names) -> Vec<Section> {
    let page = format!("/incidents/{}", d.incident.number);
    ticket_parts::watchers(state, caller, &page, &d.watchers, offer.assign, names).await
}

ticket_parts::ticket_handlers!(crate::api::incident::incident_id, &yunwei_domain::ticket::INCIDENT, "reply");

// ---- files ----

/// The incident's files and, for those who may add one, the upload form.
pub async fn files(state: &AppState, caller: &Caller, v: &IncidentView, offer: &Offer, names: &mut Names) -> Vec<Section> {
    let (page, files_api) = (format!("/incidents/{}", v.number), format!("/api/v1/incidents/{}/attachments", v.number));
    let at = ticket_parts::Place { kind: &yunwei_domain::ticket::INCIDENT, id: v.id.0, page: &page, files_api: &files_api };
    ticket_parts::files(state, caller, &at, offer.attach, names).await
}

/// The upload form (read as on every ticket page).
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let result = ticket_parts::upload(&state, &caller, &yunwei_domain::ticket::INCIDENT, id.0, form).await?;
    finish(&state, &caller, id, result, "file_added", Posted::new("attach", Vec::new())).await
}

// ---- parent and child incidents ----

/// The parent (set or cleared in place) and the children with their states (linked and
/// unlinked by number), for those who may update the incident.
pub async fn family(state: &AppState, caller: &Caller, d: &IncidentDetail, offer: &Offer) -> Vec<Section> {
    let tr = caller.tr;
    let v = &d.incident;
    let base = format!("/incidents/{}", v.number);
    if v.parent_id.is_none() && d.children.is_empty() && !offer.update {
        return Vec::new();
    }
    let mut out = vec![Section::Heading(tr.t("incident.family"))];
    let ids: Vec<IncidentId> = v.parent_id.into_iter().chain(d.children.iter().copied()).collect();
    let known = incident::linked(&state.core, &caller.ctx, &ids).await.unwrap_or_default();
    let row = |id: IncidentId, role: String| {
        let number = yunwei_domain::incident::number(id.0);
        let mut row = match known.iter().find(|k| k.id == id) {
            Some(k) => vec![
                Cell::text(role),
                Cell::link(number.clone(), format!("/incidents/{number}")),
                Cell::text(k.title.clone()),
                Cell::badge(state_label(tr, k.state), &format!("state state-{}", k.state)),
            ],
            // One the reader may not open: its number only.
            None => vec![Cell::text(role), Cell::text(number.clone()), Cell::text("—"), Cell::text("—")],
        };
        if offer.update {
            row.push(Cell::button(format!("{base}/unlink/{number}"), tr.t("incident.unlink"), tr.t("incident.unlink_confirm")));
        }
        row
    };
    let mut rows: Vec<Vec<Cell>> = v.parent_id.map(|p| row(p, tr.t("field.parent"))).into_iter().collect();
    rows.extend(d.children.iter().map(|c| row(*c, tr.t("incident.child"))));
    if !rows.is_empty() {
        let mut columns = vec![String::new(), tr.t("field.number"), tr.t("field.title"), tr.t("field.state")];
        if offer.update {
            columns.push(String::new());
        }
        out.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    if offer.update {
        let kinds = vec![("child".to_string(), tr.t("incident.link_child")), ("parent".to_string(), tr.t("incident.link_parent"))];
        let fields = vec![
            Field::new("select", "as", tr.t("incident.link_as"), "child").options(kinds),
            Field::new("text", "number", tr.t("field.number"), String::new()).required().help(tr.t("incident.link_help")),
        ];
        out.push(Section::Form(FormSection::post("link", format!("{base}/link"), tr.t("incident.link"), fields).class("inline-edit")));
    }
    out
}

/// The link form: another incident by number, as a child of this one or as its parent.
#[derive(serde::Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    number: String,
    /// `parent` or `child` (the default).
    #[serde(rename = "as")]
    link_as: Option<String>,
}

fn other_incident(number: &str) -> Result<IncidentId, ApiError> {
    let text = number.trim().to_ascii_uppercase();
    if text.is_empty() {
        return Err(invalid("number", "required"));
    }
    // "INC-000042", "42" and "inc-42" all name incident 42.
    let digits = text.trim_start_matches("INC-").trim_start_matches('0');
    let n: i64 = digits.parse().map_err(|_| invalid("number", "invalid"))?;
    crate::api::incident::incident_id(&yunwei_domain::incident::number(n)).map_err(|_| invalid("number", "invalid"))
}

/// Patches `child`'s parent (both sides are checked by core: update on the child, and on the parent).
async fn set_parent(state: &AppState, caller: &Caller, child: IncidentId, parent: Option<IncidentId>) -> Result<(), ApiError> {
    let patch = IncidentPatch { parent_id: Some(parent), ..IncidentPatch::default() };
    ok(incident::update(&state.core, &caller.ctx, child, patch).await)
}

/// Links another incident as a child of this one (or as its parent) by number.
pub async fn link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<LinkForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let PageForm { input, posted } = form;
    let asked = input.and_then(|f| Ok((other_incident(&f.number)?, f.link_as.as_deref() == Some("parent"))));
    let result = match asked {
        Ok((other, _)) if other == id => Err(invalid("number", "self_reference")),
        Ok((other, true)) => set_parent(&state, &caller, id, Some(other)).await,
        // The child's parent points here: a child the reader may not update (or see) is refused by core.
        Ok((other, false)) => set_parent(&state, &caller, other, Some(id)).await.map_err(|e| {
            // The number typed names no incident the reader can find: say so by the field.
            if e.status == StatusCode::NOT_FOUND { invalid("number", "not_found") } else { e }
        }),
        Err(e) => Err(e),
    };
    finish(&state, &caller, id, result.map_err(|e| renamed(e, "parent_id", "number")), "linked", Posted::new("link", posted)).await
}

/// Undoes a link with the parent or with one child.
pub async fn unlink(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, other)): ApiPath<(String, String)>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let other = crate::api::incident::incident_id(&other)?;
    let detail = incident::get(&state.core, &caller.ctx, id).await?;
    let result = if detail.incident.parent_id == Some(other) {
        set_parent(&state, &caller, id, None).await
    } else if detail.children.contains(&other) {
        set_parent(&state, &caller, other, None).await
    } else {
        Err(ApiError::not_found())
    };
    finish(&state, &caller, id, result, "unlinked", Posted::new("unlink", pairs)).await
}

/// Core names the parent field; the form names the number typed.
fn renamed(mut e: ApiError, from: &str, to: &str) -> ApiError {
    for f in &mut e.fields {
        if f.field == from {
            f.field = to.to_string();
        }
    }
    e
}

// ---- fields edited in place ----

/// The small forms beside the facts: priority (impact × urgency), category and CI, each
/// saved alone, checked against the version the page was drawn from.
pub fn edit_in_place(
    caller: &Caller,
    v: &IncidentView,
    categories: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    priority: String,
    ci: Option<(String, Vec<(String, String)>)>,
) -> Vec<Section> {
    let tr = caller.tr;
    let base = format!("/incidents/{}/set", v.number);
    let version = || Field::new("hidden", "version", String::new(), v.version.to_string());
    let id_text = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
    let priority_form = FormSection::post(
        "set-priority",
        format!("{base}/priority"),
        tr.t("action.save"),
        vec![
            version(),
            Field::new("select", "impact", tr.t("field.impact"), v.impact.as_str()).options(levels.clone()),
            Field::new("select", "urgency", tr.t("field.urgency"), v.urgency.as_str())
                .options(levels)
                .help(tr.with("incident.priority_now", &[("priority".into(), priority)])),
        ],
    );
    let category_form = FormSection::post(
        "set-category",
        format!("{base}/category"),
        tr.t("action.save"),
        vec![
            version(),
            Field::new("select", "category_id", tr.t("field.category"), id_text(v.category_id.map(|c| c.0))).options(categories),
        ],
    );
    let ci_form = FormSection::post("set-ci", format!("{base}/ci"), tr.t("action.save"), {
        let mut fields = vec![version()];
        // The CMDB's CI for those who may read CIs; free text for what the CMDB does not know.
        if let Some((shown, options)) = ci {
            fields.push(Field::new("text", "ci_id", tr.t("field.ci_id"), shown).options(options).help(tr.t("incident.ci_id_help")));
        }
        fields.push(Field::new("text", "ci_ref", tr.t("field.ci_ref"), v.ci_ref.clone().unwrap_or_default()));
        fields
    });
    [priority_form, category_form, ci_form].into_iter().map(|f| Section::Form(f.class("inline-edit"))).collect()
}

/// Saves one in-place form: only the fields it sends change.
pub async fn set_field(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, part)): ApiPath<(String, String)>,
    form: PageForm<IncidentPatch>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let form_id = match part.as_str() {
        "priority" => "set-priority",
        "category" => "set-category",
        "ci" => "set-ci",
        _ => return Err(ApiError::not_found()),
    };
    // The in-place forms send only their own fields; anything else posted is refused by name.
    let allowed: &[&str] = match part.as_str() {
        "priority" => &["impact", "urgency"],
        "category" => &["category_id"],
        _ => &["ci_ref", "ci_id"],
    };
    let stray =
        form.posted.iter().map(|(k, _)| k.as_str()).find(|k| !allowed.contains(k) && *k != "version" && *k != crate::form::CSRF_FIELD);
    if let Some(k) = stray {
        let e = invalid(k, "not_allowed");
        let posted = form.posted.clone();
        return finish(&state, &caller, id, Err::<(), _>(e), "saved", Posted::new(form_id, posted)).await;
    }
    let (result, posted) = if part == "ci" {
        // The CI arrives as typed ("name #id"): turned into its id before binding.
        let posted = form.posted.clone();
        let mut pairs: Pairs = posted.iter().filter(|(k, _)| k != crate::form::CSRF_FIELD).cloned().collect();
        let result = match super::ci_pick::resolve_pairs(&state, &caller, &mut pairs, "ci_id").await {
            Ok(()) => match crate::form::bind::<IncidentPatch>(&pairs).map_err(crate::extract::form_error) {
                Ok(patch) => incident::update(&state.core, &caller.ctx, id, patch).await.map_err(ApiError::from),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        (result, posted)
    } else {
        form.run(|patch| incident::update(&state.core, &caller.ctx, id, patch)).await
    };
    finish(&state, &caller, id, result, "saved", Posted::new(form_id, posted)).await
}
