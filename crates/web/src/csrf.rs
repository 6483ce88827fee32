//! The CSRF token every form carries, bound to who is visiting, and the one check of it for
//! every unsafe request to a page.
//!
//! The token is derived from a secret the browser holds in an HttpOnly cookie: the login
//! session's token once the resident is logged in, before that the token of the anonymous visit
//! (`pp_visit`, set on the first page). The derivation ([`Token::derive`]) is one-way, so a page
//! that shows the token shows nothing of the session, and nobody without the session can make
//! the token: a cookie planted by a sibling host or a plain-http page, with a field to match,
//! does not pass, because the token is not compared with a cookie but derived from the session.
//! Over HTTPS every cookie of the login goes by a `__Host-` name, which browsers accept only from
//! this very host over a secure connection.
//!
//! A front end mounts both on every route that takes forms ([`crate::kind::RouteKind::takes_forms`]):
//! [`IssueCsrf`] gives each request its [`CsrfToken`] (after the front end's login has put its
//! [`SessionSecrets`] on the request); [`CheckCsrf`] refuses, with 403 and before any handler
//! runs, a POST, PUT, PATCH or DELETE whose `csrf` form field (or `X-CSRF-Token` header) is not
//! that token. The JSON API takes no cookies, only `Authorization: Bearer`, so it needs no token.

use crate::cookies::{self, append_cookie};
use crate::error::AppError;
use crate::inputs::{form_pairs, is_form};
use crate::state::WebState;
use parkportal_domain::Token;
use poem::http::Method;
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// The cookie of the anonymous visit the token is bound to before a login.
pub const VISIT_COOKIE: &str = "pp_visit";
/// The form field that carries the token.
pub const FIELD: &str = "csrf";
/// The header that may carry the token instead, for scripts.
pub const HEADER: &str = "x-csrf-token";
/// What the token is derived for, so that it never equals another value derived from a session.
const PURPOSE: &str = "csrf";

/// The token the request's forms carry.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The secrets of a front end's login that tokens are bound to, put on the request by its
/// authentication: the session the request resolved to, and the one its cookie names even when
/// that has timed out (so that a form sent after the time-out reaches its handler, which leads
/// to the login page).
#[derive(Debug, Clone, Default)]
pub struct SessionSecrets {
    /// The live session the request resolved to (a remember-me login makes a new one).
    pub resolved: Option<Token>,
    /// The session the request's cookie names.
    pub cookie: Option<Token>,
}

/// A token the check also accepts: that of the session the request's cookie names, when the
/// request resolved to another (a remember-me login after the idle time-out replaces it while
/// the form, made before, still carries the old one). Only the cookie's holder can know it.
#[derive(Debug, Clone)]
struct CookieSessionToken(CsrfToken);

impl CsrfToken {
    /// The token bound to `secret` (a session's or a visit's token).
    pub fn bound_to(secret: &Token) -> Self {
        Self(secret.derive(PURPOSE))
    }

    /// Whether a submitted token matches, compared in constant time.
    pub fn matches(&self, submitted: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), submitted.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The middleware that gives every request to a route that takes forms its [`CsrfToken`].
pub struct IssueCsrf;

impl<E: Endpoint> Middleware<E> for IssueCsrf {
    type Output = IssueCsrfEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        IssueCsrfEndpoint { ep }
    }
}

/// The endpoint [`IssueCsrf`] wraps around a route.
pub struct IssueCsrfEndpoint<E> {
    ep: E,
}

