//! Service levels and the desk's settings: business calendars (holidays and make-up
//! working days, imported and exported as .ics/.csv), SLA policies, and the priority
//! matrix, labels and closing rules of the service desk.

use super::desk::{Names, duration};
use super::{Cell, Field, FormSection, Notice, Posted, Section, TableSection, failed_posted, local_name, page, redirect};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::CoreError;
use yunwei_core::sla::{self, CalendarView, DaysFormat, PolicyInput, PolicyView};
use yunwei_domain::ids::{CalendarId, DepartmentId, ServiceId, SlaPolicyId, TeamId};
use yunwei_domain::incident::{DeskSettings, Level, PendingReason, Priority};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::sla::{BreachActions, SlaRules, Targets};
use yunwei_domain::{DomainError, FieldError};

const ACTIVE: &str = "/admin/sla";
const DESK: &str = "/admin/service-desk";

type Pairs = Vec<(String, String)>;

fn get<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

/// The check core's SLA functions make (`ctx.authorize`), so a page offers what they allow.
fn can(caller: &Caller, object: ObjectType, action: Action) -> bool {
    caller.ctx.authorize(object, action).is_ok()
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    CoreError::from(DomainError::Validation(errors)).into()
}

/// "15 min / 1 h": response and resolution targets of one priority.
fn targets_text(tr: Tr, t: &Targets) -> String {
    format!("{} / {}", duration(tr, i64::from(t.response_minutes) * 60), duration(tr, i64::from(t.resolution_minutes) * 60))
}

struct Directory {
    services: Vec<(ServiceId, String)>,
    departments: Vec<(DepartmentId, String)>,
    calendars: Vec<CalendarView>,
    names: Names,
}

impl Directory {
    async fn load(state: &AppState, caller: &Caller) -> Result<Directory, ApiError> {
        let calendars = sla::list_calendars(&state.core, &caller.ctx).await?;
        let services = yunwei_core::incident::list_services(&state.core, &caller.ctx, None)
            .await
            .map(|s| s.into_iter().map(|s| (s.id, super::local_name(caller.tr, &s.name, &s.name_en))).collect())
            .unwrap_or_default();
        let all = page_request(Some(200), None, None, "name")?;
        let departments = yunwei_core::admin::list_departments(&state.core, &caller.ctx, None, &all)
            .await
            .map(|p| p.items.into_iter().map(|d| (d.id, d.name)).collect())
            .unwrap_or_default();
        Ok(Directory { services, departments, calendars, names: Names::load(state, caller).await })
    }

    fn scope(&self, tr: Tr, p: &PolicyView) -> String {
        let mut parts = Vec::new();
        if let Some(s) = p.service_id {
            parts.push(self.services.iter().find(|x| x.0 == s).map(|x| x.1.clone()).unwrap_or_else(|| format!("#{s}")));
        }
        if let Some(d) = p.department_id {
            parts.push(self.departments.iter().find(|x| x.0 == d).map(|x| x.1.clone()).unwrap_or_else(|| format!("#{d}")));
        }
        if parts.is_empty() { tr.t("sla.scope_default") } else { parts.join(" · ") }
    }

    fn calendar(&self, tr: Tr, id: Option<CalendarId>) -> String {
        match id {
            Some(c) => {
                self.calendars.iter().find(|x| x.id == c).map(|x| local_name(tr, &x.name, &x.name_en)).unwrap_or_else(|| format!("#{c}"))
            }
            None => tr.t("sla.always"),
        }
    }
}

// ---- overview: calendars and policies ----

