//! The platform's pages for whole gemeenten: a new one from a form, one uploaded as a bundle
//! (a `.tar.gz` or `.zip` of `tenants/<slug>/`), and one downloaded as a bundle. The console
//! knows no archive format and no bundle file: it asks [`BundleArchives`], which the
//! composition root implements on the bundle reader of `parkportal tenants`.

pub mod download;
pub mod new;
pub mod upload;

use parkportal_domain::TenantConfig;

/// The largest upload of a bundle (the body limit of the upload's route): 4 MiB.
pub const UPLOAD_LIMIT: usize = 4 * 1024 * 1024;

/// Something wrong with an uploaded bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleProblem {
    /// The file in the archive it is about (empty: the upload as a whole).
    pub file: String,
    /// The line in that file, when known.
    pub line: Option<usize>,
    /// Why (in the words of `parkportal tenants check`).
    pub message: String,
}

/// Gemeente bundles as archives: the port the console reads uploads and writes downloads
/// through.
pub trait BundleArchives: Send + Sync {
    /// The gemeente in the archive `bytes` (a `.tar.gz` or a `.zip`), checked as `parkportal
    /// tenants check` checks a folder; or every problem found, each named by its file.
    fn read(&self, bytes: &[u8]) -> Result<TenantConfig, Vec<BundleProblem>>;
    /// `config` as a `.tar.gz` of the folder `folder` (`tenants/<slug>/` for the console's
    /// download, `<slug>/` for the admin API's bundle).
    fn write(&self, config: &TenantConfig, folder: &str) -> Result<Vec<u8>, String>;
}
