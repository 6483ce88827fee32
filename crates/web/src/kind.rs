//! What a route serves, decided where it is mounted: a page, a redirect, a file, a download or
//! JSON. The kind decides how its errors are answered (a themed page or a JSON error body), and a
//! front end's mount decides from it whether CSRF tokens are issued and checked and how a login
//! is resolved. Nothing tests a path to find out.

use crate::error::{ApiFailure, AppError, chain, code_of};
use crate::page::Page;
use minijinja::context;
use poem::error::NotFoundError;
use poem::http::StatusCode;
use poem::web::Json;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::sync::Arc;

/// What a route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// An HTML page.
    Page,
    /// A link or form that sets something and redirects.
    Redirect,
    /// A stylesheet, image or other public file.
    Asset,
    /// A file made for the logged-in visitor (their own data): a login like a page's.
    Download,
    /// JSON for programs.
    Api,
}

impl RouteKind {
    /// Whether browsers send forms here: such routes carry a CSRF token and check it on every
    /// unsafe method.
    pub fn takes_forms(self) -> bool {
        matches!(self, Self::Page | Self::Redirect | Self::Download)
    }

    /// Whether errors are answered as JSON error bodies instead of pages.
    pub fn answers_json(self) -> bool {
        self == Self::Api
    }
}

/// A failure met before the request reached its route (the gemeente could not be looked up, the
/// login could not be read, an unknown gemeente): the route answers it in its own kind. The
/// first one recorded counts.
#[derive(Debug, Clone)]
pub struct Deferred {
    status: StatusCode,
    cause: Option<Arc<AppError>>,
}

impl Deferred {
    /// Records on `req` that it is to be answered with `status` (a 4xx) by its route.
    pub fn status(req: &mut Request, status: StatusCode) {
        Self::record(
            req,
            Self {
                status,
                cause: None,
            },
        );
    }

    /// Records on `req` that something failed inside: its route answers 500 and logs `cause`.
    pub fn internal(req: &mut Request, cause: AppError) {
        Self::record(
            req,
            Self {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                cause: Some(Arc::new(cause)),
            },
        );
    }

    fn record(req: &mut Request, deferred: Self) {
        if req.data::<Self>().is_none() {
            req.set_data(deferred);
        }
    }
}

/// The middleware a front end puts around each route it mounts: it answers the route's errors
/// (and any [`Deferred`] failure) in the route's kind.
pub struct Serve(pub RouteKind);

impl<E: Endpoint> Middleware<E> for Serve {
    type Output = ServeEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ServeEndpoint { ep, kind: self.0 }
    }
}

/// The endpoint [`Serve`] wraps around a route.
pub struct ServeEndpoint<E> {
    ep: E,
    kind: RouteKind,
}

impl<E: Endpoint> Endpoint for ServeEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        req.set_data(self.kind);
        let mut page = Page::of(&req)?;
        if self.kind == RouteKind::Asset {
            // The error page of a file leads home, not back to the file asked for.
            page.path = page.site.link("/");
        }
        if let Some(deferred) = req.data::<Deferred>().cloned() {
            return Ok(error_response(
                &page,
                self.kind,
                deferred.status,
                deferred.cause.as_deref(),
            ));
        }
        match self.ep.call(req).await {
            Ok(resp) => Ok(resp.into_response()),
            Err(err) => Ok(answer(&page, self.kind, err)),
        }
    }
}

/// The answer to `err` on `page` in `kind`: an API refusal as it is, an error made of a response
/// that response, anything else by its status
/// (a server failure logged with its cause chain).
pub fn answer(page: &Page, kind: RouteKind, err: poem::Error) -> Response {
    // An error that carries its own answer (a page's way to the login) is that answer.
    if err.is_from_response() {
        return err.into_response();
    }
    if let Some(failure) = err.downcast_ref::<ApiFailure>() {
        return Json(failure.body(&page.request_id))
            .with_status(failure.status)
            .into_response();
    }
    let status = err.status();
    if status.is_server_error() {
        let cause = err
            .downcast_ref::<AppError>()
            .map_or_else(|| err.to_string(), |e| chain(e));
        tracing::error!(error = %cause, "request failed");
    }
    error_response(page, kind, status, None)
}

/// An error as a page in the site's theme, or as JSON `{"error": {code, message, request_id}}`.
fn error_response(
    page: &Page,
    kind: RouteKind,
    status: StatusCode,
    cause: Option<&AppError>,
) -> Response {
    if let Some(cause) = cause {
        tracing::error!(error = %chain(cause), "request failed");
    }
    let code = code_of(status);
    let title = page.t(&format!("error.{code}.title"));
    let text = page.t(&format!("error.{code}.text"));
    if kind.answers_json() {
        return Json(serde_json::json!({
            "error": { "code": code, "message": text, "request_id": page.request_id }
        }))
        .with_status(status)
        .into_response();
    }
    let ctx = context! { status => status.as_u16(), code => code, title => title.clone(), text => text.clone(), show_request_id => status.is_server_error() };
    match page.render("error.html", ctx) {
        Ok(html) => html.with_status(status).into_response(),
        Err(e) => {
            tracing::error!(error = %chain(&e), "the error page failed to render");
            format!("{title}\n{text}\n{}", page.request_id)
                .with_status(status)
                .into_response()
        }
    }
}

/// The paths of the route that answers every path no other route of a tree matches: a front end
/// mounts [`not_found`] on both in the kind of its pages. Metrics label them `unmatched`. (A
/// catch-all right after `/` would also take `/` itself, so the first segment is a parameter.)
pub const UNMATCHED: [&str; 2] = ["/:unmatched", "/:unmatched/*rest"];

/// The endpoint of [`UNMATCHED`]: 404.
pub fn not_found() -> impl Endpoint<Output = Response> {
    poem::endpoint::make(|_: Request| async { Err::<Response, _>(NotFoundError) })
}
