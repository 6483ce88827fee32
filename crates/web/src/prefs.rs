//! Language and contrast preferences: from the account once accounts exist, then a cookie, then
//! (for the language) the browser's Accept-Language, then the gemeente's default.

use crate::cookies;
use parkportal_domain::Language;
pub use parkportal_domain::settings::Contrast;
use poem::Request;

/// Cookie that keeps the chosen language.
pub const LANGUAGE_COOKIE: &str = "pp_lang";
/// Cookie that keeps the chosen contrast scheme.
pub const CONTRAST_COOKIE: &str = "pp_contrast";

/// The preference cookies that make a device show the language and contrast saved in
/// "Instellingen" (set at every login, also an automatic one, and at [Bewaar]).
pub fn saved_cookies(
    settings: &parkportal_domain::settings::AccountSettings,
    secure: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(language) = settings.language {
        out.push(cookies::preference(
            LANGUAGE_COOKIE,
            language.code(),
            secure,
        ));
    }
    if let Some(contrast) = settings.contrast {
        out.push(cookies::preference(
            CONTRAST_COOKIE,
            contrast.as_str(),
            secure,
        ));
    }
    out
}

/// The preferences that apply to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefs {
    /// The language of the page.
    pub language: Language,
    /// The contrast scheme.
    pub contrast: Contrast,
}

impl Prefs {
    /// Reads the preferences of a request; `default_language` is the gemeente's.
    pub fn of(req: &Request, default_language: Language) -> Self {
        let language = cookies::get(req, LANGUAGE_COOKIE)
            .and_then(|v| Language::parse(&v).ok())
            .or_else(|| {
                req.headers()
                    .get(poem::http::header::ACCEPT_LANGUAGE)
                    .and_then(|h| h.to_str().ok())
                    .and_then(from_accept_language)
            })
            .unwrap_or(default_language);
        let contrast = cookies::get(req, CONTRAST_COOKIE)
            .and_then(|v| Contrast::parse(&v))
            .unwrap_or_default();
        Self { language, contrast }
    }
}

/// The supported language the browser prefers most, by q-value (RFC 9110 §12.5.4).
pub fn from_accept_language(header: &str) -> Option<Language> {
    let mut best: Option<(f32, Language)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or_default().trim();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Ok(lang) = Language::parse(tag)
            && q > 0.0
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_weighed() {
        assert_eq!(
            from_accept_language("de-DE,en;q=0.8,nl;q=0.9"),
            Some(Language::Nl)
        );
        assert_eq!(from_accept_language("en-GB,en;q=0.9"), Some(Language::En));
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(from_accept_language("nl;q=0"), None);
    }

    #[test]
    fn a_cookie_beats_the_browser_and_the_gemeente() {
        let req = Request::builder()
            .header("cookie", "pp_lang=en; pp_contrast=dark")
            .header("accept-language", "nl")
            .finish();
        assert_eq!(
            Prefs::of(&req, Language::Nl),
            Prefs {
                language: Language::En,
                contrast: Contrast::Dark
            }
        );
        let bare = Request::builder().finish();
        assert_eq!(Prefs::of(&bare, Language::En).language, Language::En);
        let junk = Request::builder()
            .header("cookie", "pp_contrast=neon")
            .finish();
        assert_eq!(Prefs::of(&junk, Language::Nl).contrast, Contrast::Theme);
    }
}
