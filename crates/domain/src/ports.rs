//! Ports: what the domain needs from the outside world, as traits. `crates/store` implements them
//! on a database; tests may implement them in memory.

use crate::audit::AuditEntry;
use crate::ids::TenantId;
use crate::suspension::{SuspensionChange, SuspensionOutcome};
use crate::tenant::{Hostname, Logo, Tenant, TenantConfig, TenantOverview, TenantSlug};
use async_trait::async_trait;

/// Storage failed. The cause chain is for the log; the user sees only that something went wrong.
#[derive(Debug, thiserror::Error)]
#[error("storage failed")]
pub struct StoreError {
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StoreError {
    /// Wraps the underlying cause.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: source.into(),
        }
    }
}

/// Why saving a gemeente's configuration failed.
#[derive(Debug, thiserror::Error)]
pub enum SaveTenantError {
    /// A host is already served by another gemeente.
    #[error("host {host} already belongs to gemeente {owner}")]
    HostTaken {
        /// The contested host.
        host: Hostname,
        /// The slug of the gemeente that has it.
        owner: TenantSlug,
    },
    /// A create-only save found a gemeente with this slug (made meanwhile, perhaps on another
    /// instance): nothing was written.
    #[error("a gemeente with this slug exists")]
    Exists,
    /// An [`SaveMode::UpdateOwn`] save would change what it may not (its fields named as the
    /// bundle names them): nothing was written.
    #[error("the save would change {0:?}")]
    Protected(Vec<String>),
    /// The save would delete a zone with products, or change the kind or unit of a product type
    /// with products: nothing was written.
    #[error("{}", .0.messages().join("; "))]
    InUse(InUse),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether a save may replace a gemeente with the same slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// Create it or replace its configuration (`tenants import`, a bundle with "vervang").
    Upsert,
    /// Create it only: a gemeente with the slug is [`SaveTenantError::Exists`], decided in the
    /// save's own transaction, so two simultaneous creations never overwrite each other.
    CreateOnly,
    /// Update an existing gemeente from its own bundle: [`SaveTenantError::Protected`] when it
    /// does not exist (`slug`) or would change its host names (`hosts`), public URL
    /// (`public_url`) or a product type's unit or kind (`product_types.<code>.unit`, `.kind`),
    /// decided under the gemeente's row lock in the save's own transaction, so that a change
    /// the platformbeheerder makes meanwhile is never put back.
    UpdateOwn,
}

/// What the new versions of rule scripts and tariffs a gemeente's save makes are stamped with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesStamp {
    /// When the save is made.
    pub at: chrono::DateTime<chrono::Utc>,
    /// When its new versions take effect, if later (`None`: at once).
    pub effective_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Who made them, as the audit trail names them (`None`: the command line or start-up).
    pub author: Option<String>,
    /// Why (`None`: an import).
    pub comment: Option<String>,
}

impl RulesStamp {
    /// New versions at once, by nobody in particular: an import.
    pub fn import(at: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            at,
            effective_from: None,
            author: None,
            comment: None,
        }
    }

    /// The moment the new versions take effect.
    pub fn takes_effect(&self) -> chrono::DateTime<chrono::Utc> {
        self.effective_from.unwrap_or(self.at)
    }
}

/// Whether a save created a gemeente or updated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// A new gemeente.
    Created(TenantId),
    /// An existing gemeente's configuration was replaced.
    Updated(TenantId),
}

