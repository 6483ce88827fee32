//! Operational endpoints: `/healthz` (the process is up), `/readyz` (the database answers) and
//! `/metrics` (Prometheus).

use crate::state::WebState;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, Route, get, handler};

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(Data(state): Data<&WebState>) -> Response {
    match state.readiness().ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %crate::error::chain(&e), "not ready");
            "database unreachable"
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}

#[handler]
fn metrics(Data(state): Data<&WebState>) -> Response {
    state
        .metrics()
        .render()
        .with_content_type("text/plain; version=0.0.4; charset=utf-8")
        .into_response()
}

/// Adds the operational routes to `route`.
pub fn attach(route: Route) -> Route {
    route
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics))
}