async fn overview_sections(state: &AppState, caller: &Caller) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let dir = Directory::load(state, caller).await?;
    let policies = sla::list_policies(&state.core, &caller.ctx).await?;
    let mut s = Vec::new();
    let mut links = Vec::new();
    if can(caller, ObjectType::Sla, Action::Create) {
        links.push(("/admin/sla/policies/new".to_string(), tr.t("sla.policy_new")));
    }
    if can(caller, ObjectType::Setting, Action::Update) {
        links.push((DESK.to_string(), tr.t("nav.service_desk")));
    }
    if !links.is_empty() {
        s.push(Section::Links(links));
    }
    s.push(Section::Heading(tr.t("sla.policies")));
    let rows = policies
        .iter()
        .map(|p| {
            let mut row = vec![
                Cell::link(local_name(tr, &p.name, &p.name_en), format!("/admin/sla/policies/{}", p.id)),
                Cell::text(dir.scope(tr, p)),
                Cell::text(dir.calendar(tr, p.calendar_id)),
            ];
            row.extend(p.rules.targets.iter().map(|t| Cell::text(targets_text(tr, t))));
            row.push(if p.active { Cell::badge(tr.t("status.active"), "on") } else { Cell::badge(tr.t("status.disabled"), "off") });
            row
        })
        .collect();
    let mut columns = vec![tr.t("field.name"), tr.t("sla.scope"), tr.t("field.calendar_id")];
    columns.extend(Priority::ALL.iter().map(|p| format!("{p} {}", tr.t("sla.targets_short"))));
    columns.push(tr.t("field.status"));
    s.push(Section::Table(TableSection { columns, rows, next: None }));
    s.push(Section::Text(tr.t("sla.targets_help")));

    s.push(Section::Heading(tr.t("sla.calendars")));
    let export = can(caller, ObjectType::Sla, Action::Export);
    let rows = dir
        .calendars
        .iter()
        .map(|c| {
            let name = Cell::link(local_name(tr, &c.name, &c.name_en), format!("/admin/sla/calendars/{}", c.id));
            let mut row = vec![
                if c.is_default { name.tag(tr.t("sla.default"), "on") } else { name },
                Cell::text(c.spec.time_zone.clone()),
                Cell::text(c.spec.holidays.len().to_string()),
                Cell::text(c.spec.makeup_days.len().to_string()),
            ];
            if export {
                row.push(Cell::link(".ics", format!("/api/v1/calendars/{}/days?format=ics", c.id)));
                row.push(Cell::link(".csv", format!("/api/v1/calendars/{}/days?format=csv", c.id)));
            }
            row
        })
        .collect();
    s.push(Section::Table(TableSection {
        columns: [
            vec![tr.t("field.name"), tr.t("field.time_zone"), tr.t("sla.holidays"), tr.t("sla.makeup_days")],
            if export { vec![tr.t("sla.export_ics"), tr.t("sla.export_csv")] } else { Vec::new() },
        ]
        .concat(),
        rows,
        next: None,
    }));
    let gaps: Vec<(String, String)> = dir
        .calendars
        .iter()
        .filter(|c| !c.missing_holiday_years.is_empty())
        .map(|c| {
            let years = c.missing_holiday_years.iter().map(i16::to_string).collect::<Vec<_>>().join(", ");
            (
                tr.with("sla.holidays_missing", &[("calendar".into(), local_name(tr, &c.name, &c.name_en)), ("years".into(), years)]),
                "warn".to_string(),
            )
        })
        .collect();
    if !gaps.is_empty() {
        s.push(Section::Badges(gaps));
    }
    if can(caller, ObjectType::Sla, Action::Update) && !dir.calendars.is_empty() {
        let calendars = dir.calendars.iter().map(|c| (c.id.to_string(), local_name(tr, &c.name, &c.name_en))).collect();
        let default = dir.calendars.iter().find(|c| c.is_default).or(dir.calendars.first()).map(|c| c.id.to_string()).unwrap_or_default();
        let fields = vec![
            Field::new("select", "calendar_id", tr.t("field.calendar_id"), default).options(calendars),
            Field::new("textarea", "body", tr.t("sla.file_content"), "").rows(8).required().help(tr.t("sla.import_help")),
            Field::new("checkbox", "replace", tr.t("sla.replace"), "true"),
        ];
        // Folded until a refused import opens it again (the form helper unfolds the form it refills).
        let f = FormSection::post("import", "/admin/sla/import", tr.t("sla.import"), fields).heading(tr.t("sla.import_heading"));
        s.push(Section::Form(f.folded(false)));
    }
    Ok(s)
}

