//! The approval matrix (审批矩阵, CHG-4, ADR 0028) as data: risk × type × department pick a
//! row; a row is a list of stages passed in order; each stage names who may approve in it
//! and how many must (any one, all, or a quorum of N). High and critical changes need joint
//! review (联合评审): at least two approvals in all. The shipped matrix reproduces the
//! approval by risk of ADR 0021: one stage of any holders of `change:approve`, 1/1/2/3.

use super::risk::RiskLevel;
use super::{Cast, ChangeType, Vote};
use crate::FieldError;
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

/// Who may approve in a stage (several kinds add up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Approver {
    /// Anyone holding `change:approve` (the approval by risk of before the matrix).
    Approvers,
    User(i64),
    /// Holders of a role, by its key (`cab_member`).
    Role(String),
    /// Members of the teams owning the change's CIs.
    CiOwners,
    /// The manager of the change's team (the requester's manager in the directory).
    Manager,
}

/// How many of a stage's approvers must approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    Any,
    All,
    Quorum(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub approvers: Vec<Approver>,
    pub rule: Rule,
    /// Hours the stage may take before the approvers are reminded (none: no limit).
    #[serde(default)]
    pub hours: Option<u32>,
}

/// One row: empty conditions match everything; the most specific matching row wins, then the
/// first written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    #[serde(default)]
    pub risk: Option<RiskLevel>,
    #[serde(default)]
    pub change_type: Option<ChangeType>,
    #[serde(default)]
    pub department_id: Option<i64>,
    pub stages: Vec<Stage>,
}

/// The shipped matrix: the approval by risk of ADR 0021 (joint review for high and critical).
pub fn default_matrix() -> Vec<Row> {
    let row = |risk, n: u32, name: &str, name_en: &str| Row {
        risk: Some(risk),
        change_type: None,
        department_id: None,
        stages: vec![Stage {
            name: name.into(),
            name_en: name_en.into(),
            approvers: vec![Approver::Approvers],
            rule: if n == 1 { Rule::Any } else { Rule::Quorum(n) },
            hours: None,
        }],
    };
    vec![
        row(RiskLevel::Low, 1, "变更审批", "Change approval"),
        row(RiskLevel::Medium, 1, "变更审批", "Change approval"),
        row(RiskLevel::High, 2, "联合评审", "Joint review"),
        row(RiskLevel::Critical, 3, "联合评审", "Joint review"),
    ]
}

/// The stages for a change; none when no row matches (then the change needs no vote only if
/// it is standard — core refuses to submit otherwise).
pub fn stages_for(rows: &[Row], risk: RiskLevel, t: ChangeType, department: Option<i64>) -> Vec<Stage> {
    let mut best: Option<(usize, &Row)> = None;
    for r in rows {
        let fits = r.risk.is_none_or(|x| x == risk)
            && r.change_type.is_none_or(|x| x == t)
            && r.department_id.is_none_or(|d| Some(d) == department);
        if !fits {
            continue;
        }
        let score = usize::from(r.risk.is_some()) + usize::from(r.change_type.is_some()) + usize::from(r.department_id.is_some()) * 2;
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, r));
        }
    }
    best.map(|(_, r)| r.stages.clone()).unwrap_or_default()
}

/// Approvals a stage needs from `eligible` possible approvers (`All`: every one of them).
pub fn needed(rule: Rule, eligible: usize) -> usize {
    match rule {
        Rule::Any => 1,
        Rule::Quorum(n) => n as usize,
        Rule::All => eligible.max(1),
    }
}

/// The fewest approvals the stages can take (an `All` stage counts one).
pub fn least_approvals(stages: &[Stage]) -> usize {
    stages.iter().map(|s| needed(s.rule, 1)).sum()
}

/// Where the votes stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Waiting in stage `stage` (from 0) with `have` of `need` approvals.
    Stage {
        stage: usize,
        have: usize,
        need: usize,
    },
    Approved,
    Rejected,
}

/// The state of the stages from the votes cast in each (`votes`: (stage, vote)) and each
/// stage's number of eligible approvers. One rejection in any stage rejects.
pub fn progress(stages: &[Stage], votes: &[(usize, Cast)], eligible: &[usize]) -> Progress {
    if votes.iter().any(|(_, c)| c.vote == Vote::Reject) {
        return Progress::Rejected;
    }
    for (n, s) in stages.iter().enumerate() {
        let have = votes.iter().filter(|(st, c)| *st == n && c.vote == Vote::Approve).count();
        let need = needed(s.rule, eligible.get(n).copied().unwrap_or(1));
        if have < need {
            return Progress::Stage { stage: n, have, need };
        }
    }
    Progress::Approved
}

/// Whether `voter` may vote in a stage whose eligible approvers are `eligible`.
pub fn in_stage(voter: UserId, eligible: &[UserId]) -> bool {
    eligible.contains(&voter)
}

