//! "Instellingen" in the JSON API: `GET|PUT /v1/me/settings`.

use super::BearerToken;
use super::refusals::{Failure, declare};
use super::{Caller, failure};
use parkportal_domain::settings::{AccountSettings, Contrast, SettingsChange, SettingsError};
use parkportal_domain::{Language, ProductId};
use parkportal_web::ErrorCode;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};

/// The settings endpoints.
pub struct SettingsApi;

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum LanguageCode {
    /// Nederlands.
    Nl,
    /// English.
    En,
}

/// A contrast scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ContrastScheme {
    /// The gemeente's colours.
    Theme,
    /// Dark text on light.
    Light,
    /// Light text on dark.
    Dark,
}

/// The resident's settings.
#[derive(Debug, Object)]
pub struct SettingsBody {
    /// The language (null: the browser's or the gemeente's).
    #[oai(nullable)]
    pub language: Option<LanguageCode>,
    /// The product that opens after login (null: the product used last).
    #[oai(nullable)]
    pub start_product: Option<i64>,
    /// The contrast scheme (null: the gemeente's colours).
    #[oai(nullable)]
    pub contrast: Option<ContrastScheme>,
}

/// A change of settings: any subset; `"start_product": null` returns to "the product used last".
#[derive(Debug, Object)]
pub struct SettingsPatch {
    /// A new language (null or left out: unchanged).
    #[oai(nullable)]
    pub language: Option<LanguageCode>,
    /// A new start product (one of the resident's own), or null.
    #[oai(nullable)]
    pub start_product: MaybeUndefined<i64>,
    /// A new contrast scheme (null or left out: unchanged).
    #[oai(nullable)]
    pub contrast: Option<ContrastScheme>,
}

fn body(s: &AccountSettings) -> SettingsBody {
    SettingsBody {
        language: s.language.map(|l| match l {
            Language::Nl => LanguageCode::Nl,
            Language::En => LanguageCode::En,
        }),
        start_product: s.start_product.map(|p| p.0),
        contrast: s.contrast.map(|c| match c {
            Contrast::Theme => ContrastScheme::Theme,
            Contrast::Light => ContrastScheme::Light,
            Contrast::Dark => ContrastScheme::Dark,
        }),
    }
}

declare!(GetRefusals [bearer] {});
declare!(PutRefusals [bearer, body] { 422 => [StartProductInvalid] });

#[OpenApi]
impl SettingsApi {
    /// The resident's settings: language, start product and contrast.
    #[oai(path = "/v1/me/settings", method = "get")]
    async fn get(
        &self,
        req: &Request,
        _auth: BearerToken,
    ) -> Result<Json<SettingsBody>, Failure<GetRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let saved = caller
            .state
            .account_settings()
            .of(&account)
            .await
            .map_err(failure::internal)?;
        Ok(Json(body(&saved)))
    }

    /// Changes the settings sent and keeps the others. A start product that is not one of the
    /// resident's own products is refused (422 `start_product_invalid`).
    #[oai(path = "/v1/me/settings", method = "put")]
    async fn put(
        &self,
        req: &Request,
        _auth: BearerToken,
        patch: Json<SettingsPatch>,
    ) -> Result<Json<SettingsBody>, Failure<PutRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let change = SettingsChange {
            language: patch.language.map(|l| match l {
                LanguageCode::Nl => Language::Nl,
                LanguageCode::En => Language::En,
            }),
            start_product: match patch.start_product {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(ProductId(id))),
            },
            contrast: patch.contrast.map(|c| match c {
                ContrastScheme::Theme => Contrast::Theme,
                ContrastScheme::Light => Contrast::Light,
                ContrastScheme::Dark => Contrast::Dark,
            }),
        };
        match caller
            .state
            .account_settings()
            .change(&account, change)
            .await
        {
            Ok(saved) => Ok(Json(body(&saved))),
            Err(SettingsError::NotYourProduct) => Err(caller
                .fail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::StartProductInvalid,
                )
                .into()),
            Err(SettingsError::Store(e)) => Err(failure::internal(e).into()),
        }
    }
}
