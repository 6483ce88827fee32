//! "Opwaarderen": buying balance for an own visitor scheme with iDEAL.
//!
//! The gemeente sells options per product type (an amount for a price); the period's cap of the
//! rules counts paid, pending and still-open payments, so that two checkouts at once cannot pass
//! it. A payment is stored before the provider is asked (its id is the idempotency key), and the
//! provider's word is final: a webhook, the payer's return and the simulated checkout all fetch
//! the payment and settle what it says, under the product's lock. A paid payment credits the
//! amount stored when it was created, once. Open payments stop counting when their time is up.

mod model;
mod ports;

pub use model::*;
pub use ports::*;

use crate::accounts::Account;
use crate::calendar::CapPeriod;
use crate::clock::Clock;
use crate::ids::{PaymentId, ProductId};
use crate::parking::{ProductAccess, ProductView, RuleError, RulesOf, RulesPort, SessionCheck};
use crate::ports::StoreError;
use crate::product_type::{BalanceUnit, ProductKind, TopUpOption};
use crate::rules::ReasonCode;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Why a top-up could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum TopUpError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The provider failed; nothing was charged.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The gemeente's rules could not be loaded.
    #[error("rules: {0}")]
    Rules(RuleError),
    /// The provider reports another amount than the payment was created with: not credited.
    #[error("payment {payment} is for {reported} euros at the provider, {stored} stored")]
    AmountMismatch {
        /// Our payment.
        payment: PaymentId,
        /// The provider's amount.
        reported: Decimal,
        /// Ours.
        stored: Decimal,
    },
}

/// What the top-up page of a product offers.
#[derive(Debug, Clone)]
pub struct Offer {
    /// The product, with its balance.
    pub product: ProductView,
    /// The options still possible (all of them without a cap).
    pub options: Vec<TopUpOption>,
    /// Why there are none, when there are none.
    pub refusal: Option<ReasonCode>,
    /// Where the period's cap stands, when the rules set one.
    pub cap: Option<CapState>,
}

/// Where a period's top-up cap stands, all in the balance's smallest unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapState {
    /// The most the period may hold.
    pub limit: i64,
    /// What counts against it: paid and unfinished payments.
    pub counted: i64,
    /// The part of `counted` still under way (not paid yet, not ended).
    pub unfinished: i64,
    /// When the next period starts (`None` for a rolling one).
    pub renews: Option<DateTime<Utc>>,
}

impl CapState {
    /// What is left to top up in this period.
    pub fn left(&self) -> i64 {
        (self.limit - self.counted).max(0)
    }
}

/// What asking to pay came to.
#[derive(Debug, Clone)]
pub enum Bought {
    /// Created: send the payer to its checkout.
    Created(Payment),
    /// Refused: over the cap, or the rules failed.
    Refused(ReasonCode),
    /// Not an option of this product's type.
    UnknownOption,
}

/// How the provider's report was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notified {
    /// A payment of ours, settled as it says.
    Settled(Settled),
    /// Not a payment of ours.
    Unknown,
}

/// The settings of top-ups.
#[derive(Debug, Clone)]
pub struct TopUpSettings {
    /// How long an open payment counts before it expires by the clock.
    pub expiry: Duration,
    /// Where the provider reports changes (absolute).
    pub webhook_url: String,
    /// The provider's name as stored with each payment.
    pub provider_name: &'static str,
}

/// The top-up use cases.
#[derive(Clone)]
pub struct TopUps {
    repo: Arc<dyn PaymentRepository>,
    products: Arc<dyn ProductAccess>,
    rules: Arc<dyn RulesPort>,
    provider: Arc<dyn PaymentProvider>,
    simulator: Option<Arc<dyn SimulatedCheckout>>,
    clock: Arc<dyn Clock>,
    settings: TopUpSettings,
}

impl TopUps {
    /// On their ports; `simulator` is the checkout of the simulated provider, when that is
    /// the provider.
    pub fn new(
        repo: Arc<dyn PaymentRepository>,
        products: Arc<dyn ProductAccess>,
        rules: Arc<dyn RulesPort>,
        (provider, simulator): ProviderWithCheckout,
        clock: Arc<dyn Clock>,
        settings: TopUpSettings,
    ) -> Self {
        Self {
            repo,
            products,
            rules,
            provider,
            simulator,
            clock,
            settings,
        }
    }

    /// Whether payments are simulated (no real money moves).
    pub fn simulated(&self) -> bool {
        self.provider.simulated()
    }