pub async fn overview(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Notice>) -> Result<Response, ApiError> {
    caller.require()?;
    let s = overview_sections(&state, &caller).await?;
    Ok(page(&state, &caller, ACTIVE, caller.tr.t("nav.sla"), s, q.text(caller.tr), Vec::new()).await)
}

/// Days to import into a calendar: the file's text pasted in (`.ics` unless `format=csv`).
#[derive(Deserialize)]
pub struct ImportForm {
    calendar_id: CalendarId,
    format: Option<DaysFormat>,
    body: String,
    #[serde(default)]
    replace: bool,
}

pub async fn import_days(State(state): State<AppState>, caller: Caller, form: PageForm<ImportForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let (core, ctx) = (&state.core, &caller.ctx);
    let import = |f: ImportForm| async move {
        sla::import_days(core, ctx, f.calendar_id, f.format.unwrap_or(DaysFormat::Ics), f.body.as_bytes(), f.replace).await
    };
    match form.run(import).await {
        (Ok(_), _) => Ok(redirect("/admin/sla?ok=imported")),
        (Err(e), posted) => {
            let s = overview_sections(&state, &caller).await?;
            failed_posted(&state, &caller, e, s, caller.tr.t("nav.sla"), ACTIVE, Posted::new("import", posted)).await
        }
    }
}

// ---- policies ----

/// The policy form with the stored policy's values (a refused form is refilled as posted).
async fn policy_form(state: &AppState, caller: &Caller, p: Option<&PolicyView>) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let dir = Directory::load(state, caller).await?;
    let rules = p.map(|p| p.rules.clone()).unwrap_or_else(SlaRules::standard);
    let id_of = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
    let none = |label: String| vec![(String::new(), label)];
    let mut services = none(tr.t("sla.any_service"));
    services.extend(dir.services.iter().map(|(id, n)| (id.to_string(), n.clone())));
    let mut departments = none(tr.t("sla.any_department"));
    departments.extend(dir.departments.iter().map(|(id, n)| (id.to_string(), n.clone())));
    let mut calendars = none(tr.t("sla.always"));
    calendars.extend(dir.calendars.iter().map(|c| (c.id.to_string(), local_name(tr, &c.name, &c.name_en))));
    let mut teams = none(tr.t("field.none"));
    teams.extend(dir.names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
    let default_calendar = p
        .map(|p| id_of(p.calendar_id.map(|c| c.0)))
        .unwrap_or_else(|| dir.calendars.iter().find(|c| c.is_default).map(|c| c.id.to_string()).unwrap_or_default());
    let mut fields = vec![
        Field::new("text", "name", tr.t("field.name"), p.map(|p| p.name.clone()).unwrap_or_default()).required(),
        Field::new("text", "name_en", tr.t("field.name_en"), p.map(|p| p.name_en.clone()).unwrap_or_default())
            .help(tr.t("common.name_en_help")),
        Field::new("select", "calendar_id", tr.t("field.calendar_id"), default_calendar).options(calendars),
        Field::new("select", "service_id", tr.t("field.service"), id_of(p.and_then(|p| p.service_id).map(|s| s.0))).options(services),
        Field::new("select", "department_id", tr.t("field.department"), id_of(p.and_then(|p| p.department_id).map(|d| d.0)))
            .options(departments)
            .help(tr.t("sla.scope_help")),
    ];
    for (i, prio) in Priority::ALL.iter().enumerate() {
        let t = rules.targets[i];
        let pr = [("p".to_string(), prio.to_string())];
        let name_r = format!("p{}_response", prio.get());
        let name_s = format!("p{}_resolution", prio.get());
        fields.push(Field::new("number", &name_r, tr.with("sla.response_minutes", &pr), t.response_minutes.to_string()).required());
        fields.push(Field::new("number", &name_s, tr.with("sla.resolution_minutes", &pr), t.resolution_minutes.to_string()).required());
    }
    let warn = rules.warn_at.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
    fields.push(Field::new("text", "warn_at", tr.t("field.rules.warn_at"), warn).help(tr.t("sla.warn_help")));
    fields.push(
        Field::new("select", "escalate_to_team", tr.t("sla.escalate_to_team"), id_of(rules.on_breach.escalate_to_team)).options(teams),
    );
    for r in PendingReason::ALL {
        let checked = rules.pause_on.contains(r);
        let label = tr.with("sla.pause_on", &[("reason".into(), tr.t(&format!("incident.pending_reason.{r}")))]);
        fields.push(Field::new("checkbox", "pause_on", label, r.as_str()).checked(checked));
    }
    let flag = |name: &str, label: &str, on: bool| Field::new("checkbox", name, tr.t(label), "true").checked(on);
    fields.push(flag("notify_manager", "sla.notify_manager", rules.on_breach.notify_manager));
    fields.push(flag("raise_priority", "sla.raise_priority", rules.on_breach.raise_priority));
    fields.push(flag("active", "status.active", p.is_none_or(|p| p.active)));
    let (action, submit) = match p {
        Some(p) => (format!("/admin/sla/policies/{}", p.id), tr.t("action.save")),
        None => ("/admin/sla/policies".to_string(), tr.t("action.create")),
    };
    Ok(vec![Section::Text(tr.t("sla.policy_help")), Section::Form(FormSection::post("policy", action, submit, fields).class("cols-2"))])
}

