//! The demo resident of a fresh embedded database: an account with products in two gemeenten,
//! made through the same use cases as everything else (issue, follow the coupling link, start a
//! session).

use crate::app::StartError;
use parkportal_domain::coupling::IssueRequest;
use parkportal_domain::parking::{Outcome, StartRequest};
use parkportal_domain::plate::{Country, Plate};
use parkportal_domain::{EmailAddress, Language, NewPassword};
use parkportal_portal::Services;

/// The demo resident's login, printed at the first start.
pub const DEMO_EMAIL: &str = "bewoner@demo.parkportal.nl";
/// The demo resident's password.
pub const DEMO_PASSWORD: &str = "demo-bewoner-2026";

fn fail(what: &str, e: impl std::fmt::Display) -> StartError {
    StartError::Demo(format!("demo resident: {what}: {e}"))
}

/// Creates the demo resident: a Dijkstad visitor scheme with EUR 25.00 and one running session,
/// and a Havenmond visitor scheme with its yearly time budget.
pub async fn create_resident(services: &Services) -> Result<(), StartError> {
    let email = EmailAddress::parse(DEMO_EMAIL).map_err(|e| fail("address", e))?;
    let password =
        NewPassword::parse(DEMO_PASSWORD, DEMO_PASSWORD).map_err(|e| fail("password", e))?;
    let issue = |tenant: &str, balance: Option<&str>| IssueRequest {
        tenant: tenant.into(),
        email: Some(email.clone()),
        balance: balance.and_then(|b| b.parse().ok()),
        ..IssueRequest::default()
    };
    let desk = &services.desk;
    let first = desk
        .issue(issue("dijkstad", Some("25.00")))
        .await
        .map_err(|e| fail("issue", e))?;
    let token = first
        .coupling_token
        .ok_or_else(|| fail("issue", "no link"))?;
    let (signed_in, _) = desk
        .accept_creating_account(&token, &password, Language::Nl, "demo")
        .await
        .map_err(|e| fail("couple", e))?;
    let account = signed_in.account;
    services
        .accounts
        .logout(&signed_in.token)
        .await
        .map_err(|e| fail("logout", e))?;
    let second = desk
        .issue(issue("havenmond", None))
        .await
        .map_err(|e| fail("issue", e))?;
    let token = second
        .coupling_token
        .ok_or_else(|| fail("issue", "no link"))?;
    desk.accept(&token, &account, "demo")
        .await
        .map_err(|e| fail("couple", e))?;
    // The start screen after login: the Dijkstad product's sessions.
    services
        .parking
        .choose(&account, first.id)
        .await
        .map_err(|e| fail("choose", e))?;
    let plate = Plate::parse("AB-12-34", Country::NL).map_err(|e| fail("plate", e))?;
    let now = services.parking.now();
    let outcome = services
        .parking
        .start(
            &account,
            first.id,
            StartRequest {
                plate,
                start: None,
                end: Some(now + chrono::Duration::hours(2)),
            },
        )
        .await
        .map_err(|e| fail("session", e))?;
    match outcome {
        Outcome::Done(_) => {}
        // Refused (say, at a time of day the gemeente does not allow): the demo works without.
        other => tracing::info!(?other, "the demo resident's session was not started"),
    }
    Ok(())
}
