//! Calendar questions answered in a gemeente's time zone: where a local day starts and ends (23 or
//! 25 hours long on the DST change days), the default end of a session, and the periods of a
//! top-up cap.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

/// The instant a local wall-clock time denotes. A time in the spring-forward gap (02:30 on the last
/// Sunday of March in Amsterdam) does not exist and means the first instant after the gap; a time
/// in the autumn fold happens twice and means the first of the two.
pub fn local_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours; walk forward a minute at a time to the first real time.
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// Whether `at` is a leap second: chrono reads `10:00:60` as 10:00:59 with a nanosecond past
/// 999 999 999, where PostgreSQL reads 10:01:00 and SQLite keeps the text; a time the databases
/// disagree on is no time a resident can mean.
pub fn is_leap_second(at: &impl Timelike) -> bool {
    at.nanosecond() >= 1_000_000_000
}

/// An RFC 3339 time (`2026-03-02T10:00:00+01:00`) as UTC; `None` for anything else, a time that
/// does not exist (30 February) and a leap second.
pub fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .filter(|t| !is_leap_second(t))
        .map(|t| t.with_timezone(&Utc))
}

/// `at` without a leap second, for writing times that every strict RFC 3339 parser reads: a
/// leap second becomes the same part of the first second of the next minute (`09:00:60.5` is
/// `09:01:00.5`), as PostgreSQL stores it. Times stored before leap seconds were refused can
/// hold one.
pub fn without_leap_second(at: DateTime<Utc>) -> DateTime<Utc> {
    if !is_leap_second(&at) {
        return at;
    }
    at.with_nanosecond(at.nanosecond() - 1_000_000_000)
        .map_or(at, |t| t + Duration::seconds(1))
}

/// The local date of an instant.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The instant local `date` begins (its 00:00).
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, date.and_time(NaiveTime::MIN))
}

/// The half-open interval [00:00, next 00:00) of local `date`, in UTC.
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(date);
    (start_of_day(tz, date), start_of_day(tz, next))
}

/// The default end of a session starting at `at`: 00:00 of the next local day (shown as 23:59:59).
pub fn end_of_day(tz: Tz, at: DateTime<Utc>) -> DateTime<Utc> {
    day_bounds(tz, local_date(tz, at)).1
}

/// The period a top-up cap counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapPeriod {
    /// 1 January to 1 January, local.
    CalendarYear,
    /// Calendar quarters, local.
    Quarter,
    /// Calendar months, local.
    Month,
    /// The twelve months up to now.
    Rolling12Months,
}

