//! Risk assessment of a change (CHG-3): the questionnaire's answers and the CMDB's impact
//! analysis of its CIs (business services reached, whether redundancy keeps them up, their
//! criticality) into a level with its reasons; and the process's settings.

use crate::cmdb::impact::{self, FailuresInput, ImpactView};
use crate::{Core, Ctx, Result};
use std::collections::BTreeMap;
use yunwei_domain::change::ChangeSettings;
use yunwei_domain::change::risk::{self, Assessment, CmdbFacts};
use yunwei_domain::cmdb::impact::State;
use yunwei_domain::ids::{ChangeId, CiId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::Conn;
use yunwei_store::change::{self as store, Change};

const SETTINGS_KEY: &str = "change";

/// The settings, or the shipped defaults.
pub async fn change_settings(core: &Core) -> Result<ChangeSettings> {
    crate::settings::stored(core, SETTINGS_KEY).await
}

/// Whoever may read changes reads the questionnaire (the form shows it).
pub async fn read_settings(core: &Core, ctx: &Ctx) -> Result<ChangeSettings> {
    ctx.authorize(ObjectType::Change, Action::Read)?;
    change_settings(core).await
}

pub async fn put_settings(core: &Core, ctx: &Ctx, input: ChangeSettings) -> Result<ChangeSettings> {
    ctx.authorize(ObjectType::Setting, Action::Update)?;
    input.validate()?;
    let before = change_settings(core).await?;
    crate::settings::save(core, ctx, SETTINGS_KEY, &before, &input).await?;
    Ok(input)
}

/// What failing the CIs together takes down, as the caller may see it (none: no CIs).
async fn impact_of(core: &Core, ctx: &Ctx, cis: &[CiId]) -> Result<Option<ImpactView>> {
    if cis.is_empty() {
        return Ok(None);
    }
    let input = FailuresInput { failed: cis.to_vec(), depth: None, class: None, limit: Some(50) };
    Ok(Some(impact::of_failures(core, ctx, input).await?))
}

async fn facts(conn: &mut Conn, view: Option<&ImpactView>) -> Result<CmdbFacts> {
    let Some(v) = view else { return Ok(CmdbFacts::default()) };
    let down: Vec<CiId> = v.business_services.iter().filter(|s| s.state == State::Down).map(|s| s.id).collect();
    let rows = yunwei_store::cmdb::ci::get_many(&mut *conn, &down).await?;
    let critical_down = rows.iter().filter(|c| matches!(c.criticality.as_str(), "high" | "critical")).count();
    Ok(CmdbFacts { services: v.business_services.len(), services_down: down.len(), critical_down })
}

/// Assesses `c` from `answers` and its CIs, writing level, score, reasons and the approvals
/// the level needs onto the record; bad answers are field errors.
pub(crate) async fn assess_into(
    core: &Core,
    ctx: &Ctx,
    conn: &mut Conn,
    c: &mut Change,
    cis: &[CiId],
    answers: &BTreeMap<String, u8>,
    chk: &mut Checker,
) -> Result<Assessment> {
    let settings = change_settings(core).await?;
    let answers: Vec<(String, u8)> = answers.iter().map(|(k, v)| (k.clone(), *v)).collect();
    for e in risk::check_answers(&settings.questions, &answers) {
        chk.push(e);
    }
    let view = if cis.is_empty() { None } else { impact_of(core, ctx, cis).await.ok().flatten() };
    let f = facts(conn, view.as_ref()).await?;
    let a = risk::assess(&settings.questions, &answers, f);
    c.risk_level = a.level;
    c.risk_score = i64::from(a.score);
    c.risk_answers = serde_json::Value::Object(answers.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect());
    c.risk_reasons = serde_json::to_value(&a.reasons).unwrap_or_default();
    let stages = yunwei_domain::change::matrix::stages_for(&settings.approval_matrix, a.level, c.change_type, c.department_id.map(|d| d.0));
    c.approvals_needed = yunwei_domain::change::matrix::least_approvals(&stages).max(1) as i64;
    Ok(a)
}

/// The impact analysis of a change's CIs, for its page and the API.
pub async fn impact(core: &Core, ctx: &Ctx, id: ChangeId) -> Result<Option<ImpactView>> {
    let mut rd = core.db.read.acquire().await?;
    super::load_read(&mut rd, ctx, id).await?;
    let cis = store::cis(&mut *rd, id).await?;
    drop(rd);
    impact_of(core, ctx, &cis).await
}
