//! The mainland-China public-holiday arrangement, shipped with the code.
//!
//! Why bundled: the State Council publishes each year's holidays and make-up
//! working days (调休) once, in a notice, and a bank's SLA clocks must know them
//! offline. The data lives in `data/cn-mainland.csv` (the CSV format of
//! [`crate::csv`]) whose `# source:` and `# years:` comment lines say where it
//! comes from and which years it covers completely; a year not listed there has
//! no holidays here, so callers should warn when a calendar runs past them.

use crate::days::ImportedDays;
use crate::{CalendarSpec, csv};
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const CN_MAINLAND: &str = include_str!("../data/cn-mainland.csv");

/// One region's official holidays and make-up working days, with their names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayData {
    /// The notice(s) the dates come from, with their address.
    pub source: &'static str,
    /// The years covered completely, in order.
    pub years: Vec<i16>,
    pub holidays: BTreeMap<Date, String>,
    pub makeup_days: BTreeMap<Date, String>,
}

impl HolidayData {
    /// Whether the data covers `year` completely (no data is not "no holidays").
    pub fn covers(&self, year: i16) -> bool {
        self.years.contains(&year)
    }
}

/// Mainland China, from the State Council's notices. Parsed once; the file is
/// part of the build and a test proves it parses, so a failure here is a bug.
pub fn china_mainland() -> &'static HolidayData {
    static DATA: OnceLock<HolidayData> = OnceLock::new();
    DATA.get_or_init(|| parse(CN_MAINLAND).expect("data/cn-mainland.csv is checked by holidays::tests"))
}

/// Reads a bundled data file: the days as CSV, plus its `# source:` and `# years:` lines.
fn parse(text: &'static str) -> Result<HolidayData, String> {
    let days = csv::import_csv(text).map_err(|e| e.to_string())?;
    let comment =
        |key: &str| text.lines().find_map(|l| l.strip_prefix('#').map(str::trim).and_then(|l| l.strip_prefix(key)).map(str::trim));
    let source = comment("source:").filter(|s| !s.is_empty()).ok_or("no '# source:' line")?;
    let years = comment("years:").ok_or("no '# years:' line")?;
    let mut years: Vec<i16> =
        years.split(',').map(|y| y.trim().parse().map_err(|_| format!("bad year {y:?}"))).collect::<Result<_, _>>()?;
    years.sort_unstable();
    years.dedup();
    Ok(HolidayData { source, years, holidays: days.holidays, makeup_days: days.makeup_days })
}

impl CalendarSpec {
    /// [`CalendarSpec::office`] hours with mainland China's public holidays and
    /// make-up working days (named), the usual calendar of a Chinese bank's back office.
    pub fn china_office(time_zone: &str) -> CalendarSpec {
        let mut spec = CalendarSpec::office(time_zone);
        let data = china_mainland();
        ImportedDays { holidays: data.holidays.clone(), makeup_days: data.makeup_days.clone() }.apply_to(&mut spec);
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Calendar;
    use jiff::Timestamp;
    use jiff::civil::{Weekday, date};
    use jiff::tz::TimeZone;

    #[test]
    fn bundled_file_parses_and_names_its_source() {
        let data = parse(CN_MAINLAND).unwrap();
        assert_eq!(&data, china_mainland());
        assert!(data.source.contains("国务院办公厅关于2026年部分节假日安排的通知"));
        assert!(data.source.contains("https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm"));
        assert_eq!(data.years, vec![2026]);
        assert!(data.covers(2026) && !data.covers(2027));
        // Every year listed has holidays, and every day belongs to a listed year
        // (or is next to one: New Year holidays may start on 31 December).
        for y in &data.years {
            assert!(data.holidays.keys().any(|d| d.year() == *y), "{y} has no holidays");
        }
        for d in data.holidays.keys().chain(data.makeup_days.keys()) {
            assert!(data.years.iter().any(|y| (d.year() - y).abs() <= 1), "{d} is outside the years listed");
        }
        // Make-up days are weekend days, or they would change nothing.
        for d in data.makeup_days.keys() {
            assert!(matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday), "{d}");
        }
        assert!(data.holidays.values().chain(data.makeup_days.values()).all(|n| !n.is_empty()));
    }

