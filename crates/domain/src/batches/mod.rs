//! Letter batches: thousands of allocation letters from one spreadsheet. The sheet is checked
//! whole first (every problem named with its line; nothing is issued while one row fails), then
//! stored as a job that any instance takes through a lease and works through row by row: each
//! row's product, letter, audit entry and the row's mark go in one transaction, so a job resumed
//! after an instance died issues no row twice and loses no letter. At the end one PDF holds every
//! letter, a page each; it is kept for downloading for a limited time, the PINs in it with it.

mod ports;
mod sheet;

pub use ports::{
    BatchPage, BatchRepository, BatchRowIssue, BatchState, BatchSummary, ClaimedBatch, NewBatch,
    PendingRow, Repeat, ReportLine, Stored,
};
pub use sheet::{Column, MAX_ROWS, Problem, Row, read, read_rows, sample};

use crate::Clock;
use crate::audit::AuditEntry;
use crate::coupling::{IssueContext, IssueError, IssueRequest, Issuer, ProductDesk};
use crate::idempotency::{Fingerprint, IdempotencyKey};
use crate::ids::{BatchId, TenantId};
use crate::ports::StoreError;
use chrono::Duration;
use std::sync::Arc;

/// How batches run.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    /// How long an instance holds a batch without renewing: an instance that dies leaves it to
    /// another this long after its last sign of life.
    pub lease: Duration,
    /// Rows issued at once (the machine's cores: hashing a PIN is the slow part).
    pub parallel: usize,
    /// How long the batch PDF is kept for downloading.
    pub keep: Duration,
}

/// A sheet to turn into a batch.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    /// The gemeente's slug.
    pub tenant: &'a str,
    /// The file's name as uploaded.
    pub file_name: &'a str,
    /// The file.
    pub bytes: &'a [u8],
    /// Who uploads it.
    pub issuer: Issuer,
    /// The key that makes a repeat of this upload find its batch instead of making another: an
    /// API client's `Idempotency-Key`, the one-time token of the console's form.
    pub key: Option<IdempotencyKey>,
}

/// A sheet that is a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uploaded {
    /// The batch.
    pub batch: BatchId,
    /// Whether an earlier upload with the same key made it (this one stored nothing).
    pub replayed: bool,
}

/// Why a sheet did not become a batch.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Rows (or the sheet) are wrong: each problem with its line.
    #[error("the sheet has {} problems", .0.len())]
    Problems(Vec<Problem>),
    /// The key came with another upload earlier (another file, or other bytes), which made
    /// this batch.
    #[error("the key was used for another upload, batch {}", .0.0)]
    KeyReused(BatchId),
    /// Nothing can be issued (a suspended gemeente, no letters here) or storage failed.
    #[error(transparent)]
    Issue(#[from] IssueError),
}

impl From<StoreError> for UploadError {
    fn from(e: StoreError) -> Self {
        Self::Issue(e.into())
    }
}

/// What one turn of a [`BatchRunner`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    /// The batch it worked on.
    pub batch: BatchId,
    /// Rows it issued.
    pub issued: usize,
    /// Rows it refused.
    pub refused: usize,
    /// Whether it finished the batch (its PDF made).
    pub finished: bool,
}

/// The use cases of letter batches.
#[derive(Clone)]
pub struct LetterBatches {
    repo: Arc<dyn BatchRepository>,
    desk: ProductDesk,
    clock: Arc<dyn Clock>,
    settings: BatchSettings,
}

/// Rows fetched and issued between two renewals of the lease.
const PAGE: usize = 50;

/// The batches a gemeente's page lists.
const LISTED: u64 = 50;

impl LetterBatches {
    /// The use cases on their ports; `desk` issues the rows.
    pub fn new(
        repo: Arc<dyn BatchRepository>,
        desk: ProductDesk,
        clock: Arc<dyn Clock>,
        settings: BatchSettings,
    ) -> Self {
        Self {
            repo,
            desk,
            clock,
            settings,
        }
    }

