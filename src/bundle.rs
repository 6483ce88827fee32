//! Gemeenten as files: a folder with `tenant.toml`, a logo and a token file. `tenants import`
//! reads such folders, `tenants export` writes them, `tenants check` validates them without a
//! database. The demo gemeenten in `tenants/` are bundles too.

use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::footer_links::{FooterLinks, WebLink, link_text};
use parkportal_domain::postcode_range::PostcodeRange;
use parkportal_domain::privacy::PlateRetention;
use parkportal_domain::product_type::{DEFAULT_MAX_PLATES, DEFAULT_VALIDITY_MONTHS, TopUpOption};
use parkportal_domain::{
    BalanceUnit, Code, Hostname, Language, Logo, ParseError, PeriodicGrant, ProductKind,
    ProductTypeSpec, PublicUrl, TenantConfig, TenantSlug, ThemeName, ThemeTokens, ZoneSpec,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name of the file that makes a folder a gemeente bundle.
pub const MANIFEST: &str = "tenant.toml";

/// A bundle that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `tenant.toml` (or another file) is not valid.
    #[error("{}: {message}", located(path, *line))]
    Manifest {
        /// The file.
        path: PathBuf,
        /// The line, when the reader of the file said.
        line: Option<usize>,
        /// Why.
        message: String,
    },
    /// A value does not parse.
    #[error("{}: {source}", located(path, *line))]
    Value {
        /// The file.
        path: PathBuf,
        /// The line that sets it, when it is a key of `tenant.toml`'s top level.
        line: Option<usize>,
        /// Why.
        source: ParseError,
    },
    /// The folder has no gemeente bundles.
    #[error("{0}: no {MANIFEST} here or in its sub-folders")]
    Empty(PathBuf),
}

/// `path:line`, or the path alone.
fn located(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

impl BundleError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::Manifest { path, .. } | Self::Value { path, .. } => path,
            Self::Empty(path) => path,
        }
    }

    /// The line it is on, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Manifest { line, .. } | Self::Value { line, .. } => *line,
            _ => None,
        }
    }

    /// Why, without the file and line.
    pub fn message(&self) -> String {
        match self {
            Self::Io { source, .. } => source.to_string(),
            Self::Manifest { message, .. } => message.clone(),
            Self::Value { source, .. } => source.to_string(),
            Self::Empty(_) => format!("no {MANIFEST} here or in its sub-folders"),
        }
    }
}

/// Where a bundle's files are read from: a folder on disk, or the files of an uploaded archive
/// in memory. Names are relative to the bundle and `/`-separated.
pub trait BundleFiles {
    /// How the file `name` is called in messages.
    fn shown(&self, name: &str) -> PathBuf;
    /// The file's content.
    fn read(&self, name: &str) -> Result<Vec<u8>, BundleError>;
    /// The names of the files directly in the folder `dir`.
    fn list(&self, dir: &str) -> Result<Vec<String>, BundleError>;
}

/// A bundle folder on disk.
struct Folder<'a>(&'a Path);

impl BundleFiles for Folder<'_> {
    fn shown(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, BundleError> {
        read(&self.0.join(name))
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, BundleError> {
        let path = self.0.join(dir);
        if !path.is_dir() {
            return Ok(Vec::new());
        }
        let entries = std::fs::read_dir(&path).map_err(|source| BundleError::Io {
            path: path.clone(),
            source,
        })?;
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| format!("{dir}/{}", e.file_name().to_string_lossy()))
            .collect();
        names.sort();
        Ok(names)
    }
}

/// A bundle's files in memory (read from an archive), shown under `folder` in messages.
pub struct InMemory<'a> {
    /// The folder the files were in (`tenants/<slug>/`, or empty).
    pub folder: &'a str,
    /// The files by their path in the bundle.
    pub files: &'a BTreeMap<String, Vec<u8>>,
}

impl BundleFiles for InMemory<'_> {
    fn shown(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("{}{name}", self.folder))
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, BundleError> {
        // A name the manifest gives may start with `./`; nothing else leads out of the map.
        let key = name.trim_start_matches("./");
        self.files.get(key).cloned().ok_or_else(|| BundleError::Io {
            path: self.shown(key),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not in the archive"),
        })
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, BundleError> {
        let prefix = format!("{dir}/");
        Ok(self
            .files
            .keys()
            .filter(|k| {
                k.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.contains('/'))
            })
            .cloned()
            .collect())
    }
}

