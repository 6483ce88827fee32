//! Staff corrections of a balance: a signed amount with a required reason, posted through the one
//! ledger writer as a `correction` entry that names the staff member, never taking the balance
//! below zero. A correction above the limit of its unit waits for a second medewerker, who
//! approves it (then it is posted, checked again) or rejects it; the proposer cannot decide their
//! own. Every step is one transaction with its audit entry; every query names the gemeente.

use crate::BalanceUnit;
use crate::audit::AuditEntry;
use crate::ids::{CorrectionId, ProductId, StaffId, TenantId};
use crate::ports::StoreError;
use crate::secret::ProductCode;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::sync::Arc;

/// The longest reason a correction may give.
pub const MAX_REASON_CHARS: usize = 500;

/// Above which amount (either way) a correction waits for a second medewerker, per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalLimits {
    /// Money, in cents (default € 50).
    pub money: i64,
    /// Minutes (default 600: ten hours, what € 50 buys at a street rate of € 5 an hour).
    pub minutes: i64,
    /// Sessions (default 10).
    pub sessions: i64,
}

impl Default for ApprovalLimits {
    fn default() -> Self {
        Self {
            money: 5_000,
            minutes: 600,
            sessions: 10,
        }
    }
}

impl ApprovalLimits {
    /// The limit of `unit` in its smallest unit (`None`: a product without a balance).
    pub fn of(&self, unit: BalanceUnit) -> Option<i64> {
        match unit {
            BalanceUnit::Money => Some(self.money),
            BalanceUnit::Minutes => Some(self.minutes),
            BalanceUnit::Sessions => Some(self.sessions),
            BalanceUnit::None => None,
        }
    }
}

/// A correction asked for by a medewerker.
#[derive(Debug, Clone)]
pub struct CorrectionRequest {
    /// The gemeente.
    pub tenant: TenantId,
    /// The product's code.
    pub code: ProductCode,
    /// The signed amount as typed, in the product's unit (`-2.50`, `30`).
    pub amount: Decimal,
    /// Why (required).
    pub reason: String,
    /// Who.
    pub staff: StaffId,
    /// The audit entry of the proposal (actor, role, origin, time).
    pub audit: AuditEntry,
}

/// What became of a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corrected {
    /// Posted: the balance is now this (smallest unit).
    Applied {
        /// The correction.
        id: CorrectionId,
        /// The balance after it.
        balance: i64,
    },
    /// Above the limit: it waits for a second medewerker.
    Waiting(CorrectionId),
    /// Rejected by the second medewerker.
    Rejected(CorrectionId),
}

/// Why a correction was not made.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionError {
    /// No such product (or correction) in this gemeente.
    #[error("no such product or correction in this gemeente")]
    NotFound,
    /// The product has no balance.
    #[error("the product has no balance")]
    NoBalance,
    /// The product is not active.
    #[error("the product is not active")]
    NotActive,
    /// Zero, or not a whole amount of the unit's smallest part.
    #[error("the amount does not fit the unit")]
    AmountInvalid,
    /// The reason is empty or longer than [`MAX_REASON_CHARS`].
    #[error("a reason of 1 to 500 characters is required")]
    ReasonInvalid,
    /// It would take the balance below zero.
    #[error("the balance would go below zero")]
    BelowZero,
    /// The proposer cannot approve or reject their own correction.
    #[error("a second medewerker must decide")]
    OwnCorrection,
    /// It was decided already.
    #[error("the correction was decided already")]
    Decided,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CorrectionError {
    /// The stable code of a refusal (`None`: a failure).
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::NotFound => "not_found",
            Self::NoBalance => "no_balance",
            Self::NotActive => "product_not_active",
            Self::AmountInvalid => "amount_invalid",
            Self::ReasonInvalid => "reason_invalid",
            Self::BelowZero => "balance_below_zero",
            Self::OwnCorrection => "own_correction",
            Self::Decided => "correction_decided",
            Self::Store(_) => return None,
        })
    }
}

/// A correction as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// Its id.
    pub id: CorrectionId,
    /// The product.
    pub product: ProductId,
    /// The product's code.
    pub code: ProductCode,
    /// The product's unit.
    pub unit: BalanceUnit,
    /// The signed amount, smallest unit.
    pub amount: i64,
    /// Why.
    pub reason: String,
    /// Who proposed it, and their address.
    pub proposed_by: (StaffId, String),
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// `pending`, `applied` or `rejected`.
    pub status: String,
    /// Who decided it, by address, if anyone did.
    pub decided_by: Option<String>,
}

/// How the store changes a product's balance for a correction.
#[derive(Debug, Clone)]
pub struct Proposal<'a> {
    /// The product (found in the gemeente by the caller's query).
    pub product: ProductId,
    /// The signed amount, smallest unit.
    pub amount: i64,
    /// Why.
    pub reason: &'a str,
    /// Who.
    pub staff: StaffId,
    /// Posted at once (`false`: stored waiting).
    pub apply: bool,
}

/// What the store found when it was to post or store a correction (under the product's lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionOutcome {
    /// Posted, or stored waiting or rejected.
    Done(Corrected),
    /// Refused, nothing written but the refusal's audit entry.
    Refused(RefusedBecause),
}