/// Gemeenten and their configuration.
#[async_trait]
pub trait TenantRepository: Send + Sync {
    /// All gemeenten, by name.
    async fn list(&self) -> Result<Vec<Tenant>, StoreError>;
    /// How many gemeenten there are.
    async fn count(&self) -> Result<u64, StoreError>;
    /// The gemeente with this slug.
    async fn by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError>;
    /// The gemeente that lists this host.
    async fn by_host(&self, host: &Hostname) -> Result<Option<Tenant>, StoreError>;
    /// A gemeente with its zones and product types.
    async fn overview(&self, id: TenantId) -> Result<Option<TenantOverview>, StoreError>;
    /// A gemeente's logo.
    async fn logo(&self, id: TenantId) -> Result<Option<Logo>, StoreError>;
    /// The whole configuration of a gemeente, as `tenants export` writes it, with the rule
    /// scripts and tariffs in force `at`.
    async fn config(
        &self,
        slug: &TenantSlug,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<TenantConfig>, StoreError>;
    /// Creates or replaces a gemeente's configuration in one transaction. Zones and product types
    /// are matched by code: new ones are added, known ones renamed, none removed (products will
    /// refer to them). `audit`, when given, is written in the same transaction, within the
    /// gemeente, about it (`tenant`, its slug) unless it names an object, with `created` or
    /// `updated` as its reason.
    async fn save(
        &self,
        config: &TenantConfig,
        audit: Option<&crate::audit::AuditEntry>,
        mode: SaveMode,
        stamp: &RulesStamp,
    ) -> Result<Saved, SaveTenantError>;
    /// Suspends or resumes gemeente `tenant` as `change` says and writes `audit` in the same
    /// transaction; when it is in that state already, changes and writes nothing
    /// ([`SuspensionOutcome::Already`]). A save of its configuration never touches this state.
    async fn change_suspension(
        &self,
        tenant: TenantId,
        change: &SuspensionChange,
        audit: &AuditEntry,
    ) -> Result<SuspensionOutcome, StoreError>;
    /// Removes a gemeente that holds nothing but its configuration (just created, when what
    /// had to come with it could not be made), writing `audit` in the same transaction. `false`
    /// (nothing removed) when there is no such gemeente or it is in use: someone has a role in
    /// it, or a product refers to it.
    async fn remove_unused(
        &self,
        id: TenantId,
        audit: &crate::audit::AuditEntry,
    ) -> Result<bool, StoreError>;
    /// The versions of `kind` of gemeente `tenant`'s product type `code`, newest first.
    async fn rule_versions(
        &self,
        tenant: TenantId,
        code: &crate::Code,
        kind: crate::rules_console::RuleKind,
    ) -> Result<Vec<crate::rules_console::RuleVersion>, StoreError>;
    /// Stores `change` as the next version of `kind` of `tenant`'s product type `code` unless
    /// it equals the latest, moving the gemeente's configuration version on, with `audit`
    /// (its reason: the versions before and after) in the same transaction.
    async fn save_rule(
        &self,
        tenant: TenantId,
        rule: (&crate::Code, crate::rules_console::RuleKind),
        change: &crate::rules_console::RuleChange,
        audit: &crate::audit::AuditEntry,
    ) -> Result<crate::rules_console::RuleSaved, StoreError>;
    /// Stores `part` of gemeente `tenant`'s configuration if it is still at `version`, moving
    /// the version on, with `audit` in the same transaction; decided under the gemeente's row
    /// lock. A host name another gemeente has is [`SaveTenantError::HostTaken`].
    async fn change_look(
        &self,
        tenant: TenantId,
        version: i64,
        part: &LookPart,
        audit: &AuditEntry,
    ) -> Result<LookSaved, SaveTenantError>;
    /// How many products each of gemeente `tenant`'s zones and product types has.
    async fn catalogue_use(&self, tenant: TenantId) -> Result<CatalogueUse, StoreError>;
}

/// One part of a gemeente's configuration as the console changes it (see
/// [`crate::gemeente_look`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookPart {
    /// The settings of this configuration: name, contact line, return address, language, time
    /// zone, footer links, plate retention, host names and public URL. Nothing else of it.
    Settings(Box<TenantConfig>),
    /// The logo.
    Logo(crate::Logo),
    /// The design tokens.
    Tokens(crate::ThemeTokens),
    /// The zones, all of them in display order: one missing is deleted (unless in use).
    Zones(Vec<crate::ZoneSpec>),
    /// The product types, all of them in display order.
    ProductTypes(Vec<crate::tenant::ProductTypeSpec>),
}

/// What a save may not touch because products refer to it, by code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InUse {
    /// Zones with products the save would delete.
    pub zones: Vec<String>,
    /// Product types with products whose kind or unit the save would change.
    pub product_types: Vec<String>,
}

impl InUse {
    /// What each refusal says, for a bundle's problems and the command line.
    pub fn messages(&self) -> Vec<String> {
        let zones = self.zones.iter().map(|code| {
            format!("zone {code} has products: it cannot be left out; retire it (retired = true)")
        });
        let types = self.product_types.iter().map(|code| {
            format!("product type {code} has products: its kind and unit cannot change")
        });
        zones.chain(types).collect()
    }
}

/// How many products each zone and product type of a gemeente has, by code: what is in use
/// is retired, never deleted, and keeps its kind and unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueUse {
    /// Products per zone code.
    pub zones: std::collections::BTreeMap<String, u64>,
    /// Products per product type code.
    pub product_types: std::collections::BTreeMap<String, u64>,
}

/// How a [`TenantRepository::change_look`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookSaved {
    /// Stored; the configuration's new version.
    Saved(i64),
    /// The configuration was at another version: nothing was stored.
    Stale,
}

/// A version of a gemeente's rule script or tariff for one product type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSourceVersion {
    /// The product type's code.
    pub product_type: crate::tenant::Code,
    /// The version, counting from 1 per product type; sessions record it.
    pub version: i64,
    /// The source text (rhai or TOML; empty: the version that removed it, so the defaults apply).
    pub source: String,
    /// When it takes effect (`None`: since always).
    pub effective_from: crate::rule_schedule::EffectiveFrom,
}

impl RuleSourceVersion {
    /// Its place in the order versions take over in.
    pub fn take_over(&self) -> crate::rule_schedule::TakeOver {
        (self.effective_from, self.version)
    }
}

