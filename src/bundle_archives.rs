//! The console's [`BundleArchives`] port on the bundle reader of `parkportal tenants`: an
//! uploaded archive is read in memory ([`crate::archive`]), its files read as a bundle folder
//! is ([`crate::bundle::read_from`]) and checked as `tenants check` checks one, each problem
//! named by its file (and line, where the file's reader or the key tells it).

use crate::archive::{self, ArchiveProblem};
use crate::bundle::{self, BundleError, InMemory, MANIFEST};
use parkportal_admin::{BundleArchives, BundleProblem};
use parkportal_domain::{TenantConfig, TenantDirectory};
use std::collections::BTreeMap;

/// Bundles as archives, checked against `directory`'s theme and rule validator.
pub struct ArchiveBundles {
    directory: TenantDirectory,
}

impl ArchiveBundles {
    /// The archives of gemeenten `directory` checks.
    pub fn new(directory: TenantDirectory) -> Self {
        Self { directory }
    }
}

fn from_archive(p: ArchiveProblem) -> BundleProblem {
    BundleProblem {
        file: p.file,
        line: None,
        message: p.message,
    }
}

fn from_bundle(e: &BundleError) -> BundleProblem {
    BundleProblem {
        file: e.path().display().to_string(),
        line: e.line(),
        message: e.message(),
    }
}

/// A file's name and line at the start of a rule checker's `file:line:col: message`.
fn file_and_line(detail: &str) -> Option<(&str, Option<usize>)> {
    let (file, rest) = detail.split_once(':')?;
    let line = rest.split(':').next().and_then(|l| l.trim().parse().ok());
    (file.starts_with("rules/") || file.starts_with("tariffs/")).then_some((file, line))
}

impl ArchiveBundles {
    /// What `tenants check` finds wrong with `config`, each with the file it is in.
    fn problems(
        &self,
        config: &TenantConfig,
        folder: &str,
        files: &BTreeMap<String, Vec<u8>>,
    ) -> Vec<BundleProblem> {
        let manifest = files
            .get(MANIFEST)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let mut found = Vec::new();
        // `tenants/<slug>/` names the gemeente: a folder of another name is a mistake.
        let named = folder
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        if !named.is_empty() && named != config.slug.as_str() {
            found.push(BundleProblem {
                file: format!("{folder}{MANIFEST}"),
                line: bundle::line_of_key(&manifest, "slug"),
                message: format!("the slug {} is not the folder's name {named}", config.slug),
            });
        }
        for p in self.directory.problems(config) {
            let (file, line) = match (p.what, file_and_line(&p.detail)) {
                (_, Some((file, line))) => (file.to_owned(), line),
                ("tokens", None) if files.contains_key("tokens.json") => {
                    ("tokens.json".to_owned(), None)
                }
                (what, None) => (MANIFEST.to_owned(), bundle::line_of_key(&manifest, what)),
            };
            found.push(BundleProblem {
                file: format!("{folder}{file}"),
                line,
                message: p.to_string(),
            });
        }
        found
    }
}

impl BundleArchives for ArchiveBundles {
    fn read(&self, bytes: &[u8]) -> Result<TenantConfig, Vec<BundleProblem>> {
        let (folder, files) = archive::read_archive(bytes)
            .map_err(|problems| problems.into_iter().map(from_archive).collect::<Vec<_>>())?;
        let config = bundle::read_from(&InMemory {
            folder: &folder,
            files: &files,
        })
        .map_err(|e| vec![from_bundle(&e)])?;
        let problems = self.problems(&config, &folder, &files);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    fn write(&self, config: &TenantConfig, folder: &str) -> Result<Vec<u8>, String> {
        let files = bundle::bundle_files(config).map_err(|e| e.to_string())?;
        archive::write_tar_gz(folder, &files).map_err(|e| e.to_string())
    }
}
