//! The rules as the server reads them: from the database (the source of truth at run time),
//! compiled once per stored version and shared by every request.

use crate::engine::{CompiledScript, RuleEngine};
use crate::ruleset::RuleSet;
use crate::tariff::Tariff;
use chrono::{DateTime, Utc};
use parkportal_domain::parking::{RuleError, RuleVersions};
use parkportal_domain::{Code, RuleRepository, RuleSources, Tenant, TenantId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Key = (TenantId, String, i64);

/// A gemeente's sources as read: at which configuration version, at which moment.
type ReadSources = (i64, DateTime<Utc>, Arc<RuleSources>);

/// Compiled scripts and parsed tariffs by (gemeente, product type, version).
pub struct RuleBook {
    engine: Arc<RuleEngine>,
    repo: Arc<dyn RuleRepository>,
    scripts: Mutex<HashMap<Key, CompiledScript>>,
    tariffs: Mutex<HashMap<Key, Tariff>>,
    /// The sources of each gemeente (in force then, and scheduled later), with the
    /// configuration version and the moment they were read at.
    sources: Mutex<HashMap<TenantId, ReadSources>>,
}

impl RuleBook {
    /// A rule book reading from `repo` and running on `engine`.
    pub fn new(engine: Arc<RuleEngine>, repo: Arc<dyn RuleRepository>) -> Self {
        Self {
            engine,
            repo,
            scripts: Mutex::new(HashMap::new()),
            tariffs: Mutex::new(HashMap::new()),
            sources: Mutex::new(HashMap::new()),
        }
    }

    /// How many compiled scripts are cached (for tests and metrics).
    pub fn compiled_scripts(&self) -> usize {
        self.scripts.lock().map(|c| c.len()).unwrap_or_default()
    }

    /// The rules of `product_type` in `tenant` in force `at`. A new version is compiled on
    /// first use; a known one comes from the cache.
    pub async fn rule_set(
        &self,
        tenant: &Tenant,
        product_type: &Code,
        at: DateTime<Utc>,
    ) -> Result<RuleSet, RuleError> {
        let sources = Arc::new(self.repo.sources(tenant.id, at).await?);
        self.build(
            tenant.id,
            tenant.slug.as_str(),
            &sources,
            (product_type, at),
        )
    }

    /// The rules of `product_type` in gemeente `tenant` at configuration `version` in force
    /// `at`: the sources are read once per version (a gemeente's version changes with its
    /// rules; what is scheduled is read with them), so a session check reads no rules from the
    /// database.
    pub async fn rule_set_of(
        &self,
        (tenant, slug, version): (TenantId, &str, i64),
        product_type: &Code,
        at: DateTime<Utc>,
    ) -> Result<RuleSet, RuleError> {
        // What was read at a moment holds for that moment and after, never before it.
        let known = self.sources.lock().ok().and_then(|c| {
            c.get(&tenant)
                .filter(|(v, read, _)| *v == version && *read <= at)
                .map(|(_, _, s)| s.clone())
        });
        let sources = match known {
            Some(s) => s,
            None => {
                let read = Arc::new(self.repo.sources(tenant, at).await?);
                if let Ok(mut cache) = self.sources.lock() {
                    let newer = cache
                        .get(&tenant)
                        .is_some_and(|(v, when, _)| *v == version && *when < at);
                    if !newer {
                        cache.insert(tenant, (version, at, read.clone()));
                    }
                }
                read
            }
        };
        self.build(tenant, slug, &sources, (product_type, at))
    }

    fn build(
        &self,
        tenant_id: TenantId,
        slug: &str,
        sources: &RuleSources,
        (product_type, at): (&Code, DateTime<Utc>),
    ) -> Result<RuleSet, RuleError> {
        let invalid = |message: String| RuleError::Compile {
            gemeente: slug.to_owned(),
            message,
        };
        let (script, tariff) = sources.in_force(product_type, at);
        let script = match script {
            Some(stored) => {
                let key = (tenant_id, product_type.to_string(), stored.version);
                let compiled = cached(&self.scripts, key, || {
                    self.engine
                        .compile(&format!("rules/{product_type}.rhai"), &stored.source)
                        .map_err(|e| invalid(e.to_string()))
                })?;
                Some((compiled, stored.version))
            }
            None => None,
        };
        let (tariff, tariff_version) = match tariff {
            Some(stored) => {
                let key = (tenant_id, product_type.to_string(), stored.version);
                let tariff = cached(&self.tariffs, key, || {
                    Tariff::from_toml(&stored.source).map_err(|e| invalid(e.to_string()))
                })?;
                (Some(tariff), stored.version)
            }
            None => (None, 0),
        };
        Ok(RuleSet::new(
            self.engine.clone(),
            slug.to_owned(),
            product_type.to_string(),
            script,
            tariff,
        )
        .stored(tenant_id, tariff_version))
    }
}

/// Versions cached per gemeente and product type: the current one and the few that running
/// sessions were priced with.
const VERSIONS_KEPT: usize = 4;

impl RuleBook {
    /// The rules of `product_type` in `tenant` at the versions a session was priced with
    /// (version 0: none). Extensions and refunds use these, never newer prices.
    pub async fn rule_set_at(
        &self,
        tenant_id: TenantId,
        slug: &str,
        product_type: &Code,
        versions: RuleVersions,
    ) -> Result<RuleSet, RuleError> {
        let (script_version, tariff_version) = (versions.script.0, versions.tariff.0);
        let invalid = |message: String| RuleError::Compile {
            gemeente: slug.to_owned(),
            message,
        };
        let script = match self
            .repo
            .source_at(tenant_id, product_type, false, script_version)
            .await?
        {
            Some(source) => {
                let key = (tenant_id, product_type.to_string(), script_version);
                let compiled = cached(&self.scripts, key, || {
                    self.engine
                        .compile(&format!("rules/{product_type}.rhai"), &source)
                        .map_err(|e| invalid(e.to_string()))
                })?;
                Some((compiled, script_version))
            }
            None => None,
        };
        let tariff = match self
            .repo
            .source_at(tenant_id, product_type, true, tariff_version)
            .await?
        {
            Some(source) => {
                let key = (tenant_id, product_type.to_string(), tariff_version);
                Some(cached(&self.tariffs, key, || {
                    Tariff::from_toml(&source).map_err(|e| invalid(e.to_string()))
                })?)
            }
            None => None,
        };
        Ok(RuleSet::new(
            self.engine.clone(),
            slug.to_owned(),
            product_type.to_string(),
            script,
            tariff,
        )
        .stored(tenant_id, tariff_version))
    }
}

/// The cached value for `key`, or the one `make` builds; of one gemeente's product type only the
/// newest [`VERSIONS_KEPT`] versions stay.
fn cached<T: Clone>(
    cache: &Mutex<HashMap<Key, T>>,
    key: Key,
    make: impl FnOnce() -> Result<T, RuleError>,
) -> Result<T, RuleError> {
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(hit);
    }
    let value = make()?;
    if let Ok(mut cache) = cache.lock() {
        cache.insert(key.clone(), value.clone());
        let mut versions: Vec<i64> = cache
            .keys()
            .filter(|k| k.0 == key.0 && k.1 == key.1)
            .map(|k| k.2)
            .collect();
        if versions.len() > VERSIONS_KEPT {
            versions.sort_unstable();
            let cut = versions[versions.len() - VERSIONS_KEPT];
            cache.retain(|k, _| !(k.0 == key.0 && k.1 == key.1 && k.2 < cut));
        }
    }
    Ok(value)
}
