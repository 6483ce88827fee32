//! Deleting an account in one transaction, under the locks of every product it touches: its
//! live sessions end with their refunds, its mandates (given and received) close as a
//! revocation closes them, its products are uncoupled, and what is personal goes. The ledger
//! keeps every row; sessions, payments and mandates stay for it without the account.

use crate::by_key::OneByKey;
use crate::database::{Backend, Database};
use crate::entities::{
    accounts, auth_sessions, email_links, favorites, idempotency_keys, mandates, outbox,
    parking_sessions, payments, products, remember_tokens,
};
use crate::mandates::{close, end_session};
use crate::parking::ledger::abandon;
use crate::parking::{has_plate, lock_product_row, product_view, to_session};
use chrono::{DateTime, Utc};
use parkportal_domain::ledger::Wallet;
use parkportal_domain::mandates::{MandateStatus, SessionEnd};
use parkportal_domain::own_data::Erased;
use parkportal_domain::parking::{ParkingSession, ProductView};
use parkportal_domain::{Account, AccountId, MandateId, ProductId, StoreError};
use sea_orm::sea_query::IntoCondition;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The ids of the products `account` owns.
async fn own_products<C: ConnectionTrait>(conn: &C, account: i64) -> Result<Vec<i64>, StoreError> {
    products::Entity::find()
        .select_only()
        .column(products::Column::Id)
        .filter(products::Column::OwnerId.eq(account))
        .order_by_asc(products::Column::Id)
        .into_tuple()
        .all(conn)
        .await
        .map_err(StoreError::new)
}

/// The mandates given to `account` or to its address, revoked ones too.
async fn received<C: ConnectionTrait>(
    conn: &C,
    account: &Account,
) -> Result<Vec<mandates::Model>, StoreError> {
    mandates::Entity::find()
        .filter(
            Condition::any()
                .add(mandates::Column::MandateeId.eq(account.id.0))
                .add(mandates::Column::Email.eq(account.email.as_str())),
        )
        .order_by_asc(mandates::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)
}

