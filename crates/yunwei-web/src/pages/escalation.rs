//! Escalation pages: the policies (who is paged, after how long) and the alert routing rules,
//! under on-call duty. Forms are offered only to those who may manage them; a policy's page
//! form has one target per level (the API takes several).

use super::desk::Names;
use super::{Cell, Field, FormSection, Layout, Posted, Section, TableSection, failed_form, redirect, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::escalation::routes::{self, RouteInput};
use yunwei_core::escalation::{self, PolicyInput};
use yunwei_domain::alert::{Matcher, Severity};
use yunwei_domain::escalation::{Level, Target, TargetKind};
use yunwei_domain::ids::TeamId;
use yunwei_domain::permission::{Action, ObjectType};

const POLICIES: &str = "/duty/escalation";
const ROUTES: &str = "/duty/routes";
const LEVEL_ROWS: usize = 3;

#[derive(Deserialize, Default)]
pub struct Ok {
    ok: Option<String>,
}

#[derive(Deserialize)]
pub struct Empty {}

fn notice(caller: &Caller, q: &Ok) -> Option<String> {
    q.ok.as_deref().filter(|k| *k == "saved").map(|_| caller.tr.t("notice.saved"))
}

/// Every target a level may page, as `kind:id` with its name.
async fn targets(state: &AppState, caller: &Caller, names: &Names) -> Vec<(String, String)> {
    let tr = caller.tr;
    let mut out = vec![(String::new(), tr.t("field.none"))];
    for s in yunwei_core::duty::schedule::list(&state.core, &caller.ctx).await.unwrap_or_default() {
        out.push((format!("schedule:{}", s.id), format!("{}：{}", tr.t("escalation.target.schedule"), s.name)));
    }
    for (id, n) in &names.teams {
        out.push((format!("team:{id}"), format!("{}：{n}", tr.t("escalation.target.team"))));
    }
    if let Ok(req) = crate::extract::page_request(Some(200), None, None, "username") {
        let filter = yunwei_core::store::admin::UserFilter { disabled: Some(false), ..Default::default() };
        if let Ok(users) = yunwei_core::admin::list_users(&state.core, &caller.ctx, &filter, &req).await {
            out.extend(
                users
                    .items
                    .into_iter()
                    .map(|u| (format!("user:{}", u.id), format!("{}：{}", tr.t("escalation.target.user"), u.display_name))),
            );
        }
    }
    out
}

fn levels_text(tr: Tr, levels: &[Level], choices: &[(String, String)]) -> String {
    let name = |t: &Target| {
        let key = format!("{}:{}", t.kind, t.id);
        choices.iter().find(|c| c.0 == key).map(|c| c.1.clone()).unwrap_or(key)
    };
    levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let who = l.targets.iter().map(name).collect::<Vec<_>>().join(if tr.is_zh() { "、" } else { ", " });
            tr.with(
                "escalation.level_text",
                &[("n".into(), (i + 1).to_string()), ("who".into(), who), ("minutes".into(), l.delay_minutes.to_string())],
            )
        })
        .collect::<Vec<_>>()
        .join(if tr.is_zh() { "；" } else { "; " })
}

fn may_manage_any(caller: &Caller) -> bool {
    caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Duty, Action::Update))
}

async fn policies_layout(state: &AppState, caller: &Caller) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let policies = escalation::list_policies(&state.core, &caller.ctx).await?;
    let names = Names::load(state, caller).await;
    let choices = targets(state, caller, &names).await;
    let rows = policies
        .iter()
        .map(|p| {
            vec![
                Cell::text(p.name.clone()),
                Cell::text(names.team_or_dash(p.team_id.map(TeamId))),
                Cell::text(levels_text(tr, &p.levels, &choices)),
                Cell::text(p.repeat_count.to_string()),
            ]
        })
        .collect();
    let mut sections = vec![Section::Text(tr.t("escalation.help"))];
    sections.push(Section::Table(TableSection::new(tr, &["field.name", "field.team", "escalation.levels", "escalation.repeat"], rows)));
    if may_manage_any(caller) {
        let mut teams = vec![(String::new(), tr.t("field.none"))];
        teams.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
        let mut fields = vec![
            Field::new("text", "name", tr.t("field.name"), "").required(),
            Field::new("select", "team_id", tr.t("field.team"), "").options(teams),
            Field::new("number", "repeat", tr.t("escalation.repeat"), "0").help(tr.t("escalation.repeat_help")),
        ];
        for n in 1..=LEVEL_ROWS {
            let label = tr.with("escalation.level_n", &[("n".into(), n.to_string())]);
            fields.push(Field::new("select", &format!("target_{n}"), label, "").options(choices.clone()));
            fields.push(Field::new("number", &format!("delay_{n}"), tr.t("escalation.delay_minutes"), "10"));
        }
        fields.push(Field::new("textarea", "description", tr.t("field.description"), "").rows(2).wide());
        let form = FormSection::post("escalation-new", POLICIES, tr.t("escalation.new_policy"), fields)
            .heading(tr.t("escalation.new_policy"))
            .class("cols-2");
        sections.push(Section::Form(form));
    }
    Ok(Layout { title: tr.t("escalation.title"), sections, ..Layout::default() })
}

