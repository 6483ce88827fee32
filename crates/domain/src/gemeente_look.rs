//! Look and catalogue (#24), the look: a gemeente's settings, logo and theme, changed by its
//! beheerder in the console one part at a time. A change is made against the configuration
//! version the form was shown with, so that two people saving at once never silently undo each
//! other; it is one transaction with its audit entry, which names every value before and after.
//! Host names and the public URL are the platformbeheerder's alone.

use crate::audit::AuditEntry;
use crate::footer_links::{FooterLinks, WebLink};
use crate::logo::SanitisedLogo;
use crate::ports::{LookPart, LookSaved, SaveTenantError};
use crate::privacy::PlateRetention;
use crate::tenancy::TenantDirectory;
use crate::tenant::{Hostname, LETTER_RETURN_LINES, Language, PublicUrl, TenantConfig};
use crate::theme::ThemeTokens;
use crate::{Logo, ParseError, StoreError, TenantId, TenantSlug};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

/// A gemeente's settings as the console edits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GemeenteSettings {
    /// Display name.
    pub name: String,
    /// The contact line (telephone, web site, hours) of letters and the footer.
    pub contact: Option<String>,
    /// The return address of letters, a line each.
    pub return_address: Vec<String>,
    /// The language of visitors who chose none.
    pub default_language: Language,
    /// The time zone of every calendar question.
    pub time_zone: Tz,
    /// The footer's links.
    pub links: FooterLinks,
    /// How long a plate is kept after its session ended.
    pub plate_retention: PlateRetention,
    /// Host names (the platformbeheerder's).
    pub hosts: Vec<Hostname>,
    /// The public URL (the platformbeheerder's).
    pub public_url: Option<PublicUrl>,
}

impl GemeenteSettings {
    /// The settings of `config`.
    pub fn of(config: &TenantConfig) -> Self {
        Self {
            name: config.name.clone(),
            contact: config.letter_contact.clone(),
            return_address: config.letter_return_address.clone(),
            default_language: config.default_language,
            time_zone: config.time_zone,
            links: config.links.clone(),
            plate_retention: config.plate_retention,
            hosts: config.hosts.clone(),
            public_url: config.public_url.clone(),
        }
    }

    fn apply_to(&self, config: &mut TenantConfig) {
        config.name = self.name.clone();
        config.letter_contact = self.contact.clone();
        config.letter_return_address = self.return_address.clone();
        config.default_language = self.default_language;
        config.time_zone = self.time_zone;
        config.links = self.links.clone();
        config.plate_retention = self.plate_retention;
        config.hosts = self.hosts.clone();
        config.public_url = self.public_url.clone();
    }

    /// Each setting by its audited name, as text.
    fn described(&self) -> Vec<(&'static str, String)> {
        let link = |l: &Option<WebLink>| l.as_ref().map_or("", WebLink::as_str).to_owned();
        vec![
            ("name", self.name.clone()),
            ("contact", self.contact.clone().unwrap_or_default()),
            ("return_address", self.return_address.join(" / ")),
            ("default_language", self.default_language.code().to_owned()),
            ("time_zone", self.time_zone.name().to_owned()),
            ("privacy_url", link(&self.links.privacy)),
            ("contact_url", link(&self.links.contact)),
            ("accessibility_url", link(&self.links.accessibility)),
            (
                "plate_retention_days",
                self.plate_retention.in_days().to_string(),
            ),
            (
                "hosts",
                self.hosts
                    .iter()
                    .map(Hostname::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            (
                "public_url",
                self.public_url
                    .as_ref()
                    .map_or("", PublicUrl::as_str)
                    .to_owned(),
            ),
        ]
    }
}

/// The settings form as typed; `hosts` and `public_url` only when the form showed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsInput {
    /// Display name.
    pub name: String,
    /// The contact line.
    pub contact: String,
    /// The return address, a line each.
    pub return_address: String,
    /// `nl` or `en`.
    pub default_language: String,
    /// An IANA time zone.
    pub time_zone: String,
    /// The privacy statement's address.
    pub privacy_url: String,
    /// The contact page's address.
    pub contact_url: String,
    /// The toegankelijkheidsverklaring's address.
    pub accessibility_url: String,
    /// Days, 1 to 91.
    pub plate_retention_days: String,
    /// Host names, one per line or separated by spaces or commas.
    pub hosts: Option<String>,
    /// The public URL (empty: none).
    pub public_url: Option<String>,
}

/// A field of a form that was refused, with the stable code of why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's name in the form.
    pub field: &'static str,
    /// Why: `required`, `too_long`, `invalid`, `lines`, `range`, `twice`.
    pub code: &'static str,
}

