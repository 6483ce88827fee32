//! What a verdict charges: a cost in the smallest unit of a product's balance, the part of a
//! running session used, and a verdict held from a balance or refused, as starting, extending,
//! stopping and the rules console's dry-run decide it.

use super::breakdown::{CostBreakdown, TariffUnit};
use super::rules::{Pricing, RuleError, SessionCheck, Verdict};
use crate::product_type::BalanceUnit;
use crate::rules::ReasonCode;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// `cost` in the smallest unit of the product's balance. The rules round a cost to their own
/// unit, which need not be the product's (a tariff in euros on a balance of minutes): a cost the
/// balance cannot hold is a rule error, never a charge of nothing.
pub(super) fn to_smallest(unit: BalanceUnit, cost: Decimal) -> Result<i64, RuleError> {
    unit.to_smallest(cost)
        .ok_or_else(|| RuleError::CostOutsideUnit {
            message: format!(
                "{cost} cannot be charged from a balance in {}",
                unit.as_str()
            ),
        })
}

/// The part of a running session used by `now`, in the balance's smallest unit, at the
/// session's own prices (`pricing` pinned to its versions) and never more than `reserved`.
///
/// A stop is never refused, so when the rules cannot price the used part, or price it finer
/// than the balance holds, the session keeps what it reserved (the price the resident agreed
/// to at its start) and refunds nothing; a cost the unit cannot hold is recorded as a rule
/// error so the gemeente sees its tariff needs mending (script failures are recorded by the
/// rules themselves).
pub fn used_part(
    pricing: &dyn Pricing,
    check: &SessionCheck,
    unit: BalanceUnit,
    reserved: i64,
    now: DateTime<Utc>,
) -> i64 {
    let used = pricing
        .cost(check, check.start, now)
        .and_then(|c| to_smallest(unit, c));
    match used {
        Ok(used) => used.min(reserved),
        Err(e) => {
            if matches!(e, RuleError::CostOutsideUnit { .. }) {
                pricing.record(&e, now);
            }
            reserved
        }
    }
}

/// What an allowed `verdict` reserves from a balance in `unit`; a cost the balance cannot hold
/// is recorded like a failing script and refuses with `rule_error`, charging nothing.
pub(super) fn held(
    unit: BalanceUnit,
    verdict: Verdict,
    pricing: &dyn Pricing,
    now: DateTime<Utc>,
) -> Result<(i64, Verdict), Box<Verdict>> {
    match to_smallest(unit, verdict.cost()) {
        Ok(reserved) => Ok((reserved, verdict)),
        Err(e) => {
            pricing.record(&e, now);
            Err(Box::new(Verdict {
                reasons: vec![ReasonCode::RuleError],
                alternatives: Vec::new(),
                allowed_hours: None,
                ..verdict
            }))
        }
    }
}

/// `verdict` as a start decides it: an allowed one whose cost the balance's unit cannot hold is
/// refused with `rule_error` (see [`held`]); the rules console's dry-run answers through this.
pub(crate) fn held_verdict(
    unit: BalanceUnit,
    verdict: Verdict,
    pricing: &dyn Pricing,
    now: DateTime<Utc>,
) -> Verdict {
    if !verdict.allowed() {
        return verdict;
    }
    match held(unit, verdict, pricing, now) {
        Ok((_, verdict)) => verdict,
        Err(refused) => *refused,
    }
}

/// The refusal of anything new on a product of a suspended gemeente: no cost, no alternative
/// (no other time would be allowed either).
pub(super) fn suspended(unit: BalanceUnit) -> Box<Verdict> {
    Box::new(Verdict {
        breakdown: CostBreakdown::nothing(TariffUnit::of_balance(unit)),
        reasons: vec![ReasonCode::TenantSuspended],
        alternatives: Vec::new(),
        allowed_hours: None,
    })
}
