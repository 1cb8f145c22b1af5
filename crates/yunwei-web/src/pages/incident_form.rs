//! Reporting an incident, and the forms of the ticket page with their handlers.
//! Every failed form shows the ticket again with the typed values and the messages.

pub(super) use super::Pairs;
use super::desk::{DeskData, Names, category_options, parse_local, priority_badge, resolution_options, service_options};
use super::incident::{ACTIVE, ticket_layout};
use super::{Button, Field, FormSection, Layout, Posted, Section, failed_form, page, redirect};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller, CsrfForm, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::CoreError;
use yunwei_core::incident::{
    self, AssignInput, EscalateInput, IncidentDetail, IncidentPatch, Instant, MajorInput, NewIncident, TransitionInput,
};
use yunwei_domain::ids::{IncidentId, TeamId, UserId};
use yunwei_domain::incident::{Channel, DeskSettings, IncidentSummary, Level, PendingReason, Transition};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::{DomainError, FieldError};

fn invalid(errors: Vec<FieldError>) -> ApiError {
    CoreError::from(DomainError::Validation(errors)).into()
}

fn level_options(tr: Tr) -> Vec<(String, String)> {
    Level::ALL.iter().map(|l| (l.as_str().to_string(), tr.t(&format!("incident.level.{l}")))).collect()
}

/// "Priority = impact × urgency …": the matrix in force, so reporters know what they choose.
fn priority_help(settings: &DeskSettings, tr: Tr) -> String {
    let rows: Vec<String> = Level::ALL
        .iter()
        .map(|impact| {
            let ps: Vec<String> =
                Level::ALL.iter().map(|u| settings.label(settings.matrix.priority(*impact, *u), tr.is_zh()).to_string()).collect();
            tr.with(
                "incident.impact_row",
                &[("level".into(), tr.t(&format!("incident.level.{impact}"))), ("priorities".into(), ps.join(" / "))],
            )
        })
        .collect();
    tr.with("incident.priority_help", &[("matrix".into(), rows.join(&tr.t("incident.row_separator")))])
}

// ---- reporting ----

async fn report_form(state: &AppState, caller: &Caller) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let settings = incident::read_desk_settings(&state.core, &caller.ctx).await?;
    let categories = incident::list_categories(&state.core, &caller.ctx).await?;
    let services = incident::list_services(&state.core, &caller.ctx, None).await?;
    let channels = [Channel::Portal, Channel::Phone, Channel::Email]
        .iter()
        .map(|c| (c.as_str().to_string(), tr.t(&format!("incident.channel.{c}"))))
        .collect();
    let mut fields = vec![
        Field::new("text", "title", tr.t("field.title"), "").required().wide(),
        Field::new("textarea", "description", tr.t("field.description"), "").required().rows(6).wide(),
        Field::new("select", "impact", tr.t("field.impact"), "medium").options(level_options(tr)),
        Field::new("select", "urgency", tr.t("field.urgency"), "medium").options(level_options(tr)).help(priority_help(&settings, tr)),
        Field::new("select", "category_id", tr.t("field.category"), "").options(category_options(&categories, tr, true)),
        Field::new("select", "service_id", tr.t("field.service"), "").options(service_options(&services, tr, true)),
        Field::new("text", "ci_ref", tr.t("field.ci_ref"), "").help(tr.t("incident.ci_ref_help")),
        Field::new("select", "channel", tr.t("field.channel"), "portal").options(channels),
        Field::new("text", "requester_name", tr.t("field.requester_name"), "").help(tr.t("incident.requester_help")),
        Field::new("text", "requester_contact", tr.t("field.requester_contact"), ""),
        Field::new("text", "location", tr.t("field.location"), ""),
        Field::new("datetime-local", "occurred_at", tr.t("field.occurred_at"), "")
            .help(tr.with("incident.local_time_help", &[("zone".into(), super::desk::zone(caller).to_string())])),
        Field::new("textarea", "impact_scope", tr.t("field.impact_scope"), "").rows(2).wide(),
    ];
    if super::ci_pick::may_pick(caller) {
        let options = super::ci_pick::options(state, caller).await?;
        let at = fields.iter().position(|f| f.name == "ci_ref").unwrap_or(fields.len());
        fields.insert(at, Field::new("text", "ci_id", tr.t("field.ci_id"), "").options(options).help(tr.t("incident.ci_id_help")));
    }
    let can_assign = caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Incident, Action::Assign));
    if can_assign {
        let names = Names::load(state, caller).await;
        let mut teams = vec![(String::new(), tr.t("incident.team_automatic"))];
        teams.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
        fields.push(Field::new("select", "team_id", tr.t("field.team"), "").options(teams));
    }
    Ok(vec![Section::Form(FormSection::post("report", "/incidents", tr.t("incident.report"), fields).class("cols-2"))])
}

