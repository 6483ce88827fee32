//! The resident JSON API under `/api/v1`, described by `/api/openapi.json`.

use parkportal_web::{AppError, AppState};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService};

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

/// The OpenAPI service, to be nested at `/api`.
pub fn service() -> OpenApiService<Api, ()> {
    OpenApiService::new(Api, "Parkportal", env!("CARGO_PKG_VERSION")).server("/api")
}
