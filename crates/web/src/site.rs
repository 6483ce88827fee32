//! Which gemeente a request is for.
//!
//! A gemeente is selected by a `/g/{slug}/` path prefix (which is stripped before routing, so every
//! page exists under both forms) or else by the request's Host. A host that matches none gets the
//! neutral platform pages. An unknown slug gets a 404 in the platform's theme, answered by the
//! route in its kind (a page or a JSON body).

use crate::error::AppError;
use crate::kind::{Deferred, RouteKind, answer};
use crate::observe::RouteLabel;
use crate::page::Page;
use crate::state::WebState;
use parkportal_domain::{Language, Tenant, ThemeName};
use poem::PathPattern;
use poem::http::{StatusCode, Uri, header};
use poem::web::Redirect;
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

/// The middleware that resolves the [`Site`] of a front end whose pages are a gemeente's: by a
/// `/g/{slug}/` prefix (taken off before routing) or the Host. An unknown gemeente or a lookup
/// that fails is left to the route to answer in its kind ([`Deferred`]).
pub struct SiteResolver {
    state: WebState,
}

impl SiteResolver {
    /// Resolves sites through `state`'s tenant directory.
    pub fn new(state: WebState) -> Self {
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
    state: WebState,
}

enum Resolution {
    Found(Site),
    UnknownSlug,
}

/// A `/g/{slug}` prefix: the slug and the path after it (with the query), `None` for `/g/{slug}`
/// without a slash.
fn prefixed(req: &Request) -> Option<(String, Option<Result<Uri, AppError>>)> {
    let rest = req.uri().path().strip_prefix("/g/")?;
    let (slug, tail) = rest
        .split_once('/')
        .map_or((rest, None), |(s, t)| (s, Some(t)));
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let uri = tail.map(|tail| {
        format!("/{tail}{query}")
            .parse::<Uri>()
            .map_err(AppError::internal)
    });
    Some((slug.to_owned(), uri))
}

impl<E: Endpoint> SiteEndpoint<E> {
    async fn resolve(&self, req: &Request, slug: Option<&str>) -> Result<Resolution, AppError> {
        if let Some(slug) = slug {
            let Some(tenant) = self.state.tenants().by_slug(slug).await? else {
                return Ok(Resolution::UnknownSlug);
            };
            return Ok(Resolution::Found(Site {
                tenant: Some(Arc::new(tenant)),
                base: format!("/g/{slug}"),
            }));
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
        Ok(Resolution::Found(Site {
            tenant: tenant.map(Arc::new),
            base: String::new(),
        }))
    }
}

impl<E: Endpoint> Endpoint for SiteEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let prefix = prefixed(&req);
        let slug = prefix.as_ref().map(|(slug, _)| slug.as_str());
        let resolution = self.resolve(&req, slug).await;
        let mut label = None;
        let site = match resolution {
            Ok(Resolution::Found(site)) => site,
            Ok(Resolution::UnknownSlug) => {
                Deferred::status(&mut req, StatusCode::NOT_FOUND);
                label = Some("/g/:slug");
                Site::platform()
            }
            Err(err) => {
                Deferred::internal(&mut req, err);
                label = Some("unresolved");
                Site::platform()
            }
        };
        // The route answers under the path without the prefix, whatever became of the slug.
        match prefix {
            Some((_, None)) if site.tenant.is_some() => {
                let to = format!("{}/", req.uri().path());
                return Ok(labelled(
                    Redirect::permanent(to).into_response(),
                    "",
                    Some("/g/:slug"),
                ));
            }
            Some((_, None)) => *req.uri_mut() = Uri::from_static("/"),
            Some((_, Some(Ok(uri)))) => *req.uri_mut() = uri,
            Some((_, Some(Err(err)))) => Deferred::internal(&mut req, err),
            None => {}
        }
        let base = if site.base.is_empty() { "" } else { "/g/:slug" };
        let page = Page::from_parts(self.state.clone(), site.clone(), &req);
        req.set_data(site);
        let resp = match self.ep.call(req).await {
            Ok(resp) => resp.into_response(),
            // Every route answers its own errors ([`crate::kind::Serve`]); this is the last
            // resort for a layer in between.
            Err(err) => answer(&page, RouteKind::Page, err),
        };
        Ok(labelled(resp, base, label))
    }
}

/// Sets the route label of `resp` for metrics and logs: `label` when given, else the pattern
/// of the route that answered under `prefix`, `unmatched` for the catch-all.
fn labelled(mut resp: Response, prefix: &str, label: Option<&str>) -> Response {
    let label = match label {
        Some(label) => label.to_owned(),
        None => match resp.data::<PathPattern>() {
            Some(p) if p.0.contains("/:unmatched") => "unmatched".to_owned(),
            Some(p) => format!("{prefix}{}", p.0),
            None => "unmatched".to_owned(),
        },
    };
    resp.set_data(RouteLabel(label));
    resp
}
