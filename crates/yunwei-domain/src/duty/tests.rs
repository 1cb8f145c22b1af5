//! The shift maths: rotations in a zone without daylight saving (Asia/Shanghai) and one with
//! it (America/New_York), restrictions, layer precedence, overrides and anchored members.

use super::rotation::{MAX_LENGTH, Rotation, parse_rule};
use super::*;
use jiff::civil::{date, datetime, time};
use proptest::prelude::*;

fn sh() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap()
}

fn ny() -> TimeZone {
    TimeZone::get("America/New_York").unwrap()
}

fn at(tz: &TimeZone, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
    local_instant(datetime(y, mo, d, h, mi, 0, 0), tz)
}

fn member(user: i64, joined: Timestamp) -> Member {
    Member { user, position: user, joined, left: None }
}

fn layer(id: i64, kind: RotationKind, length: i64, starts: DateTime, users: &[i64], tz: &TimeZone) -> LayerSpec {
    let joined = local_instant(starts, tz);
    LayerSpec {
        id,
        rank: id,
        kind,
        length,
        rule: String::new(),
        starts,
        ends: None,
        responders: 1,
        restriction: Restriction::default(),
        members: users.iter().map(|u| member(*u, joined)).collect(),
    }
}

fn always(_: Date) -> bool {
    true
}

fn who(r: &Roster, t: Timestamp) -> Vec<i64> {
    r.on_call(t, &weekdays).users
}

#[test]
fn a_daily_rotation_hands_over_at_nine_in_shanghai() {
    let tz = sh();
    let l = layer(1, RotationKind::Daily, 1, datetime(2026, 12, 7, 9, 0, 0, 0), &[10, 20, 30], &tz);
    let r = Roster::new(tz.clone(), &[l], Vec::new()).unwrap();
    assert_eq!(who(&r, at(&tz, 2026, 12, 7, 8, 59)), Vec::<i64>::new(), "before the layer starts nobody");
    assert_eq!(who(&r, at(&tz, 2026, 12, 7, 9, 0)), vec![10]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 8, 8, 59)), vec![10]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 8, 9, 0)), vec![20]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 9, 23, 0)), vec![30]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 10, 9, 0)), vec![10], "round again");
    assert_eq!(who(&r, at(&tz, 2027, 12, 7, 9, 0)), vec![[10, 20, 30][(365 % 3) as usize]], "a year on, by arithmetic");
}

#[test]
fn a_weekly_rotation_of_two_weeks_turns_on_its_anchor_weekday() {
    let tz = sh();
    // Monday 2026-12-07 09:30.
    let l = layer(1, RotationKind::Weekly, 2, datetime(2026, 12, 7, 9, 30, 0, 0), &[1, 2], &tz);
    let r = Roster::new(tz.clone(), &[l], Vec::new()).unwrap();
    assert_eq!(who(&r, at(&tz, 2026, 12, 20, 23, 0)), vec![1]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 21, 9, 29)), vec![1]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 21, 9, 30)), vec![2]);
    assert_eq!(who(&r, at(&tz, 2027, 1, 4, 9, 30)), vec![1]);
}

#[test]
fn handoffs_keep_their_wall_clock_time_across_daylight_saving() {
    let tz = ny();
    // US clocks go forward on 2026-03-08 at 02:00 and back on 2026-11-01 at 02:00.
    let rot = Rotation::new(RotationKind::Daily, 1, "", datetime(2026, 3, 6, 9, 0, 0, 0)).unwrap();
    let starts: Vec<Timestamp> = (0..4).map(|k| rot.slot_instant(k, &tz)).collect();
    let hours: Vec<i64> = starts.windows(2).map(|w| (w[1].as_second() - w[0].as_second()) / 3600).collect();
    assert_eq!(hours, vec![24, 23, 24], "the spring-forward day's shift is 23 hours");
    for s in &starts {
        assert_eq!(tz.to_datetime(*s).time(), time(9, 0, 0, 0));
    }
    let fall = Rotation::new(RotationKind::Daily, 1, "", datetime(2026, 10, 31, 9, 0, 0, 0)).unwrap();
    assert_eq!((fall.slot_instant(1, &tz).as_second() - fall.slot_instant(0, &tz).as_second()) / 3600, 25);
    // A handoff at 02:30 on the spring-forward day does not exist: it happens after the jump.
    let gap = Rotation::new(RotationKind::Daily, 1, "", datetime(2026, 3, 7, 2, 30, 0, 0)).unwrap();
    assert_eq!(tz.to_datetime(gap.slot_instant(1, &tz)).time(), time(3, 30, 0, 0));
    // Who is on call follows the local clock on both sides of the jump.
    let l = layer(1, RotationKind::Daily, 1, datetime(2026, 3, 6, 9, 0, 0, 0), &[1, 2, 3], &tz);
    let r = Roster::new(tz.clone(), &[l], Vec::new()).unwrap();
    assert_eq!(who(&r, at(&tz, 2026, 3, 8, 8, 59)), vec![2]);
    assert_eq!(who(&r, at(&tz, 2026, 3, 8, 9, 0)), vec![3]);
}

