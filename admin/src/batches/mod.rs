//! Letter batches in a gemeente's console (medewerkers and up): a spreadsheet of recipients
//! uploaded, checked whole (every problem named with its line, nothing issued while one row
//! fails) and stored as a job the instances' workers issue; its page follows the progress and
//! offers the report and the PDF of every letter.

pub mod batch;

use crate::auth::client_of;
use crate::page::{ConsolePage, context_of, see_other};
use minijinja::{Value, context};
use parkportal_domain::Token;
use parkportal_domain::audit::Actor;
use parkportal_domain::batches::{BatchState, BatchSummary, Column, Problem, Upload, UploadError};
use parkportal_domain::coupling::Issuer;
use parkportal_domain::idempotency::IdempotencyKey;
use parkportal_domain::tenant::Language;
use parkportal_web::AppError;
use parkportal_web::multipart;
use poem::http::{StatusCode, header};
use poem::{Request, Response, handler};

/// The largest sheet the upload takes (the body limit of its route): 4 MiB holds 5,000 rows
/// with room to spare.
pub const UPLOAD_LIMIT: usize = 4 * 1024 * 1024;

/// The problems a refused sheet lists on the page; the count names the rest.
const SHOWN: usize = 200;

/// `/beheer/{gemeente}/brieven`.
fn base(page: &ConsolePage) -> Result<String, AppError> {
    Ok(format!("/beheer/{}/brieven", context_of(page)?.tenant.slug))
}

/// A moment in the gemeente's time zone, as the console writes it.
fn local(page: &ConsolePage, at: chrono::DateTime<chrono::Utc>) -> Result<String, AppError> {
    let tz = context_of(page)?.tenant.time_zone;
    Ok(at.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string())
}

/// A count as the page's language writes it: `5.000` in Dutch, `5,000` in English.
fn count(page: &ConsolePage, n: usize) -> String {
    let separator = match page.prefs.language {
        Language::Nl => '.',
        Language::En => ',',
    };
    grouped(n, separator)
}

/// `n` with `separator` between groups of three digits.
fn grouped(n: usize, separator: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// Who uploaded a batch, in the page's language: a medewerker by their address, a key by its
/// name.
fn uploader(page: &ConsolePage, actor: &Actor) -> String {
    match actor {
        Actor::Staff { email, .. } => email.clone(),
        Actor::ApiKey { name, .. } => {
            page.text("console.batches.by_api_key", &[("name", name.clone())])
        }
        Actor::Operator => page.t("console.batches.by_operator"),
        Actor::Unknown(_) | Actor::Rule => actor.label(),
    }
}

/// A batch as the list and its page show it.
fn summary_of(page: &ConsolePage, b: &BatchSummary) -> Result<Value, AppError> {
    Ok(context! {
        id => b.id.0,
        file_name => b.file_name.clone(),
        state => b.state.as_str(),
        state_text => page.t(&format!("console.batches.state.{}", b.state.as_str())),
        done => b.state == BatchState::Done,
        total => b.total,
        issued => b.issued,
        refused => b.refused,
        // As the texts write them.
        counts => page.text(
            "console.batches.counts",
            &[
                ("issued", count(page, b.issued)),
                ("refused", count(page, b.refused)),
                ("total", count(page, b.total)),
            ],
        ),
        handled => b.handled(),
        percent => b.percent(),
        created_at => local(page, b.created_at)?,
        created_by => uploader(page, &b.created_by),
        finished_at => b.finished_at.map(|at| local(page, at)).transpose()?,
        pdf_until => b.pdf_until.map(|at| local(page, at)).transpose()?,
    })
}

/// The text of a sheet's problem, with its line.
fn problem_text(page: &ConsolePage, p: &Problem) -> String {
    let key = format!("console.batches.problem.{}", p.code);
    let column = p.column.map(Column::name).unwrap_or_default().to_owned();
    let message = if page.console.look().catalogues().has(&key) {
        page.text(&key, &[("column", column)])
    } else {
        page.text("console.batches.problem.other", &[("code", p.code.clone())])
    };
    page.text(
        "console.batches.line",
        &[("line", p.line.to_string()), ("message", message)],
    )
}

/// Why an upload came back: the sheet's rows, or the upload as a whole.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Refused {
    Sheet,
    Upload,
}