/// Checks the matrix by the field (`approval_matrix[n]…`): stages present and well formed,
/// and joint review for rows that may take high or critical changes.
pub fn check(rows: &[Row], c: &mut crate::validate::Checker) {
    if rows.len() > 200 {
        c.push(FieldError::new("approval_matrix", "too_long").with("max", 200));
    }
    for (n, r) in rows.iter().enumerate() {
        let at = format!("approval_matrix[{n}]");
        if r.stages.is_empty() || r.stages.len() > 10 {
            c.push(FieldError::new(format!("{at}.stages"), "out_of_range").with("min", 1).with("max", 10));
        }
        for (k, s) in r.stages.iter().enumerate() {
            c.name(&format!("{at}.stages[{k}].name"), &s.name, 100);
            if s.approvers.is_empty() {
                c.push(FieldError::new(format!("{at}.stages[{k}].approvers"), "required"));
            }
            if let Rule::Quorum(q) = s.rule
                && !(1..=20).contains(&q)
            {
                c.push(FieldError::new(format!("{at}.stages[{k}].rule"), "out_of_range").with("min", 1).with("max", 20));
            }
        }
        let serious = r.risk.is_none_or(|x| x >= RiskLevel::High);
        let standard_only = r.change_type == Some(ChangeType::Standard);
        if serious && !standard_only && !r.stages.is_empty() && least_approvals(&r.stages) < 2 {
            c.push(FieldError::new(format!("{at}.stages"), "joint_review_required"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(stage: usize, voter: i64, vote: Vote) -> (usize, Cast) {
        (stage, Cast { voter: UserId(voter), vote })
    }

    #[test]
    fn the_shipped_matrix_is_the_approval_by_risk() {
        let m = default_matrix();
        for (risk, need) in [(RiskLevel::Low, 1), (RiskLevel::Medium, 1), (RiskLevel::High, 2), (RiskLevel::Critical, 3)] {
            let s = stages_for(&m, risk, ChangeType::Normal, Some(4));
            assert_eq!((s.len(), least_approvals(&s)), (1, need), "{risk}");
            assert_eq!(need, risk.approvals_needed());
        }
        let mut c = crate::validate::Checker::new();
        check(&m, &mut c);
        assert!(c.finish().is_ok());
    }

    #[test]
    fn the_most_specific_row_wins() {
        let stage =
            |name: &str, rule| Stage { name: name.into(), name_en: String::new(), approvers: vec![Approver::Manager], rule, hours: None };
        let mut m = default_matrix();
        m.push(Row { risk: None, change_type: Some(ChangeType::Emergency), department_id: None, stages: vec![stage("紧急", Rule::Any)] });
        m.push(Row {
            risk: Some(RiskLevel::High),
            change_type: None,
            department_id: Some(7),
            stages: vec![stage("部门", Rule::All), stage("CAB", Rule::Quorum(2))],
        });
        assert_eq!(stages_for(&m, RiskLevel::Low, ChangeType::Emergency, None)[0].name, "变更审批", "risk and type tie: first written");
        assert_eq!(stages_for(&m, RiskLevel::High, ChangeType::Normal, Some(7))[0].name, "部门");
        assert_eq!(stages_for(&m, RiskLevel::High, ChangeType::Normal, Some(8))[0].name, "联合评审");
        assert!(stages_for(&[], RiskLevel::Low, ChangeType::Normal, None).is_empty());
    }

    #[test]
    fn stages_pass_in_order_and_one_rejection_rejects() {
        let st = |rule| Stage { name: "s".into(), name_en: String::new(), approvers: vec![Approver::Approvers], rule, hours: None };
        let stages = [st(Rule::All), st(Rule::Quorum(2))];
        let eligible = [2, 5];
        assert_eq!(progress(&stages, &[], &eligible), Progress::Stage { stage: 0, have: 0, need: 2 });
        let mut v = vec![cast(0, 1, Vote::Approve), cast(0, 2, Vote::Approve)];
        assert_eq!(progress(&stages, &v, &eligible), Progress::Stage { stage: 1, have: 0, need: 2 });
        v.push(cast(1, 3, Vote::Approve));
        v.push(cast(1, 4, Vote::Approve));
        assert_eq!(progress(&stages, &v, &eligible), Progress::Approved);
        v.push(cast(1, 5, Vote::Reject));
        assert_eq!(progress(&stages, &v, &eligible), Progress::Rejected);
    }

    #[test]
    fn high_and_critical_rows_need_joint_review() {
        let one = Stage { name: "x".into(), name_en: String::new(), approvers: vec![Approver::User(3)], rule: Rule::Any, hours: None };
        let rows = vec![
            Row { risk: Some(RiskLevel::High), change_type: None, department_id: None, stages: vec![one.clone()] },
            Row { risk: Some(RiskLevel::Low), change_type: None, department_id: None, stages: vec![one.clone()] },
            Row { risk: None, change_type: None, department_id: None, stages: vec![] },
        ];
        let mut c = crate::validate::Checker::new();
        check(&rows, &mut c);
        let fields: Vec<(String, String)> = match c.finish() {
            Err(crate::DomainError::Validation(f)) => f.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fields,
            [
                ("approval_matrix[0].stages".to_string(), "joint_review_required".to_string()),
                ("approval_matrix[2].stages".to_string(), "out_of_range".to_string())
            ]
        );
    }
}
