//! "Instellingen": the address the resident is logged in with, the language, "Start met
//! product" and the contrast scheme, kept with the account and applied on this device at once
//! (and on every device after its next login). Below the form, "Uw gegevens" leads to the
//! download of the resident's data and to deleting the account (`own_data.rs`).

use crate::auth;
use crate::page::PageContext;
use minijinja::{Value, context};
use parkportal_domain::settings::{Contrast, SettingsChange, SettingsError};
use parkportal_domain::{Account, Language, ProductId};
use parkportal_web::AppError;
use parkportal_web::prefs::saved_cookies;
use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The query of the settings page.
#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    /// `1` after [Bewaar].
    bewaard: Option<u8>,
}

/// The settings form.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    taal: String,
    /// A product id, or empty for "the product last used".
    #[serde(default)]
    startproduct: String,
    #[serde(default)]
    contrast: String,
}

/// The values of the form: what is saved, or what was sent.
async fn form_values(
    page: &PageContext,
    account: &Account,
    language: &str,
    start_product: &str,
    contrast: &str,
) -> Result<Value, AppError> {
    let products: Vec<Value> = page
        .state
        .parking()
        .products(account)
        .await
        .map_err(AppError::internal)?
        .iter()
        .map(|c| {
            let p = &c.product;
            context! {
                id => p.id.0.to_string(),
                label => format!("{}, {} ({})", p.type_name, p.zone_name, p.tenant_name),
            }
        })
        .collect();
    Ok(context! {
        email => account.email.as_str(),
        languages => Language::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
        schemes => Contrast::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        products => products,
        taal => language,
        startproduct => start_product,
        contrast_choice => contrast,
        action => page.site.link("/instellingen"),
        download_href => page.site.link("/instellingen/mijn-gegevens"),
        delete_href => page.site.link("/instellingen/account-verwijderen"),
    })
}

/// `GET /instellingen`.
#[handler]
pub async fn form(page: PageContext, Query(q): Query<SettingsQuery>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let saved = page
        .state
        .account_settings()
        .of(&account)
        .await
        .map_err(AppError::internal)?;
    // What this page shows now, where nothing is saved yet.
    let language = saved.language.unwrap_or(page.prefs.language).code();
    let contrast = saved.contrast.unwrap_or(page.prefs.contrast).as_str();
    let start = saved
        .start_product
        .map(|p| p.0.to_string())
        .unwrap_or_default();
    let values = form_values(&page, &account, language, &start, contrast).await?;
    Ok(page
        .render(
            "settings.html",
            context! { ..values, ..context! { saved => q.bewaard == Some(1) } },
        )?
        .into_response())
}

/// `POST /instellingen`: [Bewaar].
#[handler]
pub async fn save(page: PageContext, Form(f): Form<SettingsForm>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let language = Language::parse(&f.taal).ok();
    let contrast = Contrast::parse(&f.contrast);
    let start_product = match f.startproduct.trim() {
        "" => Some(None),
        id => id.parse::<i64>().ok().map(|id| Some(ProductId(id))),
    };
    let mut product_error = true;
    let error = match (language, contrast, start_product) {
        (Some(language), Some(contrast), Some(start_product)) => {
            let change = SettingsChange {
                language: Some(language),
                start_product: Some(start_product),
                contrast: Some(contrast),
            };
            match page.state.account_settings().change(&account, change).await {
                Ok(saved) => {
                    let secure = page.state.settings().secure_cookies();
                    let mut resp =
                        page.see_other(&format!("{}?bewaard=1", page.site.link("/instellingen")));
                    for cookie in saved_cookies(&saved, secure) {
                        auth::append_cookie(&mut resp, &cookie);
                    }
                    return Ok(resp);
                }
                Err(SettingsError::NotYourProduct) => page.t("settings.not_your_product"),
                Err(SettingsError::Store(e)) => return Err(AppError::internal(e)),
            }
        }
        (_, _, None) => page.t("settings.not_your_product"),
        _ => {
            product_error = false;
            page.t("settings.invalid_choice")
        }
    };
    let values = form_values(&page, &account, &f.taal, &f.startproduct, &f.contrast).await?;
    Ok(page
        .render(
            "settings.html",
            context! { ..values, ..context! { error => error, product_error => product_error } },
        )?
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response())
}
