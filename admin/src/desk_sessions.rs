//! A session stopped (running) or taken away (planned) by a medewerker on the resident's
//! behalf: the page says what the resident gets back, the POST does it through the resident's
//! own use case (the unused part refunded at the session's own prices), its audit entry about
//! the session written with the change.

use crate::page::{ConsolePage, context_of, see_other};
use crate::product_page::{code_or_refused, moment};
use minijinja::context;
use parkportal_domain::SessionId;
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::dossier::{OpenSession, ProductDossier};
use parkportal_domain::parking::Outcome;
use parkportal_web::AppError;
use parkportal_web::format::exact_amount as amount;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The form: an optional reason.
#[derive(Debug, Default, Deserialize)]
pub struct StopForm {
    #[serde(default)]
    reden: String,
}

/// The product's dossier and its live session `session`, the reading recorded as `entry`; 404
/// when either is not this gemeente's.
async fn find(
    page: &ConsolePage,
    code: &str,
    session: &str,
    entry: &AuditEntry,
) -> Result<(ProductDossier, OpenSession), AppError> {
    let ctx = context_of(page)?;
    let code = code_or_refused(page, code, entry).await?;
    let dossier = page
        .console
        .dossiers()
        .read(ctx.tenant.id, &code, entry)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = session.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let open = dossier
        .sessions
        .rows
        .iter()
        .find(|s| s.id == SessionId(id))
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((dossier, open))
}

/// Renders the confirmation of stopping `s` of `d`, with `error` when it was refused.
async fn render(
    page: &ConsolePage,
    status: StatusCode,
    (d, s): (&ProductDossier, &OpenSession),
    reason: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let tz = ctx.tenant.time_zone;
    let now = page.console.web().clock().now();
    let unit = d.product.unit;
    let base = format!("/beheer/{}/producten/{}", ctx.tenant.slug, d.product.code);
    let values = context! {
        base => base.clone(),
        action => format!("{base}/parkeeracties/{}/stoppen", s.id.0),
        code => d.product.code.to_string(),
        plate => s.plate.as_ref().map(ToString::to_string),
        start => moment(tz, s.start),
        end => moment(tz, s.end),
        running => s.start <= now,
        cost => amount(unit, unit.from_smallest(s.reserved), page.prefs.language),
        reden => reason,
        error => error,
    };
    page.render("session_stop.html", status, values).await
}

/// `GET /beheer/{gemeente}/producten/{code}/parkeeracties/{session}/stoppen`.
#[handler]
pub async fn stop_form(
    page: ConsolePage,
    req: &Request,
    Path((_, code, session)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let entry = page.entry(req, "product.view")?;
    let (d, s) = find(&page, &code, &session, &entry).await?;
    render(&page, StatusCode::OK, (&d, &s), "", None).await
}

/// `POST /beheer/{gemeente}/producten/{code}/parkeeracties/{session}/stoppen`: stopped or taken
/// away, 303 to the product with `?gedaan=gestopt`; a session already over is 409.
#[handler]
pub async fn stop(
    page: ConsolePage,
    req: &Request,
    Path((_, code, session)): Path<(String, String, String)>,
    Form(f): Form<StopForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let mut entry = page.entry(req, "session.stopped_by_staff")?;
    let reason = f.reden.trim();
    if reason.chars().count() > parkportal_domain::coupling::MAX_REASON_CHARS {
        let refused = entry.refused("reason_too_long");
        let (d, s) = find(&page, &code, &session, &refused).await?;
        let message = page.t("console.desk.refused.reason_too_long");
        return render(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            (&d, &s),
            reason,
            Some(message),
        )
        .await;
    }
    entry.reason = Some(reason.to_owned()).filter(|r| !r.is_empty());
    let Some(id) = session.parse::<i64>().ok().map(SessionId) else {
        page.console
            .auth()
            .audit()
            .record(&entry.refused("not_found"))
            .await?;
        return Err(AppError::NotFound);
    };
    let outcome = page
        .console
        .parking()
        .end_for_staff(ctx.tenant.id, id, &entry)
        .await
        .map_err(AppError::internal)?;
    match outcome {
        Outcome::Done(_) => Ok(see_other(&format!(
            "/beheer/{}/producten/{}?gedaan=gestopt",
            ctx.tenant.slug,
            code_or_refused(&page, &code, &entry).await?
        ))),
        Outcome::NotFound => {
            let refused = entry.about("session", id.0).refused("not_found");
            page.console.auth().audit().record(&refused).await?;
            Err(AppError::NotFound)
        }
        _ => {
            // Over already (stopped by the resident meanwhile, or run out).
            let refused = entry.about("session", id.0).refused("session_over");
            page.console.auth().audit().record(&refused).await?;
            Ok(see_other(&format!(
                "/beheer/{}/producten/{}?gedaan=al_voorbij",
                ctx.tenant.slug,
                code_or_refused(&page, &code, &refused).await?
            )))
        }
    }
}