/// Why the store refused (read under the lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedBecause {
    /// Not this gemeente's.
    NotFound,
    /// Not active.
    NotActive,
    /// Below zero.
    BelowZero,
    /// The proposer's own.
    OwnCorrection,
    /// Decided already.
    Decided,
}

impl From<RefusedBecause> for CorrectionError {
    fn from(r: RefusedBecause) -> Self {
        match r {
            RefusedBecause::NotFound => Self::NotFound,
            RefusedBecause::NotActive => Self::NotActive,
            RefusedBecause::BelowZero => Self::BelowZero,
            RefusedBecause::OwnCorrection => Self::OwnCorrection,
            RefusedBecause::Decided => Self::Decided,
        }
    }
}

/// The corrections in the database.
#[async_trait]
pub trait CorrectionRepository: Send + Sync {
    /// The product of `tenant` with `code`: its id and unit, if there is one.
    async fn product(
        &self,
        tenant: TenantId,
        code: &ProductCode,
    ) -> Result<Option<(ProductId, BalanceUnit)>, StoreError>;
    /// Under the product's lock: refused unless it is `tenant`'s and active, and (when it is to
    /// be posted) the balance stays at or above zero; else the correction is stored, posted
    /// when `apply`, with `audit` (about the product), in one transaction. A refusal's audit
    /// entry is the caller's.
    async fn propose(
        &self,
        tenant: TenantId,
        proposal: Proposal<'_>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<CorrectionOutcome, StoreError>;
    /// Under the correction's product's lock: approves (posts it, checked again) or rejects a
    /// waiting correction of `tenant`, by `staff`, who did not propose it, with `audit`.
    async fn decide(
        &self,
        tenant: TenantId,
        correction: CorrectionId,
        (staff, approve): (StaffId, bool),
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<CorrectionOutcome, StoreError>;
    /// The corrections of `tenant` waiting for approval, oldest first (at most `limit`), or those
    /// of one product (every status, newest first).
    async fn list(
        &self,
        tenant: TenantId,
        product: Option<ProductId>,
        limit: u64,
    ) -> Result<Vec<Correction>, StoreError>;
}

/// The use cases.
#[derive(Clone)]
pub struct Corrections {
    repo: Arc<dyn CorrectionRepository>,
    clock: Arc<dyn crate::Clock>,
    limits: ApprovalLimits,
}

impl Corrections {
    /// The use cases on their port, waiting for approval above `limits`.
    pub fn new(
        repo: Arc<dyn CorrectionRepository>,
        clock: Arc<dyn crate::Clock>,
        limits: ApprovalLimits,
    ) -> Self {
        Self {
            repo,
            clock,
            limits,
        }
    }

    /// The limits.
    pub fn limits(&self) -> ApprovalLimits {
        self.limits
    }

    /// A correction: posted at once when it is within the limit of the product's unit, else
    /// stored to wait for a second medewerker.
    pub async fn propose(&self, request: CorrectionRequest) -> Result<Corrected, CorrectionError> {
        let reason = request.reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(CorrectionError::ReasonInvalid);
        }
        let (product, unit) = self
            .repo
            .product(request.tenant, &request.code)
            .await?
            .ok_or(CorrectionError::NotFound)?;
        let limit = self.limits.of(unit).ok_or(CorrectionError::NoBalance)?;
        let amount = unit
            .to_smallest(request.amount)
            .filter(|a| *a != 0)
            .ok_or(CorrectionError::AmountInvalid)?;
        let apply = amount.unsigned_abs() <= limit.unsigned_abs();
        let action = if apply {
            "balance.corrected"
        } else {
            "balance.correction_proposed"
        };
        let mut audit = request.audit.clone().about("product", product.0);
        audit.action = action;
        audit.reason = Some(reason.to_owned());
        let proposal = Proposal {
            product,
            amount,
            reason,
            staff: request.staff,
            apply,
        };
        match self
            .repo
            .propose(request.tenant, proposal, self.clock.now(), &audit)
            .await?
        {
            CorrectionOutcome::Done(done) => Ok(done),
            CorrectionOutcome::Refused(why) => Err(why.into()),
        }
    }

    /// A second medewerker's decision on a waiting correction of `tenant`.
    pub async fn decide(
        &self,
        tenant: TenantId,
        correction: CorrectionId,
        (staff, approve): (StaffId, bool),
        audit: AuditEntry,
    ) -> Result<Corrected, CorrectionError> {
        let mut audit = audit.about("correction", correction.0);
        audit.action = if approve {
            "balance.correction_approved"
        } else {
            "balance.correction_rejected"
        };
        match self
            .repo
            .decide(
                tenant,
                correction,
                (staff, approve),
                self.clock.now(),
                &audit,
            )
            .await?
        {
            CorrectionOutcome::Done(done) => Ok(done),
            CorrectionOutcome::Refused(why) => Err(why.into()),
        }
    }

    /// The corrections of `tenant` waiting for a second medewerker, oldest first.
    pub async fn waiting(&self, tenant: TenantId) -> Result<Vec<Correction>, StoreError> {
        self.repo.list(tenant, None, 200).await
    }

    /// The corrections of one product of `tenant`, newest first.
    pub async fn of_product(
        &self,
        tenant: TenantId,
        product: ProductId,
    ) -> Result<Vec<Correction>, StoreError> {
        self.repo.list(tenant, Some(product), 25).await
    }
}
