//! The coupling link from a product's e-mail ("Digitaal loket en 2Park"): [Bevestigen] for the
//! logged-in resident it was sent to; log in first when the address has an account; otherwise
//! create the account with a password and its repetition, and the product is coupled.

use crate::auth;
use crate::page::PageContext;
use minijinja::{Value, context};
use parkportal_domain::coupling::{CouplingError, ProductSummary};
use parkportal_domain::{NewPassword, Token};
use parkportal_web::AppError;
use parkportal_web::dates::last_local_day;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Response, handler};
use serde::Deserialize;

fn product_values(page: &PageContext, p: &ProductSummary) -> Value {
    context! {
        gemeente => p.tenant_name.clone(),
        name => p.type_name.clone(),
        zone => p.zone_name.clone(),
        valid_until => last_local_day(p.valid_until, p.time_zone, page.prefs.language),
        plate_switch => p.plate_switch,
    }
}

/// The page for a link that cannot be used, or the error for a failure inside.
fn problem(page: &PageContext, e: CouplingError) -> Result<Response, AppError> {
    let (key, status) = match e {
        CouplingError::Unknown => ("coupling.unknown", StatusCode::NOT_FOUND),
        CouplingError::Used => ("coupling.used", StatusCode::GONE),
        CouplingError::Expired => ("coupling.expired", StatusCode::GONE),
        CouplingError::Foreign => ("coupling.foreign", StatusCode::FORBIDDEN),
        CouplingError::OwnedByOther => ("coupling.owned", StatusCode::CONFLICT),
        CouplingError::AccountExists => ("coupling.account_exists", StatusCode::CONFLICT),
        CouplingError::Blocked(_) => ("coupling.blocked", StatusCode::TOO_MANY_REQUESTS),
        CouplingError::Store(e) => return Err(AppError::internal(e)),
        CouplingError::Hash(e) => return Err(AppError::internal(e)),
        CouplingError::Login(e) => return Err(AppError::internal(e)),
    };
    page.private(
        "coupling_problem.html",
        status,
        context! { problem => key, foreign => key == "coupling.foreign" },
    )
}

/// `GET /koppel/{token}`: what the link offers.
#[handler]
pub async fn show(page: PageContext, Path(token): Path<String>) -> Result<Response, AppError> {
    let Some(token) = Token::parse(&token) else {
        return problem(&page, CouplingError::Unknown);
    };
    let offer = match page.state.desk().offer(&token, &page.client).await {
        Ok(offer) => offer,
        Err(e) => return problem(&page, e),
    };
    let mode = match &page.account {
        Some(a) if a.email == offer.email => "confirm",
        Some(_) => return problem(&page, CouplingError::Foreign),
        None if offer.account_exists => "login",
        None => "create",
    };
    page.private(
        "coupling.html",
        StatusCode::OK,
        context! {
            mode => mode,
            email => offer.email.as_str(),
            product => product_values(&page, &offer.product),
            action => page.path.clone(),
            mandated_by => offer.mandated_by.as_ref().map(|e| e.as_str().to_owned()),
        },
    )
}

/// The coupling form: the CSRF token, and the new password twice when there is no account.
#[derive(Debug, Deserialize)]
pub struct CouplingForm {
    #[serde(default)]
    wachtwoord: String,
    #[serde(default)]
    herhaling: String,
}

/// `POST /koppel/{token}`: [Bevestigen].
#[handler]
pub async fn accept(
    page: PageContext,
    Path(token): Path<String>,
    Form(f): Form<CouplingForm>,
) -> Result<Response, AppError> {
    let Some(token) = Token::parse(&token) else {
        return problem(&page, CouplingError::Unknown);
    };
    let desk = page.state.desk();
    if let Some(account) = &page.account {
        return match desk.accept(&token, account, &page.client).await {
            Ok(product) => done(&page, &product, None),
            Err(e) => problem(&page, e),
        };
    }
    let password = match NewPassword::parse(&f.wachtwoord, &f.herhaling) {
        Ok(p) => p,
        Err(problem_) => {
            let offer = match desk.offer(&token, &page.client).await {
                Ok(offer) => offer,
                Err(e) => return problem(&page, e),
            };
            return page.private(
                "coupling.html",
                StatusCode::UNPROCESSABLE_ENTITY,
                context! {
                    mode => "create",
                    email => offer.email.as_str(),
                    product => product_values(&page, &offer.product),
                    action => page.path.clone(),
                    error => format!("password.{}", problem_.code()),
                    error_field => if problem_ == parkportal_domain::password::PasswordProblem::Mismatch { "herhaling" } else { "wachtwoord" },
                },
            );
        }
    };
    match desk
        .accept_creating_account(&token, &password, page.prefs.language, &page.client)
        .await
    {
        Ok((signed_in, product)) => done(&page, &product, Some(&signed_in.token)),
        Err(e) => problem(&page, e),
    }
}

fn done(
    page: &PageContext,
    product: &ProductSummary,
    session: Option<&Token>,
) -> Result<Response, AppError> {
    let mut resp = page.private(
        "coupling_done.html",
        StatusCode::OK,
        context! {
            product => product_values(page, product),
            created => session.is_some(),
            // Coupled now: the switch is the resident's to use.
            switch_href => product.plate_switch
                .then(|| page.site.link(&format!("/producten/{}/kentekenswitch", product.id.0))),
        },
    )?;
    if let Some(token) = session {
        let cookie = auth::session_cookie(token, page.state.settings().secure_cookies());
        auth::append_cookie(&mut resp, &cookie);
    }
    Ok(resp)
}
