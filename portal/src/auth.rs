//! Who is visiting the portal: the resident's session cookie or `Authorization: Bearer`,
//! resolved through the accounts use case (with its idle time-out) for the whole portal
//! ([`Authenticate`]), and the remember-me cookie, which starts a new session only on routes that
//! take forms ([`Remembered`]): a page's stylesheet, logo or API call never races the page for
//! the rotation. The cookies of the login go by `__Host-` names over HTTPS
//! ([`cookies::host_only`]); the CSRF token is the web kit's.

use crate::state::Portal;
use minijinja::context;
use parkportal_domain::accounts::SessionState;
use parkportal_domain::{Account, Token};
use parkportal_web::AppError;
use parkportal_web::cookies;
pub(crate) use parkportal_web::cookies::{append_cookie, clear_login as clear_cookie};
use parkportal_web::csrf::SessionSecrets;
use parkportal_web::kind::Deferred;
use parkportal_web::page::FrameExtras;
use poem::http::header;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// The cookie that holds the login session's token.
pub const SESSION_COOKIE: &str = "pp_session";
/// The cookie that holds the remember-me token ([Onthoud mij]).
pub const REMEMBER_COOKIE: &str = "pp_remember";

/// A `Set-Cookie` value for a remember-me token, kept for `max_age`.
pub fn remember_cookie(token: &Token, max_age: chrono::Duration, secure: bool) -> String {
    cookies::login_cookie(
        REMEMBER_COOKIE,
        token.expose(),
        Some(max_age.num_seconds()),
        secure,
    )
}

/// A `Set-Cookie` value for a session token: no `Max-Age`, so it ends with the browser; the
/// server's idle time-out ends it sooner.
pub fn session_cookie(token: &Token, secure: bool) -> String {
    cookies::login_cookie(SESSION_COOKIE, token.expose(), None, secure)
}

/// The session token the request's cookie carries, if it looks like one of ours. Over HTTPS
/// only the `__Host-` cookie counts.
pub fn session_token(req: &Request, secure: bool) -> Option<Token> {
    cookies::get_login(req, SESSION_COOKIE, secure).and_then(|v| Token::parse(&v))
}

/// Who is visiting, resolved once per request by [`Authenticate`] (and [`Remembered`]).
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// The logged-in resident, if any.
    pub account: Option<Account>,
    /// The session token the request used (cookie or bearer), if it is a live session.
    pub session: Option<Token>,
    /// Whether the request's session just ended through the idle time-out.
    pub timed_out: bool,
    /// Whether the session came as `Authorization: Bearer` (the JSON API accepts only that).
    pub bearer: bool,
}

fn bearer(req: &Request) -> Option<Token> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    Token::parse(token)
}

/// Puts `visitor` on `req` with what follows from it: the secrets of its CSRF token and the
/// portal's values of the page frame.
fn settle(req: &mut Request, portal: &Portal, visitor: Visitor, cookie: Option<Token>) {
    req.set_data(SessionSecrets {
        resolved: visitor.session.clone(),
        cookie,
    });
    req.set_data(FrameExtras(context! {
        account_email => visitor.account.as_ref().map(|a| a.email.to_string()),
        demo_outbox => portal.demo_outbox().is_some(),
        payments_simulated => portal.top_ups().simulated(),
    }));
    req.set_data(visitor);
}

/// The middleware around the portal's routes that resolves the [`Visitor`] from the session
/// cookie or `Authorization: Bearer`. A failure to look the session up is answered by the route
/// in its kind.
pub struct Authenticate {
    portal: Portal,
}

impl Authenticate {
    /// On `portal`'s accounts.
    pub fn new(portal: Portal) -> Self {
        Self { portal }
    }
}

impl<E: Endpoint> Middleware<E> for Authenticate {
    type Output = AuthenticateEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        AuthenticateEndpoint {
            ep,
            portal: self.portal.clone(),
        }
    }
}

/// The endpoint [`Authenticate`] wraps around the routes.
pub struct AuthenticateEndpoint<E> {
    ep: E,
    portal: Portal,
}

