//! Ports: what the domain needs from the outside world, as traits. `crates/store` implements them
//! on a database; tests may implement them in memory.

use crate::ids::TenantId;
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
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
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
    /// The whole configuration of a gemeente, as `tenants export` writes it.
    async fn config(&self, slug: &TenantSlug) -> Result<Option<TenantConfig>, StoreError>;
    /// Creates or replaces a gemeente's configuration in one transaction. Zones and product types
    /// are matched by code: new ones are added, known ones renamed, none removed (products will
    /// refer to them).
    async fn save(&self, config: &TenantConfig) -> Result<Saved, SaveTenantError>;
}

/// Whether the service can do its work (for `/readyz`).
#[async_trait]
pub trait Readiness: Send + Sync {
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}
