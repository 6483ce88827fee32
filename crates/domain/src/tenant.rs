//! A gemeente (tenant) and the values it is made of. Every value here is parsed once at the edge
//! (file, form, database row) and is valid from then on.

use crate::ParseError;
use crate::ids::TenantId;
pub use crate::logo::Logo;
pub use crate::product_type::{BalanceUnit, PeriodicGrant, ProductKind, ProductTypeSpec};
use crate::theme::ThemeTokens;
use chrono_tz::Tz;
use std::fmt;

macro_rules! string_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                Self::parse(s)
            }
        }
    };
}

fn is_slug_like(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !s.starts_with(['-', '_'])
        && !s.ends_with(['-', '_'])
}

string_value!(
    /// The short name of a gemeente in paths: `/g/{slug}/`. Lower-case letters, digits and dashes.
    TenantSlug
);

/// Words the staff console's routes use where a gemeente's slug stands
/// (`/beheer/{gemeente}/...`): no gemeente may be called so.
pub const RESERVED_SLUGS: &[&str] = &[
    "platform",
    "inloggen",
    "uitloggen",
    "inschrijven",
    "tweede-factor",
    "account",
    "static",
    "taal",
    "api",
];

impl TenantSlug {
    /// Parses a slug: 2 to 40 of `a-z`, `0-9`, `-`, not starting or ending with a dash, and
    /// none of the [`RESERVED_SLUGS`].
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if RESERVED_SLUGS.contains(&s) {
            return Err(ParseError::new(
                "slug",
                format!("{s:?} is a word of the console's paths"),
            ));
        }
        if s.len() >= 2 && is_slug_like(s, 40) && !s.contains('_') {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::new(
                "slug",
                format!(
                    "{s:?} must be 2 to 40 characters of a-z, 0-9 and -, not starting or ending with -"
                ),
            ))
        }
    }
}

string_value!(
    /// The code of a zone or product type within its gemeente, e.g. `centrum` or `bezoekers`.
    Code
);

impl Code {
    /// Parses a code: 1 to 40 of `a-z`, `0-9`, `-`, `_`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if is_slug_like(s, 40) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::new(
                "code",
                format!("{s:?} must be 1 to 40 characters of a-z, 0-9, - and _"),
            ))
        }
    }
}

string_value!(
    /// The name of a theme folder under `themes/`.
    ThemeName
);

impl ThemeName {
    /// Parses a theme name (same alphabet as a code); `admin` is the staff console's own
    /// templates and never a gemeente's theme.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s == "admin" {
            return Err(ParseError::new(
                "theme",
                "\"admin\" is the console's own look, not a gemeente's theme",
            ));
        }
        if is_slug_like(s, 40) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::new(
                "theme",
                format!("{s:?} must be 1 to 40 characters of a-z, 0-9, - and _"),
            ))
        }
    }

    /// The complete theme every other theme falls back on.
    pub fn default_theme() -> Self {
        Self("default".to_owned())
    }
}

string_value!(
    /// A host name a gemeente is served on, lower case, without port.
    Hostname
);

impl Hostname {
    /// Parses a host name, lower-casing it and dropping a port (`Dijkstad.localhost:8080` becomes
    /// `dijkstad.localhost`).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let host = s.trim();
        let host = match host.rsplit_once(':') {
            Some((name, port))
                if port.bytes().all(|b| b.is_ascii_digit()) && !name.contains(':') =>
            {
                name
            }
            _ => host,
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if !host.is_empty() && host.len() <= 253 && host.split('.').all(label_ok) {
            Ok(Self(host))
        } else {
            Err(ParseError::new("host", format!("{s:?} is not a host name")))
        }
    }
}

string_value!(
    /// An absolute `http(s)://` URL without a trailing slash, where links in e-mails point to.
    PublicUrl
);

