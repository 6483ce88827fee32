//! Who is visiting the console: the staff session named by the console's own cookie
//! (`pp_staff`, only under `/beheer`, `SameSite=Strict`, `__Secure-` over HTTPS; no
//! remember-me), resolved once per request through the login use case with its idle time-out and
//! longest life. A resident's login counts for nothing here.

use crate::state::Console;
use minijinja::context;
use parkportal_domain::Token;
use parkportal_domain::staff::{StaffMember, StaffSession, StaffState};
use parkportal_web::client::ClientAddress;
use parkportal_web::cookies;
use parkportal_web::csrf::SessionSecrets;
use parkportal_web::kind::Deferred;
use parkportal_web::page::{FrameExtras, PageLook};
use poem::{Endpoint, Middleware, Request, Result};

/// The console's session cookie.
pub const STAFF_COOKIE: &str = "pp_staff";
/// Where the console lives, and the only path its cookie is sent to.
pub const CONSOLE_PATH: &str = "/beheer";

/// A `Set-Cookie` value for a console session token.
pub fn session_cookie(token: &Token, secure: bool) -> String {
    cookies::scoped_cookie(STAFF_COOKIE, token.expose(), CONSOLE_PATH, false, secure)
}

/// A `Set-Cookie` value that removes the console's session cookie.
pub fn clear_cookie(secure: bool) -> String {
    cookies::scoped_cookie(STAFF_COOKIE, "", CONSOLE_PATH, true, secure)
}

/// Who is visiting the console, resolved once per request by [`StaffAuthenticate`].
#[derive(Debug, Clone, Default)]
pub struct StaffVisitor {
    /// The logged-in staff member.
    pub member: Option<StaffMember>,
    /// A session half-way through the login or the enrolment.
    pub pending: Option<StaffSession>,
    /// The session token of the cookie, when it names a live session (logged in or half-way).
    pub session: Option<Token>,
    /// Whether the cookie's session just ended through a time-out.
    pub timed_out: bool,
}

/// The network address of the request (for the throttles and the audit trail).
pub fn client_of(req: &Request) -> String {
    req.data::<ClientAddress>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.clone())
}

/// The middleware around the console's routes that resolves the [`StaffVisitor`] and puts the
/// console's look on the request. A failure to read the session is answered by the route in its
/// kind.
pub struct StaffAuthenticate {
    console: Console,
}

impl StaffAuthenticate {
    /// On `console`'s login.
    pub fn new(console: Console) -> Self {
        Self { console }
    }
}

impl<E: Endpoint> Middleware<E> for StaffAuthenticate {
    type Output = StaffAuthenticateEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        StaffAuthenticateEndpoint {
            ep,
            console: self.console.clone(),
        }
    }
}

/// The endpoint [`StaffAuthenticate`] wraps around the routes.
pub struct StaffAuthenticateEndpoint<E> {
    ep: E,
    console: Console,
}

/// The header a page's script sends with a request it makes by itself (`batch_progress.js`'s
/// polls): such a request is no sign of the staff member's activity and does not postpone the
/// idle time-out. Sending it can only make one's own session end sooner.
pub const BACKGROUND: &str = "parkportal-background";

impl<E: Endpoint> Endpoint for StaffAuthenticateEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        req.set_data(PageLook(self.console.look().clone()));
        let secure = self.console.secure();
        let cookie = cookies::get(&req, &cookies::secure_only(STAFF_COOKIE, secure))
            .and_then(|v| Token::parse(&v));
        let mut visitor = StaffVisitor::default();
        if let Some(token) = &cookie {
            let auth = self.console.auth();
            let client = client_of(&req);
            let resumed = if req.headers().contains_key(BACKGROUND) {
                auth.resume_in_background(token, &client).await
            } else {
                auth.resume(token, &client).await
            };
            match resumed {
                Ok(StaffState::Active(session)) => {
                    visitor.member = Some(session.member);
                    visitor.session = Some(token.clone());
                }
                Ok(StaffState::Pending(session)) => {
                    visitor.pending = Some(session);
                    visitor.session = Some(token.clone());
                }
                Ok(StaffState::TimedOut) => visitor.timed_out = true,
                Ok(StaffState::Unknown) => {}
                Err(e) => Deferred::internal(&mut req, e.into()),
            }
        }
        req.set_data(SessionSecrets {
            resolved: visitor.session.clone(),
            cookie,
        });
        let staff = visitor.member.as_ref().map(|m| {
            context! {
                name => m.name.clone(),
                email => m.email.to_string(),
                platform_admin => m.platform_admin,
            }
        });
        req.set_data(FrameExtras(context! { staff => staff }));
        req.set_data(visitor);
        self.ep.call(req).await
    }
}
