//! Suspending and resuming a gemeente, for platformbeheerders: a confirmation page with the
//! reason asked (`/beheer/platform/gemeenten/{slug}/schorsen`) and one to resume
//! (`.../hervatten`); each POST does it through the domain's use case, which records it in the
//! audit trail, and leads back to the platform's list with a short message. What a suspension
//! means for residents is the domain's (see `parkportal_domain::suspension`).

use crate::page::{ConsolePage, see_other};
use minijinja::{Value, context};
use parkportal_domain::Tenant;
use parkportal_domain::audit::Actor;
use parkportal_domain::suspension::{REASON_MAX, ReasonProblem, SuspensionOutcome};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The form of a suspension.
#[derive(Debug, Default, Deserialize)]
pub struct SuspendForm {
    #[serde(default)]
    reden: String,
}

/// The gemeente of the path, or the console's 404.
async fn gemeente(page: &ConsolePage, slug: &str) -> Result<Tenant, AppError> {
    page.console
        .web()
        .tenants()
        .by_slug(slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// How the platform's pages show a gemeente: its name and slug, and its suspension, if any
/// (since when in the gemeente's own time, by whom, why).
pub(crate) fn gemeente_values(t: &Tenant) -> Value {
    let suspension = t.suspension.as_ref().map(|s| {
        context! {
            since => s.since.with_timezone(&t.time_zone).format("%d-%m-%Y %H:%M").to_string(),
            by => s.by.clone(),
            reason => s.reason.clone(),
        }
    });
    context! {
        slug => t.slug.as_str(),
        name => t.name.clone(),
        hosts => t.hosts.iter().map(|h| h.as_str().to_owned()).collect::<Vec<_>>(),
        suspension => suspension,
    }
}

/// The actor of a change: the platformbeheerder of the page.
fn actor(page: &ConsolePage) -> Result<Actor, AppError> {
    page.visitor
        .member
        .as_ref()
        .map(Actor::of)
        .ok_or_else(|| AppError::internal("a platform page without its staff member"))
}

async fn confirm_page(
    page: &ConsolePage,
    tenant: &Tenant,
    resuming: bool,
    reden: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let verb = if resuming { "hervatten" } else { "schorsen" };
    page.render(
        "platform_suspend.html",
        status,
        context! {
            g => gemeente_values(tenant),
            resume => resuming,
            action => format!("/beheer/platform/gemeenten/{}/{verb}", tenant.slug),
            reden => reden,
            reason_max => REASON_MAX,
            error => error,
        },
    )
    .await
}

/// `GET /beheer/platform/gemeenten/{slug}/schorsen`: what a suspension does, and the reason.
#[handler]
pub async fn suspend_form(
    Path(slug): Path<String>,
    page: ConsolePage,
) -> Result<Response, AppError> {
    let tenant = gemeente(&page, &slug).await?;
    confirm_page(&page, &tenant, false, "", None).await
}

/// `POST /beheer/platform/gemeenten/{slug}/schorsen`: suspends the gemeente (a reason is
/// required: 422 with the form again without one) and leads back to the list.
#[handler]
pub async fn suspend(
    Path(slug): Path<String>,
    Form(form): Form<SuspendForm>,
    page: ConsolePage,
    req: &Request,
) -> Result<Response, AppError> {
    let tenant = posted_to(&page, req, &slug, "tenant.suspended").await?;
    let outcome = page
        .console
        .suspensions()
        .suspend(
            tenant.slug.as_str(),
            &form.reden,
            actor(&page)?,
            &page.client,
        )
        .await?;
    let problem = match outcome {
        SuspensionOutcome::Refused(problem) => problem,
        other => return done(&page, req, other, "tenant.suspended", "geschorst").await,
    };
    let message = match problem {
        ReasonProblem::Empty => page.t("console.suspension.reason_empty"),
        ReasonProblem::TooLong => page.text(
            "console.suspension.reason_too_long",
            &[("max", REASON_MAX.to_string())],
        ),
    };
    confirm_page(&page, &tenant, false, &form.reden, Some(message)).await
}

/// `GET /beheer/platform/gemeenten/{slug}/hervatten`: the suspension, and the button to end it.
#[handler]
pub async fn resume_form(
    Path(slug): Path<String>,
    page: ConsolePage,
) -> Result<Response, AppError> {
    let tenant = gemeente(&page, &slug).await?;
    confirm_page(&page, &tenant, true, "", None).await
}

/// `POST /beheer/platform/gemeenten/{slug}/hervatten`: makes the gemeente active again and
/// leads back to the list.
#[handler]
pub async fn resume(
    Path(slug): Path<String>,
    page: ConsolePage,
    req: &Request,
) -> Result<Response, AppError> {
    let tenant = posted_to(&page, req, &slug, "tenant.resumed").await?;
    let outcome = page
        .console
        .suspensions()
        .resume(tenant.slug.as_str(), actor(&page)?, &page.client)
        .await?;
    done(&page, req, outcome, "tenant.resumed", "hervat").await
}

/// The gemeente a POST names; an unknown one is the console's 404, on the record as `action`
/// refused.
async fn posted_to(
    page: &ConsolePage,
    req: &Request,
    slug: &str,
    action: &'static str,
) -> Result<Tenant, AppError> {
    match gemeente(page, slug).await {
        Err(AppError::NotFound) => {
            crate::refusals::record(&page.console, req, action, "not_found").await?;
            Err(AppError::NotFound)
        }
        other => other,
    }
}

/// Back to the list, which says what happened (also when the gemeente was in that state
/// already: a second click changes nothing, is on the record as `action` refused as
/// `unchanged`, and the list says how it stands).
async fn done(
    page: &ConsolePage,
    req: &Request,
    outcome: SuspensionOutcome,
    action: &'static str,
    what: &str,
) -> Result<Response, AppError> {
    match outcome {
        SuspensionOutcome::Changed(t) => {
            Ok(see_other(&format!("/beheer/platform?{what}={}", t.slug)))
        }
        SuspensionOutcome::Already(t) => {
            crate::refusals::record(&page.console, req, action, "unchanged").await?;
            Ok(see_other(&format!("/beheer/platform?{what}={}", t.slug)))
        }
        SuspensionOutcome::NotFound => {
            crate::refusals::record(&page.console, req, action, "not_found").await?;
            Err(AppError::NotFound)
        }
        // The caller shows the form again with the problem.
        SuspensionOutcome::Refused(_) => Err(AppError::internal("a refused suspension as done")),
    }
}
