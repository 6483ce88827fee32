//! The rule book as the domain's [`RulesPort`]: a [`RuleSet`] prices and checks sessions on the
//! domain's own request and answers in its own verdict; failures of scripts go to the rule-error
//! sink.

use crate::book::RuleBook;
use crate::ruleset::{RuleErrorSink, RuleSet};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::Code;
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::loket::rule::{ApplicationFacts, RuleDecision};
use parkportal_domain::parking::{
    HookAnswers, Pricing, RuleError, RuleVersions, RulesOf, RulesPort, SessionCheck, Verdict,
};
use parkportal_domain::rules::ReasonCode;
use rust_decimal::Decimal;
use std::sync::Arc;

/// The rule book behind the domain's port.
pub struct RuleBookPort {
    book: Arc<RuleBook>,
    sink: Arc<dyn RuleErrorSink>,
}

impl RuleBookPort {
    /// On `book`, recording failures in `sink`.
    pub fn new(book: Arc<RuleBook>, sink: Arc<dyn RuleErrorSink>) -> Self {
        Self { book, sink }
    }

    fn pricing(&self, set: RuleSet) -> Arc<dyn Pricing> {
        Arc::new(RuleSetPricing {
            set,
            sink: self.sink.clone(),
        })
    }
}

/// A rule set with the sink its failures go to: what one session check needs.
struct RuleSetPricing {
    set: RuleSet,
    sink: Arc<dyn RuleErrorSink>,
}

impl Pricing for RuleSetPricing {
    fn versions(&self) -> RuleVersions {
        self.set.versions()
    }

    fn record(&self, error: &RuleError, now: DateTime<Utc>) {
        self.set.record(error, "", now, self.sink.as_ref());
    }

    fn check(&self, req: &SessionCheck, now: DateTime<Utc>) -> Verdict {
        self.set.check_session(req, now, self.sink.as_ref())
    }

    fn hooks(&self, req: &SessionCheck) -> HookAnswers {
        self.set.hook_answers(req)
    }

    fn cost(
        &self,
        req: &SessionCheck,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Decimal, RuleError> {
        self.set.cost(req, start, end).map(|c| c.amount)
    }

    fn top_up_cap(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
    ) -> Result<Option<(CapPeriod, Decimal)>, ReasonCode> {
        Ok(self
            .set
            .top_up_cap(req, now, self.sink.as_ref())?
            .map(|cap| (cap.period, cap.limit)))
    }

    fn mandates_available(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
    ) -> Result<bool, ReasonCode> {
        match self.set.mandates_available(req, now, self.sink.as_ref()) {
            Ok(()) => Ok(true),
            Err(ReasonCode::MandatesUnavailable) => Ok(false),
            Err(other) => Err(other),
        }
    }

    fn application(
        &self,
        facts: &ApplicationFacts,
        now: DateTime<Utc>,
    ) -> Result<RuleDecision, RuleError> {
        self.set.application(facts, now, self.sink.as_ref())
    }
}

#[async_trait]
impl RulesPort for RuleBookPort {
    async fn in_force(
        &self,
        tenant: &RulesOf,
        product_type: &Code,
        at: DateTime<Utc>,
    ) -> Result<Arc<dyn Pricing>, RuleError> {
        let set = self
            .book
            .rule_set_of(
                (tenant.tenant, &tenant.slug, tenant.version),
                product_type,
                at,
            )
            .await?;
        Ok(self.pricing(set))
    }

    async fn pinned(
        &self,
        tenant: &RulesOf,
        product_type: &Code,
        versions: RuleVersions,
    ) -> Result<Arc<dyn Pricing>, RuleError> {
        let set = self
            .book
            .rule_set_at(tenant.tenant, &tenant.slug, product_type, versions)
            .await?;
        Ok(self.pricing(set))
    }
}
