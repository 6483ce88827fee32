//! Who is visiting: the session cookie, resolved through the accounts use case (with its idle
//! time-out), and the CSRF token every form carries.
//!
//! CSRF works as a double submit: a random `pp_csrf` cookie (HttpOnly, SameSite=Lax) is set on the
//! first visit, every form repeats it in a hidden field, and a POST is accepted only when both
//! match. Another site can make a browser send the cookie, but cannot read it to fill the field.

use crate::cookies;
use crate::state::AppState;
use parkportal_domain::Token;
use poem::http::header;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// The cookie that holds the login session's token.
pub const SESSION_COOKIE: &str = "pp_session";
/// The cookie that holds the CSRF token.
pub const CSRF_COOKIE: &str = "pp_csrf";

/// A `Set-Cookie` value for a session token: no `Max-Age`, so it ends with the browser; the
/// server's idle time-out ends it sooner.
pub fn session_cookie(token: &Token, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={}; Path=/; SameSite=Lax; HttpOnly{secure}",
        token.expose()
    )
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear_cookie(name: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly{secure}")
}

/// Adds a `Set-Cookie` header to `resp`. Every cookie value here is made of safe characters, so
/// a value that is no valid header cannot occur; it would be dropped rather than sent broken.
pub fn append_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(value) = cookie.parse() {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The session token the request carries, if it looks like one of ours.
pub fn session_token(req: &Request) -> Option<Token> {
    cookies::get(req, SESSION_COOKIE).and_then(|v| Token::parse(&v))
}

/// The request's CSRF token: from its cookie, or fresh (then the response sets the cookie).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl CsrfToken {
    /// Whether a submitted form field matches, compared in constant time.
    pub fn matches(&self, submitted: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), submitted.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The middleware that gives every request a [`CsrfToken`].
pub struct Csrf {
    state: AppState,
}

impl Csrf {
    /// The middleware; `state` says whether cookies must be `Secure`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<E: Endpoint> Middleware<E> for Csrf {
    type Output = CsrfEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CsrfEndpoint {
            ep,
            secure: self.state.settings().secure_cookies(),
        }
    }
}

/// The endpoint [`Csrf`] wraps around the routes.
pub struct CsrfEndpoint<E> {
    ep: E,
    secure: bool,
}

impl<E: Endpoint> Endpoint for CsrfEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let path = req.uri().path();
        if path.starts_with("/static/")
            || path.starts_with("/api/")
            || path.contains("/api/")
            || matches!(path, "/healthz" | "/readyz" | "/metrics")
        {
            return Ok(self.ep.call(req).await?.into_response());
        }
        let existing = cookies::get(&req, CSRF_COOKIE).and_then(|v| Token::parse(&v));
        let (token, fresh) = match existing {
            Some(t) => (t, false),
            None => match Token::generate() {
                Ok(t) => (t, true),
                Err(e) => return Err(crate::AppError::internal(e).into()),
            },
        };
        req.set_data(CsrfToken(token.expose().to_owned()));
        let mut resp = self.ep.call(req).await?.into_response();
        if fresh {
            let secure = if self.secure { "; Secure" } else { "" };
            let cookie = format!(
                "{CSRF_COOKIE}={}; Path=/; SameSite=Lax; HttpOnly{secure}",
                token.expose()
            );
            append_cookie(&mut resp, &cookie);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_compare_exactly() {
        let t = CsrfToken("abc".into());
        assert!(t.matches("abc"));
        assert!(!t.matches("abd"));
        assert!(!t.matches("ab"));
        assert!(!t.matches(""));
    }

    #[test]
    fn session_cookies_are_http_only_and_lax() {
        let token = Token::generate().unwrap();
        let c = session_cookie(&token, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.ends_with("Secure"));
        assert!(!session_cookie(&token, false).contains("Secure"));
        assert!(clear_cookie(SESSION_COOKIE, false).contains("Max-Age=0"));
    }
}
