//! Rendering pages inside the frame the manual describes (header with menu icon, gemeente or
//! product in the middle, balance on the right; footer with the accessibility statement), for
//! every front end: each adds its own values to the frame ([`FrameExtras`]).
//!
//! A page is drawn in the look (theme, logo, name) of the gemeente its host or `/g/{slug}/`
//! prefix selected, unless the front end shows another ([`Page::show_gemeente`]: the portal's
//! pages of a product show the product's own gemeente, DESIGN §4). Links stay on the prefix or
//! host the visitor came through; only the stylesheet and the logo come from the shown
//! gemeente's own `/g/{slug}/`.

use crate::client::ClientAddress;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::flash::Flash;
use crate::observe::RequestId;
use crate::prefs::Prefs;
use crate::site::Site;
use crate::state::WebState;
use minijinja::Value;
use minijinja::context;
use parkportal_domain::{Tenant, ThemeName};
use poem::http::{StatusCode, header};
use poem::web::Html;
use poem::{FromRequest, Request, RequestBody, Response};
use std::sync::Arc;

/// What a front end adds to the frame of every one of its pages (the portal: the resident's
/// address for the menu, the demo's outbox, the simulated payments note). The front end puts it
/// on the request before its routes; error pages use it too.
#[derive(Debug, Clone, Default)]
pub struct FrameExtras(pub Value);

/// How a front end draws its pages when it does not use the gemeenten's themes (the staff
/// console draws every page, its error pages too, in its own look, whatever a gemeente's theme
/// says). A front end puts it on the request as [`PageLook`] before its routes.
pub trait Look: Send + Sync {
    /// Renders `template` with `ctx` (the page's values and the frame).
    fn render(&self, page: &Page, template: &str, ctx: Value) -> Result<Html<String>, AppError>;
    /// Translates `key` in `language`.
    fn text(&self, language: parkportal_domain::Language, key: &str) -> String;
}

/// The [`Look`] of the request's front end.
#[derive(Clone)]
pub struct PageLook(pub Arc<dyn Look>);

/// What every page of every front end needs to know about its request. A front end's handlers
/// extract their own context, which holds this one.
#[derive(Clone)]
pub struct Page {
    /// What every front end shares.
    pub web: WebState,
    /// The gemeente (or the platform) the request is for.
    pub site: Site,
    /// Language and contrast.
    pub prefs: Prefs,
    /// The request's id.
    pub request_id: String,
    /// The path as the browser asked for it (with a `/g/{slug}` prefix, if any), for return links.
    pub path: String,
    /// The CSRF token the page's forms carry.
    pub csrf: String,
    /// The network address the request came from.
    pub client: String,
    /// The gemeente the page shows when it is not the site's (see [`Page::show_gemeente`]).
    /// Links keep to `site`.
    pub shown: Option<Arc<Tenant>>,
    /// What the front end adds to the frame.
    pub extras: Value,
    /// The front end's own look, if it has one.
    pub look: Option<Arc<dyn Look>>,
    /// What the form before this page did, said once at the top of it (a front end that sets
    /// messages reads them; see [`crate::flash`]).
    pub flash: Option<Flash>,
}

impl Page {
    /// Builds the context from the parts a middleware has at hand.
    pub fn from_parts(web: WebState, site: Site, req: &Request) -> Self {
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
        let client = req
            .data::<ClientAddress>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.clone());
        let extras = req
            .data::<FrameExtras>()
            .map(|e| e.0.clone())
            .unwrap_or_default();
        let look = req.data::<PageLook>().map(|l| l.0.clone());
        Self {
            web,
            site,
            prefs,
            request_id,
            path,
            csrf,
            client,
            shown: None,
            extras,
            look,
            flash: None,
        }
    }

    /// The context of `req`: its [`Site`] (the platform when none was resolved).
    pub fn of(req: &Request) -> Result<Self, AppError> {
        let web = req
            .data::<WebState>()
            .cloned()
            .ok_or_else(|| AppError::internal("no web state"))?;
        let site = req.data::<Site>().cloned().unwrap_or_else(Site::platform);
        Ok(Self::from_parts(web, site, req))
    }

    /// The gemeente whose theme, logo and name the page shows: the one set by
    /// [`Page::show_gemeente`], else the site's (`None` on the platform pages).
    pub fn gemeente(&self) -> Option<&Arc<Tenant>> {
        self.shown.as_ref().or(self.site.tenant.as_ref())
    }

    /// Draws the page in `tenant`'s look (theme, logo, name) whatever host or `/g/{slug}/`
    /// prefix the request came through; links stay on the site. `None` keeps the site's look.
    pub fn show_gemeente(&mut self, tenant: Option<Tenant>) {
        self.shown = tenant
            .filter(|t| self.site.tenant.as_ref().is_none_or(|s| s.id != t.id))
            .map(Arc::new);
    }

    /// Where the shown gemeente's stylesheet and logo are: under the site's prefix for the
    /// site's own gemeente, else under the shown gemeente's own `/g/{slug}` on any host.
    fn assets_base(&self) -> String {
        match &self.shown {
            Some(t) => format!("/g/{}", t.slug),
            None => self.site.base.clone(),
        }
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
        if let Some(look) = &self.look {
            return look.text(self.prefs.language, key);
        }
        self.web.catalogues().text(self.prefs.language, key, &[])
    }

    /// The values of the frame, shared by every page.
    pub fn frame(&self) -> Value {
        let assets = self.assets_base();
        let tenant = self.gemeente().map(|t| {
            context! {
                name => t.name.clone(),
                slug => t.slug.as_str(),
                logo_url => format!("{assets}/logo?v={}", t.version),
                // Every page of a suspended gemeente says so (`base.html`).
                suspended => t.suspension.is_some(),
                contact => t.contact.clone(),
                links => context! {
                    contact => t.links.contact.as_ref().map(|l| l.as_str().to_owned()),
                    privacy => t.links.privacy.as_ref().map(|l| l.as_str().to_owned()),
                    accessibility => t.links.accessibility.as_ref().map(|l| l.as_str().to_owned()),
                },
            }
        });
        let version = self.gemeente().map_or(0, |t| t.version);
        let extras = self.extras.clone();
        context! {
            lang => self.prefs.language.code(),
            contrast => self.prefs.contrast.as_str(),
            base => self.site.base.clone(),
            home => format!("{}/", self.site.base),
            path => self.path.clone(),
            tenant => tenant,
            theme_css => format!("{assets}/theme.css?v={version}"),
            version => self.web.settings().version.clone(),
            platform_url => format!("{}/", self.web.settings().public_url),
            request_id => self.request_id.clone(),
            csrf => self.csrf.clone(),
            flash => self.flash.as_ref().map(Flash::values),
            ..extras
        }
    }

    /// Renders `template` of the shown gemeente's theme with `page` values and the frame.
    pub fn render(&self, template: &str, page: Value) -> Result<Html<String>, AppError> {
        let frame = self.frame();
        let ctx = context! { ..page, ..frame };
        if let Some(look) = &self.look {
            return look.render(self, template, ctx);
        }
        let theme = self
            .gemeente()
            .map_or_else(ThemeName::default_theme, |t| t.theme.clone());
        self.web
            .templates()
            .render(&theme, template, ctx)
            .map(Html)
            .map_err(AppError::internal)
    }
}

impl<'a> FromRequest<'a> for Page {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self::of(req)?)
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
