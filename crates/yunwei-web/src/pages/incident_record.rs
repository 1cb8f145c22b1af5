//! The parts of the incident page that were API-only: watchers, files, parent and child
//! incidents, and the fields edited in place. Each part is offered only to readers the
//! incident policy lets use it (`incident::may`), so no button on the page answers 403.

use super::desk::{Names, file_size, state_label};
use super::incident_form::{Pairs, finish, ok};
use super::{Button, Cell, Field, FormSection, Posted, Section, TableSection, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller, CsrfForm, PageForm};
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_core::CoreError;
use yunwei_core::incident::{self, IncidentDetail, IncidentPatch, IncidentView};
use yunwei_domain::ids::{IncidentId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::{DomainError, FieldError};

/// What the reader may do on this incident, asked once per page.
pub struct Offer {
    pub me: UserId,
    pub update: bool,
    pub assign: bool,
    pub transition: bool,
    pub attach: bool,
}

impl Offer {
    pub fn of(caller: &Caller, v: &IncidentView) -> Offer {
        let ctx = &caller.ctx;
        Offer {
            me: UserId(ctx.actor_id().unwrap_or_default()),
            update: incident::may(ctx, Action::Update, v),
            assign: incident::may(ctx, Action::Assign, v),
            transition: incident::may(ctx, Action::Transition, v),
            attach: incident::may_attach(ctx, v),
        }
    }
}

fn invalid(field: &str, code: &str) -> ApiError {
    CoreError::from(DomainError::Validation(vec![FieldError::new(field, code)])).into()
}

// ---- watchers ----

/// Who follows the incident, by name; "follow"/"stop following" for the reader, and adding or
/// removing others for those who may assign the incident.
pub async fn watchers(state: &AppState, caller: &Caller, d: &IncidentDetail, offer: &Offer, names: &mut Names) -> Vec<Section> {
    let tr = caller.tr;
    let base = format!("/incidents/{}", d.incident.number);
    let mut rows = Vec::new();
    for w in &d.watchers {
        let name = names.user(state, caller, *w).await;
        // One's own row says "stop watching"; others' rows "remove" (for those who may assign).
        let label = if *w == offer.me { "incident.unwatch" } else { "incident.watcher_remove" };
        let remove =
            (*w == offer.me || offer.assign).then(|| Cell::button(format!("{base}/unwatch?user_id={}", w.0), tr.t(label), String::new()));
        rows.push(vec![Cell::text(name), remove.unwrap_or_else(|| Cell::text(""))]);
    }
    let mut out = vec![Section::Heading(tr.t("incident.watchers"))];
    if rows.is_empty() {
        out.push(Section::Text(tr.t("incident.no_watchers")));
    } else {
        out.push(Section::Table(TableSection { columns: vec![tr.t("field.name"), String::new()], rows, next: None }));
    }
    if !d.watchers.contains(&offer.me) {
        out.push(Section::Buttons(vec![Button { action: format!("{base}/watch"), label: tr.t("incident.watch"), confirm: None }]));
    }
    if offer.assign {
        // The people of the desk's teams, as the assign list offers them.
        let mut people: Vec<(UserId, String)> = Vec::new();
        for (team, _) in names.teams.clone() {
            people.extend(names.members(state, caller, team).await);
        }
        people.sort_by(|a, b| a.1.cmp(&b.1));
        people.dedup_by_key(|p| p.0);
        people.retain(|p| !d.watchers.contains(&p.0));
        if !people.is_empty() {
            let mut options = vec![(String::new(), tr.t("field.none"))];
            options.extend(people.iter().map(|(id, n)| (id.to_string(), n.clone())));
            let field = Field::new("select", "user_id", tr.t("incident.watcher_add"), String::new()).options(options).required();
            out.push(Section::Form(
                FormSection::post("watcher", format!("{base}/watch"), tr.t("action.add"), vec![field]).class("inline-edit"),
            ));
        }
    }
    out
}

async fn set_watching(
    state: AppState,
    caller: Caller,
    number: String,
    pairs: Pairs,
    user: Option<String>,
    watch: bool,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let user = match user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Some(UserId(u.parse().map_err(|_| invalid("user_id", "invalid"))?)),
        None => None,
    };
    let result = ok(incident::set_watching(&state.core, &caller.ctx, id, user, watch).await);
    let notice = match (watch, user.is_some_and(|u| Some(u.0) != caller.ctx.actor_id())) {
        (true, true) => "watcher_added",
        (false, true) => "watcher_removed",
        (true, false) => "watching",
        (false, false) => "unwatched",
    };
    finish(&state, &caller, id, result, notice, Posted::new("watcher", pairs)).await
}

