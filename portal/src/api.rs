//! The resident JSON API under `/api/v1`, described by `/api/openapi.json`.

use parkportal_web::{AppError, AppState};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService};

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

/// An error with a stable code.
#[derive(Debug, Object)]
pub struct ErrorBody {
    /// Stable, machine-readable code.
    pub code: String,
    /// Translated, human-readable message.
    pub message: String,
}

/// The answers of `GET /v1/tenants`.
#[derive(ApiResponse)]
pub enum TenantsResponse {
    /// The gemeenten.
    #[oai(status = 200)]
    Ok(Json<TenantList>),
    /// Something failed inside; the log has the cause.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

#[OpenApi]
impl Api {
    /// The gemeenten of this platform.
    #[oai(path = "/v1/tenants", method = "get")]
    async fn tenants(&self, state: Data<&AppState>) -> TenantsResponse {
        let platform = &state.settings().public_url;
        match state.tenants().list().await {
            Ok(tenants) => TenantsResponse::Ok(Json(TenantList {
                items: tenants
                    .iter()
                    .map(|t| {
                        let url = t.public_url(platform);
                        TenantItem {
                            slug: t.slug.to_string(),
                            name: t.name.clone(),
                            logo_url: platform.join(&format!("/g/{}/logo?v={}", t.slug, t.version)),
                            url,
                            time_zone: t.time_zone.name().to_owned(),
                        }
                    })
                    .collect(),
            })),
            Err(e) => {
                tracing::error!(error = %parkportal_web::error::chain(&AppError::from(e)), "listing gemeenten failed");
                TenantsResponse::Internal(Json(ErrorBody {
                    code: "internal_error".to_owned(),
                    message: "Internal error".to_owned(),
                }))
            }
        }
    }
}

/// The OpenAPI service, to be nested at `/api`.
pub fn service() -> OpenApiService<Api, ()> {
    OpenApiService::new(Api, "Parkportal", env!("CARGO_PKG_VERSION")).server("/api")
}
