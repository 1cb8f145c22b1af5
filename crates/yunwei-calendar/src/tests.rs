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
        Just(Calendar::new(&CalendarSpec::china_office("Asia/Shanghai")).unwrap()),
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

/// The original, unoptimised algorithm: every working period of every day converted
/// through the time-zone database. The fast engine must agree with it everywhere.
fn reference_add(cal: &Calendar, start: Timestamp, seconds: i64) -> Option<Timestamp> {
    let start_s = start.as_second();
    if seconds <= 0 {
        return Some(start);
    }
    let mut left = seconds;
    let mut date = cal.local_date(start_s)?.yesterday().ok()?;
    for _ in 0..MAX_DAYS {
        for span in cal.spans_on(date) {
            let Some((a, b)) = cal.instants(date, *span) else { continue };
            let from = a.max(start_s);
            if from >= b {
                continue;
            }
            if b - from >= left {
                return Timestamp::from_second(from + left).ok();
            }
            left -= b - from;
        }
        date = date.tomorrow().ok()?;
    }
    None
}

fn reference_between(cal: &Calendar, from: Timestamp, to: Timestamp) -> i64 {
    let (f, t) = (from.as_second(), to.as_second());
    if t <= f {
        return 0;
    }
    let (Some(first), Some(last)) = (cal.local_date(f).and_then(|d| d.yesterday().ok()), cal.local_date(t)) else { return 0 };
    let mut total = 0;
    let mut date = first;
    while date <= last {
        for span in cal.spans_on(date) {
            if let Some((a, b)) = cal.instants(date, *span) {
                total += (b.min(t) - a.max(f)).max(0);
            }
        }
        match date.tomorrow() {
            Ok(d) => date = d,
            Err(_) => break,
        }
    }
    total
}

/// Zones with the awkward changes: DST at midnight (Santiago, São Paulo until 2019), half-hour
/// DST (Lord Howe), a skipped day (Apia, 30 Dec 2011), odd offsets (St John's, Kolkata, Kathmandu).
const ZONES: [&str; 12] = [
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Europe/London",
    "UTC",
];

/// Working periods that touch midnight and the small hours, where daylight saving bites.
fn night_spec(tz: &str) -> CalendarSpec {
    let mut spec = CalendarSpec::office(tz);
    let night = vec![Span { start: 0, end: 150 }, Span { start: 180, end: 200 }, Span { start: 1380, end: 1440 }];
    spec.week = std::array::from_fn(|i| if i == 2 { Vec::new() } else { night.clone() });
    spec.holidays.insert(date(2011, 12, 29));
    spec.makeup_days.insert(date(2011, 12, 31));
    spec.makeup_hours = vec![Span::hours(0, 24)];
    spec
}

fn any_calendar() -> impl Strategy<Value = Calendar> {
    (0..ZONES.len(), 0..3).prop_map(|(z, kind)| {
        let tz = ZONES[z];
        let spec = match kind {
            0 => CalendarSpec::office(tz),
            1 => CalendarSpec::china_office(tz),
            _ => night_spec(tz),
        };
        Calendar::new(&spec).unwrap()
    })
}

/// 1960 to 2110: before, across and after the range the engine precomputes.
fn any_instant() -> impl Strategy<Value = i64> {
    prop_oneof![-315_619_200i64..4_417_977_600, 1_293_840_000i64..1_330_000_000, 1_767_225_600i64..1_830_297_600]
}

fn any_duration() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 0i64..700_000, 1 => 0i64..40_000_000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// The fast engine gives the same deadlines as the unoptimised algorithm.
    #[test]
    fn fast_add_matches_reference(cal in any_calendar(), start in any_instant(), secs in any_duration()) {
        let start = Timestamp::from_second(start).unwrap();
        prop_assert_eq!(cal.add(start, secs), reference_add(&cal, start, secs));
    }

    /// ... and the same business time between two instants.
    #[test]
    fn fast_between_matches_reference(cal in any_calendar(), from in any_instant(), len in any_duration()) {
        let (from, to) = (Timestamp::from_second(from).unwrap(), Timestamp::from_second(from + len * 2).unwrap());
        prop_assert_eq!(cal.between(from, to), reference_between(&cal, from, to));
    }
}

#[test]
fn daylight_saving_edges_match_reference() {
    // Every hour across each change of 2026 (and Apia's skipped day), for a night-shift calendar.
    for tz in ZONES {
        let cal = Calendar::new(&night_spec(tz)).unwrap();
        let zone = TimeZone::get(tz).unwrap();
        let changes = zone.following(Timestamp::from_second(1_293_840_000).unwrap()).take(40).map(|t| t.timestamp().as_second());
        for change in changes {
            for h in -60..60 {
                let t = Timestamp::from_second(change + h * 1800).unwrap();
                for secs in [1, 1800, 3 * 3600, 20 * 3600, 100 * 3600] {
                    assert_eq!(cal.add(t, secs), reference_add(&cal, t, secs), "{tz} {t} + {secs}");
                }
                let later = Timestamp::from_second(change + 86_400 * 3).unwrap();
                assert_eq!(cal.between(t, later), reference_between(&cal, t, later), "{tz} {t}");
            }
        }
    }
}

