//! Refunding what is left of a revoked product's paid balance to the payer (#22). Money goes
//! back the way it came: through the top-up payments that bought it, newest first, each a refund
//! at the payment provider (Mollie's refunds API; the simulation in the demo) of at most what is
//! left of that payment. Grants and opening balances were never paid for and are not refunded.
//!
//! A refund is booked before the provider is asked: under the product's lock its units leave the
//! balance as a `payer_refund` entry and the refund is stored `unsent`, in one transaction with
//! its audit entry, so that two medewerkers at once never refund the same money twice. Then the
//! provider is asked, with the refund's id as idempotency key. Taken: `sent`, with its id and
//! status. Refused (a definite answer): `refused`, and its entry is reversed, so the balance is
//! whole again. Unreachable or an unreadable answer: it stays `unsent`, and asking again sends it
//! again under the same key (the provider then answers with the refund it made the first time).

use crate::audit::AuditEntry;
use crate::ids::{PaymentId, ProductId, StaffId, TenantId};
use crate::ports::StoreError;
use crate::secret::ProductCode;
use crate::top_up::{PaymentProvider, ProviderRefund, RefundFailure, RefundRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A paid top-up of a product, with what went back through it already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidTopUp {
    /// The payment.
    pub payment: PaymentId,
    /// The provider's id of it (`tr_...`).
    pub provider_ref: String,
    /// The units it bought.
    pub amount: i64,
    /// What it cost, in euro cents.
    pub price_cents: i64,
    /// The units refunded through it already (refused refunds not counted).
    pub refunded: i64,
    /// The cents refunded through it already.
    pub refunded_cents: i64,
}

/// One refund through one payment, as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPart {
    /// The payment it goes back through.
    pub payment: PaymentId,
    /// The provider's id of that payment.
    pub provider_ref: String,
    /// The units it takes off the balance.
    pub amount: i64,
    /// The euro cents it returns.
    pub price_cents: i64,
}

/// How `balance` (smallest unit) goes back through `paid` (newest first): at most what is left
/// of each payment, at the price it was bought for, rounded down to the cent except where a
/// payment is refunded in full. Units worth less than a cent stay on the balance.
pub fn plan(balance: i64, paid: &[PaidTopUp]) -> Vec<RefundPart> {
    let mut left = balance.max(0);
    let mut parts = Vec::new();
    for p in paid {
        if left == 0 {
            break;
        }
        let (units_left, cents_left) = (p.amount - p.refunded, p.price_cents - p.refunded_cents);
        if units_left <= 0 || cents_left <= 0 || p.amount <= 0 {
            continue;
        }
        let units = left.min(units_left);
        let cents = if units == units_left {
            cents_left
        } else {
            let share = i128::from(units) * i128::from(p.price_cents) / i128::from(p.amount);
            i64::try_from(share).unwrap_or(i64::MAX).min(cents_left)
        };
        if cents <= 0 {
            continue;
        }
        parts.push(RefundPart {
            payment: p.payment,
            provider_ref: p.provider_ref.clone(),
            amount: units,
            price_cents: cents,
        });
        left -= units;
    }
    parts
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    /// Booked; the provider has not (knowingly) taken it yet.
    Unsent,
    /// The provider took it.
    Sent,
    /// The provider refused it; its entry was reversed.
    Refused,
}

impl RefundState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsent => "unsent",
            Self::Sent => "sent",
            Self::Refused => "refused",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Unsent, Self::Sent, Self::Refused]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A refund as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerRefund {
    /// Its id (also its idempotency key at the provider).
    pub id: i64,
    /// The provider's id of the payment it goes back through.
    pub payment_ref: String,
    /// The units it took off the balance.
    pub amount: i64,
    /// The euro cents it returns.
    pub price_cents: i64,
    /// The medewerker's reason.
    pub reason: String,
    /// The medewerker who made it.
    pub staff: StaffId,
    /// Where it stands.
    pub state: RefundState,
    /// The provider's id of the refund (`re_...`), once taken.
    pub provider_ref: Option<String>,
    /// The provider's status as it last answered (`queued`, `pending`, `refunded`, ...).
    pub provider_status: Option<String>,
    /// What went wrong the last time it was sent, if anything.
    pub error: Option<String>,
    /// When it was booked.
    pub created_at: DateTime<Utc>,
}

/// What the product page shows: what could go back now, and the refunds made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOverview {
    /// Whether the product is revoked (only then is anything refunded).
    pub revoked: bool,
    /// What a refund now would send.
    pub refundable: Vec<RefundPart>,
    /// The refunds of the product, newest first.
    pub refunds: Vec<PayerRefund>,
}

impl RefundOverview {
    /// The units and cents a refund now would send.
    pub fn refundable_total(&self) -> (i64, i64) {
        self.refundable
            .iter()
            .fold((0, 0), |(u, c), p| (u + p.amount, c + p.price_cents))
    }

