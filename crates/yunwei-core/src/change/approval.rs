//! The approval matrix at work (CHG-4, ADR 0028): the stages a change is submitted into, who
//! may approve in each (named users, role holders, owners of the affected CIs, the manager
//! of the change's team, or any holder of `change:approve`), and where its votes stand.
//! Whoever votes also needs `change:approve` reaching the change, and never on their own.

use crate::Result;
use serde::Serialize;
use std::collections::BTreeSet;
use yunwei_domain::change::matrix::{self, Approver, Progress, Rule, Stage};
use yunwei_domain::change::schedule::Freeze;
use yunwei_domain::change::{Cast, ChangeSettings, ChangeType};
use yunwei_domain::ids::UserId;
use yunwei_store::Conn;
use yunwei_store::change::{self as store, Change, ChangeApproval};

/// The stage an emergency inside a freeze passes first: its freeze exception (封网例外审批).
fn freeze_exception() -> Stage {
    Stage {
        name: "封网例外审批".into(),
        name_en: "Freeze exception".into(),
        approvers: vec![Approver::Approvers],
        rule: Rule::Any,
        hours: None,
    }
}

/// The stages `c` goes through as the settings stand: the matrix's row for its risk, type
/// and department, after a freeze exception when an emergency lies in a freeze.
pub fn plan(settings: &ChangeSettings, c: &Change, freezes: &[Freeze]) -> Vec<Stage> {
    let mut stages = Vec::new();
    if c.change_type == ChangeType::Emergency && !freezes.is_empty() {
        stages.push(freeze_exception());
    }
    stages.extend(matrix::stages_for(&settings.approval_matrix, c.risk_level, c.change_type, c.department_id.map(|d| d.0)));
    stages
}

/// The stages a submitted change was given (or, for one submitted before the matrix, the
/// approval by risk it had).
pub fn stages_of(c: &Change) -> Vec<Stage> {
    match serde_json::from_value::<Vec<Stage>>(c.approval_stages.clone()) {
        Ok(s) if !s.is_empty() => s,
        _ => {
            let n = u32::try_from(c.approvals_needed).unwrap_or(1).max(1);
            let rule = if n == 1 { Rule::Any } else { Rule::Quorum(n) };
            vec![Stage {
                name: "变更审批".into(),
                name_en: "Change approval".into(),
                approvers: vec![Approver::Approvers],
                rule,
                hours: None,
            }]
        }
    }
}

/// Who may approve in `stage` of `c`: its approvers, less the requester and the implementer.
pub async fn eligible(conn: &mut Conn, c: &Change, stage: &Stage) -> Result<Vec<UserId>> {
    let mut out: BTreeSet<UserId> = BTreeSet::new();
    for a in &stage.approvers {
        match a {
            Approver::Approvers => out.extend(yunwei_store::admin::holders_of_permission(&mut *conn, "change:approve").await?),
            Approver::User(id) => {
                if yunwei_store::admin::get_user(&mut *conn, UserId(*id)).await?.is_some_and(|u| !u.disabled) {
                    out.insert(UserId(*id));
                }
            }
            Approver::Role(key) => out.extend(yunwei_store::admin::role_holders(&mut *conn, key).await?),
            Approver::CiOwners => {
                let cis = store::cis(&mut *conn, c.id).await?;
                let rows = yunwei_store::cmdb::ci::get_many(&mut *conn, &cis).await?;
                let teams: BTreeSet<_> = rows.iter().filter_map(|ci| ci.owner_team_id).collect();
                for t in teams {
                    out.extend(yunwei_store::admin::team_members(&mut *conn, t).await?);
                }
            }
            Approver::Manager => {
                if let Some(t) = c.team_id
                    && let Some(m) = yunwei_store::admin::get_team(&mut *conn, t).await?.and_then(|t| t.manager_id)
                {
                    out.insert(m);
                }
            }
        }
    }
    Ok(out.into_iter().filter(|u| Some(*u) != c.requester_id && Some(*u) != c.implementer_id).collect())
}

/// One stage as the page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct StageView {
    #[serde(flatten)]
    pub stage: Stage,
    pub have: usize,
    pub need: usize,
    /// Who may approve in it (less the requester and implementer).
    pub eligible: Vec<UserId>,
    /// `passed`, `current` or `waiting` (`rejected` for every stage once rejected).
    pub status: &'static str,
}

/// The votes cast, by stage.
pub fn casts(approvals: &[ChangeApproval]) -> Vec<(usize, Cast)> {
    approvals.iter().map(|a| (usize::try_from(a.stage).unwrap_or(0), Cast { voter: a.approver_id, vote: a.vote })).collect()
}

/// Where `c`'s votes stand: the progress and each stage's eligible approvers.
pub async fn standing(conn: &mut Conn, c: &Change, approvals: &[ChangeApproval]) -> Result<(Vec<Stage>, Vec<Vec<UserId>>, Progress)> {
    let stages = stages_of(c);
    let mut who = Vec::with_capacity(stages.len());
    for s in &stages {
        who.push(eligible(conn, c, s).await?);
    }
    let counts: Vec<usize> = who.iter().map(Vec::len).collect();
    let p = matrix::progress(&stages, &casts(approvals), &counts);
    Ok((stages, who, p))
}

/// The stages with their counts, for the view.
pub fn stage_views(stages: &[Stage], who: &[Vec<UserId>], approvals: &[ChangeApproval], p: Progress) -> Vec<StageView> {
    let votes = casts(approvals);
    stages
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let have = votes.iter().filter(|(st, c)| *st == n && c.vote == yunwei_domain::change::Vote::Approve).count();
            let need = matrix::needed(s.rule, who.get(n).map_or(1, Vec::len));
            let status = match p {
                Progress::Rejected => "rejected",
                Progress::Approved => "passed",
                Progress::Stage { stage, .. } if n < stage => "passed",
                Progress::Stage { stage, .. } if n == stage => "current",
                Progress::Stage { .. } => "waiting",
            };
            StageView { stage: s.clone(), have, need, eligible: who.get(n).cloned().unwrap_or_default(), status }
        })
        .collect()
}