#[derive(serde::Deserialize, Default)]
pub struct WhoQuery {
    user_id: Option<String>,
}

/// Follow: the reader, or the person chosen in the form (`user_id`).
pub async fn watch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<WhoQuery>,
) -> Result<Response, ApiError> {
    let PageForm { input, posted } = form;
    set_watching(state, caller, number, posted, input?.user_id, true).await
}

/// Stop following: the reader, or the person named in the button's `?user_id=`.
pub async fn unwatch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<WhoQuery>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    set_watching(state, caller, number, pairs, q.user_id, false).await
}

// ---- files ----

/// The incident's files (downloaded from the API, never shown inline) and, for those who may
/// add one, the upload form.
pub async fn files(state: &AppState, caller: &Caller, v: &IncidentView, offer: &Offer, names: &mut Names) -> Vec<Section> {
    let tr = caller.tr;
    let files =
        yunwei_core::ticket::attachments(&state.core, &caller.ctx, &yunwei_domain::ticket::INCIDENT, v.id.0).await.unwrap_or_default();
    let mut out = vec![Section::Heading(tr.t("incident.attachments"))];
    if files.is_empty() {
        out.push(Section::Text(tr.t("incident.no_attachments")));
    } else {
        let mut rows = Vec::new();
        for f in &files {
            rows.push(vec![
                Cell::link(f.filename.clone(), format!("/api/v1/incidents/{}/attachments/{}", v.number, f.id)),
                Cell::text(file_size(f.size)),
                Cell::text(names.user_or_dash(state, caller, f.created_by.map(UserId)).await),
                Cell::text(time(f.created_at, caller)),
            ]);
        }
        let columns = vec![tr.t("field.file"), tr.t("field.size"), tr.t("field.uploaded_by"), tr.t("field.created")];
        out.push(Section::Table(TableSection { columns, rows, next: None }));
    }
    if offer.attach {
        let max = yunwei_core::ticket::MAX_ATTACHMENT_BYTES.min(state.web.body_limit) / 1024 / 1024;
        let help = tr.with("incident.upload_help", &[("max".into(), max.max(1).to_string())]);
        let field = Field::new("file", "file", tr.t("field.file"), String::new()).required().help(help);
        let form = FormSection::post("attach", format!("/incidents/{}/attachments", v.number), tr.t("incident.upload"), vec![field]);
        out.push(Section::Form(form.multipart().class("inline-edit")));
    }
    out
}

/// The upload form: the CSRF token and one file, read with the multipart parser; a file too
/// large for the server's body limit, empty, or a program is a message beside the field.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let mut form = form.map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body"))?;
    let (mut csrf, mut file) = (None, None);
    let too_large = || {
        let max = yunwei_core::ticket::MAX_ATTACHMENT_BYTES.min(state.web.body_limit) / 1024 / 1024;
        CoreError::from(DomainError::Validation(vec![FieldError::new("file", "too_large").with("max", max.max(1))])).into()
    };
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
                ok(yunwei_core::ticket::attach(&state.core, &caller.ctx, &yunwei_domain::ticket::INCIDENT, id.0, file).await)
            }
            None => Err(invalid("file", "required")),
        };
    }
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
    let ci_form = FormSection::post(
        "set-ci",
        format!("{base}/ci"),
        tr.t("action.save"),
        vec![version(), Field::new("text", "ci_ref", tr.t("field.ci_ref"), v.ci_ref.clone().unwrap_or_default())],
    );
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
        _ => &["ci_ref"],
    };
    let stray =
        form.posted.iter().map(|(k, _)| k.as_str()).find(|k| !allowed.contains(k) && *k != "version" && *k != crate::form::CSRF_FIELD);
    if let Some(k) = stray {
        let e = invalid(k, "not_allowed");
        let posted = form.posted.clone();
        return finish(&state, &caller, id, Err::<(), _>(e), "saved", Posted::new(form_id, posted)).await;
    }
    let (result, posted) = form.run(|patch| incident::update(&state.core, &caller.ctx, id, patch)).await;
    finish(&state, &caller, id, result, "saved", Posted::new(form_id, posted)).await
}
