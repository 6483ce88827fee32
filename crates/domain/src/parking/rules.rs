//! The rules port: what the rules engine is asked about a session and what it answers.

use super::breakdown::CostBreakdown;
use super::model::ProductView;
use crate::calendar::CapPeriod;
use crate::ids::TenantId;
use crate::ports::StoreError;
use crate::rules::{AlternativeKind, ReasonCode};
use crate::tenant::Code;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::sync::Arc;

/// What the rules are asked about a session (or, with an empty one at `now`, about the product):
/// the one request the domain asks and the rules engine reads as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCheck {
    /// The gemeente's time zone.
    pub time_zone: Tz,
    /// The zone's code.
    pub zone: String,
    /// The plate, normalised.
    pub plate: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
    /// The balance available, in the balance's unit.
    pub balance: Decimal,
    /// What the session holds already (an extension), in the balance's unit.
    pub reserved: Decimal,
    /// The other running and planned sessions of the product.
    pub others: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// What was topped up in the current cap period, in the balance's unit (only the top-up cap
    /// is asked with it; scripts see it as `ctx.top_ups_in_period`).
    pub top_ups_in_period: Decimal,
    /// Whether a mandatee asks (rule scripts see it as `ctx.mandatee`).
    pub mandatee: bool,
    /// For an extension, the session's current end: every alternative then ends later, since
    /// proposing the session as it is would change nothing.
    pub extends: Option<DateTime<Utc>>,
}

impl SessionCheck {
    /// A question about `product` itself at `now`, with no session in it: the top-up cap and
    /// whether mandates are available.
    pub fn of_product(product: &ProductView, now: DateTime<Utc>) -> Self {
        Self {
            time_zone: product.time_zone,
            zone: product.zone_code.to_string(),
            plate: String::new(),
            start: now,
            end: now,
            balance: product.balance_amount(),
            reserved: Decimal::ZERO,
            others: Vec::new(),
            top_ups_in_period: Decimal::ZERO,
            mandatee: product.mandate.is_some(),
            extends: None,
        }
    }
}

/// A proposal instead of a refused session; it passes every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// Its kind.
    pub kind: AlternativeKind,
    /// Its start.
    pub start: DateTime<Utc>,
    /// Its end.
    pub end: DateTime<Utc>,
    /// What the whole session costs, in the balance's unit (an extension reserves the
    /// difference).
    pub cost: Decimal,
}

/// What the rules answer about a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The cost of the session as asked, with how it is made up.
    pub breakdown: CostBreakdown,
    /// Why it is refused; empty when allowed.
    pub reasons: Vec<ReasonCode>,
    /// What fits instead.
    pub alternatives: Vec<Alternative>,
    /// The day's allowed hours (local start and end), when being outside them is a reason: the
    /// refusal names them.
    pub allowed_hours: Option<(chrono::NaiveTime, chrono::NaiveTime)>,
}

impl Verdict {
    /// Whether the session may go ahead.
    pub fn allowed(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The cost of the session as asked, in the balance's unit.
    pub fn cost(&self) -> Decimal {
        self.breakdown.amount
    }
}

/// The version of a product type's rule script (0: none, the built-in defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScriptVersion(pub i64);

/// The version of a product type's tariff (0: none, nothing is charged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TariffVersion(pub i64);

/// The versions of the rules a session was priced with; its extension and its refund use them
/// again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuleVersions {
    /// The rule script's.
    pub script: ScriptVersion,
    /// The tariff's.
    pub tariff: TariffVersion,
}

impl RuleVersions {
    /// Script version `script` with tariff version `tariff`.
    pub fn new(script: i64, tariff: i64) -> Self {
        Self {
            script: ScriptVersion(script),
            tariff: TariffVersion(tariff),
        }
    }
}

/// Why the rules could not answer. Every one of them refuses the action (reason `rule_error`);
/// those of a script or a cost are recorded where administrators read them.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The rules could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored script or tariff no longer compiles or parses (they are checked when stored;
    /// only an engine change can cause this).
    #[error("stored rules of {gemeente} do not load: {message}")]
    Compile {
        /// The gemeente.
        gemeente: String,
        /// What is wrong.
        message: String,
    },
    /// A hook failed while it ran: an error in the script, an unknown function or variable.
    #[error("{function}: {message}")]
    Runtime {
        /// The hook.
        function: String,
        /// What went wrong, with the position in the script when known.
        message: String,
    },
    /// A hook hit a limit of the sandbox: operations, call depth, data size, wall clock.
    #[error("{function}: {message}")]
    LimitExceeded {
        /// The hook.
        function: String,
        /// Which limit, with the position in the script when known.
        message: String,
    },
    /// A hook returned a value of the wrong shape.
    #[error("{function}: {message}")]
    WrongShape {
        /// The hook.
        function: String,
        /// What it returned and what was expected.
        message: String,
    },
    /// A cost the product's balance unit cannot hold (finer than its smallest unit, or too
    /// large): nothing can be charged for it.
    #[error("cost: {message}")]
    CostOutsideUnit {
        /// The cost and the unit.
        message: String,
    },
}