impl FieldProblem {
    fn new(field: &'static str, code: &'static str) -> Self {
        Self { field, code }
    }
}

/// The longest display name.
pub const NAME_MAX: usize = 100;
/// The longest contact line.
pub const CONTACT_MAX: usize = 150;
/// The longest line of a return address.
pub const RETURN_LINE_MAX: usize = 60;

impl SettingsInput {
    /// The input of `settings`, as the form shows them.
    pub fn of(settings: &GemeenteSettings) -> Self {
        let link = |l: &Option<WebLink>| l.as_ref().map_or("", WebLink::as_str).to_owned();
        Self {
            name: settings.name.clone(),
            contact: settings.contact.clone().unwrap_or_default(),
            return_address: settings.return_address.join("\n"),
            default_language: settings.default_language.code().to_owned(),
            time_zone: settings.time_zone.name().to_owned(),
            privacy_url: link(&settings.links.privacy),
            contact_url: link(&settings.links.contact),
            accessibility_url: link(&settings.links.accessibility),
            plate_retention_days: settings.plate_retention.in_days().to_string(),
            hosts: Some(
                settings
                    .hosts
                    .iter()
                    .map(Hostname::as_str)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            public_url: Some(
                settings
                    .public_url
                    .as_ref()
                    .map_or("", PublicUrl::as_str)
                    .to_owned(),
            ),
        }
    }

    /// The settings typed, over `current` (whose hosts and public URL stay when the input has
    /// none), or every field that is wrong.
    pub fn parse(&self, current: &GemeenteSettings) -> Result<GemeenteSettings, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, field, code| {
            if !ok {
                problems.push(FieldProblem::new(field, code));
            }
        };
        // Names and lines go into mail subjects, letters and page titles: one line of text.
        let printable = |s: &str| !s.chars().any(char::is_control);
        let name = self.name.trim().to_owned();
        check(!name.is_empty(), "name", "required");
        check(printable(&name), "name", "invalid");
        check(printable(&self.contact), "contact", "invalid");
        check(name.chars().count() <= NAME_MAX, "name", "too_long");
        let contact = Some(self.contact.trim().to_owned()).filter(|c| !c.is_empty());
        check(
            contact
                .as_ref()
                .is_none_or(|c| c.chars().count() <= CONTACT_MAX),
            "contact",
            "too_long",
        );
        let return_address: Vec<String> = self
            .return_address
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        check(
            return_address.len() <= LETTER_RETURN_LINES
                && return_address.iter().all(|l| printable(l))
                && return_address
                    .iter()
                    .all(|l| l.chars().count() <= RETURN_LINE_MAX),
            "return_address",
            "lines",
        );
        let language = Language::parse(&self.default_language);
        check(language.is_ok(), "default_language", "invalid");
        let time_zone = self.time_zone.trim().parse::<Tz>();
        check(time_zone.is_ok(), "time_zone", "invalid");
        let mut link = |text: &str, field| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let parsed = WebLink::parse(text).ok();
            check(parsed.is_some(), field, "invalid");
            parsed
        };
        let links = FooterLinks {
            privacy: link(&self.privacy_url, "privacy_url"),
            contact: link(&self.contact_url, "contact_url"),
            accessibility: link(&self.accessibility_url, "accessibility_url"),
        };
        let retention = self
            .plate_retention_days
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|d| PlateRetention::days(d).ok());
        check(retention.is_some(), "plate_retention_days", "range");
        let hosts = match &self.hosts {
            None => current.hosts.clone(),
            Some(text) => {
                let parsed: Vec<Result<Hostname, ParseError>> = text
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|h| !h.is_empty())
                    .map(Hostname::parse)
                    .collect();
                check(parsed.iter().all(Result::is_ok), "hosts", "invalid");
                let mut hosts: Vec<Hostname> = parsed.into_iter().filter_map(Result::ok).collect();
                let parsed_count = hosts.len();
                let mut seen = std::collections::HashSet::new();
                hosts.retain(|h| seen.insert(h.clone()));
                check(seen.len() == parsed_count, "hosts", "twice");
                hosts
            }
        };
        let public_url = match self.public_url.as_deref().map(str::trim) {
            None => current.public_url.clone(),
            Some("") => None,
            Some(text) => {
                let parsed = PublicUrl::parse(text)
                    .ok()
                    .filter(|u| u.as_str().len() <= 300);
                check(parsed.is_some(), "public_url", "invalid");
                parsed
            }
        };
        match (language, time_zone, retention) {
            (Ok(default_language), Ok(time_zone), Some(plate_retention)) if problems.is_empty() => {
                Ok(GemeenteSettings {
                    name,
                    contact,
                    return_address,
                    default_language,
                    time_zone,
                    links,
                    plate_retention,
                    hosts,
                    public_url,
                })
            }
            _ => Err(problems),
        }
    }
}