    /// The payment provider, for the desk's refunds to payers.
    pub fn provider(&self) -> Arc<dyn PaymentProvider> {
        self.provider.clone()
    }

    /// The origins of the provider's checkout pages.
    pub fn checkout_origins(&self) -> Vec<String> {
        self.provider.checkout_origins()
    }

    /// A payment of the simulated checkout; `None` without the simulation or such a payment.
    pub async fn simulated_payment(
        &self,
        id: &str,
    ) -> Result<Option<SimulatedPayment>, StoreError> {
        match &self.simulator {
            Some(s) => s.checkout(id).await,
            None => Ok(None),
        }
    }

    /// The payer's choice on the simulated checkout (paid, cancelled, failed or expired); then,
    /// as the real provider would, the webhook. The payment afterwards, to return to its
    /// redirect URL.
    pub async fn simulate(
        &self,
        id: &str,
        outcome: PaymentStatus,
    ) -> Result<Option<SimulatedPayment>, TopUpError> {
        let Some(simulator) = &self.simulator else {
            return Ok(None);
        };
        if !outcome.is_final() {
            return simulator.checkout(id).await.map_err(Into::into);
        }
        let Some(chosen) = simulator.choose(id, outcome).await? else {
            return Ok(None);
        };
        self.notify(id).await?;
        Ok(Some(chosen))
    }

    /// Whether `product` sells top-ups at all (a visitor scheme whose type has options): the
    /// menu shows "Opwaarderen" only then.
    pub fn sells(product: &ProductView) -> bool {
        // Never for a product used through a mandate (the manual).
        product.kind == ProductKind::VisitorScheme
            && !product.top_ups.is_empty()
            && product.mandate.is_none()
    }

