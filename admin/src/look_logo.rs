//! `GET/POST /beheer/{gemeente}/logo` (#24): the gemeente's logo, shown as the portal's header
//! shows it on a phone and on a desktop, and replaced by an upload. An SVG is sanitised (what
//! was removed is named on the page and in the audit entry), a PNG read whole within its limits
//! (see `parkportal_domain::logo`); what is stored is what is served. A file that cannot be a
//! logo is refused with its reason and nothing is stored.

use crate::look_shared;
use crate::page::{ConsolePage, context_of, see_other};
use minijinja::context;
use parkportal_domain::gemeente_look::{LookChange, LookError, LookOutcome};
use parkportal_domain::logo::{Logo, LogoProblem, MAX_SIDE};
use parkportal_web::AppError;
use parkportal_web::multipart;
use parkportal_web::page::urlencode;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The upload's body limit: a logo of at most 256 KiB with the form around it. A larger file
/// reaches the page and is refused there with its size; a far larger one is refused (413)
/// before it is read.
pub const FORM_LIMIT: usize = 1024 * 1024;

const ACTION: &str = "tenant.logo_changed";

/// What the page after an upload says.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    gedaan: Option<String>,
    /// What sanitising removed, comma-separated.
    verwijderd: Option<String>,
}

/// The page, with `error` at the file field and `message` above the form.
async fn show(
    page: &ConsolePage,
    status: StatusCode,
    (error, message): (Option<String>, Option<String>),
    done: &Done,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let (_, version) = look_shared::current(page).await?;
    let removed: Vec<String> = done
        .verwijderd
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|r| !r.is_empty())
        .take(40)
        .map(|r| r.chars().take(60).collect())
        .collect();
    let base = format!("/beheer/{}", ctx.tenant.slug);
    page.render(
        "gemeente_logo.html",
        status,
        context! {
            action => format!("{base}/logo"),
            preview_css => format!("{base}/thema/voorbeeld.css?v={version}"),
            logo_url => format!("/g/{}/logo?v={version}", ctx.tenant.slug),
            name => ctx.tenant.name.clone(),
            version => version,
            saved => done.gedaan.as_deref() == Some("opgeslagen"),
            removed => removed,
            error => error,
            message => message,
            max_kib => Logo::MAX_BYTES / 1024,
            max_side => MAX_SIDE,
            balance => look_shared::sample_balance(page),
        },
    )
    .await
}

/// `GET`: the logo as the header shows it, and the upload form.
#[handler]
pub async fn form(page: ConsolePage, Query(done): Query<Done>) -> Result<Response, AppError> {
    show(&page, StatusCode::OK, (None, None), &done).await
}

/// Why a file is no logo, in the page's language.
fn problem_text(page: &ConsolePage, problem: &LogoProblem) -> String {
    let (width, height) = match problem {
        LogoProblem::PngTooLarge { width, height } => (*width, *height),
        _ => (0, 0),
    };
    page.text(
        &format!("console.logo.problem.{}", problem.code()),
        &[
            ("max_kib", (Logo::MAX_BYTES / 1024).to_string()),
            ("max_side", MAX_SIDE.to_string()),
            ("width", width.to_string()),
            ("height", height.to_string()),
        ],
    )
}

/// `POST` (multipart): sanitises or checks the uploaded file and makes it the logo.
#[handler]
pub async fn upload(page: ConsolePage, req: &Request, body: Vec<u8>) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, ACTION)?;
    let parts = multipart::boundary(req).and_then(|b| multipart::parts(&body, &b).ok());
    let Some(parts) = parts else {
        look_shared::refused(&page, req, ACTION, "not_multipart").await?;
        return Err(AppError::BadRequest);
    };
    let version = look_shared::version_of(&parts);
    let file = parts
        .iter()
        .find(|p| p.name == "logo" && p.filename.is_some() && !p.data.is_empty());
    let Some(file) = file else {
        look_shared::refused(&page, req, ACTION, "no_file").await?;
        let error = page.t("console.logo.no_file");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return show(&page, status, (Some(error), None), &Done::default()).await;
    };
    let name = file.filename.clone().unwrap_or_default();
    let bytes = file.data.clone();
    // Parsing and decoding take a while: off the threads that serve requests.
    let read = tokio::task::spawn_blocking(move || Logo::sanitise(&name, &bytes))
        .await
        .map_err(AppError::internal)?;
    let sanitised = match read {
        Ok(sanitised) => sanitised,
        Err(problem) => {
            look_shared::refused(&page, req, ACTION, problem.code()).await?;
            let error = problem_text(&page, &problem);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return show(&page, status, (Some(error), None), &Done::default()).await;
        }
    };
    let removed = sanitised.removed.join(",");
    let platform = ctx.role == parkportal_domain::staff::Role::PlatformAdmin;
    let change = LookChange::Logo(sanitised);
    let outcome = page
        .console
        .gemeente_look()
        .change(&ctx.tenant.slug, version, change, platform, entry.clone())
        .await;
    match outcome {
        Ok(LookOutcome::Saved { .. }) => {
            let mut path = format!("/beheer/{}/logo?gedaan=opgeslagen", ctx.tenant.slug);
            if !removed.is_empty() {
                path.push_str("&verwijderd=");
                path.push_str(&urlencode(&removed));
            }
            Ok(see_other(&path))
        }
        Ok(LookOutcome::Stale) => {
            look_shared::refused(&page, req, ACTION, "stale").await?;
            let message = page.t("console.logo.stale");
            show(
                &page,
                StatusCode::CONFLICT,
                (None, Some(message)),
                &Done::default(),
            )
            .await
        }
        Err(LookError::Invalid(problems)) => {
            tracing::info!(?problems, "logo refused by the configuration's own check");
            look_shared::refused(&page, req, ACTION, "invalid").await?;
            let message = page.t("console.logo.invalid");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show(&page, status, (None, Some(message)), &Done::default()).await
        }
        Err(LookError::NotFound) => Err(AppError::NotFound),
        Err(LookError::Store(e)) => Err(e.into()),
        Err(other) => Err(AppError::internal(other)),
    }
}
