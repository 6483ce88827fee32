//! Payments in memory: what counts against the cap is set by the test, and opening one checks
//! the cap as the store does under the product's lock.

use crate::ids::{PaymentId, ProductId};
use crate::ports::StoreError;
use crate::top_up::{
    CapWindow, NewPayment, Opened, Payment, PaymentProvider, PaymentRepository, PaymentRequest,
    PaymentStatus, ProviderError, ProviderPayment, ProviderRefund, RefundFailure, RefundRequest,
    Settled,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// Payments that counted before the test and the ones it opened.
pub(crate) struct FakePayments {
    /// What earlier payments of the period hold, in the smallest unit.
    counted: i64,
    opened: Mutex<Vec<NewPayment>>,
}

impl FakePayments {
    /// With `counted` taken by earlier payments of the period.
    pub(crate) fn counting(counted: i64) -> Self {
        Self {
            counted,
            opened: Mutex::default(),
        }
    }

    /// The payments opened so far.
    pub(crate) fn opened(&self) -> Vec<NewPayment> {
        self.opened
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn not_faked() -> StoreError {
    StoreError::new("not part of the fake")
}

#[async_trait]
impl PaymentRepository for FakePayments {
    async fn counted_since(
        &self,
        _: ProductId,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let opened: i64 = self.opened().iter().map(|p| p.amount).sum();
        Ok(self.counted + opened)
    }

    async fn unfinished_since(
        &self,
        _: ProductId,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        // What the fake opened is under way; its counted sum is paid.
        Ok(self.opened().iter().map(|p| p.amount).sum())
    }

    async fn open(
        &self,
        new: &NewPayment,
        cap: Option<CapWindow>,
        now: DateTime<Utc>,
    ) -> Result<Opened, StoreError> {
        let counted = self.counted_since(new.product, now, now).await?;
        if cap.is_some_and(|c| counted + new.amount > c.limit) {
            return Ok(Opened::CapReached);
        }
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        opened.push(new.clone());
        Ok(Opened::Opened(Payment {
            id: PaymentId(i64::try_from(opened.len()).unwrap_or(i64::MAX)),
            product: new.product,
            account: Some(new.account),
            amount: new.amount,
            price_cents: new.price_cents,
            status: PaymentStatus::Open,
            provider_ref: None,
            checkout_url: None,
            created_at: now,
            expires_at: new.expires_at,
        }))
    }

    async fn attach(
        &self,
        _: PaymentId,
        _: &ProviderPayment,
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Err(not_faked())
    }

    async fn abandon(&self, _: PaymentId, _: DateTime<Utc>) -> Result<(), StoreError> {
        Ok(())
    }

    async fn payment(&self, _: PaymentId) -> Result<Option<Payment>, StoreError> {
        Err(not_faked())
    }

    async fn by_reference(&self, _: &str) -> Result<Option<Payment>, StoreError> {
        Err(not_faked())
    }

    async fn settle(
        &self,
        _: PaymentId,
        _: PaymentStatus,
        _: DateTime<Utc>,
    ) -> Result<Settled, StoreError> {
        Err(not_faked())
    }

    async fn overdue(
        &self,
        _: Option<ProductId>,
        _: DateTime<Utc>,
    ) -> Result<Vec<Payment>, StoreError> {
        Ok(Vec::new())
    }

    async fn expire(&self, _: PaymentId, _: DateTime<Utc>) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A provider that is never reached: the tests stop before a checkout.
pub(crate) struct NoProvider;

#[async_trait]
impl PaymentProvider for NoProvider {
    fn simulated(&self) -> bool {
        true
    }

    fn checkout_origins(&self) -> Vec<String> {
        Vec::new()
    }

    async fn create(&self, _: &PaymentRequest) -> Result<ProviderPayment, ProviderError> {
        Err(ProviderError("unreachable in tests".to_owned()))
    }

    async fn fetch(&self, _: &str) -> Result<ProviderPayment, ProviderError> {
        Err(ProviderError("unreachable in tests".to_owned()))
    }

    async fn refund(&self, _: &RefundRequest) -> Result<ProviderRefund, RefundFailure> {
        Err(RefundFailure::Unsure("unreachable in tests".to_owned()))
    }
}
