//! Use cases around gemeenten: which gemeente a request is for, listing them, and bringing them in
//! and out as files.

use crate::audit::AuditEntry;
use crate::clock::Clock;
use crate::ports::{
    CatalogueUse, LookPart, LookSaved, RuleValidator, RulesStamp, SaveMode, SaveTenantError, Saved,
    StoreError, TenantRepository,
};
use crate::rules_console::{RuleChange, RuleKind, RuleSaved, RuleVersion};
use crate::suspension::{SuspensionChange, SuspensionOutcome};
use crate::tenant::{Hostname, Logo, Tenant, TenantConfig, TenantOverview, TenantSlug};
use crate::theme::ThemeTokens;
use crate::{Code, ParseError, TariffFacts, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a gemeente could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The configuration is inconsistent.
    #[error("the configuration of {slug} is invalid: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// The gemeente.
        slug: TenantSlug,
        /// Everything that is wrong.
        problems: Vec<ParseError>,
    },
    /// Saving failed.
    #[error(transparent)]
    Save(#[from] SaveTenantError),
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new gemeente.
    Created(TenantId),
    /// An existing gemeente was updated.
    Updated(TenantId),
}

/// The gemeenten of the platform: the use cases pages and the CLI call.
#[derive(Clone)]
pub struct TenantDirectory {
    repo: Arc<dyn TenantRepository>,
    base_tokens: ThemeTokens,
    validator: Arc<dyn RuleValidator>,
    /// What "now" is: which rule versions are in force, when an import's take effect.
    clock: Arc<dyn Clock>,
}

/// A tenant repository that reuses what a host or slug selected lately. Every request asks, and a
/// gemeente on its own host costs three queries, so an answer is reused for `keep`, measured on
/// the [`Clock`] port (tests move it; nothing here sleeps on wall time). A save through this
/// repository forgets every answer at once; a change made by another instance or the command line
/// shows after `keep` at the latest. It sits around the store's repository, outside the use cases:
/// they neither know nor care that answers are remembered.
struct RememberingTenants {
    inner: Arc<dyn TenantRepository>,
    clock: Arc<dyn Clock>,
    keep: Duration,
    answers: Mutex<Answers>,
}

/// The remembered answers, and how many times they were forgotten: an answer read before a save
/// is not kept after it.
#[derive(Default)]
struct Answers {
    generation: u64,
    by: HashMap<Selector, (DateTime<Utc>, Option<Tenant>)>,
}

/// How a request selects its gemeente.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Selector {
    Host(Hostname),
    Slug(TenantSlug),
}

/// At most this many answers are kept: Host headers are the client's to choose.
const RECENT_MAX: usize = 1024;

impl RememberingTenants {
    /// A fresh answer, or the generation to hand to [`RememberingTenants::put`] with the one read
    /// now.
    fn get(&self, selector: &Selector) -> Result<Option<Tenant>, u64> {
        let Ok(answers) = self.answers.lock() else {
            return Err(u64::MAX);
        };
        match answers.by.get(selector) {
            Some((at, tenant)) if self.fresh(*at) => Ok(tenant.clone()),
            _ => Err(answers.generation),
        }
    }

    /// Whether an answer read `at` is younger than `keep`. A clock that went back cannot tell how
    /// old it is: read again.
    fn fresh(&self, at: DateTime<Utc>) -> bool {
        (self.clock.now() - at)
            .to_std()
            .is_ok_and(|age| age < self.keep)
    }

    /// Keeps `tenant`, read in `generation`, unless the answers were forgotten since.
    fn put(&self, generation: u64, selector: Selector, tenant: &Option<Tenant>) {
        let now = self.clock.now();
        if let Ok(mut answers) = self.answers.lock()
            && answers.generation == generation
        {
            if answers.by.len() >= RECENT_MAX {
                answers.by.clear();
            }
            answers.by.insert(selector, (now, tenant.clone()));
        }
    }

    fn forget(&self) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.generation += 1;
            answers.by.clear();
        }
    }

    /// The gemeente `selector` selects, as remembered or read.
    async fn select(&self, selector: Selector) -> Result<Option<Tenant>, StoreError> {
        let generation = match self.get(&selector) {
            Ok(known) => return Ok(known),
            Err(generation) => generation,
        };
        let tenant = match &selector {
            Selector::Host(host) => self.inner.by_host(host).await?,
            Selector::Slug(slug) => self.inner.by_slug(slug).await?,
        };
        self.put(generation, selector, &tenant);
        Ok(tenant)
    }
}

