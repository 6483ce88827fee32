//! Reading and writing the few cookies the portal sets; the format is simple enough not to need a
//! cookie crate for it.

use poem::Request;

/// The value of cookie `name` in the request, if present.
pub fn get(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
}

/// A `Set-Cookie` value for a long-lived preference, readable only by the server, sent only to our
/// own site, and `Secure` when the platform is served over HTTPS.
pub fn preference(name: &str, value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}")
}

/// The name a cookie of the login goes by (session, remember-me, the visit the CSRF token is
/// bound to): `__Host-{base}` when the platform is served over HTTPS, so that browsers take it
/// only from this very host over a secure connection and a sibling host or a plain-http page
/// cannot plant one; plain `base` otherwise.
pub fn host_only(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// A `Set-Cookie` value for a cookie of the login: under [`host_only`]'s name, for the whole
/// site, never readable by scripts, not sent along by other sites' forms, kept for `max_age`
/// seconds or (without) until the browser closes.
pub fn login_cookie(base: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let name = host_only(base, secure);
    let max_age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/{max_age}; SameSite=Lax; HttpOnly{secure}")
}

/// The value of the login cookie `base` (under [`host_only`]'s name), if present.
pub fn get_login(req: &Request, base: &str, secure: bool) -> Option<String> {
    get(req, &host_only(base, secure))
}

/// A `Set-Cookie` value that removes the login cookie `name` (under its `__Host-` name over
/// HTTPS).
pub fn clear_login(name: &str, secure: bool) -> String {
    login_cookie(name, "", Some(0), secure)
}

/// The name a cookie kept under a path goes by: `__Secure-{base}` over HTTPS (a `__Host-`
/// cookie must be for the whole site), plain `base` otherwise.
pub fn secure_only(base: &str, secure: bool) -> String {
    if secure {
        format!("__Secure-{base}")
    } else {
        base.to_owned()
    }
}

/// A `Set-Cookie` value for a login cookie of one part of the site (the staff console's, under
/// `/beheer`): under [`secure_only`]'s name, sent only below `path`, never along with a request
/// another site started (`SameSite=Strict`), never readable by scripts, until the browser closes
/// (or gone, with `clear`).
pub fn scoped_cookie(base: &str, value: &str, path: &str, clear: bool, secure: bool) -> String {
    let name = secure_only(base, secure);
    let max_age = if clear { "; Max-Age=0" } else { "" };
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}{max_age}; SameSite=Strict; HttpOnly{secure}")
}

/// Adds a `Set-Cookie` header to `resp`. Every cookie value here is made of safe characters, so
/// a value that is no valid header cannot occur; it would be dropped rather than sent broken.
pub fn append_cookie(resp: &mut poem::Response, cookie: &str) {
    if let Ok(value) = cookie.parse() {
        resp.headers_mut()
            .append(poem::http::header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_others() {
        let req = Request::builder()
            .header("cookie", "a=1; pp_lang=en; b=\"2\"")
            .finish();
        assert_eq!(get(&req, "pp_lang").as_deref(), Some("en"));
        assert_eq!(get(&req, "b").as_deref(), Some("2"));
        assert_eq!(get(&req, "c"), None);
        assert!(preference("pp_lang", "en", true).ends_with("; Secure"));
    }

    #[test]
    fn scoped_cookies_are_strict_and_secure_prefixed_over_https() {
        assert_eq!(
            scoped_cookie("pp_staff", "abc", "/beheer", false, true),
            "__Secure-pp_staff=abc; Path=/beheer; SameSite=Strict; HttpOnly; Secure"
        );
        assert_eq!(
            scoped_cookie("pp_staff", "", "/beheer", true, false),
            "pp_staff=; Path=/beheer; Max-Age=0; SameSite=Strict; HttpOnly"
        );
    }

    #[test]
    fn login_cookies_are_host_only_over_https() {
        let c = login_cookie("pp_session", "abc", None, true);
        assert_eq!(
            c,
            "__Host-pp_session=abc; Path=/; SameSite=Lax; HttpOnly; Secure"
        );
        let c = login_cookie("pp_remember", "abc", Some(60), false);
        assert_eq!(
            c,
            "pp_remember=abc; Path=/; Max-Age=60; SameSite=Lax; HttpOnly"
        );
        let req = Request::builder()
            .header("cookie", "pp_session=planted; __Host-pp_session=real")
            .finish();
        assert_eq!(get_login(&req, "pp_session", true).as_deref(), Some("real"));
        assert_eq!(
            get_login(&req, "pp_session", false).as_deref(),
            Some("planted")
        );
    }
}