/// The policy form: the API's `PolicyInput` laid flat for HTML (targets per priority as
/// `p1_response`…, thresholds as text, unticked boxes absent). A target left out is 0, which
/// core refuses naming the field.
#[derive(Deserialize)]
pub struct PolicyForm {
    name: String,
    #[serde(default)]
    name_en: String,
    service_id: Option<ServiceId>,
    department_id: Option<DepartmentId>,
    calendar_id: Option<CalendarId>,
    #[serde(default)]
    p1_response: u32,
    #[serde(default)]
    p1_resolution: u32,
    #[serde(default)]
    p2_response: u32,
    #[serde(default)]
    p2_resolution: u32,
    #[serde(default)]
    p3_response: u32,
    #[serde(default)]
    p3_resolution: u32,
    #[serde(default)]
    p4_response: u32,
    #[serde(default)]
    p4_resolution: u32,
    #[serde(default)]
    warn_at: String,
    escalate_to_team: Option<TeamId>,
    #[serde(default)]
    pause_on: Vec<PendingReason>,
    #[serde(default)]
    notify_manager: bool,
    #[serde(default)]
    raise_priority: bool,
    #[serde(default)]
    active: bool,
}

impl PolicyForm {
    fn input(self) -> Result<PolicyInput, ApiError> {
        let t = |response_minutes, resolution_minutes| Targets { response_minutes, resolution_minutes };
        let warn_at: Result<Vec<u8>, _> =
            self.warn_at.split([',', '，', ' ']).filter(|s| !s.is_empty()).map(|s| s.trim_end_matches('%').parse::<u8>()).collect();
        let Ok(warn_at) = warn_at else { return Err(invalid(vec![FieldError::new("rules.warn_at", "invalid_thresholds")])) };
        Ok(PolicyInput {
            name: self.name,
            name_en: self.name_en,
            service_id: self.service_id,
            department_id: self.department_id,
            calendar_id: self.calendar_id,
            rules: SlaRules {
                targets: [
                    t(self.p1_response, self.p1_resolution),
                    t(self.p2_response, self.p2_resolution),
                    t(self.p3_response, self.p3_resolution),
                    t(self.p4_response, self.p4_resolution),
                ],
                pause_on: self.pause_on,
                warn_at,
                on_breach: BreachActions {
                    notify_manager: self.notify_manager,
                    raise_priority: self.raise_priority,
                    escalate_to_team: self.escalate_to_team.map(|t| t.0),
                },
            },
            active: self.active,
        })
    }
}

