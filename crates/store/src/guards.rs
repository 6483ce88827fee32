//! The stores of login protection: captcha challenges, throttle counters, and the housekeeping
//! that deletes what has served its purpose.

use crate::by_key::OneByKey;
use crate::database::{Backend, Database};
use crate::entities::{
    applications, auth_sessions, captchas, email_links, idempotency_keys, letter_batches, outbox,
    product_letters, remember_tokens, staff_enrolments, staff_sessions, throttles,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::captcha::CaptchaRepository;
use parkportal_domain::housekeeping::{Cutoffs, HousekeepingRepository, Purged};
use parkportal_domain::throttle::{ThrottleChange, ThrottleRepository, ThrottleState};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, Set,
};

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
            .one_by_key(conn)
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
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .as_ref()
            .map(to_state))
    }

    async fn update(
        &self,
        key: &str,
        change: &ThrottleChange,
    ) -> Result<(Option<ThrottleState>, ThrottleState), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        if self.db.backend() == Backend::Postgres {
            // Make sure a row exists before locking it: FOR UPDATE locks nothing that is not
            // there, and two first attempts would both count from zero. (SQLite's BEGIN
            // IMMEDIATE already serialises writers.) The placeholder's epoch start marks it as
            // "no counter yet".
            let placeholder = throttles::ActiveModel {
                key: Set(key.to_owned()),
                count: Set(0),
                window_start: Set(DateTime::<Utc>::UNIX_EPOCH),
                blocked_until: Set(None),
            };
            throttles::Entity::insert(placeholder)
                .on_conflict_do_nothing_on([throttles::Column::Key])
                .exec(&txn)
                .await
                .map_err(StoreError::new)?;
        }
        let mut select = throttles::Entity::find_by_id(key.to_owned());
        if self.db.backend() == Backend::Postgres {
            select = select.lock_exclusive();
        }
        let current = select
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .filter(|row| row.window_start > DateTime::<Utc>::UNIX_EPOCH)
            .as_ref()
            .map(to_state);
        let next = change(current);
        let row = throttles::ActiveModel {
            key: Set(key.to_owned()),
            count: Set(i32::try_from(next.count).unwrap_or(i32::MAX)),
            window_start: Set(next.window_start),
            blocked_until: Set(next.blocked_until),
        };
        // On SQLite the row may be missing: insert or replace in one statement.
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
        Ok((current, next))
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        throttles::Entity::delete_by_id(key.to_owned())
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }
}

/// Housekeeping deletes in the database.
#[derive(Clone, Debug)]
pub struct SeaHousekeepingRepository {
    db: Database,
}

impl SeaHousekeepingRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl HousekeepingRepository for SeaHousekeepingRepository {
    async fn purge(&self, c: &Cutoffs) -> Result<Purged, StoreError> {
        let conn = self.db.connection();
        let sessions = auth_sessions::Entity::delete_many()
            .filter(auth_sessions::Column::LastSeenAt.lt(c.sessions_seen_before))
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        // Replaced tokens stay until they expire: a copy used later must still be recognised
        // as the family's, to revoke it. What their exchange sealed goes after the grace.
        crate::remember::erase_successors(conn, c.replaced_before).await?;
        let remember_tokens = remember_tokens::Entity::delete_many()
            .filter(remember_tokens::Column::ExpiresAt.lt(c.now))
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        let captchas = captchas::Entity::delete_many()
            .filter(captchas::Column::ExpiresAt.lt(c.now))
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        let links = email_links::Entity::delete_many()
            .filter(email_links::Column::ExpiresAt.lt(c.links_expired_before))
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        let mails = outbox::Entity::delete_many()
            .filter(outbox::Column::SentAt.lt(c.mails_sent_before))
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        let counters = throttles::Entity::delete_many()
            .filter(throttles::Column::WindowStart.lt(c.counters_idle_before))
            .filter(
                Condition::any()
                    .add(throttles::Column::BlockedUntil.is_null())
                    .add(throttles::Column::BlockedUntil.lt(c.now)),
            )
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        let idempotency_keys = idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::CreatedAt.lt(c.idempotency_keys_before))
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        let staff_sessions = staff_sessions::Entity::delete_many()
            .filter(staff_sessions::Column::LastSeenAt.lt(c.staff_sessions_seen_before))
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        let staff_links = staff_enrolments::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(staff_enrolments::Column::ExpiresAt.lt(c.links_expired_before))
                    .add(staff_enrolments::Column::UsedAt.lt(c.links_expired_before)),
            )
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        // A letter's PDF holds its PIN: it goes when its time for reprinting is over; the row
        // stays as the record that a letter was made.
        let letters = product_letters::Entity::update_many()
            .col_expr(
                product_letters::Column::Pdf,
                Expr::value(sea_orm::Value::Bytes(None)),
            )
            .filter(product_letters::Column::ExpiresAt.lte(c.now))
            .filter(product_letters::Column::Pdf.is_not_null())
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        // A batch's PDF holds every PIN of the batch: the same (the batch stays, with its
        // report).
        let batch_letters = letter_batches::Entity::update_many()
            .col_expr(
                letter_batches::Column::Pdf,
                Expr::value(sea_orm::Value::Bytes(None)),
            )
            .filter(letter_batches::Column::PdfExpiresAt.lte(c.now))
            .filter(letter_batches::Column::Pdf.is_not_null())
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        // An application holds a name, an address and plates: it goes the kept time after its
        // decision; an open one stays until it is decided.
        let applications = applications::Entity::delete_many()
            .filter(applications::Column::DecidedAt.lt(c.applications_decided_before))
            .exec(conn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        // The audit trail's own function: the one code that deletes entries.
        let audit_entries = crate::audit::remove_older_than(&self.db, c.audit_before).await?;
        Ok(Purged {
            sessions,
            remember_tokens,
            captchas,
            links,
            mails,
            counters,
            idempotency_keys,
            audit_entries,
            staff_sessions,
            staff_links,
            letters,
            batch_letters,
            applications,
        })
    }
}
