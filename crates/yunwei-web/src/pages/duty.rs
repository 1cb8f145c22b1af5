//! On-call duty pages (值班): the schedules with who is on call now, and one schedule with
//! its coming two weeks by name, its layers and overrides. Management forms are offered only
//! to those who may manage the schedule (`duty:update`).

use super::desk::Names;
use super::{Cell, Field, FormSection, Layout, Posted, Section, TableSection, failed_form, redirect, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::duty::oncall::{self, AtQuery, RangeQuery};
use yunwei_core::duty::schedule::{self, LayerInput, OverrideInput, ScheduleInput, ScheduleView};
use yunwei_core::duty::swap;
use yunwei_core::store::admin::UserFilter;
use yunwei_domain::duty::{DayRestriction, RotationKind};
use yunwei_domain::ids::{DutyLayerId, DutyOverrideId, DutyScheduleId, UserId};
use yunwei_domain::permission::{Action, ObjectType};

pub const ACTIVE: &str = "/duty";
const DAY_MS: i64 = 86_400_000;

#[derive(Deserialize, Default)]
pub struct Ok {
    ok: Option<String>,
}

#[derive(Deserialize)]
pub struct Empty {}

fn notice(caller: &Caller, q: &Ok) -> Option<String> {
    q.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"))
}

fn names_of(people: &[oncall::Person], tr: Tr) -> String {
    if people.is_empty() {
        tr.t("duty.nobody")
    } else {
        people.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(if tr.is_zh() { "、" } else { ", " })
    }
}

/// Active users to choose from (an empty first option when `none` is given).
async fn people(state: &AppState, caller: &Caller, none: Option<String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = none.map(|n| (String::new(), n)).into_iter().collect();
    if let Ok(req) = page_request(Some(200), None, None, "username") {
        let filter = UserFilter { disabled: Some(false), ..Default::default() };
        if let Ok(users) = yunwei_core::admin::list_users(&state.core, &caller.ctx, &filter, &req).await {
            out.extend(users.items.into_iter().map(|u| (u.id.to_string(), u.display_name)));
        }
    }
    out
}

fn may_update(caller: &Caller) -> bool {
    allows(caller, Action::Update)
}

async fn list_layout(state: &AppState, caller: &Caller) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let schedules = schedule::list(&state.core, &caller.ctx).await?;
    let names = Names::load(state, caller).await;
    let mut rows = Vec::new();
    for s in &schedules {
        let now = oncall::on_call(&state.core, &caller.ctx, s.id, AtQuery::default()).await?;
        rows.push(vec![
            Cell::link(s.name.clone(), format!("{ACTIVE}/{}", s.id)),
            Cell::text(names.team_or_dash(s.team_id)),
            Cell::text(names_of(&now.users, tr)),
            Cell::text(s.time_zone.clone()),
        ]);
    }
    let mut sections = vec![Section::Text(tr.t("duty.help"))];
    let mut links =
        vec![("/duty/console".to_string(), tr.t("duty.console.link")), ("/duty/escalation".to_string(), tr.t("escalation.title"))];
    if allows_alert_routes(caller) {
        links.push(("/duty/routes".to_string(), tr.t("escalation.routes_title")));
    }
    sections.push(Section::Links(links));
    sections.push(Section::Table(TableSection::new(tr, &["field.name", "field.team", "duty.on_call_now", "duty.time_zone"], rows)));
    if may_update(caller) {
        let mut teams = vec![(String::new(), tr.t("field.none"))];
        teams.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
        let fields = vec![
            Field::new("text", "name", tr.t("field.name"), "").required(),
            Field::new("select", "team_id", tr.t("field.team"), "").options(teams),
            Field::new("text", "time_zone", tr.t("duty.time_zone"), state.core.config.default_time_zone.clone()),
            Field::new("textarea", "description", tr.t("field.description"), "").rows(2).wide(),
        ];
        let form =
            FormSection::post("duty-new", ACTIVE, tr.t("duty.new_schedule"), fields).heading(tr.t("duty.new_schedule")).class("cols-2");
        sections.push(Section::Form(form));
    }
    Ok(Layout { title: tr.t("duty.title"), sections, ..Layout::default() })
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Ok>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = list_layout(&state, &caller).await?;
    Ok(render(&state, &caller, ACTIVE, layout, notice(&caller, &q), Vec::new()).await)
}

pub async fn create(State(state): State<AppState>, caller: Caller, form: PageForm<ScheduleInput>) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| schedule::create(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(v) => Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.id))),
        Err(e) => {
            let layout = list_layout(&state, &caller).await?;
            failed_form(&state, &caller, e, layout, ACTIVE, Some(&Posted::new("duty-new", posted))).await
        }
    }
}

