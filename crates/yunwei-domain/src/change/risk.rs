//! Risk assessment (风险评估, CHG-3): a configurable questionnaire with weights, combined with
//! what the CMDB says about the affected business services, into low / medium / high /
//! critical — with every reason that moved the level, so the page can show the reasoning.

use crate::FieldError;
use crate::permission::string_enum;
use serde::{Deserialize, Serialize};

string_enum!(
    /// Ordered: each level is worse than the one before.
    RiskLevel {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
);

crate::permission::defaults!(RiskLevel = RiskLevel::Low);

impl RiskLevel {
    fn raised(self) -> Self {
        match self {
            Self::Low => Self::Medium,
            Self::Medium => Self::High,
            _ => Self::Critical,
        }
    }

    /// Approvals a change of this level needs: high and critical need joint review (联合评审).
    pub fn approvals_needed(self) -> usize {
        match self {
            Self::Low | Self::Medium => 1,
            Self::High => 2,
            Self::Critical => 3,
        }
    }
}

/// One question: answered 0 (no risk) to 3 (most risk), counted `weight` times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub key: String,
    pub text: String,
    pub text_en: String,
    pub weight: u32,
}

/// The highest answer.
pub const MAX_ANSWER: u8 = 3;

/// The questionnaire shipped (editable data in the settings): necessity, feasibility,
/// technical risk and business impact, as CHG-3 names them.
pub fn default_questions() -> Vec<Question> {
    let q = |key: &str, text: &str, text_en: &str, weight| Question { key: key.into(), text: text.into(), text_en: text_en.into(), weight };
    vec![
        q("complexity", "实施复杂度（步骤多、涉及多方）", "Implementation complexity (many steps, several parties)", 3),
        q("untested", "未经测试环境验证的程度", "How far it is untested outside production", 3),
        q("rollback_difficulty", "回退难度", "How hard the rollback is", 2),
        q("business_hours", "需在业务时段实施或中断业务", "Needs business hours or interrupts the business", 2),
        q("novelty", "首次实施此类变更", "First change of this kind", 1),
    ]
}

/// What the CMDB's impact analysis says of the affected CIs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CmdbFacts {
    /// Business services reached by the affected CIs.
    pub services: usize,
    /// Of those, services that go down (redundancy does not keep them up).
    pub services_down: usize,
    /// Of the services that go down, those of high or critical criticality.
    pub critical_down: usize,
}

/// One reason for the level, as a stable code and its values (the page words it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub params: Vec<(String, String)>,
}

fn reason(code: &str, params: &[(&str, String)]) -> Reason {
    Reason { code: code.into(), params: params.iter().map(|(k, v)| ((*k).into(), v.clone())).collect() }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub level: RiskLevel,
    /// The questionnaire's weighted score, 0–100.
    pub score: u32,
    pub reasons: Vec<Reason>,
}

/// Checks the answers against the questions: one per question, 0 to 3, no strangers.
pub fn check_answers(questions: &[Question], answers: &[(String, u8)]) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (k, v) in answers {
        if !questions.iter().any(|q| &q.key == k) {
            out.push(FieldError::new(format!("risk_answers.{k}"), "not_found"));
        } else if *v > MAX_ANSWER {
            out.push(FieldError::new(format!("risk_answers.{k}"), "out_of_range").with("min", 0).with("max", MAX_ANSWER));
        }
    }
    out
}

/// The level from the answers (a missing answer counts 0) and the CMDB facts.
pub fn assess(questions: &[Question], answers: &[(String, u8)], facts: CmdbFacts) -> Assessment {
    let answer = |k: &str| answers.iter().find(|(a, _)| a == k).map_or(0, |(_, v)| u32::from((*v).min(MAX_ANSWER)));
    let most: u32 = questions.iter().map(|q| q.weight * u32::from(MAX_ANSWER)).sum();
    let got: u32 = questions.iter().map(|q| q.weight * answer(&q.key)).sum();
    let score = (got * 100).checked_div(most).unwrap_or(0);
    let mut level = match score {
        0..25 => RiskLevel::Low,
        25..50 => RiskLevel::Medium,
        50..75 => RiskLevel::High,
        _ => RiskLevel::Critical,
    };
    let mut reasons = vec![reason("questionnaire", &[("score", score.to_string()), ("level", level.to_string())])];
    let kept_up = facts.services - facts.services_down.min(facts.services);
    if kept_up > 0 {
        reasons.push(reason("redundancy", &[("count", kept_up.to_string())]));
    }
    if facts.services_down > 0 && level < RiskLevel::Medium {
        level = RiskLevel::Medium;
        reasons.push(reason("services_down", &[("count", facts.services_down.to_string())]));
    }
    if facts.critical_down > 0 && level < RiskLevel::High {
        level = RiskLevel::High;
        reasons.push(reason("critical_down", &[("count", facts.critical_down.to_string())]));
    }
    if facts.services_down >= 5 {
        level = level.raised();
        reasons.push(reason("many_services", &[("count", facts.services_down.to_string())]));
    }
    if facts.services == 0 {
        reasons.push(reason("no_services", &[]));
    }
    reasons.push(reason("result", &[("level", level.to_string())]));
    Assessment { level, score, reasons }
}
