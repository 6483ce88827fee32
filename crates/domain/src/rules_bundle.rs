//! Rules as code (#23): a gemeente that keeps its configuration in its own repository puts it
//! back as a bundle through the admin API. The bundle is checked as the console checks (the
//! archive's reader found every problem of every file; here every changed script and tariff is
//! also priced, so what fails as it runs is refused too), the platformbeheerder's fields (slug,
//! host names, public URL) are refused when they change, and then it is imported in one
//! transaction: new versions only for the scripts and tariffs that changed, scheduled from
//! `effective_from` when given; everything else at once.

use crate::audit::AuditEntry;
use crate::ports::RulesStamp;
use crate::rules_console::{
    PriceQuestion, RuleKind, RuleProblem, RuleVersion, RulesConsole, preview_intervals,
};
use crate::tenancy::ImportError;
use crate::tenant::{Tenant, TenantConfig};
use crate::{Code, StoreError};

/// What a bundle did to the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleApplied {
    /// The files of the scripts and tariffs that got a new version (`rules/x.rhai`,
    /// `tariffs/x.toml`), by name.
    pub rule_files: Vec<String>,
}

/// A problem of a bundle's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// The file, as the bundle names it.
    pub file: String,
    /// Where in it and what.
    pub problem: RuleProblem,
}

/// Why a bundle was not applied.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// It changes what only the platformbeheerder changes: `slug`, `hosts`, `public_url`, or
    /// what would change the meaning of products issued (`product_types.<code>.unit`, `.kind`).
    #[error("the bundle changes {0:?}, which it may not")]
    Protected(Vec<String>),
    /// `effective_from` is not in the future, or too far ahead.
    #[error("the moment it takes effect is not in the future or too far ahead")]
    EffectiveFromInvalid,
    /// A script or tariff fails as it prices.
    #[error("the bundle has problems")]
    Problems(Vec<FileProblem>),
    /// The import refused it.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RulesConsole {
    /// Applies `config`, read from a bundle and checked, to `tenant`, its new rule versions
    /// stamped with `stamp`; `audit` (the caller's) is written in the import's transaction,
    /// its reason naming each new version with the one before.
    pub async fn apply_bundle(
        &self,
        tenant: &Tenant,
        config: &TenantConfig,
        stamp: &RulesStamp,
        audit: &AuditEntry,
    ) -> Result<BundleApplied, BundleError> {
        let current = self
            .tenants
            .export(&tenant.slug)
            .await?
            .ok_or_else(|| StoreError::new("the gemeente of a bundle is not there"))?;
        let mut protected: Vec<String> = Vec::new();
        if config.slug != current.slug {
            protected.push("slug".into());
        }
        // The same hosts in another order are the same hosts.
        let hosts = |c: &TenantConfig| {
            let mut hosts: Vec<String> = c.hosts.iter().map(ToString::to_string).collect();
            hosts.sort();
            hosts
        };
        if hosts(config) != hosts(&current) {
            protected.push("hosts".into());
        }
        if config.public_url != current.public_url {
            protected.push("public_url".into());
        }
        // A product type's unit and kind give meaning to every balance and product of it.
        for pt in &config.product_types {
            if let Some(was) = current.product_types.iter().find(|c| c.code == pt.code) {
                if was.unit != pt.unit {
                    protected.push(format!("product_types.{}.unit", pt.code));
                }
                if was.kind != pt.kind {
                    protected.push(format!("product_types.{}.kind", pt.code));
                }
            }
        }
        if !protected.is_empty() {
            return Err(BundleError::Protected(protected));
        }
        if stamp
            .effective_from
            .is_some_and(|from| !crate::rule_schedule::schedulable(stamp.at, from))
        {
            return Err(BundleError::EffectiveFromInvalid);
        }
        let changed = self.changed_files(tenant, config, stamp).await?;
        let problems = self.pricing_problems(config, &changed, stamp);
        if !problems.is_empty() {
            return Err(BundleError::Problems(problems));
        }
        // The store decides the protected fields again under the gemeente's row lock.
        match self.tenants.import_stamped(config, audit, stamp).await {
            Err(ImportError::Save(crate::ports::SaveTenantError::Protected(fields))) => {
                return Err(BundleError::Protected(fields));
            }
            other => other?,
        };
        Ok(BundleApplied {
            rule_files: changed.into_iter().map(|(_, _, file)| file).collect(),
        })
    }

    /// The scripts and tariffs of `config` that differ from the version in force when
    /// `stamp`'s versions take effect and, when scheduled, from the one in force now (what
    /// `GET /bundle` served): product type, kind and file. The store decides the same way.
    async fn changed_files(
        &self,
        tenant: &Tenant,
        config: &TenantConfig,
        stamp: &RulesStamp,
    ) -> Result<Vec<(Code, RuleKind, String)>, StoreError> {
        let then = stamp.takes_effect();
        let mut changed = Vec::new();
        for pt in &config.product_types {
            for (kind, sources) in [
                (RuleKind::Script, &config.scripts),
                (RuleKind::Tariff, &config.tariffs),
            ] {
                let versions = self
                    .tenants
                    .rule_versions(tenant.id, &pt.code, kind)
                    .await?;
                let source_at = |at| {
                    RuleVersion::in_force(&versions, at)
                        .map(|v| v.source.as_str())
                        .unwrap_or_default()
                };
                let wanted = sources
                    .get(&pt.code)
                    .map(String::as_str)
                    .unwrap_or_default();
                if source_at(then) != wanted && source_at(stamp.at) != wanted {
                    changed.push((pt.code.clone(), kind, kind.file_name(&pt.code)));
                }
            }
        }
        Ok(changed)
    }

    /// What pricing the week after the versions take effect finds wrong with each changed
    /// product type's script and tariff together, named by the changed file.
    fn pricing_problems(
        &self,
        config: &TenantConfig,
        changed: &[(Code, RuleKind, String)],
        stamp: &RulesStamp,
    ) -> Vec<FileProblem> {
        let (_, intervals) = preview_intervals(config.time_zone, stamp.takes_effect());
        let zone = config
            .zones
            .first()
            .map(|z| z.code.as_str())
            .unwrap_or_default();
        let mut problems = Vec::new();
        let mut priced: Vec<&Code> = Vec::new();
        for (code, _, file) in changed {
            // A product type's script and tariff are priced together, once.
            if priced.contains(&code) {
                continue;
            }
            priced.push(code);
            let question = PriceQuestion {
                gemeente: config.slug.as_str(),
                product_type: code,
                time_zone: config.time_zone,
                zone,
                script: config
                    .scripts
                    .get(code)
                    .map(String::as_str)
                    .filter(|s| !s.is_empty()),
                tariff: config
                    .tariffs
                    .get(code)
                    .map(String::as_str)
                    .filter(|s| !s.is_empty()),
                intervals: &intervals,
            };
            if let Err(message) = self.validator.prices(&question) {
                problems.push(FileProblem {
                    file: file.clone(),
                    problem: RuleProblem {
                        line: 0,
                        column: 0,
                        message,
                    },
                });
            }
        }
        problems
    }
}