/// What a change of the look is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookChange {
    /// The settings.
    Settings(GemeenteSettings),
    /// A new logo, sanitised (with what sanitising removed, for the record).
    Logo(SanitisedLogo),
    /// The design tokens laid over the theme.
    Tokens(ThemeTokens),
    /// A zone or product type added, edited, retired or deleted.
    Catalogue(crate::catalogue::CatalogueEdit),
}

impl LookChange {
    /// The audited action.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Settings(_) => "tenant.settings_changed",
            Self::Logo(_) => "tenant.logo_changed",
            Self::Tokens(_) => "tenant.theme_changed",
            Self::Catalogue(edit) => edit.action(),
        }
    }
}

/// How a change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookOutcome {
    /// Stored: the configuration's new version, and what changed (`field: before → after`).
    Saved {
        /// The new version.
        version: i64,
        /// The changes, as the audit entry names them.
        changes: Vec<String>,
    },
    /// The configuration changed since the form was shown: nothing was stored.
    Stale,
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum LookError {
    /// No such gemeente.
    #[error("no such gemeente")]
    NotFound,
    /// Host names or the public URL changed by someone who is no platformbeheerder.
    #[error("only a platformbeheerder changes host names and the public URL")]
    PlatformOnly,
    /// The changed configuration does not hold together (contrast below AA, say).
    #[error("the configuration would be invalid: {0:?}")]
    Invalid(Vec<ParseError>),
    /// A host name is another gemeente's.
    #[error("{host} is taken by {owner}")]
    HostTaken {
        /// The host.
        host: Hostname,
        /// The gemeente that has it.
        owner: TenantSlug,
    },
    /// The catalogue edit does not apply to the catalogue as it is.
    #[error(transparent)]
    Catalogue(#[from] crate::catalogue::CatalogueRefusal),
    /// A zone with products cannot be deleted, nor a product type with products change its kind
    /// or unit (their codes named).
    #[error("{}", .0.messages().join("; "))]
    InUse(crate::ports::InUse),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The look's use cases.
#[derive(Clone)]
pub struct GemeenteLook {
    tenants: TenantDirectory,
}

impl GemeenteLook {
    /// On the gemeenten.
    pub fn new(tenants: TenantDirectory) -> Self {
        Self { tenants }
    }

    /// The default theme's tokens, under every gemeente's own.
    pub fn base_tokens(&self) -> &ThemeTokens {
        self.tenants.base_tokens()
    }

    /// A gemeente's configuration now, with its version (for the form to send back).
    pub async fn current(
        &self,
        slug: &TenantSlug,
    ) -> Result<Option<(TenantConfig, i64)>, StoreError> {
        Ok(self
            .read(slug)
            .await?
            .map(|(config, version, _)| (config, version)))
    }

    /// The configuration, its version and the gemeente's id, all read from the store (the
    /// directory may remember a gemeente, with its version, from before another instance's save).
    async fn read(
        &self,
        slug: &TenantSlug,
    ) -> Result<Option<(TenantConfig, i64, TenantId)>, StoreError> {
        let Some(tenant) = self.tenants.by_slug(slug.as_str()).await? else {
            return Ok(None);
        };
        let Some(stored) = self.tenants.overview(tenant.id).await? else {
            return Ok(None);
        };
        let config = self.tenants.export(slug).await?;
        Ok(config.map(|c| (c, stored.tenant.version, tenant.id)))
    }

    /// Makes `change` to gemeente `slug` if its configuration is still at `version`, as
    /// `audit` (whose reason becomes the list of changes); `platform` says whether the actor may
    /// change host names and the public URL.
    pub async fn change(
        &self,
        slug: &TenantSlug,
        version: i64,
        change: LookChange,
        platform: bool,
        audit: AuditEntry,
    ) -> Result<LookOutcome, LookError> {
        let (before, current, id) = self.read(slug).await?.ok_or(LookError::NotFound)?;
        if current != version {
            return Ok(LookOutcome::Stale);
        }
        let mut after = before.clone();
        match &change {
            LookChange::Settings(s) => {
                if !platform && (s.hosts != before.hosts || s.public_url != before.public_url) {
                    return Err(LookError::PlatformOnly);
                }
                s.apply_to(&mut after);
            }
            LookChange::Logo(logo) => after.logo = logo.logo.clone(),
            LookChange::Tokens(tokens) => after.tokens = tokens.clone(),
            LookChange::Catalogue(edit) => edit.apply(&mut after)?,
        }
        match &change {
            // A zone or unit a tariff names is checked with the tariffs, as an import checks it.
            LookChange::Catalogue(_) => {
                let problems = self.tenants.problems(&after);
                if !problems.is_empty() {
                    return Err(LookError::Invalid(problems));
                }
            }
            _ => after
                .validate(self.tenants.base_tokens())
                .map_err(LookError::Invalid)?,
        }
        let mut changes = differences(&before, &after);
        changes.extend(crate::catalogue::differences(&before, &after));
        if let LookChange::Logo(logo) = &change
            && !logo.removed.is_empty()
        {
            changes.push(format!(
                "removed from the file: {}",
                logo.removed.join(", ")
            ));
        }
        let reason = if changes.is_empty() {
            "unchanged".to_owned()
        } else {
            changes.join("; ")
        };
        let entry = match &change {
            LookChange::Catalogue(edit) => {
                let kind = if edit.of_zones() {
                    "zone"
                } else {
                    "product_type"
                };
                audit.about(kind, format!("{slug}/{}", edit.code()))
            }
            _ => audit.about("tenant", slug.as_str()),
        };
        let entry = entry.with_reason(reason.chars().take(4000).collect::<String>());
        let part = match change {
            LookChange::Settings(_) => LookPart::Settings(Box::new(after.clone())),
            LookChange::Logo(logo) => LookPart::Logo(logo.logo),
            LookChange::Tokens(tokens) => LookPart::Tokens(tokens),
            LookChange::Catalogue(edit) if edit.of_zones() => LookPart::Zones(after.zones),
            LookChange::Catalogue(_) => LookPart::ProductTypes(after.product_types),
        };
        match self.tenants.change_look(id, version, &part, &entry).await {
            Ok(LookSaved::Saved(version)) => Ok(LookOutcome::Saved { version, changes }),
            Ok(LookSaved::Stale) => Ok(LookOutcome::Stale),
            Err(SaveTenantError::HostTaken { host, owner }) => {
                Err(LookError::HostTaken { host, owner })
            }
            Err(SaveTenantError::InUse(codes)) => Err(LookError::InUse(codes)),
            Err(SaveTenantError::Store(e)) => Err(LookError::Store(e)),
            Err(other) => Err(LookError::Store(StoreError::new(other.to_string()))),
        }
    }
}

/// Every difference of the look between `before` and `after`, as `field: "before" → "after"`.
fn differences(before: &TenantConfig, after: &TenantConfig) -> Vec<String> {
    let mut changes = Vec::new();
    let (was, now) = (
        GemeenteSettings::of(before).described(),
        GemeenteSettings::of(after).described(),
    );
    for ((field, old), (_, new)) in was.iter().zip(&now) {
        if old != new {
            changes.push(format!("{field}: {old:?} → {new:?}"));
        }
    }
    if before.logo != after.logo {
        changes.push(format!(
            "logo: {} → {}",
            logo_summary(&before.logo),
            logo_summary(&after.logo)
        ));
    }
    let names: std::collections::BTreeSet<&str> = before
        .tokens
        .iter()
        .chain(after.tokens.iter())
        .map(|(name, _)| name)
        .collect();
    for name in names {
        let (old, new) = (before.tokens.get(name), after.tokens.get(name));
        if old != new {
            changes.push(format!(
                "--{name}: {} → {}",
                old.unwrap_or("(theme)"),
                new.unwrap_or("(theme)")
            ));
        }
    }
    changes
}

/// A logo as the audit trail names it: its kind, size and the start of its SHA-256.
fn logo_summary(logo: &Logo) -> String {
    let digest = Sha256::digest(&logo.bytes);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!(
        "{} {} bytes sha256:{hex}",
        logo.content_type,
        logo.bytes.len()
    )
}