#[test]
fn custom_rules_give_several_handoffs_a_period() {
    let anchor = datetime(2026, 12, 7, 8, 0, 0, 0);
    let twelve = parse_rule("RRULE:FREQ=DAILY;BYHOUR=8,20", anchor).unwrap();
    assert_eq!(twelve.per_period(), 2);
    assert_eq!(twelve.slot_start(0), anchor);
    assert_eq!(twelve.slot_start(1), datetime(2026, 12, 7, 20, 0, 0, 0));
    assert_eq!(twelve.slot_start(2), datetime(2026, 12, 8, 8, 0, 0, 0));
    assert_eq!(twelve.slot_at(datetime(2026, 12, 8, 7, 59, 0, 0)), 1);
    assert_eq!(twelve.slot_at(datetime(2026, 12, 7, 7, 0, 0, 0)), -1, "before the first handoff: the previous slot");
    // Monday and Thursday at 09:00, every week: Monday's shift is three days, Thursday's four.
    let mo_th = parse_rule("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;BYHOUR=9;BYMINUTE=0", datetime(2026, 12, 9, 9, 0, 0, 0)).unwrap();
    assert_eq!(mo_th.slot_start(0), datetime(2026, 12, 7, 9, 0, 0, 0), "periods start on the anchor's Monday");
    assert_eq!(mo_th.slot_start(1), datetime(2026, 12, 10, 9, 0, 0, 0));
    assert_eq!(mo_th.slot_start(2), datetime(2026, 12, 14, 9, 0, 0, 0));
    let every_other = parse_rule("FREQ=WEEKLY;INTERVAL=2", datetime(2026, 12, 8, 18, 0, 0, 0)).unwrap();
    assert_eq!(every_other.slot_start(1), datetime(2026, 12, 22, 18, 0, 0, 0));
}

#[test]
fn rules_outside_the_subset_are_refused() {
    let anchor = datetime(2026, 12, 7, 8, 0, 0, 0);
    for bad in [
        "FREQ=MONTHLY",
        "FREQ=DAILY;COUNT=3",
        "FREQ=DAILY;BYDAY=MO",
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=DAILY;BYHOUR=24",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=WEEKLY;WKST=SU",
        "",
        "garbage",
    ] {
        assert_eq!(parse_rule(bad, anchor), Err(RotationError::Rule), "{bad}");
    }
    assert_eq!(Rotation::new(RotationKind::Daily, 0, "", anchor), Err(RotationError::Length));
    assert_eq!(Rotation::new(RotationKind::Weekly, MAX_LENGTH + 1, "", anchor).map(|_| ()), Err(RotationError::Length));
}

#[test]
fn a_night_layer_takes_precedence_over_the_day_layer_only_at_night() {
    let tz = sh();
    let day = layer(1, RotationKind::Weekly, 1, datetime(2026, 12, 7, 9, 0, 0, 0), &[1], &tz);
    let mut night = layer(2, RotationKind::Daily, 1, datetime(2026, 12, 7, 18, 0, 0, 0), &[7, 8], &tz);
    night.restriction = Restriction { days: DayRestriction::Any, window: Some((time(18, 0, 0, 0), time(8, 0, 0, 0))) };
    let r = Roster::new(tz.clone(), &[night, day], Vec::new()).unwrap();
    assert_eq!(who(&r, at(&tz, 2026, 12, 7, 12, 0)), vec![1]);
    assert_eq!(r.on_call(at(&tz, 2026, 12, 7, 19, 0), &always).layer, Some(2));
    assert_eq!(who(&r, at(&tz, 2026, 12, 8, 7, 59)), vec![7]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 8, 8, 0)), vec![1], "08:00: back to the day layer");
    assert_eq!(who(&r, at(&tz, 2026, 12, 8, 18, 0)), vec![8]);
}

