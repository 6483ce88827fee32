//! Every POST of the console leaves exactly one entry in the audit trail: the use case writes
//! it when the request reaches one; these record the refusals that never do (no login waiting
//! for a code, a link that does not work, a form refused before its route: a missing CSRF
//! token, a body too large).

use crate::auth::{StaffVisitor, client_of};
use crate::state::Console;
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_web::AppError;
use poem::http::Method;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Who a refused request came from: the staff member logged in or half-way, else nobody known.
fn actor(visitor: Option<&StaffVisitor>) -> Actor {
    visitor
        .and_then(|v| v.member.as_ref().or(v.pending.as_ref().map(|s| &s.member)))
        .map_or_else(|| Actor::Unknown(String::new()), Actor::of)
}

/// Records that `req` was refused for `reason` before anything changed, as `action`.
pub async fn record(
    console: &Console,
    req: &Request,
    action: &'static str,
    reason: &str,
) -> Result<(), AppError> {
    let entry = AuditEntry::new(
        actor(req.data::<StaffVisitor>()),
        action,
        &client_of(req),
        console.web().clock().now(),
    )
    .about("path", req.original_uri().path())
    .refused(reason);
    console.auth().audit().record(&entry).await?;
    Ok(())
}

fn changes(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether a request got as far as its route's check of who may do it.
#[derive(Clone)]
pub struct Reached(Arc<AtomicBool>);

/// The middleware just outside a route's [`crate::access::Require`]: marks the request as
/// having reached it.
pub struct MarkReached;

impl<E: Endpoint> Middleware<E> for MarkReached {
    type Output = MarkReachedEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        MarkReachedEndpoint { ep }
    }
}

/// The endpoint [`MarkReached`] wraps around a route.
pub struct MarkReachedEndpoint<E> {
    ep: E,
}

impl<E: Endpoint> Endpoint for MarkReachedEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if let Some(reached) = req.data::<Reached>() {
            reached.0.store(true, Ordering::SeqCst);
        }
        self.ep.call(req).await
    }
}

/// The middleware outside a form-taking route's input limit and CSRF check: a POST they
/// refused, which never reached the route, is recorded here.
pub struct AuditUnreached {
    console: Console,
}

impl AuditUnreached {
    /// Recording in `console`'s audit trail.
    pub fn new(console: Console) -> Self {
        Self { console }
    }
}

impl<E: Endpoint> Middleware<E> for AuditUnreached {
    type Output = AuditUnreachedEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        AuditUnreachedEndpoint {
            ep,
            console: self.console.clone(),
        }
    }
}

/// The endpoint [`AuditUnreached`] wraps around a route.
pub struct AuditUnreachedEndpoint<E> {
    ep: E,
    console: Console,
}

impl<E: Endpoint> Endpoint for AuditUnreachedEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if !changes(req.method()) {
            return Ok(self.ep.call(req).await?.into_response());
        }
        let reached = Reached(Arc::new(AtomicBool::new(false)));
        req.set_data(reached.clone());
        // What the entry needs, kept before the request goes in.
        let mut probe = Request::builder()
            .method(req.method().clone())
            .uri(req.uri().clone())
            .finish();
        if let Some(visitor) = req.data::<StaffVisitor>() {
            probe.set_data(visitor.clone());
        }
        if let Some(client) = req.data::<parkportal_web::client::ClientAddress>() {
            probe.set_data(client.clone());
        }
        let result = self.ep.call(req).await;
        if !reached.0.load(Ordering::SeqCst) {
            let reason = match &result {
                Err(e) => parkportal_web::error::code_of(e.status()),
                Ok(_) => "refused",
            };
            record(&self.console, &probe, "console.request", reason).await?;
        }
        Ok(result?.into_response())
    }
}