pub async fn new_policy(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require()?;
    caller.ctx.authorize(ObjectType::Sla, Action::Create)?;
    let s = policy_form(&state, &caller, None).await?;
    Ok(page(&state, &caller, ACTIVE, caller.tr.t("sla.policy_new"), s, None, Vec::new()).await)
}

pub async fn create_policy(State(state): State<AppState>, caller: Caller, form: PageForm<PolicyForm>) -> Result<Response, ApiError> {
    caller.require()?;
    match form.and_then(PolicyForm::input).run(|input| sla::create_policy(&state.core, &caller.ctx, input)).await {
        (Ok(p), _) => Ok(redirect(&format!("/admin/sla/policies/{}?ok=saved", p.id))),
        (Err(e), posted) => {
            let s = policy_form(&state, &caller, None).await?;
            failed_posted(&state, &caller, e, s, caller.tr.t("sla.policy_new"), ACTIVE, Posted::new("policy", posted)).await
        }
    }
}

pub async fn policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Notice>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let p = sla::get_policy(&state.core, &caller.ctx, SlaPolicyId(id)).await?;
    let s = policy_form(&state, &caller, Some(&p)).await?;
    Ok(page(&state, &caller, ACTIVE, local_name(caller.tr, &p.name, &p.name_en), s, q.text(caller.tr), Vec::new()).await)
}

pub async fn update_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<PolicyForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let p = sla::get_policy(&state.core, &caller.ctx, SlaPolicyId(id)).await?;
    match form.and_then(PolicyForm::input).run(|input| sla::update_policy(&state.core, &caller.ctx, SlaPolicyId(id), input)).await {
        (Ok(_), _) => Ok(redirect(&format!("/admin/sla/policies/{id}?ok=saved"))),
        (Err(e), posted) => {
            let s = policy_form(&state, &caller, Some(&p)).await?;
            let title = local_name(caller.tr, &p.name, &p.name_en);
            failed_posted(&state, &caller, e, s, title, ACTIVE, Posted::new("policy", posted)).await
        }
    }
}

// ---- the desk's settings ----

/// The three forms of the desk's settings with the stored values (the one refused is refilled as posted).
fn desk_sections(tr: Tr, settings: &DeskSettings, roles: Pairs) -> Vec<Section> {
    let priorities: Vec<(String, String)> =
        Priority::ALL.iter().map(|p| (p.get().to_string(), settings.label(*p, tr.is_zh()).to_string())).collect();
    let mut matrix = Vec::new();
    for (i, impact) in Level::ALL.iter().enumerate() {
        for (j, urgency) in Level::ALL.iter().enumerate() {
            let name = format!("m{i}{j}");
            let label = tr.with(
                "desk.cell",
                &[
                    ("impact".into(), tr.t(&format!("incident.level.{impact}"))),
                    ("urgency".into(), tr.t(&format!("incident.level.{urgency}"))),
                ],
            );
            let stored = settings.matrix.cells[i][j].to_string();
            matrix.push(Field::new("select", &name, label, stored).options(priorities.clone()));
        }
    }
    let mut labels = Vec::new();
    for (i, l) in settings.labels.iter().enumerate() {
        let p = [("p".to_string(), format!("P{}", i + 1))];
        labels.push(Field::new("text", &format!("name_zh{i}"), tr.with("desk.name_zh", &p), l.name_zh.clone()).required());
        labels.push(Field::new("text", &format!("name_en{i}"), tr.with("desk.name_en", &p), l.name_en.clone()).required());
        labels.push(Field::new("color", &format!("colour{i}"), tr.with("desk.colour", &p), l.colour.clone()));
    }
    let mut rules = vec![
        Field::new("number", "reopen_days", tr.t("field.reopen_days"), settings.reopen_days.to_string())
            .required()
            .help(tr.t("desk.reopen_help")),
        Field::new("textarea", "resolution_codes", tr.t("field.resolution_codes"), super::desk::codes_text(settings))
            .rows(7)
            .help(tr.t("desk.codes_help")),
    ];
    for p in Priority::ALL {
        let checked = settings.summary_required_for.contains(&p);
        let label = tr.with("desk.summary_required", &[("priority".into(), settings.label(p, tr.is_zh()).to_string())]);
        rules.push(Field::new("checkbox", "summary_required", label, p.get().to_string()).checked(checked));
    }
    rules.push(Field::new("checkbox", "auto_major_for_p1", tr.t("desk.auto_major"), "true").checked(settings.auto_major_for_p1));
    let fallback = settings.approval_fallback_role.clone();
    rules.push(
        Field::new("select", "approval_fallback_role", tr.t("field.approval_fallback_role"), fallback)
            .options(roles)
            .help(tr.t("desk.fallback_help")),
    );
    let interval = settings.major_update_interval_minutes.to_string();
    rules.push(
        Field::new("number", "major_update_interval_minutes", tr.t("field.major_update_interval_minutes"), interval)
            .help(tr.t("desk.major_interval_help")),
    );
    vec![
        Section::Heading(tr.t("desk.matrix")),
        Section::Text(tr.t("desk.matrix_help")),
        Section::Form(FormSection::post("matrix", format!("{DESK}/matrix"), tr.t("action.save"), matrix).class("cols-3")),
        Section::Heading(tr.t("desk.labels")),
        Section::Form(FormSection::post("labels", format!("{DESK}/labels"), tr.t("action.save"), labels).class("cols-3")),
        Section::Heading(tr.t("desk.rules")),
        Section::Form(FormSection::post("rules", format!("{DESK}/rules"), tr.t("action.save"), rules)),
    ]
}

