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
}
