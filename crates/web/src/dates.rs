//! Dates and times as residents read them, in the gemeente's time zone and their language.

use chrono::{DateTime, Locale, Utc};
use chrono_tz::Tz;
use parkportal_domain::Language;

fn locale(language: Language) -> Locale {
    match language {
        Language::Nl => Locale::nl_NL,
        Language::En => Locale::en_GB,
    }
}

/// "maandag 2 maart 2026 om 10:00".
pub fn local_date_time(at: DateTime<Utc>, tz: Tz, language: Language) -> String {
    let pattern = match language {
        Language::Nl => "%A %-d %B %Y om %H:%M",
        Language::En => "%A %-d %B %Y at %H:%M",
    };
    at.with_timezone(&tz)
        .format_localized(pattern, locale(language))
        .to_string()
}

/// A session's end as shown: the end of a day reads 23:59:59, as in the manual.
pub fn end_label(end: DateTime<Utc>, tz: Tz, language: Language) -> String {
    if end.with_timezone(&tz).time() == chrono::NaiveTime::MIN {
        let day = (end - chrono::Duration::seconds(1))
            .with_timezone(&tz)
            .format_localized("%A %-d %B %Y", locale(language))
            .to_string();
        let at = match language {
            Language::Nl => "om",
            Language::En => "at",
        };
        // "maandag 2 maart 2026 om" + " 23:59:59"
        return format!("{day} {at} 23:59:59");
    }
    local_date_time(end, tz, language)
}

/// The local day `at` falls on: "vrijdag 1 januari 2027".
pub fn local_day(at: DateTime<Utc>, tz: Tz, language: Language) -> String {
    at.with_timezone(&tz)
        .format_localized("%A %-d %B %Y", locale(language))
        .to_string()
}

/// The last day of a validity that ends (exclusive) at `end`: a product valid until 00:00 on
/// 2 March is valid "tot en met maandag 1 maart".
pub fn last_local_day(end: DateTime<Utc>, tz: Tz, language: Language) -> String {
    (end - chrono::Duration::seconds(1))
        .with_timezone(&tz)
        .format_localized("%A %-d %B %Y", locale(language))
        .to_string()
}

/// When a session runs, short enough for a confirmation: "vandaag van 10:00 tot 12:00", "op
/// dinsdag 3 maart van 10:00 tot 12:00", "van maandag 2 maart 22:00 tot dinsdag 3 maart 02:00";
/// the year only when it is not this one, an end at midnight as 23:59:59 of the day before (as
/// [`end_label`] does).
pub fn span(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
    language: Language,
) -> String {
    let today = now.with_timezone(&tz).date_naive();
    let (start_day, start_time) = {
        let local = start.with_timezone(&tz);
        (local.date_naive(), local.format("%H:%M").to_string())
    };
    let (end_day, end_time) = {
        let local = end.with_timezone(&tz);
        if local.time() == chrono::NaiveTime::MIN && end > start {
            let before = (end - chrono::Duration::seconds(1)).with_timezone(&tz);
            (before.date_naive(), "23:59:59".to_owned())
        } else {
            (local.date_naive(), local.format("%H:%M").to_string())
        }
    };
    let day = |d: chrono::NaiveDate| {
        let pattern = if chrono::Datelike::year(&d) == chrono::Datelike::year(&today) {
            "%A %-d %B"
        } else {
            "%A %-d %B %Y"
        };
        d.format_localized(pattern, locale(language)).to_string()
    };
    match (language, start_day == end_day, start_day == today) {
        (Language::Nl, true, true) => format!("vandaag van {start_time} tot {end_time}"),
        (Language::En, true, true) => format!("today from {start_time} to {end_time}"),
        (Language::Nl, true, false) => {
            format!("op {} van {start_time} tot {end_time}", day(start_day))
        }
        (Language::En, true, false) => {
            format!("on {} from {start_time} to {end_time}", day(start_day))
        }
        (Language::Nl, false, _) => format!(
            "van {} {start_time} tot {} {end_time}",
            day(start_day),
            day(end_day)
        ),
        (Language::En, false, _) => format!(
            "from {} {start_time} to {} {end_time}",
            day(start_day),
            day(end_day)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_read_in_the_local_zone() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let tz = chrono_tz::Europe::Amsterdam;
        assert_eq!(
            local_date_time(at, tz, Language::Nl),
            "maandag 2 maart 2026 om 10:00"
        );
        assert_eq!(
            local_date_time(at, tz, Language::En),
            "Monday 2 March 2026 at 10:00"
        );
        let now = at;
        let later = Utc.with_ymd_and_hms(2026, 3, 2, 11, 30, 0).unwrap();
        assert_eq!(
            span(at, later, now, tz, Language::Nl),
            "vandaag van 10:00 tot 12:30"
        );
        let tomorrow = Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap();
        let its_end = Utc.with_ymd_and_hms(2026, 3, 3, 23, 0, 0).unwrap();
        assert_eq!(
            span(tomorrow, its_end, now, tz, Language::Nl),
            "op dinsdag 3 maart van 10:00 tot 23:59:59"
        );
        assert_eq!(
            span(at, tomorrow, now, tz, Language::En),
            "from Monday 2 March 10:00 to Tuesday 3 March 10:00"
        );
        let next_year = Utc.with_ymd_and_hms(2027, 1, 4, 9, 0, 0).unwrap();
        assert_eq!(
            span(
                next_year,
                next_year + chrono::Duration::hours(1),
                now,
                tz,
                Language::Nl
            ),
            "op maandag 4 januari 2027 van 10:00 tot 11:00"
        );
        let midnight = Utc.with_ymd_and_hms(2026, 3, 1, 23, 0, 0).unwrap();
        assert_eq!(
            last_local_day(midnight, tz, Language::Nl),
            "zondag 1 maart 2026"
        );
    }
}
