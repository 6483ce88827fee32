//! Amounts as residents read them: "€ 23,80" in Dutch and "€23.80" in English, minutes and
//! sessions as whole numbers with their word.

use parkportal_domain::{BalanceUnit, Language};
use rust_decimal::Decimal;

fn group(digits: &str, sep: char) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// `amount` of `unit` in `language`.
pub fn amount(unit: BalanceUnit, amount: Decimal, language: Language) -> String {
    let (thousands, decimal) = match language {
        Language::Nl => ('.', ','),
        Language::En => (',', '.'),
    };
    let negative = amount.is_sign_negative() && !amount.is_zero();
    let abs = amount.abs();
    let sign = if negative { "-" } else { "" };
    match unit {
        BalanceUnit::Money => {
            let text = format!("{:.2}", abs.round_dp(2));
            let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
            let number = format!("{}{decimal}{cents}", group(whole, thousands));
            match language {
                Language::Nl => format!("{sign}€ {number}"),
                Language::En => format!("{sign}€{number}"),
            }
        }
        BalanceUnit::Minutes => format!("{sign}{}", hours_and_minutes(abs, language, thousands)),
        BalanceUnit::Sessions | BalanceUnit::None => counted(unit, amount, language),
    }
}

/// Like [`amount`], but minutes as the number of minutes ("30.000 minuten"): for staff, who
/// type corrections and grants in minutes, and next to a field that asks for minutes.
pub fn exact_amount(unit: BalanceUnit, amount: Decimal, language: Language) -> String {
    match unit {
        BalanceUnit::Minutes => counted(unit, amount, language),
        _ => self::amount(unit, amount, language),
    }
}

/// A whole number of `unit` (minutes, sessions, none; never money) with its word: "30.000
/// minuten", "1 parkeeractie".
fn counted(unit: BalanceUnit, amount: Decimal, language: Language) -> String {
    let thousands = match language {
        Language::Nl => '.',
        Language::En => ',',
    };
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "-"
    } else {
        ""
    };
    let whole = amount.abs().round_dp(0).to_string();
    let word = match (unit, language, whole == "1") {
        (BalanceUnit::Minutes, Language::Nl, true) => " minuut",
        (BalanceUnit::Minutes, Language::Nl, false) => " minuten",
        (BalanceUnit::Minutes, Language::En, true) => " minute",
        (BalanceUnit::Minutes, Language::En, false) => " minutes",
        (BalanceUnit::Sessions, Language::Nl, true) => " parkeeractie",
        (BalanceUnit::Sessions, Language::Nl, false) => " parkeeracties",
        (BalanceUnit::Sessions, Language::En, true) => " session",
        (BalanceUnit::Sessions, Language::En, false) => " sessions",
        _ => "",
    };
    format!("{sign}{}{word}", group(&whole, thousands))
}

/// A number of minutes as people say it: "45 minuten", "500 uur", "4 uur 50 min" (hours grouped
/// by thousands: "1.250 uur").
fn hours_and_minutes(minutes: Decimal, language: Language, thousands: char) -> String {
    let total = minutes.round_dp(0);
    let hours = (total / Decimal::from(60)).trunc();
    let rest = total - hours * Decimal::from(60);
    let h = group(&hours.to_string(), thousands);
    let one = |d: Decimal| d == Decimal::ONE;
    match language {
        Language::Nl if hours.is_zero() && one(rest) => "1 minuut".to_owned(),
        Language::Nl if hours.is_zero() => format!("{rest} minuten"),
        Language::Nl if rest.is_zero() => format!("{h} uur"),
        Language::Nl => format!("{h} uur {rest} min"),
        Language::En if hours.is_zero() && one(rest) => "1 minute".to_owned(),
        Language::En if hours.is_zero() => format!("{rest} minutes"),
        Language::En if rest.is_zero() && one(hours) => "1 hour".to_owned(),
        Language::En if rest.is_zero() => format!("{h} hours"),
        Language::En if one(hours) => format!("1 hour {rest} min"),
        Language::En => format!("{h} hours {rest} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_naturally() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            amount(BalanceUnit::Money, d("1234.5"), Language::Nl),
            "€ 1.234,50"
        );
        assert_eq!(amount(BalanceUnit::Money, d("0.6"), Language::En), "€0.60");
        let minutes = |n: &str, l| amount(BalanceUnit::Minutes, d(n), l);
        assert_eq!(minutes("30000", Language::Nl), "500 uur");
        assert_eq!(minutes("290", Language::Nl), "4 uur 50 min");
        assert_eq!(minutes("75000", Language::Nl), "1.250 uur");
        assert_eq!(minutes("45", Language::Nl), "45 minuten");
        assert_eq!(minutes("1", Language::Nl), "1 minuut");
        assert_eq!(minutes("0", Language::Nl), "0 minuten");
        assert_eq!(minutes("-90", Language::Nl), "-1 uur 30 min");
        assert_eq!(minutes("1", Language::En), "1 minute");
        assert_eq!(minutes("60", Language::En), "1 hour");
        assert_eq!(minutes("65", Language::En), "1 hour 5 min");
        assert_eq!(minutes("60000", Language::En), "1,000 hours");
        assert_eq!(
            exact_amount(BalanceUnit::Minutes, d("30000"), Language::Nl),
            "30.000 minuten"
        );
        assert_eq!(
            exact_amount(BalanceUnit::Money, d("2.5"), Language::Nl),
            "€ 2,50"
        );
        assert_eq!(
            amount(BalanceUnit::Sessions, d("12"), Language::Nl),
            "12 parkeeracties"
        );
    }
}
