//! Which gemeente a request is for, and the themed error pages.
//!
//! A gemeente is selected by a `/g/{slug}/` path prefix (which is stripped before routing, so every
//! page exists under both forms) or else by the request's Host. A host that matches none gets the
//! neutral platform pages. An unknown slug gets a 404 in the platform's theme.

use crate::error::{ApiFailure, AppError, chain, code_of};
use crate::observe::RouteLabel;
use crate::page::PageContext;
use crate::state::AppState;
use minijinja::context;
use parkportal_domain::{Language, Tenant, ThemeName};
use poem::PathPattern;
use poem::http::{StatusCode, Uri, header};
use poem::web::{Json, Redirect};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::sync::Arc;

/// The gemeente (or the neutral platform) a request is for.
#[derive(Debug, Clone)]
pub struct Site {
    /// The gemeente, or `None` on the platform pages.
    pub tenant: Option<Arc<Tenant>>,
    /// The path prefix links must carry: `/g/{slug}` when the gemeente was selected by path,
    /// else empty.
    pub base: String,
}

impl Site {
    /// The neutral platform.
    pub fn platform() -> Self {
        Self {
            tenant: None,
            base: String::new(),
        }
    }

    /// The theme to render with.
    pub fn theme(&self) -> ThemeName {
        self.tenant
            .as_ref()
            .map_or_else(ThemeName::default_theme, |t| t.theme.clone())
    }

    /// The language for visitors who have not chosen one.
    pub fn default_language(&self) -> Language {
        self.tenant
            .as_ref()
            .map_or_else(Language::default, |t| t.default_language)
    }

    /// `path` (starting with `/`) within this site.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// Paths that never depend on a gemeente and must work without the database.
fn is_site_independent(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/")
}

/// The middleware that resolves the [`Site`] and renders errors as pages (or JSON under `/api/`).
pub struct SiteResolver {
    state: AppState,
}

impl SiteResolver {
    /// Resolves sites through `state`'s tenant directory.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<E: Endpoint> Middleware<E> for SiteResolver {
    type Output = SiteEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        SiteEndpoint {
            ep,
            state: self.state.clone(),
        }
    }
}

/// The endpoint [`SiteResolver`] wraps around the routes.
pub struct SiteEndpoint<E> {
    ep: E,
    state: AppState,
}

enum Resolution {
    Found(Site, Option<Uri>),
    UnknownSlug,
    AddSlash(String),
}

impl<E: Endpoint> SiteEndpoint<E> {
    async fn resolve(&self, req: &Request) -> Result<Resolution, AppError> {
        let path = req.uri().path();
        if let Some(rest) = path.strip_prefix("/g/") {
            let (slug, tail) = rest
                .split_once('/')
                .map_or((rest, None), |(s, t)| (s, Some(t)));
            let Some(tenant) = self.state.tenants().by_slug(slug).await? else {
                return Ok(Resolution::UnknownSlug);
            };
            let Some(tail) = tail else {
                return Ok(Resolution::AddSlash(format!("/g/{slug}/")));
            };
            let query = req
                .uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let uri: Uri = format!("/{tail}{query}")
                .parse()
                .map_err(AppError::internal)?;
            let site = Site {
                tenant: Some(Arc::new(tenant)),
                base: format!("/g/{slug}"),
            };
            return Ok(Resolution::Found(site, Some(uri)));
        }
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().host().map(str::to_owned));
        let tenant = match host {
            Some(host) => self.state.tenants().by_host(&host).await?,
            None => None,
        };
        Ok(Resolution::Found(
            Site {
                tenant: tenant.map(Arc::new),
                base: String::new(),
            },
            None,
        ))
    }
}