    /// Checks a whole sheet against the gemeente and stores it as a job: every problem with
    /// its line, or the new batch (audited `batch.upload`). An upload that repeats an earlier one
    /// with the same key (the same file) is that earlier batch, checked against nothing and
    /// storing nothing, even when the gemeente has since changed; with another file the key is
    /// refused.
    pub async fn upload(&self, upload: Upload<'_>) -> Result<Uploaded, UploadError> {
        let context = self.desk.context(upload.tenant, true).await?;
        let tenant = context.tenant().id;
        let repeat = upload.key.clone().map(|key| Repeat {
            key,
            print: Fingerprint::of(&[upload.file_name.as_bytes(), upload.bytes]),
        });
        if let Some(repeat) = &repeat {
            let earlier = self
                .repo
                .by_key(tenant, &upload.issuer.actor, &repeat.key)
                .await?;
            if let Some((batch, print)) = earlier {
                return replayed(repeat, batch, &print);
            }
        }
        if context.tenant().suspension.is_some() {
            return Err(IssueError::TenantSuspended(upload.tenant.to_owned()).into());
        }
        // Every problem at once: those of the sheet's fields and, for the rows that read well,
        // those against the gemeente, in the order of their lines.
        let (rows, mut problems) = read_rows(upload.bytes).map_err(UploadError::Problems)?;
        for row in &rows {
            let request = request_of(upload.tenant, row, None);
            if let Err(e) = self.desk.check(&context, &request) {
                let Some(code) = e.code() else {
                    return Err(e.into());
                };
                problems.push(Problem {
                    line: row.line,
                    column: column_of(code),
                    code: code.to_owned(),
                });
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.line);
            return Err(UploadError::Problems(problems));
        }
        let now = self.clock.now();
        let audit = AuditEntry::new(
            upload.issuer.actor.clone(),
            "batch.upload",
            &upload.issuer.origin,
            now,
        )
        .within(Some(tenant), upload.issuer.role);
        let batch = NewBatch {
            tenant,
            file_name: upload.file_name,
            rows: &rows,
            issuer: &upload.issuer,
            at: now,
            repeat: repeat.as_ref(),
        };
        match (self.repo.create(batch, &audit).await?, &repeat) {
            (Stored::New(batch), _) => Ok(Uploaded {
                batch,
                replayed: false,
            }),
            // A simultaneous repeat stored it first.
            (Stored::Earlier { batch, print }, Some(repeat)) => replayed(repeat, batch, &print),
            (Stored::Earlier { .. }, None) => Err(StoreError::new(
                "the store found an earlier batch for an upload without a key",
            )
            .into()),
        }
    }

    /// The latest batches of `tenant`, newest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<BatchSummary>, StoreError> {
        self.repo.list(tenant, LISTED).await
    }

    /// The batch `batch` of `tenant`: its progress (no personal data).
    pub async fn summary(
        &self,
        tenant: TenantId,
        batch: BatchId,
    ) -> Result<Option<BatchSummary>, StoreError> {
        self.repo.summary(tenant, batch).await
    }

    /// The report of the batch `batch` of `tenant` (recipients' names: its reading is recorded
    /// with `audit`).
    pub async fn report(
        &self,
        tenant: TenantId,
        batch: BatchId,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<ReportLine>>, StoreError> {
        self.repo.report(tenant, batch, audit).await
    }

    /// The PDF of the batch `batch` of `tenant` while it is kept (every download recorded with
    /// `audit`).
    pub async fn pdf(
        &self,
        tenant: TenantId,
        batch: BatchId,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.repo.pdf(tenant, batch, self.clock.now(), audit).await
    }

    /// The worker of the instance `owner` (a name unique among the running instances).
    pub fn runner(&self, owner: impl Into<String>) -> BatchRunner {
        BatchRunner {
            batches: self.clone(),
            owner: owner.into(),
        }
    }
}

/// The answer to a repeat of an upload that made `batch` from what `print` prints: that
/// batch when the repeat sends the same, else the key is refused.
fn replayed(repeat: &Repeat, batch: BatchId, print: &Fingerprint) -> Result<Uploaded, UploadError> {
    if *print == repeat.print {
        Ok(Uploaded {
            batch,
            replayed: true,
        })
    } else {
        Err(UploadError::KeyReused(batch))
    }
}

/// The request a batch row stands for.
fn request_of(tenant: &str, row: &Row, issuer: Option<&Issuer>) -> IssueRequest {
    IssueRequest {
        tenant: tenant.to_owned(),
        product_type: row.product_type.clone(),
        zone: row.zone.clone(),
        email: row.email.clone(),
        plates: row.plates.clone(),
        valid_until: row.valid_until,
        balance: row.balance,
        recipient: Some(row.recipient.clone()),
        letter: true,
        letter_language: row.language,
        issuer: issuer.cloned(),
        application: None,
    }
}

/// The column a refusal of the issue is about.
fn column_of(code: &str) -> Option<Column> {
    match code {
        "product_type_unknown" | "product_type_retired" => Some(Column::ProductType),
        "zone_unknown" | "zone_retired" => Some(Column::Zone),
        "balance_invalid" => Some(Column::Balance),
        "valid_until_passed" | "valid_until_too_far" => Some(Column::ValidUntil),
        _ => None,
    }
}

/// An instance's worker of batches: takes a batch and issues its rows, several at once.
#[derive(Clone)]
pub struct BatchRunner {
    batches: LetterBatches,
    owner: String,
}