/// The list of batches with the upload form; the `problems` of a refused upload above it.
async fn show(
    page: &ConsolePage,
    status: StatusCode,
    problems: Vec<String>,
    more: usize,
    refused: Refused,
) -> Result<Response, AppError> {
    let tenant = context_of(page)?.tenant.id;
    let batches = page.console.batches().list(tenant).await?;
    let listed: Vec<Value> = batches
        .iter()
        .map(|b| summary_of(page, b))
        .collect::<Result<_, _>>()?;
    let columns: Vec<Value> = Column::ALL
        .iter()
        .map(|c| {
            context! {
                name => c.name(),
                english => c.english(),
                required => c.required(),
                text => page.t(&format!("console.batches.column.{}", c.name())),
            }
        })
        .collect();
    page.render(
        "batches.html",
        status,
        context! {
            base => base(page)?,
            batches => listed,
            columns => columns,
            problems => problems,
            more => more,
            more_text => count(page, more),
            sheet_problems => refused == Refused::Sheet,
            limit_mib => UPLOAD_LIMIT / (1024 * 1024),
            // A double click sends the form twice with this token: one batch, both answers
            // leading to it.
            eenmalig => Token::generate().map_err(AppError::internal)?.expose().to_owned(),
            max_rows => count(page, parkportal_domain::batches::MAX_ROWS),
        },
    )
    .await
}

/// `GET /beheer/{gemeente}/brieven`: the gemeente's batches, newest first, and the upload.
#[handler]
pub async fn list(page: ConsolePage) -> Result<Response, AppError> {
    show(&page, StatusCode::OK, Vec::new(), 0, Refused::Sheet).await
}

/// The form again (`status`) with the problems of the upload, on the record as `reason`.
async fn refuse(
    page: &ConsolePage,
    req: &Request,
    (status, reason, refused): (StatusCode, &str, Refused),
    problems: Vec<String>,
    more: usize,
) -> Result<Response, AppError> {
    crate::refusals::record(&page.console, req, "batch.upload", reason).await?;
    show(page, status, problems, more, refused).await
}

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// `POST /beheer/{gemeente}/brieven`: checks the uploaded sheet (field `bestand`) and stores
/// it as a batch, then shows the batch; a sheet with problems comes back with each named by
/// its line and nothing stored.
#[handler]
pub async fn upload(page: ConsolePage, req: &Request, body: Vec<u8>) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let parts = multipart::boundary(req).and_then(|b| multipart::parts(&body, &b).ok());
    let Some(parts) = parts else {
        crate::refusals::record(&page.console, req, "batch.upload", "not_multipart").await?;
        return Err(AppError::BadRequest);
    };
    let file = parts
        .iter()
        .find(|p| p.name == "bestand" && p.filename.is_some() && !p.data.is_empty());
    let Some(file) = file else {
        let missing = page.t("console.batches.no_file");
        let why = (UNPROCESSABLE, "no_file", Refused::Upload);
        return refuse(&page, req, why, vec![missing], 0).await;
    };
    let file_name = file.filename.clone().unwrap_or_default();
    let key = parts
        .iter()
        .find(|p| p.name == "eenmalig")
        .and_then(|p| std::str::from_utf8(&p.data).ok())
        .and_then(IdempotencyKey::of_form);
    let upload = Upload {
        tenant: ctx.tenant.slug.as_str(),
        file_name: file_name.trim(),
        bytes: &file.data,
        issuer: Issuer {
            actor: Actor::of(&ctx.staff),
            role: Some(ctx.role),
            origin: client_of(req),
        },
        key,
    };
    match page.console.batches().upload(upload).await {
        Ok(done) => Ok(see_other(&format!("{}/{}", base(&page)?, done.batch.0))),
        Err(UploadError::Problems(problems)) => {
            let shown = problems
                .iter()
                .take(SHOWN)
                .map(|p| problem_text(&page, p))
                .collect();
            let more = problems.len().saturating_sub(SHOWN);
            let why = (UNPROCESSABLE, "sheet_invalid", Refused::Sheet);
            refuse(&page, req, why, shown, more).await
        }
        // The form was sent before with another file (picked anew while the first upload
        // went on): that upload is a batch already; saying so keeps the medewerker from
        // uploading both again.
        Err(UploadError::KeyReused(earlier)) => {
            let tenant = ctx.tenant.id;
            let name = page
                .console
                .batches()
                .summary(tenant, earlier)
                .await?
                .map(|b| b.file_name)
                .unwrap_or_default();
            let told = page.text("console.batches.key_reused", &[("name", name)]);
            let why = (StatusCode::CONFLICT, "key_reused", Refused::Upload);
            refuse(&page, req, why, vec![told], 0).await
        }
        Err(UploadError::Issue(e)) if e.code() == Some("tenant_suspended") => {
            let suspended = page.t("console.issue.error_suspended");
            let why = (UNPROCESSABLE, "tenant_suspended", Refused::Upload);
            refuse(&page, req, why, vec![suspended], 0).await
        }
        Err(UploadError::Issue(e)) => Err(AppError::internal(e)),
    }
}

/// `GET /beheer/{gemeente}/brieven/voorbeeld.csv`: the sample sheet, with every column.
#[handler]
pub async fn sample() -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"voorbeeld-brieven.csv\"",
        )
        .body(parkportal_domain::batches::sample())
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0, '.'), "0");
        assert_eq!(grouped(999, '.'), "999");
        assert_eq!(grouped(5_000, '.'), "5.000");
        assert_eq!(grouped(1_234_567, ','), "1,234,567");
    }
}
