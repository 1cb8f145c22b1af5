use super::*;
use proptest::prelude::*;

fn level(delay: u32) -> Level {
    Level { delay_minutes: delay, targets: vec![Target { kind: TargetKind::User, id: 1 }] }
}

const MIN: i64 = 60_000;

#[test]
fn levels_follow_their_delays_and_rounds_repeat() {
    let levels = [level(5), level(10)];
    let plan = Plan { levels: &levels, repeat: 1 };
    assert_eq!(plan.steps(), 4);
    let at: Vec<(usize, u32, i64)> = (0..5).filter_map(|s| plan.page(0, s)).map(|p| (p.level, p.round, p.due_at)).collect();
    assert_eq!(at, [(0, 0, 0), (1, 0, 5 * MIN), (0, 1, 15 * MIN), (1, 1, 20 * MIN)]);
}

#[test]
fn due_pages_are_those_not_sent_whose_time_has_come() {
    let levels = [level(0), level(0), level(30)];
    let plan = Plan { levels: &levels, repeat: 0 };
    // Two levels without a wait are paged together at the start.
    assert_eq!(plan.due(1000, 0, 1000).iter().map(|p| p.step).collect::<Vec<_>>(), [0, 1, 2]);
    let levels = [level(0), level(15), level(30)];
    let plan = Plan { levels: &levels, repeat: 0 };
    assert_eq!(plan.due(0, 0, 0).len(), 2);
    assert!(plan.due(0, 2, 15 * MIN - 1).is_empty());
    assert_eq!(plan.due(0, 2, 15 * MIN)[0].level, 2);
    // Late (the node was down): everything overdue goes out at once, in order.
    assert_eq!(plan.due(0, 0, 99 * MIN).len(), 3);
    assert!(plan.due(0, 3, 99 * MIN).is_empty());
}

#[test]
fn bad_policies_are_refused_by_the_field() {
    let fields = |e: Vec<FieldError>| e.into_iter().map(|e| format!("{}:{}", e.field, e.code)).collect::<Vec<_>>();
    assert_eq!(fields(check(&[], 0)), ["levels:required"]);
    let empty = Level { delay_minutes: 99_999, targets: vec![] };
    assert_eq!(fields(check(&[empty], 10)), ["repeat:out_of_range", "levels[0].targets:required", "levels[0].delay_minutes:out_of_range"]);
    assert_eq!(fields(check(&[level(0)], 2)), ["repeat:repeat_needs_delay"]);
    assert!(check(&[level(0), level(5)], 3).is_empty());
}

proptest! {
    /// Pages come in order and never early; asking step by step sends each exactly once.
    #[test]
    fn every_page_goes_out_once_in_order(delays in prop::collection::vec(0u32..120, 1..6), repeat in 0u32..4, start in 0i64..1_000_000, ticks in prop::collection::vec(0i64..40 * MIN, 1..60)) {
        let levels: Vec<Level> = delays.iter().map(|d| level(*d)).collect();
        let plan = Plan { levels: &levels, repeat };
        let mut sent: Vec<Page> = Vec::new();
        let mut now = start;
        for t in ticks {
            now += t;
            let next = u32::try_from(sent.len()).unwrap();
            for p in plan.due(start, next, now) {
                prop_assert!(p.due_at <= now);
                prop_assert_eq!(p.step, u32::try_from(sent.len()).unwrap());
                sent.push(p);
            }
            // Nothing left behind that was due.
            let left = plan.page(start, u32::try_from(sent.len()).unwrap());
            prop_assert!(left.is_none_or(|p| p.due_at > now));
        }
        for w in sent.windows(2) {
            prop_assert!(w[0].due_at <= w[1].due_at);
            prop_assert!(w[0].round <= w[1].round);
        }
        prop_assert!(sent.len() as u32 <= plan.steps());
        prop_assert!(sent.iter().all(|p| p.level < levels.len() && p.round <= repeat));
    }
}