/// The line of `tenant.toml`'s `text` that sets the top-level key `key`, if one does.
pub(crate) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// The line of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    slug: String,
    name: String,
    time_zone: String,
    #[serde(default = "default_language")]
    default_language: String,
    /// Days a session's plate is kept after it ended: 1 to 91 (13 weeks, the default).
    #[serde(default = "default_retention")]
    plate_retention_days: i64,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,
    #[serde(default = "default_theme")]
    theme: String,
    logo: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tokens: Option<String>,
    /// The return address on allocation letters, a line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    letter_return_address: Vec<String>,
    /// The contact line in the footer of allocation letters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    letter_contact: Option<String>,
    /// The footer's link to the gemeente's privacy statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    privacy_url: Option<String>,
    /// The footer's link to the gemeente's contact page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact_url: Option<String>,
    /// The footer's link to the gemeente's toegankelijkheidsverklaring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accessibility_url: Option<String>,
    #[serde(default)]
    zones: Vec<ZoneEntry>,
    #[serde(default)]
    product_types: Vec<ProductTypeEntry>,
}

fn default_language() -> String {
    "nl".into()
}

fn default_retention() -> i64 {
    i64::from(PlateRetention::MAX_DAYS)
}

fn default_theme() -> String {
    "default".into()
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneEntry {
    code: String,
    name: String,
    /// `postcodes = ["3511-3514", "3521 AB"]`: what the loket places in this zone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    postcodes: Vec<String>,
    /// `retired = true`: its products keep working, nothing new is issued in it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    retired: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductTypeEntry {
    code: String,
    name: String,
    kind: String,
    unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grant: Option<GrantEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    top_ups: Vec<TopUpEntry>,
    /// Months a new product is valid: 1 to 120, a year unless said.
    #[serde(
        default = "default_validity",
        skip_serializing_if = "is_default_validity"
    )]
    validity_months: u16,
    /// `retired = true`: its products keep working, nothing new of it is issued.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    retired: bool,
    /// `apply = true`: residents apply for it in the digitaal loket.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    apply: bool,
    /// The most plates one product holds: 1 to 10, 3 unless said.
    #[serde(
        default = "default_max_plates",
        skip_serializing_if = "is_default_max_plates"
    )]
    max_plates: u8,
    /// `letter_on_grant = true`: an application granted makes the allocation letter too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    letter_on_grant: bool,
}

fn default_max_plates() -> u8 {
    DEFAULT_MAX_PLATES
}

fn is_default_max_plates(n: &u8) -> bool {
    *n == DEFAULT_MAX_PLATES
}

fn default_validity() -> u16 {
    DEFAULT_VALIDITY_MONTHS
}

fn is_default_validity(months: &u16) -> bool {
    *months == DEFAULT_VALIDITY_MONTHS
}

/// `top_ups = [{ amount = "25.00" }, { amount = "600", price = "12.00" }]`: what "Opwaarderen"
/// sells; the price (euros) is the amount itself for a balance in euros when left out.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopUpEntry {
    amount: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price: Option<String>,
}

/// `grant = { period = "calendar_year", amount = "30000" }`: balance credited once per period.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantEntry {
    period: String,
    amount: String,
}

/// One entry of `top_ups`: a price is needed unless the balance is in euros.
fn top_up_option(t: &TopUpEntry, unit: BalanceUnit) -> Result<TopUpOption, ParseError> {
    let decimal = |s: &str| {
        s.parse::<rust_decimal::Decimal>()
            .map_err(|_| ParseError::new("top_ups", format!("{s:?} is not an amount")))
    };
    let amount = decimal(&t.amount)?;
    let price = match (&t.price, unit) {
        (Some(price), _) => decimal(price)?,
        (None, BalanceUnit::Money) => amount,
        (None, _) => {
            return Err(ParseError::new(
                "top_ups",
                format!("top-up {} needs a price in euros", t.amount),
            ));
        }
    };
    Ok(TopUpOption { amount, price })
}

/// Reads `dir/<code>.<extension>` files into a map by product type code.
fn read_sources(
    files: &dyn BundleFiles,
    dir: &str,
    extension: &str,
) -> Result<BTreeMap<Code, String>, BundleError> {
    let mut sources = BTreeMap::new();
    for name in files.list(dir)? {
        let Some(stem) = name
            .rsplit('/')
            .next()
            .and_then(|file| file.strip_suffix(&format!(".{extension}")))
        else {
            continue;
        };
        let code = Code::parse(stem).map_err(|source| BundleError::Value {
            path: files.shown(&name),
            line: None,
            source,
        })?;
        let text = String::from_utf8(files.read(&name)?).map_err(|_| BundleError::Manifest {
            path: files.shown(&name),
            line: None,
            message: "not UTF-8".into(),
        })?;
        sources.insert(code, text);
    }
    Ok(sources)
}

