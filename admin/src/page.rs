//! What a console handler knows of its request: the kit's [`Page`] (drawn in the console's
//! look), the staff visitor, and in a gemeente's console the [`StaffContext`].

use crate::access::StaffContext;
use crate::auth::StaffVisitor;
use crate::state::Console;
use minijinja::{Value, context};
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_web::{AppError, Page};
use poem::http::{StatusCode, header};
use poem::web::Html;
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response};
use std::ops::Deref;

/// The context of a console page.
#[derive(Clone)]
pub struct ConsolePage {
    /// The kit's page.
    pub page: Page,
    /// The console's state.
    pub console: Console,
    /// Who is visiting.
    pub visitor: StaffVisitor,
    /// The gemeente, staff member and role of a gemeente's console page.
    pub context: Option<StaffContext>,
}

impl Deref for ConsolePage {
    type Target = Page;

    fn deref(&self) -> &Page {
        &self.page
    }
}

impl ConsolePage {
    /// The gemeenten the visitor works for, by name, for the header's switch: every gemeente
    /// for a platformbeheerder.
    async fn switch(&self) -> Result<Vec<Value>, AppError> {
        let Some(member) = &self.visitor.member else {
            return Ok(Vec::new());
        };
        let tenants = self.console.web().tenants().list().await?;
        Ok(tenants
            .iter()
            .filter(|t| member.role_in(t.id).is_some())
            .map(|t| context! { slug => t.slug.as_str(), name => t.name.clone() })
            .collect())
    }

    /// Renders `template` with `values`, the frame and the switch, as a page that is never
    /// cached (it shows personal data and a CSRF token).
    pub async fn render(
        &self,
        template: &str,
        status: StatusCode,
        values: Value,
    ) -> Result<Response, AppError> {
        let switch = self.switch().await?;
        let html: Html<String> = self
            .page
            .render(template, context! { switch => switch, ..values })?;
        Ok(html
            .with_status(status)
            .with_header(header::CACHE_CONTROL, "no-store")
            .into_response())
    }

    /// The audit entry of `action` by the staff member of this gemeente's page, from `req`'s
    /// client, now, within the gemeente in their role.
    pub fn entry(&self, req: &Request, action: &'static str) -> Result<AuditEntry, AppError> {
        let ctx = context_of(self)?;
        let now = self.console.web().clock().now();
        Ok(AuditEntry::new(
            Actor::of(&ctx.staff),
            action,
            &crate::auth::client_of(req),
            now,
        )
        .within(Some(ctx.tenant.id), Some(ctx.role)))
    }

    /// Translates `key` with `{name}` placeholders.
    pub fn text(&self, key: &str, args: &[(&str, String)]) -> String {
        self.console
            .look()
            .text_with(self.page.prefs.language, key, args)
    }
}

impl<'a> FromRequest<'a> for ConsolePage {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let console = req
            .data::<Console>()
            .cloned()
            .ok_or_else(|| AppError::internal("no console state"))?;
        Ok(Self {
            page: Page::of(req)?,
            console,
            visitor: req.data::<StaffVisitor>().cloned().unwrap_or_default(),
            context: req.data::<StaffContext>().cloned(),
        })
    }
}

/// The handler's own check that the route's [`crate::access::Need::Gemeente`] ran.
pub fn context_of(page: &ConsolePage) -> Result<&StaffContext, AppError> {
    page.context
        .as_ref()
        .ok_or_else(|| AppError::internal("a gemeente's page without its staff context"))
}

/// A 303 to `location`, never cached.
pub fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}