/// A gemeente's rule scripts and tariffs from a moment on: per product type the version in
/// force then and every version scheduled after it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSources {
    /// Rule scripts.
    pub scripts: Vec<RuleSourceVersion>,
    /// Tariffs.
    pub tariffs: Vec<RuleSourceVersion>,
}

impl RuleSources {
    /// The script and tariff of `product_type` in force `at` (not before the moment these were
    /// read at); `None` where none is, or the one in force removed it.
    pub fn in_force(
        &self,
        product_type: &crate::tenant::Code,
        at: chrono::DateTime<chrono::Utc>,
    ) -> (Option<&RuleSourceVersion>, Option<&RuleSourceVersion>) {
        (
            in_force_of(&self.scripts, product_type, at),
            in_force_of(&self.tariffs, product_type, at),
        )
    }
}

/// Of `all`, the version of `product_type` in force `at`, unless it removed it.
fn in_force_of<'a>(
    all: &'a [RuleSourceVersion],
    product_type: &crate::tenant::Code,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<&'a RuleSourceVersion> {
    let of_type: Vec<&'a RuleSourceVersion> = all
        .iter()
        .filter(|v| &v.product_type == product_type)
        .collect();
    crate::rule_schedule::in_force_at(&of_type, at, |v| v.take_over())
        .copied()
        .filter(|v| !v.source.is_empty())
}

/// A failed rule-script call, as administrators will read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleErrorEntry {
    /// The gemeente.
    pub tenant: TenantId,
    /// The script's name.
    pub script: String,
    /// The script's version.
    pub script_version: i64,
    /// The hook.
    pub function: String,
    /// What went wrong.
    pub message: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Rule scripts and tariffs: stored versioned, read by the server, failures recorded.
#[async_trait]
pub trait RuleRepository: Send + Sync {
    /// The scripts and tariffs of a gemeente in force `at` and scheduled after it.
    async fn sources(
        &self,
        tenant: TenantId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<RuleSources, StoreError>;
    /// One stored version of a product type's script (`tariff` false) or tariff (`tariff` true):
    /// the prices a session was made with. `None` for version 0 or an empty (removing) version.
    async fn source_at(
        &self,
        tenant: TenantId,
        product_type: &crate::tenant::Code,
        tariff: bool,
        version: i64,
    ) -> Result<Option<String>, StoreError>;
    /// Records a failed hook call.
    async fn record_error(&self, entry: RuleErrorEntry) -> Result<(), StoreError>;
    /// The newest recorded failures of a gemeente, newest first.
    async fn errors(&self, tenant: TenantId, limit: u64)
    -> Result<Vec<RuleErrorEntry>, StoreError>;
}

/// Checks rule scripts and tariffs before they are stored (the rules engine implements it).
pub trait RuleValidator: Send + Sync {
    /// Every problem of a rule script (`name` is its file): what does not compile, and hooks
    /// misnamed or taking other parameters than `ctx`, each with its line and column.
    fn script_problems(&self, name: &str, source: &str) -> Vec<crate::rules_console::RuleProblem>;
    /// What a tariff charges in and which zones it names, or its problems (a syntax error with
    /// its line and column).
    fn tariff_problems(
        &self,
        name: &str,
        source: &str,
    ) -> Result<TariffFacts, Vec<crate::rules_console::RuleProblem>>;
    /// What each interval of `question` costs, through the same code as a session's price;
    /// the error when the script fails as it runs.
    fn prices(
        &self,
        question: &crate::rules_console::PriceQuestion<'_>,
    ) -> Result<Vec<rust_decimal::Decimal>, String>;

    /// A tariff file as the console's form edits it, or why it cannot be (it does not parse).
    fn tariff_model(&self, source: &str) -> Result<crate::tariff_model::TariffModel, String>;

    /// Compiles a rule script; the error names `name`, line and column of its first problem.
    fn check_script(&self, name: &str, source: &str) -> Result<(), String> {
        match self.script_problems(name, source).first() {
            None => Ok(()),
            Some(p) if p.line == 0 => Err(format!("{name}: {p}")),
            Some(p) => Err(format!("{name}:{p}")),
        }
    }

    /// Parses a tariff and tells what it charges in and which zones it names.
    fn check_tariff(&self, name: &str, source: &str) -> Result<TariffFacts, String> {
        self.tariff_problems(name, source)
            .map_err(|problems| match problems.first() {
                Some(p) if p.line > 0 => format!("{name}:{p}"),
                Some(p) => format!("{name}: {p}"),
                None => format!("{name}: does not parse"),
            })
    }
}

/// What the domain cross-checks of a tariff against its gemeente.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffFacts {
    /// The unit it charges in.
    pub unit: crate::tenant::BalanceUnit,
    /// The zone codes its time frames name (empty: all zones).
    pub zones: Vec<String>,
}

/// Whether the service can do its work (for `/readyz`).
#[async_trait]
pub trait Readiness: Send + Sync {
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}