/// The live sessions a deletion ends: on `own` products (whoever started them) and the
/// account's own anywhere. A stopped session is over, whatever the clock says.
async fn live<C: ConnectionTrait>(
    conn: &C,
    account: i64,
    own: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<parking_sessions::Model>, StoreError> {
    use parking_sessions::Column as C;
    parking_sessions::Entity::find()
        .filter(
            Condition::any()
                .add(C::ProductId.is_in(own.iter().copied()))
                .add(C::AccountId.eq(account)),
        )
        .filter(C::DeletedAt.is_null())
        .filter(C::StoppedAt.is_null())
        .filter(C::EndAt.gt(now))
        .order_by_asc(C::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)
}

/// Every product a deletion of `account` writes to: its own, those of its mandates and those
/// of its live sessions.
async fn touched<C: ConnectionTrait>(
    conn: &C,
    account: &Account,
    now: DateTime<Utc>,
) -> Result<BTreeSet<i64>, StoreError> {
    let own = own_products(conn, account.id.0).await?;
    let mut all: BTreeSet<i64> = own.iter().copied().collect();
    all.extend(received(conn, account).await?.iter().map(|m| m.product_id));
    all.extend(
        live(conn, account.id.0, &own, now)
            .await?
            .iter()
            .map(|s| s.product_id),
    );
    Ok(all)
}

/// The live sessions a deletion of `account` ends, each with its product as the owner sees it.
pub(super) async fn live_sessions(
    db: &Database,
    account: AccountId,
    now: DateTime<Utc>,
) -> Result<Vec<(ProductView, ParkingSession)>, StoreError> {
    let conn = db.connection();
    let own = own_products(conn, account.0).await?;
    let mut views: HashMap<i64, ProductView> = HashMap::new();
    let mut out = Vec::new();
    for row in live(conn, account.0, &own, now).await? {
        let view = match views.get(&row.product_id) {
            Some(view) => view.clone(),
            None => {
                let view = product_view(conn, row.product_id)
                    .await?
                    .ok_or_else(|| StoreError::new("a session's product vanished"))?;
                views.insert(row.product_id, view.clone());
                view
            }
        };
        out.push((view, to_session(row)?));
    }
    Ok(out)
}

/// Whether the live sessions are still the ones `ends` was decided on.
fn as_decided(live: &[parking_sessions::Model], ends: &[SessionEnd]) -> bool {
    live.len() == ends.len()
        && live.iter().all(|s| {
            ends.iter()
                .any(|e| e.session.0 == s.id && e.was == (s.end_at, s.reserved))
        })
}

/// Ends the live sessions: each one's refund goes where its reservation came from (its
/// mandate's own balance, or the product's).
async fn end_all(
    txn: &DatabaseTransaction,
    live: &[parking_sessions::Model],
    ends: &[SessionEnd],
    mandates: &BTreeMap<i64, mandates::Model>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for end in ends {
        let Some(s) = live.iter().find(|s| s.id == end.session.0) else {
            return Err(StoreError::new("an end without its session"));
        };
        let wallet = match s.mandate_id {
            Some(id) => {
                let imported = match mandates.get(&id) {
                    Some(m) => m.imported,
                    None => mandates::Entity::find_by_id(id)
                        .one_by_key(txn)
                        .await
                        .map_err(StoreError::new)?
                        .is_some_and(|m| m.imported),
                };
                Wallet::of_mandate(MandateId(id), !imported)
            }
            None => Wallet::Product,
        };
        end_session(txn, (s.product_id, wallet), end, now).await?;
    }
    Ok(())
}

/// Deletes the rows of `E` that `condition` selects.
async fn delete<E: EntityTrait>(
    txn: &DatabaseTransaction,
    condition: impl IntoCondition,
) -> Result<(), StoreError> {
    E::delete_many()
        .filter(condition)
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(())
}

/// Takes out what is personal of `account` (its sessions and mandates have ended): plates,
/// addresses, links, mails, login state and the account itself.
async fn forget(
    txn: &DatabaseTransaction,
    account: &Account,
    own: &[i64],
    received: &[i64],
) -> Result<(), StoreError> {
    let id = account.id.0;
    let email = account.email.as_str();
    let fail = StoreError::new;
    // The mandates given to the resident keep their amounts for the owner's books; who got them
    // goes (an empty address is one taken out, like an empty plate).
    mandates::Entity::update_many()
        .col_expr(mandates::Column::Email, Expr::value(""))
        .col_expr(
            mandates::Column::MandateeId,
            Expr::value(Option::<i64>::None),
        )
        .filter(mandates::Column::Id.is_in(received.iter().copied()))
        .exec(txn)
        .await
        .map_err(fail)?;
    mandates::Entity::update_many()
        .col_expr(mandates::Column::OwnerId, Expr::value(Option::<i64>::None))
        .filter(mandates::Column::OwnerId.eq(id))
        .exec(txn)
        .await
        .map_err(fail)?;
    // The resident's sessions anywhere lose plate and account; every session on the products
    // (a mandatee's too) loses its plate, since the next holder of the product sees them.
    parking_sessions::Entity::update_many()
        .col_expr(parking_sessions::Column::Plate, Expr::value(""))
        .col_expr(parking_sessions::Column::Country, Expr::value(""))
        .col_expr(
            parking_sessions::Column::AccountId,
            Expr::value(Option::<i64>::None),
        )
        .filter(parking_sessions::Column::AccountId.eq(id))
        .exec(txn)
        .await
        .map_err(fail)?;
    parking_sessions::Entity::update_many()
        .col_expr(parking_sessions::Column::Plate, Expr::value(""))
        .col_expr(parking_sessions::Column::Country, Expr::value(""))
        .filter(parking_sessions::Column::ProductId.is_in(own.iter().copied()))
        .filter(has_plate())
        .exec(txn)
        .await
        .map_err(fail)?;
    delete::<favorites::Entity>(txn, favorites::Column::ProductId.is_in(own.iter().copied()))
        .await?;
    // Uncoupled: the products stay the gemeente's, with their balance, for a new link. The
    // revision counts up, so that a start decided on the old view does not write.
    products::Entity::update_many()
        .col_expr(products::Column::OwnerId, Expr::value(Option::<i64>::None))
        .col_expr(
            products::Column::Revision,
            Expr::col(products::Column::Revision).add(1),
        )
        .filter(products::Column::OwnerId.eq(id))
        .exec(txn)
        .await
        .map_err(fail)?;
    payments::Entity::update_many()
        .col_expr(
            payments::Column::AccountId,
            Expr::value(Option::<i64>::None),
        )
        .filter(payments::Column::AccountId.eq(id))
        .exec(txn)
        .await
        .map_err(fail)?;
    crate::applications::erase_of(txn, id, email).await?;
    delete::<email_links::Entity>(txn, email_links::Column::Email.eq(email)).await?;
    delete::<outbox::Entity>(txn, outbox::Column::Recipient.eq(email)).await?;
    delete::<idempotency_keys::Entity>(txn, idempotency_keys::Column::AccountId.eq(id)).await?;
    delete::<auth_sessions::Entity>(txn, auth_sessions::Column::AccountId.eq(id)).await?;
    delete::<remember_tokens::Entity>(txn, remember_tokens::Column::AccountId.eq(id)).await?;
    delete::<accounts::Entity>(txn, accounts::Column::Id.eq(id)).await?;
    Ok(())
}

/// The deletion (see the module).
pub(super) async fn erase(
    db: &Database,
    account: &Account,
    ends: &[SessionEnd],
    now: DateTime<Utc>,
) -> Result<Erased, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let id = account.id.0;
    // The account's row first: a second deletion of it waits here (PostgreSQL; SQLite's writer
    // holds the whole database already). FOR NO KEY UPDATE, not FOR UPDATE: a session being
    // started under a product's lock checks its foreign key with a KEY SHARE lock on this row,
    // which FOR UPDATE would block while this deletion waits for that product: a deadlock.
    let mut row = accounts::Entity::find_by_id(id);
    if db.backend() == Backend::Postgres {
        row = row.lock(sea_orm::sea_query::LockType::NoKeyUpdate);
    }
    if row
        .one_by_key(&txn)
        .await
        .map_err(StoreError::new)?
        .is_none()
    {
        abandon(txn).await?;
        return Ok(Erased::NotFound);
    }
    // Every product written to is locked, in id order; a product that joins while the locks
    // are taken (a coupling, a mandate) means deciding again.
    let products = touched(&txn, account, now).await?;
    for product in &products {
        lock_product_row(db, &txn, ProductId(*product)).await?;
    }
    if !touched(&txn, account, now).await?.is_subset(&products) {
        abandon(txn).await?;
        return Ok(Erased::Changed);
    }
    let own = own_products(&txn, id).await?;
    let live = live(&txn, id, &own, now).await?;
    if !as_decided(&live, ends) {
        abandon(txn).await?;
        return Ok(Erased::Changed);
    }
    let received = received(&txn, account).await?;
    let given = mandates::Entity::find()
        .filter(mandates::Column::OwnerId.eq(id))
        .all(&txn)
        .await
        .map_err(StoreError::new)?;
    let mandates: BTreeMap<i64, mandates::Model> = given
        .into_iter()
        .chain(received.iter().cloned())
        .map(|m| (m.id, m))
        .collect();
    end_all(&txn, &live, ends, &mandates, now).await?;
    // Revoked as the owner would revoke them: what they hold goes back to the owner.
    for m in mandates.values() {
        if m.status != MandateStatus::Revoked.as_str() {
            close(&txn, m.product_id, m.id, now).await?;
        }
    }
    let received: Vec<i64> = received.iter().map(|m| m.id).collect();
    forget(&txn, account, &own, &received).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(Erased::Erased)
}
