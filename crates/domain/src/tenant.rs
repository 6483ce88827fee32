//! A gemeente (tenant) and the values it is made of. Every value here is parsed once at the edge
//! (file, form, database row) and is valid from then on.

use crate::ParseError;
use crate::ids::TenantId;
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

impl TenantSlug {
    /// Parses a slug: 2 to 40 of `a-z`, `0-9`, `-`, not starting or ending with a dash.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
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
    /// Parses a theme name (same alphabet as a code).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
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

/// What kind of parking right a product type gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// Bezoekersregeling: visitor parking with a balance.
    VisitorScheme,
    /// Parkeervergunning: a resident permit for one or more plates.
    Permit,
}

impl ProductKind {
    /// The stable name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::VisitorScheme => "visitor_scheme",
            ProductKind::Permit => "permit",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "visitor_scheme" => Ok(ProductKind::VisitorScheme),
            "permit" => Ok(ProductKind::Permit),
            _ => Err(ParseError::new(
                "kind",
                format!("{s:?} is not visitor_scheme or permit"),
            )),
        }
    }
}

/// The unit a product type's balance is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceUnit {
    /// Euros, stored as cents.
    Money,
    /// Minutes of parking time.
    Minutes,
    /// A number of sessions.
    Sessions,
    /// No balance at all (most permits).
    None,
}

impl BalanceUnit {
    /// The stable name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            BalanceUnit::Money => "money",
            BalanceUnit::Minutes => "minutes",
            BalanceUnit::Sessions => "sessions",
            BalanceUnit::None => "none",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "money" => Ok(BalanceUnit::Money),
            "minutes" => Ok(BalanceUnit::Minutes),
            "sessions" => Ok(BalanceUnit::Sessions),
            "none" => Ok(BalanceUnit::None),
            _ => Err(ParseError::new(
                "unit",
                format!("{s:?} is not money, minutes, sessions or none"),
            )),
        }
    }
}

/// A logo image: SVG or PNG bytes with their media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/svg+xml` or `image/png`.
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl Logo {
    /// The largest logo accepted: logos are shown small, a larger file is a mistake.
    pub const MAX_BYTES: usize = 256 * 1024;

    /// Parses a logo from a file name and its bytes; SVG must not carry scripts.
    pub fn parse(file_name: &str, bytes: Vec<u8>) -> Result<Self, ParseError> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(ParseError::new(
                "logo",
                format!("{file_name} is larger than 256 KiB"),
            ));
        }
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".svg") {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| ParseError::new("logo", format!("{file_name} is not UTF-8 SVG")))?;
            let folded = text.to_ascii_lowercase();
            if !folded.contains("<svg") {
                return Err(ParseError::new(
                    "logo",
                    format!("{file_name} has no <svg> element"),
                ));
            }
            // Logos are served from our own origin; an SVG that scripts or pulls in other content
            // would run there. Entities are refused too, as they can spell any of this.
            let forbidden = [
                "<script",
                "javascript:",
                "<foreignobject",
                "<iframe",
                "<embed",
                "<object",
                "data:",
                "&#",
                "<!entity",
                "http:",
                "https:",
            ];
            let without_namespaces = folded
                .replace("http://www.w3.org/2000/svg", "")
                .replace("http://www.w3.org/1999/xlink", "");
            if forbidden.iter().any(|f| without_namespaces.contains(f))
                || has_event_attribute(&folded)
            {
                return Err(ParseError::new(
                    "logo",
                    format!("{file_name} contains scripting"),
                ));
            }
            Ok(Self {
                content_type: "image/svg+xml".to_owned(),
                bytes,
            })
        } else if lower.ends_with(".png") {
            if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
                return Err(ParseError::new(
                    "logo",
                    format!("{file_name} is not a PNG file"),
                ));
            }
            Ok(Self {
                content_type: "image/png".to_owned(),
                bytes,
            })
        } else {
            Err(ParseError::new(
                "logo",
                format!("{file_name} must be .svg or .png"),
            ))
        }
    }

    /// The file extension that fits the media type.
    pub fn extension(&self) -> &'static str {
        if self.content_type == "image/png" {
            "png"
        } else {
            "svg"
        }
    }
}

/// Whether lower-cased SVG text has an `on…=` event-handler attribute (after any white space or
/// a slash, as `<svg/onload=…>`).
fn has_event_attribute(folded: &str) -> bool {
    folded.match_indices("on").any(|(i, _)| {
        let before = folded[..i].chars().next_back();
        if !before.is_some_and(|c| c.is_whitespace() || c == '/') {
            return false;
        }
        let rest = &folded[i + 2..];
        let name_len = rest.bytes().take_while(|b| b.is_ascii_lowercase()).count();
        name_len > 0 && rest[name_len..].trim_start().starts_with('=')
    })
}