#[test]
fn working_day_layers_follow_the_business_calendar_with_make_up_days() {
    let tz = sh();
    // 2026-10-01..07 National Day holidays; Saturday 2026-10-10 is a make-up working day (调休).
    let working = |d: Date| {
        let holiday = d >= date(2026, 10, 1) && d <= date(2026, 10, 7);
        (weekdays(d) && !holiday) || d == date(2026, 10, 10)
    };
    let base = layer(1, RotationKind::Weekly, 1, datetime(2026, 9, 28, 0, 0, 0, 0), &[99], &tz);
    let mut office = layer(2, RotationKind::Daily, 1, datetime(2026, 9, 28, 9, 0, 0, 0), &[5], &tz);
    office.restriction = Restriction { days: DayRestriction::WorkingDays, window: Some((time(9, 0, 0, 0), time(17, 0, 0, 0))) };
    let r = Roster::new(tz.clone(), &[base, office], Vec::new()).unwrap();
    assert_eq!(r.on_call(at(&tz, 2026, 9, 30, 10, 0), &working).users, vec![5], "an ordinary Wednesday");
    assert_eq!(r.on_call(at(&tz, 2026, 10, 2, 10, 0), &working).users, vec![99], "a holiday Friday");
    assert_eq!(r.on_call(at(&tz, 2026, 10, 10, 10, 0), &working).users, vec![5], "the make-up Saturday is worked");
    assert_eq!(r.on_call(at(&tz, 2026, 10, 11, 10, 0), &working).users, vec![99]);
    assert_eq!(r.on_call(at(&tz, 2026, 10, 9, 17, 0), &working).users, vec![99], "the window closes at 17:00");
    let mut holidays = layer(3, RotationKind::Daily, 1, datetime(2026, 9, 28, 0, 0, 0, 0), &[6], &tz);
    holidays.restriction.days = DayRestriction::NonWorkingDays;
    let r =
        Roster::new(tz.clone(), &[holidays, layer(1, RotationKind::Weekly, 1, datetime(2026, 9, 28, 0, 0, 0, 0), &[99], &tz)], Vec::new())
            .unwrap();
    assert_eq!(r.on_call(at(&tz, 2026, 10, 3, 3, 0), &working).users, vec![6]);
    assert_eq!(r.on_call(at(&tz, 2026, 10, 10, 3, 0), &working).users, vec![99]);
}

#[test]
fn a_night_window_belongs_to_the_day_it_starts() {
    let nights_on_working_days = Restriction { days: DayRestriction::WorkingDays, window: Some((time(18, 0, 0, 0), time(8, 0, 0, 0))) };
    // Friday 2026-12-11 18:00 to Saturday 08:00 is Friday's night.
    assert!(nights_on_working_days.admits(datetime(2026, 12, 12, 7, 0, 0, 0), &weekdays));
    assert!(!nights_on_working_days.admits(datetime(2026, 12, 13, 7, 0, 0, 0), &weekdays), "Saturday's night");
    assert!(!nights_on_working_days.admits(datetime(2026, 12, 11, 12, 0, 0, 0), &weekdays), "daytime");
}

#[test]
fn several_responders_share_a_shift_in_turn() {
    let tz = sh();
    let mut l = layer(1, RotationKind::Daily, 1, datetime(2026, 12, 7, 9, 0, 0, 0), &[1, 2, 3, 4, 5], &tz);
    l.responders = 2;
    let r = Roster::new(tz.clone(), &[l], Vec::new()).unwrap();
    assert_eq!(who(&r, at(&tz, 2026, 12, 7, 10, 0)), vec![1, 2]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 8, 10, 0)), vec![3, 4]);
    assert_eq!(who(&r, at(&tz, 2026, 12, 9, 10, 0)), vec![5, 1]);
    let mut small = layer(1, RotationKind::Daily, 1, datetime(2026, 12, 7, 9, 0, 0, 0), &[1], &tz);
    small.responders = 3;
    let r = Roster::new(tz.clone(), &[small], Vec::new()).unwrap();
    assert_eq!(who(&r, at(&tz, 2026, 12, 8, 10, 0)), vec![1], "never the same person twice");
}

