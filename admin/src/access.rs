//! Authorisation in one place: every console route declares what it needs where it is mounted
//! ([`Need`]), and [`Require`] holds each request to it before the handler runs. A gemeente comes
//! from the path (`/beheer/{gemeente}/...`), never from the Host, and is checked against the
//! staff member's roles; a gemeente they have no role in is 404, a page above their role 403.

use crate::auth::{StaffVisitor, client_of};
use crate::state::Console;
use minijinja::context;
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::staff::{Role, StaffMember};
use parkportal_domain::{Tenant, TenantSlug};
use parkportal_web::AppError;
use parkportal_web::page::FrameExtras;
use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::sync::Arc;

/// What a console route needs of its visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone: the login, the enrolment, the console's files.
    Anyone,
    /// Any logged-in staff member.
    Signed,
    /// A platformbeheerder.
    Platform,
    /// At least this role in the gemeente of the path's `:gemeente`.
    Gemeente(Role),
}

/// The staff member, the gemeente and the role a gemeente's console page works in.
#[derive(Debug, Clone)]
pub struct StaffContext {
    /// Who.
    pub staff: StaffMember,
    /// In which gemeente.
    pub tenant: Arc<Tenant>,
    /// With which role there.
    pub role: Role,
}

/// The middleware that holds a route to its [`Need`].
pub struct Require {
    need: Need,
    console: Console,
    quiet: bool,
}

impl Require {
    /// `need`, judged with `console`'s gemeenten and audit trail.
    pub fn new(need: Need, console: Console) -> Self {
        Self {
            need,
            console,
            quiet: false,
        }
    }

    /// When `quiet`, a platformbeheerder's reading here leaves no `console.visit` entry: for
    /// figures without personal data that a page's script polls (the page's own visit is on
    /// the record).
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }
}

impl<E: Endpoint> Middleware<E> for Require {
    type Output = RequireEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequireEndpoint {
            ep,
            need: self.need,
            console: self.console.clone(),
            quiet: self.quiet,
        }
    }
}

/// The endpoint [`Require`] wraps around a route.
pub struct RequireEndpoint<E> {
    ep: E,
    need: Need,
    console: Console,
    quiet: bool,
}

/// Where an anonymous visitor of a page that needs a login goes.
fn to_login(timed_out: bool) -> Response {
    let location = if timed_out {
        "/beheer/inloggen?reden=time-out"
    } else {
        "/beheer/inloggen"
    };
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

impl<E: Endpoint> RequireEndpoint<E> {
    /// Refuses `member`'s request with `error`, leaving the refusal in the audit trail.
    async fn refuse(
        &self,
        req: &Request,
        member: &StaffMember,
        tenant: Option<&Tenant>,
        error: AppError,
    ) -> Result<Response> {
        let reason = error.code();
        let entry = AuditEntry::new(
            Actor::of(member),
            "console.access",
            &client_of(req),
            self.console.web().clock().now(),
        )
        .about("path", req.original_uri().path())
        .within(
            tenant.map(|t| t.id),
            tenant.and_then(|t| member.role_in(t.id)),
        )
        .refused(reason);
        self.console.record(&entry).await?;
        Err(error.into())
    }
}

impl<E: Endpoint> Endpoint for RequireEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if self.need == Need::Anyone {
            return Ok(self.ep.call(req).await?.into_response());
        }
        let visitor = req.data::<StaffVisitor>().cloned().unwrap_or_default();
        let Some(member) = visitor.member else {
            // A form sent without a login is on the record; a page asked for is not.
            if *req.method() != Method::GET && *req.method() != Method::HEAD {
                crate::refusals::record(&self.console, &req, "console.access", "login_required")
                    .await?;
            }
            return Ok(to_login(visitor.timed_out));
        };
        match self.need {
            Need::Anyone | Need::Signed => {}
            Need::Platform if member.platform_admin => {}
            Need::Platform => {
                return self.refuse(&req, &member, None, AppError::Forbidden).await;
            }
            Need::Gemeente(needed) => {
                let slug = req.raw_path_param("gemeente").unwrap_or_default();
                let tenant = match TenantSlug::parse(slug) {
                    Ok(slug) => self
                        .console
                        .web()
                        .tenants()
                        .by_slug(slug.as_str())
                        .await
                        .map_err(AppError::from)?,
                    Err(_) => None,
                };
                let Some(tenant) = tenant else {
                    return self.refuse(&req, &member, None, AppError::NotFound).await;
                };
                let Some(role) = member.role_in(tenant.id) else {
                    // Another gemeente's console does not exist for this staff member.
                    return self.refuse(&req, &member, None, AppError::NotFound).await;
                };
                if !role.allows(needed) {
                    return self
                        .refuse(&req, &member, Some(&tenant), AppError::Forbidden)
                        .await;
                }
                if role == Role::PlatformAdmin
                    && !self.quiet
                    && matches!(*req.method(), Method::GET | Method::HEAD)
                {
                    // A platformbeheerder's visit to a gemeente's console is on its record; a
                    // change they make there is audited by the change itself.
                    let entry = AuditEntry::new(
                        Actor::of(&member),
                        "console.visit",
                        &client_of(&req),
                        self.console.web().clock().now(),
                    )
                    .about("path", req.original_uri().path())
                    .within(Some(tenant.id), Some(role));
                    self.console
                        .auth()
                        .audit()
                        .record(&entry)
                        .await
                        .map_err(AppError::from)?;
                }
                let extras = req
                    .data::<FrameExtras>()
                    .map(|e| e.0.clone())
                    .unwrap_or_default();
                let gemeente = context! {
                    name => tenant.name.clone(),
                    slug => tenant.slug.as_str(),
                    logo_url => format!("/g/{}/logo?v={}", tenant.slug, tenant.version),
                    role => role.as_str(),
                };
                req.set_data(FrameExtras(context! { gemeente => gemeente, ..extras }));
                req.set_data(StaffContext {
                    staff: member,
                    tenant: Arc::new(tenant),
                    role,
                });
            }
        }
        Ok(self.ep.call(req).await?.into_response())
    }
}