fn read(path: &Path) -> Result<Vec<u8>, BundleError> {
    std::fs::read(path).map_err(|source| BundleError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The bundle folders in `dir`: `dir` itself when it holds a `tenant.toml`, else its sub-folders
/// that do, sorted by name.
pub fn bundle_dirs(dir: &Path) -> Result<Vec<PathBuf>, BundleError> {
    if dir.join(MANIFEST).is_file() {
        return Ok(vec![dir.to_owned()]);
    }
    let entries = std::fs::read_dir(dir).map_err(|source| BundleError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(MANIFEST).is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(BundleError::Empty(dir.to_owned()));
    }
    Ok(dirs)
}

/// Reads every bundle in `dir` (see [`bundle_dirs`]).
pub fn read_all(dir: &Path) -> Result<Vec<TenantConfig>, BundleError> {
    bundle_dirs(dir)?.iter().map(|d| read_bundle(d)).collect()
}

/// Reads one bundle folder.
pub fn read_bundle(dir: &Path) -> Result<TenantConfig, BundleError> {
    read_from(&Folder(dir))
}

/// Reads a bundle from `files` (a folder, or an archive's files in memory). The first problem
/// found is the answer, named by its file and, where known, its line.
pub fn read_from(files: &dyn BundleFiles) -> Result<TenantConfig, BundleError> {
    let manifest_path = files.shown(MANIFEST);
    let text = String::from_utf8(files.read(MANIFEST)?).map_err(|_| BundleError::Manifest {
        path: manifest_path.clone(),
        line: None,
        message: "not UTF-8".into(),
    })?;
    let m: Manifest = toml::from_str(&text).map_err(|e| BundleError::Manifest {
        path: manifest_path.clone(),
        line: e.span().map(|span| line_at(&text, span.start)),
        message: e.message().trim().to_owned(),
    })?;
    let value = |source: ParseError| BundleError::Value {
        path: manifest_path.clone(),
        line: line_of_key(&text, source.what)
            .or_else(|| line_of_key(&text, &format!("{}s", source.what))),
        source,
    };
    let logo = Logo::parse(&m.logo, files.read(&m.logo)?).map_err(|source| BundleError::Value {
        path: files.shown(&m.logo),
        line: None,
        source,
    })?;
    let tokens = match &m.tokens {
        Some(file) => {
            let path = files.shown(file);
            let text = String::from_utf8_lossy(&files.read(file)?).into_owned();
            // A syntax error is named by its line; what the tokens say is checked after.
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
                return Err(BundleError::Manifest {
                    path,
                    line: Some(e.line()),
                    message: format!("not JSON: {e}"),
                });
            }
            ThemeTokens::from_json(&text).map_err(|source| BundleError::Value {
                path,
                line: None,
                source,
            })?
        }
        None => ThemeTokens::default(),
    };
    let link = |text: Option<String>| {
        text.as_deref()
            .map(WebLink::parse)
            .transpose()
            .map_err(value)
    };
    Ok(TenantConfig {
        slug: TenantSlug::parse(&m.slug).map_err(value)?,
        name: m.name,
        hosts: m
            .hosts
            .iter()
            .map(|h| Hostname::parse(h))
            .collect::<Result<_, _>>()
            .map_err(value)?,
        public_url: m
            .public_url
            .as_deref()
            .map(PublicUrl::parse)
            .transpose()
            .map_err(value)?,
        time_zone: m.time_zone.parse().map_err(|_| {
            value(ParseError::new(
                "time_zone",
                format!("{:?} is not an IANA time zone", m.time_zone),
            ))
        })?,
        default_language: Language::parse(&m.default_language).map_err(value)?,
        plate_retention: PlateRetention::days(m.plate_retention_days).map_err(value)?,
        theme: ThemeName::parse(&m.theme).map_err(value)?,
        tokens,
        logo,
        zones: m
            .zones
            .into_iter()
            .map(|z| {
                Ok(ZoneSpec {
                    code: Code::parse(&z.code)?,
                    name: z.name,
                    postcodes: z
                        .postcodes
                        .iter()
                        .map(|p| PostcodeRange::parse(p))
                        .collect::<Result<_, _>>()?,
                    retired: z.retired,
                })
            })
            .collect::<Result<_, ParseError>>()
            .map_err(value)?,
        product_types: m
            .product_types
            .into_iter()
            .map(|p| {
                let grant = match &p.grant {
                    Some(g) => Some(PeriodicGrant {
                        period: CapPeriod::parse(&g.period).ok_or_else(|| {
                            ParseError::new("grant", format!("{:?} is not calendar_year, quarter, month or rolling_12_months", g.period))
                        })?,
                        amount: g
                            .amount
                            .parse()
                            .map_err(|_| ParseError::new("grant", format!("{:?} is not an amount", g.amount)))?,
                    }),
                    None => None,
                };
                let unit = BalanceUnit::parse(&p.unit)?;
                let top_ups = p
                    .top_ups
                    .iter()
                    .map(|t| top_up_option(t, unit))
                    .collect::<Result<_, ParseError>>()?;
                Ok(ProductTypeSpec {
                    code: Code::parse(&p.code)?,
                    name: p.name,
                    kind: ProductKind::parse(&p.kind)?,
                    unit,
                    grant,
                    top_ups,
                    validity_months: p.validity_months,
                    retired: p.retired,
                    open_for_application: p.apply,
                    max_plates: p.max_plates,
                    letter_on_grant: p.letter_on_grant,
                })
            })
            .collect::<Result<_, ParseError>>()
            .map_err(value)?,
        scripts: read_sources(files, "rules", "rhai")?,
        tariffs: read_sources(files, "tariffs", "toml")?,
        letter_return_address: m.letter_return_address,
        letter_contact: m.letter_contact,
        links: FooterLinks {
            privacy: link(m.privacy_url)?,
            contact: link(m.contact_url)?,
            accessibility: link(m.accessibility_url)?,
        },
    })
}

/// Writes `config` as a bundle into `dir` (created when missing).
pub fn write_bundle(config: &TenantConfig, dir: &Path) -> Result<(), BundleError> {
    for (name, bytes) in bundle_files(config)? {
        let path = dir.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| BundleError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|source| BundleError::Io { path, source })?;
    }
    Ok(())
}

