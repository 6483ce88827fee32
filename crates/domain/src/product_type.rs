//! Product types: what kind of parking right a gemeente offers, the unit its balance is kept in,
//! and the balance granted per period.

use crate::ParseError;
use crate::tenant::Code;

/// What kind of parking right a product type gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// Bezoekersregeling: visitor parking with a balance.
    VisitorScheme,
    /// Parkeervergunning: a resident permit for one or more plates.
    Permit,
}

impl ProductKind {
    /// The stable name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::VisitorScheme => "visitor_scheme",
            ProductKind::Permit => "permit",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "visitor_scheme" => Ok(ProductKind::VisitorScheme),
            "permit" => Ok(ProductKind::Permit),
            _ => Err(ParseError::new(
                "kind",
                format!("{s:?} is not visitor_scheme or permit"),
            )),
        }
    }
}

/// The unit a product type's balance is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceUnit {
    /// Euros, stored as cents.
    Money,
    /// Minutes of parking time.
    Minutes,
    /// A number of sessions.
    Sessions,
    /// No balance at all (most permits).
    None,
}

impl BalanceUnit {
    /// The stable name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            BalanceUnit::Money => "money",
            BalanceUnit::Minutes => "minutes",
            BalanceUnit::Sessions => "sessions",
            BalanceUnit::None => "none",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "money" => Ok(BalanceUnit::Money),
            "minutes" => Ok(BalanceUnit::Minutes),
            "sessions" => Ok(BalanceUnit::Sessions),
            "none" => Ok(BalanceUnit::None),
            _ => Err(ParseError::new(
                "unit",
                format!("{s:?} is not money, minutes, sessions or none"),
            )),
        }
    }
}

/// A product type as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTypeSpec {
    /// Stable code within the gemeente.
    pub code: Code,
    /// Name shown to residents.
    pub name: String,
    /// Visitor scheme or permit.
    pub kind: ProductKind,
    /// The unit of its balance.
    pub unit: BalanceUnit,
    /// Balance credited once per period (500 hours a calendar year, say), if any.
    pub grant: Option<PeriodicGrant>,
    /// What a resident may buy with iDEAL ("Opwaarderen"), in the order shown; empty when the
    /// type cannot be topped up.
    pub top_ups: Vec<TopUpOption>,
    /// How long a new product is valid, in months from the day it is issued (unless the issuer
    /// names a last day).
    pub validity_months: u16,
    /// Retired: its products keep working, no new product of it is issued.
    pub retired: bool,
    /// Open for application in the digitaal loket (`apply = true` in a bundle).
    pub open_for_application: bool,
    /// The most plates the digitaal loket asks for one product of a permit type.
    pub max_plates: u8,
    /// An application granted makes the allocation letter too (`letter_on_grant = true` in a
    /// bundle; a medewerker may ask for one either way).
    pub letter_on_grant: bool,
}

/// A permit's plates unless configured: three, one of them switched on at a time.
pub const DEFAULT_MAX_PLATES: u8 = 3;

/// The most plates a product type may allow.
pub const MAX_PLATES: u8 = 10;

/// The validity of a product type unless configured: a year.
pub const DEFAULT_VALIDITY_MONTHS: u16 = 12;

/// The longest validity a product type may have: ten years, as far as issuing reaches.
pub const MAX_VALIDITY_MONTHS: u16 = 120;

/// One top-up a gemeente sells: an amount of balance for a price in euros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopUpOption {
    /// What it adds to the balance, in the product type's unit (euros, minutes, sessions).
    pub amount: rust_decimal::Decimal,
    /// What it costs, in euros.
    pub price: rust_decimal::Decimal,
}

impl TopUpOption {
    /// The highest price a single top-up may have, in euros: a guard against a mistyped bundle.
    pub const MAX_PRICE: i64 = 1_000;

    /// The stable id of the option in pages and the API: its amount in the unit ("25.00",
    /// "600"), so that a changed list never makes a request buy another option.
    pub fn id(&self, unit: BalanceUnit) -> String {
        unit.from_smallest(unit.to_smallest(self.amount).unwrap_or_default())
            .to_string()
    }

    /// The price in cents.
    pub fn price_cents(&self) -> Option<i64> {
        BalanceUnit::Money.to_smallest(self.price)
    }

    /// Why the options of a type in `unit` of `kind` cannot be sold, if they cannot.
    pub fn problem(
        options: &[TopUpOption],
        kind: ProductKind,
        unit: BalanceUnit,
    ) -> Option<String> {
        if options.is_empty() {
            return None;
        }
        if kind != ProductKind::VisitorScheme || unit == BalanceUnit::None {
            return Some("top-ups need a visitor scheme with a balance unit".into());
        }
        let mut seen = Vec::new();
        for o in options {
            let amount_ok =
                o.amount > rust_decimal::Decimal::ZERO && unit.to_smallest(o.amount).is_some();
            let price_ok = o.price > rust_decimal::Decimal::ZERO
                && o.price <= rust_decimal::Decimal::from(Self::MAX_PRICE)
                && o.price_cents().is_some();
            if !amount_ok || !price_ok {
                return Some(format!(
                    "top-up {} for {}: the amount must be positive in the unit, the price between 0.01 and {} euros",
                    o.amount,
                    o.price,
                    Self::MAX_PRICE
                ));
            }
            let id = o.id(unit);
            if seen.contains(&id) {
                return Some(format!("top-up amount {id} appears twice"));
            }
            seen.push(id);
        }
        None
    }
}

/// A balance credited once per period to every product of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodicGrant {
    /// The period.
    pub period: crate::calendar::CapPeriod,
    /// The amount, in the product type's unit (euros, minutes or sessions).
    pub amount: rust_decimal::Decimal,
}

impl BalanceUnit {
    /// How many of the smallest stored unit make one shown unit: cents per euro, else 1.
    pub fn scale(self) -> i64 {
        if self == BalanceUnit::Money { 100 } else { 1 }
    }

    /// An amount in this unit as an integer of its smallest unit, when it has no finer part.
    pub fn to_smallest(self, amount: rust_decimal::Decimal) -> Option<i64> {
        let scaled = amount.checked_mul(rust_decimal::Decimal::from(self.scale()))?;
        if scaled.fract().is_zero() {
            i64::try_from(scaled.mantissa() / 10i128.pow(scaled.scale())).ok()
        } else {
            None
        }
    }

    /// An integer of the smallest unit as an amount in this unit (2 decimals for money).
    pub fn from_smallest(self, value: i64) -> rust_decimal::Decimal {
        if self == BalanceUnit::Money {
            rust_decimal::Decimal::new(value, 2)
        } else {
            rust_decimal::Decimal::from(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_stored_in_their_smallest_unit() {
        let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(BalanceUnit::Money.to_smallest(d("12.50")), Some(1250));
        assert_eq!(
            BalanceUnit::Money.to_smallest(d("0.005")),
            None,
            "no fractions of a cent"
        );
        assert_eq!(BalanceUnit::Minutes.to_smallest(d("600")), Some(600));
        assert_eq!(BalanceUnit::Minutes.to_smallest(d("1.5")), None);
        assert_eq!(BalanceUnit::Money.from_smallest(1250).to_string(), "12.50");
        assert_eq!(BalanceUnit::Sessions.from_smallest(3).to_string(), "3");
    }
}
