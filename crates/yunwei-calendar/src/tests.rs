use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn ts(s: &str, tz: &str) -> Timestamp {
    s.parse::<jiff::civil::DateTime>().unwrap().to_zoned(TimeZone::get(tz).unwrap()).unwrap().timestamp()
}

fn office_with_2026_national_day() -> Calendar {
    // A week of holidays with a make-up working Saturday, in the shape the State Council publishes.
    let mut spec = CalendarSpec::office("Asia/Shanghai");
    for d in 1..=7 {
        spec.holidays.insert(date(2026, 10, d));
    }
    spec.makeup_days.insert(date(2026, 10, 10));
    Calendar::new(&spec).unwrap()
}

#[test]
fn deadlines_skip_nights_weekends_and_holidays() {
    let cal = Calendar::new(&CalendarSpec::office("Asia/Shanghai")).unwrap();
    // Friday 17:00 + 2 business hours = Monday 10:00.
    assert_eq!(cal.add(ts("2026-11-20T17:00", "Asia/Shanghai"), 2 * 3600), Some(ts("2026-11-23T10:00", "Asia/Shanghai")));
    // The lunch break does not count.
    assert_eq!(cal.add(ts("2026-11-23T11:00", "Asia/Shanghai"), 2 * 3600), Some(ts("2026-11-23T14:30", "Asia/Shanghai")));
    // Outside hours the clock starts at the next opening.
    assert_eq!(cal.add(ts("2026-11-22T03:00", "Asia/Shanghai"), 60), Some(ts("2026-11-23T09:01", "Asia/Shanghai")));
    let holiday = office_with_2026_national_day();
    // 30 Sep (Wed) 17:00 + 2 h: the holiday week is skipped, Thu 8 Oct 10:00.
    assert_eq!(holiday.add(ts("2026-09-30T17:00", "Asia/Shanghai"), 2 * 3600), Some(ts("2026-10-08T10:00", "Asia/Shanghai")));
    // The make-up Saturday is worked.
    assert!(holiday.is_working_day(date(2026, 10, 10)));
    assert!(!holiday.is_working_day(date(2026, 10, 11)));
    assert_eq!(holiday.add(ts("2026-10-09T17:30", "Asia/Shanghai"), 3600), Some(ts("2026-10-10T09:30", "Asia/Shanghai")));
}

#[test]
fn business_time_between() {
    let cal = Calendar::new(&CalendarSpec::office("Asia/Shanghai")).unwrap();
    assert_eq!(cal.between(ts("2026-11-23T08:00", "Asia/Shanghai"), ts("2026-11-23T20:00", "Asia/Shanghai")), (3 * 60 + 4 * 60 + 30) * 60);
    assert_eq!(cal.between(ts("2026-11-21T00:00", "Asia/Shanghai"), ts("2026-11-22T23:59", "Asia/Shanghai")), 0, "a weekend has none");
    assert_eq!(cal.between(ts("2026-11-23T12:00", "Asia/Shanghai"), ts("2026-11-23T10:00", "Asia/Shanghai")), 0);
    assert_eq!(Calendar::always().between(Timestamp::from_second(0).unwrap(), Timestamp::from_second(90).unwrap()), 90);
}

#[test]
fn invalid_calendars_are_refused() {
    let mut none = CalendarSpec::office("Asia/Shanghai");
    none.week = Default::default();
    assert_eq!(Calendar::new(&none).unwrap_err(), CalendarError::NoWorkingTime);
    let mut overlap = CalendarSpec::office("Asia/Shanghai");
    overlap.week[0] = vec![Span::hours(9, 12), Span::hours(11, 13)];
    assert_eq!(Calendar::new(&overlap).unwrap_err(), CalendarError::Overlap);
    let mut bad = CalendarSpec::office("Asia/Shanghai");
    bad.week[0] = vec![Span { start: 600, end: 500 }];
    assert_eq!(Calendar::new(&bad).unwrap_err(), CalendarError::BadSpan);
    assert!(matches!(Calendar::new(&CalendarSpec::office("Mars/Olympus")), Err(CalendarError::UnknownTimeZone(_))));
}

#[test]
fn daylight_saving_days_count_real_time() {
    // Berlin springs forward on 29 March 2026 at 02:00: a 00:00–06:00 span there lasts 5 hours.
    let mut spec = CalendarSpec::office("Europe/Berlin");
    spec.week = Default::default();
    spec.week[6] = vec![Span::hours(0, 6)];
    let cal = Calendar::new(&spec).unwrap();
    assert_eq!(cal.between(ts("2026-03-29T00:00", "Europe/Berlin"), ts("2026-03-29T06:00", "Europe/Berlin")), 5 * 3600);
    // And on 25 October it falls back: the same span lasts 7 hours.
    assert_eq!(cal.between(ts("2026-10-25T00:00", "Europe/Berlin"), ts("2026-10-25T06:00", "Europe/Berlin")), 7 * 3600);
}

fn calendars() -> impl Strategy<Value = Calendar> {
    prop_oneof![
        Just(Calendar::new(&CalendarSpec::office("Asia/Shanghai")).unwrap()),
        Just(office_with_2026_national_day()),
        Just(Calendar::new(&CalendarSpec::office("Europe/Berlin")).unwrap()),
        Just(Calendar::new(&CalendarSpec::office("America/New_York")).unwrap()),
        Just(Calendar::always()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Adding business time then measuring it back returns the same duration.
    #[test]
    fn add_then_between_round_trips(cal in calendars(), start in 1_767_225_600i64..1_830_297_600, secs in 0i64..3_000_000) {
        let start = Timestamp::from_second(start).unwrap();
        let end = cal.add(start, secs).unwrap();
        prop_assert!(end >= start);
        prop_assert_eq!(cal.between(start, end), secs);
    }

    /// Business time is additive over any split point.
    #[test]
    fn between_is_additive(cal in calendars(), a in 1_767_225_600i64..1_830_297_600, d1 in 0i64..2_000_000, d2 in 0i64..2_000_000) {
        let (t0, t1, t2) = (Timestamp::from_second(a).unwrap(), Timestamp::from_second(a + d1).unwrap(), Timestamp::from_second(a + d1 + d2).unwrap());
        prop_assert_eq!(cal.between(t0, t2), cal.between(t0, t1) + cal.between(t1, t2));
        prop_assert!(cal.between(t0, t2) <= d1 + d2);
    }
}
