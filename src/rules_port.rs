//! The rules engine as the domain's [`RulesPort`]: a [`RuleSet`] prices and checks sessions;
//! failures of scripts go to the rule-error table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::Code;
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::parking::{Alternative, Pricing, RulesOf, RulesPort, SessionCheck, Verdict};
use parkportal_domain::rules::ReasonCode;
use parkportal_rules::RuleBook;
use parkportal_rules::ruleset::{RuleErrorSink, RuleSet, SessionRequest};
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
}

struct RuleSetPricing {
    set: RuleSet,
    sink: Arc<dyn RuleErrorSink>,
}

fn request(req: &SessionCheck) -> SessionRequest {
    request_with(req, Decimal::ZERO)
}

fn request_with(req: &SessionCheck, top_ups_in_period: Decimal) -> SessionRequest {
    SessionRequest {
        time_zone: req.time_zone,
        zone: req.zone.clone(),
        plate: req.plate.clone(),
        start: req.start,
        end: req.end,
        balance: req.balance,
        reserved: req.reserved,
        others: req.others.clone(),
        top_ups_in_period,
        mandatee: req.mandatee,
    }
}

impl Pricing for RuleSetPricing {
    fn versions(&self) -> (i64, i64) {
        (self.set.script_version(), self.set.tariff_version())
    }

    fn check(&self, req: &SessionCheck, now: DateTime<Utc>) -> Verdict {
        let decision = match req.extends {
            Some(current_end) => {
                self.set
                    .check_extension(&request(req), current_end, now, self.sink.as_ref())
            }
            None => self
                .set
                .check_session(&request(req), now, self.sink.as_ref()),
        };
        Verdict {
            cost: decision.cost.amount,
            breakdown: serde_json::to_string(&decision.cost).unwrap_or_default(),
            reasons: decision.reasons,
            alternatives: decision
                .alternatives
                .into_iter()
                .map(|a| Alternative {
                    kind: a.kind,
                    start: a.start,
                    end: a.end,
                    cost: a.cost,
                })
                .collect(),
        }
    }

    fn cost(
        &self,
        req: &SessionCheck,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Decimal, String> {
        self.set
            .cost(&request(req), start, end)
            .map(|c| c.amount)
            .map_err(|e| e.to_string())
    }

    fn top_up_cap(
        &self,
        req: &SessionCheck,
        top_ups: Decimal,
        now: DateTime<Utc>,
    ) -> Result<Option<(CapPeriod, Decimal)>, ReasonCode> {
        Ok(self
            .set
            .top_up_cap(&request_with(req, top_ups), now, self.sink.as_ref())?
            .map(|cap| (cap.period, cap.limit)))
    }

    fn mandates_available(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
    ) -> Result<bool, ReasonCode> {
        match self
            .set
            .mandates_available(&request(req), now, self.sink.as_ref())
        {
            Ok(()) => Ok(true),
            Err(ReasonCode::MandatesUnavailable) => Ok(false),
            Err(other) => Err(other),
        }
    }
}

#[async_trait]
impl RulesPort for RuleBookPort {
    async fn current(
        &self,
        tenant: &RulesOf,
        product_type: &Code,
    ) -> Result<Arc<dyn Pricing>, String> {
        let set = self
            .book
            .rule_set_of(tenant.tenant, &tenant.slug, tenant.version, product_type)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(RuleSetPricing {
            set,
            sink: self.sink.clone(),
        }))
    }

    async fn pinned(
        &self,
        tenant: &RulesOf,
        product_type: &Code,
        script_version: i64,
        tariff_version: i64,
    ) -> Result<Arc<dyn Pricing>, String> {
        let set = self
            .book
            .rule_set_at(
                tenant.tenant,
                &tenant.slug,
                product_type,
                script_version,
                tariff_version,
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(RuleSetPricing {
            set,
            sink: self.sink.clone(),
        }))
    }
}
