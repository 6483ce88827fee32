//! How a session's cost is made up: the typed breakdown the rules price a session with, the
//! resident sees before confirming, and the session keeps. It is text only where it is stored
//! (one JSON column), so its serialised form is a stored format: field names, order and
//! representation must not change.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::product_type::BalanceUnit;

/// The unit a tariff (and so a cost) is charged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TariffUnit {
    /// Euros, to the cent.
    Money,
    /// Minutes of a time budget.
    Minutes,
    /// A number of sessions.
    Sessions,
}

impl TariffUnit {
    /// The unit as the API writes it: `EUR`, `minutes`, `sessions`.
    pub fn api_name(self) -> &'static str {
        match self {
            TariffUnit::Money => "EUR",
            TariffUnit::Minutes => "minutes",
            TariffUnit::Sessions => "sessions",
        }
    }

    /// An amount as the APIs write it: `{"value": "3.50", "unit": "EUR"}`, whole minutes and
    /// sessions.
    pub fn amount_json(self, amount: Decimal) -> serde_json::Value {
        let value = match self {
            TariffUnit::Money => format!("{:.2}", amount.round_dp(2)),
            _ => amount.round_dp(0).to_string(),
        };
        serde_json::json!({ "value": value, "unit": self.api_name() })
    }

    /// The balance unit this tariff charges from.
    pub fn balance_unit(self) -> BalanceUnit {
        match self {
            TariffUnit::Money => BalanceUnit::Money,
            TariffUnit::Minutes => BalanceUnit::Minutes,
            TariffUnit::Sessions => BalanceUnit::Sessions,
        }
    }

    /// The unit a product type's balance is charged in (products without a balance pay nothing,
    /// shown in euros).
    pub fn of_balance(unit: BalanceUnit) -> Self {
        match unit {
            BalanceUnit::Minutes => TariffUnit::Minutes,
            BalanceUnit::Sessions => TariffUnit::Sessions,
            BalanceUnit::Money | BalanceUnit::None => TariffUnit::Money,
        }
    }

    /// The decimals an amount in this unit has: cents for money, whole minutes and sessions.
    pub fn decimals(self) -> u32 {
        if self == TariffUnit::Money { 2 } else { 0 }
    }
}

/// A paid window of a session on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidWindow {
    /// Start.
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
}

/// The steps of one fare part on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepCharge {
    /// Step size in minutes.
    pub step_minutes: u32,
    /// Started steps.
    pub steps: i64,
    /// Amount per step.
    pub amount_per_step: Decimal,
    /// `steps × amount_per_step`.
    pub amount: Decimal,
}

/// What one local day of a session costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCharge {
    /// The local date.
    pub date: NaiveDate,
    /// The paid windows.
    pub windows: Vec<PaidWindow>,
    /// Paid time in seconds.
    pub paid_seconds: i64,
    /// Steps per fare part.
    pub steps: Vec<StepCharge>,
    /// The day's amount before the day maximum.
    pub uncapped: Decimal,
    /// The day's amount.
    pub amount: Decimal,
    /// Whether the day maximum applied.
    pub capped: bool,
}

/// The cost of a session with its breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// The unit.
    pub unit: TariffUnit,
    /// The total.
    pub amount: Decimal,
    /// Per local day (empty when a script's `cost` hook priced the session).
    pub days: Vec<DayCharge>,
    /// The breakdown a script's `cost` hook gave, if one priced the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CostBreakdown {
    /// Nothing to pay, in `unit`.
    pub fn nothing(unit: TariffUnit) -> Self {
        Self {
            unit,
            amount: Decimal::ZERO,
            days: Vec::new(),
            note: None,
        }
    }

    /// The text a session stores: JSON, as it always has been.
    pub fn to_stored(&self) -> String {
        // Plain structs with string keys always serialise; the empty text is what an unreadable
        // breakdown has always been stored as.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored breakdown read back; `None` when the text is none (an empty or unreadable one).
    pub fn from_stored(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_text_is_the_json_it_always_was_and_reads_back_as_written() {
        let stored = r#"{"unit":"money","amount":"2.40","days":[{"date":"2026-03-02","windows":[{"from":"2026-03-02T09:00:00Z","to":"2026-03-02T11:00:00Z"}],"paid_seconds":7200,"steps":[{"step_minutes":1,"steps":120,"amount_per_step":"0.02","amount":"2.40"}],"uncapped":"2.40","amount":"2.40","capped":false}]}"#;
        let read = CostBreakdown::from_stored(stored).unwrap();
        assert_eq!(read.amount, Decimal::new(240, 2));
        assert_eq!(read.days[0].paid_seconds, 7200);
        assert_eq!(read.to_stored(), stored);
        let noted = r#"{"unit":"minutes","amount":"3","days":[],"note":"1 a minute"}"#;
        assert_eq!(
            CostBreakdown::from_stored(noted).unwrap().to_stored(),
            noted
        );
        assert_eq!(CostBreakdown::from_stored(""), None);
    }
}
