//! Satisfaction for managers: the statistics (table and a bar chart of the
//! average score drawn on the server), the list of surveys, and the settings.
//! The requester's own page is `survey_answer`; the register is `improvement`.

use super::desk::Names;
use super::{Cell, Field, FormSection, NavItem, Section, TableSection, failed, page, redirect, time, url_encode};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, CsrfForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::survey::{self, GroupStats, StatsQuery, SurveyQuery};
use yunwei_domain::ids::TeamId;
use yunwei_domain::permission::{Action, ObjectType, Scope};
use yunwei_domain::survey::{GroupBy, Period, SurveySettings, SurveyState};

pub const ACTIVE: &str = "/surveys";

type Pairs = Vec<(String, String)>;

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn invalid(field: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").detail(format!("{field} is not valid"))
}

/// Statistics, surveys and the register, as tabs over the three pages — each offered only
/// when the check its loader makes allows it (statistics need survey read at scope all).
pub fn tabs(caller: &Caller, active: &str) -> Section {
    let tr = caller.tr;
    let ctx = &caller.ctx;
    let stats = ctx.authorize(ObjectType::Survey, Action::Read).is_ok_and(|(_, scope)| scope == Scope::All);
    let register = ctx.authorize(ObjectType::Improvement, Action::Read).is_ok();
    let items = [
        (stats, "/surveys", "survey.tab.stats"),
        (true, "/surveys/list", "survey.tab.list"),
        (register, "/improvements", "improvement.title"),
    ]
    .into_iter()
    .filter(|(offered, _, _)| *offered)
    .map(|(_, href, key)| (href, key))
    .map(|(href, key)| NavItem { href: href.into(), label: tr.t(key), active: href == active })
    .collect();
    Section::Tabs(tr.t("process.survey.title"), items)
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Horizontal bars of the average score (0–5) per label; empty rows show "—".
pub fn bar_chart(title: &str, rows: &[(String, Option<f64>)]) -> String {
    let (label_w, bar_w, row_h) = (220.0, 460.0, 26.0);
    let height = row_h * rows.len().max(1) as f64 + 30.0;
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 760 {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = xml(title)
    );
    for tick in 0..=5 {
        let x = label_w + bar_w * f64::from(tick) / 5.0;
        svg.push_str(&format!(
            "<line x1=\"{x}\" y1=\"4\" x2=\"{x}\" y2=\"{y}\" stroke=\"#d9e2ec\"/><text x=\"{x}\" y=\"{ty}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#52606d\">{tick}</text>",
            y = height - 22.0,
            ty = height - 8.0
        ));
    }
    for (i, (label, avg)) in rows.iter().enumerate() {
        let y = 6.0 + row_h * i as f64;
        let short: String = label.chars().take(18).collect();
        svg.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1f2933\">{l}</text>",
            x = label_w - 8.0,
            ty = y + 15.0,
            l = xml(&short)
        ));
        match avg {
            Some(a) => {
                let w = bar_w * a.clamp(0.0, 5.0) / 5.0;
                let fill = if *a < 3.0 { "#b42318" } else { "#0b5cad" };
                svg.push_str(&format!(
                    "<rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"{fill}\"/><text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"12\" fill=\"#1f2933\">{a:.2}</text>",
                    tx = label_w + w + 6.0,
                    ty = y + 14.0
                ));
            }
            None => svg.push_str(&format!(
                "<text x=\"{tx}\" y=\"{ty}\" font-size=\"12\" fill=\"#52606d\">—</text>",
                tx = label_w + 6.0,
                ty = y + 14.0
            )),
        }
    }
    svg.push_str("</svg>");
    svg
}

#[derive(Deserialize, Default)]
pub struct StatsForm {
    period: Option<String>,
    year: Option<String>,
    by: Option<String>,
    ok: Option<String>,
}