    /// The 2026 notice, day by day (33 days off, 6 make-up working days).
    #[test]
    fn matches_the_2026_notice() {
        let data = china_mainland();
        let runs = [
            ("元旦", (1, 1), 3),
            ("春节", (2, 15), 9),
            ("清明节", (4, 4), 3),
            ("劳动节", (5, 1), 5),
            ("端午节", (6, 19), 3),
            ("中秋节", (9, 25), 3),
            ("国庆节", (10, 1), 7),
        ];
        let mut expected = BTreeMap::new();
        for (name, (m, d), len) in runs {
            for i in 0..len {
                expected.insert(date(2026, m, d + i), name.to_string());
            }
        }
        assert_eq!(data.holidays, expected);
        let workdays: Vec<(Date, &str)> = data.makeup_days.iter().map(|(d, n)| (*d, n.as_str())).collect();
        assert_eq!(
            workdays,
            [
                (date(2026, 1, 4), "元旦调休上班"),
                (date(2026, 2, 14), "春节调休上班"),
                (date(2026, 2, 28), "春节调休上班"),
                (date(2026, 5, 9), "劳动节调休上班"),
                (date(2026, 9, 20), "国庆节调休上班"),
                (date(2026, 10, 10), "国庆节调休上班"),
            ]
        );
    }

    fn sh(s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>().unwrap().to_zoned(TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp()
    }

    #[test]
    fn china_office_calendar_follows_the_notice() {
        let spec = CalendarSpec::china_office("Asia/Shanghai");
        assert_eq!(spec.day_names[&date(2026, 10, 10)], "国庆节调休上班");
        assert_eq!(spec.day_names[&date(2026, 2, 17)], "春节");
        let cal = Calendar::new(&spec).unwrap();
        // The notice gives 1–7 October off; Thursday 8 October is an ordinary working day.
        assert!(!cal.is_working_day(date(2026, 10, 7)), "last day of the National Day holiday");
        assert!(cal.is_working_day(date(2026, 10, 8)), "Thursday after it is worked");
        assert!(cal.is_working_day(date(2026, 10, 9)));
        assert!(cal.is_working_day(date(2026, 10, 10)), "make-up Saturday");
        assert_eq!(cal.spans_on(date(2026, 10, 10)), spec.makeup_hours.as_slice());
        assert!(!cal.is_working_day(date(2026, 10, 11)));
        assert!(cal.is_working_day(date(2026, 9, 20)) && cal.is_working_day(date(2026, 1, 4)));
        assert!(!cal.is_working_day(date(2026, 9, 25)), "Mid-Autumn Friday");
        // 4 business hours from Wednesday 30 September 17:00: one hour that day, 1–7 October
        // skipped, three hours on Thursday 8 October.
        assert_eq!(cal.add(sh("2026-09-30T17:00"), 4 * 3600), Some(sh("2026-10-08T12:00")));
        // 9 hours from the same start: 1 + 7.5 on the 8th, the last half hour on Friday the 9th.
        assert_eq!(cal.add(sh("2026-09-30T17:00"), 9 * 3600), Some(sh("2026-10-09T09:30")));
        // Friday 9 October 17:00 + 2 h lands on the make-up Saturday.
        assert_eq!(cal.add(sh("2026-10-09T17:00"), 2 * 3600), Some(sh("2026-10-10T10:00")));
        // Spring Festival: Friday 13 Feb 17:00 + 2 h lands on the make-up Saturday.
        assert_eq!(cal.add(sh("2026-02-13T17:00"), 2 * 3600), Some(sh("2026-02-14T10:00")));
        // + 9 h: 1 h on Friday, 7.5 h on the make-up Saturday, then 15–23 Feb are off: Tuesday 24th 09:30.
        assert_eq!(cal.add(sh("2026-02-13T17:00"), 9 * 3600), Some(sh("2026-02-24T09:30")));
    }
}
