//! The rules console's dry-run (#23): a scenario — product type, zone, plate, start and end,
//! balance, running and planned sessions, top-ups in the period, owner or mandatee — answered
//! by the rules in force at its start through the same port and the same check a real start
//! makes: every hook's answer, the decision with its reasons and alternatives, and the cost
//! with its breakdown.
//!
//! What a real start checks of the product itself (its validity, a permit's plates, a
//! suspended gemeente) is not part of a scenario: the dry-run answers what the rules decide.

use crate::parking::{HookAnswers, RuleError, RuleVersions, RulesOf, SessionCheck, Verdict};
use crate::plate::Plate;
use crate::rules_console::RulesConsole;
use crate::tenant::Tenant;
use crate::{Code, StoreError};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

/// The longest scenario: a tariff is walked day by day.
pub const MAX_SCENARIO_DAYS: i64 = 31;

/// The most running or planned sessions a scenario may name.
pub const MAX_OTHER_SESSIONS: u32 = 100;

/// How far from now a scenario may start: rules are not tried for another age.
pub const MAX_YEARS_AWAY: i64 = 10;

/// The balance of a scenario that names none: more than any session costs.
pub const PLENTY: i64 = 1_000_000;

/// A session to try.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The product type.
    pub product_type: Code,
    /// The zone (`None`: the gemeente's first).
    pub zone: Option<String>,
    /// The plate.
    pub plate: Plate,
    /// The start.
    pub start: DateTime<Utc>,
    /// The end.
    pub end: DateTime<Utc>,
    /// The balance in the product type's unit (`None`: [`PLENTY`]).
    pub balance: Option<Decimal>,
    /// Sessions running at the start, each until after the end.
    pub running: u32,
    /// Sessions planned after the end.
    pub planned: u32,
    /// What was topped up in the top-up cap's period.
    pub top_ups: Decimal,
    /// Whether a mandatee starts it (not the owner).
    pub mandatee: bool,
}

/// What the rules answered.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// Every hook's answer, by name.
    pub hooks: HookAnswers,
    /// The decision, with the cost and its breakdown.
    pub verdict: Verdict,
    /// The versions of script and tariff that answered (those in force at the start).
    pub versions: RuleVersions,
    /// The zone the scenario was tried in.
    pub zone: String,
}

/// Why a scenario was not tried.
#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    /// No such product type in this gemeente.
    #[error("no such product type")]
    UnknownType,
    /// No such zone in this gemeente.
    #[error("no such zone")]
    UnknownZone,
    /// The end is not after the start.
    #[error("the end is not after the start")]
    EndBeforeStart,
    /// Starting more than [`MAX_YEARS_AWAY`] years from now.
    #[error("the start is too far from now")]
    StartOutOfRange,
    /// Longer than [`MAX_SCENARIO_DAYS`].
    #[error("the session is too long to try")]
    TooLong,
    /// More running or planned sessions than [`MAX_OTHER_SESSIONS`], or a negative amount.
    #[error("a number is out of range")]
    OutOfRange,
    /// The rules could not be read or compiled.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DryRunError {
    /// The stable code of a refusal (`None`: a failure).
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::UnknownType => "product_type_unknown",
            Self::UnknownZone => "zone_unknown",
            Self::EndBeforeStart => "end_before_start",
            Self::StartOutOfRange => "start_out_of_range",
            Self::TooLong => "session_too_long",
            Self::OutOfRange => "invalid_input",
            Self::Rules(_) | Self::Store(_) => return None,
        })
    }
}

