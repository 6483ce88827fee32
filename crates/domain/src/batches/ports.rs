//! What a batch keeps and the port it keeps it through: the job with its lease and progress,
//! its rows pending, issued or refused, and its PDF while kept.

use super::sheet::Row;
use crate::audit::Actor;
use crate::audit::AuditEntry;
use crate::coupling::Issuer;
use crate::idempotency::{Fingerprint, IdempotencyKey};
use crate::ids::{BatchId, TenantId};
use crate::letters::Recipient;
use crate::ports::StoreError;
use crate::secret::{Pin, ProductCode};
use crate::tenant::Language;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// Where a batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchState {
    /// Waiting for an instance to take it.
    Queued,
    /// An instance is issuing its rows (or died doing so: another resumes it).
    Running,
    /// Every row issued or refused, the PDF made.
    Done,
}

impl BatchState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
        }
    }

    /// The state of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Done]
            .into_iter()
            .find(|state| state.as_str() == s)
    }
}

/// A batch to store, every row checked.
#[derive(Debug, Clone, Copy)]
pub struct NewBatch<'a> {
    /// The gemeente.
    pub tenant: TenantId,
    /// The uploaded file's name, to recognise the batch by.
    pub file_name: &'a str,
    /// The rows.
    pub rows: &'a [Row],
    /// Who uploaded it: every product of the batch names them in the audit trail.
    pub issuer: &'a Issuer,
    /// When.
    pub at: DateTime<Utc>,
    /// The key the upload came with and the print of what it sent, if it came with one.
    pub repeat: Option<&'a Repeat>,
}

/// What makes an upload recognisable when it comes again: the key it came with (an API
/// client's `Idempotency-Key`, the one-time token of the console's form) and the print of what
/// it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The key, one per uploader in a gemeente.
    pub key: IdempotencyKey,
    /// The print of the file's name and bytes.
    pub print: Fingerprint,
}

/// What storing a batch came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A new batch.
    New(BatchId),
    /// Nothing stored: an earlier upload by the same uploader with the same key made this
    /// batch (a simultaneous repeat stored it first), from what `print` prints.
    Earlier {
        /// That batch.
        batch: BatchId,
        /// The print of that upload.
        print: Fingerprint,
    },
}

/// A batch an instance has taken to work on.
#[derive(Debug, Clone)]
pub struct ClaimedBatch {
    /// The batch.
    pub id: BatchId,
    /// Its gemeente.
    pub tenant: TenantId,
    /// The gemeente's slug.
    pub slug: String,
    /// Who uploaded it.
    pub issuer: Issuer,
}

/// A row still to issue.
#[derive(Debug, Clone)]
pub struct PendingRow {
    /// Its line in the sheet.
    pub line: usize,
    /// The row; `None` when it no longer reads (stored by a version with other rules).
    pub row: Option<Row>,
}

/// What a batch letter prints besides its recipient and sender, kept with its row (the PIN with
/// it) from the row's issue until the batch PDF is made, then cleared.
#[derive(Debug, Clone)]
pub struct BatchPage {
    /// The letter's language.
    pub language: Language,
    /// The letter's date.
    pub date: NaiveDate,
    /// The product type's name.
    pub product_type: String,
    /// The zone's name.
    pub zone: String,
    /// The last valid day.
    pub last_day: NaiveDate,
    /// The product code.
    pub code: ProductCode,
    /// The PIN.
    pub pin: Pin,
}

/// A batch row issued: what the store marks in the transaction of the row's product.
#[derive(Debug, Clone)]
pub struct BatchRowIssue {
    /// The batch.
    pub batch: BatchId,
    /// The row's line.
    pub line: usize,
    /// Its page of the batch PDF.
    pub page: BatchPage,
}

