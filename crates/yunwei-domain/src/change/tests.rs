use super::ChangeState::*;
use super::ChangeTransition::*;
use super::risk::{CmdbFacts, RiskLevel, assess, check_answers, default_questions};
use super::*;

fn at(state: ChangeState, change_type: ChangeType, approved: bool) -> Position {
    Position { state, change_type, approved }
}

#[test]
fn a_normal_change_is_approved_before_it_is_implemented() {
    let n = |s, t| next(at(s, ChangeType::Normal, false), t);
    assert_eq!(n(Draft, Submit), Some(PendingApproval));
    assert_eq!(n(PendingApproval, Start), None, "no implementation before approval");
    assert_eq!(next(at(Approved, ChangeType::Normal, true), Start), Some(Implementing));
    assert_eq!(n(Implementing, Complete), Some(Completed));
    assert_eq!(n(Implementing, RollBack), Some(RolledBack));
    assert_eq!(n(Rejected, Revise), Some(Draft));
    assert_eq!(n(Implementing, Cancel), None, "a started change is rolled back, not cancelled");
    assert_eq!(n(Closed, Submit), None);
    for s in [Draft, PendingApproval, Approved, Rejected] {
        assert_eq!(n(s, Cancel), Some(Cancelled));
    }
}

#[test]
fn standard_changes_are_pre_approved_and_emergencies_approved_afterwards() {
    assert_eq!(next(at(Draft, ChangeType::Standard, false), Submit), Some(Approved));
    assert_eq!(next(at(PendingApproval, ChangeType::Emergency, false), Start), Some(Implementing));
    assert_eq!(next(at(Completed, ChangeType::Emergency, false), Close), None, "closing waits for the retrospective approval");
    assert_eq!(next(at(Completed, ChangeType::Emergency, true), Close), Some(Closed));
    let hour = 3_600_000;
    assert!(retrospective_overdue(ChangeType::Emergency, false, Some(0), 25 * hour, 24));
    assert!(!retrospective_overdue(ChangeType::Emergency, false, Some(0), 23 * hour, 24));
    assert!(!retrospective_overdue(ChangeType::Emergency, true, Some(0), 99 * hour, 24));
    assert!(!retrospective_overdue(ChangeType::Normal, false, Some(0), 99 * hour, 24));
}

#[test]
fn submitting_needs_the_plan_and_a_window_that_ends_after_it_starts() {
    let empty = Request::default();
    let fields: Vec<String> = requirements(Submit, &empty).into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["content", "reason", "rollback_plan", "steps", "window_start"]);
    let backwards = Request { window_start: Some(10), window_end: Some(5), ..Request::default() };
    let e = requirements(Submit, &backwards);
    assert!(e.iter().any(|e| e.field == "window_end" && e.code == "ends_before_start"));
    assert_eq!(check_window(Some(5), Some(5))[0].code, "ends_before_start");
    assert!(check_window(Some(5), Some(6)).is_empty());
    let emergency = Request {
        change_type: Some(ChangeType::Emergency),
        content: "更换故障电源",
        reason: "电源告警",
        rollback_plan: "换回原电源",
        steps: 1,
        ..Request::default()
    };
    assert!(requirements(Submit, &emergency).is_empty(), "an emergency may be scheduled as it happens");
    let start: Vec<String> = requirements(Start, &Request::default()).into_iter().map(|e| e.field).collect();
    assert_eq!(start, ["rollback_plan", "backup_plan"]);
}

#[test]
fn implementation_starts_inside_the_window_or_with_a_reason() {
    let w = (Some(100), Some(200));
    assert!(start_allowed(150, w, ChangeType::Normal, "").is_ok());
    assert_eq!(start_allowed(99, w, ChangeType::Normal, ""), Err("change_outside_window"));
    assert_eq!(start_allowed(200, w, ChangeType::Normal, "  "), Err("change_outside_window"));
    assert!(start_allowed(250, w, ChangeType::Normal, "窗口内未完成备份，经值班经理同意顺延").is_ok());
    assert!(start_allowed(5, (None, None), ChangeType::Emergency, "").is_ok());
    assert!(start_allowed(5, (None, None), ChangeType::Normal, "").is_err());
}