fn stats_query(f: &StatsForm) -> Result<StatsQuery, ApiError> {
    Ok(StatsQuery {
        period: nonempty(&f.period).map(|p| p.parse::<Period>().map_err(|_| invalid("period"))).transpose()?,
        year: nonempty(&f.year).map(|y| y.parse::<i16>().map_err(|_| invalid("year"))).transpose()?,
        by: nonempty(&f.by).map(|b| b.parse::<GroupBy>().map_err(|_| invalid("by"))).transpose()?,
    })
}

fn group_label(tr: Tr, g: &GroupStats) -> String {
    match (&g.group_name, g.group_id) {
        (Some(n), _) => n.clone(),
        (None, Some(id)) => format!("#{id}"),
        (None, None) => tr.t("survey.no_group"),
    }
}

fn figures(tr: Tr, period: String, group: String, g: &GroupStats) -> Vec<Cell> {
    let dist = g.distribution.iter().enumerate().map(|(i, n)| format!("{}:{n}", i + 1)).collect::<Vec<_>>().join(" ");
    let mut low = Cell::text(g.low_scores.to_string());
    if g.low_scores > 0 {
        low = Cell::badge(g.low_scores.to_string(), "bad");
    }
    vec![
        Cell::text(period),
        Cell::text(group),
        Cell::text(g.sent.to_string()),
        Cell::text(g.answered.to_string()),
        Cell::text(format!("{:.1}%", g.response_rate * 100.0)),
        Cell::text(g.average_score.map(|a| format!("{a:.2}")).unwrap_or_else(|| tr.t("survey.no_answers"))),
        Cell::text(dist),
        low,
    ]
}

fn settings_form(tr: Tr, s: &SurveySettings, posted: Option<&Pairs>) -> FormSection {
    let val = |name: &str, stored: String| posted.and_then(|p| p.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap_or(stored);
    let enabled = posted.map_or(s.enabled, |p| p.iter().any(|(k, v)| k == "enabled" && v == "true"));
    FormSection::post(
        "survey-settings",
        "/surveys/settings",
        tr.t("action.save"),
        vec![
            Field::new("checkbox", "enabled", tr.t("field.survey_enabled"), "true").checked(enabled),
            Field::new("number", "expiry_days", tr.t("field.expiry_days"), val("expiry_days", s.expiry_days.to_string())).required(),
            Field::new(
                "number",
                "low_score_threshold",
                tr.t("field.low_score_threshold"),
                val("low_score_threshold", s.low_score_threshold.to_string()),
            )
            .help(tr.t("survey.threshold_help"))
            .required(),
            Field::new(
                "number",
                "improvement_due_days",
                tr.t("field.improvement_due_days"),
                val("improvement_due_days", s.improvement_due_days.to_string()),
            )
            .required(),
        ],
    )
    .heading(tr.t("survey.settings"))
    .folded(posted.is_some())
}

async fn stats_sections(state: &AppState, caller: &Caller, f: &StatsForm, posted: Option<&Pairs>) -> Result<Vec<Section>, ApiError> {
    let tr = caller.tr;
    let q = stats_query(f)?;
    let stats = survey::stats(&state.core, &caller.ctx, &q).await?;
    let mut sections = vec![tabs(caller, ACTIVE)];
    let period_options = Period::ALL.iter().map(|p| (p.as_str().to_string(), tr.t(&format!("survey.period.{p}")))).collect();
    let mut by_options = vec![(String::new(), tr.t("survey.by.none"))];
    by_options.extend(GroupBy::ALL.iter().map(|b| (b.as_str().to_string(), tr.t(&format!("survey.by.{b}")))));
    sections.push(Section::Form(FormSection::get(
        "stats",
        "/surveys",
        tr.t("action.filter"),
        vec![
            Field::new("select", "period", tr.t("field.period"), stats.period.as_str()).options(period_options),
            Field::new("number", "year", tr.t("field.year"), stats.year.to_string()),
            Field::new("select", "by", tr.t("field.group_by"), stats.by.map(|b| b.as_str()).unwrap_or_default()).options(by_options),
        ],
    )));
    // The chart: the average per group over the year, or per bucket without grouping.
    let bars: Vec<(String, Option<f64>)> = match stats.by {
        Some(_) => {
            let year = survey::stats(&state.core, &caller.ctx, &StatsQuery { period: Some(Period::Year), ..q.clone() }).await?;
            year.buckets.first().map(|b| b.groups.iter().map(|g| (group_label(tr, g), g.average_score)).collect()).unwrap_or_default()
        }
        None => stats.buckets.iter().map(|b| (b.label.clone(), b.total.average_score)).collect(),
    };
    if !bars.is_empty() {
        sections.push(Section::Heading(tr.t("survey.chart")));
        sections.push(Section::Svg(bar_chart(&tr.t("survey.chart"), &bars)));
    }
    let mut rows = Vec::new();
    for b in &stats.buckets {
        rows.push(figures(tr, b.label.clone(), tr.t("survey.total"), &b.total));
        for g in &b.groups {
            rows.push(figures(tr, String::new(), group_label(tr, g), g));
        }
    }
    let columns = [
        "field.period",
        "field.group",
        "survey.sent",
        "survey.answered_count",
        "survey.response_rate",
        "survey.average",
        "survey.distribution",
        "survey.low_scores",
    ]
    .iter()
    .map(|k| tr.t(k))
    .collect();
    sections.push(Section::Heading(tr.with("survey.table", &[("zone".into(), stats.time_zone.clone())])));
    sections.push(Section::Table(TableSection { columns, rows, next: None }));
    if caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Setting, Action::Update)) {
        let current = survey::read_settings(&state.core, &caller.ctx).await?;
        sections.push(Section::Form(settings_form(tr, &current, posted)));
    }
    Ok(sections)
}

