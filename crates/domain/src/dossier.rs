//! The help desk's product page: everything a medewerker at the counter needs about one product
//! of their gemeente (holder, account, plates, validity, balance, sessions, ledger, mandates,
//! payments, mails, letters and the audit trail about it), read in one transaction whose audit
//! entry records the reading. Every list is the newest part of what there is, with its total.

use crate::audit::{AuditEntry, StoredAuditEntry};
use crate::coupling::StaffProductView;
use crate::email::EmailAddress;
use crate::history::Transaction;
use crate::ids::{MandateId, SessionId, TenantId};
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::secret::ProductCode;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The most rows each list of the page shows (the newest); the total says what more there is.
pub const DOSSIER_ROWS: u64 = 25;

/// A list of the page: its newest rows and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    /// The newest rows, newest first (sessions: soonest first).
    pub rows: Vec<T>,
    /// How many there are in all.
    pub total: u64,
}

/// A running or planned session of the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    /// Its id.
    pub id: SessionId,
    /// Its plate (`None`: taken out with an erased account).
    pub plate: Option<Plate>,
    /// Its start.
    pub start: DateTime<Utc>,
    /// Its end.
    pub end: DateTime<Utc>,
    /// What it holds of the balance, in the smallest unit.
    pub reserved: i64,
    /// Started by a mandatee.
    pub by_mandatee: bool,
}

/// A mandate given on the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskMandate {
    /// Its id.
    pub id: MandateId,
    /// The address it was given to (empty: taken out with an erased account).
    pub email: String,
    /// `invited`, `accepted` or `revoked`.
    pub status: String,
    /// Its own balance.
    pub balance: i64,
    /// Its one plate, if any.
    pub plate: Option<Plate>,
    /// When it was given.
    pub created_at: DateTime<Utc>,
}

/// A top-up payment of the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskPayment {
    /// Its id.
    pub id: i64,
    /// The units bought.
    pub amount: i64,
    /// What it cost, in euro cents.
    pub price_cents: i64,
    /// `open`, `pending`, `paid`, `canceled`, `expired` or `failed`.
    pub status: String,
    /// The provider's reference.
    pub provider_ref: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A mail with a link about the product (a coupling mail, a mandate invitation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskMail {
    /// `coupling` or `mandate`.
    pub purpose: String,
    /// Where it went.
    pub email: String,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When its link stops working.
    pub expires_at: DateTime<Utc>,
    /// When its link was used.
    pub used_at: Option<DateTime<Utc>>,
}

/// An allocation letter made for the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskLetter {
    /// Its language code.
    pub language: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Until when it is kept for reprinting.
    pub expires_at: DateTime<Utc>,
    /// Whether its PDF is still kept.
    pub kept: bool,
}

/// Everything the product page shows.
#[derive(Debug, Clone)]
pub struct ProductDossier {
    /// The product as staff see it.
    pub product: StaffProductView,
    /// The address of the account that holds it.
    pub account: Option<EmailAddress>,
    /// The plate switched on, for a permit.
    pub active_plate: Option<Plate>,
    /// Its running and planned sessions, soonest first.
    pub sessions: Listed<OpenSession>,
    /// Its ledger, newest first; the entries of all its wallets sum to its balances.
    pub ledger: Listed<Transaction>,
    /// Its mandates, newest first.
    pub mandates: Listed<DeskMandate>,
    /// Its top-up payments, newest first.
    pub payments: Listed<DeskPayment>,
    /// The mails with a link about it, newest first.
    pub mails: Listed<DeskMail>,
    /// Its letters, newest first.
    pub letters: Listed<DeskLetter>,
    /// The audit entries about it, newest first (this reading not among them).
    pub audit: Listed<StoredAuditEntry>,
}

/// The dossiers in the database.
#[async_trait]
pub trait DossierRepository: Send + Sync {
    /// The dossier of the product of `tenant` with `code` at `now`, `audit` written about it
    /// in the same transaction (refused `not_found` when there is no such product).
    async fn dossier(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<ProductDossier>, StoreError>;
}

/// Reading product pages.
#[derive(Clone)]
pub struct Dossiers {
    repo: Arc<dyn DossierRepository>,
    clock: Arc<dyn crate::Clock>,
}

impl Dossiers {
    /// The use case on its port.
    pub fn new(repo: Arc<dyn DossierRepository>, clock: Arc<dyn crate::Clock>) -> Self {
        Self { repo, clock }
    }

    /// The page of the product of `tenant` with `code`, its reading on the record (`audit`,
    /// action `product.view`). `None`: not a product of this gemeente.
    pub async fn read(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        audit: &AuditEntry,
    ) -> Result<Option<ProductDossier>, StoreError> {
        self.repo
            .dossier(tenant, code, self.clock.now(), audit)
            .await
    }
}