#[test]
fn nobody_approves_their_own_change_or_votes_twice() {
    let (req, imp, cab) = (UserId(1), UserId(2), UserId(3));
    assert_eq!(may_vote(req, Some(req), Some(imp), &[]), Err("change_own_approval"));
    assert_eq!(may_vote(imp, Some(req), Some(imp), &[]), Err("change_own_approval"));
    assert!(may_vote(cab, Some(req), Some(imp), &[]).is_ok());
    let cast = [Cast { voter: cab, vote: Vote::Approve }];
    assert_eq!(may_vote(cab, Some(req), Some(imp), &cast), Err("change_already_voted"));
}

#[test]
fn one_rejection_rejects_and_joint_review_needs_distinct_approvals() {
    let a = |n, vote| Cast { voter: UserId(n), vote };
    assert_eq!(outcome(&[], 1), Outcome::Pending { have: 0, need: 1 });
    assert_eq!(outcome(&[a(1, Vote::Approve)], 1), Outcome::Approved);
    assert_eq!(outcome(&[a(1, Vote::Approve)], 2), Outcome::Pending { have: 1, need: 2 });
    assert_eq!(outcome(&[a(1, Vote::Approve), a(2, Vote::Approve)], 2), Outcome::Approved);
    assert_eq!(outcome(&[a(1, Vote::Approve), a(2, Vote::Reject)], 2), Outcome::Rejected);
    assert_eq!(RiskLevel::High.approvals_needed(), 2);
    assert_eq!(RiskLevel::Critical.approvals_needed(), 3);
    assert_eq!(RiskLevel::Medium.approvals_needed(), 1);
}

fn answers(v: u8) -> Vec<(String, u8)> {
    default_questions().into_iter().map(|q| (q.key, v)).collect()
}

#[test]
fn the_questionnaire_sets_the_base_level() {
    let q = default_questions();
    assert_eq!(assess(&q, &answers(0), CmdbFacts::default()).level, RiskLevel::Low);
    assert_eq!(assess(&q, &answers(1), CmdbFacts::default()).level, RiskLevel::Medium);
    assert_eq!(assess(&q, &answers(2), CmdbFacts::default()).level, RiskLevel::High);
    let all = assess(&q, &answers(3), CmdbFacts::default());
    assert_eq!((all.level, all.score), (RiskLevel::Critical, 100));
    assert_eq!(assess(&q, &[], CmdbFacts::default()).score, 0, "a missing answer counts 0");
    assert_eq!(assess(&[], &[], CmdbFacts::default()).level, RiskLevel::Low);
}

#[test]
fn the_cmdb_raises_the_level_unless_redundancy_keeps_services_up() {
    let q = default_questions();
    let kept_up = assess(&q, &answers(0), CmdbFacts { services: 3, services_down: 0, critical_down: 0 });
    assert_eq!(kept_up.level, RiskLevel::Low);
    assert!(kept_up.reasons.iter().any(|r| r.code == "redundancy"));
    let down = assess(&q, &answers(0), CmdbFacts { services: 1, services_down: 1, critical_down: 0 });
    assert_eq!(down.level, RiskLevel::Medium);
    let critical = assess(&q, &answers(0), CmdbFacts { services: 1, services_down: 1, critical_down: 1 });
    assert_eq!(critical.level, RiskLevel::High);
    let many = assess(&q, &answers(0), CmdbFacts { services: 6, services_down: 6, critical_down: 1 });
    assert_eq!(many.level, RiskLevel::Critical);
    assert_eq!(many.reasons.last().map(|r| r.code.as_str()), Some("result"));
}

#[test]
fn answers_are_checked_by_question() {
    let q = default_questions();
    assert!(check_answers(&q, &answers(3)).is_empty());
    let bad = check_answers(&q, &[("complexity".into(), 4), ("colour".into(), 1)]);
    assert_eq!(bad[0].field, "risk_answers.complexity");
    assert_eq!(bad[1].code, "not_found");
}

#[test]
fn numbers_round_trip() {
    assert_eq!(number(12), "CHG-000012");
    assert_eq!(parse_number("chg-000012"), Some(12));
    assert_eq!(parse_number("INC-000012"), None);
}
