use super::suggest::{self, Basis, IncidentFact, Rule};
use super::*;
use std::collections::BTreeMap;

const DAY: i64 = 86_400_000;

fn inc(id: i64, day: i64, ci: Option<i64>) -> IncidentFact {
    IncidentFact { id, created_at: day * DAY, ci, category: Some(9), service: None, major: false }
}

fn ci_rule() -> Vec<Rule> {
    vec![Rule { basis: Basis::Ci, threshold: 3, window_days: 7 }]
}

#[test]
fn moves_follow_the_lifecycle() {
    use ProblemState::*;
    use ProblemTransition as T;
    assert_eq!(next(New, T::Start), Some(Investigating));
    assert_eq!(next(Investigating, T::KnownError), Some(KnownError));
    assert_eq!(next(KnownError, T::Resolve), Some(Resolved));
    assert_eq!(next(Resolved, T::Close), Some(Closed));
    assert_eq!(next(Resolved, T::Reopen), Some(Investigating));
    assert_eq!(next(New, T::Close), None);
    assert_eq!(next(Closed, T::Reopen), None);
    assert_eq!(next(Closed, T::Start), None);
    assert!(!Resolved.is_open() && Investigating.is_open());
}

#[test]
fn moves_name_what_they_miss() {
    let empty = Facts::default();
    let fields = |t| requirements(t, &empty).into_iter().map(|e| e.field).collect::<Vec<_>>();
    assert_eq!(fields(ProblemTransition::KnownError), ["symptom", "root_cause", "workaround"]);
    assert_eq!(fields(ProblemTransition::Close), ["review_lessons", "review_improvement"]);
    let open = Facts { root_cause: "固件缺陷", open_measures: 2, ..Facts::default() };
    let e = requirements(ProblemTransition::Resolve, &open);
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("measures", "measures_open"));
    let reviewed = Facts { review_lessons: "上线前做压测", review_decided: true, ..Facts::default() };
    assert!(requirements(ProblemTransition::Close, &reviewed).is_empty());
    assert!(requirements(ProblemTransition::Start, &empty).is_empty());
}

#[test]
fn three_on_one_ci_within_the_window_suggest() {
    let facts = [inc(1, 1, Some(5)), inc(2, 3, Some(5)), inc(3, 6, Some(5)), inc(4, 6, Some(6))];
    let c = suggest::evaluate(&ci_rule(), &facts, &BTreeMap::new(), 7 * DAY);
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].basis, c[0].subject, c[0].incidents.clone()), (Basis::Ci, 5, vec![1, 2, 3]));
    assert_eq!(c[0].last_at, 6 * DAY);
    // Ten days on, the first has left the window.
    assert!(suggest::evaluate(&ci_rule(), &facts, &BTreeMap::new(), 10 * DAY).is_empty());
    // Two are not three.
    assert!(suggest::evaluate(&ci_rule(), &facts[1..], &BTreeMap::new(), 7 * DAY).is_empty());
}

#[test]
fn a_dismissed_window_is_not_suggested_again() {
    let facts = [inc(1, 1, Some(5)), inc(2, 2, Some(5)), inc(3, 3, Some(5))];
    let mut covered = BTreeMap::new();
    covered.insert((Basis::Ci, 5), 3 * DAY);
    assert!(suggest::evaluate(&ci_rule(), &facts, &covered, 4 * DAY).is_empty());
    // One more is not a new run of three; three more are.
    let more = [facts.as_slice(), &[inc(4, 4, Some(5))]].concat();
    assert!(suggest::evaluate(&ci_rule(), &more, &covered, 5 * DAY).is_empty());
    let run = [more.as_slice(), &[inc(5, 5, Some(5)), inc(6, 5, Some(5))]].concat();
    let c = suggest::evaluate(&ci_rule(), &run, &covered, 6 * DAY);
    assert_eq!(c[0].incidents, vec![4, 5, 6]);
}

#[test]
fn category_and_service_rules_and_majors() {
    let rules =
        vec![Rule { basis: Basis::Category, threshold: 2, window_days: 3 }, Rule { basis: Basis::Service, threshold: 2, window_days: 3 }];
    let mut facts = vec![inc(1, 1, None), inc(2, 2, None)];
    facts[1].major = true;
    let c = suggest::evaluate(&rules, &facts, &BTreeMap::new(), 3 * DAY);
    let keys: Vec<_> = c.iter().map(|c| (c.basis, c.subject)).collect();
    assert_eq!(keys, [(Basis::Category, 9), (Basis::Major, 2)]);
    // A major incident already covered (dismissed or accepted) is not suggested again.
    let covered: BTreeMap<_, _> = [((Basis::Major, 2), 2 * DAY)].into_iter().collect();
    assert!(suggest::evaluate(&rules, &facts, &covered, 3 * DAY).iter().all(|c| c.basis != Basis::Major));
}

#[test]
fn rules_are_checked() {
    assert!(suggest::validate_rules(&suggest::default_rules()).is_ok());
    let bad = [Rule { basis: Basis::Major, threshold: 1, window_days: 365 }];
    let Err(crate::DomainError::Validation(e)) = suggest::validate_rules(&bad) else { panic!("accepted") };
    let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["rules[0].basis", "rules[0].threshold", "rules[0].window_days"]);
    assert_eq!(suggest::lookback(&suggest::default_rules()), 14 * DAY);
    assert!(ProblemSettings::default().validate().is_ok());
}

#[test]
fn rca_and_measures() {
    let mut rca = Rca { whys: vec!["为什么宕机？内存耗尽".into()], ..Rca::default() };
    rca.hypotheses.push(Hypothesis { text: "连接池泄漏".into(), status: HypothesisStatus::Confirmed, evidence: String::new() });
    rca.hypotheses.push(Hypothesis { text: "磁盘满".into(), status: HypothesisStatus::Refuted, evidence: String::new() });
    assert!(rca.validate().is_ok());
    assert_eq!(rca.confirmed().count(), 1);
    rca.timeline = vec![RcaEvent { at: 5, text: "告警".into() }, RcaEvent { at: 1, text: "变更".into() }];
    rca.whys.push("  ".into());
    let Err(crate::DomainError::Validation(e)) = rca.validate() else { panic!("accepted") };
    let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["whys[1]", "timeline"]);
    assert!(overdue(Some(10), None, 11));
    assert!(!overdue(Some(10), Some(9), 11));
    assert!(!overdue(None, None, 11));
    assert_eq!(parse_number(&number(12)), Some(12));
    assert_eq!(Fishbone::ALL.len(), 5);
}