#[test]
fn overrides_replace_one_person_or_everyone() {
    let tz = sh();
    let mut l = layer(1, RotationKind::Daily, 1, datetime(2026, 12, 7, 9, 0, 0, 0), &[1, 2, 3], &tz);
    l.responders = 2;
    let o = |id, user, replaces, h1, h2| Override {
        id,
        user,
        replaces,
        starts: at(&tz, 2026, 12, 7, h1, 0),
        ends: at(&tz, 2026, 12, 7, h2, 0),
    };
    let r = Roster::new(tz.clone(), &[l], vec![o(1, 9, Some(2), 10, 12), o(2, 8, None, 14, 16), o(3, 7, Some(3), 10, 12)]).unwrap();
    assert_eq!(who(&r, at(&tz, 2026, 12, 7, 9, 30)), vec![1, 2]);
    assert_eq!(
        r.on_call(at(&tz, 2026, 12, 7, 11, 0), &weekdays),
        OnCall { users: vec![1, 9], layer: Some(1), overrides: vec![1] },
        "3 is not on: override 3 does nothing"
    );
    assert_eq!(who(&r, at(&tz, 2026, 12, 7, 12, 0)), vec![1, 2], "the end is exclusive");
    assert_eq!(who(&r, at(&tz, 2026, 12, 7, 15, 0)), vec![8]);
    // An override covers a gap no layer covers.
    let r = Roster::new(tz.clone(), &[], vec![o(4, 6, None, 1, 2)]).unwrap();
    assert_eq!(who(&r, at(&tz, 2026, 12, 7, 1, 30)), vec![6]);
}

#[test]
fn shifts_cover_the_range_and_merge_equal_neighbours() {
    let tz = sh();
    let day = layer(1, RotationKind::Daily, 1, datetime(2026, 12, 7, 9, 0, 0, 0), &[1], &tz);
    let mut night = layer(2, RotationKind::Daily, 1, datetime(2026, 12, 7, 9, 0, 0, 0), &[2, 3], &tz);
    night.restriction.window = Some((time(20, 0, 0, 0), time(8, 0, 0, 0)));
    let r = Roster::new(tz.clone(), &[day, night], Vec::new()).unwrap();
    let (from, to) = (at(&tz, 2026, 12, 7, 0, 0), at(&tz, 2026, 12, 9, 0, 0));
    let s = r.shifts(from, to, &weekdays);
    assert_eq!(s.first().map(|s| s.starts), Some(from));
    assert_eq!(s.last().map(|s| s.ends), Some(to));
    assert!(s.windows(2).all(|w| w[0].ends == w[1].starts && w[0].on_call != w[1].on_call));
    let people: Vec<Vec<i64>> = s.iter().map(|s| s.on_call.users.clone()).collect();
    // 00–08 nobody (before the layers), 09–20 day, 20–08 night (2), 08–20 day, 20–24 night (3).
    assert_eq!(people, vec![vec![], vec![1], vec![2], vec![1], vec![3]]);
    assert_eq!(tz.to_datetime(s[1].starts).time(), time(9, 0, 0, 0));
}

#[test]
fn a_member_added_later_moves_no_past_shift_and_no_one_else_out_of_order() {
    let tz = sh();
    let start = datetime(2026, 12, 1, 9, 0, 0, 0);
    let before = layer(1, RotationKind::Daily, 1, start, &[1, 2, 3], &tz);
    let mut after = before.clone();
    // Added on the 10th at 15:00: effective at the next handoff, the 11th 09:00.
    after.members.push(member(4, at(&tz, 2026, 12, 10, 15, 0)));
    let (a, b) = (Roster::new(tz.clone(), &[before], vec![]).unwrap(), Roster::new(tz.clone(), &[after], vec![]).unwrap());
    for d in 1..=10 {
        let t = at(&tz, 2026, 12, d, 12, 0);
        assert_eq!(who(&a, t), who(&b, t), "day {d} unchanged");
    }
    assert_eq!(who(&a, at(&tz, 2026, 12, 11, 8, 0)), who(&b, at(&tz, 2026, 12, 11, 8, 0)), "the shift in progress is not cut");
    let seq = |r: &Roster| -> Vec<i64> { (11..=30).map(|d| who(r, at(&tz, 2026, 12, d, 12, 0))[0]).collect() };
    assert_eq!(seq(&a)[0], seq(&b)[0], "whoever was due next is still due next");
    let without_new: Vec<i64> = seq(&b).into_iter().filter(|u| *u != 4).collect();
    assert_eq!(without_new[..], seq(&a)[..without_new.len()], "the others keep their order");
}