pub async fn policies(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Ok>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = policies_layout(&state, &caller).await?;
    Ok(render(&state, &caller, super::duty::ACTIVE, layout, notice(&caller, &q), Vec::new()).await)
}

/// The policy form as posted: up to three levels of one target each.
#[derive(Deserialize)]
pub struct PolicyForm {
    name: String,
    #[serde(default)]
    description: String,
    team_id: Option<i64>,
    repeat: Option<u32>,
    target_1: Option<String>,
    delay_1: Option<u32>,
    target_2: Option<String>,
    delay_2: Option<u32>,
    target_3: Option<String>,
    delay_3: Option<u32>,
}

fn target(text: &str) -> Option<Target> {
    let (kind, id) = text.split_once(':')?;
    Some(Target { kind: kind.parse::<TargetKind>().ok()?, id: id.parse().ok()? })
}

impl PolicyForm {
    fn input(self) -> PolicyInput {
        let rows = [(self.target_1, self.delay_1), (self.target_2, self.delay_2), (self.target_3, self.delay_3)];
        let levels = rows
            .into_iter()
            .filter_map(|(t, d)| Some(Level { targets: vec![target(t.as_deref()?)?], delay_minutes: d.unwrap_or(0) }))
            .collect();
        PolicyInput {
            name: self.name,
            description: self.description,
            team_id: self.team_id,
            levels,
            repeat: self.repeat.unwrap_or(0),
            version: None,
        }
    }
}

pub async fn create_policy(State(state): State<AppState>, caller: Caller, form: PageForm<PolicyForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let form = form.and_then(|f| Ok(f.input()));
    let (result, posted) = form.run(|input| escalation::create_policy(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{POLICIES}?ok=saved"))),
        Err(e) => {
            let layout = policies_layout(&state, &caller).await?;
            failed_form(&state, &caller, e, layout, super::duty::ACTIVE, Some(&Posted::new("escalation-new", posted))).await
        }
    }
}

/// `name=value`, `name!=value`, `name=~regex`, `name!~regex`: the operator found first.
fn matcher(line: &str) -> Option<Matcher> {
    let (at, op) = ["=~", "!~", "!=", "="]
        .iter()
        .filter_map(|op| line.find(op).map(|i| (i, *op)))
        .min_by_key(|(i, op)| (*i, usize::MAX - op.len()))?;
    Some(Matcher { name: line[..at].trim().to_string(), op: op.to_string(), value: line[at + op.len()..].trim().to_string() })
}

fn matchers_text(ms: &[Matcher], tr: Tr) -> String {
    if ms.is_empty() {
        return tr.t("escalation.route_all");
    }
    ms.iter().map(|m| format!("{} {} {}", m.name, m.op, m.value)).collect::<Vec<_>>().join(if tr.is_zh() { "，" } else { ", " })
}

async fn routes_layout(state: &AppState, caller: &Caller) -> Result<Layout, ApiError> {
    let tr = caller.tr;
    let list = routes::list(&state.core, &caller.ctx).await?;
    let names = Names::load(state, caller).await;
    let policies = escalation::list_policies(&state.core, &caller.ctx).await.unwrap_or_default();
    let policy_name = |id: Option<i64>| id.and_then(|i| policies.iter().find(|p| p.id == i)).map_or("—".to_string(), |p| p.name.clone());
    let may = caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::AlertIntegration, Action::Update));
    let rows = list
        .iter()
        .map(|r| {
            let mut row = vec![
                Cell::text(r.position.to_string()),
                Cell::text(r.name.clone()),
                Cell::text(matchers_text(&r.matchers, tr)),
                Cell::text(names.team_or_dash(r.team_id.map(TeamId))),
                Cell::text(policy_name(r.policy_id)),
                Cell::text(r.severity.map_or("—".to_string(), |s| tr.t(&format!("alert.severity.{s}")))),
            ];
            if may {
                row.push(Cell::button(format!("{ROUTES}/{}/delete", r.id), tr.t("action.delete"), tr.t("escalation.route_delete_confirm")));
            }
            row
        })
        .collect();
    let mut columns =
        vec!["escalation.position", "field.name", "escalation.matchers", "field.team", "escalation.policy", "escalation.severity"];
    if may {
        columns.push("");
    }
    let mut sections = vec![Section::Text(tr.t("escalation.routes_help"))];
    sections.push(Section::Table(super::duty::table(tr, &columns, rows)));
    if may {
        let mut teams = vec![(String::new(), tr.t("field.none"))];
        teams.extend(names.teams.iter().map(|(id, n)| (id.to_string(), n.clone())));
        let mut pols = vec![(String::new(), tr.t("field.none"))];
        pols.extend(policies.iter().map(|p| (p.id.to_string(), p.name.clone())));
        let mut sev = vec![(String::new(), tr.t("escalation.keep_severity"))];
        sev.extend(Severity::ALL.iter().map(|s| (s.as_str().to_string(), tr.t(&format!("alert.severity.{s}")))));
        let fields = vec![
            Field::new("text", "name", tr.t("field.name"), "").required(),
            Field::new("number", "position", tr.t("escalation.position"), "10"),
            Field::new("textarea", "matchers", tr.t("escalation.matchers"), "").rows(3).help(tr.t("escalation.matchers_help")),
            Field::new("select", "team_id", tr.t("field.team"), "").options(teams),
            Field::new("select", "policy_id", tr.t("escalation.policy"), "").options(pols),
            Field::new("select", "severity", tr.t("escalation.severity"), "").options(sev),
        ];
        let form = FormSection::post("route-new", ROUTES, tr.t("escalation.new_route"), fields)
            .heading(tr.t("escalation.new_route"))
            .class("cols-2");
        sections.push(Section::Form(form));
    }
    Ok(Layout { title: tr.t("escalation.routes_title"), sections, ..Layout::default() })
}

