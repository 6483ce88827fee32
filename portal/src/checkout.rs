//! The built-in simulated iDEAL checkout (only while `payments.provider` is `simulated`): the
//! payer picks paid, cancelled, failed or expired, as in Mollie's test mode. Every page of it
//! says that no money moves. The choice is reported as a webhook would report it, and the payer
//! returns to Parkportal's result page.

use crate::page::PageContext;
use minijinja::context;
use parkportal_domain::BalanceUnit;
use parkportal_domain::top_up::PaymentStatus;
use parkportal_web::AppError;
use parkportal_web::format::amount;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The outcomes the payer may pick, in the order shown.
const OUTCOMES: [PaymentStatus; 4] = [
    PaymentStatus::Paid,
    PaymentStatus::Canceled,
    PaymentStatus::Failed,
    PaymentStatus::Expired,
];

async fn render(page: &PageContext, id: &str, error: Option<String>) -> Result<Response, AppError> {
    let payment = page
        .state
        .top_ups()
        .simulated_payment(id)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    let outcomes: Vec<_> = OUTCOMES
        .iter()
        .map(|o| context! { value => o.as_str(), label => page.t(&format!("checkout.outcome.{}", o.as_str())) })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page
        .render(
            "checkout.html",
            context! {
                description => payment.description,
                price => amount(BalanceUnit::Money, payment.price, page.prefs.language),
                open => payment.status == PaymentStatus::Open,
                outcomes => outcomes,
                action => format!("/betalen/simulatie/{id}"),
                return_url => payment.redirect_url,
                error => error,
            },
        )?
        .with_status(status)
        .into_response())
}

/// `GET /betalen/simulatie/{id}`.
#[handler]
pub async fn show(page: PageContext, Path(id): Path<String>) -> Result<Response, AppError> {
    render(&page, &id, None).await
}

/// The payer's choice.
#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    uitkomst: Option<String>,
}

/// `POST /betalen/simulatie/{id}`: [Ga verder] with the chosen outcome.
#[handler]
pub async fn choose(
    page: PageContext,
    Path(id): Path<String>,
    Form(f): Form<OutcomeForm>,
) -> Result<Response, AppError> {
    let outcome = f
        .uitkomst
        .as_deref()
        .and_then(PaymentStatus::parse)
        .filter(|o| OUTCOMES.contains(o));
    let Some(outcome) = outcome else {
        return render(&page, &id, Some(page.t("checkout.choose"))).await;
    };
    let chosen = page
        .state
        .top_ups()
        .simulate(&id, outcome)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    Ok(page.see_other(&chosen.redirect_url))
}
