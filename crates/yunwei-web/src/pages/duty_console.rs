//! The duty officer's console (值班台, /duty/console): per schedule the reader is on, who is on
//! call now and next, the duty log (值班日志) with its form, and the handovers (交接班) with the
//! acknowledgement; then the reader's open incidents and the firing alerts nobody
//! acknowledged. Forms are offered only to the officer on duty (and managers).

use super::duty::{ACTIVE, instant};
use super::{Cell, Field, FormSection, Layout, Posted, Section, TableSection, failed_form, redirect, render, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::duty::console::{self, ConsoleSchedule, EntryInput, HandoverInput};
use yunwei_domain::duty::log::{HandoverState, LogKind};
use yunwei_domain::ids::DutyScheduleId;

const HERE: &str = "/duty/console";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConsoleQuery {
    schedule: Option<i64>,
    ok: Option<String>,
}

fn join(tr: Tr, names: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = names.collect();
    if all.is_empty() { tr.t("duty.nobody") } else { all.join(if tr.is_zh() { "、" } else { ", " }) }
}

fn table(tr: Tr, keys: &[&str], rows: Vec<Vec<Cell>>) -> TableSection {
    TableSection { columns: keys.iter().map(|k| if k.is_empty() { String::new() } else { tr.t(k) }).collect(), rows, next: None }
}

fn schedule_sections(caller: &Caller, s: &ConsoleSchedule, out: &mut Vec<Section>) {
    let tr = caller.tr;
    out.push(Section::Heading(s.name.clone()));
    let next = match s.next_at {
        Some(at) => format!("{}（{}）", join(tr, s.next.iter().map(|p| p.name.clone())), time(at, caller)),
        None => tr.t("duty.nobody"),
    };
    out.push(Section::Facts(vec![
        (tr.t("duty.on_call_now"), join(tr, s.now.iter().map(|p| p.name.clone()))),
        (tr.t("duty.console.next"), next),
    ]));
    out.push(Section::Heading(tr.t("duty.console.log")));
    let rows = s
        .log
        .iter()
        .map(|e| {
            let mut body = e.row.body.clone();
            if !e.row.impact.is_empty() {
                body = format!("{body}（{}：{}）", tr.t("duty.console.impact"), e.row.impact);
            }
            vec![
                Cell::text(time(e.row.created_at, caller)),
                Cell::text(tr.t(&format!("duty.log_kind.{}", e.row.kind))),
                Cell::text(e.author_name.clone()),
                Cell::text(e.row.occurred_at.map(|t| time(t, caller)).unwrap_or_else(|| "—".into())),
                Cell::text(body),
            ]
        })
        .collect();
    out.push(Section::Table(table(
        tr,
        &["field.created", "duty.console.kind", "duty.console.author", "duty.console.occurred", "field.description"],
        rows,
    )));
    if s.may_write {
        let kinds = LogKind::ALL.iter().map(|k| (k.as_str().to_string(), tr.t(&format!("duty.log_kind.{k}")))).collect();
        let fields = vec![
            Field::new("select", "kind", tr.t("duty.console.kind"), "note").options(kinds),
            Field::new("datetime-local", "occurred_local", tr.t("duty.console.occurred"), "").help(tr.t("duty.console.occurred_help")),
            Field::new("text", "impact", tr.t("duty.console.impact"), ""),
            Field::new("textarea", "body", tr.t("field.description"), "").rows(3).wide().required(),
        ];
        let form = FormSection::post("duty-log", format!("{HERE}/{}/log", s.id), tr.t("duty.console.write"), fields)
            .heading(tr.t("duty.console.write"))
            .class("cols-2");
        out.push(Section::Form(form));
    }
    out.push(Section::Heading(tr.t("duty.console.handovers")));
    let rows = s
        .handovers
        .iter()
        .map(|h| {
            let open = join(
                tr,
                h.open.incidents.iter().map(|i| format!("{} {}", i.label, i.title)).chain(h.open.alerts.iter().map(|a| a.title.clone())),
            );
            let state = match h.row.state {
                HandoverState::Pending => Cell::badge(tr.t("duty.handover_state.pending"), "warn"),
                HandoverState::Acknowledged => Cell::text(format!(
                    "{} {}",
                    tr.t("duty.handover_state.acknowledged"),
                    h.acknowledged_by_name.clone().unwrap_or_default()
                )),
            };
            let action = if h.may_acknowledge {
                Cell::button(format!("{HERE}/handovers/{}/acknowledge", h.row.id), tr.t("duty.console.acknowledge"), "")
            } else {
                Cell::text("")
            };
            vec![
                Cell::text(time(h.row.created_at, caller)),
                Cell::text(h.from_name.clone()),
                Cell::text(h.to_name.clone().unwrap_or_else(|| "—".into())),
                Cell::text(open),
                Cell::text(h.row.notes.clone()),
                state,
                action,
            ]
        })
        .collect();
    let cols = ["field.created", "duty.console.from", "duty.console.to", "duty.console.open", "duty.console.notes", "field.state", ""];
    out.push(Section::Table(table(tr, &cols, rows)));
    if s.may_write {
        let fields =
            vec![Field::new("textarea", "notes", tr.t("duty.console.notes"), "").rows(3).wide().help(tr.t("duty.console.hand_over_help"))];
        let form = FormSection::post("duty-handover", format!("{HERE}/{}/handovers", s.id), tr.t("duty.console.hand_over"), fields)
            .heading(tr.t("duty.console.hand_over"))
            .folded(true);
        out.push(Section::Form(form));
    }
}

async fn layout(state: &AppState, caller: &Caller, schedule: Option<i64>) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let c = console::console(&state.core, &caller.ctx, schedule.map(DutyScheduleId)).await?;
    let mut main = vec![Section::Text(tr.t("duty.console.help"))];
    if c.schedules.is_empty() {
        main.push(Section::Text(tr.t("duty.console.none")));
    }
    for s in &c.schedules {
        schedule_sections(caller, s, &mut main);
    }
    let mut aside = vec![Section::Heading(tr.t("duty.console.my_incidents"))];
    let rows = c
        .my_incidents
        .iter()
        .map(|i| vec![Cell::link(i.number.clone(), format!("/incidents/{}", i.number)), Cell::text(i.row.title.clone())])
        .collect();
    aside.push(Section::Table(table(tr, &["field.number", "field.title"], rows)));
    aside.push(Section::Heading(tr.t("duty.console.alerts")));
    let rows = c
        .alerts
        .iter()
        .map(|a| vec![Cell::badge(tr.t(&format!("duty.alert_severity.{}", a.severity.as_str())), "warn"), Cell::text(a.title.clone())])
        .collect();
    aside.push(Section::Table(table(tr, &["field.severity", "field.title"], rows)));
    Ok(Layout { title: tr.t("duty.console.title"), sections: main, aside, data: Vec::new() })
}

