//! The one ledger writer: every change of a balance (a product's or a mandate's) is posted here,
//! as an entry with the balance it moves and the product's revision, in the caller's
//! transaction. The domain decides which balance and what kind of entry ([`LedgerPosting`]);
//! the balances' CHECK constraints refuse any posting that would take one below zero.

use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::ledger::{BelongsTo, LedgerPosting};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, Value};

/// One statement: PostgreSQL chains the writes (the balance moves only when the entry went
/// in: a payment or a grant posted already is a no-op), in one round trip.
const POSTGRES: &str = "WITH e AS (\
    INSERT INTO ledger_entries (product_id, kind, amount, session_id, grant_key, reference, \
    note, created_at, mandate_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
    ON CONFLICT DO NOTHING RETURNING id), \
    p AS (UPDATE products SET balance = balance + $10, revision = revision + 1 \
    WHERE id = $1 AND EXISTS (SELECT 1 FROM e)), \
    m AS (UPDATE mandates SET balance = balance + $3 WHERE id = $9 AND EXISTS (SELECT 1 FROM e)) \
    SELECT id FROM e";

/// Three statements in one call: changes() tells each whether the one before wrote its row.
const SQLITE: &str = "\
    INSERT INTO ledger_entries (product_id, kind, amount, session_id, grant_key, reference, \
    note, created_at, mandate_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
    ON CONFLICT DO NOTHING RETURNING id; \
    UPDATE products SET balance = balance + $10, revision = revision + 1 \
    WHERE id = $1 AND changes() = 1; \
    UPDATE mandates SET balance = balance + $3 WHERE id = $9 AND changes() = 1";

/// Posts `posting` in `txn`: writes its entry, moves its wallet's balance and counts the
/// product's revision up. Whether it posted: not when it is empty (nothing to record), nor
/// when its payment or grant was posted before.
pub(crate) async fn post(
    txn: &DatabaseTransaction,
    posting: &LedgerPosting,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if posting.is_empty() {
        return Ok(false);
    }
    let (mut session, mut grant, mut reference) = (None::<i64>, None::<&str>, None::<&str>);
    match &posting.belongs_to {
        BelongsTo::Product => {}
        BelongsTo::Session(id) => session = Some(id.0),
        BelongsTo::Payment(r) => reference = Some(r),
        BelongsTo::Grant(key) => grant = Some(key),
    }
    let mandate = posting.wallet.mandate().map(|m| m.0);
    // The product's own balance moves unless the mandate's does.
    let own = if mandate.is_some() { 0 } else { posting.amount };
    let values: [Value; 10] = [
        posting.product.0.into(),
        posting.kind.as_str().into(),
        posting.amount.into(),
        session.into(),
        grant.into(),
        reference.into(),
        posting.note.as_deref().into(),
        now.into(),
        mandate.into(),
        own.into(),
    ];
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => POSTGRES,
        _ => SQLITE,
    };
    // All rows, never just the first: reading one would stop SQLite before the statements
    // after the RETURNING one.
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(StoreError::new)?;
    Ok(!rows.is_empty())
}