#[async_trait]
impl TenantRepository for RememberingTenants {
    async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        self.inner.list().await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.inner.count().await
    }

    async fn by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError> {
        self.select(Selector::Slug(slug.clone())).await
    }

    async fn by_host(&self, host: &Hostname) -> Result<Option<Tenant>, StoreError> {
        self.select(Selector::Host(host.clone())).await
    }

    async fn overview(&self, id: TenantId) -> Result<Option<TenantOverview>, StoreError> {
        self.inner.overview(id).await
    }

    async fn logo(&self, id: TenantId) -> Result<Option<Logo>, StoreError> {
        self.inner.logo(id).await
    }

    async fn config(
        &self,
        slug: &TenantSlug,
        at: DateTime<Utc>,
    ) -> Result<Option<TenantConfig>, StoreError> {
        self.inner.config(slug, at).await
    }

    async fn save(
        &self,
        config: &TenantConfig,
        audit: Option<&AuditEntry>,
        mode: SaveMode,
        stamp: &RulesStamp,
    ) -> Result<Saved, SaveTenantError> {
        let saved = self.inner.save(config, audit, mode, stamp).await;
        // Forgotten also when saving failed half-way: what was remembered may be stale.
        self.forget();
        saved
    }

    async fn change_suspension(
        &self,
        tenant: TenantId,
        change: &SuspensionChange,
        audit: &AuditEntry,
    ) -> Result<SuspensionOutcome, StoreError> {
        let changed = self.inner.change_suspension(tenant, change, audit).await;
        // A suspension holds on this instance from the next request on.
        self.forget();
        changed
    }

    async fn remove_unused(&self, id: TenantId, audit: &AuditEntry) -> Result<bool, StoreError> {
        let removed = self.inner.remove_unused(id, audit).await;
        self.forget();
        removed
    }

    async fn rule_versions(
        &self,
        tenant: TenantId,
        code: &Code,
        kind: RuleKind,
    ) -> Result<Vec<RuleVersion>, StoreError> {
        self.inner.rule_versions(tenant, code, kind).await
    }

    async fn save_rule(
        &self,
        tenant: TenantId,
        rule: (&Code, RuleKind),
        change: &RuleChange,
        audit: &AuditEntry,
    ) -> Result<RuleSaved, StoreError> {
        let saved = self.inner.save_rule(tenant, rule, change, audit).await;
        // The gemeente's new configuration version makes its rules read again here at once.
        self.forget();
        saved
    }

    async fn change_look(
        &self,
        tenant: TenantId,
        version: i64,
        part: &LookPart,
        audit: &AuditEntry,
    ) -> Result<LookSaved, SaveTenantError> {
        let saved = self.inner.change_look(tenant, version, part, audit).await;
        self.forget();
        saved
    }

    async fn catalogue_use(&self, tenant: TenantId) -> Result<CatalogueUse, StoreError> {
        self.inner.catalogue_use(tenant).await
    }
}