pub async fn desk(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Notice>) -> Result<Response, ApiError> {
    caller.require()?;
    caller.ctx.authorize(ObjectType::Setting, Action::Read)?;
    let settings = yunwei_core::incident::desk_settings(&state.core).await?;
    let s = desk_sections(caller.tr, &settings, super::desk::fallback_role_options(&state, &caller).await);
    Ok(page(&state, &caller, DESK, caller.tr.t("nav.service_desk"), s, q.text(caller.tr), Vec::new()).await)
}

/// The rules form of the desk's settings. Left out: a target of 0 (refused by core) and the
/// update interval kept as it is.
#[derive(Deserialize)]
struct RulesForm {
    #[serde(default)]
    reopen_days: u32,
    #[serde(default)]
    resolution_codes: String,
    /// The priorities (1–4) whose incidents need a summary to close.
    #[serde(default)]
    summary_required: Vec<u8>,
    #[serde(default)]
    auto_major_for_p1: bool,
    #[serde(default)]
    approval_fallback_role: String,
    major_update_interval_minutes: Option<u32>,
}

/// The settings with one part replaced by the form's values. The matrix and label forms name
/// their fields by position (`m{impact}{urgency}`, `name_zh{priority}`), so they are read by
/// that position here rather than through a struct spelling out 9 and 12 field names; a value
/// that is not a number is 0, which core refuses naming the cell.
fn with_part(mut s: DeskSettings, part: &str, pairs: &Pairs) -> Result<DeskSettings, ApiError> {
    match part {
        "matrix" => {
            for i in 0..3 {
                for j in 0..3 {
                    s.matrix.cells[i][j] = get(pairs, &format!("m{i}{j}")).parse().unwrap_or(0);
                }
            }
        }
        "labels" => {
            for (i, l) in s.labels.iter_mut().enumerate() {
                l.name_zh = get(pairs, &format!("name_zh{i}")).trim().to_string();
                l.name_en = get(pairs, &format!("name_en{i}")).trim().to_string();
                l.colour = get(pairs, &format!("colour{i}")).trim().to_ascii_lowercase();
            }
        }
        "rules" => {
            let f: RulesForm = crate::form::bind(pairs).map_err(crate::extract::form_error)?;
            s.reopen_days = f.reopen_days;
            (s.resolution_codes, s.resolution_labels) = super::desk::parse_codes(&f.resolution_codes);
            s.summary_required_for = Priority::ALL.into_iter().filter(|p| f.summary_required.contains(&p.get())).collect();
            s.auto_major_for_p1 = f.auto_major_for_p1;
            s.approval_fallback_role = f.approval_fallback_role.trim().to_string();
            s.major_update_interval_minutes = f.major_update_interval_minutes.unwrap_or(s.major_update_interval_minutes);
        }
        _ => return Err(ApiError::not_found()),
    }
    Ok(s)
}