pub async fn show(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ConsoleQuery>) -> Result<Response, ApiError> {
    caller.require()?;
    let note = q.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    let layout = layout(&state, &caller, q.schedule).await?;
    Ok(render(&state, &caller, ACTIVE, layout, note, Vec::new()).await)
}

/// A failed form comes back on the console of its one schedule, as typed.
async fn failed(state: &AppState, caller: &Caller, id: i64, e: ApiError, posted: Posted) -> Result<Response, ApiError> {
    if e.status == axum::http::StatusCode::FORBIDDEN || e.status == axum::http::StatusCode::NOT_FOUND {
        return Err(e);
    }
    let layout = layout(state, caller, Some(id)).await?;
    failed_form(state, caller, e, layout, ACTIVE, Some(&posted)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogForm {
    kind: LogKind,
    body: String,
    occurred_local: Option<String>,
    impact: Option<String>,
}

pub async fn write_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<LogForm>,
) -> Result<Response, ApiError> {
    let actor = caller.require()?;
    let zone = actor.time_zone.clone();
    let form = form.and_then(|f| {
        let occurred_at = match f.occurred_local.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(instant("occurred_local", t, &zone)?),
            None => None,
        };
        Ok(EntryInput { kind: f.kind, body: f.body, occurred_at, impact: f.impact.unwrap_or_default(), incident_id: None })
    });
    let (result, posted) = form.run(|input| console::write_entry(&state.core, &caller.ctx, DutyScheduleId(id), input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{HERE}?ok=saved"))),
        Err(e) => failed(&state, &caller, id, e, Posted::new("duty-log", posted)).await,
    }
}

pub async fn hand_over(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<HandoverInput>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let (result, posted) = form.run(|input| console::hand_over(&state.core, &caller.ctx, DutyScheduleId(id), input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{HERE}?ok=saved"))),
        Err(e) => failed(&state, &caller, id, e, Posted::new("duty-handover", posted)).await,
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    _f: CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    caller.require()?;
    console::acknowledge(&state.core, &caller.ctx, id).await?;
    Ok(redirect(&format!("{HERE}?ok=saved")))
}
