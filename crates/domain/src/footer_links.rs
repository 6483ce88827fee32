//! The gemeente's own pages a resident may need from every page of the portal: its privacy
//! statement, its contact page and its toegankelijkheidsverklaring (accessibility statement),
//! linked from the footer.

use crate::ParseError;
use crate::tenant::Hostname;

/// The longest link accepted.
pub const LINK_MAX: usize = 300;

/// An absolute `http(s)://` address of a page elsewhere (a query and fragment allowed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebLink(String);

impl WebLink {
    /// Parses an `http://` or `https://` address with a host name, at most [`LINK_MAX`]
    /// characters, without white space, quotes, angle brackets or backslashes.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
        let ok = s.len() <= LINK_MAX
            && host.is_some_and(|h| !h.contains('@') && Hostname::parse(h).is_ok())
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(c));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::new(
                "link",
                format!(
                    "{s:?} must be an http:// or https:// address of at most {LINK_MAX} characters"
                ),
            ))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of an optional link, as files and rows keep it.
pub fn link_text(link: &Option<WebLink>) -> Option<String> {
    link.as_ref().map(|l| l.as_str().to_owned())
}

/// The footer's links; each may be absent (the footer then leaves it out).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FooterLinks {
    /// The privacy statement.
    pub privacy: Option<WebLink>,
    /// The contact page.
    pub contact: Option<WebLink>,
    /// The toegankelijkheidsverklaring.
    pub accessibility: Option<WebLink>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_web_addresses_that_stay_attributes() {
        let ok = WebLink::parse(" https://www.dijkstad.example/privacy?p=parkeren#a ").unwrap();
        assert_eq!(
            ok.as_str(),
            "https://www.dijkstad.example/privacy?p=parkeren#a"
        );
        for bad in [
            "javascript:alert(1)",
            "www.dijkstad.example",
            "https://",
            "https://a b.nl",
            "https://x.nl/\"onmouseover=1",
            "https://user@evil.example/",
            "ftp://x.nl",
        ] {
            assert!(WebLink::parse(bad).is_err(), "{bad}");
        }
        assert!(WebLink::parse(&format!("https://x.nl/{}", "a".repeat(LINK_MAX))).is_err());
    }
}