pub async fn save_desk(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(part): ApiPath<String>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let form = match part.as_str() {
        "matrix" => "matrix",
        "labels" => "labels",
        "rules" => "rules",
        _ => return Err(ApiError::not_found()),
    };
    let current = yunwei_core::incident::desk_settings(&state.core).await?;
    let result = match with_part(current.clone(), &part, &pairs) {
        Ok(input) => yunwei_core::incident::put_desk_settings(&state.core, &caller.ctx, input).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(redirect(&format!("{DESK}?ok=saved"))),
        Err(e) => {
            let s = desk_sections(caller.tr, &current, super::desk::fallback_role_options(&state, &caller).await);
            failed_posted(&state, &caller, e, s, caller.tr.t("nav.service_desk"), DESK, Posted::new(form, pairs)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Pairs {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn policy_input(pairs: &Pairs) -> Result<PolicyInput, ApiError> {
        crate::form::bind::<PolicyForm>(pairs).map_err(crate::extract::form_error).and_then(PolicyForm::input)
    }

    #[test]
    fn a_policy_form_reads_into_rules() {
        let mut p = vec![("name", "总行"), ("warn_at", "50, 80%"), ("pause_on", "third_party"), ("active", "true"), ("calendar_id", "")];
        let nums = [("p1_response", "15"), ("p1_resolution", "60"), ("p2_response", "30"), ("p2_resolution", "240")];
        p.extend(nums);
        let input = policy_input(&pairs(&p)).map_err(|e| e.code).unwrap_or_else(|c| panic!("{c}"));
        assert_eq!(input.rules.warn_at, [50, 80]);
        assert_eq!(input.rules.pause_on, [PendingReason::ThirdParty]);
        assert_eq!(input.rules.targets[1].resolution_minutes, 240);
        assert_eq!(input.rules.targets[3].resolution_minutes, 0, "missing numbers are left for core to refuse");
        assert_eq!(input.calendar_id, None);
        assert!(input.active && !input.rules.on_breach.notify_manager, "a ticked box is true, an unticked one false");
        let soon = policy_input(&pairs(&[("name", "总行"), ("warn_at", "soon")])).err().map(|e| e.fields);
        assert_eq!(soon, Some(vec![FieldError::new("rules.warn_at", "invalid_thresholds")]));
        let typo = policy_input(&pairs(&[("name", "总行"), ("p1_response", "15分")])).err().map(|e| e.fields).unwrap_or_default();
        let typo: Vec<(&str, &str)> = typo.iter().map(|f| (f.field.as_str(), f.code.as_str())).collect();
        assert_eq!(typo, [("p1_response", "expected_number")], "a typed target that is not a number names its field");
    }

    #[test]
    fn desk_parts_replace_only_their_settings() {
        let s = DeskSettings::default();
        let mut m: Vec<(String, String)> = Vec::new();
        for i in 0..3 {
            for j in 0..3 {
                m.push((format!("m{i}{j}"), "4".into()));
            }
        }
        let out = with_part(s.clone(), "matrix", &m).unwrap_or_default();
        assert_eq!(out.matrix.cells, [[4; 3]; 3]);
        assert_eq!(out.labels, s.labels);
        let rules = with_part(
            s.clone(),
            "rules",
            &pairs(&[("reopen_days", "3"), ("resolution_codes", "fixed\r\n\r\nother"), ("summary_required", "1")]),
        )
        .unwrap_or_default();
        assert_eq!((rules.reopen_days, rules.resolution_codes.len(), rules.summary_required_for.len()), (3, 2, 1));
        assert!(!rules.auto_major_for_p1);
        assert!(with_part(s, "nonsense", &m).is_err());
    }
}
