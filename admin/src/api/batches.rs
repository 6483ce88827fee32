//! Letter batches in the admin API: a gemeente's own system uploads a spreadsheet of
//! recipients (`products:issue`), follows the job (`products:issue` or `products:read`), reads
//! its report (`products:read`) and fetches the PDF of every letter while it is kept
//! (`letters:read`). The sheet is the console's: the same columns, the same checks, every
//! problem with its line and nothing stored on any.

use super::ApiKey;
use super::caller::{Caller, ReadRefusals};
use crate::csv::Csv;
use parkportal_domain::BatchId;
use parkportal_domain::api_keys::Scope;
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::batches::{BatchSummary, Upload, UploadError};
use parkportal_domain::coupling::Issuer;
use parkportal_domain::idempotency::IdempotencyKey;
use parkportal_web::refusals::Failure;
use parkportal_web::{ApiFailure, AppError, ErrorCode, declare_refusals};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};

/// The batches endpoints.
pub struct BatchesApi;

/// The problems of a refused sheet the answer lists; `problems_total` counts them all.
const LISTED_PROBLEMS: usize = 1_000;

/// A sheet of recipients: CSV as spreadsheet programs write it (UTF-8 with or without a
/// byte-order mark, `;` or `,` between fields), a header naming the columns and a line per
/// recipient, at most 5,000. The columns are those of the console's sample sheet.
#[derive(ApiRequest)]
enum SheetBody {
    /// The sheet as CSV.
    #[oai(content_type = "text/csv")]
    Csv(Binary<Vec<u8>>),
    /// The sheet's bytes as they are.
    Bytes(Binary<Vec<u8>>),
}

/// A letter batch and how far its job is.
#[derive(Debug, Object)]
pub struct BatchItem {
    /// Its id.
    pub id: i64,
    /// `queued`, `running` or `done`.
    pub state: String,
    /// Rows in the sheet.
    pub rows_total: u32,
    /// Rows issued: a product and its letter each.
    pub rows_issued: u32,
    /// Rows refused when their turn came (the gemeente was suspended meanwhile, say); the
    /// report names why.
    pub rows_refused: u32,
    /// Uploaded at (RFC 3339).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Finished at, once done.
    #[oai(nullable)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Until when the PDF with every letter can be fetched; null before it is made and after
    /// it was deleted with the PINs in it.
    #[oai(nullable)]
    pub letters_kept_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Where the report is (`products:read`).
    pub report_url: String,
    /// Where the PDF is while it is kept (`letters:read`).
    pub letters_url: String,
}

/// The answer of `POST /v1/batches`.
#[derive(ApiResponse)]
enum UploadAnswer {
    /// The sheet is checked and stored: its job issues the rows in the background. Follow it
    /// at `Location`. A repeat of an upload with its `Idempotency-Key` gets the batch that
    /// upload made, as it is now, with `Idempotent-Replayed: true`.
    #[oai(status = 202)]
    Accepted(
        Json<BatchItem>,
        /// The batch's address.
        #[oai(header = "Location")]
        String,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// `true` on a repeat that found the batch of an earlier upload with its key.
        #[oai(header = "Idempotent-Replayed")]
        Option<String>,
    ),
}