impl RulesConsole {
    /// Tries `scenario` in `tenant` with the rules in force at its start, as a real start at
    /// `now` would check it.
    pub async fn dry_run(
        &self,
        tenant: &Tenant,
        scenario: &Scenario,
        now: DateTime<Utc>,
    ) -> Result<DryRun, DryRunError> {
        let overview = self
            .tenants
            .overview(tenant.id)
            .await?
            .ok_or(DryRunError::UnknownType)?;
        let pt = overview
            .product_types
            .iter()
            .find(|p| p.code == scenario.product_type)
            .ok_or(DryRunError::UnknownType)?;
        let zone = match &scenario.zone {
            Some(code) => overview.zones.iter().find(|z| z.code.as_str() == code),
            None => overview.zones.first(),
        }
        .ok_or(DryRunError::UnknownZone)?;
        let (start, end) = (scenario.start, scenario.end);
        if (start - now).abs() > Duration::days(366 * MAX_YEARS_AWAY) {
            return Err(DryRunError::StartOutOfRange);
        }
        if end <= start {
            return Err(DryRunError::EndBeforeStart);
        }
        if end - start > Duration::days(MAX_SCENARIO_DAYS) {
            return Err(DryRunError::TooLong);
        }
        let negative = scenario.balance.is_some_and(|b| b.is_sign_negative())
            || scenario.top_ups.is_sign_negative();
        if negative || scenario.running.max(scenario.planned) > MAX_OTHER_SESSIONS {
            return Err(DryRunError::OutOfRange);
        }
        let of = RulesOf {
            tenant: overview.tenant.id,
            slug: overview.tenant.slug.to_string(),
            version: overview.tenant.version,
        };
        let pricing = self.rules.in_force(&of, &pt.code, start).await?;
        let running = (start - Duration::hours(1), end + Duration::hours(1));
        let planned = (end, end + Duration::hours(1));
        let check = SessionCheck {
            time_zone: overview.tenant.time_zone,
            zone: zone.code.to_string(),
            plate: scenario.plate.normalised().to_owned(),
            start,
            end,
            balance: scenario.balance.unwrap_or(Decimal::from(PLENTY)),
            reserved: Decimal::ZERO,
            others: std::iter::repeat_n(running, scenario.running as usize)
                .chain(std::iter::repeat_n(planned, scenario.planned as usize))
                .collect(),
            top_ups_in_period: scenario.top_ups,
            mandatee: scenario.mandatee,
            extends: None,
        };
        let verdict = pricing.check(&check, now);
        // A real start refuses a cost its balance's unit cannot hold: so does this.
        let verdict = crate::parking::held_verdict(pt.unit, verdict, pricing.as_ref(), now);
        Ok(DryRun {
            hooks: pricing.hooks(&check),
            verdict,
            versions: pricing.versions(),
            zone: zone.code.to_string(),
        })
    }
}

/// An application to try (`application(ctx)`): the address and plates as an applicant types
/// them, and the counts the rule would see.
#[derive(Debug, Clone)]
pub struct ApplicationScenario {
    /// The product type applied for.
    pub product_type: Code,
    /// The postcode.
    pub postcode: crate::letters::Postcode,
    /// The house number with its addition.
    pub house_number: String,
    /// The plates asked for.
    pub plates: Vec<Plate>,
    /// Active products and open applications at the address and for the plates.
    pub counts: crate::loket::rule::Counts,
}

/// What `application(ctx)` answered about a scenario.
#[derive(Debug, Clone)]
pub struct ApplicationDryRun {
    /// The decision; a failing script as its message (an application would then be reviewed).
    pub decision: Result<crate::loket::rule::RuleDecision, String>,
    /// The zone whose postcode ranges hold the postcode, if one does.
    pub zone: Option<Code>,
    /// The versions that answered (those in force now).
    pub versions: RuleVersions,
}

impl RulesConsole {
    /// Tries `scenario` in `tenant` with the rules in force `now`, as an application sent now
    /// would be decided (a failing script is recorded as it would be then).
    pub async fn dry_run_application(
        &self,
        tenant: &Tenant,
        scenario: &ApplicationScenario,
        now: DateTime<Utc>,
    ) -> Result<ApplicationDryRun, DryRunError> {
        let overview = self
            .tenants
            .overview(tenant.id)
            .await?
            .ok_or(DryRunError::UnknownType)?;
        let pt = overview
            .product_types
            .iter()
            .find(|p| p.code == scenario.product_type)
            .ok_or(DryRunError::UnknownType)?;
        let c = scenario.counts;
        let counts = [
            c.active_products_at_address,
            c.open_applications_at_address,
            c.active_products_for_plates,
            c.open_applications_for_plates,
        ];
        if counts
            .iter()
            .any(|n| !(0..=i64::from(MAX_OTHER_SESSIONS)).contains(n))
        {
            return Err(DryRunError::OutOfRange);
        }
        let zone = crate::loket::zone_of(&overview.zones, &scenario.postcode);
        let facts = crate::loket::rule::ApplicationFacts {
            gemeente: overview.tenant.slug.to_string(),
            product_type: pt.code.clone(),
            time_zone: overview.tenant.time_zone,
            postcode: scenario.postcode.clone(),
            house_number: scenario.house_number.clone(),
            zone: zone.clone(),
            plates: scenario.plates.clone(),
            counts: scenario.counts,
        };
        let of = RulesOf {
            tenant: overview.tenant.id,
            slug: overview.tenant.slug.to_string(),
            version: overview.tenant.version,
        };
        let pricing = self.rules.in_force(&of, &pt.code, now).await?;
        Ok(ApplicationDryRun {
            decision: pricing.application(&facts, now).map_err(|e| e.message()),
            zone,
            versions: pricing.versions(),
        })
    }
}