/// A zone (locatie / gebied) as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    /// Stable code within the gemeente.
    pub code: Code,
    /// Name shown to residents.
    pub name: String,
}

/// A product type as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTypeSpec {
    /// Stable code within the gemeente.
    pub code: Code,
    /// Name shown to residents.
    pub name: String,
    /// Visitor scheme or permit.
    pub kind: ProductKind,
    /// The unit of its balance.
    pub unit: BalanceUnit,
    /// Balance credited once per period (500 hours a calendar year, say), if any.
    pub grant: Option<PeriodicGrant>,
}

/// A balance credited once per period to every product of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodicGrant {
    /// The period.
    pub period: crate::calendar::CapPeriod,
    /// The amount, in the product type's unit (euros, minutes or sessions).
    pub amount: rust_decimal::Decimal,
}

impl BalanceUnit {
    /// How many of the smallest stored unit make one shown unit: cents per euro, else 1.
    pub fn scale(self) -> i64 {
        if self == BalanceUnit::Money { 100 } else { 1 }
    }

    /// An amount in this unit as an integer of its smallest unit, when it has no finer part.
    pub fn to_smallest(self, amount: rust_decimal::Decimal) -> Option<i64> {
        let scaled = amount.checked_mul(rust_decimal::Decimal::from(self.scale()))?;
        if scaled.fract().is_zero() {
            i64::try_from(scaled.mantissa() / 10i128.pow(scaled.scale())).ok()
        } else {
            None
        }
    }

    /// An integer of the smallest unit as an amount in this unit (2 decimals for money).
    pub fn from_smallest(self, value: i64) -> rust_decimal::Decimal {
        if self == BalanceUnit::Money {
            rust_decimal::Decimal::new(value, 2)
        } else {
            rust_decimal::Decimal::from(value)
        }
    }
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
        if self.zones.is_empty() {
            problems.push(ParseError::new(
                "zones",
                "a gemeente needs at least one zone",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for zone in &self.zones {
            if !seen.insert(zone.code.as_str()) {
                problems.push(ParseError::new(
                    "zones",
                    format!("zone code {} appears twice", zone.code),
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
    fn amounts_are_stored_in_their_smallest_unit() {
        let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(BalanceUnit::Money.to_smallest(d("12.50")), Some(1250));
        assert_eq!(
            BalanceUnit::Money.to_smallest(d("0.005")),
            None,
            "no fractions of a cent"
        );
        assert_eq!(BalanceUnit::Minutes.to_smallest(d("600")), Some(600));
        assert_eq!(BalanceUnit::Minutes.to_smallest(d("1.5")), None);
        assert_eq!(BalanceUnit::Money.from_smallest(1250).to_string(), "12.50");
        assert_eq!(BalanceUnit::Sessions.from_smallest(3).to_string(), "3");
    }

    #[test]
    fn languages_follow_their_primary_tag() {
        assert_eq!(Language::parse("nl-NL").unwrap(), Language::Nl);
        assert_eq!(Language::parse("EN_gb").unwrap(), Language::En);
        assert!(Language::parse("de").is_err());
    }

    #[test]
    fn svg_logos_may_not_script() {
        let ok = br#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>"#
            .to_vec();
        assert!(Logo::parse("logo.svg", ok).is_ok());
        let script = br#"<svg><script>alert(1)</script></svg>"#.to_vec();
        assert!(Logo::parse("logo.svg", script).is_err());
        for bad in [
            r#"<svg><rect onload = "x()"/></svg>"#,
            r#"<svg/onload="x()"></svg>"#,
            "<svg\n\tonclick='x()'></svg>",
            r#"<svg><a href="javascript&#58;x()">a</a></svg>"#,
            r#"<svg><foreignObject><p>x</p></foreignObject></svg>"#,
            r#"<svg><use href="data:image/svg+xml,..."/></svg>"#,
            r#"<svg><image href="https://tracker.example/x.png"/></svg>"#,
        ] {
            assert!(
                Logo::parse("logo.svg", bad.as_bytes().to_vec()).is_err(),
                "{bad}"
            );
        }
        let namespaced = br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><title>Online</title></svg>"#;
        assert!(
            Logo::parse("logo.svg", namespaced.to_vec()).is_ok(),
            "a word starting with on is no handler"
        );
        let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        assert_eq!(Logo::parse("logo.PNG", png).unwrap().extension(), "png");
        assert!(Logo::parse("logo.gif", vec![1]).is_err());
    }
}
