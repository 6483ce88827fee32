//! The help desk's changes to a product: each under the product's lock, refused (and rolled
//! back) unless the product is still as the use case found it, with its audit entry in the
//! same transaction.

use crate::audit;
use crate::database::Database;
use crate::entities::{favorites, product_letters, product_plates, products};
use crate::parking::ledger::abandon;
use crate::parking::lock_product_row;
use chrono::{DateTime, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::coupling::{DeskOutcome, NewLetter, PinChange};
use parkportal_domain::plate::Plate;
use parkportal_domain::{ProductId, StoreError, TenantId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

/// Stores `letter` of product `product` of `tenant`, kept for reprinting until it expires.
pub(crate) async fn insert_letter(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    product: i64,
    letter: &NewLetter,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    product_letters::ActiveModel {
        tenant_id: Set(tenant.0),
        product_id: Set(product),
        language: Set(letter.language.code().to_owned()),
        pdf: Set(Some(letter.pdf.clone())),
        created_at: Set(now),
        expires_at: Set(letter.expires_at),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(StoreError::new)?;
    Ok(())
}

/// The product row locked, and what refuses a change of it: not the gemeente's, gone, not
/// active, or what `refuse` finds.
async fn locked(
    db: &Database,
    txn: &sea_orm::DatabaseTransaction,
    (tenant, product): (TenantId, ProductId),
    refuse: impl Fn(&products::Model) -> Option<DeskOutcome>,
) -> Result<DeskOutcome, StoreError> {
    Ok(match lock_product_row(db, txn, product).await? {
        None => DeskOutcome::NotFound,
        Some(p) if p.tenant_id != tenant.0 => DeskOutcome::NotFound,
        Some(p) if p.status != "active" => DeskOutcome::NotActive,
        Some(p) => refuse(&p).unwrap_or(DeskOutcome::Done),
    })
}

/// A new PIN (see `ProductRepository::replace_pin`).
pub(crate) async fn replace_pin(
    db: &Database,
    (tenant, product): (TenantId, ProductId),
    change: PinChange<'_>,
    now: DateTime<Utc>,
) -> Result<DeskOutcome, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let outcome = locked(db, &txn, (tenant, product), |p| {
        p.owner_id.is_some().then_some(DeskOutcome::Coupled)
    })
    .await?;
    if outcome != DeskOutcome::Done {
        abandon(txn).await?;
        return Ok(outcome);
    }
    products::Entity::update_many()
        .col_expr(products::Column::PinHash, Expr::value(change.pin_hash))
        .filter(products::Column::Id.eq(product.0))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    // The letters kept so far print the PIN that no longer works.
    product_letters::Entity::update_many()
        .col_expr(
            product_letters::Column::Pdf,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(product_letters::Column::ProductId.eq(product.0))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    if let Some(letter) = change.letter {
        insert_letter(&txn, tenant, product.0, letter, now).await?;
    }
    audit::write(&txn, change.audit).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(DeskOutcome::Done)
}

/// A later end of the validity (see `ProductRepository::extend`).
pub(crate) async fn extend(
    db: &Database,
    (tenant, product): (TenantId, ProductId),
    until: DateTime<Utc>,
    entry: &AuditEntry,
) -> Result<DeskOutcome, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let outcome = locked(db, &txn, (tenant, product), |p| {
        (p.valid_until >= until).then_some(DeskOutcome::NotLater)
    })
    .await?;
    if outcome != DeskOutcome::Done {
        abandon(txn).await?;
        return Ok(outcome);
    }
    // The revision counts up, so that a start decided on the old validity does not write.
    products::Entity::update_many()
        .col_expr(products::Column::ValidUntil, Expr::value(until))
        .col_expr(
            products::Column::Revision,
            Expr::col(products::Column::Revision).add(1),
        )
        .filter(products::Column::Id.eq(product.0))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    audit::write(&txn, entry).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(DeskOutcome::Done)
}

/// Uncoupling (see `ProductRepository::uncouple`).
pub(crate) async fn uncouple(
    db: &Database,
    (tenant, product): (TenantId, ProductId),
    now: DateTime<Utc>,
    entry: &AuditEntry,
) -> Result<DeskOutcome, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let mut outcome = locked(db, &txn, (tenant, product), |p| {
        p.owner_id.is_none().then_some(DeskOutcome::NotCoupled)
    })
    .await?;
    if outcome == DeskOutcome::Done {
        let live = crate::revocation::live_of(product.0, now)
            .count(&txn)
            .await
            .map_err(StoreError::new)?;
        if live > 0 {
            outcome = DeskOutcome::SessionsLive;
        }
    }
    if outcome != DeskOutcome::Done {
        abandon(txn).await?;
        return Ok(outcome);
    }
    // The holder's mandates end: whoever they gave them to must not reach the next holder's
    // product. What they hold goes back to the balance, which stays with the product.
    crate::mandates::close_all(&txn, product.0, now).await?;
    // The holder's favorites of it are theirs, not the next holder's.
    favorites::Entity::delete_many()
        .filter(favorites::Column::ProductId.eq(product.0))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    // The revision counts up, so that a start decided on the coupled view does not write.
    products::Entity::update_many()
        .col_expr(products::Column::OwnerId, Expr::value(Option::<i64>::None))
        .col_expr(
            products::Column::Revision,
            Expr::col(products::Column::Revision).add(1),
        )
        .filter(products::Column::Id.eq(product.0))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    audit::write(&txn, entry).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(DeskOutcome::Done)
}

/// New plates (see `ProductRepository::replace_plates`).
pub(crate) async fn replace_plates(
    db: &Database,
    (tenant, product): (TenantId, ProductId),
    plates: &[Plate],
    entry: &AuditEntry,
) -> Result<DeskOutcome, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let outcome = locked(db, &txn, (tenant, product), |_| None).await?;
    if outcome != DeskOutcome::Done {
        abandon(txn).await?;
        return Ok(outcome);
    }
    let active = product_plates::Entity::find()
        .filter(product_plates::Column::ProductId.eq(product.0))
        .filter(product_plates::Column::Active.eq(true))
        .all(&txn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(|p| (p.plate, p.country))
        .next();
    product_plates::Entity::delete_many()
        .filter(product_plates::Column::ProductId.eq(product.0))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    for (position, plate) in plates.iter().enumerate() {
        let stored = (
            plate.normalised().to_owned(),
            plate.country().as_str().to_owned(),
        );
        product_plates::ActiveModel {
            product_id: Set(product.0),
            active: Set(active.as_ref() == Some(&stored)),
            plate: Set(stored.0),
            country: Set(stored.1),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(StoreError::new)?;
    }
    // The revision counts up, so that a start decided on the old plates does not write.
    products::Entity::update_many()
        .col_expr(
            products::Column::Revision,
            Expr::col(products::Column::Revision).add(1),
        )
        .filter(products::Column::Id.eq(product.0))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    audit::write(&txn, entry).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(DeskOutcome::Done)
}