impl<E: Endpoint> Endpoint for AuthenticateEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let secure = self.portal.settings().secure_cookies();
        let from_bearer = bearer(&req);
        let cookie = session_token(&req, secure);
        let mut visitor = Visitor::default();
        if let Some(token) = from_bearer.clone().or_else(|| cookie.clone()) {
            match self.portal.accounts().resume(&token).await {
                Ok(SessionState::Active(account)) => {
                    visitor.account = Some(account);
                    visitor.session = Some(token);
                    visitor.bearer = from_bearer.is_some();
                }
                Ok(SessionState::TimedOut) => visitor.timed_out = true,
                Ok(SessionState::Unknown) => {}
                Err(e) => Deferred::internal(&mut req, e.into()),
            }
        }
        settle(&mut req, &self.portal, visitor, cookie);
        self.ep.call(req).await
    }
}

/// The middleware on the portal's routes that take forms: a visitor without a live session whose
/// browser holds a remember-me cookie gets a new session ([Onthoud mij]).
pub struct Remembered;

impl<E: Endpoint> Middleware<E> for Remembered {
    type Output = RememberedEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RememberedEndpoint { ep }
    }
}

/// The endpoint [`Remembered`] wraps around a route.
pub struct RememberedEndpoint<E> {
    ep: E,
}

impl<E: Endpoint> RememberedEndpoint<E> {
    /// The new session of a remembered device, with the cookies to set for it, or the cookie
    /// to clear when the token is no longer any good.
    async fn exchange(
        portal: &Portal,
        remembered: &Token,
    ) -> Result<(Option<Visitor>, Vec<String>), AppError> {
        let accounts = portal.accounts();
        let secure = portal.settings().secure_cookies();
        let Some((signed_in, next)) = accounts
            .resume_remembered(remembered)
            .await
            .map_err(AppError::internal)?
        else {
            return Ok((None, vec![clear_cookie(REMEMBER_COOKIE, secure)]));
        };
        // A replay within the grace gets the very cookies the exchange set, so whichever of a
        // page's parallel answers arrives last leaves the device the same login.
        let mut cookies = vec![
            session_cookie(&signed_in.token, secure),
            remember_cookie(&next, accounts.settings().remember_me, secure),
        ];
        // An automatic login applies the saved language and contrast like a typed one.
        let saved = portal
            .account_settings()
            .of(&signed_in.account)
            .await
            .map_err(AppError::internal)?;
        cookies.extend(parkportal_web::prefs::saved_cookies(&saved, secure));
        // A silent new session: the time-out is not news to the resident.
        let visitor = Visitor {
            account: Some(signed_in.account),
            session: Some(signed_in.token),
            timed_out: false,
            bearer: false,
        };
        Ok((Some(visitor), cookies))
    }
}

impl<E: Endpoint> Endpoint for RememberedEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        // A request already failed (an unknown gemeente, a session that could not be read)
        // changes nothing: its route answers the failure.
        let failed = req.data::<Deferred>().is_some();
        let live = failed || req.data::<Visitor>().is_some_and(|v| v.account.is_some());
        let portal = req.data::<Portal>().cloned();
        let (Some(portal), false, None) = (portal, live, bearer(&req)) else {
            return Ok(self.ep.call(req).await?.into_response());
        };
        let secure = portal.settings().secure_cookies();
        let Some(remembered) =
            cookies::get_login(&req, REMEMBER_COOKIE, secure).and_then(|v| Token::parse(&v))
        else {
            return Ok(self.ep.call(req).await?.into_response());
        };
        let cookies = match Self::exchange(&portal, &remembered).await {
            Ok((visitor, cookies)) => {
                if let Some(visitor) = visitor {
                    let cookie = session_token(&req, secure);
                    settle(&mut req, &portal, visitor, cookie);
                }
                cookies
            }
            Err(e) => {
                Deferred::internal(&mut req, e);
                Vec::new()
            }
        };
        let mut resp = self.ep.call(req).await?.into_response();
        for cookie in cookies {
            append_cookie(&mut resp, &cookie);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookies_are_http_only_and_lax() {
        let token = Token::generate().unwrap();
        let c = session_cookie(&token, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.ends_with("Secure"));
        assert!(c.starts_with("__Host-pp_session="));
        assert!(!session_cookie(&token, false).contains("Secure"));
        assert!(clear_cookie(SESSION_COOKIE, false).contains("Max-Age=0"));
        assert!(clear_cookie(SESSION_COOKIE, true).starts_with("__Host-pp_session=;"));
    }
}
