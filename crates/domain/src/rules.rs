//! What the rules decide, in words shared by pages and the API: reason codes and the kinds of
//! alternative a resident is offered when a check fails (DESIGN §5).

use serde::{Deserialize, Serialize};

/// The hooks a rule script may define (DESIGN §5), each a function of `ctx`.
pub const HOOKS: [&str; 7] = [
    "max_concurrent_sessions",
    "end_of_day_deactivation",
    "allowed_hours",
    "top_up_cap",
    "mandates_available",
    "cost",
    "application",
];

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The balance does not pay for the session.
    InsufficientBalance,
    /// The product has its maximum of sessions at that time.
    MaxConcurrentSessions,
    /// The gemeente ends sessions at the end of the day.
    EndOfDay,
    /// Sessions may not run at that time of day.
    OutsideAllowedHours,
    /// The period's top-up maximum is reached.
    TopUpCapReached,
    /// The gemeente offers no mandates on this product.
    MandatesUnavailable,
    /// The plate already parks on the product at that time (owner and mandatees share it).
    PlateAlreadyParked,
    /// A rule script failed; the action is refused and the error recorded.
    RuleError,
    /// The gemeente is suspended: nothing new can be started or bought (running sessions run
    /// out).
    TenantSuspended,
}

impl ReasonCode {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::InsufficientBalance => "insufficient_balance",
            ReasonCode::MaxConcurrentSessions => "max_concurrent_sessions",
            ReasonCode::EndOfDay => "end_of_day",
            ReasonCode::OutsideAllowedHours => "outside_allowed_hours",
            ReasonCode::TopUpCapReached => "top_up_cap_reached",
            ReasonCode::MandatesUnavailable => "mandates_unavailable",
            ReasonCode::PlateAlreadyParked => "plate_already_parked",
            ReasonCode::RuleError => "rule_error",
            ReasonCode::TenantSuspended => "tenant_suspended",
        }
    }
}

/// The kind of proposal made instead of a refused session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlternativeKind {
    /// End at the end of the (local or allowed) day.
    EndOfDay,
    /// The longest session the balance pays for.
    ShortenToBalance,
    /// The next start at which the session is allowed.
    StartLater,
}

impl AlternativeKind {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            AlternativeKind::EndOfDay => "end_of_day",
            AlternativeKind::ShortenToBalance => "shorten_to_balance",
            AlternativeKind::StartLater => "start_later",
        }
    }
}