fn rotation_text(tr: Tr, l: &yunwei_core::store::duty::Layer) -> String {
    let n = l.rotation_length.to_string();
    match l.rotation {
        RotationKind::Daily => tr.with("duty.every_days", &[("n".into(), n)]),
        RotationKind::Weekly => tr.with("duty.every_weeks", &[("n".into(), n)]),
        RotationKind::Custom => format!("{}（{}）", tr.t("duty.rotation.custom"), l.rrule),
    }
}

fn restriction_text(tr: Tr, l: &yunwei_core::store::duty::Layer) -> String {
    let mut parts = Vec::new();
    if l.restrict_days != DayRestriction::Any {
        parts.push(tr.t(&format!("duty.days.{}", l.restrict_days)));
    }
    if let (Some(a), Some(b)) = (&l.window_from, &l.window_to) {
        parts.push(format!("{a}–{b}"));
    }
    if parts.is_empty() { tr.t("duty.days.any") } else { parts.join(" ") }
}

fn layer_fields(tr: Tr, users: &[(String, String)]) -> Vec<Field> {
    let rotations = RotationKind::ALL.iter().map(|k| (k.as_str().to_string(), tr.t(&format!("duty.rotation.{k}")))).collect();
    let days = DayRestriction::ALL.iter().map(|d| (d.as_str().to_string(), tr.t(&format!("duty.days.{d}")))).collect();
    vec![
        Field::new("text", "name", tr.t("field.name"), "").required(),
        Field::new("select", "rotation", tr.t("duty.rotation"), "weekly").options(rotations),
        Field::new("number", "rotation_length", tr.t("duty.rotation_length"), "1"),
        Field::new("text", "rrule", tr.t("duty.rrule"), "").help(tr.t("duty.rrule_help")),
        Field::new("datetime-local", "starts_local", tr.t("duty.starts_local"), "").required(),
        Field::new("number", "responders", tr.t("duty.responders"), "1"),
        Field::new("select", "restrict_days", tr.t("duty.restrict_days"), "any").options(days),
        Field::new("time", "window_from", tr.t("duty.window_from"), "").help(tr.t("duty.window_help")),
        Field::new("time", "window_to", tr.t("duty.window_to"), ""),
    ]
    .into_iter()
    // Members in turn order as ticked (each a checkbox named `members`).
    .chain(users.iter().map(|(id, name)| Field::new("checkbox", "members", name.clone(), id.clone())))
    .collect()
}