/// The answer of `GET /v1/batches/{id}`.
#[derive(ApiResponse)]
enum ReadAnswer {
    /// The batch.
    #[oai(status = 200)]
    Ok(
        Json<BatchItem>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// The answer of `GET /v1/batches/{id}/report.csv`.
#[derive(ApiResponse)]
enum ReportAnswer {
    /// A line per row: `line;code;recipient;result`, `;`-separated with a byte-order mark.
    /// `result` is `issued`, `pending` or the code of the row's refusal. Never a PIN.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(
        Binary<Vec<u8>>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// The answer of `GET /v1/batches/{id}/letters.pdf`.
#[derive(ApiResponse)]
enum LettersAnswer {
    /// Every letter of the batch, a page each (A4 PDF/A). It holds the PINs: no cache keeps
    /// it.
    #[oai(status = 200, content_type = "application/pdf")]
    Pdf(
        Binary<Vec<u8>>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

declare_refusals!(UploadRefusals [bearer, body] {
    400 => [IdempotencyKeyInvalid],
    403 => [Forbidden],
    409 => [TenantSuspended],
    422 => [SheetInvalid, IdempotencyKeyReused],
});

impl Caller {
    /// The batch of the key's gemeente with the id in the path: 404 (recorded) for any other,
    /// before any scope is looked at.
    async fn batch(&self, id: &str) -> poem::Result<BatchSummary> {
        let found = match id.parse::<i64>() {
            Ok(id) => self
                .console
                .batches()
                .summary(self.key.tenant, BatchId(id))
                .await
                .map_err(AppError::from)?,
            Err(_) => None,
        };
        match found {
            Some(found) => Ok(found),
            None => Err(self
                .refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound, None)
                .await?),
        }
    }

    /// The admin API's address of `batch` with `rest` after it.
    fn batch_url(&self, batch: BatchId, rest: &str) -> String {
        self.console
            .web()
            .settings()
            .public_url
            .join(&format!("/api/admin/v1/batches/{}{rest}", batch.0))
    }

    fn batch_item(&self, b: &BatchSummary) -> BatchItem {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        BatchItem {
            id: b.id.0,
            state: b.state.as_str().to_owned(),
            rows_total: count(b.total),
            rows_issued: count(b.issued),
            rows_refused: count(b.refused),
            created_at: b.created_at,
            finished_at: b.finished_at,
            letters_kept_until: b.pdf_until,
            report_url: self.batch_url(b.id, "/report.csv"),
            letters_url: self.batch_url(b.id, "/letters.pdf"),
        }
    }
}

/// Whether a sheet may come as `content_type`: CSV, or bytes as they are.
fn sheet_type(content_type: Option<&str>) -> bool {
    let essence = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    matches!(
        essence.as_deref(),
        Some("text/csv" | "application/octet-stream")
    )
}

#[OpenApi]
impl BatchesApi {
    /// Uploads a sheet of recipients as a letter batch (scope `products:issue`). Every row is
    /// checked first: a sheet with any problem is refused whole with 422 `sheet_invalid`,
    /// listing each problem (`line`, `column`, `code`) in `problems`, and nothing is stored.
    /// A checked sheet answers 202: a job issues every row (a product and its letter) and then
    /// makes one PDF with a letter per page. With an `Idempotency-Key`, a repeat of the upload
    /// (a retry after a lost answer) makes no second batch.
    #[oai(path = "/v1/batches", method = "post")]
    async fn upload(
        &self,
        req: &Request,
        _auth: ApiKey,
        body: SheetBody,
        /// Makes the upload once: a repeat with this key and the same sheet gets the batch
        /// the first made; with another sheet it is refused (422 `idempotency_key_reused`).
        /// 1 to 255 visible ASCII characters, kept with the batch; one per API key.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
    ) -> Result<UploadAnswer, Failure<UploadRefusals>> {
        let caller = Caller::of(req)?;
        caller.require(Scope::ProductsIssue, None).await?;
        let key = match idempotency_key.0.as_deref().map(IdempotencyKey::parse) {
            None => None,
            Some(Some(key)) => Some(key),
            Some(None) => {
                let code = ErrorCode::IdempotencyKeyInvalid;
                return Err(caller
                    .refuse(StatusCode::BAD_REQUEST, code, None)
                    .await?
                    .into());
            }
        };
        if !sheet_type(req.content_type()) {
            let code = ErrorCode::UnsupportedMediaType;
            return Err(caller
                .refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, code, None)
                .await?
                .into());
        }
        let (SheetBody::Csv(bytes) | SheetBody::Bytes(bytes)) = body;
        let tenant = caller.tenant().await?;
        let upload = Upload {
            tenant: tenant.slug.as_str(),
            file_name: "api.csv",
            bytes: &bytes.0,
            issuer: Issuer {
                actor: caller.key.actor(),
                role: None,
                origin: caller.origin.clone(),
            },
            key,
        };
        let uploaded = match caller.console.batches().upload(upload).await {
            Ok(uploaded) => uploaded,
            Err(UploadError::KeyReused(_)) => {
                let code = ErrorCode::IdempotencyKeyReused;
                return Err(caller
                    .refuse(StatusCode::UNPROCESSABLE_ENTITY, code, None)
                    .await?
                    .into());
            }
            Err(UploadError::Problems(problems)) => {
                caller
                    .record_refusal(None, ErrorCode::SheetInvalid.as_str())
                    .await?;
                let listed: Vec<serde_json::Value> = problems
                    .iter()
                    .take(LISTED_PROBLEMS)
                    .map(|p| {
                        serde_json::json!({
                            "line": p.line,
                            "column": p.column.map(|c| c.english()),
                            "code": p.code,
                        })
                    })
                    .collect();
                let code = ErrorCode::SheetInvalid;
                let mut failure = ApiFailure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    caller.page.t(code.message_key()),
                );
                failure.extra = Some(serde_json::Map::from_iter([
                    ("problems".to_owned(), listed.into()),
                    ("problems_total".to_owned(), problems.len().into()),
                ]));
                return Err(poem::Error::from(failure).into());
            }
            Err(UploadError::Issue(e)) if e.code() == Some("tenant_suspended") => {
                let code = ErrorCode::TenantSuspended;
                return Err(caller
                    .refuse(StatusCode::CONFLICT, code, None)
                    .await?
                    .into());
            }
            Err(UploadError::Issue(e)) => return Err(AppError::internal(e).into()),
        };
        let batch = uploaded.batch;
        if uploaded.replayed {
            // Every call is on the record: a repeat stored nothing, so it says so itself.
            let entry = AuditEntry::new(
                caller.key.actor(),
                "batch.replayed",
                &caller.origin,
                caller.console.web().clock().now(),
            )
            .within(Some(caller.key.tenant), None)
            .about("batch", batch.0);
            caller.console.record(&entry).await?;
        }
        let summary = caller
            .console
            .batches()
            .summary(caller.key.tenant, batch)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::internal("a batch just stored is not there"))?;
        Ok(UploadAnswer::Accepted(
            Json(caller.batch_item(&summary)),
            caller.batch_url(batch, ""),
            "no-store".to_owned(),
            uploaded.replayed.then(|| "true".to_owned()),
        ))
    }

    /// A letter batch of the key's gemeente and how far its job is (scope `products:issue`
    /// or `products:read`).
    #[oai(path = "/v1/batches/:id", method = "get")]
    async fn read(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// The batch's id.
        id: Path<String>,
    ) -> Result<ReadAnswer, Failure<ReadRefusals>> {
        let caller = Caller::of(req)?;
        let batch = caller.batch(&id.0).await?;
        let object = Some(("batch", batch.id.0));
        caller
            .require_any(&[Scope::ProductsRead, Scope::ProductsIssue], object)
            .await?;
        // A call of the API is on the record, even one that reads no personal data.
        let entry = caller.entry().about("batch", batch.id.0);
        caller.console.record(&entry).await?;
        Ok(ReadAnswer::Ok(
            Json(caller.batch_item(&batch)),
            "no-store".to_owned(),
        ))
    }

    /// The batch's report (scope `products:read`): a line per row with the product's code,
    /// the recipient and the result; never a PIN. Rows still waiting read `pending`.
    #[oai(path = "/v1/batches/:id/report.csv", method = "get")]
    async fn report(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// The batch's id.
        id: Path<String>,
    ) -> Result<ReportAnswer, Failure<ReadRefusals>> {
        let caller = Caller::of(req)?;
        let batch = caller.batch(&id.0).await?;
        caller
            .require(Scope::ProductsRead, Some(("batch", batch.id.0)))
            .await?;
        let lines = caller
            .console
            .batches()
            .report(caller.key.tenant, batch.id, &caller.entry())
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound)?;
        let mut csv = Csv::new();
        csv.line(["line", "code", "recipient", "result"]);
        for l in lines {
            csv.line([
                l.line.to_string(),
                l.code.unwrap_or_default(),
                l.recipient,
                l.result,
            ]);
        }
        Ok(ReportAnswer::Csv(
            Binary(csv.into_string().into_bytes()),
            "no-store".to_owned(),
        ))
    }

    /// The PDF with every letter of the batch, a page each, while it is kept (scope
    /// `letters:read`); 404 before the job finished and once it was deleted with its PINs
    /// (`letters.keep` after the job finished).
    #[oai(path = "/v1/batches/:id/letters.pdf", method = "get")]
    async fn letters(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// The batch's id.
        id: Path<String>,
    ) -> Result<LettersAnswer, Failure<ReadRefusals>> {
        let caller = Caller::of(req)?;
        let batch = caller.batch(&id.0).await?;
        caller
            .require(Scope::LettersRead, Some(("batch", batch.id.0)))
            .await?;
        let pdf = caller
            .console
            .batches()
            .pdf(caller.key.tenant, batch.id, &caller.entry())
            .await
            .map_err(AppError::from)?;
        // The PDF is there only once the job made it, and until its time has passed.
        match pdf {
            Some(pdf) => Ok(LettersAnswer::Pdf(Binary(pdf), "no-store".to_owned())),
            None => Err(poem::Error::from(ApiFailure::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                caller.page.t(ErrorCode::NotFound.message_key()),
            ))
            .into()),
        }
    }
}
