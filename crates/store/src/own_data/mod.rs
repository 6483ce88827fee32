//! The resident's own data: everything about an account read in one snapshot, and the
//! account deleted in one transaction.

mod erase;
mod export;

use crate::database::{Backend, Database};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::mandates::SessionEnd;
use parkportal_domain::own_data::{Erased, OwnDataExport, OwnDataRepository};
use parkportal_domain::parking::{ParkingSession, ProductView};
use parkportal_domain::{Account, AccountId, StoreError};
use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};

/// The resident's data in the database.
#[derive(Clone, Debug)]
pub struct SeaOwnDataRepository {
    db: Database,
}

impl SeaOwnDataRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl OwnDataRepository for SeaOwnDataRepository {
    async fn export(&self, account: AccountId) -> Result<Option<OwnDataExport>, StoreError> {
        // One snapshot for every table: a session started meanwhile shows with its ledger
        // entry or not at all. SQLite's read transaction is one already.
        let (isolation, access) = match self.db.backend() {
            Backend::Postgres => (
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            ),
            Backend::Sqlite => (None, None),
        };
        let txn = self
            .db
            .connection()
            .begin_with_config(isolation, access)
            .await
            .map_err(StoreError::new)?;
        let export = export::export(&txn, account).await?;
        txn.rollback().await.map_err(StoreError::new)?;
        Ok(export)
    }

    async fn live_sessions(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<(ProductView, ParkingSession)>, StoreError> {
        erase::live_sessions(&self.db, account, now).await
    }

    async fn erase(
        &self,
        account: &Account,
        ends: &[SessionEnd],
        now: DateTime<Utc>,
    ) -> Result<Erased, StoreError> {
        erase::erase(&self.db, account, ends, now).await
    }
}
