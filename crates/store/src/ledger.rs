//! The one ledger writer: every change of a balance (a product's or a mandate's) is posted here,
//! as an entry with the balance it moves and the product's revision, in the caller's
//! transaction. The domain decides which balance and what kind of entry ([`LedgerPosting`]);
//! the balances' CHECK constraints refuse any posting that would take one below zero.

use chrono::{DateTime, Utc};
use parkportal_domain::ledger::{BelongsTo, LedgerPosting, Wallet};
use parkportal_domain::parking::Reservation;
use parkportal_domain::{AccountId, ProductId, SessionId, StoreError};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, Value};

/// One statement: PostgreSQL chains the writes (the balance moves only when the entry went
/// in: a payment or a grant posted already is a no-op), in one round trip.
const POSTGRES: &str = "WITH e AS (\
    INSERT INTO ledger_entries (product_id, kind, amount, session_id, grant_key, reference, \
    note, created_at, mandate_id, staff_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11) \
    ON CONFLICT DO NOTHING RETURNING id), \
    p AS (UPDATE products SET balance = balance + $10, revision = revision + 1 \
    WHERE id = $1 AND EXISTS (SELECT 1 FROM e)), \
    m AS (UPDATE mandates SET balance = balance + $3 WHERE id = $9 AND EXISTS (SELECT 1 FROM e)) \
    SELECT id FROM e";

/// Three statements in one call: changes() tells each whether the one before wrote its row.
const SQLITE: &str = "\
    INSERT INTO ledger_entries (product_id, kind, amount, session_id, grant_key, reference, \
    note, created_at, mandate_id, staff_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11) \
    ON CONFLICT DO NOTHING RETURNING id; \
    UPDATE products SET balance = balance + $10, revision = revision + 1 \
    WHERE id = $1 AND changes() = 1; \
    UPDATE mandates SET balance = balance + $3 WHERE id = $9 AND changes() = 1";

/// A session that the posting's own statement inserts first, as a start's reservation: only if
/// the product is still at `revision`, still `account`'s and active, so that a start that read
/// the product without a lock writes in one round trip or not at all.
pub(crate) struct NewSession<'a> {
    /// The owner starting it.
    pub account: AccountId,
    /// The product's revision the decision read.
    pub revision: i64,
    /// The session and what it reserves.
    pub reservation: &'a Reservation,
}

/// The session first, then its reservation: PostgreSQL chains the writes (the product row is
/// updated once, with its balance, revision and `sessions_until`).
const POSTGRES_WITH_SESSION: &str = "WITH b AS (\
    UPDATE products SET balance = balance + $13, revision = revision + 1, \
    sessions_until = GREATEST(COALESCE(sessions_until, $6), $6) \
    WHERE id = $1 AND revision = $12 AND owner_id = $2 AND status = 'active' RETURNING id), \
    s AS (INSERT INTO parking_sessions (product_id, account_id, plate, country, start_at, \
    end_at, reserved, script_version, tariff_version, breakdown, created_at) \
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM b RETURNING id), \
    e AS (INSERT INTO ledger_entries (product_id, kind, amount, session_id, note, created_at) \
    SELECT $1, $14, $13, id, $15, $11 FROM s WHERE $13 <> 0) \
    SELECT id FROM s";

/// The same as three statements in one call: changes() tells each whether the one before wrote
/// its row.
const SQLITE_WITH_SESSION: &str = "\
    UPDATE products SET balance = balance + $13, revision = revision + 1, \
    sessions_until = MAX(COALESCE(sessions_until, $6), $6) \
    WHERE id = $1 AND revision = $12 AND owner_id = $2 AND status = 'active'; \
    INSERT INTO parking_sessions (product_id, account_id, plate, country, start_at, end_at, \
    reserved, script_version, tariff_version, breakdown, created_at) \
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 WHERE changes() = 1 RETURNING id; \
    INSERT INTO ledger_entries (product_id, kind, amount, session_id, note, created_at) \
    SELECT $1, $14, $13, last_insert_rowid(), $15, $11 WHERE changes() = 1 AND $13 <> 0";

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
    Ok(write(txn, posting, None, now).await?.is_some())
}

/// Posts `posting` in `txn` like [`post`]: the new entry's id, `None` when nothing was written.
pub(crate) async fn post_entry(
    txn: &DatabaseTransaction,
    posting: &LedgerPosting,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    if posting.is_empty() {
        return Ok(None);
    }
    write(txn, posting, None, now).await
}

/// Inserts `session` of `product` and posts its reservation in one statement on `conn` (a
/// transaction, or on PostgreSQL the pool: the statement is atomic by itself); the new
/// session's id, or `None` when the product changed since its revision was read. Only the
/// owner's own balance pays a start this way.
pub(crate) async fn post_with_session<C: ConnectionTrait>(
    conn: &C,
    product: ProductId,
    session: &NewSession<'_>,
    now: DateTime<Utc>,
) -> Result<Option<SessionId>, StoreError> {
    // The statement records the new session's id in the entry, in place of this one.
    let posting = session.reservation.posting(product, SessionId(0));
    if posting.wallet != Wallet::Product {
        return Err(StoreError::new("a start's reservation is the owner's own"));
    }
    Ok(write(conn, &posting, Some(session), now)
        .await?
        .map(SessionId))
}

/// The one writer of ledger entries: the statement that records `posting` (with the new
/// `session` it belongs to, if any) and moves its balance, on `conn`; the id the statement
/// returns (the entry's, or the new session's), `None` when it wrote nothing.
async fn write<C: ConnectionTrait>(
    conn: &C,
    posting: &LedgerPosting,
    session: Option<&NewSession<'_>>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let backend = conn.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let (sql, values): (&str, Vec<Value>) = match session {
        Some(new) => {
            let r = new.reservation;
            let sql = if postgres {
                POSTGRES_WITH_SESSION
            } else {
                SQLITE_WITH_SESSION
            };
            let values = vec![
                posting.product.0.into(),
                new.account.0.into(),
                r.plate.normalised().into(),
                r.plate.country().as_str().into(),
                r.start.into(),
                r.end.into(),
                r.reserved.into(),
                r.versions.script.0.into(),
                r.versions.tariff.0.into(),
                r.breakdown.to_stored().into(),
                now.into(),
                new.revision.into(),
                posting.amount.into(),
                posting.kind.as_str().into(),
                posting.note.as_deref().into(),
            ];
            (sql, values)
        }
        None => {
            let (mut session, mut grant, mut reference) = (None::<i64>, None::<&str>, None);
            match &posting.belongs_to {
                BelongsTo::Product => {}
                BelongsTo::Session(id) => session = Some(id.0),
                BelongsTo::Payment(r) => reference = Some(r.as_str()),
                BelongsTo::Grant(key) => grant = Some(key.as_str()),
            }
            let mandate = posting.wallet.mandate().map(|m| m.0);
            // The product's own balance moves unless the mandate's does.
            let own = if mandate.is_some() { 0 } else { posting.amount };
            let values = vec![
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
                posting.staff.map(|s| s.0).into(),
            ];
            (if postgres { POSTGRES } else { SQLITE }, values)
        }
    };
    // All rows, never just the first: reading one would stop SQLite before the statements
    // after the RETURNING one, and PostgreSQL's portal after its first row.
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(StoreError::new)?;
    rows.first()
        .map(|row| row.try_get::<i64>("", "id"))
        .transpose()
        .map_err(StoreError::new)
}