    /// Whether a refund is waiting to be sent again.
    pub fn unsent(&self) -> bool {
        self.refunds.iter().any(|r| r.state == RefundState::Unsent)
    }
}

/// What booking came to, under the product's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booked {
    /// The refunds booked now (possibly none: nothing more to refund).
    Booked(Vec<PayerRefund>),
    /// Not this gemeente's.
    NotFound,
    /// Not revoked.
    NotRevoked,
}

/// The refunds in the database.
#[async_trait]
pub trait PayerRefundRepository: Send + Sync {
    /// The product of `tenant` with `code`.
    async fn product(
        &self,
        tenant: TenantId,
        code: &ProductCode,
    ) -> Result<Option<ProductId>, StoreError>;
    /// What a refund of `product` (of `tenant`) would send now, and its refunds.
    async fn overview(
        &self,
        tenant: TenantId,
        product: ProductId,
    ) -> Result<RefundOverview, StoreError>;
    /// Under the product's lock: refused unless it is `tenant`'s and revoked; else what is left
    /// of its paid balance is planned again, each part stored `unsent` with its `payer_refund`
    /// entry by `staff` for `reason`, and `audit` (when anything was booked), in one transaction.
    async fn book(
        &self,
        tenant: TenantId,
        product: ProductId,
        (staff, reason): (StaffId, &str),
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Booked, StoreError>;
    /// The product's refunds still `unsent`, oldest first.
    async fn unsent(&self, product: ProductId) -> Result<Vec<PayerRefund>, StoreError>;
    /// Records the provider's answer to `refund` (still `unsent`): `Ok` sent, `Refused` its
    /// entry reversed under the product's lock, `Unsure` only the error noted; `audit` with a
    /// change. Each in one transaction.
    async fn answered(
        &self,
        refund: &PayerRefund,
        answer: &Result<ProviderRefund, RefundFailure>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
}

/// Why nothing was refunded.
#[derive(Debug, thiserror::Error)]
pub enum PayerRefundError {
    /// No such product in this gemeente.
    #[error("no such product in this gemeente")]
    NotFound,
    /// Only a revoked product's balance goes back.
    #[error("the product is not revoked")]
    NotRevoked,
    /// Nothing paid is left, and nothing waits to be sent.
    #[error("nothing to refund")]
    Nothing,
    /// The reason is missing or too long.
    #[error("the reason is missing or too long")]
    ReasonInvalid,
    /// Storage failed.
    #[error("{0}")]
    Failed(String),
}

impl PayerRefundError {
    /// The stable code of a refusal (`None`: a failure).
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::NotFound => "not_found",
            Self::NotRevoked => "product_not_revoked",
            Self::Nothing => "nothing_to_refund",
            Self::ReasonInvalid => "reason_invalid",
            Self::Failed(_) => return None,
        })
    }
}

impl From<StoreError> for PayerRefundError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.to_string())
    }
}

/// What one round of refunding came to, in euro cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefundReport {
    /// Taken by the provider.
    pub sent: i64,
    /// Refused by the provider (back on the balance).
    pub refused: i64,
    /// Not reached: waiting to be sent again.
    pub waiting: i64,
}

/// The use case.
#[derive(Clone)]
pub struct PayerRefunds {
    repo: Arc<dyn PayerRefundRepository>,
    provider: Arc<dyn PaymentProvider>,
    clock: Arc<dyn crate::Clock>,
}

impl PayerRefunds {
    /// The use case on its ports.
    pub fn new(
        repo: Arc<dyn PayerRefundRepository>,
        provider: Arc<dyn PaymentProvider>,
        clock: Arc<dyn crate::Clock>,
    ) -> Self {
        Self {
            repo,
            provider,
            clock,
        }
    }

    /// What the product page shows about refunds of `product`.
    pub async fn overview(
        &self,
        tenant: TenantId,
        product: ProductId,
    ) -> Result<RefundOverview, StoreError> {
        self.repo.overview(tenant, product).await
    }

