//! The resident JSON API under `/api/v1`, described by `/api/openapi.json`. Errors answer
//! `{"error": {"code", "message"}}` with a stable code and a message in the caller's language.

mod allow;
mod applications;
mod auth;
mod favorites;
mod history;
mod mandates;
pub(crate) mod own_data;
mod parking;
mod plate_switch;
mod refusals;
mod settings;
mod top_ups;
mod values;

use crate::page::PageContext;
use crate::state::Portal;
pub(crate) use allow::{AllowedMethods, answer as allow_methods};
use parkportal_domain::{Account, Token};
use parkportal_web::{ApiFailure, ErrorCode};
use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService, SecurityScheme};
use refusals::{Failure, declare};

/// Who calls, with the request's language, client address and session.
pub(crate) struct Caller {
    state: Portal,
    page: PageContext,
}

impl Caller {
    /// The caller of `req`.
    fn of(req: &Request) -> poem::Result<Self> {
        let page = PageContext::of(req)?;
        Ok(Self {
            state: page.state.clone(),
            page,
        })
    }

    /// A refusal with `code` and its message.
    fn fail(&self, status: StatusCode, code: ErrorCode) -> poem::Error {
        self.fail_with(status, code, code.message_key())
    }

    /// A refusal with `code` and the message of the context, at catalogue key `key`.
    fn fail_with(&self, status: StatusCode, code: ErrorCode, key: &str) -> poem::Error {
        ApiFailure::new(status, code, self.page.t(key)).into()
    }

    /// Too many attempts: 429 with the local time to come back.
    fn blocked(&self, until: chrono::DateTime<chrono::Utc>, key: &str) -> poem::Error {
        let tz = self
            .page
            .site
            .tenant
            .as_ref()
            .map_or(chrono_tz::Europe::Amsterdam, |t| t.time_zone);
        let time = until.with_timezone(&tz).format("%H:%M:%S").to_string();
        let message =
            self.state
                .catalogues()
                .text(self.page.prefs.language, key, &[("time", time)]);
        ApiFailure::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyAttempts,
            message,
        )
        .into()
    }

    /// The account of the bearer token, or 401.
    fn bearer(&self) -> poem::Result<(Account, Token)> {
        match (&self.page.account, &self.page.session, self.page.bearer) {
            (Some(account), Some(token), true) => Ok((account.clone(), token.clone())),
            _ => Err(self.fail(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized)),
        }
    }
}

/// Failures without a code of their own.
pub(crate) mod failure {
    use parkportal_web::AppError;

    /// An internal failure: the site layer logs the cause and answers 500 without detail.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> poem::Error {
        AppError::internal(e).into()
    }
}

/// The bearer token of `POST /v1/auth/login` (or of a coupling that created the account), sent
/// as `Authorization: Bearer`. Operations that need it say so; without it they answer 401.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub(crate) struct BearerToken(
    #[expect(
        dead_code,
        reason = "the Authenticate middleware resolved the token already"
    )]
    poem_openapi::auth::Bearer,
);

/// The API.
pub struct Api;

/// A gemeente on the platform.
#[derive(Debug, Object)]
pub struct TenantItem {
    /// The gemeente's path name: its pages live under `/g/{slug}/`.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Its public address.
    pub url: String,
    /// Where its logo is served.
    pub logo_url: String,
    /// The IANA time zone its calendar follows.
    pub time_zone: String,
    /// Its product types in use, in display order.
    pub product_types: Vec<ProductTypeItem>,
}

/// A product type a gemeente offers.
#[derive(Debug, Object)]
pub struct ProductTypeItem {
    /// Its stable code within the gemeente.
    pub code: String,
    /// The name residents see.
    pub name: String,
    /// `visitor_scheme` or `permit`.
    pub kind: String,
    /// Whether residents apply for it in the digitaal loket.
    pub open_for_application: bool,
}

/// A list of gemeenten.
#[derive(Debug, Object)]
pub struct TenantList {
    /// The gemeenten, by name.
    pub items: Vec<TenantItem>,
}

declare!(TenantsRefusals [] {});

#[OpenApi]
impl Api {
    /// The gemeenten of this platform.
    #[oai(path = "/v1/tenants", method = "get")]
    async fn tenants(
        &self,
        state: Data<&Portal>,
    ) -> Result<Json<TenantList>, Failure<TenantsRefusals>> {
        let platform = &state.settings().public_url;
        // A failure becomes AppError, which the site layer answers with a translated JSON body
        // `{code, message, request_id}` and logs with its cause.
        let tenants = state.tenants().list().await.map_err(failure::internal)?;
        let mut items = Vec::with_capacity(tenants.len());
        for t in &tenants {
            // Retired types issue nothing new: they are not offered.
            let product_types = state
                .tenants()
                .overview(t.id)
                .await
                .map_err(failure::internal)?
                .map(|o| o.product_types)
                .unwrap_or_default()
                .into_iter()
                .filter(|p| !p.retired)
                .map(|p| ProductTypeItem {
                    code: p.code.to_string(),
                    name: p.name,
                    kind: p.kind.as_str().to_owned(),
                    open_for_application: p.open_for_application,
                })
                .collect();
            items.push(TenantItem {
                slug: t.slug.to_string(),
                name: t.name.clone(),
                url: t.public_url(platform),
                logo_url: platform.join(&format!("/g/{}/logo?v={}", t.slug, t.version)),
                time_zone: t.time_zone.name().to_owned(),
                product_types,
            });
        }
        Ok(Json(TenantList { items }))
    }
}

/// The endpoint groups, one per feature.
type Apis = (
    Api,
    auth::AuthApi,
    parking::ParkingApi,
    history::HistoryApi,
    settings::SettingsApi,
    plate_switch::PlateSwitchApi,
    favorites::FavoritesApi,
    top_ups::TopUpsApi,
    mandates::MandatesApi,
    own_data::OwnDataApi,
    applications::ApplicationsApi,
);

/// The OpenAPI service, to be nested at `/api`.
pub fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            Api,
            auth::AuthApi,
            parking::ParkingApi,
            history::HistoryApi,
            settings::SettingsApi,
            plate_switch::PlateSwitchApi,
            favorites::FavoritesApi,
            top_ups::TopUpsApi,
            mandates::MandatesApi,
            own_data::OwnDataApi,
            applications::ApplicationsApi,
        ),
        "Parkportal",
        env!("CARGO_PKG_VERSION"),
    )
    .server("/api")
}
