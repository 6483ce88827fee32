//! Facts the database records about itself, so that every later start reads them from the data
//! rather than guessing from the configuration: for now, that `serve` created it as the demo.

use crate::Clock;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The key of the fact that the database was created as the embedded demo.
const DEMO: &str = "demo";

/// Recorded facts, by key.
#[async_trait]
pub trait FactRepository: Send + Sync {
    /// The value of fact `key` and when it was recorded, if it ever was.
    async fn fact(&self, key: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError>;
    /// Records fact `key` unless it already is: a fact keeps its first value and moment.
    async fn record(&self, key: &str, value: &str, now: DateTime<Utc>) -> Result<(), StoreError>;
}

/// What the database says about the platform.
#[derive(Clone)]
pub struct PlatformFacts {
    repo: Arc<dyn FactRepository>,
    clock: Arc<dyn Clock>,
}

impl PlatformFacts {
    /// On its port.
    pub fn new(repo: Arc<dyn FactRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// Records that this database was created as the demo (`how` says by what, for whoever
    /// reads the table).
    pub async fn record_demo(&self, how: &str) -> Result<(), StoreError> {
        self.repo.record(DEMO, how, self.clock.now()).await
    }

    /// Whether this database was created as the demo.
    pub async fn created_as_demo(&self) -> Result<bool, StoreError> {
        Ok(self.repo.fact(DEMO).await?.is_some())
    }
}
