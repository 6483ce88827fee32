//! The admin API under `/api/admin/v1`, described by its own OpenAPI document at
//! `/api/admin/openapi.json`: a gemeente's own systems issue products with their allocation
//! letters and read them back, with an API key of that gemeente (`Authorization: Bearer KEY`).
//!
//! Every call is checked in this order: a key (401 without a known, unrevoked, unexpired one),
//! the object in the key's gemeente (404 for another gemeente's code, before any scope is
//! looked at), the scope (403). Errors answer `{"error": {"code", "message", "request_id"}}` as
//! the resident API's do. Every call is in the audit trail with the key's name as its actor: the
//! use cases write their entries in their own transactions, and [`Gate`] records the calls
//! refused before an operation ran.

mod applications;
mod batches;
mod bundle;
mod caller;
mod dry_run;
mod gate;
mod products;

use crate::state::Console;
pub use gate::Gate;
use parkportal_web::inputs::InputGuard;
use parkportal_web::kind::{RouteKind, Serve};
use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::{OpenApiService, SecurityScheme};

/// A gemeente's API key, made by a beheerder in the console or with `parkportal api-keys
/// create`, sent as `Authorization: Bearer KEY`. Without a valid one every operation answers 401.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub(crate) struct ApiKey(
    #[expect(dead_code, reason = "the Gate middleware resolved the key already")]
    poem_openapi::auth::Bearer,
);

/// The admin API's operations.
type Operations = (
    products::ProductsApi,
    batches::BatchesApi,
    dry_run::DryRunApi,
    bundle::BundleApi,
    applications::ApplicationsApi,
);

/// The OpenAPI service of the admin API.
pub fn service() -> OpenApiService<Operations, ()> {
    OpenApiService::new(
        (
            products::ProductsApi,
            batches::BatchesApi,
            dry_run::DryRunApi,
            bundle::BundleApi,
            applications::ApplicationsApi,
        ),
        "Parkportal admin API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "A gemeente's own systems issue products with their allocation letters, one at a time \
         or a spreadsheet of thousands as a letter batch, and try sessions against their \
         rules as their own CI tests them, and keep their configuration as code (a bundle). \
         Each call \
         carries an API key of the gemeente (Authorization: Bearer KEY) with the scope its \
         operation names; a key reaches only its own gemeente's products.",
    )
    .server("/api/admin")
}

/// The admin API's routes on `console`, to be nested at `/api/admin` by the composition root:
/// its document (public) and its operations (behind the [`Gate`]), every error as JSON.
pub fn routes(console: Console) -> impl Endpoint<Output = Response> {
    let api = service();
    let spec = api.spec_endpoint();
    let allowed = std::sync::Arc::new(parkportal_web::allow::AllowedMethods::of_spec(&api.spec()));
    Route::new()
        .at(
            "/openapi.json",
            spec.with(InputGuard).with(Serve(RouteKind::Api)),
        )
        .nest(
            "/",
            api.around(move |next, req| gate::allow_methods(allowed.clone(), next, req))
                .with(Gate::new(console.clone()))
                .with(InputGuard)
                .around(upload_limit)
                .with(Serve(RouteKind::Api)),
        )
        .data(console)
        .map_to_response()
}

/// A letter batch's sheet may be larger than other bodies: the same limit as the console's
/// upload of a sheet.
async fn upload_limit<E: Endpoint>(
    next: std::sync::Arc<E>,
    mut req: poem::Request,
) -> poem::Result<Response> {
    let path = req.uri().path();
    let path = path.strip_prefix("/api/admin").unwrap_or(path);
    let path = path.trim_end_matches('/').to_owned();
    if req.method() == poem::http::Method::POST && path == "/v1/batches" {
        req.set_data(parkportal_web::inputs::BodyLimit(
            crate::batches::UPLOAD_LIMIT,
        ));
    }
    // A bundle may be as large as the console's upload of one.
    if req.method() == poem::http::Method::PUT && path == "/v1/bundle" {
        req.set_data(parkportal_web::inputs::BodyLimit(
            crate::gemeenten::UPLOAD_LIMIT,
        ));
    }
    Ok(poem::IntoResponse::into_response(next.call(req).await?))
}