/// How one row ended.
enum RowEnd {
    Issued,
    /// Another instance issued it first.
    Elsewhere,
    Refused(&'static str),
}

impl BatchRunner {
    /// Takes one batch and works on it until it is done, or until `max_rows` rows were issued
    /// or refused (then the lease stays until it runs out, as when an instance dies: tests and
    /// the benchmark stop a job so). `None`: no batch waits.
    pub async fn run_once(&self, max_rows: Option<usize>) -> Result<Option<RunReport>, IssueError> {
        let b = &self.batches;
        let now = b.clock.now();
        let Some(claimed) = b
            .repo
            .claim(&self.owner, now, now + b.settings.lease)
            .await?
        else {
            return Ok(None);
        };
        let mut report = RunReport {
            batch: claimed.id,
            issued: 0,
            refused: 0,
            finished: false,
        };
        let mut budget = max_rows.unwrap_or(usize::MAX);
        let context = loop {
            // The gemeente as it is now, each page: a suspension stops the rest of the batch.
            let context = Arc::new(b.desk.context(&claimed.slug, true).await?);
            let rows = b.repo.pending(claimed.id, PAGE.min(budget)).await?;
            if rows.is_empty() {
                break context;
            }
            budget -= rows.len();
            let mut running = tokio::task::JoinSet::new();
            let mut ends = Vec::with_capacity(rows.len());
            for row in rows {
                while running.len() >= b.settings.parallel.max(1) {
                    ends.push(joined(running.join_next().await));
                }
                let (desk, context, claimed) = (b.desk.clone(), context.clone(), claimed.clone());
                running.spawn(async move { issue_row(&desk, &context, &claimed, row).await });
            }
            while let Some(end) = running.join_next().await {
                ends.push(joined(Some(end)));
            }
            for end in ends {
                match end? {
                    (line, RowEnd::Refused(code)) => {
                        let entry = AuditEntry::new(
                            claimed.issuer.actor.clone(),
                            "product.issue",
                            &claimed.issuer.origin,
                            b.clock.now(),
                        )
                        .within(Some(claimed.tenant), claimed.issuer.role)
                        .about("batch", claimed.id)
                        .refused(code);
                        b.repo.refuse(claimed.id, line, code, &entry).await?;
                        report.refused += 1;
                    }
                    (_, RowEnd::Issued) => report.issued += 1,
                    (_, RowEnd::Elsewhere) => {}
                }
            }
            let now = b.clock.now();
            if !b
                .repo
                .renew(claimed.id, &self.owner, now + b.settings.lease)
                .await?
            {
                // Another instance took the batch over (this one was too slow): it goes on.
                return Ok(Some(report));
            }
        };
        if budget == 0 && !b.repo.pending(claimed.id, 1).await?.is_empty() {
            return Ok(Some(report));
        }
        let pages = b.repo.pages(claimed.id).await?;
        let pdf = match pages.is_empty() {
            true => None,
            false => Some(b.desk.render_pages(&context, pages).await?),
        };
        let now = b.clock.now();
        report.finished = b
            .repo
            .finish(claimed.id, pdf.as_deref(), now + b.settings.keep, now)
            .await?;
        Ok(Some(report))
    }
}

/// How a row's task ended: its line and what became of it.
type RowResult = Result<(usize, RowEnd), IssueError>;

/// The end of a row's task; a task that panicked is a failure inside.
fn joined(end: Option<Result<RowResult, tokio::task::JoinError>>) -> RowResult {
    match end {
        Some(Ok(result)) => result,
        Some(Err(e)) => Err(IssueError::Store(StoreError::new(e))),
        None => Err(IssueError::Store(StoreError::new("no task to join"))),
    }
}

/// Issues one row: issued, issued elsewhere, or refused with the code of what is the sheet's
/// to fix; a failure inside ends the turn (the row stays pending for the next).
async fn issue_row(
    desk: &ProductDesk,
    context: &IssueContext,
    claimed: &ClaimedBatch,
    row: PendingRow,
) -> RowResult {
    let Some(data) = &row.row else {
        return Ok((row.line, RowEnd::Refused("row_unreadable")));
    };
    let request = request_of(&claimed.slug, data, Some(&claimed.issuer));
    match desk
        .issue_in(context, &request, Some((claimed.id, row.line)))
        .await
    {
        Ok(Some(_)) => Ok((row.line, RowEnd::Issued)),
        Ok(None) => Ok((row.line, RowEnd::Elsewhere)),
        Err(e) => match e.code() {
            Some(code) => Ok((row.line, RowEnd::Refused(code))),
            None => Err(e),
        },
    }
}