    /// The account's own product that sells top-ups, or `None`.
    async fn own(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError> {
        Ok(self
            .products
            .product_of(account.id, product)
            .await?
            .filter(Self::sells))
    }

    /// The cap's window at now, with the top-ups it counts: the rules are asked with the
    /// calendar year's top-ups first and, when they name another period, again with that
    /// period's, so that the script sees what its own period holds.
    async fn cap(
        &self,
        product: &ProductView,
    ) -> Result<Result<Option<CapWindow>, ReasonCode>, TopUpError> {
        let now = self.clock.now();
        let pricing = self
            .rules
            .in_force(&RulesOf::of(product), &product.type_code, now)
            .await
            .map_err(TopUpError::Rules)?;
        let mut check = SessionCheck::of_product(product, now);
        let mut period = CapPeriod::CalendarYear;
        for _ in 0..2 {
            let (since, until) = period.bounds(product.time_zone, now);
            let counted = self.repo.counted_since(product.id, since, now).await?;
            check.top_ups_in_period = product.unit.from_smallest(counted);
            let cap = match pricing.top_up_cap(&check, now) {
                Ok(cap) => cap,
                Err(reason) => return Ok(Err(reason)),
            };
            let Some((asked, limit)) = cap else {
                return Ok(Ok(None));
            };
            if asked == period {
                // A limit finer than the unit counts down to the unit.
                let decimals = if product.unit == BalanceUnit::Money {
                    2
                } else {
                    0
                };
                let counted_down = limit.trunc_with_scale(decimals);
                let Some(limit) = product.unit.to_smallest(counted_down) else {
                    // A cap no balance can hold is the script's mistake: recorded, and nothing
                    // is sold until it is mended (never a cap of nothing or of everything).
                    let error = RuleError::WrongShape {
                        function: "top_up_cap".into(),
                        message: format!(
                            "{limit} is more than a balance in {} can hold",
                            product.unit.as_str()
                        ),
                    };
                    pricing.record(&error, now);
                    return Ok(Err(ReasonCode::RuleError));
                };
                let renews = (period != CapPeriod::Rolling12Months).then_some(until);
                return Ok(Ok(Some(CapWindow {
                    since,
                    limit,
                    renews,
                })));
            }
            period = asked;
        }
        Err(TopUpError::Rules(RuleError::WrongShape {
            function: "top_up_cap".into(),
            message: "names another period at every call".into(),
        }))
    }

    /// The top-up page of the resident's own `product`; `None` when it is not theirs or sells
    /// no top-ups.
    pub async fn offer(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<Offer>, TopUpError> {
        let Some(view) = self.own(account, product).await? else {
            return Ok(None);
        };
        self.settle_overdue(Some(product)).await?;
        // Nothing is sold while the gemeente is suspended.
        if view.tenant_suspended {
            return Ok(Some(Offer {
                product: view,
                options: Vec::new(),
                refusal: Some(ReasonCode::TenantSuspended),
                cap: None,
            }));
        }
        let now = self.clock.now();
        let options = view.top_ups.clone();
        let offer = match self.cap(&view).await? {
            Err(reason) => Offer {
                product: view,
                options: Vec::new(),
                refusal: Some(reason),
                cap: None,
            },
            Ok(None) => Offer {
                product: view,
                options,
                refusal: None,
                cap: None,
            },
            Ok(Some(cap)) => {
                let counted = self.repo.counted_since(view.id, cap.since, now).await?;
                let unfinished = self.repo.unfinished_since(view.id, cap.since, now).await?;
                let room = cap.limit - counted;
                let unit = view.unit;
                let fitting: Vec<TopUpOption> = options
                    .into_iter()
                    .filter(|o| unit.to_smallest(o.amount).is_some_and(|a| a <= room))
                    .collect();
                let refusal = fitting.is_empty().then_some(ReasonCode::TopUpCapReached);
                Offer {
                    product: view,
                    options: fitting,
                    refusal,
                    cap: Some(CapState {
                        limit: cap.limit,
                        counted,
                        unfinished,
                        renews: cap.renews,
                    }),
                }
            }
        };
        Ok(Some(offer))
    }

    /// [Betaal]: opens a payment of `option` (its id) for the resident's own `product` and
    /// asks the provider for a checkout; the payer returns to `return_base` +
    /// `/producten/{product}/opwaarderen/{payment}`. `None` when the product is not theirs.
    pub async fn buy(
        &self,
        account: &Account,
        product: ProductId,
        option: &str,
        return_base: &str,
        description: &str,
    ) -> Result<Option<Bought>, TopUpError> {
        let Some(view) = self.own(account, product).await? else {
            return Ok(None);
        };
        if view.tenant_suspended {
            return Ok(Some(Bought::Refused(ReasonCode::TenantSuspended)));
        }
        let unit = view.unit;
        let Some(chosen) = view.top_ups.iter().find(|o| o.id(unit) == option).copied() else {
            return Ok(Some(Bought::UnknownOption));
        };
        let (Some(amount), Some(price_cents)) =
            (unit.to_smallest(chosen.amount), chosen.price_cents())
        else {
            return Ok(Some(Bought::UnknownOption));
        };
        let cap = match self.cap(&view).await? {
            Ok(cap) => cap,
            Err(reason) => return Ok(Some(Bought::Refused(reason))),
        };
        // Unique beyond this database: a restored or second database reuses payment ids, and
        // the provider would answer with the payment of another.
        let nonce = crate::secret::Token::generate().map_err(|e| ProviderError(e.to_string()))?;
        let nonce: String = nonce
            .expose()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        let now = self.clock.now();
        let new = NewPayment {
            product,
            account: account.id,
            amount,
            price_cents,
            provider: self.settings.provider_name,
            expires_at: now + self.settings.expiry,
        };
        let payment = match self.repo.open(&new, cap, now).await? {
            Opened::Opened(p) => p,
            Opened::CapReached => return Ok(Some(Bought::Refused(ReasonCode::TopUpCapReached))),
            Opened::NotFound => return Ok(None),
        };
        let request = PaymentRequest {
            idempotency_key: format!("parkportal-payment-{}-{nonce}", payment.id),
            payment: payment.id,
            price: payment.price(),
            description: description.to_owned(),
            redirect_url: format!(
                "{}/producten/{}/opwaarderen/{}",
                return_base.trim_end_matches('/'),
                product.0,
                payment.id.0
            ),
            webhook_url: self.settings.webhook_url.clone(),
        };
        let created = match self.provider.create(&request).await {
            Ok(created) if created.checkout_url.is_some() && created.price == payment.price() => {
                created
            }
            Ok(created) => {
                self.repo.abandon(payment.id, self.clock.now()).await?;
                return Err(ProviderError(format!(
                    "payment {} created without a checkout or for {} euros",
                    created.id, created.price
                ))
                .into());
            }
            Err(e) => {
                // Nothing was charged: the payment stops counting against the cap.
                self.repo.abandon(payment.id, self.clock.now()).await?;
                return Err(e.into());
            }
        };
        self.repo
            .attach(payment.id, &created, self.clock.now())
            .await?;
        let payment = self
            .repo
            .payment(payment.id)
            .await?
            .ok_or_else(|| StoreError::new("payment vanished after it was created"))?;
        Ok(Some(Bought::Created(payment)))
    }

    /// The payment `payment` of the resident's own `product`, after asking the provider when
    /// it is still going on; with the product as it is afterwards (its new balance).
    pub async fn payment(
        &self,
        account: &Account,
        product: ProductId,
        payment: PaymentId,
    ) -> Result<Option<(Payment, ProductView)>, TopUpError> {
        let Some(stored) = self.repo.payment(payment).await? else {
            return Ok(None);
        };
        if stored.product != product || stored.account != Some(account.id) {
            return Ok(None);
        }
        // Still the account's own product; whether it still sells top-ups does not matter for a
        // payment made already.
        if self
            .products
            .product_of(account.id, product)
            .await?
            .is_none_or(|v| v.mandate.is_some())
        {
            return Ok(None);
        }
        if !stored.status.is_final()
            && let Some(reference) = stored.provider_ref.clone()
        {
            // The return may come before the webhook: the provider is asked either way. When
            // it cannot be reached, the stored status is shown; the webhook follows.
            match self.settle_from_provider(&stored, &reference).await {
                Ok(_) => {}
                Err(TopUpError::Provider(e)) => {
                    tracing::warn!(payment = stored.id.0, error = %e, "payment status not fetched");
                }
                Err(e) => return Err(e),
            }
        }
        let now = self.clock.now();
        let fresh = self
            .repo
            .payment(payment)
            .await?
            .ok_or_else(|| StoreError::new("payment vanished"))?;
        let Some(view) = self.products.product_of(account.id, product).await? else {
            return Ok(None);
        };
        // The provider's word counts for a payment it has; one it never took expires by the
        // clock.
        let status = match fresh.provider_ref {
            Some(_) => fresh.status,
            None => fresh.status_at(now),
        };
        let shown = Payment { status, ..fresh };
        Ok(Some((shown, view)))
    }

    /// The webhook: the provider says payment `reference` changed. Fetches it and settles.
    pub async fn notify(&self, reference: &str) -> Result<Notified, TopUpError> {
        let Some(stored) = self.repo.by_reference(reference).await? else {
            return Ok(Notified::Unknown);
        };
        if stored.status == PaymentStatus::Paid {
            return Ok(Notified::Settled(Settled::Unchanged));
        }
        Ok(Notified::Settled(
            self.settle_from_provider(&stored, reference).await?,
        ))
    }

    async fn settle_from_provider(
        &self,
        stored: &Payment,
        reference: &str,
    ) -> Result<Settled, TopUpError> {
        let fetched = self.provider.fetch(reference).await?;
        if fetched.id != reference {
            return Err(ProviderError(format!("asked for {reference}, got {}", fetched.id)).into());
        }
        if fetched.status == stored.status {
            return Ok(Settled::Unchanged);
        }
        if fetched.status == PaymentStatus::Paid && fetched.price != stored.price() {
            return Err(TopUpError::AmountMismatch {
                payment: stored.id,
                reported: fetched.price,
                stored: stored.price(),
            });
        }
        Ok(self
            .repo
            .settle(stored.id, fetched.status, self.clock.now())
            .await?)
    }

    /// Open payments past their time: the provider is asked how they stand (it expires them
    /// itself, or they were paid after all); one the provider never took expires. How many were
    /// settled. Housekeeping runs it for all products, a product's top-up page for its own.
    pub async fn expire_overdue(&self) -> Result<u64, StoreError> {
        self.settle_overdue(None).await
    }

    async fn settle_overdue(&self, product: Option<ProductId>) -> Result<u64, StoreError> {
        let now = self.clock.now();
        let mut settled = 0;
        for p in self.repo.overdue(product, now).await? {
            match &p.provider_ref {
                None => {
                    self.repo.expire(p.id, now).await?;
                    settled += 1;
                }
                Some(reference) => match self.settle_from_provider(&p, reference).await {
                    Ok(Settled::Unchanged) => {}
                    Ok(_) => settled += 1,
                    Err(TopUpError::Store(e)) => return Err(e),
                    // Asked again at the next run; the payment keeps counting meanwhile.
                    Err(e) => {
                        tracing::warn!(payment = p.id.0, error = %e, "overdue payment not settled")
                    }
                },
            }
        }
        Ok(settled)
    }
}

#[cfg(test)]
mod tests;