impl TenantDirectory {
    /// A directory over `repo`; `base_tokens` are the default theme's, which every gemeente's
    /// tokens are laid over (and checked against); `clock` tells which rule versions are in
    /// force.
    pub fn new(
        repo: Arc<dyn TenantRepository>,
        base_tokens: ThemeTokens,
        validator: Arc<dyn RuleValidator>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo,
            base_tokens,
            validator,
            clock,
        }
    }

    /// The same directory, reusing what a host or slug selected for `keep` as measured on its
    /// clock (zero: never). A save through this directory forgets what it remembered.
    pub fn remembering(mut self, keep: Duration) -> Self {
        if !keep.is_zero() {
            self.repo = Arc::new(RememberingTenants {
                inner: self.repo,
                clock: self.clock.clone(),
                keep,
                answers: Mutex::new(Answers::default()),
            });
        }
        self
    }

    /// The rules engine's checks, as imports use them.
    pub fn validator(&self) -> Arc<dyn RuleValidator> {
        self.validator.clone()
    }

    /// The default theme's tokens.
    pub fn base_tokens(&self) -> &ThemeTokens {
        &self.base_tokens
    }

    /// The gemeente a request's Host header selects, if any.
    pub async fn by_host(&self, host: &str) -> Result<Option<Tenant>, StoreError> {
        match Hostname::parse(host) {
            Ok(host) => self.repo.by_host(&host).await,
            Err(_) => Ok(None),
        }
    }

    /// The gemeente a `/g/{slug}/` path selects, if any.
    pub async fn by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        match TenantSlug::parse(slug) {
            Ok(slug) => self.repo.by_slug(&slug).await,
            Err(_) => Ok(None),
        }
    }

    /// All gemeenten, by name.
    pub async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        self.repo.list().await
    }

    /// A gemeente with its zones and product types.
    pub async fn overview(&self, id: TenantId) -> Result<Option<TenantOverview>, StoreError> {
        self.repo.overview(id).await
    }

    /// A gemeente's logo.
    pub async fn logo(&self, id: TenantId) -> Result<Option<Logo>, StoreError> {
        self.repo.logo(id).await
    }

    /// Validates and saves a gemeente's configuration (creating or updating it).
    pub async fn import(&self, config: &TenantConfig) -> Result<ImportOutcome, ImportError> {
        let stamp = RulesStamp::import(self.clock.now());
        self.import_as(config, None, SaveMode::Upsert, &stamp).await
    }

    /// [`TenantDirectory::import`] in `mode`, with `audit` written in the same transaction
    /// (about the gemeente, with `created` or `updated` as its reason).
    pub async fn import_audited(
        &self,
        config: &TenantConfig,
        audit: &AuditEntry,
        mode: SaveMode,
    ) -> Result<ImportOutcome, ImportError> {
        let stamp = RulesStamp::import(self.clock.now());
        self.import_as(config, Some(audit), mode, &stamp).await
    }

    /// [`TenantDirectory::import_audited`] of an existing gemeente, its new rule versions
    /// stamped with `stamp` (who, why, and from when they take effect).
    pub async fn import_stamped(
        &self,
        config: &TenantConfig,
        audit: &AuditEntry,
        stamp: &RulesStamp,
    ) -> Result<ImportOutcome, ImportError> {
        self.import_as(config, Some(audit), SaveMode::UpdateOwn, stamp)
            .await
    }

    async fn import_as(
        &self,
        config: &TenantConfig,
        audit: Option<&AuditEntry>,
        mode: SaveMode,
        stamp: &RulesStamp,
    ) -> Result<ImportOutcome, ImportError> {
        self.check(config)?;
        Ok(match self.repo.save(config, audit, mode, stamp).await? {
            Saved::Created(id) => ImportOutcome::Created(id),
            Saved::Updated(id) => ImportOutcome::Updated(id),
        })
    }

    /// Removes a gemeente just created that holds nothing but its configuration, with `audit`.
    pub async fn remove_unused(
        &self,
        id: TenantId,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.repo.remove_unused(id, audit).await
    }

    /// Imports the demo gemeenten only when there are no gemeenten at all, so that a second start
    /// imports nothing twice. Returns how many were imported.
    pub async fn import_if_empty(&self, configs: &[TenantConfig]) -> Result<usize, ImportError> {
        if self.repo.count().await.map_err(SaveTenantError::from)? > 0 {
            return Ok(0);
        }
        // Validate every bundle before saving any, so that one bad bundle imports nothing.
        for config in configs {
            self.check(config)?;
        }
        for config in configs {
            self.import(config).await?;
        }
        Ok(configs.len())
    }

    /// Whether there are no gemeenten at all.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.repo.count().await? == 0)
    }

    /// Everything wrong with `config` (see [`problems`]).
    pub fn problems(&self, config: &TenantConfig) -> Vec<ParseError> {
        problems(config, &self.base_tokens, self.validator.as_ref())
    }

    fn check(&self, config: &TenantConfig) -> Result<(), ImportError> {
        let problems = self.problems(config);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ImportError::Invalid {
                slug: config.slug.clone(),
                problems,
            })
        }
    }

    /// Suspends or resumes a gemeente with its audit entry (see [`crate::suspension`]).
    pub(crate) async fn change_suspension(
        &self,
        tenant: TenantId,
        change: &SuspensionChange,
        audit: &AuditEntry,
    ) -> Result<SuspensionOutcome, StoreError> {
        self.repo.change_suspension(tenant, change, audit).await
    }

    /// The whole configuration of a gemeente with the rules in force now, for `tenants export`.
    pub async fn export(&self, slug: &TenantSlug) -> Result<Option<TenantConfig>, StoreError> {
        self.repo.config(slug, self.clock.now()).await
    }

    /// What "now" is for the gemeenten.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The versions of `kind` of gemeente `tenant`'s product type `code`, newest first.
    pub async fn rule_versions(
        &self,
        tenant: TenantId,
        code: &Code,
        kind: RuleKind,
    ) -> Result<Vec<RuleVersion>, StoreError> {
        self.repo.rule_versions(tenant, code, kind).await
    }

    /// Stores `part` of `tenant`'s configuration if it is at `version` (see
    /// [`TenantRepository::change_look`]); what this directory remembered is forgotten.
    pub async fn change_look(
        &self,
        tenant: TenantId,
        version: i64,
        part: &LookPart,
        audit: &AuditEntry,
    ) -> Result<LookSaved, SaveTenantError> {
        self.repo.change_look(tenant, version, part, audit).await
    }

    /// How many products each of `tenant`'s zones and product types has.
    pub async fn catalogue_use(&self, tenant: TenantId) -> Result<CatalogueUse, StoreError> {
        self.repo.catalogue_use(tenant).await
    }

    /// Stores `change` as the next version of `kind` of `tenant`'s product type `code` (see
    /// [`TenantRepository::save_rule`]); what this directory remembered is forgotten.
    pub async fn save_rule(
        &self,
        tenant: TenantId,
        rule: (&Code, RuleKind),
        change: &RuleChange,
        audit: &AuditEntry,
    ) -> Result<RuleSaved, StoreError> {
        self.repo.save_rule(tenant, rule, change, audit).await
    }
}

