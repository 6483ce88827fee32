//! Choosing the language and the contrast scheme: links (no JavaScript needed) that keep the
//! choice in a cookie and return to the page the visitor came from.

use crate::state::Portal;
use parkportal_domain::Language;
use parkportal_web::cookies;
use parkportal_web::prefs::{CONTRAST_COOKIE, LANGUAGE_COOKIE};
use parkportal_web::{AppError, Contrast, Site};
use poem::http::{StatusCode, header};
use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The query of both switches.
#[derive(Debug, Deserialize)]
pub struct Switch {
    lang: Option<String>,
    scheme: Option<String>,
    /// Where to go back to: a path on this site.
    terug: Option<String>,
}

/// A local path to return to, or the site's home: never another origin (no open redirect).
pub(crate) fn return_path(site: &Site, terug: Option<&str>) -> String {
    match terug {
        // Browsers drop tabs and newlines and read a backslash as a slash, so "/\t/evil" or
        // "/\\evil" would leave the site: refuse every control character, space and backslash.
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            p.to_owned()
        }
        _ => site.link("/"),
    }
}

fn back_with_cookie(site: &Site, terug: Option<&str>, cookie: String) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, return_path(site, terug))
        .header(header::SET_COOKIE, cookie)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
        .into_response()
}

/// `GET /taal?lang=en&terug=/over`: switches the language.
#[handler]
pub fn language(
    Data(state): Data<&Portal>,
    Data(site): Data<&Site>,
    Query(q): Query<Switch>,
) -> Result<Response, AppError> {
    let lang = q
        .lang
        .as_deref()
        .and_then(|l| Language::parse(l).ok())
        .ok_or(AppError::BadRequest)?;
    let cookie = cookies::preference(
        LANGUAGE_COOKIE,
        lang.code(),
        state.settings().secure_cookies(),
    );
    Ok(back_with_cookie(site, q.terug.as_deref(), cookie))
}

/// `GET /contrast?scheme=dark&terug=/over`: switches the contrast scheme.
#[handler]
pub fn contrast(
    Data(state): Data<&Portal>,
    Data(site): Data<&Site>,
    Query(q): Query<Switch>,
) -> Result<Response, AppError> {
    let scheme = q
        .scheme
        .as_deref()
        .and_then(Contrast::parse)
        .ok_or(AppError::BadRequest)?;
    let cookie = cookies::preference(
        CONTRAST_COOKIE,
        scheme.as_str(),
        state.settings().secure_cookies(),
    );
    Ok(back_with_cookie(site, q.terug.as_deref(), cookie))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_only_to_local_paths() {
        let site = Site {
            tenant: None,
            base: "/g/dijkstad".into(),
        };
        assert_eq!(
            return_path(&site, Some("/g/dijkstad/over")),
            "/g/dijkstad/over"
        );
        assert_eq!(return_path(&site, Some("//evil.example/x")), "/g/dijkstad/");
        assert_eq!(
            return_path(&site, Some("https://evil.example/")),
            "/g/dijkstad/"
        );
        assert_eq!(return_path(&site, None), "/g/dijkstad/");
        for sneaky in [
            "/\t/evil.example",
            "/\\evil.example",
            "/\n/evil.example",
            "/ /evil.example",
        ] {
            assert_eq!(
                return_path(&site, Some(sneaky)),
                "/g/dijkstad/",
                "{sneaky:?}"
            );
        }
    }
}
