//! A gemeente's API keys in the database. Every query but the lookup of a presented key by its
//! hash names the gemeente in its own WHERE, so no key of one gemeente is read or changed
//! through another's; every write commits its audit entry in its own transaction.

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::api_keys;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::api_keys::{ApiKeyRecord, ApiKeyRepository, NameTaken, NewApiKey, Scopes};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::ids::{ApiKeyId, TenantId};
use parkportal_domain::secret::TokenHash;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};

/// API keys in the database.
#[derive(Clone, Debug)]
pub struct SeaApiKeyRepository {
    db: Database,
}

impl SeaApiKeyRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The record of a stored row; a row whose scopes no longer read is a store failure, not a key
/// with fewer rights.
fn record_of(row: api_keys::Model) -> Result<ApiKeyRecord, StoreError> {
    let scopes = Scopes::parse(&row.scopes).map_err(StoreError::new)?;
    Ok(ApiKeyRecord {
        id: ApiKeyId(row.id),
        tenant: TenantId(row.tenant_id),
        name: row.name,
        scopes,
        created_at: row.created_at,
        created_by: row.created_by,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    })
}

/// The keys of `tenant`: the start of every query but the lookup by hash.
fn of_tenant(tenant: TenantId) -> sea_orm::Select<api_keys::Entity> {
    api_keys::Entity::find().filter(api_keys::Column::TenantId.eq(tenant.0))
}

#[async_trait]
impl ApiKeyRepository for SeaApiKeyRepository {
    async fn create(
        &self,
        new: &NewApiKey,
        audit: &AuditEntry,
    ) -> Result<Result<ApiKeyRecord, NameTaken>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let live = of_tenant(new.tenant)
            .filter(api_keys::Column::Name.eq(new.name.as_str()))
            .filter(api_keys::Column::RevokedAt.is_null())
            .count(&txn)
            .await
            .map_err(StoreError::new)?;
        if live > 0 {
            txn.rollback().await.map_err(StoreError::new)?;
            return Ok(Err(NameTaken));
        }
        let inserted = api_keys::ActiveModel {
            tenant_id: Set(new.tenant.0),
            name: Set(new.name.clone()),
            key_hash: Set(new.hash.as_str().to_owned()),
            scopes: Set(new.scopes.to_string()),
            created_at: Set(new.created_at),
            created_by: Set(new.created_by.chars().take(254).collect()),
            expires_at: Set(new.expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let row = match inserted {
            Ok(row) => row,
            // A simultaneous create took the name (the partial unique index tells).
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await.map_err(StoreError::new)?;
                return Ok(Err(NameTaken));
            }
            Err(e) => return Err(StoreError::new(e)),
        };
        // The use case cannot name the key before it exists: the entry is about it now.
        audit::write(&txn, &audit.clone().about("api_key", row.id)).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Ok(record_of(row)?))
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        of_tenant(tenant)
            .order_by_desc(api_keys::Column::Id)
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(record_of)
            .collect()
    }

    async fn get(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        of_tenant(tenant)
            .filter(api_keys::Column::Id.eq(id.0))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .map(record_of)
            .transpose()
    }

    async fn revoke(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let changed = api_keys::Entity::update_many()
            .col_expr(api_keys::Column::RevokedAt, Expr::value(at))
            .filter(api_keys::Column::TenantId.eq(tenant.0))
            .filter(api_keys::Column::Id.eq(id.0))
            .filter(api_keys::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        if changed == 0 {
            txn.rollback().await.map_err(StoreError::new)?;
            return Ok(false);
        }
        audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn by_hash(&self, hash: &TokenHash) -> Result<Option<ApiKeyRecord>, StoreError> {
        api_keys::Entity::find()
            .filter(api_keys::Column::KeyHash.eq(hash.as_str()))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .map(record_of)
            .transpose()
    }

    async fn touch(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // A single statement: no transaction, and no audit entry (a use is no change of the
        // key; the admin API audits the call itself).
        api_keys::Entity::update_many()
            .col_expr(api_keys::Column::LastUsedAt, Expr::value(at))
            .filter(api_keys::Column::TenantId.eq(tenant.0))
            .filter(api_keys::Column::Id.eq(id.0))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }
}
