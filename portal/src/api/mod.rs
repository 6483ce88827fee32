//! The resident JSON API under `/api/v1`, described by `/api/openapi.json`. Errors answer
//! `{"error": {"code", "message"}}` with a stable code and a message in the caller's language.

mod auth;
mod favorites;
mod history;
mod mandates;
mod parking;
mod plate_switch;
mod settings;
mod top_ups;
mod values;

use parkportal_domain::{Account, Token};
use parkportal_web::{ApiFailure, AppError, AppState, PageContext, Site};
use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService};

/// Who calls, with the request's language, client address and session.
pub(crate) struct Caller {
    state: AppState,
    page: PageContext,
}

impl Caller {
    /// The caller of `req`.
    fn of(req: &Request) -> poem::Result<Self> {
        let state = req
            .data::<AppState>()
            .cloned()
            .ok_or_else(|| AppError::internal("no application state"))?;
        let site = req.data::<Site>().cloned().unwrap_or_else(Site::platform);
        let page = PageContext::from_parts(state.clone(), site, req);
        Ok(Self { state, page })
    }

    /// A refusal with `code`, its message taken from catalogue key `key`.
    fn fail(&self, status: StatusCode, code: &'static str, key: &str) -> poem::Error {
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
        ApiFailure::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message).into()
    }

    /// The account of the bearer token, or 401.
    fn bearer(&self) -> poem::Result<(Account, Token)> {
        match (&self.page.account, &self.page.session, self.page.bearer) {
            (Some(account), Some(token), true) => Ok((account.clone(), token.clone())),
            _ => Err(self.fail(StatusCode::UNAUTHORIZED, "unauthorized", "api.unauthorized")),
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
}

/// A list of gemeenten.
#[derive(Debug, Object)]
pub struct TenantList {
    /// The gemeenten, by name.
    pub items: Vec<TenantItem>,
}

#[OpenApi]
impl Api {
    /// The gemeenten of this platform.
    #[oai(path = "/v1/tenants", method = "get")]
    async fn tenants(&self, state: Data<&AppState>) -> poem::Result<Json<TenantList>> {
        let platform = &state.settings().public_url;
        // A failure becomes AppError, which the site layer answers with a translated JSON body
        // `{code, message, request_id}` and logs with its cause.
        let tenants = state.tenants().list().await.map_err(AppError::from)?;
        let items = tenants
            .iter()
            .map(|t| TenantItem {
                slug: t.slug.to_string(),
                name: t.name.clone(),
                url: t.public_url(platform),
                logo_url: platform.join(&format!("/g/{}/logo?v={}", t.slug, t.version)),
                time_zone: t.time_zone.name().to_owned(),
            })
            .collect();
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
        ),
        "Parkportal",
        env!("CARGO_PKG_VERSION"),
    )
    .server("/api")
}
