//! "Uw gegevens" under Instellingen (AVG/GDPR): [Download mijn gegevens] saves everything the
//! portal holds about the resident as one JSON file, the same document as the API's
//! `GET /api/v1/account/data`; [Account verwijderen] deletes the account after a confirmation
//! page that says what happens, confirmed with the password.

use crate::api::own_data::DataExport;
use crate::auth::{self, SESSION_COOKIE};
use crate::page::PageContext;
use minijinja::context;
use parkportal_domain::calendar;
use parkportal_domain::own_data::EraseError;
use parkportal_web::AppError;
use poem::http::{StatusCode, header};
use poem::web::Form;
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// `GET /instellingen/mijn-gegevens`: the resident's data as a file to save.
#[handler]
pub async fn download(page: PageContext) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let Some(export) = page.state.own_data().export(&account).await? else {
        return Ok(page.login_redirect());
    };
    let now = page.state.clock().now();
    let document = DataExport::of(&export, now);
    let json = serde_json::to_vec_pretty(&document).map_err(AppError::internal)?;
    let tz = page
        .gemeente()
        .map_or(chrono_tz::Europe::Amsterdam, |t| t.time_zone);
    let day = calendar::local_date(tz, now);
    Ok(Response::builder()
        .content_type("application/json; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"parkportal-gegevens-{day}.json\""),
        )
        // Personal data: no cache on the way keeps a copy.
        .header(header::CACHE_CONTROL, "no-store")
        .body(json))
}

/// The confirmation form of [Account verwijderen] (its CSRF token is checked by the middleware).
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    wachtwoord: String,
}

/// The confirmation page, with `error` at the password field.
async fn confirmation(
    page: &PageContext,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    // What will be uncoupled, and how many sessions stop with it.
    let products: Vec<_> = page
        .state
        .parking()
        .products(&account)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .filter(|c| c.product.mandate.is_none())
        .map(|c| {
            let p = &c.product;
            let live = c.running + c.planned;
            context! {
                label => format!("{}, {} ({})", p.type_name, p.zone_name, p.tenant_name),
                live => (live > 0).then(|| page.text(if live == 1 { "own_data.live_session" } else { "own_data.live_sessions" },
                    &[("count", live.to_string())],
                )),
            }
        })
        .collect();
    Ok(page
        .render(
            "account_delete.html",
            context! {
                email => account.email.as_str(),
                products => products,
                error => error,
                action => page.site.link("/instellingen/account-verwijderen"),
                download_href => page.site.link("/instellingen/mijn-gegevens"),
                back_href => page.site.link("/instellingen"),
            },
        )?
        .with_status(status)
        .into_response())
}

/// `GET /instellingen/account-verwijderen`: what deleting does, and the password to confirm.
#[handler]
pub async fn delete_confirm(page: PageContext) -> Result<Response, AppError> {
    confirmation(&page, None, StatusCode::OK).await
}

/// `POST /instellingen/account-verwijderen`: deletes the account, logs out this browser and
/// says so.
#[handler]
pub async fn delete(page: PageContext, Form(f): Form<DeleteForm>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    if f.wachtwoord.is_empty() {
        let error = page.t("own_data.password_missing");
        return confirmation(&page, Some(error), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match page
        .state
        .own_data()
        .erase(&account, &f.wachtwoord, &page.client)
        .await
    {
        Ok(()) => {
            // The sessions and remember-me tokens are gone with the account; the cookies go too.
            let secure = page.state.settings().secure_cookies();
            let mut resp = page.see_other(&page.site.link("/account-verwijderd"));
            auth::append_cookie(&mut resp, &auth::clear_cookie(SESSION_COOKIE, secure));
            auth::append_cookie(
                &mut resp,
                &auth::clear_cookie(auth::REMEMBER_COOKIE, secure),
            );
            Ok(resp)
        }
        Err(EraseError::PasswordIncorrect) => {
            let error = page.t("own_data.password_incorrect");
            confirmation(&page, Some(error), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(EraseError::Blocked(b)) => {
            let tz = page
                .gemeente()
                .map_or(chrono_tz::Europe::Amsterdam, |t| t.time_zone);
            let until = b.until.with_timezone(&tz).format("%H:%M:%S").to_string();
            let error = page.text("login.blocked", &[("time", until)]);
            confirmation(&page, Some(error), StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(other) => Err(AppError::internal(other)),
    }
}

/// `GET /account-verwijderd`: the account is gone. Someone logged in has an account, and
/// goes to the start page instead.
#[handler]
pub async fn deleted(page: PageContext) -> Result<Response, AppError> {
    if page.account.is_some() {
        return Ok(page.see_other(&page.site.link("/")));
    }
    Ok(page
        .render("account_deleted.html", context! {})?
        .into_response())
}
