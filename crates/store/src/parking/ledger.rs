//! Writing sessions and what they move in the ledger: the decision over what was read, a new
//! session written under a revision check, grants, and leaving a transaction.

use crate::by_key::OneByKey;
use crate::entities::{ledger_entries, parking_sessions, products};
use crate::ledger::{NewSession, post, post_with_session};
use chrono::{DateTime, Utc};
use parkportal_domain::ledger::LedgerPosting;
use parkportal_domain::parking::{
    Decision, GrantDue, Locked, Outcome, ParkingSession, ProductView, Reservation, StartDecider,
};
use parkportal_domain::{AccountId, ProductId, SessionId, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};

/// The view read before, with what a write may have changed since, as `row` has it.
pub(super) fn as_read(view: &ProductView, row: &products::Model) -> ProductView {
    ProductView {
        balance: row.balance,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        revision: row.revision,
        sessions_until: row.sessions_until,
        ..view.clone()
    }
}

/// What `decide` says over `product` and its `active` sessions: the reservation, or the
/// outcome that ends the start.
pub(super) fn decide_on(
    product: ProductView,
    active: Vec<ParkingSession>,
    now: DateTime<Utc>,
    decide: &StartDecider,
) -> Result<Reservation, Box<Outcome<ParkingSession>>> {
    match decide(&Locked {
        product,
        active,
        now,
    }) {
        Decision::Proceed(r) => Ok(r),
        Decision::Refuse(verdict) => Err(Box::new(Outcome::Refused(verdict))),
        Decision::Invalid(problem) => Err(Box::new(Outcome::Invalid(problem))),
        Decision::AlreadyParked(session) => Err(Box::new(Outcome::AlreadyParked(session))),
    }
}

/// Records in `txn` that a session of `product` changed: posts what it moved (which counts the
/// product's revision up) or else counts the revision up itself, since the session is part of
/// what the revision covers; and sets the product's `sessions_until` when the caller gives a
/// new one.
pub(crate) async fn changed(
    txn: &DatabaseTransaction,
    product: i64,
    posting: &LedgerPosting,
    sessions_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let posted = post(txn, posting, now).await?;
    if posted && sessions_until.is_none() {
        return Ok(());
    }
    let mut update = products::Entity::update_many().filter(products::Column::Id.eq(product));
    // A posting counted the revision up already; once per write is what the revision promises.
    if !posted {
        update = update.col_expr(
            products::Column::Revision,
            Expr::col(products::Column::Revision).add(1),
        );
    }
    if let Some(until) = sessions_until {
        update = update.col_expr(products::Column::SessionsUntil, Expr::value(until));
    }
    update.exec(txn).await.map_err(StoreError::new)?;
    Ok(())
}

/// Writes a new session and its reservation (through the ledger writer), if the product is
/// still at `revision` and still the account's, active; `None` when it is not (a write came in
/// between). One round trip on `conn`: a transaction, or on PostgreSQL the pool.
pub(super) async fn reserve<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    product: ProductId,
    revision: i64,
    r: &Reservation,
    now: DateTime<Utc>,
) -> Result<Option<ParkingSession>, StoreError> {
    let new = NewSession {
        account,
        revision,
        reservation: r,
    };
    let Some(id) = post_with_session(conn, product, &new, now).await? else {
        return Ok(None);
    };
    Ok(Some(ParkingSession {
        id,
        product,
        account: Some(account),
        plate: r.plate.clone(),
        start: r.start,
        end: r.end,
        reserved: r.reserved,
        versions: r.versions,
        breakdown: Some(r.breakdown.clone()),
        deleted_at: None,
        stopped_at: None,
        mandate: None,
    }))
}

/// Ends `txn` without its writes before the caller's write gate opens for the next writer:
/// dropping it would only queue the rollback, and the next writer's `BEGIN IMMEDIATE` would
/// then wait in SQLite's busy handler, which the gate is there to spare it.
pub(crate) async fn abandon(txn: DatabaseTransaction) -> Result<(), StoreError> {
    txn.rollback().await.map_err(StoreError::new)
}

/// Whether `grant` was credited already.
pub(super) async fn credited<C: ConnectionTrait>(
    conn: &C,
    product: ProductId,
    grant: &GrantDue,
) -> Result<bool, StoreError> {
    Ok(ledger_entries::Entity::find()
        .filter(ledger_entries::Column::ProductId.eq(product.0))
        .filter(ledger_entries::Column::GrantKey.eq(grant.key.as_str()))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .is_some())
}

/// Credits `grant` once: its key is unique in the ledger, which makes a second credit of the
/// same period a no-op, also when two transactions race for it. Whether it credited now.
pub(super) async fn credit(
    txn: &DatabaseTransaction,
    product: ProductId,
    grant: &GrantDue,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    post(txn, &LedgerPosting::grant(product, grant), now).await
}

/// Writes a new session started through `mandate` by its mandatee, with its reservation taken
/// from the balance the decision chose, in the caller's transaction over the locked product.
pub(super) async fn reserve_mandated(
    txn: &DatabaseTransaction,
    account: AccountId,
    (product, mandate): (ProductId, i64),
    sessions_until: Option<DateTime<Utc>>,
    r: &Reservation,
    now: DateTime<Utc>,
) -> Result<ParkingSession, StoreError> {
    let row = parking_sessions::ActiveModel {
        product_id: Set(product.0),
        account_id: Set(Some(account.0)),
        plate: Set(r.plate.normalised().to_owned()),
        country: Set(r.plate.country().as_str().to_owned()),
        start_at: Set(r.start),
        end_at: Set(r.end),
        reserved: Set(r.reserved),
        script_version: Set(r.versions.script.0),
        tariff_version: Set(r.versions.tariff.0),
        breakdown: Set(r.breakdown.to_stored()),
        created_at: Set(now),
        stopped_at: Set(None),
        deleted_at: Set(None),
        mandate_id: Set(Some(mandate)),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(StoreError::new)?;
    let raised = sessions_until.is_none_or(|u| u < r.end).then_some(r.end);
    let posting = r.posting(product, SessionId(row.id));
    changed(txn, product.0, &posting, raised, now).await?;
    super::view::to_session(row)
}
