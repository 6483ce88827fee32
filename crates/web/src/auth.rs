//! Who is visiting: the session cookie, resolved through the accounts use case (with its idle
//! time-out), or a remember-me cookie that starts a new session. The cookies of the login go by
//! `__Host-` names over HTTPS ([`cookies::host_only`]); the CSRF token is in [`crate::csrf`].

use crate::cookies;
use crate::state::AppState;
use parkportal_domain::accounts::SessionState;
use parkportal_domain::{Account, Token};
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

/// Who is visiting, resolved once per request by [`Authenticate`].
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

/// The network address a request came from, for the limits on guessing: the peer, or the
/// right-most address of the configured proxy header.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

/// The middleware that resolves the [`Visitor`] (session cookie, `Authorization: Bearer`, or a
/// remember-me cookie that starts a new session) and the [`ClientAddress`].
pub struct Authenticate {
    state: AppState,
}

impl Authenticate {
    /// On `state`'s accounts.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<E: Endpoint> Middleware<E> for Authenticate {
    type Output = AuthenticateEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        AuthenticateEndpoint {
            ep,
            state: self.state.clone(),
        }
    }
}

/// The endpoint [`Authenticate`] wraps around the routes.
pub struct AuthenticateEndpoint<E> {
    ep: E,
    state: AppState,
}

fn bearer(req: &Request) -> Option<Token> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    Token::parse(token)
}

fn client_address(req: &Request, proxy_header: Option<&str>) -> String {
    if let Some(name) = proxy_header
        && let Some(value) = req.headers().get(name).and_then(|v| v.to_str().ok())
        && let Some(last) = value.rsplit(',').map(str::trim).find(|s| !s.is_empty())
    {
        return last.to_owned();
    }
    req.remote_addr()
        .as_socket_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

impl<E: Endpoint> AuthenticateEndpoint<E> {
    /// The visitor and the cookies to set for them (a rotated remember-me token, a new session).
    async fn resolve(&self, req: &Request) -> Result<(Visitor, Vec<String>), crate::AppError> {
        let accounts = self.state.accounts();
        let mut visitor = Visitor::default();
        let from_bearer = bearer(req);
        let secure = self.state.settings().secure_cookies();
        let token = from_bearer.clone().or_else(|| session_token(req, secure));
        if let Some(token) = token {
            match accounts.resume(&token).await? {
                SessionState::Active(account) => {
                    visitor.account = Some(account);
                    visitor.session = Some(token);
                    visitor.bearer = from_bearer.is_some();
                    return Ok((visitor, Vec::new()));
                }
                SessionState::TimedOut => visitor.timed_out = true,
                SessionState::Unknown => {}
            }
        }
        // Files and the API never start a session from a remember-me token: only pages do, so
        // that a page's stylesheet and logo cannot race it for the rotation.
        let path = req.uri().path();
        if from_bearer.is_some()
            || path.contains("/api/")
            || path.ends_with("/theme.css")
            || path.ends_with("/logo")
        {
            return Ok((visitor, Vec::new()));
        }
        let Some(remembered) =
            cookies::get_login(req, REMEMBER_COOKIE, secure).and_then(|v| Token::parse(&v))
        else {
            return Ok((visitor, Vec::new()));
        };
        match accounts
            .resume_remembered(&remembered)
            .await
            .map_err(crate::AppError::internal)?
        {
            Some((signed_in, next)) => {
                // A replay within the grace gets the very cookies the exchange set, so whichever
                // of a page's parallel answers arrives last leaves the device the same login.
                let mut cookies = vec![
                    session_cookie(&signed_in.token, secure),
                    remember_cookie(&next, accounts.settings().remember_me, secure),
                ];
                // An automatic login applies the saved language and contrast like a typed one.
                let saved = self
                    .state
                    .account_settings()
                    .of(&signed_in.account)
                    .await
                    .map_err(crate::AppError::internal)?;
                cookies.extend(crate::prefs::saved_cookies(&saved, secure));
                // A silent new session: the time-out is not news to the resident.
                Ok((
                    Visitor {
                        account: Some(signed_in.account),
                        session: Some(signed_in.token),
                        timed_out: false,
                        bearer: false,
                    },
                    cookies,
                ))
            }
            None => Ok((visitor, vec![clear_cookie(REMEMBER_COOKIE, secure)])),
        }
    }
}

impl<E: Endpoint> Endpoint for AuthenticateEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let path = req.uri().path();
        if path.starts_with("/static/") || matches!(path, "/healthz" | "/readyz" | "/metrics") {
            return Ok(self.ep.call(req).await?.into_response());
        }
        let proxy = self.state.settings().client_ip_header.clone();
        req.set_data(ClientAddress(client_address(&req, proxy.as_deref())));
        let (visitor, cookies) = self.resolve(&req).await?;
        req.set_data(visitor);
        let mut resp = self.ep.call(req).await?.into_response();
        for cookie in cookies {
            append_cookie(&mut resp, &cookie);
        }
        Ok(resp)
    }
}

/// A `Set-Cookie` value for a session token: no `Max-Age`, so it ends with the browser; the
/// server's idle time-out ends it sooner.
pub fn session_cookie(token: &Token, secure: bool) -> String {
    cookies::login_cookie(SESSION_COOKIE, token.expose(), None, secure)
}

/// A `Set-Cookie` value that removes the login cookie `name` (under its `__Host-` name over
/// HTTPS).
pub fn clear_cookie(name: &str, secure: bool) -> String {
    cookies::login_cookie(name, "", Some(0), secure)
}

/// Adds a `Set-Cookie` header to `resp`. Every cookie value here is made of safe characters, so
/// a value that is no valid header cannot occur; it would be dropped rather than sent broken.
pub fn append_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(value) = cookie.parse() {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The session token the request's cookie carries, if it looks like one of ours. Over HTTPS
/// only the `__Host-` cookie counts.
pub fn session_token(req: &Request, secure: bool) -> Option<Token> {
    cookies::get_login(req, SESSION_COOKIE, secure).and_then(|v| Token::parse(&v))
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
