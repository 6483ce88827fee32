//! The ports of top-ups: the payment provider (iDEAL through Mollie, or the built-in simulation)
//! and where payments are kept.

use super::model::{Payment, PaymentStatus};
use crate::ids::{AccountId, PaymentId, ProductId};
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// What the provider is asked to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// Sent as `Idempotency-Key`: asking twice creates one payment.
    pub idempotency_key: String,
    /// Our payment, sent as metadata.
    pub payment: PaymentId,
    /// The price in euros.
    pub price: Decimal,
    /// What the payer's bank statement shows.
    pub description: String,
    /// Where the payer returns after the checkout.
    pub redirect_url: String,
    /// Where the provider reports a change of status.
    pub webhook_url: String,
}

/// A payment as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    /// The provider's id (`tr_...`).
    pub id: String,
    /// Its status.
    pub status: PaymentStatus,
    /// The amount it collects, in euros.
    pub price: Decimal,
    /// Where the payer pays (while the payment is open).
    pub checkout_url: Option<String>,
}

/// The provider did not answer as it should (unreachable, refused, or an answer we cannot read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment provider: {0}")]
pub struct ProviderError(pub String);

/// A refund the provider is asked to send back through a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// Sent as `Idempotency-Key`: asking twice creates one refund.
    pub idempotency_key: String,
    /// The provider's id of the payment (`tr_...`).
    pub payment_ref: String,
    /// The amount in euros.
    pub price: Decimal,
    /// What the payer's bank statement shows.
    pub description: String,
}

/// A refund as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    /// The provider's id (`re_...`).
    pub id: String,
    /// Its status in the provider's words (`queued`, `pending`, `processing`, `refunded`).
    pub status: String,
}

/// Why a refund was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundFailure {
    /// The provider answered and refused it (a 4xx: nothing was refunded).
    #[error("refused by the payment provider: {0}")]
    Refused(String),
    /// No answer, a failure of the provider's own, or one we cannot read: it may or may not
    /// have been made, so it is sent again under the same idempotency key.
    #[error("payment provider: {0}")]
    Unsure(String),
}

/// A payment service provider.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Whether this is the built-in simulation (no real money).
    fn simulated(&self) -> bool;
    /// The origins (`https://host`) its checkout pages live on: the page with [Betaal] must
    /// allow its form to lead there.
    fn checkout_origins(&self) -> Vec<String>;
    /// Creates a payment.
    async fn create(&self, request: &PaymentRequest) -> Result<ProviderPayment, ProviderError>;
    /// Fetches a payment's current state.
    async fn fetch(&self, id: &str) -> Result<ProviderPayment, ProviderError>;
    /// Refunds part or all of a paid payment to its payer.
    async fn refund(&self, request: &RefundRequest) -> Result<ProviderRefund, RefundFailure>;
}

/// A payment to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// The product topped up.
    pub product: ProductId,
    /// Who pays; must own the product.
    pub account: AccountId,
    /// What it adds, in the balance's smallest unit.
    pub amount: i64,
    /// The price in cents.
    pub price_cents: i64,
    /// Its provider (`simulated`, `mollie`).
    pub provider: &'static str,
    /// When it stops counting if still open.
    pub expires_at: DateTime<Utc>,
}

/// The cap a new payment must fit under, as counted from `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapWindow {
    /// The start of the period.
    pub since: DateTime<Utc>,
    /// The most the period may hold, in the smallest unit.
    pub limit: i64,
    /// When the next period starts, counting from zero again (`None` for a rolling period,
    /// which frees room payment by payment).
    pub renews: Option<DateTime<Utc>>,
}

/// What opening a payment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// Stored as open.
    Opened(Payment),
    /// It would go over the period's cap (counted under the product's lock).
    CapReached,
    /// Not one of the account's own active products.
    NotFound,
}

/// What settling a reported status came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Paid now: the balance is credited with the payment's amount.
    Credited,
    /// Another status stored.
    Changed,
    /// Nothing new (the same status, or paid already).
    Unchanged,
}

/// Where payments are kept. Every write locks the product first.
#[async_trait]
pub trait PaymentRepository: Send + Sync {
    /// What counts against the cap since `since`: paid and pending payments, open ones the
    /// provider has (until it calls them final) and open ones it never took that are not past
    /// their time, in the smallest unit.
    async fn counted_since(
        &self,
        product: ProductId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// The part of [`PaymentRepository::counted_since`] that is not paid yet: payments under way
    /// (pending, or open and still payable), which hold room under the cap until they end.
    async fn unfinished_since(
        &self,
        product: ProductId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// Locks the product, checks the cap again under the lock and stores the payment as open.
    async fn open(
        &self,
        new: &NewPayment,
        cap: Option<CapWindow>,
        now: DateTime<Utc>,
    ) -> Result<Opened, StoreError>;
    /// Records the provider's id, checkout and status of a payment just created.
    async fn attach(
        &self,
        payment: PaymentId,
        created: &ProviderPayment,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Marks a payment the provider never took as failed, so that it stops counting.
    async fn abandon(&self, payment: PaymentId, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// One payment.
    async fn payment(&self, payment: PaymentId) -> Result<Option<Payment>, StoreError>;
    /// The payment with this provider id.
    async fn by_reference(&self, reference: &str) -> Result<Option<Payment>, StoreError>;
    /// Stores a status the provider reported, under the product's lock: `paid` credits the
    /// payment's stored amount once (its provider id is unique in the ledger); a paid payment
    /// never changes again.
    async fn settle(
        &self,
        payment: PaymentId,
        status: PaymentStatus,
        now: DateTime<Utc>,
    ) -> Result<Settled, StoreError>;
    /// The open payments past their time (of `product`, or of all products).
    async fn overdue(
        &self,
        product: Option<ProductId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Payment>, StoreError>;
    /// Marks an open payment the provider never took as expired.
    async fn expire(&self, payment: PaymentId, now: DateTime<Utc>) -> Result<(), StoreError>;
}

/// A payment of the built-in simulated provider, as its checkout page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedPayment {
    /// Its id (`sim_...`).
    pub id: String,
    /// The price in euros.
    pub price: Decimal,
    /// What it is for.
    pub description: String,
    /// Where the payer returns.
    pub redirect_url: String,
    /// Its status.
    pub status: PaymentStatus,
}

/// The checkout of the simulated provider: the payer picks the outcome.
#[async_trait]
pub trait SimulatedCheckout: Send + Sync {
    /// One simulated payment.
    async fn checkout(&self, id: &str) -> Result<Option<SimulatedPayment>, StoreError>;
    /// Sets the outcome of an open simulated payment; the payment as it is afterwards (a
    /// final outcome stays as it was).
    async fn choose(
        &self,
        id: &str,
        outcome: PaymentStatus,
    ) -> Result<Option<SimulatedPayment>, StoreError>;
}

/// A payment provider with, for the simulation, its checkout.
pub type ProviderWithCheckout = (
    std::sync::Arc<dyn PaymentProvider>,
    Option<std::sync::Arc<dyn SimulatedCheckout>>,
);