impl RuleError {
    /// The hook that failed, as the rule-error table names it (empty when no hook did).
    pub fn function(&self) -> &str {
        match self {
            RuleError::Runtime { function, .. }
            | RuleError::LimitExceeded { function, .. }
            | RuleError::WrongShape { function, .. } => function,
            RuleError::CostOutsideUnit { .. } => "cost",
            RuleError::Store(_) | RuleError::Compile { .. } => "",
        }
    }

    /// What went wrong, as the rule-error table keeps it (without the hook's name).
    pub fn message(&self) -> String {
        match self {
            RuleError::Runtime { message, .. }
            | RuleError::LimitExceeded { message, .. }
            | RuleError::WrongShape { message, .. }
            | RuleError::CostOutsideUnit { message }
            | RuleError::Compile { message, .. } => message.clone(),
            RuleError::Store(e) => e.to_string(),
        }
    }
}

/// The rules of one product type at one version (the rules engine implements it).
pub trait Pricing: Send + Sync {
    /// The versions these rules are.
    fn versions(&self) -> RuleVersions;
    /// Records a failure the caller found in what these rules answered (a cost the product's
    /// unit cannot hold) where script failures are recorded.
    fn record(&self, error: &RuleError, now: DateTime<Utc>);
    /// Checks a session and finds the alternatives.
    fn check(&self, req: &SessionCheck, now: DateTime<Utc>) -> Verdict;
    /// What every hook answers about a session, by hook name (a failing hook as
    /// `{"rule_error": message}`, amounts as the APIs write them): what a dry-run shows. Asking
    /// records nothing (the dry-run's check records a failing hook as any start does).
    fn hooks(&self, req: &SessionCheck) -> HookAnswers;
    /// The cost of [start, end), in the balance's unit.
    fn cost(
        &self,
        req: &SessionCheck,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Decimal, RuleError>;
    /// The top-up cap (`None`: no cap), asked with `req.top_ups_in_period` in the script's
    /// context; a failing script is `Err(ReasonCode::RuleError)`.
    fn top_up_cap(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
    ) -> Result<Option<(CapPeriod, Decimal)>, ReasonCode>;
    /// Whether the owner may give mandates (`mandates_available`); a failing script is
    /// `Err(ReasonCode::RuleError)`.
    fn mandates_available(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
    ) -> Result<bool, ReasonCode>;
    /// What `application(ctx)` decides about an application (default `Review`). A failing
    /// script is recorded where script failures are and answered as the error: the caller
    /// takes it as `Review`, never as an approval.
    fn application(
        &self,
        facts: &crate::loket::rule::ApplicationFacts,
        now: DateTime<Utc>,
    ) -> Result<crate::loket::rule::RuleDecision, RuleError>;
}

/// What each hook answered, by its name.
pub type HookAnswers = serde_json::Map<String, serde_json::Value>;

/// Whose rules: a gemeente at a version of its configuration (which changes with its rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesOf {
    /// The gemeente.
    pub tenant: TenantId,
    /// Its slug, for messages.
    pub slug: String,
    /// The version of its configuration.
    pub version: i64,
}

impl RulesOf {
    /// The rules of `product`'s gemeente.
    pub fn of(product: &ProductView) -> Self {
        Self {
            tenant: product.tenant,
            slug: product.tenant_slug.clone(),
            version: product.tenant_version,
        }
    }
}

/// Where the rules come from.
#[async_trait]
pub trait RulesPort: Send + Sync {
    /// The rules of a product type in force `at`: a session's start, or now for what is
    /// decided now (a top-up's cap, whether mandates may be given).
    async fn in_force(
        &self,
        tenant: &RulesOf,
        product_type: &Code,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Arc<dyn Pricing>, RuleError>;
    /// The rules at the versions a session was priced with.
    async fn pinned(
        &self,
        tenant: &RulesOf,
        product_type: &Code,
        versions: RuleVersions,
    ) -> Result<Arc<dyn Pricing>, RuleError>;
}