/// The files of `config`'s bundle by their path in it: `tenant.toml`, the logo, `tokens.json`,
/// and the rule scripts and tariffs in their folders.
pub fn bundle_files(config: &TenantConfig) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
    let logo_name = format!("logo.{}", config.logo.extension());
    let manifest = Manifest {
        slug: config.slug.to_string(),
        name: config.name.clone(),
        time_zone: config.time_zone.name().to_owned(),
        default_language: config.default_language.code().to_owned(),
        plate_retention_days: i64::from(config.plate_retention.in_days()),
        hosts: config.hosts.iter().map(ToString::to_string).collect(),
        public_url: config.public_url.as_ref().map(ToString::to_string),
        theme: config.theme.to_string(),
        logo: logo_name.clone(),
        tokens: Some("tokens.json".into()),
        letter_return_address: config.letter_return_address.clone(),
        letter_contact: config.letter_contact.clone(),
        privacy_url: link_text(&config.links.privacy),
        contact_url: link_text(&config.links.contact),
        accessibility_url: link_text(&config.links.accessibility),
        zones: config
            .zones
            .iter()
            .map(|z| ZoneEntry {
                code: z.code.to_string(),
                name: z.name.clone(),
                postcodes: z.postcodes.iter().map(PostcodeRange::text).collect(),
                retired: z.retired,
            })
            .collect(),
        product_types: config
            .product_types
            .iter()
            .map(|p| ProductTypeEntry {
                code: p.code.to_string(),
                name: p.name.clone(),
                kind: p.kind.as_str().into(),
                unit: p.unit.as_str().into(),
                grant: p.grant.map(|g| GrantEntry {
                    period: g.period.as_str().into(),
                    amount: g.amount.to_string(),
                }),
                top_ups: p
                    .top_ups
                    .iter()
                    .map(|t| TopUpEntry {
                        amount: t.amount.to_string(),
                        price: Some(format!("{:.2}", t.price)),
                    })
                    .collect(),
                validity_months: p.validity_months,
                retired: p.retired,
                apply: p.open_for_application,
                max_plates: p.max_plates,
                letter_on_grant: p.letter_on_grant,
            })
            .collect(),
    };
    let text = toml::to_string_pretty(&manifest).map_err(|e| BundleError::Manifest {
        path: PathBuf::from(MANIFEST),
        line: None,
        message: e.to_string(),
    })?;
    let mut files = BTreeMap::new();
    files.insert(MANIFEST.to_owned(), text.into_bytes());
    files.insert(logo_name, config.logo.bytes.clone());
    files.insert(
        "tokens.json".to_owned(),
        (config.tokens.to_json() + "\n").into_bytes(),
    );
    for (dir, extension, sources) in [
        ("rules", "rhai", &config.scripts),
        ("tariffs", "toml", &config.tariffs),
    ] {
        for (code, text) in sources {
            files.insert(
                format!("{dir}/{code}.{extension}"),
                text.clone().into_bytes(),
            );
        }
    }
    Ok(files)
}

/// The default theme's tokens, which every gemeente's tokens are laid over.
pub fn base_tokens(themes_dir: &Path) -> Result<ThemeTokens, BundleError> {
    let path = themes_dir.join("default").join("tokens.json");
    let text = String::from_utf8_lossy(&read(&path)?).into_owned();
    ThemeTokens::from_json(&text).map_err(|source| BundleError::Value {
        path,
        line: None,
        source,
    })
}

#[cfg(test)]
#[path = "bundle_tests.rs"]
mod tests;
