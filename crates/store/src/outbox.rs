//! The outbox: every mail is a row here first, sent by the worker of any instance, exactly once.

use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::outbox;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use parkportal_domain::mail::{OutgoingMail, QueuedMail};
use parkportal_domain::{MailId, OutboxRepository, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// The outbox in the database.
#[derive(Clone, Debug)]
pub struct SeaOutboxRepository {
    db: Database,
}

impl SeaOutboxRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Queues `mail` on `conn`, so that use cases can queue inside their own transaction.
pub(crate) async fn enqueue_on<C: ConnectionTrait>(
    conn: &C,
    mail: &OutgoingMail,
    now: DateTime<Utc>,
) -> Result<MailId, StoreError> {
    let row = outbox::ActiveModel {
        recipient: Set(mail.to.as_str().to_owned()),
        subject: Set(mail.subject.clone()),
        body_text: Set(mail.text.clone()),
        body_html: Set(mail.html.clone()),
        tenant_id: Set(mail.tenant.map(|t| t.0)),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_by: Set(None),
        claimed_until: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
        plates: Set(crate::privacy::plates_column(&mail.plates)),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(StoreError::new)?;
    Ok(MailId(row.id))
}

fn to_queued(row: outbox::Model) -> QueuedMail {
    QueuedMail {
        id: MailId(row.id),
        to: row.recipient,
        subject: row.subject,
        text: row.body_text,
        html: row.body_html,
        created_at: row.created_at,
        attempts: row.attempts,
        sent_at: row.sent_at,
        last_error: row.last_error,
    }
}

#[async_trait]
impl OutboxRepository for SeaOutboxRepository {
    async fn enqueue(&self, mail: &OutgoingMail, now: DateTime<Utc>) -> Result<MailId, StoreError> {
        enqueue_on(self.db.connection(), mail, now).await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
        claimant: &str,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        let conn = self.db.connection();
        let free = || {
            Condition::any()
                .add(outbox::Column::ClaimedUntil.is_null())
                .add(outbox::Column::ClaimedUntil.lt(now))
        };
        let due = outbox::Entity::find()
            .filter(outbox::Column::SentAt.is_null())
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .filter(free())
            .order_by_asc(outbox::Column::Id)
            .limit(limit)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        let mut claimed = Vec::with_capacity(due.len());
        for row in due {
            // The same conditions again, in the update itself: of two workers that read the same
            // row, only one sees its update change a row.
            let result = outbox::Entity::update_many()
                .col_expr(outbox::Column::ClaimedUntil, Expr::value(now + lease))
                .col_expr(outbox::Column::ClaimedBy, Expr::value(claimant))
                .filter(outbox::Column::Id.eq(row.id))
                .filter(outbox::Column::SentAt.is_null())
                .filter(free())
                .exec(conn)
                .await
                .map_err(StoreError::new)?;
            if result.rows_affected == 1 {
                claimed.push(to_queued(row));
            }
        }
        Ok(claimed)
    }

    async fn mark_sent(
        &self,
        id: MailId,
        claimant: &str,
        now: DateTime<Utc>,
        text: &str,
        html: &str,
    ) -> Result<(), StoreError> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .col_expr(outbox::Column::BodyText, Expr::value(text))
            .col_expr(outbox::Column::BodyHtml, Expr::value(html))
            .col_expr(
                outbox::Column::ClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                outbox::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .filter(outbox::Column::Id.eq(id.0))
            .filter(outbox::Column::ClaimedBy.eq(claimant))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: MailId,
        claimant: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(next_attempt_at))
            .col_expr(
                outbox::Column::ClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(outbox::Column::LastError, Expr::value(error.to_owned()))
            .filter(outbox::Column::Id.eq(id.0))
            .filter(outbox::Column::ClaimedBy.eq(claimant))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }

    async fn list(&self, limit: u64) -> Result<Vec<QueuedMail>, StoreError> {
        Ok(outbox::Entity::find()
            .order_by_desc(outbox::Column::Id)
            .limit(limit)
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(to_queued)
            .collect())
    }

    async fn get(&self, id: MailId) -> Result<Option<QueuedMail>, StoreError> {
        Ok(outbox::Entity::find_by_id(id.0)
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .map(to_queued))
    }
}