pub async fn routes_page(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<Ok>) -> Result<Response, ApiError> {
    caller.require()?;
    let layout = routes_layout(&state, &caller).await?;
    Ok(render(&state, &caller, super::duty::ACTIVE, layout, notice(&caller, &q), Vec::new()).await)
}

#[derive(Deserialize)]
pub struct RouteForm {
    name: String,
    position: Option<i64>,
    #[serde(default)]
    matchers: String,
    team_id: Option<i64>,
    policy_id: Option<i64>,
    severity: Option<Severity>,
}

pub async fn create_route(State(state): State<AppState>, caller: Caller, form: PageForm<RouteForm>) -> Result<Response, ApiError> {
    caller.require()?;
    let form = form.and_then(|f| {
        let matchers = f
            .matchers
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| matcher(l).unwrap_or(Matcher { name: l.trim().into(), op: String::new(), value: String::new() }))
            .collect();
        Ok(RouteInput {
            name: f.name,
            position: f.position.unwrap_or(10),
            matchers,
            team_id: f.team_id,
            policy_id: f.policy_id,
            severity: f.severity,
            version: None,
        })
    });
    let (result, posted) = form.run(|input| routes::create(&state.core, &caller.ctx, input)).await;
    match result {
        Ok(_) => Ok(redirect(&format!("{ROUTES}?ok=saved"))),
        Err(e) => {
            let layout = routes_layout(&state, &caller).await?;
            failed_form(&state, &caller, e, layout, super::duty::ACTIVE, Some(&Posted::new("route-new", posted))).await
        }
    }
}

pub async fn delete_route(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    caller.require()?;
    routes::delete(&state.core, &caller.ctx, id).await?;
    Ok(redirect(&format!("{ROUTES}?ok=saved")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_lines_read_with_the_operator_found_first() {
        let m = |l: &str| matcher(l).map(|m| (m.name, m.op, m.value));
        assert_eq!(m("service = 核心账务"), Some(("service".into(), "=".into(), "核心账务".into())));
        assert_eq!(m("instance=~10\\.1\\..*"), Some(("instance".into(), "=~".into(), "10\\.1\\..*".into())));
        assert_eq!(m("env!=test"), Some(("env".into(), "!=".into(), "test".into())));
        assert_eq!(m("team !~ db.*"), Some(("team".into(), "!~".into(), "db.*".into())));
        assert_eq!(m("job=a=b"), Some(("job".into(), "=".into(), "a=b".into())));
        assert_eq!(m("nothing"), None);
    }
}
