//! Idempotency keys on a database: the unique index on (account, key) decides which of
//! simultaneous requests claims a key.

use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::idempotency_keys::{ActiveModel, Column, Entity, Model};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::idempotency::{
    Claim, Fingerprint, IdempotencyKey, IdempotencyRepository, StoredAnswer,
};
use parkportal_domain::{AccountId, StoreError};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};

/// The idempotency keys on a database.
#[derive(Clone)]
pub struct SeaIdempotencyRepository {
    db: Database,
}

impl SeaIdempotencyRepository {
    /// On `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn held(row: Model) -> Claim {
    let answer = row.status.map(|status| StoredAnswer {
        status: u16::try_from(status).unwrap_or(500),
        content_type: row.content_type,
        location: row.location,
        body: row.body.unwrap_or_default(),
    });
    Claim::Held {
        fingerprint: Fingerprint::from_stored(row.fingerprint),
        answer,
    }
}

#[async_trait]
impl IdempotencyRepository for SeaIdempotencyRepository {
    async fn claim(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        now: DateTime<Utc>,
        (expired_before, abandoned_before): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Claim, StoreError> {
        // What may be claimed anew: a use that expired, or a claim its request left without an
        // answer (it died).
        let gone = || {
            Condition::any()
                .add(Column::CreatedAt.lt(expired_before))
                .add(
                    Condition::all()
                        .add(Column::Status.is_null())
                        .add(Column::CreatedAt.lt(abandoned_before)),
                )
        };
        // A repeat finds the key with a read; only a first request writes.
        let existing = Entity::find()
            .filter(Column::AccountId.eq(account.0))
            .filter(Column::Key.eq(key.as_str()))
            .filter(gone().not())
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        if let Some(row) = existing {
            return Ok(held(row));
        }
        let (_gate, txn) = self.db.begin_write().await?;
        Entity::delete_many()
            .filter(Column::AccountId.eq(account.0))
            .filter(Column::Key.eq(key.as_str()))
            .filter(gone())
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        let inserted = ActiveModel {
            account_id: Set(account.0),
            key: Set(key.as_str().to_owned()),
            fingerprint: Set(fingerprint.as_str().to_owned()),
            status: Set(None),
            content_type: Set(None),
            location: Set(None),
            body: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(_) => {
                txn.commit().await.map_err(StoreError::new)?;
                Ok(Claim::Claimed)
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await.map_err(StoreError::new)?;
                // Another request claimed it between the read and the insert. Released again
                // since, it reads as still running: the caller asks again a moment later.
                let row = Entity::find()
                    .filter(Column::AccountId.eq(account.0))
                    .filter(Column::Key.eq(key.as_str()))
                    .one_by_key(self.db.connection())
                    .await
                    .map_err(StoreError::new)?;
                Ok(row.map_or_else(
                    || Claim::Held {
                        fingerprint: fingerprint.clone(),
                        answer: None,
                    },
                    held,
                ))
            }
            Err(e) => Err(StoreError::new(e)),
        }
    }

    async fn complete(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        answer: &StoredAnswer,
    ) -> Result<(), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        Entity::update_many()
            .col_expr(Column::Status, Expr::value(i32::from(answer.status)))
            .col_expr(
                Column::ContentType,
                Expr::value(answer.content_type.clone()),
            )
            .col_expr(Column::Location, Expr::value(answer.location.clone()))
            .col_expr(Column::Body, Expr::value(answer.body.clone()))
            .filter(Column::AccountId.eq(account.0))
            .filter(Column::Key.eq(key.as_str()))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)
    }

    async fn release(&self, account: AccountId, key: &IdempotencyKey) -> Result<(), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        Entity::delete_many()
            .filter(Column::AccountId.eq(account.0))
            .filter(Column::Key.eq(key.as_str()))
            .filter(Column::Status.is_null())
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)
    }
}