async fn schedule_layout(state: &AppState, caller: &Caller, v: &ScheduleView) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let names = Names::load(state, caller).await;
    let manage = yunwei_core::duty::may_manage(&caller.ctx, v.team_id);
    let now = oncall::on_call(&state.core, &caller.ctx, v.id, AtQuery::default()).await?;
    let mut main = vec![Section::Heading(tr.t("duty.on_call_now"))];
    let layer = now.layer_name.clone().map(|l| if tr.is_zh() { format!("（{l}）") } else { format!(" ({l})") }).unwrap_or_default();
    main.push(Section::Text(format!("{}{layer}", names_of(&now.users, tr))));
    // The coming two weeks from the start of today.
    let from = state.core.now_ms() / DAY_MS * DAY_MS;
    let shifts = oncall::shifts(&state.core, &caller.ctx, v.id, RangeQuery { from: Some(from), to: Some(from + 14 * DAY_MS) }).await?;
    let rows = shifts
        .iter()
        .map(|s| {
            let who = Cell::text(names_of(&s.users, tr));
            let who = if s.overridden { who.tag(tr.t("duty.overridden"), "warn") } else { who };
            vec![
                Cell::text(time(s.starts_at, caller)),
                Cell::text(time(s.ends_at, caller)),
                who,
                Cell::text(s.layer_name.clone().unwrap_or_else(|| "—".into())),
            ]
        })
        .collect();
    main.push(Section::Heading(tr.t("duty.coming_weeks")));
    main.push(Section::Table(TableSection::new(tr, &["duty.from", "duty.to", "duty.on_call", "duty.layer"], rows)));
    main.extend(super::duty_report::report_sections(state, caller, v.id).await?);
    main.push(Section::Heading(tr.t("duty.layers")));
    let mut rows = Vec::new();
    for l in v.layers.iter().rev() {
        let members = l.members.iter().map(|m| m.name.clone()).collect::<Vec<_>>().join(if tr.is_zh() { "、" } else { ", " });
        rows.push(vec![
            Cell::text(l.layer.name.clone()),
            Cell::text(rotation_text(tr, &l.layer)),
            Cell::text(l.layer.starts_local.replace('T', " ")),
            Cell::text(restriction_text(tr, &l.layer)),
            Cell::text(l.layer.responders.to_string()),
            Cell::text(if members.is_empty() { "—".into() } else { members }),
        ]);
    }
    let cols = ["duty.layer", "duty.rotation", "duty.starts_local", "duty.restriction", "duty.responders", "duty.members"];
    main.push(Section::Table(TableSection::new(tr, &cols, rows)));
    let users = people(state, caller, None).await;
    if manage {
        for l in v.layers.iter().rev() {
            let rows = l
                .members
                .iter()
                .map(|m| {
                    let action = format!("{ACTIVE}/layers/{}/members/{}/remove", l.layer.id, m.user_id);
                    vec![
                        Cell::text(l.layer.name.clone()),
                        Cell::text(m.name.clone()),
                        Cell::button(action, tr.t("duty.remove_member"), tr.t("duty.remove_confirm")),
                    ]
                })
                .collect::<Vec<_>>();
            if !rows.is_empty() {
                main.push(Section::Table(table(tr, &["duty.layer", "duty.member", ""], rows)));
            }
        }
        if !v.layers.is_empty() {
            let layers = v.layers.iter().map(|l| (l.layer.id.to_string(), l.layer.name.clone())).collect();
            let fields = vec![
                Field::new("select", "layer_id", tr.t("duty.layer"), "").options(layers),
                Field::new("select", "user_id", tr.t("duty.member"), "").options(users.clone()).help(tr.t("duty.add_member_help")),
            ];
            main.push(Section::Form(
                FormSection::post("duty-member", format!("{ACTIVE}/{}/members", v.id), tr.t("duty.add_member"), fields)
                    .heading(tr.t("duty.add_member")),
            ));
        }
        let form = FormSection::post("duty-layer", format!("{ACTIVE}/{}/layers", v.id), tr.t("duty.add_layer"), layer_fields(tr, &users))
            .heading(tr.t("duty.add_layer"))
            .folded(v.layers.is_empty())
            .class("cols-2");
        main.push(Section::Form(form));
    }
    main.push(Section::Heading(tr.t("duty.overrides")));
    let rows = v
        .overrides
        .iter()
        .map(|o| {
            let mut row = vec![
                Cell::text(time(o.row.starts_at, caller)),
                Cell::text(time(o.row.ends_at, caller)),
                Cell::text(o.user_name.clone()),
                Cell::text(o.replaces_name.clone().unwrap_or_else(|| tr.t("duty.everyone"))),
                Cell::text(o.row.reason.clone()),
            ];
            if manage {
                row.push(Cell::button(
                    format!("{ACTIVE}/overrides/{}/delete", o.row.id),
                    tr.t("action.delete"),
                    tr.t("action.delete_confirm"),
                ));
            }
            row
        })
        .collect();
    let mut cols = vec!["duty.from", "duty.to", "duty.on_call", "duty.replaces", "duty.reason"];
    if manage {
        cols.push("");
    }
    main.push(Section::Table(table(tr, &cols, rows)));
    if manage {
        let mut replaces = vec![(String::new(), tr.t("duty.everyone"))];
        replaces.extend(users.iter().cloned());
        let fields = vec![
            Field::new("select", "user_id", tr.t("duty.on_call"), "").options(users.clone()),
            Field::new("select", "replaces_user_id", tr.t("duty.replaces"), "").options(replaces),
            Field::new("datetime-local", "starts_local", tr.t("duty.from"), "").required(),
            Field::new("datetime-local", "ends_local", tr.t("duty.to"), "").required(),
            Field::new("text", "reason", tr.t("duty.reason"), "").wide(),
        ];
        let form = FormSection::post("duty-override", format!("{ACTIVE}/{}/overrides", v.id), tr.t("duty.add_override"), fields)
            .heading(tr.t("duty.add_override"))
            .class("cols-2");
        main.push(Section::Form(form));
    }
    swap_sections(state, caller, v, &users, &mut main).await?;
    main.extend(super::duty_report::feed_sections(state, caller, v.id).await?);
    let facts = vec![
        (tr.t("field.team"), names.team_or_dash(v.team_id)),
        (tr.t("duty.time_zone"), v.time_zone.clone()),
        (tr.t("field.description"), if v.description.is_empty() { "—".into() } else { v.description.clone() }),
        (tr.t("duty.swap_policy"), tr.t(if v.swap_needs_approval { "duty.swap_policy.approval" } else { "duty.swap_policy.accept" })),
        (tr.t("duty.min_rest"), tr.with("duty.hours", &[("n".into(), v.min_rest_hours.to_string())])),
        (tr.t("field.updated"), time(v.updated_at, caller)),
    ];
    Ok(Layout { title: v.name.clone(), sections: main, aside: vec![Section::Facts(facts)], data: Vec::new() })
}

