//! [Verleng]: a later end of a session, checked like a start; refused, the reasons with the
//! extensions that fit.

use crate::done::SessionDone;
use crate::page::{PageContext, ResidentPage};
use crate::products::header_values;
use crate::session_check::{Asked, check_page, local, problem_text, rfc3339};
use crate::sessions::{own_session, session_values};
use chrono::Duration;
use minijinja::context;
use parkportal_domain::SessionId;
use parkportal_domain::parking::{Outcome, ParkingSession};
use parkportal_web::AppError;
use parkportal_web::dates::{end_label, local_date_time};
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
/// `GET /parkeeracties/{id}/verlengen`: [Verleng], a later end.
#[handler]
pub async fn extend_form(mut page: PageContext, Path(id): Path<i64>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let (session, card) = own_session(&mut page, &account, id).await?;
    let tz = card.product.time_zone;
    let proposal = session.end + Duration::hours(1);
    let local = proposal.with_timezone(&tz);
    extend_page(
        &page,
        &session,
        &card,
        local.format("%Y-%m-%d").to_string(),
        local.format("%H:%M").to_string(),
        None,
        StatusCode::OK,
    )
}

fn extend_page(
    page: &PageContext,
    session: &ParkingSession,
    card: &parkportal_domain::parking::ProductCard,
    date: String,
    time: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let tz = card.product.time_zone;
    Ok(page
        .render(
            "session_extend.html",
            context! {
                product => header_values(page, card),
                session => session_values(page, session, card.product.unit, tz),
                einddatum => date,
                eindtijd => time,
                error => error,
                action => page.site.link(&format!("/parkeeracties/{}/verlengen", session.id.0)),
                back_href => page.site.link(&format!("/producten/{}/parkeeracties", session.product.0)),
            },
        )?
        .with_status(status)
        .into_response())
}

/// The extension form.
#[derive(Debug, Deserialize)]
pub struct ExtendForm {
    #[serde(default)]
    einddatum: String,
    #[serde(default)]
    eindtijd: String,
    /// An alternative's "start|end".
    gekozen: Option<String>,
}

/// `POST /parkeeracties/{id}/verlengen`: checked like a start; refused, the reasons with the
/// alternatives that fit.
#[handler]
pub async fn extend(
    Path(id): Path<i64>,
    Form(f): Form<ExtendForm>,
    ResidentPage { mut page, account }: ResidentPage,
) -> Result<Response, AppError> {
    let (session, card) = own_session(&mut page, &account, id).await?;
    let tz = card.product.time_zone;
    let end = match f.gekozen.as_deref().and_then(|g| g.split_once('|')) {
        Some((_, e)) => rfc3339(e),
        None => local(tz, &f.einddatum, &f.eindtijd),
    };
    let Some(end) = end else {
        return extend_page(
            &page,
            &session,
            &card,
            f.einddatum,
            f.eindtijd,
            Some(page.t("parking.problem.time_invalid")),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    match page
        .state
        .parking()
        .extend(&account, SessionId(id), end)
        .await
        .map_err(AppError::internal)?
    {
        Outcome::Done(extended) => {
            let said = page.session_done(
                SessionDone::Extended,
                &extended,
                &card.product,
                session.reserved,
            );
            let to = page
                .site
                .link(&format!("/producten/{}/parkeeracties", session.product.0));
            Ok(page.see_other_saying(&to, &said))
        }
        Outcome::Refused(v) => check_page(
            &page,
            session.product.0,
            &card,
            &session.plate,
            Asked::Extension { session: &session },
            end,
            &v,
            page.site.link(&format!("/parkeeracties/{id}/verlengen")),
            StatusCode::CONFLICT,
        ),
        Outcome::AlreadyParked(other) => {
            let text = match other {
                Some(other) => page.text(
                    "sessions.extend_overlaps",
                    &[
                        (
                            "start",
                            local_date_time(other.start, tz, page.prefs.language),
                        ),
                        ("end", end_label(other.end, tz, page.prefs.language)),
                    ],
                ),
                None => page.t("parking.extend_reason.plate_already_parked"),
            };
            extend_page(
                &page,
                &session,
                &card,
                f.einddatum,
                f.eindtijd,
                Some(text),
                StatusCode::CONFLICT,
            )
        }
        Outcome::Invalid(problem) => extend_page(
            &page,
            &session,
            &card,
            f.einddatum,
            f.eindtijd,
            Some(problem_text(&page, problem)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Outcome::NotFound => Err(AppError::NotFound),
    }
}