/// Everything wrong with `config`: its own consistency and contrast over `base` tokens, and whether
/// its rule scripts compile and its tariffs parse. Used by `import` and by `tenants check`.
pub fn problems(
    config: &TenantConfig,
    base: &ThemeTokens,
    validator: &dyn RuleValidator,
) -> Vec<ParseError> {
    let mut problems = config.validate(base).err().unwrap_or_default();
    // Every problem of a script, each with its line and column, as the rules console lists them.
    for (code, source) in &config.scripts {
        let name = RuleKind::Script.file_name(code);
        for p in validator.script_problems(&name, source) {
            let located = if p.line == 0 {
                format!("{name}: {p}")
            } else {
                format!("{name}:{p}")
            };
            problems.push(ParseError::new("rules", located));
        }
    }
    for (code, source) in &config.tariffs {
        let name = RuleKind::Tariff.file_name(code);
        match validator.check_tariff(&name, source) {
            Err(e) => problems.push(ParseError::new("tariffs", e)),
            Ok(facts) => problems.extend(
                tariff_misfits(config, code, &facts)
                    .into_iter()
                    .map(|m| ParseError::new("tariffs", format!("{name}: {m}"))),
            ),
        }
    }
    problems
}

/// How a tariff that charges as `facts` says misfits product type `code` of `config`: in
/// another unit than its balance, or for a zone the gemeente does not have, it would charge
/// wrongly or not at all.
pub fn tariff_misfits(config: &TenantConfig, code: &Code, facts: &TariffFacts) -> Vec<String> {
    let mut misfits = Vec::new();
    let unit = config
        .product_types
        .iter()
        .find(|p| &p.code == code)
        .map(|p| p.unit);
    if let Some(unit) = unit.filter(|u| *u != facts.unit) {
        misfits.push(format!(
            "charges in {} but {code} keeps its balance in {}",
            facts.unit.as_str(),
            unit.as_str()
        ));
    }
    for zone in facts
        .zones
        .iter()
        .filter(|z| !config.zones.iter().any(|c| c.code.as_str() == z.as_str()))
    {
        misfits.push(format!("zone {zone} is not a zone of this gemeente"));
    }
    misfits
}