pub async fn new_form(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require()?;
    caller.ctx.authorize(ObjectType::Incident, Action::Create)?;
    let sections = report_form(&state, &caller).await?;
    Ok(page(&state, &caller, ACTIVE, caller.tr.t("incident.new"), sections, None, Vec::new()).await)
}

/// A `datetime-local` field read in the caller's time zone, handed on as RFC 3339 (what the
/// API's `Instant` reads); text that is no time is a message by the field.
fn local_time(pairs: &mut Pairs, name: &str, caller: &Caller) -> Result<(), ApiError> {
    for (k, v) in pairs.iter_mut().filter(|(k, v)| k == name && !v.trim().is_empty()) {
        match parse_local(v, caller).and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()) {
            Some(ts) => *v = ts.to_string(),
            None => return Err(invalid(vec![FieldError::new(k.clone(), "invalid_time")])),
        }
    }
    Ok(())
}

/// Reports an incident from the form bound to the API's `NewIncident`.
pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<Pairs>) -> Result<Response, ApiError> {
    caller.require()?;
    let mut pairs = form.input?;
    let typed = pairs.clone();
    let resolved = match super::ci_pick::resolve_pairs(&state, &caller, &mut pairs, "ci_id").await {
        Ok(()) => local_time(&mut pairs, "occurred_at", &caller),
        Err(e) => Err(e),
    };
    let result = match resolved {
        Ok(()) => match crate::form::bind::<NewIncident>(&pairs).map_err(crate::extract::form_error) {
            Ok(input) => incident::create(&state.core, &caller.ctx, input).await.map_err(ApiError::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(redirect(&format!("/incidents/{}?ok=incident_created", v.number))),
        Err(e) => {
            let sections = report_form(&state, &caller).await?;
            let layout = Layout { title: caller.tr.t("incident.new"), sections, ..Layout::default() };
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("report", typed))).await
        }
    }
}

// ---- the forms of the ticket page ----

pub struct TicketForms {
    /// One-click actions above the description (take, start, resume, reopen, close).
    pub bar: Vec<Button>,
    pub main: Vec<Section>,
    /// The fields edited in place (team and person, priority, category, CI).
    pub edit: Vec<Section>,
    pub aside: Vec<Section>,
}