impl CapPeriod {
    /// The name rule scripts, bundles and the database use.
    pub fn as_str(self) -> &'static str {
        match self {
            CapPeriod::CalendarYear => "calendar_year",
            CapPeriod::Quarter => "quarter",
            CapPeriod::Month => "month",
            CapPeriod::Rolling12Months => "rolling_12_months",
        }
    }

    /// Parses the name a rule script returns (the inverse of [`CapPeriod::as_str`]).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "calendar_year" => Some(CapPeriod::CalendarYear),
            "quarter" => Some(CapPeriod::Quarter),
            "month" => Some(CapPeriod::Month),
            "rolling_12_months" => Some(CapPeriod::Rolling12Months),
            _ => None,
        }
    }

    /// The half-open period [from, to) containing `at`, in UTC. A rolling period ends at `at`.
    pub fn bounds(self, tz: Tz, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let today = local_date(tz, at);
        let first = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today);
        let (from, to) = match self {
            CapPeriod::CalendarYear => (first(today.year(), 1), first(today.year() + 1, 1)),
            CapPeriod::Quarter => {
                let m = (today.month0() / 3) * 3 + 1;
                let from = first(today.year(), m);
                (
                    from,
                    from.checked_add_months(Months::new(3)).unwrap_or(from),
                )
            }
            CapPeriod::Month => {
                let from = first(today.year(), today.month());
                (
                    from,
                    from.checked_add_months(Months::new(1)).unwrap_or(from),
                )
            }
            CapPeriod::Rolling12Months => {
                let local = at.with_timezone(&tz).naive_local();
                let from = local.checked_sub_months(Months::new(12)).unwrap_or(local);
                return (local_instant(tz, from), at);
            }
        };
        (start_of_day(tz, from), start_of_day(tz, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Amsterdam;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn a_leap_second_is_no_rfc_3339_time_of_ours_and_is_never_written() {
        let ten = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        assert_eq!(parse_rfc3339("2026-03-02T10:00:00+01:00"), Some(ten));
        for refused in [
            "2026-03-02T10:00:60+01:00",
            "2026-03-02T09:59:60Z",
            "2026-03-02T09:59:60.5Z",
            "2026-02-30T10:00:00+01:00",
            "2026-03-02T10:00:61+01:00",
            "2026-03-02",
        ] {
            assert_eq!(parse_rfc3339(refused), None, "{refused}");
        }
        let leap = DateTime::parse_from_rfc3339("2026-03-02T08:59:60.25Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(is_leap_second(&leap));
        let strict = without_leap_second(leap);
        assert_eq!(strict.to_rfc3339(), "2026-03-02T09:00:00.250+00:00");
        assert_eq!(without_leap_second(ten), ten);
    }

    #[test]
    fn dst_change_days_have_23_and_25_hours() {
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        let (a, b) = day_bounds(Amsterdam, spring);
        assert_eq!(b - a, Duration::hours(23));
        let (a, b) = day_bounds(Amsterdam, autumn);
        assert_eq!(b - a, Duration::hours(25));
        assert_eq!(a, utc(2026, 10, 24, 22, 0));
    }

    #[test]
    fn the_end_of_day_is_local_midnight() {
        // 23:30 local on 2 March (CET) ends at 00:00 local on 3 March = 23:00 UTC on 2 March.
        assert_eq!(
            end_of_day(Amsterdam, utc(2026, 3, 2, 22, 30)),
            utc(2026, 3, 2, 23, 0)
        );
        // 00:30 local on 3 March belongs to 3 March.
        assert_eq!(
            end_of_day(Amsterdam, utc(2026, 3, 2, 23, 30)),
            utc(2026, 3, 3, 23, 0)
        );
        // Summer time: 00:00 local on 30 March = 22:00 UTC.
        assert_eq!(
            end_of_day(Amsterdam, utc(2026, 3, 29, 12, 0)),
            utc(2026, 3, 29, 22, 0)
        );
    }

    #[test]
    fn times_in_the_gap_and_the_fold_have_one_meaning() {
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local_instant(Amsterdam, gap),
            utc(2026, 3, 29, 1, 0),
            "the first instant after the gap"
        );
        let fold = NaiveDate::from_ymd_opt(2026, 10, 25)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local_instant(Amsterdam, fold),
            utc(2026, 10, 25, 0, 30),
            "the first of the two"
        );
    }

    #[test]
    fn cap_periods_follow_the_local_calendar() {
        // 31 December 23:30 UTC is already 1 January in Amsterdam.
        let at = utc(2026, 12, 31, 23, 30);
        assert_eq!(
            CapPeriod::CalendarYear.bounds(Amsterdam, at),
            (utc(2026, 12, 31, 23, 0), utc(2027, 12, 31, 23, 0))
        );
        let at = utc(2026, 5, 15, 12, 0);
        assert_eq!(
            CapPeriod::Quarter.bounds(Amsterdam, at),
            (utc(2026, 3, 31, 22, 0), utc(2026, 6, 30, 22, 0))
        );
        assert_eq!(
            CapPeriod::Month.bounds(Amsterdam, at),
            (utc(2026, 4, 30, 22, 0), utc(2026, 5, 31, 22, 0))
        );
        assert_eq!(
            CapPeriod::Rolling12Months.bounds(Amsterdam, at),
            (utc(2025, 5, 15, 12, 0), at)
        );
        assert_eq!(CapPeriod::parse("quarter"), Some(CapPeriod::Quarter));
        assert_eq!(CapPeriod::parse("week"), None);
        for period in [
            CapPeriod::CalendarYear,
            CapPeriod::Quarter,
            CapPeriod::Month,
            CapPeriod::Rolling12Months,
        ] {
            assert_eq!(CapPeriod::parse(period.as_str()), Some(period));
        }
    }
}
