//! A resident page: the web kit's [`Page`] (site, language, frame, rendering) with the portal's
//! state and the visitor. Handlers extract it and reach the kit's part through `Deref`.

use crate::auth::Visitor;
use crate::state::Portal;
use parkportal_domain::parking::{ProductCard, ProductView};
use parkportal_domain::{Account, ProductId, Token};
use parkportal_web::page::urlencode;
use parkportal_web::{AppError, Page};
use poem::{FromRequest, Request, RequestBody, Response};
use std::ops::{Deref, DerefMut};

/// What every portal page needs to know about its request. Extract it in a handler and call
/// [`Page::render`].
#[derive(Clone)]
pub struct PageContext {
    /// What every front end's page knows: site, language, CSRF token, frame.
    pub page: Page,
    /// The portal's use cases.
    pub state: Portal,
    /// The logged-in resident, if any.
    pub account: Option<Account>,
    /// Whether the request's session just ended through the idle time-out.
    pub timed_out: bool,
    /// The session token of the logged-in resident.
    pub session: Option<Token>,
    /// Whether that session came as `Authorization: Bearer`.
    pub bearer: bool,
}

impl Deref for PageContext {
    type Target = Page;

    fn deref(&self) -> &Page {
        &self.page
    }
}

impl DerefMut for PageContext {
    fn deref_mut(&mut self) -> &mut Page {
        &mut self.page
    }
}

impl PageContext {
    /// The context of `req`, which the portal's route tree has given its state and visitor.
    pub fn of(req: &Request) -> Result<Self, AppError> {
        let state = req
            .data::<Portal>()
            .cloned()
            .ok_or_else(|| AppError::internal("no portal state"))?;
        let mut page = Page::of(req)?;
        page.flash = parkportal_web::flash::waiting(req, state.settings().secure_cookies());
        let visitor = req.data::<Visitor>().cloned().unwrap_or_default();
        Ok(Self {
            page,
            state,
            account: visitor.account,
            session: visitor.session,
            bearer: visitor.bearer,
            timed_out: visitor.timed_out,
        })
    }

    /// Makes this a page of `product`'s own gemeente: its theme, logo and name, whatever host
    /// or `/g/{slug}/` prefix the request came through; links stay on that site. Call it once
    /// the product is known to be the resident's, so that a refused request learns nothing of
    /// another's product. A gemeente that cannot be found keeps the site's look (and is logged).
    async fn show_gemeente_of(&mut self, product: &ProductView) -> Result<(), AppError> {
        if self
            .site
            .tenant
            .as_ref()
            .is_some_and(|t| t.id == product.tenant)
        {
            self.page.show_gemeente(None);
            return Ok(());
        }
        match self.state.tenants().by_slug(&product.tenant_slug).await? {
            Some(tenant) if tenant.id == product.tenant => self.page.show_gemeente(Some(tenant)),
            _ => tracing::warn!(
                product = product.id.0,
                "the product's gemeente was not found: the page keeps the site's look"
            ),
        }
        Ok(())
    }

    /// `key` in the page's language with `args` filled in.
    pub fn text(&self, key: &str, args: &[(&str, String)]) -> String {
        self.state.catalogues().text(self.prefs.language, key, args)
    }

    /// Makes this a page of the resident's own `product`: its gemeente's look
    /// ([`PageContext::show_gemeente_of`]) and, for the desktop, the product's options beside
    /// the page (`product_nav` in the frame), so that switching between them needs no menu.
    pub async fn show_product(&mut self, product: &ProductView) -> Result<(), AppError> {
        self.show_gemeente_of(product).await?;
        if let Some(account) = self.account.clone() {
            // The bar is a convenience: the page goes on without it when it cannot be made.
            match crate::pages::product_options(self, &account, product).await {
                Ok(options) => {
                    let extras = self.page.extras.clone();
                    self.page.extras = minijinja::context! { product_nav => options, ..extras };
                }
                Err(e) => {
                    tracing::warn!(error = ?e, product = product.id.0, "no product navigation")
                }
            }
        }
        Ok(())
    }

    /// `template` rendered with `values` and `status`, kept out of caches and without a
    /// referrer: for pages reached by a secret link or showing what one person typed.
    pub fn private(
        &self,
        template: &str,
        status: poem::http::StatusCode,
        values: minijinja::Value,
    ) -> Result<Response, AppError> {
        use poem::IntoResponse;
        use poem::http::header;
        Ok(self
            .render(template, values)?
            .with_status(status)
            .with_header(header::CACHE_CONTROL, "no-store")
            .with_header(header::REFERRER_POLICY, "no-referrer")
            .into_response())
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
}

impl<'a> FromRequest<'a> for PageContext {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self::of(req)?)
    }
}

/// A page for a logged-in resident. A visitor without a login is sent to the login page, which
/// leads back here (saying so when the session timed out).
pub struct ResidentPage {
    /// The page.
    pub page: PageContext,
    /// The resident.
    pub account: Account,
}

impl ResidentPage {
    fn of(req: &Request) -> poem::Result<Self> {
        let page = PageContext::of(req)?;
        match page.account.clone() {
            Some(account) => Ok(Self { page, account }),
            None => Err(poem::Error::from_response(page.login_redirect())),
        }
    }
}

impl<'a> FromRequest<'a> for ResidentPage {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Self::of(req)
    }
}

/// A page of one of the logged-in resident's own products, the path's `id`: drawn in the
/// product's own gemeente's look. Another's product, or none, is 404, which tells nothing of it.
pub struct ProductPage {
    /// The page.
    pub page: PageContext,
    /// The resident.
    pub account: Account,
    /// The product, as its card shows it.
    pub card: ProductCard,
}

impl<'a> FromRequest<'a> for ProductPage {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let ResidentPage { mut page, account } = ResidentPage::of(req)?;
        let id = req
            .raw_path_param("id")
            .and_then(|id| id.parse().ok())
            .map(ProductId)
            .ok_or(AppError::NotFound)?;
        let card = crate::products::own_card(&mut page, &account, id).await?;
        Ok(Self {
            page,
            account,
            card,
        })
    }
}