impl<E: Endpoint> Endpoint for IssueCsrfEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        // The session the request resolved to (a remember-me login makes a new one), else the
        // session cookie even when it has timed out, so that a form sent after the time-out
        // reaches its handler and leads to the login page; else the visit.
        let secure = req
            .data::<WebState>()
            .is_some_and(|web| web.settings().secure_cookies());
        let secrets = req.data::<SessionSecrets>().cloned().unwrap_or_default();
        let cookie_session = secrets.cookie;
        let session = secrets.resolved.or_else(|| cookie_session.clone());
        if let Some(cookie_session) = cookie_session
            && Some(&cookie_session) != session.as_ref()
        {
            req.set_data(CookieSessionToken(CsrfToken::bound_to(&cookie_session)));
        }
        let visit = cookies::get_login(&req, VISIT_COOKIE, secure).and_then(|v| Token::parse(&v));
        let (secret, fresh_visit) = match (session, visit) {
            (Some(session), _) => (session, false),
            (None, Some(visit)) => (visit, false),
            (None, None) => (Token::generate().map_err(AppError::internal)?, true),
        };
        req.set_data(CsrfToken::bound_to(&secret));
        let mut resp = self.ep.call(req).await?.into_response();
        if fresh_visit {
            let cookie = cookies::login_cookie(VISIT_COOKIE, secret.expose(), None, secure);
            append_cookie(&mut resp, &cookie);
        }
        Ok(resp)
    }
}

/// The middleware that refuses an unsafe request to a route that takes forms without the right
/// token. It reads a
/// form body, so it belongs behind [`crate::inputs::InputGuard`], which limits it.
pub struct CheckCsrf;

impl<E: Endpoint> Middleware<E> for CheckCsrf {
    type Output = CheckCsrfEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CheckCsrfEndpoint { ep }
    }
}

/// The endpoint [`CheckCsrf`] wraps around the routes.
pub struct CheckCsrfEndpoint<E> {
    ep: E,
}

/// The token a request submits: its header, or the `csrf` field of its form body (which is put
/// back for the handler).
async fn submitted(req: &mut Request) -> Result<Option<String>, AppError> {
    if let Some(value) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(Some(value.to_owned()));
    }
    let multipart = crate::multipart::boundary(req);
    if !is_form(req) && multipart.is_none() {
        return Ok(None);
    }
    let body = req
        .take_body()
        .into_bytes()
        .await
        .map_err(|_| AppError::BadRequest)?;
    // A form with a file input comes as multipart: its `csrf` part is the field.
    let field = match &multipart {
        Some(boundary) => crate::multipart::parts(&body, boundary)
            .map_err(|_| AppError::BadRequest)?
            .into_iter()
            .find(|p| p.name == FIELD && p.filename.is_none())
            .map(|p| p.text())
            .transpose()
            .map_err(|_| AppError::BadRequest)?,
        None => form_pairs(&body)
            .map_err(|_| AppError::BadRequest)?
            .into_iter()
            .find(|(name, _)| name == FIELD)
            .map(|(_, value)| value),
    };
    req.set_body(Body::from(body));
    Ok(field)
}

impl<E: Endpoint> Endpoint for CheckCsrfEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let safe = matches!(
            *req.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        if !safe {
            let expected = req.data::<CsrfToken>().cloned();
            let previous = req.data::<CookieSessionToken>().map(|t| t.0.clone());
            let submitted = submitted(&mut req).await?;
            let valid = submitted.is_some_and(|submitted| {
                [expected, previous]
                    .iter()
                    .flatten()
                    .any(|token| token.matches(&submitted))
            });
            if !valid {
                // The method only: a path can hold a reset or coupling link's token.
                tracing::info!(method = %req.method(), "refused a form without its CSRF token");
                return Err(AppError::Forbidden.into());
            }
        }
        Ok(self.ep.call(req).await?.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        let t = CsrfToken("abc".into());
        assert!(t.matches("abc"));
        assert!(!t.matches("abd"));
        assert!(!t.matches("ab"));
        assert!(!t.matches(""));
    }

    #[test]
    fn a_token_is_bound_to_its_secret() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        let token = CsrfToken::bound_to(&a);
        assert!(token.matches(&CsrfToken::bound_to(&a).0));
        assert!(!token.matches(&CsrfToken::bound_to(&b).0));
        assert!(!token.matches(a.expose()), "the token is not the secret");
    }
}
