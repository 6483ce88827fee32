//! The admin API's gate: every call shows an API key before anything else, and every call that
//! ends before its operation ran (no key, a body the framework refuses, a method the path does
//! not take) or fails inside it is still put in the audit trail.

use crate::auth::client_of;
use crate::state::Console;
use parkportal_domain::api_keys::AuthenticatedKey;
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_web::allow::AllowedMethods;
use parkportal_web::{ApiFailure, AppError, ErrorCode, Page};
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, PathPattern, Request, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by an operation when it runs: from then on it writes its own audit entries.
#[derive(Clone, Default)]
pub(crate) struct Reached(Arc<AtomicBool>);

impl Reached {
    /// The operation ran.
    pub(crate) fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The API's path below its root: `/v1/products`, whether or not the nest kept its prefix.
fn api_path(req: &Request) -> String {
    let path = req.uri().path();
    path.strip_prefix("/api/admin").unwrap_or(path).to_owned()
}

/// The audit action of a call, from its method and path.
pub(crate) fn action_of(method: &Method, path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::POST, ["v1", "products"]) => "product.issue",
        (&Method::GET, ["v1", "products", _]) => "product.read",
        (&Method::GET, ["v1", "products", _, "letter.pdf"]) => "letter.read",
        (&Method::POST, ["v1", "batches"]) => "batch.upload",
        (&Method::GET, ["v1", "batches", _]) => "batch.read",
        (&Method::GET, ["v1", "batches", _, "report.csv"]) => "batch.report",
        (&Method::GET, ["v1", "batches", _, "letters.pdf"]) => "batch.letters",
        (&Method::POST, ["v1", "rules", "dry-run"]) => "rules.dry_run",
        (&Method::GET, ["v1", "bundle"]) => "bundle.read",
        (&Method::PUT, ["v1", "bundle"]) => "bundle.put",
        (&Method::GET, ["v1", "applications"]) => "application.list",
        (&Method::POST, ["v1", "applications", _, "approve"]) => "application.approve",
        (&Method::POST, ["v1", "applications", _, "reject"]) => "application.reject",
        (&Method::POST, ["v1", "applications", _, "ask"]) => "application.ask",
        _ => "api.call",
    }
}

/// The key presented as `Authorization: Bearer KEY`, if any.
fn presented(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim().to_owned())
}

/// The JSON refusal `code` with the message at `key`, in the caller's language.
pub(crate) fn refusal(req: &Request, status: StatusCode, code: ErrorCode, key: &str) -> Response {
    let (message, request_id) = match Page::of(req) {
        Ok(page) => (page.t(key), page.request_id.clone()),
        Err(_) => (String::new(), String::new()),
    };
    poem::web::Json(ApiFailure::new(status, code, message).body(&request_id))
        .with_status(status)
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

/// The middleware: a key first, and the trail of calls their operation never saw.
pub struct Gate {
    console: Console,
}

impl Gate {
    /// The gate of `console`'s API keys and audit trail.
    pub fn new(console: Console) -> Self {
        Self { console }
    }
}

impl<E: Endpoint> Middleware<E> for Gate {
    type Output = GateEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        GateEndpoint {
            inner,
            console: self.console.clone(),
        }
    }
}

/// [`Gate`] around an endpoint.
pub struct GateEndpoint<E> {
    inner: E,
    console: Console,
}

impl<E> GateEndpoint<E> {
    /// Records a call refused before its operation ran.
    async fn record(
        &self,
        req_origin: &str,
        action: &'static str,
        actor: Actor,
        key: Option<&AuthenticatedKey>,
        reason: &str,
    ) -> poem::Result<()> {
        let now = self.console.web().clock().now();
        let entry = AuditEntry::new(actor, action, req_origin, now)
            .within(key.map(|k| k.tenant), None)
            .refused(reason);
        self.console.record(&entry).await?;
        Ok(())
    }
}

impl<E: Endpoint> Endpoint for GateEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let action = action_of(req.method(), &api_path(&req));
        let origin = client_of(&req);
        let now = self.console.web().clock().now();
        let presented = presented(&req);
        let keys = self.console.api_keys();
        let key = match &presented {
            Some(k) => keys.authenticate(k, now).await.map_err(AppError::from)?,
            None => None,
        };
        let Some(key) = key else {
            // A revoked or expired key of a gemeente may have leaked: its use is recorded in
            // that gemeente, under its name.
            let spent = match &presented {
                Some(k) => keys.spent(k, now).await.map_err(AppError::from)?,
                None => None,
            };
            let entry = match spent {
                Some((record, status)) => AuditEntry::new(record.actor(), action, &origin, now)
                    .within(Some(record.tenant), None)
                    .refused(&format!("api_key_{}", status.as_str())),
                None => AuditEntry::new(Actor::Unknown(String::new()), action, &origin, now)
                    .refused("unauthorized"),
            };
            self.console.record(&entry).await?;
            let mut resp = refusal(
                &req,
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "api.admin_unauthorized",
            );
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Ok(resp);
        };
        let reached = Reached::default();
        req.set_data(key.clone());
        req.set_data(reached.clone());
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        let status = match &result {
            Ok(resp) => resp.status(),
            Err(e) => e.status(),
        };
        // Before the operation ran, the framework refused (a body, a method); after, only a
        // failure inside is left unrecorded by the operation (its transaction rolled back).
        let unrecorded = if reached.get() {
            status.is_server_error()
        } else {
            status.is_client_error() || status.is_server_error()
        };
        if unrecorded {
            let reason = status.canonical_reason().unwrap_or("refused");
            let reason = reason.to_ascii_lowercase().replace(' ', "_");
            self.record(&origin, action, key.actor(), Some(&key), &reason)
                .await?;
        }
        result
    }
}

/// Around the operations: a 405 gets its JSON error body and the `Allow` header of the
/// document.
pub(crate) async fn allow_methods<E: Endpoint + 'static>(
    allowed: Arc<AllowedMethods>,
    next: Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    let path = api_path(&req);
    // Made before the call, which takes the request: the body is small and the language and
    // request id are the request's.
    let mut resp = refusal(
        &req,
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        ErrorCode::MethodNotAllowed.message_key(),
    );
    let err = match next.call(req).await {
        Ok(resp) => return Ok(resp.into_response()),
        Err(err) if err.status() == StatusCode::METHOD_NOT_ALLOWED => err,
        Err(err) => return Err(err),
    };
    let Some(methods) = allowed.of(&path) else {
        return Err(err);
    };
    if let Ok(value) = HeaderValue::from_str(methods) {
        resp.headers_mut().insert(header::ALLOW, value);
    }
    if let Some(pattern) = err.data::<PathPattern>() {
        resp.set_data(pattern.clone());
    }
    Ok(resp)
}
