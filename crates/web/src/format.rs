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
        BalanceUnit::Minutes | BalanceUnit::Sessions | BalanceUnit::None => {
            let whole = abs.round_dp(0).to_string();
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
        assert_eq!(
            amount(BalanceUnit::Minutes, d("30000"), Language::Nl),
            "30.000 minuten"
        );
        assert_eq!(
            amount(BalanceUnit::Minutes, d("1"), Language::En),
            "1 minute"
        );
        assert_eq!(
            amount(BalanceUnit::Sessions, d("12"), Language::Nl),
            "12 parkeeracties"
        );
    }
}