/// The forms the caller may use on this ticket: each is offered only when the incident
/// policy lets the caller use it on this very record (`Offer`), and core decides again.
pub async fn ticket_forms(state: &AppState, caller: &Caller, d: &IncidentDetail, data: &DeskData, names: &mut Names) -> TicketForms {
    let tr = caller.tr;
    let (settings, categories, services) = (&data.settings, &data.categories, &data.services);
    let v = &d.incident;
    let mut out = TicketForms { bar: Vec::new(), main: Vec::new(), edit: Vec::new(), aside: Vec::new() };
    let Some(me) = caller.ctx.actor.as_ref() else { return out };
    let offer = super::incident_record::Offer::of(caller, v);
    let can = |a: Action| match a {
        Action::Update => offer.update,
        Action::Assign => offer.assign,
        Action::Transition => offer.transition,
        _ => me.permissions.allows(ObjectType::Incident, a),
    };
    let base = format!("/incidents/{}", v.number);
    let allowed = |t: Transition| can(Action::Transition) && d.allowed_transitions.contains(&t);
    let summary_needed = settings.summary_required_for.contains(&v.priority);

    let mut reply = vec![Field::new("textarea", "body", tr.t("field.message"), String::new()).required().rows(4)];
    if can(Action::Update) {
        let visibility =
            vec![("public".into(), tr.t("incident.visibility.public")), ("internal".into(), tr.t("incident.visibility.internal"))];
        reply.push(Field::new("select", "visibility", tr.t("field.visibility"), "public").options(visibility));
    }
    let heading = if can(Action::Update) { "incident.reply_or_note" } else { "incident.reply" };
    out.main
        .push(Section::Form(FormSection::post("reply", format!("{base}/comment"), tr.t("incident.send"), reply).heading(tr.t(heading))));

    // "Assign to me" keeps the team: offered to its members (or when no team holds it yet).
    let in_team = v.team_id.is_none_or(|t| me.place.teams.contains(&t));
    if can(Action::Assign) && v.state.is_open() && v.assignee_id != Some(me.user_id) && in_team {
        out.bar.push(Button { action: format!("{base}/take"), label: tr.t("incident.take"), confirm: None });
    }
    for t in [Transition::Start, Transition::Resume, Transition::Reopen] {
        if allowed(t) {
            let confirm = (t == Transition::Reopen).then(|| tr.t("incident.reopen_confirm"));
            out.bar.push(Button { action: format!("{base}/transition/{t}"), label: tr.t(&format!("incident.button.{t}")), confirm });
        }
    }
    if allowed(Transition::Close) && !summary_needed {
        out.bar.push(Button {
            action: format!("{base}/transition/close"),
            label: tr.t("incident.button.close"),
            confirm: Some(tr.t("incident.close_confirm")),
        });
    }

    if allowed(Transition::Resolve) {
        // Resolving is one step: the code, a note, the button (restored-at defaults to now).
        let codes = resolution_options(tr, settings);
        let fields = vec![
            Field::new("select", "resolution_code", tr.t("field.resolution_code"), String::new()).options(codes).required(),
            Field::new("textarea", "resolution", tr.t("field.resolution"), String::new()).rows(3).required(),
            Field::new("datetime-local", "restored_at", tr.t("field.restored_at"), String::new()).help(tr.t("incident.restored_help")),
        ];
        let f = FormSection::post("resolve", format!("{base}/transition/resolve"), tr.t("incident.button.resolve"), fields)
            .heading(tr.t("incident.resolve_heading"));
        out.aside.push(Section::Form(f));
    }
    if allowed(Transition::Pend) {
        let reasons = PendingReason::ALL.iter().map(|r| (r.as_str().to_string(), tr.t(&format!("incident.pending_reason.{r}")))).collect();
        let fields = vec![
            Field::new("select", "pending_reason", tr.t("field.pending_reason"), "requester").options(reasons),
            Field::new("textarea", "comment", tr.t("field.comment"), String::new()).rows(2).help(tr.t("incident.comment_help")),
        ];
        let f = FormSection::post("pend", format!("{base}/transition/pend"), tr.t("incident.button.pend"), fields);
        out.aside.push(Section::Form(f.folded(false)));
    }
    if allowed(Transition::Close) && summary_needed {
        let saved = v.summary.clone().unwrap_or_default();
        let part = |name: &str, saved: &str| {
            Field::new("textarea", name, tr.t(&format!("field.summary.{name}")), saved.to_string()).rows(3).required()
        };
        let fields = vec![
            part("cause", &saved.cause),
            part("handling", &saved.handling),
            part("lessons", &saved.lessons),
            part("prevention", &saved.prevention),
        ];
        let f = FormSection::post("close", format!("{base}/transition/close"), tr.t("incident.button.close"), fields)
            .heading(tr.t("incident.close_with_summary"));
        out.aside.push(Section::Text(tr.t("incident.summary_required_help")));
        out.aside.push(Section::Form(f.folded(true)));
    }

    let open = v.state.is_open();
    let mut people: Vec<(UserId, String)> = Vec::new();
    if can(Action::Assign) && open {
        let current = match (v.team_id, v.assignee_id) {
            (Some(t), Some(u)) => format!("{t}:{u}"),
            (Some(t), None) => t.to_string(),
            _ => String::new(),
        };
        let mut targets = vec![(String::new(), tr.t("field.none"))];
        let teams = names.teams.clone();
        for (team, team_name) in &teams {
            targets.push((team.to_string(), tr.with("incident.whole_team", &[("team".into(), team_name.clone())])));
            for (user, name) in names.members(state, caller, *team).await {
                targets.push((format!("{team}:{user}"), format!("{team_name} — {name}")));
                people.push((user, name));
            }
        }
        let fields = vec![Field::new("select", "target", tr.t("field.assign_to"), current).options(targets)];
        let f = FormSection::post("assign", format!("{base}/assign"), tr.t("action.save"), fields);
        out.edit.push(Section::Form(f.class("inline-edit")));

        let kinds = ["functional", "hierarchical"].iter().map(|k| (k.to_string(), tr.t(&format!("incident.escalation.{k}")))).collect();
        let mut team_options = vec![(String::new(), tr.t("field.none"))];
        team_options.extend(teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
        let fields = vec![
            Field::new("select", "kind", tr.t("field.escalation_kind"), "functional").options(kinds).help(tr.t("incident.escalation_help")),
            Field::new("select", "team_id", tr.t("field.team"), String::new()).options(team_options),
            Field::new("textarea", "reason", tr.t("field.reason"), String::new()).rows(2).required(),
        ];
        let f = FormSection::post("escalate", format!("{base}/escalate"), tr.t("incident.button.escalate"), fields);
        out.aside.push(Section::Form(f.folded(false)));
    }
    if can(Action::Assign) && !v.major {
        // Everyone who may work incidents may command; the team members above are the fallback.
        if let Ok(all) = yunwei_core::directory::commander_candidates(&state.core, &caller.ctx).await {
            people.extend(all);
        }
        people.push((me.user_id, me.display_name.clone()));
        people.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        people.dedup_by_key(|p| p.0);
        let mut commanders = vec![(String::new(), tr.t("field.none"))];
        commanders.extend(people.iter().map(|(id, n)| (id.to_string(), n.clone())));
        let fields = vec![
            Field::new("select", "commander_id", tr.t("field.commander"), String::new()).options(commanders).required(),
            Field::new("textarea", "reason", tr.t("field.reason"), String::new()).rows(2),
        ];
        let f = FormSection::post("major", format!("{base}/major"), tr.t("incident.button.declare_major"), fields)
            .confirm(tr.t("incident.major_confirm"));
        out.aside.push(Section::Form(f.folded(false)));
    }
    if can(Action::Update) {
        let (label, _) = priority_badge(settings, v.priority, tr);
        let ci = if super::ci_pick::may_pick(caller) {
            let options = super::ci_pick::options(state, caller).await.unwrap_or_default();
            Some((super::ci_pick::shown(state, caller, v.ci_id).await, options))
        } else {
            None
        };
        out.edit.extend(super::incident_record::edit_in_place(
            caller,
            v,
            category_options(categories, tr, true),
            level_options(tr),
            label,
            ci,
        ));
        // The rest of the record, less often changed, in one folded form.
        let fields = vec![
            Field::new("hidden", "version", String::new(), v.version.to_string()),
            Field::new("text", "title", tr.t("field.title"), v.title.clone()).required(),
            Field::new("textarea", "description", tr.t("field.description"), v.description.clone()).rows(4),
            Field::new("select", "service_id", tr.t("field.service"), id_text(v.service_id.map(|s| s.0)))
                .options(service_options(services, tr, true)),
            Field::new("text", "location", tr.t("field.location"), v.location.clone().unwrap_or_default()),
            Field::new("textarea", "impact_scope", tr.t("field.impact_scope"), v.impact_scope.clone().unwrap_or_default()).rows(2),
        ];
        let f = FormSection::post("edit", base.clone(), tr.t("action.save"), fields).heading(tr.t("incident.edit"));
        out.aside.push(Section::Form(f.folded(false)));
    }
    out
}

fn id_text(id: Option<i64>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

// ---- handlers of the ticket's forms ----

/// After a command: back to the ticket with a notice, or the ticket again with the form as typed.
pub(super) async fn finish<T>(
    state: &AppState,
    caller: &Caller,
    id: IncidentId,
    result: Result<T, ApiError>,
    notice: &str,
    posted: Posted,
) -> Result<Response, ApiError> {
    let number = yunwei_domain::incident::number(id.0);
    let mut e = match result {
        Ok(_) => return Ok(redirect(&format!("/incidents/{number}?ok={notice}"))),
        Err(e) => e,
    };
    if e.status.is_server_error() || e.status == axum::http::StatusCode::UNAUTHORIZED {
        return Err(e);
    }
    // If the caller may no longer even read the ticket, that refusal is the answer.
    let detail = incident::get(&state.core, &caller.ctx, id).await?;
    let settings = incident::desk_settings(&state.core).await.unwrap_or_default();
    super::desk::allowed_in_words(&mut e, caller.tr, &settings);
    let layout = ticket_layout(state, caller, &detail).await?;
    failed_form(state, caller, e, layout, ACTIVE, Some(&posted)).await
}

pub(super) fn ok<T>(r: yunwei_core::Result<T>) -> Result<(), ApiError> {
    r.map(|_| ()).map_err(ApiError::from)
}

/// The assign form: one select names the team and, if chosen, one of its members.
#[derive(serde::Deserialize)]
pub struct AssignForm {
    /// "7" is the team alone, "7:12" the team and one of its members.
    #[serde(default)]
    target: String,
    note: Option<String>,
}

impl AssignForm {
    fn input(self) -> AssignInput {
        let mut parts = self.target.split(':').map(|p| p.trim().parse::<i64>().ok());
        let team_id = parts.next().flatten().map(TeamId);
        let assignee_id = parts.next().flatten().map(UserId);
        AssignInput { team_id, assignee_id, note: self.note }
    }
}

pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<AssignForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let (result, posted) = form.run(|f| incident::assign(&state.core, &caller.ctx, id, f.input())).await;
    finish(&state, &caller, id, result, "assigned", Posted::new("assign", posted)).await
}

/// "Assign to me": one click from a queue or the ticket; the incident keeps its team.
pub async fn take(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, ApiError> {
    let me = caller.require()?.user_id;
    let id = crate::api::incident::incident_id(&number)?;
    let input = AssignInput { team_id: None, assignee_id: Some(me), note: None };
    let result = ok(incident::assign(&state.core, &caller.ctx, id, input).await);
    finish(&state, &caller, id, result, "assigned", Posted::new("assign", pairs)).await
}

super::ticket_parts::form_handlers! { crate::api::incident::incident_id;
    escalate(EscalateInput) -> incident::escalate => "escalated", "escalate";
}

/// The state-change forms of the ticket page, each sending its own fields: `restored_at` is
/// local time as typed; the summary comes only from the close form of a priority that needs one.
#[derive(serde::Deserialize)]
pub struct TransitionForm {
    comment: Option<String>,
    pending_reason: Option<PendingReason>,
    resolution_code: Option<String>,
    #[serde(default)]
    resolution: String,
    restored_at: Option<String>,
    cause: Option<String>,
    handling: Option<String>,
    lessons: Option<String>,
    prevention: Option<String>,
}

impl TransitionForm {
    /// The API's input for transition `t` (fields of other transitions are left out).
    fn input(self, t: Transition, caller: &Caller) -> Result<TransitionInput, ApiError> {
        let mut input = TransitionInput { comment: self.comment, ..TransitionInput::default() };
        match t {
            Transition::Pend => input.pending_reason = self.pending_reason,
            Transition::Resolve => {
                input.resolution_code = self.resolution_code;
                input.resolution = Some(self.resolution);
                if let Some(text) = self.restored_at {
                    let ms = parse_local(&text, caller).ok_or_else(|| invalid(vec![FieldError::new("restored_at", "invalid_time")]))?;
                    input.restored_at = Some(Instant(ms));
                }
            }
            Transition::Close => {
                let parts = [self.cause, self.handling, self.lessons, self.prevention];
                // All blank is no summary: core then names every part it needs (or closes without one).
                if parts.iter().any(Option::is_some) {
                    let [cause, handling, lessons, prevention] = parts.map(Option::unwrap_or_default);
                    input.summary = Some(IncidentSummary { cause, handling, lessons, prevention });
                }
            }
            Transition::Start | Transition::Resume | Transition::Reopen => {}
        }
        Ok(input)
    }
}

pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((number, t)): ApiPath<(String, String)>,
    form: PageForm<TransitionForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let t: Transition = t.parse().map_err(|_| ApiError::not_found())?;
    let (result, posted) =
        form.and_then(|f| f.input(t, &caller)).run(|input| incident::transition(&state.core, &caller.ctx, id, t, input)).await;
    let form = match t {
        Transition::Pend => "pend",
        Transition::Resolve => "resolve",
        Transition::Close => "close",
        _ => "transition",
    };
    finish(&state, &caller, id, result, "state_changed", Posted::new(form, posted)).await
}

super::ticket_parts::form_handlers! { crate::api::incident::incident_id;
    declare_major(MajorInput) -> incident::declare_major => "major_declared", "major";
}

/// Saves the edit form, bound to the API's `IncidentPatch`. The form sends every field: a
/// blank one clears it, and a blank title is refused by core as it is.
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    form: PageForm<IncidentPatch>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let id = crate::api::incident::incident_id(&number)?;
    let (result, posted) = form
        .run(|mut patch| {
            patch.title.get_or_insert_with(String::new);
            patch.description.get_or_insert_with(String::new);
            incident::update(&state.core, &caller.ctx, id, patch)
        })
        .await;
    finish(&state, &caller, id, result, "saved", Posted::new("edit", posted)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_priority_help_shows_the_matrix() {
        let help = priority_help(&DeskSettings::default(), Tr::new("en"));
        assert!(help.contains("P1 Critical / P2 High / P3 Medium"), "{help}");
        let zh = priority_help(&DeskSettings::default(), Tr::new("zh-CN"));
        assert!(zh.contains("P1 紧急"), "{zh}");
    }
}