impl<E: Endpoint> Endpoint for SiteEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        req.set_data(self.state.clone());
        if is_site_independent(req.uri().path()) {
            req.set_data(Site::platform());
            let files = req.uri().path().starts_with("/static/").then(|| {
                // The page's links lead home, not back to the file asked for.
                let mut page = PageContext::from_parts(self.state.clone(), Site::platform(), &req);
                page.path = "/".into();
                page
            });
            return Ok(match (self.ep.call(req).await, files) {
                (Ok(resp), _) => labelled(resp.into_response(), ""),
                // Every refusal of a file (missing, a folder, a path out of the folder, a
                // method) is the themed 404: it names no path and tells nothing of the disk.
                (Err(_), Some(page)) => {
                    error_response(&page, false, StatusCode::NOT_FOUND, None, "/static")
                }
                (Err(err), None) => {
                    let label = pattern_of_error(&err, "");
                    let mut resp = err.into_response();
                    resp.set_data(RouteLabel(label));
                    resp
                }
            });
        }
        let api = req.uri().path().starts_with("/api/") || req.uri().path().contains("/api/");
        let resolution = match self.resolve(&req).await {
            Ok(resolution) => resolution,
            Err(err) => {
                let page = PageContext::from_parts(self.state.clone(), Site::platform(), &req);
                return Ok(error_response(
                    &page,
                    api,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Some(&err),
                    "unresolved",
                ));
            }
        };
        let site = match resolution {
            Resolution::Found(site, uri) => {
                if let Some(uri) = uri {
                    *req.uri_mut() = uri;
                }
                site
            }
            Resolution::UnknownSlug => {
                let page = PageContext::from_parts(self.state.clone(), Site::platform(), &req);
                return Ok(error_response(
                    &page,
                    api,
                    StatusCode::NOT_FOUND,
                    None,
                    "/g/:slug",
                ));
            }
            Resolution::AddSlash(to) => {
                return Ok(labelled(
                    Redirect::permanent(to).into_response(),
                    "/g/:slug",
                ));
            }
        };
        let prefix = if site.base.is_empty() { "" } else { "/g/:slug" };
        let api = req.uri().path().starts_with("/api/");
        let page = PageContext::from_parts(self.state.clone(), site.clone(), &req);
        req.set_data(site);
        match self.ep.call(req).await {
            Ok(resp) => Ok(labelled(resp.into_response(), prefix)),
            Err(err) => {
                let label = pattern_of_error(&err, prefix);
                if let Some(failure) = err.downcast_ref::<ApiFailure>() {
                    let mut resp = Json(failure.body(&page.request_id))
                        .with_status(failure.status)
                        .into_response();
                    resp.set_data(RouteLabel(label));
                    return Ok(resp);
                }
                let status = err.status();
                let app = err.downcast_ref::<AppError>();
                if status.is_server_error() {
                    let cause = app.map_or_else(|| err.to_string(), |e| chain(e));
                    tracing::error!(error = %cause, "request failed");
                }
                Ok(error_response(&page, api, status, None, &label))
            }
        }
    }
}

fn pattern_of_error(err: &poem::Error, prefix: &str) -> String {
    match err.data::<PathPattern>() {
        Some(p) => format!("{prefix}{}", p.0),
        None => "unmatched".to_owned(),
    }
}

fn labelled(mut resp: Response, prefix: &str) -> Response {
    if resp.data::<RouteLabel>().is_none() {
        let label = resp
            .data::<PathPattern>()
            .map_or_else(|| "unmatched".to_owned(), |p| format!("{prefix}{}", p.0));
        resp.set_data(RouteLabel(label));
    }
    resp
}

/// An error as a page in the site's theme, or as JSON `{"error": {code, message, request_id}}`
/// for the API.
fn error_response(
    page: &PageContext,
    api: bool,
    status: StatusCode,
    cause: Option<&AppError>,
    label: &str,
) -> Response {
    if let Some(cause) = cause {
        tracing::error!(error = %chain(cause), "request failed");
    }
    let code = code_of(status);
    let title = page.t(&format!("error.{code}.title"));
    let text = page.t(&format!("error.{code}.text"));
    let mut resp = if api {
        Json(serde_json::json!({
            "error": { "code": code, "message": text, "request_id": page.request_id }
        }))
        .with_status(status)
        .into_response()
    } else {
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
    };
    resp.set_data(RouteLabel(label.to_owned()));
    resp
}
