//! Rendering pages inside the frame the manual describes (header with menu icon, gemeente or
//! product in the middle, balance on the right; footer with the accessibility statement).
//!
//! A page is drawn in the look (theme, logo, name) of the gemeente its host or `/g/{slug}/`
//! prefix selected, except the pages of a product: they show the product's own gemeente,
//! whatever the host (DESIGN §4; [`PageContext::show_gemeente_of`]). Their links stay on the
//! prefix or host the resident came through, so that the menu, the way back and the login keep
//! working as the resident started; only the stylesheet and the logo come from the product's
//! gemeente's own `/g/{slug}/`.

use crate::auth::{ClientAddress, Visitor};
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::observe::RequestId;
use crate::prefs::Prefs;
use crate::site::Site;
use crate::state::AppState;
use minijinja::Value;
use minijinja::context;
use parkportal_domain::parking::ProductView;
use parkportal_domain::{Account, Tenant, ThemeName};
use poem::http::{StatusCode, header};
use poem::web::Html;
use poem::{FromRequest, Request, RequestBody, Response};
use std::sync::Arc;

/// What every page needs to know about its request. Extract it in a handler and call
/// [`PageContext::render`].
#[derive(Clone)]
pub struct PageContext {
    /// Application state.
    pub state: AppState,
    /// The gemeente (or the platform) the request is for.
    pub site: Site,
    /// Language and contrast.
    pub prefs: Prefs,
    /// The request's id.
    pub request_id: String,
    /// The path as the browser asked for it (with a `/g/{slug}` prefix, if any), for return links.
    pub path: String,
    /// The logged-in resident, if any.
    pub account: Option<Account>,
    /// Whether the request's session just ended through the idle time-out.
    pub timed_out: bool,
    /// The CSRF token the page's forms carry.
    pub csrf: String,
    /// The session token of the logged-in resident.
    pub session: Option<parkportal_domain::Token>,
    /// Whether that session came as `Authorization: Bearer`.
    pub bearer: bool,
    /// The network address the request came from.
    pub client: String,
    /// The gemeente the page shows when it is not the site's: on a product's pages, the
    /// product's own (set by [`PageContext::show_gemeente_of`]). Links keep to `site`.
    pub shown: Option<Arc<Tenant>>,
}

impl PageContext {
    /// Builds the context from the parts a middleware has at hand.
    pub fn from_parts(state: AppState, site: Site, req: &Request) -> Self {
        let prefs = Prefs::of(req, site.default_language());
        let request_id = req
            .data::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let path = format!("{}{}", site.base, req.uri().path());
        let csrf = req
            .data::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let visitor = req.data::<Visitor>().cloned().unwrap_or_default();
        let client = req
            .data::<ClientAddress>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.clone());
        Self {
            state,
            site,
            prefs,
            request_id,
            path,
            account: visitor.account,
            session: visitor.session,
            bearer: visitor.bearer,
            timed_out: visitor.timed_out,
            csrf,
            client,
            shown: None,
        }
    }

    /// The gemeente whose theme, logo and name the page shows: the product's own on a
    /// product's pages, else the site's (`None` on the platform pages).
    pub fn gemeente(&self) -> Option<&Arc<Tenant>> {
        self.shown.as_ref().or(self.site.tenant.as_ref())
    }

    /// Makes this a page of `product`'s own gemeente: its theme, logo and name, whatever host
    /// or `/g/{slug}/` prefix the request came through; links stay on that site. Call it once
    /// the product is known to be the resident's, so that a refused request learns nothing of
    /// another's product. A gemeente that cannot be found keeps the site's look (and is logged).
    pub async fn show_gemeente_of(&mut self, product: &ProductView) -> Result<(), AppError> {
        if self
            .site
            .tenant
            .as_ref()
            .is_some_and(|t| t.id == product.tenant)
        {
            self.shown = None;
            return Ok(());
        }
        match self.state.tenants().by_slug(&product.tenant_slug).await? {
            Some(tenant) if tenant.id == product.tenant => self.shown = Some(Arc::new(tenant)),
            _ => tracing::warn!(
                product = product.id.0,
                "the product's gemeente was not found: the page keeps the site's look"
            ),
        }
        Ok(())
    }

    /// Where the shown gemeente's stylesheet and logo are: under the site's prefix for the
    /// site's own gemeente, else under the shown gemeente's own `/g/{slug}` on any host.
    fn assets_base(&self) -> String {
        match &self.shown {
            Some(t) => format!("/g/{}", t.slug),
            None => self.site.base.clone(),
        }
    }

    /// The way to the login page for a page that needs a login: it comes back to this page and
    /// says so when the session timed out.
    pub fn login_redirect(&self) -> Response {
        let mut url = format!(
            "{}?terug={}",
            self.site.link("/inloggen"),
            urlencode(&self.path)
        );
        if self.timed_out {
            url.push_str("&reden=time-out");
        }
        self.see_other(&url)
    }

    /// A 303 to `location` (a path within the site, or absolute).
    pub fn see_other(&self, location: &str) -> Response {
        Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, location)
            .header(header::CACHE_CONTROL, "no-store")
            .finish()
    }

    /// Translates `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.state.catalogues().text(self.prefs.language, key, &[])
    }

    /// The values of the frame, shared by every page.
    pub fn frame(&self) -> Value {
        let assets = self.assets_base();
        let tenant = self.gemeente().map(|t| {
            context! {
                name => t.name.clone(),
                slug => t.slug.as_str(),
                logo_url => format!("{assets}/logo?v={}", t.version),
            }
        });
        let version = self.gemeente().map_or(0, |t| t.version);
        context! {
            lang => self.prefs.language.code(),
            contrast => self.prefs.contrast.as_str(),
            base => self.site.base.clone(),
            home => format!("{}/", self.site.base),
            path => self.path.clone(),
            tenant => tenant,
            theme_css => format!("{assets}/theme.css?v={version}"),
            version => self.state.settings().version.clone(),
            platform_url => format!("{}/", self.state.settings().public_url),
            request_id => self.request_id.clone(),
            csrf => self.csrf.clone(),
            account_email => self.account.as_ref().map(|a| a.email.to_string()),
            demo_outbox => self.state.demo_outbox().is_some(),
            payments_simulated => self.state.top_ups().simulated(),
        }
    }

    /// Renders `template` of the shown gemeente's theme with `page` values and the frame.
    pub fn render(&self, template: &str, page: Value) -> Result<Html<String>, AppError> {
        let frame = self.frame();
        let ctx = context! { ..page, ..frame };
        let theme = self
            .gemeente()
            .map_or_else(ThemeName::default_theme, |t| t.theme.clone());
        self.state
            .templates()
            .render(&theme, template, ctx)
            .map(Html)
            .map_err(AppError::internal)
    }
}

impl<'a> FromRequest<'a> for PageContext {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let state = req
            .data::<AppState>()
            .cloned()
            .ok_or_else(|| AppError::internal("no application state"))?;
        let site = req.data::<Site>().cloned().unwrap_or_else(Site::platform);
        Ok(Self::from_parts(state, site, req))
    }
}

/// Percent-encodes a path or value for a query string.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
