//! Payments of top-ups as Parkportal keeps them, and their statuses.

use crate::ids::{AccountId, PaymentId, ProductId};
use chrono::{DateTime, Utc};

/// Where a payment stands; the provider's words (Mollie's), one of them ours: a payment still
/// open when its time is up counts as expired by the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Created; the payer has not finished the checkout.
    Open,
    /// The bank is processing it.
    Pending,
    /// Paid: the balance is credited.
    Paid,
    /// The payer cancelled it.
    Canceled,
    /// Not finished in time.
    Expired,
    /// The bank refused it.
    Failed,
}

impl PaymentStatus {
    /// Every status, in the order the simulated checkout offers the final ones.
    pub const ALL: [PaymentStatus; 6] = [
        PaymentStatus::Open,
        PaymentStatus::Pending,
        PaymentStatus::Paid,
        PaymentStatus::Canceled,
        PaymentStatus::Failed,
        PaymentStatus::Expired,
    ];

    /// The stable name (the provider's, the database's and the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Canceled => "canceled",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether nothing follows it.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Open | Self::Pending)
    }
}

/// A top-up payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Its id.
    pub id: PaymentId,
    /// The product it tops up.
    pub product: ProductId,
    /// Who pays; `None` once that account was deleted (the payment still credits the product).
    pub account: Option<AccountId>,
    /// What it adds to the balance, in the balance's smallest unit (fixed when it was created).
    pub amount: i64,
    /// What it costs, in cents.
    pub price_cents: i64,
    /// Its status as last stored.
    pub status: PaymentStatus,
    /// The provider's id (`tr_...`), once the provider has it.
    pub provider_ref: Option<String>,
    /// Where the payer pays, once the provider said.
    pub checkout_url: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When an open payment stops counting and shows as expired.
    pub expires_at: DateTime<Utc>,
}

impl Payment {
    /// Its status at `now`: an open payment past its time is expired.
    pub fn status_at(&self, now: DateTime<Utc>) -> PaymentStatus {
        if self.status == PaymentStatus::Open && now >= self.expires_at {
            PaymentStatus::Expired
        } else {
            self.status
        }
    }

    /// The price in euros.
    pub fn price(&self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::new(self.price_cents, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn statuses_round_trip_and_only_open_and_pending_go_on() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            PaymentStatus::parse("cancelled"),
            None,
            "Mollie spells it canceled"
        );
        let going: Vec<_> = PaymentStatus::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .collect();
        assert_eq!(going, [PaymentStatus::Open, PaymentStatus::Pending]);
    }

    #[test]
    fn an_open_payment_expires_by_the_clock_and_nothing_else_does() {
        let t = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let mut p = Payment {
            id: PaymentId(1),
            product: ProductId(1),
            account: Some(AccountId(1)),
            amount: 2500,
            price_cents: 2500,
            status: PaymentStatus::Open,
            provider_ref: None,
            checkout_url: None,
            created_at: t,
            expires_at: t + Duration::minutes(15),
        };
        assert_eq!(p.status_at(t + Duration::minutes(14)), PaymentStatus::Open);
        assert_eq!(
            p.status_at(t + Duration::minutes(15)),
            PaymentStatus::Expired
        );
        p.status = PaymentStatus::Pending;
        assert_eq!(p.status_at(t + Duration::hours(1)), PaymentStatus::Pending);
        assert_eq!(p.price().to_string(), "25.00");
    }
}