impl PublicUrl {
    /// Parses a public URL: `http://` or `https://`, a host, an optional path, no query or fragment.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let trimmed = s.trim().trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"));
        let ok = match rest {
            Some(rest) => {
                let host = rest.split('/').next().unwrap_or_default();
                Hostname::parse(host).is_ok()
                    && !rest.contains(['?', '#', ' ', '"', '<', '>', '\\'])
            }
            None => false,
        };
        if ok {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(ParseError::new(
                "public_url",
                format!("{s:?} must be an http:// or https:// URL"),
            ))
        }
    }

    /// This URL with `path` (starting with `/`) appended.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }
}

/// A language of the user interface.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Nederlands, the default.
    #[default]
    Nl,
    /// English.
    En,
}

impl Language {
    /// All languages, the default first.
    pub const ALL: [Language; 2] = [Language::Nl, Language::En];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
        }
    }

    /// Parses `nl` or `en` (also `nl-NL`, `en-GB` and so on).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let primary = s
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "nl" => Ok(Language::Nl),
            "en" => Ok(Language::En),
            _ => Err(ParseError::new(
                "language",
                format!("{s:?} is not nl or en"),
            )),
        }
    }
}

/// A zone (locatie / gebied) as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    /// Stable code within the gemeente.
    pub code: Code,
    /// Name shown to residents.
    pub name: String,
    /// The postcodes it covers, for the loket to place an address; empty when it places none.
    pub postcodes: Vec<crate::postcode_range::PostcodeRange>,
    /// Retired: its products keep working, no new product is issued in it.
    pub retired: bool,
}

/// Everything a gemeente is configured with: what `tenants import` reads from a folder and
/// `tenants export` writes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantConfig {
    /// Path name.
    pub slug: TenantSlug,
    /// Display name, e.g. "Gemeente Dijkstad".
    pub name: String,
    /// Hosts that select this gemeente.
    pub hosts: Vec<Hostname>,
    /// Where links in this gemeente's e-mails point; the platform URL + `/g/{slug}` when absent.
    pub public_url: Option<PublicUrl>,
    /// The time zone for every calendar question.
    pub time_zone: Tz,
    /// The language for visitors who have not chosen one.
    pub default_language: Language,
    /// How long plates are kept after a session ended (13 weeks unless shorter).
    pub plate_retention: crate::privacy::PlateRetention,
    /// The theme folder; `default` unless the gemeente has its own templates.
    pub theme: ThemeName,
    /// Design tokens that override the theme's.
    pub tokens: ThemeTokens,
    /// The logo.
    pub logo: Logo,
    /// Zones, in display order.
    pub zones: Vec<ZoneSpec>,
    /// Product types, in display order.
    pub product_types: Vec<ProductTypeSpec>,
    /// Rule scripts (rhai source) by product type code.
    pub scripts: std::collections::BTreeMap<Code, String>,
    /// Tariffs (TOML source) by product type code.
    pub tariffs: std::collections::BTreeMap<Code, String>,
    /// The return address on allocation letters, a line each; the gemeente's name when empty.
    pub letter_return_address: Vec<String>,
    /// The contact line in the footer of allocation letters (telephone, web site, hours).
    pub letter_contact: Option<String>,
    /// The gemeente's privacy statement, contact page and toegankelijkheidsverklaring.
    pub links: crate::footer_links::FooterLinks,
}

/// Lines of a letter's return address: the window's top 17.7 mm hold one small line of them.
pub const LETTER_RETURN_LINES: usize = 4;

/// Whether `line` may be printed on a letter: 1 to `max` characters, no control characters.
fn printable_line(line: &str, max: usize) -> bool {
    !line.trim().is_empty() && line.chars().count() <= max && !line.chars().any(char::is_control)
}

