//! Rules that price every minute alike, with a settable top-up cap and mandate switch.

use crate::calendar::CapPeriod;
use crate::parking::{
    CostBreakdown, HookAnswers, Pricing, RuleError, RuleVersions, RulesOf, RulesPort, SessionCheck,
    TariffUnit, Verdict,
};
use crate::rules::ReasonCode;
use crate::tenant::Code;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::sync::{Arc, Mutex};

/// Cents per minute, a cap and whether mandates are available; the same at every version.
#[derive(Debug, Clone)]
pub(crate) struct FakeRules {
    /// The price of a minute, in the balance's unit.
    pub per_minute: Decimal,
    /// The top-up cap the rules name.
    pub cap: Option<(CapPeriod, Decimal)>,
    /// What `mandates_available` answers.
    pub mandates: bool,
    /// The failures recorded through these rules (shared by every version handed out).
    pub recorded: Arc<Mutex<Vec<String>>>,
}

impl FakeRules {
    /// The failures recorded, as the rule-error table would name them.
    pub(crate) fn recorded(&self) -> Vec<String> {
        self.recorded.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl FakeRules {
    /// One cent a minute, no cap, mandates available.
    pub(crate) fn cent_a_minute() -> Self {
        Self {
            per_minute: Decimal::new(1, 2),
            cap: None,
            mandates: true,
            recorded: Arc::default(),
        }
    }
}

impl Pricing for FakeRules {
    fn versions(&self) -> RuleVersions {
        RuleVersions::new(1, 1)
    }

    fn record(&self, error: &RuleError, _now: DateTime<Utc>) {
        if let Ok(mut recorded) = self.recorded.lock() {
            recorded.push(format!("{}: {}", error.function(), error.message()));
        }
    }

    fn hooks(&self, _req: &SessionCheck) -> HookAnswers {
        // A fake has no script: every hook gives what the fake decides with.
        let mut answers = HookAnswers::new();
        answers.insert("mandates_available".into(), self.mandates.into());
        answers
    }

    fn check(&self, req: &SessionCheck, _now: DateTime<Utc>) -> Verdict {
        let cost = self.cost(req, req.start, req.end).unwrap_or(Decimal::MAX);
        // What the session holds already counts towards its cost (an extension).
        let reasons = if cost - req.reserved > req.balance {
            vec![ReasonCode::InsufficientBalance]
        } else {
            Vec::new()
        };
        Verdict {
            breakdown: CostBreakdown {
                amount: cost,
                ..CostBreakdown::nothing(TariffUnit::Money)
            },
            reasons,
            alternatives: Vec::new(),
            allowed_hours: None,
        }
    }

    fn cost(
        &self,
        _req: &SessionCheck,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Decimal, RuleError> {
        Ok(self.per_minute * Decimal::from((end - start).num_minutes()))
    }

    fn top_up_cap(
        &self,
        _req: &SessionCheck,
        _now: DateTime<Utc>,
    ) -> Result<Option<(CapPeriod, Decimal)>, ReasonCode> {
        Ok(self.cap)
    }

    fn mandates_available(
        &self,
        _req: &SessionCheck,
        _now: DateTime<Utc>,
    ) -> Result<bool, ReasonCode> {
        Ok(self.mandates)
    }

    fn application(
        &self,
        _facts: &crate::loket::rule::ApplicationFacts,
        _now: DateTime<Utc>,
    ) -> Result<crate::loket::rule::RuleDecision, RuleError> {
        Ok(crate::loket::rule::RuleDecision::Review)
    }
}

#[async_trait]
impl RulesPort for FakeRules {
    async fn in_force(
        &self,
        _tenant: &RulesOf,
        _product_type: &Code,
        _at: DateTime<Utc>,
    ) -> Result<Arc<dyn Pricing>, RuleError> {
        Ok(Arc::new(self.clone()))
    }

    async fn pinned(
        &self,
        _tenant: &RulesOf,
        _product_type: &Code,
        _versions: RuleVersions,
    ) -> Result<Arc<dyn Pricing>, RuleError> {
        Ok(Arc::new(self.clone()))
    }
}
