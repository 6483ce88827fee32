//! A product's history: its sessions by end and its ledger by booking order, each page one
//! indexed range read (`parking_sessions_history`, `ledger_entries_product_id`) from the
//! cursor on.

use crate::database::Database;
use crate::entities::{ledger_entries, parking_sessions};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::history::{
    EntryCursor, EntryKind, HistoryCounts, HistoryRepository, PastSession, SessionCursor,
    Transaction,
};
use parkportal_domain::plate::Plate;
use parkportal_domain::{AccountId, EntryId, ProductId, SessionId, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The history repository on a database.
#[derive(Clone)]
pub struct SeaHistoryRepository {
    db: Database,
}

impl SeaHistoryRepository {
    /// On `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("stored {what} does not parse: {e}"))
}

/// A stored session as history shows it: an empty plate is one the privacy job anonymised.
fn past_session(row: parking_sessions::Model) -> Result<PastSession, StoreError> {
    let plate = if row.plate.is_empty() {
        None
    } else {
        // The plate stays out of the message, and so out of the log.
        Some(
            Plate::from_stored(&row.plate, &row.country)
                .map_err(|_| corrupt("plate", "not a plate"))?,
        )
    };
    Ok(PastSession {
        id: SessionId(row.id),
        account: row.account_id.map(AccountId),
        plate,
        start: row.start_at,
        end: row.end_at,
        cost: row.reserved,
    })
}

pub(crate) fn transaction(row: ledger_entries::Model) -> Result<Transaction, StoreError> {
    Ok(Transaction {
        id: EntryId(row.id),
        at: row.created_at,
        kind: EntryKind::parse(&row.kind).map_err(|e| corrupt("entry kind", e))?,
        amount: row.amount,
        session: row.session_id.map(SessionId),
        about: None,
        note: row.note,
    })
}

#[async_trait]
impl HistoryRepository for SeaHistoryRepository {
    async fn sessions(
        &self,
        (product, only, started_by): (ProductId, Option<AccountId>, Option<DateTime<Utc>>),
        after: Option<SessionCursor>,
        limit: u32,
    ) -> Result<Vec<PastSession>, StoreError> {
        use parking_sessions::Column as C;
        let mut query = parking_sessions::Entity::find()
            .filter(C::ProductId.eq(product.0))
            .filter(C::DeletedAt.is_null());
        if let Some(account) = only {
            query = query.filter(C::AccountId.eq(account.0));
        }
        // The planned ones are the first of the index's range (the latest ends): skipped there.
        if let Some(now) = started_by {
            query = query.filter(C::StartAt.lte(now));
        }
        if let Some(cursor) = after {
            // A row comparison: both databases read it as one range of the index.
            query = query.filter(Expr::tuple([Expr::col(C::EndAt), Expr::col(C::Id)]).lt(
                Expr::tuple([Expr::value(cursor.end), Expr::value(cursor.id.0)]),
            ));
        }
        query
            .order_by_desc(C::EndAt)
            .order_by_desc(C::Id)
            .limit(u64::from(limit))
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(past_session)
            .collect()
    }

    async fn transactions(
        &self,
        product: ProductId,
        after: Option<EntryCursor>,
        limit: u32,
    ) -> Result<Vec<Transaction>, StoreError> {
        use ledger_entries::Column as C;
        // The owner's balance: a mandate's own entries are the mandate's.
        let mut query = ledger_entries::Entity::find()
            .filter(C::ProductId.eq(product.0))
            .filter(C::MandateId.is_null());
        if let Some(EntryCursor(id)) = after {
            query = query.filter(C::Id.lt(id.0));
        }
        let conn = self.db.connection();
        let mut rows: Vec<Transaction> = query
            .order_by_desc(C::Id)
            .limit(u64::from(limit))
            .all(conn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(transaction)
            .collect::<Result<_, _>>()?;
        // The sessions the page's entries belong to, in one read by primary key.
        let ids: Vec<i64> = rows.iter().filter_map(|t| t.session.map(|s| s.0)).collect();
        if !ids.is_empty() {
            let sessions = parking_sessions::Entity::find()
                .filter(parking_sessions::Column::Id.is_in(ids))
                .filter(parking_sessions::Column::ProductId.eq(product.0))
                .all(conn)
                .await
                .map_err(StoreError::new)?
                .into_iter()
                .map(past_session)
                .collect::<Result<Vec<_>, _>>()?;
            for t in &mut rows {
                t.about = sessions
                    .iter()
                    .find(|s| Some(s.id) == t.session)
                    .map(|s| (s.plate.clone(), s.start));
            }
        }
        Ok(rows)
    }

    async fn counts(
        &self,
        (product, only, started_by): (ProductId, Option<AccountId>, Option<DateTime<Utc>>),
    ) -> Result<HistoryCounts, StoreError> {
        let conn = self.db.connection();
        // Counting ids only, so that each count reads its index range and no table row (a
        // product's rows lie scattered over a large table); `.all()`, since a bound LIMIT makes
        // SQLite prepare the statement again at every use.
        let first =
            |counts: Vec<i64>| u64::try_from(counts.first().copied().unwrap_or(0)).unwrap_or(0);
        let mut sessions = parking_sessions::Entity::find()
            .select_only()
            .column_as(parking_sessions::Column::Id.count(), "n")
            .filter(parking_sessions::Column::ProductId.eq(product.0))
            .filter(parking_sessions::Column::DeletedAt.is_null());
        if let Some(account) = only {
            sessions = sessions.filter(parking_sessions::Column::AccountId.eq(account.0));
        }
        // Those not started yet end after now: a short range of the same index, taken off.
        let planned = match started_by {
            Some(now) => sessions
                .clone()
                .filter(parking_sessions::Column::EndAt.gt(now))
                .filter(parking_sessions::Column::StartAt.gt(now))
                .into_tuple::<i64>()
                .all(conn)
                .await
                .map_err(StoreError::new)?,
            None => Vec::new(),
        };
        let sessions = sessions
            .into_tuple::<i64>()
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        let transactions = ledger_entries::Entity::find()
            .select_only()
            .column_as(ledger_entries::Column::Id.count(), "n")
            .filter(ledger_entries::Column::ProductId.eq(product.0))
            .filter(ledger_entries::Column::MandateId.is_null())
            .into_tuple::<i64>()
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        Ok(HistoryCounts {
            sessions: first(sessions).saturating_sub(first(planned)),
            transactions: first(transactions),
        })
    }
}