/// A batch as its page shows it.
#[derive(Debug, Clone)]
pub struct BatchSummary {
    /// The batch.
    pub id: BatchId,
    /// The uploaded file's name.
    pub file_name: String,
    /// Where it is.
    pub state: BatchState,
    /// Rows in all.
    pub total: usize,
    /// Rows issued.
    pub issued: usize,
    /// Rows refused when their turn came.
    pub refused: usize,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Uploaded by.
    pub created_by: Actor,
    /// Done at.
    pub finished_at: Option<DateTime<Utc>>,
    /// Until when its PDF can be downloaded, while it can.
    pub pdf_until: Option<DateTime<Utc>>,
}

impl BatchSummary {
    /// Rows issued or refused.
    pub fn handled(&self) -> usize {
        self.issued + self.refused
    }

    /// How far it is, in whole percents (an empty batch is done).
    pub fn percent(&self) -> usize {
        match self.total {
            0 => 100,
            total => self.handled() * 100 / total,
        }
    }
}

/// A line of a batch's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// The row's line in the sheet.
    pub line: usize,
    /// The product's code as its letter prints it (`ACDEF-GHJKM`), when issued.
    pub code: Option<String>,
    /// The recipient's name.
    pub recipient: String,
    /// `issued`, `pending`, or the refusal's stable code.
    pub result: String,
}

/// The port of batches.
#[async_trait]
pub trait BatchRepository: Send + Sync {
    /// Stores `batch` with all its rows pending and `audit` (about the new batch), in one
    /// transaction.
    /// With a repeat key that the uploader already used in the gemeente, nothing is stored and
    /// the batch of that earlier upload is the answer.
    async fn create(&self, batch: NewBatch<'_>, audit: &AuditEntry) -> Result<Stored, StoreError>;
    /// The batch `actor` uploaded in `tenant` with `key`, and the print of that upload.
    async fn by_key(
        &self,
        tenant: TenantId,
        actor: &Actor,
        key: &IdempotencyKey,
    ) -> Result<Option<(BatchId, Fingerprint)>, StoreError>;
    /// Takes the oldest batch that is queued, or running under a lease that ran out before
    /// `now`, for `owner` until `until`.
    async fn claim(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<ClaimedBatch>, StoreError>;
    /// Extends `owner`'s lease of `batch` to `until`; `false` when it is no longer `owner`'s.
    async fn renew(
        &self,
        batch: BatchId,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Up to `limit` pending rows of `batch`, in line order.
    async fn pending(&self, batch: BatchId, limit: usize) -> Result<Vec<PendingRow>, StoreError>;
    /// Marks the row of `batch` at `line` refused with `code` (when still pending), with its
    /// `audit` entry, in one transaction.
    async fn refuse(
        &self,
        batch: BatchId,
        line: usize,
        code: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// The pages of the issued rows of `batch` with their recipients, in line order.
    async fn pages(&self, batch: BatchId) -> Result<Vec<(Recipient, BatchPage)>, StoreError>;
    /// Ends `batch` when no row is pending and it is not done yet: keeps `pdf` until `expires`,
    /// clears the rows' pages (their PINs) and the lease, in one transaction. `false`: it was
    /// done already, or a row is pending still.
    async fn finish(
        &self,
        batch: BatchId,
        pdf: Option<&[u8]>,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The batches of `tenant`, newest first, at most `limit`.
    async fn list(&self, tenant: TenantId, limit: u64) -> Result<Vec<BatchSummary>, StoreError>;
    /// The batch `batch` of `tenant`.
    async fn summary(
        &self,
        tenant: TenantId,
        batch: BatchId,
    ) -> Result<Option<BatchSummary>, StoreError>;
    /// The report of the batch `batch` of `tenant`, its reading recorded with `audit` (about
    /// the batch; refused `not_found` when there is none).
    async fn report(
        &self,
        tenant: TenantId,
        batch: BatchId,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<ReportLine>>, StoreError>;
    /// The PDF of the batch `batch` of `tenant` while it is kept, its reading recorded with
    /// `audit` (refused `not_found` when there is none to read).
    async fn pdf(
        &self,
        tenant: TenantId,
        batch: BatchId,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<u8>>, StoreError>;
}
