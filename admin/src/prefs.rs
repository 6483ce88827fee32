//! The console's language switch: a link (no JavaScript needed) that keeps the choice in the
//! shared language cookie and returns to the console page the visitor came from.

use crate::page::{ConsolePage, see_other};
use parkportal_domain::Language;
use parkportal_web::AppError;
use parkportal_web::cookies::{self, append_cookie};
use parkportal_web::prefs::LANGUAGE_COOKIE;
use poem::web::Query;
use poem::{Response, handler};
use serde::Deserialize;

/// The query of the switch.
#[derive(Debug, Deserialize)]
pub struct Switch {
    lang: Option<String>,
    /// Where to go back to: a console path.
    terug: Option<String>,
}

/// A console path to return to, or the console's home: never another origin.
fn return_path(terug: Option<&str>) -> String {
    match terug {
        Some(p)
            if (p == "/beheer" || p.starts_with("/beheer/"))
                && !p
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            p.to_owned()
        }
        _ => "/beheer".to_owned(),
    }
}

/// `GET /beheer/taal?lang=en&terug=/beheer/dijkstad`.
#[handler]
pub fn language(page: ConsolePage, Query(q): Query<Switch>) -> Result<Response, AppError> {
    let lang = q
        .lang
        .as_deref()
        .and_then(|l| Language::parse(l).ok())
        .ok_or(AppError::BadRequest)?;
    let mut resp = see_other(&return_path(q.terug.as_deref()));
    let cookie = cookies::preference(LANGUAGE_COOKIE, lang.code(), page.console.secure());
    append_cookie(&mut resp, &cookie);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::return_path;

    #[test]
    fn only_console_paths_are_returned_to() {
        assert_eq!(return_path(Some("/beheer/dijkstad")), "/beheer/dijkstad");
        for p in [
            "//evil.example",
            "/producten",
            "/beheer\\x",
            "https://x",
            "/beheerx",
        ] {
            assert_eq!(return_path(Some(p)), "/beheer", "{p}");
        }
    }
}
