//! One letter batch in the console: its progress (a page that follows it live with
//! JavaScript, and by reloading without), its report (line, code, recipient, result; never a
//! PIN) and, while it is kept, the PDF with every letter. Every reading of the report and the
//! PDF is in the audit trail.

use super::{base, count, summary_of};
use crate::csv::Csv;
use crate::page::{ConsolePage, context_of};
use minijinja::context;
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::batches::BatchSummary;
use parkportal_domain::{BatchId, TenantId};
use parkportal_web::AppError;
use poem::http::{StatusCode, header};
use poem::web::{Json, Path};
use poem::{Request, Response, handler};

/// The batch of this gemeente with the id in the path, or 404.
async fn find(page: &ConsolePage, id: &str) -> Result<(BatchId, BatchSummary), AppError> {
    let id = id
        .parse::<i64>()
        .map(BatchId)
        .map_err(|_| AppError::NotFound)?;
    let tenant = context_of(page)?.tenant.id;
    let summary = page
        .console
        .batches()
        .summary(tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((id, summary))
}

/// A reading of the report or PDF of the batch with the id in the path: the gemeente, the
/// batch (404 when it is not this gemeente's) and the audit entry of the reading.
async fn reading(
    page: &ConsolePage,
    req: &Request,
    id: &str,
    action: &'static str,
) -> Result<(TenantId, BatchId, AuditEntry), AppError> {
    let (id, _) = find(page, id).await?;
    let ctx = context_of(page)?;
    let entry = page.entry(req, action)?;
    Ok((ctx.tenant.id, id, entry))
}

/// `GET /beheer/{gemeente}/brieven/{batch}`: the batch's progress and, when it is done, its
/// report and PDF.
#[handler]
pub async fn show(
    page: ConsolePage,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (_, summary) = find(&page, &id).await?;
    let base = base(&page)?;
    page.render(
        "batch.html",
        StatusCode::OK,
        context! {
            base => base,
            batch => summary_of(&page, &summary)?,
            progress_text => progress_text(&page, &summary),
        },
    )
    .await
}

/// "120 van 500 brieven verwerkt (3 geweigerd)".
fn progress_text(page: &ConsolePage, b: &BatchSummary) -> String {
    let key = if b.refused > 0 {
        "console.batches.progress_refused"
    } else {
        "console.batches.progress"
    };
    page.text(
        key,
        &[
            ("handled", count(page, b.handled())),
            ("total", count(page, b.total)),
            ("refused", count(page, b.refused)),
        ],
    )
}

/// `GET /beheer/{gemeente}/brieven/{batch}/voortgang`: the progress as JSON for the page's
/// script (no personal data: counts and state).
#[handler]
pub async fn progress(
    page: ConsolePage,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (_, b) = find(&page, &id).await?;
    let body = serde_json::json!({
        "state": b.state.as_str(),
        "state_text": page.t(&format!("console.batches.state.{}", b.state.as_str())),
        "total": b.total,
        "issued": b.issued,
        "refused": b.refused,
        "handled": b.handled(),
        "percent": b.percent(),
        "text": progress_text(&page, &b),
    });
    Ok(poem::IntoResponse::into_response(
        poem::IntoResponse::with_header(Json(body), header::CACHE_CONTROL, "no-store"),
    ))
}

/// `GET /beheer/{gemeente}/brieven/{batch}/rapport.csv`: a line per row: its line in the
/// sheet, the product's code, the recipient and the result. Never a PIN.
#[handler]
pub async fn report(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (tenant, id, entry) = reading(&page, req, &id, "batch.report").await?;
    let lines = page
        .console
        .batches()
        .report(tenant, id, &entry)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut csv = Csv::new();
    csv.line(
        ["line", "code", "recipient", "result"]
            .map(|k| page.t(&format!("console.batches.report.{k}"))),
    );
    for l in lines {
        let result = result_text(&page, &l.result);
        csv.line([
            l.line.to_string(),
            l.code.unwrap_or_default(),
            l.recipient,
            result,
        ]);
    }
    Ok(csv.download(&format!("brieven-{}-rapport.csv", id.0)))
}

/// A row's result in words: issued, waiting, or why it was refused (with its code).
fn result_text(page: &ConsolePage, result: &str) -> String {
    match result {
        "issued" => page.t("console.batches.result.issued"),
        "pending" => page.t("console.batches.result.pending"),
        code => page.text(
            "console.batches.result.refused",
            &[("code", code.to_owned())],
        ),
    }
}

/// `GET /beheer/{gemeente}/brieven/{batch}/brieven.pdf`: every letter of the batch, a page
/// each, while it is kept (it holds the PINs); 404 after.
#[handler]
pub async fn letters(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (tenant, id, entry) = reading(&page, req, &id, "batch.letters").await?;
    let pdf = page
        .console
        .batches()
        .pdf(tenant, id, &entry)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"toewijzingsbrieven-{}.pdf\"", id.0),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(pdf))
}
