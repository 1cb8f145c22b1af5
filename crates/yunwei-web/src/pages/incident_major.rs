//! The war-room panel of a major incident's page (phase, next-phase button,
//! the log, forms for actions, decisions and stakeholder updates, the update
//! rhythm) and the handlers of those forms.

use super::desk::{Names, duration};
use super::incident_form::finish;
use super::{Field, FormSection, Section, TimelineEntry, time};
use crate::AppState;
use crate::extract::Caller;
use crate::i18n::Tr;
use yunwei_core::incident::IncidentDetail;
use yunwei_core::incident::major::{self, EntryInput, IntervalInput, MajorView, PhaseInput, StakeholderUpdateInput};
use yunwei_core::store::major::WarRoomEntry;
use yunwei_domain::major::{MajorPhase, WarRoomKind};

pub fn phase_label(tr: Tr, p: MajorPhase) -> String {
    tr.t(&format!("major_incident.state.{p}"))
}

/// What one war-room entry says happened, in the reader's language.
pub fn entry_text(tr: Tr, e: &WarRoomEntry) -> String {
    let phase = |k: &str| e.data.get(k).and_then(|v| v.as_str()).and_then(|s| s.parse::<MajorPhase>().ok());
    match e.kind.parse::<WarRoomKind>() {
        Ok(WarRoomKind::PhaseChange) => match (phase("from"), phase("to")) {
            (None, _) => tr.t("major.entry.declared"),
            (Some(from), Some(to)) => {
                tr.with("major.entry.phase_change", &[("from".into(), phase_label(tr, from)), ("to".into(), phase_label(tr, to))])
            }
            _ => tr.t("major.kind.phase_change"),
        },
        Ok(kind) => tr.t(&format!("major.kind.{kind}")),
        Err(()) => e.kind.clone(),
    }
}

pub fn timeline(tr: Tr, caller: &Caller, entries: &[WarRoomEntry]) -> Vec<TimelineEntry> {
    entries
        .iter()
        .map(|e| TimelineEntry {
            time: time(e.at, caller),
            actor: e.author_name.clone().unwrap_or_else(|| tr.t("incident.system")),
            what: entry_text(tr, e),
            body: e.body.clone(),
            internal: false,
        })
        .collect()
}

/// "Next update due …", with how late it is when overdue.
pub fn due_text(tr: Tr, caller: &Caller, m: &MajorView, now: i64) -> String {
    match m.next_update_due_at {
        Some(due) if due < now => {
            tr.with("major.overdue_since", &[("time".into(), time(due, caller)), ("late".into(), duration(tr, (now - due) / 1000))])
        }
        Some(due) => time(due, caller),
        None => tr.t("major.no_more_updates"),
    }
}

/// The panel; the forms are offered to those core lets write (it decides again on each post).
pub async fn sections(state: &AppState, caller: &Caller, d: &IncidentDetail, names: &mut Names) -> Vec<Section> {
    let Some(m) = &d.major_incident else { return Vec::new() };
    let tr = caller.tr;
    let v = &d.incident;
    let base = format!("/incidents/{}/major", v.number);
    let now = state.core.now_ms();
    let mut out = vec![Section::Heading(tr.t("major.war_room"))];
    let mut badges = vec![(phase_label(tr, m.phase), format!("phase phase-{}", m.phase))];
    if m.update_overdue {
        badges.push((tr.t("major.update_overdue"), "bad".into()));
    }
    out.push(Section::Badges(badges));
    let commander = match m.commander_id {
        Some(c) => names.user(state, caller, c).await,
        None => tr.t("major.no_commander"),
    };
    out.push(Section::Facts(vec![
        (tr.t("field.commander"), commander),
        (tr.t("field.update_interval_minutes"), tr.with("major.minutes", &[("n".into(), m.update_interval_minutes.to_string())])),
        (tr.t("major.last_update"), m.last_update_at.map(|t| time(t, caller)).unwrap_or_else(|| "—".into())),
        (tr.t("major.next_update_due"), due_text(tr, caller, m, now)),
    ]));
    let rights = major::my_rights(&state.core, &caller.ctx, v.id).await.unwrap_or_default();
    let (leads, writes) = (rights.lead, rights.write);
    if writes {
        out.push(Section::Links(vec![(format!("/incidents/{}/emergency-report", v.number), tr.t("major.report.open"))]));
    }
    // Read top to bottom: where the response stands, what to do now, then what happened.
    let entries = major::war_room(&state.core, &caller.ctx, v.id).await.unwrap_or_default();
    let log = [Section::Heading(tr.t("major.timeline")), Section::Timeline(timeline(tr, caller, &entries))];
    if m.phase == MajorPhase::Closed || !writes {
        out.extend(log);
        return out;
    }
    if leads && let Some(next) = m.next_phase {
        let label = tr.with("major.move_to", &[("phase".into(), phase_label(tr, next))]);
        let fields = vec![
            Field::new("hidden", "phase", String::new(), next.as_str()),
            Field::new("textarea", "note", tr.t("field.note"), "").rows(2),
        ];
        let form = FormSection::post("major_phase", format!("{base}/phase"), label, fields).class("inline-edit");
        out.push(Section::Form(form));
    }
    let kinds =
        [WarRoomKind::Action, WarRoomKind::Decision].iter().map(|k| (k.as_str().to_string(), tr.t(&format!("major.kind.{k}")))).collect();
    let entry = vec![
        Field::new("select", "kind", tr.t("field.kind"), "action").options(kinds),
        Field::new("textarea", "body", tr.t("field.message"), "").required().rows(3),
    ];
    out.push(Section::Form(
        FormSection::post("major_entry", format!("{base}/entry"), tr.t("major.record"), entry).heading(tr.t("major.record_heading")),
    ));
    let update = vec![Field::new("textarea", "body", tr.t("field.message"), "").required().rows(4).help(tr.t("major.update_help"))];
    out.push(Section::Form(
        FormSection::post("major_update", format!("{base}/update"), tr.t("major.send_update"), update)
            .heading(tr.t("major.update_heading")),
    ));
    out.extend(log);
    if leads {
        let interval = vec![
            Field::new("number", "update_interval_minutes", tr.t("field.update_interval_minutes"), m.update_interval_minutes.to_string())
                .required()
                .help(tr.with(
                    "major.interval_help",
                    &[
                        ("min".into(), yunwei_domain::major::INTERVAL_MINUTES.start().to_string()),
                        ("max".into(), yunwei_domain::major::INTERVAL_MINUTES.end().to_string()),
                    ],
                )),
        ];
        out.push(Section::Form(
            FormSection::post("major_interval", format!("{base}/interval"), tr.t("action.save"), interval)
                .heading(tr.t("major.interval_heading"))
                .folded(false),
        ));
    }
    out
}

super::ticket_parts::form_handlers! { crate::api::incident::incident_id;
    change_phase(PhaseInput) -> major::change_phase => "major_phase_changed", "major_phase";
    post_entry(EntryInput) -> major::post_entry => "major_entry_added", "major_entry";
    post_update(StakeholderUpdateInput) -> major::post_stakeholder_update => "major_update_sent", "major_update";
    set_interval(IntervalInput) -> major::set_interval => "major_interval_saved", "major_interval";
}

/// Whose name goes under "commander" on the report.
pub fn person_or_dash(p: &Option<yunwei_core::incident::Person>) -> String {
    p.as_ref().map(|p| p.name.clone()).unwrap_or_else(|| "—".into())
}