#[test]
fn calendars_without_weekly_hours_search_far_and_give_up() {
    let mut spec = CalendarSpec::office("Europe/Berlin");
    spec.week = Default::default();
    spec.makeup_days.insert(date(2026, 10, 10));
    spec.makeup_days.insert(date(2030, 3, 30));
    let cal = Calendar::new(&spec).unwrap();
    let start = ts("2026-01-01T00:00", "Europe/Berlin");
    assert_eq!(cal.add(start, 3600), Some(ts("2026-10-10T10:00", "Europe/Berlin")));
    assert_eq!(cal.add(start, 8 * 3600), Some(ts("2030-03-30T09:30", "Europe/Berlin")));
    assert_eq!(cal.add(start, 20 * 3600), None, "no more working time");
    assert_eq!(cal.add(start, 20 * 3600), reference_add(&cal, start, 20 * 3600));
    assert_eq!(cal.between(start, ts("2031-01-01T00:00", "Europe/Berlin")), 15 * 3600);
}

#[test]
fn exact_whole_days_and_weeks_end_at_the_last_working_minute() {
    // Whole days and weeks are skipped by their totals; a target that uses one up exactly
    // must end when that day's work ends, not when the next day's begins.
    for tz in ["Asia/Shanghai", "Europe/Berlin"] {
        let cal = Calendar::new(&CalendarSpec::office(tz)).unwrap();
        let day = 27_000;
        let monday = ts("2026-11-23T00:00", tz);
        assert_eq!(cal.add(monday, day), Some(ts("2026-11-23T18:00", tz)));
        assert_eq!(cal.add(monday, 5 * day), Some(ts("2026-11-27T18:00", tz)));
        assert_eq!(cal.add(monday, 10 * day), Some(ts("2026-12-04T18:00", tz)));
        assert_eq!(cal.add(monday, 10 * day + 1), Some(ts("2026-12-07T09:00:01", tz)));
        assert_eq!(cal.add(ts("2026-11-21T12:00", tz), 50 * day), Some(ts("2027-01-29T18:00", tz)));
        assert_eq!(cal.between(monday, ts("2026-12-04T18:00", tz)), 10 * day);
        assert_eq!(cal.between(monday, ts("2027-01-29T17:59:59", tz)), 50 * day - 1);
    }
}

#[test]
fn day_numbers_round_trip() {
    for n in (-800_000i64..2_900_000).step_by(997).chain(-1000..1000) {
        let d = engine::date_of(n).unwrap();
        assert_eq!(engine::day_number(d), n);
    }
    assert_eq!(engine::day_number(date(1970, 1, 1)), 0);
    assert_eq!(engine::day_number(date(2026, 10, 1)), 20_727);
    assert_eq!(engine::date_of(20_727), Some(date(2026, 10, 1)));
    assert_eq!(engine::date_of(i64::MAX / 2), None);
}

#[test]
fn office_names_no_days() {
    assert!(CalendarSpec::office("Asia/Shanghai").day_names.is_empty());
}

#[test]
fn bench_checksum_covers_every_pair() {
    let cal = Calendar::new(&CalendarSpec::china_office("Asia/Shanghai")).unwrap();
    let starts = [ts("2026-09-30T17:00", "Asia/Shanghai"), ts("2026-02-13T17:00", "Asia/Shanghai")];
    let targets = [1800, 4 * 3600, 5 * 27_000];
    let mut expected = 0u64;
    for s in starts {
        for t in targets {
            expected = expected.wrapping_mul(31).wrapping_add(cal.add(s, t).unwrap().as_second() as u64);
        }
    }
    assert_eq!(bench_deadlines(&cal, &starts, &targets), expected);
    assert_eq!(bench_deadlines(&cal, &[], &targets), 0);
}

#[test]
fn a_year_is_complete_when_confirmed_or_holding_the_shipped_notice() {
    let china = CalendarSpec::china_office("Asia/Shanghai");
    let shipped: Vec<i16> = crate::holidays::china_mainland().years.clone();
    let last = *shipped.last().unwrap();
    assert!(china.years_incomplete(shipped.iter().copied(), &[]).is_empty(), "the shipped years are complete");
    assert_eq!(china.years_incomplete([last, last + 1], &[]), vec![last + 1], "the year after the data is a gap");
    assert!(CalendarSpec::office("Asia/Shanghai").years_incomplete([last, last + 1], &[]).is_empty(), "no holidays observed, no gaps");
    // One imported day of the next year does not make the year complete (issue 15, defect 3).
    let mut one_day = china.clone();
    one_day.holidays.insert(jiff::civil::date(last + 1, 1, 1));
    assert_eq!(one_day.years_incomplete([last, last + 1], &[]), vec![last + 1]);
    assert!(one_day.years_incomplete([last, last + 1], &[last + 1]).is_empty(), "the administrator confirmed it");
    // A calendar missing one day of the shipped notice does not hold the notice.
    let mut short = china.clone();
    let first = *short.holidays.iter().find(|d| d.year() == last).unwrap();
    short.holidays.remove(&first);
    assert_eq!(short.years_incomplete([last], &[]), vec![last]);
}