    /// Refunds what is left of the paid balance of `tenant`'s revoked product `code` by `staff`
    /// for `reason` (`audit`: the medewerker's entry, action `product.payer_refund`), and sends
    /// again what waited.
    pub async fn refund(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        (staff, reason): (StaffId, &str),
        audit: &AuditEntry,
    ) -> Result<RefundReport, PayerRefundError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > crate::coupling::MAX_REASON_CHARS {
            return Err(PayerRefundError::ReasonInvalid);
        }
        let product = self
            .repo
            .product(tenant, code)
            .await?
            .ok_or(PayerRefundError::NotFound)?;
        let mut entry = audit.clone().about("product", product.0);
        entry.reason = Some(reason.to_owned());
        match self
            .repo
            .book(tenant, product, (staff, reason), self.clock.now(), &entry)
            .await?
        {
            Booked::NotFound => return Err(PayerRefundError::NotFound),
            Booked::NotRevoked => return Err(PayerRefundError::NotRevoked),
            Booked::Booked(_) => {}
        }
        let unsent = self.repo.unsent(product).await?;
        if unsent.is_empty() {
            return Err(PayerRefundError::Nothing);
        }
        let mut report = RefundReport::default();
        for refund in unsent {
            let request = RefundRequest {
                idempotency_key: format!("parkportal-refund-{}", refund.id),
                payment_ref: refund.payment_ref.clone(),
                price: rust_decimal::Decimal::new(refund.price_cents, 2),
                // Never the product code: it reaches the payer's bank statement, and with its
                // PIN it claims the product.
                description: format!("Terugbetaling parkeersaldo {}", refund.id),
            };
            let answer = match self.provider.refund(&request).await {
                // After an unclear answer the provider may have made the refund; a refusal now
                // (its idempotency key expired, the amount no longer refundable) proves not
                // that it did not, so the entry is never reversed on it: the refund waits, to
                // be checked in the provider's dashboard.
                Err(RefundFailure::Refused(why)) if refund.error.is_some() => Err(
                    RefundFailure::Unsure(format!("refused after an unclear answer: {why}")),
                ),
                answer => answer,
            };
            let mut outcome = entry.clone();
            match &answer {
                Ok(_) => {
                    outcome.action = "product.payer_refund_sent";
                    report.sent += refund.price_cents;
                }
                Err(RefundFailure::Refused(why)) => {
                    outcome.action = "product.payer_refund_refused";
                    outcome.reason = Some(why.clone());
                    report.refused += refund.price_cents;
                }
                Err(RefundFailure::Unsure(why)) => {
                    tracing::warn!(refund = refund.id, error = %why, "a refund was not sent");
                    outcome.action = "product.payer_refund_waiting";
                    outcome = outcome.refused("provider_unreachable");
                    report.waiting += refund.price_cents;
                }
            }
            self.repo
                .answered(&refund, &answer, self.clock.now(), &outcome)
                .await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid(id: i64, amount: i64, price_cents: i64, refunded: (i64, i64)) -> PaidTopUp {
        PaidTopUp {
            payment: PaymentId(id),
            provider_ref: format!("tr_{id}"),
            amount,
            price_cents,
            refunded: refunded.0,
            refunded_cents: refunded.1,
        }
    }

    fn sent(parts: &[RefundPart]) -> Vec<(i64, i64, i64)> {
        parts
            .iter()
            .map(|p| (p.payment.0, p.amount, p.price_cents))
            .collect()
    }

    #[test]
    fn money_goes_back_through_the_newest_payments_first_up_to_the_balance() {
        let top_ups = [paid(3, 1000, 1000, (0, 0)), paid(2, 2500, 2500, (0, 0))];
        assert_eq!(
            sent(&plan(1800, &top_ups)),
            [(3, 1000, 1000), (2, 800, 800)]
        );
        // A balance larger than what was paid: only what was paid goes back.
        assert_eq!(
            sent(&plan(9000, &top_ups)),
            [(3, 1000, 1000), (2, 2500, 2500)]
        );
        assert!(plan(0, &top_ups).is_empty());
        assert!(plan(-5, &top_ups).is_empty());
    }

    #[test]
    fn what_was_refunded_through_a_payment_before_is_not_refunded_again() {
        let top_ups = [
            paid(3, 1000, 1000, (1000, 1000)),
            paid(2, 2500, 2500, (500, 500)),
        ];
        assert_eq!(sent(&plan(5000, &top_ups)), [(2, 2000, 2000)]);
    }

    #[test]
    fn minutes_go_back_at_their_price_rounded_down_and_a_whole_payment_in_full() {
        // 120 minutes for € 3.33: 50 of them are 138.75 cents, so 138.
        let top_ups = [paid(1, 120, 333, (0, 0))];
        assert_eq!(sent(&plan(50, &top_ups)), [(1, 50, 138)]);
        // The rest of the payment goes back to the cent, whatever the rounding before.
        let top_ups = [paid(1, 120, 333, (50, 138))];
        assert_eq!(sent(&plan(70, &top_ups)), [(1, 70, 195)]);
        // A minute worth less than a cent stays.
        let top_ups = [paid(1, 1000, 100, (0, 0))];
        assert!(plan(5, &top_ups).is_empty());
    }

    #[test]
    fn states_round_trip() {
        for s in [RefundState::Unsent, RefundState::Sent, RefundState::Refused] {
            assert_eq!(RefundState::parse(s.as_str()), Some(s));
        }
        assert_eq!(RefundState::parse("queued"), None);
    }
}
