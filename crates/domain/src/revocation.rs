//! Revoking a product at the help desk: its running sessions stop and its planned ones go, each
//! through the resident's own use case with its refund; then, in one transaction under the
//! product's lock, its mandates are closed (what they hold back to the owner), its unused links
//! stop working and it is revoked: it can no longer be used or claimed. What is left of its
//! balance is shown with what was paid for it, for a refund to the payer.

use crate::audit::AuditEntry;
use crate::ids::{ProductId, SessionId, TenantId};
use crate::parking::{Outcome, Parking};
use crate::ports::StoreError;
use crate::secret::ProductCode;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// How often the sessions are stopped again when the resident started another meanwhile.
const ATTEMPTS: usize = 3;

/// What the store found when it was to revoke (under the product's lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// Revoked: the balance left (smallest unit) after the mandates' returns.
    Revoked(i64),
    /// Not this gemeente's.
    NotFound,
    /// Not active (revoked already, or ended otherwise).
    NotActive,
    /// A session is still live (started after the stops): stop again.
    SessionsLeft,
}

/// Why a revocation was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    /// No such product in this gemeente.
    #[error("no such product in this gemeente")]
    NotFound,
    /// Not active.
    #[error("the product is not active")]
    NotActive,
    /// Sessions kept appearing, or one could not be stopped for its account.
    #[error("live sessions could not all be stopped")]
    SessionsLeft,
    /// Storage or the rules failed.
    #[error("{0}")]
    Failed(String),
}

impl RevokeError {
    /// The stable code of a refusal (`None`: a failure).
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::NotFound => "not_found",
            Self::NotActive => "product_not_active",
            Self::SessionsLeft => "sessions_left",
            Self::Failed(_) => return None,
        })
    }
}

impl From<StoreError> for RevokeError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.to_string())
    }
}

/// The revocations in the database.
#[async_trait]
pub trait RevocationRepository: Send + Sync {
    /// The product of `tenant` with `code` and its live (running or planned) sessions at `now`.
    async fn live(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        now: DateTime<Utc>,
    ) -> Result<Option<(ProductId, Vec<SessionId>)>, StoreError>;
    /// Under the product's lock: refused unless it is `tenant`'s, active and without live
    /// sessions; else its mandates are closed, its unused links expire and it is revoked, with
    /// `audit`, in one transaction.
    async fn revoke(
        &self,
        tenant: TenantId,
        product: ProductId,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<RevokeOutcome, StoreError>;
}

/// The use case.
#[derive(Clone)]
pub struct Revocations {
    repo: Arc<dyn RevocationRepository>,
    parking: Parking,
    clock: Arc<dyn crate::Clock>,
}

impl Revocations {
    /// The use case on its port, stopping sessions through `parking`.
    pub fn new(
        repo: Arc<dyn RevocationRepository>,
        parking: Parking,
        clock: Arc<dyn crate::Clock>,
    ) -> Self {
        Self {
            repo,
            parking,
            clock,
        }
    }

    /// Revokes the product of `tenant` with `code` (`audit`: the medewerker's entry, with
    /// their reason): its live sessions stopped or taken away first (each on the record as
    /// `session.stopped_by_staff`), then the product. The balance left.
    pub async fn revoke(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        audit: &AuditEntry,
    ) -> Result<i64, RevokeError> {
        for _ in 0..ATTEMPTS {
            let (product, sessions) = self
                .repo
                .live(tenant, code, self.clock.now())
                .await?
                .ok_or(RevokeError::NotFound)?;
            let mut stop = audit.clone();
            stop.action = "session.stopped_by_staff";
            for session in sessions {
                match self.parking.end_for_staff(tenant, session, &stop).await {
                    // Stopped, or over by itself meanwhile: either way no longer live.
                    Ok(Outcome::Done(_) | Outcome::Invalid(_)) => {}
                    // Nobody's account reaches it (the store refuses below).
                    Ok(_) => {}
                    Err(e) => return Err(RevokeError::Failed(e.to_string())),
                }
            }
            let entry = audit.clone().about("product", product.0);
            match self
                .repo
                .revoke(tenant, product, self.clock.now(), &entry)
                .await?
            {
                RevokeOutcome::Revoked(left) => return Ok(left),
                RevokeOutcome::NotFound => return Err(RevokeError::NotFound),
                RevokeOutcome::NotActive => return Err(RevokeError::NotActive),
                RevokeOutcome::SessionsLeft => continue,
            }
        }
        Err(RevokeError::SessionsLeft)
    }
}
