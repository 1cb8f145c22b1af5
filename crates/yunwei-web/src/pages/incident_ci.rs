//! The configuration item an incident is about, on the incident's page: the CI by name and
//! link, and the business services its failure affects, with their state (impact engine).
//! A reader who may not see the CI learns only that one is linked.

use super::{Cell, Section, TableSection};
use crate::AppState;
use crate::extract::Caller;
use yunwei_core::cmdb::impact::{self, ImpactQuery};
use yunwei_core::cmdb::pick;
use yunwei_core::incident::IncidentView;

pub async fn sections(state: &AppState, caller: &Caller, v: &IncidentView) -> Vec<Section> {
    let Some(ci) = v.ci_id else { return Vec::new() };
    let tr = caller.tr;
    let en = !tr.is_zh();
    let mut out = vec![Section::Heading(tr.t("incident.ci.heading"))];
    let q = ImpactQuery { class: Some(yunwei_domain::cmdb::BUSINESS_SERVICE_CLASS.into()), limit: Some(1), ..Default::default() };
    let answer = match impact::of_ci(&state.core, &caller.ctx, ci, &q).await {
        Ok(a) => a,
        Err(_) => {
            out.push(Section::Text(tr.t("cmdb.hidden_ci")));
            return out;
        }
    };
    let Some(me) = answer.items.iter().find(|i| i.id == ci) else {
        out.push(Section::Text(tr.t("cmdb.hidden_ci")));
        return out;
    };
    out.push(Section::Links(vec![(format!("/cmdb/cis/{ci}"), pick(&me.name, &me.name_en, en).to_string())]));
    if answer.business_services.is_empty() {
        out.push(Section::Text(tr.t("incident.ci.no_services")));
        return out;
    }
    let rows = answer
        .business_services
        .iter()
        .map(|s| {
            vec![
                Cell::link(pick(&s.name, &s.name_en, en).to_string(), format!("/cmdb/cis/{}", s.id)),
                Cell::badge(tr.t(&format!("cmdb.graph.state.{}", s.state.code())), &format!("impact-{}", s.state.code())),
            ]
        })
        .collect();
    out.push(Section::Text(tr.t("incident.ci.services_help")));
    out.push(Section::Table(TableSection { columns: vec![tr.t("incident.ci.service"), tr.t("incident.ci.state")], rows, next: None }));
    out
}
