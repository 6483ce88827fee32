//! The outermost layer of every request: a request id, the client's address, the shared state, a
//! tracing span, the access log line, metrics and the security headers.

use crate::client::ClientAddress;
use crate::state::WebState;
use poem::http::{HeaderValue, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::time::Instant;
use tracing::Instrument;

/// The id of one request: in every log line of the request, in the `X-Request-Id` response header
/// and on 5xx pages, so that a helpdesk can find the log of what a resident saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// A new random id of 16 hexadecimal characters.
    pub fn generate() -> Self {
        let mut id = uuid::Uuid::new_v4().simple().to_string();
        id.truncate(16);
        Self(id)
    }
}

/// The label of the route that answered, as metrics and logs show it (a pattern, never a raw path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteLabel(pub String);

/// The observation middleware.
pub struct Observe {
    state: WebState,
}

impl Observe {
    /// Observes requests into the metrics of `state`.
    pub fn new(state: WebState) -> Self {
        Self { state }
    }
}

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ObserveEndpoint {
            ep,
            state: self.state.clone(),
        }
    }
}

/// The endpoint [`Observe`] wraps around the application.
pub struct ObserveEndpoint<E> {
    ep: E,
    state: WebState,
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The site's content security policy with forms also allowed to lead to `targets` (a page whose
/// form continues at a payment provider: browsers check every redirect after the submit).
pub fn policy_with_form_targets(targets: &str) -> String {
    CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {targets}"),
    )
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let id = RequestId::generate();
        req.set_data(id.clone());
        let proxy = self.state.settings().client_ip_header.as_deref();
        req.set_data(ClientAddress::of(&req, proxy));
        req.set_data(self.state.clone());
        // Only the standard methods become labels: a made-up method must not grow the metrics.
        let method = match req.method().as_str() {
            m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
            _ => "OTHER".to_owned(),
        };
        let started = Instant::now();
        let span = tracing::info_span!("request", request_id = %id.0, method = %method);
        let result = self.ep.call(req).instrument(span.clone()).await;
        let mut resp = match result {
            Ok(resp) => resp.into_response(),
            Err(err) => err.into_response(),
        };
        // A front end labels its own routes; the routes beside them (files, health) go by
        // the pattern that matched them.
        let route = match (resp.data::<RouteLabel>(), resp.data::<poem::PathPattern>()) {
            (Some(label), _) => label.0.clone(),
            (None, Some(pattern)) => pattern.0.to_string(),
            (None, None) => "unmatched".to_owned(),
        };
        let status = resp.status().as_u16();
        let elapsed = started.elapsed();
        self.state
            .metrics()
            .record(&route, &method, status, elapsed);
        span.in_scope(|| {
            tracing::info!(route = %route, status, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "request finished");
        });
        let headers = resp.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&id.0) {
            headers.insert("x-request-id", value);
        }
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(CSP));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        Ok(resp)
    }
}
