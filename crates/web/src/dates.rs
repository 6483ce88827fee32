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

/// The last day of a validity that ends (exclusive) at `end`: a product valid until 00:00 on
/// 2 March is valid "tot en met maandag 1 maart".
pub fn last_local_day(end: DateTime<Utc>, tz: Tz, language: Language) -> String {
    (end - chrono::Duration::seconds(1))
        .with_timezone(&tz)
        .format_localized("%A %-d %B %Y", locale(language))
        .to_string()
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
        let midnight = Utc.with_ymd_and_hms(2026, 3, 1, 23, 0, 0).unwrap();
        assert_eq!(
            last_local_day(midnight, tz, Language::Nl),
            "zondag 1 maart 2026"
        );
    }
}