async fn show(state: &AppState, caller: &Caller, id: DutyScheduleId, note: Option<String>) -> Result<Response, ApiError> {
    let v = schedule::get(&state.core, &caller.ctx, id).await?;
    let layout = schedule_layout(state, caller, &v).await?;
    Ok(render(state, caller, ACTIVE, layout, note, Vec::new()).await)
}

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Ok>,
) -> Result<Response, ApiError> {
    caller.require()?;
    show(&state, &caller, DutyScheduleId(id), notice(&caller, &q)).await
}

/// A failed form on a schedule's page comes back as typed, with the messages by its fields.
async fn failed_here(state: &AppState, caller: &Caller, id: DutyScheduleId, e: ApiError, posted: Posted) -> Result<Response, ApiError> {
    // A refusal is the error page: the form was never the reader's to fill in.
    if e.status == axum::http::StatusCode::FORBIDDEN || e.status == axum::http::StatusCode::NOT_FOUND {
        return Err(e);
    }
    let v = schedule::get(&state.core, &caller.ctx, id).await?;
    let layout = schedule_layout(state, caller, &v).await?;
    failed_form(state, caller, e, layout, ACTIVE, Some(&posted)).await
}

pub async fn add_layer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<LayerInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| schedule::add_layer(&state.core, &caller.ctx, DutyScheduleId(id), input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{ACTIVE}/{id}?ok=saved"))),
        Err(e) => failed_here(&state, &caller, DutyScheduleId(id), e, Posted::new("duty-layer", posted)).await,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberForm {
    layer_id: DutyLayerId,
    user_id: UserId,
}

pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<MemberForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|f| schedule::add_member(&state.core, &caller.ctx, f.layer_id, f.user_id)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{ACTIVE}/{id}?ok=saved"))),
        Err(e) => failed_here(&state, &caller, DutyScheduleId(id), e, Posted::new("duty-member", posted)).await,
    }
}

pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((layer, user)): ApiPath<(i64, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = schedule::remove_member(&state.core, &caller.ctx, DutyLayerId(layer), UserId(user)).await?;
    Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.id)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideForm {
    user_id: UserId,
    replaces_user_id: Option<UserId>,
    starts_local: String,
    ends_local: String,
    reason: Option<String>,
}

/// A local `YYYY-MM-DDTHH:MM` in the schedule's zone as unix ms, or the field's error.
pub(super) fn instant(field: &str, text: &str, zone: &str) -> Result<i64, ApiError> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    text.trim()
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| tz.to_ambiguous_timestamp(dt).compatible().ok())
        .map(|t| t.as_millisecond())
        .ok_or_else(|| {
            ApiError::from(yunwei_core::CoreError::from(yunwei_domain::DomainError::Validation(vec![yunwei_domain::FieldError::new(
                field,
                "invalid_datetime",
            )])))
        })
}

pub async fn add_override(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<OverrideForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let sid = DutyScheduleId(id);
    let zone = schedule::get(&state.core, &caller.ctx, sid).await?.time_zone.clone();
    let form = form.and_then(|f| {
        Ok(OverrideInput {
            user_id: f.user_id,
            replaces_user_id: f.replaces_user_id,
            starts_at: instant("starts_local", &f.starts_local, &zone)?,
            ends_at: instant("ends_local", &f.ends_local, &zone)?,
            reason: f.reason.unwrap_or_default(),
        })
    });
    let (result, posted) = form.run(|input| schedule::add_override(&state.core, &caller.ctx, sid, input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{ACTIVE}/{id}?ok=saved"))),
        Err(e) => failed_here(&state, &caller, sid, e, Posted::new("duty-override", posted)).await,
    }
}

pub async fn delete_override(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = schedule::delete_override(&state.core, &caller.ctx, DutyOverrideId(id)).await?;
    Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.id)))
}

/// A table whose columns are locale keys; an empty key is a column of buttons without a heading.
pub(super) fn table(tr: Tr, keys: &[&str], rows: Vec<Vec<Cell>>) -> TableSection {
    TableSection { columns: keys.iter().map(|k| if k.is_empty() { String::new() } else { tr.t(k) }).collect(), rows, next: None }
}

/// The routing rules are alert configuration (`alert_integration:read`).
fn allows_alert_routes(caller: &Caller) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::AlertIntegration, Action::Read))
}