impl TenantConfig {
    /// Checks what single fields cannot: unique codes and hosts, at least one zone, and WCAG AA
    /// contrast of the tokens laid over `base`, the tokens of the theme underneath.
    pub fn validate(&self, base: &ThemeTokens) -> Result<(), Vec<ParseError>> {
        let mut problems = Vec::new();
        if self
            .public_url
            .as_ref()
            .is_some_and(|u| u.as_str().len() > 300)
        {
            problems.push(ParseError::new(
                "public_url",
                "must be at most 300 characters",
            ));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            problems.push(ParseError::new("name", "must be 1 to 100 characters"));
        }
        if self.zones.iter().all(|z| z.retired) {
            problems.push(ParseError::new(
                "zones",
                "a gemeente needs at least one zone in use",
            ));
        }
        problems.extend(crate::catalogue::overlapping_zones(&self.zones));
        let mut seen = std::collections::HashSet::new();
        for zone in &self.zones {
            if !seen.insert(zone.code.as_str()) {
                problems.push(ParseError::new(
                    "zones",
                    format!("zone code {} appears twice", zone.code),
                ));
            }
            if zone.postcodes.len() > crate::postcode_range::MAX_RANGES {
                problems.push(ParseError::new(
                    "zones",
                    format!(
                        "zone {} has more than {} postcode ranges",
                        zone.code,
                        crate::postcode_range::MAX_RANGES
                    ),
                ));
            }
            if zone.name.trim().is_empty() || zone.name.chars().count() > 100 {
                problems.push(ParseError::new(
                    "zones",
                    format!("zone {} needs a name of 1 to 100 characters", zone.code),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for pt in &self.product_types {
            if !seen.insert(pt.code.as_str()) {
                problems.push(ParseError::new(
                    "product_types",
                    format!("code {} appears twice", pt.code),
                ));
            }
            if pt.name.trim().is_empty() || pt.name.chars().count() > 100 {
                problems.push(ParseError::new(
                    "product_types",
                    format!("{} needs a name of 1 to 100 characters", pt.code),
                ));
            }
            if !(1..=crate::product_type::MAX_PLATES).contains(&pt.max_plates) {
                problems.push(ParseError::new(
                    "product_types",
                    format!(
                        "{}: max_plates must be 1 to {}",
                        pt.code,
                        crate::product_type::MAX_PLATES
                    ),
                ));
            }
            if !(1..=crate::product_type::MAX_VALIDITY_MONTHS).contains(&pt.validity_months) {
                problems.push(ParseError::new(
                    "product_types",
                    format!(
                        "{}: validity_months must be 1 to {}",
                        pt.code,
                        crate::product_type::MAX_VALIDITY_MONTHS
                    ),
                ));
            }
        }
        for (what, sources) in [("rules", &self.scripts), ("tariffs", &self.tariffs)] {
            for code in sources.keys() {
                if !self.product_types.iter().any(|p| &p.code == code) {
                    problems.push(ParseError::new(
                        what,
                        format!("{code} is not a product type of this gemeente"),
                    ));
                }
            }
        }
        for pt in &self.product_types {
            if let Some(problem) =
                crate::product_type::TopUpOption::problem(&pt.top_ups, pt.kind, pt.unit)
            {
                problems.push(ParseError::new(
                    "product_types",
                    format!("{}: {problem}", pt.code),
                ));
            }
            if let Some(grant) = pt.grant
                && (pt.unit == BalanceUnit::None
                    || grant.amount <= rust_decimal::Decimal::ZERO
                    || pt.unit.to_smallest(grant.amount).is_none())
            {
                problems.push(ParseError::new(
                    "product_types",
                    format!(
                        "{}: a grant needs a balance unit and a positive amount in it",
                        pt.code
                    ),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for host in &self.hosts {
            if !seen.insert(host.as_str()) {
                problems.push(ParseError::new("hosts", format!("{host} appears twice")));
            }
        }
        if self.letter_return_address.len() > LETTER_RETURN_LINES
            || !self
                .letter_return_address
                .iter()
                .all(|l| printable_line(l, 60))
        {
            problems.push(ParseError::new(
                "letter_return_address",
                format!("at most {LETTER_RETURN_LINES} lines of 1 to 60 characters"),
            ));
        }
        if self
            .letter_contact
            .as_deref()
            .is_some_and(|c| !printable_line(c, 150))
        {
            problems.push(ParseError::new(
                "letter_contact",
                "must be one line of 1 to 150 characters",
            ));
        }
        for problem in base.overlaid_with(&self.tokens).contrast_problems() {
            problems.push(ParseError::new("tokens", problem.to_string()));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// A gemeente as the portal serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Database id.
    pub id: TenantId,
    /// Path name.
    pub slug: TenantSlug,
    /// Display name.
    pub name: String,
    /// Hosts that select this gemeente.
    pub hosts: Vec<Hostname>,
    /// Configured public URL, if any.
    pub public_url: Option<PublicUrl>,
    /// Time zone for calendar questions.
    pub time_zone: Tz,
    /// Language for visitors who have not chosen one.
    pub default_language: Language,
    /// Theme folder.
    pub theme: ThemeName,
    /// Design tokens.
    pub tokens: ThemeTokens,
    /// Grows with every change of the configuration; used to bust caches of theme and logo.
    pub version: i64,
    /// Set while a platformbeheerder has suspended the gemeente: nothing new can be started or
    /// bought (see [`crate::suspension`]). Operational state, never part of a bundle.
    pub suspension: Option<crate::suspension::Suspension>,
    /// The contact line (telephone, web site, hours) of letters and the footer.
    pub contact: Option<String>,
    /// The links of the footer.
    pub links: crate::footer_links::FooterLinks,
}

impl Tenant {
    /// The public URL of this gemeente: its own, or the platform's with `/g/{slug}`.
    pub fn public_url(&self, platform: &PublicUrl) -> String {
        match &self.public_url {
            Some(own) => own.as_str().to_owned(),
            None => platform.join(&format!("/g/{}", self.slug)),
        }
    }
}

/// A gemeente with its zones and product types, for pages that show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantOverview {
    /// The gemeente.
    pub tenant: Tenant,
    /// Its zones in display order.
    pub zones: Vec<ZoneSpec>,
    /// Its product types in display order.
    pub product_types: Vec<ProductTypeSpec>,
}

impl TenantOverview {
    /// Whether its digitaal loket takes applications: a product type in use is open for them.
    pub fn takes_applications(&self) -> bool {
        self.product_types
            .iter()
            .any(|p| p.open_for_application && !p.retired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_strict() {
        assert!(TenantSlug::parse("dijkstad").is_ok());
        assert!(TenantSlug::parse("den-bosch").is_ok());
        for bad in ["", "a", "-x", "x-", "Dijk", "a/b", "a b", "ü-x", "a_b"] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn hosts_lose_port_and_case() {
        assert_eq!(
            Hostname::parse("Dijkstad.Localhost:8080").unwrap().as_str(),
            "dijkstad.localhost"
        );
        assert_eq!(
            Hostname::parse("parkeren.example.nl.").unwrap().as_str(),
            "parkeren.example.nl"
        );
        for bad in ["", "a..b", "-a.nl", "a_b.nl", "a b", "exa/mple"] {
            assert!(Hostname::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn public_urls_need_a_scheme_and_lose_the_trailing_slash() {
        assert_eq!(
            PublicUrl::parse("https://parkeren.example.nl/")
                .unwrap()
                .as_str(),
            "https://parkeren.example.nl"
        );
        assert!(PublicUrl::parse("ftp://x.nl").is_err());
        assert!(PublicUrl::parse("https://x.nl/?a=b").is_err());
        assert!(PublicUrl::parse("parkeren.nl").is_err());
    }

    #[test]
    fn languages_follow_their_primary_tag() {
        assert_eq!(Language::parse("nl-NL").unwrap(), Language::Nl);
        assert_eq!(Language::parse("EN_gb").unwrap(), Language::En);
        assert!(Language::parse("de").is_err());
    }
}