#[test]
fn a_member_who_leaves_hands_their_turns_to_the_next_in_order() {
    let tz = sh();
    let start = datetime(2026, 12, 1, 9, 0, 0, 0);
    let before = layer(1, RotationKind::Daily, 1, start, &[1, 2, 3, 4], &tz);
    let mut after = before.clone();
    // Member 2 leaves on the 4th at 10:00 while on call (1st: 1, 2nd: 2, 3rd: 3, 4th: 4, 5th: 1, 6th: 2).
    after.members[1].left = Some(at(&tz, 2026, 12, 5, 10, 0));
    let (a, b) = (Roster::new(tz.clone(), &[before], vec![]).unwrap(), Roster::new(tz.clone(), &[after], vec![]).unwrap());
    for d in 1..=5 {
        assert_eq!(who(&a, at(&tz, 2026, 12, d, 12, 0)), who(&b, at(&tz, 2026, 12, d, 12, 0)));
    }
    let seq = |r: &Roster| -> Vec<i64> { (6..=20).map(|d| who(r, at(&tz, 2026, 12, d, 12, 0))[0]).collect() };
    assert_eq!(seq(&b)[..4], [3, 4, 1, 3], "2 was due on the 6th: 3 takes it, the order otherwise kept");
    let old_without: Vec<i64> = seq(&a).into_iter().filter(|u| *u != 2).collect();
    assert_eq!(seq(&b)[..old_without.len()], old_without[..]);
}

proptest! {
    /// For any team size, join time and position, adding one member changes nothing before the
    /// handoff after the join, and the others' sequence from then on is the old one.
    #[test]
    fn adding_anyone_anywhere_keeps_the_past_and_the_others_order(n in 1_i64..8, join_day in 0_i64..20, join_hour in 0_i8..24, pos in -1_i64..9, weekly in any::<bool>()) {
        let tz = sh();
        let kind = if weekly { RotationKind::Weekly } else { RotationKind::Daily };
        let users: Vec<i64> = (1..=n).collect();
        let before = layer(1, kind, 1, datetime(2026, 1, 5, 9, 0, 0, 0), &users, &tz);
        let mut after = before.clone();
        let joined = local_instant(add_days(date(2026, 1, 5), join_day).to_datetime(time(join_hour, 0, 0, 0)), &tz);
        after.members.push(Member { user: 100, position: pos, joined, left: None });
        let (a, b) = (Roster::new(tz.clone(), &[before], vec![]).unwrap(), Roster::new(tz.clone(), &[after], vec![]).unwrap());
        let step = if weekly { 7 } else { 1 };
        let sample: Vec<Timestamp> = (0..200).map(|k| local_instant(add_days(date(2026, 1, 5), k * step).to_datetime(time(12, 0, 0, 0)), &tz)).collect();
        let rot = Rotation::new(kind, 1, "", datetime(2026, 1, 5, 9, 0, 0, 0)).unwrap();
        let effective = rot.slot_instant(rot.first_slot_from(joined, &tz), &tz);
        let first_changed = sample.iter().position(|t| *t >= effective).unwrap_or(sample.len());
        for t in &sample[..first_changed] {
            prop_assert_eq!(who(&a, *t), who(&b, *t));
        }
        let old: Vec<i64> = sample[first_changed..].iter().map(|t| who(&a, *t)[0]).collect();
        let new: Vec<i64> = sample[first_changed..].iter().map(|t| who(&b, *t)[0]).filter(|u| *u != 100).collect();
        prop_assert_eq!(&new[..], &old[..new.len()]);
    }
}