fn allows(caller: &Caller, action: Action) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Duty, action))
}

/// The swaps with the steps the reader may take, and the form to ask for one.
async fn swap_sections(
    state: &AppState,
    caller: &Caller,
    v: &ScheduleView,
    users: &[(String, String)],
    main: &mut Vec<Section>,
) -> Result<(), ApiError> {
    use yunwei_domain::duty::swap::{SwapState, SwapStep};
    let tr = caller.tr;
    let me = caller.ctx.actor_id().map(UserId);
    let approver = allows(caller, Action::Approve);
    let swaps = swap::list(&state.core, &caller.ctx, v.id).await?;
    main.push(Section::Heading(tr.t("duty.swaps")));
    let rows = swaps
        .iter()
        .map(|s| {
            let mine = me == Some(s.row.requester_id);
            let theirs = me == Some(s.row.counterpart_id);
            let steps: Vec<SwapStep> = match s.row.state {
                SwapState::Proposed if theirs => vec![SwapStep::Accept, SwapStep::Decline],
                SwapState::Accepted if approver && !mine && !theirs => vec![SwapStep::Approve, SwapStep::Reject],
                _ => Vec::new(),
            }
            .into_iter()
            .chain((mine && matches!(s.row.state, SwapState::Proposed | SwapState::Accepted)).then_some(SwapStep::Cancel))
            .collect();
            let mut row = vec![
                Cell::text(s.requester_name.clone()),
                Cell::text(s.counterpart_name.clone()),
                Cell::text(time(s.row.starts_at, caller)),
                Cell::text(time(s.row.ends_at, caller)),
                Cell::badge(tr.t(&format!("duty.swap.{}", s.row.state)), if s.row.state == SwapState::Approved { "ok" } else { "muted" }),
            ];
            row.extend(
                steps
                    .iter()
                    .map(|st| Cell::button(format!("{ACTIVE}/swaps/{}/{st}", s.row.id), tr.t(&format!("duty.step.{st}")), String::new())),
            );
            row
        })
        .collect();
    main.push(Section::Table(table(tr, &["duty.requester", "duty.counterpart", "duty.from", "duty.to", "field.state", "", ""], rows)));
    if allows(caller, Action::Transition) {
        let others: Vec<(String, String)> =
            users.iter().filter(|(id, _)| Some(id.as_str()) != me.map(|m| m.to_string()).as_deref()).cloned().collect();
        let fields = vec![
            Field::new("select", "counterpart_id", tr.t("duty.counterpart"), "").options(others),
            Field::new("datetime-local", "starts_local", tr.t("duty.from"), "").required(),
            Field::new("datetime-local", "ends_local", tr.t("duty.to"), "").required(),
            Field::new("text", "reason", tr.t("duty.reason"), "").wide().help(tr.t("duty.swap_help")),
        ];
        let form = FormSection::post("duty-swap", format!("{ACTIVE}/{}/swaps", v.id), tr.t("duty.ask_swap"), fields)
            .heading(tr.t("duty.ask_swap"))
            .class("cols-2");
        main.push(Section::Form(form));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapForm {
    counterpart_id: UserId,
    starts_local: String,
    ends_local: String,
    reason: Option<String>,
}

pub async fn propose_swap(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<SwapForm>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let sid = DutyScheduleId(id);
    let zone = schedule::get(&state.core, &caller.ctx, sid).await?.time_zone.clone();
    let form = form.and_then(|f| {
        Ok(swap::SwapInput {
            counterpart_id: f.counterpart_id,
            starts_at: instant("starts_local", &f.starts_local, &zone)?,
            ends_at: instant("ends_local", &f.ends_local, &zone)?,
            return_starts_at: None,
            return_ends_at: None,
            reason: f.reason.unwrap_or_default(),
        })
    });
    let (result, posted) = form.run(|input| swap::propose(&state.core, &caller.ctx, sid, input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{ACTIVE}/{id}?ok=saved"))),
        Err(e) => {
            failed_here(
                &state,
                &caller,
                sid,
                e,
                Posted::new("duty-swap", posted).refers(&[
                    ("rest_too_short", "starts_local"),
                    ("not_on_call", "starts_local"),
                    ("in_the_past", "starts_local"),
                ]),
            )
            .await
        }
    }
}

pub async fn swap_step(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, step)): ApiPath<(i64, yunwei_domain::duty::swap::SwapStep)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let v = swap::act(&state.core, &caller.ctx, yunwei_domain::ids::DutySwapId(id), step).await?;
    Ok(redirect(&format!("{ACTIVE}/{}?ok=saved", v.row.schedule_id)))
}