pub async fn stats(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<StatsForm>) -> Result<Response, ApiError> {
    let me = caller.require()?;
    // Statistics are organisation-wide; whoever reads only some surveys gets the list of those.
    let scope = me.permissions.scope_for(ObjectType::Survey, Action::Read);
    if scope.is_some() && scope != Some(Scope::All) {
        return Ok(redirect("/surveys/list"));
    }
    let sections = stats_sections(&state, &caller, &f, None).await?;
    let notice = f.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"));
    Ok(page(&state, &caller, ACTIVE, caller.tr.t("process.survey.title"), sections, notice, Vec::new()).await)
}

pub async fn save_settings(State(state): State<AppState>, caller: Caller, CsrfForm(pairs): CsrfForm<Pairs>) -> Result<Response, ApiError> {
    caller.require()?;
    let num = |name: &str| pairs.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.trim().parse::<u32>().ok());
    // Unreadable numbers become values core refuses, naming the field.
    let input = SurveySettings {
        enabled: pairs.iter().any(|(k, v)| k == "enabled" && v == "true"),
        expiry_days: num("expiry_days").unwrap_or(0),
        low_score_threshold: num("low_score_threshold").and_then(|n| u8::try_from(n).ok()).unwrap_or(u8::MAX),
        improvement_due_days: num("improvement_due_days").unwrap_or(0),
    };
    match survey::put_settings(&state.core, &caller.ctx, input).await {
        Ok(_) => Ok(redirect("/surveys?ok=saved")),
        Err(e) => {
            let s = stats_sections(&state, &caller, &StatsForm::default(), Some(&pairs)).await?;
            failed(&state, &caller, e.into(), s, caller.tr.t("process.survey.title"), ACTIVE).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListForm {
    state: Option<String>,
    team_id: Option<String>,
    cursor: Option<String>,
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(f): ApiQuery<ListForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let tr = caller.tr;
    let q = SurveyQuery {
        state: nonempty(&f.state).map(|s| s.parse::<SurveyState>().map_err(|_| invalid("state"))).transpose()?,
        team_id: nonempty(&f.team_id).map(|t| t.parse::<i64>().map(TeamId).map_err(|_| invalid("team_id"))).transpose()?,
        limit: Some(50),
        cursor: nonempty(&f.cursor).map(str::to_string),
        ..SurveyQuery::default()
    };
    let list = survey::list(&state.core, &caller.ctx, &q).await?;
    let mut names = Names::load(&state, &caller).await;
    let threshold = survey::low_score_threshold(&state.core, &caller.ctx).await?;
    let mut rows = Vec::new();
    for s in &list.items {
        let requester = match (s.requester_id, &s.requester_name, &s.requester_email) {
            (Some(u), _, _) => names.user(&state, &caller, u).await,
            (None, Some(n), _) => n.clone(),
            (None, None, e) => e.clone().unwrap_or_else(|| "—".into()),
        };
        let score = match s.score {
            Some(v) if v <= i64::from(threshold) => Cell::badge(v.to_string(), "bad"),
            Some(v) => Cell::text(v.to_string()),
            None => Cell::text("—"),
        };
        rows.push(vec![
            Cell::link(s.subject_ref.clone(), survey::subject_path(&s.subject_type, &s.subject_ref)),
            Cell::text(s.subject_title.clone()),
            Cell::text(requester),
            Cell::text(names.team_or_dash(s.team_id)),
            Cell::text(names.user_or_dash(&state, &caller, s.assignee_id).await),
            Cell::badge(tr.t(&format!("survey.state.{}", s.state)), &format!("survey-{}", s.state)),
            Cell::text(time(s.sent_at, &caller)),
            score,
            Cell::text(s.comment.clone().unwrap_or_default()),
        ]);
    }
    let filter_query = |state: &str| {
        let mut out = format!("state={state}");
        if let Some(t) = nonempty(&f.team_id) {
            out.push_str(&format!("&team_id={}", url_encode(t)));
        }
        out
    };
    let current = nonempty(&f.state).unwrap_or_default().to_string();
    let next = list.next_cursor.map(|c| format!("/surveys/list?{}&cursor={}", filter_query(&current), url_encode(&c)));
    let mut state_tabs = vec![NavItem {
        href: format!("/surveys/list?{}", filter_query("")),
        label: tr.t("incident.filter.any"),
        active: current.is_empty(),
    }];
    state_tabs.extend(SurveyState::ALL.iter().map(|st| NavItem {
        href: format!("/surveys/list?{}", filter_query(st.as_str())),
        label: tr.t(&format!("survey.state.{st}")),
        active: current == st.as_str(),
    }));
    let mut team_options = vec![(String::new(), tr.t("incident.filter.any"))];
    team_options.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
    let sections = vec![
        tabs(&caller, "/surveys/list"),
        Section::Tabs(tr.t("field.state"), state_tabs),
        Section::Form(FormSection::get(
            "survey-filter",
            "/surveys/list",
            tr.t("action.filter"),
            vec![
                Field::new("hidden", "state", String::new(), current.clone()),
                Field::new("select", "team_id", tr.t("field.team"), nonempty(&f.team_id).unwrap_or_default()).options(team_options),
            ],
        )),
        Section::Table(TableSection {
            columns: [
                "field.ticket",
                "field.title",
                "field.requester",
                "field.team",
                "field.engineer",
                "field.state",
                "survey.sent_at",
                "field.score",
                "field.survey_comment",
            ]
            .iter()
            .map(|k| tr.t(k))
            .collect(),
            rows,
            next,
        }),
    ];
    Ok(page(&state, &caller, ACTIVE, tr.t("survey.tab.list"), sections, None, Vec::new()).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_escapes_labels_and_scales_to_five() {
        let svg = bar_chart("均分 <x>", &[("网络组 & <b>".into(), Some(5.0)), ("桌面组".into(), None)]);
        assert!(svg.contains("网络组 &amp; &lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("width=\"460.0\""), "5.0 fills the bar: {svg}");
        assert!(svg.contains("—"));
    }
}
