//! What a gemeente's rule script decides about an application (DESIGN §5, `application(ctx)`):
//! approve, leave it to staff, or reject with a reason. The facts it decides on are read in
//! the store; the script sees them as `ctx`.

use crate::letters::Postcode;
use crate::plate::Plate;
use crate::tenant::Code;
use chrono_tz::Tz;

/// The longest reason a script may give for a rejection (it is mailed as written).
pub const REASON_MAX: usize = 500;

/// What `application(ctx)` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleDecision {
    /// `"approve"`: the product is issued at once.
    Approve,
    /// `"review"` (the default, and what a failing script means): staff decide.
    Review,
    /// `#{reject: "reason"}`: rejected with the reason, mailed to the applicant.
    Reject(String),
}

impl RuleDecision {
    /// The stable name: `approve`, `review`, `reject`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Review => "review",
            Self::Reject(_) => "reject",
        }
    }
}

/// How many products and applications of the same type already concern an address or plates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Active products of the type whose holder lives at the address.
    pub active_products_at_address: i64,
    /// Open applications of the type for the address (this one not counted).
    pub open_applications_at_address: i64,
    /// Active products of the type holding one of the plates.
    pub active_products_for_plates: i64,
    /// Open applications of the type asking for one of the plates (this one not counted).
    pub open_applications_for_plates: i64,
}

/// What `application(ctx)` is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationFacts {
    /// The gemeente's slug.
    pub gemeente: String,
    /// The product type applied for.
    pub product_type: Code,
    /// The gemeente's time zone (for `ctx.now`).
    pub time_zone: Tz,
    /// The postcode of the address.
    pub postcode: Postcode,
    /// The house number with its addition, as typed.
    pub house_number: String,
    /// The zone in use whose postcode ranges hold the postcode, if one does.
    pub zone: Option<Code>,
    /// The plates asked for.
    pub plates: Vec<Plate>,
    /// Products and open applications at the address and for the plates.
    pub counts: Counts,
}

/// A house number compared as the same number however it was typed: `12 a`, `12A`, `12-A`.
pub fn house_number_key(house_number: &str) -> String {
    house_number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn house_numbers_compare_however_typed() {
        assert_eq!(house_number_key("12 a"), "12A");
        assert_eq!(house_number_key("12-A"), house_number_key("12A"));
        assert_ne!(house_number_key("12"), house_number_key("12A"));
    }
}
