//! The stores of login protection: captcha challenges and throttle counters.

use crate::database::{Backend, Database};
use crate::entities::{captchas, throttles};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::captcha::CaptchaRepository;
use parkportal_domain::throttle::{ThrottleChange, ThrottleRepository, ThrottleState};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

/// Captcha challenges in the database.
#[derive(Clone, Debug)]
pub struct SeaCaptchaRepository {
    db: Database,
}

impl SeaCaptchaRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CaptchaRepository for SeaCaptchaRepository {
    async fn create(
        &self,
        id: &str,
        answer_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let conn = self.db.connection();
        // Challenges nobody answered are of no use after they expire.
        captchas::Entity::delete_many()
            .filter(captchas::Column::ExpiresAt.lt(now))
            .exec(conn)
            .await
            .map_err(StoreError::new)?;
        captchas::ActiveModel {
            challenge_id: Set(id.to_owned()),
            answer_hash: Set(answer_hash.to_owned()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await
        .map_err(StoreError::new)?;
        Ok(())
    }

    async fn take(&self, id: &str, now: DateTime<Utc>) -> Result<Option<String>, StoreError> {
        let conn = self.db.connection();
        // One conditional update: of two requests with the same challenge only one gets it.
        let used = captchas::Entity::update_many()
            .col_expr(captchas::Column::UsedAt, Expr::value(now))
            .filter(captchas::Column::ChallengeId.eq(id))
            .filter(captchas::Column::UsedAt.is_null())
            .filter(captchas::Column::ExpiresAt.gt(now))
            .exec(conn)
            .await
            .map_err(StoreError::new)?;
        if used.rows_affected != 1 {
            return Ok(None);
        }
        Ok(captchas::Entity::find()
            .filter(captchas::Column::ChallengeId.eq(id))
            .one(conn)
            .await
            .map_err(StoreError::new)?
            .map(|c| c.answer_hash))
    }
}

/// Throttle counters in the database.
#[derive(Clone, Debug)]
pub struct SeaThrottleRepository {
    db: Database,
}

impl SeaThrottleRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn to_state(row: &throttles::Model) -> ThrottleState {
    ThrottleState {
        count: u32::try_from(row.count).unwrap_or(0),
        window_start: row.window_start,
        blocked_until: row.blocked_until,
    }
}

#[async_trait]
impl ThrottleRepository for SeaThrottleRepository {
    async fn get(&self, key: &str) -> Result<Option<ThrottleState>, StoreError> {
        Ok(throttles::Entity::find_by_id(key.to_owned())
            .one(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .as_ref()
            .map(to_state))
    }

    async fn update(
        &self,
        key: &str,
        change: &ThrottleChange,
    ) -> Result<ThrottleState, StoreError> {
        let txn = self.db.begin_write().await?;
        let mut select = throttles::Entity::find_by_id(key.to_owned());
        if self.db.backend() == Backend::Postgres {
            // SQLite's BEGIN IMMEDIATE already serialises writers.
            select = select.lock_exclusive();
        }
        let current = select.one(&txn).await.map_err(StoreError::new)?;
        let next = change(current.as_ref().map(to_state));
        let row = throttles::ActiveModel {
            key: Set(key.to_owned()),
            count: Set(i32::try_from(next.count).unwrap_or(i32::MAX)),
            window_start: Set(next.window_start),
            blocked_until: Set(next.blocked_until),
        };
        // Two instances may both find no row: the loser's insert becomes an update.
        throttles::Entity::insert(row)
            .on_conflict(
                OnConflict::column(throttles::Column::Key)
                    .update_columns([
                        throttles::Column::Count,
                        throttles::Column::WindowStart,
                        throttles::Column::BlockedUntil,
                    ])
                    .to_owned(),
            )
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(next)
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        throttles::Entity::delete_by_id(key.to_owned())
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }
}
