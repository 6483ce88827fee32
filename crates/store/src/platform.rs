//! The platform's recorded facts in the database.

use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::platform_facts;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::platform::FactRepository;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

/// Facts in the `platform_facts` table.
#[derive(Clone, Debug)]
pub struct SeaFactRepository {
    db: Database,
}

impl SeaFactRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl FactRepository for SeaFactRepository {
    async fn fact(&self, key: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let row = platform_facts::Entity::find_by_id(key.to_owned())
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(row.map(|r| (r.value, r.recorded_at)))
    }

    async fn record(&self, key: &str, value: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let known = platform_facts::Entity::find_by_id(key.to_owned())
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?;
        if known.is_none() {
            platform_facts::ActiveModel {
                key: Set(key.to_owned()),
                value: Set(value.to_owned()),
                recorded_at: Set(now),
            }
            .insert(&txn)
            .await
            .map_err(StoreError::new)?;
        }
        txn.commit().await.map_err(StoreError::new)
    }
}
