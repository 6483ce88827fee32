//! Amounts as requests write them: a plain decimal string in the unit of a balance ("25.00"
//! euros, "600" minutes). The JSON API and the pages read every amount through this one parser,
//! so a sign, an exponent, blanks or a finer part than the unit has never reach a use case.

use crate::product_type::BalanceUnit;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Why a written amount is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not ASCII digits with optionally a point and more digits: a sign, an exponent, blanks,
    /// a thousands separator, nothing at all.
    #[error("not a plain decimal string")]
    NotDecimal,
    /// More decimals than the unit has (two for euros, none for minutes and sessions).
    #[error("more decimals than the unit has")]
    TooPrecise,
    /// Zero, where zero would give nothing.
    #[error("zero")]
    Zero,
    /// More than a balance can hold.
    #[error("too large")]
    TooLarge,
}

/// A decimal written as amounts are: ASCII digits, optionally followed by a point and at least
/// one more digit. Not yet tied to a unit: the unit is known only once the product is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalText {
    value: Decimal,
    decimals: u32,
}

impl DecimalText {
    /// The most digits before the point: far beyond any balance, well inside `i64` cents and
    /// `Decimal`'s 28 digits, so that parsing never overflows.
    pub const MAX_WHOLE_DIGITS: usize = 15;

    /// Parses `text` exactly as written: no trimming, because a client that sends `" 5"` sends
    /// something the schema does not describe.
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
            return Err(AmountError::NotDecimal);
        }
        if whole.len() > Self::MAX_WHOLE_DIGITS {
            return Err(AmountError::TooLarge);
        }
        // More decimals than any unit has (euros, two) are refused here already.
        let decimals = match fraction.map_or(0, str::len) {
            n @ 0..=2 => n as u32,
            _ => return Err(AmountError::TooPrecise),
        };
        let value = Decimal::from_str_exact(text).map_err(|_| AmountError::NotDecimal)?;
        Ok(Self { value, decimals })
    }

    /// The value.
    pub fn value(self) -> Decimal {
        self.value
    }

    /// How many decimals were written ("10.50": 2, "600": 0).
    pub fn decimals(self) -> u32 {
        self.decimals
    }
}

impl FromStr for DecimalText {
    type Err = AmountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An amount of a balance unit that gives something: more than zero, a whole number of the
/// unit's smallest part (cents, minutes, sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositiveAmount {
    unit: BalanceUnit,
    smallest: i64,
}

impl PositiveAmount {
    /// The unit.
    pub fn unit(self) -> BalanceUnit {
        self.unit
    }

    /// The amount in the unit's smallest part (cents for euros); always more than zero.
    pub fn smallest(self) -> i64 {
        self.smallest
    }

    /// The amount in the unit (euros with two decimals, whole minutes or sessions).
    pub fn value(self) -> Decimal {
        self.unit.from_smallest(self.smallest)
    }
}

impl BalanceUnit {
    /// The most decimals an amount in this unit is written with: two for euros, none otherwise.
    pub fn decimals(self) -> u32 {
        if self == BalanceUnit::Money { 2 } else { 0 }
    }

    /// `text` as an amount of this unit that gives something (a mandate's part of the balance,
    /// say): at most the unit's decimals, and more than zero.
    pub fn positive(self, text: DecimalText) -> Result<PositiveAmount, AmountError> {
        if text.decimals() > self.decimals() {
            return Err(AmountError::TooPrecise);
        }
        let smallest = self
            .to_smallest(text.value())
            .ok_or(AmountError::TooLarge)?;
        if smallest <= 0 {
            return Err(AmountError::Zero);
        }
        Ok(PositiveAmount {
            unit: self,
            smallest,
        })
    }

    /// Parses `text` as an amount of this unit that gives something, in one step.
    pub fn parse_positive(self, text: &str) -> Result<PositiveAmount, AmountError> {
        self.positive(DecimalText::parse(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_decimal_strings_are_amounts() {
        for text in [
            "", " ", " 5", "5 ", "+5", "-5", "-0", "1e-2", "1E2", "5.", ".5", "1,00", "1_000",
            "1.000.00", "NaN", "inf", "0x10", "٣", "5.0.0",
        ] {
            assert_eq!(
                DecimalText::parse(text),
                Err(AmountError::NotDecimal),
                "{text:?}"
            );
        }
        assert_eq!(
            DecimalText::parse("0.001"),
            Err(AmountError::TooPrecise),
            "no unit has three decimals"
        );
        assert_eq!(
            DecimalText::parse("1234567890123456"),
            Err(AmountError::TooLarge)
        );
        let t = DecimalText::parse("0010.50").unwrap();
        assert_eq!((t.value(), t.decimals()), (Decimal::new(1050, 2), 2));
    }

    #[test]
    fn a_positive_amount_has_at_most_the_units_decimals_and_is_more_than_zero() {
        let money = BalanceUnit::Money;
        assert_eq!(money.parse_positive("25.00").unwrap().smallest(), 2500);
        assert_eq!(money.parse_positive("5").unwrap().smallest(), 500);
        assert_eq!(money.parse_positive("0.01").unwrap().smallest(), 1);
        assert_eq!(
            money.parse_positive("0.5").unwrap().value(),
            Decimal::new(50, 2)
        );
        for zero in ["0", "0.0", "0.00", "000"] {
            assert_eq!(money.parse_positive(zero), Err(AmountError::Zero), "{zero}");
        }
        let minutes = BalanceUnit::Minutes;
        assert_eq!(minutes.parse_positive("600").unwrap().smallest(), 600);
        assert_eq!(
            minutes.parse_positive("600.0"),
            Err(AmountError::TooPrecise)
        );
        assert_eq!(minutes.parse_positive("0"), Err(AmountError::Zero));
        assert_eq!(
            BalanceUnit::Sessions.parse_positive("1.5"),
            Err(AmountError::TooPrecise)
        );
        assert_eq!(
            money
                .parse_positive("999999999999999.99")
                .unwrap()
                .smallest(),
            99_999_999_999_999_999
        );
    }
}
